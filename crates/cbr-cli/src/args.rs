//! Command-line flags, and how they become a validated [`ListBackupsQuery`].

use std::net::SocketAddr;
use std::time::Duration;

use cbr_model::{
    ImageType, ListBackupsQuery, MemberStatus, OwnType, QueryTime, ResourceType, Sort, Status,
};
use clap::{Args, Parser, Subcommand, ValueEnum};

/// List, audit and summarise Huawei Cloud CBR backups.
#[derive(Debug, Parser)]
#[command(name = "cbr", version, about, propagate_version = true)]
pub struct Cli {
    /// More logging on stderr: -v info, -vv debug, -vvv trace.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The top-level commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Work with backups.
    #[command(subcommand)]
    Backups(BackupsCommand),
    /// Run the local CBR emulator.
    #[command(subcommand)]
    Emulator(EmulatorCommand),
}

/// `cbr backups …`
#[derive(Debug, Subcommand)]
pub enum BackupsCommand {
    /// List backups: one page, or every page with --all.
    List(Box<ListArgs>),
}

/// `cbr emulator …`
#[derive(Debug, Subcommand)]
pub enum EmulatorCommand {
    /// Serve the CBR ListBackups API on a local address until interrupted.
    Serve(ServeArgs),
}

/// Where requests go and as whom.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Connection")]
pub struct Connection {
    /// Start the built-in emulator (dataset `documented`) on 127.0.0.1 and list from it.
    #[arg(long, conflicts_with = "endpoint")]
    pub emulator: bool,
    /// Service endpoint, e.g. https://cbr.cn-north-4.myhuaweicloud.com.
    #[arg(long, value_name = "URL")]
    pub endpoint: Option<String>,
    /// Project whose backups are listed.
    #[arg(long, env = "HUAWEICLOUD_SDK_PROJECT_ID", hide_env_values = true, value_name = "ID")]
    pub project_id: Option<String>,
    /// Time allowed for each request, e.g. 30s, 2m, 500ms (a bare number is seconds).
    #[arg(long, value_parser = parse_duration, default_value = "30s", value_name = "DURATION")]
    pub timeout: Duration,
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Output {
    /// A readable table of the key columns.
    Table,
    /// One JSON document `{"backups": [...], "count": N}` with the API's field names.
    Json,
    /// One backup object per line.
    Ndjson,
}

/// Paging strategies offered on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StrategyArg {
    /// `limit` + `offset`.
    Offset,
    /// `limit` + `marker`: consistent while backups change (the default with --all).
    Marker,
}

/// `cbr backups list`
#[derive(Debug, Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub connection: Connection,
    #[command(flatten)]
    pub filters: Filters,
    /// Backups per request, sent as `limit` (1-1000). Not a total: see --max-items.
    #[arg(long, visible_alias = "page-size", value_name = "N", help_heading = "Paging",
          value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub limit: Option<u32>,
    /// Index of the first backup of the page, from 0.
    #[arg(long, value_name = "N", help_heading = "Paging", conflicts_with = "marker")]
    pub offset: Option<u64>,
    /// Start after the backup with this id.
    #[arg(long, value_name = "ID", help_heading = "Paging")]
    pub marker: Option<String>,
    /// Follow every page instead of printing one.
    #[arg(long, help_heading = "Paging")]
    pub all: bool,
    /// Stop after exactly this many backups (implies following pages).
    #[arg(long, value_name = "N", help_heading = "Paging")]
    pub max_items: Option<u64>,
    /// How --all moves between pages.
    #[arg(long, value_enum, default_value_t = StrategyArg::Marker, help_heading = "Paging")]
    pub strategy: StrategyArg,
    /// Output format.
    #[arg(short, long, value_enum, default_value_t = Output::Table)]
    pub output: Output,
    /// Print nothing on stderr but errors.
    #[arg(short, long)]
    pub quiet: bool,
}

/// Every ListBackups filter and the sort.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Filters")]
pub struct Filters {
    /// Kind of protected resource, e.g. OS::Nova::Server, OS::Cinder::Volume.
    #[arg(long, value_name = "TYPE")]
    pub resource_type: Option<String>,
    /// Backup status, e.g. available, error; repeat for any of several.
    #[arg(long, value_name = "STATUS")]
    pub status: Vec<String>,
    /// Vault id.
    #[arg(long, value_name = "ID")]
    pub vault_id: Option<String>,
    /// Backup name (exact, at most 255 characters).
    #[arg(long)]
    pub name: Option<String>,
    /// Order: key[:asc|desc],… with keys created_at, updated_at, name, status, protected_at, id.
    #[arg(long, value_name = "SPEC", value_parser = parse_sort)]
    pub sort: Option<Sort>,
    /// Only backups created at or after this time (RFC 3339 or YYYY-MM-DD).
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    pub start_time: Option<QueryTime>,
    /// Only backups created at or before this time (RFC 3339 or YYYY-MM-DD).
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    pub end_time: Option<QueryTime>,
    /// Protected resource id.
    #[arg(long, value_name = "ID")]
    pub resource_id: Option<String>,
    /// Protected resource name.
    #[arg(long, value_name = "NAME")]
    pub resource_name: Option<String>,
    /// Availability zone of the protected resource.
    #[arg(long, value_name = "AZ")]
    pub resource_az: Option<String>,
    /// Restore point id.
    #[arg(long, value_name = "ID")]
    pub checkpoint_id: Option<String>,
    /// Parent backup id (lists its children).
    #[arg(long, value_name = "ID")]
    pub parent_id: Option<String>,
    /// backup or replication.
    #[arg(long, value_name = "TYPE")]
    pub image_type: Option<String>,
    /// private (default), shared or all_granted.
    #[arg(long, value_name = "TYPE")]
    pub own_type: Option<String>,
    /// Sharing state: pending, accepted or rejected.
    #[arg(long, value_name = "STATUS")]
    pub member_status: Option<String>,
    /// Enterprise project id, or all_granted_eps.
    #[arg(long, value_name = "ID")]
    pub enterprise_project_id: Option<String>,
    /// Only backups whose vault is at least this full, 1-100 (percent).
    #[arg(long, value_name = "PERCENT", value_parser = clap::value_parser!(u8).range(1..=100))]
    pub used_percent: Option<u8>,
    /// Incremental (true) or full (false) backups.
    #[arg(long, value_name = "BOOL")]
    pub incremental: Option<bool>,
    /// Include replication records.
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true")]
    pub show_replication: Option<bool>,
    /// Dedicated-cloud scenario switch.
    #[arg(long, value_name = "BOOL")]
    pub dec: Option<bool>,
}

/// `cbr emulator serve`
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,
    /// Which backups to serve.
    #[arg(long, value_enum, default_value_t = DatasetArg::Documented)]
    pub dataset: DatasetArg,
    /// Number of backups of the `generated` dataset.
    #[arg(long, default_value_t = 10_000)]
    pub backups: usize,
    /// Seed of the `generated` dataset.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Project the dataset belongs to.
    #[arg(long, value_name = "ID")]
    pub project_id: Option<String>,
}

/// Datasets the emulator can serve.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DatasetArg {
    /// 1663 backups including the two of the API documentation.
    Documented,
    /// `--backups N` backups generated from `--seed S`.
    Generated,
}

impl Filters {
    /// The filters as a query (without paging).
    pub fn to_query(&self) -> ListBackupsQuery {
        let mut q = ListBackupsQuery::new();
        q.resource_type = self.resource_type.as_deref().map(ResourceType::from);
        q.status = self.status.iter().map(|s| Status::from(s.as_str())).collect();
        q.vault_id.clone_from(&self.vault_id);
        q.name.clone_from(&self.name);
        q.sort.clone_from(&self.sort);
        q.start_time = self.start_time;
        q.end_time = self.end_time;
        q.resource_id.clone_from(&self.resource_id);
        q.resource_name.clone_from(&self.resource_name);
        q.resource_az.clone_from(&self.resource_az);
        q.checkpoint_id.clone_from(&self.checkpoint_id);
        q.parent_id.clone_from(&self.parent_id);
        q.image_type = self.image_type.as_deref().map(ImageType::from);
        q.own_type = self.own_type.as_deref().map(OwnType::from);
        q.member_status = self.member_status.as_deref().map(MemberStatus::from);
        q.enterprise_project_id.clone_from(&self.enterprise_project_id);
        q.used_percent = self.used_percent;
        q.incremental = self.incremental;
        q.show_replication = self.show_replication;
        q.dec = self.dec;
        q
    }
}

fn parse_sort(text: &str) -> Result<Sort, String> {
    text.parse().map_err(|e: cbr_model::SortError| e.to_string())
}

fn parse_time(text: &str) -> Result<QueryTime, String> {
    text.parse().map_err(|e: cbr_model::QueryTimeError| e.to_string())
}

/// Reads `30s`, `2m`, `1h`, `500ms` or a bare number of seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit() && c != '.').unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let value: f64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a duration; expected e.g. 30s, 2m, 500ms"))?;
    let seconds = match unit {
        "" | "s" => value,
        "ms" => value / 1000.0,
        "m" => value * 60.0,
        "h" => value * 3600.0,
        "d" => value * 86_400.0,
        other => return Err(format!("unknown unit {other:?}; expected ms, s, m, h or d")),
    };
    if !seconds.is_finite() || seconds <= 0.0 || seconds > 86_400.0 * 365.0 {
        return Err(format!("{text:?} is out of range; expected more than 0 and at most a year"));
    }
    Ok(Duration::from_secs_f64(seconds))
}

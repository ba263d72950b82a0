//! Command-line flags, and how they become a validated [`ListBackupsQuery`].

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use cbr_model::{
    ImageType, ListBackupsQuery, MemberStatus, OwnType, QueryTime, ResourceType, Sort, Status,
};
use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::output::Field;

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
    /// Print a shell completion script (e.g. `cbr completions bash > /etc/bash_completion.d/cbr`).
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

/// `cbr backups …`
#[derive(Debug, Subcommand)]
pub enum BackupsCommand {
    /// List backups: one page, or every page with --all.
    List(Box<ListArgs>),
    /// Totals over every matching backup, grouped; the newest backup per resource; or the
    /// resources that are not protected.
    Summary(Box<SummaryArgs>),
}

/// `cbr emulator …`
#[derive(Debug, Subcommand)]
pub enum EmulatorCommand {
    /// Serve the CBR ListBackups API on a local address until interrupted.
    Serve(ServeArgs),
}

/// Where requests go and as whom.
///
/// Keys are never read from flags (they would end up in shell history): they come from the
/// environment or the credentials file, see `connect`.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Connection")]
pub struct Connection {
    /// Start the built-in emulator (dataset `documented`) on 127.0.0.1 and list from it; it
    /// checks signatures, and requests are signed with its demo keys.
    #[arg(long, conflicts_with_all = ["endpoint", "region"])]
    pub emulator: bool,
    /// Region id, e.g. cn-north-4: the endpoint becomes https://cbr.REGION.myhuaweicloud.com
    /// (or the region's own where it differs).
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
    /// Service endpoint, e.g. https://cbr.cn-north-4.myhuaweicloud.com; wins over --region.
    #[arg(long, value_name = "URL")]
    pub endpoint: Option<String>,
    /// Project whose backups are listed [default: $HUAWEICLOUD_SDK_PROJECT_ID, else
    /// `project_id` in the credentials file].
    #[arg(long, value_name = "ID")]
    pub project_id: Option<String>,
    /// Time allowed for each request, e.g. 30s, 2m, 500ms (a bare number is seconds).
    #[arg(long, value_parser = parse_duration, default_value = "30s", value_name = "DURATION",
          allow_hyphen_values = true)]
    pub timeout: Duration,
    /// Retries of a failed page (throttled, 5xx, network errors), with backoff; 0 disables.
    #[arg(long, value_name = "N", default_value_t = 2,
          value_parser = clap::value_parser!(u32).range(0..=20), allow_negative_numbers = true)]
    pub retries: u32,
    /// Write every request and response to this cassette file (secrets redacted), to share a
    /// problem or replay it later.
    #[arg(long, value_name = "FILE", conflicts_with = "replay")]
    pub record: Option<PathBuf>,
    /// Answer requests from this cassette file instead of the network.
    #[arg(long, value_name = "FILE")]
    pub replay: Option<PathBuf>,
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
    /// RFC 4180 csv with a header row; values exactly as the API sent them.
    Csv,
}

/// Paging strategies offered on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StrategyArg {
    /// `limit` + `offset`, one page at a time; may skip backups created or deleted meanwhile.
    Offset,
    /// `limit` + `marker`: every backup that exists throughout the walk exactly once.
    Marker,
    /// `limit` + `offset` with --concurrency pages in flight; fastest on a quiet account.
    Concurrent,
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
          value_parser = clap::value_parser!(u32).range(1..=1000), allow_negative_numbers = true)]
    pub limit: Option<u32>,
    /// Index of the first backup of the page, from 0.
    #[arg(
        long,
        value_name = "N",
        help_heading = "Paging",
        conflicts_with = "marker",
        allow_negative_numbers = true
    )]
    pub offset: Option<u64>,
    /// Start after the backup with this id.
    #[arg(long, value_name = "ID", help_heading = "Paging", value_parser = utf8_text())]
    pub marker: Option<String>,
    /// Follow every page instead of printing one.
    #[arg(long, help_heading = "Paging")]
    pub all: bool,
    /// Stop after exactly this many backups (implies following pages).
    #[arg(long, value_name = "N", help_heading = "Paging", allow_negative_numbers = true)]
    pub max_items: Option<u64>,
    /// How --all moves between pages.
    #[arg(long, value_enum, default_value_t = StrategyArg::Marker, help_heading = "Paging")]
    pub strategy: StrategyArg,
    /// Pages in flight at once with --strategy concurrent (1-64).
    #[arg(long, value_name = "N", default_value_t = 4, help_heading = "Paging",
          value_parser = clap::value_parser!(u16).range(1..=64), allow_negative_numbers = true)]
    pub concurrency: u16,
    /// Output format.
    #[arg(short, long, value_enum, default_value_t = Output::Table, help_heading = "Output")]
    pub output: Output,
    /// Columns of table and csv output, in order, e.g. id,name,status,created_at.
    #[arg(long, value_name = "FIELDS", value_parser = parse_fields, help_heading = "Output")]
    pub fields: Option<FieldList>,
    /// Print nothing on stderr but errors.
    #[arg(short, long, help_heading = "Output")]
    pub quiet: bool,
}

/// Every ListBackups filter and the sort.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Filters")]
pub struct Filters {
    /// Kind of protected resource, e.g. OS::Nova::Server, OS::Cinder::Volume.
    #[arg(long, value_name = "TYPE", value_parser = utf8_text())]
    pub resource_type: Option<String>,
    /// Backup status, e.g. available, error; repeat for any of several.
    #[arg(long, value_name = "STATUS", value_parser = utf8_text())]
    pub status: Vec<String>,
    /// Vault id.
    #[arg(long, value_name = "ID", value_parser = utf8_text())]
    pub vault_id: Option<String>,
    /// Backup name (exact, at most 255 characters).
    #[arg(long, value_parser = utf8_text())]
    pub name: Option<String>,
    /// Order: key[:asc|desc],… with keys created_at, updated_at, name, status, protected_at, id.
    #[arg(long, value_name = "SPEC", value_parser = parse_sort)]
    pub sort: Option<Sort>,
    /// Only backups created at or after this time (RFC 3339 or YYYY-MM-DD).
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    pub start_time: Option<QueryTime>,
    /// Only backups created at or before this time (RFC 3339, or YYYY-MM-DD for the end of
    /// that day in UTC).
    #[arg(long, value_name = "TIME", value_parser = parse_end_time)]
    pub end_time: Option<QueryTime>,
    /// Protected resource id.
    #[arg(long, value_name = "ID", value_parser = utf8_text())]
    pub resource_id: Option<String>,
    /// Protected resource name.
    #[arg(long, value_name = "NAME", value_parser = utf8_text())]
    pub resource_name: Option<String>,
    /// Availability zone of the protected resource.
    #[arg(long, value_name = "AZ", value_parser = utf8_text())]
    pub resource_az: Option<String>,
    /// Restore point id.
    #[arg(long, value_name = "ID", value_parser = utf8_text())]
    pub checkpoint_id: Option<String>,
    /// Parent backup id (lists its children).
    #[arg(long, value_name = "ID", value_parser = utf8_text())]
    pub parent_id: Option<String>,
    /// backup or replication.
    #[arg(long, value_name = "TYPE", value_parser = utf8_text())]
    pub image_type: Option<String>,
    /// private (default), shared or all_granted.
    #[arg(long, value_name = "TYPE", value_parser = utf8_text())]
    pub own_type: Option<String>,
    /// Sharing state: pending, accepted or rejected.
    #[arg(long, value_name = "STATUS", value_parser = utf8_text())]
    pub member_status: Option<String>,
    /// Enterprise project id, or all_granted_eps.
    #[arg(long, value_name = "ID", value_parser = utf8_text())]
    pub enterprise_project_id: Option<String>,
    /// Only backups whose vault is at least this full, 1-100 (percent).
    #[arg(long, value_name = "PERCENT", allow_negative_numbers = true,
          value_parser = clap::value_parser!(u8).range(1..=100))]
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

/// `cbr backups summary`
#[derive(Debug, Args)]
pub struct SummaryArgs {
    #[command(flatten)]
    pub connection: Connection,
    #[command(flatten)]
    pub filters: Filters,
    /// What to group the totals by.
    #[arg(long, value_enum, default_value_t = GroupBy::ResourceType, help_heading = "Summary")]
    pub by: GroupBy,
    /// Instead of totals, the newest backup of each resource.
    #[arg(long, conflicts_with = "stale_after", help_heading = "Summary")]
    pub latest: bool,
    /// Instead of totals, the resources whose newest available backup is older than this
    /// (e.g. 24h, 7d), and those whose backups all failed.
    #[arg(long, value_name = "DURATION", value_parser = parse_age, help_heading = "Summary")]
    pub stale_after: Option<Duration>,
    /// Judge staleness as of this time (RFC 3339 or YYYY-MM-DD) instead of now.
    #[arg(long, value_name = "TIME", value_parser = parse_time, requires = "stale_after",
          help_heading = "Summary")]
    pub now: Option<QueryTime>,
    /// Backups per request, sent as `limit` (1-1000).
    #[arg(long, visible_alias = "page-size", value_name = "N",
          value_parser = clap::value_parser!(u32).range(1..=1000), allow_negative_numbers = true,
          help_heading = "Paging")]
    pub limit: Option<u32>,
    /// Output format.
    #[arg(short, long, value_enum, default_value_t = SummaryOutput::Table, help_heading = "Output")]
    pub output: SummaryOutput,
}

/// What `summary` groups by (spelled as the API's fields).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
#[value(rename_all = "snake_case")]
pub enum GroupBy {
    /// `resource_type`.
    ResourceType,
    /// `status`.
    Status,
    /// `vault_id`.
    VaultId,
    /// `resource_az`.
    ResourceAz,
    /// `resource_id`.
    ResourceId,
}

impl GroupBy {
    /// The API field grouped by.
    pub fn field(self) -> &'static str {
        match self {
            Self::ResourceType => "resource_type",
            Self::Status => "status",
            Self::VaultId => "vault_id",
            Self::ResourceAz => "resource_az",
            Self::ResourceId => "resource_id",
        }
    }

    /// The table header of the grouping column.
    pub fn header(self) -> &'static str {
        match self {
            Self::ResourceType => "RESOURCE TYPE",
            Self::Status => "STATUS",
            Self::VaultId => "VAULT",
            Self::ResourceAz => "ZONE",
            Self::ResourceId => "RESOURCE ID",
        }
    }
}

/// Output formats of `summary`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SummaryOutput {
    /// A readable table.
    Table,
    /// One JSON document.
    Json,
    /// RFC 4180 csv with a header row.
    Csv,
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
    /// Check every request's AK/SK signature, accepting this access key (with --sk).
    #[arg(long, value_name = "AK", requires = "sk", help_heading = "Authentication")]
    pub ak: Option<String>,
    /// The secret key paired with --ak.
    #[arg(long, value_name = "SK", requires = "ak", help_heading = "Authentication")]
    pub sk: Option<String>,
    /// Accept requests carrying this X-Auth-Token (repeatable; also turns checking on).
    #[arg(long, value_name = "TOKEN", help_heading = "Authentication")]
    pub token: Vec<String>,
    /// Latency, faults, churn, page-size cap and request log (boxed: they are many).
    #[command(flatten)]
    pub knobs: Box<ServeKnobs>,
}

/// The test knobs of `cbr emulator serve`.
#[derive(Debug, Args)]
#[command(next_help_heading = "Test knobs")]
pub struct ServeKnobs {
    /// Wait this long before answering each request.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub latency_ms: u64,
    /// Fail this share of requests (0 to 1) with one of --faults.
    #[arg(long, value_name = "P", default_value_t = 0.0, value_parser = parse_rate)]
    pub fault_rate: f64,
    /// Faults to choose from: 429, 500, 502, 503, 504, reset, truncate, stall, html, empty,
    /// nonjson.
    #[arg(long, value_name = "LIST", default_value = DEFAULT_FAULTS, value_delimiter = ',',
          value_parser = parse_faults)]
    pub faults: Vec<cbr_emulator::faults::Fault>,
    /// Seed of the fault draws: the same seed fails the same requests.
    #[arg(long, value_name = "S", default_value_t = 0)]
    pub fault_seed: u64,
    /// Serve this many requests normally before faults may start (e.g. to cut a walk short
    /// after its first pages).
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub fault_after: usize,
    /// How long a `stall` fault holds a request before closing the connection.
    #[arg(long, value_name = "N", default_value_t = 60_000,
          value_parser = clap::value_parser!(u64).range(0..=600_000))]
    pub stall_ms: u64,
    /// Create and delete N random backups after each listing.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub churn: usize,
    /// Seed of the churn: the same seed makes the same changes.
    #[arg(long, value_name = "S", default_value_t = 1)]
    pub churn_seed: u64,
    /// Serve at most N backups per page, whatever `limit` asks for (silently).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub max_limit: Option<u32>,
    /// Write one JSON line per request to FILE, created or emptied (credentials redacted).
    #[arg(long, value_name = "FILE")]
    pub request_log: Option<std::path::PathBuf>,
}

/// The faults `--fault-rate` chooses from unless `--faults` says otherwise.
const DEFAULT_FAULTS: &str = "429,500,502,503,504,reset,truncate,stall,html";

/// Datasets the emulator can serve.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DatasetArg {
    /// 1663 backups including the two of the API documentation.
    Documented,
    /// `--backups N` backups generated from `--seed S`.
    Generated,
}

/// Reads a fault rate, a number from 0 to 1.
fn parse_rate(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(rate) if (0.0..=1.0).contains(&rate) => Ok(rate),
        _ => Err(format!("{text:?} is not a rate; expected a number from 0 to 1, e.g. 0.05")),
    }
}

/// Reads one fault name of a comma-separated `--faults` list.
fn parse_faults(text: &str) -> Result<cbr_emulator::faults::Fault, String> {
    text.trim().parse().map_err(|e: cbr_emulator::faults::FaultsError| e.to_string())
}

impl Filters {
    /// The filters as a query (without paging).
    pub fn to_query(&self) -> ListBackupsQuery {
        let mut q = ListBackupsQuery::new();
        q.resource_type =
            self.resource_type.as_deref().map(|t| known(ResourceType::KNOWN, t).into());
        q.status = self.status.iter().map(|s| known(Status::KNOWN, s).into()).collect();
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
        q.image_type = self.image_type.as_deref().map(|t| known(ImageType::KNOWN, t).into());
        q.own_type = self.own_type.as_deref().map(|t| known(OwnType::KNOWN, t).into());
        q.member_status =
            self.member_status.as_deref().map(|m| known(MemberStatus::KNOWN, m).into());
        q.enterprise_project_id.clone_from(&self.enterprise_project_id);
        q.used_percent = self.used_percent;
        q.incremental = self.incremental;
        q.show_replication = self.show_replication;
        q.dec = self.dec;
        q
    }
}

/// The columns `--fields` names, in order.
#[derive(Debug, Clone)]
pub struct FieldList(pub Vec<&'static Field>);

fn parse_fields(text: &str) -> Result<FieldList, String> {
    crate::output::parse_fields(text).map(FieldList)
}

/// Accepts any text, refusing (with the flag named) an argument that is not UTF-8.
fn utf8_text() -> impl clap::builder::TypedValueParser<Value = String> {
    use clap::builder::TypedValueParser as _;
    clap::builder::OsStringValueParser::new()
        .try_map(|text| text.into_string().map_err(|_| "the value is not valid UTF-8"))
}

/// The documented spelling of a value typed in another case (`Available` → `available`); any
/// other value is kept as given, so one the service adds later can still be sent.
fn known<'a>(documented: &'static [&'static str], given: &'a str) -> &'a str {
    documented.iter().find(|d| d.eq_ignore_ascii_case(given.trim())).copied().unwrap_or(given)
}

/// An `--end-time`: a bare date means the last second of that day, so `--start-time D
/// --end-time D` selects the whole day.
fn parse_end_time(text: &str) -> Result<QueryTime, String> {
    match chrono::NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d") {
        Ok(date) => date
            .and_hms_opt(23, 59, 59)
            .map(|end| QueryTime::new(end.and_utc()))
            .ok_or_else(|| "not a date".to_owned()),
        Err(_) => parse_time(text),
    }
}

/// An age such as `24h` or `7d`: a unit is required, since a bare `7` is more likely meant as
/// days than as the seconds a timeout would take it for.
fn parse_age(text: &str) -> Result<Duration, String> {
    if text.trim().bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return Err(format!(
            "{text:?} has no unit; write e.g. {text}d for days or {text}h for hours"
        ));
    }
    parse_duration(text)
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
    if !seconds.is_finite() || seconds <= 0.0 || seconds > 86_400.0 * 36_500.0 {
        return Err(format!(
            "{text:?} is out of range; expected more than 0 and at most 100 years"
        ));
    }
    Ok(Duration::from_secs_f64(seconds))
}

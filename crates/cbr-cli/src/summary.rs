//! `cbr backups summary`: totals over every matching backup, grouped; the newest backup of
//! each resource; or the resources that are not protected (stale or only failed backups).

use std::collections::{BTreeMap, HashMap};
use std::io::{self, BufWriter, Write as _};
use std::pin::pin;

use cbr_model::{Backup, Status};
use chrono::{DateTime, Utc};
use futures::StreamExt as _;
use serde_json::{Value, json};

use crate::Failure;
use crate::args::{GroupBy, SummaryArgs, SummaryOutput};
use crate::connect::Target;
use crate::list::{usage_for_query, write_or_stop};

/// Runs `cbr backups summary`.
pub async fn run(args: SummaryArgs) -> Result<(), Failure> {
    let query = args.filters.to_query();
    query.validate().map_err(|e| usage_for_query(&e))?;
    let now = args.now.map_or_else(Utc::now, cbr_model::QueryTime::utc);
    let target = Target::connect(&args.connection).await?;
    let client = target.client(&args.connection)?;

    let mut fold = Fold::new(args.by, args.latest);
    let mut request = client.list_backups().query(query);
    if let Some(limit) = args.limit {
        request = request.page_size(limit);
    }
    let mut backups = pin!(request.items());
    let mut failure = None;
    while let Some(backup) = backups.next().await {
        match backup {
            Ok(backup) => fold.add(backup),
            Err(e) => {
                failure = Some(crate::explain(&e));
                break;
            }
        }
    }
    target.close().await;
    if let Some(failure) = failure {
        return Err(failure);
    }

    let report = if args.latest {
        fold.latest()
    } else if let Some(age) = args.stale_after {
        fold.unprotected(now, age)
    } else {
        fold.groups()
    };
    let mut out = BufWriter::new(io::stdout().lock());
    let written = match args.output {
        SummaryOutput::Json => writeln!(out, "{}", report.json).and_then(|()| out.flush()),
        SummaryOutput::Csv => write_csv(&mut out, &report),
        SummaryOutput::Table => write_table(&mut out, &report),
    };
    write_or_stop(written).map(drop)
}

/// What each resource's backups add up to.
#[derive(Default)]
struct Resource {
    name: Option<String>,
    kind: Option<String>,
    backups: u64,
    errors: u64,
    newest: Option<(DateTime<Utc>, Backup)>,
    newest_available: Option<(DateTime<Utc>, String)>,
}

/// The running totals of a summary.
struct Fold {
    by: GroupBy,
    keep_newest: bool,
    groups: BTreeMap<String, (u64, u64)>,
    resources: HashMap<String, Resource>,
    count: u64,
    size: u64,
}

/// A finished summary in both shapes: rows for table and csv, and the json document.
struct Report {
    headers: Vec<&'static str>,
    rows: Vec<Vec<String>>,
    numeric: Vec<bool>,
    footer: Option<String>,
    json: Value,
}

fn created(backup: &Backup) -> Option<DateTime<Utc>> {
    backup.created_at.as_ref().and_then(cbr_model::Timestamp::to_utc)
}

fn readable(time: Option<DateTime<Utc>>) -> String {
    time.map_or_else(|| "-".to_owned(), |t| t.format("%Y-%m-%d %H:%M:%S").to_string())
}

impl Fold {
    fn new(by: GroupBy, keep_newest: bool) -> Self {
        Self {
            by,
            keep_newest,
            groups: BTreeMap::new(),
            resources: HashMap::new(),
            count: 0,
            size: 0,
        }
    }

    fn add(&mut self, backup: Backup) {
        let size = backup.resource_size.unwrap_or(0);
        self.count += 1;
        self.size += size;
        let key = match self.by {
            GroupBy::ResourceType => backup.resource_type.as_ref().map(ToString::to_string),
            GroupBy::Status => backup.status.as_ref().map(ToString::to_string),
            GroupBy::VaultId => backup.vault_id.clone(),
            GroupBy::ResourceAz => backup.resource_az.clone(),
            GroupBy::ResourceId => backup.resource_id.clone(),
        };
        let group = self.groups.entry(key.unwrap_or_else(|| "-".to_owned())).or_default();
        group.0 += 1;
        group.1 += size;

        let resource_id = backup.resource_id.clone().unwrap_or_else(|| "-".to_owned());
        let resource = self.resources.entry(resource_id).or_default();
        resource.backups += 1;
        if resource.name.is_none() {
            resource.name.clone_from(&backup.resource_name);
            resource.kind = backup.resource_type.as_ref().map(ToString::to_string);
        }
        let when = created(&backup).unwrap_or(DateTime::<Utc>::MIN_UTC);
        match backup.status {
            Some(Status::Error) => resource.errors += 1,
            Some(Status::Available)
                if resource.newest_available.as_ref().is_none_or(|(t, _)| when > *t) =>
            {
                let raw = backup.created_at.as_ref().map(|t| t.raw().to_owned());
                resource.newest_available = Some((when, raw.unwrap_or_default()));
            }
            _ => {}
        }
        if self.keep_newest && resource.newest.as_ref().is_none_or(|(t, _)| when > *t) {
            resource.newest = Some((when, backup));
        }
    }

    fn groups(self) -> Report {
        let field = self.by.field();
        let rows = self
            .groups
            .iter()
            .map(|(key, (count, size))| vec![key.clone(), count.to_string(), size.to_string()])
            .collect();
        let groups: Vec<Value> = self
            .groups
            .iter()
            .map(
                |(key, (count, size))| json!({ field: key, "count": count, "resource_size": size }),
            )
            .collect();
        Report {
            headers: vec![self.by.header(), "COUNT", "SIZE (GB)"],
            rows,
            numeric: vec![false, true, true],
            footer: Some(format!("{} backups, {} GB in all", self.count, self.size)),
            json: json!({
                "by": field,
                "groups": groups,
                "count": self.count,
                "resource_size": self.size,
            }),
        }
    }

    fn latest(self) -> Report {
        let mut resources: Vec<(String, Resource)> = self.resources.into_iter().collect();
        resources.sort_by(|a, b| a.0.cmp(&b.0));
        let mut rows = Vec::new();
        let mut items = Vec::new();
        for (id, resource) in resources {
            let Some((when, backup)) = resource.newest else { continue };
            rows.push(vec![
                id.clone(),
                resource.name.clone().unwrap_or_else(|| "-".into()),
                resource.kind.clone().unwrap_or_else(|| "-".into()),
                backup.id().to_owned(),
                backup.status.as_ref().map_or_else(|| "-".into(), ToString::to_string),
                readable(Some(when).filter(|t| *t != DateTime::<Utc>::MIN_UTC)),
            ]);
            items.push(json!({
                "resource_id": id,
                "resource_name": resource.name,
                "resource_type": resource.kind,
                "backup": backup,
            }));
        }
        let footer = Some(format!("{} resources", rows.len()));
        Report {
            headers: vec![
                "RESOURCE ID",
                "RESOURCE",
                "TYPE",
                "NEWEST BACKUP",
                "STATUS",
                "CREATED (UTC)",
            ],
            numeric: vec![false; 6],
            rows,
            footer,
            json: json!({ "latest": items }),
        }
    }

    fn unprotected(self, now: DateTime<Utc>, age: std::time::Duration) -> Report {
        let limit = chrono::Duration::from_std(age).map_or(DateTime::<Utc>::MIN_UTC, |d| now - d);
        let mut resources: Vec<(String, Resource)> = self.resources.into_iter().collect();
        resources.sort_by(|a, b| a.0.cmp(&b.0));
        let mut rows = Vec::new();
        let mut items = Vec::new();
        for (id, resource) in resources {
            let problem = if resource.errors == resource.backups {
                "all_error"
            } else {
                match &resource.newest_available {
                    None => "none_available",
                    Some((when, _)) if *when < limit => "stale",
                    Some(_) => continue,
                }
            };
            let newest = resource.newest_available.as_ref();
            rows.push(vec![
                id.clone(),
                resource.name.clone().unwrap_or_else(|| "-".into()),
                resource.kind.clone().unwrap_or_else(|| "-".into()),
                problem.to_owned(),
                readable(newest.map(|(t, _)| *t)),
                resource.backups.to_string(),
            ]);
            items.push(json!({
                "resource_id": id,
                "resource_name": resource.name,
                "resource_type": resource.kind,
                "problem": problem,
                "newest_available_at": newest.map(|(_, raw)| raw),
                "backups": resource.backups,
            }));
        }
        let footer = Some(format!(
            "{} resources unprotected (no available backup since {})",
            rows.len(),
            limit.format("%Y-%m-%d %H:%M:%S UTC")
        ));
        Report {
            headers: vec![
                "RESOURCE ID",
                "RESOURCE",
                "TYPE",
                "PROBLEM",
                "NEWEST AVAILABLE (UTC)",
                "BACKUPS",
            ],
            numeric: vec![false, false, false, false, false, true],
            rows,
            footer,
            json: json!({
                "now": now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                "older_than": limit.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                "resources": items,
            }),
        }
    }
}

fn write_csv(out: &mut impl io::Write, report: &Report) -> io::Result<()> {
    let mut writer = csv::Writer::from_writer(out);
    let headers =
        report.headers.iter().map(|h| h.to_ascii_lowercase().replace([' ', '(', ')'], "_"));
    writer
        .write_record(headers.map(|h| h.trim_end_matches('_').replace("__", "_")))
        .map_err(crate::output::csv_io)?;
    for row in &report.rows {
        writer.write_record(row).map_err(crate::output::csv_io)?;
    }
    writer.flush()
}

fn write_table(out: &mut impl io::Write, report: &Report) -> io::Result<()> {
    let mut widths: Vec<usize> = report.headers.iter().map(|h| h.chars().count()).collect();
    for row in &report.rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(console::measure_text_width(cell));
        }
    }
    let headers: Vec<String> = report.headers.iter().map(|h| (*h).to_owned()).collect();
    for row in std::iter::once(&headers).chain(&report.rows) {
        writeln!(out, "{}", crate::output::table_line(row, &widths, &report.numeric))?;
    }
    if let Some(footer) = &report.footer {
        writeln!(out, "{footer}")?;
    }
    out.flush()
}

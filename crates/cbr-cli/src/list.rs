//! `cbr backups list`: one page, or every page with `--all`, in the chosen format.

use std::io::{self, BufWriter, Write as _};
use std::pin::pin;

use cbr_api::{Client, Strategy};
use cbr_model::{ListBackupsQuery, QueryError};
use futures::StreamExt as _;

use crate::Failure;
use crate::args::{ListArgs, Output, StrategyArg};
use crate::connect::Target;
use crate::output::{BackupWriter, JsonWriter, NdjsonWriter, TableWriter};

/// Runs `cbr backups list`.
pub async fn run(args: ListArgs) -> Result<(), Failure> {
    let mut query = args.filters.to_query();
    query.limit = args.limit;
    query.offset = args.offset;
    query.marker.clone_from(&args.marker);
    query.validate().map_err(|e| usage_for_query(&e))?;

    let target = Target::connect(&args.connection).await?;
    let client = target.client(&args.connection)?;

    let stdout = BufWriter::with_capacity(64 * 1024, io::stdout().lock());
    let mut writer: Box<dyn BackupWriter> = match args.output {
        Output::Json => Box::new(JsonWriter::new(stdout)),
        Output::Ndjson => Box::new(NdjsonWriter::new(stdout)),
        Output::Table => Box::new(TableWriter::new(stdout)),
    };
    let outcome = if args.all || args.max_items.is_some() {
        list_all(&client, query, &args, writer.as_mut()).await
    } else {
        list_page(&client, query, &args, writer.as_mut()).await
    };
    drop(writer);
    target.close().await;
    outcome
}

async fn list_all(
    client: &Client,
    query: ListBackupsQuery,
    args: &ListArgs,
    writer: &mut dyn BackupWriter,
) -> Result<(), Failure> {
    let strategy = match args.strategy {
        StrategyArg::Offset => Strategy::Offset,
        StrategyArg::Marker => Strategy::Marker,
    };
    let mut request = client.list_backups().query(query).strategy(strategy);
    if let Some(limit) = args.limit {
        request = request.page_size(limit);
    }
    if let Some(max) = args.max_items {
        request = request.max_items(max);
    }
    let mut pages = pin!(request.pages());
    let mut count = None;
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| Failure::Runtime(e.to_string()))?;
        count = page.count.or(count);
        for backup in &page.backups {
            if !write_or_stop(writer.backup(backup))? {
                return Ok(());
            }
        }
    }
    write_or_stop(writer.finish(count)).map(drop)
}

async fn list_page(
    client: &Client,
    query: ListBackupsQuery,
    args: &ListArgs,
    writer: &mut dyn BackupWriter,
) -> Result<(), Failure> {
    let page = client
        .list_backups()
        .query(query)
        .send()
        .await
        .map_err(|e| Failure::Runtime(e.to_string()))?;
    for backup in &page.backups {
        if !write_or_stop(writer.backup(backup))? {
            return Ok(());
        }
    }
    if !write_or_stop(writer.finish(page.count))? {
        return Ok(());
    }
    if let Some(next) = page.next.filter(|_| !args.quiet) {
        let flag = match (&next.marker, next.offset) {
            (Some(marker), _) => format!("--marker {marker}"),
            (None, Some(offset)) => format!("--offset {offset}"),
            (None, None) => String::new(),
        };
        let _ = writeln!(io::stderr(), "more backups: repeat with {flag}, or use --all");
    }
    Ok(())
}

/// `Ok(false)` when the reader went away (`| head`): stop quietly with success.
fn write_or_stop(result: io::Result<()>) -> Result<bool, Failure> {
    match result {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(false),
        Err(e) => Err(Failure::Runtime(format!("cannot write output: {e}"))),
    }
}

/// Names the flag instead of the wire parameter: `limit` → `--limit`.
fn usage_for_query(error: &QueryError) -> Failure {
    let mut message = error.to_string();
    if let Some(parameter) = error.parameter() {
        let flag = format!("--{}", parameter.replace('_', "-"));
        message = message.replace(&format!("`{parameter}`"), &flag);
    }
    if let QueryError::TimeWindow { .. } = error {
        message = message.replace("end_time", "--end-time").replace("start_time", "--start-time");
    }
    Failure::Usage(message)
}

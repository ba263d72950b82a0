//! `cbr backups list`: one page, or every page with `--all`, in the chosen format.

use std::io::{self, BufWriter, Write as _};
use std::pin::pin;

use cbr_api::{Client, Identified, Page, Strategy};
use cbr_model::{ListBackupsQuery, QueryError};
use futures::{Stream, StreamExt as _};

use crate::Failure;
use crate::args::{ListArgs, Output, StrategyArg};
use crate::connect::Target;
use crate::output::{
    BackupWriter, CsvWriter, JsonWriter, NdjsonWriter, TABLE_FIELDS, TableWriter, all_fields,
    parse_fields,
};

/// Runs `cbr backups list`.
pub async fn run(args: ListArgs) -> Result<(), Failure> {
    let mut query = args.filters.to_query();
    query.limit = args.limit;
    query.offset = args.offset;
    query.marker.clone_from(&args.marker);
    query.validate().map_err(|e| usage_for_query(&e))?;
    if args.fields.is_some() && matches!(args.output, Output::Json | Output::Ndjson) {
        return Err(Failure::Usage(
            "--fields chooses the columns of table and csv output; json and ndjson always carry \
             every field the service sent"
                .into(),
        ));
    }

    let target = Target::connect(&args.connection).await?;
    let client = target.client(&args.connection)?;

    let mut writer = writer_for(&args);
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
        StrategyArg::Concurrent => {
            Strategy::Concurrent { in_flight: usize::from(args.concurrency) }
        }
    };
    let mut request = client.list_backups().query(query).strategy(strategy);
    if let Some(limit) = args.limit {
        request = request.page_size(limit);
    }
    if let Some(max) = args.max_items {
        request = request.max_items(max);
    }
    let bar = progress(args);
    let outcome = if writer.wants_raw() {
        drain(request.raw_pages(), writer, bar.as_ref(), args, |w, b| w.raw(b)).await
    } else {
        drain(request.pages(), writer, bar.as_ref(), args, |w, b| w.backup(b)).await
    };
    match (&bar, &outcome) {
        (Some(bar), Ok(_)) => bar.finish_and_clear(),
        (Some(bar), Err(_)) => bar.abandon(),
        _ => {}
    }
    match outcome? {
        Some(count) => write_or_stop(writer.finish(count)).map(drop),
        None => Ok(()),
    }
}

/// Writes every page's backups; `Ok(None)` if the reader went away, else the last `count`.
async fn drain<T: Identified>(
    pages: impl Stream<Item = Result<Page<T>, cbr_api::Error>>,
    writer: &mut dyn BackupWriter,
    bar: Option<&indicatif::ProgressBar>,
    args: &ListArgs,
    write: impl Fn(&mut dyn BackupWriter, &T) -> io::Result<()>,
) -> Result<Option<Option<u64>>, Failure> {
    let mut pages = pin!(pages);
    let mut count = None;
    let mut number = 0u64;
    let mut printed = 0u64;
    let mut last_id: Option<String> = None;
    while let Some(page) = pages.next().await {
        let page =
            page.map_err(|e| resumable(crate::explain(&e), args, printed, last_id.as_deref()))?;
        count = page.count.or(count);
        number += 1;
        if let Some(bar) = bar {
            let total = match (count, args.max_items) {
                (Some(c), Some(m)) => Some(c.min(m)),
                (c, m) => c.or(m),
            };
            if let Some(total) = total {
                bar.set_length(total);
            }
            bar.inc(page.backups.len() as u64);
            let rate = bar.position() as f64 / bar.elapsed().as_secs_f64().max(1e-3);
            bar.set_message(format!("{number} pages, {rate:.0} backups/s"));
        }
        if !write_backups(writer, &page.backups, &write)? {
            return Ok(None);
        }
        printed += page.backups.len() as u64;
        last_id = page.backups.last().map(|b| b.id().to_owned()).or(last_id);
    }
    Ok(Some(count))
}

/// Writes a page's backups; `Ok(false)` if the reader went away.
fn write_backups<T>(
    writer: &mut dyn BackupWriter,
    backups: &[T],
    write: impl Fn(&mut dyn BackupWriter, &T) -> io::Result<()>,
) -> Result<bool, Failure> {
    for backup in backups {
        if !write_or_stop(write(writer, backup))? {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Adds to a failed walk's message how to carry on from the last backup printed.
fn resumable(failure: Failure, args: &ListArgs, printed: u64, last_id: Option<&str>) -> Failure {
    let Failure::Runtime(message) = failure else { return failure };
    if printed == 0 || !(args.all || args.max_items.is_some()) {
        return Failure::Runtime(message);
    }
    let resume = match (args.strategy, last_id) {
        (StrategyArg::Marker, Some(id)) => format!("--marker {id}"),
        _ => format!("--offset {}", args.offset.unwrap_or(0) + printed),
    };
    Failure::Runtime(format!(
        "{message}\n{printed} backups were printed before the failure; to carry on after them, \
         repeat with {resume}"
    ))
}

async fn list_page(
    client: &Client,
    query: ListBackupsQuery,
    args: &ListArgs,
    writer: &mut dyn BackupWriter,
) -> Result<(), Failure> {
    let request = client.list_backups().query(query);
    let (next, count, written) = if writer.wants_raw() {
        let page = request.send_raw().await.map_err(|e| crate::explain(&e))?;
        (page.next, page.count, write_backups(writer, &page.backups, |w, b| w.raw(b))?)
    } else {
        let page = request.send().await.map_err(|e| crate::explain(&e))?;
        (page.next, page.count, write_backups(writer, &page.backups, |w, b| w.backup(b))?)
    };
    if !written {
        return Ok(());
    }
    if !write_or_stop(writer.finish(count))? {
        return Ok(());
    }
    if let Some(next) = next.filter(|_| !args.quiet) {
        let flag = match (&next.marker, next.offset) {
            (Some(marker), _) => format!("--marker {marker}"),
            (None, Some(offset)) => format!("--offset {offset}"),
            (None, None) => String::new(),
        };
        let _ = writeln!(io::stderr(), "more backups: repeat with {flag}, or use --all");
    }
    Ok(())
}

/// The writer `-o` and `--fields` ask for, onto a buffered stdout.
fn writer_for(args: &ListArgs) -> Box<dyn BackupWriter> {
    let stdout = BufWriter::with_capacity(64 * 1024, io::stdout().lock());
    match args.output {
        Output::Json => Box::new(JsonWriter::new(stdout)),
        Output::Ndjson => Box::new(NdjsonWriter::new(stdout)),
        Output::Csv => {
            Box::new(CsvWriter::new(stdout, args.fields.clone().map_or_else(all_fields, |f| f.0)))
        }
        Output::Table => {
            let fields = args.fields.clone().map_or_else(
                || parse_fields(TABLE_FIELDS).unwrap_or_else(|_| all_fields()),
                |f| f.0,
            );
            let terminal = console::Term::stdout();
            let width = terminal.is_term().then(|| usize::from(terminal.size().1));
            Box::new(TableWriter::new(stdout, fields, width))
        }
    }
}

/// A progress bar on stderr for long listings, only when stderr is a terminal.
fn progress(args: &ListArgs) -> Option<indicatif::ProgressBar> {
    if !args.all || args.quiet || !console::Term::stderr().is_term() {
        return None;
    }
    let bar =
        indicatif::ProgressBar::with_draw_target(None, indicatif::ProgressDrawTarget::stderr());
    let style = indicatif::ProgressStyle::with_template(
        "{spinner} {human_pos}/{human_len} backups, {msg} [{elapsed_precise}]",
    )
    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
    bar.set_style(style);
    Some(bar)
}

/// `Ok(false)` when the reader went away (`| head`): stop quietly with success.
pub(crate) fn write_or_stop(result: io::Result<()>) -> Result<bool, Failure> {
    match result {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(false),
        Err(e) => Err(Failure::Runtime(format!("cannot write output: {e}"))),
    }
}

/// Names the flag instead of the wire parameter: `limit` → `--limit`.
pub(crate) fn usage_for_query(error: &QueryError) -> Failure {
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

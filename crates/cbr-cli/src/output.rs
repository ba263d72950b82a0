//! Output writers: json, ndjson, csv and table. All of them write backups as they arrive; the
//! table holds only its first rows, to size its columns.

use std::io::{self, Write};

use cbr_api::RawBackup;
use cbr_model::{Backup, Timestamp};

/// Writes backups in one format; `finish` ends the output with the total the service reported.
pub trait BackupWriter {
    /// Writes one backup.
    fn backup(&mut self, backup: &Backup) -> io::Result<()>;
    /// Whether the writer takes raw backups (the service's own JSON) through
    /// [`BackupWriter::raw`]; otherwise they are decoded for it.
    fn wants_raw(&self) -> bool {
        false
    }
    /// Writes one backup as the service sent it.
    fn raw(&mut self, backup: &RawBackup) -> io::Result<()> {
        match backup.decode() {
            Ok(decoded) => self.backup(&decoded),
            Err(e) => Err(io::Error::new(io::ErrorKind::InvalidData, e)),
        }
    }
    /// Ends the output.
    fn finish(&mut self, count: Option<u64>) -> io::Result<()>;
}

/// A column of table and csv output.
#[derive(Debug)]
pub struct Field {
    /// The name used in `--fields` and as the csv header: the API's field name.
    pub name: &'static str,
    /// The table header.
    header: &'static str,
    /// The value as the API sent it (csv).
    raw: fn(&Backup) -> Option<String>,
    /// Whether the table shows times readably (UTC, to the second).
    time: bool,
    /// Whether the table aligns the column right.
    numeric: bool,
}

fn text(value: Option<&str>) -> Option<String> {
    value.map(str::to_owned)
}

fn time_raw(value: Option<&Timestamp>) -> Option<String> {
    value.map(|t| t.raw().to_owned())
}

fn flag(value: Option<bool>) -> Option<String> {
    value.map(|v| v.to_string())
}

macro_rules! fields {
    ($( $name:literal, $header:literal, $time:literal, $numeric:literal,
        |$b:ident| $raw:expr; )+) => {
        /// Every field `--fields` accepts, in a sensible reading order.
        pub const FIELDS: &[Field] = &[
            $( Field {
                name: $name, header: $header, raw: |$b| $raw, time: $time, numeric: $numeric,
            }, )+
        ];
    };
}

fields! {
    "id", "ID", false, false, |b| text(b.id.as_deref());
    "name", "NAME", false, false, |b| text(b.name.as_deref());
    "status", "STATUS", false, false, |b| b.status.as_ref().map(ToString::to_string);
    "resource_type", "RESOURCE TYPE", false, false,
        |b| b.resource_type.as_ref().map(ToString::to_string);
    "resource_id", "RESOURCE ID", false, false, |b| text(b.resource_id.as_deref());
    "resource_name", "RESOURCE", false, false, |b| text(b.resource_name.as_deref());
    "resource_az", "ZONE", false, false, |b| text(b.resource_az.as_deref());
    "resource_size", "SIZE (GB)", false, true, |b| b.resource_size.map(|s| s.to_string());
    "vault_id", "VAULT", false, false, |b| text(b.vault_id.as_deref());
    "checkpoint_id", "CHECKPOINT", false, false, |b| text(b.checkpoint_id.as_deref());
    "created_at", "CREATED (UTC)", true, false, |b| time_raw(b.created_at.as_ref());
    "updated_at", "UPDATED (UTC)", true, false, |b| time_raw(b.updated_at.as_ref());
    "protected_at", "PROTECTED (UTC)", true, false, |b| time_raw(b.protected_at.as_ref());
    "expired_at", "EXPIRES (UTC)", true, false, |b| time_raw(b.expired_at.as_ref());
    "image_type", "IMAGE TYPE", false, false, |b| b.image_type.as_ref().map(ToString::to_string);
    "incremental", "INCREMENTAL", false, false, |b| flag(b.incremental);
    "parent_id", "PARENT", false, false, |b| text(b.parent_id.as_deref());
    "children", "CHILDREN", false, true, |b| b.children.as_ref().map(|c| c.len().to_string());
    "project_id", "PROJECT", false, false, |b| text(b.project_id.as_deref());
    "provider_id", "PROVIDER", false, false, |b| text(b.provider_id.as_deref());
    "enterprise_project_id", "ENTERPRISE PROJECT", false, false,
        |b| text(b.enterprise_project_id.as_deref());
    "description", "DESCRIPTION", false, false, |b| text(b.description.as_deref());
}

/// The table's columns unless `--fields` says otherwise.
pub const TABLE_FIELDS: &str = "id,name,resource_type,status,resource_size,created_at,vault_id";

/// The csv columns unless `--fields` says otherwise: every field.
#[must_use]
pub fn all_fields() -> Vec<&'static Field> {
    FIELDS.iter().collect()
}

/// Reads `--fields id,name,…`: known names, in the order given.
pub fn parse_fields(spec: &str) -> Result<Vec<&'static Field>, String> {
    spec.split(',')
        .map(str::trim)
        .map(|name| {
            FIELDS.iter().find(|f| f.name == name).ok_or_else(|| {
                let known: Vec<&str> = FIELDS.iter().map(|f| f.name).collect();
                format!("unknown field {name:?} in --fields; known fields: {}", known.join(", "))
            })
        })
        .collect()
}

/// Writes a backup's JSON on one line: the service's bytes as they are, unless they hold a
/// line break (pretty-printed), in which case they are written compactly.
fn one_line(out: &mut impl Write, backup: &RawBackup) -> io::Result<()> {
    let bytes = backup.bytes();
    if backup.may_span_lines() {
        let value: serde_json::Value = serde_json::from_slice(bytes)?;
        serde_json::to_writer(out, &value)?;
        Ok(())
    } else {
        out.write_all(bytes)
    }
}

/// `{"backups": [...], "count": N}`, streamed: the count is written last.
pub struct JsonWriter<W: Write> {
    out: W,
    written: u64,
}

impl<W: Write> JsonWriter<W> {
    /// A writer onto `out`.
    pub fn new(out: W) -> Self {
        Self { out, written: 0 }
    }
}

impl<W: Write> JsonWriter<W> {
    fn separator(&mut self) -> io::Result<()> {
        self.written += 1;
        self.out.write_all(if self.written == 1 { b"{\"backups\":[\n" } else { b",\n" })
    }
}

impl<W: Write> BackupWriter for JsonWriter<W> {
    fn backup(&mut self, backup: &Backup) -> io::Result<()> {
        self.separator()?;
        serde_json::to_writer(&mut self.out, backup)?;
        Ok(())
    }

    fn wants_raw(&self) -> bool {
        true
    }

    fn raw(&mut self, backup: &RawBackup) -> io::Result<()> {
        self.separator()?;
        one_line(&mut self.out, backup)
    }

    fn finish(&mut self, count: Option<u64>) -> io::Result<()> {
        if self.written == 0 {
            self.out.write_all(b"{\"backups\":[")?;
        } else {
            self.out.write_all(b"\n")?;
        }
        let count = count.map_or_else(|| "null".to_owned(), |c| c.to_string());
        writeln!(self.out, "],\"count\":{count}}}")?;
        self.out.flush()
    }
}

/// One backup object per line.
pub struct NdjsonWriter<W: Write> {
    out: W,
}

impl<W: Write> NdjsonWriter<W> {
    /// A writer onto `out`.
    pub fn new(out: W) -> Self {
        Self { out }
    }
}

impl<W: Write> BackupWriter for NdjsonWriter<W> {
    fn backup(&mut self, backup: &Backup) -> io::Result<()> {
        serde_json::to_writer(&mut self.out, backup)?;
        self.out.write_all(b"\n")
    }

    fn wants_raw(&self) -> bool {
        true
    }

    fn raw(&mut self, backup: &RawBackup) -> io::Result<()> {
        one_line(&mut self.out, backup)?;
        self.out.write_all(b"\n")
    }

    fn finish(&mut self, _count: Option<u64>) -> io::Result<()> {
        self.out.flush()
    }
}

/// RFC 4180 csv with a header row of field names; values exactly as the API sent them.
pub struct CsvWriter<W: Write> {
    out: csv::Writer<W>,
    fields: Vec<&'static Field>,
    header_written: bool,
}

impl<W: Write> CsvWriter<W> {
    /// A writer of `fields` onto `out`.
    pub fn new(out: W, fields: Vec<&'static Field>) -> Self {
        Self { out: csv::Writer::from_writer(out), fields, header_written: false }
    }

    fn header(&mut self) -> io::Result<()> {
        if !self.header_written {
            self.header_written = true;
            self.out.write_record(self.fields.iter().map(|f| f.name)).map_err(csv_io)?;
        }
        Ok(())
    }
}

impl<W: Write> BackupWriter for CsvWriter<W> {
    fn backup(&mut self, backup: &Backup) -> io::Result<()> {
        self.header()?;
        let row = self.fields.iter().map(|f| (f.raw)(backup).unwrap_or_default());
        self.out.write_record(row).map_err(csv_io)?;
        Ok(())
    }

    fn finish(&mut self, _count: Option<u64>) -> io::Result<()> {
        self.header()?;
        self.out.flush()
    }
}

/// The I/O error inside a csv error, so a closed pipe is still recognised as one.
pub fn csv_io(error: csv::Error) -> io::Error {
    match error.into_kind() {
        csv::ErrorKind::Io(error) => error,
        other => io::Error::other(format!("{other:?}")),
    }
}

/// How many rows the table reads before it fixes its column widths.
const TABLE_SAMPLE: usize = 1000;

/// A readable table: times in UTC to the second, sizes in GB, control characters blanked,
/// columns fitted to `width` (the terminal's) by shortening the widest with `…`.
pub struct TableWriter<W: Write> {
    out: W,
    fields: Vec<&'static Field>,
    width: Option<usize>,
    pending: Vec<Vec<String>>,
    widths: Option<Vec<usize>>,
    rows: u64,
}

impl<W: Write> TableWriter<W> {
    /// A writer of `fields` onto `out`, at most `width` columns wide if given.
    pub fn new(out: W, fields: Vec<&'static Field>, width: Option<usize>) -> Self {
        Self { out, fields, width, pending: Vec::new(), widths: None, rows: 0 }
    }

    fn cells(&self, backup: &Backup) -> Vec<String> {
        self.fields
            .iter()
            .map(|field| {
                let raw = (field.raw)(backup);
                let shown = match (&raw, field.time) {
                    (Some(raw), true) => Timestamp::from_raw(raw.as_str())
                        .to_utc()
                        .map_or_else(|| raw.clone(), |t| t.format("%Y-%m-%d %H:%M:%S").to_string()),
                    _ => raw.unwrap_or_else(|| "-".to_owned()),
                };
                shown.chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
            })
            .collect()
    }

    /// Fixes the column widths from the rows read so far, shrinking to fit `self.width`.
    fn fix_widths(&mut self) -> io::Result<()> {
        let mut widths: Vec<usize> = self.fields.iter().map(|f| f.header.chars().count()).collect();
        for row in &self.pending {
            for (width, cell) in widths.iter_mut().zip(row) {
                *width = (*width).max(console::measure_text_width(cell));
            }
        }
        if let Some(limit) = self.width {
            let fits = |widths: &[usize]| {
                widths.iter().sum::<usize>() + 2 * widths.len().saturating_sub(1) <= limit
            };
            // First shorten free text (names, types, ids of other objects), never the backup
            // id, times or numbers, which are copied or compared; then drop the last columns.
            let keep = |field: &Field| {
                matches!(field.name, "id" | "status") || field.time || field.numeric
            };
            while !fits(&widths) {
                let widest = widths
                    .iter()
                    .enumerate()
                    .filter(|(i, w)| !keep(self.fields[*i]) && **w > 8)
                    .max_by_key(|(_, w)| **w)
                    .map(|(i, _)| i);
                match widest {
                    Some(i) => widths[i] -= 1,
                    None => break,
                }
            }
            // Dropped last: what an operator scans a listing for.
            let essential =
                |field: &Field| matches!(field.name, "id" | "name" | "status" | "created_at");
            while !fits(&widths) && self.fields.len() > 1 {
                let drop = (0..self.fields.len())
                    .rev()
                    .find(|i| !essential(self.fields[*i]))
                    .or_else(|| (1..self.fields.len()).next_back())
                    .unwrap_or(0);
                self.fields.remove(drop);
                widths.remove(drop);
                for row in &mut self.pending {
                    row.remove(drop);
                }
            }
        }
        let headers: Vec<String> = self.fields.iter().map(|f| f.header.to_owned()).collect();
        self.widths = Some(widths);
        self.line(&headers)?;
        for row in std::mem::take(&mut self.pending) {
            self.line(&row)?;
        }
        Ok(())
    }

    fn line(&mut self, cells: &[String]) -> io::Result<()> {
        let Some(widths) = &self.widths else { return Ok(()) };
        let numeric: Vec<bool> = self.fields.iter().map(|f| f.numeric).collect();
        writeln!(self.out, "{}", table_line(cells, widths, &numeric))
    }
}

/// One table line: cells padded to `widths` (shortened with `…` if longer), numeric ones
/// aligned right, two spaces apart, no trailing blanks.
pub fn table_line(cells: &[String], widths: &[usize], numeric: &[bool]) -> String {
    let mut line = String::new();
    for (index, ((cell, width), numeric)) in cells.iter().zip(widths).zip(numeric).enumerate() {
        if index > 0 {
            line.push_str("  ");
        }
        let cell = console::truncate_str(cell, *width, "…");
        let pad = width.saturating_sub(console::measure_text_width(&cell));
        if *numeric {
            line.extend(std::iter::repeat_n(' ', pad));
            line.push_str(&cell);
        } else {
            line.push_str(&cell);
            line.extend(std::iter::repeat_n(' ', pad));
        }
    }
    line.trim_end().to_owned()
}

impl<W: Write> BackupWriter for TableWriter<W> {
    fn backup(&mut self, backup: &Backup) -> io::Result<()> {
        let cells = self.cells(backup);
        self.rows += 1;
        if self.widths.is_some() {
            return self.line(&cells);
        }
        self.pending.push(cells);
        if self.pending.len() >= TABLE_SAMPLE {
            self.fix_widths()?;
        }
        Ok(())
    }

    fn finish(&mut self, count: Option<u64>) -> io::Result<()> {
        if self.widths.is_none() {
            self.fix_widths()?;
        }
        match count {
            Some(total) => writeln!(self.out, "{} of {total} backups", self.rows)?,
            None => writeln!(self.out, "{} backups", self.rows)?,
        }
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn backup(name: &str) -> Backup {
        serde_json::from_value(serde_json::json!({
            "id": "62617971-839d-4d23-8dfd-4ca65c039bdf",
            "name": name,
            "status": "available",
            "resource_size": 40,
            "created_at": "2020-08-18T06:00:45.375070",
        }))
        .unwrap_or_default()
    }

    #[test]
    fn csv_quotes_commas_quotes_and_newlines() {
        let fields = parse_fields("id,name,created_at").unwrap_or_default();
        let mut out = Vec::new();
        let mut writer = CsvWriter::new(&mut out, fields);
        writer.backup(&backup("a, \"b\"\nc")).ok();
        writer.finish(None).ok();
        drop(writer);
        let text = String::from_utf8_lossy(&out);
        assert_eq!(
            text,
            "id,name,created_at\n62617971-839d-4d23-8dfd-4ca65c039bdf,\"a, \"\"b\"\"\nc\",\
             2020-08-18T06:00:45.375070\n"
        );
    }

    #[test]
    fn tables_fit_the_width_and_show_times_in_utc() {
        let fields = parse_fields("id,name,resource_size,created_at").unwrap_or_default();
        let mut out = Vec::new();
        let mut writer = TableWriter::new(&mut out, fields, Some(80));
        writer.backup(&backup(&"long name ".repeat(20))).ok();
        writer.finish(Some(1663)).ok();
        drop(writer);
        let text = String::from_utf8_lossy(&out);
        assert!(text.lines().all(|l| console::measure_text_width(l) <= 80), "{text}");
        assert!(text.contains("2020-08-18 06:00:45") && text.contains('…'), "{text}");
        assert!(text.ends_with("1 of 1663 backups\n"), "{text}");
    }

    #[test]
    fn unknown_fields_are_named() {
        let error = parse_fields("id,bogus").err().unwrap_or_default();
        assert!(error.contains("\"bogus\"") && error.contains("--fields"), "{error}");
    }
}

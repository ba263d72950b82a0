//! Output writers: json, ndjson and table, writing backups as they arrive where the format
//! allows it.

use std::io::{self, Write};

use cbr_model::Backup;

/// Writes backups in one format. `begin` and `finish` frame the stream; `count` is the total
/// the service reported.
pub trait BackupWriter {
    /// Writes one backup.
    fn backup(&mut self, backup: &Backup) -> io::Result<()>;
    /// Ends the output.
    fn finish(&mut self, count: Option<u64>) -> io::Result<()>;
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

impl<W: Write> BackupWriter for JsonWriter<W> {
    fn backup(&mut self, backup: &Backup) -> io::Result<()> {
        self.out.write_all(if self.written == 0 { b"{\"backups\":[\n" } else { b",\n" })?;
        serde_json::to_writer(&mut self.out, backup)?;
        self.written += 1;
        Ok(())
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

    fn finish(&mut self, _count: Option<u64>) -> io::Result<()> {
        self.out.flush()
    }
}

/// A table of the key columns; rows are held until the end so columns line up.
pub struct TableWriter<W: Write> {
    out: W,
    rows: Vec<[String; 7]>,
}

const HEADERS: [&str; 7] =
    ["ID", "NAME", "RESOURCE TYPE", "STATUS", "SIZE GB", "CREATED (UTC)", "VAULT"];

impl<W: Write> TableWriter<W> {
    /// A writer onto `out`.
    pub fn new(out: W) -> Self {
        Self { out, rows: Vec::new() }
    }
}

fn cell(value: Option<&str>) -> String {
    value.unwrap_or("-").chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
}

impl<W: Write> BackupWriter for TableWriter<W> {
    fn backup(&mut self, b: &Backup) -> io::Result<()> {
        let created = b.created_at.as_ref().map(|t| match t.to_utc() {
            Some(utc) => utc.format("%Y-%m-%d %H:%M:%S").to_string(),
            None => t.raw().to_owned(),
        });
        self.rows.push([
            cell(b.id.as_deref()),
            cell(b.name.as_deref()),
            cell(b.resource_type.as_ref().map(|t| t.as_str())),
            cell(b.status.as_ref().map(|s| s.as_str())),
            b.resource_size.map_or_else(|| "-".to_owned(), |s| s.to_string()),
            created.unwrap_or_else(|| "-".to_owned()),
            cell(b.vault_id.as_deref()),
        ]);
        Ok(())
    }

    fn finish(&mut self, count: Option<u64>) -> io::Result<()> {
        let mut widths = HEADERS.map(|h| h.chars().count());
        for row in &self.rows {
            for (width, value) in widths.iter_mut().zip(row) {
                *width = (*width).max(value.chars().count());
            }
        }
        let headers = HEADERS.map(str::to_owned);
        for row in std::iter::once(&headers).chain(&self.rows) {
            let mut line = String::new();
            for (index, (value, width)) in row.iter().zip(widths).enumerate() {
                if index > 0 {
                    line.push_str("  ");
                }
                let pad = width - value.chars().count();
                if index == 4 {
                    line.extend(std::iter::repeat_n(' ', pad));
                    line.push_str(value);
                } else {
                    line.push_str(value);
                    line.extend(std::iter::repeat_n(' ', pad));
                }
            }
            writeln!(self.out, "{}", line.trim_end())?;
        }
        let shown = self.rows.len();
        match count {
            Some(total) => writeln!(self.out, "{shown} of {total} backups")?,
            None => writeln!(self.out, "{shown} backups")?,
        }
        self.out.flush()
    }
}

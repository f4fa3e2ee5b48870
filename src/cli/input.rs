//! Reading tickets: a `.json` array, JSON lines from a file, or `-` for JSON lines on stdin.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;

/// One ticket's JSON text, or why that item could not be read as text at all.
pub(crate) enum Item {
    Json(String),
}

/// Where tickets come from.
pub(crate) enum Source {
    /// JSON lines (a file or stdin), read in chunks so huge files stream.
    Lines(Box<dyn BufRead>),
    /// A `.json` array, already split into items.
    Array(std::vec::IntoIter<Item>),
}

pub(crate) fn open(path: &str) -> Result<Source, String> {
    if path == "-" {
        return Ok(Source::Lines(Box::new(BufReader::with_capacity(
            1 << 20,
            std::io::stdin(),
        ))));
    }
    let file = std::fs::File::open(path).map_err(|e| format!("cannot read `{path}`: {e}"))?;
    if Path::new(path)
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"))
    {
        let mut text = String::new();
        BufReader::new(file)
            .read_to_string(&mut text)
            .map_err(|e| format!("cannot read `{path}`: {e}"))?;
        let items: Vec<serde_json::Value> =
            serde_json::from_str(&text).map_err(|e| not_an_array(path, &e))?;
        let items: Vec<Item> = items
            .into_iter()
            .map(|v| Item::Json(v.to_string()))
            .collect();
        return Ok(Source::Array(items.into_iter()));
    }
    Ok(Source::Lines(Box::new(BufReader::with_capacity(
        1 << 20,
        file,
    ))))
}

impl Source {
    /// Up to `n` more tickets; empty at the end. Blank lines are skipped.
    pub(crate) fn next_chunk(&mut self, n: usize) -> Result<Vec<String>, String> {
        let mut out = Vec::with_capacity(n.min(4096));
        match self {
            Source::Array(items) => {
                for Item::Json(s) in items.by_ref().take(n) {
                    out.push(s);
                }
            }
            Source::Lines(reader) => {
                while out.len() < n {
                    let mut line = String::new();
                    let read = reader
                        .read_line(&mut line)
                        .map_err(|e| format!("cannot read tickets: {e}"))?;
                    if read == 0 {
                        break;
                    }
                    if !line.trim().is_empty() {
                        out.push(line);
                    }
                }
            }
        }
        Ok(out)
    }
}

/// Says where the array is broken, but not serde's full message: that may quote a value from
/// the file, and a value may be personal data.
fn not_an_array(path: &str, e: &serde_json::Error) -> String {
    let what = match e.classify() {
        serde_json::error::Category::Syntax => "a syntax error",
        serde_json::error::Category::Eof => "an unexpected end",
        serde_json::error::Category::Data => "a value that is not an array",
        serde_json::error::Category::Io => "a read error",
    };
    format!(
        "`{path}` is not a JSON array of tickets: {what} at line {} column {}",
        e.line(),
        e.column()
    )
}

//! Reading tickets: a `.json` array, JSON lines from a file, or `-` for JSON lines on stdin.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;

/// One ticket's JSON text, or why that item could not be read as text at all.
pub(crate) enum Item {
    Json(String),
    /// A line that is not a ticket's text: too long, or not UTF-8. It gets its own error line
    /// and the run goes on, like any other bad ticket.
    Unreadable(String),
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
    /// Up to `n` more tickets; empty at the end. Blank lines are skipped. A line longer than
    /// `max_bytes` is skipped over, not read into memory.
    pub(crate) fn next_chunk(&mut self, n: usize, max_bytes: usize) -> Result<Vec<Item>, String> {
        let mut out = Vec::with_capacity(n.min(4096));
        match self {
            Source::Array(items) => out.extend(items.by_ref().take(n)),
            Source::Lines(reader) => {
                while out.len() < n {
                    let Some(item) = read_line(reader.as_mut(), max_bytes)
                        .map_err(|e| format!("cannot read tickets: {e}"))?
                    else {
                        break;
                    };
                    if !matches!(&item, Item::Json(line) if line.trim().is_empty()) {
                        out.push(item);
                    }
                }
            }
        }
        Ok(out)
    }
}

impl Source {
    /// [`Source::next_chunk`] split into the tickets' texts and the reasons of the lines that
    /// could not be read as text, for commands that count rather than print per line.
    pub(crate) fn next_texts(
        &mut self,
        n: usize,
        max_bytes: usize,
    ) -> Result<(Vec<String>, Vec<String>), String> {
        let mut texts = Vec::new();
        let mut unreadable = Vec::new();
        for item in self.next_chunk(n, max_bytes)? {
            match item {
                Item::Json(text) => texts.push(text),
                Item::Unreadable(why) => unreadable.push(why),
            }
        }
        Ok((texts, unreadable))
    }
}

/// Reads one line (without its line break), keeping at most `max_bytes` of it; `None` at the
/// end of the input.
fn read_line(reader: &mut dyn BufRead, max_bytes: usize) -> std::io::Result<Option<Item>> {
    let mut line = Vec::new();
    let mut length = 0usize;
    let mut read_any = false;
    loop {
        let available = reader.fill_buf()?;
        if available.is_empty() {
            break;
        }
        read_any = true;
        let (part, end_of_line) = match available.iter().position(|&b| b == b'\n') {
            Some(i) => (available.get(..i).unwrap_or_default(), true),
            None => (available, false),
        };
        length = length.saturating_add(part.len());
        let room = (max_bytes.saturating_add(1)).saturating_sub(line.len());
        line.extend_from_slice(part.get(..part.len().min(room)).unwrap_or_default());
        let used = part.len() + usize::from(end_of_line);
        reader.consume(used);
        if end_of_line {
            break;
        }
    }
    if !read_any {
        return Ok(None);
    }
    if line.last() == Some(&b'\r') {
        line.pop();
        length -= 1;
    }
    if length > max_bytes {
        return Ok(Some(Item::Unreadable(format!(
            "the ticket is {length} bytes of JSON; the limit is {max_bytes} bytes (max_ticket_bytes)"
        ))));
    }
    Ok(Some(match String::from_utf8(line) {
        Ok(text) => Item::Json(text),
        Err(_) => Item::Unreadable("the line is not UTF-8 text".to_string()),
    }))
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

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
    Lines(Box<dyn BufRead + Send>),
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
        // A byte-order mark before the array is skipped, as before a ticket.
        let body = text.strip_prefix('\u{feff}').unwrap_or(&text);
        let items: Vec<serde_json::Value> =
            serde_json::from_str(body).map_err(|e| not_an_array(path, &e))?;
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
    Ok(Some(match line_text(&line, length, max_bytes) {
        Ok(text) => Item::Json(text.to_string()),
        Err(why) => Item::Unreadable(why),
    }))
}

/// A line's text without a trailing `\r`, or why the line is not a ticket's text. `line` holds
/// the line's first bytes (all of them, or at least `max_bytes + 1` when it is longer) and
/// `length` counts all of its bytes; neither includes the line break.
pub(crate) fn line_text(line: &[u8], length: usize, max_bytes: usize) -> Result<&str, String> {
    let kept = line
        .get(..line.len().min(max_bytes.saturating_add(1)))
        .unwrap_or(line);
    let (kept, length) = match kept.strip_suffix(b"\r") {
        Some(kept) => (kept, length.saturating_sub(1)),
        None => (kept, length),
    };
    if length > max_bytes {
        return Err(format!(
            "the ticket is {length} bytes of JSON; the limit is {max_bytes} bytes (max_ticket_bytes)"
        ));
    }
    std::str::from_utf8(kept).map_err(|_| "the line is not UTF-8 text".to_string())
}

/// The lines of a batch read by [`Source::next_batch`], in order: each one's text, or why it is
/// not a ticket's text. Blank lines are left out.
pub(crate) fn batch_texts(
    lines: &[u8],
    max_bytes: usize,
) -> impl Iterator<Item = Result<&str, String>> {
    split_lines(lines)
        .map(move |line| line_text(line, line.len(), max_bytes))
        .filter(|text| !matches!(text, Ok(text) if text.trim().is_empty()))
}

/// `bytes` split at line breaks, like `split(|&b| b == b'\n')`, but looking at eight bytes at
/// a time: batches are megabytes of lines.
fn split_lines(bytes: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = Some(bytes);
    std::iter::from_fn(move || {
        let text = rest?;
        match find_newline(text) {
            Some(i) => {
                rest = text.get(i + 1..);
                text.get(..i)
            }
            None => {
                rest = None;
                Some(text)
            }
        }
    })
}

/// The first `\n` in `bytes`. `memchr` (SIMD, already built for aho-corasick and regex)
/// replaces a word-at-a-time loop; benches/hand_written.rs, group a, compares the two.
fn find_newline(bytes: &[u8]) -> Option<usize> {
    memchr::memchr(b'\n', bytes)
}

/// Tickets per batch read from a `.json` array.
const ARRAY_BATCH: usize = 1024;

impl Source {
    /// Reads the next batch for `aftercare eval`: whole lines, about `block` bytes of them,
    /// appended to `lines` (line breaks included, to be split by the worker that evaluates
    /// them), then in `items` a line too long to keep, or tickets from a `.json` array. Both
    /// stay empty at the end of the input. A line longer than `max_bytes` is skipped over,
    /// not read into memory.
    pub(crate) fn next_batch(
        &mut self,
        block: usize,
        max_bytes: usize,
        lines: &mut Vec<u8>,
        items: &mut Vec<Item>,
    ) -> Result<(), String> {
        match self {
            Source::Array(all) => items.extend(all.by_ref().take(ARRAY_BATCH)),
            Source::Lines(reader) => {
                if let Some(long) = read_block(reader.as_mut(), block, max_bytes, lines)
                    .map_err(|e| format!("cannot read tickets: {e}"))?
                {
                    items.push(long);
                }
            }
        }
        Ok(())
    }
}

/// Appends whole lines to `lines` until it holds about `block` bytes or the input ends. A line
/// that grows past `max_bytes + 1` bytes is not kept: the rest of it is skipped and returned
/// as an [`Item::Unreadable`], after the lines before it.
fn read_block(
    reader: &mut dyn BufRead,
    block: usize,
    max_bytes: usize,
    lines: &mut Vec<u8>,
) -> std::io::Result<Option<Item>> {
    // Where the line being read begins in `lines`.
    let mut line_start = lines.len();
    let keep = max_bytes.saturating_add(1);
    loop {
        let available = reader.fill_buf()?;
        if available.is_empty() {
            return Ok(None);
        }
        let room = block.saturating_sub(lines.len());
        // Take everything that fits, ending at a line break when one is near the end of the
        // room, or else up to the first line break past it.
        let (take, full) = if available.len() <= room {
            (available.len(), false)
        } else {
            let head = available.get(..room).unwrap_or_default();
            match head.iter().rposition(|&b| b == b'\n') {
                Some(i) => (i + 1, true),
                None => match available.iter().skip(room).position(|&b| b == b'\n') {
                    Some(i) => (room + i + 1, true),
                    None => (available.len(), false),
                },
            }
        };
        let part = available.get(..take).unwrap_or_default();
        if let Some(i) = part.iter().rposition(|&b| b == b'\n') {
            line_start = lines.len() + i + 1;
        }
        lines.extend_from_slice(part);
        reader.consume(take);
        let partial = lines.len() - line_start;
        if partial > keep {
            // Keep the line's first bytes for its error, then skip to its end.
            let long: Vec<u8> = lines
                .get(line_start..)
                .unwrap_or_default()
                .iter()
                .take(keep)
                .copied()
                .collect();
            lines.truncate(line_start);
            let length = partial.saturating_add(skip_line(reader)?);
            return Ok(Some(match line_text(&long, length, max_bytes) {
                Ok(text) => Item::Json(text.to_string()),
                Err(why) => Item::Unreadable(why),
            }));
        }
        if full {
            return Ok(None);
        }
    }
}

/// Skips to the end of the current line; returns how many bytes it had before its break.
fn skip_line(reader: &mut dyn BufRead) -> std::io::Result<usize> {
    let mut length = 0usize;
    loop {
        let available = reader.fill_buf()?;
        if available.is_empty() {
            return Ok(length);
        }
        match available.iter().position(|&b| b == b'\n') {
            Some(i) => {
                reader.consume(i + 1);
                return Ok(length.saturating_add(i));
            }
            None => {
                let n = available.len();
                length = length.saturating_add(n);
                reader.consume(n);
            }
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// What `next_chunk` reads, one line at a time: the reference for `next_batch`.
    fn by_line(input: &[u8], max_bytes: usize) -> Vec<Result<String, String>> {
        let mut source = Source::Lines(Box::new(std::io::Cursor::new(input.to_vec())));
        let mut out = Vec::new();
        loop {
            let chunk = source.next_chunk(3, max_bytes).unwrap();
            if chunk.is_empty() {
                return out;
            }
            out.extend(chunk.into_iter().map(|item| match item {
                Item::Json(text) => Ok(text),
                Item::Unreadable(why) => Err(why),
            }));
        }
    }

    /// What `next_batch` reads, with a small read buffer so that lines cross its refills.
    fn by_batch(input: &[u8], block: usize, max_bytes: usize) -> Vec<Result<String, String>> {
        let reader = std::io::BufReader::with_capacity(5, std::io::Cursor::new(input.to_vec()));
        let mut source = Source::Lines(Box::new(reader));
        let mut out = Vec::new();
        loop {
            let (mut lines, mut items) = (Vec::new(), Vec::new());
            source
                .next_batch(block, max_bytes, &mut lines, &mut items)
                .unwrap();
            if lines.is_empty() && items.is_empty() {
                return out;
            }
            assert!(
                lines.is_empty() || lines.ends_with(b"\n") || items.is_empty(),
                "a batch ends at a line break unless the input ends"
            );
            out.extend(batch_texts(&lines, max_bytes).map(|t| t.map(str::to_string)));
            out.extend(items.into_iter().map(|item| match item {
                Item::Json(text) => Ok(text),
                Item::Unreadable(why) => Err(why),
            }));
        }
    }

    #[test]
    fn lines_split_at_every_line_break() {
        let mut bytes = Vec::new();
        for n in 0..40 {
            bytes.extend(std::iter::repeat_n(b'x', n % 11));
            bytes.push(if n % 7 == 3 { 0x8a } else { b'\n' });
            bytes.extend(if n % 5 == 0 { &b"\n\n"[..] } else { &b""[..] });
        }
        for start in 0..bytes.len() {
            let text = &bytes[start..];
            let want: Vec<&[u8]> = text.split(|&b| b == b'\n').collect();
            assert_eq!(split_lines(text).collect::<Vec<_>>(), want);
        }
    }

    #[test]
    fn batches_read_what_single_lines_read() {
        let pieces: [&[u8]; 10] = [
            b"{\"id\":1}",
            b"",
            b"   ",
            b"\r",
            b"caf\xe9",
            b"0123456789abcdef",
            b"0123456789abcdef0123456789\r",
            b"0123456789\r",
            b"\xe7\x8e\x8b\xe5\xb0\x8f\xe6\x98\x8e",
            b"012345678901234567890123456789012345678901234567890123456789",
        ];
        // A fixed pseudo-random walk over line mixes, endings and sizes.
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = |n: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % n as u64) as usize
        };
        for round in 0..2000 {
            let mut input = Vec::new();
            for _ in 0..next(12) {
                input.extend_from_slice(pieces[next(pieces.len())]);
                input.push(b'\n');
            }
            if round % 3 == 0 {
                input.extend_from_slice(pieces[next(pieces.len())]);
            }
            let max_bytes = [0, 1, 9, 10, 11, 16, 27, 100][next(8)];
            let block = [1, 2, 7, 16, 40, 1000][next(6)];
            assert_eq!(
                by_batch(&input, block, max_bytes),
                by_line(&input, max_bytes),
                "input {:?}, block {block}, max_bytes {max_bytes}",
                String::from_utf8_lossy(&input)
            );
        }
    }
}

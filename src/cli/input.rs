//! Reading tickets: a `.json` array, JSON lines from a file, or `-` for JSON lines on stdin.

use std::io::{BufRead, BufReader};
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
    /// A `.json` array, read one element at a time.
    Array(ArrayReader),
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
        let mut array = ArrayReader::new(Box::new(BufReader::with_capacity(1 << 20, file)));
        array.start().map_err(|why| match why {
            Start::Io(e) => format!("cannot read `{path}`: {e}"),
            Start::NotAnArray(what) => {
                format!("`{path}` is not a JSON array of tickets: {what}")
            }
        })?;
        return Ok(Source::Array(array));
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
            Source::Array(array) => {
                while out.len() < n {
                    match array
                        .next_item(max_bytes)
                        .map_err(|e| format!("cannot read tickets: {e}"))?
                    {
                        Some(item) => out.push(item),
                        None => break,
                    }
                }
            }
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
            Source::Array(array) => {
                // About `block` bytes of tickets, as for JSON lines, and no more than
                // ARRAY_BATCH of them.
                let mut bytes = 0usize;
                while items.len() < ARRAY_BATCH && bytes < block {
                    match array
                        .next_item(max_bytes)
                        .map_err(|e| format!("cannot read tickets: {e}"))?
                    {
                        Some(item) => {
                            bytes += match &item {
                                Item::Json(text) => text.len(),
                                Item::Unreadable(why) => why.len(),
                            };
                            items.push(item);
                        }
                        None => break,
                    }
                }
            }
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

/// Why a `.json` file is not read at all.
pub(crate) enum Start {
    Io(std::io::Error),
    /// What it holds instead of an array (never a value from it: it may be personal data).
    NotAnArray(&'static str),
}

/// Where an [`ArrayReader`] is in its array.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum At {
    /// Before the opening `[`.
    Start,
    /// Before an element (or the closing `]` of an empty array).
    First,
    /// After a comma: an element must follow.
    AfterComma,
    /// After the closing `]`: only white space may follow.
    End,
    /// Everything has been read (or said).
    Done,
}

/// Reads a JSON array one element at a time, so that memory holds one ticket (at most
/// `max_bytes + 1` bytes of it), never the whole array: a million tickets took 5 GB read
/// whole, and a 500 MB element was read before its size was checked.
///
/// Elements are split by structure alone: brackets and braces outside strings, and strings
/// with their escapes. Each element's text is then parsed as a ticket like a JSON line, so a
/// bad element is an error for that element and the run goes on. serde_json cannot do this
/// split itself: its sequence reader stops at the first malformed element and reads an
/// element whole before anyone can check its size. benches/hand_written.rs (group
/// `json_array`) compares this with serde_json reading the whole array.
pub(crate) struct ArrayReader {
    reader: Box<dyn BufRead + Send>,
    at: At,
}

impl ArrayReader {
    pub(crate) fn new(reader: Box<dyn BufRead + Send>) -> ArrayReader {
        ArrayReader {
            reader,
            at: At::Start,
        }
    }

    /// Reads up to the opening `[` (after a byte-order mark and white space).
    pub(crate) fn start(&mut self) -> Result<(), Start> {
        let reader = self.reader.as_mut();
        let available = reader.fill_buf().map_err(Start::Io)?;
        if available.starts_with("\u{feff}".as_bytes()) {
            reader.consume(3);
        }
        match skip_space(reader).map_err(Start::Io)? {
            Some(b'[') => {
                reader.consume(1);
                self.at = At::First;
                Ok(())
            }
            Some(_) => Err(Start::NotAnArray("it does not begin with `[`")),
            None => Err(Start::NotAnArray("it is empty")),
        }
    }

    /// The next element, or what is wrong where an element should be; `None` after the
    /// array (and anything wrong after it).
    pub(crate) fn next_item(&mut self, max_bytes: usize) -> std::io::Result<Option<Item>> {
        let reader = self.reader.as_mut();
        match self.at {
            At::Start | At::Done => return Ok(None),
            At::End => {
                self.at = At::Done;
                return Ok(skip_space(reader)?
                    .map(|_| Item::Unreadable("text after the end of the array".to_string())));
            }
            At::First | At::AfterComma => {}
        }
        match skip_space(reader)? {
            None => {
                self.at = At::Done;
                return Ok(Some(Item::Unreadable(
                    "the array ends without `]`".to_string(),
                )));
            }
            Some(b']') => {
                reader.consume(1);
                let trailing = self.at == At::AfterComma;
                self.at = At::End;
                if trailing {
                    return Ok(Some(Item::Unreadable(
                        "a comma before `]` (an empty element)".to_string(),
                    )));
                }
                return self.next_item(max_bytes);
            }
            Some(b',') => {
                reader.consume(1);
                self.at = At::AfterComma;
                return Ok(Some(Item::Unreadable("an empty element".to_string())));
            }
            Some(_) => {}
        }
        let (kept, length, end) = read_element(reader, max_bytes)?;
        self.at = match end {
            Some(b']') => At::End,
            Some(_) => At::AfterComma,
            None => At::Done,
        };
        let kept = kept.trim_ascii_end();
        Ok(Some(match line_text(kept, length, max_bytes) {
            Ok(text) if end.is_some() => Item::Json(text.to_string()),
            // Cut off by the end of the file: no ticket, whatever it began with.
            Ok(_) => Item::Unreadable("the array ends inside an element, without `]`".into()),
            Err(why) => Item::Unreadable(why),
        }))
    }
}

/// Skips white space; the next byte, not consumed, or `None` at the end of the input.
fn skip_space(reader: &mut dyn BufRead) -> std::io::Result<Option<u8>> {
    loop {
        let available = reader.fill_buf()?;
        if available.is_empty() {
            return Ok(None);
        }
        match available.iter().position(|b| !b.is_ascii_whitespace()) {
            Some(i) => {
                let byte = available.get(i).copied();
                reader.consume(i);
                return Ok(byte);
            }
            None => {
                let n = available.len();
                reader.consume(n);
            }
        }
    }
}

/// Reads one element up to the comma or `]` that ends it at its own level (consumed, and
/// returned; `None` at the end of the input). Returns the element's first `max_bytes + 1`
/// bytes and its length, white space before its end left out of the length (as it is from a
/// ticket's line).
fn read_element(
    reader: &mut dyn BufRead,
    max_bytes: usize,
) -> std::io::Result<(Vec<u8>, usize, Option<u8>)> {
    let keep = max_bytes.saturating_add(1);
    let mut kept = Vec::new();
    let mut length = 0usize;
    // White space at the end of what was read so far.
    let mut space = 0usize;
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    loop {
        let available = reader.fill_buf()?;
        if available.is_empty() {
            return Ok((kept, length - space, None));
        }
        let mut end = None;
        let mut i = 0;
        while let Some(&b) = available.get(i) {
            if in_string {
                // Most of a ticket is string content: jump to the next quote or backslash.
                if escaped {
                    escaped = false;
                } else {
                    match memchr::memchr2(b'"', b'\\', available.get(i..).unwrap_or_default()) {
                        Some(j) => {
                            i += j;
                            if available.get(i) == Some(&b'"') {
                                in_string = false;
                            } else {
                                escaped = true;
                            }
                        }
                        None => {
                            i = available.len();
                            break;
                        }
                    }
                }
                i += 1;
                continue;
            }
            match b {
                b'"' => in_string = true,
                b'{' | b'[' => depth += 1,
                b'}' | b']' if depth > 0 => depth -= 1,
                b']' | b',' if depth == 0 => {
                    end = Some(b);
                    break;
                }
                _ => {}
            }
            i += 1;
        }
        let part = available.get(..i).unwrap_or_default();
        length = length.saturating_add(part.len());
        space = match part.iter().rposition(|b| !b.is_ascii_whitespace()) {
            Some(last) => part.len() - last - 1,
            None => space + part.len(),
        };
        let room = keep.saturating_sub(kept.len());
        kept.extend_from_slice(part.get(..part.len().min(room)).unwrap_or_default());
        match end {
            Some(b) => {
                reader.consume(i + 1);
                return Ok((kept, length - space, Some(b)));
            }
            None => {
                let n = available.len();
                reader.consume(n);
            }
        }
    }
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

    /// Every item an array reader gives, as text or the reason it is no ticket.
    fn elements(input: &[u8], max_bytes: usize) -> Vec<Result<String, String>> {
        let reader = std::io::BufReader::with_capacity(3, std::io::Cursor::new(input.to_vec()));
        let mut array = ArrayReader::new(Box::new(reader));
        if array.start().is_err() {
            return vec![Err("not an array".into())];
        }
        let mut out = Vec::new();
        while let Some(item) = array.next_item(max_bytes).unwrap() {
            out.push(match item {
                Item::Json(text) => Ok(text),
                Item::Unreadable(why) => Err(why),
            });
        }
        out
    }

    #[test]
    fn array_elements_are_split_by_structure() {
        let input = "\u{feff}".to_string()
            + r#" [ {"id": "a,]}", "x": [1, {"y": "\"]"}]},
            {"id": "b\\"} , "not a ticket", 7,{"id":"c"}
        ]  "#;
        let got = elements(input.as_bytes(), 1000);
        assert_eq!(
            got,
            vec![
                Ok(r#"{"id": "a,]}", "x": [1, {"y": "\"]"}]}"#.to_string()),
                Ok(r#"{"id": "b\\"}"#.to_string()),
                Ok(r#""not a ticket""#.to_string()),
                Ok("7".to_string()),
                Ok(r#"{"id":"c"}"#.to_string()),
            ]
        );
        assert_eq!(elements(b"[]", 10), vec![]);
        assert_eq!(elements(b" [ \n ] \n", 10), vec![]);
        assert_eq!(elements(b"{}", 10), vec![Err("not an array".to_string())]);
        assert_eq!(elements(b"", 10), vec![Err("not an array".to_string())]);
    }

    #[test]
    fn a_bad_element_is_its_own_error_and_the_array_goes_on() {
        let got = elements(br#"[{"id": 1,}, , {"id": 2} {"id": 3}, {"id": 4}, ]"#, 1000);
        assert_eq!(
            got,
            vec![
                Ok(r#"{"id": 1,}"#.to_string()),
                Err("an empty element".to_string()),
                Ok(r#"{"id": 2} {"id": 3}"#.to_string()),
                Ok(r#"{"id": 4}"#.to_string()),
                Err("a comma before `]` (an empty element)".to_string()),
            ]
        );
        assert_eq!(
            elements(br#"[{"id": 1}] x"#, 1000),
            vec![
                Ok(r#"{"id": 1}"#.to_string()),
                Err("text after the end of the array".to_string())
            ]
        );
        assert_eq!(
            elements(br#"[{"id": 1}, {"id": "#, 1000),
            vec![
                Ok(r#"{"id": 1}"#.to_string()),
                Err("the array ends inside an element, without `]`".to_string())
            ]
        );
        assert_eq!(
            elements(br#"[{"id": 1},"#, 1000),
            vec![
                Ok(r#"{"id": 1}"#.to_string()),
                Err("the array ends without `]`".to_string())
            ]
        );
    }

    #[test]
    fn an_oversize_element_is_measured_not_kept() {
        let big = format!(r#"{{"id": "{}"}}"#, "x".repeat(100));
        let input = format!("[{big}, {{\"id\": 2}}]");
        let got = elements(input.as_bytes(), 50);
        assert_eq!(
            got,
            vec![
                Err(format!(
                    "the ticket is {} bytes of JSON; the limit is 50 bytes (max_ticket_bytes)",
                    big.len()
                )),
                Ok(r#"{"id": 2}"#.to_string()),
            ]
        );
        // At the limit exactly, with white space around it, the element is read.
        let input = format!("[ \n{big}\n , 1]");
        assert_eq!(elements(input.as_bytes(), big.len())[0], Ok(big.clone()));
    }

    #[test]
    fn valid_arrays_split_as_serde_json_reads_them() {
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = |n: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % n as u64) as usize
        };
        let atoms = [
            r#""a""#,
            r#""[,]""#,
            r#""\"""#,
            r#""\\""#,
            r#""\u005d""#,
            "1",
            "-2.5e3",
            "true",
            "null",
            "[]",
            "{}",
            r#""王小明""#,
        ];
        fn value(next: &mut dyn FnMut(usize) -> usize, atoms: &[&str], depth: usize) -> String {
            match if depth > 3 { 0 } else { next(3) } {
                0 => atoms[next(atoms.len())].to_string(),
                1 => {
                    let items: Vec<String> = (0..next(4))
                        .map(|_| value(next, atoms, depth + 1))
                        .collect();
                    format!("[{}]", items.join(if next(2) == 0 { "," } else { " ,\n " }))
                }
                _ => {
                    let items: Vec<String> = (0..next(4))
                        .map(|i| format!("\"k{i}\": {}", value(next, atoms, depth + 1)))
                        .collect();
                    format!("{{{}}}", items.join(", "))
                }
            }
        }
        for _ in 0..500 {
            let items: Vec<String> = (0..next(6)).map(|_| value(&mut next, &atoms, 0)).collect();
            let input = format!("[{}]", items.join(if next(2) == 0 { "," } else { ",\n  " }));
            let want: Vec<serde_json::Value> = serde_json::from_str(&input).unwrap();
            let got: Vec<serde_json::Value> = elements(input.as_bytes(), 10_000)
                .into_iter()
                .map(|t| serde_json::from_str(&t.unwrap()).unwrap())
                .collect();
            assert_eq!(got, want, "{input}");
        }
    }
}

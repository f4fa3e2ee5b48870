//! JSON lines out: a compact JSON serializer for decisions, byte for byte what
//! `serde_json::to_writer` writes, and the error line.
//!
//! Bulk runs print more JSON than they read, and serde_json scans every string, keys
//! included, one byte at a time for characters to escape. This writer checks eight bytes at a
//! time and copies strings that need no escape whole. Leaves that are rare in decisions
//! (floats, chars, bytes, strings that need escapes) are handed to serde_json itself; shapes
//! it does not support (maps with keys that are not strings) are refused, and the caller then
//! serializes the whole value with serde_json.

use std::fmt;

use serde::ser::{self, Serialize};

use crate::ticket::TicketError;

/// Appends `{"ticket": ID, "error": "…"}` to `out`.
pub(crate) fn write_error_line(e: &TicketError, out: &mut Vec<u8>) {
    let start = out.len();
    if serde_json::to_writer(&mut *out, e).is_err() {
        out.truncate(start);
        out.extend_from_slice(br#"{"ticket":null,"error":"unprintable error"}"#);
    }
}

/// Appends `value` as compact JSON to `out`; on `Err`, `out` may hold part of it.
pub(crate) fn to_vec<T: Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) -> Result<(), Refused> {
    value.serialize(Compact(out))
}

/// The value has a shape this writer leaves to serde_json.
#[derive(Debug)]
pub(crate) struct Refused;

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("left to serde_json")
    }
}

impl std::error::Error for Refused {}

impl ser::Error for Refused {
    fn custom<T: fmt::Display>(_: T) -> Self {
        Refused
    }
}

/// A leaf written by serde_json: the same bytes by construction.
fn by_serde_json<T: Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) -> Result<(), Refused> {
    serde_json::to_writer(out, value).map_err(|_| Refused)
}

fn string(out: &mut Vec<u8>, s: &str) -> Result<(), Refused> {
    if needs_escape(s.as_bytes()) {
        return by_serde_json(out, s);
    }
    out.reserve(s.len() + 2);
    out.push(b'"');
    out.extend_from_slice(s.as_bytes());
    out.push(b'"');
    Ok(())
}

/// Whether JSON needs any byte of `bytes` escaped: a control character, `"` or `\`.
fn needs_escape(bytes: &[u8]) -> bool {
    let mut words = bytes.chunks_exact(8);
    for word in &mut words {
        if word_needs_escape(u64::from_le_bytes(word.try_into().unwrap_or([0; 8]))) {
            return true;
        }
    }
    let rest = words.remainder();
    if rest.is_empty() {
        return false;
    }
    // The last few bytes as one more word: the last eight bytes when there are that many,
    // else the bytes padded with a letter, assembled in a register (a word read back from
    // bytes just stored would stall).
    if let Some(tail) = bytes.len().checked_sub(8).and_then(|at| bytes.get(at..)) {
        return word_needs_escape(u64::from_le_bytes(tail.try_into().unwrap_or([0; 8])));
    }
    let mut w = u64::from_le_bytes([b'a'; 8]);
    for (i, &b) in rest.iter().enumerate() {
        let shift = 8 * i;
        w = (w & !(0xff << shift)) | (u64::from(b) << shift);
    }
    word_needs_escape(w)
}

fn word_needs_escape(w: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // Whether some byte of `w` is below `n` (exact for n <= 128; bytes >= 0x80 never count).
    let has_less = |w: u64, n: u8| w.wrapping_sub(ONES * u64::from(n)) & !w & HIGH != 0;
    let has = |w: u64, b: u8| has_less(w ^ (ONES * u64::from(b)), 1);
    has_less(w, 0x20) || has(w, b'"') || has(w, b'\\')
}

fn unsigned(out: &mut Vec<u8>, n: u64) {
    let mut digits = [0u8; 20];
    let mut start = digits.len();
    let mut rest = n;
    for slot in digits.iter_mut().rev() {
        *slot = b'0' + (rest % 10) as u8;
        start -= 1;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    out.extend_from_slice(digits.get(start..).unwrap_or_default());
}

fn signed(out: &mut Vec<u8>, n: i64) {
    if n < 0 {
        out.push(b'-');
    }
    unsigned(out, n.unsigned_abs());
}

struct Compact<'o>(&'o mut Vec<u8>);

/// An array or object being written; `first` until its first member.
struct Compound<'o> {
    out: &'o mut Vec<u8>,
    first: bool,
    /// What closes it: `]`, `}`, or `]}` / `}}` for an enum variant's content.
    close: &'static [u8],
}

impl Compound<'_> {
    fn separate(&mut self) {
        if !self.first {
            self.out.push(b',');
        }
        self.first = false;
    }

    fn element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Refused> {
        self.separate();
        value.serialize(Compact(self.out))
    }

    fn field<T: Serialize + ?Sized>(&mut self, key: &str, value: &T) -> Result<(), Refused> {
        self.separate();
        string(self.out, key)?;
        self.out.push(b':');
        value.serialize(Compact(self.out))
    }

    fn end(self) -> Result<(), Refused> {
        self.out.extend_from_slice(self.close);
        Ok(())
    }
}

impl<'o> Compact<'o> {
    fn open(self, open: &[u8], close: &'static [u8]) -> Compound<'o> {
        self.0.extend_from_slice(open);
        Compound {
            out: self.0,
            first: true,
            close,
        }
    }

    /// `{"variant":` before a variant's content.
    fn variant(
        self,
        variant: &str,
        open: &[u8],
        close: &'static [u8],
    ) -> Result<Compound<'o>, Refused> {
        self.0.push(b'{');
        string(self.0, variant)?;
        self.0.push(b':');
        Ok(self.open(open, close))
    }
}

impl<'o> ser::Serializer for Compact<'o> {
    type Ok = ();
    type Error = Refused;
    type SerializeSeq = Compound<'o>;
    type SerializeTuple = Compound<'o>;
    type SerializeTupleStruct = Compound<'o>;
    type SerializeTupleVariant = Compound<'o>;
    type SerializeMap = Compound<'o>;
    type SerializeStruct = Compound<'o>;
    type SerializeStructVariant = Compound<'o>;

    fn serialize_bool(self, v: bool) -> Result<(), Refused> {
        self.0.extend_from_slice(if v { b"true" } else { b"false" });
        Ok(())
    }
    fn serialize_i8(self, v: i8) -> Result<(), Refused> {
        signed(self.0, v.into());
        Ok(())
    }
    fn serialize_i16(self, v: i16) -> Result<(), Refused> {
        signed(self.0, v.into());
        Ok(())
    }
    fn serialize_i32(self, v: i32) -> Result<(), Refused> {
        signed(self.0, v.into());
        Ok(())
    }
    fn serialize_i64(self, v: i64) -> Result<(), Refused> {
        signed(self.0, v);
        Ok(())
    }
    fn serialize_u8(self, v: u8) -> Result<(), Refused> {
        unsigned(self.0, v.into());
        Ok(())
    }
    fn serialize_u16(self, v: u16) -> Result<(), Refused> {
        unsigned(self.0, v.into());
        Ok(())
    }
    fn serialize_u32(self, v: u32) -> Result<(), Refused> {
        unsigned(self.0, v.into());
        Ok(())
    }
    fn serialize_u64(self, v: u64) -> Result<(), Refused> {
        unsigned(self.0, v);
        Ok(())
    }
    fn serialize_i128(self, v: i128) -> Result<(), Refused> {
        by_serde_json(self.0, &v)
    }
    fn serialize_u128(self, v: u128) -> Result<(), Refused> {
        by_serde_json(self.0, &v)
    }
    fn serialize_f32(self, v: f32) -> Result<(), Refused> {
        by_serde_json(self.0, &v)
    }
    fn serialize_f64(self, v: f64) -> Result<(), Refused> {
        by_serde_json(self.0, &v)
    }
    fn serialize_char(self, v: char) -> Result<(), Refused> {
        by_serde_json(self.0, &v)
    }
    fn serialize_str(self, v: &str) -> Result<(), Refused> {
        string(self.0, v)
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<(), Refused> {
        by_serde_json(self.0, v)
    }
    fn serialize_none(self) -> Result<(), Refused> {
        self.0.extend_from_slice(b"null");
        Ok(())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Refused> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), Refused> {
        self.serialize_none()
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), Refused> {
        self.serialize_none()
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<(), Refused> {
        string(self.0, variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), Refused> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), Refused> {
        self.0.push(b'{');
        string(self.0, variant)?;
        self.0.push(b':');
        value.serialize(Compact(&mut *self.0))?;
        self.0.push(b'}');
        Ok(())
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Compound<'o>, Refused> {
        Ok(self.open(b"[", b"]"))
    }
    fn serialize_tuple(self, _: usize) -> Result<Compound<'o>, Refused> {
        Ok(self.open(b"[", b"]"))
    }
    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Compound<'o>, Refused> {
        Ok(self.open(b"[", b"]"))
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Compound<'o>, Refused> {
        self.variant(variant, b"[", b"]}")
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Compound<'o>, Refused> {
        Ok(self.open(b"{", b"}"))
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Compound<'o>, Refused> {
        Ok(self.open(b"{", b"}"))
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Compound<'o>, Refused> {
        self.variant(variant, b"{", b"}}")
    }
}

impl ser::SerializeSeq for Compound<'_> {
    type Ok = ();
    type Error = Refused;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Refused> {
        self.element(value)
    }
    fn end(self) -> Result<(), Refused> {
        Compound::end(self)
    }
}

impl ser::SerializeTuple for Compound<'_> {
    type Ok = ();
    type Error = Refused;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Refused> {
        self.element(value)
    }
    fn end(self) -> Result<(), Refused> {
        Compound::end(self)
    }
}

impl ser::SerializeTupleStruct for Compound<'_> {
    type Ok = ();
    type Error = Refused;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Refused> {
        self.element(value)
    }
    fn end(self) -> Result<(), Refused> {
        Compound::end(self)
    }
}

impl ser::SerializeTupleVariant for Compound<'_> {
    type Ok = ();
    type Error = Refused;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Refused> {
        self.element(value)
    }
    fn end(self) -> Result<(), Refused> {
        Compound::end(self)
    }
}

impl ser::SerializeMap for Compound<'_> {
    type Ok = ();
    type Error = Refused;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Refused> {
        self.separate();
        key.serialize(KeyOnly(&mut *self.out))?;
        self.out.push(b':');
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Refused> {
        value.serialize(Compact(&mut *self.out))
    }
    fn end(self) -> Result<(), Refused> {
        Compound::end(self)
    }
}

impl ser::SerializeStruct for Compound<'_> {
    type Ok = ();
    type Error = Refused;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Refused> {
        self.field(key, value)
    }
    fn end(self) -> Result<(), Refused> {
        Compound::end(self)
    }
}

impl ser::SerializeStructVariant for Compound<'_> {
    type Ok = ();
    type Error = Refused;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Refused> {
        self.field(key, value)
    }
    fn end(self) -> Result<(), Refused> {
        Compound::end(self)
    }
}

/// A map key: a string, or refused (serde_json turns some other keys into strings; those
/// maps are left to it).
struct KeyOnly<'o>(&'o mut Vec<u8>);

impl ser::Serializer for KeyOnly<'_> {
    type Ok = ();
    type Error = Refused;
    type SerializeSeq = ser::Impossible<(), Refused>;
    type SerializeTuple = ser::Impossible<(), Refused>;
    type SerializeTupleStruct = ser::Impossible<(), Refused>;
    type SerializeTupleVariant = ser::Impossible<(), Refused>;
    type SerializeMap = ser::Impossible<(), Refused>;
    type SerializeStruct = ser::Impossible<(), Refused>;
    type SerializeStructVariant = ser::Impossible<(), Refused>;

    fn serialize_str(self, v: &str) -> Result<(), Refused> {
        string(self.0, v)
    }
    fn serialize_bool(self, _: bool) -> Result<(), Refused> {
        Err(Refused)
    }
    fn serialize_i8(self, _: i8) -> Result<(), Refused> {
        Err(Refused)
    }
    fn serialize_i16(self, _: i16) -> Result<(), Refused> {
        Err(Refused)
    }
    fn serialize_i32(self, _: i32) -> Result<(), Refused> {
        Err(Refused)
    }
    fn serialize_i64(self, _: i64) -> Result<(), Refused> {
        Err(Refused)
    }
    fn serialize_u8(self, _: u8) -> Result<(), Refused> {
        Err(Refused)
    }
    fn serialize_u16(self, _: u16) -> Result<(), Refused> {
        Err(Refused)
    }
    fn serialize_u32(self, _: u32) -> Result<(), Refused> {
        Err(Refused)
    }
    fn serialize_u64(self, _: u64) -> Result<(), Refused> {
        Err(Refused)
    }
    fn serialize_f32(self, _: f32) -> Result<(), Refused> {
        Err(Refused)
    }
    fn serialize_f64(self, _: f64) -> Result<(), Refused> {
        Err(Refused)
    }
    fn serialize_char(self, _: char) -> Result<(), Refused> {
        Err(Refused)
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<(), Refused> {
        Err(Refused)
    }
    fn serialize_none(self) -> Result<(), Refused> {
        Err(Refused)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, _: &T) -> Result<(), Refused> {
        Err(Refused)
    }
    fn serialize_unit(self) -> Result<(), Refused> {
        Err(Refused)
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), Refused> {
        Err(Refused)
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
    ) -> Result<(), Refused> {
        Err(Refused)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: &T,
    ) -> Result<(), Refused> {
        Err(Refused)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<(), Refused> {
        Err(Refused)
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, Refused> {
        Err(Refused)
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, Refused> {
        Err(Refused)
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, Refused> {
        Err(Refused)
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, Refused> {
        Err(Refused)
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, Refused> {
        Err(Refused)
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeStruct, Refused> {
        Err(Refused)
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, Refused> {
        Err(Refused)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde::Serialize;

    use super::*;

    fn same<T: Serialize + ?Sized>(value: &T) {
        let mut out = Vec::new();
        to_vec(&mut out, value).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            serde_json::to_string(value).unwrap()
        );
    }

    #[test]
    fn strings_escape_as_serde_json_escapes_them() {
        let specials = [
            '"', '\\', '\n', '\r', '\t', '\u{8}', '\u{c}', '\0', '\u{1f}', '\u{7f}',
        ];
        let plain = [
            "",
            "a",
            "王小明",
            "0123456789abcdef",
            "é😀",
            " !#$%&'()*+,-./",
        ];
        for p in plain {
            same(p);
            for c in specials {
                // Every position relative to the eight-byte words.
                for at in 0..20 {
                    let mut s: String = "x".repeat(at);
                    s.push(c);
                    s.push_str(p);
                    same(&s);
                    same(&format!("{p}{s}"));
                }
            }
        }
        for b in 0..=127u8 {
            same(&format!("0123456{}89", b as char));
            same(&(b as char));
        }
    }

    #[test]
    fn numbers_options_and_nesting() {
        same(&[i64::MIN, -1, 0, 1, i64::MAX]);
        same(&[0u64, 9, 10, 99, 100, u64::MAX]);
        same(&(i8::MIN, i16::MIN, i32::MIN, u8::MAX, u16::MAX, u32::MAX));
        same(&(
            1.5f64,
            f64::NAN,
            1e300,
            -0.0f64,
            2.5f32,
            u128::MAX,
            i128::MIN,
        ));
        same(&(true, false, (), None::<u8>, Some(3), Some(Some("x"))));
        same(&Vec::<u8>::new());
        same(&vec![vec![1, 2], vec![], vec![3]]);
        same(&[1u8, 2, 255][..]);
        let mut map = BTreeMap::new();
        map.insert("b\"", vec![Some(1), None]);
        map.insert("a", vec![]);
        same(&map);
        same(&BTreeMap::<String, u8>::new());
    }

    #[test]
    fn structs_and_enums() {
        #[derive(Serialize)]
        struct Unit;
        #[derive(Serialize)]
        struct Wrap(u8);
        #[derive(Serialize)]
        struct Pair(u8, &'static str);
        #[derive(Serialize)]
        struct Empty {}
        #[derive(Serialize)]
        #[serde(rename_all = "snake_case")]
        enum E {
            Plain,
            New(u8),
            Tuple(u8, String),
            EmptyTuple(),
            Named { a: u8, b: Option<String> },
            EmptyNamed {},
        }
        #[derive(Serialize)]
        struct All {
            unit: Unit,
            wrap: Wrap,
            pair: Pair,
            empty: Empty,
            #[serde(skip_serializing_if = "Option::is_none")]
            skipped: Option<u8>,
            variants: Vec<E>,
            #[serde(flatten)]
            extra: BTreeMap<String, u8>,
        }
        same(&All {
            unit: Unit,
            wrap: Wrap(7),
            pair: Pair(1, "x\ty"),
            empty: Empty {},
            skipped: None,
            variants: vec![
                E::Plain,
                E::New(1),
                E::Tuple(2, "z".into()),
                E::EmptyTuple(),
                E::Named { a: 3, b: None },
                E::EmptyNamed {},
            ],
            extra: [("k".to_string(), 1)].into_iter().collect(),
        });
    }

    #[test]
    fn maps_without_string_keys_are_left_to_serde_json() {
        let mut map = BTreeMap::new();
        map.insert(1u8, "one");
        assert!(to_vec(&mut Vec::new(), &map).is_err());
    }
}

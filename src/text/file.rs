//! The model file format, version 2. All integers little-endian.
//!
//! ```text
//! magic        8 bytes  "AFTMODEL"
//! version      u32      2
//! length       u64      the whole file's length in bytes, checksum included
//! label_field  str      the ticket field the model predicts
//! tokenizer    u8       0 (dictionary segmentation, no HMM; other values reserved)
//! user words   u32 n, n × str (lower-cased, sorted, unique)
//! features     u8 buckets_log2, u8 word_bigrams (0|1), u8 char_ngram_min, u8 char_ngram_max,
//!              u8 word_char_ngrams (0|1)
//! labels       u32 k (2..=65535), k × str (sorted, unique, non-empty)
//! quantization u8       1 = f16, 2 = f32
//! bias         k × f32
//! rows         u32 r, then r × (varint bucket delta, idf, k × weight): buckets ascending,
//!              the first delta from 0, later deltas ≥ 1; idf (≥ 1) and weights in the
//!              quantization's width

//! checksum     u64      FNV-1a 64 of every byte before it
//! ```
//! `str` is a u32 byte length and UTF-8 bytes; `varint` is LEB128 (7 bits a byte, low first).
//!
//! Version 1 (until TF-IDF weighting) had no idf and no `word_char_ngrams`; its files are
//! refused with [`ModelError::Version`], whose hint says to train again.

use std::path::Path;

use super::features::{Extractor, FeatureConfig};
use super::model::{Model, Quantization};
use super::tokenize::Tokenizer;
use super::ModelError;

const MAGIC: &[u8; 8] = b"AFTMODEL";
/// The format version this build writes and reads.
pub const FORMAT_VERSION: u32 = 2;
/// Larger files are refused before they are read: a 2^22-bucket model with 64 labels in f32
/// is below this.
pub const MAX_MODEL_BYTES: u64 = 256 * 1024 * 1024;
const HEADER: usize = 8 + 4 + 8;

fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

pub(crate) fn load(path: &Path) -> Result<Model, ModelError> {
    let shown = path.display().to_string();
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(ModelError::Missing { path: shown })
        }
        Err(e) => {
            return Err(ModelError::Unreadable {
                path: shown,
                message: e.to_string(),
            })
        }
    };
    if !meta.is_file() {
        return Err(ModelError::NotAFile { path: shown });
    }
    if meta.len() > MAX_MODEL_BYTES {
        return Err(ModelError::TooLarge {
            size: meta.len(),
            limit: MAX_MODEL_BYTES,
        });
    }
    let bytes = std::fs::read(path).map_err(|e| ModelError::Unreadable {
        path: shown,
        message: e.to_string(),
    })?;
    decode(&bytes)
}

// ---------------------------------------------------------------------------------------
// Writing

fn put_str(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(&(s.len() as u32).to_le_bytes());
    out.extend_from_slice(s.as_bytes());
}

fn put_varint(out: &mut Vec<u8>, mut v: u32) {
    loop {
        let byte = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

pub(crate) fn encode(m: &Model) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER + m.weights.len() * 2 + m.rows.len() * 2 + 1024);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&0u64.to_le_bytes()); // length, filled in below
    put_str(&mut out, &m.label_field);
    out.push(0);
    let words = m.extractor.tokenizer.user_words();
    out.extend_from_slice(&(words.len() as u32).to_le_bytes());
    for w in words {
        put_str(&mut out, w);
    }
    let c = m.extractor.config;
    out.extend_from_slice(&[
        c.buckets_log2,
        u8::from(c.word_bigrams),
        c.char_ngram_min,
        c.char_ngram_max,
        u8::from(c.word_char_ngrams),
    ]);
    out.extend_from_slice(&(m.labels.len() as u32).to_le_bytes());
    for l in &m.labels {
        put_str(&mut out, l);
    }
    out.push(match m.quantization {
        Quantization::F16 => 1,
        Quantization::F32 => 2,
    });
    for b in &m.bias {
        out.extend_from_slice(&b.to_le_bytes());
    }
    out.extend_from_slice(&(m.rows.len() as u32).to_le_bytes());
    let k = m.labels.len();
    let mut prev = 0;
    let put = |out: &mut Vec<u8>, w: f32| match m.quantization {
        Quantization::F16 => out.extend_from_slice(&f32_to_f16(w).to_le_bytes()),
        Quantization::F32 => out.extend_from_slice(&w.to_le_bytes()),
    };
    for (i, (bucket, idf)) in m.rows.iter().zip(&m.idf).enumerate() {
        put_varint(&mut out, bucket - prev);
        prev = *bucket;
        put(&mut out, *idf);
        for w in m.weights.iter().skip(i * k).take(k) {
            put(&mut out, *w);
        }
    }
    let len = (out.len() + 8) as u64;
    if let Some(slot) = out.get_mut(12..20) {
        slot.copy_from_slice(&len.to_le_bytes());
    }
    let sum = fnv1a(&out);
    out.extend_from_slice(&sum.to_le_bytes());
    out
}

// ---------------------------------------------------------------------------------------
// Reading

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

fn corrupt(what: impl Into<String>) -> ModelError {
    ModelError::Corrupt(what.into())
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], ModelError> {
        let end = self
            .at
            .checked_add(n)
            .ok_or_else(|| corrupt(format!("{what} runs past the end")))?;
        let s = self
            .bytes
            .get(self.at..end)
            .ok_or_else(|| corrupt(format!("{what} runs past the end")))?;
        self.at = end;
        Ok(s)
    }
    fn array<const N: usize>(&mut self, what: &str) -> Result<[u8; N], ModelError> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N, what)?);
        Ok(a)
    }
    fn u8(&mut self, what: &str) -> Result<u8, ModelError> {
        Ok(self.array::<1>(what)?[0])
    }
    fn u32(&mut self, what: &str) -> Result<u32, ModelError> {
        Ok(u32::from_le_bytes(self.array(what)?))
    }
    fn f32(&mut self, what: &str) -> Result<f32, ModelError> {
        let v = f32::from_le_bytes(self.array(what)?);
        if v.is_finite() {
            Ok(v)
        } else {
            Err(corrupt(format!("{what} is not a finite number")))
        }
    }
    fn str(&mut self, what: &str) -> Result<String, ModelError> {
        let n = self.u32(what)? as usize;
        let bytes = self.take(n, what)?;
        String::from_utf8(bytes.to_vec()).map_err(|_| corrupt(format!("{what} is not UTF-8")))
    }
    fn varint(&mut self, what: &str) -> Result<u32, ModelError> {
        let mut v: u32 = 0;
        for shift in [0, 7, 14, 21, 28] {
            let b = self.u8(what)?;
            let part = u32::from(b & 0x7f);
            if shift == 28 && part > 0x0f {
                break;
            }
            v |= part << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(corrupt(format!("{what} is not a 32-bit varint")))
    }
}

pub(crate) fn decode(bytes: &[u8]) -> Result<Model, ModelError> {
    let head = bytes.get(..MAGIC.len()).unwrap_or(bytes);
    if head != MAGIC.get(..head.len()).unwrap_or(MAGIC) || bytes.is_empty() {
        return Err(ModelError::NotAModel);
    }
    if bytes.len() < HEADER {
        return Err(ModelError::Truncated {
            actual: bytes.len() as u64,
            expected: None,
        });
    }
    let mut r = Reader { bytes, at: 8 };
    let version = r.u32("the version")?;
    if version != FORMAT_VERSION {
        return Err(ModelError::Version {
            found: version,
            supported: FORMAT_VERSION,
        });
    }
    let declared = u64::from_le_bytes(r.array("the length")?);
    let actual = bytes.len() as u64;
    if actual < declared {
        return Err(ModelError::Truncated {
            actual,
            expected: Some(declared),
        });
    }
    if actual > declared || declared < (HEADER + 8) as u64 {
        return Err(corrupt(format!(
            "it is {actual} bytes long but says {declared}"
        )));
    }
    let body_end = bytes.len() - 8;
    let (body, sum) = bytes.split_at(body_end);
    let mut s = [0u8; 8];
    s.copy_from_slice(sum);
    if fnv1a(body) != u64::from_le_bytes(s) {
        return Err(ModelError::Checksum);
    }
    let mut r = Reader {
        bytes: body,
        at: HEADER,
    };
    let label_field = r.str("the label field")?;
    let tokenizer_kind = r.u8("the tokenizer")?;
    if tokenizer_kind != 0 {
        return Err(corrupt(format!("unknown tokenizer {tokenizer_kind}")));
    }
    let n_words = r.u32("the user words")? as usize;
    let mut words = Vec::with_capacity(n_words.min(1 << 16));
    for _ in 0..n_words {
        words.push(r.str("a user word")?);
    }
    let [buckets_log2, bigrams, lo, hi, word_chars] = r.array::<5>("the feature settings")?;
    if bigrams > 1 || word_chars > 1 {
        return Err(corrupt("a feature switch is neither 0 nor 1"));
    }
    let config = FeatureConfig {
        buckets_log2,
        word_bigrams: bigrams == 1,
        char_ngram_min: lo,
        char_ngram_max: hi,
        word_char_ngrams: word_chars == 1,
    };
    config.check().map_err(corrupt)?;
    let k = r.u32("the label count")? as usize;
    if !(2..=65_535).contains(&k) {
        return Err(corrupt(format!("{k} labels; a model has 2 to 65535")));
    }
    let mut labels: Vec<String> = Vec::with_capacity(k);
    for _ in 0..k {
        let l = r.str("a label")?;
        if l.is_empty() || labels.last().is_some_and(|p| *p >= l) {
            return Err(corrupt("labels are not sorted, unique and non-empty"));
        }
        labels.push(l);
    }
    let quantization = match r.u8("the quantization")? {
        1 => Quantization::F16,
        2 => Quantization::F32,
        q => return Err(corrupt(format!("unknown quantization {q}"))),
    };
    let mut bias = Vec::with_capacity(k);
    for _ in 0..k {
        bias.push(r.f32("a bias")?);
    }
    let n_rows = r.u32("the row count")? as usize;
    if n_rows > config.buckets() {
        return Err(corrupt("more weight rows than buckets"));
    }
    let width = match quantization {
        Quantization::F16 => 2,
        Quantization::F32 => 4,
    };
    // Each row needs at least one delta byte, an idf and k weights: a bound before allocating.
    if n_rows.saturating_mul(1 + (k + 1) * width) > body.len() {
        return Err(corrupt("the row count exceeds the file"));
    }
    let mut rows = Vec::with_capacity(n_rows);
    let mut idf = Vec::with_capacity(n_rows);
    let mut weights = Vec::with_capacity(n_rows * k);
    let mut bucket: u64 = 0;
    for i in 0..n_rows {
        let delta = r.varint("a bucket")?;
        if i > 0 && delta == 0 {
            return Err(corrupt("weight rows are not in ascending bucket order"));
        }
        bucket += u64::from(delta);
        if bucket >= config.buckets() as u64 {
            return Err(corrupt("a weight row's bucket is out of range"));
        }
        rows.push(bucket as u32);
        let mut number = |what: &str| -> Result<f32, ModelError> {
            let w = match quantization {
                Quantization::F16 => f16_to_f32(u16::from_le_bytes(r.array(what)?)),
                Quantization::F32 => r.f32(what)?,
            };
            if w.is_finite() {
                Ok(w)
            } else {
                Err(corrupt(format!("{what} is not a finite number")))
            }
        };
        let v = number("an idf")?;
        if v < 1.0 {
            return Err(corrupt("an idf is below 1"));
        }
        idf.push(v);
        for _ in 0..k {
            weights.push(number("a weight")?);
        }
    }
    if r.at != body.len() {
        return Err(corrupt("bytes left over after the weights"));
    }
    let extractor = Extractor {
        config,
        tokenizer: Tokenizer::with_user_words(&words),
    };
    if extractor.tokenizer.user_words() != words.as_slice() {
        return Err(corrupt("user words are not lower-cased, sorted and unique"));
    }
    Ok(Model::new(
        extractor,
        label_field,
        labels,
        quantization,
        bias,
        rows,
        idf,
        weights,
    ))
}

// ---------------------------------------------------------------------------------------
// Half precision (IEEE 754 binary16), round to nearest even.

pub(crate) fn f32_to_f16(x: f32) -> u16 {
    let bits = x.to_bits();
    let sign = ((bits >> 16) & 0x8000) as u16;
    let exp = ((bits >> 23) & 0xff) as i32;
    let man = bits & 0x007f_ffff;
    if exp == 0xff {
        return sign | 0x7c00 | if man != 0 { 0x200 } else { 0 };
    }
    let e = exp - 127 + 15;
    if e >= 0x1f {
        return sign | 0x7c00;
    }
    if e <= 0 {
        if e < -10 {
            return sign;
        }
        let m = man | 0x0080_0000;
        let shift = (14 - e) as u32;
        let half = 1u32 << (shift - 1);
        let rest = m & ((1 << shift) - 1);
        let mut v = m >> shift;
        if rest > half || (rest == half && v & 1 == 1) {
            v += 1;
        }
        return sign | v as u16;
    }
    let mut v = ((e as u32) << 10) | (man >> 13);
    let rest = man & 0x1fff;
    if rest > 0x1000 || (rest == 0x1000 && v & 1 == 1) {
        v += 1; // may carry into the exponent, up to infinity: still correct rounding
    }
    sign | v as u16
}

pub(crate) fn f16_to_f32(h: u16) -> f32 {
    let sign = u32::from(h & 0x8000) << 16;
    let exp = u32::from((h >> 10) & 0x1f);
    let man = u32::from(h & 0x3ff);
    let bits = match (exp, man) {
        (0, 0) => sign,
        (0, m) => {
            // Subnormal: normalise.
            let mut e = 127 - 15 + 1;
            let mut m = m;
            while m & 0x400 == 0 {
                m <<= 1;
                e -= 1;
            }
            sign | ((e as u32) << 23) | ((m & 0x3ff) << 13)
        }
        (0x1f, m) => sign | 0x7f80_0000 | (m << 13),
        (e, m) => sign | ((e + 127 - 15) << 23) | (m << 13),
    };
    f32::from_bits(bits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_precision_round_trips_and_rounds() {
        for x in [
            0.0f32,
            1.0,
            -2.5,
            0.000_061_035_156,
            65504.0,
            1e-7,
            -0.333_251_95,
        ] {
            let back = f16_to_f32(f32_to_f16(x));
            assert!((back - x).abs() <= x.abs() / 1024.0 + 6e-8, "{x} -> {back}");
        }
        assert_eq!(f32_to_f16(1.0), 0x3c00);
        assert_eq!(f32_to_f16(-2.0), 0xc000);
        assert_eq!(f32_to_f16(1e6), 0x7c00);
        assert_eq!(f32_to_f16(1e-9), 0);
        for h in 0..0x7c00u16 {
            assert_eq!(f32_to_f16(f16_to_f32(h)), h);
        }
    }

    #[test]
    fn varints_round_trip() {
        for v in [0u32, 1, 127, 128, 300, 1 << 21, u32::MAX] {
            let mut out = Vec::new();
            put_varint(&mut out, v);
            let mut r = Reader { bytes: &out, at: 0 };
            assert_eq!(r.varint("x").ok(), Some(v));
            assert_eq!(r.at, out.len());
        }
    }
}

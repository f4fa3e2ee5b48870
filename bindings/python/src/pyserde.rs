//! serde over Python objects, both ways, for the shapes tickets and decisions take: dicts with
//! string keys, lists, strings, numbers, booleans and None.
//!
//! A general converter (`pythonize`) was measured first; it spent most of a ticket's time on
//! checks this data never needs (whether each dict is a dataclass, which raises and catches
//! an `AttributeError` per dict; copies of its keys and values into lists; a new key string
//! per field). See docs/python.md, "Performance", for the figures.

use std::cell::RefCell;
use std::fmt;
use std::sync::{Mutex, PoisonError};

use pyo3::prelude::*;
use pyo3::types::{
    PyBool, PyDict, PyFloat, PyInt, PyList, PyMapping, PySequence, PyString, PyTuple,
};
use serde::de::{self, DeserializeSeed, IntoDeserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{self, Serialize};

/// Why a Python object could not be read, or a value not written. Messages name types and
/// positions, never values.
#[derive(Debug)]
pub(crate) struct Error(String);

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

impl de::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Error(msg.to_string())
    }
}

impl ser::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Error(msg.to_string())
    }
}

impl From<PyErr> for Error {
    fn from(e: PyErr) -> Self {
        // The type of the Python error only: its text may quote the value.
        Python::attach(|py| {
            let name = e
                .get_type(py)
                .name()
                .map(|n| n.to_string())
                .unwrap_or_else(|_| "an error".to_string());
            Error(format!("Python raised {name} while reading the ticket"))
        })
    }
}

/// The UTF-8 text of a Python string, borrowed from the string object (which caches it).
///
/// `PyUnicode_AsUTF8AndSize` is in the stable ABI only from Python 3.10, but every CPython
/// this wheel loads in (3.9 on) exports it; the 3.9-compatible alternative copies each string
/// into a new bytes object first. Windows links against the stable ABI's DLL, which lacks it
/// on 3.9: there the copy is made.
#[cfg(not(windows))]
pub(crate) fn with_str<R>(s: &Bound<'_, PyString>, f: impl FnOnce(&str) -> R) -> Result<R, Error> {
    extern "C" {
        fn PyUnicode_AsUTF8AndSize(
            unicode: *mut pyo3::ffi::PyObject,
            size: *mut pyo3::ffi::Py_ssize_t,
        ) -> *const std::os::raw::c_char;
    }
    let mut size: pyo3::ffi::Py_ssize_t = 0;
    // SAFETY: `s` is a live `str` object and the GIL is held (it is borrowed from a `Bound`).
    // On success the pointer is to `size` bytes of UTF-8 owned by `s`, valid while `s` lives
    // and is not mutated (strings are immutable); `f` runs before `s` can be dropped.
    let data = unsafe { PyUnicode_AsUTF8AndSize(s.as_ptr(), &mut size) };
    if data.is_null() {
        // A lone surrogate cannot be written as UTF-8; clear Python's error and say so.
        let _ = PyErr::take(s.py());
        return Err(Error("a string is not valid Unicode".to_string()));
    }
    let len = usize::try_from(size).map_err(|_| Error("a string has no length".to_string()))?;
    // SAFETY: as above; CPython guarantees valid UTF-8 here.
    let text = unsafe {
        std::str::from_utf8_unchecked(std::slice::from_raw_parts(data.cast::<u8>(), len))
    };
    Ok(f(text))
}

#[cfg(windows)]
pub(crate) fn with_str<R>(s: &Bound<'_, PyString>, f: impl FnOnce(&str) -> R) -> Result<R, Error> {
    match s.to_cow() {
        Ok(text) => Ok(f(&text)),
        Err(_) => Err(Error("a string is not valid Unicode".to_string())),
    }
}

/// Reads a Python object as the serde data model.
pub(crate) struct Reader<'a, 'py>(pub(crate) &'a Bound<'py, PyAny>);

impl<'de> de::Deserializer<'de> for Reader<'_, '_> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let obj = self.0;
        if let Ok(s) = obj.cast::<PyString>() {
            return with_str(s, |text| visitor.visit_str(text))?;
        }
        if let Ok(d) = obj.cast::<PyDict>() {
            return visitor.visit_map(DictReader {
                items: d.iter(),
                value: None,
            });
        }
        if obj.is_none() {
            return visitor.visit_unit();
        }
        if let Ok(b) = obj.cast::<PyBool>() {
            return visitor.visit_bool(b.is_true());
        }
        if obj.is_instance_of::<PyInt>() {
            if let Ok(n) = obj.extract::<i64>() {
                return visitor.visit_i64(n);
            }
            if let Ok(n) = obj.extract::<u64>() {
                return visitor.visit_u64(n);
            }
            return Err(Error("an integer is out of range".to_string()));
        }
        if let Ok(f) = obj.cast::<PyFloat>() {
            return visitor.visit_f64(f.value());
        }
        if let Ok(list) = obj.cast::<PyList>() {
            return visitor.visit_seq(SeqReader {
                seq: list.as_sequence(),
                at: 0,
                len: list.len(),
            });
        }
        if let Ok(tuple) = obj.cast::<PyTuple>() {
            return visitor.visit_seq(SeqReader {
                seq: tuple.as_sequence(),
                at: 0,
                len: tuple.len(),
            });
        }
        // Instants may be given as aware datetimes (pandas timestamps too).
        let py = obj.py();
        if obj.hasattr(pyo3::intern!(py, "isoformat"))?
            && obj.hasattr(pyo3::intern!(py, "utcoffset"))?
        {
            if obj.call_method0(pyo3::intern!(py, "utcoffset"))?.is_none() {
                return Err(Error(
                    "a naive datetime (without time zone) where an instant is expected".to_string(),
                ));
            }
            let text = obj.call_method0(pyo3::intern!(py, "isoformat"))?;
            let text = text.cast::<PyString>().map_err(PyErr::from)?;
            return with_str(text, |t| visitor.visit_str(t))?;
        }
        if let Ok(m) = obj.cast::<PyMapping>() {
            let items = m.items()?;
            let len = items.len();
            return visitor.visit_map(PairsReader {
                items: items.as_sequence().clone(),
                at: 0,
                len,
                value: None,
            });
        }
        Err(Error(format!(
            "a value of type {} where JSON data is expected",
            crate::convert::type_name(obj)
        )))
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        if self.0.is_none() {
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        unit unit_struct newtype_struct seq tuple tuple_struct map struct enum identifier
        ignored_any
    }
}

struct DictReader<'py> {
    items: pyo3::types::iter::BoundDictIterator<'py>,
    value: Option<Bound<'py, PyAny>>,
}

impl<'de> MapAccess<'de> for DictReader<'_> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        let Some((key, value)) = self.items.next() else {
            return Ok(None);
        };
        self.value = Some(value);
        let key = key
            .cast::<PyString>()
            .map_err(|_| Error("a dict key is not a string".to_string()))?;
        with_str(key, |k| seed.deserialize(k.into_deserializer()))?.map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        match self.value.take() {
            Some(v) => seed.deserialize(Reader(&v)),
            None => Err(Error("a value without its key".to_string())),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}

/// Any other mapping, through its `items()`.
struct PairsReader<'py> {
    items: Bound<'py, PySequence>,
    at: usize,
    len: usize,
    value: Option<Bound<'py, PyAny>>,
}

impl<'de> MapAccess<'de> for PairsReader<'_> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        if self.at >= self.len {
            return Ok(None);
        }
        let pair = self.items.get_item(self.at)?;
        self.at += 1;
        let key = pair.get_item(0)?;
        self.value = Some(pair.get_item(1)?);
        let key = key
            .cast::<PyString>()
            .map_err(|_| Error("a mapping key is not a string".to_string()))?;
        with_str(key, |k| seed.deserialize(k.into_deserializer()))?.map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        match self.value.take() {
            Some(v) => seed.deserialize(Reader(&v)),
            None => Err(Error("a value without its key".to_string())),
        }
    }
}

struct SeqReader<'a, 'py> {
    seq: &'a Bound<'py, PySequence>,
    at: usize,
    len: usize,
}

impl<'de> SeqAccess<'de> for SeqReader<'_, '_> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        if self.at >= self.len {
            return Ok(None);
        }
        let item = self.seq.get_item(self.at)?;
        self.at += 1;
        seed.deserialize(Reader(&item)).map(Some)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.len - self.at)
    }
}

/// Python strings for struct field names and enum variants, made once per process: they are
/// `&'static str` from a small fixed set (a decision has some forty keys), found by address.
/// A static, never dropped, so no reference outlives the interpreter's objects.
static KEYS: Mutex<Vec<Option<KeySlot>>> = Mutex::new(Vec::new());

/// A field name's address and length, and its Python string.
type KeySlot = (usize, usize, Py<PyString>);

const KEY_SLOTS: usize = 256;

fn field_name<'py>(py: Python<'py>, key: &'static str) -> Bound<'py, PyString> {
    let (ptr, len) = (key.as_ptr() as usize, key.len());
    let mut keys = KEYS.lock().unwrap_or_else(PoisonError::into_inner);
    if keys.is_empty() {
        keys.resize_with(KEY_SLOTS, || None);
    }
    // Open addressing: the names are a small fixed set, so the table never fills up in
    // practice; if it does, the name is made anew.
    let mut slot = ((ptr as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32) as usize;
    for _ in 0..KEY_SLOTS {
        slot %= KEY_SLOTS;
        match keys.get_mut(slot) {
            Some(Some((p, l, s))) if *p == ptr && *l == len => return s.bind(py).clone(),
            Some(Some(_)) => slot += 1,
            Some(empty) => {
                let s = PyString::intern(py, key);
                *empty = Some((ptr, len, s.clone().unbind()));
                return s;
            }
            None => break,
        }
    }
    PyString::intern(py, key)
}

/// Short ASCII values that repeat from one decision to the next (ids from the policy such as
/// category, priority, department and rule; statuses; targets), shared within a chunk of a
/// batch. Found by content in a small direct-mapped table; a miss (a ticket id, an instant)
/// costs a hash of a few bytes. Sharing them also makes a batch of decisions smaller.
pub(crate) struct Strings<'py> {
    values: Option<RefCell<Vec<Option<ValueSlot<'py>>>>>,
    texts: RefCell<Vec<[u8; MAX_SHARED]>>,
}

/// A value's hash and its Python string (its bytes are kept beside, in `texts`).
type ValueSlot<'py> = (u64, Bound<'py, PyString>);

const VALUE_SLOTS: usize = 512;
/// Values longer than this are not shared: long texts rarely repeat.
const MAX_SHARED: usize = 32;

impl<'py> Strings<'py> {
    /// For a batch: values are shared.
    pub(crate) fn shared() -> Self {
        Strings {
            values: Some(RefCell::new(vec![None; VALUE_SLOTS])),
            texts: RefCell::new(vec![[0; MAX_SHARED]; VALUE_SLOTS]),
        }
    }

    /// For one value: nothing to share with, so nothing to set up.
    pub(crate) fn none() -> Self {
        Strings {
            values: None,
            texts: RefCell::new(Vec::new()),
        }
    }

    fn value(&self, py: Python<'py>, text: &str) -> Bound<'py, PyString> {
        let Some(values) = &self.values else {
            return PyString::new(py, text);
        };
        if text.len() > MAX_SHARED || !text.is_ascii() {
            return PyString::new(py, text);
        }
        // The first and last eight bytes and the length: cheap, and enough to spread the
        // values that repeat (the whole text is compared on a hit).
        let bytes = text.as_bytes();
        let word = |at: usize| {
            let mut w = [0u8; 8];
            let part = bytes.get(at..).unwrap_or_default();
            let n = part.len().min(8);
            w[..n].copy_from_slice(&part[..n]);
            u64::from_le_bytes(w)
        };
        let h =
            (word(0) ^ word(bytes.len().saturating_sub(8)).rotate_left(29) ^ bytes.len() as u64)
                .wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let slot = (h >> 40) as usize % VALUE_SLOTS;
        let mut values = values.borrow_mut();
        let mut texts = self.texts.borrow_mut();
        if let (Some(Some((hash, s))), Some(stored)) = (values.get(slot), texts.get(slot)) {
            if *hash == h && stored.get(..text.len()) == Some(text.as_bytes()) {
                return s.clone();
            }
        }
        let s = PyString::new(py, text);
        if let (Some(entry), Some(stored)) = (values.get_mut(slot), texts.get_mut(slot)) {
            *entry = Some((h, s.clone()));
            if let Some(prefix) = stored.get_mut(..text.len()) {
                prefix.copy_from_slice(text.as_bytes());
            }
        }
        s
    }
}

/// Writes a serde value as Python objects, the way `json.loads` would give its JSON.
#[derive(Clone, Copy)]
pub(crate) struct Writer<'a, 'py>(pub(crate) Python<'py>, pub(crate) &'a Strings<'py>);

type Out<'py> = Result<Bound<'py, PyAny>, Error>;

impl<'a, 'py> ser::Serializer for Writer<'a, 'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = Error;
    type SerializeSeq = ListWriter<'a, 'py>;
    type SerializeTuple = ListWriter<'a, 'py>;
    type SerializeTupleStruct = ListWriter<'a, 'py>;
    type SerializeTupleVariant = ListWriter<'a, 'py>;
    type SerializeMap = DictWriter<'a, 'py>;
    type SerializeStruct = DictWriter<'a, 'py>;
    type SerializeStructVariant = DictWriter<'a, 'py>;

    fn serialize_bool(self, v: bool) -> Out<'py> {
        Ok(PyBool::new(self.0, v).to_owned().into_any())
    }
    fn serialize_i8(self, v: i8) -> Out<'py> {
        self.serialize_i64(i64::from(v))
    }
    fn serialize_i16(self, v: i16) -> Out<'py> {
        self.serialize_i64(i64::from(v))
    }
    fn serialize_i32(self, v: i32) -> Out<'py> {
        self.serialize_i64(i64::from(v))
    }
    fn serialize_i64(self, v: i64) -> Out<'py> {
        Ok(pyo3::types::PyInt::new(self.0, v).into_any())
    }
    fn serialize_u8(self, v: u8) -> Out<'py> {
        self.serialize_u64(u64::from(v))
    }
    fn serialize_u16(self, v: u16) -> Out<'py> {
        self.serialize_u64(u64::from(v))
    }
    fn serialize_u32(self, v: u32) -> Out<'py> {
        self.serialize_u64(u64::from(v))
    }
    fn serialize_u64(self, v: u64) -> Out<'py> {
        Ok(pyo3::types::PyInt::new(self.0, v).into_any())
    }
    fn serialize_f32(self, v: f32) -> Out<'py> {
        self.serialize_f64(f64::from(v))
    }
    fn serialize_f64(self, v: f64) -> Out<'py> {
        Ok(PyFloat::new(self.0, v).into_any())
    }
    fn serialize_char(self, v: char) -> Out<'py> {
        self.serialize_str(v.encode_utf8(&mut [0; 4]))
    }
    fn serialize_str(self, v: &str) -> Out<'py> {
        Ok(self.1.value(self.0, v).into_any())
    }
    fn serialize_bytes(self, v: &[u8]) -> Out<'py> {
        let items: Vec<u8> = v.to_vec();
        Ok(PyList::new(self.0, items).map_err(Error::from)?.into_any())
    }
    fn serialize_none(self) -> Out<'py> {
        Ok(self.0.None().into_bound(self.0))
    }
    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Out<'py> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Out<'py> {
        self.serialize_none()
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Out<'py> {
        self.serialize_none()
    }
    fn serialize_unit_variant(self, _n: &'static str, _i: u32, variant: &'static str) -> Out<'py> {
        Ok(field_name(self.0, variant).into_any())
    }
    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        _n: &'static str,
        value: &T,
    ) -> Out<'py> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _n: &'static str,
        _i: u32,
        variant: &'static str,
        value: &T,
    ) -> Out<'py> {
        let d = PyDict::new(self.0);
        let key = field_name(self.0, variant);
        d.set_item(key, value.serialize(self)?)?;
        Ok(d.into_any())
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<ListWriter<'a, 'py>, Error> {
        Ok(ListWriter {
            w: self,
            items: Vec::with_capacity(len.unwrap_or(0)),
        })
    }
    fn serialize_tuple(self, len: usize) -> Result<ListWriter<'a, 'py>, Error> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(
        self,
        _n: &'static str,
        len: usize,
    ) -> Result<ListWriter<'a, 'py>, Error> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _n: &'static str,
        _i: u32,
        _v: &'static str,
        len: usize,
    ) -> Result<ListWriter<'a, 'py>, Error> {
        self.serialize_seq(Some(len))
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<DictWriter<'a, 'py>, Error> {
        Ok(DictWriter {
            dict: PyDict::new(self.0),
            w: self,
            key: None,
        })
    }
    fn serialize_struct(self, _n: &'static str, len: usize) -> Result<DictWriter<'a, 'py>, Error> {
        self.serialize_map(Some(len))
    }
    fn serialize_struct_variant(
        self,
        _n: &'static str,
        _i: u32,
        _v: &'static str,
        len: usize,
    ) -> Result<DictWriter<'a, 'py>, Error> {
        self.serialize_map(Some(len))
    }
}

impl From<pyo3::CastError<'_, '_>> for Error {
    fn from(e: pyo3::CastError<'_, '_>) -> Self {
        Error(e.to_string())
    }
}

pub(crate) struct ListWriter<'a, 'py> {
    w: Writer<'a, 'py>,
    items: Vec<Bound<'py, PyAny>>,
}

impl<'py> ListWriter<'_, 'py> {
    fn push<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Error> {
        self.items.push(value.serialize(self.w)?);
        Ok(())
    }
    fn finish(self) -> Out<'py> {
        Ok(PyList::new(self.w.0, self.items)?.into_any())
    }
}

impl<'py> ser::SerializeSeq for ListWriter<'_, 'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = Error;
    fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Error> {
        self.push(value)
    }
    fn end(self) -> Out<'py> {
        self.finish()
    }
}

impl<'py> ser::SerializeTuple for ListWriter<'_, 'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = Error;
    fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Error> {
        self.push(value)
    }
    fn end(self) -> Out<'py> {
        self.finish()
    }
}

impl<'py> ser::SerializeTupleStruct for ListWriter<'_, 'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = Error;
    fn serialize_field<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Error> {
        self.push(value)
    }
    fn end(self) -> Out<'py> {
        self.finish()
    }
}

impl<'py> ser::SerializeTupleVariant for ListWriter<'_, 'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = Error;
    fn serialize_field<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Error> {
        self.push(value)
    }
    fn end(self) -> Out<'py> {
        self.finish()
    }
}

pub(crate) struct DictWriter<'a, 'py> {
    w: Writer<'a, 'py>,
    dict: Bound<'py, PyDict>,
    key: Option<Bound<'py, PyAny>>,
}

impl<'py> ser::SerializeMap for DictWriter<'_, 'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = Error;
    fn serialize_key<T: ?Sized + Serialize>(&mut self, key: &T) -> Result<(), Error> {
        let key = key.serialize(self.w)?;
        if !key.is_instance_of::<PyString>() {
            return Err(Error("a map key is not a string".to_string()));
        }
        self.key = Some(key);
        Ok(())
    }
    fn serialize_value<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Error> {
        let key = self
            .key
            .take()
            .ok_or_else(|| Error("a map value without its key".to_string()))?;
        self.dict.set_item(key, value.serialize(self.w)?)?;
        Ok(())
    }
    fn end(self) -> Out<'py> {
        Ok(self.dict.into_any())
    }
}

impl<'py> ser::SerializeStruct for DictWriter<'_, 'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = Error;
    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        let key = field_name(self.w.0, key);
        self.dict.set_item(key, value.serialize(self.w)?)?;
        Ok(())
    }
    fn end(self) -> Out<'py> {
        Ok(self.dict.into_any())
    }
}

impl<'py> ser::SerializeStructVariant for DictWriter<'_, 'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = Error;
    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        ser::SerializeStruct::serialize_field(self, key, value)
    }
    fn end(self) -> Out<'py> {
        Ok(self.dict.into_any())
    }
}

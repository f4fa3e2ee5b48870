//! Python strings in and out: their UTF-8 without a copy, short repeated values shared within
//! a batch, and the error type of the conversions (`tape.rs` holds the conversions).
//!
//! A general converter (`pythonize`) was measured first; it spent most of a ticket's time on
//! checks this data never needs (whether each dict is a dataclass, which raises and catches
//! an `AttributeError` per dict; copies of its keys and values into lists; a new key string
//! per field). See docs/python.md, "Performance", for the figures.

use std::cell::RefCell;
use std::fmt;

use pyo3::prelude::*;
use pyo3::types::PyString;
use serde::de;
use serde::ser;

/// Why a Python object could not be read, or a value not written. Messages name types and
/// positions, never values.
#[derive(Debug)]
pub(crate) struct Error(pub(crate) String);

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

    /// `text`, whose [`shared_hash`] is `h`, as a Python string shared with an equal one made
    /// before. The hash is taken where the text is written (off the GIL), not here.
    pub(crate) fn hashed(&self, py: Python<'py>, text: &str, h: u64) -> Bound<'py, PyString> {
        let Some(values) = &self.values else {
            return PyString::new(py, text);
        };
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

/// For a short ASCII text, the hash [`Strings`] shares it by; `None` for a text not worth
/// sharing (long texts rarely repeat).
pub(crate) fn shared_hash(text: &str) -> Option<u64> {
    if text.len() > MAX_SHARED || !text.is_ascii() {
        return None;
    }
    // The first and last eight bytes and the length: cheap, and enough to spread the values
    // that repeat (the whole text is compared on a hit).
    let bytes = text.as_bytes();
    let word = |at: usize| {
        let mut w = [0u8; 8];
        let part = bytes.get(at..).unwrap_or_default();
        let n = part.len().min(8);
        w[..n].copy_from_slice(&part[..n]);
        u64::from_le_bytes(w)
    };
    Some(
        (word(0) ^ word(bytes.len().saturating_sub(8)).rotate_left(29) ^ bytes.len() as u64)
            .wrapping_mul(0x9E37_79B9_7F4A_7C15),
    )
}

//! JSON-shaped data as a flat tape of steps, the bridge between Python objects and serde.
//!
//! Both directions split the work so that the part that needs the GIL is as small as it can
//! be, and everything else runs on all cores with the GIL released:
//!
//! - in: [`read_py`] copies a ticket dict onto a tape (type checks, key and string copies:
//!   GIL held); [`TapeReader`] then deserializes the crate's `Ticket` from the tape (field
//!   matching, validation, instants: off the GIL, in parallel);
//! - out: a decision is serialized onto a tape with [`Tape::of`] (off the GIL, in parallel);
//!   [`Tape::to_py`] then only makes the Python objects (GIL held), with field names made
//!   once per process and short repeated values shared within a batch.
//!
//! Strings are copied into the tape's own text, so nothing borrowed from Python outlives the
//! GIL (another thread may change or free a ticket dict while the tape is read).

use std::cell::RefCell;
use std::fmt;

use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyMapping, PyString, PyTuple};
use serde::de::{self, DeserializeSeed, Visitor};
use serde::ser::{self, Serialize};

use crate::pyserde::{shared_hash, with_str, Error, Strings};

/// One step.
#[derive(Clone, Copy, Debug)]
enum Op {
    /// A dict begins: pairs of (key, value) follow, then [`Op::End`].
    Dict,
    /// A list begins: values follow, then [`Op::End`].
    List,
    /// The innermost open dict or list ends.
    End,
    /// A struct's field name (a key).
    Field(&'static str),
    /// A string (a value, or a dict's key): a range of the tape's text.
    Str(u32, u32),
    /// A short string of a decision, likely repeated (an id of the policy, a status), with
    /// its [`shared_hash`].
    Shared(u32, u32, u64),
    Int(i64),
    UInt(u64),
    Float(f64),
    Bool(bool),
    Null,
}

/// Dicts and lists nested deeper than this are refused: what serde_json refuses for text.
const MAX_DEPTH: usize = 128;

/// A value as a flat tape.
#[derive(Default)]
pub(crate) struct Tape {
    ops: Vec<Op>,
    text: String,
}

impl fmt::Debug for Tape {
    // Never the text: it holds the ticket's personal fields.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Tape({} steps)", self.ops.len())
    }
}

impl Tape {
    fn push_str(&mut self, s: &str) -> Result<Op, Error> {
        let start = u32::try_from(self.text.len()).map_err(|_| too_long())?;
        let len = u32::try_from(s.len()).map_err(|_| too_long())?;
        self.text.push_str(s);
        Ok(Op::Str(start, len))
    }

    fn str_at(&self, start: u32, len: u32) -> &str {
        let start = start as usize;
        self.text
            .get(start..start + len as usize)
            .unwrap_or_default()
    }

    /// `value` serialized onto a tape of its own (no Python involved).
    pub(crate) fn of<T: Serialize + ?Sized>(value: &T) -> Result<Tape, Error> {
        let mut tape = Tape::default();
        tape.push(value)?;
        Ok(tape)
    }

    /// Appends `value`, serialized (no Python involved: runs off the GIL). On an error the
    /// tape is left as it was.
    pub(crate) fn push<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        let (ops, text) = (self.ops.len(), self.text.len());
        value
            .serialize(&mut *self)
            .inspect_err(|_| self.truncate(ops, text))
    }

    fn truncate(&mut self, ops: usize, text: usize) {
        self.ops.truncate(ops);
        self.text.truncate(text);
    }

    /// Empties the tape, keeping its memory for the next round.
    pub(crate) fn clear(&mut self) {
        self.truncate(0, 0);
    }

    /// Appends `text` to the tape's text; returns its range, for [`Tape::text`].
    pub(crate) fn push_text(&mut self, text: &str) -> Result<(u32, u32), Error> {
        match self.push_str(text)? {
            Op::Str(start, len) => Ok((start, len)),
            _ => Err(too_long()),
        }
    }

    /// A text pushed with [`Tape::push_text`].
    pub(crate) fn text(&self, (start, len): (u32, u32)) -> &str {
        self.str_at(start, len)
    }
}

impl Tape {
    /// The `id` of the dict that starts at step `at`, when it is a non-blank string or an
    /// integer: for the error of a ticket that could not be read.
    pub(crate) fn top_level_id(&self, at: usize) -> Option<String> {
        let mut ops = self.ops.get(at..)?.iter();
        if !matches!(ops.next(), Some(Op::Dict)) {
            return None;
        }
        // Pairs of the top-level dict: a key, then a value, which may be a whole container.
        loop {
            let key = match ops.next()? {
                Op::Str(start, len) => self.str_at(*start, *len),
                _ => return None,
            };
            let value = *ops.next()?;
            if key == "id" {
                return match value {
                    Op::Str(start, len) | Op::Shared(start, len, _) => {
                        let id = self.str_at(start, len);
                        (!id.trim().is_empty()).then(|| id.to_string())
                    }
                    Op::Int(n) => Some(n.to_string()),
                    Op::UInt(n) => Some(n.to_string()),
                    _ => None,
                };
            }
            if matches!(value, Op::Dict | Op::List) {
                let mut depth = 1usize;
                while depth > 0 {
                    match ops.next()? {
                        Op::Dict | Op::List => depth += 1,
                        Op::End => depth -= 1,
                        _ => {}
                    }
                }
            }
        }
    }
}

fn too_long() -> Error {
    Error("a value is longer than 4 GiB".to_string())
}

// ---- Python objects onto a tape (GIL held) ---------------------------------------------------

/// Appends `obj` (a ticket dict or any JSON-shaped Python value) to `tape` and returns the
/// step it starts at. Aware datetimes (pandas timestamps too) become their ISO text; a naive
/// one is refused. Messages name types, never values. On an error the tape is left as it was.
pub(crate) fn read_py(obj: &Bound<'_, PyAny>, tape: &mut Tape) -> Result<usize, Error> {
    let (ops, text) = (tape.ops.len(), tape.text.len());
    match read_value(obj, tape, 0) {
        Ok(()) => Ok(ops),
        Err(e) => {
            tape.truncate(ops, text);
            Err(e)
        }
    }
}

fn read_value(obj: &Bound<'_, PyAny>, tape: &mut Tape, depth: usize) -> Result<(), Error> {
    // The common types first, by exact type: one pointer comparison each.
    if let Ok(s) = obj.cast_exact::<PyString>() {
        let op = with_str(s, |t| tape.push_str(t))??;
        tape.ops.push(op);
        return Ok(());
    }
    if let Ok(d) = obj.cast_exact::<PyDict>() {
        return read_dict(d, tape, depth);
    }
    if obj.is_none() {
        tape.ops.push(Op::Null);
        return Ok(());
    }
    if let Ok(b) = obj.cast_exact::<PyBool>() {
        tape.ops.push(Op::Bool(b.is_true()));
        return Ok(());
    }
    if obj.is_instance_of::<PyInt>() {
        if let Ok(n) = obj.extract::<i64>() {
            tape.ops.push(Op::Int(n));
        } else if let Ok(n) = obj.extract::<u64>() {
            tape.ops.push(Op::UInt(n));
        } else {
            return Err(Error("an integer is out of range".to_string()));
        }
        return Ok(());
    }
    if let Ok(f) = obj.cast::<PyFloat>() {
        tape.ops.push(Op::Float(f.value()));
        return Ok(());
    }
    if let Ok(s) = obj.cast::<PyString>() {
        let op = with_str(s, |t| tape.push_str(t))??;
        tape.ops.push(op);
        return Ok(());
    }
    if let Ok(d) = obj.cast::<PyDict>() {
        return read_dict(d, tape, depth);
    }
    if let Ok(list) = obj.cast::<PyList>() {
        open(tape, Op::List, depth)?;
        for item in list.iter() {
            read_value(&item, tape, depth + 1)?;
        }
        tape.ops.push(Op::End);
        return Ok(());
    }
    if let Ok(tuple) = obj.cast::<PyTuple>() {
        open(tape, Op::List, depth)?;
        for item in tuple.iter() {
            read_value(&item, tape, depth + 1)?;
        }
        tape.ops.push(Op::End);
        return Ok(());
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
        let op = with_str(text, |t| tape.push_str(t))??;
        tape.ops.push(op);
        return Ok(());
    }
    if let Ok(m) = obj.cast::<PyMapping>() {
        open(tape, Op::Dict, depth)?;
        for pair in m.items()?.iter() {
            let key = pair.get_item(0)?;
            let key = key
                .cast::<PyString>()
                .map_err(|_| Error("a mapping key is not a string".to_string()))?;
            let op = with_str(key, |t| tape.push_str(t))??;
            tape.ops.push(op);
            read_value(&pair.get_item(1)?, tape, depth + 1)?;
        }
        tape.ops.push(Op::End);
        return Ok(());
    }
    Err(Error(format!(
        "a value of type {} where JSON data is expected",
        crate::convert::type_name(obj)
    )))
}

fn open(tape: &mut Tape, op: Op, depth: usize) -> Result<(), Error> {
    if depth >= MAX_DEPTH {
        return Err(Error(format!(
            "dicts and lists are nested more than {MAX_DEPTH} levels deep"
        )));
    }
    tape.ops.push(op);
    Ok(())
}

fn read_dict(d: &Bound<'_, PyDict>, tape: &mut Tape, depth: usize) -> Result<(), Error> {
    open(tape, Op::Dict, depth)?;
    let py = d.py();
    let (mut pos, mut key, mut value) = (0, std::ptr::null_mut(), std::ptr::null_mut());
    // `PyDict_Next` lends its key and value: no reference counting for the keys and the plain
    // values that make up most of a ticket. Each is used before any Python code can run
    // (copying a string or a number runs none); a value that may run Python code (a datetime's
    // `isoformat`, a mapping's `items`) or holds others is made an owned reference first, so
    // that nothing it does can free what is being read.
    // SAFETY: `d` is a live dict and the GIL is held; the pointers are valid borrowed
    // references until Python code runs, and they are used (or made owned) before that.
    while unsafe { pyo3::ffi::PyDict_Next(d.as_ptr(), &mut pos, &mut key, &mut value) } != 0 {
        // SAFETY: as above; `PyDict_Next` gave non-null pointers.
        let (k, v) = unsafe {
            (
                pyo3::Borrowed::from_ptr(py, key),
                pyo3::Borrowed::from_ptr(py, value),
            )
        };
        let k = k
            .cast::<PyString>()
            .map_err(|_| Error("a dict key is not a string".to_string()))?;
        let op = with_str(&k, |t| tape.push_str(t))??;
        tape.ops.push(op);
        if v.is_exact_instance_of::<PyString>()
            || v.is_none()
            || v.is_exact_instance_of::<PyBool>()
            || v.is_exact_instance_of::<PyInt>()
            || v.is_exact_instance_of::<PyFloat>()
        {
            read_value(&v, tape, depth + 1)?;
        } else {
            read_value(&v.to_owned(), tape, depth + 1)?;
        }
    }
    tape.ops.push(Op::End);
    Ok(())
}

// ---- a tape to Python objects (GIL held) -----------------------------------------------------

/// Python strings for struct field names, made once per thread and kept for the life of the
/// process: they are `&'static str` from a small fixed set (a decision has some forty keys),
/// found by address without a lock.
struct FieldNames {
    slots: Vec<Option<(usize, usize, Py<PyString>)>>,
}

const FIELD_SLOTS: usize = 512;

thread_local! {
    static FIELD_NAMES: RefCell<FieldNames> = const { RefCell::new(FieldNames { slots: Vec::new() }) };
}

fn field_name<'py>(py: Python<'py>, key: &'static str) -> Bound<'py, PyString> {
    let (ptr, len) = (key.as_ptr() as usize, key.len());
    let found = FIELD_NAMES.try_with(|names| {
        let mut names = names.borrow_mut();
        if names.slots.is_empty() {
            names.slots.resize_with(FIELD_SLOTS, || None);
        }
        let mut slot = ((ptr as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40) as usize;
        // Open addressing over a small fixed set: the table never fills in practice; if it
        // does, the name is made anew.
        for _ in 0..FIELD_SLOTS {
            slot %= FIELD_SLOTS;
            match names.slots.get_mut(slot) {
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
    });
    found.unwrap_or_else(|_| PyString::intern(py, key))
}

/// An open container while a tape is replayed.
enum Frame<'py> {
    Dict(Bound<'py, PyDict>, Option<Bound<'py, PyAny>>),
    List(Vec<Bound<'py, PyAny>>),
}

impl Tape {
    /// The Python objects the tape's first value describes, as `json.loads` would give its
    /// JSON.
    pub(crate) fn to_py<'py>(
        &self,
        py: Python<'py>,
        strings: &Strings<'py>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.to_py_at(py, &mut 0, strings)
    }

    /// The Python objects of the value that starts at step `*at`; `*at` moves past it.
    pub(crate) fn to_py_at<'py>(
        &self,
        py: Python<'py>,
        at: &mut usize,
        strings: &Strings<'py>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let mut stack: Vec<Frame<'py>> = Vec::with_capacity(8);
        let ops = self.ops.get(*at..).unwrap_or_default();
        for op in ops {
            *at += 1;
            let value: Bound<'py, PyAny> = match *op {
                Op::Dict => {
                    stack.push(Frame::Dict(PyDict::new(py), None));
                    continue;
                }
                Op::List => {
                    stack.push(Frame::List(Vec::new()));
                    continue;
                }
                Op::End => match stack.pop() {
                    Some(Frame::Dict(d, _)) => d.into_any(),
                    Some(Frame::List(items)) => PyList::new(py, items)?.into_any(),
                    None => return Err(broken()),
                },
                Op::Field(name) => field_name(py, name).into_any(),
                Op::Str(start, len) => PyString::new(py, self.str_at(start, len)).into_any(),
                Op::Shared(start, len, h) => {
                    strings.hashed(py, self.str_at(start, len), h).into_any()
                }
                Op::Int(n) => PyInt::new(py, n).into_any(),
                Op::UInt(n) => PyInt::new(py, n).into_any(),
                Op::Float(f) => PyFloat::new(py, f).into_any(),
                Op::Bool(b) => PyBool::new(py, b).to_owned().into_any(),
                Op::Null => py.None().into_bound(py),
            };
            match stack.last_mut() {
                None => return Ok(value),
                Some(Frame::List(items)) => items.push(value),
                Some(Frame::Dict(d, key)) => match key.take() {
                    None => *key = Some(value),
                    Some(k) => d.set_item(k, value)?,
                },
            }
        }
        Err(broken())
    }
}

fn broken() -> PyErr {
    pyo3::exceptions::PyRuntimeError::new_err("internal error: an unbalanced value tape")
}

// ---- serde values onto a tape (no GIL) -------------------------------------------------------

type Done = Result<(), Error>;

impl ser::Serializer for &mut Tape {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Self;
    type SerializeTuple = Self;
    type SerializeTupleStruct = Self;
    type SerializeTupleVariant = Self;
    type SerializeMap = Self;
    type SerializeStruct = Self;
    type SerializeStructVariant = Self;

    fn serialize_bool(self, v: bool) -> Done {
        self.ops.push(Op::Bool(v));
        Ok(())
    }
    fn serialize_i8(self, v: i8) -> Done {
        self.serialize_i64(i64::from(v))
    }
    fn serialize_i16(self, v: i16) -> Done {
        self.serialize_i64(i64::from(v))
    }
    fn serialize_i32(self, v: i32) -> Done {
        self.serialize_i64(i64::from(v))
    }
    fn serialize_i64(self, v: i64) -> Done {
        self.ops.push(Op::Int(v));
        Ok(())
    }
    fn serialize_u8(self, v: u8) -> Done {
        self.serialize_i64(i64::from(v))
    }
    fn serialize_u16(self, v: u16) -> Done {
        self.serialize_i64(i64::from(v))
    }
    fn serialize_u32(self, v: u32) -> Done {
        self.serialize_i64(i64::from(v))
    }
    fn serialize_u64(self, v: u64) -> Done {
        self.ops.push(Op::UInt(v));
        Ok(())
    }
    fn serialize_f32(self, v: f32) -> Done {
        self.serialize_f64(f64::from(v))
    }
    fn serialize_f64(self, v: f64) -> Done {
        // As serde_json writes it: a float JSON cannot hold is null.
        self.ops.push(if v.is_finite() {
            Op::Float(v)
        } else {
            Op::Null
        });
        Ok(())
    }
    fn serialize_char(self, v: char) -> Done {
        self.serialize_str(v.encode_utf8(&mut [0; 4]))
    }
    fn serialize_str(self, v: &str) -> Done {
        let op = match (self.push_str(v)?, shared_hash(v)) {
            (Op::Str(start, len), Some(h)) => Op::Shared(start, len, h),
            (op, _) => op,
        };
        self.ops.push(op);
        Ok(())
    }
    fn serialize_bytes(self, v: &[u8]) -> Done {
        self.ops.push(Op::List);
        for b in v {
            self.ops.push(Op::Int(i64::from(*b)));
        }
        self.ops.push(Op::End);
        Ok(())
    }
    fn serialize_none(self) -> Done {
        self.ops.push(Op::Null);
        Ok(())
    }
    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Done {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Done {
        self.serialize_none()
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Done {
        self.serialize_none()
    }
    fn serialize_unit_variant(self, _n: &'static str, _i: u32, variant: &'static str) -> Done {
        // A variant name is a value here, but a fixed one: shared like a field name.
        self.ops.push(Op::Field(variant));
        Ok(())
    }
    fn serialize_newtype_struct<T: ?Sized + Serialize>(self, _n: &'static str, value: &T) -> Done {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _n: &'static str,
        _i: u32,
        variant: &'static str,
        value: &T,
    ) -> Done {
        self.ops.push(Op::Dict);
        self.ops.push(Op::Field(variant));
        value.serialize(&mut *self)?;
        self.ops.push(Op::End);
        Ok(())
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<Self, Error> {
        self.ops.push(Op::List);
        Ok(self)
    }
    fn serialize_tuple(self, len: usize) -> Result<Self, Error> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(self, _n: &'static str, len: usize) -> Result<Self, Error> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _n: &'static str,
        _i: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Self, Error> {
        // `{"variant": [...]}`, as serde_json writes it; closed by `end`.
        self.ops.push(Op::Dict);
        self.ops.push(Op::Field(variant));
        self.ops.push(Op::List);
        Ok(self)
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Self, Error> {
        self.ops.push(Op::Dict);
        Ok(self)
    }
    fn serialize_struct(self, _n: &'static str, _len: usize) -> Result<Self, Error> {
        self.ops.push(Op::Dict);
        Ok(self)
    }
    fn serialize_struct_variant(
        self,
        _n: &'static str,
        _i: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Self, Error> {
        self.ops.push(Op::Dict);
        self.ops.push(Op::Field(variant));
        self.ops.push(Op::Dict);
        Ok(self)
    }
}

impl ser::SerializeSeq for &mut Tape {
    type Ok = ();
    type Error = Error;
    fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> Done {
        value.serialize(&mut **self)
    }
    fn end(self) -> Done {
        self.ops.push(Op::End);
        Ok(())
    }
}

impl ser::SerializeTuple for &mut Tape {
    type Ok = ();
    type Error = Error;
    fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> Done {
        value.serialize(&mut **self)
    }
    fn end(self) -> Done {
        self.ops.push(Op::End);
        Ok(())
    }
}

impl ser::SerializeTupleStruct for &mut Tape {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: ?Sized + Serialize>(&mut self, value: &T) -> Done {
        value.serialize(&mut **self)
    }
    fn end(self) -> Done {
        self.ops.push(Op::End);
        Ok(())
    }
}

impl ser::SerializeTupleVariant for &mut Tape {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: ?Sized + Serialize>(&mut self, value: &T) -> Done {
        value.serialize(&mut **self)
    }
    fn end(self) -> Done {
        // The list, then the dict around it.
        self.ops.push(Op::End);
        self.ops.push(Op::End);
        Ok(())
    }
}

impl ser::SerializeMap for &mut Tape {
    type Ok = ();
    type Error = Error;
    fn serialize_key<T: ?Sized + Serialize>(&mut self, key: &T) -> Done {
        let before = self.ops.len();
        key.serialize(&mut **self)?;
        // JSON keys are strings: as serde_json, refuse anything else.
        match self.ops.get(before..) {
            Some([Op::Str(..)]) | Some([Op::Shared(..)]) | Some([Op::Field(_)]) => Ok(()),
            _ => Err(Error("a map key is not a string".to_string())),
        }
    }
    fn serialize_value<T: ?Sized + Serialize>(&mut self, value: &T) -> Done {
        value.serialize(&mut **self)
    }
    fn end(self) -> Done {
        self.ops.push(Op::End);
        Ok(())
    }
}

impl ser::SerializeStruct for &mut Tape {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: ?Sized + Serialize>(&mut self, key: &'static str, value: &T) -> Done {
        self.ops.push(Op::Field(key));
        value.serialize(&mut **self)
    }
    fn end(self) -> Done {
        self.ops.push(Op::End);
        Ok(())
    }
}

impl ser::SerializeStructVariant for &mut Tape {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: ?Sized + Serialize>(&mut self, key: &'static str, value: &T) -> Done {
        self.ops.push(Op::Field(key));
        value.serialize(&mut **self)
    }
    fn end(self) -> Done {
        // The struct, then the dict around it.
        self.ops.push(Op::End);
        self.ops.push(Op::End);
        Ok(())
    }
}

// ---- a tape read by serde (no GIL) -----------------------------------------------------------

/// Reads a tape as the serde data model; strings are borrowed from the tape.
pub(crate) struct TapeReader<'t> {
    tape: &'t Tape,
    at: usize,
}

impl<'t> TapeReader<'t> {
    /// Reads the value that starts at step `at`.
    pub(crate) fn new(tape: &'t Tape, at: usize) -> Self {
        TapeReader { tape, at }
    }

    fn next(&mut self) -> Result<Op, Error> {
        let op = self
            .tape
            .ops
            .get(self.at)
            .copied()
            .ok_or_else(|| Error("the value ends early".to_string()))?;
        self.at += 1;
        Ok(op)
    }

    fn peek(&self) -> Option<Op> {
        self.tape.ops.get(self.at).copied()
    }
}

impl<'de> de::Deserializer<'de> for &mut TapeReader<'de> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.next()? {
            Op::Str(start, len) | Op::Shared(start, len, _) => {
                visitor.visit_borrowed_str(self.tape.str_at(start, len))
            }
            Op::Field(name) => visitor.visit_borrowed_str(name),
            Op::Dict => visitor.visit_map(Items(self)),
            Op::List => visitor.visit_seq(Items(self)),
            Op::Int(n) => visitor.visit_i64(n),
            Op::UInt(n) => visitor.visit_u64(n),
            Op::Float(f) => visitor.visit_f64(f),
            Op::Bool(b) => visitor.visit_bool(b),
            Op::Null => visitor.visit_unit(),
            Op::End => Err(Error("a value is missing".to_string())),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        if let Some(Op::Null) = self.peek() {
            self.at += 1;
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

/// The members of a dict or the items of a list, up to their [`Op::End`].
struct Items<'r, 't>(&'r mut TapeReader<'t>);

impl<'de> de::MapAccess<'de> for Items<'_, 'de> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        if let Some(Op::End) = self.0.peek() {
            self.0.at += 1;
            return Ok(None);
        }
        seed.deserialize(&mut *self.0).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        seed.deserialize(&mut *self.0)
    }
}

impl<'de> de::SeqAccess<'de> for Items<'_, 'de> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        if let Some(Op::End) = self.0.peek() {
            self.0.at += 1;
            return Ok(None);
        }
        seed.deserialize(&mut *self.0).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
    struct Shape {
        name: String,
        n: i64,
        big: u64,
        x: f64,
        ok: bool,
        maybe: Option<String>,
        items: Vec<String>,
        nested: std::collections::BTreeMap<String, Vec<i64>>,
    }

    #[test]
    fn a_value_survives_the_tape_both_ways() {
        let value = Shape {
            name: "空调 \"quoted\"".to_string(),
            n: -3,
            big: u64::MAX,
            x: 0.25,
            ok: true,
            maybe: None,
            items: vec!["a".into(), String::new()],
            nested: [("k".to_string(), vec![1, 2])].into_iter().collect(),
        };
        let tape = Tape::of(&value).unwrap();
        let back: Shape = serde::Deserialize::deserialize(&mut TapeReader::new(&tape, 0)).unwrap();
        assert_eq!(back, value);
    }

    #[test]
    fn a_map_with_a_key_that_is_not_a_string_is_refused() {
        let value: std::collections::BTreeMap<i32, i32> = [(1, 2)].into_iter().collect();
        assert!(Tape::of(&value).is_err());
    }
}

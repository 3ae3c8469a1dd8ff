//! Refusing request bodies with floats JSON cannot carry.
//!
//! JSON has no NaN and no infinities, and serde_json writes them as `null`: a threshold
//! computed as `0.0 / 0.0` would reach the server as "no value", which may well mean "no
//! limit". [`check_floats`] walks a body before it is sent and names the first field that
//! holds such a float. The request builders call it for the operations whose body schema has
//! a `number` somewhere (`islo/build.rs` decides, from the spec).

use serde::ser::{self, Serialize};
use std::fmt;

use crate::error::{Error, Result};
use crate::meta::OperationMeta;

/// `Ok` when every float in `body` is finite; else [`Error::InvalidRequest`] naming the
/// operation and the field (`rules[0].when.value`).
pub(crate) fn check_floats<T: Serialize + ?Sized>(
    op: &'static OperationMeta,
    body: &T,
) -> Result<()> {
    match body.serialize(Finite) {
        Ok(()) => Ok(()),
        Err(NonFinite { value, path }) => Err(Error::InvalidRequest(format!(
            "{}: request body field `{}` is {value}, which JSON cannot carry (it would be sent as `null`)",
            op.id,
            path_text(&path),
        ))),
    }
}

/// One step of a path into a body.
#[derive(Debug)]
enum Segment {
    Field(String),
    Index(usize),
}

/// `rules[0].when.value`.
fn path_text(path: &[Segment]) -> String {
    let mut text = String::new();
    for segment in path {
        match segment {
            Segment::Field(name) if text.is_empty() => text.push_str(name),
            Segment::Field(name) => {
                text.push('.');
                text.push_str(name);
            }
            Segment::Index(i) => text.push_str(&format!("[{i}]")),
        }
    }
    if text.is_empty() {
        text.push_str("(the body)");
    }
    text
}

/// The first non-finite float found, and where: path segments from the outside in.
#[derive(Debug)]
struct NonFinite {
    value: f64,
    path: Vec<Segment>,
}

impl NonFinite {
    /// The same error one level further out, under `segment`.
    fn under(mut self, segment: Segment) -> Self {
        self.path.insert(0, segment);
        self
    }
}

impl fmt::Display for NonFinite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at {}", self.value, path_text(&self.path))
    }
}

impl std::error::Error for NonFinite {}

impl ser::Error for NonFinite {
    // Only `check_floats` serializes into `Finite`, and the bodies' own `Serialize` impls
    // (derived) do not fail; a custom error still must not pass as a clean body.
    fn custom<M: fmt::Display>(msg: M) -> Self {
        Self {
            value: f64::NAN,
            path: vec![Segment::Field(format!("(serialization failed: {msg})"))],
        }
    }
}

/// A serializer that writes nothing and fails on the first NaN or infinity.
#[derive(Clone, Copy)]
struct Finite;

fn field(name: &str) -> Segment {
    Segment::Field(name.to_string())
}

/// Serializer methods for values that are always fine.
macro_rules! ignore {
    ($($method:ident : $ty:ty),*) => {$(
        fn $method(self, _: $ty) -> Result<(), NonFinite> {
            Ok(())
        }
    )*};
}

impl ser::Serializer for Finite {
    type Ok = ();
    type Error = NonFinite;
    type SerializeSeq = Seq;
    type SerializeTuple = Seq;
    type SerializeTupleStruct = Seq;
    type SerializeTupleVariant = Seq;
    type SerializeMap = Map;
    type SerializeStruct = Top;
    type SerializeStructVariant = Top;

    fn serialize_f64(self, v: f64) -> Result<(), NonFinite> {
        if v.is_finite() {
            Ok(())
        } else {
            Err(NonFinite {
                value: v,
                path: Vec::new(),
            })
        }
    }
    fn serialize_f32(self, v: f32) -> Result<(), NonFinite> {
        self.serialize_f64(f64::from(v))
    }
    // Nothing but floats can be out of JSON's range.
    ignore!(
        serialize_bool: bool,
        serialize_i8: i8,
        serialize_i16: i16,
        serialize_i32: i32,
        serialize_i64: i64,
        serialize_u8: u8,
        serialize_u16: u16,
        serialize_u32: u32,
        serialize_u64: u64,
        serialize_char: char,
        serialize_str: &str,
        serialize_bytes: &[u8]
    );
    fn serialize_none(self) -> Result<(), NonFinite> {
        Ok(())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), NonFinite> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), NonFinite> {
        Ok(())
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), NonFinite> {
        Ok(())
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
    ) -> Result<(), NonFinite> {
        Ok(())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), NonFinite> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), NonFinite> {
        value.serialize(self).map_err(|e| e.under(field(variant)))
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Seq, NonFinite> {
        Ok(Seq(0))
    }
    fn serialize_tuple(self, _: usize) -> Result<Seq, NonFinite> {
        Ok(Seq(0))
    }
    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Seq, NonFinite> {
        Ok(Seq(0))
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Seq, NonFinite> {
        Ok(Seq(0))
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Map, NonFinite> {
        Ok(Map(None))
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Top, NonFinite> {
        Ok(Top)
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Top, NonFinite> {
        Ok(Top)
    }
}

/// The elements of a sequence, counted for the path (`[3]`).
struct Seq(usize);

impl Seq {
    fn element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), NonFinite> {
        let i = self.0;
        self.0 += 1;
        value
            .serialize(Finite)
            .map_err(|e| e.under(Segment::Index(i)))
    }
}

/// The four sequence-like traits of serde, each one element at a time.
macro_rules! seq_like {
    ($($trait:ident :: $method:ident),*) => {$(
        impl ser::$trait for Seq {
            type Ok = ();
            type Error = NonFinite;
            fn $method<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), NonFinite> {
                self.element(value)
            }
            fn end(self) -> Result<(), NonFinite> {
                Ok(())
            }
        }
    )*};
}

seq_like!(
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field,
    SerializeTupleVariant::serialize_field
);

/// A map's entries; the last key, when it is a string, names the value in the path.
struct Map(Option<String>);

impl ser::SerializeMap for Map {
    type Ok = ();
    type Error = NonFinite;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), NonFinite> {
        // Keys are strings in JSON; their text is needed only for an error, so it is taken
        // (one small allocation per key) only from bodies that have floats at all.
        self.0 = serde_json::to_value(key)
            .ok()
            .and_then(|k| k.as_str().map(str::to_string));
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), NonFinite> {
        value.serialize(Finite).map_err(|e| {
            e.under(match self.0.take() {
                Some(k) => Segment::Field(k),
                None => Segment::Field("[…]".to_string()),
            })
        })
    }
    fn end(self) -> Result<(), NonFinite> {
        Ok(())
    }
}

/// A struct's fields, named in the path.
struct Top;

/// A struct's and a struct variant's fields, each named in the path.
macro_rules! struct_like {
    ($($trait:ident),*) => {$(
        impl ser::$trait for Top {
            type Ok = ();
            type Error = NonFinite;
            fn serialize_field<T: Serialize + ?Sized>(
                &mut self,
                key: &'static str,
                value: &T,
            ) -> Result<(), NonFinite> {
                value.serialize(Finite).map_err(|e| e.under(field(key)))
            }
            fn end(self) -> Result<(), NonFinite> {
                Ok(())
            }
        }
    )*};
}

struct_like!(SerializeStruct, SerializeStructVariant);

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[derive(serde::Serialize)]
    struct Item {
        name: &'static str,
        x: f64,
    }

    #[derive(serde::Serialize)]
    struct Body {
        items: Vec<Item>,
        limits: BTreeMap<String, f64>,
        rate: Option<f32>,
        pair: (u8, f64),
    }

    fn body() -> Body {
        Body {
            items: vec![Item { name: "a", x: 1.0 }, Item { name: "b", x: -2.5 }],
            limits: BTreeMap::from([("budget".to_string(), 10.0)]),
            rate: Some(0.5),
            pair: (1, 0.0),
        }
    }

    fn op() -> &'static OperationMeta {
        crate::meta::operation("deploy_job").expect("an operation")
    }

    fn refused(b: &Body) -> String {
        match check_floats(op(), b) {
            Err(Error::InvalidRequest(m)) => m,
            other => panic!("not refused: {other:?}"),
        }
    }

    #[test]
    fn finite_floats_pass_and_each_non_finite_one_is_named_by_its_path() {
        assert!(check_floats(op(), &body()).is_ok());

        let mut b = body();
        b.items[1].x = f64::NAN;
        let m = refused(&b);
        assert!(m.starts_with("deploy_job: "), "{m}");
        assert!(m.contains("`items[1].x` is NaN"), "{m}");

        let mut b = body();
        b.limits.insert("budget".into(), f64::INFINITY);
        assert!(refused(&b).contains("`limits.budget` is inf"));

        let mut b = body();
        b.rate = Some(f32::NEG_INFINITY);
        assert!(refused(&b).contains("`rate` is -inf"));

        let mut b = body();
        b.pair.1 = f64::NAN;
        assert!(refused(&b).contains("`pair[1]` is NaN"));

        // A bare float, and an update body's three states.
        assert!(check_floats(op(), &f64::NAN).is_err());
        assert!(check_floats(op(), &islo_generated::Patch::Value(f64::NAN)).is_err());
        assert!(check_floats(op(), &islo_generated::Patch::<f64>::Null).is_ok());
    }
}

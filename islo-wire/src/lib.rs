//! Values of the Islo wire format that no generated type can carry exactly: a date-time that
//! accepts what a Python server sends and keeps its text ([`DateTime`]), and the three states
//! of a field of an update body ([`Patch`]). The bindings (`islo-generated`) use them for
//! every `format: date-time` value and every nullable field of an update body; the `islo`
//! crate re-exports both.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod date_time;
mod patch;

pub use date_time::{DateTime, DateTimeError};
pub use patch::Patch;

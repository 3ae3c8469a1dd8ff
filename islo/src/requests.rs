//! The request builders: one per operation of the API, generated from the spec by `build.rs`
//! (see `OUT_DIR/requests.rs`). [`Islo`]'s method for an operation takes the operation's
//! required values positionally and returns its builder; optional values are setters; the
//! builder is sent with `.await` (it is [`IntoFuture`](std::future::IntoFuture)) or
//! `.send().await`, and fails with [`Error`].
//!
//! ```no_run
//! # async fn demo(islo: islo::Islo) -> islo::Result<()> {
//! let sandbox = islo.get_sandbox("my-sandbox").await?;
//! let page = islo.list_sandboxes().limit(10).status(["running"]).await?;
//! println!("{} of {} running", page.items.len(), page.total);
//! # let _ = sandbox; Ok(()) }
//! ```

use crate::error::{Error, Result};
use crate::finite::check_floats;
use crate::meta::{self, OperationMeta, Plane};
use crate::types;
use crate::Islo;
use islo_generated::{BoxFuture, ByteStream, ResponseValue};

/// Refuses a path parameter that would change which endpoint the request reaches: empty,
/// `.` or `..` (also percent-encoded, for servers and proxies that decode twice), or with a
/// `/` or `\` (servers match routes on the decoded path, so an encoded `/` still splits the
/// segment, and URL parsers read `\` as `/`).
pub(crate) fn check_path_segment(
    op: &'static OperationMeta,
    name: &'static str,
    value: &str,
) -> Result<()> {
    let why = if value.is_empty() {
        Some("must not be empty")
    } else {
        segment_problem(value)
    };
    match why {
        Some(why) => Err(Error::InvalidRequest(format!(
            "{}: path parameter `{name}` {why} (it would change the endpoint)",
            op.id
        ))),
        None => Ok(()),
    }
}

/// Why the path segment `value` (as sent, possibly percent-encoded) would lead somewhere
/// else than one segment down, if it would: it is `.` or `..`, or holds a `/` or `\`, as
/// written or once decoded (also when encoded twice). Path parameters and redirect targets
/// are both checked with it.
pub(crate) fn segment_problem(value: &str) -> Option<&'static str> {
    // Without a `%` there is nothing to decode (the usual case: no copy).
    let decoded = if value.contains('%') {
        std::borrow::Cow::Owned(percent_decode(value))
    } else {
        std::borrow::Cow::Borrowed(value)
    };
    if matches!(&*decoded, "." | "..") || matches!(value, "." | "..") {
        Some("must not be `.` or `..`")
    } else if value.contains(['/', '\\']) || decoded.contains(['/', '\\']) {
        Some("must not contain `/` or `\\`")
    } else {
        None
    }
}

/// `%XX` sequences decoded (as Latin-1 bytes; only ASCII matters here), repeatedly, so that
/// `%252e` reads as `.` too.
fn percent_decode(value: &str) -> String {
    let mut text = value.to_string();
    // Each pass shortens the text; a few passes cover any nesting a proxy would undo.
    for _ in 0..4 {
        if !text.contains('%') {
            break;
        }
        let bytes = text.as_bytes();
        let mut out = String::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            let hex = |b: u8| (b as char).to_digit(16);
            if bytes[i] == b'%' && i + 2 < bytes.len() {
                if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                    out.push(char::from((h * 16 + l) as u8));
                    i += 3;
                    continue;
                }
            }
            out.push(bytes[i] as char);
            i += 1;
        }
        if out == text {
            break;
        }
        text = out;
    }
    text
}

/// A body that could not be converted to its type (a builder with a required field unset).
fn body_error(op: &'static OperationMeta, why: String) -> Error {
    Error::InvalidRequest(format!("{}: the body is incomplete: {why}", op.id))
}

/// The result of a generated call of `op`, with its error as an [`Error`]. A decode error
/// quotes values of the body (`invalid type: string "…"`): one that quotes a secret of the
/// client (echoed by the server) has it redacted.
fn finish<T>(
    islo: &Islo,
    op: &'static OperationMeta,
    result: std::result::Result<ResponseValue<T>, progenitor_client::Error<()>>,
) -> Result<ResponseValue<T>> {
    result.map_err(|e| match Error::from_generated(op.id, e) {
        Error::Decode {
            operation,
            body,
            source,
        } => Error::Decode {
            operation,
            body,
            source: crate::error::bounded_json_error(crate::secret::redact_json_error(
                source,
                |t| islo.shared().redact(t),
            )),
        },
        other => other,
    })
}

impl Islo {
    /// The generated client addressing `plane`.
    fn plane(&self, plane: Plane) -> &islo_generated::Client {
        match plane {
            Plane::Control => &self.inner.control,
            Plane::Compute => &self.inner.compute,
        }
    }
}

include!(concat!(env!("OUT_DIR"), "/requests.rs"));

#[cfg(test)]
mod tests {
    use super::*;

    fn op() -> &'static OperationMeta {
        meta::operation("get_sandbox").unwrap()
    }

    #[test]
    fn endpoint_changing_segments_are_refused() {
        for bad in [
            "",
            ".",
            "..",
            "%2e",
            "%2E%2e",
            ".%2e",
            "%252e%252e",
            "a/b",
            "a%2Fb",
            "a\\b",
            "..%2f",
        ] {
            let e = check_path_segment(op(), "sandbox_name", bad).unwrap_err();
            assert!(matches!(e, Error::InvalidRequest(_)), "{bad:?}: {e}");
            assert!(e.to_string().contains("get_sandbox"), "{e}");
        }
    }

    #[test]
    fn ordinary_segments_pass() {
        for ok in ["sb-1", "my.sandbox", "...", "a..b", "%41", "100%", "x%2"] {
            check_path_segment(op(), "sandbox_name", ok).unwrap();
        }
    }
}

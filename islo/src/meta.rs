//! What the spec says about each operation: its plane, method and path, whether replaying it
//! is safe, how its body and answer are framed, and how its errors are documented. Generated
//! by `build.rs` from the normalized spec; the send path, the fake server and the tests all
//! read these facts from here.

/// Which Islo plane serves an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Plane {
    /// The control plane (`https://api.islo.dev` in production).
    Control,
    /// The compute plane (`https://ca.compute.islo.dev` in production).
    Compute,
}

/// How an operation's request body is framed on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RequestBody {
    /// No body.
    None,
    /// A JSON document.
    Json,
    /// `multipart/form-data` with one binary part named `field`; the SDK frames it.
    Multipart {
        /// The part name.
        field: &'static str,
    },
    /// Raw bytes of `media_type`.
    Bytes {
        /// The documented media type.
        media_type: &'static str,
    },
}

/// What an operation's success response carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ResponseBody {
    /// Nothing (e.g. 204).
    Empty,
    /// A JSON document.
    Json,
    /// A `text/event-stream`.
    Sse,
    /// Raw bytes (files, archives) of `media_type`.
    Bytes {
        /// The documented media type.
        media_type: &'static str,
    },
}

/// Where a parameter goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ParamLocation {
    /// A `{name}` segment of the path.
    Path,
    /// A query-string pair (arrays repeat the key).
    Query,
    /// A request header.
    Header,
}

/// One parameter of an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Param {
    /// The wire name.
    pub name: &'static str,
    /// Where it goes.
    pub location: ParamLocation,
    /// Whether the operation requires it (path parameters always are).
    pub required: bool,
}

/// A documented error status and the schema of its JSON body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ErrorStatus {
    /// The HTTP status.
    pub status: u16,
    /// The component schema of the body (`ErrorResponse`, `HTTPValidationError`, ...).
    pub schema: Option<&'static str>,
}

/// One operation of the Islo API as the spec describes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct OperationMeta {
    /// The `operationId`, which is also the name of its method on [`Islo`](crate::Islo).
    pub id: &'static str,
    /// The HTTP method, upper case.
    pub method: &'static str,
    /// The path template, e.g. `/sandboxes/{sandbox_name}`.
    pub path: &'static str,
    /// The plane that serves it.
    pub plane: Plane,
    /// Whether replaying it is safe even if the server may have processed it (its method is
    /// GET, HEAD, PUT, DELETE or OPTIONS).
    pub idempotent: bool,
    /// Internal operations (the token exchange) have no method on `Islo`; the SDK makes them.
    pub internal: bool,
    /// The parameters, in the spec's order.
    pub params: &'static [Param],
    /// The request body framing.
    pub body: RequestBody,
    /// The documented success status (any 2xx is a success).
    pub success_status: u16,
    /// The success response body.
    pub response: ResponseBody,
    /// Documented error statuses, sorted.
    pub errors: &'static [ErrorStatus],
}

impl OperationMeta {
    /// The documented error body schema for `status`, if any.
    pub fn error_schema(&self, status: u16) -> Option<&'static str> {
        self.errors
            .iter()
            .find(|e| e.status == status)
            .and_then(|e| e.schema)
    }

    /// Whether the success response is a stream (SSE or bytes) rather than a document.
    pub fn is_stream(&self) -> bool {
        matches!(
            self.response,
            ResponseBody::Sse | ResponseBody::Bytes { .. }
        )
    }
}

include!(concat!(env!("OUT_DIR"), "/operations.rs"));
include!("id_hash.rs");

/// Looks up an operation by its `operationId`.
///
/// ```
/// let op = islo::meta::operation("get_sandbox").unwrap();
/// assert_eq!((op.method, op.path), ("GET", "/sandboxes/{sandbox_name}"));
/// assert_eq!(op.plane, islo::meta::Plane::Compute);
/// ```
pub fn operation(id: &str) -> Option<&'static OperationMeta> {
    // Every call looks its operation up by id: one hash and one comparison, instead of a
    // binary search's seven string comparisons.
    let mask = OPERATION_SLOTS.len() - 1;
    let mut i = usize::try_from(id_hash(id)).unwrap_or(0) & mask;
    // The table is at most half full: a probe meets an empty slot (`u16::MAX`, which no
    // operation has as its index) within its length.
    for _ in 0..OPERATION_SLOTS.len() {
        let op = OPERATIONS.get(usize::from(*OPERATION_SLOTS.get(i)?))?;
        if op.id == id {
            return Some(op);
        }
        i = (i + 1) & mask;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_is_found_by_its_id_and_nothing_else_is() {
        for op in OPERATIONS {
            let found = operation(op.id).map(|o| o.id);
            assert_eq!(found, Some(op.id), "{}", op.id);
        }
        // Ids that are not operations: near misses, prefixes, the empty string, and ids
        // whose hash lands on an occupied slot.
        let mut misses = vec![String::new(), "get_sandboxes".into(), "GET_SANDBOX".into()];
        for op in OPERATIONS {
            misses.push(format!("{}_", op.id));
            misses.push(op.id[..op.id.len() - 1].to_string());
        }
        for id in &misses {
            if OPERATIONS.iter().all(|op| op.id != id) {
                assert!(operation(id).is_none(), "{id:?}");
            }
        }
        // The ids are unique and the table keeps room for every probe to end.
        assert!(OPERATION_SLOTS.len() >= 2 * OPERATIONS.len());
        let used = OPERATION_SLOTS.iter().filter(|&&s| s != u16::MAX).count();
        assert_eq!(used, OPERATIONS.len());
    }
}

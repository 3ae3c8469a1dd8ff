//! Response body type and small HTTP helpers (query strings, errors).

use std::borrow::Cow;
use std::collections::VecDeque;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::{Bytes, BytesMut};
use http::header::{HeaderValue, CONTENT_TYPE};
use http::{Response, StatusCode};
use hyper::body::{Frame, SizeHint};
use tokio::sync::mpsc;

use super::generated::GeneratedContent;

pub(crate) static JSON: HeaderValue = HeaderValue::from_static("application/json");
pub(crate) static OCTET: HeaderValue = HeaderValue::from_static("application/octet-stream");
pub(crate) static GZIP: HeaderValue = HeaderValue::from_static("application/gzip");
pub(crate) static EVENT_STREAM: HeaderValue = HeaderValue::from_static("text/event-stream");
pub(crate) static NO_CACHE: HeaderValue = HeaderValue::from_static("no-cache");

/// Response body: nothing, one buffer (sent with `content-length`), a
/// sequence of chunks (sent chunked, one frame per chunk; used for SSE), generated
/// content (sent with `content-length`, produced chunk by chunk as the connection takes
/// it), or chunks from a producer task (sent chunked; an error aborts the response).
pub(crate) enum Body {
    /// One buffer (possibly already taken).
    Full(Option<Bytes>),
    /// Several chunks, streamed in order.
    Chunks(VecDeque<Bytes>),
    /// A generated file.
    Generated(GeneratedContent),
    /// Chunks sent by a producer.
    Channel(mpsc::Receiver<io::Result<Bytes>>),
}

/// Size of the frames of a generated body.
const GENERATED_FRAME: usize = 64 * 1024;

impl Body {
    pub(crate) fn empty() -> Self {
        Body::Full(None)
    }
}

impl hyper::body::Body for Body {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        let this = self.get_mut();
        let next = match this {
            Body::Full(b) => b.take(),
            Body::Chunks(c) => c.pop_front(),
            Body::Generated(g) => {
                let n = usize::try_from(g.remaining())
                    .map_or(GENERATED_FRAME, |r| r.min(GENERATED_FRAME));
                if n == 0 {
                    None
                } else {
                    let mut buf = BytesMut::zeroed(n);
                    g.fill(&mut buf);
                    Some(buf.freeze())
                }
            }
            Body::Channel(rx) => {
                return match rx.poll_recv(cx) {
                    Poll::Pending => Poll::Pending,
                    Poll::Ready(None) => Poll::Ready(None),
                    Poll::Ready(Some(Ok(b))) => Poll::Ready(Some(Ok(Frame::data(b)))),
                    Poll::Ready(Some(Err(e))) => Poll::Ready(Some(Err(e))),
                }
            }
        };
        Poll::Ready(next.map(|b| Ok(Frame::data(b))))
    }

    fn is_end_stream(&self) -> bool {
        match self {
            Body::Full(b) => b.as_ref().is_none_or(|b| b.is_empty()),
            Body::Chunks(c) => c.is_empty(),
            Body::Generated(g) => g.remaining() == 0,
            Body::Channel(_) => false,
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            Body::Full(b) => SizeHint::with_exact(b.as_ref().map_or(0, |b| b.len() as u64)),
            Body::Generated(g) => SizeHint::with_exact(g.remaining()),
            Body::Chunks(_) | Body::Channel(_) => SizeHint::default(),
        }
    }
}

/// Builds a response with a body and an optional content type.
pub(crate) fn respond(status: u16, ctype: Option<&HeaderValue>, body: Bytes) -> Response<Body> {
    let mut resp = Response::new(Body::Full(if body.is_empty() { None } else { Some(body) }));
    *resp.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    if let Some(ct) = ctype {
        resp.headers_mut().insert(CONTENT_TYPE, ct.clone());
    }
    resp
}

/// A `status` response with `body` and a content type.
pub(crate) fn respond_body(status: u16, ctype: &HeaderValue, body: Body) -> Response<Body> {
    let mut resp = Response::new(body);
    *resp.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    resp.headers_mut().insert(CONTENT_TYPE, ctype.clone());
    resp
}

/// A JSON response from already serialised bytes.
pub(crate) fn json_bytes(status: u16, body: Vec<u8>) -> Response<Body> {
    respond(status, Some(&JSON), Bytes::from(body))
}

/// A JSON response from a serialisable value.
pub(crate) fn json<T: serde::Serialize + ?Sized>(status: u16, value: &T) -> Response<Body> {
    match serde_json::to_vec(value) {
        Ok(v) => json_bytes(status, v),
        Err(e) => error(500, "INTERNAL_ERROR", &format!("serialisation failed: {e}")),
    }
}

/// A redirect to `location` (a path, with its query), as FastAPI answers a path whose
/// trailing `/` differs from the route's.
pub(crate) fn redirect(status: u16, location: &str) -> Response<Body> {
    let mut resp = respond(status, None, Bytes::new());
    if let Ok(v) = HeaderValue::from_str(location) {
        resp.headers_mut().insert(http::header::LOCATION, v);
    }
    resp
}

/// An `ErrorResponse` (`{"code", "message", "request_id"}`).
pub(crate) fn error(status: u16, code: &str, message: &str) -> Response<Body> {
    #[derive(serde::Serialize)]
    struct ErrorBody<'a> {
        code: &'a str,
        message: &'a str,
        request_id: &'a str,
    }
    let body = ErrorBody {
        code,
        message,
        request_id: "req_fake_islo",
    };
    match serde_json::to_vec(&body) {
        Ok(v) => json_bytes(status, v),
        Err(_) => respond(status, None, Bytes::new()),
    }
}

/// FastAPI's `422` body: `{"detail": [{"loc", "msg", "type"}]}`.
pub(crate) fn validation_error(loc: &[&str], msg: &str, kind: &str) -> Response<Body> {
    let body = serde_json::json!({
        "detail": [{ "loc": loc, "msg": msg, "type": kind }]
    });
    json(422, &body)
}

/// A `text/event-stream` response made of the given chunks.
pub(crate) fn sse(chunks: VecDeque<Bytes>) -> Response<Body> {
    let mut resp = Response::new(Body::Chunks(chunks));
    resp.headers_mut()
        .insert(CONTENT_TYPE, EVENT_STREAM.clone());
    resp.headers_mut()
        .insert(http::header::CACHE_CONTROL, NO_CACHE.clone());
    resp
}

/// Appends one SSE event to `out`: the `event:` line, then `data` as the real server frames
/// it, one `data:` line per line of it, so that a client joining them with `\n` gets `data`
/// back exactly (a trailing line feed becomes a last, empty `data:` line). A carriage
/// return cannot be carried by SSE; like the server's framing, it counts as a line break.
pub(crate) fn sse_event(out: &mut String, event: &str, data: &str) {
    out.push_str("event: ");
    out.push_str(event);
    out.push('\n');
    let data = data.replace("\r\n", "\n").replace('\r', "\n");
    for line in data.split('\n') {
        out.push_str("data: ");
        out.push_str(line);
        out.push('\n');
    }
    out.push('\n');
}

/// Decodes `%XX` escapes (and `+` as space when `plus` is set).
pub(crate) fn percent_decode(s: &str, plus: bool) -> Cow<'_, str> {
    if !s.bytes().any(|b| b == b'%' || (plus && b == b'+')) {
        return Cow::Borrowed(s);
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = |c: u8| (c as char).to_digit(16);
                match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                    (Some(h), Some(l)) => {
                        out.push((h * 16 + l) as u8);
                        i += 3;
                        continue;
                    }
                    _ => out.push(b'%'),
                }
            }
            b'+' if plus => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    Cow::Owned(String::from_utf8_lossy(&out).into_owned())
}

/// Parsed query string: `(key, value)` pairs in order, percent-decoded.
pub(crate) struct Query(pub(crate) Vec<(String, String)>);

impl Query {
    pub(crate) fn parse(q: Option<&str>) -> Self {
        let mut out = Vec::new();
        if let Some(q) = q {
            for pair in q.split('&').filter(|p| !p.is_empty()) {
                let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                out.push((
                    percent_decode(k, true).into_owned(),
                    percent_decode(v, true).into_owned(),
                ));
            }
        }
        Query(out)
    }

    /// First value of `key`.
    pub(crate) fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// All values of `key`: repeated keys, as the spec's `style: form, explode: true`
    /// arrays are sent (a comma is part of a value, not a separator).
    pub(crate) fn all(&self, key: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("a%20b+c", true), "a b c");
        assert_eq!(percent_decode("a%2", false), "a%2");
        assert_eq!(percent_decode("%2Ftmp%2fx", false), "/tmp/x");
    }

    #[test]
    fn query_repeated_keys() {
        let q = Query::parse(Some("status=running&status=paused&limit=2&x"));
        assert_eq!(q.all("status"), vec!["running", "paused"]);
        assert_eq!(q.get("limit"), Some("2"));
        assert_eq!(q.get("x"), Some(""));
        // `style: form, explode: true`: values are repeated keys; a comma is part of one.
        let q = Query::parse(Some("status=running,paused"));
        assert_eq!(q.all("status"), vec!["running,paused"]);
    }

    #[test]
    fn sse_lines() {
        let mut s = String::new();
        sse_event(&mut s, "stdout", "a\nb\n");
        assert_eq!(s, "event: stdout\ndata: a\ndata: b\ndata: \n\n");
        let mut s = String::new();
        sse_event(&mut s, "exit", "0");
        assert_eq!(s, "event: exit\ndata: 0\n\n");
    }
}

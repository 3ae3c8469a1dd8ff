//! The one error type of the SDK.

use crate::secret::redact_credentials;
use crate::types;
use bytes::Bytes;
use reqwest::header::HeaderMap;
use reqwest::StatusCode;
use std::fmt;
use std::sync::{Arc, Mutex};

/// A result with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong calling Islo. Each variant keeps its cause (`source()`), and
/// no variant ever contains the API key or a session token in its text.
#[derive(thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The server answered with a non-2xx status.
    #[error(transparent)]
    Api(Box<ApiError>),
    /// Exchanging the API key for a session token failed.
    #[error("islo: token exchange failed: {0}")]
    Auth(#[source] Box<AuthError>),
    /// The client is misconfigured (missing or empty API key, bad URL, bad header).
    #[error("islo: invalid configuration: {0}")]
    Config(String),
    /// A request argument is missing or invalid (caught before sending).
    #[error("islo: invalid request: {0}")]
    InvalidRequest(String),
    /// The request or the response did not complete in time.
    #[error("islo: {operation} timed out")]
    Timeout {
        /// The operation (its `operationId`, e.g. `get_sandbox`).
        operation: &'static str,
        /// reqwest's error.
        #[source]
        source: reqwest::Error,
    },
    /// The connection failed (refused, reset, TLS, ...).
    #[error("islo: {operation} failed to connect or send: {}", shown(&redact_credentials(&.source.to_string()), MAX_SHOWN_BYTES))]
    Transport {
        /// The operation.
        operation: &'static str,
        /// reqwest's error.
        #[source]
        source: reqwest::Error,
    },
    /// A 2xx response body did not match the documented schema. The raw body is kept.
    #[error(
        "islo: {operation} answered with a body that does not decode: {}",
        shown(&redact_credentials(&.source.to_string()), MAX_SHOWN_BYTES)
    )]
    Decode {
        /// The operation.
        operation: &'static str,
        /// The raw body as received.
        body: Bytes,
        /// Why it did not decode (serde quotes the values it could not take; a secret of
        /// the client among them is redacted).
        #[source]
        source: serde_json::Error,
    },
    /// A success's body was larger than the client's limit
    /// ([`IsloBuilder::max_response_bytes`](crate::IsloBuilder::max_response_bytes), by
    /// default [`DEFAULT_MAX_RESPONSE_BYTES`](crate::DEFAULT_MAX_RESPONSE_BYTES)): announced
    /// so by its `Content-Length`, or found so while reading it. Nothing past the limit was
    /// read or kept. Also a file download over its limit
    /// ([`DEFAULT_MAX_DOWNLOAD_BYTES`](crate::files::DEFAULT_MAX_DOWNLOAD_BYTES) by default).
    #[error("islo: {operation}: the response body is larger than the limit of {limit} bytes{}", match .announced {
        Some(n) => format!(" (it announced {n})"),
        None => String::new(),
    })]
    TooLarge {
        /// The operation.
        operation: &'static str,
        /// The limit in bytes.
        limit: u64,
        /// The body's `Content-Length`, when it announced one over the limit.
        announced: Option<u64>,
    },
    /// A redirect was refused (to another origin, out of the base URL's path, or more than
    /// 10 in a row).
    #[error("islo: {operation}: redirect refused: {reason} (to {target_origin})")]
    Redirect {
        /// The operation.
        operation: &'static str,
        /// Why.
        reason: &'static str,
        /// The scheme, host and port the server redirected to (never the path or query).
        target_origin: String,
    },
    /// An event stream (`exec_in_sandbox_stream`, `sandbox_creation_events`) failed: it
    /// could not be read or parsed, ended early, or carried an event that makes no sense.
    #[error("islo: {operation}: {reason}")]
    Stream {
        /// The operation whose stream failed.
        operation: &'static str,
        /// What went wrong.
        #[source]
        reason: StreamError,
    },
    /// Reading or writing an archive failed, or an archive entry was refused.
    #[error("islo: archive: {0}")]
    Archive(#[from] crate::archive::ArchiveError),
    /// Local file I/O failed.
    #[error("islo: {context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A waiting helper gave up because its deadline passed.
    #[error("islo: {0} did not finish before the deadline")]
    Deadline(&'static str),
    /// A sandbox reached a state from which the awaited state cannot come.
    #[error("islo: sandbox `{}` is `{}`, not running", shown(.sandbox, 256), shown(.status, 64))]
    SandboxState {
        /// The sandbox name.
        sandbox: String,
        /// Its status.
        status: String,
    },
    /// A paged list could not be followed to its end (the server repeated a page, or there
    /// were more pages than [`PageOptions::max_pages`](crate::pages::PageOptions::max_pages)).
    #[error("islo: paging stopped: {0}")]
    Paging(String),
    /// The server answered with something the SDK does not understand.
    #[error("islo: unexpected response: {}", shown(.0, MAX_SHOWN_BYTES))]
    Unexpected(String),
    /// A middleware added with [`IsloBuilder::middleware`](crate::IsloBuilder::middleware)
    /// failed; its message, with credentials redacted.
    #[error("islo: middleware failed: {0}")]
    Middleware(String),
}

/// Like a derived `Debug`, except that a [`Error::Decode`] body is shown by length only:
/// it is whatever the server sent, and may echo credentials.
impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Api(e) => f.debug_tuple("Api").field(e).finish(),
            Self::Auth(e) => f.debug_tuple("Auth").field(e).finish(),
            Self::Config(m) => f.debug_tuple("Config").field(m).finish(),
            Self::InvalidRequest(m) => f.debug_tuple("InvalidRequest").field(m).finish(),
            Self::Timeout { operation, source } => f
                .debug_struct("Timeout")
                .field("operation", operation)
                .field("source", source)
                .finish(),
            Self::Transport { operation, source } => f
                .debug_struct("Transport")
                .field("operation", operation)
                .field("source", source)
                .finish(),
            Self::Decode {
                operation,
                body,
                source,
            } => f
                .debug_struct("Decode")
                .field("operation", operation)
                .field("body_len", &body.len())
                .field(
                    "source",
                    &shown(&redact_credentials(&source.to_string()), MAX_SHOWN_BYTES),
                )
                .finish(),
            Self::TooLarge {
                operation,
                limit,
                announced,
            } => f
                .debug_struct("TooLarge")
                .field("operation", operation)
                .field("limit", limit)
                .field("announced", announced)
                .finish(),
            Self::Redirect {
                operation,
                reason,
                target_origin,
            } => f
                .debug_struct("Redirect")
                .field("operation", operation)
                .field("reason", reason)
                .field("target_origin", target_origin)
                .finish(),
            Self::Stream { operation, reason } => f
                .debug_struct("Stream")
                .field("operation", operation)
                .field("reason", reason)
                .finish(),
            Self::Archive(e) => f.debug_tuple("Archive").field(e).finish(),
            Self::Io { context, source } => f
                .debug_struct("Io")
                .field("context", context)
                .field("source", source)
                .finish(),
            Self::Deadline(w) => f.debug_tuple("Deadline").field(w).finish(),
            Self::SandboxState { sandbox, status } => f
                .debug_struct("SandboxState")
                .field("sandbox", sandbox)
                .field("status", status)
                .finish(),
            Self::Paging(m) => f.debug_tuple("Paging").field(m).finish(),
            Self::Unexpected(m) => f.debug_tuple("Unexpected").field(m).finish(),
            Self::Middleware(m) => f.debug_tuple("Middleware").field(m).finish(),
        }
    }
}

/// Why an event stream failed ([`Error::Stream`]).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StreamError {
    /// The stream could not be read or parsed (a broken connection, a line that is not
    /// UTF-8, an event over the size limit).
    #[error("{0}")]
    Read(#[from] crate::sse::SseError),
    /// The stream ended before the event that finishes it (for an exec, `exit`).
    #[error("the stream ended without {expected}{}", match .last_error {
        Some(m) => format!("; the server reported: {}", shown(m, MAX_SHOWN_BYTES)),
        None => String::new(),
    })]
    EndedEarly {
        /// The event that should have come (e.g. "an exit event").
        expected: &'static str,
        /// The last `error` event's message (credentials redacted), if there was one.
        last_error: Option<String>,
    },
    /// An event whose data is not what its type promises (e.g. an `exit` event whose data
    /// is not a number); the data is shown truncated and redacted.
    #[error("a `{}` event with unexpected data `{}`", shown(.event, 64), shown(.data, 256))]
    BadEvent {
        /// The event type.
        event: String,
        /// The start of its data.
        data: String,
    },
}

/// What kind of failure an [`Error`] is: the HTTP status class of an API error, or the
/// kind of a failure that has no status. Match on it rather than on variants.
///
/// ```no_run
/// # async fn demo(islo: islo::Islo) -> islo::Result<()> {
/// use islo::ErrorKind;
/// match islo.get_sandbox("maybe-there").await {
///     Ok(sb) => println!("{}", sb.status),
///     Err(e) if e.kind() == ErrorKind::NotFound => println!("no such sandbox"),
///     Err(e) => return Err(e),
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// 400.
    BadRequest,
    /// 401.
    Unauthorized,
    /// 402 (out of credits).
    PaymentRequired,
    /// 403.
    Forbidden,
    /// 404.
    NotFound,
    /// 409.
    Conflict,
    /// 422.
    Unprocessable,
    /// 429.
    TooManyRequests,
    /// 502, 503, 504.
    Unavailable,
    /// Another 5xx.
    ServerError,
    /// The call (or a helper's wait) did not finish in time.
    Timeout,
    /// The connection could not be made or broke.
    Connection,
    /// A redirect was refused.
    Redirect,
    /// The client is misconfigured.
    Config,
    /// An argument was refused before anything was sent.
    InvalidRequest,
    /// A success's body did not decode, or was larger than its limit
    /// ([`Error::TooLarge`], downloads included).
    Decode,
    /// An event stream failed.
    Stream,
    /// Local file or archive work failed.
    Local,
    /// Anything else (another status, an unexpected answer, a middleware's error).
    Other,
}

impl ErrorKind {
    /// The kind for an HTTP status.
    pub fn from_status(status: StatusCode) -> Self {
        match status.as_u16() {
            400 => Self::BadRequest,
            401 => Self::Unauthorized,
            402 => Self::PaymentRequired,
            403 => Self::Forbidden,
            404 => Self::NotFound,
            408 => Self::Timeout,
            409 => Self::Conflict,
            422 => Self::Unprocessable,
            429 => Self::TooManyRequests,
            502..=504 => Self::Unavailable,
            500..=599 => Self::ServerError,
            _ => Self::Other,
        }
    }
}

/// The decoded body of an error response, when it matched a documented schema.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ErrorBody {
    /// Islo's `ErrorResponse` (code, message, ...).
    Error(Box<types::ErrorResponse>),
    /// FastAPI's validation error (422).
    Validation(Box<types::HttpValidationError>),
    /// JSON of another shape.
    Json(serde_json::Value),
    /// Not JSON (or empty); see [`ApiError::body`] for the bytes.
    Raw,
}

/// A non-2xx answer from Islo.
#[derive(Clone)]
pub struct ApiError {
    pub(crate) operation: &'static str,
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
    pub(crate) decoded: ErrorBody,
}

impl ApiError {
    /// Builds an error from a response's parts; secrets in the body must already be redacted.
    pub(crate) fn new(
        operation: &'static str,
        status: StatusCode,
        headers: HeaderMap,
        body: Bytes,
    ) -> Self {
        let decoded = decode_error_body(&body);
        Self {
            operation,
            status,
            headers,
            body,
            decoded,
        }
    }

    /// The operation that failed (its `operationId`, e.g. `create_sandbox`).
    pub fn operation(&self) -> &'static str {
        self.operation
    }
    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }
    /// The response headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }
    /// The raw response body (credentials redacted).
    pub fn body(&self) -> &Bytes {
        &self.body
    }
    /// The decoded body.
    pub fn decoded(&self) -> &ErrorBody {
        &self.decoded
    }
    /// The kind, by status.
    pub fn kind(&self) -> ErrorKind {
        ErrorKind::from_status(self.status)
    }
    /// The server's message: `ErrorResponse.message`, the validation messages, a `detail` or
    /// `message` string, or the start of the raw body.
    pub fn message(&self) -> String {
        let text = match &self.decoded {
            ErrorBody::Error(e) => e.message.clone(),
            ErrorBody::Validation(v) => v
                .detail
                .iter()
                .flatten()
                .map(|d| {
                    let loc: Vec<String> = d
                        .loc
                        .iter()
                        .map(|l| {
                            serde_json::to_value(l)
                                .map(|v| v.to_string().trim_matches('"').to_string())
                                .unwrap_or_default()
                        })
                        .collect();
                    format!("{}: {}", loc.join("."), d.msg)
                })
                .collect::<Vec<_>>()
                .join("; "),
            ErrorBody::Json(v) => ["detail", "message", "error"]
                .iter()
                .find_map(|k| v.get(*k).and_then(|x| x.as_str()).map(str::to_string))
                .unwrap_or_else(|| truncate(&v.to_string(), 300)),
            ErrorBody::Raw => truncate(&String::from_utf8_lossy(&self.body), 300),
        };
        redact_credentials(&text)
    }
    /// Whether making the call again could succeed (408, 429, 5xx; see
    /// [`retry`](crate::retry)).
    pub fn is_retryable(&self) -> bool {
        crate::retry::RetryPolicy::default()
            .classify_status(self.status, &self.headers, true)
            .is_some()
    }
}

fn truncate(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

/// The most of a server's message an error's text shows, in bytes (the message itself stays
/// whole: [`ApiError::message`], [`ApiError::body`]).
pub(crate) const MAX_SHOWN_BYTES: usize = 2048;

/// Whether `c` would act on a terminal or a log viewer rather than show: a C0 or C1 control
/// (line breaks and escape sequences included), DEL, or a bidirectional override, embedding
/// or isolate (which reorder the text around them).
fn acts(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Text from the server as an error shows it: each character that would act rather than
/// show written as an escape (`\n`, `\u{1b}`), so that it cannot forge or hide a log line,
/// and at most `max` bytes of it, then `…`.
pub(crate) fn shown(text: &str, max: usize) -> std::borrow::Cow<'_, str> {
    use std::fmt::Write as _;
    if text.len() <= max && !text.chars().any(acts) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len().min(max) + 3);
    let mut piece = String::new();
    for c in text.chars() {
        piece.clear();
        match c {
            '\n' => piece.push_str("\\n"),
            '\r' => piece.push_str("\\r"),
            '\t' => piece.push_str("\\t"),
            c if acts(c) => {
                let _ = write!(piece, "{}", c.escape_unicode());
            }
            c => piece.push(c),
        }
        if out.len() + piece.len() > max {
            out.push('…');
            break;
        }
        out.push_str(&piece);
    }
    std::borrow::Cow::Owned(out)
}

/// serde's error as a [`Error::Decode`] keeps it: the same error when its text is short and
/// printable; otherwise one whose text is that text as [`shown`] (serde quotes the value it
/// could not take, the server's text of any length). Its category and position then read
/// only from the text.
pub(crate) fn bounded_json_error(error: serde_json::Error) -> serde_json::Error {
    let text = error.to_string();
    match shown(&text, MAX_SHOWN_BYTES) {
        std::borrow::Cow::Borrowed(_) => error,
        std::borrow::Cow::Owned(bounded) => {
            <serde_json::Error as serde::de::Error>::custom(bounded)
        }
    }
}

fn decode_error_body(body: &[u8]) -> ErrorBody {
    if body.is_empty() {
        return ErrorBody::Raw;
    }
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(body) else {
        return ErrorBody::Raw;
    };
    if value.get("code").is_some() && value.get("message").is_some() {
        if let Ok(e) = serde_json::from_value::<types::ErrorResponse>(value.clone()) {
            return ErrorBody::Error(Box::new(e));
        }
    }
    if value.get("detail").is_some_and(|d| d.is_array()) {
        if let Ok(v) = serde_json::from_value::<types::HttpValidationError>(value.clone()) {
            return ErrorBody::Validation(Box::new(v));
        }
    }
    ErrorBody::Json(value)
}

impl fmt::Debug for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiError")
            .field("operation", &self.operation)
            .field("status", &self.status)
            .field("message", &shown(&self.message(), MAX_SHOWN_BYTES))
            .field("body_len", &self.body.len())
            .finish()
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("islo: ")?;
        self.fmt_unprefixed(f)
    }
}

impl ApiError {
    /// The Display text without its `islo: ` (for an error inside another of the SDK's).
    fn fmt_unprefixed(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} failed with {}", self.operation, self.status)?;
        let msg = self.message();
        if !msg.is_empty() {
            write!(f, ": {}", shown(&msg, MAX_SHOWN_BYTES))?;
        }
        Ok(())
    }
}

impl std::error::Error for ApiError {}

/// Why the API-key exchange failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum AuthError {
    /// The token endpoint answered with an error status.
    Rejected(ApiError),
    /// The token endpoint could not be reached.
    Transport(reqwest::Error),
    /// The token endpoint's answer had no usable `session_token`.
    BadResponse(String),
    /// The token endpoint answered with a redirect. The SDK never sends the API key anywhere
    /// but `POST {control}/auth/token`, so a redirect is not followed with it.
    Redirected,
    /// The exchange this call waited for (made for a concurrent call) failed. The calls
    /// waiting for one exchange share its outcome rather than each making one of their own
    /// against a token endpoint that is failing; this one is classified as that failure was.
    Shared {
        /// The failure's message (credentials redacted).
        message: String,
        /// Whether a retry may overcome it ([`Error::is_retryable`]).
        retryable: bool,
        /// Its [`Error::kind`].
        kind: ErrorKind,
        /// Its HTTP status, if the token endpoint answered.
        status: Option<StatusCode>,
        /// The delay its answer asked for (`Retry-After`), if it did.
        retry_after: Option<std::time::Duration>,
    },
}

impl fmt::Display for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Rejected(e) => e.fmt_unprefixed(f),
            Self::Transport(e) => write!(f, "{}", redact_credentials(&e.to_string())),
            Self::BadResponse(m) => write!(f, "unusable answer: {}", shown(m, MAX_SHOWN_BYTES)),
            Self::Redirected => f.write_str(
                "the token endpoint answered with a redirect; the API key is only sent to \
                 POST {control}/auth/token, so it was not followed",
            ),
            Self::Shared { message, .. } => write!(
                f,
                "the token exchange this call waited for (made for a concurrent call) failed: {}",
                shown(message, MAX_SHOWN_BYTES)
            ),
        }
    }
}

impl std::error::Error for AuthError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Rejected(e) => Some(e),
            Self::Transport(e) => Some(e),
            Self::BadResponse(_) | Self::Redirected | Self::Shared { .. } => None,
        }
    }
}

impl Error {
    /// The HTTP status, for API errors and failed token exchanges.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Self::Api(e) => Some(e.status),
            Self::Auth(a) => match &**a {
                AuthError::Rejected(e) => Some(e.status),
                AuthError::Shared { status, .. } => *status,
                _ => None,
            },
            _ => None,
        }
    }

    /// What kind of failure this is: an API error's status class, or the kind of a
    /// failure without a status.
    pub fn kind(&self) -> ErrorKind {
        if let Some(status) = self.status() {
            return ErrorKind::from_status(status);
        }
        match self {
            Self::Timeout { .. } | Self::Deadline(_) => ErrorKind::Timeout,
            Self::Transport { .. } => ErrorKind::Connection,
            Self::Auth(a) => match &**a {
                AuthError::Transport(e) if e.is_timeout() => ErrorKind::Timeout,
                AuthError::Transport(_) => ErrorKind::Connection,
                AuthError::Redirected => ErrorKind::Redirect,
                AuthError::Shared { kind, .. } => *kind,
                _ => ErrorKind::Other,
            },
            Self::Redirect { .. } => ErrorKind::Redirect,
            Self::Config(_) => ErrorKind::Config,
            Self::InvalidRequest(_) => ErrorKind::InvalidRequest,
            Self::Decode { .. } | Self::TooLarge { .. } => ErrorKind::Decode,
            Self::Stream { .. } => ErrorKind::Stream,
            Self::Archive(_) | Self::Io { .. } => ErrorKind::Local,
            _ => ErrorKind::Other,
        }
    }

    /// The API error, if this is one: an answer with an error status, including the token
    /// endpoint's answer when it refused the exchange ([`AuthError::Rejected`]; its
    /// operation is `exchange_token`).
    pub fn as_api(&self) -> Option<&ApiError> {
        match self {
            Self::Api(e) => Some(e),
            Self::Auth(a) => match &**a {
                AuthError::Rejected(e) => Some(e),
                _ => None,
            },
            _ => None,
        }
    }

    /// Whether making the same call again could succeed: 408, 429, 5xx, timeouts, failed
    /// or lost connections, and token exchanges that failed that way. The rules are
    /// [`retry`](crate::retry)'s, for a call that may be repeated.
    pub fn is_retryable(&self) -> bool {
        crate::retry::RetryPolicy::default()
            .classify_error(self, true)
            .is_some()
    }

    /// A reqwest failure of `operation` (its URL dropped: it may carry query values).
    pub(crate) fn from_reqwest(operation: &'static str, e: reqwest::Error) -> Self {
        if let Some(stalled) = crate::idle::stalled_download(&e) {
            return stalled;
        }
        let source = e.without_url();
        if source.is_timeout() {
            Self::Timeout { operation, source }
        } else {
            Self::Transport { operation, source }
        }
    }
}

impl From<ApiError> for Error {
    fn from(e: ApiError) -> Self {
        Self::Api(Box::new(e))
    }
}

/// Carries an [`Error`] from the transport through the generated code inside a response's
/// extensions, so that `?` on a generated call yields the full typed error.
#[derive(Clone, Default)]
pub(crate) struct ErrorCarrier(pub(crate) Arc<Mutex<Option<Error>>>);

impl ErrorCarrier {
    pub(crate) fn new(e: Error) -> Self {
        Self(Arc::new(Mutex::new(Some(e))))
    }
    pub(crate) fn take(&self) -> Option<Error> {
        self.0.lock().ok().and_then(|mut g| g.take())
    }
}

/// Builds the stand-in response that carries `error` through the generated code, which
/// hands any non-2xx answer back as `UnexpectedResponse`; [`Error::from_generated`] takes
/// the error out again, so the stand-in's status and URL never reach a caller.
pub(crate) fn carrier_response(error: Error) -> reqwest::Response {
    let mut resp = http::Response::new(Vec::<u8>::new());
    *resp.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
    resp.extensions_mut().insert(ErrorCarrier::new(error));
    reqwest::Response::from(resp)
}

impl Error {
    /// The error of a generated call of `operation` that failed with progenitor's `error`:
    /// the error the send path carried through the generated code, or progenitor's own
    /// (an invalid argument, a body that did not decode), with the operation named.
    pub(crate) fn from_generated(
        operation: &'static str,
        error: progenitor_client::Error<()>,
    ) -> Self {
        use progenitor_client::Error as E;
        match error {
            E::UnexpectedResponse(resp) => match resp
                .extensions()
                .get::<ErrorCarrier>()
                .and_then(ErrorCarrier::take)
            {
                Some(err) => err,
                // The send path turns every non-2xx answer into a carried `ApiError`.
                None => Error::Unexpected(format!(
                    "{operation}: answer with status {} outside the send path",
                    resp.status()
                )),
            },
            E::CommunicationError(e) | E::ResponseBodyError(e) | E::InvalidUpgrade(e) => {
                Error::from_reqwest(operation, e)
            }
            E::InvalidResponsePayload(body, source) => Error::Decode {
                operation,
                body,
                source,
            },
            E::InvalidRequest(m) => Error::InvalidRequest(format!("{operation}: {m}")),
            E::ErrorResponse(rv) => Error::Unexpected(format!(
                "{operation}: documented error status {}",
                rv.status()
            )),
            E::Custom(m) => Error::Unexpected(format!("{operation}: {m}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shown_escapes_what_would_act_and_cuts_at_the_limit() {
        assert!(matches!(
            shown("plain é text", 100),
            std::borrow::Cow::Borrowed(_)
        ));
        assert_eq!(
            shown("a\u{1b}[2K\r\nb\t\u{7f}\u{9b}\u{202e}c", 100),
            "a\\u{1b}[2K\\r\\nb\\t\\u{7f}\\u{9b}\\u{202e}c"
        );
        assert_eq!(shown("abcdef", 4), "abcd…");
        // An escape is never cut in half.
        assert_eq!(shown("ab\u{1b}", 4), "ab…");
        assert_eq!(shown(&"é".repeat(10), 5), "éé…");
    }

    /// A local failure's message says what was being done and what the system answered.
    #[test]
    fn io_error_display_names_the_cause() {
        let e = Error::Io {
            context: "writing command output".into(),
            source: std::io::Error::new(std::io::ErrorKind::StorageFull, "disk full"),
        };
        assert_eq!(e.to_string(), "islo: writing command output: disk full");
    }

    #[test]
    fn kinds_follow_status() {
        // A 408 is retried like a timeout, and is one.
        assert_eq!(
            ErrorKind::from_status(StatusCode::REQUEST_TIMEOUT),
            ErrorKind::Timeout
        );
        assert_eq!(
            ErrorKind::from_status(StatusCode::NOT_FOUND),
            ErrorKind::NotFound
        );
        assert_eq!(
            ErrorKind::from_status(StatusCode::SERVICE_UNAVAILABLE),
            ErrorKind::Unavailable
        );
        assert_eq!(
            ErrorKind::from_status(StatusCode::IM_A_TEAPOT),
            ErrorKind::Other
        );
    }

    #[test]
    fn error_response_body_is_decoded_and_displayed() {
        let body = Bytes::from_static(br#"{"code":"not_found","message":"sandbox gone"}"#);
        let e = ApiError::new("get_sandbox", StatusCode::NOT_FOUND, HeaderMap::new(), body);
        assert!(matches!(e.decoded(), ErrorBody::Error(_)));
        assert_eq!(
            e.to_string(),
            "islo: get_sandbox failed with 404 Not Found: sandbox gone"
        );
    }

    #[test]
    fn validation_body_lists_locations() {
        let body = Bytes::from_static(
            br#"{"detail":[{"loc":["body","name"],"msg":"too long","type":"value_error"}]}"#,
        );
        let e = ApiError::new(
            "create_sandbox",
            StatusCode::UNPROCESSABLE_ENTITY,
            HeaderMap::new(),
            body,
        );
        assert!(matches!(e.decoded(), ErrorBody::Validation(_)));
        assert_eq!(e.message(), "body.name: too long");
    }

    #[test]
    fn non_json_body_is_kept_raw() {
        let e = ApiError::new(
            "get_sandbox",
            StatusCode::BAD_GATEWAY,
            HeaderMap::new(),
            Bytes::from_static(b"<html>bad gateway</html>"),
        );
        assert!(matches!(e.decoded(), ErrorBody::Raw));
        assert_eq!(e.body().as_ref(), b"<html>bad gateway</html>");
        assert!(e.is_retryable());
    }
}

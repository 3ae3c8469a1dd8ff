//! The send path under every generated call: authentication, retries, redirects, tracing and
//! error decoding, in one loop under every generated call (the [`islo_generated::Transport`]).

use crate::auth::{Exchange, TokenSlot};
use crate::error::{carrier_response, ApiError, Error};
use crate::secret::{redact_credentials, Secret};
use bytes::{Bytes, BytesMut};
use futures_util::future::{Either, FutureExt as _};
use islo_generated::meta::OperationMeta;
use islo_generated::Sent;
use reqwest::header::{
    HeaderMap, HeaderValue, AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, LOCATION,
};
use reqwest::{Method, Request, Response, StatusCode};
use reqwest_middleware::ClientWithMiddleware;
use reqwest_retry::policies::ExponentialBackoff;
use reqwest_retry::{Jitter, RetryDecision, RetryPolicy};
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};
use tracing::Instrument as _;

/// The most redirects followed for one call.
pub(crate) const MAX_REDIRECTS: u32 = 10;
/// The most bytes of an error body kept.
const MAX_ERROR_BODY: usize = 1 << 20;

/// Timeout of a token exchange when neither the builder nor the call sets one.
const DEFAULT_EXCHANGE_TIMEOUT: Duration = Duration::from_secs(30);

/// Per-client call settings (`Islo::with_*` makes a clone with others); cheap to clone.
#[derive(Debug, Clone)]
pub(crate) struct CallSettings {
    pub(crate) max_attempts: u32,
    pub(crate) retry_non_idempotent: bool,
    pub(crate) backoff_min: Duration,
    pub(crate) backoff_max: Duration,
    pub(crate) max_retry_after: Duration,
    pub(crate) timeout: Option<Duration>,
}

impl Default for CallSettings {
    fn default() -> Self {
        Self {
            max_attempts: 2,
            retry_non_idempotent: false,
            backoff_min: Duration::from_millis(250),
            backoff_max: Duration::from_secs(8),
            max_retry_after: Duration::from_secs(60),
            timeout: None,
        }
    }
}

/// How calls are authenticated.
#[derive(Debug)]
pub(crate) enum Credentials {
    /// Exchange the API key for session tokens, cached process-wide.
    Exchange {
        slot: Arc<TokenSlot>,
        key: Secret,
        refresh_margin: Duration,
    },
    /// A session token supplied by the caller (and its header value); no exchange, no refresh.
    Static(Secret, HeaderValue),
}

/// What every clone of a client shares.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) credentials: Credentials,
    /// Used for both planes and for the token exchange.
    pub(crate) http: reqwest::Client,
    pub(crate) control_url: String,
    pub(crate) compute_url: String,
    /// Sent on every request (both planes and the exchange).
    pub(crate) headers: HeaderMap,
    /// The exchange timeout set on the builder; without one, an exchange made for a call
    /// times out with the call's timeout (per client, so `with_timeout` applies), else 30 s.
    pub(crate) exchange_timeout: Option<Duration>,
    /// Plane routing for the generated client.
    pub(crate) routes: islo_generated::Inner,
    /// What sends each attempt.
    pub(crate) sender: Sender,
}

impl Shared {
    fn exchange(&self, call_timeout: Option<Duration>) -> Option<(&Arc<TokenSlot>, Exchange<'_>)> {
        match &self.credentials {
            Credentials::Exchange {
                slot,
                key,
                refresh_margin,
            } => Some((
                slot,
                Exchange {
                    http: &self.http,
                    control_url: &self.control_url,
                    key,
                    refresh_margin: *refresh_margin,
                    timeout: self
                        .exchange_timeout
                        .or(call_timeout)
                        .unwrap_or(DEFAULT_EXCHANGE_TIMEOUT),
                    headers: &self.headers,
                },
            )),
            Credentials::Static(..) => None,
        }
    }

    /// Redacts the API key and any credentials from server text.
    pub(crate) fn redact(&self, text: &str) -> String {
        let text = match &self.credentials {
            Credentials::Exchange { key, slot, .. } => {
                let text = key.redact_in(text);
                match slot.current() {
                    Some(t) => t.token.redact_in(&text),
                    None => text,
                }
            }
            Credentials::Static(t, _) => t.redact_in(text),
        };
        redact_credentials(&text)
    }
}

/// `Bearer <token>` as a sensitive header value.
pub(crate) fn bearer(token: &Secret) -> Result<HeaderValue, Error> {
    let mut v = HeaderValue::from_str(&format!("Bearer {}", token.expose()))
        .map_err(|_| Error::Config("the session token is not a valid header value".into()))?;
    v.set_sensitive(true);
    Ok(v)
}

/// The scheme, host and port of a URL.
pub(crate) fn origin(url: &reqwest::Url) -> String {
    match url.port_or_known_default() {
        Some(p) => format!("{}://{}:{}", url.scheme(), url.host_str().unwrap_or(""), p),
        None => format!("{}://{}", url.scheme(), url.host_str().unwrap_or("")),
    }
}

/// What to do after one attempt.
#[derive(Debug, PartialEq)]
pub(crate) enum RetryVerdict {
    /// Return the result as it is.
    Done,
    /// Retry after the server's requested delay.
    After(Duration),
    /// Retry after exponential backoff.
    Backoff,
}

/// The delay the server asks for: `retry-after-ms`, or `Retry-After` in seconds or as an HTTP date.
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    if let Some(ms) = headers
        .get("retry-after-ms")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|v| v.is_finite() && *v >= 0.0)
    {
        return Some(Duration::from_secs_f64(ms / 1000.0));
    }
    let v = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = chrono::DateTime::parse_from_rfc2822(v).ok()?;
    let now = chrono::Utc::now();
    Some(
        (when.with_timezone(&chrono::Utc) - now)
            .to_std()
            .unwrap_or(Duration::ZERO),
    )
}

/// Why an attempt produced no response.
#[derive(Debug)]
pub(crate) enum Failure {
    /// reqwest failed (connect, timeout, ...).
    Http(reqwest::Error),
    /// The body of a success could not be read (cut short, timed out).
    Body(reqwest::Error),
    /// The SDK (or a caller's middleware) failed.
    Islo(Error),
}

/// The outcome of one attempt.
pub(crate) type Attempt = Result<Response, Failure>;

/// What a call ends with.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// An answer as received (body unread).
    Answer(Response),
    /// A success whose body was read.
    Read {
        status: StatusCode,
        headers: HeaderMap,
        body: Bytes,
    },
}

/// The retry policy (see the crate docs, "Retries").
pub(crate) fn classify(result: &Attempt, replay_ok: bool) -> RetryVerdict {
    match result {
        Ok(resp) => {
            // `Retry-After` is looked up only for statuses that can be retried.
            let after = || retry_after(resp.headers());
            match resp.status().as_u16() {
                429 => after().map_or(RetryVerdict::Backoff, RetryVerdict::After),
                503 => match after() {
                    Some(d) => RetryVerdict::After(d),
                    None if replay_ok => RetryVerdict::Backoff,
                    None => RetryVerdict::Done,
                },
                408 | 500..=599 if replay_ok => {
                    after().map_or(RetryVerdict::Backoff, RetryVerdict::After)
                }
                _ => RetryVerdict::Done,
            }
        }
        // A success whose body broke off: the call may be replayed like any failed one.
        Err(Failure::Body(_)) if replay_ok => RetryVerdict::Backoff,
        Err(Failure::Http(e) | Failure::Body(e)) => {
            if e.is_connect() || (replay_ok && (e.is_timeout() || e.is_request() || e.is_body())) {
                RetryVerdict::Backoff
            } else {
                RetryVerdict::Done
            }
        }
        Err(Failure::Islo(err @ Error::Auth(_))) if err.is_retryable() => RetryVerdict::Backoff,
        Err(Failure::Islo(_)) => RetryVerdict::Done,
    }
}

/// Sends one attempt: straight to reqwest, or through the caller's `reqwest-middleware`
/// stack when one was configured ([`IsloBuilder::middleware`](crate::IsloBuilder::middleware)).
#[derive(Debug, Clone)]
pub(crate) enum Sender {
    /// Plain reqwest: no boxing, no extensions.
    Direct(reqwest::Client),
    /// The caller's middleware, around reqwest.
    Middleware(ClientWithMiddleware),
}

impl Sender {
    /// One attempt. The direct path is reqwest's own (boxed, 16-byte) future; the middleware
    /// path's larger future is boxed so that it does not enlarge every call's state.
    fn send(&self, req: Request) -> impl Future<Output = Attempt> + Send + '_ {
        match self {
            Self::Direct(http) => Either::Left(http.execute(req).map(|r| r.map_err(Failure::Http))),
            Self::Middleware(stack) => Either::Right(Box::pin(async move {
                stack.execute(req).await.map_err(|e| match e {
                    reqwest_middleware::Error::Reqwest(e) => Failure::Http(e),
                    reqwest_middleware::Error::Middleware(e) => {
                        Failure::Islo(match e.downcast::<Error>() {
                            Ok(err) => err,
                            Err(other) => {
                                Error::Middleware(redact_credentials(&format!("{other:#}")))
                            }
                        })
                    }
                })
            })),
        }
    }
}

impl IsloTransport {
    /// The header to send, the token's generation and whether it came from the cache, when
    /// no exchange is needed (no waiting).
    fn ready_token(&self, stale: Option<u64>) -> Option<(HeaderValue, Option<u64>, bool)> {
        match &self.shared.credentials {
            Credentials::Static(_, header) => Some((header.clone(), None, false)),
            Credentials::Exchange { slot, .. } => slot
                .cached_header(stale)
                .map(|(header, generation)| (header, Some(generation), true)),
        }
    }

    /// Like [`IsloTransport::ready_token`], exchanging the key when needed. The exchange is a whole
    /// HTTP call: boxed, so that its state does not inflate every call's future.
    async fn exchanged_token(
        &self,
        stale: Option<u64>,
    ) -> Result<(HeaderValue, Option<u64>, bool), Error> {
        let (slot, exchange) = self
            .shared
            .exchange(self.settings.timeout)
            .ok_or_else(|| Error::Config("no credentials".into()))?;
        let (header, generation, from_cache) = Box::pin(slot.token(&exchange, stale)).await?;
        Ok((header, Some(generation), from_cache))
    }

    /// Runs `req` to a final outcome, recording the attempts on `span`. With `read`, the body
    /// of a success is read inside the loop, so that one cut short is retried like a failed
    /// request (when the call may be replayed).
    ///
    /// (A plain function returning an `async move` block that works on the captured request
    /// in place: an `async fn` would keep a second copy of its argument in its state, and
    /// this state is allocated for every call.)
    fn run<'a>(
        &'a self,
        req: Request,
        span: &'a tracing::Span,
        read: bool,
    ) -> impl Future<Output = Result<Outcome, Failure>> + Send + 'a {
        let replay_ok = req.method().is_idempotent() || self.settings.retry_non_idempotent;
        // The request to replay from (None once sent when its body cannot be cloned).
        let mut template = Some(req);
        async move {
            let settings = &self.settings;
            let max_attempts = settings.max_attempts.max(1);
            let mut started = None;
            let mut attempt = 0u32;
            let mut hops = 0u32;
            let mut auth_replayed = false;
            let mut stale: Option<u64> = None;
            loop {
                if hops == 0 && !auth_replayed {
                    attempt += 1;
                    span.record("attempts", attempt);
                }
                let stale_now = stale.take();
                let token = match self.ready_token(stale_now) {
                    Some(ready) => Ok(ready),
                    None => self.exchanged_token(stale_now).await,
                };
                let (result, generation, from_cache) = match token {
                    // A failed exchange goes through the same retry policy as a failed call.
                    Err(e) => (Err(Failure::Islo(e)), None, false),
                    Ok((header, generation, from_cache)) => (
                        self.dispatch(&mut template, header)?.await,
                        generation,
                        from_cache,
                    ),
                };

                if let Ok(resp) = &result {
                    let status = resp.status();
                    // A rejected cached token: invalidate exactly it, exchange once, replay once.
                    if status == StatusCode::UNAUTHORIZED
                        && from_cache
                        && !auth_replayed
                        && template.is_some()
                    {
                        if let (Credentials::Exchange { slot, .. }, Some(g)) =
                            (&self.shared.credentials, generation)
                        {
                            slot.invalidate(g);
                            stale = Some(g);
                            auth_replayed = true;
                            continue;
                        }
                    }
                    // Redirects (followable only when the request can be replayed).
                    if let Some(t) = template.as_mut() {
                        if let Some(target) = redirect_target(resp, t.url())? {
                            hops += 1;
                            if hops > MAX_REDIRECTS {
                                return Err(Failure::Islo(Error::Redirect {
                                    reason: "more than 10 redirects",
                                    target_origin: origin(&target),
                                }));
                            }
                            *t.url_mut() = target;
                            if status == StatusCode::SEE_OTHER
                                || (matches!(status.as_u16(), 301 | 302)
                                    && t.method() == Method::POST)
                            {
                                *t.method_mut() = Method::GET;
                                *t.body_mut() = None;
                                t.headers_mut().remove(CONTENT_TYPE);
                                t.headers_mut().remove(CONTENT_LENGTH);
                            }
                            continue;
                        }
                    }
                }

                let result = match result {
                    Ok(resp) if read && resp.status().is_success() => {
                        match read_whole(resp).await {
                            Ok(outcome) => return Ok(outcome),
                            Err(e) => Err(Failure::Body(e)),
                        }
                    }
                    other => other,
                };
                if attempt >= max_attempts || template.is_none() {
                    return result.map(Outcome::Answer);
                }
                let wait = match classify(&result, replay_ok) {
                    RetryVerdict::Done => return result.map(Outcome::Answer),
                    RetryVerdict::After(d) => d.min(settings.max_retry_after),
                    RetryVerdict::Backoff => {
                        // reqwest-retry's policy wants the time the first attempt started; the
                        // bounds here never depend on it, so it is taken only when retrying.
                        let since = *started.get_or_insert_with(SystemTime::now);
                        match self.policy.should_retry(since, attempt - 1) {
                            RetryDecision::Retry { execute_after } => execute_after
                                .duration_since(SystemTime::now())
                                .unwrap_or(Duration::ZERO),
                            RetryDecision::DoNotRetry => return result.map(Outcome::Answer),
                        }
                    }
                };
                drop(result);
                tracing::debug!(attempt, wait_ms = wait.as_millis() as u64, "islo: retrying");
                // Boxed: waiting is the cold path, and a timer would enlarge every call's future.
                Box::pin(tokio::time::sleep(wait)).await;
                hops = 0;
                auth_replayed = false;
            }
        }
    }

    /// Sends a copy of `template` (or the request itself when it cannot be copied) with
    /// `Authorization`, returning the attempt's future without keeping the request in it.
    fn dispatch(
        &self,
        template: &mut Option<Request>,
        auth: HeaderValue,
    ) -> Result<impl Future<Output = Attempt> + Send + '_, Failure> {
        let mut req = match template.as_ref().and_then(replay_copy) {
            Some(copy) => copy,
            None => template
                .take()
                .ok_or_else(|| Failure::Islo(Error::Unexpected("request already sent".into())))?,
        };
        req.headers_mut().insert(AUTHORIZATION, auth);
        Ok(self.shared.sender.send(req))
    }
}

/// A copy of `req` to send while `req` stays available for a replay. Without a body this
/// skips `Request::try_clone`, which allocates an extension map (for the timeout) on every
/// copy whether or not there is a timeout.
fn replay_copy(req: &Request) -> Option<Request> {
    if req.body().is_some() {
        return req.try_clone();
    }
    let mut copy = Request::new(req.method().clone(), req.url().clone());
    *copy.headers_mut() = req.headers().clone();
    *copy.version_mut() = req.version();
    if let Some(timeout) = req.timeout() {
        *copy.timeout_mut() = Some(*timeout);
    }
    Some(copy)
}

/// Where a 3xx answer points, if it points anywhere; a refused (cross-origin) target is an error.
fn redirect_target(resp: &Response, from: &reqwest::Url) -> Result<Option<reqwest::Url>, Failure> {
    if !matches!(resp.status().as_u16(), 301 | 302 | 303 | 307 | 308) {
        return Ok(None);
    }
    let Some(target) = resp
        .headers()
        .get(LOCATION)
        .and_then(|l| l.to_str().ok())
        .and_then(|l| from.join(l).ok())
    else {
        return Ok(None);
    };
    if origin(&target) != origin(from) {
        return Err(Failure::Islo(Error::Redirect {
            reason: "cross-origin redirect",
            target_origin: origin(&target),
        }));
    }
    Ok(Some(target))
}

/// Reads the whole body of `resp`, keeping its status and headers (a plain function
/// returning an `async move` block, so that the response is not held twice).
fn read_whole(mut resp: Response) -> impl Future<Output = reqwest::Result<Outcome>> + Send {
    let status = resp.status();
    let headers = std::mem::take(resp.headers_mut());
    async move {
        let body = islo_generated::lean::read_body(&mut resp).await?;
        Ok(Outcome::Read {
            status,
            headers,
            body,
        })
    }
}

/// The span of an untraced call.
static NO_SPAN: tracing::Span = tracing::Span::none();

/// The [`islo_generated::Transport`] of an `Islo` client: the shared state, this client's
/// call settings, and the send loop under every call: authentication, retries and redirects in one loop, so
/// that a call clones its request once (to be able to replay it), however many of those it
/// ends up needing. It calls reqwest directly (or the caller's middleware), without boxing a
/// future per layer.
///
/// - Auth: `Authorization: Bearer <token>` from the process-wide cache; a 401 on a cached
///   token invalidates exactly that token, exchanges once and replays once.
/// - Retries: per [`classify`], with reqwest-retry's exponential backoff and jitter, or the
///   server's `Retry-After`, capped. Idempotency comes from the method (the spec's
///   idempotency is the method's).
/// - Redirects: same-origin ones are followed (auth kept), cross-origin ones refused, at most 10.
#[derive(Debug, Clone)]
pub(crate) struct IsloTransport {
    pub(crate) shared: Arc<Shared>,
    pub(crate) settings: CallSettings,
    /// Backoff between attempts, built from `settings`.
    policy: ExponentialBackoff,
}

impl IsloTransport {
    /// A transport for `settings` over `shared`.
    pub(crate) fn new(shared: Arc<Shared>, settings: CallSettings) -> Self {
        let policy = ExponentialBackoff::builder()
            .retry_bounds(
                settings.backoff_min,
                settings.backoff_max.max(settings.backoff_min),
            )
            .jitter(Jitter::Bounded)
            .build_with_max_retries(settings.max_attempts.max(1) - 1);
        Self {
            shared,
            settings,
            policy,
        }
    }
}

async fn read_capped(mut resp: Response) -> Bytes {
    let mut buf = BytesMut::new();
    while let Ok(Some(chunk)) = resp.chunk().await {
        let room = MAX_ERROR_BODY.saturating_sub(buf.len());
        buf.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if buf.len() >= MAX_ERROR_BODY {
            break;
        }
    }
    buf.freeze()
}

impl IsloTransport {
    /// Sends one request of `op` through the send loop (reading the body of a success when
    /// `read`), inside the call's span when a subscriber wants it.
    fn send<'a>(
        &'a self,
        mut request: Request,
        op: &'static OperationMeta,
        read: bool,
    ) -> impl Future<Output = Result<Outcome, Failure>> + Send + 'a {
        for (k, v) in &self.shared.headers {
            if !request.headers().contains_key(k) {
                request.headers_mut().insert(k, v.clone());
            }
        }
        if let Some(t) = self.settings.timeout {
            if !op.is_stream() {
                *request.timeout_mut() = Some(t);
            }
        }
        // Without a subscriber that wants it, there is no span (nor clock reads for its
        // duration): the send loop's future is all there is.
        if !tracing::enabled!(tracing::Level::DEBUG) {
            return Either::Left(self.run(request, &NO_SPAN, read));
        }
        Either::Right(Box::pin(async move {
            let span = tracing::debug_span!(
                "islo.request",
                operation = op.id,
                plane = ?op.plane,
                method = op.method,
                status = tracing::field::Empty,
                attempts = tracing::field::Empty,
                duration_ms = tracing::field::Empty,
            );
            let started = Instant::now();
            let result = self
                .run(request, &span, read)
                .instrument(span.clone())
                .await;
            span.record("duration_ms", started.elapsed().as_millis() as u64);
            match &result {
                Ok(Outcome::Answer(resp)) => span.record("status", resp.status().as_u16()),
                Ok(Outcome::Read { status, .. }) => span.record("status", status.as_u16()),
                Err(_) => &span,
            };
            result
        }))
    }

    /// Hands a success to the generated code as it is; turns anything else into a carried
    /// [`Error`].
    async fn finish(
        &self,
        result: Result<Outcome, Failure>,
        op: &'static OperationMeta,
    ) -> reqwest::Result<Response> {
        match result {
            Ok(Outcome::Answer(resp)) if resp.status().is_success() => Ok(resp),
            // Error bodies are read in a boxed future: a cold path that should not make every
            // call's future bigger.
            Ok(Outcome::Answer(resp)) => Ok(Box::pin(self.api_error(resp, op)).await),
            // Not produced without `read`; handed on whole all the same.
            Ok(Outcome::Read {
                status,
                headers,
                body,
            }) => {
                let mut resp = http::Response::new(body);
                *resp.status_mut() = status;
                *resp.headers_mut() = headers;
                Ok(Response::from(resp))
            }
            Err(Failure::Http(e) | Failure::Body(e)) => Err(e),
            Err(Failure::Islo(err)) => Ok(carrier_response(StatusCode::INTERNAL_SERVER_ERROR, err)),
        }
    }

    /// Reads a non-2xx answer (capped, credentials redacted) into a carried [`ApiError`].
    async fn api_error(&self, resp: Response, op: &'static OperationMeta) -> Response {
        let status = resp.status();
        let headers = resp.headers().clone();
        let raw = read_capped(resp).await;
        let text = self.shared.redact(&String::from_utf8_lossy(&raw));
        let body = if text.as_bytes() == raw.as_ref() {
            raw
        } else {
            Bytes::from(text.into_bytes())
        };
        carrier_response(status, ApiError::new(op.id, status, headers, body).into())
    }
}

impl IsloTransport {
    /// What a JSON operation hands back to the generated code when its body was not read
    /// (`execute_json` hands a read body over itself).
    async fn json_outcome(
        &self,
        result: Result<Outcome, Failure>,
        op: &'static OperationMeta,
    ) -> reqwest::Result<Sent> {
        match result {
            Err(Failure::Body(e)) => Ok(Sent::BodyError(e)),
            other => self.finish(other, op).await.map(Sent::Response),
        }
    }
}

// The send loop's future is built before boxing and chained with `then`, so that the box
// holds it once (an `async` block awaiting it would also keep the request it was built from).
impl islo_generated::Transport for IsloTransport {
    fn execute<'a>(
        &'a self,
        request: Request,
        operation: &'static OperationMeta,
    ) -> islo_generated::BoxFuture<'a, reqwest::Result<Response>> {
        Box::pin(
            self.send(request, operation, false)
                .then(move |result| self.finish(result, operation)),
        )
    }

    fn execute_json<'a>(
        &'a self,
        request: Request,
        operation: &'static OperationMeta,
    ) -> islo_generated::BoxFuture<'a, reqwest::Result<Sent>> {
        Box::pin(
            self.send(request, operation, true)
                .then(move |result| match result {
                    // The common case needs no second future of any size.
                    Ok(Outcome::Read {
                        status,
                        headers,
                        body,
                    }) => Either::Left(std::future::ready(Ok(Sent::Body {
                        status,
                        headers,
                        body,
                    }))),
                    other => Either::Right(Box::pin(self.json_outcome(other, operation))),
                }),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(
                reqwest::header::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        h
    }

    #[test]
    fn retry_after_reads_seconds_dates_and_milliseconds() {
        assert_eq!(
            retry_after(&headers(&[("retry-after", "3")])),
            Some(Duration::from_secs(3))
        );
        assert_eq!(
            retry_after(&headers(&[("retry-after-ms", "1500")])),
            Some(Duration::from_millis(1500))
        );
        let later = (chrono::Utc::now() + chrono::Duration::seconds(30)).to_rfc2822();
        let d = retry_after(&headers(&[("retry-after", &later)])).unwrap();
        assert!(
            d > Duration::from_secs(25) && d <= Duration::from_secs(30),
            "{d:?}"
        );
        assert_eq!(retry_after(&headers(&[("retry-after", "soon")])), None);
    }

    #[test]
    fn origin_includes_default_ports() {
        let u = reqwest::Url::parse("https://api.islo.dev/x?y").unwrap();
        assert_eq!(origin(&u), "https://api.islo.dev:443");
    }
}

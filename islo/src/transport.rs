//! The send path under every generated call (the [`islo_generated::Transport`] that
//! progenitor's `exec` hook hands each request to): multipart framing, authentication,
//! retries, redirects, tracing and error decoding, in one loop per call.

use crate::auth::{Exchange, TokenSlot};
use crate::error::{carrier_response, ApiError, Error};
use crate::meta::{OperationMeta, Plane, RequestBody, ResponseBody};
use crate::retry::{Attempted, RetryPolicy};
use crate::secret::{redact, Secret};
use bytes::Bytes;
use futures_util::future::{Either, FutureExt as _};
use reqwest::header::{
    HeaderMap, HeaderValue, AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, LOCATION,
};
use reqwest::{Method, Request, Response, StatusCode, Url};
use reqwest_middleware::ClientWithMiddleware;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tracing::Instrument as _;

/// The most redirects followed for one attempt.
pub(crate) const MAX_REDIRECTS: u32 = 10;
/// The most bytes of an error body kept.
const MAX_ERROR_BODY: usize = 1 << 20;

/// Timeout of a token exchange when neither the builder nor the call sets one.
const DEFAULT_EXCHANGE_TIMEOUT: Duration = Duration::from_secs(30);

/// Per-client call settings (`Islo::with_*` makes a clone with others); cheap to clone.
#[derive(Debug, Clone, Default)]
pub(crate) struct CallSettings {
    pub(crate) retry: RetryPolicy,
    pub(crate) timeout: Option<Duration>,
    /// The largest success body read whole; `None` is [`DEFAULT_MAX_RESPONSE_BYTES`].
    pub(crate) max_response_bytes: Option<u64>,
}

/// The largest JSON success body a call reads by default (64 MiB): far above any answer the
/// API documents. Change it with
/// [`IsloBuilder::max_response_bytes`](crate::IsloBuilder::max_response_bytes).
///
/// The limit counts the body's bytes; decoding takes more. A body of ordinary objects
/// decodes into a few times its size, but one built to hurt (a field the spec does not
/// declare holding millions of tiny values, kept in the type's `extra` map) takes up to
/// about 30 times, so some 2 GiB at this limit. A service that makes many calls at once
/// against a server it does not trust should lower it.
pub const DEFAULT_MAX_RESPONSE_BYTES: u64 = 64 << 20;

/// How calls are authenticated.
#[derive(Debug)]
pub(crate) enum Credentials {
    /// Exchange the API key for session tokens, cached process-wide.
    Exchange {
        slot: Arc<TokenSlot>,
        key: Secret,
        refresh_margin: Duration,
        /// `{control}/auth/token`.
        url: Url,
    },
    /// A session token supplied by the caller (and its header value); no exchange, no refresh.
    Static(Secret, HeaderValue),
}

/// A plane's base URL: as configured, and parsed.
#[derive(Debug)]
pub(crate) struct Base {
    /// The base without a trailing `/` (what the generated client formats URLs onto).
    pub(crate) text: String,
    /// Parsed.
    url: Url,
    /// The parsed base's path without a trailing `/` (`""` for a bare host).
    path: String,
}

impl Base {
    /// `text` must be a valid http(s) URL (the builder checks).
    pub(crate) fn new(text: String) -> Result<Self, Error> {
        let url = Url::parse(&text)
            .map_err(|e| Error::Config(format!("the base URL does not parse: {e}")))?;
        let path = url.path().trim_end_matches('/').to_string();
        Ok(Self { text, url, path })
    }

    /// Whether `target` is this base or below it: same scheme, host and port, and a path
    /// under the base's path (on a segment boundary).
    pub(crate) fn contains(&self, target: &Url) -> bool {
        let rest = target.path().strip_prefix(self.path.as_str());
        same_origin(target, &self.url) && rest.is_some_and(|r| r.is_empty() || r.starts_with('/'))
    }
}

/// What every clone of a client shares.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) credentials: Credentials,
    /// Used for both planes and for the token exchange.
    pub(crate) http: reqwest::Client,
    pub(crate) control: Base,
    pub(crate) compute: Base,
    /// Sent on every request (both planes and the exchange).
    pub(crate) headers: HeaderMap,
    /// The exchange timeout set on the builder; without one, an exchange made for a call
    /// times out with the call's timeout (per client, so `with_timeout` applies), else 30 s.
    pub(crate) exchange_timeout: Option<Duration>,
    /// What sends each attempt.
    pub(crate) sender: Sender,
}

impl Shared {
    fn exchange(&self, call_timeout: Option<Duration>) -> Option<(&Arc<TokenSlot>, Exchange)> {
        match &self.credentials {
            Credentials::Exchange {
                slot,
                key,
                refresh_margin,
                url,
            } => Some((
                slot,
                Exchange {
                    http: self.http.clone(),
                    url: url.clone(),
                    key: key.clone(),
                    refresh_margin: *refresh_margin,
                    timeout: self
                        .exchange_timeout
                        .or(call_timeout)
                        .unwrap_or(DEFAULT_EXCHANGE_TIMEOUT),
                    headers: self.headers.clone(),
                },
            )),
            Credentials::Static(..) => None,
        }
    }

    /// The base URL of `plane`.
    pub(crate) fn base(&self, plane: Plane) -> &Base {
        match plane {
            Plane::Control => &self.control,
            Plane::Compute => &self.compute,
        }
    }

    /// Whether this client exchanges an API key for its tokens (rather than holding a
    /// static session token): only then can a rejected token be replaced.
    pub(crate) fn exchanges_tokens(&self) -> bool {
        matches!(self.credentials, Credentials::Exchange { .. })
    }

    /// `text` with the credentials this client sends (the API key, the session tokens it
    /// used recently) and anything shaped like a bearer credential or a JWT redacted.
    pub(crate) fn redact(&self, text: &str) -> String {
        match &self.credentials {
            Credentials::Exchange { key, slot, .. } => {
                let recent = slot.recent_tokens();
                let mut secrets: Vec<&Secret> = recent.iter().collect();
                secrets.push(key);
                redact(text, &secrets)
            }
            Credentials::Static(t, _) => redact(text, &[t]),
        }
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
pub(crate) fn origin(url: &Url) -> String {
    match url.port_or_known_default() {
        Some(p) => format!("{}://{}:{}", url.scheme(), url.host_str().unwrap_or(""), p),
        None => format!("{}://{}", url.scheme(), url.host_str().unwrap_or("")),
    }
}

/// Whether two URLs have the same scheme, host and port (as [`origin`] compares them, without
/// building its strings: this runs on every call).
fn same_origin(a: &Url, b: &Url) -> bool {
    a.scheme() == b.scheme()
        && a.host_str().unwrap_or("") == b.host_str().unwrap_or("")
        && a.port_or_known_default() == b.port_or_known_default()
}

/// Why an attempt produced no answer.
#[derive(Debug)]
pub(crate) enum Failure {
    /// reqwest failed (connect, timeout, ...).
    Http(reqwest::Error),
    /// The body of a success could not be read (cut short, timed out).
    BodyCut(reqwest::Error),
    /// The SDK (or a caller's middleware) failed.
    Sdk(Error),
    /// A streamed answer did not start within the call's timeout (which does not cut its
    /// body), or a streamed upload's answer did not come whole within it.
    NoAnswer,
}

/// The error of a streamed call whose answer did not start within the call's timeout, or of
/// a streamed upload whose answer did not come whole within it.
const NO_ANSWER: Error = Error::Deadline("the wait for the answer of a streamed call");

/// The outcome of one attempt.
type Attempt = Result<Response, Failure>;

/// What a call ends with.
#[derive(Debug)]
enum Answer {
    /// An answer as received (body unread).
    Unread(Response),
    /// A success whose body was read.
    Read {
        status: StatusCode,
        headers: HeaderMap,
        /// The URL answered (so the response handed on needs no placeholder URL parsed).
        url: Url,
        body: Bytes,
    },
}

/// Sends one attempt: straight to reqwest, or through the caller's `reqwest-middleware`
/// stack when one was configured ([`IsloBuilder::middleware`](crate::IsloBuilder::middleware)).
#[derive(Debug, Clone)]
pub(crate) enum Sender {
    /// Plain reqwest.
    Direct(reqwest::Client),
    /// The caller's middleware, around reqwest.
    Middleware(ClientWithMiddleware),
}

impl Sender {
    /// One attempt. The middleware path's larger future is boxed so that it does not enlarge
    /// every call's state.
    fn send<'a>(
        &'a self,
        req: Request,
        shared: &'a Shared,
    ) -> impl Future<Output = Attempt> + Send + 'a {
        match self {
            Self::Direct(http) => Either::Left(http.execute(req).map(|r| r.map_err(Failure::Http))),
            Self::Middleware(stack) => Either::Right(Box::pin(async move {
                stack.execute(req).await.map_err(|e| match e {
                    reqwest_middleware::Error::Reqwest(e) => Failure::Http(e),
                    reqwest_middleware::Error::Middleware(e) => {
                        Failure::Sdk(match e.downcast::<Error>() {
                            Ok(err) => err,
                            // The client's own credentials, however quoted, and anything
                            // shaped like one.
                            Err(other) => Error::Middleware(shared.redact(&format!("{other:#}"))),
                        })
                    }
                })
            })),
        }
    }
}

/// The token an attempt is sent with.
struct Token {
    header: HeaderValue,
    /// Its generation in the cache (`None` for a caller's static token).
    generation: Option<u64>,
    /// Whether it came from the cache rather than from an exchange made for this call.
    from_cache: bool,
}

/// The [`islo_generated::Transport`] of an `Islo` client: the shared state and this client's
/// call settings.
///
/// - Auth: `Authorization: Bearer <token>` from the process-wide cache. A 401 invalidates
///   exactly the token it was sent with; when that token came from the cache and the request
///   can be replayed, the call exchanges once and replays once.
/// - Retries: per [`RetryPolicy`] (see [`crate::retry`]); idempotency is the operation's.
/// - Redirects: followed only to targets under the plane's base URL (the bearer stays with
///   the API), at most [`MAX_REDIRECTS`] per attempt; anything else is refused.
#[derive(Debug, Clone)]
pub(crate) struct IsloTransport {
    pub(crate) shared: Arc<Shared>,
    pub(crate) settings: CallSettings,
}

impl islo_generated::Transport for IsloTransport {
    fn execute<'a>(
        &'a self,
        request: Request,
        operation_id: &'static str,
    ) -> islo_generated::BoxFuture<'a, reqwest::Result<Response>> {
        let Some(op) = crate::meta::operation(operation_id) else {
            let e = Error::Unexpected(format!("`{operation_id}` is not an operation of the spec"));
            return Box::pin(std::future::ready(Ok(carrier_response(e))));
        };
        match self.prepare(request, op) {
            Ok(request) => Box::pin(
                self.send(request, op)
                    .then(move |result| self.finish(result, op)),
            ),
            Err(e) => Box::pin(std::future::ready(Ok(carrier_response(e)))),
        }
    }
}

impl IsloTransport {
    /// A transport for `settings` over `shared`.
    pub(crate) fn new(shared: Arc<Shared>, settings: CallSettings) -> Self {
        Self { shared, settings }
    }

    /// The request as it is sent: on its plane (checked), with the client's headers, its
    /// timeout and its multipart framing.
    fn prepare(&self, mut request: Request, op: &'static OperationMeta) -> Result<Request, Error> {
        if !self.shared.base(op.plane).contains(request.url()) {
            return Err(Error::Unexpected(format!(
                "{} belongs to the {:?} plane; its request was addressed elsewhere",
                op.id, op.plane
            )));
        }
        // Every value of a header the request does not set itself (one set twice on the
        // builder is sent twice).
        for k in self.shared.headers.keys() {
            if !request.headers().contains_key(k) {
                for v in self.shared.headers.get_all(k) {
                    request.headers_mut().append(k, v.clone());
                }
            }
        }
        if let Some(t) = self.settings.timeout {
            // Neither a streamed answer nor a streamed body (an upload) is cut by the call's
            // timeout: each takes as long as its data does.
            let streamed_body = request.body().is_some_and(|b| b.as_bytes().is_none());
            if !op.is_stream() && !streamed_body {
                *request.timeout_mut() = Some(t);
            }
        }
        if let RequestBody::Multipart { field } = op.body {
            request = frame_multipart(&self.shared.http, request, field)
                .map_err(|e| Error::from_reqwest(op.id, e))?;
        }
        Ok(request)
    }

    /// The header to send, when no exchange is needed (no waiting).
    fn ready_token(&self, stale: Option<u64>) -> Option<Token> {
        match &self.shared.credentials {
            Credentials::Static(_, header) => Some(Token {
                header: header.clone(),
                generation: None,
                from_cache: false,
            }),
            Credentials::Exchange { slot, .. } => {
                slot.cached_header(stale).map(|(header, generation)| Token {
                    header,
                    generation: Some(generation),
                    from_cache: true,
                })
            }
        }
    }

    /// Like [`IsloTransport::ready_token`], exchanging the key when needed. The exchange is a
    /// whole HTTP call: boxed, so that its state does not inflate every call's future.
    async fn exchanged_token(&self, stale: Option<u64>) -> Result<Token, Error> {
        let (slot, exchange) = self
            .shared
            .exchange(self.settings.timeout)
            .ok_or_else(|| Error::Config("no credentials".into()))?;
        let (header, generation, from_cache) = Box::pin(slot.token(exchange, stale)).await?;
        Ok(Token {
            header,
            generation: Some(generation),
            from_cache,
        })
    }

    /// Forgets the cached token of `generation` (a 401 answered it).
    fn invalidate(&self, generation: Option<u64>) {
        if let (Credentials::Exchange { slot, .. }, Some(g)) =
            (&self.shared.credentials, generation)
        {
            slot.invalidate(g);
        }
    }

    /// Sends `request` of `op` through the send loop, inside the call's span when a
    /// subscriber wants it.
    fn send<'a>(
        &'a self,
        request: Request,
        op: &'static OperationMeta,
    ) -> impl Future<Output = Result<Answer, Failure>> + Send + 'a {
        // Without a subscriber that wants it, there is no span (nor clock reads for its
        // duration): the send loop's future is all there is.
        if !tracing::enabled!(tracing::Level::DEBUG) {
            return Either::Left(self.run(request, op, &NO_SPAN));
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
            let result = self.run(request, op, &span).instrument(span.clone()).await;
            span.record(
                "duration_ms",
                u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            );
            match &result {
                Ok(Answer::Unread(resp)) => span.record("status", resp.status().as_u16()),
                Ok(Answer::Read { status, .. }) => span.record("status", status.as_u16()),
                Err(_) => &span,
            };
            result
        }))
    }

    /// Runs `req` to a final answer, recording the attempts on `span`. The body of a JSON
    /// success is read inside the loop, so that one cut short is retried like a failed
    /// request (when the call may be replayed).
    ///
    /// (A plain function returning an `async move` block that works on the captured request
    /// in place: an `async fn` would keep a second copy of its argument in its state.)
    fn run<'a>(
        &'a self,
        mut req: Request,
        op: &'static OperationMeta,
        span: &'a tracing::Span,
    ) -> impl Future<Output = Result<Answer, Failure>> + Send + 'a {
        let read = op.response == ResponseBody::Json;
        let replay_ok = op.idempotent;
        // A streamed answer is not cut by the call's timeout, but the wait for it to start
        // is (a streamed upload's answer comes only after all of its body: bounded from the
        // body's end, `crate::idle`).
        let streamed_body = req.body().is_some_and(|b| b.as_bytes().is_none());
        let answer_timeout = self
            .settings
            .timeout
            .filter(|_| op.is_stream() && !streamed_body);
        // reqwest's timeout is not set on a streamed upload, so the read of its answer is
        // bounded here (the upload itself takes as long as its data does).
        let read_timeout = self.settings.timeout.filter(|_| read && streamed_body);
        let base = self.shared.base(op.plane);
        // A streamed upload fails when it stands still for the call's timeout.
        let watch = self
            .settings
            .timeout
            .filter(|_| streamed_body)
            .and_then(|limit| crate::idle::watch_body(&mut req, limit));
        // The request to replay from (None once sent when its body cannot be cloned).
        let mut template = Some(req);
        async move {
            let policy = &self.settings.retry;
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
                let (result, token) = match token {
                    // A failed exchange goes through the same retry policy as a failed call.
                    Err(e) => (Err(Failure::Sdk(e)), None),
                    Ok(token) => {
                        let sent = self.dispatch(&mut template, token.header.clone())?;
                        let result = match &watch {
                            None => within(answer_timeout, sent)
                                .await
                                .unwrap_or(Err(Failure::NoAnswer)),
                            // Boxed: only streamed uploads pay for the watch.
                            Some(watch) => Box::pin(watch.bound(sent))
                                .await
                                .unwrap_or(Err(Failure::Sdk(crate::idle::UPLOAD_STALLED))),
                        };
                        (result, Some(token))
                    }
                };
                // A caller's own client may have followed a redirect before this loop saw
                // it: an answer from outside the plane's base URL is not the API's.
                let result = match result {
                    Ok(resp) if !base.contains(resp.url()) => Err(Failure::Sdk(Error::Redirect {
                        operation: op.id,
                        reason: "the HTTP client followed a redirect out of the base URL",
                        target_origin: origin(resp.url()),
                    })),
                    other => other,
                };

                if let (Ok(resp), Some(token)) = (&result, &token) {
                    let status = resp.status();
                    if status == StatusCode::UNAUTHORIZED {
                        // The token this request carried was rejected: never use it again.
                        self.invalidate(token.generation);
                        // Replay once with a fresh one, if it came from the cache (a token
                        // just issued and rejected means the key itself is refused).
                        if token.from_cache && !auth_replayed && template.is_some() {
                            stale = token.generation;
                            auth_replayed = true;
                            continue;
                        }
                    }
                    // Redirects (followable only when the request can be replayed).
                    if let Some(t) = template.as_mut() {
                        if let Some(target) = redirect_target(resp, t.url(), base, op)? {
                            hops += 1;
                            if hops > MAX_REDIRECTS {
                                return Err(Failure::Sdk(Error::Redirect {
                                    operation: op.id,
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
                        let limit = self
                            .settings
                            .max_response_bytes
                            .unwrap_or(DEFAULT_MAX_RESPONSE_BYTES);
                        match within(read_timeout, read_whole(resp, limit)).await {
                            None => Err(Failure::NoAnswer),
                            Some(Ok(Ok(answer))) => return Ok(answer),
                            // Over the limit: not retried (the same answer would come again).
                            Some(Ok(Err(announced))) => {
                                return Err(Failure::Sdk(Error::TooLarge {
                                    operation: op.id,
                                    limit,
                                    announced,
                                }))
                            }
                            Some(Err(e)) => Err(Failure::BodyCut(e)),
                        }
                    }
                    other => other,
                };
                if attempt >= policy.attempts() || template.is_none() {
                    return result.map(Answer::Unread);
                }
                let verdict = match &result {
                    Ok(resp) => policy.classify_status(resp.status(), resp.headers(), replay_ok),
                    Err(Failure::Http(e)) => policy.classify(Attempted::Http(e), replay_ok),
                    // Like a timeout of reqwest's: the attempt was interrupted.
                    Err(Failure::BodyCut(_) | Failure::NoAnswer) => {
                        policy.classify(Attempted::BodyCut, replay_ok)
                    }
                    Err(Failure::Sdk(e)) => policy.classify(Attempted::Sdk(e), replay_ok),
                };
                let Some(retry) = verdict else {
                    return result.map(Answer::Unread);
                };
                let wait = policy.delay(&retry, attempt);
                drop(result);
                tracing::debug!(
                    attempt,
                    reason = ?retry.reason,
                    wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                    "islo: retrying"
                );
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
                .ok_or_else(|| Failure::Sdk(Error::Unexpected("request already sent".into())))?,
        };
        req.headers_mut().insert(AUTHORIZATION, auth);
        Ok(self.shared.sender.send(req, &self.shared))
    }

    /// Hands a success to the generated code (a read body as a response of its own); turns
    /// anything else into a carried [`Error`].
    async fn finish(
        &self,
        result: Result<Answer, Failure>,
        op: &'static OperationMeta,
    ) -> reqwest::Result<Response> {
        match result {
            Ok(Answer::Unread(resp)) if resp.status().is_success() => {
                // A download's data is bounded by the timeout while it stands still.
                Ok(match (op.response, self.settings.timeout) {
                    (ResponseBody::Bytes { .. }, Some(limit)) => {
                        crate::idle::bound_download(resp, limit)
                    }
                    _ => resp,
                })
            }
            // Error bodies are read in a boxed future: a cold path that should not make every
            // call's future bigger.
            Ok(Answer::Unread(resp)) => Ok(Box::pin(self.api_error(resp, op)).await),
            Ok(Answer::Read {
                status,
                headers,
                url,
                body,
            }) => {
                // With its URL set, reqwest does not parse a placeholder one for it.
                use reqwest::ResponseBuilderExt;
                let mut resp = match http::Response::builder().url(url).body(body) {
                    Ok(resp) => resp,
                    Err(e) => return Ok(carrier_response(Error::Unexpected(e.to_string()))),
                };
                *resp.status_mut() = status;
                *resp.headers_mut() = headers;
                Ok(Response::from(resp))
            }
            Err(Failure::Http(e) | Failure::BodyCut(e)) => Err(e),
            Err(Failure::Sdk(err)) => Ok(carrier_response(err)),
            Err(Failure::NoAnswer) => Ok(carrier_response(NO_ANSWER)),
        }
    }

    /// Reads a non-2xx answer (capped, credentials redacted) into a carried [`ApiError`].
    async fn api_error(&self, resp: Response, op: &'static OperationMeta) -> Response {
        let status = resp.status();
        let headers = resp.headers().clone();
        // A body that breaks off is kept as far as it came, and so is one that stalls past
        // the call's timeout (reqwest's own covers only calls whose answer is not streamed).
        let (raw, _cut) =
            crate::auth::read_limited(resp, MAX_ERROR_BODY, self.settings.timeout).await;
        let body = crate::secret::redact_body(raw, |text| self.shared.redact(text));
        carrier_response(ApiError::new(op.id, status, headers, body).into())
    }
}

/// Frames a raw body as `multipart/form-data` with one part named `field`, whose file name is
/// the last segment of the `path` query parameter.
fn frame_multipart(
    client: &reqwest::Client,
    mut request: Request,
    field: &'static str,
) -> reqwest::Result<Request> {
    let file_name = request
        .url()
        .query_pairs()
        .find(|(k, _)| k == "path")
        .and_then(|(_, v)| v.rsplit('/').find(|s| !s.is_empty()).map(str::to_string))
        .unwrap_or_else(|| "file".to_string());
    let body = request.body_mut().take();
    request.headers_mut().remove(CONTENT_TYPE);
    request.headers_mut().remove(CONTENT_LENGTH);
    let part = match body {
        Some(b) => match b.as_bytes() {
            // Framed here, in memory, so that the request can be copied for a retry
            // (reqwest's forms always stream).
            Some(bytes) => {
                let (content_type, framed) = multipart_in_memory(field, &file_name, bytes);
                let headers = request.headers_mut();
                headers.insert(CONTENT_TYPE, content_type);
                headers.insert(CONTENT_LENGTH, HeaderValue::from(framed.len()));
                *request.body_mut() = Some(framed.into());
                return Ok(request);
            }
            None => reqwest::multipart::Part::stream(b),
        },
        None => reqwest::multipart::Part::bytes(Vec::new()),
    }
    .file_name(file_name)
    .mime_str("application/octet-stream")?;
    let form = reqwest::multipart::Form::new().part(field, part);
    reqwest::RequestBuilder::from_parts(client.clone(), request)
        .multipart(form)
        .build()
}

/// `bytes` as a `multipart/form-data` body of one part named `field` (file name `file_name`,
/// percent-encoded as reqwest encodes it), and its content type. The boundary is random.
fn multipart_in_memory(field: &str, file_name: &str, bytes: &[u8]) -> (HeaderValue, Vec<u8>) {
    use std::fmt::Write as _;
    use std::io::Write as _;
    let boundary: String = (0..4)
        .map(|_| format!("{:016x}", crate::files::random_u64()))
        .collect();
    let mut name = String::with_capacity(file_name.len());
    for b in file_name.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@".contains(&b) {
            name.push(char::from(b));
        } else {
            let _ = write!(name, "%{b:02X}");
        }
    }
    let mut framed = Vec::with_capacity(bytes.len() + 256);
    let _ = write!(
        framed,
        "--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{name}\"\r\n\
         Content-Type: application/octet-stream\r\n\r\n"
    );
    framed.extend_from_slice(bytes);
    let _ = write!(framed, "\r\n--{boundary}--\r\n");
    let content_type = HeaderValue::from_str(&format!("multipart/form-data; boundary={boundary}"))
        .unwrap_or_else(|_| HeaderValue::from_static("multipart/form-data"));
    (content_type, framed)
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

/// Where a 3xx answer points, if it points anywhere. A target outside the plane's base URL
/// (another origin, or another path on the same one) is refused: the bearer token goes only
/// to the API.
fn redirect_target(
    resp: &Response,
    from: &Url,
    base: &Base,
    op: &'static OperationMeta,
) -> Result<Option<Url>, Failure> {
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
    // The URL parser keeps `..%2F` as part of one segment, so such a path passes a check on
    // its text, yet a gateway that decodes before routing may read it as a step up.
    let smuggled = target
        .path()
        .split('/')
        .any(|segment| !segment.is_empty() && crate::requests::segment_problem(segment).is_some());
    if !base.contains(&target) || smuggled {
        let reason = if !same_origin(&target, from) {
            "cross-origin redirect"
        } else if smuggled {
            "redirect to a path segment that decodes to `.` or `..` or to one holding `/` or `\\`, which a gateway that decodes it could route out of the base URL's path"
        } else {
            "redirect out of the base URL's path"
        };
        return Err(Failure::Sdk(Error::Redirect {
            operation: op.id,
            reason,
            target_origin: origin(&target),
        }));
    }
    Ok(Some(target))
}

/// Reads a success's whole body, at most `limit` bytes: `Ok(Err(announced))` when it is
/// larger (`announced` is its `Content-Length`, if that already said so; nothing is read
/// then).
fn read_whole(
    mut resp: Response,
    limit: u64,
) -> impl Future<Output = reqwest::Result<Result<Answer, Option<u64>>>> + Send {
    let status = resp.status();
    let headers = std::mem::take(resp.headers_mut());
    let url = resp.url().clone();
    async move {
        if let Some(n) = resp.content_length().filter(|&n| n > limit) {
            return Ok(Err(Some(n)));
        }
        Ok(read_body(&mut resp, limit).await?.map(|body| Answer::Read {
            status,
            headers,
            url,
            body,
        }))
    }
}

/// Reads a whole body of at most `limit` bytes (`Ok(Err(None))` past it). A body that
/// arrives in one piece (the usual case for small JSON answers) is returned as is: no copy.
async fn read_body(
    response: &mut Response,
    limit: u64,
) -> reqwest::Result<Result<Bytes, Option<u64>>> {
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    let Some(first) = response.chunk().await? else {
        return Ok(Ok(Bytes::new()));
    };
    if first.len() > limit {
        return Ok(Err(None));
    }
    let Some(second) = response.chunk().await? else {
        return Ok(Ok(first));
    };
    let mut all = bytes::BytesMut::with_capacity(first.len().saturating_add(second.len()));
    all.extend_from_slice(&first);
    let mut next = Some(second);
    while let Some(more) = next {
        if more.len() > limit.saturating_sub(all.len()) {
            return Ok(Err(None));
        }
        all.extend_from_slice(&more);
        next = response.chunk().await?;
    }
    Ok(Ok(all.freeze()))
}

/// `fut`, bounded by `limit` when one is set (`None` when it passes). Boxed: only the calls
/// that need the timer pay for it, in their future's size too.
async fn within<F: Future>(limit: Option<Duration>, fut: F) -> Option<F::Output> {
    match limit {
        None => Some(fut.await),
        Some(t) => Box::pin(tokio::time::timeout(t, fut)).await.ok(),
    }
}

/// The span of an untraced call.
static NO_SPAN: tracing::Span = tracing::Span::none();

#[cfg(test)]
mod tests {
    use super::*;

    /// The in-memory framing is standard `multipart/form-data`, with the file name
    /// percent-encoded so that no quote or line break can end its header early.
    #[test]
    fn multipart_in_memory_frames_one_part() {
        let (content_type, body) = multipart_in_memory("file", "a b\"c\r\n.txt", b"da\r\nta");
        let content_type = content_type.to_str().unwrap();
        let boundary = content_type
            .strip_prefix("multipart/form-data; boundary=")
            .unwrap();
        assert_eq!(boundary.len(), 64);
        let expected = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; \
             filename=\"a%20b%22c%0D%0A.txt\"\r\nContent-Type: application/octet-stream\r\n\r\n\
             da\r\nta\r\n--{boundary}--\r\n"
        );
        assert_eq!(String::from_utf8(body).unwrap(), expected);
        let (again, _) = multipart_in_memory("file", "x", b"");
        assert_ne!(
            again.to_str().unwrap(),
            content_type,
            "a fresh boundary each time"
        );
    }

    #[test]
    fn origin_includes_default_ports() {
        let u = Url::parse("https://api.islo.dev/x?y").unwrap();
        assert_eq!(origin(&u), "https://api.islo.dev:443");
    }

    #[test]
    fn a_base_contains_only_its_own_path() {
        let base = Base::new("https://gw.example.com/islo".into()).unwrap();
        let url = |s: &str| Url::parse(s).unwrap();
        assert!(base.contains(&url("https://gw.example.com/islo")));
        assert!(base.contains(&url("https://gw.example.com/islo/sandboxes")));
        assert!(base.contains(&url("https://GW.example.com:443/islo/x")));
        assert!(!base.contains(&url("https://gw.example.com/islox/sandboxes")));
        assert!(!base.contains(&url("https://gw.example.com/other-service")));
        assert!(!base.contains(&url("http://gw.example.com/islo/x")));
        assert!(!base.contains(&url("https://evil.example.com/islo/x")));
        let bare = Base::new("http://127.0.0.1:8080".into()).unwrap();
        assert!(bare.contains(&url("http://127.0.0.1:8080/anything")));
        assert!(!bare.contains(&url("http://127.0.0.1:8081/anything")));
    }
}

//! The send path under every generated call: authentication, retries, redirects, tracing and
//! error decoding, as a `reqwest-middleware` stack behind the generated client's `exec` hook.

use crate::auth::{Exchange, TokenSlot};
use crate::error::{carrier_response, ApiError, Error};
use crate::secret::{redact_credentials, Secret};
use bytes::{Bytes, BytesMut};
use http::Extensions;
use islo_generated::meta::OperationMeta;
use reqwest::header::{
    HeaderMap, HeaderValue, AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, LOCATION,
};
use reqwest::{Method, Request, Response, StatusCode};
use reqwest_middleware::{ClientWithMiddleware, Middleware, Next};
use reqwest_retry::policies::ExponentialBackoff;
use reqwest_retry::{Jitter, RetryDecision, RetryPolicy};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};
use tracing::Instrument as _;

/// The most redirects followed for one call.
pub(crate) const MAX_REDIRECTS: u32 = 10;
/// The most bytes of an error body kept.
const MAX_ERROR_BODY: usize = 1 << 20;

/// Per-call settings; cheap to clone, carried in the request extensions.
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

/// Everything the auth layer needs.
#[derive(Debug)]
pub(crate) struct AuthState {
    pub(crate) credentials: Credentials,
    pub(crate) http: reqwest::Client,
    pub(crate) control_url: String,
    pub(crate) headers: HeaderMap,
    pub(crate) exchange_timeout: Duration,
}

impl AuthState {
    fn exchange(&self) -> Option<(&Arc<TokenSlot>, Exchange<'_>)> {
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
                    timeout: self.exchange_timeout,
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

fn mw_err(e: Error) -> reqwest_middleware::Error {
    reqwest_middleware::Error::middleware(e)
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

/// The retry policy (see the crate docs, "Retries").
pub(crate) fn classify(
    result: &reqwest_middleware::Result<Response>,
    replay_ok: bool,
) -> RetryVerdict {
    match result {
        Ok(resp) => {
            let status = resp.status();
            let after = retry_after(resp.headers());
            match status.as_u16() {
                429 => after.map_or(RetryVerdict::Backoff, RetryVerdict::After),
                503 if after.is_some() => after.map_or(RetryVerdict::Backoff, RetryVerdict::After),
                408 | 500..=599 if replay_ok => {
                    after.map_or(RetryVerdict::Backoff, RetryVerdict::After)
                }
                _ => RetryVerdict::Done,
            }
        }
        Err(reqwest_middleware::Error::Reqwest(e)) => {
            if e.is_connect() || (replay_ok && (e.is_timeout() || e.is_request() || e.is_body())) {
                RetryVerdict::Backoff
            } else {
                RetryVerdict::Done
            }
        }
        Err(reqwest_middleware::Error::Middleware(e)) => match e.downcast_ref::<Error>() {
            Some(err @ Error::Auth(_)) if err.is_retryable() => RetryVerdict::Backoff,
            _ => RetryVerdict::Done,
        },
    }
}

/// The one middleware of the stack: authentication, retries and redirects in a single loop,
/// so that a call clones its request once (to be able to replay it), however many of those
/// it ends up needing. It carries the call settings itself, so a call needs no request
/// extensions (and no allocations for them).
///
/// - Auth: `Authorization: Bearer <token>` from the process-wide cache; a 401 on a cached
///   token invalidates exactly that token, exchanges once and replays once.
/// - Retries: per [`classify`], with reqwest-retry's exponential backoff and jitter, or the
///   server's `Retry-After`, capped. Idempotency comes from the method (the spec's
///   idempotency is the method's).
/// - Redirects: same-origin ones are followed (auth kept), cross-origin ones refused, at most 10.
struct SendLayer {
    auth: Arc<AuthState>,
    settings: CallSettings,
}

impl SendLayer {
    /// The header to send and the token's generation (exchanging if needed), and whether it
    /// came from the cache.
    async fn token(&self, stale: Option<u64>) -> Result<(HeaderValue, Option<u64>, bool), Error> {
        match &self.auth.credentials {
            Credentials::Static(_, header) => Ok((header.clone(), None, false)),
            Credentials::Exchange { .. } => {
                let (slot, exchange) = self
                    .auth
                    .exchange()
                    .ok_or_else(|| Error::Config("no credentials".into()))?;
                let (tok, from_cache) = slot.token(&exchange, stale).await?;
                Ok((tok.header.clone(), Some(tok.generation), from_cache))
            }
        }
    }
}

#[async_trait::async_trait]
impl Middleware for SendLayer {
    async fn handle(
        &self,
        req: Request,
        ext: &mut Extensions,
        next: Next<'_>,
    ) -> reqwest_middleware::Result<Response> {
        let settings = &self.settings;
        let replay_ok = req.method().is_idempotent() || settings.retry_non_idempotent;
        let max_attempts = settings.max_attempts.max(1);
        let policy = ExponentialBackoff::builder()
            .retry_bounds(
                settings.backoff_min,
                settings.backoff_max.max(settings.backoff_min),
            )
            .jitter(Jitter::Bounded)
            .build_with_max_retries(max_attempts - 1);
        let started = SystemTime::now();

        // The request to replay from (None once sent when its body cannot be cloned).
        let mut template = Some(req);
        let mut attempt = 0u32;
        let mut hops = 0u32;
        let mut auth_replayed = false;
        let mut stale: Option<u64> = None;
        loop {
            if hops == 0 && !auth_replayed {
                attempt += 1;
                tracing::Span::current().record("attempts", attempt);
            }
            let (result, generation, from_cache) = match self.token(stale.take()).await {
                // A failed exchange goes through the same retry policy as a failed call.
                Err(e) => (Err(mw_err(e)), None, false),
                Ok((header, generation, from_cache)) => {
                    let mut req = match template.as_ref().and_then(Request::try_clone) {
                        Some(copy) => copy,
                        None => match template.take() {
                            Some(only) => only,
                            None => {
                                return Err(mw_err(Error::Unexpected(
                                    "request already sent".into(),
                                )))
                            }
                        },
                    };
                    req.headers_mut().insert(AUTHORIZATION, header);
                    (next.clone().run(req, ext).await, generation, from_cache)
                }
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
                        (&self.auth.credentials, generation)
                    {
                        slot.invalidate(g);
                        stale = Some(g);
                        auth_replayed = true;
                        continue;
                    }
                }
                // Redirects (followable only when the request can be replayed).
                if let (true, Some(t)) = (
                    matches!(status.as_u16(), 301 | 302 | 303 | 307 | 308),
                    template.as_mut(),
                ) {
                    let url = t.url().clone();
                    if let Some(target) = resp
                        .headers()
                        .get(LOCATION)
                        .and_then(|l| l.to_str().ok())
                        .and_then(|l| url.join(l).ok())
                    {
                        if origin(&target) != origin(&url) {
                            return Err(mw_err(Error::Redirect {
                                reason: "cross-origin redirect",
                                target_origin: origin(&target),
                            }));
                        }
                        hops += 1;
                        if hops > MAX_REDIRECTS {
                            return Err(mw_err(Error::Redirect {
                                reason: "more than 10 redirects",
                                target_origin: origin(&target),
                            }));
                        }
                        *t.url_mut() = target;
                        if status == StatusCode::SEE_OTHER
                            || (matches!(status.as_u16(), 301 | 302) && t.method() == Method::POST)
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

            if attempt >= max_attempts || template.is_none() {
                return result;
            }
            // A JSON body cut off mid-way must be retried like a failed request, so while a
            // retry is still possible the body of a successful JSON answer is read here.
            let result = match result {
                Ok(resp) if replay_ok && resp.status().is_success() && is_json(&resp) => {
                    buffer_body(resp).await
                }
                other => other,
            };
            let wait = match classify(&result, replay_ok) {
                RetryVerdict::Done => return result,
                RetryVerdict::After(d) => d.min(settings.max_retry_after),
                RetryVerdict::Backoff => match policy.should_retry(started, attempt - 1) {
                    RetryDecision::Retry { execute_after } => execute_after
                        .duration_since(SystemTime::now())
                        .unwrap_or(Duration::ZERO),
                    RetryDecision::DoNotRetry => return result,
                },
            };
            drop(result);
            tracing::debug!(attempt, wait_ms = wait.as_millis() as u64, "islo: retrying");
            tokio::time::sleep(wait).await;
            hops = 0;
            auth_replayed = false;
        }
    }
}

fn is_json(resp: &Response) -> bool {
    resp.headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"))
}

/// Reads the whole body now, so that a transfer cut mid-way surfaces as a request error
/// (retryable) rather than later in the caller's decoding.
async fn buffer_body(resp: Response) -> reqwest_middleware::Result<Response> {
    use http_body_util::BodyExt as _;
    let (parts, body) = http::Response::from(resp).into_parts();
    let bytes = body
        .collect()
        .await
        .map_err(reqwest_middleware::Error::Reqwest)?
        .to_bytes();
    Ok(Response::from(http::Response::from_parts(parts, bytes)))
}

/// Builds the middleware stack around `http` for calls with `settings`.
pub(crate) fn middleware_client(
    http: reqwest::Client,
    auth: Arc<AuthState>,
    settings: CallSettings,
) -> ClientWithMiddleware {
    reqwest_middleware::ClientBuilder::new(http)
        .with(SendLayer { auth, settings })
        .build()
}

/// What every clone of a client shares.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) http: reqwest::Client,
    /// Plane routing for the generated client, parsed once.
    pub(crate) routes: islo_generated::Inner,
    pub(crate) auth: Arc<AuthState>,
    pub(crate) control_url: String,
    pub(crate) compute_url: String,
    pub(crate) headers: HeaderMap,
}

/// The [`islo_generated::Transport`] of an `Islo` client: the shared state plus this
/// client's call settings and the middleware stack built for them.
#[derive(Debug, Clone)]
pub(crate) struct IsloTransport {
    pub(crate) shared: Arc<Shared>,
    pub(crate) settings: CallSettings,
    pub(crate) middleware: ClientWithMiddleware,
}

impl IsloTransport {
    /// A transport for `settings` over `shared`.
    pub(crate) fn new(shared: Arc<Shared>, settings: CallSettings) -> Self {
        let middleware =
            middleware_client(shared.http.clone(), shared.auth.clone(), settings.clone());
        Self {
            shared,
            settings,
            middleware,
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
    /// Sends one request of `op` through the stack and turns failures into carried [`Error`]s.
    pub(crate) async fn send(
        &self,
        mut request: Request,
        op: &'static OperationMeta,
    ) -> reqwest::Result<Response> {
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
            .middleware
            .execute(request)
            .instrument(span.clone())
            .await;
        span.record("duration_ms", started.elapsed().as_millis() as u64);
        match result {
            Ok(resp) => {
                let status = resp.status();
                span.record("status", status.as_u16());
                if status.is_success() {
                    return Ok(resp);
                }
                let headers = resp.headers().clone();
                let raw = read_capped(resp).await;
                let text = self.shared.auth.redact(&String::from_utf8_lossy(&raw));
                let body = if text.as_bytes() == raw.as_ref() {
                    raw
                } else {
                    Bytes::from(text.into_bytes())
                };
                Ok(carrier_response(
                    status,
                    ApiError::new(op.id, status, headers, body).into(),
                ))
            }
            Err(reqwest_middleware::Error::Reqwest(e)) => Err(e),
            Err(reqwest_middleware::Error::Middleware(e)) => {
                let err = match e.downcast::<Error>() {
                    Ok(err) => err,
                    Err(other) => Error::Unexpected(redact_credentials(&other.to_string())),
                };
                Ok(carrier_response(StatusCode::INTERNAL_SERVER_ERROR, err))
            }
        }
    }
}

impl islo_generated::Transport for IsloTransport {
    fn execute<'a>(
        &'a self,
        request: Request,
        operation: &'static OperationMeta,
    ) -> islo_generated::BoxFuture<'a, reqwest::Result<Response>> {
        Box::pin(self.send(request, operation))
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

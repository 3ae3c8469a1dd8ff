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

#[derive(Clone, Copy)]
struct OpExt(&'static OperationMeta);

/// How many attempts the retry layer made (written by it, read for tracing).
#[derive(Clone, Copy)]
struct Attempts(u32);

/// The session token a request was sent with (to redact it from error bodies).
#[derive(Clone)]
struct UsedToken(Secret);

/// How calls are authenticated.
#[derive(Debug)]
pub(crate) enum Credentials {
    /// Exchange the API key for session tokens, cached process-wide.
    Exchange {
        slot: Arc<TokenSlot>,
        key: Secret,
        refresh_margin: Duration,
    },
    /// A session token supplied by the caller; no exchange, no refresh.
    Static(Secret),
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
            Credentials::Static(_) => None,
        }
    }

    /// Redacts the API key and any credentials from server text.
    pub(crate) fn redact(&self, text: &str) -> String {
        let text = match &self.credentials {
            Credentials::Exchange { key, .. } => key.redact_in(text),
            Credentials::Static(t) => t.redact_in(text),
        };
        redact_credentials(&text)
    }
}

fn bearer(token: &Secret) -> Result<HeaderValue, Error> {
    let mut v = HeaderValue::from_str(&format!("Bearer {}", token.expose()))
        .map_err(|_| Error::Config("the session token is not a valid header value".into()))?;
    v.set_sensitive(true);
    Ok(v)
}

fn mw_err(e: Error) -> reqwest_middleware::Error {
    reqwest_middleware::Error::middleware(e)
}

/// Adds `Authorization: Bearer <token>`; on a 401 with a cached token, invalidates exactly
/// that token, exchanges once and replays once.
struct AuthLayer(Arc<AuthState>);

#[async_trait::async_trait]
impl Middleware for AuthLayer {
    async fn handle(
        &self,
        mut req: Request,
        ext: &mut Extensions,
        next: Next<'_>,
    ) -> reqwest_middleware::Result<Response> {
        let state = &self.0;
        let Some((slot, exchange)) = state.exchange() else {
            if let Credentials::Static(t) = &state.credentials {
                req.headers_mut()
                    .insert(AUTHORIZATION, bearer(t).map_err(mw_err)?);
                ext.insert(UsedToken(t.clone()));
            }
            return next.run(req, ext).await;
        };
        let (token, from_cache) = slot.token(&exchange, None).await.map_err(mw_err)?;
        let spare = if from_cache { req.try_clone() } else { None };
        req.headers_mut()
            .insert(AUTHORIZATION, bearer(&token.token).map_err(mw_err)?);
        ext.insert(UsedToken(token.token.clone()));
        let resp = next.clone().run(req, ext).await?;
        if resp.status() != StatusCode::UNAUTHORIZED {
            return Ok(resp);
        }
        let Some(mut again) = spare else {
            return Ok(resp);
        };
        slot.invalidate(token.generation);
        let (fresh, _) = slot
            .token(&exchange, Some(token.generation))
            .await
            .map_err(mw_err)?;
        again
            .headers_mut()
            .insert(AUTHORIZATION, bearer(&fresh.token).map_err(mw_err)?);
        ext.insert(UsedToken(fresh.token.clone()));
        next.run(again, ext).await
    }
}

/// The scheme, host and port of a URL.
pub(crate) fn origin(url: &reqwest::Url) -> String {
    match url.port_or_known_default() {
        Some(p) => format!("{}://{}:{}", url.scheme(), url.host_str().unwrap_or(""), p),
        None => format!("{}://{}", url.scheme(), url.host_str().unwrap_or("")),
    }
}

/// Follows same-origin redirects (keeping auth), refuses cross-origin ones, at most 10.
struct RedirectLayer;

#[async_trait::async_trait]
impl Middleware for RedirectLayer {
    async fn handle(
        &self,
        req: Request,
        ext: &mut Extensions,
        next: Next<'_>,
    ) -> reqwest_middleware::Result<Response> {
        let mut current = req;
        let mut hops = 0;
        loop {
            let spare = current.try_clone();
            let url = current.url().clone();
            let method = current.method().clone();
            let resp = next.clone().run(current, ext).await?;
            let status = resp.status();
            if !matches!(status.as_u16(), 301 | 302 | 303 | 307 | 308) {
                return Ok(resp);
            }
            let Some(target) = resp
                .headers()
                .get(LOCATION)
                .and_then(|l| l.to_str().ok())
                .and_then(|l| url.join(l).ok())
            else {
                return Ok(resp);
            };
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
            let Some(mut next_req) = spare else {
                return Ok(resp);
            };
            *next_req.url_mut() = target;
            if status == StatusCode::SEE_OTHER
                || (matches!(status.as_u16(), 301 | 302) && method == Method::POST)
            {
                *next_req.method_mut() = Method::GET;
                *next_req.body_mut() = None;
                next_req.headers_mut().remove(CONTENT_TYPE);
                next_req.headers_mut().remove(CONTENT_LENGTH);
            }
            current = next_req;
        }
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

/// Retries per [`classify`], with reqwest-retry's exponential backoff and jitter.
struct RetryLayer;

#[async_trait::async_trait]
impl Middleware for RetryLayer {
    async fn handle(
        &self,
        req: Request,
        ext: &mut Extensions,
        next: Next<'_>,
    ) -> reqwest_middleware::Result<Response> {
        let settings = ext.get::<CallSettings>().cloned().unwrap_or_default();
        let idempotent = ext
            .get::<OpExt>()
            .map_or_else(|| req.method().is_idempotent(), |op| op.0.idempotent);
        let replay_ok = idempotent || settings.retry_non_idempotent;
        let max_attempts = settings.max_attempts.max(1);
        let policy = ExponentialBackoff::builder()
            .retry_bounds(
                settings.backoff_min,
                settings.backoff_max.max(settings.backoff_min),
            )
            .jitter(Jitter::Bounded)
            .build_with_max_retries(max_attempts - 1);
        let started = SystemTime::now();
        let mut current = req;
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let spare = if attempt < max_attempts {
                current.try_clone()
            } else {
                None
            };
            let result = next.clone().run(current, ext).await;
            ext.insert(Attempts(attempt));
            let Some(again) = spare else {
                return result;
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
            current = again;
        }
    }
}

/// Builds the middleware stack: retry (outer) → auth → redirects (inner).
pub(crate) fn middleware_client(
    http: reqwest::Client,
    auth: Arc<AuthState>,
) -> ClientWithMiddleware {
    reqwest_middleware::ClientBuilder::new(http)
        .with(RetryLayer)
        .with(AuthLayer(auth))
        .with(RedirectLayer)
        .build()
}

/// What every clone of a client shares.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) http: reqwest::Client,
    pub(crate) middleware: ClientWithMiddleware,
    pub(crate) auth: Arc<AuthState>,
    pub(crate) control_url: String,
    pub(crate) compute_url: String,
    pub(crate) headers: HeaderMap,
}

/// The [`islo_generated::Transport`] of an `Islo` client.
#[derive(Debug, Clone)]
pub(crate) struct IsloTransport {
    pub(crate) shared: Arc<Shared>,
    pub(crate) settings: CallSettings,
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
        let mut ext = Extensions::new();
        ext.insert(OpExt(op));
        ext.insert(self.settings.clone());
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
            .shared
            .middleware
            .execute_with_extensions(request, &mut ext)
            .instrument(span.clone())
            .await;
        let attempts = ext.get::<Attempts>().map_or(1, |a| a.0);
        span.record("attempts", attempts);
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
                let mut text = self.shared.auth.redact(&String::from_utf8_lossy(&raw));
                if let Some(UsedToken(t)) = ext.get::<UsedToken>() {
                    text = t.redact_in(&text);
                }
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

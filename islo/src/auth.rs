//! API key → session JWT exchange and the process-wide token cache.
//!
//! One [`TokenSlot`] exists per (control URL, API key) in the whole process; every client
//! built with the same pair shares it. Reads are a lock-free-in-practice `RwLock` read of an
//! `Arc`; refreshes are serialised by an async mutex so that any number of cold callers cause
//! exactly one exchange, and a caller cancelled mid-exchange simply releases the mutex to the
//! next waiter.

use crate::error::{ApiError, AuthError, Error};
use crate::secret::{redact_credentials, Secret};
use base64::Engine as _;
use bytes::Bytes;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Token lifetime assumed when the exchange response has neither `cookie_max_age` nor a JWT `exp`.
pub(crate) const DEFAULT_TOKEN_LIFETIME: Duration = Duration::from_secs(600);

/// One issued session token.
#[derive(Debug)]
pub(crate) struct CachedToken {
    pub(crate) token: Secret,
    /// `Bearer <token>`, built once per token rather than once per request.
    pub(crate) header: reqwest::header::HeaderValue,
    pub(crate) expires_at: Instant,
    /// Increases with every exchange of the slot; identifies this token for invalidation.
    pub(crate) generation: u64,
}

/// The cache entry for one (control URL, API key).
#[derive(Debug)]
pub(crate) struct TokenSlot {
    current: RwLock<Option<Arc<CachedToken>>>,
    refresh: tokio::sync::Mutex<()>,
    generation: AtomicU64,
}

type CacheKey = (String, Secret);

fn cache() -> &'static Mutex<HashMap<CacheKey, Arc<TokenSlot>>> {
    static CACHE: OnceLock<Mutex<HashMap<CacheKey, Arc<TokenSlot>>>> = OnceLock::new();
    CACHE.get_or_init(Default::default)
}

impl TokenSlot {
    fn new() -> Self {
        Self {
            current: RwLock::new(None),
            refresh: tokio::sync::Mutex::new(()),
            generation: AtomicU64::new(0),
        }
    }

    /// The process-wide slot for this control URL and key.
    pub(crate) fn shared(control_url: &str, key: &Secret) -> Arc<TokenSlot> {
        let mut map = cache().lock().unwrap_or_else(|p| p.into_inner());
        map.entry((control_url.to_string(), key.clone()))
            .or_insert_with(|| Arc::new(TokenSlot::new()))
            .clone()
    }

    /// The cached token, if any (valid or not).
    pub(crate) fn current(&self) -> Option<Arc<CachedToken>> {
        self.current
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The `Authorization` value and generation of the cached token if it is still valid and
    /// not `stale`: no waiting, no exchange (one read lock, no reference count traffic).
    pub(crate) fn cached_header(
        &self,
        stale: Option<u64>,
    ) -> Option<(reqwest::header::HeaderValue, u64)> {
        let now = Instant::now();
        let guard = self.current.read().unwrap_or_else(|p| p.into_inner());
        let t = guard.as_ref()?;
        (Some(t.generation) != stale && now < t.expires_at)
            .then(|| (t.header.clone(), t.generation))
    }

    /// A valid token's `Authorization` value and generation, exchanging if none is cached,
    /// it expired, or it is `stale` (a generation the caller saw rejected); and whether it
    /// came from the cache (`true`) or from an exchange made by this call (`false`).
    pub(crate) async fn token(
        &self,
        exchange: &Exchange<'_>,
        stale: Option<u64>,
    ) -> Result<(reqwest::header::HeaderValue, u64, bool), Error> {
        if let Some((header, generation)) = self.cached_header(stale) {
            return Ok((header, generation, true));
        }
        let _guard = self.refresh.lock().await;
        if let Some((header, generation)) = self.cached_header(stale) {
            return Ok((header, generation, true));
        }
        let issued = exchange.run().await?;
        let generation = self.generation.fetch_add(1, Ordering::Relaxed) + 1;
        let header = crate::transport::bearer(&issued.token)?;
        let token = Arc::new(CachedToken {
            header: header.clone(),
            token: issued.token,
            expires_at: Instant::now() + issued.valid_for,
            generation,
        });
        *self.current.write().unwrap_or_else(|p| p.into_inner()) = Some(token);
        Ok((header, generation, false))
    }

    /// Forgets the cached token if it is still `generation` (never a newer one).
    pub(crate) fn invalidate(&self, generation: u64) {
        let mut cur = self.current.write().unwrap_or_else(|p| p.into_inner());
        if cur.as_ref().is_some_and(|t| t.generation == generation) {
            *cur = None;
        }
    }
}

/// What one exchange needs.
pub(crate) struct Exchange<'a> {
    pub(crate) http: &'a reqwest::Client,
    pub(crate) control_url: &'a str,
    pub(crate) key: &'a Secret,
    pub(crate) refresh_margin: Duration,
    pub(crate) timeout: Duration,
    pub(crate) headers: &'a reqwest::header::HeaderMap,
}

/// A freshly issued token and how long to use it.
pub(crate) struct Issued {
    pub(crate) token: Secret,
    pub(crate) valid_for: Duration,
}

impl Exchange<'_> {
    /// `POST {control}/auth/token` with `{"access_key": key}`.
    pub(crate) async fn run(&self) -> Result<Issued, Error> {
        let url = format!("{}/auth/token", self.control_url);
        let auth_err = |e: AuthError| Error::Auth(Box::new(e));
        let mut req = self
            .http
            .post(&url)
            .timeout(self.timeout)
            .json(&serde_json::json!({ "access_key": self.key.expose() }));
        for (k, v) in self.headers {
            req = req.header(k, v);
        }
        let resp = req
            .send()
            .await
            .map_err(|e| auth_err(AuthError::Transport(e.without_url())))?;
        let status = resp.status();
        let headers = resp.headers().clone();
        let body = resp
            .bytes()
            .await
            .map_err(|e| auth_err(AuthError::Transport(e.without_url())))?;
        if !status.is_success() {
            let redacted = redact_credentials(&self.key.redact_in(&String::from_utf8_lossy(&body)));
            let body = Bytes::from(redacted.into_bytes());
            return Err(auth_err(AuthError::Rejected(ApiError::new(
                "exchange_token",
                status,
                headers,
                body,
            ))));
        }
        parse_exchange(&body, self.refresh_margin).map_err(|m| auth_err(AuthError::BadResponse(m)))
    }
}

/// Reads `session_token` and the lifetime from an exchange answer.
pub(crate) fn parse_exchange(body: &[u8], margin: Duration) -> Result<Issued, String> {
    let value: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| format!("not JSON ({e})"))?;
    let token = value
        .get("session_token")
        .and_then(|t| t.as_str())
        .filter(|t| !t.trim().is_empty())
        .ok_or_else(|| "no `session_token` in the answer".to_string())?;
    let lifetime = value
        .get("cookie_max_age")
        .and_then(serde_json::Value::as_u64)
        .map(Duration::from_secs)
        .or_else(|| jwt_remaining(token))
        .unwrap_or(DEFAULT_TOKEN_LIFETIME);
    Ok(Issued {
        token: Secret::new(token),
        valid_for: usable_for(lifetime, margin),
    })
}

/// How long to use a token that lives `lifetime`: `lifetime - margin`, but never less than
/// half the lifetime, so short-lived tokens are not re-exchanged on every call.
pub(crate) fn usable_for(lifetime: Duration, margin: Duration) -> Duration {
    lifetime.saturating_sub(margin).max(lifetime / 2)
}

/// The time left until the JWT's `exp` claim, if it has one.
pub(crate) fn jwt_remaining(token: &str) -> Option<Duration> {
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    let exp = claims.get("exp")?.as_u64()?;
    let now = SystemTime::now().duration_since(UNIX_EPOCH).ok()?.as_secs();
    Some(Duration::from_secs(exp.saturating_sub(now)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwt_with_exp(exp: u64) -> String {
        let enc = |v: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v);
        format!(
            "{}.{}.{}",
            enc(r#"{"alg":"HS256"}"#),
            enc(&format!(r#"{{"exp":{exp}}}"#)),
            enc("sig")
        )
    }

    #[test]
    fn lifetime_comes_from_cookie_max_age_minus_margin() {
        let i = parse_exchange(
            br#"{"session_token":"t","cookie_max_age":3600}"#,
            Duration::from_secs(60),
        )
        .unwrap();
        assert_eq!(i.valid_for, Duration::from_secs(3540));
    }

    #[test]
    fn lifetime_falls_back_to_jwt_exp_then_600s() {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let body = format!(r#"{{"session_token":"{}"}}"#, jwt_with_exp(now + 1200));
        let i = parse_exchange(body.as_bytes(), Duration::from_secs(60)).unwrap();
        assert!(
            i.valid_for >= Duration::from_secs(1130) && i.valid_for <= Duration::from_secs(1140),
            "{:?}",
            i.valid_for
        );
        let i = parse_exchange(br#"{"session_token":"opaque"}"#, Duration::from_secs(60)).unwrap();
        assert_eq!(i.valid_for, Duration::from_secs(540));
    }

    #[test]
    fn short_lifetimes_never_collapse_to_zero() {
        assert_eq!(
            usable_for(Duration::from_secs(30), Duration::from_secs(60)),
            Duration::from_secs(15)
        );
    }

    #[test]
    fn missing_or_empty_session_token_is_an_error() {
        assert!(parse_exchange(br#"{"cookie_max_age":5}"#, Duration::ZERO).is_err());
        assert!(parse_exchange(br#"{"session_token":"  "}"#, Duration::ZERO).is_err());
        assert!(parse_exchange(b"<html>", Duration::ZERO).is_err());
    }
}

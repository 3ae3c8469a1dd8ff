//! API key → session JWT exchange and the process-wide token cache.
//!
//! One [`TokenSlot`] exists per (control URL, API key) while a client uses it; every client
//! built with the same pair shares it, and it leaves the cache with the last such client.
//! Reads take a read lock; refreshes are serialised by an async mutex, so that any number of
//! cold callers cause exactly one exchange, and a caller cancelled mid-exchange simply
//! releases the mutex to the next waiter.
//!
//! The API key goes to exactly one place: `POST {control}/auth/token`. The exchange sends it
//! in a body that cannot be replayed, so no HTTP client (not even a caller's, with its own
//! redirect policy) can re-send it after a redirect, and any redirect answer, followed or
//! not, fails the exchange.

use crate::error::{ApiError, AuthError, Error};
use crate::secret::Secret;
use base64::Engine as _;
use bytes::{Bytes, BytesMut};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock, Weak};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Token lifetime assumed when the exchange response has neither `cookie_max_age` nor a JWT `exp`.
pub(crate) const DEFAULT_TOKEN_LIFETIME: Duration = Duration::from_secs(600);
/// The shortest time a token is used (whatever the server says), so that a zero or tiny
/// lifetime does not mean an exchange per call; a token rejected earlier is refreshed on its
/// 401 anyway.
pub(crate) const MIN_TOKEN_USE: Duration = Duration::from_secs(2);
/// The longest time a token is used before it is exchanged again, whatever the server says.
pub(crate) const MAX_TOKEN_USE: Duration = Duration::from_secs(24 * 3600);
/// The largest token-endpoint answer read.
pub(crate) const MAX_EXCHANGE_BODY: usize = 64 * 1024;
/// How many recently issued tokens a slot remembers, to redact their echoes.
const RECENT_TOKENS: usize = 4;

/// One issued session token.
#[derive(Debug)]
pub(crate) struct CachedToken {
    /// `Bearer <token>`, built once per token rather than once per request.
    pub(crate) header: reqwest::header::HeaderValue,
    pub(crate) expires_at: Instant,
    /// Increases with every exchange of the slot; identifies this token for invalidation.
    pub(crate) generation: u64,
}

/// The cache entry for one (control URL, API key).
#[derive(Debug)]
pub(crate) struct TokenSlot {
    key: CacheKey,
    current: RwLock<Option<Arc<CachedToken>>>,
    /// The tokens issued most recently (the current one included), newest last.
    recent: Mutex<Vec<Secret>>,
    /// Held by the exchange under way (a task of its own, see [`TokenSlot::token`]).
    refresh: Arc<tokio::sync::Mutex<()>>,
    generation: AtomicU64,
    /// Exchanges that failed so far, and how the latest one did: the calls that waited for
    /// an exchange get its failure instead of each making one of their own.
    failures: AtomicU64,
    last_failure: Mutex<Option<SharedFailure>>,
}

/// What the calls waiting for a failed exchange are told (the message is redacted).
#[derive(Clone, Debug)]
struct SharedFailure {
    message: String,
    retryable: bool,
    kind: crate::ErrorKind,
    status: Option<reqwest::StatusCode>,
    retry_after: Option<Duration>,
}

type CacheKey = (String, Secret);
type Cache = Mutex<HashMap<CacheKey, Weak<TokenSlot>>>;

fn cache() -> &'static Cache {
    static CACHE: OnceLock<Cache> = OnceLock::new();
    CACHE.get_or_init(Default::default)
}

impl Drop for TokenSlot {
    /// The last client using this slot went: its entry leaves the cache (unless the key has
    /// been given a new slot since). No `Arc<TokenSlot>` is ever dropped while the cache is
    /// locked, so this cannot deadlock.
    fn drop(&mut self) {
        let mut map = cache().lock().unwrap_or_else(|p| p.into_inner());
        if map
            .get(&self.key)
            .is_some_and(|w| std::ptr::eq(w.as_ptr(), self))
        {
            map.remove(&self.key);
        }
    }
}

impl TokenSlot {
    /// The process-wide slot for this control URL and key.
    pub(crate) fn shared(control_url: &str, key: &Secret) -> Arc<TokenSlot> {
        let cache_key = (control_url.to_string(), key.clone());
        let mut map = cache().lock().unwrap_or_else(|p| p.into_inner());
        if let Some(live) = map.get(&cache_key).and_then(Weak::upgrade) {
            return live;
        }
        let slot = Arc::new(TokenSlot {
            key: cache_key.clone(),
            current: RwLock::new(None),
            recent: Mutex::new(Vec::new()),
            refresh: Arc::new(tokio::sync::Mutex::new(())),
            generation: AtomicU64::new(0),
            failures: AtomicU64::new(0),
            last_failure: Mutex::new(None),
        });
        map.insert(cache_key, Arc::downgrade(&slot));
        slot
    }

    /// Whether the process holds a slot for this pair (for tests of eviction).
    #[cfg(test)]
    pub(crate) fn is_cached(control_url: &str, key: &Secret) -> bool {
        cache()
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .contains_key(&(control_url.to_string(), key.clone()))
    }

    /// The tokens this slot issued recently, newest last (for redaction).
    pub(crate) fn recent_tokens(&self) -> Vec<Secret> {
        self.recent
            .lock()
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
    ///
    /// The exchange runs in a task of its own, which holds the slot's refresh lock until it
    /// has cached its token (or its failure): a caller that gives up meanwhile (a timeout,
    /// its future dropped) does not take the exchange down, and the calls after it use its
    /// token instead of starting over.
    pub(crate) async fn token(
        self: &Arc<Self>,
        exchange: Exchange,
        stale: Option<u64>,
    ) -> Result<(reqwest::header::HeaderValue, u64, bool), Error> {
        if let Some((header, generation)) = self.cached_header(stale) {
            return Ok((header, generation, true));
        }
        let failures_before = self.failures.load(Ordering::Acquire);
        // An exchange under way for another call is waited for as long as this call's own
        // exchange could take, no longer.
        let wait = tokio::time::timeout(exchange.timeout, Arc::clone(&self.refresh).lock_owned());
        let Ok(guard) = wait.await else {
            return Err(Error::Auth(Box::new(AuthError::Shared {
                message: format!(
                    "it did not finish within this call's timeout ({:?})",
                    exchange.timeout
                ),
                retryable: false,
                kind: crate::ErrorKind::Timeout,
                status: None,
                retry_after: None,
            })));
        };
        if let Some((header, generation)) = self.cached_header(stale) {
            return Ok((header, generation, true));
        }
        if self.failures.load(Ordering::Acquire) != failures_before {
            // The exchange this call waited for failed: share that outcome (the caller's
            // retry policy decides what comes next) rather than try again at once.
            let shared = self
                .last_failure
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .clone();
            if let Some(f) = shared {
                return Err(Error::Auth(Box::new(AuthError::Shared {
                    message: f.message,
                    retryable: f.retryable,
                    kind: f.kind,
                    status: f.status,
                    retry_after: f.retry_after,
                })));
            }
        }
        let slot = Arc::clone(self);
        let task = async move {
            let result = slot.exchange_and_cache(&exchange).await;
            drop(guard);
            result
        };
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => runtime.spawn(task).await.map_err(|e| {
                Error::Unexpected(format!("the token exchange task ended early: {e}"))
            })?,
            Err(_) => task.await,
        }
    }

    /// Runs `exchange` and caches its token, or records its failure for the calls waiting.
    async fn exchange_and_cache(
        &self,
        exchange: &Exchange,
    ) -> Result<(reqwest::header::HeaderValue, u64, bool), Error> {
        // The header is made here so that a token it cannot carry fails like the exchange.
        let issued = exchange.run().await.and_then(|issued| {
            let header = crate::transport::bearer(&issued.token)?;
            Ok((issued, header))
        });
        let (issued, header) = match issued {
            Ok(issued) => issued,
            Err(e) => {
                let failure = SharedFailure {
                    // What failed, without the `islo: token exchange failed: ` that the
                    // waiting calls' errors say again.
                    message: match &e {
                        Error::Auth(a) => a.to_string(),
                        other => {
                            let text = other.to_string();
                            text.strip_prefix("islo: ")
                                .map(str::to_owned)
                                .unwrap_or(text)
                        }
                    },
                    retryable: e.is_retryable(),
                    kind: e.kind(),
                    status: e.status(),
                    retry_after: match &e {
                        Error::Auth(a) => match a.as_ref() {
                            AuthError::Rejected(api) => crate::retry::retry_after(api.headers()),
                            _ => None,
                        },
                        _ => None,
                    },
                };
                *self.last_failure.lock().unwrap_or_else(|p| p.into_inner()) = Some(failure);
                self.failures.fetch_add(1, Ordering::Release);
                return Err(e);
            }
        };
        let generation = self.generation.fetch_add(1, Ordering::Relaxed) + 1;
        let now = Instant::now();
        let token = Arc::new(CachedToken {
            header: header.clone(),
            expires_at: now.checked_add(issued.valid_for).unwrap_or(now),
            generation,
        });
        {
            let mut recent = self.recent.lock().unwrap_or_else(|p| p.into_inner());
            recent.push(issued.token);
            let extra = recent.len().saturating_sub(RECENT_TOKENS);
            recent.drain(..extra);
        }
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

/// What one exchange needs (owned: the exchange runs in a task of its own).
pub(crate) struct Exchange {
    pub(crate) http: reqwest::Client,
    /// `{control}/auth/token`, parsed.
    pub(crate) url: reqwest::Url,
    pub(crate) key: Secret,
    pub(crate) refresh_margin: Duration,
    pub(crate) timeout: Duration,
    pub(crate) headers: reqwest::header::HeaderMap,
}

/// A freshly issued token and how long to use it.
pub(crate) struct Issued {
    pub(crate) token: Secret,
    pub(crate) valid_for: Duration,
}

impl Exchange {
    /// `POST {control}/auth/token` with `{"access_key": key}`.
    pub(crate) async fn run(&self) -> Result<Issued, Error> {
        let auth_err = |e: AuthError| Error::Auth(Box::new(e));
        let body = serde_json::to_vec(&serde_json::json!({ "access_key": self.key.expose() }))
            .map_err(|e| auth_err(AuthError::BadResponse(format!("cannot encode: {e}"))))?;
        let length = body.len();
        // A one-shot stream: an HTTP client can replay a buffered body after a 307 or 308 (to
        // wherever it points), but never this one.
        let once = futures_util::stream::once(async move { Ok::<_, std::io::Error>(body) });
        let mut req = self
            .http
            .post(self.url.clone())
            .timeout(self.timeout)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(reqwest::header::CONTENT_LENGTH, length)
            .body(reqwest::Body::wrap_stream(once))
            .build()
            .map_err(|e| auth_err(AuthError::Transport(e.without_url())))?;
        // The client's headers, as on API calls: each value of those the request does not
        // set itself.
        for k in self.headers.keys() {
            if !req.headers().contains_key(k) {
                for v in self.headers.get_all(k) {
                    req.headers_mut().append(k, v.clone());
                }
            }
        }
        let resp = self
            .http
            .execute(req)
            .await
            .map_err(|e| auth_err(AuthError::Transport(e.without_url())))?;
        let status = resp.status();
        // A client that follows redirects may have gone elsewhere (without the key: only
        // 301/302/303 can be followed, and they drop the body). Its answer is not ours.
        if status.is_redirection() || *resp.url() != self.url {
            return Err(auth_err(AuthError::Redirected));
        }
        let headers = resp.headers().clone();
        let (body, cut) = read_limited(resp, MAX_EXCHANGE_BODY, None).await;
        // A refusal is a refusal even when its body breaks off (kept as far as it came);
        // only a success needs its whole body.
        if let (Some(e), true) = (cut, status.is_success()) {
            return Err(auth_err(AuthError::Transport(e.without_url())));
        }
        if !status.is_success() {
            let body =
                crate::secret::redact_body(body, |text| crate::secret::redact(text, &[&self.key]));
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

/// Reads at most `limit` bytes of `resp`'s body (the rest is not read), giving up after
/// `within` when set: what came, and the error that cut it short, if one did (a body that
/// stalls past `within` is kept as far as it came, without an error).
pub(crate) async fn read_limited(
    mut resp: reqwest::Response,
    limit: usize,
    within: Option<Duration>,
) -> (Bytes, Option<reqwest::Error>) {
    let end = within.and_then(crate::retry::deadline_after);
    let mut buf = BytesMut::new();
    loop {
        let next = match end {
            None => resp.chunk().await,
            Some(end) => match tokio::time::timeout_at(end, resp.chunk()).await {
                Ok(next) => next,
                Err(_) => return (buf.freeze(), None),
            },
        };
        match next {
            Ok(Some(chunk)) => {
                let room = limit.saturating_sub(buf.len());
                buf.extend_from_slice(&chunk[..chunk.len().min(room)]);
                if buf.len() >= limit {
                    return (buf.freeze(), None);
                }
            }
            Ok(None) => return (buf.freeze(), None),
            Err(e) => return (buf.freeze(), Some(e)),
        }
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
    // It goes into a header: a control character there is a bad answer (and the token is
    // not repeated in the message).
    if token.bytes().any(|b| (b < 0x20 && b != b'\t') || b == 0x7f) {
        return Err("the `session_token` holds control characters".to_string());
    }
    // A negative max age is an expired cookie; with a JWT's `exp` too, the shorter wins.
    let cookie = value.get("cookie_max_age").and_then(|v| {
        v.as_u64()
            .or_else(|| v.as_i64().map(|_| 0))
            .map(Duration::from_secs)
    });
    let lifetime = match (cookie, jwt_remaining(token)) {
        (Some(c), Some(j)) => c.min(j),
        (c, j) => c.or(j).unwrap_or(DEFAULT_TOKEN_LIFETIME),
    };
    Ok(Issued {
        token: Secret::new(token),
        valid_for: usable_for(lifetime, margin),
    })
}

/// How long to use a token that lives `lifetime`: `lifetime - margin`, but never less than
/// half the lifetime (so short-lived tokens are not re-exchanged on every call), and within
/// [`MIN_TOKEN_USE`]..=[`MAX_TOKEN_USE`].
pub(crate) fn usable_for(lifetime: Duration, margin: Duration) -> Duration {
    lifetime
        .saturating_sub(margin)
        .max(lifetime / 2)
        .clamp(MIN_TOKEN_USE, MAX_TOKEN_USE)
}

/// How far this machine's clock may be from the issuer's before a JWT is measured from its
/// `iat` rather than from now.
const MAX_CLOCK_SKEW_SECS: u64 = 300;

/// The time left until the JWT's `exp` claim, if it has one: `exp - now`, or `exp - iat`
/// when `iat` says this clock is more than [`MAX_CLOCK_SKEW_SECS`] off the issuer's (a token
/// just issued has about its whole lifetime left, whatever the clocks say). Dates may be
/// fractional (RFC 7519 `NumericDate`); negative or non-finite ones count as none.
pub(crate) fn jwt_remaining(token: &str) -> Option<Duration> {
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    let date = |name: &str| -> Option<u64> {
        let v = claims.get(name)?;
        v.as_u64().or_else(|| {
            v.as_f64()
                .filter(|f| f.is_finite() && *f >= 0.0)
                // Saturating: a date past u64 is as good as never.
                .map(|f| f as u64)
        })
    };
    let exp = date("exp")?;
    let now = SystemTime::now().duration_since(UNIX_EPOCH).ok()?.as_secs();
    let skewed = date("iat").filter(|&iat| now.abs_diff(iat) > MAX_CLOCK_SKEW_SECS);
    Some(Duration::from_secs(match skewed {
        Some(iat) => exp.saturating_sub(iat),
        None => exp.saturating_sub(now),
    }))
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

    fn jwt_with_claims(claims: &str) -> String {
        let enc = |v: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v);
        format!(
            "{}.{}.{}",
            enc(r#"{"alg":"HS256"}"#),
            enc(claims),
            enc("sig")
        )
    }

    fn now_secs() -> u64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs()
    }

    /// The shorter of the two lifetimes an answer gives wins: a cookie that outlives the
    /// JWT it carries does not make the token usable past its `exp`.
    #[test]
    fn the_shorter_of_cookie_max_age_and_jwt_exp_wins() {
        let jwt = jwt_with_claims(&format!(r#"{{"exp":{}}}"#, now_secs() + 300));
        let body = format!(r#"{{"session_token":"{jwt}","cookie_max_age":86400}}"#);
        let i = parse_exchange(body.as_bytes(), Duration::from_secs(60)).unwrap();
        assert!(i.valid_for <= Duration::from_secs(240), "{:?}", i.valid_for);
        assert!(i.valid_for >= Duration::from_secs(230), "{:?}", i.valid_for);
    }

    /// A JWT is measured from its `iat` when this machine's clock disagrees with the issuer's
    /// by more than a few minutes (a fast clock would otherwise see a fresh token as
    /// expired); `exp` and `iat` may be fractional (RFC 7519 `NumericDate`).
    #[test]
    fn a_jwt_lifetime_survives_clock_skew_and_fractional_dates() {
        let now = now_secs();
        // Issued an hour lifetime, by a clock two hours behind this one.
        let jwt = jwt_with_claims(&format!(r#"{{"iat":{},"exp":{}}}"#, now - 7200, now - 3600));
        let body = format!(r#"{{"session_token":"{jwt}"}}"#);
        let i = parse_exchange(body.as_bytes(), Duration::from_secs(60)).unwrap();
        assert_eq!(i.valid_for, Duration::from_secs(3540));
        let jwt = jwt_with_claims(&format!(r#"{{"exp":{}.5}}"#, now + 1200));
        let body = format!(r#"{{"session_token":"{jwt}"}}"#);
        let i = parse_exchange(body.as_bytes(), Duration::from_secs(60)).unwrap();
        assert!(
            i.valid_for >= Duration::from_secs(1130),
            "{:?}",
            i.valid_for
        );
        // A negative cookie lifetime is an expired one, not an absent one.
        let body = format!(r#"{{"session_token":"{jwt}","cookie_max_age":-5}}"#);
        let i = parse_exchange(body.as_bytes(), Duration::from_secs(60)).unwrap();
        assert_eq!(i.valid_for, MIN_TOKEN_USE);
    }

    #[test]
    fn short_lifetimes_never_collapse_to_zero() {
        assert_eq!(
            usable_for(Duration::from_secs(30), Duration::from_secs(60)),
            Duration::from_secs(15)
        );
        assert_eq!(
            usable_for(Duration::ZERO, Duration::from_secs(60)),
            MIN_TOKEN_USE
        );
    }

    #[test]
    fn huge_lifetimes_are_capped_and_never_overflow_an_instant() {
        for body in [
            format!(r#"{{"session_token":"t","cookie_max_age":{}}}"#, u64::MAX),
            format!(r#"{{"session_token":"{}"}}"#, jwt_with_exp(u64::MAX)),
        ] {
            let i = parse_exchange(body.as_bytes(), Duration::from_secs(60)).unwrap();
            assert_eq!(i.valid_for, MAX_TOKEN_USE);
            assert!(Instant::now().checked_add(i.valid_for).is_some());
        }
    }

    #[test]
    fn missing_or_empty_session_token_is_an_error() {
        assert!(parse_exchange(br#"{"cookie_max_age":5}"#, Duration::ZERO).is_err());
        assert!(parse_exchange(br#"{"session_token":"  "}"#, Duration::ZERO).is_err());
        assert!(parse_exchange(b"<html>", Duration::ZERO).is_err());
        let err = parse_exchange(br#"{"session_token":"abc\u0000def"}"#, Duration::ZERO)
            .err()
            .unwrap_or_default();
        assert!(
            err.contains("control characters") && !err.contains("abc"),
            "{err}"
        );
        assert!(parse_exchange(br#"{"session_token":"a\tb \u00e9"}"#, Duration::ZERO).is_ok());
    }

    #[test]
    fn a_slot_leaves_the_cache_with_its_last_client() {
        let key = Secret::new("ak_eviction_test_key");
        let url = "http://eviction.invalid";
        let a = TokenSlot::shared(url, &key);
        let b = TokenSlot::shared(url, &key);
        assert!(Arc::ptr_eq(&a, &b));
        assert!(TokenSlot::is_cached(url, &key));
        drop(a);
        assert!(TokenSlot::is_cached(url, &key), "b still uses it");
        drop(b);
        assert!(!TokenSlot::is_cached(url, &key));
        // Many short-lived keys leave nothing behind.
        for i in 0..1000 {
            let k = Secret::new(format!("ak_many_{i}"));
            drop(TokenSlot::shared(url, &k));
            assert!(!TokenSlot::is_cached(url, &k));
        }
    }
}

//! What is retried and why, how long to wait, and how many attempts a call gets: the one
//! place these decisions are made. The send loop under every call, file uploads (which
//! rebuild their body to retry), and the polling helpers (`exec`, `wait_until_running`) all
//! ask this module.
//!
//! The rules ([`RetryPolicy::classify_status`], [`RetryPolicy::classify_error`]):
//!
//! | answer or failure | idempotent call (GET, PUT, DELETE) | POST, PATCH |
//! |---|---|---|
//! | 429 | retried (after `Retry-After` if sent) | retried: the server did not act |
//! | 503 with `Retry-After` | retried after it | retried after it |
//! | 408, 500–599 | retried | not retried (the server may have acted), unless [`RetryPolicy::retry_non_idempotent`] |
//! | connection refused or failed before sending | retried | retried |
//! | timeout, connection lost, body cut short | retried | not retried, unless opted in |
//! | any other status | returned | returned |
//!
//! Waits are exponential (`backoff_min` doubling up to `backoff_max`) with full jitter, or
//! the server's `Retry-After` / `retry-after-ms`, capped by `max_retry_after`. A value from
//! the server never overflows a duration or stalls a call past the cap.

use crate::error::{AuthError, Error};
use reqwest::header::HeaderMap;
use reqwest::StatusCode;
use std::future::Future;
use std::time::Duration;
use tokio::time::Instant;

/// How a client retries: the attempt budget, the backoff bounds, the longest `Retry-After`
/// honoured, and whether calls that may have been processed are replayed. Set it with the
/// builder ([`IsloBuilder::max_attempts`](crate::IsloBuilder::max_attempts), ...).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// Attempts per call, the first included (at least 1).
    pub max_attempts: u32,
    /// The shortest backoff (the first is between it and twice it).
    pub backoff_min: Duration,
    /// The longest backoff.
    pub backoff_max: Duration,
    /// The longest server-requested delay honoured; longer ones are shortened to it.
    pub max_retry_after: Duration,
    /// Also replay POST and PATCH after a 5xx, a timeout or a lost connection.
    pub retry_non_idempotent: bool,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 2,
            backoff_min: Duration::from_millis(250),
            backoff_max: Duration::from_secs(8),
            max_retry_after: Duration::from_secs(60),
            retry_non_idempotent: false,
        }
    }
}

/// Why an attempt is worth repeating.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RetryReason {
    /// 429: the server refused the request before acting on it.
    RateLimited,
    /// 503 with `Retry-After`: the server asked to come back later.
    Unavailable,
    /// 408 or another 5xx (only when the call may be replayed).
    ServerError,
    /// The connection could not be made, so nothing was sent.
    ConnectFailed,
    /// The request timed out, the connection broke, or a success's body was cut short (only
    /// when the call may be replayed).
    Interrupted,
    /// The token exchange failed in a way worth repeating (its own 429, 5xx or connection).
    Exchange,
}

/// The verdict on one attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Retry {
    /// Why.
    pub reason: RetryReason,
    /// The delay the server asked for, if any (already capped by the policy).
    pub after: Option<Duration>,
}

/// What an attempt ended with, as the send loop sees it.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Attempted<'a> {
    /// reqwest failed.
    Http(&'a reqwest::Error),
    /// The body of a success could not be read.
    BodyCut,
    /// The SDK failed (e.g. the token exchange).
    Sdk(&'a Error),
}

impl RetryPolicy {
    /// Whether an answer with `status` and `headers` is worth another attempt, for a call
    /// that may (`replay_ok`) or may not be repeated once the server may have acted on it.
    pub fn classify_status(
        &self,
        status: StatusCode,
        headers: &HeaderMap,
        replay_ok: bool,
    ) -> Option<Retry> {
        let replay_ok = replay_ok || self.retry_non_idempotent;
        let reason = match status.as_u16() {
            429 => RetryReason::RateLimited,
            503 if retry_after(headers).is_some() => RetryReason::Unavailable,
            408 | 500..=599 if replay_ok => RetryReason::ServerError,
            _ => return None,
        };
        Some(Retry {
            reason,
            after: retry_after(headers).map(|d| d.min(self.max_retry_after)),
        })
    }

    pub(crate) fn classify(&self, outcome: Attempted<'_>, replay_ok: bool) -> Option<Retry> {
        let replay_ok = replay_ok || self.retry_non_idempotent;
        let reason = match outcome {
            Attempted::Http(e) if e.is_connect() => RetryReason::ConnectFailed,
            Attempted::Http(e)
                // A body read that broke off surfaces as a decode error of reqwest's (its
                // decoder reads the body; this SDK enables no compression).
                if replay_ok && (e.is_timeout() || e.is_request() || e.is_body() || e.is_decode()) =>
            {
                RetryReason::Interrupted
            }
            Attempted::BodyCut if replay_ok => RetryReason::Interrupted,
            Attempted::Sdk(Error::Auth(a)) if exchange_retryable(a) => {
                // A token endpoint's delay is honoured as any other answer's.
                return Some(Retry {
                    reason: RetryReason::Exchange,
                    after: exchange_retry_after(a).map(|d| d.min(self.max_retry_after)),
                });
            }
            _ => return None,
        };
        Some(Retry {
            reason,
            after: None,
        })
    }

    /// Whether a call that failed with `error` can be made again from scratch: the rules
    /// above applied to the error a finished call returned. `replay_ok` says whether the
    /// call may be repeated after the server may have acted on it.
    pub fn classify_error(&self, error: &Error, replay_ok: bool) -> Option<Retry> {
        match error {
            Error::Api(api) => self.classify_status(api.status(), api.headers(), replay_ok),
            Error::Transport { source, .. } | Error::Timeout { source, .. } => {
                self.classify(Attempted::Http(source), replay_ok)
            }
            other => self.classify(Attempted::Sdk(other), replay_ok),
        }
    }

    /// The wait before attempt `attempt + 1` after `retry` (attempt 1 is the first): the
    /// server's delay, else exponential backoff with full jitter.
    pub fn delay(&self, retry: &Retry, attempt: u32) -> Duration {
        match retry.after {
            Some(after) => after.min(self.max_retry_after),
            None => self.backoff(attempt),
        }
    }

    /// Exponential backoff for attempt `attempt` (1-based), with jitter: a random duration
    /// between `backoff_min` and `backoff_min · 2^attempt`, never more than `backoff_max`.
    /// The first backoff spreads too (between the minimum and twice it), so that clients
    /// that failed together do not retry together.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let min = self.backoff_min;
        let max = self.backoff_max.max(min);
        let exp = 1u32.checked_shl(attempt.max(1)).unwrap_or(u32::MAX);
        let ceiling = min.saturating_mul(exp).min(max);
        let spread = ceiling.saturating_sub(min);
        min + spread.mul_f64(jitter())
    }

    /// Attempts a call may make (at least 1).
    pub(crate) fn attempts(&self) -> u32 {
        self.max_attempts.max(1)
    }
}

/// The delay a failed exchange's answer asked for, if it did.
fn exchange_retry_after(e: &AuthError) -> Option<Duration> {
    match e {
        AuthError::Rejected(api) => retry_after(api.headers()),
        AuthError::Shared { retry_after, .. } => *retry_after,
        _ => None,
    }
}

fn exchange_retryable(e: &AuthError) -> bool {
    match e {
        AuthError::Rejected(api) => RetryPolicy::default()
            .classify_status(api.status(), api.headers(), true)
            .is_some(),
        AuthError::Transport(_) => true,
        AuthError::Shared { retryable, .. } => *retryable,
        _ => false,
    }
}

/// A uniformly distributed number in `[0, 1)`, from a per-thread xorshift generator seeded
/// by the standard library's per-process random hash keys (jitter only needs to decorrelate
/// clients, not to be unpredictable).
fn jitter() -> f64 {
    use std::cell::Cell;
    use std::hash::{BuildHasher, Hasher};
    thread_local! {
        static STATE: Cell<u64> = Cell::new({
            let mut h = std::collections::hash_map::RandomState::new().build_hasher();
            h.write_u64(0x9E37_79B9_7F4A_7C15);
            h.finish() | 1
        });
    }
    STATE.with(|s| {
        let mut x = s.get();
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        s.set(x);
        (x >> 11) as f64 / (1u64 << 53) as f64
    })
}

/// The longest delay read from a header before the policy's cap applies: far beyond any
/// cap, and small enough that adding it to an `Instant` cannot overflow.
const MAX_HEADER_DELAY: Duration = Duration::from_secs(365 * 24 * 3600);

/// The delay the server asks for: `retry-after-ms` (milliseconds), or `Retry-After` in
/// seconds or as an HTTP date. Values that are negative, not finite or not numbers are
/// ignored; huge ones are clamped (to a year), never overflowing.
///
/// ```
/// use reqwest::header::{HeaderMap, HeaderValue};
/// use std::time::Duration;
/// let mut h = HeaderMap::new();
/// h.insert("retry-after", HeaderValue::from_static("3"));
/// assert_eq!(islo::retry::retry_after(&h), Some(Duration::from_secs(3)));
/// h.insert("retry-after-ms", HeaderValue::from_static("1e30"));
/// assert!(islo::retry::retry_after(&h).unwrap() > Duration::from_secs(3600));
/// ```
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    if let Some(ms) = headers
        .get("retry-after-ms")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|v| v.is_finite() && *v >= 0.0)
    {
        return Some(
            Duration::try_from_secs_f64(ms / 1000.0)
                .unwrap_or(MAX_HEADER_DELAY)
                .min(MAX_HEADER_DELAY),
        );
    }
    let v = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs).min(MAX_HEADER_DELAY));
    }
    let when = chrono::DateTime::parse_from_rfc2822(v).ok()?;
    let wait = when.with_timezone(&chrono::Utc) - chrono::Utc::now();
    Some(
        wait.to_std()
            .unwrap_or(Duration::ZERO)
            .min(MAX_HEADER_DELAY),
    )
}

/// `d` in whole seconds for the API, rounded up (at least 1): a limit the server enforces
/// is never shorter than asked, and a short one never becomes `0`.
pub(crate) fn whole_seconds_up(d: Duration) -> i64 {
    let secs = d.as_secs().saturating_add(u64::from(d.subsec_nanos() > 0));
    i64::try_from(secs.max(1)).unwrap_or(i64::MAX)
}

/// `now + d`, or `None` ("no deadline") when that is past what an `Instant` can hold.
pub(crate) fn deadline_after(d: Duration) -> Option<Instant> {
    Instant::now().checked_add(d)
}

/// How a polling helper spaces its requests and how many failures it absorbs.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Polling {
    /// The first interval; it doubles up to `max`.
    pub(crate) initial: Duration,
    /// The longest interval.
    pub(crate) max: Duration,
    /// Give up after this (`None`: never).
    pub(crate) deadline: Option<Instant>,
}

/// The transient failure in a row that ends polling: the first 4 are absorbed, the 5th is
/// returned.
pub const MAX_CONSECUTIVE_POLL_FAILURES: u32 = 5;

/// What one poll decided.
pub(crate) enum Poll<T, P = ()> {
    /// Done: return this.
    Ready(T),
    /// Not yet (this is what it looks like now): poll again after the interval.
    Pending(P),
}

/// Why polling stopped without a result.
pub(crate) enum PollEnd<P> {
    /// The deadline passed (also while a poll was in flight), with what the last pending
    /// poll saw.
    Deadline(Option<P>),
    /// A failure that is not transient, or too many transient ones in a row.
    Failed(Error),
}

/// The shortest interval between polls: 10 ms (an interval of zero would never grow).
pub const MIN_POLL_INTERVAL: Duration = Duration::from_millis(10);

/// Calls `poll` until it is ready, sleeping between polls (doubling from `initial`, at least
/// [`MIN_POLL_INTERVAL`], to `max`), absorbing transient failures ([`Error::is_retryable`])
/// until [`MAX_CONSECUTIVE_POLL_FAILURES`] come in a row (after one whose answer asked for a
/// delay, `Retry-After`, the next poll waits at least that, capped by `policy`), and stopping
/// at the deadline, which also bounds a poll that is slow to answer. Dropping the future
/// stops it.
pub(crate) async fn poll_until<T, P, F, Fut>(
    polling: Polling,
    policy: &RetryPolicy,
    mut poll: F,
) -> Result<T, PollEnd<P>>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Poll<T, P>, Error>>,
{
    let mut interval = polling.initial.max(MIN_POLL_INTERVAL);
    let mut failures = 0u32;
    let mut last = None;
    // The delay the last absorbed failure asked for.
    let mut asked = None;
    loop {
        let result = match polling.deadline {
            Some(end) => match tokio::time::timeout_at(end, poll()).await {
                Ok(r) => r,
                Err(_) => return Err(PollEnd::Deadline(last)),
            },
            None => poll().await,
        };
        match result {
            Ok(Poll::Ready(value)) => return Ok(value),
            Ok(Poll::Pending(seen)) => {
                failures = 0;
                last = Some(seen);
            }
            Err(e) if e.is_retryable() && failures + 1 < MAX_CONSECUTIVE_POLL_FAILURES => {
                failures += 1;
                asked = policy.classify_error(&e, true).and_then(|r| r.after);
                tracing::debug!(failures, "islo: transient failure while polling");
            }
            Err(e) => return Err(PollEnd::Failed(e)),
        }
        let now = Instant::now();
        let pause = asked.take().map_or(interval, |a: Duration| a.max(interval));
        // A pause past what the clock can hold lasts until the deadline, or for ever.
        let wake = match (now.checked_add(pause), polling.deadline) {
            (_, Some(end)) if now >= end => return Err(PollEnd::Deadline(last)),
            (Some(wake), Some(end)) => wake.min(end),
            (Some(wake), None) => wake,
            (None, Some(end)) => end,
            (None, None) => std::future::pending().await,
        };
        tokio::time::sleep_until(wake).await;
        interval = interval
            .saturating_mul(2)
            .min(polling.max.max(polling.initial).max(MIN_POLL_INTERVAL));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

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
    fn huge_or_hostile_retry_after_values_clamp_instead_of_panicking() {
        for (k, v) in [
            ("retry-after-ms", "1e30"),
            ("retry-after-ms", "1.7976931348623157e308"),
            ("retry-after", "18446744073709551615"),
            ("retry-after", "Fri, 31 Dec 9999 23:59:59 GMT"),
        ] {
            let d = retry_after(&headers(&[(k, v)])).unwrap();
            assert_eq!(d, MAX_HEADER_DELAY, "{k}: {v}");
            assert!(Instant::now().checked_add(d).is_some());
        }
        for v in ["-5", "NaN", "inf", "-inf"] {
            assert_eq!(retry_after(&headers(&[("retry-after-ms", v)])), None, "{v}");
        }
        let policy = RetryPolicy::default();
        let r = policy
            .classify_status(
                StatusCode::TOO_MANY_REQUESTS,
                &headers(&[("retry-after-ms", "1e30")]),
                true,
            )
            .unwrap();
        assert_eq!(policy.delay(&r, 1), policy.max_retry_after);
    }

    #[test]
    fn non_idempotent_calls_are_replayed_only_when_the_server_did_not_act() {
        let p = RetryPolicy::default();
        let none = HeaderMap::new();
        let status =
            |s: u16, replay| p.classify_status(StatusCode::from_u16(s).unwrap(), &none, replay);
        assert_eq!(status(429, false).unwrap().reason, RetryReason::RateLimited);
        assert!(status(500, false).is_none());
        assert!(status(503, false).is_none());
        assert_eq!(status(503, true).unwrap().reason, RetryReason::ServerError);
        assert!(status(404, true).is_none());
        let with_after = headers(&[("retry-after", "1")]);
        let r = p
            .classify_status(StatusCode::SERVICE_UNAVAILABLE, &with_after, false)
            .unwrap();
        assert_eq!(
            (r.reason, r.after),
            (RetryReason::Unavailable, Some(Duration::from_secs(1)))
        );
        let opted = RetryPolicy {
            retry_non_idempotent: true,
            ..RetryPolicy::default()
        };
        assert!(opted
            .classify_status(StatusCode::BAD_GATEWAY, &none, false)
            .is_some());
    }

    #[test]
    fn backoff_grows_stays_in_bounds_and_never_overflows() {
        let p = RetryPolicy {
            backoff_min: Duration::from_millis(100),
            backoff_max: Duration::from_secs(2),
            ..RetryPolicy::default()
        };
        for attempt in [0, 1, 2, 3, 10, 31, 32, 64, u32::MAX] {
            for _ in 0..50 {
                let d = p.backoff(attempt);
                assert!(d >= p.backoff_min && d <= p.backoff_max, "{attempt}: {d:?}");
            }
        }
        // Even the first backoff spreads (clients that failed together do not retry
        // together), between the minimum and twice it.
        let first: std::collections::BTreeSet<Duration> = (0..50).map(|_| p.backoff(1)).collect();
        assert!(first.len() > 10, "jitter: {first:?}");
        assert!(
            first.iter().all(|d| *d <= Duration::from_millis(200)),
            "{first:?}"
        );
        let spread: std::collections::BTreeSet<Duration> = (0..50).map(|_| p.backoff(6)).collect();
        assert!(spread.len() > 10, "jitter: {spread:?}");
        let huge = RetryPolicy {
            backoff_min: Duration::MAX,
            backoff_max: Duration::MAX,
            ..RetryPolicy::default()
        };
        assert_eq!(huge.backoff(40), Duration::MAX);
    }

    #[test]
    fn deadlines_past_what_an_instant_holds_mean_no_deadline() {
        assert!(deadline_after(Duration::MAX).is_none());
        assert!(deadline_after(Duration::from_secs(1)).is_some());
    }
}

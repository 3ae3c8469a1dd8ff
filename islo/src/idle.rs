//! Transfers that stop moving.
//!
//! The call's timeout ([`IsloBuilder::timeout`](crate::IsloBuilder::timeout)) does not cut a
//! download or a streamed upload, which take as long as their data does. It does bound how
//! long one can stand still:
//! - a download fails when no data has arrived for that long ([`bound_download`], in the
//!   send loop: both download operations, typed or through the `Sandbox` helpers);
//! - a streamed upload fails when the connection has held a chunk for that long without
//!   taking the next one (the server has stopped reading), or when its answer has not
//!   started that long after the body's end ([`watch_body`], in the send loop: every
//!   streamed upload, the typed operations' too). A source that is slow to give its
//!   data (a pipe, a reader) is waited for: that time is not counted.
//!
//! Both fail with [`Error::Deadline`], which says which of the two stalled.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::Notify;
use tokio::time::{Instant, Sleep};

use crate::error::Error;

/// The error of a download whose data stopped coming.
const DOWNLOAD_STALLED: Error =
    Error::Deadline("a download whose data stopped coming for the call's timeout");

/// What a download's body fails with once its data has stopped coming (as the source of an
/// `io::Error` of kind `TimedOut`, which reqwest's `is_timeout` recognises).
#[derive(Debug)]
struct Stalled;

impl std::fmt::Display for Stalled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("no data came for the call's timeout")
    }
}

impl std::error::Error for Stalled {}

/// [`DOWNLOAD_STALLED`] when `e` is a download body's [`Stalled`] failure.
pub(crate) fn stalled_download(e: &reqwest::Error) -> Option<Error> {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = source {
        if err
            .downcast_ref::<std::io::Error>()
            .and_then(std::io::Error::get_ref)
            .is_some_and(|inner| inner.is::<Stalled>())
        {
            return Some(DOWNLOAD_STALLED);
        }
        source = err.source();
    }
    None
}

/// Bounds the body of `resp`, a download, by `limit` between chunks (counted from now, then
/// from each chunk): once none has come for that long, it fails with a timeout (a limit past
/// the clock's range is no bound).
pub(crate) fn bound_download(resp: reqwest::Response, limit: Duration) -> reqwest::Response {
    let Some(end) = Instant::now().checked_add(limit) else {
        return resp;
    };
    let url = resp.url().clone();
    let (mut parts, body) = http::Response::from(resp).into_parts();
    let body = reqwest::Body::wrap(IdleBody {
        inner: body,
        limit,
        last: Instant::now(),
        timer: Box::pin(tokio::time::sleep_until(end)),
        stalled: false,
    });
    // With its URL set (an extension only reqwest's builder can make), reqwest does not
    // parse a placeholder one for it.
    use reqwest::ResponseBuilderExt;
    if let Ok(marker) = http::Response::builder().url(url).body(()) {
        parts.extensions.extend(marker.into_parts().0.extensions);
    }
    let bounded = http::Response::from_parts(parts, body);
    reqwest::Response::from(bounded)
}
/// A download's body, failing with [`Stalled`] once no chunk has come for `limit`.
struct IdleBody {
    inner: reqwest::Body,
    limit: Duration,
    /// When the last chunk came (or the answer's headers).
    last: Instant,
    /// Set no earlier than `last + limit`, moved on when it fires early (a chunk pays only
    /// for reading the clock).
    timer: Pin<Box<Sleep>>,
    stalled: bool,
}

impl http_body::Body for IdleBody {
    type Data = Bytes;
    type Error = Box<dyn std::error::Error + Send + Sync>;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<std::result::Result<http_body::Frame<Bytes>, Self::Error>>> {
        let this = &mut *self;
        if this.stalled {
            return Poll::Ready(None);
        }
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                this.last = Instant::now();
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(Some(Err(e))) => Poll::Ready(Some(Err(e.into()))),
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => loop {
                if this.timer.as_mut().poll(cx).is_pending() {
                    return Poll::Pending;
                }
                match this.last.checked_add(this.limit) {
                    Some(end) if end > Instant::now() => this.timer.as_mut().reset(end),
                    Some(_) => {
                        this.stalled = true;
                        let e = std::io::Error::new(std::io::ErrorKind::TimedOut, Stalled);
                        return Poll::Ready(Some(Err(e.into())));
                    }
                    None => return Poll::Pending,
                }
            },
        }
    }

    fn is_end_stream(&self) -> bool {
        self.stalled || self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

/// The watch over a streamed request body (see [`watch_body`]).
pub(crate) struct Watch {
    pulse: Arc<Pulse>,
    limit: Duration,
}

/// Puts `request`'s streamed body under watch for `limit` (a limit past the clock's range
/// is no watch, nor is a request without a body).
pub(crate) fn watch_body(request: &mut reqwest::Request, limit: Duration) -> Option<Watch> {
    Instant::now().checked_add(limit)?;
    let body = request.body_mut().take()?;
    let pulse = Arc::new(Pulse {
        origin: Instant::now(),
        held_since: AtomicU64::new(NOT_HELD),
        changed: Notify::new(),
    });
    *request.body_mut() = Some(reqwest::Body::wrap(Watched {
        inner: body,
        pulse: Arc::clone(&pulse),
    }));
    Some(Watch { pulse, limit })
}

impl Watch {
    /// `attempt`'s output, or `None` (and `attempt` dropped) once the connection has held a
    /// chunk of the body for the limit without asking for the next, or the answer has not
    /// started the limit after the body's end.
    pub(crate) async fn bound<F: Future>(&self, attempt: F) -> Option<F::Output> {
        let attempt = std::pin::pin!(attempt);
        let stalled = std::pin::pin!(self.pulse.stalled(self.limit));
        match futures_util::future::select(attempt, stalled).await {
            futures_util::future::Either::Left((output, _)) => Some(output),
            futures_util::future::Either::Right(((), _)) => None,
        }
    }
}

/// The error of a streamed upload the server stopped taking, or did not answer.
pub(crate) const UPLOAD_STALLED: Error = Error::Deadline(
    "an upload the server stopped taking, or did not answer, for the call's timeout",
);

/// `held_since` when the connection holds no chunk of ours.
const NOT_HELD: u64 = 0;

/// When the connection took its last chunk of an upload's body and has not asked for the
/// next one since.
struct Pulse {
    origin: Instant,
    /// Nanoseconds after `origin`, plus one, of the hand-over of the chunk the connection
    /// still holds, or of the body's end ([`NOT_HELD`]: it has asked for the next chunk).
    held_since: AtomicU64,
    /// Woken at each hand-over.
    changed: Notify,
}

impl Pulse {
    fn handed_over(&self) {
        let nanos = u64::try_from(self.origin.elapsed().as_nanos()).unwrap_or(u64::MAX - 1);
        self.held_since
            .store(nanos.saturating_add(1), Ordering::Release);
        self.changed.notify_one();
    }

    fn asked(&self) {
        self.held_since.store(NOT_HELD, Ordering::Release);
    }

    /// Ends once the connection has held one chunk for `limit`.
    async fn stalled(&self, limit: Duration) {
        loop {
            let since = self.held_since.load(Ordering::Acquire);
            if since == NOT_HELD {
                // A hand-over stores a permit if none is waited for: none is missed.
                self.changed.notified().await;
                continue;
            }
            let held = Duration::from_nanos(since - 1);
            let Some(end) = self
                .origin
                .checked_add(held)
                .and_then(|at| at.checked_add(limit))
            else {
                return std::future::pending().await;
            };
            if Instant::now() >= end && self.held_since.load(Ordering::Acquire) == since {
                return;
            }
            tokio::time::sleep_until(end).await;
        }
    }
}

/// An upload's body, telling its [`Pulse`] when the connection takes a chunk and asks for
/// the next one.
struct Watched {
    inner: reqwest::Body,
    pulse: Arc<Pulse>,
}

impl http_body::Body for Watched {
    type Data = Bytes;
    type Error = reqwest::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<std::result::Result<http_body::Frame<Bytes>, reqwest::Error>>> {
        self.pulse.asked();
        let frame = Pin::new(&mut self.inner).poll_frame(cx);
        // After the last chunk the clock runs until the answer comes: the connection is
        // never going to ask again.
        if let Poll::Ready(Some(Ok(_)) | None) = &frame {
            self.pulse.handed_over();
        }
        frame
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

//! Sandbox lifecycle helpers: wait until running, delete idempotently, follow creation events.

use crate::error::{Error, Result};
use crate::sse::{sse_events, SseEvent};
use crate::types;
use crate::Islo;
use futures_util::{Stream, StreamExt};
use std::pin::Pin;
use std::time::Duration;

/// Sandbox statuses from which `running` will not come by itself.
pub const TERMINAL_SANDBOX_STATUSES: [&str; 7] = [
    "failed",
    "error",
    "stopped",
    "deleted",
    "deleting",
    "terminated",
    "paused",
];

/// What [`Islo::delete_sandbox_if_exists`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeleteOutcome {
    /// The sandbox existed and was deleted.
    Deleted,
    /// The sandbox was already gone (404).
    AlreadyGone,
}

/// One event of a sandbox's creation stream.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct SandboxEvent {
    /// The event name.
    pub event: String,
    /// The data, parsed as JSON when it is JSON.
    pub data: serde_json::Value,
    /// The raw data text.
    pub raw: String,
}

impl From<SseEvent> for SandboxEvent {
    fn from(e: SseEvent) -> Self {
        let data = serde_json::from_str(&e.data)
            .unwrap_or_else(|_| serde_json::Value::String(e.data.clone()));
        Self {
            event: e.event,
            data,
            raw: e.data,
        }
    }
}

impl Islo {
    /// Polls `sandbox` until its status is `running` (returning it; up to
    /// [`MAX_CONSECUTIVE_POLL_FAILURES`](crate::retry::MAX_CONSECUTIVE_POLL_FAILURES) transient
    /// failures in a row are absorbed), failing fast when it
    /// reaches a status from which running will not come ([`TERMINAL_SANDBOX_STATUSES`]) and
    /// with [`Error::Deadline`] after `deadline`.
    ///
    /// ```no_run
    /// # async fn demo(islo: islo::Islo) -> islo::Result<()> {
    /// let sb = islo.wait_until_running("my-sandbox", std::time::Duration::from_secs(120)).await?;
    /// assert_eq!(sb.status, "running");
    /// # Ok(()) }
    /// ```
    pub async fn wait_until_running(
        &self,
        sandbox: &str,
        deadline: Duration,
    ) -> Result<types::SandboxResponse> {
        let polling = crate::retry::Polling {
            initial: Duration::from_millis(200),
            max: Duration::from_secs(2),
            // A deadline past what a clock can hold means none.
            deadline: crate::retry::deadline_after(deadline),
        };
        let result = crate::retry::poll_until(polling, || {
            let request = self.get_sandbox(sandbox);
            async {
                let sb = request.await?.into_inner();
                if sb.status == "running" {
                    return Ok(crate::retry::Poll::Ready(sb));
                }
                if TERMINAL_SANDBOX_STATUSES.contains(&sb.status.as_str()) {
                    return Err(Error::SandboxState {
                        sandbox: sandbox.to_string(),
                        status: sb.status,
                    });
                }
                Ok(crate::retry::Poll::Pending(()))
            }
        })
        .await;
        match result {
            Ok(sb) => Ok(sb),
            Err(crate::retry::PollEnd::Deadline(_)) => {
                Err(Error::Deadline("waiting for the sandbox to run"))
            }
            Err(crate::retry::PollEnd::Failed(e)) => Err(e),
        }
    }

    /// Deletes `sandbox`, treating "already gone" (404) as done.
    ///
    /// ```no_run
    /// # async fn demo(islo: islo::Islo) -> islo::Result<()> {
    /// use islo::lifecycle::DeleteOutcome;
    /// if islo.delete_sandbox_if_exists("my-sandbox").await? == DeleteOutcome::AlreadyGone {
    ///     println!("nothing to clean up");
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn delete_sandbox_if_exists(&self, sandbox: &str) -> Result<DeleteOutcome> {
        match self.delete_sandbox(sandbox).await {
            Ok(_) => Ok(DeleteOutcome::Deleted),
            Err(e) if e.is_not_found() => Ok(DeleteOutcome::AlreadyGone),
            Err(e) => Err(e),
        }
    }

    /// Follows `sandbox`'s creation events (`GET /sandboxes/{name}/events`) as a stream.
    ///
    /// ```no_run
    /// # async fn demo(islo: islo::Islo) -> islo::Result<()> {
    /// use futures_util::StreamExt;
    /// let mut events = islo.sandbox_events("my-sandbox").await?;
    /// while let Some(event) = events.next().await {
    ///     let event = event?;
    ///     println!("{}: {}", event.event, event.data);
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn sandbox_events(
        &self,
        sandbox: &str,
    ) -> Result<Pin<Box<dyn Stream<Item = Result<SandboxEvent>> + Send>>> {
        let bytes = self
            .sandbox_creation_events(sandbox)
            .await?
            .into_inner()
            .into_inner();
        Ok(Box::pin(
            sse_events(bytes).map(|r| r.map(SandboxEvent::from).map_err(Error::from)),
        ))
    }
}

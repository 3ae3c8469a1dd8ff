//! The [`Sandbox`] handle: one sandbox, by name, with everything done to it in one place
//! (commands, files, shares, snapshots, lifecycle), and the ways to make one whose cleanup
//! cannot be forgotten ([`Islo::with_sandbox`], [`SandboxGuard`]).
//!
//! ```no_run
//! # async fn demo(islo: islo::Islo) -> islo::Result<()> {
//! use islo::sandbox::SandboxSpec;
//! // Created, used, and deleted on every way out of the closure (error and panic included).
//! let out = islo
//!     .with_sandbox(SandboxSpec::new().image("python:3.12-slim"), |sb| async move {
//!         sb.exec(["python", "-c", "print(6 * 7)"]).await
//!     })
//!     .await?;
//! assert_eq!(out.stdout, "42\n");
//! # Ok(()) }
//! ```

use crate::error::{Error, ErrorKind, Result};
use crate::retry::{Poll, PollEnd, Polling};
use crate::sse::{sse_events_with_parser, SseEvent, SseParser};
use crate::types;
use crate::Islo;
use futures_util::future::FutureExt as _;
use futures_util::{Stream, StreamExt};
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::time::Duration;

/// A sandbox's status. Open: a status this SDK version does not know is kept as
/// [`SandboxStatus::Unknown`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SandboxStatus {
    /// Being created or booted.
    Starting,
    /// Running: commands can run.
    Running,
    /// Paused (resumable).
    Paused,
    /// Being stopped.
    Stopping,
    /// Stopped.
    Stopped,
    /// Failed to start or crashed.
    Failed,
    /// Being deleted.
    Deleting,
    /// Deleted (a deleted sandbox stays visible for a while, with `deleted_at`).
    Deleted,
    /// A status this SDK version does not know, as the server sent it.
    Unknown(String),
}

impl SandboxStatus {
    /// Parses the server's text.
    pub fn parse(s: &str) -> Self {
        match s {
            "starting" | "creating" | "pending" | "provisioning" => Self::Starting,
            "running" => Self::Running,
            "paused" => Self::Paused,
            "stopping" | "pausing" => Self::Stopping,
            "stopped" => Self::Stopped,
            "failed" | "error" => Self::Failed,
            "deleting" => Self::Deleting,
            "deleted" | "terminated" => Self::Deleted,
            other => Self::Unknown(other.to_string()),
        }
    }

    /// Whether `running` will not come from this status without an action (resume, a new
    /// sandbox): paused, stopping, stopped, failed, deleting or deleted.
    pub fn is_settled_elsewhere(&self) -> bool {
        matches!(
            self,
            Self::Paused
                | Self::Stopping
                | Self::Stopped
                | Self::Failed
                | Self::Deleting
                | Self::Deleted
        )
    }
}

/// What to create: a builder over [`types::SandboxCreate`]. Every field the API takes can be
/// set through [`SandboxSpec::body_mut`].
///
/// ```
/// use islo::sandbox::SandboxSpec;
/// use std::time::Duration;
/// let spec = SandboxSpec::new()
///     .name("ci-job-17")
///     .image("python:3.12-slim")
///     .env("CI", "1")
///     .delete_after(Duration::from_secs(2 * 3600))
///     .wait_timeout(Duration::from_secs(300));
/// assert_eq!(spec.body().name.as_deref(), Some("ci-job-17"));
/// ```
#[derive(Clone)]
#[must_use]
pub struct SandboxSpec {
    body: types::SandboxCreate,
    wait: Option<Duration>,
}

/// Shows the environment's names, never its values (they are often credentials), and leaves
/// out the setup scripts and sources for the same reason.
impl std::fmt::Debug for SandboxSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let b = &self.body;
        f.debug_struct("SandboxSpec")
            .field("name", &b.name)
            .field("image", &b.image)
            .field("snapshot_name", &b.snapshot_name)
            .field(
                "env_names",
                &b.env.as_ref().map(|e| e.keys().collect::<Vec<_>>()),
            )
            .field("lifecycle", &b.lifecycle)
            .field("wait", &self.wait)
            .finish_non_exhaustive()
    }
}

impl Default for SandboxSpec {
    fn default() -> Self {
        Self {
            body: types::SandboxCreate::default(),
            wait: Some(Duration::from_secs(300)),
        }
    }
}

impl From<types::SandboxCreate> for SandboxSpec {
    fn from(body: types::SandboxCreate) -> Self {
        Self {
            body,
            ..Self::default()
        }
    }
}

impl SandboxSpec {
    /// A sandbox with the server's defaults, waited for until it runs (5 minutes at most).
    pub fn new() -> Self {
        Self::default()
    }
    /// Its name (unique in the tenant; the server picks one when unset).
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.body.name = Some(name.into());
        self
    }
    /// The container image.
    pub fn image(mut self, image: impl Into<String>) -> Self {
        self.body.image = Some(image.into());
        self
    }
    /// An environment variable for every command.
    pub fn env(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.body
            .env
            .get_or_insert_with(Default::default)
            .insert(key.into(), Some(value.into()));
        self
    }
    /// The server deletes the sandbox this long after its creation, whatever happens to
    /// this process: the last line of defence against a sandbox left behind
    /// (`lifecycle.delete_after`, in whole seconds, rounded up).
    pub fn delete_after(mut self, lifetime: Duration) -> Self {
        self.lifecycle().delete_after = Some(crate::retry::whole_seconds_up(lifetime));
        self
    }
    /// The server pauses the sandbox after this long without activity (no command, file
    /// transfer or port traffic; `lifecycle.pause_after_idle`, in whole seconds, rounded up).
    pub fn pause_after_idle(mut self, idle: Duration) -> Self {
        self.lifecycle().pause_after_idle = Some(crate::retry::whole_seconds_up(idle));
        self
    }
    fn lifecycle(&mut self) -> &mut types::LifecyclePolicy {
        self.body.lifecycle.get_or_insert_with(Default::default)
    }
    /// How long creating waits for the sandbox to run (default 5 minutes).
    pub fn wait_timeout(mut self, timeout: Duration) -> Self {
        self.wait = Some(timeout);
        self
    }
    /// Return as soon as the server accepted the sandbox, without waiting for it to run.
    pub fn no_wait(mut self) -> Self {
        self.wait = None;
        self
    }
    /// The request body as it will be sent.
    pub fn body(&self) -> &types::SandboxCreate {
        &self.body
    }
    /// The request body, to set any other field.
    pub fn body_mut(&mut self) -> &mut types::SandboxCreate {
        &mut self.body
    }
}

/// One sandbox, by name. Cheap to clone; making one sends nothing
/// ([`Islo::sandbox`]). Every method takes its required values positionally and fails with
/// [`Error`].
#[derive(Clone)]
pub struct Sandbox {
    pub(crate) islo: Islo,
    name: String,
    /// What the server last said about it, when this handle has asked.
    info: Option<types::SandboxResponse>,
    /// Called as transfers move bytes ([`Sandbox::with_progress`]).
    pub(crate) progress: Option<crate::files::ProgressFn>,
}

impl std::fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sandbox")
            .field("name", &self.name)
            .field("info", &self.info)
            .field("progress", &self.progress.is_some())
            .finish_non_exhaustive()
    }
}

impl Islo {
    /// The handle of the sandbox named `name` (no request is made).
    pub fn sandbox(&self, name: impl Into<String>) -> Sandbox {
        Sandbox {
            islo: self.clone(),
            name: name.into(),
            info: None,
            progress: None,
        }
    }

    /// Creates a sandbox and, unless the spec says [`SandboxSpec::no_wait`], waits until it
    /// runs. Prefer [`Islo::with_sandbox`] or [`Islo::new_sandbox_guarded`], which delete it
    /// for you.
    ///
    /// The sandbox is not leaked before it is handed out: when the wait fails, or this call's
    /// future is dropped during it, the sandbox is deleted.
    pub async fn new_sandbox(&self, spec: impl Into<SandboxSpec>) -> Result<Sandbox> {
        Ok(self.new_sandbox_guarded(spec).await?.keep())
    }

    /// Like [`Islo::new_sandbox`], inside a [`SandboxGuard`] that deletes the sandbox when it
    /// is dropped (or with [`SandboxGuard::delete`], which waits for it).
    pub async fn new_sandbox_guarded(&self, spec: impl Into<SandboxSpec>) -> Result<SandboxGuard> {
        let spec = spec.into();
        let created = self.create_sandbox(spec.body.clone()).await?.into_inner();
        let mut sb = self.sandbox(created.name.clone());
        sb.info = Some(created);
        // Guarded from here: if this future is dropped during the wait, the drop deletes it.
        let mut guard = SandboxGuard::new(sb);
        if let Some(timeout) = spec.wait {
            match guard.sandbox().wait_until_running(timeout).await {
                Ok(running) => guard.sandbox.info = Some(running),
                Err(e) => {
                    // It exists, but will not be handed out: do not leak it.
                    let name = crate::error::shown(guard.sandbox().name(), 256).into_owned();
                    if let Err(d) = guard.delete().await {
                        tracing::warn!(sandbox = %name, error = %d, "islo: deleting a sandbox that did not start failed");
                    }
                    return Err(e);
                }
            }
        }
        Ok(guard)
    }

    /// Creates a sandbox, runs `work` with it, and deletes it (waiting until it is confirmed
    /// gone) however `work` ends: with a value, an error, or a panic (which is resumed after
    /// the delete). If the future of this call is dropped before it finishes, the delete is
    /// handed to the runtime ([`SandboxGuard`]'s drop). The result is `work`'s, or the
    /// delete's error when `work` succeeded but the delete failed.
    ///
    /// A create interrupted before the server answers (this future dropped then, a timeout,
    /// a lost connection) may have made a sandbox that nothing here knows of: give sandboxes
    /// a server-side lifetime ([`SandboxSpec::delete_after`]) to cover
    /// that.
    ///
    /// ```no_run
    /// # async fn demo(islo: islo::Islo) -> islo::Result<()> {
    /// use islo::sandbox::SandboxSpec;
    /// let code = islo
    ///     .with_sandbox(SandboxSpec::new(), |sb| async move {
    ///         sb.upload_dir("./project", "/workspace/project", Default::default()).await?;
    ///         let out = sb.exec(["make", "-C", "/workspace/project", "test"]).await?;
    ///         Ok::<_, islo::Error>(out.exit_code)
    ///     })
    ///     .await?;
    /// # let _ = code; Ok(()) }
    /// ```
    pub async fn with_sandbox<F, Fut, T, E>(
        &self,
        spec: impl Into<SandboxSpec>,
        work: F,
    ) -> Result<T, E>
    where
        F: FnOnce(Sandbox) -> Fut,
        Fut: Future<Output = Result<T, E>>,
        E: From<Error>,
    {
        let guard = self.new_sandbox_guarded(spec).await.map_err(E::from)?;
        let sandbox = guard.sandbox().clone();
        // The server's text, for the log (see `shown`).
        let name = crate::error::shown(sandbox.name(), 256).into_owned();
        // A panic of `work` itself (before it returns its future) is caught like one of the
        // future's, so that the delete is awaited either way.
        let outcome = match std::panic::catch_unwind(AssertUnwindSafe(move || work(sandbox))) {
            Ok(future) => AssertUnwindSafe(future).catch_unwind().await,
            Err(panic) => Err(panic),
        };
        let deleted = guard.delete().await;
        match outcome {
            Err(panic) => {
                if let Err(d) = deleted {
                    tracing::warn!(sandbox = %name, error = %d, "islo: deleting the sandbox after a panic failed");
                }
                std::panic::resume_unwind(panic)
            }
            Ok(Err(e)) => {
                if let Err(d) = deleted {
                    tracing::warn!(sandbox = %name, error = %d, "islo: deleting the sandbox after a failure failed");
                }
                Err(e)
            }
            Ok(Ok(value)) => deleted.map(|()| value).map_err(E::from),
        }
    }

    /// The sandbox named in `spec`, running: created if it does not exist (or once a sandbox
    /// of that name that is being deleted is gone), resumed if it is paused or stopped (after
    /// it finished pausing or stopping), reused as it is if it runs.
    /// It always waits for `running`, within the spec's wait timeout (300 s by default;
    /// [`SandboxSpec::no_wait`] does not apply here). Idempotent: calling it again (or from
    /// another process) gives the same sandbox, and a sandbox still starting when the wait
    /// times out is left to start, for the next call to find. The spec must name the sandbox.
    pub async fn ensure_sandbox(&self, spec: impl Into<SandboxSpec>) -> Result<Sandbox> {
        let spec = spec.into();
        let name = spec.body.name.clone().ok_or_else(|| {
            Error::InvalidRequest("ensure_sandbox: the spec must name the sandbox".into())
        })?;
        let timeout = spec.wait.unwrap_or(Duration::from_secs(300));
        // Running is what this returns, also for a sandbox it creates (`no_wait` or not).
        let mut spec = spec;
        spec.wait = Some(timeout);
        let deadline = crate::retry::deadline_after(timeout);
        let ensure = self.ensure_sandbox_until(name, spec, deadline);
        // One deadline for everything, the calls between the waits too (a `Retry-After` on
        // the create or the resume, a slow create).
        match deadline {
            Some(at) => tokio::time::timeout_at(at, ensure)
                .await
                .unwrap_or(Err(Error::Deadline("waiting for the sandbox to run"))),
            None => ensure.await,
        }
    }

    /// [`Islo::ensure_sandbox`]'s work; its waits end at `deadline` (`None`: none), and the
    /// caller bounds the whole by it.
    async fn ensure_sandbox_until(
        &self,
        name: String,
        spec: SandboxSpec,
        deadline: Option<tokio::time::Instant>,
    ) -> Result<Sandbox> {
        let mut sb = self.sandbox(&name);
        match sb.refresh().await {
            Ok(mut info) => {
                if SandboxStatus::parse(&info.status) == SandboxStatus::Stopping {
                    // Pausing or stopping: wait until it has, then resume it.
                    info = sb.wait_while_stopping(deadline).await?;
                }
                match SandboxStatus::parse(&info.status) {
                    SandboxStatus::Paused | SandboxStatus::Stopped => {
                        sb.resume().await?;
                    }
                    SandboxStatus::Deleting | SandboxStatus::Deleted => {
                        // Going or gone: once the server confirms it (by its id: the name
                        // may be taken again meanwhile), the sandbox is created anew. The
                        // caller's deadline bounds the wait.
                        sb.confirm_gone(Duration::MAX).await?;
                        return self.create_for_ensure(name, spec, deadline).await;
                    }
                    _ => {}
                }
                // What is left of the one timeout, not a second one.
                sb.info = Some(sb.wait_running_until(deadline).await?);
                Ok(sb)
            }
            Err(e) if e.kind() == ErrorKind::NotFound => {
                self.create_for_ensure(name, spec, deadline).await
            }
            Err(e) => Err(e),
        }
    }

    /// [`Islo::ensure_sandbox`]'s create: a sandbox someone else created meanwhile under
    /// the name is the one. Either is waited for until it runs, and left as it is when the
    /// deadline passes first (unlike [`Islo::new_sandbox`], which deletes a sandbox that did
    /// not start): the sandbox is the one the name stands for, another call (or another
    /// process) may be waiting for it too, and the next call finds it further along.
    async fn create_for_ensure(
        &self,
        name: String,
        spec: SandboxSpec,
        deadline: Option<tokio::time::Instant>,
    ) -> Result<Sandbox> {
        let mut sb = match self.create_sandbox(spec.body).await {
            Ok(created) => {
                let mut sb = self.sandbox(created.name.clone());
                sb.info = Some(created.into_inner());
                sb
            }
            Err(e) if e.kind() == ErrorKind::Conflict => self.sandbox(&name),
            Err(e) => return Err(e),
        };
        sb.info = Some(sb.wait_running_until(deadline).await?);
        Ok(sb)
    }
}

/// The largest creation event [`Sandbox::events`] takes: 1 MiB (the data of each is parsed as
/// JSON, which takes more memory than its text; the generic parser allows 16 MiB).
pub const MAX_SANDBOX_EVENT_BYTES: usize = 1 << 20;

/// How long [`Sandbox::delete`] keeps checking that the sandbox is gone.
const CONFIRM_GONE: Duration = Duration::from_secs(60);

impl Sandbox {
    /// Its name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The client it uses.
    pub fn client(&self) -> &Islo {
        &self.islo
    }

    /// What the server said about it the last time this handle asked: created it,
    /// [`refresh`](Self::refresh)ed, or waited for it in [`Islo::new_sandbox`] or
    /// [`Islo::ensure_sandbox`] (the running answer). `None` before that.
    /// [`Sandbox::wait_until_running`] returns its answer instead of keeping it.
    pub fn info(&self) -> Option<&types::SandboxResponse> {
        self.info.as_ref()
    }

    /// Asks the server for its current state (and keeps it, see [`Sandbox::info`]).
    pub async fn refresh(&mut self) -> Result<types::SandboxResponse> {
        let info = self.islo.get_sandbox(&self.name).await?.into_inner();
        self.info = Some(info.clone());
        Ok(info)
    }

    /// Its status now (one request).
    pub async fn status(&self) -> Result<SandboxStatus> {
        let info = self.islo.get_sandbox(&self.name).await?.into_inner();
        Ok(SandboxStatus::parse(&info.status))
    }

    /// Polls until it runs (returning what the server says about it), failing fast with
    /// [`Error::SandboxState`] when it reaches a status from which running will not come by
    /// itself ([`SandboxStatus::is_settled_elsewhere`]), and with [`Error::Deadline`] after
    /// `timeout`. Transient failures are absorbed (see [`crate::retry`]).
    pub async fn wait_until_running(&self, timeout: Duration) -> Result<types::SandboxResponse> {
        // A timeout past what a clock can hold means none.
        self.wait_running_until(crate::retry::deadline_after(timeout))
            .await
    }

    /// [`Sandbox::wait_until_running`] until `deadline` (`None`: no deadline).
    async fn wait_running_until(
        &self,
        deadline: Option<tokio::time::Instant>,
    ) -> Result<types::SandboxResponse> {
        self.poll_status(deadline, "waiting for the sandbox to run", |sb| {
            let status = SandboxStatus::parse(&sb.status);
            if status == SandboxStatus::Running {
                return Ok(Poll::Ready(sb));
            }
            if status.is_settled_elsewhere() {
                return Err(Error::SandboxState {
                    sandbox: self.name.clone(),
                    status: sb.status,
                });
            }
            Ok(Poll::Pending(()))
        })
        .await
    }

    /// Polls while it is pausing or stopping, until `deadline`; what the server says then.
    async fn wait_while_stopping(
        &self,
        deadline: Option<tokio::time::Instant>,
    ) -> Result<types::SandboxResponse> {
        self.poll_status(deadline, "waiting for the sandbox to pause", |info| {
            if SandboxStatus::parse(&info.status) == SandboxStatus::Stopping {
                Ok(Poll::Pending(()))
            } else {
                Ok(Poll::Ready(info))
            }
        })
        .await
    }

    /// Polls `GET /sandboxes/{name}` (200 ms doubling to 2 s) until `decide` says an answer
    /// is the one, or `deadline` passes ([`Error::Deadline`] naming `waiting`).
    async fn poll_status(
        &self,
        deadline: Option<tokio::time::Instant>,
        waiting: &'static str,
        decide: impl Fn(types::SandboxResponse) -> Result<Poll<types::SandboxResponse, ()>>,
    ) -> Result<types::SandboxResponse> {
        let polling = Polling {
            initial: Duration::from_millis(200),
            max: Duration::from_secs(2),
            deadline,
        };
        let decide = &decide;
        let result = crate::retry::poll_until(polling, self.islo.retry_policy(), || {
            let request = self.islo.get_sandbox(&self.name);
            async move { decide(request.await?.into_inner()) }
        })
        .await;
        match result {
            Ok(info) => Ok(info),
            Err(PollEnd::Deadline(_)) => Err(Error::Deadline(waiting)),
            Err(PollEnd::Failed(e)) => Err(e),
        }
    }

    /// Pauses it.
    pub async fn pause(&self) -> Result<types::SandboxResponse> {
        Ok(self.islo.pause_sandbox(&self.name).await?.into_inner())
    }

    /// Resumes it (the server may answer 402 when the tenant has no credit left).
    pub async fn resume(&self) -> Result<types::SandboxResponse> {
        Ok(self.islo.resume_sandbox(&self.name).await?.into_inner())
    }

    /// Stops it.
    pub async fn stop(&self) -> Result<()> {
        self.islo.stop_sandbox(&self.name).await?;
        Ok(())
    }

    /// Deletes it, then waits until the server confirms it is gone (a 404, or the status
    /// `deleted`), checking with backoff for up to a minute: a list can still show a
    /// sandbox for a while after its delete, and names are reused. A sandbox that was
    /// already gone is fine.
    ///
    /// The API deletes by name. A handle that knows its sandbox's id ([`Sandbox::info`])
    /// first checks that the name is still that sandbox's: when it has gone to a new sandbox
    /// (this one deleted elsewhere, or by its `delete_after`), nothing is deleted.
    pub async fn delete(&self) -> Result<()> {
        if let Some(ours) = &self.info {
            match self.islo.get_sandbox(&self.name).await {
                Err(e) if e.kind() == ErrorKind::NotFound => return Ok(()),
                Err(e) => return Err(e),
                Ok(now) if now.id != ours.id => return Ok(()),
                Ok(now) if SandboxStatus::parse(&now.status) == SandboxStatus::Deleted => {
                    return Ok(())
                }
                Ok(_) => {}
            }
        }
        match self.islo.delete_sandbox(&self.name).await {
            Ok(_) => {}
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e),
        }
        self.confirm_gone(CONFIRM_GONE).await
    }

    /// Waits until the server says it is gone: by id when this handle knows it (a name may
    /// already be given to a new sandbox), else by name.
    async fn confirm_gone(&self, timeout: Duration) -> Result<()> {
        let id = self.info.as_ref().map(|i| i.id.clone());
        // By name only: the id of the first sandbox seen under the name is taken as this one's.
        let first_seen = std::sync::OnceLock::<String>::new();
        let polling = Polling {
            initial: Duration::from_millis(100),
            max: Duration::from_secs(2),
            deadline: crate::retry::deadline_after(timeout),
        };
        let first_seen = &first_seen;
        let result = crate::retry::poll_until(polling, self.islo.retry_policy(), || {
            let id = id.clone();
            async move {
                let found = match &id {
                    Some(id) => self.islo.get_sandbox_by_id(id).await,
                    None => self.islo.get_sandbox(&self.name).await,
                };
                match found {
                    Err(e) if e.kind() == ErrorKind::NotFound => Ok(Poll::Ready(())),
                    Err(e) => Err(e),
                    Ok(sb) if SandboxStatus::parse(&sb.status) == SandboxStatus::Deleted => {
                        Ok(Poll::Ready(()))
                    }
                    // By name, a sandbox with another id than the one seen first is a new
                    // one that took the name: this one is gone.
                    Ok(sb) if id.is_none() => {
                        Ok(if *first_seen.get_or_init(|| sb.id.clone()) != sb.id {
                            Poll::Ready(())
                        } else {
                            Poll::Pending(())
                        })
                    }
                    Ok(_) => Ok(Poll::Pending(())),
                }
            }
        })
        .await;
        match result {
            Ok(()) => Ok(()),
            Err(PollEnd::Deadline(_)) => Err(Error::Deadline("confirming the sandbox is gone")),
            Err(PollEnd::Failed(e)) => Err(e),
        }
    }

    /// Makes `port` reachable from the internet; the share's public URL is
    /// [`types::ShareResponse::url`]. `ttl` bounds how long it stays open (the server's
    /// default when `None`), in whole seconds rounded up (at least 1 s: a short `ttl` never
    /// goes out as `0`).
    pub async fn share(&self, port: u16, ttl: Option<Duration>) -> Result<types::ShareResponse> {
        let body = types::CreateShareRequest {
            port: i64::from(port),
            ttl_seconds: ttl.map(crate::retry::whole_seconds_up),
        };
        Ok(self.islo.create_share(&self.name, body).await?.into_inner())
    }

    /// Its open shares.
    pub async fn shares(&self) -> Result<Vec<types::ShareResponse>> {
        Ok(self.islo.list_shares(&self.name).await?.into_inner())
    }

    /// Closes a share.
    pub async fn revoke_share(&self, share_id: &str) -> Result<()> {
        self.islo.revoke_share(&self.name, share_id).await?;
        Ok(())
    }

    /// Takes a snapshot of it (named `name`, or by the server).
    pub async fn snapshot(&self, name: Option<&str>) -> Result<types::SnapshotResponse> {
        let body = types::SnapshotCreate {
            name: name.map(str::to_string),
            sandbox_name: self.name.clone(),
        };
        Ok(self.islo.create_snapshot(body).await?.into_inner())
    }

    /// Follows its creation events (`GET /sandboxes/{name}/events`) as a stream. The stream
    /// may end before the sandbox runs; [`Sandbox::wait_until_running`] is the reliable wait.
    ///
    /// An event larger than [`MAX_SANDBOX_EVENT_BYTES`] ends the stream with an error (see
    /// [`Sandbox::events_with`] to raise it). The client's credentials are redacted from the
    /// data of `error` events.
    pub async fn events(&self) -> Result<Pin<Box<dyn Stream<Item = Result<SandboxEvent>> + Send>>> {
        self.events_with(MAX_SANDBOX_EVENT_BYTES).await
    }

    /// [`Sandbox::events`] with events of up to `max_event_bytes` (data, type and id). Each
    /// event's data is parsed as JSON, which can hold up to about 32 times its size in memory
    /// (an array of one-digit numbers), so raise it with that in mind.
    pub async fn events_with(
        &self,
        max_event_bytes: usize,
    ) -> Result<Pin<Box<dyn Stream<Item = Result<SandboxEvent>> + Send>>> {
        let bytes = self
            .islo
            .sandbox_creation_events(&self.name)
            .await?
            .into_inner()
            .into_inner();
        let parser = SseParser::with_max_event_bytes(max_event_bytes);
        let shared = self.islo.shared().clone();
        Ok(Box::pin(sse_events_with_parser(bytes, parser).map(
            move |r| {
                r.map(|mut event| {
                    // An error may quote the request it failed on: the client's credentials
                    // are redacted from it, as from an exec stream's errors.
                    if event.event == "error" {
                        event.data = crate::secret::redact_text(&event.data, |t| shared.redact(t));
                    }
                    SandboxEvent::from(event)
                })
                .map_err(|e| Error::Stream {
                    operation: "sandbox_creation_events",
                    reason: e.into(),
                })
            },
        )))
    }
}

/// One event of a sandbox's creation stream.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct SandboxEvent {
    /// The event name (e.g. `created`, `sandbox_ready`, `error`).
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

/// A [`Sandbox`] that is deleted when the guard goes: awaited with
/// [`SandboxGuard::delete`], or, when the guard is dropped without it, by a task handed to
/// the current Tokio runtime (or, outside one, a thread of its own). The task on drop is
/// best effort: a runtime that shuts down right after may never run it, so prefer
/// [`Islo::with_sandbox`] or an explicit `delete().await`, and give sandboxes a server-side
/// lifetime as the last line of defence ([`SandboxSpec::delete_after`]).
#[derive(Debug)]
pub struct SandboxGuard {
    sandbox: Sandbox,
    /// Whether dropping the guard still has to delete the sandbox.
    armed: bool,
    /// How long the delete on drop may take.
    drop_deadline: Duration,
}

/// How long the delete a dropped [`SandboxGuard`] hands off may take by default: the minute
/// [`Sandbox::delete`] waits for the sandbox to be gone, and another for the calls before.
pub const DROPPED_DELETE_DEADLINE: Duration = Duration::from_secs(120);

impl SandboxGuard {
    /// Guards `sandbox`.
    pub fn new(sandbox: Sandbox) -> Self {
        Self {
            sandbox,
            armed: true,
            drop_deadline: DROPPED_DELETE_DEADLINE,
        }
    }

    /// How long the delete a dropped guard hands off may take, confirmation included
    /// (default [`DROPPED_DELETE_DEADLINE`]): past it the task gives up, with a warning in the
    /// log, and lets its connection go. It bounds a server that never answers when the client
    /// has no [`timeout`](crate::IsloBuilder::timeout).
    pub fn drop_deadline(mut self, limit: Duration) -> Self {
        self.drop_deadline = limit;
        self
    }

    /// The sandbox.
    pub fn sandbox(&self) -> &Sandbox {
        &self.sandbox
    }

    /// Deletes the sandbox now and waits until it is confirmed gone ([`Sandbox::delete`]).
    pub async fn delete(mut self) -> Result<()> {
        let result = self.sandbox.delete().await;
        // Confirmed gone, or the delete failed and the caller has the error: either way the
        // drop has nothing left to do.
        self.armed = false;
        result
    }

    /// Keeps the sandbox: the guard lets it go without deleting it.
    pub fn keep(mut self) -> Sandbox {
        self.armed = false;
        self.sandbox.clone()
    }
}

impl std::ops::Deref for SandboxGuard {
    type Target = Sandbox;
    fn deref(&self) -> &Sandbox {
        self.sandbox()
    }
}

impl Drop for SandboxGuard {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        let sb = self.sandbox.clone();
        let limit = self.drop_deadline;
        let delete = async move {
            let result = match crate::retry::deadline_after(limit) {
                Some(end) => tokio::time::timeout_at(end, sb.delete())
                    .await
                    .unwrap_or(Err(crate::Error::Deadline(
                        "the delete of a dropped sandbox guard",
                    ))),
                None => sb.delete().await,
            };
            if let Err(e) = result {
                tracing::warn!(sandbox = %crate::error::shown(sb.name(), 256), error = %e, "islo: deleting a dropped sandbox failed");
            }
        };
        match tokio::runtime::Handle::try_current() {
            Ok(handle) => {
                handle.spawn(delete);
            }
            Err(_) => {
                // No runtime here: a short-lived one on a thread of its own.
                let _ = std::thread::Builder::new()
                    .name("islo-sandbox-cleanup".into())
                    .spawn(move || {
                        if let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                            .enable_all()
                            .build()
                        {
                            rt.block_on(delete);
                        }
                    });
            }
        }
    }
}

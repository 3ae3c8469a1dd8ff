//! Running commands: wait for the result, or stream the output as it happens.

use crate::error::{Error, Result};
use crate::sse::{sse_events, SseEvent, SseStream};
use crate::types;
use crate::Islo;
use futures_util::{Stream, StreamExt};
use std::collections::HashMap;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncWrite, AsyncWriteExt};

/// Statuses after which an exec will not change any more.
pub const TERMINAL_STATUSES: [&str; 3] = ["completed", "failed", "timeout"];

pub use crate::retry::MAX_CONSECUTIVE_POLL_FAILURES;

/// Options for [`Islo::exec_with`] and [`Islo::exec_stream`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ExecOptions {
    /// Working directory inside the sandbox.
    pub workdir: Option<String>,
    /// Extra environment variables.
    pub env: HashMap<String, String>,
    /// User to run as.
    pub user: Option<String>,
    /// A limit the server enforces on the command (status `timeout` when exceeded).
    pub server_timeout: Option<Duration>,
    /// How long [`Islo::exec_with`] waits in total; when it passes, the result says
    /// `deadline_expired` and carries whatever output was seen. `None` waits forever.
    /// [`Islo::exec_stream`] ignores it: bound a stream with `tokio::time::timeout` or by
    /// dropping it.
    pub deadline: Option<Duration>,
    /// First poll interval (default 100 ms); doubles up to [`ExecOptions::poll_max`].
    pub poll_initial: Duration,
    /// Longest poll interval (default 2 s).
    pub poll_max: Duration,
}

impl Default for ExecOptions {
    fn default() -> Self {
        Self {
            workdir: None,
            env: HashMap::new(),
            user: None,
            server_timeout: None,
            deadline: None,
            poll_initial: Duration::from_millis(100),
            poll_max: Duration::from_secs(2),
        }
    }
}

impl ExecOptions {
    /// Default options.
    pub fn new() -> Self {
        Self::default()
    }
    /// Sets the working directory.
    pub fn workdir(mut self, dir: impl Into<String>) -> Self {
        self.workdir = Some(dir.into());
        self
    }
    /// Adds an environment variable.
    pub fn env(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.env.insert(key.into(), value.into());
        self
    }
    /// Sets the user.
    pub fn user(mut self, user: impl Into<String>) -> Self {
        self.user = Some(user.into());
        self
    }
    /// Sets the server-side limit on the command.
    pub fn server_timeout(mut self, limit: Duration) -> Self {
        self.server_timeout = Some(limit);
        self
    }
    /// Sets how long to wait for the result in total.
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.deadline = Some(deadline);
        self
    }
    /// Sets the poll interval bounds.
    pub fn poll_interval(mut self, initial: Duration, max: Duration) -> Self {
        self.poll_initial = initial;
        self.poll_max = max.max(initial);
        self
    }

    fn request(&self, command: Vec<String>) -> types::ExecRequest {
        types::ExecRequest {
            command,
            env: (!self.env.is_empty()).then(|| {
                self.env
                    .iter()
                    .map(|(k, v)| (k.clone(), Some(v.clone())))
                    .collect()
            }),
            timeout_secs: self
                .server_timeout
                .map(|d| i64::try_from(d.as_secs().max(1)).unwrap_or(i64::MAX)),
            user: self.user.clone(),
            workdir: self.workdir.clone(),
        }
    }
}

/// The outcome of a command run with [`Islo::exec`] / [`Islo::exec_with`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ExecOutput {
    /// The exec id.
    pub exec_id: String,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
    /// The exit code; `None` when the command never produced one (e.g. killed on timeout).
    pub exit_code: Option<i64>,
    /// The last status seen (`completed`, `failed`, `timeout`, or a running status when the
    /// deadline expired).
    pub status: String,
    /// Whether the server truncated the output.
    pub truncated: bool,
    /// Whether the caller's deadline passed before the command finished.
    pub deadline_expired: bool,
}

impl ExecOutput {
    /// Whether the command completed with exit code 0.
    pub fn success(&self) -> bool {
        self.exit_code == Some(0) && !self.deadline_expired
    }
}

fn argv<I, S>(command: I) -> Vec<String>
where
    I: IntoIterator<Item = S>,
    S: Into<String>,
{
    command.into_iter().map(Into::into).collect()
}

impl Islo {
    /// Runs `command` in `sandbox` and waits for it to finish (default options).
    ///
    /// ```no_run
    /// # async fn demo(islo: islo::Islo) -> islo::Result<()> {
    /// let out = islo.exec("my-sandbox", ["echo", "hello"]).await?;
    /// assert_eq!(out.stdout, "hello\n");
    /// # Ok(()) }
    /// ```
    pub async fn exec<I, S>(&self, sandbox: &str, command: I) -> Result<ExecOutput>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.exec_with(sandbox, command, &ExecOptions::default())
            .await
    }

    /// Runs `command` and polls its result until a terminal status or the deadline.
    ///
    /// The deadline bounds the polling (including a poll request that is slow to answer), not
    /// the request that starts the command. Up to [`MAX_CONSECUTIVE_POLL_FAILURES`] transient failures in a row (5xx, connection
    /// failures, timeouts) are absorbed while polling; anything else is returned. Dropping
    /// the future stops polling.
    ///
    /// ```no_run
    /// # async fn demo(islo: islo::Islo) -> islo::Result<()> {
    /// use islo::exec::ExecOptions;
    /// use std::time::Duration;
    /// let opts = ExecOptions::new().workdir("/app").env("RUST_LOG", "info").deadline(Duration::from_secs(60));
    /// let out = islo.exec_with("my-sandbox", ["cargo", "test"], &opts).await?;
    /// println!("exit {:?}, deadline expired: {}", out.exit_code, out.deadline_expired);
    /// # Ok(()) }
    /// ```
    pub async fn exec_with<I, S>(
        &self,
        sandbox: &str,
        command: I,
        options: &ExecOptions,
    ) -> Result<ExecOutput>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        // A deadline past what a clock can hold means none.
        let deadline = options.deadline.and_then(crate::retry::deadline_after);
        let body = options.request(argv(command));
        let exec = self.exec_in_sandbox(sandbox, body).await?.into_inner();
        let polling = crate::retry::Polling {
            initial: options.poll_initial,
            max: options.poll_max,
            deadline,
        };
        let result = crate::retry::poll_until(polling, || {
            let request = self.get_exec_result(sandbox, &exec.exec_id);
            async {
                let r = request.await?.into_inner();
                let terminal = TERMINAL_STATUSES.contains(&r.status.as_str());
                let seen = ExecOutput {
                    exec_id: r.exec_id,
                    stdout: r.stdout,
                    stderr: r.stderr,
                    exit_code: r.exit_code,
                    status: r.status,
                    truncated: r.truncated,
                    deadline_expired: false,
                };
                Ok(if terminal {
                    crate::retry::Poll::Ready(seen)
                } else {
                    crate::retry::Poll::Pending(seen)
                })
            }
        })
        .await;
        match result {
            Ok(done) => Ok(done),
            Err(crate::retry::PollEnd::Deadline(last)) => Ok(ExecOutput {
                deadline_expired: true,
                ..last.unwrap_or(ExecOutput {
                    exec_id: exec.exec_id,
                    stdout: String::new(),
                    stderr: String::new(),
                    exit_code: None,
                    status: exec.status,
                    truncated: false,
                    deadline_expired: true,
                })
            }),
            Err(crate::retry::PollEnd::Failed(e)) => Err(e),
        }
    }

    /// Starts `command` and streams its output as [`ExecEvent`]s
    /// (`POST /sandboxes/{name}/exec/stream`).
    ///
    /// ```no_run
    /// # async fn demo(islo: islo::Islo) -> islo::Result<()> {
    /// use futures_util::StreamExt;
    /// use islo::exec::{ExecEvent, ExecOptions};
    /// let mut events = islo.exec_stream("my-sandbox", ["make", "build"], &ExecOptions::new()).await?;
    /// while let Some(event) = events.next().await {
    ///     match event? {
    ///         ExecEvent::Stdout(s) => print!("{s}"),
    ///         ExecEvent::Stderr(s) => eprint!("{s}"),
    ///         ExecEvent::Exit(code) => println!("exit {code}"),
    ///         ExecEvent::Error(m) => eprintln!("error: {m}"),
    ///         _ => {}
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn exec_stream<I, S>(
        &self,
        sandbox: &str,
        command: I,
        options: &ExecOptions,
    ) -> Result<ExecStream>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let body = options.request(argv(command));
        let bytes = self
            .exec_in_sandbox_stream(sandbox, body)
            .await?
            .into_inner()
            .into_inner();
        Ok(ExecStream::new(bytes, self.transport.shared.clone()))
    }

    /// Runs `command`, copies its stdout and stderr into two writers as they arrive, and
    /// returns the exit code.
    ///
    /// ```no_run
    /// # async fn demo(islo: islo::Islo) -> islo::Result<()> {
    /// let (mut out, mut err) = (tokio::io::stdout(), tokio::io::stderr());
    /// let code = islo
    ///     .exec_to_writers("my-sandbox", ["ls", "-la"], &Default::default(), &mut out, &mut err)
    ///     .await?;
    /// # let _ = code; Ok(()) }
    /// ```
    pub async fn exec_to_writers<I, S, O, E>(
        &self,
        sandbox: &str,
        command: I,
        options: &ExecOptions,
        stdout: &mut O,
        stderr: &mut E,
    ) -> Result<i32>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
        O: AsyncWrite + Unpin + ?Sized,
        E: AsyncWrite + Unpin + ?Sized,
    {
        let mut events = self.exec_stream(sandbox, command, options).await?;
        let io = |e: std::io::Error| Error::Io {
            context: "writing command output".into(),
            source: e,
        };
        while let Some(event) = events.next().await {
            match event? {
                ExecEvent::Stdout(s) => stdout.write_all(s.as_bytes()).await.map_err(io)?,
                ExecEvent::Stderr(s) => stderr.write_all(s.as_bytes()).await.map_err(io)?,
                ExecEvent::Exit(code) => {
                    stdout.flush().await.map_err(io)?;
                    stderr.flush().await.map_err(io)?;
                    return Ok(code);
                }
                ExecEvent::Error(_) | ExecEvent::Other(_) => {}
            }
        }
        Err(Error::Stream(
            "the exec stream ended without an exit event".into(),
        ))
    }
}

/// One event of an exec stream.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ExecEvent {
    /// A chunk of standard output (the event's data, verbatim).
    Stdout(String),
    /// A chunk of standard error.
    Stderr(String),
    /// The command exited with this code; the stream ends after it.
    Exit(i32),
    /// The server reported an error (credentials redacted).
    Error(String),
    /// An event this SDK version does not know, kept as it came.
    Other(SseEvent),
}

/// The stream returned by [`Islo::exec_stream`]. It ends after [`ExecEvent::Exit`]; if the
/// connection ends without one, the last item is an [`Error::Stream`] carrying the last
/// `error` event's message.
pub struct ExecStream {
    inner: SseStream<crate::RawByteStream>,
    last_error: Option<String>,
    /// Redacts the client's credentials (key, the tokens it sent) from `error` events.
    shared: std::sync::Arc<crate::transport::Shared>,
    done: bool,
}

impl std::fmt::Debug for ExecStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExecStream")
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}

impl ExecStream {
    fn new(bytes: crate::RawByteStream, shared: std::sync::Arc<crate::transport::Shared>) -> Self {
        Self {
            inner: sse_events(bytes),
            last_error: None,
            shared,
            done: false,
        }
    }
}

/// Turns one SSE event of an exec stream into an [`ExecEvent`].
///
/// ```
/// use islo::exec::{exec_event, ExecEvent};
/// use islo::sse::SseEvent;
/// let ev = SseEvent { event: "exit".into(), data: "3".into(), id: None, retry: None };
/// assert_eq!(exec_event(ev).unwrap(), ExecEvent::Exit(3));
/// ```
pub fn exec_event(event: SseEvent) -> Result<ExecEvent> {
    Ok(match event.event.as_str() {
        "stdout" => ExecEvent::Stdout(event.data),
        "stderr" => ExecEvent::Stderr(event.data),
        "exit" => {
            let code = event.data.trim().parse::<i32>().map_err(|_| {
                Error::Stream(format!(
                    "exit event with a non-numeric code `{}`",
                    truncate(&event.data)
                ))
            })?;
            ExecEvent::Exit(code)
        }
        "error" => ExecEvent::Error(crate::secret::redact_credentials(&event.data)),
        _ => ExecEvent::Other(event),
    })
}

fn truncate(s: &str) -> String {
    s.chars().take(64).collect()
}

impl Stream for ExecStream {
    type Item = Result<ExecEvent>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.done {
            return Poll::Ready(None);
        }
        match Pin::new(&mut self.inner).poll_next(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Some(Ok(ev))) => {
                let ev = match exec_event(ev) {
                    // The server may echo the credential the request carried.
                    Ok(ExecEvent::Error(m)) => Ok(ExecEvent::Error(self.shared.redact(&m))),
                    Err(Error::Stream(m)) => Err(Error::Stream(self.shared.redact(&m))),
                    other => other,
                };
                match &ev {
                    Ok(ExecEvent::Exit(_)) | Err(_) => self.done = true,
                    Ok(ExecEvent::Error(m)) => self.last_error = Some(m.clone()),
                    _ => {}
                }
                Poll::Ready(Some(ev))
            }
            Poll::Ready(Some(Err(e))) => {
                self.done = true;
                Poll::Ready(Some(Err(Error::Sse(e))))
            }
            Poll::Ready(None) => {
                self.done = true;
                let msg = match self.last_error.take() {
                    Some(m) => {
                        format!("the exec stream ended without an exit event; last error: {m}")
                    }
                    None => "the exec stream ended without an exit event".to_string(),
                };
                Poll::Ready(Some(Err(Error::Stream(msg))))
            }
        }
    }
}

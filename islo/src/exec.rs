//! Running commands in a sandbox: wait for the result ([`Sandbox::exec`]), stream the
//! output as it happens ([`Sandbox::exec_stream`], [`Sandbox::exec_to_writers`]), or start
//! one in the background and come back to it later, from anywhere ([`Sandbox::spawn`],
//! [`Sandbox::exec_handle`]).
//!
//! # What the API can and cannot do
//!
//! - A command is an argument vector, run without a shell; use [`sh`] for a shell line.
//! - There is no stdin, and no PTY.
//! - One command cannot be killed: the server's limit ([`ExecOptions::server_timeout`])
//!   bounds it. A process that must be stoppable on demand runs as a *session*
//!   ([`Sandbox::start_session`]), which can be killed, but whose output the API does not
//!   return.
//! - The result of a finished command keeps its output, possibly truncated by the server
//!   ([`ExecOutput::truncated`]).
//!
//! # The stream's framing
//!
//! `POST /sandboxes/{name}/exec/stream` answers Server-Sent Events: `stdout` and `stderr`
//! events carry the output verbatim, line endings included (a chunk that spans lines
//! arrives as several `data:` lines, which the SSE rules join back with `\n`), so writing
//! each event's data as it comes reproduces the output, except carriage returns: SSE cannot
//! carry one, so the server's framing turns `\r\n` and a lone `\r` into `\n`; an `exit` event
//! carries the exit code as a decimal number and ends the stream; an `error` event carries
//! a message from the server (not output of the command), and may come without an `exit`
//! after it. Comments (`: keepalive`) are skipped; other event types are passed on as
//! [`ExecEvent::Other`].

use crate::error::{Error, ErrorKind, Result, StreamError};
use crate::retry::{Poll, PollEnd, Polling};
use crate::sandbox::Sandbox;
use crate::sse::{sse_events, SseEvent, SseStream};
use crate::types;
use futures_util::{Stream, StreamExt};
use std::collections::HashMap;
use std::pin::Pin;
use std::task::Context;
use std::time::Duration;
use tokio::io::{AsyncWrite, AsyncWriteExt};
use tokio::time::Instant;

/// The status of a command. Open: a status this SDK version does not know is kept as
/// [`ExecStatus::Unknown`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ExecStatus {
    /// Still running.
    Running,
    /// Finished (see the exit code).
    Completed,
    /// Finished with a failure.
    Failed,
    /// Stopped by the server's limit.
    Timeout,
    /// A status this SDK version does not know, as the server sent it. A wait
    /// ([`Sandbox::exec_with`], [`Exec::wait`]) ends on it when the result carries an exit
    /// code, and otherwise after [`MAX_UNKNOWN_STATUS_POLLS`] such answers in a row,
    /// returning what it saw.
    Unknown(String),
}

/// How many answers in a row with a status this SDK does not know (and no exit code) a wait
/// polls before it returns what it saw: a server that keeps answering such a status does
/// not keep a wait without a timeout going for ever. With the default intervals that is
/// about a minute.
pub const MAX_UNKNOWN_STATUS_POLLS: u32 = 30;

impl ExecStatus {
    /// Parses the server's text.
    pub fn parse(s: &str) -> Self {
        match s {
            "running" | "pending" | "queued" | "started" => Self::Running,
            "completed" => Self::Completed,
            "failed" => Self::Failed,
            "timeout" => Self::Timeout,
            other => Self::Unknown(other.to_string()),
        }
    }

    /// Whether the command will not change any more.
    pub fn is_finished(&self) -> bool {
        matches!(self, Self::Completed | Self::Failed | Self::Timeout)
    }
}

/// How to run a command.
///
/// Its `Debug` shows the environment's names, never their values (often credentials).
#[derive(Clone)]
#[non_exhaustive]
pub struct ExecOptions {
    /// Working directory inside the sandbox.
    pub workdir: Option<String>,
    /// Extra environment variables.
    pub env: HashMap<String, String>,
    /// User to run as.
    pub user: Option<String>,
    /// A limit the server enforces on the command (status `timeout` when exceeded). The API
    /// takes whole seconds: it is rounded up (at least 1 s).
    pub server_timeout: Option<Duration>,
    /// How long [`Sandbox::exec_with`] and [`Exec::wait`] wait in total; when it passes, the
    /// result says `wait_timed_out` and carries what was seen. `None` waits until the
    /// command ends. For `exec_with` it counts from the call, the start request included: a
    /// start that has not answered by then fails with [`Error::Deadline`] (the command may
    /// have started). Streams ignore it: bound one with `tokio::time::timeout`, or drop it.
    pub timeout: Option<Duration>,
    /// First poll interval (default 100 ms, at least
    /// [`MIN_POLL_INTERVAL`](crate::retry::MIN_POLL_INTERVAL)); doubles up to
    /// [`ExecOptions::poll_max`]. A poll answered with a `Retry-After` waits that long.
    pub poll_initial: Duration,
    /// Longest poll interval (default 2 s).
    pub poll_max: Duration,
}

impl std::fmt::Debug for ExecOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut env_names: Vec<&String> = self.env.keys().collect();
        env_names.sort();
        f.debug_struct("ExecOptions")
            .field("workdir", &self.workdir)
            .field("env_names", &env_names)
            .field("user", &self.user)
            .field("server_timeout", &self.server_timeout)
            .field("timeout", &self.timeout)
            .field("poll_initial", &self.poll_initial)
            .field("poll_max", &self.poll_max)
            .finish()
    }
}

impl Default for ExecOptions {
    fn default() -> Self {
        Self {
            workdir: None,
            env: HashMap::new(),
            user: None,
            server_timeout: None,
            timeout: None,
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
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
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
            timeout_secs: self.server_timeout.map(crate::retry::whole_seconds_up),
            user: self.user.clone(),
            workdir: self.workdir.clone(),
        }
    }

    fn polling(&self) -> Polling {
        Polling {
            initial: self.poll_initial,
            max: self.poll_max,
            // A timeout past what a clock can hold means none.
            deadline: self.timeout.and_then(crate::retry::deadline_after),
        }
    }
}

/// A shell line as a command: `sh -c <script>`.
///
/// ```
/// assert_eq!(islo::exec::sh("echo hi > out.txt"), ["sh", "-c", "echo hi > out.txt"]);
/// ```
pub fn sh(script: impl Into<String>) -> [String; 3] {
    ["sh".into(), "-c".into(), script.into()]
}

/// The outcome of a command ([`Sandbox::exec`], [`Exec::wait`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ExecOutput {
    /// The command's id (see [`Sandbox::exec_handle`]).
    pub exec_id: String,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
    /// The exit code; `None` when the command never produced one (killed by the server's
    /// limit, or still running when the wait timed out). As the server sent it: an `i64`,
    /// so that no code is clamped.
    pub exit_code: Option<i64>,
    /// The last status seen.
    pub status: ExecStatus,
    /// Whether the server truncated the output.
    pub truncated: bool,
    /// Whether the wait ([`ExecOptions::timeout`]) ran out before the command finished.
    pub wait_timed_out: bool,
}

impl ExecOutput {
    /// Whether the command completed with exit code 0.
    pub fn success(&self) -> bool {
        self.exit_code == Some(0) && !self.wait_timed_out
    }

    fn from_result(r: types::ExecResultResponse) -> Self {
        Self {
            exit_code: r.exit_code,
            status: ExecStatus::parse(&r.status),
            exec_id: r.exec_id,
            stdout: r.stdout,
            stderr: r.stderr,
            truncated: r.truncated,
            wait_timed_out: false,
        }
    }
}

fn argv<I, S>(command: I) -> Vec<String>
where
    I: IntoIterator<Item = S>,
    S: Into<String>,
{
    command.into_iter().map(Into::into).collect()
}

impl Sandbox {
    /// Runs `command` and waits for it to finish (default options).
    ///
    /// ```no_run
    /// # async fn demo(islo: islo::Islo) -> islo::Result<()> {
    /// let out = islo.sandbox("my-sandbox").exec(["echo", "hello"]).await?;
    /// assert_eq!(out.stdout, "hello\n");
    /// # Ok(()) }
    /// ```
    pub async fn exec<I, S>(&self, command: I) -> Result<ExecOutput>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.exec_with(command, ExecOptions::default()).await
    }

    /// Runs `command` and polls its result until it finishes or the wait times out
    /// ([`ExecOptions::timeout`], which also bounds a poll that is slow to answer). Transient
    /// failures while polling are absorbed (see [`crate::retry`]). Dropping the future stops
    /// polling (the command goes on in the sandbox).
    ///
    /// ```no_run
    /// # async fn demo(islo: islo::Islo) -> islo::Result<()> {
    /// use islo::exec::ExecOptions;
    /// use std::time::Duration;
    /// let opts = ExecOptions::new().workdir("/app").env("RUST_LOG", "info").timeout(Duration::from_secs(60));
    /// let out = islo.sandbox("my-sandbox").exec_with(["cargo", "test"], opts).await?;
    /// println!("exit {:?}, timed out: {}", out.exit_code, out.wait_timed_out);
    /// # Ok(()) }
    /// ```
    pub async fn exec_with<I, S>(&self, command: I, options: ExecOptions) -> Result<ExecOutput>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        // The timeout counts from here: the start request is bounded by it too.
        let deadline = options.timeout.and_then(crate::retry::deadline_after);
        let start = self.spawn_with(command, &options);
        let job = match deadline {
            Some(at) => tokio::time::timeout_at(at, start)
                .await
                .map_err(|_| Error::Deadline("starting the command (it may have started)"))??,
            None => start.await?,
        };
        job.wait_until(options, deadline).await
    }

    /// Starts `command` without waiting for it. The handle's id can be stored and the
    /// command picked up again later, from another task or process, with
    /// [`Sandbox::exec_handle`].
    ///
    /// ```no_run
    /// # async fn demo(islo: islo::Islo) -> islo::Result<()> {
    /// let sb = islo.sandbox("my-sandbox");
    /// let job = sb.spawn(["make", "all"]).await?;
    /// let id = job.id().to_string(); // store it anywhere
    /// // ... later, elsewhere:
    /// let out = islo.sandbox("my-sandbox").exec_handle(id).wait().await?;
    /// # let _ = out; Ok(()) }
    /// ```
    pub async fn spawn<I, S>(&self, command: I) -> Result<Exec>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.spawn_with(command, &ExecOptions::default()).await
    }

    async fn spawn_with<I, S>(&self, command: I, options: &ExecOptions) -> Result<Exec>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let body = options.request(argv(command));
        let started = self
            .islo
            .exec_in_sandbox(self.name(), body)
            .await?
            .into_inner();
        Ok(self.exec_handle(started.exec_id))
    }

    /// The command started earlier with this id (no request is made).
    pub fn exec_handle(&self, exec_id: impl Into<String>) -> Exec {
        Exec {
            sandbox: self.clone(),
            id: exec_id.into(),
        }
    }

    /// Starts `command` and streams its events as they happen (see the module docs for
    /// the framing).
    ///
    /// ```no_run
    /// # async fn demo(islo: islo::Islo) -> islo::Result<()> {
    /// use futures_util::StreamExt;
    /// use islo::exec::{ExecEvent, ExecOptions};
    /// let mut events = islo.sandbox("my-sandbox").exec_stream(["make", "build"], ExecOptions::new()).await?;
    /// while let Some(event) = events.next().await {
    ///     match event? {
    ///         ExecEvent::Stdout(s) => print!("{s}"),
    ///         ExecEvent::Stderr(s) => eprint!("{s}"),
    ///         ExecEvent::Exit(code) => println!("exit {code}"),
    ///         ExecEvent::Error(m) => eprintln!("server: {m}"),
    ///         _ => {}
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn exec_stream<I, S>(&self, command: I, options: ExecOptions) -> Result<ExecStream>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let body = options.request(argv(command));
        let bytes = self
            .islo
            .exec_in_sandbox_stream(self.name(), body)
            .await?
            .into_inner()
            .into_inner();
        Ok(ExecStream::new(bytes, self.islo.shared().clone()))
    }

    /// Runs `command`, writes its stdout and stderr into two writers as they arrive (byte
    /// for byte), and returns how it ended: the exit code, and the messages of any `error`
    /// events the server sent (those are not the command's output, so they are not
    /// written). A stream that ends without an `exit` fails with [`Error::Stream`]
    /// carrying the last such message. Both writers are flushed however it ends, so the
    /// output that came before a failure is in them.
    ///
    /// ```no_run
    /// # async fn demo(islo: islo::Islo) -> islo::Result<()> {
    /// let (mut out, mut err) = (tokio::io::stdout(), tokio::io::stderr());
    /// let ended = islo
    ///     .sandbox("my-sandbox")
    ///     .exec_to_writers(["ls", "-la"], Default::default(), &mut out, &mut err)
    ///     .await?;
    /// for message in &ended.errors {
    ///     eprintln!("server: {message}");
    /// }
    /// println!("exit code {}", ended.exit_code);
    /// # Ok(()) }
    /// ```
    pub async fn exec_to_writers<I, S, O, E>(
        &self,
        command: I,
        options: ExecOptions,
        stdout: &mut O,
        stderr: &mut E,
    ) -> Result<StreamExit>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
        O: AsyncWrite + Unpin + ?Sized,
        E: AsyncWrite + Unpin + ?Sized,
    {
        let mut events = self.exec_stream(command, options).await?;
        let io = |e: std::io::Error| Error::Io {
            context: "writing command output".into(),
            source: e,
        };
        let mut errors = Vec::new();
        let mut errors_seen = 0u64;
        let mut last_error = None;
        let copy = async {
            while let Some(event) = events.next().await {
                match event? {
                    ExecEvent::Stdout(s) => stdout.write_all(s.as_bytes()).await.map_err(io)?,
                    ExecEvent::Stderr(s) => stderr.write_all(s.as_bytes()).await.map_err(io)?,
                    ExecEvent::Exit(code) => {
                        return Ok(StreamExit {
                            exit_code: code,
                            errors,
                            errors_seen,
                        });
                    }
                    ExecEvent::Error(m) => {
                        errors_seen = errors_seen.saturating_add(1);
                        let m = truncate_message(m);
                        if errors.len() < MAX_KEPT_ERRORS {
                            errors.push(m);
                        } else {
                            last_error = Some(m);
                        }
                    }
                    ExecEvent::Other(_) => {}
                }
            }
            // The stream itself reports a missing exit; this is not reached.
            Err(ended_early(last_error.or_else(|| errors.pop())))
        };
        let outcome = copy.await;
        // Flushed however the stream ended: the output before a failure is often what
        // explains it, and a buffered writer does not flush on drop.
        let flushed = match stdout.flush().await {
            Ok(()) => stderr.flush().await,
            Err(e) => Err(e),
        };
        match (outcome, flushed) {
            (Ok(exit), Ok(())) => Ok(exit),
            (Ok(_), Err(e)) => Err(io(e)),
            (Err(e), _) => Err(e),
        }
    }
}

/// How many `error` event messages [`StreamExit::errors`] keeps (the first ones).
pub const MAX_KEPT_ERRORS: usize = 32;

/// The longest `error` event message [`StreamExit::errors`] keeps, in bytes; a longer one is
/// cut at a character boundary and ends with `…`.
pub const MAX_ERROR_MESSAGE_BYTES: usize = 4096;

fn truncate_message(mut m: String) -> String {
    if m.len() > MAX_ERROR_MESSAGE_BYTES {
        let mut end = MAX_ERROR_MESSAGE_BYTES;
        while !m.is_char_boundary(end) {
            end -= 1;
        }
        m.truncate(end);
        m.push('…');
    }
    m
}

fn ended_early(last_error: Option<String>) -> Error {
    Error::Stream {
        operation: "exec_in_sandbox_stream",
        reason: StreamError::EndedEarly {
            expected: "an exit event",
            last_error,
        },
    }
}

/// How a streamed command ended ([`Sandbox::exec_to_writers`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct StreamExit {
    /// The exit code, as the server sent it.
    pub exit_code: i64,
    /// The messages of the first [`MAX_KEPT_ERRORS`] `error` events the server sent before
    /// the exit (credentials redacted), in order, each at most [`MAX_ERROR_MESSAGE_BYTES`].
    pub errors: Vec<String>,
    /// How many `error` events came in all (more than `errors.len()` when some were not kept).
    pub errors_seen: u64,
}

/// A command started in the background ([`Sandbox::spawn`]), or picked up again by its id
/// ([`Sandbox::exec_handle`]).
#[derive(Debug, Clone)]
pub struct Exec {
    sandbox: Sandbox,
    id: String,
}

impl Exec {
    /// Its id: store it to come back to the command later.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The sandbox it runs in.
    pub fn sandbox(&self) -> &Sandbox {
        &self.sandbox
    }

    /// Where it is now (one request): its status and the output so far.
    pub async fn poll(&self) -> Result<ExecOutput> {
        let r = self
            .sandbox
            .islo
            .get_exec_result(self.sandbox.name(), &self.id)
            .await?
            .into_inner();
        Ok(ExecOutput::from_result(r))
    }

    /// Waits until it finishes (default polling, no time limit).
    pub async fn wait(&self) -> Result<ExecOutput> {
        self.wait_with(ExecOptions::default()).await
    }

    /// Waits until it finishes or `options.timeout` passes, polling as the options say.
    pub async fn wait_with(&self, options: ExecOptions) -> Result<ExecOutput> {
        let deadline = options.timeout.and_then(crate::retry::deadline_after);
        self.wait_until(options, deadline).await
    }

    /// [`Exec::wait_with`] with the deadline given (`None`: none).
    async fn wait_until(
        &self,
        options: ExecOptions,
        deadline: Option<Instant>,
    ) -> Result<ExecOutput> {
        let polling = Polling {
            deadline,
            ..options.polling()
        };
        // Consecutive answers with a status this SDK does not know and no exit code.
        let unknown = std::sync::atomic::AtomicU32::new(0);
        let result =
            crate::retry::poll_until(polling, self.sandbox.client().retry_policy(), || async {
                let seen = self.poll().await?;
                if seen.status.is_finished() {
                    return Ok(Poll::Ready(seen));
                }
                if let ExecStatus::Unknown(_) = seen.status {
                    // An exit code says the command ended, whatever the status is called.
                    let in_a_row = unknown.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                    if seen.exit_code.is_some() || in_a_row >= MAX_UNKNOWN_STATUS_POLLS {
                        return Ok(Poll::Ready(seen));
                    }
                } else {
                    unknown.store(0, std::sync::atomic::Ordering::Relaxed);
                }
                Ok(Poll::Pending(seen))
            })
            .await;
        match result {
            Ok(done) => Ok(done),
            Err(PollEnd::Deadline(last)) => Ok(ExecOutput {
                wait_timed_out: true,
                ..last.unwrap_or(ExecOutput {
                    exec_id: self.id.clone(),
                    stdout: String::new(),
                    stderr: String::new(),
                    exit_code: None,
                    status: ExecStatus::Running,
                    truncated: false,
                    wait_timed_out: true,
                })
            }),
            Err(PollEnd::Failed(e)) => Err(e),
        }
    }
}

/// The status of a session.
pub use crate::types::SessionStatus;

/// A long-running process started as a session ([`Sandbox::start_session`]): it can be
/// listed and killed, but the API does not return its output (send it to a file and
/// download that).
#[derive(Debug, Clone)]
pub struct Session {
    sandbox: Sandbox,
    name: String,
}

impl Sandbox {
    /// Starts `command` as a session named `name` (unique in the sandbox).
    ///
    /// ```no_run
    /// # async fn demo(islo: islo::Islo) -> islo::Result<()> {
    /// let sb = islo.sandbox("my-sandbox");
    /// let server = sb.start_session("web", islo::exec::sh("python -m http.server 8000 > /tmp/web.log 2>&1")).await?;
    /// let url = sb.share(8000, None).await?.url;
    /// // ...
    /// server.kill().await?;
    /// # let _ = url; Ok(()) }
    /// ```
    pub async fn start_session<I, S>(&self, name: &str, command: I) -> Result<Session>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let body = types::CreateSessionRequest {
            command: Some(argv(command)),
            env: None,
            name: name.to_string(),
            ttl: None,
            user: None,
            workdir: None,
        };
        self.islo.create_session(self.name(), body).await?;
        Ok(self.session(name))
    }

    /// The session named `name` (no request is made).
    pub fn session(&self, name: impl Into<String>) -> Session {
        Session {
            sandbox: self.clone(),
            name: name.into(),
        }
    }
}

impl Session {
    /// Its name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Its status, or `None` when the sandbox no longer lists it.
    pub async fn status(&self) -> Result<Option<SessionStatus>> {
        let list = self
            .sandbox
            .islo
            .list_sessions(self.sandbox.name())
            .await?
            .into_inner();
        Ok(list
            .sessions
            .into_iter()
            .find(|s| s.name == self.name)
            .map(|s| s.status))
    }

    /// Kills it (a session that is already gone is fine).
    pub async fn kill(&self) -> Result<()> {
        match self
            .sandbox
            .islo
            .kill_session(self.sandbox.name(), &self.name)
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e),
        }
    }
}

/// One event of an exec stream.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ExecEvent {
    /// Standard output, verbatim (line endings included).
    Stdout(String),
    /// Standard error, verbatim.
    Stderr(String),
    /// The command exited with this code (as the server sent it); the stream ends after it.
    Exit(i64),
    /// The server reported an error (not output of the command; credentials redacted).
    Error(String),
    /// An event this SDK version does not know, kept as it came.
    Other(SseEvent),
}

/// The stream returned by [`Sandbox::exec_stream`]. It ends after [`ExecEvent::Exit`]; if
/// the connection ends without one, the last item is an [`Error::Stream`] carrying the last
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

/// Turns one SSE event of an exec stream into an [`ExecEvent`] (credential shapes in an
/// `error` event redacted).
///
/// ```
/// use islo::exec::{exec_event, ExecEvent};
/// use islo::sse::SseEvent;
/// let ev = SseEvent { event: "exit".into(), data: "3".into(), id: None, retry: None };
/// assert_eq!(exec_event(ev).unwrap(), ExecEvent::Exit(3));
/// ```
pub fn exec_event(event: SseEvent) -> std::result::Result<ExecEvent, StreamError> {
    exec_event_redacted(event, crate::secret::redact_credentials)
}

/// [`exec_event`] with `redact` applied to the text of an `error` event and of a bad `exit`
/// event (before that is cut short, so that no part of a secret survives the cut).
fn exec_event_redacted(
    event: SseEvent,
    redact: impl Fn(&str) -> String,
) -> std::result::Result<ExecEvent, StreamError> {
    Ok(match event.event.as_str() {
        "stdout" => ExecEvent::Stdout(event.data),
        "stderr" => ExecEvent::Stderr(event.data),
        "exit" => match event.data.trim().parse::<i64>() {
            Ok(code) => ExecEvent::Exit(code),
            Err(_) => {
                return Err(StreamError::BadEvent {
                    event: "exit".into(),
                    data: truncate(&crate::secret::redact_text(&event.data, &redact)),
                })
            }
        },
        "error" => ExecEvent::Error(crate::secret::redact_text(&event.data, &redact)),
        _ => ExecEvent::Other(event),
    })
}

fn truncate(s: &str) -> String {
    s.chars().take(64).collect()
}

impl Stream for ExecStream {
    type Item = Result<ExecEvent>;

    fn poll_next(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        use std::task::Poll;
        if self.done {
            return Poll::Ready(None);
        }
        let stream_error = |reason| Error::Stream {
            operation: "exec_in_sandbox_stream",
            reason,
        };
        match Pin::new(&mut self.inner).poll_next(cx) {
            Poll::Pending => Poll::Pending,
            // The server may echo the credential the request carried.
            Poll::Ready(Some(Ok(ev))) => match exec_event_redacted(ev, |t| self.shared.redact(t)) {
                Ok(ExecEvent::Error(m)) => {
                    self.last_error = Some(m.clone());
                    Poll::Ready(Some(Ok(ExecEvent::Error(m))))
                }
                Ok(ev) => {
                    if matches!(ev, ExecEvent::Exit(_)) {
                        self.done = true;
                    }
                    Poll::Ready(Some(Ok(ev)))
                }
                Err(reason) => {
                    self.done = true;
                    Poll::Ready(Some(Err(stream_error(reason))))
                }
            },
            Poll::Ready(Some(Err(e))) => {
                self.done = true;
                Poll::Ready(Some(Err(stream_error(StreamError::Read(e)))))
            }
            Poll::Ready(None) => {
                self.done = true;
                let last = self.last_error.take();
                Poll::Ready(Some(Err(ended_early(last))))
            }
        }
    }
}

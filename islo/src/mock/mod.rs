//! An in-process fake Islo server for tests and benchmarks.
//!
//! [`FakeIslo`] runs two HTTP/1.1 listeners on `127.0.0.1` — one for the
//! **control plane** (token exchange and the other control operations) and one
//! for the **compute plane** (sandboxes, shares, snapshots, webhooks, …) — on
//! its own OS thread with its own tokio runtime, so it works from any test
//! runtime (or none) and keeps answering while a `#[tokio::test]` runtime is
//! busy. A route served on one plane answers `404` on the other, so a client
//! that sends a request to the wrong base URL is caught.
//!
//! # What is modelled
//!
//! * `POST /auth/token` (control plane) exchanges the API key for a JWT-shaped
//!   session token; every other route needs `Authorization: Bearer <token>`.
//! * Sandboxes are stateful: create / get / get-by-id / list (paging, `status`,
//!   `name_prefix`, `q`/`search` filters) / delete / pause / resume / stop /
//!   creation events (SSE).
//! * Exec: `POST …/exec` stores a result and returns its id; `GET …/exec/{id}`
//!   reports it (optionally `running` for a number of polls first);
//!   `POST …/exec/stream` answers Server-Sent Events. Commands are interpreted
//!   by a tiny built-in shell (see [`ExecOutcome::builtin`]) unless a hook is
//!   installed with [`FakeIslo::on_exec`].
//! * Files: an in-memory file system per sandbox for single-file upload
//!   (multipart), download, and tar.gz archive upload/download.
//! * Shares and snapshots: stateful create / list / get / delete.
//! * Every other operation of the OpenAPI document (`openapi/islo.json`) is
//!   answered with a value generated from the schema of its first `2xx`
//!   response.
//!
//! # Fault injection
//!
//! See [`FakeIslo::fail_every_nth`], [`FakeIslo::rate_limit_next`],
//! [`FakeIslo::revoke_tokens`], [`FakeIslo::set_latency`] and
//! [`FakeIslo::fail_token_exchange`].
//!
//! # Example
//!
//! ```no_run
//! # async fn demo() -> islo::Result<()> {
//! use islo::mock::FakeIslo;
//! let fake = FakeIslo::builder().api_key("ak_test").start().await?;
//! let control = fake.control_url();
//! let compute = fake.compute_url();
//! // … point the client at `control` / `compute` and use `fake.api_key()` …
//! assert_eq!(fake.token_exchanges(), 0);
//! # let _ = (control, compute);
//! # Ok(())
//! # }
//! ```

/// Typed per-operation [httpmock](https://docs.rs/httpmock) helpers generated from the spec:
/// `server.get_sandbox(|when, then| { when.sandbox_name("x"); then.success(200, &sandbox); })`.
/// Bring [`typed::MockServerExt`] into scope on an `httpmock::MockServer`.
pub mod typed {
    pub use httpmock;
    pub use islo_generated::mock::*;
}

mod files;
mod generated;
mod routes;
mod server;
mod shell;
mod sink;
mod spec;
mod state;
mod wire;

pub use generated::{GeneratedContent, GeneratedEntry, GeneratedTree};
pub use sink::{ArchiveContents, DiscardedUpload};

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use server::{ServerHandle, ServerState};

/// A schema-valid example of the JSON that operation `operation_id` answers with: the answer
/// the fake gives for operations it does not model, and a realistic fixture for typed mocks.
/// `None` for an unknown operation or one that does not answer JSON.
///
/// ```
/// let sandbox: islo::types::SandboxResponse =
///     serde_json::from_value(islo::mock::example_response("get_sandbox").unwrap()).unwrap();
/// assert!(!sandbox.name.is_empty());
/// ```
pub fn example_response(operation_id: &str) -> Option<serde_json::Value> {
    spec::embedded().ok()?.example_response(operation_id)
}

/// A schema-valid example of operation `operation_id`'s JSON request body (`None` when it
/// takes none).
pub fn example_request(operation_id: &str) -> Option<serde_json::Value> {
    spec::embedded().ok()?.example_request(operation_id)
}

/// Default API key accepted by [`FakeIslo::start`].
pub const DEFAULT_API_KEY: &str = "ak_fake_islo";

/// A running fake Islo server.
///
/// Cheap to clone (an [`Arc`] inside). The server stops when the last handle is
/// dropped or when [`FakeIslo::shutdown`] is called.
#[derive(Clone)]
pub struct FakeIslo {
    handle: Arc<ServerHandle>,
}

impl std::fmt::Debug for FakeIslo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeIslo")
            .field("control_url", &self.control_url())
            .field("compute_url", &self.compute_url())
            .finish()
    }
}

/// Configures and starts a [`FakeIslo`]. Its `Debug` never shows the API key.
#[derive(Clone)]
pub struct FakeIsloBuilder {
    pub(crate) api_key: String,
    pub(crate) token_lifetime: Duration,
    pub(crate) exec_running_polls: u32,
    pub(crate) starting_gets: u32,
    pub(crate) worker_threads: usize,
    pub(crate) discard_prefixes: Vec<String>,
}

impl std::fmt::Debug for FakeIsloBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeIsloBuilder")
            .field("api_key", &"[redacted]")
            .field("token_lifetime", &self.token_lifetime)
            .field("exec_running_polls", &self.exec_running_polls)
            .field("starting_gets", &self.starting_gets)
            .field("worker_threads", &self.worker_threads)
            .field("discard_prefixes", &self.discard_prefixes)
            .finish()
    }
}

impl Default for FakeIsloBuilder {
    fn default() -> Self {
        Self {
            api_key: DEFAULT_API_KEY.to_owned(),
            token_lifetime: Duration::from_secs(3600),
            exec_running_polls: 0,
            starting_gets: 0,
            worker_threads: 1,
            discard_prefixes: Vec::new(),
        }
    }
}

impl FakeIsloBuilder {
    /// The API key that `POST /auth/token` accepts (default [`DEFAULT_API_KEY`]).
    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        self.api_key = key.into();
        self
    }

    /// Lifetime of issued session tokens (default 3600 s). Reported as
    /// `cookie_max_age` (whole seconds, rounded down) and as the JWT `exp`;
    /// tokens are rejected with `401` once it has passed (sub-second
    /// lifetimes are honoured exactly by the server). A lifetime over 100 years is taken as
    /// 100 years (no clock holds `Duration::MAX` from now).
    pub fn token_lifetime(mut self, lifetime: Duration) -> Self {
        self.token_lifetime = lifetime.min(Duration::from_secs(100 * 365 * 24 * 3600));
        self
    }

    /// How many `GET …/exec/{exec_id}` polls report `"running"` before the
    /// terminal result is returned (default 0: the first poll is terminal).
    pub fn exec_running_polls(mut self, polls: u32) -> Self {
        self.exec_running_polls = polls;
        self
    }

    /// New sandboxes start in status `"starting"` and turn `"running"` after
    /// this many `GET /sandboxes/{sandbox_name}` requests (default 0: they are
    /// `"running"` immediately).
    pub fn sandbox_starting_gets(mut self, gets: u32) -> Self {
        self.starting_gets = gets;
        self
    }

    /// Number of tokio worker threads of the server's runtime (default 1: a
    /// current-thread runtime on a dedicated OS thread, which is the cheapest
    /// per request; values above 1 use a multi-threaded runtime).
    pub fn worker_threads(mut self, threads: usize) -> Self {
        self.worker_threads = threads.max(1);
        self
    }

    /// Uploads to `prefix` or below it (`upload_file` and `upload_archive`, in any
    /// sandbox; relative paths are taken from the sandbox's workdir) go to a sink: the
    /// request body is consumed as it arrives, never collected whole, and nothing is
    /// stored. The sink reads the multipart body with a streaming parser, counts the file
    /// part's bytes and computes their CRC-32; an archive is also decompressed and walked
    /// as it arrives (a corrupt or truncated one answers `400`, as the real server's
    /// extraction would), counting its files, directories, links and bytes. What it saw is
    /// reported by [`FakeIslo::discarded_uploads`]. Faults and authentication are checked
    /// before the body is read. May be called several times for several prefixes.
    ///
    /// Meant for large transfers (benchmarks, memory tests): a 1 GiB upload costs the
    /// fake a few kilobytes.
    ///
    /// ```
    /// # async fn demo() -> islo::Result<()> {
    /// let fake = islo::mock::FakeIslo::builder().discard_uploads_under("/sink").start().await?;
    /// let islo = fake.client()?;
    /// let sb = islo.new_sandbox(islo::sandbox::SandboxSpec::new()).await?;
    /// sb.upload_reader(&b"hello"[..], "/sink/hello.txt").await?;
    /// let seen = fake.discarded_uploads();
    /// assert_eq!(seen[0].bytes, 5);
    /// assert!(fake.read_file(sb.name(), "/sink/hello.txt").is_none());
    /// # Ok(()) }
    /// ```
    pub fn discard_uploads_under(mut self, prefix: impl Into<String>) -> Self {
        self.discard_prefixes
            .push(files::normalize(&prefix.into(), "/"));
        self
    }

    /// Binds both listeners on `127.0.0.1` (ephemeral ports) and starts the
    /// server thread.
    ///
    /// # Errors
    ///
    /// Binding a listener, building the runtime, spawning the thread, or
    /// parsing the embedded OpenAPI document failed.
    pub async fn start(self) -> crate::Result<FakeIslo> {
        self.start_blocking()
    }

    /// Like [`FakeIsloBuilder::start`], for code outside an async context.
    ///
    /// # Errors
    ///
    /// See [`FakeIsloBuilder::start`].
    pub fn start_blocking(self) -> crate::Result<FakeIslo> {
        let handle = server::start(self).map_err(|source| crate::Error::Io {
            context: "starting the fake Islo server".into(),
            source,
        })?;
        Ok(FakeIslo {
            handle: Arc::new(handle),
        })
    }
}

/// One command execution as seen by an [`FakeIslo::on_exec`] hook.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ExecCall {
    /// Name of the sandbox the command runs in.
    pub sandbox: String,
    /// The command vector (`command` of the request body).
    pub command: Vec<String>,
    /// Working directory from the request, if any.
    pub workdir: Option<String>,
    /// Environment variables from the request (`null` values are `None`).
    pub env: BTreeMap<String, Option<String>>,
    /// User from the request, if any.
    pub user: Option<String>,
    /// `timeout_secs` from the request, if any.
    pub timeout_secs: Option<u64>,
    /// `true` for `POST …/exec/stream`, `false` for `POST …/exec`.
    pub streaming: bool,
}

/// The outcome of a command, returned by an [`FakeIslo::on_exec`] hook.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ExecOutcome {
    /// Captured standard output.
    pub stdout: String,
    /// Captured standard error.
    pub stderr: String,
    /// Exit code (`None` is reported as `null`, e.g. for a timeout).
    pub exit_code: Option<i32>,
    /// Terminal status: `"completed"`, `"failed"` or `"timeout"`.
    pub status: String,
}

impl ExecOutcome {
    /// An outcome with the given exit code and output; status is
    /// `"completed"` for exit code 0 and `"failed"` otherwise.
    pub fn exited(code: i32, stdout: impl Into<String>, stderr: impl Into<String>) -> Self {
        Self {
            stdout: stdout.into(),
            stderr: stderr.into(),
            exit_code: Some(code),
            status: if code == 0 { "completed" } else { "failed" }.to_owned(),
        }
    }

    /// A successful outcome (exit code 0, status `"completed"`) with `stdout`.
    pub fn success(stdout: impl Into<String>) -> Self {
        Self::exited(0, stdout, "")
    }

    /// A timed-out outcome (status `"timeout"`, no exit code).
    pub fn timeout() -> Self {
        Self {
            stdout: String::new(),
            stderr: String::new(),
            exit_code: None,
            status: "timeout".to_owned(),
        }
    }

    /// The built-in behaviour used when no [`FakeIslo::on_exec`] hook is set.
    ///
    /// A tiny shell, good enough for SDK tests:
    ///
    /// * `echo ARGS…` → stdout `ARGS` joined by spaces plus `"\n"`
    ///   (`-n` suppresses the newline), exit 0;
    /// * `true` → 0; `false` → 1; `exit N` → N; `sleep N` → 0 (no delay);
    /// * `pwd` → the request's `workdir` (default `/workspace`);
    /// * `whoami` → the request's `user` (default `islo`);
    /// * `printenv NAME` → the value from the request's `env` (exit 1 if
    ///   unset); `env` → all of them as `K=V` lines;
    /// * `cd DIR` (for the rest of the script), `cat FILE…`, `ls [-a] [PATH…]`,
    ///   `mkdir [-p] DIR…`, `rm [-r] [-f] PATH…`, `touch FILE…`, and
    ///   `test` / `[ … ]` with `-e -f -d -s -n -z = != !` — on the sandbox's
    ///   files (those uploaded, those earlier commands wrote) when the fake runs
    ///   the command itself; called from an [`FakeIslo::on_exec`] hook, this
    ///   function works on an empty scratch file system that is thrown away;
    /// * `sh -c SCRIPT` / `bash -c SCRIPT` (also `-lc`, `-ec`) → SCRIPT is
    ///   split on `;`, newlines, `&&` and `||` and each piece runs as above;
    ///   single and double quotes and backslashes are honoured;
    /// * redirections: `> FILE`, `>> FILE`, `2> FILE`, `2>> FILE`, `>&2`,
    ///   `2>&1`, and `/dev/null` as the file;
    /// * anything else → exit 127 with stderr `"<cmd>: command not found …"`.
    ///
    /// Status is `"completed"` for exit code 0 and `"failed"` otherwise. There
    /// are no pipes, variables or globs: script those with
    /// [`FakeIslo::on_exec`].
    pub fn builtin(call: &ExecCall) -> Self {
        shell::run_builtin(call)
    }
}

type ExecHook = dyn Fn(&ExecCall) -> ExecOutcome + Send + Sync + 'static;

impl FakeIslo {
    /// Starts a fake with default settings (see [`FakeIsloBuilder`]).
    ///
    /// # Errors
    ///
    /// See [`FakeIsloBuilder::start`].
    pub async fn start() -> crate::Result<FakeIslo> {
        Self::builder().start().await
    }

    /// A builder for a customised fake.
    pub fn builder() -> FakeIsloBuilder {
        FakeIsloBuilder::default()
    }

    fn server(&self) -> &ServerState {
        &self.handle.server
    }

    /// Base URL of the control-plane listener, e.g. `http://127.0.0.1:40123`.
    pub fn control_url(&self) -> String {
        format!("http://{}", self.handle.control_addr)
    }

    /// Base URL of the compute-plane listener (a second port).
    pub fn compute_url(&self) -> String {
        format!("http://{}", self.handle.compute_addr)
    }

    /// The API key the token endpoint accepts.
    pub fn api_key(&self) -> String {
        self.server().config.api_key.clone()
    }

    /// An [`IsloBuilder`](crate::IsloBuilder) pointed at this fake: its key and both planes,
    /// `ISLO_*` environment variables ignored. Add options, then `build()`.
    pub fn client_builder(&self) -> crate::IsloBuilder {
        crate::Islo::builder()
            .ignore_env()
            .api_key(self.api_key())
            .control_url(self.control_url())
            .compute_url(self.compute_url())
    }

    /// A client with default options for this fake.
    pub fn client(&self) -> crate::Result<crate::Islo> {
        self.client_builder().build()
    }

    /// Every `n`th non-auth request (counting from the call) answers `503`
    /// with an `ErrorResponse` (`0` turns it off).
    pub fn fail_every_nth(&self, n: u64) {
        let f = &self.server().faults;
        f.nth_counter.store(0, Ordering::SeqCst);
        f.fail_every_nth.store(n, Ordering::SeqCst);
    }

    /// The next `count` non-auth requests answer `429` with a `Retry-After`
    /// header (whole seconds, rounded up).
    pub fn rate_limit_next(&self, count: u64, retry_after: Duration) {
        let f = &self.server().faults;
        let secs = retry_after
            .as_secs()
            .saturating_add(u64::from(retry_after.subsec_nanos() > 0));
        f.retry_after_secs.store(secs, Ordering::SeqCst);
        f.rate_limited.store(count, Ordering::SeqCst);
    }

    /// Invalidates every token issued so far (they answer `401`); tokens
    /// issued afterwards work.
    pub fn revoke_tokens(&self) {
        self.server().auth.revoke_all();
    }

    /// Adds `d` of latency before every response (`Duration::ZERO` = off).
    pub fn set_latency(&self, d: Duration) {
        let nanos = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        self.server()
            .faults
            .latency_nanos
            .store(nanos, Ordering::SeqCst);
    }

    /// Makes `POST /auth/token` answer this status with an `ErrorResponse`
    /// (`None` restores normal behaviour).
    pub fn fail_token_exchange(&self, status: Option<u16>) {
        let v = status.map_or(0, u64::from);
        self.server().faults.token_status.store(v, Ordering::SeqCst);
    }

    /// Scripts command execution: the hook decides the outcome of every
    /// subsequent exec (plain and streaming). Use [`ExecOutcome::builtin`] to
    /// fall back to the default behaviour.
    pub fn on_exec(&self, f: impl Fn(&ExecCall) -> ExecOutcome + Send + Sync + 'static) {
        let hook: Arc<ExecHook> = Arc::new(f);
        *server::lock(&self.server().exec_hook) = Some(hook);
    }

    /// Removes the [`FakeIslo::on_exec`] hook.
    pub fn clear_on_exec(&self) {
        *server::lock(&self.server().exec_hook) = None;
    }

    /// Number of `POST /auth/token` requests that issued a token.
    pub fn token_exchanges(&self) -> u64 {
        self.server().auth.exchanges.load(Ordering::SeqCst)
    }

    /// Requests received for an operation, by method and path template as in
    /// the OpenAPI document, e.g. `("GET", "/sandboxes/{sandbox_name}")`.
    /// Counts every request routed to the operation, including those that
    /// were answered with an injected fault or `401`.
    pub fn requests(&self, method: &str, path_template: &str) -> u64 {
        self.server().routes.count_for(method, path_template)
    }

    /// All requests received on both listeners (including unknown routes).
    pub fn total_requests(&self) -> u64 {
        self.server().total.load(Ordering::SeqCst)
    }

    /// `(method, concrete path)` of every request, in arrival order (the
    /// first 1,000,000 are kept).
    pub fn request_log(&self) -> Vec<(String, String)> {
        server::lock(&self.server().log)
            .iter()
            .map(|(m, p)| (m.as_str().to_owned(), p.clone()))
            .collect()
    }

    /// Clears the request counters and the request log.
    pub fn reset_counters(&self) {
        let s = self.server();
        s.routes.reset();
        s.total.store(0, Ordering::SeqCst);
        s.auth.exchanges.store(0, Ordering::SeqCst);
        server::lock(&s.log).clear();
    }

    /// Names of the sandboxes that currently exist, in creation order.
    pub fn sandbox_names(&self) -> Vec<String> {
        server::lock(&self.server().state).sandbox_names()
    }

    /// Content of a file in a sandbox's in-memory file system (absolute or
    /// workdir-relative path); `None` when the sandbox or the file does not exist. A
    /// generated file is produced in full.
    pub fn read_file(&self, sandbox: &str, path: &str) -> Option<Vec<u8>> {
        server::lock(&self.server().state).read_file(sandbox, path)
    }

    /// Stores `data` as a file of a sandbox (absolute or workdir-relative path), replacing
    /// what was there; an existing file keeps its permissions, a new one gets `0o644`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidRequest`](crate::Error::InvalidRequest) when the sandbox does not
    /// exist.
    pub fn put_file(
        &self,
        sandbox: &str,
        path: &str,
        data: impl Into<bytes::Bytes>,
    ) -> crate::Result<()> {
        server::lock(&self.server().state).put_file(sandbox, path, data.into())
    }

    /// Registers a file of `len` bytes whose content is generated from `seed`
    /// ([`GeneratedContent`]) when it is read: `download_file` streams it (with a
    /// `Content-Length`) and `download_archive` packs it, without ever holding it in
    /// memory.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidRequest`](crate::Error::InvalidRequest) when the sandbox does not
    /// exist.
    pub fn put_generated_file(
        &self,
        sandbox: &str,
        path: &str,
        len: u64,
        seed: u64,
    ) -> crate::Result<()> {
        server::lock(&self.server().state).put_generated(
            sandbox,
            path,
            [(String::new(), len, seed)],
        )
    }

    /// Registers the files of `tree` below `dir` as generated files (see
    /// [`FakeIslo::put_generated_file`]), with their directories.
    /// `download_archive` of `dir` then streams a tar.gz produced on the fly, compressed as
    /// it goes (gzip level 1), so the tree never sits in memory: only its list of files
    /// (about 100 bytes a file) does.
    ///
    /// ```
    /// # async fn demo() -> islo::Result<()> {
    /// use islo::mock::{FakeIslo, GeneratedTree};
    /// let fake = FakeIslo::start().await?;
    /// let sb = fake.client()?.new_sandbox(islo::sandbox::SandboxSpec::new()).await?;
    /// let tree = GeneratedTree::new(1000, 10_000_000).seed(7);
    /// fake.put_generated_tree(sb.name(), "/workspace/data", &tree)?;
    /// let dir = tempfile::tempdir().unwrap();
    /// let summary = sb.download_dir("/workspace/data", dir.path()).await?;
    /// assert_eq!((summary.files, summary.bytes), (1000, 10_000_000));
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::InvalidRequest`](crate::Error::InvalidRequest) when the sandbox does not
    /// exist.
    pub fn put_generated_tree(
        &self,
        sandbox: &str,
        dir: &str,
        tree: &GeneratedTree,
    ) -> crate::Result<()> {
        let files = tree.entries().map(|e| (e.path, e.len, e.seed));
        server::lock(&self.server().state).put_generated(sandbox, dir, files)
    }

    /// The uploads the sink consumed (see [`FakeIsloBuilder::discard_uploads_under`]), in
    /// the order they completed (the first 100,000 are kept). Uploads the sink refused
    /// are not listed.
    pub fn discarded_uploads(&self) -> Vec<DiscardedUpload> {
        server::lock(&self.server().discarded).clone()
    }

    /// Stops the server now (also happens when the last handle is dropped).
    /// Open connections are closed; later requests fail to connect.
    pub fn shutdown(&self) {
        self.handle.shutdown();
    }
}

//! Building an [`Islo`] client: options, environment variables, defaults.

use crate::auth::TokenSlot;
use crate::error::Error;
use crate::secret::Secret;
use crate::transport::{Base, CallSettings, Credentials, IsloTransport, Sender, Shared};
use crate::Islo;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use std::sync::Arc;
use std::time::Duration;

/// The production control plane.
pub const PRODUCTION_CONTROL_URL: &str = "https://api.islo.dev";
/// The production compute plane.
pub const PRODUCTION_COMPUTE_URL: &str = "https://ca.compute.islo.dev";
/// Environment variable holding the API key.
pub const ENV_API_KEY: &str = "ISLO_API_KEY";
/// Environment variable overriding the control-plane URL (the name Islo's other SDKs use).
pub const ENV_BASE_URL: &str = "ISLO_BASE_URL";
/// Environment variable overriding the compute-plane URL.
pub const ENV_COMPUTE_URL: &str = "ISLO_COMPUTE_URL";

/// A pair of control- and compute-plane base URLs. Its `Debug` does not show a user name
/// or password a URL carries.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Environment {
    /// The control-plane base URL.
    pub control_url: String,
    /// The compute-plane base URL.
    pub compute_url: String,
}

impl Environment {
    /// An environment with the given base URLs.
    pub fn new(control_url: impl Into<String>, compute_url: impl Into<String>) -> Self {
        Self {
            control_url: control_url.into(),
            compute_url: compute_url.into(),
        }
    }

    /// Islo's production environment.
    pub fn production() -> Self {
        Self::new(PRODUCTION_CONTROL_URL, PRODUCTION_COMPUTE_URL)
    }
}

impl std::fmt::Debug for Environment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Environment")
            .field("control_url", &shown_url(&self.control_url))
            .field("compute_url", &shown_url(&self.compute_url))
            .finish()
    }
}

/// A base URL as it may be shown: user name and password replaced, credential shapes
/// redacted; one that does not parse is not shown at all (it may still hold a password).
fn shown_url(raw: &str) -> String {
    match reqwest::Url::parse(raw.trim()) {
        Ok(mut url) => {
            if url.password().is_some() {
                let _ = url.set_password(Some("redacted"));
            }
            if !url.username().is_empty() {
                let _ = url.set_username("redacted");
            }
            crate::secret::redact_credentials(url.as_str())
        }
        Err(_) => "(not a URL; not shown)".to_string(),
    }
}

impl Default for Environment {
    fn default() -> Self {
        Self::production()
    }
}

/// Builds an [`Islo`] client. Start with [`Islo::builder`].
///
/// URL precedence: an explicit [`control_url`](Self::control_url)/[`compute_url`](Self::compute_url)
/// beats [`environment`](Self::environment), which beats `ISLO_BASE_URL`/`ISLO_COMPUTE_URL`,
/// which beat production.
#[derive(Clone, Default)]
pub struct IsloBuilder {
    api_key: Option<Secret>,
    session_token: Option<Secret>,
    control_url: Option<String>,
    compute_url: Option<String>,
    environment: Option<Environment>,
    http_client: Option<reqwest::Client>,
    headers: Vec<(String, String)>,
    middleware: Vec<Arc<dyn reqwest_middleware::Middleware>>,
    settings: CallSettings,
    refresh_margin: Option<Duration>,
    exchange_timeout: Option<Duration>,
    /// Set by [`IsloBuilder::ignore_env`] (so that `Default` reads the environment, as
    /// [`Islo::builder`] does).
    ignore_env: bool,
}

impl std::fmt::Debug for IsloBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IsloBuilder")
            .field("api_key", &self.api_key)
            .field("session_token", &self.session_token)
            .field("control_url", &self.control_url.as_deref().map(shown_url))
            .field("compute_url", &self.compute_url.as_deref().map(shown_url))
            .field("environment", &self.environment)
            .field("settings", &self.settings)
            .field("middleware", &self.middleware.len())
            .finish_non_exhaustive()
    }
}

/// Checks a base URL and returns it without a trailing `/`. Error messages never echo the
/// text given: a URL may carry a password (`https://user:pass@host`).
fn validate_url(what: &str, raw: &str) -> Result<String, Error> {
    let trimmed = raw.trim().trim_end_matches('/');
    let url = reqwest::Url::parse(trimmed)
        .map_err(|e| Error::Config(format!("the {what} is not a URL ({e})")))?;
    // What can be shown of it: scheme, host and port.
    let shown = crate::transport::origin(&url);
    if !matches!(url.scheme(), "http" | "https") {
        return Err(Error::Config(format!(
            "the {what} must be http or https, not `{}`",
            url.scheme()
        )));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(Error::Config(format!("the {what} has no host")));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::Config(format!(
            "the {what} ({shown}) must not carry credentials"
        )));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(Error::Config(format!(
            "the {what} ({shown}) must not have a query or fragment"
        )));
    }
    if url.scheme() == "https" && !TLS {
        return Err(Error::Config(format!(
            "the {what} ({shown}) is https, but this build of islo has no TLS: enable its \
             `rustls` or `native-tls` feature"
        )));
    }
    Ok(trimmed.to_string())
}

/// Whether this build can speak TLS.
const TLS: bool = cfg!(any(feature = "rustls", feature = "native-tls"));

/// The `reqwest::Client` used when the caller brings none: one per tokio runtime, shared by
/// every client built in it (a clone costs a reference count), so a client built per task
/// is cheap and reuses the runtime's connections.
///
/// Not one per process: a pooled connection is driven by a task of the runtime that opened
/// it, so a client of another runtime that picked it up would hang while that runtime is
/// idle and fail ("runtime dropped the dispatch task") once it is dropped, as when one
/// `#[tokio::test]` ends while another runs. Clients built outside any runtime share one.
/// The TLS setup, the costly part of a client, is made once per process.
fn default_http_client() -> Result<reqwest::Client, Error> {
    /// Runtimes remembered; the client of the oldest is let go beyond that (clients that
    /// hold it keep it; new ones built in that runtime get a fresh one).
    const KEPT: usize = 8;
    type Clients = Vec<(Option<tokio::runtime::Id>, reqwest::Client)>;
    static CLIENTS: std::sync::Mutex<Clients> = std::sync::Mutex::new(Vec::new());
    let runtime = tokio::runtime::Handle::try_current().ok().map(|h| h.id());
    let find = |clients: &Clients| {
        clients
            .iter()
            .find(|(r, _)| *r == runtime)
            .map(|(_, c)| c.clone())
    };
    let lock = || {
        CLIENTS
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    };
    if let Some(client) = find(&lock()) {
        return Ok(client);
    }
    let client = build_http_client()?;
    let mut clients = lock();
    // Two callers racing here both build one; the first one stored is the one kept.
    if let Some(stored) = find(&clients) {
        return Ok(stored);
    }
    if clients.len() >= KEPT {
        clients.remove(0);
    }
    clients.push((runtime, client.clone()));
    Ok(client)
}

fn build_http_client() -> Result<reqwest::Client, Error> {
    let builder = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("islo-rust/", env!("CARGO_PKG_VERSION")));
    // Retrying is the send loop's job. reqwest's own retry layer only ever replays HTTP/2
    // protocol refusals, so over HTTP/1.1 (this crate without its `http2` feature) it can
    // never fire, yet it would still copy every request in case it does: switched off.
    #[cfg(not(feature = "http2"))]
    let builder = builder
        .http1_only()
        .retry(reqwest::retry::never().max_retries_per_request(0));
    // native-tls is reqwest's default backend whenever it is enabled (also next to rustls).
    #[cfg(feature = "native-tls")]
    let builder = builder.tls_backend_preconfigured(shared_native_tls()?);
    builder
        .build()
        .map_err(|e| Error::Config(format!("cannot build the HTTP client: {e}")))
}

/// The native-tls connector every default client uses, set up once per process (it loads
/// the system's root certificates, which costs far more than the rest of a client), with
/// the ALPN protocols reqwest would offer itself.
#[cfg(feature = "native-tls")]
fn shared_native_tls() -> Result<native_tls::TlsConnector, Error> {
    static SHARED: std::sync::OnceLock<native_tls::TlsConnector> = std::sync::OnceLock::new();
    if let Some(tls) = SHARED.get() {
        return Ok(tls.clone());
    }
    let alpn: &[&str] = if cfg!(feature = "http2") {
        &["h2", "http/1.1"]
    } else {
        &["http/1.1"]
    };
    let tls = native_tls::TlsConnector::builder()
        .request_alpns(alpn)
        .build()
        .map_err(|e| Error::Config(format!("cannot set up TLS: {e}")))?;
    Ok(SHARED.get_or_init(|| tls).clone())
}

fn env_nonempty(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

impl IsloBuilder {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// The Islo API key (`ak_...`). Default: `$ISLO_API_KEY`.
    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        self.api_key = Some(Secret::new(key.into()));
        self
    }

    /// Use a session JWT you already hold: no exchange, no refresh.
    pub fn session_token(mut self, jwt: impl Into<String>) -> Self {
        self.session_token = Some(Secret::new(jwt.into()));
        self
    }

    /// The control-plane base URL (may include a path prefix, such as
    /// `https://gw.example.com/islo`). Default: the [`environment`](Self::environment)'s,
    /// else `$ISLO_BASE_URL`, else production.
    pub fn control_url(mut self, url: impl Into<String>) -> Self {
        self.control_url = Some(url.into());
        self
    }

    /// The compute-plane base URL. Default: the [`environment`](Self::environment)'s, else
    /// `$ISLO_COMPUTE_URL`, else production.
    pub fn compute_url(mut self, url: impl Into<String>) -> Self {
        self.compute_url = Some(url.into());
        self
    }

    /// Both planes at once: above `$ISLO_BASE_URL` and `$ISLO_COMPUTE_URL` (so both planes
    /// stay in the deployment named here), below [`control_url`](Self::control_url) and
    /// [`compute_url`](Self::compute_url).
    pub fn environment(mut self, env: Environment) -> Self {
        self.environment = Some(env);
        self
    }

    /// Bring your own `reqwest::Client` (timeouts, proxy, TLS). It is used for both planes
    /// and for the token exchange. Build it with `redirect(Policy::none())` to get this SDK's
    /// redirect policy (same-origin only); otherwise the client's own policy applies first.
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http_client = Some(client);
        self
    }

    /// Adds a [`reqwest_middleware::Middleware`] that sees every attempt of every API call
    /// (retries, the replay after a 401 and followed redirects each pass through it), after the
    /// SDK has set `Authorization`. Middleware added first runs outermost. Use it for metrics,
    /// logging or request signing; retries, auth and redirects stay the SDK's. A middleware
    /// error is returned as [`Error::Middleware`] and is not retried. The token exchange does
    /// not go through it. Without middleware, requests go straight to reqwest.
    ///
    /// ```
    /// use reqwest_middleware::{Middleware, Next};
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    ///
    /// struct CountAttempts(AtomicUsize);
    ///
    /// #[async_trait::async_trait]
    /// impl Middleware for CountAttempts {
    ///     async fn handle(
    ///         &self,
    ///         req: reqwest::Request,
    ///         ext: &mut http::Extensions,
    ///         next: Next<'_>,
    ///     ) -> reqwest_middleware::Result<reqwest::Response> {
    ///         self.0.fetch_add(1, Ordering::Relaxed);
    ///         next.run(req, ext).await
    ///     }
    /// }
    ///
    /// let islo = islo::Islo::builder()
    ///     .api_key("ak_example")
    ///     .middleware(CountAttempts(AtomicUsize::new(0)))
    ///     .build()?;
    /// # Ok::<(), islo::Error>(())
    /// ```
    pub fn middleware<M: reqwest_middleware::Middleware>(mut self, middleware: M) -> Self {
        self.middleware.push(Arc::new(middleware));
        self
    }

    /// Total attempts per call, first try included (default 2; 1 disables retries).
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.settings.retry.max_attempts = attempts.max(1);
        self
    }

    /// The largest JSON success body a call reads (default
    /// [`DEFAULT_MAX_RESPONSE_BYTES`](crate::DEFAULT_MAX_RESPONSE_BYTES), 64 MiB). A larger
    /// one, or one whose `Content-Length` says it is larger, fails with
    /// [`Error::TooLarge`](crate::Error::TooLarge) without being read further, so a broken
    /// or hostile server cannot make a call buffer without end. Decoding can take up to
    /// about 30 times the body's size for a body built to hurt (see the constant). Downloads
    /// and event streams are streamed and not limited by this.
    pub fn max_response_bytes(mut self, bytes: u64) -> Self {
        self.settings.max_response_bytes = Some(bytes);
        self
    }

    /// Also replay POST/PATCH calls after a 5xx or timeout that the server may have processed.
    /// Off by default; only do this for calls you know are safe to repeat.
    pub fn retry_non_idempotent(mut self, yes: bool) -> Self {
        self.settings.retry.retry_non_idempotent = yes;
        self
    }

    /// Bounds of the exponential backoff between attempts (default 250 ms to 8 s, with jitter).
    pub fn retry_backoff(mut self, min: Duration, max: Duration) -> Self {
        self.settings.retry.backoff_min = min;
        self.settings.retry.backoff_max = max.max(min);
        self
    }

    /// The longest `Retry-After` honoured (default 60 s); longer requests are capped to it.
    pub fn max_retry_after(mut self, cap: Duration) -> Self {
        self.settings.retry.max_retry_after = cap;
        self
    }

    /// The whole retry policy at once (see [`crate::retry`]).
    pub fn retry_policy(mut self, policy: crate::retry::RetryPolicy) -> Self {
        self.settings.retry = policy;
        self
    }

    /// A header sent on every request (both planes and the exchange), unless the request sets
    /// that header itself (`Content-Type` of a body, `Accept`, `api-version`,
    /// `Authorization`): the request's own value stands. Set twice, both values go out.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Timeout for each attempt of a non-streaming call: a retried call can take
    /// [`max_attempts`](Self::max_attempts) times it, plus the waits between (bound a whole
    /// call with `tokio::time::timeout`). Streams, downloads and streamed uploads are not cut:
    /// each takes as long as its data does. The wait for a stream's or a download's answer to
    /// start is bounded by it, though ([`Error::Deadline`](crate::Error::Deadline) when it
    /// passes; retried like a timeout when the call can be replayed), and so are the reading
    /// of an error answer (kept as far as it came) and of a streamed upload's answer. A
    /// transfer also fails when it stands still that long: a streamed upload the server
    /// stops taking, or whose answer has not started that long after its last byte (a slow
    /// source of the body is waited for), with `Error::Deadline`; and a download whose data
    /// stops coming. Through a [`Sandbox`](crate::sandbox::Sandbox) helper that is an
    /// `Error::Deadline` too; the body stream of a typed download operation
    /// ([`Islo::download_file`](crate::Islo::download_file),
    /// [`Islo::download_archive`](crate::Islo::download_archive)) ends with a
    /// `reqwest::Error` whose `is_timeout()` is true. An exec or event stream may stay quiet
    /// for as long as its command does.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.settings.timeout = Some(timeout);
        self
    }

    /// How long before expiry a session token is refreshed (default 60 s). Clients of one
    /// key and control URL share one token cache: a token is used until the margin of the
    /// client whose call fetched it.
    pub fn token_refresh_margin(mut self, margin: Duration) -> Self {
        self.refresh_margin = Some(margin);
        self
    }

    /// Timeout of the token exchange request (default: the timeout of the call that needs
    /// the exchange, including one set with [`Islo::with_timeout`], else 30 s).
    pub fn exchange_timeout(mut self, timeout: Duration) -> Self {
        self.exchange_timeout = Some(timeout);
        self
    }

    /// Ignore `ISLO_*` environment variables (useful in tests).
    pub fn ignore_env(mut self) -> Self {
        self.ignore_env = true;
        self
    }

    /// Validates the options and builds the client. Fails on a missing or blank API key,
    /// a URL that is not http(s), or an invalid header.
    pub fn build(self) -> Result<Islo, Error> {
        let env = |name: &str| {
            if !self.ignore_env {
                env_nonempty(name)
            } else {
                None
            }
        };
        // An explicit URL, then the environment set in code (both planes of one deployment),
        // then the variables, then production.
        let (env_control, env_compute) = match &self.environment {
            Some(e) => (Some(e.control_url.clone()), Some(e.compute_url.clone())),
            None => (env(ENV_BASE_URL), env(ENV_COMPUTE_URL)),
        };
        let production = Environment::default();
        let control = validate_url(
            "control URL",
            &self
                .control_url
                .clone()
                .or(env_control)
                .unwrap_or(production.control_url),
        )?;
        let compute = validate_url(
            "compute URL",
            &self
                .compute_url
                .clone()
                .or(env_compute)
                .unwrap_or(production.compute_url),
        )?;

        let mut headers = HeaderMap::new();
        for (k, v) in &self.headers {
            let name = HeaderName::from_bytes(k.as_bytes())
                .map_err(|_| Error::Config(format!("invalid header name `{k}`")))?;
            let value = HeaderValue::from_str(v)
                .map_err(|_| Error::Config(format!("invalid value for header `{k}`")))?;
            headers.append(name, value);
        }

        let http = match self.http_client {
            Some(c) => c,
            None => default_http_client()?,
        };

        let credentials = match (self.session_token, self.api_key) {
            (Some(t), _) => {
                if t.expose().trim().is_empty() {
                    return Err(Error::Config("the session token is empty".into()));
                }
                let header = crate::transport::bearer(&t)?;
                Credentials::Static(t, header)
            }
            (None, key) => {
                let key = match key {
                    Some(k) => k,
                    None => env(ENV_API_KEY).map(Secret::new).ok_or_else(|| {
                        Error::Config(if self.ignore_env {
                            "no API key: call .api_key(..) (the environment is ignored)".into()
                        } else {
                            format!("no API key: call .api_key(..) or set {ENV_API_KEY}")
                        })
                    })?,
                };
                if key.expose().trim().is_empty() {
                    return Err(Error::Config("the API key is empty".into()));
                }
                if key.expose().trim() != key.expose() || key.expose().contains(char::is_control) {
                    return Err(Error::Config(
                        "the API key has surrounding whitespace or control characters".into(),
                    ));
                }
                let url = reqwest::Url::parse(&format!("{control}/auth/token")).map_err(|e| {
                    Error::Config(format!("the base URL does not take a path ({e})"))
                })?;
                Credentials::Exchange {
                    slot: TokenSlot::shared(&control, &key),
                    key,
                    refresh_margin: self.refresh_margin.unwrap_or(Duration::from_secs(60)),
                    url,
                }
            }
        };

        let sender = if self.middleware.is_empty() {
            Sender::Direct(http.clone())
        } else {
            let stack = self.middleware.into_iter().fold(
                reqwest_middleware::ClientBuilder::new(http.clone()),
                |b, m| b.with_arc(m),
            );
            Sender::Middleware(stack.build())
        };
        let shared = Arc::new(Shared {
            credentials,
            http,
            control: Base::new(control)?,
            compute: Base::new(compute)?,
            headers,
            exchange_timeout: self.exchange_timeout,
            sender,
        });
        Ok(Islo::from_transport(IsloTransport::new(
            shared,
            self.settings,
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// reqwest accepts the shared TLS connector (a native-tls version it does not know
    /// would fail `build`), inside a runtime and outside one. That a runtime's client is its
    /// own is `client_routing.rs`'s `a_client_built_in_another_runtime_…` (over HTTP).
    #[test]
    fn the_default_client_builds_in_and_outside_a_runtime() {
        default_http_client().unwrap();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        runtime.block_on(async { default_http_client().unwrap() });
    }

    #[test]
    fn urls_must_be_http_with_a_host() {
        assert!(validate_url("control URL", "ftp://x").is_err());
        assert!(validate_url("control URL", "not a url").is_err());
        assert!(validate_url("control URL", "http://").is_err());
        assert!(validate_url("control URL", "https://u:p@x.dev").is_err());
        assert_eq!(
            validate_url("control URL", "http://gw.example.com/islo/").unwrap(),
            "http://gw.example.com/islo"
        );
    }

    #[test]
    fn blank_keys_are_refused() {
        for key in ["", "   ", " ak_x", "ak\n"] {
            let e = IsloBuilder::new()
                .ignore_env()
                .api_key(key)
                .build()
                .unwrap_err();
            assert!(matches!(e, Error::Config(_)), "{key:?}: {e}");
        }
    }

    /// With the environment ignored, the message does not send the caller to a variable.
    #[test]
    fn missing_key_says_the_environment_is_ignored() {
        let e = IsloBuilder::new()
            .ignore_env()
            .control_url("http://127.0.0.1:9")
            .compute_url("http://127.0.0.1:9")
            .build()
            .unwrap_err();
        assert!(!e.to_string().contains("ISLO_API_KEY"), "{e}");
        assert!(e.to_string().contains("ignored"), "{e}");
    }

    #[test]
    fn https_needs_a_tls_backend_and_the_error_names_the_features() {
        let built = IsloBuilder::new()
            .ignore_env()
            .api_key("ak_tls_probe")
            .control_url("https://api.example.com")
            .compute_url("http://127.0.0.1:9")
            .build();
        if TLS {
            built.unwrap();
        } else {
            let e = built.unwrap_err();
            assert!(matches!(e, Error::Config(_)), "{e:?}");
            let text = e.to_string();
            assert!(
                text.contains("rustls") && text.contains("native-tls"),
                "{text}"
            );
        }
        // Plain http works either way.
        IsloBuilder::new()
            .ignore_env()
            .api_key("ak_tls_probe")
            .control_url("http://127.0.0.1:9")
            .compute_url("http://127.0.0.1:9")
            .build()
            .unwrap();
    }

    #[test]
    fn builder_debug_hides_the_key() {
        let b = IsloBuilder::new().api_key("ak_very_secret_value");
        assert!(!format!("{b:?}").contains("very_secret"));
    }
}

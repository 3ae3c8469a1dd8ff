#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod archive;
mod auth;
mod config;
mod error;
pub mod exec;
pub mod files;
mod finite;
mod idle;
pub mod meta;
#[cfg(feature = "mock")]
#[cfg_attr(docsrs, doc(cfg(feature = "mock")))]
pub mod mock;
pub mod pages;
pub mod requests;
pub mod retry;
pub mod sandbox;
mod secret;
pub mod sse;
mod transport;

pub use config::{
    Environment, IsloBuilder, ENV_API_KEY, ENV_BASE_URL, ENV_COMPUTE_URL, PRODUCTION_COMPUTE_URL,
    PRODUCTION_CONTROL_URL,
};
pub use error::{ApiError, AuthError, Error, ErrorBody, ErrorKind, Result, StreamError};
pub use islo_generated::{ByteStream, DateTime, DateTimeError, Patch, ResponseValue};
pub use meta::API_VERSION;
pub use secret::Secret;
pub use transport::DEFAULT_MAX_RESPONSE_BYTES;

use std::sync::Arc;
use std::time::Duration;
use transport::IsloTransport;

/// The API's models, enums and unions (generated from the spec). String enums are open: a
/// value the server adds later decodes as `Unknown(String)` instead of failing. The one
/// exception is the tag of a union (`type`, `op`, `kind`, ...), which says which member a
/// value is: a union member this SDK does not know fails to decode ([`Error::Decode`]).
/// Date-times
/// are [`DateTime`]s: RFC 3339 or ISO 8601 without an offset (read as UTC), encoded back to
/// the text they were decoded from. The update bodies (`GatewayProfileUpdate`, ...) have
/// three-state optional fields ([`Patch`]): left out, `null` (clears the field) or a value.
pub mod types {
    pub use islo_generated::open_enums::*;
    pub use islo_generated::types::*;
    pub use islo_generated::updates::*;
    pub use islo_generated::{DateTime, DateTimeError, Patch};
}

/// A raw response body stream, as streaming operations return it.
pub type RawByteStream = std::pin::Pin<
    Box<dyn futures_util::Stream<Item = reqwest::Result<bytes::Bytes>> + Send + Sync>,
>;

/// The generated bindings underneath (types, progenitor's positional client and httpmock
/// helpers).
pub use islo_generated as raw;

/// The `reqwest-middleware` version this SDK accepts in
/// [`IsloBuilder::middleware`](crate::IsloBuilder::middleware).
pub use reqwest_middleware;

/// The Islo client. Cheap to clone (one reference count); clones share the connection
/// pool and the token cache.
///
/// Every API operation is a method (`islo.get_sandbox(name)`, `islo.list_jobs()`, ...) that
/// returns a request builder from [`requests`]; `.await` it to send it. [`Islo::sandbox`]
/// gives the handle most work goes through. Every call, and every helper, fails with
/// [`Error`].
#[derive(Clone)]
pub struct Islo {
    inner: Arc<Clients>,
}

/// What an [`Islo`] holds: one generated client per plane, over one send path.
struct Clients {
    /// The generated client addressing the control plane.
    control: islo_generated::Client,
    /// The generated client addressing the compute plane.
    compute: islo_generated::Client,
    transport: Arc<IsloTransport>,
}

impl std::fmt::Debug for Islo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Islo")
            .field("control_url", &self.inner.transport.shared.control.text)
            .field("compute_url", &self.inner.transport.shared.compute.text)
            .field("settings", &self.inner.transport.settings)
            .finish_non_exhaustive()
    }
}

impl Islo {
    /// Starts building a client.
    pub fn builder() -> IsloBuilder {
        IsloBuilder::new()
    }

    /// A client configured only from `ISLO_API_KEY`, `ISLO_BASE_URL` and `ISLO_COMPUTE_URL`.
    pub fn from_env() -> Result<Self> {
        IsloBuilder::new().build()
    }

    pub(crate) fn from_transport(transport: IsloTransport) -> Self {
        let transport = Arc::new(transport);
        let shared = &transport.shared;
        let inner =
            islo_generated::Inner::new(transport.clone() as Arc<dyn islo_generated::Transport>);
        let client = |base: &str| {
            islo_generated::Client::new_with_client(base, shared.http.clone(), inner.clone())
        };
        Self {
            inner: Arc::new(Clients {
                control: client(&shared.control.text),
                compute: client(&shared.compute.text),
                transport,
            }),
        }
    }

    fn with_settings(&self, change: impl FnOnce(&mut transport::CallSettings)) -> Self {
        let mut settings = self.inner.transport.settings.clone();
        change(&mut settings);
        Self::from_transport(IsloTransport::new(
            self.inner.transport.shared.clone(),
            settings,
        ))
    }

    /// A clone whose calls make at most `attempts` attempts (1 = no retries).
    pub fn with_max_attempts(&self, attempts: u32) -> Self {
        self.with_settings(|s| s.retry.max_attempts = attempts.max(1))
    }

    /// A clone whose non-streaming calls time out after `timeout`, each attempt (a retried
    /// call can take [`IsloBuilder::max_attempts`] times it, plus the waits between).
    pub fn with_timeout(&self, timeout: Duration) -> Self {
        self.with_settings(|s| s.timeout = Some(timeout))
    }

    /// A clone that also replays non-idempotent calls (POST, PATCH) after a 5xx or timeout.
    pub fn with_retry_non_idempotent(&self, yes: bool) -> Self {
        self.with_settings(|s| s.retry.retry_non_idempotent = yes)
    }

    /// The retry policy of this client's calls.
    pub fn retry_policy(&self) -> &retry::RetryPolicy {
        &self.inner.transport.settings.retry
    }

    /// The control-plane base URL in use.
    pub fn control_url(&self) -> &str {
        &self.inner.transport.shared.control.text
    }

    /// The state every clone shares (for the helpers' redaction of stream errors).
    pub(crate) fn shared(&self) -> &Arc<transport::Shared> {
        &self.inner.transport.shared
    }

    /// The compute-plane base URL in use.
    pub fn compute_url(&self) -> &str {
        &self.inner.transport.shared.compute.text
    }
}

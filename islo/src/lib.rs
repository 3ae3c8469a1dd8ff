#![doc = include_str!("../../README.md")]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod archive;
mod auth;
mod config;
mod error;
pub mod exec;
pub mod files;
pub mod lifecycle;
#[cfg(feature = "mock")]
pub mod mock;
pub mod pages;
mod secret;
pub mod sse;
mod transport;

pub use config::{
    Environment, IsloBuilder, ENV_API_KEY, ENV_BASE_URL, ENV_COMPUTE_URL, PRODUCTION_COMPUTE_URL,
    PRODUCTION_CONTROL_URL,
};
pub use error::{ApiError, AuthError, Error, ErrorBody, ErrorKind, Result};
pub use islo_generated::meta;
pub use islo_generated::{ByteStream, ResponseValue};
pub use secret::Secret;

use std::sync::Arc;
use std::time::Duration;
use transport::IsloTransport;

/// The API's models, enums and unions (generated from the spec). String enums are open: a
/// value the server adds later decodes as `Unknown(String)` instead of failing.
pub mod types {
    pub use islo_generated::open_enums::*;
    pub use islo_generated::types::*;
}

/// A raw response body stream, as streaming operations return it.
pub type RawByteStream = std::pin::Pin<
    Box<dyn futures_util::Stream<Item = reqwest::Result<bytes::Bytes>> + Send + Sync>,
>;

/// The raw generated bindings, for callers who want them directly.
pub use islo_generated as raw;

/// The `reqwest-middleware` version this SDK accepts in
/// [`IsloBuilder::middleware`](crate::IsloBuilder::middleware).
pub use reqwest_middleware;

/// Brings every operation (`islo.create_sandbox()`, `islo.list_jobs()`, ...) into scope.
pub mod prelude {
    pub use crate::Islo;
    pub use islo_generated::prelude::*;
}

/// The Islo client. Cheap to clone; clones share the connection pool and token cache.
///
/// Every API operation is a method (through [`Deref`](std::ops::Deref) to the generated
/// client, with `use islo::prelude::*`), grouped by resource: `ClientSandboxesExt`,
/// `ClientJobsExt`, ... Errors convert into [`Error`] with `?`.
#[derive(Clone)]
pub struct Islo {
    client: islo_generated::Client,
    transport: Arc<IsloTransport>,
}

impl std::fmt::Debug for Islo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Islo")
            .field("control_url", &self.transport.shared.control_url)
            .field("compute_url", &self.transport.shared.compute_url)
            .field("settings", &self.transport.settings)
            .finish_non_exhaustive()
    }
}

impl std::ops::Deref for Islo {
    type Target = islo_generated::Client;
    fn deref(&self) -> &Self::Target {
        &self.client
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
        let inner = transport
            .shared
            .routes
            .with_transport(Some(transport.clone() as Arc<dyn islo_generated::Transport>));
        let client = islo_generated::Client::new_with_client(
            &transport.shared.control_url,
            transport.shared.http.clone(),
            inner,
        );
        Self { client, transport }
    }

    fn with_settings(&self, change: impl FnOnce(&mut transport::CallSettings)) -> Self {
        let mut settings = self.transport.settings.clone();
        change(&mut settings);
        Self::from_transport(IsloTransport::new(self.transport.shared.clone(), settings))
    }

    /// A clone whose calls make at most `attempts` attempts (1 = no retries).
    pub fn with_max_attempts(&self, attempts: u32) -> Self {
        self.with_settings(|s| s.max_attempts = attempts.max(1))
    }

    /// A clone whose non-streaming calls time out after `timeout`.
    pub fn with_timeout(&self, timeout: Duration) -> Self {
        self.with_settings(|s| s.timeout = Some(timeout))
    }

    /// A clone that also replays non-idempotent calls (POST, PATCH) after a 5xx or timeout.
    pub fn with_retry_non_idempotent(&self, yes: bool) -> Self {
        self.with_settings(|s| s.retry_non_idempotent = yes)
    }

    /// The control-plane base URL in use.
    pub fn control_url(&self) -> &str {
        &self.transport.shared.control_url
    }

    /// The compute-plane base URL in use.
    pub fn compute_url(&self) -> &str {
        &self.transport.shared.compute_url
    }

    /// The generated client underneath.
    pub fn raw_client(&self) -> &islo_generated::Client {
        &self.client
    }
}

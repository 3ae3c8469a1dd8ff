//! progenitor's hooks for the generated [`Client`]. The orphan rule keeps this impl in the
//! crate that defines `Client`; everything it does is hand the request to the [`Transport`]
//! the client was built with (the `islo` crate's send path: auth, retries, redirects,
//! multipart framing, tracing, errors), or to plain reqwest without one.

use crate::Client;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

/// A boxed, sendable future, as [`Transport::execute`] returns it.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Sends the requests of a generated [`Client`]. The `islo` crate implements it.
pub trait Transport: Send + Sync + 'static {
    /// Sends `request`, built by the generated code of the operation `operation_id`.
    fn execute<'a>(
        &'a self,
        request: reqwest::Request,
        operation_id: &'static str,
    ) -> BoxFuture<'a, reqwest::Result<reqwest::Response>>;
}

/// The state a generated [`Client`] carries (progenitor's `with_inner_type`): the
/// [`Transport`] that sends its requests, or none for plain reqwest.
#[derive(Clone, Default)]
pub struct Inner {
    transport: Option<Arc<dyn Transport>>,
}

impl Inner {
    /// Requests go through `transport`.
    pub fn new(transport: Arc<dyn Transport>) -> Self {
        Self {
            transport: Some(transport),
        }
    }
}

impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let transport = if self.transport.is_some() {
            "custom"
        } else {
            "reqwest"
        };
        f.debug_struct("Inner")
            .field("transport", &transport)
            .finish()
    }
}

impl progenitor_client::ClientHooks<Inner> for Client {
    async fn exec(
        &self,
        request: reqwest::Request,
        info: &progenitor_client::OperationInfo,
    ) -> reqwest::Result<reqwest::Response> {
        match &self.inner.transport {
            Some(transport) => transport.execute(request, info.operation_id).await,
            None => self.client.execute(request).await,
        }
    }
}

//! Shared set-up for the workflow tests.
#![allow(dead_code)]

use httpmock::MockServer;
use islo::mock::{FakeIslo, FakeIsloBuilder};
use islo::{types, Islo};
use std::time::Duration;

/// A client for `fake` with short backoff.
pub fn client_for(fake: &FakeIslo) -> Islo {
    fake.client_builder()
        .retry_backoff(Duration::from_millis(5), Duration::from_millis(20))
        .build()
        .expect("client builds")
}

/// A fake with one running sandbox `sb`, and a client for it.
pub async fn fake_with_sandbox(builder: FakeIsloBuilder) -> (FakeIslo, Islo) {
    let fake = builder.start().await.expect("fake starts");
    let islo = client_for(&fake);
    islo.create_sandbox(types::SandboxCreate {
        name: Some("sb".into()),
        ..Default::default()
    })
    .send()
    .await
    .expect("sandbox created");
    (fake, islo)
}

/// A client for an httpmock server (both planes), with a static session token and one
/// attempt per call, so every HTTP request a helper makes is one hit.
pub fn mock_client(server: &MockServer) -> Islo {
    Islo::builder()
        .ignore_env()
        .session_token("jwt-workflow-tests")
        .control_url(server.base_url())
        .compute_url(server.base_url())
        .retry_backoff(Duration::from_millis(1), Duration::from_millis(2))
        .max_attempts(1)
        .build()
        .expect("client builds")
}

//! Caller middleware (`IsloBuilder::middleware`): it sees every attempt the SDK makes, after
//! authentication, and its failures come back typed and redacted.

use islo::mock::FakeIslo;
use islo::reqwest_middleware::{self, Middleware, Next};
use islo::{types, Error};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Records the method, path and bearer of every request it passes on.
#[derive(Default, Clone)]
struct Recorder {
    seen: Arc<Mutex<Vec<(String, String, bool)>>>,
}

#[async_trait::async_trait]
impl Middleware for Recorder {
    async fn handle(
        &self,
        req: reqwest::Request,
        ext: &mut http::Extensions,
        next: Next<'_>,
    ) -> reqwest_middleware::Result<reqwest::Response> {
        let bearer = req
            .headers()
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("Bearer "));
        self.seen.lock().unwrap().push((
            req.method().to_string(),
            req.url().path().to_string(),
            bearer,
        ));
        next.run(req, ext).await
    }
}

/// Fails every request, with a message that echoes its credentials.
struct Refuser(AtomicUsize);

#[async_trait::async_trait]
impl Middleware for Refuser {
    async fn handle(
        &self,
        req: reqwest::Request,
        _ext: &mut http::Extensions,
        _next: Next<'_>,
    ) -> reqwest_middleware::Result<reqwest::Response> {
        self.0.fetch_add(1, Ordering::SeqCst);
        let auth = req
            .headers()
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        Err(reqwest_middleware::Error::middleware(
            std::io::Error::other(format!("policy says no to {auth}")),
        ))
    }
}

async fn create(islo: &islo::Islo, name: &str) -> islo::Result<()> {
    islo.create_sandbox(types::SandboxCreate {
        name: Some(name.into()),
        ..Default::default()
    })
    .send()
    .await?;
    Ok(())
}

#[tokio::test]
async fn middleware_sees_every_attempt_with_authorization() {
    let fake = FakeIslo::start().await.unwrap();
    let recorder = Recorder::default();
    let islo = fake
        .client_builder()
        .middleware(recorder.clone())
        .max_attempts(3)
        .retry_backoff(Duration::from_millis(1), Duration::from_millis(2))
        .build()
        .unwrap();
    create(&islo, "mw").await.unwrap();
    // The next request is rate limited (`Retry-After: 0`): the GET is retried once, and the
    // middleware sees both attempts.
    fake.rate_limit_next(1, Duration::ZERO);
    islo.get_sandbox("mw")
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let seen = recorder.seen.lock().unwrap().clone();
    assert_eq!(
        seen,
        vec![
            ("POST".to_string(), "/sandboxes".to_string(), true),
            ("GET".to_string(), "/sandboxes/mw".to_string(), true),
            ("GET".to_string(), "/sandboxes/mw".to_string(), true),
        ],
        "the token exchange does not pass through it; each attempt does"
    );
    assert_eq!(fake.token_exchanges(), 1);
}

#[tokio::test]
async fn middleware_failure_is_typed_redacted_and_not_retried() {
    let fake = FakeIslo::start().await.unwrap();
    let refuser = Refuser(AtomicUsize::new(0));
    let islo = fake
        .client_builder()
        .middleware(refuser)
        .max_attempts(3)
        .build()
        .unwrap();
    let err = islo.get_sandbox("x").send().await.unwrap_err();
    let Error::Middleware(message) = &err else {
        panic!("expected Error::Middleware, got {err:?}");
    };
    assert!(message.contains("policy says no to"), "{message}");
    let text = format!("{err} {err:?}");
    assert!(!text.contains("eyJ"), "no token in the error: {text}");
    assert!(
        !text.contains(&fake.api_key()),
        "no key in the error: {text}"
    );
    assert_eq!(
        fake.total_requests(),
        1,
        "only the exchange reached the server"
    );
}

/// Fails every request with a message that quotes its token bare (no `Bearer `), as a
/// middleware that logs what it saw might.
struct BareEcho;

#[async_trait::async_trait]
impl Middleware for BareEcho {
    async fn handle(
        &self,
        req: reqwest::Request,
        _ext: &mut http::Extensions,
        _next: Next<'_>,
    ) -> reqwest_middleware::Result<reqwest::Response> {
        let token = req
            .headers()
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or_default()
            .to_string();
        Err(reqwest_middleware::Error::middleware(
            std::io::Error::other(format!("token {token} is not allowed here")),
        ))
    }
}

/// The client's own credentials are redacted from a middleware's message however they are
/// quoted, opaque tokens included (not only what looks like `Bearer …` or a JWT).
#[tokio::test]
async fn middleware_failure_never_quotes_the_clients_token() {
    let fake = FakeIslo::start().await.unwrap();
    let opaque = "opaque-session-value-4711";
    let islo = islo::Islo::builder()
        .ignore_env()
        .session_token(opaque)
        .control_url(fake.control_url())
        .compute_url(fake.compute_url())
        .middleware(BareEcho)
        .build()
        .unwrap();
    let err = islo.get_sandbox("x").send().await.unwrap_err();
    assert!(matches!(err, Error::Middleware(_)), "{err:?}");
    let text = format!("{err} {err:?}");
    assert!(text.contains("is not allowed here"), "{text}");
    assert!(!text.contains(opaque), "the token is in the error: {text}");
}

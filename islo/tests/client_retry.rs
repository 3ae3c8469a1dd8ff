//! Retry policy: which failures are retried, how often, how long to wait, and what is never
//! replayed.

mod client_support;

use client_support::*;
use httpmock::prelude::*;
use serde_json::json;
use std::time::{Duration, Instant};

async fn setup(name: &str) -> (MockServer, MockServer, String) {
    let key = key(name);
    let control = MockServer::start_async().await;
    let compute = MockServer::start_async().await;
    exchange(&control, &key, &format!("tok_{name}"), None).await;
    (control, compute, key)
}

async fn get_answering(server: &MockServer, status: u16) -> httpmock::Mock<'_> {
    server
        .mock_async(move |when, then| {
            when.method(GET).path("/sandboxes/box");
            then.status(status)
                .json_body(json!({"code": "err", "message": format!("status {status}")}));
        })
        .await
}

async fn create_answering<'a>(
    server: &'a MockServer,
    status: u16,
    headers: &[(&str, &str)],
) -> httpmock::Mock<'a> {
    let headers: Vec<(String, String)> = headers
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    server
        .mock_async(move |when, then| {
            when.method(POST).path("/sandboxes");
            let mut then = then
                .status(status)
                .json_body(json!({"code": "err", "message": "try later"}));
            for (k, v) in headers {
                then = then.header(k, v);
            }
        })
        .await
}

async fn create(islo: &islo::Islo) -> Result<(), islo::Error> {
    islo.create_sandbox(islo::types::SandboxCreate {
        name: Some("box".into()),
        ..Default::default()
    })
    .send()
    .await
    .map(|_| ())
}

async fn get(islo: &islo::Islo) -> Result<(), islo::Error> {
    islo.get_sandbox("box").send().await.map(|_| ())
}

#[tokio::test]
async fn retryable_statuses_are_retried_with_two_attempts_by_default() {
    for status in [408u16, 429, 500, 502, 503, 504] {
        let (control, compute, key) = setup(&format!("retryable_{status}")).await;
        let m = get_answering(&compute, status).await;
        let islo = builder(&control.base_url(), &compute.base_url(), &key)
            .build()
            .unwrap();
        let err = get(&islo).await.unwrap_err();
        assert_eq!(err.status().map(|s| s.as_u16()), Some(status));
        assert!(err.is_retryable(), "{status}");
        assert_eq!(m.calls_async().await, 2, "status {status}");
    }
}

#[tokio::test]
async fn a_retry_that_succeeds_returns_the_success() {
    let (control, compute, key) = setup("retry_then_ok").await;
    let fail = get_answering(&compute, 503).await;
    fail.up_to_n_times_async(1).await;
    let ok = get_sandbox_ok(&compute, "box").await;
    let islo = builder(&control.base_url(), &compute.base_url(), &key)
        .build()
        .unwrap();
    get(&islo).await.unwrap();
    assert_eq!((fail.calls_async().await, ok.calls_async().await), (1, 1));
}

#[tokio::test]
async fn max_attempts_on_the_builder_overrides_the_default() {
    let (control, compute, key) = setup("max_attempts_3").await;
    let m = get_answering(&compute, 502).await;
    let islo = builder(&control.base_url(), &compute.base_url(), &key)
        .max_attempts(3)
        .build()
        .unwrap();
    get(&islo).await.unwrap_err();
    assert_eq!(m.calls_async().await, 3);
}

#[tokio::test]
async fn with_max_attempts_overrides_per_call_only() {
    let (control, compute, key) = setup("with_max_attempts_1").await;
    let m = get_answering(&compute, 502).await;
    let islo = builder(&control.base_url(), &compute.base_url(), &key)
        .max_attempts(3)
        .build()
        .unwrap();
    get(&islo.with_max_attempts(1)).await.unwrap_err();
    assert_eq!(m.calls_async().await, 1);
    // The original client keeps its own setting.
    get(&islo).await.unwrap_err();
    assert_eq!(m.calls_async().await, 4);
}

#[tokio::test]
async fn retry_after_seconds_is_honoured() {
    let (control, compute, key) = setup("retry_after_secs").await;
    let limited = compute
        .mock_async(|when, then| {
            when.method(GET).path("/sandboxes/box");
            then.status(429)
                .header("retry-after", "1")
                .body("slow down");
        })
        .await;
    limited.up_to_n_times_async(1).await;
    let ok = get_sandbox_ok(&compute, "box").await;
    let islo = builder(&control.base_url(), &compute.base_url(), &key)
        .build()
        .unwrap();
    islo.list_environments().send().await.ok(); // warm the token (answer irrelevant)
    let started = Instant::now();
    get(&islo).await.unwrap();
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(
        (limited.calls_async().await, ok.calls_async().await),
        (1, 1)
    );
}

#[tokio::test]
async fn retry_after_ms_is_honoured() {
    let (control, compute, key) = setup("retry_after_ms").await;
    let limited = compute
        .mock_async(|when, then| {
            when.method(GET).path("/sandboxes/box");
            then.status(503)
                .header("retry-after-ms", "400")
                .body("busy");
        })
        .await;
    limited.up_to_n_times_async(1).await;
    let ok = get_sandbox_ok(&compute, "box").await;
    let islo = builder(&control.base_url(), &compute.base_url(), &key)
        .build()
        .unwrap();
    islo.list_environments().send().await.ok(); // warm the token (answer irrelevant)
    let started = Instant::now();
    get(&islo).await.unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(400),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(
        (limited.calls_async().await, ok.calls_async().await),
        (1, 1)
    );
}

#[tokio::test]
async fn retry_after_is_capped_by_max_retry_after() {
    let (control, compute, key) = setup("retry_after_cap").await;
    let limited = compute
        .mock_async(|when, then| {
            when.method(GET).path("/sandboxes/box");
            then.status(429)
                .header("retry-after", "3600")
                .body("come back in an hour");
        })
        .await;
    limited.up_to_n_times_async(1).await;
    let ok = get_sandbox_ok(&compute, "box").await;
    let islo = builder(&control.base_url(), &compute.base_url(), &key)
        .max_retry_after(Duration::from_millis(100))
        .build()
        .unwrap();
    // Hang guard only (an uncapped wait would be an hour); no upper timing assertion.
    tokio::time::timeout(Duration::from_secs(120), get(&islo))
        .await
        .expect("Retry-After was not capped")
        .unwrap();
    assert_eq!(
        (limited.calls_async().await, ok.calls_async().await),
        (1, 1)
    );
}

#[tokio::test]
async fn with_retry_non_idempotent_opts_in_per_call() {
    let (control, compute, key) = setup("post_opt_in_per_call").await;
    let m = create_answering(&compute, 502, &[]).await;
    let islo = builder(&control.base_url(), &compute.base_url(), &key)
        .build()
        .unwrap();
    create(&islo.with_retry_non_idempotent(true))
        .await
        .unwrap_err();
    assert_eq!(m.calls_async().await, 2);
    create(&islo).await.unwrap_err();
    assert_eq!(m.calls_async().await, 3);
}

/// Counts the attempts that reach the HTTP client (a refused connection has no server to
/// count it).
struct CountAttempts(std::sync::Arc<std::sync::atomic::AtomicUsize>);

#[async_trait::async_trait]
impl reqwest_middleware::Middleware for CountAttempts {
    async fn handle(
        &self,
        req: reqwest::Request,
        ext: &mut http::Extensions,
        next: reqwest_middleware::Next<'_>,
    ) -> reqwest_middleware::Result<reqwest::Response> {
        self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        next.run(req, ext).await
    }
}

/// A POST whose connection is refused is replayed (nothing reached a server), and the replay
/// succeeds: two attempts, one accepted connection.
#[tokio::test]
async fn post_is_replayed_after_connection_refused_and_then_succeeds() {
    // The compute server comes up only after the first (refused) attempt.
    let key = key("refused_then_up");
    let control = MockServer::start_async().await;
    exchange(&control, &key, "tok_refused_up", None).await;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let attempts = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let islo = builder(&control.base_url(), &format!("http://{addr}"), &key)
        .retry_backoff(Duration::from_millis(400), Duration::from_millis(400))
        .middleware(CountAttempts(attempts.clone()))
        .build()
        .unwrap();
    islo.list_environments().send().await.ok(); // token cached: first attempt is immediate
    let before = attempts.load(std::sync::atomic::Ordering::SeqCst);
    let accepted = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let server = {
        let accepted = accepted.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(150)).await;
            let l = tokio::net::TcpListener::bind(addr).await.unwrap();
            loop {
                let (mut s, _) = l.accept().await.unwrap();
                accepted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                use tokio::io::{AsyncReadExt, AsyncWriteExt};
                let mut buf = vec![0u8; 65536];
                let _ = s.read(&mut buf).await;
                let body = sandbox("box").to_string();
                let resp = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                s.write_all(resp.as_bytes()).await.unwrap();
            }
        })
    };
    create(&islo).await.unwrap();
    assert_eq!(accepted.load(std::sync::atomic::Ordering::SeqCst), 1);
    assert_eq!(
        attempts.load(std::sync::atomic::Ordering::SeqCst) - before,
        2,
        "the refused attempt and its replay"
    );
    server.abort();
}

#[tokio::test]
async fn dropping_the_call_stops_retrying() {
    let (control, compute, key) = setup("drop_stops").await;
    let m = compute
        .mock_async(|when, then| {
            when.method(GET).path("/sandboxes/box");
            then.status(503).header("retry-after", "2").body("busy");
        })
        .await;
    let islo = builder(&control.base_url(), &compute.base_url(), &key)
        .max_attempts(5)
        .build()
        .unwrap();
    let task = {
        let islo = islo.clone();
        tokio::spawn(async move { get(&islo).await })
    };
    while m.calls_async().await < 1 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    task.abort();
    assert!(task.await.unwrap_err().is_cancelled());
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(m.calls_async().await, 1);
}

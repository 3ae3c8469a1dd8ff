//! Fault suite: how the client behaves when the server (or the network) misbehaves.
//!
//! One behaviour per test. Each test asserts what the caller sees, how many requests the
//! server received, and that no non-idempotent request was executed twice.
#![cfg(feature = "mock")]

mod client_support;
use client_support::chain;
use islo::mock::FakeIslo;
use islo::{types, Error, Islo, IsloBuilder};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::AsyncReadExt;
use tokio::net::{TcpListener, TcpStream};

const GET_SANDBOX: (&str, &str) = ("GET", "/sandboxes/{sandbox_name}");
const CREATE_SANDBOX: (&str, &str) = ("POST", "/sandboxes");
const TOKEN: (&str, &str) = ("POST", "/auth/token");

/// A builder pointed at the fake, with short backoff so tests stay fast.
fn builder(fake: &FakeIslo) -> IsloBuilder {
    Islo::builder()
        .ignore_env()
        .api_key(fake.api_key())
        .control_url(fake.control_url())
        .compute_url(fake.compute_url())
        .retry_backoff(Duration::from_millis(1), Duration::from_millis(20))
}

fn create_body(name: &str) -> types::SandboxCreate {
    types::SandboxCreate {
        name: Some(name.into()),
        ..Default::default()
    }
}

async fn get(islo: &Islo, name: &str) -> Result<types::SandboxResponse, Error> {
    Ok(islo.get_sandbox(name).send().await?.into_inner())
}

async fn create(islo: &Islo, name: &str) -> Result<types::SandboxResponse, Error> {
    Ok(islo
        .create_sandbox(create_body(name))
        .send()
        .await?
        .into_inner())
}

/// A fake with one sandbox `sb` and a client whose token is already cached; counters reset.
async fn warm(b: impl FnOnce(IsloBuilder) -> IsloBuilder) -> (FakeIslo, Islo) {
    let fake = FakeIslo::start().await.expect("fake starts");
    let islo = b(builder(&fake)).build().expect("client builds");
    create(&islo, "sb").await.expect("setup create");
    fake.reset_counters();
    (fake, islo)
}

// ---------------------------------------------------------------------------
// 503 bursts
// ---------------------------------------------------------------------------

#[tokio::test]
async fn gets_succeed_through_503_bursts() {
    let (fake, islo) = warm(|b| b.max_attempts(3)).await;
    fake.fail_every_nth(3);
    for _ in 0..30 {
        let sb = get(&islo, "sb")
            .await
            .expect("GET succeeds through retries");
        assert_eq!(sb.name, "sb");
    }
    // Every third request fails and is retried once: R = 30 + floor(R / 3) => R = 44
    // (request 45 would be the next failure, but the 30th success is request 44).
    assert_eq!(fake.requests(GET_SANDBOX.0, GET_SANDBOX.1), 44);
    assert_eq!(fake.token_exchanges(), 0, "the cached token is reused");
}

// ---------------------------------------------------------------------------
// 429 with Retry-After
// ---------------------------------------------------------------------------

#[tokio::test]
async fn post_rate_limited_with_retry_after_is_retried_after_the_delay() {
    let (fake, islo) = warm(|b| b).await;
    fake.rate_limit_next(1, Duration::from_secs(1));
    let started = Instant::now();
    let sb = create(&islo, "after-429").await.expect("retried after 429");
    let elapsed = started.elapsed();
    assert_eq!(sb.name, "after-429");
    // Lower bound only (the server sends whole seconds).
    assert!(
        elapsed >= Duration::from_millis(950),
        "waited only {elapsed:?}"
    );
    // Two POSTs arrived, but the first was refused before execution: one sandbox.
    assert_eq!(fake.requests(CREATE_SANDBOX.0, CREATE_SANDBOX.1), 2);
    let created: Vec<_> = fake
        .sandbox_names()
        .into_iter()
        .filter(|n| n == "after-429")
        .collect();
    assert_eq!(created.len(), 1, "executed exactly once");
}

#[tokio::test]
async fn get_rate_limited_is_retried_and_retry_after_is_honoured() {
    let (fake, islo) = warm(|b| b.max_attempts(3)).await;
    fake.rate_limit_next(2, Duration::from_secs(1));
    let started = Instant::now();
    get(&islo, "sb").await.expect("retried after two 429s");
    let elapsed = started.elapsed();
    assert!(
        elapsed >= Duration::from_millis(1900),
        "waited only {elapsed:?}"
    );
    assert_eq!(fake.requests(GET_SANDBOX.0, GET_SANDBOX.1), 3);
}

#[tokio::test]
async fn rate_limit_beyond_max_attempts_surfaces_429() {
    let (fake, islo) = warm(|b| b.max_attempts(2).max_retry_after(Duration::from_millis(10))).await;
    fake.rate_limit_next(5, Duration::from_secs(30));
    let started = Instant::now();
    let err = create(&islo, "never").await.expect_err("still limited");
    assert_eq!(err.kind(), islo::ErrorKind::TooManyRequests, "{err}");
    // `max_retry_after` caps the 30 s the server asked for.
    assert!(started.elapsed() < Duration::from_secs(20));
    assert_eq!(fake.requests(CREATE_SANDBOX.0, CREATE_SANDBOX.1), 2);
    assert!(!fake.sandbox_names().contains(&"never".to_string()));
}

// ---------------------------------------------------------------------------
// Token endpoint failures
// ---------------------------------------------------------------------------

#[tokio::test]
async fn token_endpoint_500_is_an_auth_error_with_status_and_is_retried() {
    let fake = FakeIslo::start().await.unwrap();
    let islo = builder(&fake).max_attempts(2).build().unwrap();
    fake.fail_token_exchange(Some(500));
    let err = get(&islo, "sb").await.expect_err("exchange fails");
    assert!(matches!(err, Error::Auth(_)), "got {err:?}");
    assert_eq!(err.status().map(|s| s.as_u16()), Some(500));
    assert!(err.is_retryable());
    assert!(chain(&err).contains("500"), "{}", chain(&err));
    assert!(
        !chain(&err).contains(&fake.api_key()),
        "no key in the error"
    );
    assert_eq!(fake.requests(TOKEN.0, TOKEN.1), 2, "retried once");
    assert_eq!(
        fake.requests(GET_SANDBOX.0, GET_SANDBOX.1),
        0,
        "never sent unauthenticated"
    );
    // Fixed: the next call exchanges once and succeeds.
    fake.fail_token_exchange(None);
    create(&islo, "sb")
        .await
        .expect("works once the endpoint is back");
    assert_eq!(fake.token_exchanges(), 1);
}

#[tokio::test]
async fn token_endpoint_401_is_not_retried() {
    let fake = FakeIslo::start().await.unwrap();
    let islo = builder(&fake).max_attempts(3).build().unwrap();
    fake.fail_token_exchange(Some(401));
    let err = create(&islo, "sb").await.expect_err("rejected");
    assert!(matches!(err, Error::Auth(_)), "got {err:?}");
    assert_eq!(err.status().map(|s| s.as_u16()), Some(401));
    assert!(!err.is_retryable());
    assert_eq!(
        fake.requests(TOKEN.0, TOKEN.1),
        1,
        "a rejected key is not retried"
    );
    assert_eq!(fake.requests(CREATE_SANDBOX.0, CREATE_SANDBOX.1), 0);
}

/// A TCP proxy in front of the fake's control plane that, while `hang` is set, accepts
/// connections and never answers.
async fn hanging_proxy(upstream: String, hang: Arc<AtomicBool>) -> (String, Arc<AtomicU64>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let upstream = upstream.trim_start_matches("http://").to_string();
    let connections = Arc::new(AtomicU64::new(0));
    let counter = connections.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut sock, _)) = listener.accept().await else {
                return;
            };
            counter.fetch_add(1, Ordering::SeqCst);
            let hang = hang.clone();
            let upstream = upstream.clone();
            tokio::spawn(async move {
                if hang.load(Ordering::SeqCst) {
                    // Read the request, then never answer.
                    let mut buf = [0u8; 4096];
                    let _ = sock.read(&mut buf).await;
                    tokio::time::sleep(Duration::from_secs(3600)).await;
                    return;
                }
                if let Ok(mut up) = TcpStream::connect(&upstream).await {
                    let _ = tokio::io::copy_bidirectional(&mut sock, &mut up).await;
                }
            });
        }
    });
    (url, connections)
}

/// A fake whose token endpoint hangs (until `hang` is cleared), the proxy's connection
/// count, and a builder whose control plane goes through that proxy.
struct HangingTokens {
    fake: FakeIslo,
    hang: Arc<AtomicBool>,
    connections: Arc<AtomicU64>,
    builder: IsloBuilder,
}

async fn hanging_tokens() -> HangingTokens {
    let fake = FakeIslo::start().await.unwrap();
    let hang = Arc::new(AtomicBool::new(true));
    let (control, connections) = hanging_proxy(fake.control_url(), hang.clone()).await;
    let builder = Islo::builder()
        .ignore_env()
        .api_key(fake.api_key())
        .control_url(&control)
        .compute_url(fake.compute_url());
    HangingTokens {
        fake,
        hang,
        connections,
        builder,
    }
}

#[tokio::test]
async fn hanging_token_endpoint_times_out_then_recovers() {
    let HangingTokens {
        fake,
        hang,
        connections,
        builder,
    } = hanging_tokens().await;
    let islo = builder
        .exchange_timeout(Duration::from_millis(300))
        .max_attempts(2)
        .retry_backoff(Duration::from_millis(1), Duration::from_millis(5))
        .build()
        .unwrap();
    let started = Instant::now();
    let err = get(&islo, "sb").await.expect_err("exchange hangs");
    let elapsed = started.elapsed();
    assert!(matches!(err, Error::Auth(_)), "got {err:?}");
    assert!(err.is_retryable());
    assert!(
        elapsed >= Duration::from_millis(600),
        "two 300 ms attempts, took {elapsed:?}"
    );
    assert_eq!(
        connections.load(Ordering::SeqCst),
        2,
        "exchange attempted twice"
    );
    assert_eq!(fake.total_requests(), 0, "nothing reached the fake");
    // Fixed: the next call succeeds with one exchange.
    hang.store(false, Ordering::SeqCst);
    create(&islo, "sb").await.expect("recovers");
    assert_eq!(fake.token_exchanges(), 1);
    assert_eq!(fake.requests(CREATE_SANDBOX.0, CREATE_SANDBOX.1), 1);
}

/// Without a builder-level exchange timeout, an exchange made for a call of a
/// `with_timeout` clone uses that clone's timeout: the call's deadline bounds its
/// authentication too (not the 30 s default).
#[tokio::test]
async fn with_timeout_bounds_the_exchange_of_its_calls() {
    let HangingTokens {
        fake,
        connections,
        builder,
        ..
    } = hanging_tokens().await;
    let islo = builder
        .max_attempts(1)
        .build()
        .unwrap()
        .with_timeout(Duration::from_millis(300));
    // The guard only keeps a regression from hanging the suite for the 30 s default.
    let err = tokio::time::timeout(Duration::from_secs(20), get(&islo, "sb"))
        .await
        .expect("the exchange must time out with the call's 300 ms, not 30 s")
        .expect_err("exchange hangs");
    match &err {
        Error::Auth(auth) => assert!(format!("{auth:?}").contains("Transport"), "{auth:?}"),
        other => panic!("got {other:?}"),
    }
    assert_eq!(
        connections.load(Ordering::SeqCst),
        1,
        "one exchange attempt"
    );
    assert_eq!(fake.total_requests(), 0, "nothing reached the fake");
}

// ---------------------------------------------------------------------------
// Token revoked mid-run
// ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_revoked_with_64_tasks_in_flight() {
    let fake = FakeIslo::builder().worker_threads(1).start().await.unwrap();
    let islo = builder(&fake).build().unwrap();
    create(&islo, "sb").await.unwrap();
    fake.reset_counters();

    let stop = Arc::new(AtomicBool::new(false));
    let ok = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for _ in 0..64 {
        let (islo, stop, ok) = (islo.clone(), stop.clone(), ok.clone());
        tasks.push(tokio::spawn(async move {
            let mut failures = Vec::new();
            let mut n = 0u32;
            while !stop.load(Ordering::Relaxed) || n < 5 {
                match get(&islo, "sb").await {
                    Ok(_) => {
                        ok.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(e) => failures.push(e.to_string()),
                }
                n += 1;
            }
            failures
        }));
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let before = ok.load(Ordering::Relaxed);
    fake.revoke_tokens();
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.store(true, Ordering::Relaxed);
    let mut failures = Vec::new();
    for t in tasks {
        failures.extend(t.await.expect("task did not panic"));
    }
    let succeeded = ok.load(Ordering::Relaxed);
    let exchanges = fake.token_exchanges();
    let gets = fake.requests(GET_SANDBOX.0, GET_SANDBOX.1);
    println!(
        "revocation: {succeeded} GETs succeeded ({before} before revoke), {gets} GETs received, \
         {exchanges} exchange(s) after the first, failures: {}",
        failures.len()
    );
    assert!(failures.is_empty(), "no task fails: {failures:?}");
    assert!(succeeded > before, "work continued after the revocation");
    assert!(exchanges >= 1, "a new token was exchanged");
    assert!(exchanges <= 3, "only a handful of exchanges: {exchanges}");
    // Each 401 is replayed once: at most one extra request per task in flight.
    assert!(
        gets >= succeeded && gets <= succeeded + 64,
        "{gets} vs {succeeded}"
    );
    assert_eq!(fake.requests(CREATE_SANDBOX.0, CREATE_SANDBOX.1), 0);
}

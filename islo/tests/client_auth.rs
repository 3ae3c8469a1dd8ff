//! Token exchange, the process-wide token cache, refresh and revocation.

mod client_support;

use client_support::*;
use httpmock::prelude::*;
use serde_json::json;
use std::time::Duration;

fn jwt_with_exp(exp: u64) -> String {
    use base64::Engine as _;
    let enc = |v: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v);
    format!(
        "{}.{}.{}",
        enc(r#"{"alg":"HS256","typ":"JWT"}"#),
        enc(&format!(r#"{{"sub":"u","exp":{exp}}}"#)),
        enc("signature")
    )
}

fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

async fn envs_ok(server: &MockServer) -> httpmock::Mock<'_> {
    server
        .mock_async(|when, then| {
            when.method(GET).path("/environments");
            then.status(200)
                .header("content-type", "application/json")
                .json_body(json!([]));
        })
        .await
}

// ----- 1. exchange ----------------------------------------------------------------------------

#[tokio::test]
async fn exchange_happens_once_then_bearer_on_both_planes() {
    let key = key("exchange_once");
    let control = MockServer::start_async().await;
    let compute = MockServer::start_async().await;
    let control_log = spy(&control).await;
    let compute_log = spy(&compute).await;
    let ex = exchange(&control, &key, "tok_exchange_once", None).await;
    let envs = control
        .mock_async(|when, then| {
            when.method(GET)
                .path("/environments")
                .header("authorization", "Bearer tok_exchange_once");
            then.status(200).json_body(json!([]));
        })
        .await;
    let sb = compute
        .mock_async(|when, then| {
            when.method(GET)
                .path("/sandboxes/box")
                .header("authorization", "Bearer tok_exchange_once");
            then.status(200).json_body(sandbox("box"));
        })
        .await;
    let islo = builder(&control.base_url(), &compute.base_url(), &key)
        .build()
        .unwrap();
    for _ in 0..3 {
        islo.list_environments().send().await.unwrap();
        islo.get_sandbox("box").send().await.unwrap();
    }
    assert_eq!(ex.calls_async().await, 1);
    assert_eq!(envs.calls_async().await, 3);
    assert_eq!(sb.calls_async().await, 3);

    // The key travels only in the exchange body, nowhere else.
    let mut all = control_log.lock().unwrap().clone();
    all.extend(compute_log.lock().unwrap().iter().cloned());
    assert_eq!(all.len(), 7);
    for req in &all {
        let text = request_text(req);
        if req.method_str() == "POST" && path(req) == "/auth/token" {
            assert_eq!(
                serde_json::from_slice::<serde_json::Value>(req.body_ref()).unwrap(),
                json!({ "access_key": key })
            );
            assert!(header(req, "authorization").is_none(), "{text}");
        } else {
            assert!(!text.contains(&key), "key leaked in {text}");
            assert_eq!(
                header(req, "authorization").as_deref(),
                Some("Bearer tok_exchange_once")
            );
        }
    }
}

#[tokio::test]
async fn exchange_rejected_with_401_is_auth_error_with_status_and_message() {
    let key = key("exchange_401");
    let control = MockServer::start_async().await;
    let ex = control
        .mock_async(|when, then| {
            when.method(POST).path("/auth/token");
            then.status(401)
                .header("content-type", "application/json")
                .json_body(json!({"code": "invalid_key", "message": "access key revoked"}));
        })
        .await;
    let islo = builder(&control.base_url(), &control.base_url(), &key)
        .build()
        .unwrap();
    let err = islo.list_environments().send().await.unwrap_err();
    assert!(matches!(err, islo::Error::Auth(_)), "{err:?}");
    assert_eq!(err.status(), Some(reqwest::StatusCode::UNAUTHORIZED));
    assert_eq!(err.kind(), islo::ErrorKind::Unauthorized);
    assert!(!err.is_retryable());
    assert!(err.to_string().contains("access key revoked"), "{err}");
    assert!(err.to_string().contains("401"), "{err}");
    // The token endpoint's answer is an API error too, for a caller looking for one.
    let api = err.as_api().expect("the exchange's answer");
    assert_eq!(api.operation(), "exchange_token");
    assert_eq!(api.message(), "access key revoked");
    match &err {
        islo::Error::Auth(a) => match &**a {
            islo::AuthError::Rejected(api) => {
                assert!(matches!(api.decoded(), islo::ErrorBody::Error(_)));
                assert_eq!(api.message(), "access key revoked");
            }
            other => panic!("{other:?}"),
        },
        _ => unreachable!(),
    }
    // A 401 from the exchange is not retried.
    assert_eq!(ex.calls_async().await, 1);
}

#[tokio::test]
async fn exchange_failing_with_500_is_auth_error_with_status_and_message() {
    let key = key("exchange_500");
    let control = MockServer::start_async().await;
    let ex = control
        .mock_async(|when, then| {
            when.method(POST).path("/auth/token");
            then.status(500)
                .json_body(json!({"code": "internal", "message": "token service down"}));
        })
        .await;
    let islo = builder(&control.base_url(), &control.base_url(), &key)
        .build()
        .unwrap();
    let err = islo.list_environments().send().await.unwrap_err();
    assert!(matches!(err, islo::Error::Auth(_)), "{err:?}");
    assert_eq!(
        err.status(),
        Some(reqwest::StatusCode::INTERNAL_SERVER_ERROR)
    );
    assert!(err.is_retryable());
    assert!(err.to_string().contains("token service down"), "{err}");
    // Retryable, so the default 2 attempts each tried the exchange.
    assert_eq!(ex.calls_async().await, 2);
}

#[tokio::test]
async fn exchange_answer_without_session_token_is_auth_error() {
    let key = key("exchange_bad_answer");
    let control = MockServer::start_async().await;
    control
        .mock_async(|when, then| {
            when.method(POST).path("/auth/token");
            then.status(200).json_body(json!({"cookie_max_age": 5}));
        })
        .await;
    let islo = builder(&control.base_url(), &control.base_url(), &key)
        .build()
        .unwrap();
    let err = islo.list_environments().send().await.unwrap_err();
    assert!(
        matches!(&err, islo::Error::Auth(a) if matches!(**a, islo::AuthError::BadResponse(_))),
        "{err:?}"
    );
}

#[tokio::test]
async fn static_session_token_is_sent_without_exchange() {
    let control = MockServer::start_async().await;
    let ex = counting_exchange(&control, "/auth/token", "never", None, Duration::ZERO).await;
    let envs = control
        .mock_async(|when, then| {
            when.method(GET)
                .path("/environments")
                .header("authorization", "Bearer caller_jwt_static");
            then.status(200).json_body(json!([]));
        })
        .await;
    let islo = islo::Islo::builder()
        .ignore_env()
        .session_token("caller_jwt_static")
        .control_url(control.base_url())
        .compute_url(control.base_url())
        .build()
        .unwrap();
    islo.list_environments().send().await.unwrap();
    assert_eq!(envs.calls_async().await, 1);
    assert_eq!(ex.calls_async().await, 0);
}

// ----- 2. cache -------------------------------------------------------------------------------

#[tokio::test]
async fn clients_with_same_url_and_key_share_one_token() {
    let key = key("shared_cache");
    let control = MockServer::start_async().await;
    let ex = exchange(&control, &key, "tok_shared", None).await;
    let envs = envs_ok(&control).await;
    let a = builder(&control.base_url(), &control.base_url(), &key)
        .build()
        .unwrap();
    let b = builder(&control.base_url(), &control.base_url(), &key)
        .max_attempts(3)
        .build()
        .unwrap();
    a.list_environments().send().await.unwrap();
    b.list_environments().send().await.unwrap();
    a.clone().list_environments().send().await.unwrap();
    assert_eq!(envs.calls_async().await, 3);
    assert_eq!(ex.calls_async().await, 1);
}

#[tokio::test]
async fn another_key_has_its_own_token() {
    let key_a = key("other_key_a");
    let key_b = key("other_key_b");
    let control = MockServer::start_async().await;
    let ex_a = exchange(&control, &key_a, "tok_a", None).await;
    let ex_b = exchange(&control, &key_b, "tok_b", None).await;
    let with_a = control
        .mock_async(|when, then| {
            when.path("/environments")
                .header("authorization", "Bearer tok_a");
            then.status(200).json_body(json!([]));
        })
        .await;
    let with_b = control
        .mock_async(|when, then| {
            when.path("/environments")
                .header("authorization", "Bearer tok_b");
            then.status(200).json_body(json!([]));
        })
        .await;
    let a = builder(&control.base_url(), &control.base_url(), &key_a)
        .build()
        .unwrap();
    let b = builder(&control.base_url(), &control.base_url(), &key_b)
        .build()
        .unwrap();
    a.list_environments().send().await.unwrap();
    b.list_environments().send().await.unwrap();
    a.list_environments().send().await.unwrap();
    assert_eq!((ex_a.calls_async().await, ex_b.calls_async().await), (1, 1));
    assert_eq!(
        (with_a.calls_async().await, with_b.calls_async().await),
        (2, 1)
    );
}

#[tokio::test]
async fn another_control_url_has_its_own_token() {
    let key = key("other_url");
    let one = MockServer::start_async().await;
    let two = MockServer::start_async().await;
    let ex1 = exchange(&one, &key, "tok_one", None).await;
    let ex2 = exchange(&two, &key, "tok_two", None).await;
    let e1 = one
        .mock_async(|when, then| {
            when.path("/environments")
                .header("authorization", "Bearer tok_one");
            then.status(200).json_body(json!([]));
        })
        .await;
    let e2 = two
        .mock_async(|when, then| {
            when.path("/environments")
                .header("authorization", "Bearer tok_two");
            then.status(200).json_body(json!([]));
        })
        .await;
    let a = builder(&one.base_url(), &one.base_url(), &key)
        .build()
        .unwrap();
    let b = builder(&two.base_url(), &two.base_url(), &key)
        .build()
        .unwrap();
    a.list_environments().send().await.unwrap();
    b.list_environments().send().await.unwrap();
    assert_eq!((ex1.calls_async().await, ex2.calls_async().await), (1, 1));
    assert_eq!((e1.calls_async().await, e2.calls_async().await), (1, 1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thousand_cold_concurrent_calls_cause_exactly_one_exchange() {
    let key = key("thousand_cold");
    let control = MockServer::start_async().await;
    let compute = MockServer::start_async().await;
    let ex = counting_exchange(
        &control,
        "/auth/token",
        "tok_thousand",
        None,
        Duration::from_millis(300),
    )
    .await;
    let sb = compute
        .mock_async(|when, then| {
            when.method(GET)
                .path("/sandboxes/box")
                .header("authorization", "Bearer tok_thousand-1");
            then.status(200).json_body(sandbox("box"));
        })
        .await;
    let islo = builder(&control.base_url(), &compute.base_url(), &key)
        .build()
        .unwrap();
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(1000));
    let tasks: Vec<_> = (0..1000)
        .map(|_| {
            let islo = islo.clone();
            let barrier = barrier.clone();
            tokio::spawn(async move {
                barrier.wait().await;
                islo.get_sandbox("box").send().await.map(|_| ())
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    assert_eq!(ex.calls_async().await, 1);
    assert_eq!(sb.calls_async().await, 1000);
}

#[tokio::test]
async fn caller_cancelled_while_performing_exchange_does_not_poison_or_block() {
    let key = key("cancel_performer");
    let control = MockServer::start_async().await;
    let ex = counting_exchange(
        &control,
        "/auth/token",
        "tok_cancel_p",
        None,
        Duration::from_millis(400),
    )
    .await;
    let envs = envs_ok(&control).await;
    let islo = builder(&control.base_url(), &control.base_url(), &key)
        .build()
        .unwrap();
    // A starts the exchange, B waits behind it; A is cancelled mid-exchange.
    let a = {
        let islo = islo.clone();
        tokio::spawn(async move { islo.list_environments().send().await.map(|_| ()) })
    };
    until_hits(&ex, 1).await;
    let b = {
        let islo = islo.clone();
        tokio::spawn(async move { islo.list_environments().send().await.map(|_| ()) })
    };
    tokio::time::sleep(Duration::from_millis(50)).await;
    a.abort();
    assert!(a.await.unwrap_err().is_cancelled());
    // B is not blocked: it takes over and gets a token.
    b.await.unwrap().unwrap();
    // And a later call also succeeds.
    islo.list_environments().send().await.unwrap();
    assert_eq!(envs.calls_async().await, 2);
}

#[tokio::test]
async fn caller_timed_out_while_waiting_for_exchange_does_not_poison_cache() {
    let key = key("cancel_waiter");
    let control = MockServer::start_async().await;
    let ex = counting_exchange(
        &control,
        "/auth/token",
        "tok_cancel_w",
        None,
        Duration::from_millis(400),
    )
    .await;
    let envs = envs_ok(&control).await;
    let islo = builder(&control.base_url(), &control.base_url(), &key)
        .build()
        .unwrap();
    let a = {
        let islo = islo.clone();
        tokio::spawn(async move { islo.list_environments().send().await.map(|_| ()) })
    };
    until_hits(&ex, 1).await;
    // B waits for A's exchange and gives up.
    let waited =
        tokio::time::timeout(Duration::from_millis(50), islo.list_environments().send()).await;
    assert!(waited.is_err(), "B should still be waiting");
    a.await.unwrap().unwrap();
    islo.list_environments().send().await.unwrap();
    assert_eq!(ex.calls_async().await, 1);
    assert_eq!(envs.calls_async().await, 2);
}

#[tokio::test]
async fn only_caller_timed_out_mid_exchange_then_next_call_succeeds() {
    let key = key("cancel_only");
    let control = MockServer::start_async().await;
    let ex = counting_exchange(
        &control,
        "/auth/token",
        "tok_cancel_o",
        None,
        Duration::from_millis(300),
    )
    .await;
    let envs = envs_ok(&control).await;
    let islo = builder(&control.base_url(), &control.base_url(), &key)
        .build()
        .unwrap();
    let r = tokio::time::timeout(Duration::from_millis(50), islo.list_environments().send()).await;
    assert!(r.is_err());
    islo.list_environments().send().await.unwrap();
    assert_eq!(envs.calls_async().await, 1);
    assert!(ex.calls_async().await >= 1);
}

async fn until_hits(mock: &httpmock::Mock<'_>, n: usize) {
    while mock.calls_async().await < n {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

// ----- 3. refresh -----------------------------------------------------------------------------

#[tokio::test]
async fn token_is_refreshed_after_cookie_max_age_minus_margin() {
    let key = key("refresh_max_age");
    let control = MockServer::start_async().await;
    let ex = counting_exchange(&control, "/auth/token", "tok_r", Some(3), Duration::ZERO).await;
    let envs = envs_ok(&control).await;
    let islo = builder(&control.base_url(), &control.base_url(), &key)
        .token_refresh_margin(Duration::from_secs(1))
        .build()
        .unwrap();
    islo.list_environments().send().await.unwrap();
    // The token arrived before this instant, so it is stale 2 s after it at the latest.
    let obtained_by = std::time::Instant::now();
    islo.list_environments().send().await.unwrap();
    assert_eq!(ex.calls_async().await, 1);
    // Usable for 3 s - 1 s = 2 s.
    tokio::time::sleep(Duration::from_millis(2100).saturating_sub(obtained_by.elapsed())).await;
    islo.list_environments().send().await.unwrap();
    assert_eq!(ex.calls_async().await, 2);
    assert_eq!(envs.calls_async().await, 3);
}

#[tokio::test]
async fn token_expires_at_cookie_max_age_with_zero_margin() {
    let key = key("refresh_zero_margin");
    let control = MockServer::start_async().await;
    let ex = counting_exchange(&control, "/auth/token", "tok_z", Some(2), Duration::ZERO).await;
    let with_second = control
        .mock_async(|when, then| {
            when.path("/environments")
                .header("authorization", "Bearer tok_z-2");
            then.status(200).json_body(json!([]));
        })
        .await;
    envs_ok(&control).await;
    let islo = builder(&control.base_url(), &control.base_url(), &key)
        .token_refresh_margin(Duration::ZERO)
        .build()
        .unwrap();
    islo.list_environments().send().await.unwrap();
    tokio::time::sleep(Duration::from_millis(2100)).await;
    islo.list_environments().send().await.unwrap();
    assert_eq!(ex.calls_async().await, 2);
    assert_eq!(with_second.calls_async().await, 1);
}

#[tokio::test]
async fn without_cookie_max_age_the_jwt_exp_is_used() {
    let key = key("refresh_jwt_exp");
    let control = MockServer::start_async().await;
    let ex = control
        .mock_async(|when, then| {
            when.method(POST).path("/auth/token");
            then.respond_with(|_| {
                let jwt = jwt_with_exp(now_secs() + 2);
                httpmock::HttpMockResponse::builder()
                    .status(200)
                    .body(json!({ "session_token": jwt }).to_string())
                    .build()
            });
        })
        .await;
    let envs = envs_ok(&control).await;
    let islo = builder(&control.base_url(), &control.base_url(), &key)
        .token_refresh_margin(Duration::ZERO)
        .build()
        .unwrap();
    islo.list_environments().send().await.unwrap();
    islo.list_environments().send().await.unwrap();
    assert_eq!(ex.calls_async().await, 1);
    tokio::time::sleep(Duration::from_millis(2100)).await;
    islo.list_environments().send().await.unwrap();
    assert_eq!(ex.calls_async().await, 2);
    assert_eq!(envs.calls_async().await, 3);
}

#[tokio::test]
async fn long_lived_jwt_is_not_exchanged_on_every_call() {
    let key = key("long_lived_jwt");
    let control = MockServer::start_async().await;
    let jwt = jwt_with_exp(now_secs() + 3600);
    let ex = control
        .mock_async(move |when, then| {
            when.method(POST).path("/auth/token");
            then.status(200).json_body(json!({ "session_token": jwt }));
        })
        .await;
    let envs = envs_ok(&control).await;
    let islo = builder(&control.base_url(), &control.base_url(), &key)
        .build()
        .unwrap();
    for _ in 0..20 {
        islo.list_environments().send().await.unwrap();
    }
    assert_eq!(envs.calls_async().await, 20);
    assert_eq!(ex.calls_async().await, 1);
}

#[tokio::test]
async fn short_cookie_max_age_with_default_margin_is_not_exchanged_on_every_call() {
    // cookie_max_age (30 s) below the default 60 s margin must not mean "expired at once".
    let key = key("short_max_age");
    let control = MockServer::start_async().await;
    let ex = exchange(&control, &key, "tok_short", Some(30)).await;
    let envs = envs_ok(&control).await;
    let islo = builder(&control.base_url(), &control.base_url(), &key)
        .build()
        .unwrap();
    for _ in 0..20 {
        islo.list_environments().send().await.unwrap();
    }
    assert_eq!(envs.calls_async().await, 20);
    assert_eq!(ex.calls_async().await, 1);
}

// ----- 4. revocation --------------------------------------------------------------------------

/// Control server where `tok-1` works once and then is revoked; `tok-2` answers `second`.
async fn revocation_server(
    server: &MockServer,
    second: u16,
) -> (
    httpmock::Mock<'_>,
    httpmock::Mock<'_>,
    httpmock::Mock<'_>,
    httpmock::Mock<'_>,
) {
    let ex = counting_exchange(server, "/auth/token", "tok", None, Duration::ZERO).await;
    let first_ok = server
        .mock_async(|when, then| {
            when.path("/environments")
                .header("authorization", "Bearer tok-1");
            then.status(200).json_body(json!([]));
        })
        .await;
    first_ok.up_to_n_times_async(1).await;
    let revoked = server
        .mock_async(|when, then| {
            when.path("/environments")
                .header("authorization", "Bearer tok-1");
            then.status(401)
                .json_body(json!({"code": "token_revoked", "message": "token revoked"}));
        })
        .await;
    let fresh = server
        .mock_async(move |when, then| {
            when.path("/environments")
                .header("authorization", "Bearer tok-2");
            then.status(second).json_body(if second == 200 {
                json!([])
            } else {
                json!({"code": "unauthorized", "message": "still not allowed"})
            });
        })
        .await;
    (ex, first_ok, revoked, fresh)
}

#[tokio::test]
async fn a_401_on_a_cached_token_re_exchanges_once_and_replays_once() {
    let key = key("revocation_replay");
    let control = MockServer::start_async().await;
    let log = spy(&control).await;
    let (ex, first_ok, revoked, fresh) = revocation_server(&control, 200).await;
    let islo = builder(&control.base_url(), &control.base_url(), &key)
        .build()
        .unwrap();
    islo.list_environments().send().await.unwrap();
    islo.list_environments().send().await.unwrap();
    assert_eq!(ex.calls_async().await, 2);
    assert_eq!(first_ok.calls_async().await, 1);
    assert_eq!(revoked.calls_async().await, 1);
    assert_eq!(fresh.calls_async().await, 1);
    let seen: Vec<(String, String, Option<String>)> = log
        .lock()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r.method_str().to_string(),
                path(r),
                header(r, "authorization"),
            )
        })
        .collect();
    let bearer = |t: &str| Some(format!("Bearer {t}"));
    assert_eq!(
        seen,
        vec![
            ("POST".into(), "/auth/token".into(), None),
            ("GET".into(), "/environments".into(), bearer("tok-1")),
            ("GET".into(), "/environments".into(), bearer("tok-1")),
            ("POST".into(), "/auth/token".into(), None),
            ("GET".into(), "/environments".into(), bearer("tok-2")),
        ]
    );
    // The new token is cached for later calls.
    islo.list_environments().send().await.unwrap();
    assert_eq!(ex.calls_async().await, 2);
    assert_eq!(fresh.calls_async().await, 2);
}

#[tokio::test]
async fn a_second_401_is_returned_without_looping() {
    let key = key("revocation_second_401");
    let control = MockServer::start_async().await;
    let (ex, _first_ok, revoked, fresh) = revocation_server(&control, 401).await;
    let islo = builder(&control.base_url(), &control.base_url(), &key)
        .max_attempts(5)
        .build()
        .unwrap();
    islo.list_environments().send().await.unwrap();
    let err = islo.list_environments().send().await.unwrap_err();
    assert_eq!(err.status(), Some(reqwest::StatusCode::UNAUTHORIZED));
    assert!(matches!(err, islo::Error::Api(_)), "{err:?}");
    assert!(err.to_string().contains("still not allowed"), "{err}");
    assert_eq!(ex.calls_async().await, 2);
    assert_eq!(revoked.calls_async().await, 1);
    assert_eq!(fresh.calls_async().await, 1);
}

#[tokio::test]
async fn a_401_with_a_just_exchanged_token_is_not_replayed() {
    let key = key("revocation_fresh_401");
    let control = MockServer::start_async().await;
    let ex = counting_exchange(&control, "/auth/token", "tok", None, Duration::ZERO).await;
    let envs = control
        .mock_async(|when, then| {
            when.path("/environments");
            then.status(401)
                .json_body(json!({"code": "unauthorized", "message": "nope"}));
        })
        .await;
    let islo = builder(&control.base_url(), &control.base_url(), &key)
        .build()
        .unwrap();
    let err = islo.list_environments().send().await.unwrap_err();
    assert_eq!(err.kind(), islo::ErrorKind::Unauthorized);
    assert_eq!(ex.calls_async().await, 1);
    assert_eq!(envs.calls_async().await, 1);
}

#[cfg(feature = "mock")]
#[tokio::test]
async fn revoked_tokens_on_the_fake_are_replaced_transparently() {
    let fake = islo::mock::FakeIslo::builder()
        .api_key(key("fake_revoke"))
        .start()
        .await
        .unwrap();
    let islo = builder(&fake.control_url(), &fake.compute_url(), &fake.api_key())
        .build()
        .unwrap();
    islo.list_sandboxes().send().await.unwrap();
    fake.revoke_tokens();
    islo.list_sandboxes().send().await.unwrap();
    assert_eq!(fake.token_exchanges(), 2);
    assert_eq!(fake.requests("GET", "/sandboxes"), 3);
}

/// `n` concurrent `get_sandbox("sb")` calls, each on a task of its own.
async fn concurrent_gets(
    islo: &islo::Islo,
    n: usize,
) -> Vec<islo::Result<islo::ResponseValue<islo::types::SandboxResponse>>> {
    let calls = (0..n).map(|_| {
        let islo = islo.clone();
        tokio::spawn(async move { islo.get_sandbox("sb").send().await })
    });
    futures_util::future::join_all(calls)
        .await
        .into_iter()
        .map(|joined| joined.expect("the call's task"))
        .collect()
}

/// Calls that wait for one exchange share its outcome, a failure too: when the exchange
/// fails, each waiting call fails with it (a typed `AuthError::Shared`, classified as the
/// failure was) rather than making an exchange of its own, one after another, against an
/// endpoint that is already failing.
#[tokio::test]
async fn calls_waiting_for_a_failed_exchange_share_its_failure() {
    let key = key("auth_shared_failure");
    let control = MockServer::start_async().await;
    let compute = MockServer::start_async().await;
    let exchanges = control
        .mock_async(|when, then| {
            when.method(POST).path("/auth/token");
            then.status(503)
                .delay(Duration::from_millis(300))
                .json_body(json!({"code": "unavailable", "message": "try later"}));
        })
        .await;
    let islo = builder(&control.base_url(), &compute.base_url(), &key)
        .max_attempts(1)
        .build()
        .unwrap();
    let results = concurrent_gets(&islo, 10).await;
    assert_eq!(
        exchanges.calls_async().await,
        1,
        "one exchange for all ten calls"
    );
    for r in results {
        let err = r.unwrap_err();
        assert!(matches!(err, islo::Error::Auth(_)), "{err:?}");
        assert!(
            err.is_retryable(),
            "a 503 stays retryable when shared: {err:?}"
        );
        assert_eq!(err.kind(), islo::ErrorKind::Unavailable, "{err:?}");
        // Said once, whether this call made the exchange or waited for it.
        let text = err.to_string();
        assert_eq!(text.matches("try later").count(), 1, "{text}");
        assert_eq!(text.matches("islo:").count(), 1, "{text}");
    }
}

/// A token no HTTP header can carry (a control character in it) is a bad answer of the
/// token endpoint, not a misconfigured client, and the calls waiting for that exchange
/// share its failure like any other: one exchange for all of them. The token never shows.
#[tokio::test]
async fn a_token_no_header_can_carry_is_a_shared_bad_answer() {
    let key = key("auth_control_char_token");
    let control = MockServer::start_async().await;
    let compute = MockServer::start_async().await;
    let exchanges = control
        .mock_async(|when, then| {
            when.method(POST).path("/auth/token");
            then.status(200)
                .delay(Duration::from_millis(300))
                .header("content-type", "application/json")
                .body(r#"{"session_token":"tok-secret-\u0001-part","cookie_max_age":3600}"#);
        })
        .await;
    let islo = builder(&control.base_url(), &compute.base_url(), &key)
        .max_attempts(1)
        .build()
        .unwrap();
    let results = concurrent_gets(&islo, 5).await;
    assert_eq!(
        exchanges.calls_async().await,
        1,
        "one exchange for all five calls"
    );
    for r in results {
        let err = r.unwrap_err();
        assert!(matches!(err, islo::Error::Auth(_)), "{err:?}");
        assert_ne!(err.kind(), islo::ErrorKind::Config, "{err:?}");
        assert!(!format!("{err} {err:?}").contains("tok-secret"), "{err:?}");
    }
}

/// A token endpoint that answers 429 with `Retry-After` is waited for as any answer with it:
/// the next exchange comes after the server's delay, not after the short backoff.
#[tokio::test]
async fn a_rate_limited_exchange_honours_retry_after() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    let key = key("auth_retry_after");
    let control = MockServer::start_async().await;
    let compute = MockServer::start_async().await;
    let seen = Arc::new(AtomicUsize::new(0));
    let counter = seen.clone();
    control
        .mock_async(move |when, then| {
            when.method(POST).path("/auth/token");
            then.respond_with(move |_| {
                let first = counter.fetch_add(1, Ordering::SeqCst) == 0;
                let (status, body) = if first {
                    (429, json!({"code": "rate_limited", "message": "slow down"}))
                } else {
                    (200, token_body("tok-after-wait", Some(3600)))
                };
                httpmock::HttpMockResponse::builder()
                    .status(status)
                    .header("content-type", "application/json")
                    .header("retry-after", "2")
                    .body(body.to_string())
                    .build()
            });
        })
        .await;
    get_sandbox_ok(&compute, "sb").await;
    let islo = builder(&control.base_url(), &compute.base_url(), &key)
        .max_attempts(2)
        .retry_backoff(Duration::from_millis(1), Duration::from_millis(1))
        .build()
        .unwrap();
    let started = std::time::Instant::now();
    islo.get_sandbox("sb").send().await.unwrap();
    assert_eq!(seen.load(Ordering::SeqCst), 2);
    assert!(
        started.elapsed() >= Duration::from_millis(1800),
        "the second exchange came after {:?}",
        started.elapsed()
    );
}

/// A client whose token endpoint (on `control`) answers after `delay_ms`, and whose compute
/// plane answers `GET /sandboxes/sb`; and the exchange mock.
async fn slow_exchange<'a>(
    control: &'a MockServer,
    compute: &MockServer,
    test: &str,
    delay_ms: u64,
) -> (islo::Islo, httpmock::Mock<'a>) {
    let exchanges = control
        .mock_async(move |when, then| {
            when.method(POST).path("/auth/token");
            then.status(200)
                .delay(Duration::from_millis(delay_ms))
                .json_body(json!({"session_token": "tok-slow-endpoint", "cookie_max_age": 3600}));
        })
        .await;
    compute
        .mock_async(|when, then| {
            when.method(GET).path("/sandboxes/sb");
            then.status(200)
                .json_body(json!({"name": "sb", "id": "i-1", "image": "img",
                "status": "running", "created_at": "2026-01-01T00:00:00Z"}));
        })
        .await;
    let islo = builder(&control.base_url(), &compute.base_url(), &key(test))
        .build()
        .unwrap();
    (islo, exchanges)
}

/// A call that gives up while the token exchange it started is under way (its own timeout,
/// its future dropped) does not take the exchange down with it: the exchange finishes, its
/// token is cached, and a later call uses it. A token endpoint slower than every caller's
/// patience would otherwise never yield a token.
#[tokio::test]
async fn an_exchange_outlives_the_call_that_gave_up_on_it() {
    let (control, compute) = (
        MockServer::start_async().await,
        MockServer::start_async().await,
    );
    let (islo, exchanges) = slow_exchange(&control, &compute, "auth_outlives_caller", 400).await;
    let mut ok = 0;
    for _ in 0..6 {
        if let Ok(Ok(_)) =
            tokio::time::timeout(Duration::from_millis(250), islo.get_sandbox("sb")).await
        {
            ok += 1;
        }
    }
    assert!(ok >= 4, "{ok} of 6 calls got through");
    assert_eq!(exchanges.calls_async().await, 1, "one exchange, finished");
}

/// A call waiting for an exchange that a concurrent call is making waits no longer than its
/// own timeout allows, then fails as a timeout (the exchange goes on for the others).
#[tokio::test]
async fn a_call_waiting_for_another_calls_exchange_keeps_to_its_own_timeout() {
    let (control, compute) = (
        MockServer::start_async().await,
        MockServer::start_async().await,
    );
    let (islo, _) = slow_exchange(&control, &compute, "auth_waiter_timeout", 3000).await;
    let first = islo.clone();
    let patient = tokio::spawn(async move { first.get_sandbox("sb").await.map(|_| ()) });
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = std::time::Instant::now();
    let err = islo
        .with_timeout(Duration::from_millis(300))
        .get_sandbox("sb")
        .await
        .unwrap_err();
    let took = started.elapsed();
    assert_eq!(err.kind(), islo::ErrorKind::Timeout, "{err:?}");
    assert!(took < Duration::from_millis(1500), "waited {took:?}");
    // The patient call still gets its token.
    patient.await.unwrap().unwrap();
}

//! A hostile or broken server cannot take the API key elsewhere, panic the client, change
//! which endpoint a call reaches, or keep a call going forever. Each test is named for the
//! guarantee it proves, over loopback HTTP (httpmock, a raw TCP peer, or the fake).

mod client_support;
use client_support::{chain, key};
use futures_util::TryStreamExt;
use httpmock::prelude::*;
use islo::pages::PageOptions;
use islo::{AuthError, Error, Islo};
use serde_json::json;
use std::time::Duration;

/// A session token answer with `cookie_max_age`.
fn token_answer(token: &str, max_age: u64) -> serde_json::Value {
    json!({"session_token": token, "cookie_max_age": max_age})
}

// ----- 1. the API key goes only to POST {control}/auth/token ---------------------------------

/// A caller's own `reqwest::Client` with reqwest's default redirect policy (follow up to 10).
fn following_client() -> reqwest::Client {
    reqwest::Client::builder().build().unwrap()
}

/// A server that records every request it gets (method, URI, headers, body) and answers
/// with a token, as a thief would.
async fn recording_thief() -> (MockServer, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    let server = MockServer::start_async().await;
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = seen.clone();
    server
        .mock_async(move |when, then| {
            when.is_true(move |req| {
                log.lock().unwrap().push(format!(
                    "{} {} {:?} {}",
                    req.method(),
                    req.uri(),
                    req.headers(),
                    String::from_utf8_lossy(req.body().as_ref())
                ));
                true
            });
            then.status(200)
                .json_body(token_answer("stolen-session", 3600));
        })
        .await;
    (server, seen)
}

#[tokio::test]
async fn a_redirect_from_the_token_endpoint_never_resends_the_key_and_fails_the_exchange() {
    for status in [307, 308, 301, 302, 303] {
        let control = MockServer::start_async().await;
        let (thief, seen) = recording_thief().await;
        let k = key(&format!("redirect_{status}"));
        let target = format!("{}/steal", thief.base_url());
        control
            .mock_async(move |when, then| {
                when.method(POST).path("/auth/token");
                then.status(status).header("location", target.clone());
            })
            .await;
        let islo = Islo::builder()
            .ignore_env()
            .api_key(&k)
            .http_client(following_client())
            .control_url(control.base_url())
            .compute_url(control.base_url())
            .max_attempts(1)
            .build()
            .unwrap();
        let err = islo.list_environments().await.unwrap_err();
        let Error::Auth(auth) = &err else {
            panic!("{status}: expected an auth error, got {err:?}");
        };
        assert!(
            matches!(**auth, AuthError::Redirected),
            "{status}: {auth:?}"
        );
        // Whatever the client did with the redirect, the key never reached the other origin,
        // and the "token" it answered with is not used.
        for req in seen.lock().unwrap().iter() {
            assert!(!req.contains(&k), "{status}: the key was re-sent: {req}");
        }
        assert!(!chain(&err).contains(&k), "{status}: {err}");
    }
}

// ----- 2. durations from the network or the caller saturate; nothing panics -----------------

#[tokio::test]
async fn an_absurd_retry_after_is_capped_not_a_panic() {
    for value in ["1e30", "1.7976931348623157e308", "18446744073709551615"] {
        let server = MockServer::start_async().await;
        let limited = server
            .mock_async(move |when, then| {
                when.method(GET).path("/environments");
                then.status(429)
                    .header("retry-after-ms", value)
                    .header("retry-after", value);
            })
            .await;
        let islo = Islo::builder()
            .ignore_env()
            .session_token("sess")
            .control_url(server.base_url())
            .compute_url(server.base_url())
            .max_attempts(2)
            .max_retry_after(Duration::from_millis(10))
            .build()
            .unwrap();
        let err = tokio::time::timeout(Duration::from_secs(10), islo.list_environments())
            .await
            .expect("the cap bounds the wait")
            .unwrap_err();
        assert_eq!(err.status().map(|s| s.as_u16()), Some(429), "{value}");
        assert_eq!(limited.calls_async().await, 2, "{value}");
    }
}

fn jwt_with_exp(exp: u64) -> String {
    use base64::Engine as _;
    let enc = |v: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v);
    format!(
        "{}.{}.{}",
        enc(r#"{"alg":"HS256"}"#),
        enc(&format!(r#"{{"exp":{exp}}}"#)),
        enc("signature")
    )
}

#[tokio::test]
async fn a_huge_token_lifetime_is_capped_and_every_later_call_works() {
    let answers = [
        json!({"session_token": "tok-huge-max-age", "cookie_max_age": u64::MAX}),
        json!({"session_token": jwt_with_exp(u64::MAX)}),
    ];
    for (i, answer) in answers.into_iter().enumerate() {
        let server = MockServer::start_async().await;
        let exchange = server
            .mock_async(move |when, then| {
                when.method(POST).path("/auth/token");
                then.status(200).json_body(answer.clone());
            })
            .await;
        server
            .mock_async(|when, then| {
                when.method(GET).path("/environments");
                then.status(200).json_body(json!([]));
            })
            .await;
        let islo = Islo::builder()
            .ignore_env()
            .api_key(key(&format!("huge_lifetime_{i}")))
            .control_url(server.base_url())
            .compute_url(server.base_url())
            .build()
            .unwrap();
        for _ in 0..3 {
            islo.list_environments().await.unwrap();
        }
        assert_eq!(exchange.calls_async().await, 1);
    }
}

#[tokio::test]
async fn a_zero_token_lifetime_does_not_mean_an_exchange_per_call() {
    let server = MockServer::start_async().await;
    let exchange = server
        .mock_async(|when, then| {
            when.method(POST).path("/auth/token");
            then.status(200).json_body(token_answer("tok-zero", 0));
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/environments");
            then.status(200).json_body(json!([]));
        })
        .await;
    let islo = Islo::builder()
        .ignore_env()
        .api_key(key("zero_lifetime"))
        .control_url(server.base_url())
        .compute_url(server.base_url())
        .build()
        .unwrap();
    for _ in 0..5 {
        islo.list_environments().await.unwrap();
    }
    assert_eq!(exchange.calls_async().await, 1);
}

#[tokio::test]
async fn unbounded_caller_durations_mean_no_deadline_not_a_panic() {
    let fake = islo::mock::FakeIslo::start().await.unwrap();
    let islo = fake.client().unwrap();
    let sb = islo
        .create_sandbox(islo::types::SandboxCreate::default())
        .await
        .unwrap()
        .into_inner();
    let running = islo
        .sandbox(&sb.name)
        .wait_until_running(Duration::MAX)
        .await
        .unwrap();
    assert_eq!(running.name, sb.name);
    let seen = std::sync::Arc::new(std::sync::Mutex::new(None));
    let sink = seen.clone();
    fake.on_exec(move |call| {
        *sink.lock().unwrap() = Some(call.timeout_secs);
        islo::mock::ExecOutcome::success("ok\n")
    });
    let opts = islo::exec::ExecOptions::new()
        .timeout(Duration::MAX)
        .server_timeout(Duration::MAX);
    let out = islo
        .sandbox(&sb.name)
        .exec_with(["true"], opts)
        .await
        .unwrap();
    assert!(out.success(), "{out:?}");
    // The server's limit saturates at the largest value the API takes, never wraps negative.
    assert_eq!(*seen.lock().unwrap(), Some(Some(i64::MAX as u64)));
}

/// The fake with a token lifetime past what the clock holds issues tokens of 100 years
/// (its token endpoint panicked on the overflow, and the client saw a dropped connection).
#[tokio::test]
async fn fake_durations_past_the_clock_saturate_not_a_panic() {
    let fake = islo::mock::FakeIslo::builder()
        .token_lifetime(Duration::MAX)
        .start()
        .await
        .unwrap();
    let islo = fake.client().unwrap();
    islo.list_sandboxes().await.unwrap();
    islo.list_sandboxes().await.unwrap();
    assert_eq!(fake.token_exchanges(), 1);

    // Likewise a `Retry-After` past the clock (its rounding up overflowed).
    fake.rate_limit_next(1, Duration::MAX);
    let err = islo
        .with_max_attempts(1)
        .list_sandboxes()
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(429), "{err:?}");
}

// ----- 3. path parameters cannot change the endpoint ------------------------------------------

#[tokio::test]
async fn dot_segments_in_path_parameters_are_refused_before_anything_is_sent() {
    let fake = islo::mock::FakeIslo::start().await.unwrap();
    let islo = fake.client().unwrap();
    let sb = islo
        .create_sandbox(islo::types::SandboxCreate::default())
        .await
        .unwrap()
        .into_inner();
    let before = fake.total_requests();
    for bad in ["..", ".", "", "%2e%2e", "a/b"] {
        let err = islo.kill_session(&sb.name, bad).await.unwrap_err();
        assert!(matches!(err, Error::InvalidRequest(_)), "{bad:?}: {err:?}");
        assert!(err.to_string().contains("kill_session"), "{err}");
    }
    assert_eq!(fake.total_requests(), before, "nothing reached the server");
    assert_eq!(
        fake.sandbox_names(),
        vec![sb.name],
        "the sandbox is still there"
    );
}

#[tokio::test]
async fn the_fake_redirects_a_toggled_trailing_slash_as_the_real_server_does() {
    let fake = islo::mock::FakeIslo::start().await.unwrap();
    let islo = fake.client().unwrap();
    let sb = islo
        .create_sandbox(islo::types::SandboxCreate::default())
        .await
        .unwrap()
        .into_inner();
    // What `DELETE /sandboxes/sb/sessions/..` normalizes to: the sandbox's own URL plus `/`.
    let raw = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let resp = raw
        .delete(format!("{}/sandboxes/{}/", fake.compute_url(), sb.name))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 307);
    assert_eq!(
        resp.headers()["location"].to_str().unwrap(),
        format!("/sandboxes/{}", sb.name)
    );
    let resp = raw
        .get(format!("{}/snapshots", fake.compute_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 307);
    assert_eq!(resp.headers()["location"].to_str().unwrap(), "/snapshots/");
}

// ----- 9. a 401 always invalidates the token it was sent with -------------------------------

#[tokio::test]
async fn a_streamed_upload_recovers_from_a_revoked_token_on_the_next_call() {
    let fake = islo::mock::FakeIslo::start().await.unwrap();
    let islo = fake.client().unwrap();
    let sb = islo
        .create_sandbox(islo::types::SandboxCreate::default())
        .await
        .unwrap()
        .into_inner();
    fake.revoke_tokens();
    // A reader cannot be replayed, so this call fails with the 401...
    let err = islo
        .sandbox(&sb.name)
        .upload_reader(&b"one"[..], "/workspace/a.txt")
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(401), "{err:?}");
    // ...but it forgot the rejected token, so the next one exchanges and succeeds.
    islo.sandbox(&sb.name)
        .upload_reader(&b"two"[..], "/workspace/b.txt")
        .await
        .unwrap();
    assert_eq!(fake.token_exchanges(), 2);
    assert_eq!(
        fake.read_file(&sb.name, "/workspace/b.txt").unwrap(),
        b"two"
    );
}

/// `upload_file` and `upload_dir` can rebuild their body, so after a 401 on a token from
/// the cache they exchange and upload once more, as any call that can be replayed does.
#[tokio::test]
async fn an_upload_that_can_rebuild_its_body_replays_once_after_a_revoked_token() {
    let fake = islo::mock::FakeIslo::start().await.unwrap();
    let islo = fake.client().unwrap();
    let sb = islo
        .create_sandbox(islo::types::SandboxCreate::default())
        .await
        .unwrap()
        .into_inner();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a.txt");
    std::fs::write(&file, b"from disk").unwrap();
    std::fs::create_dir(dir.path().join("tree")).unwrap();
    std::fs::write(dir.path().join("tree/t.txt"), b"in a tree").unwrap();

    fake.revoke_tokens();
    islo.sandbox(&sb.name)
        .upload_file(&file, "/workspace/a.txt")
        .await
        .unwrap();
    assert_eq!(fake.token_exchanges(), 2);
    assert_eq!(
        fake.read_file(&sb.name, "/workspace/a.txt").unwrap(),
        b"from disk"
    );

    fake.revoke_tokens();
    islo.sandbox(&sb.name)
        .upload_dir(
            dir.path().join("tree"),
            "/workspace/tree",
            Default::default(),
        )
        .await
        .unwrap();
    assert_eq!(fake.token_exchanges(), 3);
    assert_eq!(
        fake.read_file(&sb.name, "/workspace/tree/t.txt").unwrap(),
        b"in a tree"
    );
}

// ----- 10. paging always ends ----------------------------------------------------------------

fn env(id: &str) -> serde_json::Value {
    json!({"id": id, "name": id, "is_default": false, "entry_count": 0,
           "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z"})
}

#[tokio::test]
async fn a_server_that_ignores_offset_ends_the_stream_with_a_paging_error() {
    let server = MockServer::start_async().await;
    let pages = server
        .mock_async(|when, then| {
            when.method(GET).path("/environments");
            then.status(200).json_body(json!([env("a"), env("b")]));
        })
        .await;
    let islo = Islo::builder()
        .ignore_env()
        .session_token("sess")
        .control_url(server.base_url())
        .compute_url(server.base_url())
        .build()
        .unwrap();
    let result: Result<Vec<_>, _> = islo
        .list_environments()
        .items(PageOptions::new().page_size(2))
        .try_collect()
        .await;
    let err = result.unwrap_err();
    assert!(matches!(err, Error::Paging(_)), "{err:?}");
    assert!(err.to_string().contains("offset"), "{err}");
    assert_eq!(pages.calls_async().await, 2);
}

#[tokio::test]
async fn a_short_page_repeated_by_a_server_that_ignores_offset_ends_the_stream() {
    // A server that ignores `offset` and holds fewer items than a page sends the same short
    // page again: those are all its items, so the stream returns them once and ends.
    let server = MockServer::start_async().await;
    let pages = server
        .mock_async(|when, then| {
            when.method(GET).path("/environments");
            then.status(200).json_body(json!([env("a")]));
        })
        .await;
    let islo = static_client(&server.base_url()).build().unwrap();
    let items: Vec<_> = islo
        .list_environments()
        .items(PageOptions::new().page_size(2))
        .try_collect()
        .await
        .unwrap();
    let names: Vec<_> = items.iter().map(|e| e.name.clone()).collect();
    assert_eq!(names, ["a"]);
    assert_eq!(pages.calls_async().await, 2);
}

#[tokio::test]
async fn a_server_with_endless_pages_is_stopped_at_max_pages() {
    let server = MockServer::start_async().await;
    let pages = server
        .mock_async(|when, then| {
            when.method(GET).path("/environments");
            then.respond_with(|req: &httpmock::HttpMockRequest| {
                let offset = req
                    .query_params()
                    .into_iter()
                    .find(|(k, _)| k == "offset")
                    .map(|(_, v)| v)
                    .unwrap_or_default();
                let body = json!([env(&format!("{offset}-a")), env(&format!("{offset}-b"))]);
                httpmock::HttpMockResponse::builder()
                    .status(200)
                    .header("content-type", "application/json")
                    .body(body.to_string())
                    .build()
            });
        })
        .await;
    let islo = Islo::builder()
        .ignore_env()
        .session_token("sess")
        .control_url(server.base_url())
        .compute_url(server.base_url())
        .build()
        .unwrap();
    let result: Result<Vec<_>, _> = islo
        .list_environments()
        .items(PageOptions::new().page_size(2).max_pages(3))
        .try_collect()
        .await;
    assert!(matches!(result, Err(Error::Paging(_))), "{result:?}");
    assert_eq!(pages.calls_async().await, 3);
}

// ----- 12. redirects stay under the plane's base URL -----------------------------------------

/// A same-origin redirect out of the base path is refused, the bearer kept home; so is one
/// whose path is under the base's only as text: a gateway that decodes `%2F` (or `%5C`)
/// before routing would send `/islo/..%2Fother-service/…` to `/other-service/…`.
#[tokio::test]
async fn a_same_origin_redirect_out_of_the_base_path_is_refused_with_the_bearer_kept_home() {
    for (status, location) in [
        (302, "/other-service/environments"),
        (307, "/islo/..%2Fother-service/environments"),
        (307, "/islo/..%2fother-service/environments"),
        (307, "/islo/..%5Cother-service/environments"),
        (307, "/islo/%2E%2E%2Fother-service/environments"),
    ] {
        let server = MockServer::start_async().await;
        server
            .mock_async(move |when, then| {
                when.method(GET).path("/islo/environments");
                then.status(status).header("location", location);
            })
            .await;
        let other = server
            .mock_async(|when, then| {
                when.path_includes("other-service");
                then.status(200).json_body(json!([]));
            })
            .await;
        let base = format!("{}/islo", server.base_url());
        let islo = Islo::builder()
            .ignore_env()
            .session_token("sess-kept-home")
            .control_url(&base)
            .compute_url(&base)
            .build()
            .unwrap();
        let err = islo.list_environments().await.unwrap_err();
        assert!(matches!(err, Error::Redirect { .. }), "{location}: {err:?}");
        assert_eq!(other.calls_async().await, 0, "{location}");
    }
}

/// With a caller's own `reqwest::Client`, whose policy follows redirects before the SDK sees
/// them, an answer that comes from outside the plane's base URL is refused all the same: the
/// SDK never hands on what another service said.
#[tokio::test]
async fn an_answer_from_outside_the_base_path_is_refused_when_the_client_followed_it() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/islo/environments");
            then.status(307)
                .header("location", "/other-service/environments");
        })
        .await;
    let other = server
        .mock_async(|when, then| {
            when.path("/other-service/environments");
            then.status(200).json_body(json!([]));
        })
        .await;
    let base = format!("{}/islo", server.base_url());
    let islo = Islo::builder()
        .ignore_env()
        .session_token("sess-followed")
        .http_client(following_client())
        .control_url(&base)
        .compute_url(&base)
        .build()
        .unwrap();
    let err = islo.list_environments().await.unwrap_err();
    // The caller's client followed it (the SDK cannot stop that) ...
    assert_eq!(other.calls_async().await, 1);
    // ... but its answer is not taken for the API's.
    assert!(matches!(err, Error::Redirect { .. }), "{err:?}");
    assert!(!err.is_retryable(), "{err:?}");
}

// ----- 14. configuration errors and the token endpoint ---------------------------------------

#[test]
fn a_url_that_does_not_parse_is_not_echoed_with_its_password() {
    for url in [
        "https://user:s3cr3tpw@exa mple.com",
        "https://user:s3cr3tpw@[::1",
        "ht tp://user:s3cr3tpw@example.com",
    ] {
        let err = Islo::builder()
            .ignore_env()
            .api_key("ak_config")
            .control_url(url)
            .build()
            .unwrap_err();
        assert!(matches!(err, Error::Config(_)), "{url}: {err:?}");
        let text = format!("{} {err:?}", chain(&err));
        assert!(!text.contains("s3cr3tpw"), "{url}: {text}");
    }
}

#[tokio::test]
async fn an_endless_token_endpoint_answer_is_cut_off_not_read_forever() {
    let (base, sent) = endless_json_server("session_token", None).await;
    let islo = Islo::builder()
        .ignore_env()
        .api_key(key("endless_exchange"))
        .control_url(&base)
        .compute_url(&base)
        .max_attempts(1)
        .build()
        .unwrap();
    let err = tokio::time::timeout(Duration::from_secs(20), islo.list_environments())
        .await
        .expect("the exchange ends")
        .unwrap_err();
    assert!(matches!(err, Error::Auth(_)), "{err:?}");
    // The client stopped reading long before the server ran out.
    let written = sent.load(std::sync::atomic::Ordering::Relaxed);
    assert!(written < 64 << 20, "{written} bytes were accepted");
}

/// A raw HTTP peer that answers every request with `200` and a JSON body that never ends
/// (`{"<field>":"aaaa...`), counting what it managed to write. With `content_length`, it
/// also announces that many bytes up front.
async fn endless_json_server(
    field: &'static str,
    content_length: Option<u64>,
) -> (String, std::sync::Arc<std::sync::atomic::AtomicU64>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let sent = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let counter = sent.clone();
    tokio::spawn(async move {
        while let Ok((mut conn, _)) = listener.accept().await {
            let counter = counter.clone();
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = conn.read(&mut buf).await;
                let length = content_length
                    .map(|n| format!("content-length: {n}\r\n"))
                    .unwrap_or_default();
                let head = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n{length}connection: close\r\n\r\n{{\"{field}\":\""
                );
                if conn.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                let chunk = vec![b'a'; 64 * 1024];
                // Stops when the client hangs up (or after 4 GiB).
                for _ in 0..64 * 1024 {
                    if conn.write_all(&chunk).await.is_err() {
                        return;
                    }
                    counter.fetch_add(chunk.len() as u64, std::sync::atomic::Ordering::Relaxed);
                }
            });
        }
    });
    (format!("http://{addr}"), sent)
}

fn static_client(base: &str) -> islo::IsloBuilder {
    Islo::builder()
        .ignore_env()
        .session_token("static-token")
        .control_url(base)
        .compute_url(base)
        .max_attempts(1)
}

/// The error of `get_sandbox("sb")`, which must end within `secs` seconds.
async fn failed_get(islo: &Islo, secs: u64) -> Error {
    tokio::time::timeout(Duration::from_secs(secs), islo.get_sandbox("sb"))
        .await
        .expect("the call ends")
        .unwrap_err()
}

#[tokio::test]
async fn an_endless_success_body_is_cut_off_at_the_response_limit() {
    let (base, sent) = endless_json_server("name", None).await;
    let islo = static_client(&base)
        .max_response_bytes(1 << 20)
        .build()
        .unwrap();
    let err = failed_get(&islo, 30).await;
    assert!(
        matches!(err, Error::TooLarge { operation: "get_sandbox", limit, announced: None } if limit == 1 << 20),
        "{err:?}"
    );
    assert_eq!(err.kind(), islo::ErrorKind::Decode);
    assert!(!err.is_retryable());
    assert!(err.to_string().contains("1048576"), "{err}");
    let written = sent.load(std::sync::atomic::Ordering::Relaxed);
    assert!(written < 64 << 20, "{written} bytes were accepted");
}

#[tokio::test]
async fn the_default_response_limit_stops_an_endless_body_too() {
    let (base, sent) = endless_json_server("name", None).await;
    let islo = static_client(&base).build().unwrap();
    let err = failed_get(&islo, 60).await;
    assert!(
        matches!(err, Error::TooLarge { limit, .. } if limit == islo::DEFAULT_MAX_RESPONSE_BYTES),
        "{err:?}"
    );
    let written = sent.load(std::sync::atomic::Ordering::Relaxed);
    assert!(written < 1 << 30, "{written} bytes were accepted");
}

#[tokio::test]
async fn a_content_length_over_the_limit_is_refused_before_the_body_is_read() {
    let (base, sent) = endless_json_server("name", Some(1 << 40)).await;
    let islo = static_client(&base)
        .max_response_bytes(1 << 20)
        .build()
        .unwrap();
    let err = failed_get(&islo, 30).await;
    assert!(matches!(err, Error::TooLarge { .. }), "{err:?}");
    // Refused on the announced length, which the message names.
    assert!(err.to_string().contains("1099511627776"), "{err}");
    // Only what the socket buffers took before the client hung up.
    let written = sent.load(std::sync::atomic::Ordering::Relaxed);
    assert!(written < 16 << 20, "{written} bytes were accepted");
}

/// A download is bounded like a JSON answer: a body that never ends stops at the limit,
/// with nothing of the file left behind, and a writer of the caller's gets at most the limit.
#[tokio::test]
async fn an_endless_download_stops_at_its_limit_and_leaves_no_file() {
    let (base, sent) = endless_json_server("data", None).await;
    let islo = static_client(&base).build().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let local = dir.path().join("out.bin");
    let sb = islo.sandbox("sb");
    let err = tokio::time::timeout(
        Duration::from_secs(30),
        sb.download_file_with("/big", &local, 1 << 20),
    )
    .await
    .expect("the download ends")
    .unwrap_err();
    assert!(
        matches!(err, Error::TooLarge { limit, announced: None, .. } if limit == 1 << 20),
        "{err:?}"
    );
    assert!(!err.is_retryable());
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "files left behind"
    );
    let mut buf = Vec::new();
    let err = sb
        .download_to_writer_with("/big", &mut buf, 1 << 20)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::TooLarge { .. }), "{err:?}");
    assert!(buf.len() <= 1 << 20, "{} bytes written", buf.len());
    let written = sent.load(std::sync::atomic::Ordering::Relaxed);
    assert!(written < 256 << 20, "{written} bytes were accepted");
}

/// The default download limit refuses an announced length past it before reading the body.
#[tokio::test]
async fn a_download_announcing_more_than_the_default_limit_is_refused_unread() {
    let (base, sent) = endless_json_server("data", Some(1 << 40)).await;
    let islo = static_client(&base).build().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let err = islo
        .sandbox("sb")
        .download_file("/big", dir.path().join("out.bin"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::TooLarge { limit, announced: Some(n), .. }
            if limit == islo::files::DEFAULT_MAX_DOWNLOAD_BYTES && n == 1 << 40),
        "{err:?}"
    );
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "files left behind"
    );
    let written = sent.load(std::sync::atomic::Ordering::Relaxed);
    assert!(written < 16 << 20, "{written} bytes were accepted");
}

/// A raw HTTP peer that answers every request with `status`, announcing `announced` bytes of
/// JSON but sending only `sent` before it hangs up; it counts the requests.
async fn cut_short_server(
    status: u16,
    sent: &'static str,
    announced: usize,
) -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut conn, _)) = listener.accept().await {
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = conn.read(&mut buf).await;
                let head = format!(
                    "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {announced}\r\n\r\n{sent}"
                );
                let _ = conn.write_all(head.as_bytes()).await;
                let _ = conn.shutdown().await;
            });
        }
    });
    (format!("http://{addr}"), seen)
}

/// An error answer whose body breaks off is kept as far as it came, in a call's error and
/// in the token exchange's; a refused key stays a refusal (not a connection failure to
/// retry) when the refusal's body is cut short.
#[tokio::test]
async fn an_error_body_cut_short_is_kept_as_far_as_it_came() {
    let partial = r#"{"code":"maintenance","message":"down until 10"#;
    let (base, _) = cut_short_server(503, partial, 200).await;
    let islo = static_client(&base).build().unwrap();
    let err = failed_get(&islo, 30).await;
    let api = err.as_api().unwrap_or_else(|| panic!("{err:?}"));
    assert_eq!(api.status().as_u16(), 503);
    assert_eq!(api.body().as_ref(), partial.as_bytes());

    let (control, seen) = cut_short_server(401, partial, 200).await;
    let islo = Islo::builder()
        .ignore_env()
        .api_key("ak_cut_short_refusal")
        .control_url(&control)
        .compute_url(&control)
        .build()
        .unwrap();
    let err = failed_get(&islo, 30).await;
    assert_eq!(err.status().map(|s| s.as_u16()), Some(401), "{err:?}");
    assert_ne!(err.kind(), islo::ErrorKind::Connection, "{err:?}");
    assert!(!err.is_retryable(), "{err:?}");
    assert_eq!(
        seen.load(std::sync::atomic::Ordering::SeqCst),
        1,
        "exchanges made"
    );
}

/// A body cut off in the middle of an echoed key (by the connection, or by the size cap)
/// keeps none of the key's start: what is left of it at the end of the kept text is
/// redacted too.
#[tokio::test]
async fn a_key_cut_in_half_at_the_end_of_an_error_body_is_redacted() {
    let key = "ak_cut_in_half_refusal_key";
    let partial = r#"{"detail":"unknown key ak_cut_in_half_re"#;
    let (control, _) = cut_short_server(401, partial, 200).await;
    let islo = Islo::builder()
        .ignore_env()
        .api_key(key)
        .control_url(&control)
        .compute_url(&control)
        .build()
        .unwrap();
    let err = failed_get(&islo, 30).await;
    let text = chain(&err);
    assert!(!text.contains("ak_cut_in_half_re"), "{text}");
    assert!(text.contains("unknown key"), "{text}");
}

/// A directory download whose connection breaks off fails as a lost connection (retryable,
/// naming the network), not as a local archive error.
#[tokio::test]
async fn a_directory_download_cut_off_is_a_connection_failure() {
    let (base, _) = cut_short_server(200, "", 4096).await;
    let islo = static_client(&base).build().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let err = islo
        .sandbox("sb")
        .download_dir("/workspace", dir.path().join("out"))
        .await
        .unwrap_err();
    assert!(!matches!(err, Error::Archive(_)), "{err:?}");
    assert_ne!(err.kind(), islo::ErrorKind::Local, "{err:?}");
    assert!(err.is_retryable(), "{err:?}");
}

/// A raw upload of bytes held in memory is a body that can be sent again: after a 429 it is
/// retried like any POST the server did not act on, with the whole file each time.
#[tokio::test]
async fn an_in_memory_upload_is_retried_after_a_429() {
    let server = MockServer::start_async().await;
    let n = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = n.clone();
    let bodies = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = bodies.clone();
    server
        .mock_async(move |when, then| {
            when.method(POST).path("/sandboxes/sb/files");
            then.respond_with(move |req: &httpmock::HttpMockRequest| {
                seen.lock().unwrap().push(req.body().to_vec());
                if counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0 {
                    httpmock::HttpMockResponse::builder()
                        .status(429)
                        .header("retry-after", "0")
                        .header("content-type", "application/json")
                        .body(r#"{"code":"RATE_LIMITED","message":"slow down"}"#)
                        .build()
                } else {
                    httpmock::HttpMockResponse::builder()
                        .status(200)
                        .header("content-type", "application/json")
                        .body(r#"{"status":"uploaded"}"#)
                        .build()
                }
            });
        })
        .await;
    let islo = static_client(&server.base_url())
        .max_attempts(2)
        .build()
        .unwrap();
    let result = islo
        .upload_file("sb", "/workspace/a.txt", b"hello there".to_vec())
        .await;
    assert_eq!(n.load(std::sync::atomic::Ordering::SeqCst), 2, "{result:?}");
    assert_eq!(result.expect("uploaded after the 429").status, "uploaded");
    let bodies = bodies.lock().unwrap();
    assert_eq!(bodies.len(), 2);
    for body in bodies.iter() {
        let text = String::from_utf8_lossy(body);
        assert!(text.contains("hello there"), "{text}");
        assert!(text.contains(r#"name="file"; filename="a.txt""#), "{text}");
    }
}

/// Output that came before a failure reaches a buffered writer: `exec_to_writers` and
/// `download_to_writer` flush however they end (a `BufWriter` does not flush on drop, and
/// the last output is often what explains the failure).
#[tokio::test]
async fn writers_are_flushed_when_a_stream_fails() {
    use tokio::io::BufWriter;
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST).path("/sandboxes/sb/exec/stream");
            then.status(200)
                .header("content-type", "text/event-stream")
                .body("event: stdout\ndata: the tail\n\n");
        })
        .await;
    let islo = static_client(&server.base_url()).build().unwrap();
    let (mut out, mut err) = (BufWriter::new(Vec::new()), BufWriter::new(Vec::new()));
    let ended = islo
        .sandbox("sb")
        .exec_to_writers(["x"], islo::exec::ExecOptions::new(), &mut out, &mut err)
        .await;
    assert!(ended.is_err(), "{ended:?}");
    assert!(
        out.get_ref().starts_with(b"the tail"),
        "{:?}",
        out.get_ref()
    );

    let (base, _) = cut_short_server(200, "partial content", 4096).await;
    let islo = static_client(&base).build().unwrap();
    let mut buffered = BufWriter::new(Vec::new());
    let got = islo
        .sandbox("sb")
        .download_to_writer("/workspace/f", &mut buffered)
        .await;
    assert!(got.is_err(), "{got:?}");
    assert_eq!(buffered.get_ref(), b"partial content");
}

// ----- 8. the credential a request carried is redacted everywhere ----------------------------

/// `exec_stream` on sandbox `sb` of `server`, which answers `body` as the event stream, by a
/// client holding the static session token `token`.
async fn exec_stream_of(server: &MockServer, body: &str, token: &str) -> islo::exec::ExecStream {
    let body = body.to_string();
    server
        .mock_async(move |when, then| {
            when.method(POST).path("/sandboxes/sb/exec/stream");
            then.status(200)
                .header("content-type", "text/event-stream")
                .body(body);
        })
        .await;
    Islo::builder()
        .ignore_env()
        .session_token(token)
        .control_url(server.base_url())
        .compute_url(server.base_url())
        .build()
        .unwrap()
        .sandbox("sb")
        .exec_stream(["true"], islo::exec::ExecOptions::new())
        .await
        .unwrap()
}

#[tokio::test]
async fn an_opaque_session_token_echoed_by_an_exec_stream_error_is_redacted() {
    let server = MockServer::start_async().await;
    let mut events = exec_stream_of(
        &server,
        "event: error\ndata: session opaque-sess-77f1e2 rejected by vm\n\n",
        "opaque-sess-77f1e2",
    )
    .await;
    let mut seen = Vec::new();
    while let Some(item) = futures_util::StreamExt::next(&mut events).await {
        seen.push(match item {
            Ok(ev) => format!("{ev:?}"),
            Err(e) => format!("{e} {e:?}"),
        });
    }
    let all = seen.join("\n");
    assert!(all.contains("rejected by vm"), "{all}");
    assert!(!all.contains("opaque-sess-77f1e2"), "{all}");
    assert!(all.contains("[redacted]"), "{all}");
}

#[tokio::test]
async fn a_token_that_was_rotated_out_is_still_redacted_from_errors() {
    let server = MockServer::start_async().await;
    let issued = std::sync::Arc::new(std::sync::atomic::AtomicU32::new(0));
    let n = issued.clone();
    server
        .mock_async(move |when, then| {
            when.method(POST).path("/auth/token");
            then.respond_with(move |_| {
                let i = n.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let token = if i == 0 {
                    "opaque-first-1111"
                } else {
                    "opaque-second-2222"
                };
                httpmock::HttpMockResponse::builder()
                    .status(200)
                    .header("content-type", "application/json")
                    .body(token_answer(token, 3600).to_string())
                    .build()
            });
        })
        .await;
    // The first token is refused (rotated out), the second works.
    server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/environments")
                .header("authorization", "Bearer opaque-first-1111");
            then.status(401);
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/environments");
            then.status(200).json_body(json!([]));
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/sandboxes/sb");
            then.status(500)
                .body("upstream said: opaque-first-1111 expired, opaque-second-2222 in use");
        })
        .await;
    let islo = Islo::builder()
        .ignore_env()
        .api_key(key("rotated"))
        .control_url(server.base_url())
        .compute_url(server.base_url())
        .max_attempts(1)
        .build()
        .unwrap();
    // A token just issued and refused is not replayed within the call; the next call
    // exchanges again.
    let refused = islo.list_environments().await.unwrap_err();
    assert_eq!(refused.status().map(|s| s.as_u16()), Some(401));
    islo.list_environments().await.unwrap();
    assert_eq!(issued.load(std::sync::atomic::Ordering::SeqCst), 2);
    let err = islo.get_sandbox("sb").await.unwrap_err();
    let text = format!(
        "{} {err:?} {:?}",
        chain(&err),
        err.as_api().map(|a| a.body())
    );
    assert!(text.contains("expired"), "{text}");
    assert!(!text.contains("opaque-first-1111"), "{text}");
    assert!(!text.contains("opaque-second-2222"), "{text}");
}

#[test]
fn the_fake_builder_never_prints_its_api_key() {
    let b = islo::mock::FakeIslo::builder().api_key("ak_fake_secret_9f3a");
    let text = format!("{b:?}");
    assert!(!text.contains("ak_fake_secret_9f3a"), "{text}");
    assert!(text.contains("FakeIsloBuilder"), "{text}");
}

/// An `exit` event whose data is not a number is shown truncated; the session token it
/// echoes is redacted before the cut, so no part of it survives.
#[tokio::test]
async fn a_token_echoed_by_a_bad_exit_event_is_redacted_before_it_is_cut_short() {
    let token = "opaque-sess-0123456789abcdef0123456789abcdef0123456789abcdef-tail01";
    assert!(token.len() > 64);
    let server = MockServer::start_async().await;
    let mut events =
        exec_stream_of(&server, &format!("event: exit\ndata: {token}\n\n"), token).await;
    let err = futures_util::StreamExt::next(&mut events)
        .await
        .expect("an item")
        .expect_err("a bad exit event is an error");
    let text = format!("{err} {err:?}");
    assert!(!text.contains(&token[..20]), "{text}");
    assert!(text.contains("[redacted]"), "{text}");
}

/// Exit codes are kept as the server sent them, also beyond `i32` (a Windows-style
/// `0xC0000005` read as unsigned), in the stream and in a finished exec's result.
#[tokio::test]
async fn an_exit_code_beyond_i32_is_kept_as_sent() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST).path("/sandboxes/sb/exec");
            then.status(200).json_body(
                serde_json::json!({"exec_id": "e1", "sandbox_id": "id-1", "status": "running"}),
            );
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/sandboxes/sb/exec/e1");
            then.status(200).json_body(serde_json::json!({
                "exec_id": "e1", "status": "completed", "exit_code": -4294967296i64,
                "stdout": "", "stderr": "", "truncated": false
            }));
        })
        .await;
    let mut events = exec_stream_of(
        &server,
        "event: exit\ndata: 3221225477\n\n",
        "t0k3n-exit-codes",
    )
    .await;
    let islo = Islo::builder()
        .ignore_env()
        .session_token("t0k3n-exit-codes")
        .control_url(server.base_url())
        .compute_url(server.base_url())
        .build()
        .unwrap();
    let ev = futures_util::StreamExt::next(&mut events)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ev, islo::exec::ExecEvent::Exit(3_221_225_477));
    let out = islo.sandbox("sb").exec(["true"]).await.unwrap();
    assert_eq!(out.exit_code, Some(-4_294_967_296));
}

// ----- 9. server text in an error's message is bounded and cannot forge a log line ----------

/// No character that moves a terminal's cursor, starts an escape sequence or reorders the
/// text around it (C0 and C1 controls, DEL, the bidirectional overrides and isolates).
fn assert_printable(text: &str) {
    let bad = text.chars().find(|&c| {
        c.is_control() || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    });
    assert!(bad.is_none(), "{bad:?} in {text:?}");
}

/// What a hostile server writes to forge a log line: erase the line, return, a new line
/// that looks like the SDK's own, a bidirectional override; then a lot more.
fn forging_text() -> String {
    format!(
        "ok\u{1b}[2K\r\nINFO islo: all good\u{7}\u{9b}31m\u{202e}txt.exe{}",
        "y".repeat(100_000)
    )
}

#[tokio::test]
async fn an_api_error_message_is_bounded_and_escaped() {
    let server = MockServer::start_async().await;
    let body = serde_json::json!({"code": "bad", "message": forging_text()});
    server
        .mock_async(move |when, then| {
            when.method(GET).path("/sandboxes/sb");
            then.status(400).json_body(body);
        })
        .await;
    let islo = static_client(&server.base_url()).build().unwrap();
    let err = failed_get(&islo, 10).await;
    let shown = err.to_string();
    assert_printable(&shown);
    assert!(shown.len() < 8192, "{} bytes", shown.len());
    assert!(
        shown.contains("ok") && shown.contains("all good"),
        "{shown}"
    );
    assert!(format!("{err:?}").len() < 8192);
    // The message itself stays whole for a caller who wants it.
    let Error::Api(api) = &err else {
        panic!("{err:?}")
    };
    assert!(api.message().contains(&forging_text()[..40]));
}

#[tokio::test]
async fn a_stream_error_message_is_bounded_and_escaped() {
    let server = MockServer::start_async().await;
    let body = format!(
        "event: error\ndata: {}\n\n",
        forging_text().replace(['\r', '\n'], " ")
    );
    let items: Vec<_> =
        futures_util::StreamExt::collect(exec_stream_of(&server, &body, "static-token").await)
            .await;
    let Some(Err(err)) = items.last() else {
        panic!("{items:?}")
    };
    let shown = err.to_string();
    assert_printable(&shown);
    assert!(shown.len() < 8192, "{} bytes", shown.len());
    assert!(shown.contains("all good"), "{shown}");
}

// ----- 10. a streamed answer that never starts ends with the call's timeout -----------------

/// A server that accepts the request and never answers: a streamed call (its body is not
/// cut by the timeout) still gives up waiting for the answer to start after `.timeout()`.
#[tokio::test]
async fn a_streamed_answer_that_never_starts_times_out() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST).path("/sandboxes/sb/exec/stream");
            then.status(200)
                .header("content-type", "text/event-stream")
                .delay(Duration::from_secs(60))
                .body("event: exit\ndata: 0\n\n");
        })
        .await;
    let islo = static_client(&server.base_url())
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let started = std::time::Instant::now();
    let r = tokio::time::timeout(
        Duration::from_secs(10),
        islo.sandbox("sb")
            .exec_stream(["true"], islo::exec::ExecOptions::new()),
    )
    .await
    .expect("the call gives up by itself");
    let err = r.map(|_| ()).unwrap_err();
    assert_eq!(err.kind(), islo::ErrorKind::Timeout, "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(10));
}

/// A download (replayable) whose answer never starts is retried like any timed-out call.
#[tokio::test]
async fn a_download_whose_answer_never_starts_is_retried_then_times_out() {
    let server = MockServer::start_async().await;
    let hung = server
        .mock_async(|when, then| {
            when.method(GET).path("/sandboxes/sb/files");
            then.status(200).delay(Duration::from_secs(60)).body("data");
        })
        .await;
    let islo = static_client(&server.base_url())
        .max_attempts(2)
        .retry_backoff(Duration::from_millis(1), Duration::from_millis(2))
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let mut out = Vec::new();
    let r = tokio::time::timeout(
        Duration::from_secs(10),
        islo.sandbox("sb").download_to_writer("/f", &mut out),
    )
    .await
    .expect("the call gives up by itself");
    let err = r.unwrap_err();
    assert_eq!(err.kind(), islo::ErrorKind::Timeout, "{err:?}");
    assert_eq!(hung.calls_async().await, 2);
}

/// A raw HTTP peer that answers every request with `status` and the start of a chunked body
/// (`start`), then holds the connection open without another byte.
async fn stalled_body_server(
    status: u16,
    start: impl AsRef<[u8]> + Copy + Send + 'static,
) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut conn, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = conn.read(&mut buf).await;
                let start = start.as_ref();
                let head = format!(
                    "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n{:x}\r\n",
                    start.len()
                );
                let _ = conn.write_all(head.as_bytes()).await;
                let _ = conn.write_all(start).await;
                let _ = conn.write_all(b"\r\n").await;
                tokio::time::sleep(Duration::from_secs(120)).await;
                drop(conn);
            });
        }
    });
    format!("http://{addr}")
}

/// A streamed call answered with an error whose body then stalls: the error body is read
/// within `.timeout()` too (it hung forever, as only the wait for the headers was bounded),
/// and the error keeps the status and what came of the body.
#[tokio::test]
async fn a_streamed_call_whose_error_body_stalls_ends_with_the_error_so_far() {
    let base = stalled_body_server(404, r#"{"detail":"no such sand"#).await;
    let islo = static_client(&base)
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let r = tokio::time::timeout(
        Duration::from_secs(20),
        islo.sandbox("sb")
            .exec_stream(["true"], islo::exec::ExecOptions::new()),
    )
    .await
    .expect("the call gives up by itself");
    let err = r.map(|_| ()).unwrap_err();
    let api = err.as_api().unwrap_or_else(|| panic!("{err:?}"));
    assert_eq!(api.status().as_u16(), 404, "{err:?}");
    assert!(
        String::from_utf8_lossy(api.body()).contains("no such sand"),
        "{err:?}"
    );

    let mut out = Vec::new();
    let r = tokio::time::timeout(
        Duration::from_secs(20),
        islo.sandbox("sb").download_to_writer("/f", &mut out),
    )
    .await
    .expect("the download gives up by itself");
    let err = r.unwrap_err();
    assert_eq!(
        err.as_api().map(|a| a.status().as_u16()),
        Some(404),
        "{err:?}"
    );
}

/// A streamed upload whose JSON answer starts and then stalls: the answer is read within
/// `.timeout()` (the upload itself is not cut by it; reading the answer hung forever).
#[tokio::test]
async fn a_streamed_upload_whose_answer_stalls_ends_with_the_timeout() {
    let base = stalled_body_server(200, r#"{"path":"/workspace/a","#).await;
    let err = small_upload_error(&base).await;
    assert_eq!(err.kind(), islo::ErrorKind::Timeout, "{err:?}");
}

/// The error of a 5-byte `upload_reader` to `base` with a 300 ms timeout, which must end
/// within 20 s.
async fn small_upload_error(base: &str) -> Error {
    let islo = static_client(base)
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    tokio::time::timeout(
        Duration::from_secs(20),
        islo.sandbox("sb")
            .upload_reader(&b"hello"[..], "/workspace/a"),
    )
    .await
    .expect("the upload gives up by itself")
    .unwrap_err()
}

/// An exec stream whose connection breaks: the error says what broke, once, with reqwest's
/// cause and without the request's URL.
#[tokio::test]
async fn a_broken_exec_stream_says_what_broke_once() {
    let (base, _) = cut_short_server(200, "event: stdout\ndata: hi\n\n", 4096).await;
    let items: Vec<_> = futures_util::StreamExt::collect(
        static_client(&base)
            .build()
            .unwrap()
            .sandbox("sb")
            .exec_stream(["true"], islo::exec::ExecOptions::new())
            .await
            .unwrap(),
    )
    .await;
    let Some(Err(err)) = items.last() else {
        panic!("{items:?}")
    };
    let shown = err.to_string();
    assert_eq!(shown.matches("event stream").count(), 1, "{shown}");
    assert!(!shown.contains(&base), "{shown}");
    // reqwest's own words for a body cut short follow the SDK's.
    let sdk_part = "reading the event stream failed: ";
    let cause = shown
        .split(sdk_part)
        .nth(1)
        .unwrap_or_else(|| panic!("{shown}"));
    assert!(!cause.is_empty(), "{shown}");
}

/// A success body that does not decode: serde quotes the value it could not take, which is
/// the server's text, of any length. The error's text is bounded; the body stays whole in
/// the error for a caller who wants it.
#[tokio::test]
async fn a_decode_error_quoting_a_huge_value_is_bounded() {
    let server = MockServer::start_async().await;
    let huge = format!("\u{1b}[2K{}", "z".repeat(100_000));
    let body = json!({"id": "i", "name": "sb", "image": "x", "status": "running",
        "created_at": "2026-01-01T00:00:00Z", "lifecycle": {"delete_after": huge}});
    server
        .mock_async(move |when, then| {
            when.method(GET).path("/sandboxes/sb");
            then.status(200).json_body(body);
        })
        .await;
    let islo = static_client(&server.base_url()).build().unwrap();
    let err = failed_get(&islo, 10).await;
    assert!(matches!(err, Error::Decode { .. }), "{err:?}");
    let shown = err.to_string();
    assert!(shown.len() < 8192, "{} bytes", shown.len());
    assert_printable(&shown);
    assert!(format!("{err:?}").len() < 8192);
    let whole = chain(&err);
    assert!(whole.len() < 3 * 8192, "{} bytes", whole.len());
    assert_printable(&whole);
    let Error::Decode { body, .. } = &err else {
        unreachable!()
    };
    assert!(body.len() > 100_000);
}

/// A download whose data stops coming fails once nothing has arrived for `.timeout()`, with
/// what came before kept by the writer (it waited forever: the timeout bounded only the wait
/// for the answer to start). The same stall through `download_file` leaves no file, and
/// through `download_dir` is a timeout, not an archive error.
#[tokio::test]
async fn a_download_whose_data_stalls_fails_once_idle_for_the_timeout() {
    let base = stalled_body_server(200, "the first bytes").await;
    let islo = static_client(&base)
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let sb = islo.sandbox("sb");
    let mut got = Vec::new();
    let r = tokio::time::timeout(
        Duration::from_secs(20),
        sb.download_to_writer("/f", &mut got),
    )
    .await
    .expect("the download gives up by itself");
    let err = r.unwrap_err();
    assert_eq!(err.kind(), islo::ErrorKind::Timeout, "{err:?}");
    assert!(err.to_string().contains("download"), "{err}");
    assert_eq!(got, b"the first bytes");

    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("out.bin");
    let r = tokio::time::timeout(Duration::from_secs(20), sb.download_file("/f", &target))
        .await
        .expect("the download gives up by itself");
    assert_eq!(r.unwrap_err().kind(), islo::ErrorKind::Timeout);
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);

    // The start of a gzip stream, which the extraction waits to see more of.
    let base = stalled_body_server(200, &[0x1f_u8, 0x8b, 8, 0][..]).await;
    let islo = static_client(&base)
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let r = tokio::time::timeout(
        Duration::from_secs(20),
        islo.sandbox("sb")
            .download_dir("/d", dir.path().join("tree")),
    )
    .await
    .expect("the download gives up by itself");
    let err = r.unwrap_err();
    assert_eq!(err.kind(), islo::ErrorKind::Timeout, "{err:?}");
}

/// The typed download operations themselves are bounded like the `Sandbox` helpers: a body
/// whose data stops coming ends with an error reqwest calls a timeout once nothing has come
/// for `.timeout()` (it waited forever: only the wait for the answer to start was bounded).
#[tokio::test]
async fn a_typed_download_whose_data_stalls_fails_once_idle_for_the_timeout() {
    use futures_util::StreamExt;
    let base = stalled_body_server(200, "the first bytes").await;
    let islo = static_client(&base)
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    for archive in [false, true] {
        let answer = if archive {
            islo.download_archive("sb", "/d").await
        } else {
            islo.download_file("sb", "/f").await
        };
        let mut body = answer.unwrap().into_inner();
        let first = body.next().await.unwrap().unwrap();
        assert_eq!(&first[..], b"the first bytes");
        let next = tokio::time::timeout(Duration::from_secs(20), body.next())
            .await
            .expect("the body gives up by itself");
        let err = next.unwrap().unwrap_err();
        assert!(err.is_timeout(), "{err:?}");
        assert!(body.next().await.is_none(), "archive: {archive}");
    }
}

/// A download whose data keeps coming is not cut, however long it takes: with a 400 ms
/// timeout, 8 chunks 150 ms apart (1.2 s in all) come whole, typed and through a helper.
#[tokio::test]
async fn a_download_that_keeps_moving_is_not_cut_by_the_timeout() {
    use futures_util::StreamExt;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut conn, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = conn.read(&mut buf).await;
                let head = "HTTP/1.1 200 OK\r\ncontent-type: application/octet-stream\r\ntransfer-encoding: chunked\r\n\r\n";
                let _ = conn.write_all(head.as_bytes()).await;
                for i in 0..8 {
                    tokio::time::sleep(Duration::from_millis(150)).await;
                    let _ = conn.write_all(format!("1\r\n{i}\r\n").as_bytes()).await;
                }
                let _ = conn.write_all(b"0\r\n\r\n").await;
            });
        }
    });
    let islo = static_client(&base)
        .timeout(Duration::from_millis(400))
        .build()
        .unwrap();
    let mut body = islo.download_file("sb", "/f").await.unwrap().into_inner();
    let mut got = Vec::new();
    while let Some(chunk) = body.next().await {
        got.extend_from_slice(&chunk.unwrap());
    }
    assert_eq!(got, b"01234567");
    let mut got = Vec::new();
    islo.sandbox("sb")
        .download_to_writer("/f", &mut got)
        .await
        .unwrap();
    assert_eq!(got, b"01234567");
}

/// A peer that reads requests and never answers, and reports each connection the client
/// lets go.
async fn closing_silent_server() -> (String, tokio::sync::mpsc::UnboundedReceiver<()>) {
    use tokio::io::AsyncReadExt;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (closed_tx, closed) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((mut conn, _)) = listener.accept().await {
            let closed_tx = closed_tx.clone();
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                while let Ok(n) = conn.read(&mut buf).await {
                    if n == 0 {
                        break;
                    }
                }
                let _ = closed_tx.send(());
            });
        }
    });
    (base, closed)
}

/// The delete a dropped guard hands to the runtime is bounded even when the client has no
/// timeout: against a server that never answers, its connection is let go once the guard's
/// `drop_deadline` has passed (the task waited forever, holding the connection).
#[tokio::test]
async fn a_dropped_guards_delete_gives_up_after_its_deadline() {
    let (base, mut closed) = closing_silent_server().await;
    let islo = static_client(&base).build().unwrap();
    let guard = islo::sandbox::SandboxGuard::new(islo.sandbox("sb"))
        .drop_deadline(Duration::from_millis(300));
    drop(guard);
    tokio::time::timeout(Duration::from_secs(10), closed.recv())
        .await
        .expect("the dropped guard's delete lets its connection go")
        .unwrap();
}

/// The same outside a runtime, where the delete runs on a thread of its own.
#[test]
fn a_guard_dropped_outside_a_runtime_gives_up_after_its_deadline() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let (base, mut closed) = rt.block_on(closing_silent_server());
    let islo = static_client(&base).build().unwrap();
    let guard = islo::sandbox::SandboxGuard::new(islo.sandbox("sb"))
        .drop_deadline(Duration::from_millis(300));
    drop(guard);
    rt.block_on(async { tokio::time::timeout(Duration::from_secs(10), closed.recv()).await })
        .expect("the dropped guard's delete lets its connection go")
        .unwrap();
}

/// A peer that reads a request's head and then nothing more (an upload bigger than the
/// socket buffers can never finish sending), or with `whole`, reads the whole chunked
/// request and then never answers.
async fn silent_server(whole: bool) -> String {
    use tokio::io::AsyncReadExt;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut conn, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut seen = Vec::new();
                let mut buf = [0u8; 4096];
                while seen.is_empty() || (whole && !seen.ends_with(b"0\r\n\r\n")) {
                    match conn.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => seen.extend_from_slice(&buf[..n]),
                    }
                }
                tokio::time::sleep(Duration::from_secs(120)).await;
                drop(conn);
            });
        }
    });
    format!("http://{addr}")
}

/// An upload the server stops reading fails once the connection has taken nothing for
/// `.timeout()` (it waited forever), from a reader and from a file alike.
#[tokio::test]
async fn an_upload_the_server_stops_reading_fails_once_idle_for_the_timeout() {
    let base = silent_server(false).await;
    let islo = static_client(&base)
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let sb = islo.sandbox("sb");
    let data = vec![7u8; 64 << 20];
    let r = tokio::time::timeout(
        Duration::from_secs(20),
        sb.upload_reader(std::io::Cursor::new(data.clone()), "/workspace/a"),
    )
    .await
    .expect("the upload gives up by itself");
    let err = r.unwrap_err();
    assert_eq!(err.kind(), islo::ErrorKind::Timeout, "{err:?}");
    assert!(err.to_string().contains("upload"), "{err}");

    let dir = tempfile::tempdir().unwrap();
    let local = dir.path().join("big.bin");
    std::fs::write(&local, &data).unwrap();
    let r = tokio::time::timeout(
        Duration::from_secs(20),
        sb.upload_file(&local, "/workspace/a"),
    )
    .await
    .expect("the upload gives up by itself");
    assert_eq!(r.unwrap_err().kind(), islo::ErrorKind::Timeout);
}

/// A streamed upload whose body is all sent and whose answer never comes fails once
/// `.timeout()` has passed since the last byte (it waited forever).
#[tokio::test]
async fn an_upload_whose_answer_never_comes_fails_after_the_timeout() {
    let base = silent_server(true).await;
    let err = small_upload_error(&base).await;
    assert_eq!(err.kind(), islo::ErrorKind::Timeout, "{err:?}");
}

/// The typed operation itself, given a streamed body of the caller's, is bounded like the
/// `Sandbox` helpers: an upload the server stops reading fails after `.timeout()`.
#[tokio::test]
async fn a_raw_streamed_upload_the_server_stops_reading_fails_after_the_timeout() {
    let base = silent_server(false).await;
    let islo = static_client(&base)
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let chunks = futures_util::stream::iter(
        (0..1024).map(|_| Ok::<_, std::io::Error>(bytes::Bytes::from(vec![7u8; 64 << 10]))),
    );
    let r = tokio::time::timeout(
        Duration::from_secs(20),
        islo.upload_file("sb", "/workspace/a", reqwest::Body::wrap_stream(chunks)),
    )
    .await
    .expect("the upload gives up by itself");
    let err = r.map(|_| ()).unwrap_err();
    assert_eq!(err.kind(), islo::ErrorKind::Timeout, "{err:?}");
}

//! The API key and session tokens never show up in Debug/Display or logs.

mod client_support;

use client_support::*;
use httpmock::prelude::*;
use serde_json::json;

const TOKEN: &str = "tok_opaque_s3cr3t_session_value";

fn assert_clean(text: &str, key: &str) {
    assert!(!text.contains(key), "API key leaked: {text}");
    assert!(!text.contains(TOKEN), "session token leaked: {text}");
}

/// Everything an error shows: `Display`, `Debug` (plain and alternate), its sources, and an
/// API error's message and body.
fn shown(err: &islo::Error) -> String {
    let mut text = format!("{err} | {err:?} | {err:#?}");
    if let Some(api) = err.as_api() {
        text.push_str(&format!(
            " | {} | {}",
            api.message(),
            String::from_utf8_lossy(api.body())
        ));
    }
    let mut src = std::error::Error::source(err);
    while let Some(e) = src {
        text.push_str(&format!(" | {e} | {e:?}"));
        src = e.source();
    }
    text
}

async fn echoing_servers(key: &str) -> (MockServer, MockServer) {
    let control = MockServer::start_async().await;
    let compute = MockServer::start_async().await;
    exchange(&control, key, TOKEN, None).await;
    get_sandbox_ok(&compute, "ok").await;
    // The server echoes the bearer token and the key in its error body and a header.
    let echo = format!("rejected Authorization: Bearer {TOKEN}; raw token {TOKEN}; key {key}");
    compute
        .mock_async(move |when, then| {
            when.method(GET).path("/sandboxes/echo");
            then.status(403)
                .header("content-type", "application/json")
                .json_body(json!({"code": "forbidden", "message": echo, "detail": echo}));
        })
        .await;
    (control, compute)
}

#[tokio::test]
async fn client_and_builder_debug_hide_key_and_token() {
    let key = key("secrets_debug");
    let (control, compute) = echoing_servers(&key).await;
    let b = builder(&control.base_url(), &compute.base_url(), &key);
    assert_clean(&format!("{b:?}"), &key);
    let islo = b.build().unwrap();
    islo.get_sandbox("ok").send().await.unwrap(); // token now cached
    assert_clean(&format!("{islo:?} {islo:#?}"), &key);
    let static_client = islo::Islo::builder()
        .ignore_env()
        .session_token(TOKEN)
        .control_url(control.base_url())
        .build()
        .unwrap();
    assert_clean(&format!("{static_client:?}"), &key);
}

#[tokio::test]
async fn api_error_echoing_bearer_token_and_key_is_redacted() {
    let key = key("secrets_api_error");
    let (control, compute) = echoing_servers(&key).await;
    let islo = builder(&control.base_url(), &compute.base_url(), &key)
        .build()
        .unwrap();
    let err = islo.get_sandbox("echo").send().await.unwrap_err();
    assert!(err.as_api().is_some(), "{err:?}");
    let text = shown(&err);
    assert_clean(&text, &key);
    assert!(text.contains("[redacted]"), "{text}");
    assert_eq!(err.status().unwrap().as_u16(), 403);
}

#[tokio::test]
async fn exchange_error_echoing_the_key_is_redacted() {
    let key = key("secrets_exchange");
    let control = MockServer::start_async().await;
    let echo = format!("unknown access_key {key}");
    control
        .mock_async(move |when, then| {
            when.method(POST).path("/auth/token");
            then.status(401)
                .json_body(json!({"code": "invalid_key", "message": echo}));
        })
        .await;
    let islo = builder(&control.base_url(), &control.base_url(), &key)
        .build()
        .unwrap();
    let err = islo.list_environments().send().await.unwrap_err();
    let text = shown(&err);
    assert_clean(&text, &key);
    assert!(text.contains("[redacted]"), "{text}");
}

#[tokio::test]
async fn decode_error_debug_does_not_print_a_body_echoing_secrets() {
    let key = key("secrets_decode");
    let control = MockServer::start_async().await;
    let compute = MockServer::start_async().await;
    exchange(&control, &key, TOKEN, None).await;
    let body = json!({"name": "x", "note": format!("Bearer {TOKEN} {key}")});
    compute
        .mock_async(move |when, then| {
            when.method(GET).path("/sandboxes/x");
            then.status(200).json_body(body);
        })
        .await;
    let islo = builder(&control.base_url(), &compute.base_url(), &key)
        .build()
        .unwrap();
    let err = islo.get_sandbox("x").send().await.unwrap_err();
    assert!(matches!(err, islo::Error::Decode { .. }), "{err:?}");
    assert_clean(&format!("{err} | {err:?} | {err:#?}"), &key);
}

#[tokio::test]
async fn tracing_output_of_a_failing_call_has_no_secrets() {
    let _lock = TRACE_LOCK.lock().await;
    let key = key("secrets_tracing");
    let (control, compute) = echoing_servers(&key).await;
    let (captured, guard) = capture();
    let islo = builder(&control.base_url(), &compute.base_url(), &key)
        .build()
        .unwrap();
    let err = islo.get_sandbox("echo").send().await.unwrap_err();
    tracing::error!(error = %err, debug = ?err, "call failed");
    drop(guard);
    let text = captured.all_text();
    assert!(text.contains("islo.request"), "nothing captured: {text}");
    assert!(text.contains("call failed"), "{text}");
    assert_clean(&text, &key);
}

/// A JSON string may spell any character as `\uXXXX` (and `/` as `\/`): a secret echoed that
/// way is not in the raw body, but it is in the message decoded from it.
#[tokio::test]
async fn a_secret_echoed_with_json_escapes_is_redacted_from_the_decoded_message() {
    let key = key("secrets_json_escapes");
    let control = MockServer::start_async().await;
    let compute = MockServer::start_async().await;
    exchange(&control, &key, TOKEN, None).await;
    // `t` as \u0074 in the token, `k` as \u006b in the key (keys start with `ak_`...).
    let escaped_token = format!("\\u0074{}", &TOKEN[1..]);
    let escaped_key = key.replacen('k', "\\u006b", 1);
    assert!(!escaped_key.contains(&key));
    let body = format!(
        r#"{{"code":"forbidden","message":"raw token {escaped_token} key {escaped_key}","detail":"{escaped_token}"}}"#
    );
    compute
        .mock_async(move |when, then| {
            when.method(GET).path("/sandboxes/escaped");
            then.status(403)
                .header("content-type", "application/json")
                .body(body);
        })
        .await;
    let islo = builder(&control.base_url(), &compute.base_url(), &key)
        .build()
        .unwrap();
    let err = islo.get_sandbox("escaped").send().await.unwrap_err();
    let api = err.as_api().unwrap();
    let text = shown(&err);
    assert_clean(&text, &key);
    assert!(text.contains("[redacted]"), "{text}");
    let islo::ErrorBody::Error(decoded) = api.decoded() else {
        panic!(
            "the body still decodes as an ErrorResponse: {:?}",
            api.decoded()
        );
    };
    assert_eq!(
        decoded.code.as_str(),
        "forbidden",
        "the rest of the body is kept"
    );
}

/// The same for the token exchange's error body and the API key.
#[tokio::test]
async fn an_exchange_error_echoing_the_key_with_json_escapes_is_redacted() {
    let key = key("secrets_exchange_escapes");
    let control = MockServer::start_async().await;
    let escaped_key = key.replacen('k', "\\u006b", 1);
    let body = format!(r#"{{"code":"invalid_key","message":"unknown access_key {escaped_key}"}}"#);
    control
        .mock_async(move |when, then| {
            when.method(POST).path("/auth/token");
            then.status(401)
                .header("content-type", "application/json")
                .body(body);
        })
        .await;
    let islo = builder(&control.base_url(), &control.base_url(), &key)
        .build()
        .unwrap();
    let err = islo.list_environments().send().await.unwrap_err();
    let text = shown(&err);
    assert_clean(&text, &key);
}

/// An error body that is not UTF-8 and echoes no secret is kept byte for byte.
#[tokio::test]
async fn an_error_body_that_is_not_utf8_is_kept_as_sent() {
    let key = key("secrets_not_utf8");
    let control = MockServer::start_async().await;
    let compute = MockServer::start_async().await;
    exchange(&control, &key, TOKEN, None).await;
    compute
        .mock_async(|when, then| {
            when.method(GET).path("/sandboxes/latin1");
            then.status(502).body(b"Caf\xe9 indisponible");
        })
        .await;
    control
        .mock_async(|when, then| {
            when.method(POST)
                .path("/auth/token")
                .json_body_includes(r#"{"access_key":"ak_latin1"}"#);
            then.status(401).body(b"cl\xe9 inconnue");
        })
        .await;
    let islo = builder(&control.base_url(), &compute.base_url(), &key)
        .max_attempts(1)
        .build()
        .unwrap();
    let err = islo.get_sandbox("latin1").send().await.unwrap_err();
    assert_eq!(
        err.as_api().unwrap().body().as_ref(),
        b"Caf\xe9 indisponible"
    );

    let islo = builder(&control.base_url(), &compute.base_url(), "ak_latin1")
        .build()
        .unwrap();
    let err = islo.get_sandbox("latin1").send().await.unwrap_err();
    let islo::Error::Auth(auth) = &err else {
        panic!("expected a failed exchange: {err:?}");
    };
    let islo::AuthError::Rejected(api) = &**auth else {
        panic!("expected a rejected exchange: {auth:?}");
    };
    assert_eq!(api.body().as_ref(), b"cl\xe9 inconnue");
}

/// A 2xx body that does not decode because a value has the wrong type: serde quotes the
/// value in its message. When that value is the session token or the key (opaque, of no
/// credential shape), neither the error nor its sources show it.
#[tokio::test]
async fn a_decode_error_quoting_an_echoed_secret_does_not_show_it() {
    let key = key("secrets_decode_quoted");
    let control = MockServer::start_async().await;
    let compute = MockServer::start_async().await;
    exchange(&control, &key, TOKEN, None).await;
    for (path, echoed) in [
        ("/sandboxes/t", TOKEN.to_string()),
        ("/sandboxes/k", key.clone()),
    ] {
        let body = json!({"name": "x", "id": "i", "image": "m", "status": "running",
            "created_at": "2026-01-01T00:00:00Z", "setup_steps": echoed});
        compute
            .mock_async(move |when, then| {
                when.method(GET).path(path);
                then.status(200).json_body(body);
            })
            .await;
    }
    let islo = builder(&control.base_url(), &compute.base_url(), &key)
        .build()
        .unwrap();
    for name in ["t", "k"] {
        let err = islo.get_sandbox(name).send().await.unwrap_err();
        assert!(matches!(err, islo::Error::Decode { .. }), "{err:?}");
        let text = shown(&err);
        assert_clean(&text, &key);
        assert!(
            text.contains("setup_steps") || text.contains("sequence"),
            "{text}"
        );
    }
}

/// A base URL with a password is refused when the client is built, and before that, a
/// builder or an environment printed with `{:?}` does not show the password either.
#[test]
fn builder_and_environment_debug_hide_a_password_in_a_base_url() {
    let url = "https://user:hunter2@gw.example.com/islo";
    let env = islo::Environment::new(url, url);
    let b = islo::Islo::builder()
        .ignore_env()
        .control_url(url)
        .compute_url("https://:hunter2@gw.example.com")
        .environment(env.clone());
    for text in [format!("{b:?}"), format!("{b:#?}"), format!("{env:?}")] {
        assert!(!text.contains("hunter2"), "{text}");
        assert!(text.contains("gw.example.com"), "{text}");
    }
    let not_a_url = islo::Environment::new("https://u:hunter2@exa mple.com", "x");
    assert!(!format!("{not_a_url:?}").contains("hunter2"));
    let err = b.build().unwrap_err();
    assert!(!format!("{err} {err:?}").contains("hunter2"), "{err:?}");
}

//! The typed errors a call returns.

mod client_support;

use client_support::*;
use httpmock::prelude::*;
use serde_json::json;
use std::error::Error as _;
use std::time::Duration;

async fn setup(name: &str) -> (MockServer, MockServer, islo::Islo) {
    let key = key(name);
    let control = MockServer::start_async().await;
    let compute = MockServer::start_async().await;
    exchange(&control, &key, &format!("tok_{name}"), None).await;
    let islo = builder(&control.base_url(), &compute.base_url(), &key)
        .max_attempts(1)
        .build()
        .unwrap();
    (control, compute, islo)
}

async fn get(islo: &islo::Islo, name: &str) -> islo::Error {
    islo.get_sandbox(name).send().await.unwrap_err()
}

#[tokio::test]
async fn api_error_exposes_status_kind_and_retryability() {
    let (_c, compute, islo) = setup("err_status_kind").await;
    for (status, kind, retryable) in [
        (400u16, islo::ErrorKind::BadRequest, false),
        (402, islo::ErrorKind::PaymentRequired, false),
        (403, islo::ErrorKind::Forbidden, false),
        (404, islo::ErrorKind::NotFound, false),
        (409, islo::ErrorKind::Conflict, false),
        (429, islo::ErrorKind::TooManyRequests, true),
        (500, islo::ErrorKind::ServerError, true),
        (503, islo::ErrorKind::Unavailable, true),
    ] {
        let path = format!("/sandboxes/s{status}");
        compute
            .mock_async(move |when, then| {
                when.method(GET).path(path);
                then.status(status)
                    .json_body(json!({"code": "c", "message": "m"}));
            })
            .await;
        let err = get(&islo, &format!("s{status}")).await;
        assert!(matches!(err, islo::Error::Api(_)), "{err:?}");
        assert_eq!(err.status().unwrap().as_u16(), status);
        assert_eq!(err.kind(), kind);
        assert_eq!(err.is_retryable(), retryable, "{status}");
        assert_eq!(err.kind() == islo::ErrorKind::NotFound, status == 404);
        assert_eq!(err.as_api().unwrap().operation(), "get_sandbox");
    }
}

#[tokio::test]
async fn api_error_keeps_headers_and_raw_body_and_decodes_error_response() {
    let (_c, compute, islo) = setup("err_error_response").await;
    let body =
        r#"{"code":"sandbox_not_found","message":"no sandbox named ghost","request_id":"req-42"}"#;
    compute
        .mock_async(move |when, then| {
            when.method(GET).path("/sandboxes/ghost");
            then.status(404)
                .header("content-type", "application/json")
                .header("x-request-id", "req-42")
                .body(body);
        })
        .await;
    let err = get(&islo, "ghost").await;
    let api = err.as_api().expect("api error");
    assert_eq!(api.headers().get("x-request-id").unwrap(), "req-42");
    assert_eq!(api.body().as_ref(), body.as_bytes());
    match api.decoded() {
        islo::ErrorBody::Error(e) => {
            assert_eq!(e.code.to_string(), "sandbox_not_found");
            assert_eq!(e.message, "no sandbox named ghost");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(api.message(), "no sandbox named ghost");
    let text = err.to_string();
    assert!(text.contains("404"), "{text}");
    assert!(text.contains("no sandbox named ghost"), "{text}");
}

#[tokio::test]
async fn api_error_decodes_http_validation_error() {
    let (_c, compute, _islo) = setup("err_validation").await;
    let key = key("err_validation");
    compute
        .mock_async(|when, then| {
            when.method(POST).path("/sandboxes");
            then.status(422).json_body(json!({
                "detail": [{"loc": ["body", "name"], "msg": "name too long", "type": "value_error"}]
            }));
        })
        .await;
    let islo = builder(&_c.base_url(), &compute.base_url(), &key)
        .build()
        .unwrap();
    let err = islo
        .create_sandbox(islo::types::SandboxCreate::default())
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), islo::ErrorKind::Unprocessable);
    let api = err.as_api().unwrap();
    assert!(
        matches!(api.decoded(), islo::ErrorBody::Validation(_)),
        "{:?}",
        api.decoded()
    );
    assert_eq!(api.message(), "body.name: name too long");
    assert!(err.to_string().contains("name too long"), "{err}");
}

#[tokio::test]
async fn api_error_with_non_json_body_keeps_it_raw() {
    let (_c, compute, islo) = setup("err_raw").await;
    compute
        .mock_async(|when, then| {
            when.method(GET).path("/sandboxes/html");
            then.status(502).body("<html>bad gateway</html>");
        })
        .await;
    let err = get(&islo, "html").await;
    let api = err.as_api().unwrap();
    assert!(matches!(api.decoded(), islo::ErrorBody::Raw));
    assert_eq!(api.body().as_ref(), b"<html>bad gateway</html>");
    assert!(err.to_string().contains("502"), "{err}");
}

#[tokio::test]
async fn success_body_not_matching_the_schema_is_decode_error_with_raw_body() {
    let (_c, compute, islo) = setup("err_decode").await;
    let body = r#"{"id":"x","name":"box"}"#;
    compute
        .mock_async(move |when, then| {
            when.method(GET).path("/sandboxes/box");
            then.status(200)
                .header("content-type", "application/json")
                .body(body);
        })
        .await;
    let err = get(&islo, "box").await;
    match &err {
        islo::Error::Decode {
            operation,
            body: raw,
            ..
        } => {
            assert_eq!(*operation, "get_sandbox");
            assert_eq!(raw.as_ref(), body.as_bytes());
        }
        other => panic!("{other:?}"),
    }
    assert!(err.source().is_some());
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn connection_refused_is_transport_error_with_source_chain() {
    let key = key("err_refused");
    let control = MockServer::start_async().await;
    exchange(&control, &key, "tok_err_refused", None).await;
    let islo = builder(&control.base_url(), &refused_url(), &key)
        .max_attempts(1)
        .build()
        .unwrap();
    let err = get(&islo, "box").await;
    assert!(matches!(err, islo::Error::Transport { .. }), "{err:?}");
    assert!(err.is_retryable());
    assert_eq!(err.status(), None);
    let mut chain = 0;
    let mut cur: Option<&dyn std::error::Error> = err.source();
    while let Some(e) = cur {
        chain += 1;
        cur = e.source();
    }
    assert!(chain >= 1, "{err:?}");
}

#[tokio::test]
async fn exchange_connection_refused_is_auth_transport_error() {
    let key = key("err_exchange_refused");
    let islo = builder(&refused_url(), &refused_url(), &key)
        .max_attempts(1)
        .build()
        .unwrap();
    let err = islo.list_environments().send().await.unwrap_err();
    assert!(
        matches!(&err, islo::Error::Auth(a) if matches!(**a, islo::AuthError::Transport { .. })),
        "{err:?}"
    );
    assert!(err.is_retryable());
    assert!(err.source().is_some());
}

#[tokio::test]
async fn slow_response_is_timeout_error() {
    let (_c, compute, islo) = setup("err_timeout").await;
    compute
        .mock_async(|when, then| {
            when.method(GET).path("/sandboxes/slow");
            then.delay(Duration::from_secs(2))
                .status(200)
                .json_body(sandbox("slow"));
        })
        .await;
    let err = get(&islo.with_timeout(Duration::from_millis(200)), "slow").await;
    assert!(matches!(err, islo::Error::Timeout { .. }), "{err:?}");
    assert!(err.is_retryable());
    assert!(err.to_string().contains("timed out"), "{err}");
}

#[tokio::test]
async fn builder_timeout_gives_timeout_error() {
    let key = key("err_builder_timeout");
    let control = MockServer::start_async().await;
    let compute = MockServer::start_async().await;
    exchange(&control, &key, "tok_err_bt", None).await;
    compute
        .mock_async(|when, then| {
            when.method(GET).path("/sandboxes/slow");
            then.delay(Duration::from_secs(2))
                .status(200)
                .json_body(sandbox("slow"));
        })
        .await;
    let islo = builder(&control.base_url(), &compute.base_url(), &key)
        .max_attempts(1)
        .timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    let err = get(&islo, "slow").await;
    assert!(matches!(err, islo::Error::Timeout { .. }), "{err:?}");
}

#[tokio::test]
async fn empty_path_argument_is_invalid_request_and_nothing_is_sent() {
    let (_c, compute, islo) = setup("err_invalid").await;
    let any = compute
        .mock_async(|_when, then| {
            then.status(200);
        })
        .await;
    let err = islo.get_sandbox("").await.unwrap_err();
    assert!(matches!(err, islo::Error::InvalidRequest(_)), "{err:?}");
    assert!(err.to_string().contains("get_sandbox"), "{err}");
    assert_eq!(any.calls_async().await, 0);
}

//! Nothing the API sends is lost or refused, over the wire: a mock server answers one
//! operation with a real-shaped payload (the spec's example with the interesting part put in,
//! shapes as the official Python SDK's models have them), the SDK decodes it, and encoding the
//! decoded value gives back the JSON that was sent. Request bodies are checked the same way:
//! what reaches the server is exactly the JSON the caller meant.

use httpmock::prelude::*;
use islo::{types, Islo, Patch};
use serde_json::{json, Value};

/// A client whose both planes are `server`.
fn client(server: &MockServer) -> Islo {
    Islo::builder()
        .ignore_env()
        .session_token("lossless-jwt")
        .control_url(server.base_url())
        .compute_url(server.base_url())
        .max_attempts(1)
        .build()
        .expect("client")
}

/// `op`'s example answer from the spec, with `change` applied.
fn example(op: &str, change: impl FnOnce(&mut Value)) -> Value {
    let mut v = islo::mock::example_response(op).unwrap_or_else(|| panic!("{op}: no example"));
    change(&mut v);
    v
}

/// Serves `text` as the JSON answer to `method path`.
async fn answer(server: &MockServer, method: httpmock::Method, path: &str, text: String) {
    let path = path.to_string();
    server
        .mock_async(move |when, then| {
            when.method(method).path(path);
            then.status(200)
                .header("content-type", "application/json")
                .body(text);
        })
        .await;
}

/// The conditions the Python SDK's `IncomingWebhookCondition` can hold: JSON-path leaves of
/// every shape, the legacy `{json_path, equals}` form, and the combinators around them.
fn conditions() -> Value {
    json!({
        "op": "all",
        "conditions": [
            {"op": "less_than", "json_path": "$.x", "value": -2.2},
            {"op": "greater_than_or_equal", "json_path": "$.n", "value": 10.5},
            {"op": "equals", "json_path": "$.action", "value": "opened"},
            {"op": "matches", "json_path": "$.ref", "pattern": "^refs/heads/"},
            {"json_path": "$.repository.full_name", "equals": "islo-labs/sdk"},
            {"op": "not", "condition": {"op": "exists", "json_path": "$.draft"}},
            {"op": "any", "conditions": [
                {"op": "contains", "json_path": "$.labels", "value": "ci"},
                {"op": "not_exists", "json_path": "$.skip"}
            ]}
        ]
    })
}

#[tokio::test]
async fn incoming_webhook_conditions_decode_and_encode_unchanged() {
    let server = MockServer::start_async().await;
    let sent = example("get_incoming_webhook", |v| {
        v["rules"][0]["when"] = conditions();
    });
    answer(
        &server,
        GET,
        "/webhooks/incoming/wh_1",
        serde_json::to_string(&sent).unwrap(),
    )
    .await;
    let got = client(&server)
        .get_incoming_webhook("wh_1")
        .await
        .expect("the webhook decodes")
        .into_inner();
    assert_eq!(serde_json::to_value(&got).unwrap(), sent);
}

#[tokio::test]
async fn incoming_webhook_conditions_reach_the_server_unchanged() {
    let server = MockServer::start_async().await;
    let mut body = islo::mock::example_request("create_incoming_webhook").expect("example");
    body["rules"] = json!([{
        "actions": islo::mock::example_request("create_incoming_webhook").unwrap()["rules"][0]["actions"],
        "when": conditions()
    }]);
    let answer_body = islo::mock::example_response("create_incoming_webhook").unwrap();
    let expected = body.clone();
    let mock = server
        .mock_async(move |when, then| {
            when.method(POST)
                .path("/webhooks/incoming")
                .json_body(expected);
            then.status(201).json_body(answer_body);
        })
        .await;
    let typed: types::IncomingWebhookCreate = serde_json::from_value(body).expect("decodes");
    let result = client(&server).create_incoming_webhook(typed).await;
    assert_eq!(mock.calls_async().await, 1, "the body changed on the way");
    result.expect("created");
}

#[tokio::test]
async fn an_unknown_external_ref_kind_does_not_fail_the_job_run() {
    let server = MockServer::start_async().await;
    let sent = example("get_job_run", |v| {
        v["artifact_refs"] = json!([{
            "type": "knowledge",
            "provider": "islo",
            "external_ref": {"provider": "islo", "slug": "runbook", "kind": "knowledge_bundle"},
            "title": "Runbook"
        }]);
    });
    answer(
        &server,
        GET,
        "/jobs/nightly/runs/run_1",
        serde_json::to_string(&sent).unwrap(),
    )
    .await;
    let got = client(&server)
        .get_job_run("nightly", "run_1")
        .await
        .expect("a kind added by the server does not fail the response")
        .into_inner();
    assert_eq!(serde_json::to_value(&got).unwrap(), sent);
}

#[tokio::test]
async fn an_update_body_sends_null_to_clear_a_field() {
    // What the Python SDK sends for `update(profile_id, name="edge", description=None)`:
    // the field to clear as `null`, the fields not given left out.
    let server = MockServer::start_async().await;
    let body = json!({"name": "edge", "description": null});
    let expected = body.clone();
    let answer_body = islo::mock::example_response("update_gateway_profile").unwrap();
    let mock = server
        .mock_async(move |when, then| {
            when.method(PATCH)
                .path("/gateway/profiles/gp_1")
                .json_body(expected);
            then.status(200).json_body(answer_body);
        })
        .await;
    let typed: types::GatewayProfileUpdate = serde_json::from_value(body).expect("decodes");
    let result = client(&server).update_gateway_profile("gp_1", typed).await;
    assert_eq!(
        mock.calls_async().await,
        1,
        "the null that clears `description` was not sent"
    );
    result.expect("updated");
}

#[tokio::test]
async fn an_update_body_built_in_rust_sends_null_absent_and_values_as_set() {
    let server = MockServer::start_async().await;
    let answer_body = islo::mock::example_response("update_gateway_profile").unwrap();
    let mock = server
        .mock_async(move |when, then| {
            when.method(PATCH)
                .path("/gateway/profiles/gp_2")
                .json_body(json!({"name": "edge", "description": null, "is_default": false}));
            then.status(200).json_body(answer_body);
        })
        .await;
    let body = types::GatewayProfileUpdate {
        name: Patch::Value("edge".into()),
        description: Patch::Null,
        is_default: false.into(),
        ..Default::default()
    };
    let result = client(&server).update_gateway_profile("gp_2", body).await;
    assert_eq!(mock.calls_async().await, 1, "the body was not sent as set");
    result.expect("updated");
}

#[tokio::test]
async fn naive_and_offset_date_times_keep_their_text() {
    let server = MockServer::start_async().await;
    for (i, created_at) in [
        "2026-04-12T14:26:35.005991",
        "2026-04-12T14:26:35",
        "2026-04-12T16:26:35.005991+02:00",
        "2026-04-12T14:26:35.100Z",
    ]
    .into_iter()
    .enumerate()
    {
        let sent = example("get_cloud_role", |v| {
            v["created_at"] = json!(created_at);
            v["updated_at"] = json!(created_at);
        });
        answer(
            &server,
            GET,
            &format!("/cloud-roles/cr{i}"),
            serde_json::to_string(&sent).unwrap(),
        )
        .await;
        let got = client(&server)
            .get_cloud_role(format!("cr{i}"))
            .await
            .unwrap_or_else(|e| panic!("{created_at}: {e}"))
            .into_inner();
        assert_eq!(serde_json::to_value(&got).unwrap(), sent, "{created_at}");
    }
}

/// `get_job_run` answered with the spec's example whose free-form `result_payload` is the
/// JSON text `payload`, exactly as written (its digits untouched by any encoder here).
async fn job_run_with_payload(payload: &str) -> types::JobRunResponse {
    let server = MockServer::start_async().await;
    let sent = example("get_job_run", |v| v["result_payload"] = json!({}));
    let body = serde_json::to_string(&sent).unwrap().replace(
        r#""result_payload":{}"#,
        &format!(r#""result_payload":{payload}"#),
    );
    assert!(
        body.contains(payload),
        "the payload is in the answer as written"
    );
    answer(&server, GET, "/jobs/nightly/runs/run_2", body).await;
    client(&server)
        .get_job_run("nightly", "run_2")
        .await
        .expect("the job run decodes")
        .into_inner()
}

#[tokio::test]
async fn floats_keep_every_digit() {
    // The payload as the server's JSON encoder writes it (shortest round-trip digits).
    let text = r#"{"score": 5.4834840020729266e-80, "ratio": 0.30000000000000004, "big": 1.7976931348623157e+308}"#;
    let got = job_run_with_payload(text).await;
    let again = serde_json::to_string(&got.result_payload).unwrap();
    for digits in [
        "5.4834840020729266e-80",
        "0.30000000000000004",
        "1.7976931348623157e+308",
    ] {
        assert!(again.contains(digits), "{digits} changed: {again}");
    }
}

#[tokio::test]
async fn a_field_the_spec_does_not_know_comes_back() {
    // What a server newer than the spec sends: fields this SDK version does not declare, at
    // the top and in nested objects.
    let server = MockServer::start_async().await;
    let sent = example("get_sandbox", |v| {
        v["region"] = json!("eu-west-1");
        v["labels"] = json!({"team": "infra", "cost": 1.5});
        v["spec"] = json!({"vcpus": 2, "memory_mb": 4096, "disk_gb": 10, "gpu": {"kind": "h100"}});
        v["setup_steps"] = json!([{"name": "apt", "status": "ok", "exit_code": 0}]);
    });
    answer(
        &server,
        GET,
        "/sandboxes/box",
        serde_json::to_string(&sent).unwrap(),
    )
    .await;
    let got = client(&server)
        .get_sandbox("box")
        .await
        .expect("decodes")
        .into_inner();
    assert_eq!(got.extra["region"], "eu-west-1");
    assert_eq!(
        got.spec.as_ref().expect("spec").extra["gpu"],
        json!({"kind": "h100"})
    );
    assert_eq!(serde_json::to_value(&got).unwrap(), sent);
}

#[tokio::test]
async fn an_error_body_keeps_a_field_the_spec_does_not_know() {
    let server = MockServer::start_async().await;
    let sent = json!({
        "code": "not_found",
        "message": "no sandbox box",
        "request_id": "req_1",
        "suggestion": {"name": "box-2"}
    });
    let body = sent.clone();
    server
        .mock_async(move |when, then| {
            when.method(GET).path("/sandboxes/box");
            then.status(404).json_body(body);
        })
        .await;
    let err = client(&server).get_sandbox("box").await.expect_err("404");
    let api = err.as_api().expect("an API error");
    let islo::ErrorBody::Error(decoded) = api.decoded() else {
        panic!("not decoded as ErrorResponse: {:?}", api.decoded());
    };
    assert_eq!(decoded.extra["suggestion"], json!({"name": "box-2"}));
    assert_eq!(serde_json::to_value(decoded).unwrap(), sent);
}

#[tokio::test]
async fn an_integer_beyond_64_bits_is_refused_by_an_integer_field_and_read_as_a_float_elsewhere() {
    // What README's "What is not kept" says: a declared integer field refuses a number that
    // does not fit 64 bits, with a decode error naming the place; a free-form value reads it
    // as the nearest f64 (serde_json keeps the digits only with `arbitrary_precision`).
    let big = "1180591620717411303424"; // 2^70
    let server = MockServer::start_async().await;
    let sent = example("get_sandbox", |v| {
        v["spec"] = json!({"vcpus": 2, "memory_mb": 1, "disk_gb": 10});
    });
    let body = serde_json::to_string(&sent)
        .unwrap()
        .replace(r#""memory_mb":1"#, &format!(r#""memory_mb":{big}"#));
    assert!(body.contains(big));
    answer(&server, GET, "/sandboxes/box", body).await;
    let err = client(&server)
        .get_sandbox("box")
        .await
        .expect_err("an integer field does not take 2^70");
    assert_eq!(err.kind(), islo::ErrorKind::Decode, "{err:?}");
    let text = format!("{err:?}");
    assert!(
        text.contains("get_sandbox") && text.contains("column"),
        "{text}"
    );

    let got = job_run_with_payload(&format!(r#"{{"n":{big}}}"#)).await;
    let n = &got.result_payload.expect("payload")["n"];
    assert_eq!(n.as_f64(), Some(2f64.powi(70)), "{n}");
    assert!(
        !n.is_u64() && !n.is_i64(),
        "the integer became a float: {n}"
    );
}

#[tokio::test]
async fn a_float_json_cannot_carry_is_refused_before_anything_is_sent() {
    // serde_json writes NaN and the infinities as `null`: a threshold computed as 0/0 would
    // reach the server as "no value". The call refuses it instead, naming the field.
    for (bad, name) in [
        (f64::NAN, "NaN"),
        (f64::INFINITY, "inf"),
        (f64::NEG_INFINITY, "-inf"),
    ] {
        let server = MockServer::start_async().await;
        let mock = server
            .mock_async(|when, then| {
                when.method(POST).path("/webhooks/incoming");
                then.status(201)
                    .json_body(islo::mock::example_response("create_incoming_webhook").unwrap());
            })
            .await;
        let mut body = islo::mock::example_request("create_incoming_webhook").expect("example");
        body["rules"] = json!([{
            "actions": body["rules"][0]["actions"].clone(),
            "when": {"op": "greater_than", "json_path": "$.n", "value": 1.5}
        }]);
        let mut typed: types::IncomingWebhookCreate =
            serde_json::from_value(body).expect("decodes");
        let rules = typed.rules.as_mut().expect("rules");
        let Some(types::IncomingWebhookCondition::JsonPathCondition(
            types::JsonPathCondition::GreaterThan(condition),
        )) = rules[0].when.as_mut()
        else {
            panic!("the condition decodes as greater_than: {:?}", rules[0].when);
        };
        condition.value = bad;
        let err = client(&server)
            .create_incoming_webhook(typed)
            .await
            .expect_err("a float JSON cannot carry is refused");
        assert_eq!(
            err.kind(),
            islo::ErrorKind::InvalidRequest,
            "{name}: {err:?}"
        );
        let text = err.to_string();
        assert!(
            text.contains("create_incoming_webhook") && text.contains("rules[0].when.value"),
            "{name}: {text}"
        );
        assert_eq!(mock.calls_async().await, 0, "{name}: nothing is sent");
    }
}

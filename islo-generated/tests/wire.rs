//! Every operation of the Islo API, over the wire.
//!
//! Each test starts two mock servers, one standing for the control plane and one for the
//! compute plane, builds the raw client with a session token, calls one operation through its
//! generated builder and checks what reached the server: method, exact path, every query
//! parameter (and nothing else), the JSON or multipart body, and the bearer token. The other
//! plane's server carries a catch-all mock that must never be hit, so each test also proves
//! that the client routed the operation to the right plane. The mock answers
//! with a realistic body for the documented response, and the test checks the decoded value.
//!
//! `every_operation_has_a_wire_test` keeps this file in step with `openapi/islo.json`.

use futures_util::StreamExt;
use httpmock::prelude::*;
use httpmock::{HttpMockRequest, Mock};
use islo_generated::prelude::*;
use islo_generated::{open_enums, types, ByteStream, Client, ResponseValue};
use serde_json::{json, Value};
use std::collections::HashMap;

/// Which server an operation must reach.
#[derive(Clone, Copy)]
enum Plane {
    Control,
    Compute,
}

/// A control-plane and a compute-plane mock server, and a raw client pointed at both.
struct Api {
    control: MockServer,
    compute: MockServer,
    client: Client,
}

impl Api {
    async fn start() -> Self {
        let control = MockServer::start_async().await;
        let compute = MockServer::start_async().await;
        let client =
            Client::with_session_token(&control.base_url(), &compute.base_url(), "test-jwt")
                .expect("client");
        Self {
            control,
            compute,
            client,
        }
    }

    /// The server `plane` stands for, and a catch-all mock on the other one that the test
    /// asserts was never called (a misrouted request would land there and fail the call).
    async fn expect_on(&self, plane: Plane) -> (&MockServer, Mock<'_>) {
        let (expected, other) = match plane {
            Plane::Control => (&self.control, &self.compute),
            Plane::Compute => (&self.compute, &self.control),
        };
        let stray = other
            .mock_async(|_when, then| {
                then.status(421)
                    .body("misdirected: this operation belongs to the other plane");
            })
            .await;
        (expected, stray)
    }
}

/// A matcher that holds when the request's query is exactly `expected` (same pairs, same
/// repeated keys, nothing else), whatever the order of distinct keys.
fn exact_query(
    expected: &[(&str, &str)],
) -> impl Fn(&HttpMockRequest) -> bool + Send + Sync + 'static {
    let mut expected: Vec<(String, String)> = expected
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    expected.sort_by(|a, b| a.0.cmp(&b.0));
    move |req: &HttpMockRequest| {
        let mut actual = req.query_params();
        actual.sort_by(|a, b| a.0.cmp(&b.0));
        actual == expected
    }
}

/// Decodes a JSON fixture into a generated type (for nested values of request bodies).
fn from_json<T: serde::de::DeserializeOwned>(value: Value) -> T {
    serde_json::from_value(value).expect("fixture matches the generated type")
}

/// Collects a streamed response body.
async fn collect(resp: ResponseValue<ByteStream>) -> Vec<u8> {
    let mut stream = resp.into_inner().into_inner();
    let mut out = Vec::new();
    while let Some(chunk) = stream.next().await {
        out.extend_from_slice(&chunk.expect("body chunk"));
    }
    out
}

#[test]
fn every_operation_has_a_wire_test() {
    let spec: Value =
        serde_json::from_str(include_str!("../../openapi/islo.json")).expect("spec is JSON");
    let source = include_str!("wire.rs");
    let mut ids = Vec::new();
    for item in spec["paths"].as_object().expect("paths").values() {
        for (method, op) in item.as_object().expect("path item") {
            if ![
                "get", "put", "post", "delete", "patch", "head", "options", "trace",
            ]
            .contains(&method.as_str())
            {
                continue;
            }
            if op["x-islo-internal"] == json!(true) {
                continue;
            }
            ids.push(op["operationId"].as_str().expect("operationId").to_string());
        }
    }
    ids.sort();
    let missing: Vec<&String> = ids
        .iter()
        .filter(|id| !source.contains(&format!("async fn wire_{id}()")))
        .collect();
    assert!(
        missing.is_empty(),
        "operations without a wire test: {missing:?}"
    );
    assert_eq!(ids.len(), 109, "the spec's public operation count changed");
}

#[tokio::test]
async fn list_sandboxes_sends_status_as_repeated_keys() {
    let api = Api::start().await;
    let mock = api
        .compute
        .mock_async(|when, then| {
            when.method(GET)
                .path("/sandboxes")
                .is_true(|req: &HttpMockRequest| {
                    req.uri().query() == Some("status=running&status=paused&status=stopped")
                });
            then.status(200)
                .json_body(json!({"items": [], "limit": 20, "offset": 0, "total": 0}));
        })
        .await;
    let page = api
        .client
        .list_sandboxes()
        .status(vec![
            "running".to_string(),
            "paused".to_string(),
            "stopped".to_string(),
        ])
        .send()
        .await
        .expect("list_sandboxes")
        .into_inner();
    mock.assert_async().await;
    assert!(page.items.is_empty());
    assert_eq!(page.total, 0);
}

#[tokio::test]
async fn non_2xx_comes_back_as_unexpected_response() {
    let api = Api::start().await;
    let mock = api
        .control
        .mock_async(|when, then| {
            when.method(GET).path("/cloud-roles/role_missing");
            then.status(404)
                .json_body(json!({"code": "not_found", "message": "cloud role not found"}));
        })
        .await;
    let err = api
        .client
        .get_cloud_role()
        .role_id("role_missing")
        .send()
        .await
        .unwrap_err();
    mock.assert_async().await;
    match err {
        progenitor_client::Error::UnexpectedResponse(resp) => {
            assert_eq!(resp.status(), 404);
            let body: Value = resp.json().await.expect("error body");
            assert_eq!(body["code"], "not_found");
        }
        other => panic!("expected UnexpectedResponse, got {other:?}"),
    }
}

#[tokio::test]
async fn wire_list_cloud_roles() {
    let api = Api::start().await;
    let (server, stray) = api.expect_on(Plane::Control).await;
    let response = json!([{"created_at": "2025-01-15T10:30:00Z", "id": "01J9Z3K8QHW2", "is_enabled": true, "islo_trust_role_arn": "islo-trust-role-arn-value", "provider": "github", "role_arn": "arn:aws:iam::123456789012:role/islo-sandbox", "session_duration_seconds": 7, "type": "type-value", "updated_at": "2025-01-15T10:30:00Z"}]);
    let mock = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/cloud-roles")
                .query_param("type", "compute")
                .header("authorization", "Bearer test-jwt")
                .is_true(exact_query(&[("type", "compute")]));
            then.status(200).json_body(response.clone());
        })
        .await;
    let resp = api
        .client
        .list_cloud_roles()
        .type_(open_enums::CloudRoleType::Compute)
        .send()
        .await
        .expect("list_cloud_roles");
    mock.assert_async().await;
    stray.assert_calls_async(0).await;
    assert_eq!(resp.status(), 200);
    let value: Vec<types::CloudRoleResponse> = resp.into_inner();
    assert_eq!(value.len(), 1);
    assert_eq!(value[0].id, "01J9Z3K8QHW2");
    assert!(value[0].is_enabled);
    assert_eq!(value[0].islo_trust_role_arn, "islo-trust-role-arn-value");
    assert_eq!(value[0].provider, "github");
    assert_eq!(
        serde_json::to_value(&value).unwrap(),
        response,
        "decoded value re-encodes to the wire JSON"
    );
}

#[tokio::test]
async fn wire_create_cloud_role() {
    let api = Api::start().await;
    let (server, stray) = api.expect_on(Plane::Control).await;
    let expected_body = json!({"provider": "aws", "role_arn": "arn:aws:iam::123456789012:role/islo-sandbox", "session_duration_seconds": 7, "type": "gateway"});
    let response = json!({"created_at": "2025-01-15T10:30:00Z", "id": "01J9Z3K8QHW2", "is_enabled": true, "islo_trust_role_arn": "islo-trust-role-arn-value", "provider": "github", "role_arn": "arn:aws:iam::123456789012:role/islo-sandbox", "session_duration_seconds": 7, "type": "type-value", "updated_at": "2025-01-15T10:30:00Z"});
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/cloud-roles")
                .header("authorization", "Bearer test-jwt")
                .is_true(exact_query(&[]))
                .header("content-type", "application/json")
                .json_body(expected_body.clone());
            then.status(200).json_body(response.clone());
        })
        .await;
    let resp = api
        .client
        .create_cloud_role()
        .body(
            types::CloudRoleCreate::builder()
                .provider(open_enums::CloudProvider::Aws)
                .role_arn("arn:aws:iam::123456789012:role/islo-sandbox")
                .session_duration_seconds(Some(7))
                .type_(Some(open_enums::CloudRoleType::Gateway)),
        )
        .send()
        .await
        .expect("create_cloud_role");
    mock.assert_async().await;
    stray.assert_calls_async(0).await;
    assert_eq!(resp.status(), 200);
    let value: types::CloudRoleResponse = resp.into_inner();
    assert_eq!(value.id, "01J9Z3K8QHW2");
    assert!(value.is_enabled);
    assert_eq!(value.islo_trust_role_arn, "islo-trust-role-arn-value");
    assert_eq!(value.provider, "github");
    assert_eq!(
        serde_json::to_value(&value).unwrap(),
        response,
        "decoded value re-encodes to the wire JSON"
    );
}

#[tokio::test]
async fn wire_delete_cloud_role() {
    let api = Api::start().await;
    let (server, stray) = api.expect_on(Plane::Control).await;
    let mock = server
        .mock_async(|when, then| {
            when.method(DELETE)
                .path("/cloud-roles/role_5Kq2")
                .header("authorization", "Bearer test-jwt")
                .is_true(exact_query(&[]));
            then.status(204);
        })
        .await;
    let resp = api
        .client
        .delete_cloud_role()
        .role_id("role_5Kq2")
        .send()
        .await
        .expect("delete_cloud_role");
    mock.assert_async().await;
    stray.assert_calls_async(0).await;
    assert_eq!(resp.status(), 204);
    assert_eq!(resp.into_inner(), ());
}

#[tokio::test]
async fn wire_get_cloud_role() {
    let api = Api::start().await;
    let (server, stray) = api.expect_on(Plane::Control).await;
    let response = json!({"created_at": "2025-01-15T10:30:00Z", "id": "01J9Z3K8QHW2", "is_enabled": true, "islo_trust_role_arn": "islo-trust-role-arn-value", "provider": "github", "role_arn": "arn:aws:iam::123456789012:role/islo-sandbox", "session_duration_seconds": 7, "type": "type-value", "updated_at": "2025-01-15T10:30:00Z"});
    let mock = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/cloud-roles/role_5Kq2")
                .header("authorization", "Bearer test-jwt")
                .is_true(exact_query(&[]));
            then.status(200).json_body(response.clone());
        })
        .await;
    let resp = api
        .client
        .get_cloud_role()
        .role_id("role_5Kq2")
        .send()
        .await
        .expect("get_cloud_role");
    mock.assert_async().await;
    stray.assert_calls_async(0).await;
    assert_eq!(resp.status(), 200);
    let value: types::CloudRoleResponse = resp.into_inner();
    assert_eq!(value.id, "01J9Z3K8QHW2");
    assert!(value.is_enabled);
    assert_eq!(value.islo_trust_role_arn, "islo-trust-role-arn-value");
    assert_eq!(value.provider, "github");
    assert_eq!(
        serde_json::to_value(&value).unwrap(),
        response,
        "decoded value re-encodes to the wire JSON"
    );
}

#[tokio::test]
async fn wire_update_cloud_role() {
    let api = Api::start().await;
    let (server, stray) = api.expect_on(Plane::Control).await;
    let expected_body = json!({"is_enabled": true, "role_arn": "arn:aws:iam::123456789012:role/islo-sandbox", "session_duration_seconds": 7});
    let response = json!({"created_at": "2025-01-15T10:30:00Z", "id": "01J9Z3K8QHW2", "is_enabled": true, "islo_trust_role_arn": "islo-trust-role-arn-value", "provider": "github", "role_arn": "arn:aws:iam::123456789012:role/islo-sandbox", "session_duration_seconds": 7, "type": "type-value", "updated_at": "2025-01-15T10:30:00Z"});
    let mock = server
        .mock_async(|when, then| {
            when.method(PATCH)
                .path("/cloud-roles/role_5Kq2")
                .header("authorization", "Bearer test-jwt")
                .is_true(exact_query(&[]))
                .header("content-type", "application/json")
                .json_body(expected_body.clone());
            then.status(200).json_body(response.clone());
        })
        .await;
    let resp = api
        .client
        .update_cloud_role()
        .role_id("role_5Kq2")
        .body(
            types::CloudRoleUpdate::builder()
                .is_enabled(Some(true))
                .role_arn(Some(
                    "arn:aws:iam::123456789012:role/islo-sandbox".to_string(),
                ))
                .session_duration_seconds(Some(7)),
        )
        .send()
        .await
        .expect("update_cloud_role");
    mock.assert_async().await;
    stray.assert_calls_async(0).await;
    assert_eq!(resp.status(), 200);
    let value: types::CloudRoleResponse = resp.into_inner();
    assert_eq!(value.id, "01J9Z3K8QHW2");
    assert!(value.is_enabled);
    assert_eq!(value.islo_trust_role_arn, "islo-trust-role-arn-value");
    assert_eq!(value.provider, "github");
    assert_eq!(
        serde_json::to_value(&value).unwrap(),
        response,
        "decoded value re-encodes to the wire JSON"
    );
}

#[tokio::test]
async fn wire_get_compute_event() {
    let api = Api::start().await;
    let (server, stray) = api.expect_on(Plane::Control).await;
    let response = json!({"action": "action-value", "command_id": "command_01J9Z3K8QH", "completed_at": "2025-01-15T10:30:00Z", "error_code": "error-code-value", "error_details": {"team": "platform"}, "error_message": "error-message-value", "result": {"agent_session_id": "agent_session_01J9Z3K8QH", "harness": "harness-value", "mode": "mode-value", "outcome": "outcome-value", "output_text": "output-text-value", "outputs": {"primary": {"note": "free-form"}}, "status": "running", "type": "agent"}, "sandbox_name": "ci-runner", "session_name": "session-main", "started_at": "2025-01-15T10:30:00Z", "success": true});
    let mock = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/compute-events/cmd_01J9Z3K8")
                .header("authorization", "Bearer test-jwt")
                .is_true(exact_query(&[]));
            then.status(200).json_body(response.clone());
        })
        .await;
    let resp = api
        .client
        .get_compute_event()
        .command_id("cmd_01J9Z3K8")
        .send()
        .await
        .expect("get_compute_event");
    mock.assert_async().await;
    stray.assert_calls_async(0).await;
    assert_eq!(resp.status(), 200);
    let value: types::ComputeEventDetailResponse = resp.into_inner();
    assert_eq!(value.action, "action-value");
    assert_eq!(value.command_id, "command_01J9Z3K8QH");
    assert_eq!(value.error_code.as_deref(), Some("error-code-value"));
    assert_eq!(value.error_message.as_deref(), Some("error-message-value"));
    assert_eq!(
        serde_json::to_value(&value).unwrap(),
        response,
        "decoded value re-encodes to the wire JSON"
    );
}

#[tokio::test]
async fn wire_list_container_registries() {
    let api = Api::start().await;
    let (server, stray) = api.expect_on(Plane::Control).await;
    let response = json!([{"cloud_role_id": "cloud_role_01J9Z3K8QH", "created_at": "2025-01-15T10:30:00Z", "id": "01J9Z3K8QHW2", "is_enabled": true, "provider": "github", "region": "us-east-1", "registry_host": "registry-host-value", "repository_prefixes": ["repository-prefixe-value"], "updated_at": "2025-01-15T10:30:00Z"}]);
    let mock = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/container-registries")
                .header("authorization", "Bearer test-jwt")
                .is_true(exact_query(&[]));
            then.status(200).json_body(response.clone());
        })
        .await;
    let resp = api
        .client
        .list_container_registries()
        .send()
        .await
        .expect("list_container_registries");
    mock.assert_async().await;
    stray.assert_calls_async(0).await;
    assert_eq!(resp.status(), 200);
    let value: Vec<types::ContainerRegistryResponse> = resp.into_inner();
    assert_eq!(value.len(), 1);
    assert_eq!(value[0].id, "01J9Z3K8QHW2");
    assert_eq!(value[0].cloud_role_id, "cloud_role_01J9Z3K8QH");
    assert!(value[0].is_enabled);
    assert_eq!(value[0].provider, "github");
    assert_eq!(
        serde_json::to_value(&value).unwrap(),
        response,
        "decoded value re-encodes to the wire JSON"
    );
}

#[tokio::test]
async fn wire_create_container_registry() {
    let api = Api::start().await;
    let (server, stray) = api.expect_on(Plane::Control).await;
    let expected_body = json!({"cloud_role_id": "cloud_role_01J9Z3K8QH", "provider": "ecr", "region": "us-east-1", "registry_host": "registry-host-value", "repository_prefixes": ["repository-prefixe-value"]});
    let response = json!({"cloud_role_id": "cloud_role_01J9Z3K8QH", "created_at": "2025-01-15T10:30:00Z", "id": "01J9Z3K8QHW2", "is_enabled": true, "provider": "github", "region": "us-east-1", "registry_host": "registry-host-value", "repository_prefixes": ["repository-prefixe-value"], "updated_at": "2025-01-15T10:30:00Z"});
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/container-registries")
                .header("authorization", "Bearer test-jwt")
                .is_true(exact_query(&[]))
                .header("content-type", "application/json")
                .json_body(expected_body.clone());
            then.status(200).json_body(response.clone());
        })
        .await;
    let resp = api
        .client
        .create_container_registry()
        .body(
            types::ContainerRegistryCreate::builder()
                .cloud_role_id("cloud_role_01J9Z3K8QH")
                .provider(types::RegistryProvider::Ecr)
                .region("us-east-1")
                .registry_host("registry-host-value")
                .repository_prefixes(Some(vec!["repository-prefixe-value".to_string()])),
        )
        .send()
        .await
        .expect("create_container_registry");
    mock.assert_async().await;
    stray.assert_calls_async(0).await;
    assert_eq!(resp.status(), 200);
    let value: types::ContainerRegistryResponse = resp.into_inner();
    assert_eq!(value.id, "01J9Z3K8QHW2");
    assert_eq!(value.cloud_role_id, "cloud_role_01J9Z3K8QH");
    assert!(value.is_enabled);
    assert_eq!(value.provider, "github");
    assert_eq!(
        serde_json::to_value(&value).unwrap(),
        response,
        "decoded value re-encodes to the wire JSON"
    );
}

#[tokio::test]
async fn wire_delete_container_registry() {
    let api = Api::start().await;
    let (server, stray) = api.expect_on(Plane::Control).await;
    let mock = server
        .mock_async(|when, then| {
            when.method(DELETE)
                .path("/container-registries/res_7Hc1")
                .header("authorization", "Bearer test-jwt")
                .is_true(exact_query(&[]));
            then.status(204);
        })
        .await;
    let resp = api
        .client
        .delete_container_registry()
        .id("res_7Hc1")
        .send()
        .await
        .expect("delete_container_registry");
    mock.assert_async().await;
    stray.assert_calls_async(0).await;
    assert_eq!(resp.status(), 204);
    assert_eq!(resp.into_inner(), ());
}

#[tokio::test]
async fn wire_get_container_registry() {
    let api = Api::start().await;
    let (server, stray) = api.expect_on(Plane::Control).await;
    let response = json!({"cloud_role_id": "cloud_role_01J9Z3K8QH", "created_at": "2025-01-15T10:30:00Z", "id": "01J9Z3K8QHW2", "is_enabled": true, "provider": "github", "region": "us-east-1", "registry_host": "registry-host-value", "repository_prefixes": ["repository-prefixe-value"], "updated_at": "2025-01-15T10:30:00Z"});
    let mock = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/container-registries/res_7Hc1")
                .header("authorization", "Bearer test-jwt")
                .is_true(exact_query(&[]));
            then.status(200).json_body(response.clone());
        })
        .await;
    let resp = api
        .client
        .get_container_registry()
        .id("res_7Hc1")
        .send()
        .await
        .expect("get_container_registry");
    mock.assert_async().await;
    stray.assert_calls_async(0).await;
    assert_eq!(resp.status(), 200);
    let value: types::ContainerRegistryResponse = resp.into_inner();
    assert_eq!(value.id, "01J9Z3K8QHW2");
    assert_eq!(value.cloud_role_id, "cloud_role_01J9Z3K8QH");
    assert!(value.is_enabled);
    assert_eq!(value.provider, "github");
    assert_eq!(
        serde_json::to_value(&value).unwrap(),
        response,
        "decoded value re-encodes to the wire JSON"
    );
}

#[tokio::test]
async fn wire_update_container_registry() {
    let api = Api::start().await;
    let (server, stray) = api.expect_on(Plane::Control).await;
    let expected_body = json!({"cloud_role_id": "cloud_role_01J9Z3K8QH", "is_enabled": true, "repository_prefixes": ["repository-prefixe-value"]});
    let response = json!({"cloud_role_id": "cloud_role_01J9Z3K8QH", "created_at": "2025-01-15T10:30:00Z", "id": "01J9Z3K8QHW2", "is_enabled": true, "provider": "github", "region": "us-east-1", "registry_host": "registry-host-value", "repository_prefixes": ["repository-prefixe-value"], "updated_at": "2025-01-15T10:30:00Z"});
    let mock = server
        .mock_async(|when, then| {
            when.method(PATCH)
                .path("/container-registries/res_7Hc1")
                .header("authorization", "Bearer test-jwt")
                .is_true(exact_query(&[]))
                .header("content-type", "application/json")
                .json_body(expected_body.clone());
            then.status(200).json_body(response.clone());
        })
        .await;
    let resp = api
        .client
        .update_container_registry()
        .id("res_7Hc1")
        .body(
            types::ContainerRegistryUpdate::builder()
                .cloud_role_id(Some("cloud_role_01J9Z3K8QH".to_string()))
                .is_enabled(Some(true))
                .repository_prefixes(Some(vec!["repository-prefixe-value".to_string()])),
        )
        .send()
        .await
        .expect("update_container_registry");
    mock.assert_async().await;
    stray.assert_calls_async(0).await;
    assert_eq!(resp.status(), 200);
    let value: types::ContainerRegistryResponse = resp.into_inner();
    assert_eq!(value.id, "01J9Z3K8QHW2");
    assert_eq!(value.cloud_role_id, "cloud_role_01J9Z3K8QH");
    assert!(value.is_enabled);
    assert_eq!(value.provider, "github");
    assert_eq!(
        serde_json::to_value(&value).unwrap(),
        response,
        "decoded value re-encodes to the wire JSON"
    );
}

#[tokio::test]
async fn wire_get_credit_balance() {
    let api = Api::start().await;
    let (server, stray) = api.expect_on(Plane::Control).await;
    let response = json!({"balance_cents": 7, "currency": "currency-value"});
    let mock = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/credits/balance")
                .header("authorization", "Bearer test-jwt")
                .is_true(exact_query(&[]));
            then.status(200).json_body(response.clone());
        })
        .await;
    let resp = api
        .client
        .get_credit_balance()
        .send()
        .await
        .expect("get_credit_balance");
    mock.assert_async().await;
    stray.assert_calls_async(0).await;
    assert_eq!(resp.status(), 200);
    let value: types::CreditBalance = resp.into_inner();
    assert_eq!(value.balance_cents, 7);
    assert_eq!(value.currency.as_deref(), Some("currency-value"));
    assert_eq!(
        serde_json::to_value(&value).unwrap(),
        response,
        "decoded value re-encodes to the wire JSON"
    );
}

#[tokio::test]
async fn wire_list_environments() {
    let api = Api::start().await;
    let (server, stray) = api.expect_on(Plane::Control).await;
    let response = json!([{"created_at": "2025-01-15T10:30:00Z", "id": "01J9Z3K8QHW2", "is_default": true, "name": "ci-runner", "secret_count": 7, "updated_at": "2025-01-15T10:30:00Z", "variable_count": 7}]);
    let mock = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/environments")
                .query_param("limit", "25")
                .query_param("offset", "50")
                .header("authorization", "Bearer test-jwt")
                .is_true(exact_query(&[("limit", "25"), ("offset", "50")]));
            then.status(200).json_body(response.clone());
        })
        .await;
    let resp = api
        .client
        .list_environments()
        .limit(25)
        .offset(50)
        .send()
        .await
        .expect("list_environments");
    mock.assert_async().await;
    stray.assert_calls_async(0).await;
    assert_eq!(resp.status(), 200);
    let value: Vec<types::EnvironmentListItem> = resp.into_inner();
    assert_eq!(value.len(), 1);
    assert_eq!(value[0].id, "01J9Z3K8QHW2");
    assert_eq!(value[0].name, "ci-runner");
    assert!(value[0].is_default);
    assert_eq!(value[0].secret_count, Some(7));
    assert_eq!(
        serde_json::to_value(&value).unwrap(),
        response,
        "decoded value re-encodes to the wire JSON"
    );
}

#[tokio::test]
async fn wire_create_environment() {
    let api = Api::start().await;
    let (server, stray) = api.expect_on(Plane::Control).await;
    let expected_body = json!({"entries": [{"key": "DATABASE_URL", "kind": "secret", "placement": "sandbox_env", "rule": {"host_pattern": "host-pattern-value"}, "value": "production"}], "is_default": true, "name": "ci-runner"});
    let response = json!({"created_at": "2025-01-15T10:30:00Z", "entries": [{"created_at": "2025-01-15T10:30:00Z", "has_value": true, "id": "01J9Z3K8QHW2", "key": "DATABASE_URL", "kind": "variable", "placement": "sandbox_env", "rule": {"host_pattern": "host-pattern-value", "id": "01J9Z3K8QHW2"}, "updated_at": "2025-01-15T10:30:00Z", "value": "production"}], "id": "01J9Z3K8QHW2", "is_default": true, "name": "ci-runner", "updated_at": "2025-01-15T10:30:00Z"});
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/environments")
                .header("authorization", "Bearer test-jwt")
                .is_true(exact_query(&[]))
                .header("content-type", "application/json")
                .json_body(expected_body.clone());
            then.status(200).json_body(response.clone());
        })
        .await;
    let resp = api
        .client
        .create_environment()
        .body(types::EnvironmentCreate::builder()
                .entries(Some(from_json::<Vec<types::EnvironmentCreateEntriesItem>>(json!([{"key": "DATABASE_URL", "kind": "secret", "placement": "sandbox_env", "rule": {"host_pattern": "host-pattern-value"}, "value": "production"}]))))
                .is_default(Some(true))
                .name("ci-runner"))
        .send()
        .await
        .expect("create_environment");
    mock.assert_async().await;
    stray.assert_calls_async(0).await;
    assert_eq!(resp.status(), 200);
    let value: types::EnvironmentResponse = resp.into_inner();
    assert_eq!(value.id, "01J9Z3K8QHW2");
    assert_eq!(value.name, "ci-runner");
    assert_eq!(value.entries.len(), 1);
    assert_eq!(value.entries[0].id, "01J9Z3K8QHW2");
    assert_eq!(value.entries[0].has_value, Some(true));
    assert_eq!(
        serde_json::to_value(&value).unwrap(),
        response,
        "decoded value re-encodes to the wire JSON"
    );
}

#[tokio::test]
async fn wire_delete_environment() {
    let api = Api::start().await;
    let (server, stray) = api.expect_on(Plane::Control).await;
    let mock = server
        .mock_async(|when, then| {
            when.method(DELETE)
                .path("/environments/staging")
                .header("authorization", "Bearer test-jwt")
                .is_true(exact_query(&[]));
            then.status(204);
        })
        .await;
    let resp = api
        .client
        .delete_environment()
        .environment_ref("staging")
        .send()
        .await
        .expect("delete_environment");
    mock.assert_async().await;
    stray.assert_calls_async(0).await;
    assert_eq!(resp.status(), 204);
    assert_eq!(resp.into_inner(), ());
}

#[tokio::test]
async fn wire_get_environment() {
    let api = Api::start().await;
    let (server, stray) = api.expect_on(Plane::Control).await;
    let response = json!({"created_at": "2025-01-15T10:30:00Z", "entries": [{"created_at": "2025-01-15T10:30:00Z", "has_value": true, "id": "01J9Z3K8QHW2", "key": "DATABASE_URL", "kind": "variable", "placement": "sandbox_env", "rule": {"host_pattern": "host-pattern-value", "id": "01J9Z3K8QHW2"}, "updated_at": "2025-01-15T10:30:00Z", "value": "production"}], "id": "01J9Z3K8QHW2", "is_default": true, "name": "ci-runner", "updated_at": "2025-01-15T10:30:00Z"});
    let mock = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/environments/staging")
                .header("authorization", "Bearer test-jwt")
                .is_true(exact_query(&[]));
            then.status(200).json_body(response.clone());
        })
        .await;
    let resp = api
        .client
        .get_environment()
        .environment_ref("staging")
        .send()
        .await
        .expect("get_environment");
    mock.assert_async().await;
    stray.assert_calls_async(0).await;
    assert_eq!(resp.status(), 200);
    let value: types::EnvironmentResponse = resp.into_inner();
    assert_eq!(value.id, "01J9Z3K8QHW2");
    assert_eq!(value.name, "ci-runner");
    assert_eq!(value.entries.len(), 1);
    assert_eq!(value.entries[0].id, "01J9Z3K8QHW2");
    assert_eq!(value.entries[0].has_value, Some(true));
    assert_eq!(
        serde_json::to_value(&value).unwrap(),
        response,
        "decoded value re-encodes to the wire JSON"
    );
}

#[tokio::test]
async fn wire_update_environment() {
    let api = Api::start().await;
    let (server, stray) = api.expect_on(Plane::Control).await;
    let expected_body = json!({"entries": [{"key": "DATABASE_URL", "kind": "secret", "placement": "sandbox_env", "rule": {"host_pattern": "host-pattern-value"}, "value": "production"}], "is_default": true, "name": "ci-runner"});
    let response = json!({"created_at": "2025-01-15T10:30:00Z", "entries": [{"created_at": "2025-01-15T10:30:00Z", "has_value": true, "id": "01J9Z3K8QHW2", "key": "DATABASE_URL", "kind": "variable", "placement": "sandbox_env", "rule": {"host_pattern": "host-pattern-value", "id": "01J9Z3K8QHW2"}, "updated_at": "2025-01-15T10:30:00Z", "value": "production"}], "id": "01J9Z3K8QHW2", "is_default": true, "name": "ci-runner", "updated_at": "2025-01-15T10:30:00Z"});
    let mock = server
        .mock_async(|when, then| {
            when.method(PATCH)
                .path("/environments/staging")
                .header("authorization", "Bearer test-jwt")
                .is_true(exact_query(&[]))
                .header("content-type", "application/json")
                .json_body(expected_body.clone());
            then.status(200).json_body(response.clone());
        })
        .await;
    let resp = api
        .client
        .update_environment()
        .environment_ref("staging")
        .body(types::EnvironmentUpdate::builder()
                .entries(Some(from_json::<Vec<types::EnvironmentUpdateEntriesItem>>(json!([{"key": "DATABASE_URL", "kind": "secret", "placement": "sandbox_env", "rule": {"host_pattern": "host-pattern-value"}, "value": "production"}]))))
                .is_default(Some(true))
                .name(Some("ci-runner".to_string())))
        .send()
        .await
        .expect("update_environment");
    mock.assert_async().await;
    stray.assert_calls_async(0).await;
    assert_eq!(resp.status(), 200);
    let value: types::EnvironmentResponse = resp.into_inner();
    assert_eq!(value.id, "01J9Z3K8QHW2");
    assert_eq!(value.name, "ci-runner");
    assert_eq!(value.entries.len(), 1);
    assert_eq!(value.entries[0].id, "01J9Z3K8QHW2");
    assert_eq!(value.entries[0].has_value, Some(true));
    assert_eq!(
        serde_json::to_value(&value).unwrap(),
        response,
        "decoded value re-encodes to the wire JSON"
    );
}

#[tokio::test]
async fn wire_set_default_environment() {
    let api = Api::start().await;
    let (server, stray) = api.expect_on(Plane::Control).await;
    let response = json!({"created_at": "2025-01-15T10:30:00Z", "entries": [{"created_at": "2025-01-15T10:30:00Z", "has_value": true, "id": "01J9Z3K8QHW2", "key": "DATABASE_URL", "kind": "variable", "placement": "sandbox_env", "rule": {"host_pattern": "host-pattern-value", "id": "01J9Z3K8QHW2"}, "updated_at": "2025-01-15T10:30:00Z", "value": "production"}], "id": "01J9Z3K8QHW2", "is_default": true, "name": "ci-runner", "updated_at": "2025-01-15T10:30:00Z"});
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/environments/staging/default")
                .header("authorization", "Bearer test-jwt")
                .is_true(exact_query(&[]));
            then.status(200).json_body(response.clone());
        })
        .await;
    let resp = api
        .client
        .set_default_environment()
        .environment_ref("staging")
        .send()
        .await
        .expect("set_default_environment");
    mock.assert_async().await;
    stray.assert_calls_async(0).await;
    assert_eq!(resp.status(), 200);
    let value: types::EnvironmentResponse = resp.into_inner();
    assert_eq!(value.id, "01J9Z3K8QHW2");
    assert_eq!(value.name, "ci-runner");
    assert_eq!(value.entries.len(), 1);
    assert_eq!(value.entries[0].id, "01J9Z3K8QHW2");
    assert_eq!(value.entries[0].has_value, Some(true));
    assert_eq!(
        serde_json::to_value(&value).unwrap(),
        response,
        "decoded value re-encodes to the wire JSON"
    );
}

#[tokio::test]
async fn wire_list_factory_line_runs() {
    let api = Api::start().await;
    let (server, stray) = api.expect_on(Plane::Control).await;
    let response = json!([{"artifact_count": 7, "artifacts": [{}], "completed_at": "2025-01-15T10:30:00Z", "created_at": "2025-01-15T10:30:00Z", "error_message": "error-message-value", "failure": {"code": "manifest_no_stages", "domain": "platform", "error_code": "error-code-value", "error_details": {"team": "platform"}, "error_message": "error-message-value", "failure_class": "failure-class-value", "stage_name": "stage-main", "stage_step": "stage-step-value", "task_name": "task-main"}, "id": "01J9Z3K8QHW2", "line_name": "line-main", "line_version_id": "line_version_01J9Z3K8QH", "region": "us-east-1", "run_params": {"team": "platform"}, "stages": [{"iteration": 7, "stage_name": "stage-main", "stage_order": 7, "status": "running"}], "started_at": "2025-01-15T10:30:00Z", "status": "running", "trigger": {"delivery_id": "delivery_01J9Z3K8QH", "event_name": "event-main", "payload": {"team": "platform"}, "provider": "github", "source": "source-value"}}]);
    let mock = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/factory/line-runs")
                .query_param("limit", "25")
                .query_param("offset", "50")
                .query_param("status", "succeeded")
                .query_param("line_name", "nightly-triage")
                .header("authorization", "Bearer test-jwt")
                .is_true(exact_query(&[
                    ("limit", "25"),
                    ("offset", "50"),
                    ("status", "succeeded"),
                    ("line_name", "nightly-triage"),
                ]));
            then.status(200).json_body(response.clone());
        })
        .await;
    let resp = api
        .client
        .list_factory_line_runs()
        .limit(25)
        .offset(50)
        .status("succeeded")
        .line_name("nightly-triage")
        .send()
        .await
        .expect("list_factory_line_runs");
    mock.assert_async().await;
    stray.assert_calls_async(0).await;
    assert_eq!(resp.status(), 200);
    let value: Vec<types::LineRunSummary> = resp.into_inner();
    assert_eq!(value.len(), 1);
    assert_eq!(value[0].id, "01J9Z3K8QHW2");
    assert_eq!(value[0].status, "running");
    assert_eq!(value[0].artifact_count, Some(7));
    assert_eq!(
        value[0].error_message.as_deref(),
        Some("error-message-value")
    );
    assert_eq!(
        serde_json::to_value(&value).unwrap(),
        response,
        "decoded value re-encodes to the wire JSON"
    );
}

#[tokio::test]
async fn wire_get_factory_line_run() {
    let api = Api::start().await;
    let (server, stray) = api.expect_on(Plane::Control).await;
    let response = json!({"budget_used_usd": "budget-used-usd-value", "completed_at": "2025-01-15T10:30:00Z", "created_at": "2025-01-15T10:30:00Z", "error_message": "error-message-value", "failure": {"code": "manifest_no_stages", "domain": "platform", "error_code": "error-code-value", "error_details": {"team": "platform"}, "error_message": "error-message-value", "failure_class": "failure-class-value", "stage_name": "stage-main", "stage_step": "stage-step-value", "task_name": "task-main"}, "id": "01J9Z3K8QHW2", "iteration_count": 7, "line_name": "line-main", "line_version_id": "line_version_01J9Z3K8QH", "region": "us-east-1", "result_payload": {"team": "platform"}, "retry": {"stage_name": "stage-main"}, "run_params": {"team": "platform"}, "stages": [{"artifact_count": 7, "artifacts": [{"team": "platform"}], "completed_at": "2025-01-15T10:30:00Z", "input_payload": {"team": "platform"}, "iteration": 7, "job_run_id": "job_run_01J9Z3K8QH", "outcome": "outcome-value", "result_payload": {"team": "platform"}, "stage_name": "stage-main", "stage_order": 7, "started_at": "2025-01-15T10:30:00Z", "status": "running"}], "started_at": "2025-01-15T10:30:00Z", "status": "running", "trigger": {"delivery_id": "delivery_01J9Z3K8QH", "event_name": "event-main", "payload": {"team": "platform"}, "provider": "github", "source": "source-value"}, "workflow_run_id": "workflow_run_01J9Z3K8QH"});
    let mock = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/factory/line-runs/run_01J9ZA")
                .header("authorization", "Bearer test-jwt")
                .is_true(exact_query(&[]));
            then.status(200).json_body(response.clone());
        })
        .await;
    let resp = api
        .client
        .get_factory_line_run()
        .run_id("run_01J9ZA")
        .send()
        .await
        .expect("get_factory_line_run");
    mock.assert_async().await;
    stray.assert_calls_async(0).await;
    assert_eq!(resp.status(), 200);
    let value: types::LineRunDetail = resp.into_inner();
    assert_eq!(value.id, "01J9Z3K8QHW2");
    assert_eq!(value.status, "running");
    assert_eq!(
        value.budget_used_usd.as_deref(),
        Some("budget-used-usd-value")
    );
    assert_eq!(value.error_message.as_deref(), Some("error-message-value"));
    assert_eq!(
        serde_json::to_value(&value).unwrap(),
        response,
        "decoded value re-encodes to the wire JSON"
    );
}

#[tokio::test]
async fn wire_get_factory_line_run_debug() {
    let api = Api::start().await;
    let (server, stray) = api.expect_on(Plane::Control).await;
    let response = json!({"completed_at": "2025-01-15T10:30:00Z", "error_message": "error-message-value", "failure_summary": {"compute_command_id": "compute_command_01J9Z3K8QH", "error_code": "error-code-value", "error_details": {"team": "platform"}, "error_message": "error-message-value", "failure_class": "failure-class-value", "stage_name": "stage-main", "step_name": "step-main"}, "id": "01J9Z3K8QHW2", "line_name": "line-main", "line_version_id": "line_version_01J9Z3K8QH", "region": "us-east-1", "stages": [{"environment": {}, "iteration": 7, "job_run_id": "job_run_01J9Z3K8QH", "job_version_id": "job_version_01J9Z3K8QH", "outcome": "outcome-value", "reason": "reason-value", "stage_name": "stage-main", "stage_order": 7, "status": "running", "steps": [{}]}], "started_at": "2025-01-15T10:30:00Z", "status": "running", "triggered_by": "triggered-by-value"});
    let mock = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/factory/line-runs/run_01J9ZA/debug")
                .header("authorization", "Bearer test-jwt")
                .is_true(exact_query(&[]));
            then.status(200).json_body(response.clone());
        })
        .await;
    let resp = api
        .client
        .get_factory_line_run_debug()
        .run_id("run_01J9ZA")
        .send()
        .await
        .expect("get_factory_line_run_debug");
    mock.assert_async().await;
    stray.assert_calls_async(0).await;
    assert_eq!(resp.status(), 200);
    let value: types::LineRunDebugResponse = resp.into_inner();
    assert_eq!(value.id, "01J9Z3K8QHW2");
    assert_eq!(value.status, "running");
    assert_eq!(value.error_message.as_deref(), Some("error-message-value"));
    assert_eq!(value.line_name, "line-main");
    assert_eq!(
        serde_json::to_value(&value).unwrap(),
        response,
        "decoded value re-encodes to the wire JSON"
    );
}

#[tokio::test]
async fn wire_list_factory_lines() {
    let api = Api::start().await;
    let (server, stray) = api.expect_on(Plane::Control).await;
    let response = json!([{"category": "category-value", "created_at": "2025-01-15T10:30:00Z", "description": "Runs the nightly triage", "id": "01J9Z3K8QHW2", "latest_version": {"content_hash": "content-hash-value", "deployed_at": "2025-01-15T10:30:00Z", "id": "01J9Z3K8QHW2", "input_params": [{"name": "ci-runner", "type": "string"}], "manifest": {"line": {"name": "ci-runner"}, "stages": [{"id": "01J9Z3K8QHW2", "job": "job-value"}], "trigger": {"name": "ci-runner", "provider": "github", "selector": {"provider": "github"}, "type": "integration_trigger"}}, "version_number": 3}, "latest_version_number": 7, "name": "ci-runner", "resolved_stages": [{"id": "01J9Z3K8QHW2", "job": "job-value"}], "stage_count": 7, "status": "running", "trigger_type": "trigger-type-value"}]);
    let mock = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/factory/lines")
                .query_param("limit", "25")
                .query_param("offset", "50")
                .header("authorization", "Bearer test-jwt")
                .is_true(exact_query(&[("limit", "25"), ("offset", "50")]));
            then.status(200).json_body(response.clone());
        })
        .await;
    let resp = api
        .client
        .list_factory_lines()
        .limit(25)
        .offset(50)
        .send()
        .await
        .expect("list_factory_lines");
    mock.assert_async().await;
    stray.assert_calls_async(0).await;
    assert_eq!(resp.status(), 200);
    let value: Vec<types::LineResponse> = resp.into_inner();
    assert_eq!(value.len(), 1);
    assert_eq!(value[0].id, "01J9Z3K8QHW2");
    assert_eq!(value[0].name, "ci-runner");
    assert_eq!(value[0].status, "running");
    assert_eq!(value[0].category.as_deref(), Some("category-value"));
    assert_eq!(
        serde_json::to_value(&value).unwrap(),
        response,
        "decoded value re-encodes to the wire JSON"
    );
}

#[tokio::test]
async fn wire_get_factory_line() {
    let api = Api::start().await;
    let (server, stray) = api.expect_on(Plane::Control).await;
    let response = json!({"category": "category-value", "created_at": "2025-01-15T10:30:00Z", "description": "Runs the nightly triage", "id": "01J9Z3K8QHW2", "latest_version": {"content_hash": "content-hash-value", "deployed_at": "2025-01-15T10:30:00Z", "id": "01J9Z3K8QHW2", "input_params": [{"name": "ci-runner", "type": "string"}], "manifest": {"agent": {}, "limits": {}, "line": {"name": "ci-runner"}, "stages": [{"id": "01J9Z3K8QHW2", "job": "job-value"}], "transitions": [{"from": "2025-01-15T10:30:00Z", "id": "01J9Z3K8QHW2", "instructions": {"slug": "slug-value", "type": "knowledge"}, "type": "agentic"}], "trigger": {"name": "ci-runner", "provider": "github", "selector": {"provider": "github"}, "type": "integration_trigger"}}, "version_number": 3}, "latest_version_number": 7, "name": "ci-runner", "resolved_stages": [{"agent_model": "agent-model-value", "agent_role": "agent-role-value", "description": "Runs the nightly triage", "harness": "codex", "id": "01J9Z3K8QHW2", "job": "job-value", "kind": "agent", "runtime": "runtime-value"}], "stage_count": 7, "status": "running", "trigger_type": "trigger-type-value"});
    let mock = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/factory/lines/nightly-triage")
                .header("authorization", "Bearer test-jwt")
                .is_true(exact_query(&[]));
            then.status(200).json_body(response.clone());
        })
        .await;
    let resp = api
        .client
        .get_factory_line()
        .name("nightly-triage")
        .send()
        .await
        .expect("get_factory_line");
    mock.assert_async().await;
    stray.assert_calls_async(0).await;
    assert_eq!(resp.status(), 200);
    let value: types::LineResponse = resp.into_inner();
    assert_eq!(value.id, "01J9Z3K8QHW2");
    assert_eq!(value.name, "ci-runner");
    assert_eq!(value.status, "running");
    assert_eq!(value.category.as_deref(), Some("category-value"));
    assert_eq!(
        serde_json::to_value(&value).unwrap(),
        response,
        "decoded value re-encodes to the wire JSON"
    );
}

#[tokio::test]
async fn wire_update_factory_line() {
    let api = Api::start().await;
    let (server, stray) = api.expect_on(Plane::Control).await;
    let expected_body = json!({"status": "active"});
    let response = json!({"category": "category-value", "created_at": "2025-01-15T10:30:00Z", "description": "Runs the nightly triage", "id": "01J9Z3K8QHW2", "latest_version": {"content_hash": "content-hash-value", "deployed_at": "2025-01-15T10:30:00Z", "id": "01J9Z3K8QHW2", "input_params": [{"name": "ci-runner", "type": "string"}], "manifest": {"agent": {}, "limits": {}, "line": {"name": "ci-runner"}, "stages": [{"id": "01J9Z3K8QHW2", "job": "job-value"}], "transitions": [{"from": "2025-01-15T10:30:00Z", "id": "01J9Z3K8QHW2", "instructions": {"slug": "slug-value", "type": "knowledge"}, "type": "agentic"}], "trigger": {"name": "ci-runner", "provider": "github", "selector": {"provider": "github"}, "type": "integration_trigger"}}, "version_number": 3}, "latest_version_number": 7, "name": "ci-runner", "resolved_stages": [{"agent_model": "agent-model-value", "agent_role": "agent-role-value", "description": "Runs the nightly triage", "harness": "codex", "id": "01J9Z3K8QHW2", "job": "job-value", "kind": "agent", "runtime": "runtime-value"}], "stage_count": 7, "status": "running", "trigger_type": "trigger-type-value"});
    let mock = server
        .mock_async(|when, then| {
            when.method(PATCH)
                .path("/factory/lines/nightly-triage")
                .header("authorization", "Bearer test-jwt")
                .is_true(exact_query(&[]))
                .header("content-type", "application/json")
                .json_body(expected_body.clone());
            then.status(200).json_body(response.clone());
        })
        .await;
    let resp = api
        .client
        .update_factory_line()
        .name("nightly-triage")
        .body(types::LineUpdate::builder().status(Some(open_enums::LineUpdateStatus::Active)))
        .send()
        .await
        .expect("update_factory_line");
    mock.assert_async().await;
    stray.assert_calls_async(0).await;
    assert_eq!(resp.status(), 200);
    let value: types::LineResponse = resp.into_inner();
    assert_eq!(value.id, "01J9Z3K8QHW2");
    assert_eq!(value.name, "ci-runner");
    assert_eq!(value.status, "running");
    assert_eq!(value.category.as_deref(), Some("category-value"));
    assert_eq!(
        serde_json::to_value(&value).unwrap(),
        response,
        "decoded value re-encodes to the wire JSON"
    );
}

#[tokio::test]
async fn wire_deploy_factory_line() {
    let api = Api::start().await;
    let (server, stray) = api.expect_on(Plane::Control).await;
    let expected_body = json!({"manifest": {"agent": {"instructions": {"slug": "slug-value", "type": "knowledge"}}, "limits": {"budget_usd": 0.75, "max_iterations": 7, "timeout": "timeout-value"}, "line": {"category": "category-value", "description": "Runs the nightly triage", "name": "ci-runner"}, "stages": [{"id": "01J9Z3K8QHW2", "job": "job-value"}], "transitions": [{"from": "2025-01-15T10:30:00Z", "id": "01J9Z3K8QHW2", "instructions": {"slug": "slug-value", "type": "knowledge"}, "type": "agentic"}], "trigger": {"filters": [{"op": "always"}], "name": "ci-runner", "outputs": {"primary": {"path": "/workspace/src/main.rs", "type": "trigger_path"}}, "provider": "github", "selector": {"provider": "github"}, "type": "integration_trigger"}}});
    let response = json!({"content_hash": "content-hash-value", "deployed_at": "2025-01-15T10:30:00Z", "id": "01J9Z3K8QHW2", "input_params": [{"default": {"note": "free-form"}, "description": "Runs the nightly triage", "enum": [{"note": "free-form"}], "items": "string", "name": "ci-runner", "pattern": "pattern-value", "prefix": "prefix-value", "required": true, "type": "string"}], "manifest": {"agent": {"instructions": {"slug": "slug-value", "type": "knowledge"}}, "limits": {"budget_usd": "budget-usd-value", "max_iterations": 7, "timeout": "timeout-value"}, "line": {"category": "category-value", "description": "Runs the nightly triage", "name": "ci-runner"}, "stages": [{"id": "01J9Z3K8QHW2", "job": "job-value"}], "transitions": [{"from": "2025-01-15T10:30:00Z", "id": "01J9Z3K8QHW2", "instructions": {"slug": "slug-value", "type": "knowledge"}, "type": "agentic"}], "trigger": {"filters": [{"op": "always"}], "name": "ci-runner", "outputs": {"primary": {"path": "/workspace/src/main.rs", "type": "trigger_path"}}, "provider": "github", "selector": {"provider": "github"}, "type": "integration_trigger"}}, "version_number": 3});
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/factory/lines/nightly-triage/deploy")
                .header("authorization", "Bearer test-jwt")
                .is_true(exact_query(&[]))
                .header("content-type", "application/json")
                .json_body(expected_body.clone());
            then.status(200).json_body(response.clone());
        })
        .await;
    let resp = api
        .client
        .deploy_factory_line()
        .name("nightly-triage")
        .body(types::LineDeployRequest::builder()
                .manifest(from_json::<types::LineManifestInput>(json!({"agent": {"instructions": {"slug": "slug-value", "type": "knowledge"}}, "limits": {"budget_usd": 0.75, "max_iterations": 7, "timeout": "timeout-value"}, "line": {"category": "category-value", "description": "Runs the nightly triage", "name": "ci-runner"}, "stages": [{"id": "01J9Z3K8QHW2", "job": "job-value"}], "transitions": [{"from": "2025-01-15T10:30:00Z", "id": "01J9Z3K8QHW2", "instructions": {"slug": "slug-value", "type": "knowledge"}, "type": "agentic"}], "trigger": {"filters": [{"op": "always"}], "name": "ci-runner", "outputs": {"primary": {"path": "/workspace/src/main.rs", "type": "trigger_path"}}, "provider": "github", "selector": {"provider": "github"}, "type": "integration_trigger"}}))))
        .send()
        .await
        .expect("deploy_factory_line");
    mock.assert_async().await;
    stray.assert_calls_async(0).await;
    assert_eq!(resp.status(), 200);
    let value: types::LineVersionResponse = resp.into_inner();
    assert_eq!(value.id, "01J9Z3K8QHW2");
    assert_eq!(value.content_hash, "content-hash-value");
    assert_eq!(value.version_number, 3);
    assert_eq!(
        serde_json::to_value(&value).unwrap(),
        response,
        "decoded value re-encodes to the wire JSON"
    );
}

#[tokio::test]
async fn wire_list_factory_line_runs_for_line() {
    let api = Api::start().await;
    let (server, stray) = api.expect_on(Plane::Control).await;
    let response = json!([{"artifact_count": 7, "artifacts": [{}], "completed_at": "2025-01-15T10:30:00Z", "created_at": "2025-01-15T10:30:00Z", "error_message": "error-message-value", "failure": {"code": "manifest_no_stages", "domain": "platform", "error_code": "error-code-value", "error_details": {"team": "platform"}, "error_message": "error-message-value", "failure_class": "failure-class-value", "stage_name": "stage-main", "stage_step": "stage-step-value", "task_name": "task-main"}, "id": "01J9Z3K8QHW2", "line_name": "line-main", "line_version_id": "line_version_01J9Z3K8QH", "region": "us-east-1", "run_params": {"team": "platform"}, "stages": [{"iteration": 7, "stage_name": "stage-main", "stage_order": 7, "status": "running"}], "started_at": "2025-01-15T10:30:00Z", "status": "running", "trigger": {"delivery_id": "delivery_01J9Z3K8QH", "event_name": "event-main", "payload": {"team": "platform"}, "provider": "github", "source": "source-value"}}]);
    let mock = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/factory/lines/nightly-triage/runs")
                .query_param("limit", "25")
                .query_param("offset", "50")
                .header("authorization", "Bearer test-jwt")
                .is_true(exact_query(&[("limit", "25"), ("offset", "50")]));
            then.status(200).json_body(response.clone());
        })
        .await;
    let resp = api
        .client
        .list_factory_line_runs_for_line()
        .name("nightly-triage")
        .limit(25)
        .offset(50)
        .send()
        .await
        .expect("list_factory_line_runs_for_line");
    mock.assert_async().await;
    stray.assert_calls_async(0).await;
    assert_eq!(resp.status(), 200);
    let value: Vec<types::LineRunSummary> = resp.into_inner();
    assert_eq!(value.len(), 1);
    assert_eq!(value[0].id, "01J9Z3K8QHW2");
    assert_eq!(value[0].status, "running");
    assert_eq!(value[0].artifact_count, Some(7));
    assert_eq!(
        value[0].error_message.as_deref(),
        Some("error-message-value")
    );
    assert_eq!(
        serde_json::to_value(&value).unwrap(),
        response,
        "decoded value re-encodes to the wire JSON"
    );
}

#[tokio::test]
async fn wire_trigger_factory_line_run() {
    let api = Api::start().await;
    let (server, stray) = api.expect_on(Plane::Control).await;
    let expected_body = json!({"params": {"team": "platform"}, "region": "us-east-1", "trigger_payload": {"team": "platform"}, "version_id": "version_01J9Z3K8QH"});
    let response = json!({"budget_used_usd": "budget-used-usd-value", "completed_at": "2025-01-15T10:30:00Z", "created_at": "2025-01-15T10:30:00Z", "error_message": "error-message-value", "failure": {"code": "manifest_no_stages", "domain": "platform", "error_code": "error-code-value", "error_details": {"team": "platform"}, "error_message": "error-message-value", "failure_class": "failure-class-value", "stage_name": "stage-main", "stage_step": "stage-step-value", "task_name": "task-main"}, "id": "01J9Z3K8QHW2", "iteration_count": 7, "line_name": "line-main", "line_version_id": "line_version_01J9Z3K8QH", "region": "us-east-1", "result_payload": {"team": "platform"}, "retry": {"stage_name": "stage-main"}, "run_params": {"team": "platform"}, "stages": [{"artifact_count": 7, "artifacts": [{"team": "platform"}], "completed_at": "2025-01-15T10:30:00Z", "input_payload": {"team": "platform"}, "iteration": 7, "job_run_id": "job_run_01J9Z3K8QH", "outcome": "outcome-value", "result_payload": {"team": "platform"}, "stage_name": "stage-main", "stage_order": 7, "started_at": "2025-01-15T10:30:00Z", "status": "running"}], "started_at": "2025-01-15T10:30:00Z", "status": "running", "trigger": {"delivery_id": "delivery_01J9Z3K8QH", "event_name": "event-main", "payload": {"team": "platform"}, "provider": "github", "source": "source-value"}, "workflow_run_id": "workflow_run_01J9Z3K8QH"});
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/factory/lines/nightly-triage/runs")
                .header("authorization", "Bearer test-jwt")
                .is_true(exact_query(&[]))
                .header("content-type", "application/json")
                .json_body(expected_body.clone());
            then.status(200).json_body(response.clone());
        })
        .await;
    let resp = api
        .client
        .trigger_factory_line_run()
        .name("nightly-triage")
        .body(
            types::LineRunCreate::builder()
                .params(Some(
                    from_json::<serde_json::Map<String, serde_json::Value>>(
                        json!({"team": "platform"}),
                    ),
                ))
                .region(Some("us-east-1".to_string()))
                .trigger_payload(Some(
                    from_json::<serde_json::Map<String, serde_json::Value>>(
                        json!({"team": "platform"}),
                    ),
                ))
                .version_id(Some("version_01J9Z3K8QH".to_string())),
        )
        .send()
        .await
        .expect("trigger_factory_line_run");
    mock.assert_async().await;
    stray.assert_calls_async(0).await;
    assert_eq!(resp.status(), 200);
    let value: types::LineRunDetail = resp.into_inner();
    assert_eq!(value.id, "01J9Z3K8QHW2");
    assert_eq!(value.status, "running");
    assert_eq!(
        value.budget_used_usd.as_deref(),
        Some("budget-used-usd-value")
    );
    assert_eq!(value.error_message.as_deref(), Some("error-message-value"));
    assert_eq!(
        serde_json::to_value(&value).unwrap(),
        response,
        "decoded value re-encodes to the wire JSON"
    );
}

#[tokio::test]
async fn wire_delete_factory_line_schedule() {
    let api = Api::start().await;
    let (server, stray) = api.expect_on(Plane::Control).await;
    let mock = server
        .mock_async(|when, then| {
            when.method(DELETE)
                .path("/factory/lines/nightly-triage/schedule")
                .header("authorization", "Bearer test-jwt")
                .is_true(exact_query(&[]));
            then.status(204);
        })
        .await;
    let resp = api
        .client
        .delete_factory_line_schedule()
        .name("nightly-triage")
        .send()
        .await
        .expect("delete_factory_line_schedule");
    mock.assert_async().await;
    stray.assert_calls_async(0).await;
    assert_eq!(resp.status(), 204);
    assert_eq!(resp.into_inner(), ());
}

#[tokio::test]
async fn wire_get_factory_line_schedule() {
    let api = Api::start().await;
    let (server, stray) = api.expect_on(Plane::Control).await;
    let response =
        json!({"cron": "0 3 * * *", "enabled": true, "schedule_generation": 7, "timezone": "UTC"});
    let mock = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/factory/lines/nightly-triage/schedule")
                .header("authorization", "Bearer test-jwt")
                .is_true(exact_query(&[]));
            then.status(200).json_body(response.clone());
        })
        .await;
    let resp = api
        .client
        .get_factory_line_schedule()
        .name("nightly-triage")
        .send()
        .await
        .expect("get_factory_line_schedule");
    mock.assert_async().await;
    stray.assert_calls_async(0).await;
    assert_eq!(resp.status(), 200);
    let value: types::LineScheduleResponse = resp.into_inner();
    assert_eq!(value.cron, "0 3 * * *");
    assert!(value.enabled);
    assert_eq!(value.schedule_generation, 7);
    assert_eq!(value.timezone, "UTC");
    assert_eq!(
        serde_json::to_value(&value).unwrap(),
        response,
        "decoded value re-encodes to the wire JSON"
    );
}

#[tokio::test]
async fn wire_upsert_factory_line_schedule() {
    let api = Api::start().await;
    let (server, stray) = api.expect_on(Plane::Control).await;
    let expected_body = json!({"cron": "0 3 * * *", "enabled": true, "timezone": "UTC"});
    let response =
        json!({"cron": "0 3 * * *", "enabled": true, "schedule_generation": 7, "timezone": "UTC"});
    let mock = server
        .mock_async(|when, then| {
            when.method(PUT)
                .path("/factory/lines/nightly-triage/schedule")
                .header("authorization", "Bearer test-jwt")
                .is_true(exact_query(&[]))
                .header("content-type", "application/json")
                .json_body(expected_body.clone());
            then.status(200).json_body(response.clone());
        })
        .await;
    let resp = api
        .client
        .upsert_factory_line_schedule()
        .name("nightly-triage")
        .body(
            types::LineScheduleUpsert::builder()
                .cron("0 3 * * *")
                .enabled(Some(true))
                .timezone(Some("UTC".to_string())),
        )
        .send()
        .await
        .expect("upsert_factory_line_schedule");
    mock.assert_async().await;
    stray.assert_calls_async(0).await;
    assert_eq!(resp.status(), 200);
    let value: types::LineScheduleResponse = resp.into_inner();
    assert_eq!(value.cron, "0 3 * * *");
    assert!(value.enabled);
    assert_eq!(value.schedule_generation, 7);
    assert_eq!(value.timezone, "UTC");
    assert_eq!(
        serde_json::to_value(&value).unwrap(),
        response,
        "decoded value re-encodes to the wire JSON"
    );
}

#[tokio::test]
async fn wire_validate_factory_line_manifest() {
    let api = Api::start().await;
    let (server, stray) = api.expect_on(Plane::Control).await;
    let expected_body = json!({"manifest": {"agent": {"instructions": {"slug": "slug-value", "type": "knowledge"}}, "limits": {"budget_usd": 0.75, "max_iterations": 7, "timeout": "timeout-value"}, "line": {"category": "category-value", "description": "Runs the nightly triage", "name": "ci-runner"}, "stages": [{"id": "01J9Z3K8QHW2", "job": "job-value"}], "transitions": [{"from": "2025-01-15T10:30:00Z", "id": "01J9Z3K8QHW2", "instructions": {"slug": "slug-value", "type": "knowledge"}, "type": "agentic"}], "trigger": {"filters": [{"op": "always"}], "name": "ci-runner", "outputs": {"primary": {"path": "/workspace/src/main.rs", "type": "trigger_path"}}, "provider": "github", "selector": {"provider": "github"}, "type": "integration_trigger"}}});
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/factory/lines/nightly-triage/validate")
                .header("authorization", "Bearer test-jwt")
                .is_true(exact_query(&[]))
                .header("content-type", "application/json")
                .json_body(expected_body.clone());
            then.status(204);
        })
        .await;
    let resp = api
        .client
        .validate_factory_line_manifest()
        .name("nightly-triage")
        .body(types::LineDeployRequest::builder()
                .manifest(from_json::<types::LineManifestInput>(json!({"agent": {"instructions": {"slug": "slug-value", "type": "knowledge"}}, "limits": {"budget_usd": 0.75, "max_iterations": 7, "timeout": "timeout-value"}, "line": {"category": "category-value", "description": "Runs the nightly triage", "name": "ci-runner"}, "stages": [{"id": "01J9Z3K8QHW2", "job": "job-value"}], "transitions": [{"from": "2025-01-15T10:30:00Z", "id": "01J9Z3K8QHW2", "instructions": {"slug": "slug-value", "type": "knowledge"}, "type": "agentic"}], "trigger": {"filters": [{"op": "always"}], "name": "ci-runner", "outputs": {"primary": {"path": "/workspace/src/main.rs", "type": "trigger_path"}}, "provider": "github", "selector": {"provider": "github"}, "type": "integration_trigger"}}))))
        .send()
        .await
        .expect("validate_factory_line_manifest");
    mock.assert_async().await;
    stray.assert_calls_async(0).await;
    assert_eq!(resp.status(), 204);
    assert_eq!(resp.into_inner(), ());
}

#[tokio::test]
async fn wire_list_factory_line_versions() {
    let api = Api::start().await;
    let (server, stray) = api.expect_on(Plane::Control).await;
    let response = json!([{"content_hash": "content-hash-value", "deployed_at": "2025-01-15T10:30:00Z", "id": "01J9Z3K8QHW2", "input_params": [{"name": "ci-runner", "type": "string"}], "manifest": {"agent": {}, "limits": {}, "line": {"name": "ci-runner"}, "stages": [{"id": "01J9Z3K8QHW2", "job": "job-value"}], "transitions": [{"from": "2025-01-15T10:30:00Z", "id": "01J9Z3K8QHW2", "instructions": {"slug": "slug-value", "type": "knowledge"}, "type": "agentic"}], "trigger": {"name": "ci-runner", "provider": "github", "selector": {"provider": "github"}, "type": "integration_trigger"}}, "version_number": 3}]);
    let mock = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/factory/lines/nightly-triage/versions")
                .query_param("limit", "25")
                .query_param("offset", "50")
                .header("authorization", "Bearer test-jwt")
                .is_true(exact_query(&[("limit", "25"), ("offset", "50")]));
            then.status(200).json_body(response.clone());
        })
        .await;
    let resp = api
        .client
        .list_factory_line_versions()
        .name("nightly-triage")
        .limit(25)
        .offset(50)
        .send()
        .await
        .expect("list_factory_line_versions");
    mock.assert_async().await;
    stray.assert_calls_async(0).await;
    assert_eq!(resp.status(), 200);
    let value: Vec<types::LineVersionResponse> = resp.into_inner();
    assert_eq!(value.len(), 1);
    assert_eq!(value[0].id, "01J9Z3K8QHW2");
    assert_eq!(value[0].content_hash, "content-hash-value");
    assert_eq!(value[0].version_number, 3);
    assert_eq!(
        serde_json::to_value(&value).unwrap(),
        response,
        "decoded value re-encodes to the wire JSON"
    );
}

#[tokio::test]
async fn wire_list_gateway_profiles() {
    let api = Api::start().await;
    let (server, stray) = api.expect_on(Plane::Control).await;
    let response = json!([{"cloud_role": {"id": "01J9Z3K8QHW2", "provider": "github", "role_arn": "arn:aws:iam::123456789012:role/islo-sandbox"}, "created_at": "2025-01-15T10:30:00Z", "default_action": "default-action-value", "description": "Runs the nightly triage", "id": "01J9Z3K8QHW2", "integration_policy": {"mode": "all"}, "internet_enabled": true, "is_default": true, "name": "ci-runner", "rule_count": 7, "updated_at": "2025-01-15T10:30:00Z"}]);
    let mock = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/gateway/profiles")
                .header("authorization", "Bearer test-jwt")
                .is_true(exact_query(&[]));
            then.status(200).json_body(response.clone());
        })
        .await;
    let resp = api
        .client
        .list_gateway_profiles()
        .send()
        .await
        .expect("list_gateway_profiles");
    mock.assert_async().await;
    stray.assert_calls_async(0).await;
    assert_eq!(resp.status(), 200);
    let value: Vec<types::GatewayProfileResponse> = resp.into_inner();
    assert_eq!(value.len(), 1);
    assert_eq!(value[0].id, "01J9Z3K8QHW2");
    assert_eq!(value[0].name, "ci-runner");
    assert_eq!(value[0].default_action, "default-action-value");
    assert_eq!(
        value[0].description.as_deref(),
        Some("Runs the nightly triage")
    );
    assert_eq!(
        serde_json::to_value(&value).unwrap(),
        response,
        "decoded value re-encodes to the wire JSON"
    );
}

#[tokio::test]
async fn wire_create_gateway_profile() {
    let api = Api::start().await;
    let (server, stray) = api.expect_on(Plane::Control).await;
    let expected_body = json!({"cloud_role": "cloud-role-value", "default_action": "allow", "description": "Runs the nightly triage", "integration_policy": {"mode": "all"}, "internet_enabled": true, "is_default": true, "name": "ci-runner"});
    let response = json!({"cloud_role": {"id": "01J9Z3K8QHW2", "provider": "github", "role_arn": "arn:aws:iam::123456789012:role/islo-sandbox"}, "created_at": "2025-01-15T10:30:00Z", "default_action": "default-action-value", "description": "Runs the nightly triage", "id": "01J9Z3K8QHW2", "integration_policy": {"mode": "all"}, "internet_enabled": true, "is_default": true, "name": "ci-runner", "rule_count": 7, "updated_at": "2025-01-15T10:30:00Z"});
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/gateway/profiles")
                .header("authorization", "Bearer test-jwt")
                .is_true(exact_query(&[]))
                .header("content-type", "application/json")
                .json_body(expected_body.clone());
            then.status(200).json_body(response.clone());
        })
        .await;
    let resp = api
        .client
        .create_gateway_profile()
        .body(
            types::GatewayProfileCreate::builder()
                .cloud_role(Some("cloud-role-value".to_string()))
                .default_action(Some(open_enums::GatewayAction::Allow))
                .description(Some("Runs the nightly triage".to_string()))
                .integration_policy(Some(from_json::<
                    types::GatewayProfileCreateIntegrationPolicy,
                >(json!({"mode": "all"}))))
                .internet_enabled(Some(true))
                .is_default(Some(true))
                .name("ci-runner"),
        )
        .send()
        .await
        .expect("create_gateway_profile");
    mock.assert_async().await;
    stray.assert_calls_async(0).await;
    assert_eq!(resp.status(), 200);
    let value: types::GatewayProfileResponse = resp.into_inner();
    assert_eq!(value.id, "01J9Z3K8QHW2");
    assert_eq!(value.name, "ci-runner");
    assert_eq!(value.default_action, "default-action-value");
    assert_eq!(
        value.description.as_deref(),
        Some("Runs the nightly triage")
    );
    assert_eq!(
        serde_json::to_value(&value).unwrap(),
        response,
        "decoded value re-encodes to the wire JSON"
    );
}

#[tokio::test]
async fn wire_delete_gateway_profile() {
    let api = Api::start().await;
    let (server, stray) = api.expect_on(Plane::Control).await;
    let mock = server
        .mock_async(|when, then| {
            when.method(DELETE)
                .path("/gateway/profiles/gwp_3Xa9")
                .header("authorization", "Bearer test-jwt")
                .is_true(exact_query(&[]));
            then.status(204);
        })
        .await;
    let resp = api
        .client
        .delete_gateway_profile()
        .profile_id("gwp_3Xa9")
        .send()
        .await
        .expect("delete_gateway_profile");
    mock.assert_async().await;
    stray.assert_calls_async(0).await;
    assert_eq!(resp.status(), 204);
    assert_eq!(resp.into_inner(), ());
}

#[tokio::test]
async fn wire_get_gateway_profile() {
    let api = Api::start().await;
    let (server, stray) = api.expect_on(Plane::Control).await;
    let response = json!({"cloud_role": {"id": "01J9Z3K8QHW2", "provider": "github", "role_arn": "arn:aws:iam::123456789012:role/islo-sandbox"}, "created_at": "2025-01-15T10:30:00Z", "default_action": "default-action-value", "description": "Runs the nightly triage", "id": "01J9Z3K8QHW2", "integration_policy": {"mode": "all"}, "internet_enabled": true, "is_default": true, "name": "ci-runner", "rule_count": 7, "rules": [{"action": "action-value", "auth_strategy": {"team": "platform"}, "content_filter": {"team": "platform"}, "created_at": "2025-01-15T10:30:00Z", "host_pattern": "host-pattern-value", "id": "01J9Z3K8QHW2", "methods": ["method-value"], "path_pattern": "path-pattern-value", "priority": 1, "provider_key": "provider-key-value", "rate_limit_rpm": 7, "updated_at": "2025-01-15T10:30:00Z"}], "updated_at": "2025-01-15T10:30:00Z"});
    let mock = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/gateway/profiles/gwp_3Xa9")
                .header("authorization", "Bearer test-jwt")
                .is_true(exact_query(&[]));
            then.status(200).json_body(response.clone());
        })
        .await;
    let resp = api
        .client
        .get_gateway_profile()
        .profile_id("gwp_3Xa9")
        .send()
        .await
        .expect("get_gateway_profile");
    mock.assert_async().await;
    stray.assert_calls_async(0).await;
    assert_eq!(resp.status(), 200);
    let value: types::GatewayProfileDetailResponse = resp.into_inner();
    assert_eq!(value.id, "01J9Z3K8QHW2");
    assert_eq!(value.name, "ci-runner");
    assert_eq!(value.default_action, "default-action-value");
    assert_eq!(
        value.description.as_deref(),
        Some("Runs the nightly triage")
    );
    assert_eq!(
        serde_json::to_value(&value).unwrap(),
        response,
        "decoded value re-encodes to the wire JSON"
    );
}

#[tokio::test]
async fn wire_update_gateway_profile() {
    let api = Api::start().await;
    let (server, stray) = api.expect_on(Plane::Control).await;
    let expected_body = json!({"cloud_role": "cloud-role-value", "default_action": "allow", "description": "Runs the nightly triage", "integration_policy": {"mode": "all"}, "internet_enabled": true, "is_default": true, "name": "ci-runner"});
    let response = json!({"cloud_role": {"id": "01J9Z3K8QHW2", "provider": "github", "role_arn": "arn:aws:iam::123456789012:role/islo-sandbox"}, "created_at": "2025-01-15T10:30:00Z", "default_action": "default-action-value", "description": "Runs the nightly triage", "id": "01J9Z3K8QHW2", "integration_policy": {"mode": "all"}, "internet_enabled": true, "is_default": true, "name": "ci-runner", "rule_count": 7, "updated_at": "2025-01-15T10:30:00Z"});
    let mock = server
        .mock_async(|when, then| {
            when.method(PATCH)
                .path("/gateway/profiles/gwp_3Xa9")
                .header("authorization", "Bearer test-jwt")
                .is_true(exact_query(&[]))
                .header("content-type", "application/json")
                .json_body(expected_body.clone());
            then.status(200).json_body(response.clone());
        })
        .await;
    let resp = api
        .client
        .update_gateway_profile()
        .profile_id("gwp_3Xa9")
        .body(
            types::GatewayProfileUpdate::builder()
                .cloud_role(Some("cloud-role-value".to_string()))
                .default_action(Some(open_enums::GatewayAction::Allow))
                .description(Some("Runs the nightly triage".to_string()))
                .integration_policy(Some(from_json::<
                    types::GatewayProfileUpdateIntegrationPolicy,
                >(json!({"mode": "all"}))))
                .internet_enabled(Some(true))
                .is_default(Some(true))
                .name(Some("ci-runner".to_string())),
        )
        .send()
        .await
        .expect("update_gateway_profile");
    mock.assert_async().await;
    stray.assert_calls_async(0).await;
    assert_eq!(resp.status(), 200);
    let value: types::GatewayProfileResponse = resp.into_inner();
    assert_eq!(value.id, "01J9Z3K8QHW2");
    assert_eq!(value.name, "ci-runner");
    assert_eq!(value.default_action, "default-action-value");
    assert_eq!(
        value.description.as_deref(),
        Some("Runs the nightly triage")
    );
    assert_eq!(
        serde_json::to_value(&value).unwrap(),
        response,
        "decoded value re-encodes to the wire JSON"
    );
}

#[tokio::test]
async fn wire_create_gateway_rule() {
    let api = Api::start().await;
    let (server, stray) = api.expect_on(Plane::Control).await;
    let expected_body = json!({"action": "allow", "auth_strategy": {"format": "format-value", "mode": "bearer", "name": "ci-runner", "username": "deploy-bot"}, "content_filter": {"direction": "request", "filter_type": "content_type", "pattern": "pattern-value"}, "host_pattern": "host-pattern-value", "methods": ["method-value"], "path_pattern": "path-pattern-value", "priority": 1, "provider_key": "provider-key-value", "rate_limit_rpm": 7});
    let response = json!({"action": "action-value", "auth_strategy": {"team": "platform"}, "content_filter": {"team": "platform"}, "created_at": "2025-01-15T10:30:00Z", "host_pattern": "host-pattern-value", "id": "01J9Z3K8QHW2", "methods": ["method-value"], "path_pattern": "path-pattern-value", "priority": 1, "provider_key": "provider-key-value", "rate_limit_rpm": 7, "updated_at": "2025-01-15T10:30:00Z"});
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/gateway/profiles/gwp_3Xa9/rules")
                .header("authorization", "Bearer test-jwt")
                .is_true(exact_query(&[]))
                .header("content-type", "application/json")
                .json_body(expected_body.clone());
            then.status(200).json_body(response.clone());
        })
        .await;
    let resp = api
        .client
        .create_gateway_rule()
        .profile_id("gwp_3Xa9")
        .body(types::GatewayRuleCreate::builder()
                .action(Some(open_enums::GatewayAction::Allow))
                .auth_strategy(Some(from_json::<types::AuthStrategySchema>(json!({"format": "format-value", "mode": "bearer", "name": "ci-runner", "username": "deploy-bot"}))))
                .content_filter(Some(from_json::<types::GatewayRuleCreateContentFilter>(json!({"direction": "request", "filter_type": "content_type", "pattern": "pattern-value"}))))
                .host_pattern("host-pattern-value")
                .methods(Some(vec!["method-value".to_string()]))
                .path_pattern(Some("path-pattern-value".to_string()))
                .priority(Some(1))
                .provider_key(Some("provider-key-value".to_string()))
                .rate_limit_rpm(Some(7)))
        .send()
        .await
        .expect("create_gateway_rule");
    mock.assert_async().await;
    stray.assert_calls_async(0).await;
    assert_eq!(resp.status(), 200);
    let value: types::GatewayRuleResponse = resp.into_inner();
    assert_eq!(value.id, "01J9Z3K8QHW2");
    assert_eq!(value.action, "action-value");
    assert_eq!(value.host_pattern, "host-pattern-value");
    assert_eq!(value.path_pattern.as_deref(), Some("path-pattern-value"));
    assert_eq!(
        serde_json::to_value(&value).unwrap(),
        response,
        "decoded value re-encodes to the wire JSON"
    );
}

#[tokio::test]
async fn wire_reorder_gateway_rules() {
    let api = Api::start().await;
    let (server, stray) = api.expect_on(Plane::Control).await;
    let expected_body = json!({"rules": [{"priority": 1, "rule_id": "rule_01J9Z3K8QH"}]});
    let response = json!([{"action": "action-value", "auth_strategy": {"team": "platform"}, "content_filter": {"team": "platform"}, "created_at": "2025-01-15T10:30:00Z", "host_pattern": "host-pattern-value", "id": "01J9Z3K8QHW2", "methods": ["method-value"], "path_pattern": "path-pattern-value", "priority": 1, "provider_key": "provider-key-value", "rate_limit_rpm": 7, "updated_at": "2025-01-15T10:30:00Z"}]);
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/gateway/profiles/gwp_3Xa9/rules/reorder")
                .header("authorization", "Bearer test-jwt")
                .is_true(exact_query(&[]))
                .header("content-type", "application/json")
                .json_body(expected_body.clone());
            then.status(200).json_body(response.clone());
        })
        .await;
    let resp = api
        .client
        .reorder_gateway_rules()
        .profile_id("gwp_3Xa9")
        .body(
            types::RuleReorderRequest::builder().rules(from_json::<Vec<types::RuleReorderItem>>(
                json!([{"priority": 1, "rule_id": "rule_01J9Z3K8QH"}]),
            )),
        )
        .send()
        .await
        .expect("reorder_gateway_rules");
    mock.assert_async().await;
    stray.assert_calls_async(0).await;
    assert_eq!(resp.status(), 200);
    let value: Vec<types::GatewayRuleResponse> = resp.into_inner();
    assert_eq!(value.len(), 1);
    assert_eq!(value[0].id, "01J9Z3K8QHW2");
    assert_eq!(value[0].action, "action-value");
    assert_eq!(value[0].host_pattern, "host-pattern-value");
    assert_eq!(value[0].path_pattern.as_deref(), Some("path-pattern-value"));
    assert_eq!(
        serde_json::to_value(&value).unwrap(),
        response,
        "decoded value re-encodes to the wire JSON"
    );
}

#[tokio::test]
async fn wire_delete_gateway_rule() {
    let api = Api::start().await;
    let (server, stray) = api.expect_on(Plane::Control).await;
    let mock = server
        .mock_async(|when, then| {
            when.method(DELETE)
                .path("/gateway/profiles/gwp_3Xa9/rules/gwr_8Lm2")
                .header("authorization", "Bearer test-jwt")
                .is_true(exact_query(&[]));
            then.status(204);
        })
        .await;
    let resp = api
        .client
        .delete_gateway_rule()
        .profile_id("gwp_3Xa9")
        .rule_id("gwr_8Lm2")
        .send()
        .await
        .expect("delete_gateway_rule");
    mock.assert_async().await;
    stray.assert_calls_async(0).await;
    assert_eq!(resp.status(), 204);
    assert_eq!(resp.into_inner(), ());
}

#[tokio::test]
async fn wire_update_gateway_rule() {
    let api = Api::start().await;
    let (server, stray) = api.expect_on(Plane::Control).await;
    let expected_body = json!({"action": "allow", "auth_strategy": {"format": "format-value", "mode": "bearer", "name": "ci-runner", "username": "deploy-bot"}, "content_filter": {"direction": "request", "filter_type": "content_type", "pattern": "pattern-value"}, "host_pattern": "host-pattern-value", "methods": ["method-value"], "path_pattern": "path-pattern-value", "priority": 1, "provider_key": "provider-key-value", "rate_limit_rpm": 7});
    let response = json!({"action": "action-value", "auth_strategy": {"team": "platform"}, "content_filter": {"team": "platform"}, "created_at": "2025-01-15T10:30:00Z", "host_pattern": "host-pattern-value", "id": "01J9Z3K8QHW2", "methods": ["method-value"], "path_pattern": "path-pattern-value", "priority": 1, "provider_key": "provider-key-value", "rate_limit_rpm": 7, "updated_at": "2025-01-15T10:30:00Z"});
    let mock = server
        .mock_async(|when, then| {
            when.method(PATCH)
                .path("/gateway/profiles/gwp_3Xa9/rules/gwr_8Lm2")
                .header("authorization", "Bearer test-jwt")
                .is_true(exact_query(&[]))
                .header("content-type", "application/json")
                .json_body(expected_body.clone());
            then.status(200).json_body(response.clone());
        })
        .await;
    let resp = api
        .client
        .update_gateway_rule()
        .profile_id("gwp_3Xa9")
        .rule_id("gwr_8Lm2")
        .body(types::GatewayRuleUpdate::builder()
                .action(Some(open_enums::GatewayAction::Allow))
                .auth_strategy(Some(from_json::<types::AuthStrategySchema>(json!({"format": "format-value", "mode": "bearer", "name": "ci-runner", "username": "deploy-bot"}))))
                .content_filter(Some(from_json::<types::GatewayRuleUpdateContentFilter>(json!({"direction": "request", "filter_type": "content_type", "pattern": "pattern-value"}))))
                .host_pattern(Some("host-pattern-value".to_string()))
                .methods(Some(vec!["method-value".to_string()]))
                .path_pattern(Some("path-pattern-value".to_string()))
                .priority(Some(1))
                .provider_key(Some("provider-key-value".to_string()))
                .rate_limit_rpm(Some(7)))
        .send()
        .await
        .expect("update_gateway_rule");
    mock.assert_async().await;
    stray.assert_calls_async(0).await;
    assert_eq!(resp.status(), 200);
    let value: types::GatewayRuleResponse = resp.into_inner();
    assert_eq!(value.id, "01J9Z3K8QHW2");
    assert_eq!(value.action, "action-value");
    assert_eq!(value.host_pattern, "host-pattern-value");
    assert_eq!(value.path_pattern.as_deref(), Some("path-pattern-value"));
    assert_eq!(
        serde_json::to_value(&value).unwrap(),
        response,
        "decoded value re-encodes to the wire JSON"
    );
}

#[tokio::test]
async fn wire_list_inference_models() {
    let api = Api::start().await;
    let (server, stray) = api.expect_on(Plane::Control).await;
    let response = json!({"models": [{"aliases": ["aliase-value"], "cache_write_input_cents_per_1m_tokens": "cache-write-input-cents-per-1m-tokens-value", "cached_input_cents_per_1m_tokens": "cached-input-cents-per-1m-tokens-value", "client_apis": ["openai_chat_completions"], "display_name": "display-main", "enabled": true, "id": "01J9Z3K8QHW2", "input_cents_per_1m_tokens": "input-cents-per-1m-tokens-value", "output_cents_per_1m_tokens": "output-cents-per-1m-tokens-value", "pricing_tiers": [{"cached_input_cents_per_1m_tokens": "cached-input-cents-per-1m-tokens-value", "input_cents_per_1m_tokens": "input-cents-per-1m-tokens-value", "output_cents_per_1m_tokens": "output-cents-per-1m-tokens-value"}], "upstream_model_id": "upstream_model_01J9Z3K8QH", "upstream_provider": "fireworks"}]});
    let mock = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/inference/models")
                .header("authorization", "Bearer test-jwt")
                .is_true(exact_query(&[]));
            then.status(200).json_body(response.clone());
        })
        .await;
    let resp = api
        .client
        .list_inference_models()
        .send()
        .await
        .expect("list_inference_models");
    mock.assert_async().await;
    stray.assert_calls_async(0).await;
    assert_eq!(resp.status(), 200);
    let value: types::InferenceModelsResponse = resp.into_inner();
    assert_eq!(
        serde_json::to_value(&value).unwrap(),
        response,
        "decoded value re-encodes to the wire JSON"
    );
}

#[tokio::test]
async fn wire_list_integrations() {
    let api = Api::start().await;
    let (server, stray) = api.expect_on(Plane::Control).await;
    let response = json!({"integrations": [{"auth_method": "oauth", "connected": true, "display_name": "display-main", "level": "user", "preset_id": "preset_01J9Z3K8QH", "provider": "github"}]});
    let mock = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/integrations")
                .header("authorization", "Bearer test-jwt")
                .is_true(exact_query(&[]));
            then.status(200).json_body(response.clone());
        })
        .await;
    let resp = api
        .client
        .list_integrations()
        .send()
        .await
        .expect("list_integrations");
    mock.assert_async().await;
    stray.assert_calls_async(0).await;
    assert_eq!(resp.status(), 200);
    let value: types::IntegrationListResponse = resp.into_inner();
    assert_eq!(value.integrations.len(), 1);
    assert_eq!(
        value.integrations[0].auth_method,
        Some(open_enums::AuthMethod::Oauth)
    );
    assert!(value.integrations[0].connected);
    assert_eq!(
        serde_json::to_value(&value).unwrap(),
        response,
        "decoded value re-encodes to the wire JSON"
    );
}

#[tokio::test]
async fn wire_list_custom_services() {
    let api = Api::start().await;
    let (server, stray) = api.expect_on(Plane::Control).await;
    let response =
        json!({"services": [{"auth_method": "oauth", "name": "ci-runner", "slug": "slug-value"}]});
    let mock = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/integrations/custom-services")
                .header("authorization", "Bearer test-jwt")
                .is_true(exact_query(&[]));
            then.status(200).json_body(response.clone());
        })
        .await;
    let resp = api
        .client
        .list_custom_services()
        .send()
        .await
        .expect("list_custom_services");
    mock.assert_async().await;
    stray.assert_calls_async(0).await;
    assert_eq!(resp.status(), 200);
    let value: types::CustomServicesResponse = resp.into_inner();
    assert_eq!(value.services.len(), 1);
    assert_eq!(value.services[0].name, "ci-runner");
    assert_eq!(value.services[0].auth_method, open_enums::AuthMethod::Oauth);
    assert_eq!(
        serde_json::to_value(&value).unwrap(),
        response,
        "decoded value re-encodes to the wire JSON"
    );
}

#[tokio::test]
async fn wire_create_custom_service() {
    let api = Api::start().await;
    let (server, stray) = api.expect_on(Plane::Control).await;
    let expected_body = json!({"custom": {"auth_method": "oauth", "authorization_url": "https://example.com/authorization_url", "client_id": "client_01J9Z3K8QH", "client_secret": "client-secret-value", "mcp_url": "https://example.com/mcp_url", "name": "ci-runner", "scopes": ["scope-value"], "slug": "slug-value", "token_url": "https://example.com/token_url"}});
    let response = json!({"app_id": "app_01J9Z3K8QH", "auth_method": "oauth", "name": "ci-runner", "slug": "slug-value"});
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/integrations/custom-services")
                .header("authorization", "Bearer test-jwt")
                .is_true(exact_query(&[]))
                .header("content-type", "application/json")
                .json_body(expected_body.clone());
            then.status(200).json_body(response.clone());
        })
        .await;
    let resp = api
        .client
        .create_custom_service()
        .body(types::CustomServiceCreateRequest::builder()
                .custom(from_json::<types::CustomIntegration>(json!({"auth_method": "oauth", "authorization_url": "https://example.com/authorization_url", "client_id": "client_01J9Z3K8QH", "client_secret": "client-secret-value", "mcp_url": "https://example.com/mcp_url", "name": "ci-runner", "scopes": ["scope-value"], "slug": "slug-value", "token_url": "https://example.com/token_url"}))))
        .send()
        .await
        .expect("create_custom_service");
    mock.assert_async().await;
    stray.assert_calls_async(0).await;
    assert_eq!(resp.status(), 200);
    let value: types::CustomServiceCreateResponse = resp.into_inner();
    assert_eq!(value.name, "ci-runner");
    assert_eq!(value.app_id, "app_01J9Z3K8QH");
    assert_eq!(value.auth_method, open_enums::AuthMethod::Oauth);
    assert_eq!(value.slug, "slug-value");
    assert_eq!(
        serde_json::to_value(&value).unwrap(),
        response,
        "decoded value re-encodes to the wire JSON"
    );
}

#[tokio::test]
async fn wire_disconnect_custom_integration() {
    let api = Api::start().await;
    let (server, stray) = api.expect_on(Plane::Control).await;
    let response = json!({"team": "platform"});
    let mock = server
        .mock_async(|when, then| {
            when.method(DELETE)
                .path("/integrations/custom/app_2bQ7")
                .query_param("scope", "tenant")
                .query_param("delete_app", "true")
                .header("authorization", "Bearer test-jwt")
                .is_true(exact_query(&[("scope", "tenant"), ("delete_app", "true")]));
            then.status(200).json_body(response.clone());
        })
        .await;
    let resp = api
        .client
        .disconnect_custom_integration()
        .descope_app_id("app_2bQ7")
        .scope(open_enums::IntegrationLevel::Tenant)
        .delete_app(true)
        .send()
        .await
        .expect("disconnect_custom_integration");
    mock.assert_async().await;
    stray.assert_calls_async(0).await;
    assert_eq!(resp.status(), 200);
    let value: serde_json::Map<String, serde_json::Value> = resp.into_inner();
    assert_eq!(value["team"], json!("platform"));
    assert_eq!(
        serde_json::to_value(&value).unwrap(),
        response,
        "decoded value re-encodes to the wire JSON"
    );
}

#[tokio::test]
async fn wire_list_integration_providers() {
    let api = Api::start().await;
    let (server, stray) = api.expect_on(Plane::Control).await;
    let response = json!({"providers": [{"apps": [{"app_id": "app_01J9Z3K8QH", "auth_method": "oauth", "scope": "user"}], "hosts": ["registry.example.com"], "name": "ci-runner"}]});
    let mock = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/integrations/providers")
                .header("authorization", "Bearer test-jwt")
                .is_true(exact_query(&[]));
            then.status(200).json_body(response.clone());
        })
        .await;
    let resp = api
        .client
        .list_integration_providers()
        .send()
        .await
        .expect("list_integration_providers");
    mock.assert_async().await;
    stray.assert_calls_async(0).await;
    assert_eq!(resp.status(), 200);
    let value: types::IntegrationProvidersResponse = resp.into_inner();
    assert_eq!(value.providers.len(), 1);
    assert_eq!(value.providers[0].name, "ci-runner");
    assert_eq!(value.providers[0].apps.len(), 1);
    assert_eq!(value.providers[0].apps[0].app_id, "app_01J9Z3K8QH");
    assert_eq!(
        value.providers[0].apps[0].auth_method,
        open_enums::AuthMethod::Oauth
    );
    assert_eq!(
        serde_json::to_value(&value).unwrap(),
        response,
        "decoded value re-encodes to the wire JSON"
    );
}

#[tokio::test]
async fn wire_list_integration_triggers() {
    let api = Api::start().await;
    let (server, stray) = api.expect_on(Plane::Control).await;
    let response = json!({"triggers": [{"connected": true, "description": "Runs the nightly triage", "docs_url": "https://example.com/docs_url", "filter_operators": ["filter-operator-value"], "kind": "kind-value", "name": "ci-runner", "provider": "github", "raw_payload_example": {"team": "platform"}, "selector_schema": {"team": "platform"}, "title": "Release checklist"}]});
    let mock = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/integrations/triggers")
                .header("authorization", "Bearer test-jwt")
                .is_true(exact_query(&[]));
            then.status(200).json_body(response.clone());
        })
        .await;
    let resp = api
        .client
        .list_integration_triggers()
        .send()
        .await
        .expect("list_integration_triggers");
    mock.assert_async().await;
    stray.assert_calls_async(0).await;
    assert_eq!(resp.status(), 200);
    let value: types::TriggerCatalogListResponse = resp.into_inner();
    assert_eq!(value.triggers.len(), 1);
    assert_eq!(value.triggers[0].name, "ci-runner");
    assert_eq!(value.triggers[0].connected, Some(true));
    assert_eq!(
        serde_json::to_value(&value).unwrap(),
        response,
        "decoded value re-encodes to the wire JSON"
    );
}

#[tokio::test]
async fn wire_list_connected_integration_triggers() {
    let api = Api::start().await;
    let (server, stray) = api.expect_on(Plane::Control).await;
    let response = json!({"triggers": [{"connected": true, "description": "Runs the nightly triage", "docs_url": "https://example.com/docs_url", "filter_operators": ["filter-operator-value"], "kind": "kind-value", "name": "ci-runner", "provider": "github", "raw_payload_example": {"team": "platform"}, "selector_schema": {"team": "platform"}, "title": "Release checklist"}]});
    let mock = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/integrations/triggers/connected")
                .header("authorization", "Bearer test-jwt")
                .is_true(exact_query(&[]));
            then.status(200).json_body(response.clone());
        })
        .await;
    let resp = api
        .client
        .list_connected_integration_triggers()
        .send()
        .await
        .expect("list_connected_integration_triggers");
    mock.assert_async().await;
    stray.assert_calls_async(0).await;
    assert_eq!(resp.status(), 200);
    let value: types::TriggerCatalogListResponse = resp.into_inner();
    assert_eq!(value.triggers.len(), 1);
    assert_eq!(value.triggers[0].name, "ci-runner");
    assert_eq!(value.triggers[0].connected, Some(true));
    assert_eq!(
        serde_json::to_value(&value).unwrap(),
        response,
        "decoded value re-encodes to the wire JSON"
    );
}

#[tokio::test]
async fn wire_get_integration_trigger() {
    let api = Api::start().await;
    let (server, stray) = api.expect_on(Plane::Control).await;
    let response = json!({"connected": true, "description": "Runs the nightly triage", "docs_url": "https://example.com/docs_url", "filter_operators": ["filter-operator-value"], "kind": "kind-value", "name": "ci-runner", "provider": "github", "raw_payload_example": {"team": "platform"}, "selector_schema": {"team": "platform"}, "title": "Release checklist"});
    let mock = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/integrations/triggers/github/pull_request.opened")
                .header("authorization", "Bearer test-jwt")
                .is_true(exact_query(&[]));
            then.status(200).json_body(response.clone());
        })
        .await;
    let resp = api
        .client
        .get_integration_trigger()
        .provider("github")
        .trigger_name("pull_request.opened")
        .send()
        .await
        .expect("get_integration_trigger");
    mock.assert_async().await;
    stray.assert_calls_async(0).await;
    assert_eq!(resp.status(), 200);
    let value: types::TriggerCatalogItem = resp.into_inner();
    assert_eq!(value.name, "ci-runner");
    assert_eq!(value.connected, Some(true));
    assert_eq!(value.description, "Runs the nightly triage");
    assert_eq!(
        value.docs_url.as_deref(),
        Some("https://example.com/docs_url")
    );
    assert_eq!(
        serde_json::to_value(&value).unwrap(),
        response,
        "decoded value re-encodes to the wire JSON"
    );
}

#[tokio::test]
async fn wire_disconnect_integration() {
    let api = Api::start().await;
    let (server, stray) = api.expect_on(Plane::Control).await;
    let response = json!({"team": "platform"});
    let mock = server
        .mock_async(|when, then| {
            when.method(DELETE)
                .path("/integrations/github")
                .query_param("level", "tenant")
                .query_param("auth_type", "api_key")
                .header("authorization", "Bearer test-jwt")
                .is_true(exact_query(&[
                    ("level", "tenant"),
                    ("auth_type", "api_key"),
                ]));
            then.status(200).json_body(response.clone());
        })
        .await;
    let resp = api
        .client
        .disconnect_integration()
        .provider("github")
        .level(open_enums::IntegrationLevel::Tenant)
        .auth_type(open_enums::AuthMethod::ApiKey)
        .send()
        .await
        .expect("disconnect_integration");
    mock.assert_async().await;
    stray.assert_calls_async(0).await;
    assert_eq!(resp.status(), 200);
    let value: serde_json::Map<String, serde_json::Value> = resp.into_inner();
    assert_eq!(value["team"], json!("platform"));
    assert_eq!(
        serde_json::to_value(&value).unwrap(),
        response,
        "decoded value re-encodes to the wire JSON"
    );
}

#[tokio::test]
async fn wire_get_integration_status() {
    let api = Api::start().await;
    let (server, stray) = api.expect_on(Plane::Control).await;
    let response = json!({"provider": "github", "tenant": {"connected": true, "connected_at": "2025-01-15T10:30:00Z", "email": "dev@example.com", "scopes": ["scope-value"], "username": "deploy-bot"}, "user": {"connected": true, "connected_at": "2025-01-15T10:30:00Z", "email": "dev@example.com", "scopes": ["scope-value"], "username": "deploy-bot"}});
    let mock = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/integrations/github")
                .header("authorization", "Bearer test-jwt")
                .is_true(exact_query(&[]));
            then.status(200).json_body(response.clone());
        })
        .await;
    let resp = api
        .client
        .get_integration_status()
        .provider("github")
        .send()
        .await
        .expect("get_integration_status");
    mock.assert_async().await;
    stray.assert_calls_async(0).await;
    assert_eq!(resp.status(), 200);
    let value: types::IntegrationDetailResponse = resp.into_inner();
    assert_eq!(value.provider, "github");
    assert_eq!(
        serde_json::to_value(&value).unwrap(),
        response,
        "decoded value re-encodes to the wire JSON"
    );
}

#[tokio::test]
async fn wire_list_all_job_runs() {
    let api = Api::start().await;
    let (server, stray) = api.expect_on(Plane::Control).await;
    let response = json!([{"completed_at": "2025-01-15T10:30:00Z", "created_at": "2025-01-15T10:30:00Z", "error_message": "error-message-value", "id": "01J9Z3K8QHW2", "job_name": "job-main", "job_version_id": "job_version_01J9Z3K8QH", "region": "us-east-1", "started_at": "2025-01-15T10:30:00Z", "status": "running", "step_count": 7}]);
    let mock = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/job-runs")
                .query_param("limit", "25")
                .query_param("offset", "50")
                .query_param("status", "running")
                .header("authorization", "Bearer test-jwt")
                .is_true(exact_query(&[
                    ("limit", "25"),
                    ("offset", "50"),
                    ("status", "running"),
                ]));
            then.status(200).json_body(response.clone());
        })
        .await;
    let resp = api
        .client
        .list_all_job_runs()
        .limit(25)
        .offset(50)
        .status(open_enums::JobRunStatus::Running)
        .send()
        .await
        .expect("list_all_job_runs");
    mock.assert_async().await;
    stray.assert_calls_async(0).await;
    assert_eq!(resp.status(), 200);
    let value: Vec<types::JobRunListItem> = resp.into_inner();
    assert_eq!(value.len(), 1);
    assert_eq!(value[0].id, "01J9Z3K8QHW2");
    assert_eq!(value[0].status, "running");
    assert_eq!(
        value[0].error_message.as_deref(),
        Some("error-message-value")
    );
    assert_eq!(value[0].job_name, "job-main");
    assert_eq!(
        serde_json::to_value(&value).unwrap(),
        response,
        "decoded value re-encodes to the wire JSON"
    );
}

#[tokio::test]
async fn wire_get_job_run_by_id() {
    let api = Api::start().await;
    let (server, stray) = api.expect_on(Plane::Control).await;
    let response = json!({"artifact_refs": [{"external_ref": {"kind": "kind-value", "provider": "github"}, "metadata": {"team": "platform"}, "operation": "operation-value", "provider": "github", "status": "running", "title": "Release checklist", "type": "type-value", "url": "https://example.com/hooks/islo"}], "completed_at": "2025-01-15T10:30:00Z", "created_at": "2025-01-15T10:30:00Z", "error_code": "error-code-value", "error_details": {"team": "platform"}, "error_message": "error-message-value", "failure_class": "failure-class-value", "id": "01J9Z3K8QHW2", "job_name": "job-main", "job_version_id": "job_version_01J9Z3K8QH", "region": "us-east-1", "result_payload": {"team": "platform"}, "run_params": {"team": "platform"}, "started_at": "2025-01-15T10:30:00Z", "status": "running", "step_timeline": [{"action": "action-value", "agent_session_id": "agent_session_01J9Z3K8QH", "completed_at": "2025-01-15T10:30:00Z", "compute_command_id": "compute_command_01J9Z3K8QH", "error_code": "error-code-value", "error_details": {"team": "platform"}, "error_message": "error-message-value", "exit_code": 0, "failure_class": "failure-class-value", "name": "ci-runner", "sandbox_name": "ci-runner", "started_at": "2025-01-15T10:30:00Z", "status": "running", "task_name": "task-main"}]});
    let mock = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/job-runs/run_01J9ZA")
                .header("authorization", "Bearer test-jwt")
                .is_true(exact_query(&[]));
            then.status(200).json_body(response.clone());
        })
        .await;
    let resp = api
        .client
        .get_job_run_by_id()
        .run_id("run_01J9ZA")
        .send()
        .await
        .expect("get_job_run_by_id");
    mock.assert_async().await;
    stray.assert_calls_async(0).await;
    assert_eq!(resp.status(), 200);
    let value: types::JobRunResponse = resp.into_inner();
    assert_eq!(value.id, "01J9Z3K8QHW2");
    assert_eq!(value.status, "running");
    assert_eq!(value.artifact_refs.len(), 1);
    assert_eq!(value.artifact_refs[0].status.as_deref(), Some("running"));
    assert_eq!(
        value.artifact_refs[0].operation.as_deref(),
        Some("operation-value")
    );
    assert_eq!(
        serde_json::to_value(&value).unwrap(),
        response,
        "decoded value re-encodes to the wire JSON"
    );
}

#[tokio::test]
async fn wire_list_jobs() {
    let api = Api::start().await;
    let (server, stray) = api.expect_on(Plane::Control).await;
    let response = json!([{"created_at": "2025-01-15T10:30:00Z", "id": "01J9Z3K8QHW2", "latest_version_number": 7, "name": "ci-runner"}]);
    let mock = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/jobs")
                .query_param("limit", "25")
                .query_param("offset", "50")
                .header("authorization", "Bearer test-jwt")
                .is_true(exact_query(&[("limit", "25"), ("offset", "50")]));
            then.status(200).json_body(response.clone());
        })
        .await;
    let resp = api
        .client
        .list_jobs()
        .limit(25)
        .offset(50)
        .send()
        .await
        .expect("list_jobs");
    mock.assert_async().await;
    stray.assert_calls_async(0).await;
    assert_eq!(resp.status(), 200);
    let value: Vec<types::JobListItem> = resp.into_inner();
    assert_eq!(value.len(), 1);
    assert_eq!(value[0].id, "01J9Z3K8QHW2");
    assert_eq!(value[0].name, "ci-runner");
    assert_eq!(value[0].latest_version_number, Some(7));
    assert_eq!(
        serde_json::to_value(&value).unwrap(),
        response,
        "decoded value re-encodes to the wire JSON"
    );
}

#[tokio::test]
async fn wire_delete_job() {
    let api = Api::start().await;
    let (server, stray) = api.expect_on(Plane::Control).await;
    let mock = server
        .mock_async(|when, then| {
            when.method(DELETE)
                .path("/jobs/nightly-triage")
                .header("authorization", "Bearer test-jwt")
                .is_true(exact_query(&[]));
            then.status(204);
        })
        .await;
    let resp = api
        .client
        .delete_job()
        .name("nightly-triage")
        .send()
        .await
        .expect("delete_job");
    mock.assert_async().await;
    stray.assert_calls_async(0).await;
    assert_eq!(resp.status(), 204);
    assert_eq!(resp.into_inner(), ());
}

#[tokio::test]
async fn wire_get_job() {
    let api = Api::start().await;
    let (server, stray) = api.expect_on(Plane::Control).await;
    let response = json!({"created_at": "2025-01-15T10:30:00Z", "description": "Runs the nightly triage", "id": "01J9Z3K8QHW2", "latest_version": {"content_hash": "content-hash-value", "deployed_at": "2025-01-15T10:30:00Z", "id": "01J9Z3K8QHW2", "manifest": {"job": {"name": "ci-runner"}, "outputs": {"primary": {"type": "string"}}, "run": {"tasks": [{"name": "ci-runner", "steps": [{}]}]}, "schedule": {"cron": "0 3 * * *"}, "verification": {}}, "version_number": 3}, "name": "ci-runner", "params": [{"default": {"note": "free-form"}, "description": "Runs the nightly triage", "enum": [{"note": "free-form"}], "items": "string", "name": "ci-runner", "pattern": "pattern-value", "prefix": "prefix-value", "required": true, "type": "string"}]});
    let mock = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/jobs/nightly-triage")
                .header("authorization", "Bearer test-jwt")
                .is_true(exact_query(&[]));
            then.status(200).json_body(response.clone());
        })
        .await;
    let resp = api
        .client
        .get_job()
        .name("nightly-triage")
        .send()
        .await
        .expect("get_job");
    mock.assert_async().await;
    stray.assert_calls_async(0).await;
    assert_eq!(resp.status(), 200);
    let value: types::JobResponse = resp.into_inner();
    assert_eq!(value.id, "01J9Z3K8QHW2");
    assert_eq!(value.name, "ci-runner");
    assert_eq!(
        value.description.as_deref(),
        Some("Runs the nightly triage")
    );
    assert_eq!(
        serde_json::to_value(&value).unwrap(),
        response,
        "decoded value re-encodes to the wire JSON"
    );
}

#[tokio::test]
async fn wire_deploy_job() {
    let api = Api::start().await;
    let (server, stray) = api.expect_on(Plane::Control).await;
    let expected_body = json!({"manifest": {"job": {"description": "Runs the nightly triage", "name": "ci-runner", "params": {"primary": {"type": "string"}}, "version": "1.4.0"}, "outputs": {"primary": {"type": "string"}}, "run": {"concurrency": 7, "fail_fast": true, "fanout": true, "region": "us-east-1", "resume_on_start": true, "sandbox": {}, "tasks": [{"name": "ci-runner", "steps": [{}]}], "teardown_on_complete": true, "timeout": "timeout-value", "workdir": "/workspace"}, "schedule": {"cron": "0 3 * * *", "enabled": true, "timezone": "UTC"}, "verification": {"enabled": true, "gate": {}}}});
    let response = json!({"content_hash": "content-hash-value", "deployed_at": "2025-01-15T10:30:00Z", "id": "01J9Z3K8QHW2", "manifest": {"job": {"description": "Runs the nightly triage", "name": "ci-runner", "params": {"primary": {"type": "string"}}, "version": "1.4.0"}, "outputs": {"primary": {"type": "string"}}, "run": {"concurrency": 7, "fail_fast": true, "fanout": true, "region": "us-east-1", "resume_on_start": true, "sandbox": {}, "tasks": [{"name": "ci-runner", "steps": [{}]}], "teardown_on_complete": true, "timeout": "timeout-value", "workdir": "/workspace"}, "schedule": {"cron": "0 3 * * *", "enabled": true, "timezone": "UTC"}, "verification": {"enabled": true, "gate": {}}}, "version_number": 3});
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/jobs/nightly-triage/deploy")
                .header("authorization", "Bearer test-jwt")
                .is_true(exact_query(&[]))
                .header("content-type", "application/json")
                .json_body(expected_body.clone());
            then.status(200).json_body(response.clone());
        })
        .await;
    let resp = api
        .client
        .deploy_job()
        .name("nightly-triage")
        .body(types::JobDeployRequest::builder()
                .manifest(from_json::<types::JobManifestInput>(json!({"job": {"description": "Runs the nightly triage", "name": "ci-runner", "params": {"primary": {"type": "string"}}, "version": "1.4.0"}, "outputs": {"primary": {"type": "string"}}, "run": {"concurrency": 7, "fail_fast": true, "fanout": true, "region": "us-east-1", "resume_on_start": true, "sandbox": {}, "tasks": [{"name": "ci-runner", "steps": [{}]}], "teardown_on_complete": true, "timeout": "timeout-value", "workdir": "/workspace"}, "schedule": {"cron": "0 3 * * *", "enabled": true, "timezone": "UTC"}, "verification": {"enabled": true, "gate": {}}}))))
        .send()
        .await
        .expect("deploy_job");
    mock.assert_async().await;
    stray.assert_calls_async(0).await;
    assert_eq!(resp.status(), 200);
    let value: types::JobVersionResponse = resp.into_inner();
    assert_eq!(value.id, "01J9Z3K8QHW2");
    assert_eq!(value.content_hash, "content-hash-value");
    assert_eq!(value.version_number, 3);
    assert_eq!(
        serde_json::to_value(&value).unwrap(),
        response,
        "decoded value re-encodes to the wire JSON"
    );
}

#[tokio::test]
async fn wire_list_job_runs() {
    let api = Api::start().await;
    let (server, stray) = api.expect_on(Plane::Control).await;
    let response = json!([{"completed_at": "2025-01-15T10:30:00Z", "created_at": "2025-01-15T10:30:00Z", "error_message": "error-message-value", "id": "01J9Z3K8QHW2", "job_name": "job-main", "job_version_id": "job_version_01J9Z3K8QH", "region": "us-east-1", "started_at": "2025-01-15T10:30:00Z", "status": "running", "step_count": 7}]);
    let mock = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/jobs/nightly-triage/runs")
                .query_param("limit", "25")
                .query_param("offset", "50")
                .header("authorization", "Bearer test-jwt")
                .is_true(exact_query(&[("limit", "25"), ("offset", "50")]));
            then.status(200).json_body(response.clone());
        })
        .await;
    let resp = api
        .client
        .list_job_runs()
        .name("nightly-triage")
        .limit(25)
        .offset(50)
        .send()
        .await
        .expect("list_job_runs");
    mock.assert_async().await;
    stray.assert_calls_async(0).await;
    assert_eq!(resp.status(), 200);
    let value: Vec<types::JobRunListItem> = resp.into_inner();
    assert_eq!(value.len(), 1);
    assert_eq!(value[0].id, "01J9Z3K8QHW2");
    assert_eq!(value[0].status, "running");
    assert_eq!(
        value[0].error_message.as_deref(),
        Some("error-message-value")
    );
    assert_eq!(value[0].job_name, "job-main");
    assert_eq!(
        serde_json::to_value(&value).unwrap(),
        response,
        "decoded value re-encodes to the wire JSON"
    );
}

#[tokio::test]
async fn wire_trigger_job_run() {
    let api = Api::start().await;
    let (server, stray) = api.expect_on(Plane::Control).await;
    let expected_body = json!({"params": {"team": "platform"}, "region": "us-east-1", "version_id": "version_01J9Z3K8QH"});
    let response = json!({"artifact_refs": [{"external_ref": {"kind": "kind-value", "provider": "github"}, "metadata": {"team": "platform"}, "operation": "operation-value", "provider": "github", "status": "running", "title": "Release checklist", "type": "type-value", "url": "https://example.com/hooks/islo"}], "completed_at": "2025-01-15T10:30:00Z", "created_at": "2025-01-15T10:30:00Z", "error_code": "error-code-value", "error_details": {"team": "platform"}, "error_message": "error-message-value", "failure_class": "failure-class-value", "id": "01J9Z3K8QHW2", "job_name": "job-main", "job_version_id": "job_version_01J9Z3K8QH", "region": "us-east-1", "result_payload": {"team": "platform"}, "run_params": {"team": "platform"}, "started_at": "2025-01-15T10:30:00Z", "status": "running", "step_timeline": [{"action": "action-value", "agent_session_id": "agent_session_01J9Z3K8QH", "completed_at": "2025-01-15T10:30:00Z", "compute_command_id": "compute_command_01J9Z3K8QH", "error_code": "error-code-value", "error_details": {"team": "platform"}, "error_message": "error-message-value", "exit_code": 0, "failure_class": "failure-class-value", "name": "ci-runner", "sandbox_name": "ci-runner", "started_at": "2025-01-15T10:30:00Z", "status": "running", "task_name": "task-main"}]});
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/jobs/nightly-triage/runs")
                .header("authorization", "Bearer test-jwt")
                .is_true(exact_query(&[]))
                .header("content-type", "application/json")
                .json_body(expected_body.clone());
            then.status(200).json_body(response.clone());
        })
        .await;
    let resp = api
        .client
        .trigger_job_run()
        .name("nightly-triage")
        .body(
            types::JobRunCreate::builder()
                .params(Some(
                    from_json::<serde_json::Map<String, serde_json::Value>>(
                        json!({"team": "platform"}),
                    ),
                ))
                .region(Some("us-east-1".to_string()))
                .version_id(Some("version_01J9Z3K8QH".to_string())),
        )
        .send()
        .await
        .expect("trigger_job_run");
    mock.assert_async().await;
    stray.assert_calls_async(0).await;
    assert_eq!(resp.status(), 200);
    let value: types::JobRunResponse = resp.into_inner();
    assert_eq!(value.id, "01J9Z3K8QHW2");
    assert_eq!(value.status, "running");
    assert_eq!(value.artifact_refs.len(), 1);
    assert_eq!(value.artifact_refs[0].status.as_deref(), Some("running"));
    assert_eq!(
        value.artifact_refs[0].operation.as_deref(),
        Some("operation-value")
    );
    assert_eq!(
        serde_json::to_value(&value).unwrap(),
        response,
        "decoded value re-encodes to the wire JSON"
    );
}

#[tokio::test]
async fn wire_get_job_run() {
    let api = Api::start().await;
    let (server, stray) = api.expect_on(Plane::Control).await;
    let response = json!({"artifact_refs": [{"external_ref": {"kind": "kind-value", "provider": "github"}, "metadata": {"team": "platform"}, "operation": "operation-value", "provider": "github", "status": "running", "title": "Release checklist", "type": "type-value", "url": "https://example.com/hooks/islo"}], "completed_at": "2025-01-15T10:30:00Z", "created_at": "2025-01-15T10:30:00Z", "error_code": "error-code-value", "error_details": {"team": "platform"}, "error_message": "error-message-value", "failure_class": "failure-class-value", "id": "01J9Z3K8QHW2", "job_name": "job-main", "job_version_id": "job_version_01J9Z3K8QH", "region": "us-east-1", "result_payload": {"team": "platform"}, "run_params": {"team": "platform"}, "started_at": "2025-01-15T10:30:00Z", "status": "running", "step_timeline": [{"action": "action-value", "agent_session_id": "agent_session_01J9Z3K8QH", "completed_at": "2025-01-15T10:30:00Z", "compute_command_id": "compute_command_01J9Z3K8QH", "error_code": "error-code-value", "error_details": {"team": "platform"}, "error_message": "error-message-value", "exit_code": 0, "failure_class": "failure-class-value", "name": "ci-runner", "sandbox_name": "ci-runner", "started_at": "2025-01-15T10:30:00Z", "status": "running", "task_name": "task-main"}]});
    let mock = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/jobs/nightly-triage/runs/run_01J9ZA")
                .header("authorization", "Bearer test-jwt")
                .is_true(exact_query(&[]));
            then.status(200).json_body(response.clone());
        })
        .await;
    let resp = api
        .client
        .get_job_run()
        .name("nightly-triage")
        .run_id("run_01J9ZA")
        .send()
        .await
        .expect("get_job_run");
    mock.assert_async().await;
    stray.assert_calls_async(0).await;
    assert_eq!(resp.status(), 200);
    let value: types::JobRunResponse = resp.into_inner();
    assert_eq!(value.id, "01J9Z3K8QHW2");
    assert_eq!(value.status, "running");
    assert_eq!(value.artifact_refs.len(), 1);
    assert_eq!(value.artifact_refs[0].status.as_deref(), Some("running"));
    assert_eq!(
        value.artifact_refs[0].operation.as_deref(),
        Some("operation-value")
    );
    assert_eq!(
        serde_json::to_value(&value).unwrap(),
        response,
        "decoded value re-encodes to the wire JSON"
    );
}

#[tokio::test]
async fn wire_stop_job_run() {
    let api = Api::start().await;
    let (server, stray) = api.expect_on(Plane::Control).await;
    let expected_body = json!({"reason": "reason-value"});
    let response = json!({"artifact_refs": [{"external_ref": {"kind": "kind-value", "provider": "github"}, "metadata": {"team": "platform"}, "operation": "operation-value", "provider": "github", "status": "running", "title": "Release checklist", "type": "type-value", "url": "https://example.com/hooks/islo"}], "completed_at": "2025-01-15T10:30:00Z", "created_at": "2025-01-15T10:30:00Z", "error_code": "error-code-value", "error_details": {"team": "platform"}, "error_message": "error-message-value", "failure_class": "failure-class-value", "id": "01J9Z3K8QHW2", "job_name": "job-main", "job_version_id": "job_version_01J9Z3K8QH", "region": "us-east-1", "result_payload": {"team": "platform"}, "run_params": {"team": "platform"}, "started_at": "2025-01-15T10:30:00Z", "status": "running", "step_timeline": [{"action": "action-value", "agent_session_id": "agent_session_01J9Z3K8QH", "completed_at": "2025-01-15T10:30:00Z", "compute_command_id": "compute_command_01J9Z3K8QH", "error_code": "error-code-value", "error_details": {"team": "platform"}, "error_message": "error-message-value", "exit_code": 0, "failure_class": "failure-class-value", "name": "ci-runner", "sandbox_name": "ci-runner", "started_at": "2025-01-15T10:30:00Z", "status": "running", "task_name": "task-main"}]});
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/jobs/nightly-triage/runs/run_01J9ZA/stop")
                .header("authorization", "Bearer test-jwt")
                .is_true(exact_query(&[]))
                .header("content-type", "application/json")
                .json_body(expected_body.clone());
            then.status(200).json_body(response.clone());
        })
        .await;
    let resp = api
        .client
        .stop_job_run()
        .name("nightly-triage")
        .run_id("run_01J9ZA")
        .body(types::JobRunStopRequest::builder().reason(Some("reason-value".to_string())))
        .send()
        .await
        .expect("stop_job_run");
    mock.assert_async().await;
    stray.assert_calls_async(0).await;
    assert_eq!(resp.status(), 200);
    let value: types::JobRunResponse = resp.into_inner();
    assert_eq!(value.id, "01J9Z3K8QHW2");
    assert_eq!(value.status, "running");
    assert_eq!(value.artifact_refs.len(), 1);
    assert_eq!(value.artifact_refs[0].status.as_deref(), Some("running"));
    assert_eq!(
        value.artifact_refs[0].operation.as_deref(),
        Some("operation-value")
    );
    assert_eq!(
        serde_json::to_value(&value).unwrap(),
        response,
        "decoded value re-encodes to the wire JSON"
    );
}

#[tokio::test]
async fn wire_delete_job_schedule() {
    let api = Api::start().await;
    let (server, stray) = api.expect_on(Plane::Control).await;
    let mock = server
        .mock_async(|when, then| {
            when.method(DELETE)
                .path("/jobs/nightly-triage/schedule")
                .header("authorization", "Bearer test-jwt")
                .is_true(exact_query(&[]));
            then.status(204);
        })
        .await;
    let resp = api
        .client
        .delete_job_schedule()
        .name("nightly-triage")
        .send()
        .await
        .expect("delete_job_schedule");
    mock.assert_async().await;
    stray.assert_calls_async(0).await;
    assert_eq!(resp.status(), 204);
    assert_eq!(resp.into_inner(), ());
}

#[tokio::test]
async fn wire_get_job_schedule() {
    let api = Api::start().await;
    let (server, stray) = api.expect_on(Plane::Control).await;
    let response =
        json!({"cron": "0 3 * * *", "enabled": true, "schedule_generation": 7, "timezone": "UTC"});
    let mock = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/jobs/nightly-triage/schedule")
                .header("authorization", "Bearer test-jwt")
                .is_true(exact_query(&[]));
            then.status(200).json_body(response.clone());
        })
        .await;
    let resp = api
        .client
        .get_job_schedule()
        .name("nightly-triage")
        .send()
        .await
        .expect("get_job_schedule");
    mock.assert_async().await;
    stray.assert_calls_async(0).await;
    assert_eq!(resp.status(), 200);
    let value: types::JobScheduleResponse = resp.into_inner();
    assert_eq!(value.cron, "0 3 * * *");
    assert!(value.enabled);
    assert_eq!(value.schedule_generation, 7);
    assert_eq!(value.timezone, "UTC");
    assert_eq!(
        serde_json::to_value(&value).unwrap(),
        response,
        "decoded value re-encodes to the wire JSON"
    );
}

#[tokio::test]
async fn wire_validate_job_manifest() {
    let api = Api::start().await;
    let (server, stray) = api.expect_on(Plane::Control).await;
    let expected_body = json!({"manifest": {"job": {"description": "Runs the nightly triage", "name": "ci-runner", "params": {"primary": {"type": "string"}}, "version": "1.4.0"}, "outputs": {"primary": {"type": "string"}}, "run": {"concurrency": 7, "fail_fast": true, "fanout": true, "region": "us-east-1", "resume_on_start": true, "sandbox": {}, "tasks": [{"name": "ci-runner", "steps": [{}]}], "teardown_on_complete": true, "timeout": "timeout-value", "workdir": "/workspace"}, "schedule": {"cron": "0 3 * * *", "enabled": true, "timezone": "UTC"}, "verification": {"enabled": true, "gate": {}}}});
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/jobs/nightly-triage/validate")
                .header("authorization", "Bearer test-jwt")
                .is_true(exact_query(&[]))
                .header("content-type", "application/json")
                .json_body(expected_body.clone());
            then.status(204);
        })
        .await;
    let resp = api
        .client
        .validate_job_manifest()
        .name("nightly-triage")
        .body(types::JobDeployRequest::builder()
                .manifest(from_json::<types::JobManifestInput>(json!({"job": {"description": "Runs the nightly triage", "name": "ci-runner", "params": {"primary": {"type": "string"}}, "version": "1.4.0"}, "outputs": {"primary": {"type": "string"}}, "run": {"concurrency": 7, "fail_fast": true, "fanout": true, "region": "us-east-1", "resume_on_start": true, "sandbox": {}, "tasks": [{"name": "ci-runner", "steps": [{}]}], "teardown_on_complete": true, "timeout": "timeout-value", "workdir": "/workspace"}, "schedule": {"cron": "0 3 * * *", "enabled": true, "timezone": "UTC"}, "verification": {"enabled": true, "gate": {}}}))))
        .send()
        .await
        .expect("validate_job_manifest");
    mock.assert_async().await;
    stray.assert_calls_async(0).await;
    assert_eq!(resp.status(), 204);
    assert_eq!(resp.into_inner(), ());
}

#[tokio::test]
async fn wire_list_job_versions() {
    let api = Api::start().await;
    let (server, stray) = api.expect_on(Plane::Control).await;
    let response = json!([{"content_hash": "content-hash-value", "deployed_at": "2025-01-15T10:30:00Z", "id": "01J9Z3K8QHW2", "manifest": {"job": {"name": "ci-runner"}, "outputs": {"primary": {"type": "string"}}, "run": {"tasks": [{"name": "ci-runner", "steps": [{}]}]}, "schedule": {"cron": "0 3 * * *"}, "verification": {}}, "version_number": 3}]);
    let mock = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/jobs/nightly-triage/versions")
                .query_param("limit", "25")
                .query_param("offset", "50")
                .header("authorization", "Bearer test-jwt")
                .is_true(exact_query(&[("limit", "25"), ("offset", "50")]));
            then.status(200).json_body(response.clone());
        })
        .await;
    let resp = api
        .client
        .list_job_versions()
        .name("nightly-triage")
        .limit(25)
        .offset(50)
        .send()
        .await
        .expect("list_job_versions");
    mock.assert_async().await;
    stray.assert_calls_async(0).await;
    assert_eq!(resp.status(), 200);
    let value: Vec<types::JobVersionResponse> = resp.into_inner();
    assert_eq!(value.len(), 1);
    assert_eq!(value[0].id, "01J9Z3K8QHW2");
    assert_eq!(value[0].content_hash, "content-hash-value");
    assert_eq!(value[0].version_number, 3);
    assert_eq!(
        serde_json::to_value(&value).unwrap(),
        response,
        "decoded value re-encodes to the wire JSON"
    );
}

#[tokio::test]
async fn wire_get_job_version() {
    let api = Api::start().await;
    let (server, stray) = api.expect_on(Plane::Control).await;
    let response = json!({"content_hash": "content-hash-value", "deployed_at": "2025-01-15T10:30:00Z", "id": "01J9Z3K8QHW2", "manifest": {"job": {"description": "Runs the nightly triage", "name": "ci-runner", "params": {"primary": {"type": "string"}}, "version": "1.4.0"}, "outputs": {"primary": {"type": "string"}}, "run": {"concurrency": 7, "fail_fast": true, "fanout": true, "region": "us-east-1", "resume_on_start": true, "sandbox": {}, "tasks": [{"name": "ci-runner", "steps": [{}]}], "teardown_on_complete": true, "timeout": "timeout-value", "workdir": "/workspace"}, "schedule": {"cron": "0 3 * * *", "enabled": true, "timezone": "UTC"}, "verification": {"enabled": true, "gate": {}}}, "version_number": 3});
    let mock = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/jobs/nightly-triage/versions/ver_4Nd5")
                .header("authorization", "Bearer test-jwt")
                .is_true(exact_query(&[]));
            then.status(200).json_body(response.clone());
        })
        .await;
    let resp = api
        .client
        .get_job_version()
        .name("nightly-triage")
        .version_id("ver_4Nd5")
        .send()
        .await
        .expect("get_job_version");
    mock.assert_async().await;
    stray.assert_calls_async(0).await;
    assert_eq!(resp.status(), 200);
    let value: types::JobVersionResponse = resp.into_inner();
    assert_eq!(value.id, "01J9Z3K8QHW2");
    assert_eq!(value.content_hash, "content-hash-value");
    assert_eq!(value.version_number, 3);
    assert_eq!(
        serde_json::to_value(&value).unwrap(),
        response,
        "decoded value re-encodes to the wire JSON"
    );
}

#[tokio::test]
async fn wire_list_knowledge() {
    let api = Api::start().await;
    let (server, stray) = api.expect_on(Plane::Control).await;
    let response = json!({"items": [{"created_at": "2025-01-15T10:30:00Z", "id": "01J9Z3K8QHW2", "level": "episodic", "links": [{"link_type": "repository", "value": "production"}], "slug": "slug-value", "status": "active", "updated_at": "2025-01-15T10:30:00Z", "version_number": 3}], "next_cursor": "eyJvZmZzZXQiOjIwfQ"});
    let mock = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/knowledge")
                .query_param("level", "procedural")
                .query_param("tag", "runbook")
                .query_param("repository", "islo-labs/api")
                .query_param("q", "build")
                .query_param("cursor", "eyJvZmZzZXQiOjUwfQ")
                .query_param("limit", "25")
                .header("authorization", "Bearer test-jwt")
                .is_true(exact_query(&[
                    ("level", "procedural"),
                    ("tag", "runbook"),
                    ("repository", "islo-labs/api"),
                    ("q", "build"),
                    ("cursor", "eyJvZmZzZXQiOjUwfQ"),
                    ("limit", "25"),
                ]));
            then.status(200).json_body(response.clone());
        })
        .await;
    let resp = api
        .client
        .list_knowledge()
        .level(open_enums::KnowledgeLevel::Procedural)
        .tag("runbook")
        .repository("islo-labs/api")
        .q("build")
        .cursor("eyJvZmZzZXQiOjUwfQ")
        .limit(25)
        .send()
        .await
        .expect("list_knowledge");
    mock.assert_async().await;
    stray.assert_calls_async(0).await;
    assert_eq!(resp.status(), 200);
    let value: types::PaginatedKnowledgeResponse = resp.into_inner();
    assert_eq!(value.items.len(), 1);
    assert_eq!(value.items[0].id, "01J9Z3K8QHW2");
    assert_eq!(value.items[0].status, open_enums::KnowledgeStatus::Active);
    assert_eq!(value.next_cursor.as_deref(), Some("eyJvZmZzZXQiOjIwfQ"));
    assert_eq!(
        serde_json::to_value(&value).unwrap(),
        response,
        "decoded value re-encodes to the wire JSON"
    );
}

#[tokio::test]
async fn wire_create_knowledge() {
    let api = Api::start().await;
    let (server, stray) = api.expect_on(Plane::Control).await;
    let expected_body = json!({"body": "body-value", "format": "format-value", "level": "episodic", "links": [{"link_type": "repository", "value": "production"}], "metadata": {"team": "platform"}, "slug": "slug-value"});
    let response = json!({"body": "body-value", "created_at": "2025-01-15T10:30:00Z", "format": "format-value", "id": "01J9Z3K8QHW2", "level": "episodic", "links": [{"link_type": "repository", "value": "production"}], "metadata": {"team": "platform"}, "slug": "slug-value", "status": "active", "updated_at": "2025-01-15T10:30:00Z", "version_id": "version_01J9Z3K8QH", "version_number": 3});
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/knowledge")
                .header("authorization", "Bearer test-jwt")
                .is_true(exact_query(&[]))
                .header("content-type", "application/json")
                .json_body(expected_body.clone());
            then.status(200).json_body(response.clone());
        })
        .await;
    let resp = api
        .client
        .create_knowledge()
        .body(
            types::KnowledgeItemCreate::builder()
                .body("body-value")
                .format(Some("format-value".to_string()))
                .level(open_enums::KnowledgeLevel::Episodic)
                .links(Some(from_json::<Vec<types::KnowledgeLinkInput>>(
                    json!([{"link_type": "repository", "value": "production"}]),
                )))
                .metadata(Some(
                    from_json::<serde_json::Map<String, serde_json::Value>>(
                        json!({"team": "platform"}),
                    ),
                ))
                .slug("slug-value"),
        )
        .send()
        .await
        .expect("create_knowledge");
    mock.assert_async().await;
    stray.assert_calls_async(0).await;
    assert_eq!(resp.status(), 200);
    let value: types::KnowledgeItemResponse = resp.into_inner();
    assert_eq!(value.id, "01J9Z3K8QHW2");
    assert_eq!(value.status, open_enums::KnowledgeStatus::Active);
    assert_eq!(value.body, "body-value");
    assert_eq!(value.format, "format-value");
    assert_eq!(
        serde_json::to_value(&value).unwrap(),
        response,
        "decoded value re-encodes to the wire JSON"
    );
}

#[tokio::test]
async fn wire_delete_knowledge() {
    let api = Api::start().await;
    let (server, stray) = api.expect_on(Plane::Control).await;
    let mock = server
        .mock_async(|when, then| {
            when.method(DELETE)
                .path("/knowledge/release-checklist")
                .header("authorization", "Bearer test-jwt")
                .is_true(exact_query(&[]));
            then.status(204);
        })
        .await;
    let resp = api
        .client
        .delete_knowledge()
        .identifier("release-checklist")
        .send()
        .await
        .expect("delete_knowledge");
    mock.assert_async().await;
    stray.assert_calls_async(0).await;
    assert_eq!(resp.status(), 204);
    assert_eq!(resp.into_inner(), ());
}

#[tokio::test]
async fn wire_get_knowledge() {
    let api = Api::start().await;
    let (server, stray) = api.expect_on(Plane::Control).await;
    let response = json!({"body": "body-value", "created_at": "2025-01-15T10:30:00Z", "format": "format-value", "id": "01J9Z3K8QHW2", "level": "episodic", "links": [{"link_type": "repository", "value": "production"}], "metadata": {"team": "platform"}, "slug": "slug-value", "status": "active", "updated_at": "2025-01-15T10:30:00Z", "version_id": "version_01J9Z3K8QH", "version_number": 3});
    let mock = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/knowledge/release-checklist")
                .header("authorization", "Bearer test-jwt")
                .is_true(exact_query(&[]));
            then.status(200).json_body(response.clone());
        })
        .await;
    let resp = api
        .client
        .get_knowledge()
        .identifier("release-checklist")
        .send()
        .await
        .expect("get_knowledge");
    mock.assert_async().await;
    stray.assert_calls_async(0).await;
    assert_eq!(resp.status(), 200);
    let value: types::KnowledgeItemResponse = resp.into_inner();
    assert_eq!(value.id, "01J9Z3K8QHW2");
    assert_eq!(value.status, open_enums::KnowledgeStatus::Active);
    assert_eq!(value.body, "body-value");
    assert_eq!(value.format, "format-value");
    assert_eq!(
        serde_json::to_value(&value).unwrap(),
        response,
        "decoded value re-encodes to the wire JSON"
    );
}

#[tokio::test]
async fn wire_update_knowledge() {
    let api = Api::start().await;
    let (server, stray) = api.expect_on(Plane::Control).await;
    let expected_body = json!({"body": "body-value", "format": "format-value", "level": "episodic", "links": [{"link_type": "repository", "value": "production"}], "metadata": {"team": "platform"}, "status": "active"});
    let response = json!({"body": "body-value", "created_at": "2025-01-15T10:30:00Z", "format": "format-value", "id": "01J9Z3K8QHW2", "level": "episodic", "links": [{"link_type": "repository", "value": "production"}], "metadata": {"team": "platform"}, "slug": "slug-value", "status": "active", "updated_at": "2025-01-15T10:30:00Z", "version_id": "version_01J9Z3K8QH", "version_number": 3});
    let mock = server
        .mock_async(|when, then| {
            when.method(PATCH)
                .path("/knowledge/release-checklist")
                .header("authorization", "Bearer test-jwt")
                .is_true(exact_query(&[]))
                .header("content-type", "application/json")
                .json_body(expected_body.clone());
            then.status(200).json_body(response.clone());
        })
        .await;
    let resp = api
        .client
        .update_knowledge()
        .identifier("release-checklist")
        .body(
            types::KnowledgeItemUpdate::builder()
                .body(Some("body-value".to_string()))
                .format(Some("format-value".to_string()))
                .level(Some(open_enums::KnowledgeLevel::Episodic))
                .links(Some(from_json::<Vec<types::KnowledgeLinkInput>>(
                    json!([{"link_type": "repository", "value": "production"}]),
                )))
                .metadata(Some(
                    from_json::<serde_json::Map<String, serde_json::Value>>(
                        json!({"team": "platform"}),
                    ),
                ))
                .status(Some(open_enums::KnowledgeStatus::Active)),
        )
        .send()
        .await
        .expect("update_knowledge");
    mock.assert_async().await;
    stray.assert_calls_async(0).await;
    assert_eq!(resp.status(), 200);
    let value: types::KnowledgeItemResponse = resp.into_inner();
    assert_eq!(value.id, "01J9Z3K8QHW2");
    assert_eq!(value.status, open_enums::KnowledgeStatus::Active);
    assert_eq!(value.body, "body-value");
    assert_eq!(value.format, "format-value");
    assert_eq!(
        serde_json::to_value(&value).unwrap(),
        response,
        "decoded value re-encodes to the wire JSON"
    );
}

#[tokio::test]
async fn wire_restore_knowledge_version() {
    let api = Api::start().await;
    let (server, stray) = api.expect_on(Plane::Control).await;
    let expected_body = json!({"version_number": 3});
    let response = json!({"body": "body-value", "created_at": "2025-01-15T10:30:00Z", "format": "format-value", "id": "01J9Z3K8QHW2", "level": "episodic", "links": [{"link_type": "repository", "value": "production"}], "metadata": {"team": "platform"}, "slug": "slug-value", "status": "active", "updated_at": "2025-01-15T10:30:00Z", "version_id": "version_01J9Z3K8QH", "version_number": 3});
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/knowledge/release-checklist/restore")
                .header("authorization", "Bearer test-jwt")
                .is_true(exact_query(&[]))
                .header("content-type", "application/json")
                .json_body(expected_body.clone());
            then.status(200).json_body(response.clone());
        })
        .await;
    let resp = api
        .client
        .restore_knowledge_version()
        .identifier("release-checklist")
        .body(types::KnowledgeRestoreRequest::builder().version_number(3))
        .send()
        .await
        .expect("restore_knowledge_version");
    mock.assert_async().await;
    stray.assert_calls_async(0).await;
    assert_eq!(resp.status(), 200);
    let value: types::KnowledgeItemResponse = resp.into_inner();
    assert_eq!(value.id, "01J9Z3K8QHW2");
    assert_eq!(value.status, open_enums::KnowledgeStatus::Active);
    assert_eq!(value.body, "body-value");
    assert_eq!(value.format, "format-value");
    assert_eq!(
        serde_json::to_value(&value).unwrap(),
        response,
        "decoded value re-encodes to the wire JSON"
    );
}

#[tokio::test]
async fn wire_list_knowledge_versions() {
    let api = Api::start().await;
    let (server, stray) = api.expect_on(Plane::Control).await;
    let response = json!({"items": [{"created_at": "2025-01-15T10:30:00Z", "id": "01J9Z3K8QHW2", "version_number": 3}], "next_cursor": "eyJvZmZzZXQiOjIwfQ"});
    let mock = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/knowledge/release-checklist/versions")
                .query_param("cursor", "eyJvZmZzZXQiOjUwfQ")
                .query_param("limit", "25")
                .header("authorization", "Bearer test-jwt")
                .is_true(exact_query(&[
                    ("cursor", "eyJvZmZzZXQiOjUwfQ"),
                    ("limit", "25"),
                ]));
            then.status(200).json_body(response.clone());
        })
        .await;
    let resp = api
        .client
        .list_knowledge_versions()
        .identifier("release-checklist")
        .cursor("eyJvZmZzZXQiOjUwfQ")
        .limit(25)
        .send()
        .await
        .expect("list_knowledge_versions");
    mock.assert_async().await;
    stray.assert_calls_async(0).await;
    assert_eq!(resp.status(), 200);
    let value: types::PaginatedKnowledgeVersionResponse = resp.into_inner();
    assert_eq!(value.items.len(), 1);
    assert_eq!(value.items[0].id, "01J9Z3K8QHW2");
    assert_eq!(value.items[0].version_number, 3);
    assert_eq!(value.next_cursor.as_deref(), Some("eyJvZmZzZXQiOjIwfQ"));
    assert_eq!(
        serde_json::to_value(&value).unwrap(),
        response,
        "decoded value re-encodes to the wire JSON"
    );
}

#[tokio::test]
async fn wire_get_knowledge_version() {
    let api = Api::start().await;
    let (server, stray) = api.expect_on(Plane::Control).await;
    let response = json!({"body": "body-value", "content_hash": "content-hash-value", "created_at": "2025-01-15T10:30:00Z", "format": "format-value", "id": "01J9Z3K8QHW2", "level": "episodic", "links": [{"link_type": "repository", "value": "production"}], "metadata": {"team": "platform"}, "version_number": 3});
    let mock = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/knowledge/release-checklist/versions/3")
                .header("authorization", "Bearer test-jwt")
                .is_true(exact_query(&[]));
            then.status(200).json_body(response.clone());
        })
        .await;
    let resp = api
        .client
        .get_knowledge_version()
        .identifier("release-checklist")
        .version_number(3)
        .send()
        .await
        .expect("get_knowledge_version");
    mock.assert_async().await;
    stray.assert_calls_async(0).await;
    assert_eq!(resp.status(), 200);
    let value: types::KnowledgeVersionResponse = resp.into_inner();
    assert_eq!(value.id, "01J9Z3K8QHW2");
    assert_eq!(value.body, "body-value");
    assert_eq!(value.content_hash, "content-hash-value");
    assert_eq!(value.format, "format-value");
    assert_eq!(
        serde_json::to_value(&value).unwrap(),
        response,
        "decoded value re-encodes to the wire JSON"
    );
}

#[tokio::test]
async fn wire_list_sandboxes() {
    let api = Api::start().await;
    let (server, stray) = api.expect_on(Plane::Compute).await;
    let response = json!({"items": [{"created_at": "2025-01-15T10:30:00Z", "created_by": "user_8c21", "creation_phase": "creation-phase-value", "deleted_at": "2025-01-15T10:30:00Z", "id": "01J9Z3K8QHW2", "image": "ghcr.io/islo-labs/devbox:2025.01", "lifecycle": {}, "name": "ci-runner", "setup_steps": [{"name": "ci-runner", "status": "running"}], "spec": {"disk_gb": 20, "memory_mb": 4096, "vcpus": 2}, "status": "running", "workdir": "/workspace"}], "limit": 20, "next_cursor": "eyJvZmZzZXQiOjIwfQ", "offset": 0, "total": 1});
    let mock = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/sandboxes")
                .query_param("q", "build")
                .query_param("search", "api")
                .query_param("status", "running")
                .query_param("status", "paused")
                .query_param("name_prefix", "ci-")
                .query_param("created_by", "user_8c21")
                .query_param("limit", "25")
                .query_param("offset", "50")
                .query_param("cursor", "eyJvZmZzZXQiOjUwfQ")
                .header("authorization", "Bearer test-jwt")
                .is_true(exact_query(&[
                    ("q", "build"),
                    ("search", "api"),
                    ("status", "running"),
                    ("status", "paused"),
                    ("name_prefix", "ci-"),
                    ("created_by", "user_8c21"),
                    ("limit", "25"),
                    ("offset", "50"),
                    ("cursor", "eyJvZmZzZXQiOjUwfQ"),
                ]));
            then.status(200).json_body(response.clone());
        })
        .await;
    let resp = api
        .client
        .list_sandboxes()
        .q("build")
        .search("api")
        .status(vec!["running".to_string(), "paused".to_string()])
        .name_prefix("ci-")
        .created_by("user_8c21")
        .limit(25)
        .offset(50)
        .cursor("eyJvZmZzZXQiOjUwfQ")
        .send()
        .await
        .expect("list_sandboxes");
    mock.assert_async().await;
    stray.assert_calls_async(0).await;
    assert_eq!(resp.status(), 200);
    let value: types::PaginatedSandboxResponse = resp.into_inner();
    assert_eq!(value.items.len(), 1);
    assert_eq!(value.items[0].id, "01J9Z3K8QHW2");
    assert_eq!(value.items[0].name, "ci-runner");
    assert_eq!(value.total, 1);
    assert_eq!(
        serde_json::to_value(&value).unwrap(),
        response,
        "decoded value re-encodes to the wire JSON"
    );
}

#[tokio::test]
async fn wire_create_sandbox() {
    let api = Api::start().await;
    let (server, stray) = api.expect_on(Plane::Compute).await;
    let expected_body = json!({"cache_key": "cache-key-value", "disk_gb": 20, "env": {"LOG_LEVEL": "debug"}, "environment": "environment-value", "gateway_profile": "gateway-profile-value", "image": "ghcr.io/islo-labs/devbox:2025.01", "init": {"type": "minimal"}, "internet_enabled": true, "lifecycle": {"auto_resume": "never", "delete_after": 7, "pause_after": 7, "pause_after_idle": 7}, "memory_mb": 4096, "name": "ci-runner", "request_id": "request_01J9Z3K8QH", "setup_scripts": [{"name": "ci-runner", "script": "script-value"}], "snapshot_name": "snapshot-main", "sources": [{"branch": "main", "repo_url": "https://example.com/repo_url", "target_path": "target-path-value"}], "vcpus": 2, "workdir": "/workspace"});
    let response = json!({"created_at": "2025-01-15T10:30:00Z", "created_by": "user_8c21", "creation_phase": "creation-phase-value", "deleted_at": "2025-01-15T10:30:00Z", "id": "01J9Z3K8QHW2", "image": "ghcr.io/islo-labs/devbox:2025.01", "lifecycle": {"auto_resume": "never", "delete_after": 7, "pause_after": 7, "pause_after_idle": 7}, "name": "ci-runner", "setup_steps": [{"name": "ci-runner", "status": "running", "stderr": "", "stdout": "hello\n"}], "spec": {"disk_gb": 20, "memory_mb": 4096, "vcpus": 2}, "status": "running", "workdir": "/workspace"});
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/sandboxes")
                .header("authorization", "Bearer test-jwt")
                .is_true(exact_query(&[]))
                .header("content-type", "application/json")
                .json_body(expected_body.clone());
            then.status(200).json_body(response.clone());
        })
        .await;
    let resp = api
        .client
        .create_sandbox()
        .body(types::SandboxCreate::builder()
                .cache_key(Some("cache-key-value".to_string()))
                .disk_gb(Some(20))
                .env(Some(from_json::<HashMap<String, Option<String>>>(json!({"LOG_LEVEL": "debug"}))))
                .environment(Some("environment-value".to_string()))
                .gateway_profile(Some("gateway-profile-value".to_string()))
                .image(Some("ghcr.io/islo-labs/devbox:2025.01".to_string()))
                .init(Some(from_json::<types::SandboxInit>(json!({"type": "minimal"}))))
                .internet_enabled(Some(true))
                .lifecycle(Some(from_json::<types::LifecyclePolicy>(json!({"auto_resume": "never", "delete_after": 7, "pause_after": 7, "pause_after_idle": 7}))))
                .memory_mb(Some(4096))
                .name(Some("ci-runner".to_string()))
                .request_id(Some("request_01J9Z3K8QH".to_string()))
                .setup_scripts(Some(from_json::<Vec<types::SetupScript>>(json!([{"name": "ci-runner", "script": "script-value"}]))))
                .snapshot_name(Some("snapshot-main".to_string()))
                .sources(Some(from_json::<Vec<types::GitSource>>(json!([{"branch": "main", "repo_url": "https://example.com/repo_url", "target_path": "target-path-value"}]))))
                .vcpus(Some(2))
                .workdir(Some("/workspace".to_string())))
        .send()
        .await
        .expect("create_sandbox");
    mock.assert_async().await;
    stray.assert_calls_async(0).await;
    assert_eq!(resp.status(), 200);
    let value: types::SandboxResponse = resp.into_inner();
    assert_eq!(value.id, "01J9Z3K8QHW2");
    assert_eq!(value.name, "ci-runner");
    assert_eq!(value.status, "running");
    assert_eq!(value.created_at, "2025-01-15T10:30:00Z");
    assert_eq!(
        serde_json::to_value(&value).unwrap(),
        response,
        "decoded value re-encodes to the wire JSON"
    );
}

#[tokio::test]
async fn wire_get_sandbox_by_id() {
    let api = Api::start().await;
    let (server, stray) = api.expect_on(Plane::Compute).await;
    let response = json!({"created_at": "2025-01-15T10:30:00Z", "created_by": "user_8c21", "creation_phase": "creation-phase-value", "deleted_at": "2025-01-15T10:30:00Z", "id": "01J9Z3K8QHW2", "image": "ghcr.io/islo-labs/devbox:2025.01", "lifecycle": {"auto_resume": "never", "delete_after": 7, "pause_after": 7, "pause_after_idle": 7}, "name": "ci-runner", "setup_steps": [{"name": "ci-runner", "status": "running", "stderr": "", "stdout": "hello\n"}], "spec": {"disk_gb": 20, "memory_mb": 4096, "vcpus": 2}, "status": "running", "workdir": "/workspace"});
    let mock = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/sandboxes/-/by-id/res_7Hc1")
                .header("authorization", "Bearer test-jwt")
                .is_true(exact_query(&[]));
            then.status(200).json_body(response.clone());
        })
        .await;
    let resp = api
        .client
        .get_sandbox_by_id()
        .id("res_7Hc1")
        .send()
        .await
        .expect("get_sandbox_by_id");
    mock.assert_async().await;
    stray.assert_calls_async(0).await;
    assert_eq!(resp.status(), 200);
    let value: types::SandboxResponse = resp.into_inner();
    assert_eq!(value.id, "01J9Z3K8QHW2");
    assert_eq!(value.name, "ci-runner");
    assert_eq!(value.status, "running");
    assert_eq!(value.created_at, "2025-01-15T10:30:00Z");
    assert_eq!(
        serde_json::to_value(&value).unwrap(),
        response,
        "decoded value re-encodes to the wire JSON"
    );
}

#[tokio::test]
async fn wire_delete_sandbox() {
    let api = Api::start().await;
    let (server, stray) = api.expect_on(Plane::Compute).await;
    let mock = server
        .mock_async(|when, then| {
            when.method(DELETE)
                .path("/sandboxes/ci-runner")
                .header("authorization", "Bearer test-jwt")
                .is_true(exact_query(&[]));
            then.status(204);
        })
        .await;
    let resp = api
        .client
        .delete_sandbox()
        .sandbox_name("ci-runner")
        .send()
        .await
        .expect("delete_sandbox");
    mock.assert_async().await;
    stray.assert_calls_async(0).await;
    assert_eq!(resp.status(), 204);
    assert_eq!(resp.into_inner(), ());
}

#[tokio::test]
async fn wire_get_sandbox() {
    let api = Api::start().await;
    let (server, stray) = api.expect_on(Plane::Compute).await;
    let response = json!({"created_at": "2025-01-15T10:30:00Z", "created_by": "user_8c21", "creation_phase": "creation-phase-value", "deleted_at": "2025-01-15T10:30:00Z", "id": "01J9Z3K8QHW2", "image": "ghcr.io/islo-labs/devbox:2025.01", "lifecycle": {"auto_resume": "never", "delete_after": 7, "pause_after": 7, "pause_after_idle": 7}, "name": "ci-runner", "setup_steps": [{"name": "ci-runner", "status": "running", "stderr": "", "stdout": "hello\n"}], "spec": {"disk_gb": 20, "memory_mb": 4096, "vcpus": 2}, "status": "running", "workdir": "/workspace"});
    let mock = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/sandboxes/ci-runner")
                .header("authorization", "Bearer test-jwt")
                .is_true(exact_query(&[]));
            then.status(200).json_body(response.clone());
        })
        .await;
    let resp = api
        .client
        .get_sandbox()
        .sandbox_name("ci-runner")
        .send()
        .await
        .expect("get_sandbox");
    mock.assert_async().await;
    stray.assert_calls_async(0).await;
    assert_eq!(resp.status(), 200);
    let value: types::SandboxResponse = resp.into_inner();
    assert_eq!(value.id, "01J9Z3K8QHW2");
    assert_eq!(value.name, "ci-runner");
    assert_eq!(value.status, "running");
    assert_eq!(value.created_at, "2025-01-15T10:30:00Z");
    assert_eq!(
        serde_json::to_value(&value).unwrap(),
        response,
        "decoded value re-encodes to the wire JSON"
    );
}

#[tokio::test]
async fn wire_sandbox_creation_events() {
    let api = Api::start().await;
    let (server, stray) = api.expect_on(Plane::Compute).await;
    let events = "event: phase\ndata: {\"phase\":\"pulling_image\"}\n\nevent: phase\ndata: {\"phase\":\"ready\"}\n\n";
    let mock = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/sandboxes/ci-runner/events")
                .header("authorization", "Bearer test-jwt")
                .is_true(exact_query(&[]));
            then.status(200)
                .header("content-type", "text/event-stream")
                .body(events);
        })
        .await;
    let resp = api
        .client
        .sandbox_creation_events()
        .sandbox_name("ci-runner")
        .send()
        .await
        .expect("sandbox_creation_events");
    mock.assert_async().await;
    stray.assert_calls_async(0).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "text/event-stream");
    let bytes = collect(resp).await;
    assert_eq!(String::from_utf8(bytes).unwrap(), events);
}

#[tokio::test]
async fn wire_exec_in_sandbox() {
    let api = Api::start().await;
    let (server, stray) = api.expect_on(Plane::Compute).await;
    let expected_body = json!({"command": ["echo hello"], "env": {"LOG_LEVEL": "debug"}, "timeout_secs": 300, "user": "islo", "workdir": "/workspace"});
    let response = json!({"exec_id": "exec_01J9Z3K8QH", "sandbox_id": "sandbox_01J9Z3K8QH", "status": "running"});
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/sandboxes/ci-runner/exec")
                .header("authorization", "Bearer test-jwt")
                .is_true(exact_query(&[]))
                .header("content-type", "application/json")
                .json_body(expected_body.clone());
            then.status(200).json_body(response.clone());
        })
        .await;
    let resp = api
        .client
        .exec_in_sandbox()
        .sandbox_name("ci-runner")
        .body(
            types::ExecRequest::builder()
                .command(vec!["echo hello".to_string()])
                .env(Some(from_json::<HashMap<String, Option<String>>>(
                    json!({"LOG_LEVEL": "debug"}),
                )))
                .timeout_secs(Some(300))
                .user(Some("islo".to_string()))
                .workdir(Some("/workspace".to_string())),
        )
        .send()
        .await
        .expect("exec_in_sandbox");
    mock.assert_async().await;
    stray.assert_calls_async(0).await;
    assert_eq!(resp.status(), 200);
    let value: types::ExecResponse = resp.into_inner();
    assert_eq!(value.status, "running");
    assert_eq!(value.exec_id, "exec_01J9Z3K8QH");
    assert_eq!(value.sandbox_id, "sandbox_01J9Z3K8QH");
    assert_eq!(
        serde_json::to_value(&value).unwrap(),
        response,
        "decoded value re-encodes to the wire JSON"
    );
}

#[tokio::test]
async fn wire_exec_in_sandbox_stream() {
    let api = Api::start().await;
    let (server, stray) = api.expect_on(Plane::Compute).await;
    let expected_body = json!({"command": ["echo hello"], "env": {"LOG_LEVEL": "debug"}, "timeout_secs": 300, "user": "islo", "workdir": "/workspace"});
    let events =
        "event: stdout\ndata: {\"data\":\"hello\\n\"}\n\nevent: exit\ndata: {\"exit_code\":0}\n\n";
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/sandboxes/ci-runner/exec/stream")
                .header("authorization", "Bearer test-jwt")
                .is_true(exact_query(&[]))
                .header("content-type", "application/json")
                .json_body(expected_body.clone());
            then.status(200)
                .header("content-type", "text/event-stream")
                .body(events);
        })
        .await;
    let resp = api
        .client
        .exec_in_sandbox_stream()
        .sandbox_name("ci-runner")
        .body(
            types::ExecRequest::builder()
                .command(vec!["echo hello".to_string()])
                .env(Some(from_json::<HashMap<String, Option<String>>>(
                    json!({"LOG_LEVEL": "debug"}),
                )))
                .timeout_secs(Some(300))
                .user(Some("islo".to_string()))
                .workdir(Some("/workspace".to_string())),
        )
        .send()
        .await
        .expect("exec_in_sandbox_stream");
    mock.assert_async().await;
    stray.assert_calls_async(0).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "text/event-stream");
    let bytes = collect(resp).await;
    assert_eq!(String::from_utf8(bytes).unwrap(), events);
}

#[tokio::test]
async fn wire_get_exec_result() {
    let api = Api::start().await;
    let (server, stray) = api.expect_on(Plane::Compute).await;
    let response = json!({"exec_id": "exec_01J9Z3K8QH", "exit_code": 0, "status": "running", "stderr": "", "stdout": "hello\n", "truncated": true});
    let mock = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/sandboxes/ci-runner/exec/exec_9Rt6")
                .header("authorization", "Bearer test-jwt")
                .is_true(exact_query(&[]));
            then.status(200).json_body(response.clone());
        })
        .await;
    let resp = api
        .client
        .get_exec_result()
        .sandbox_name("ci-runner")
        .exec_id("exec_9Rt6")
        .send()
        .await
        .expect("get_exec_result");
    mock.assert_async().await;
    stray.assert_calls_async(0).await;
    assert_eq!(resp.status(), 200);
    let value: types::ExecResultResponse = resp.into_inner();
    assert_eq!(value.exit_code, Some(0));
    assert_eq!(value.status, "running");
    assert_eq!(value.stdout, "hello\n");
    assert_eq!(value.exec_id, "exec_01J9Z3K8QH");
    assert_eq!(
        serde_json::to_value(&value).unwrap(),
        response,
        "decoded value re-encodes to the wire JSON"
    );
}

#[tokio::test]
async fn wire_download_file() {
    let api = Api::start().await;
    let (server, stray) = api.expect_on(Plane::Compute).await;
    let contents = b"fn main() {}\n\x00\xffbinary-safe".to_vec();
    let mock = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/sandboxes/ci-runner/files")
                .query_param("path", "/workspace/src/main.rs")
                .header("authorization", "Bearer test-jwt")
                .is_true(exact_query(&[("path", "/workspace/src/main.rs")]));
            then.status(200)
                .header("content-type", "application/octet-stream")
                .body(contents.clone());
        })
        .await;
    let resp = api
        .client
        .download_file()
        .sandbox_name("ci-runner")
        .path("/workspace/src/main.rs")
        .send()
        .await
        .expect("download_file");
    mock.assert_async().await;
    stray.assert_calls_async(0).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(collect(resp).await, contents);
}

#[tokio::test]
async fn wire_upload_file() {
    let api = Api::start().await;
    let (server, stray) = api.expect_on(Plane::Compute).await;
    let file = b"fn main() {\n    println!(\"hello\");\n}\n".to_vec();
    let response = json!({"status": "running"});
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/sandboxes/ci-runner/files")
                .query_param("path", "/workspace/src/main.rs")
                .header("authorization", "Bearer test-jwt")
                .is_true(exact_query(&[("path", "/workspace/src/main.rs")]))
                .header_matches("content-type", "^multipart/form-data; boundary=.+$")
                .body_includes(
                    "Content-Disposition: form-data; name=\"file\"; filename=\"main.rs\"",
                )
                .body_includes("fn main() {")
                .body_includes("println!(\"hello\");");
            then.status(200).json_body(response.clone());
        })
        .await;
    let resp = api
        .client
        .upload_file()
        .sandbox_name("ci-runner")
        .path("/workspace/src/main.rs")
        .body(file.clone())
        .send()
        .await
        .expect("upload_file");
    mock.assert_async().await;
    stray.assert_calls_async(0).await;
    assert_eq!(resp.status(), 200);
    let value: types::FileUploadStatusResponse = resp.into_inner();
    assert_eq!(value.status, "running");
    assert_eq!(
        serde_json::to_value(&value).unwrap(),
        response,
        "decoded value re-encodes to the wire JSON"
    );
}

#[tokio::test]
async fn wire_download_archive() {
    let api = Api::start().await;
    let (server, stray) = api.expect_on(Plane::Compute).await;
    let contents = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03archive".to_vec();
    let mock = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/sandboxes/ci-runner/files-archive")
                .query_param("path", "/workspace/src")
                .header("authorization", "Bearer test-jwt")
                .is_true(exact_query(&[("path", "/workspace/src")]));
            then.status(200)
                .header("content-type", "application/gzip")
                .body(contents.clone());
        })
        .await;
    let resp = api
        .client
        .download_archive()
        .sandbox_name("ci-runner")
        .path("/workspace/src")
        .send()
        .await
        .expect("download_archive");
    mock.assert_async().await;
    stray.assert_calls_async(0).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(collect(resp).await, contents);
}

#[tokio::test]
async fn wire_upload_archive() {
    let api = Api::start().await;
    let (server, stray) = api.expect_on(Plane::Compute).await;
    let file = b"\x1f\x8b\x08\x00 tarball bytes: src/lib.rs".to_vec();
    let response = json!({"status": "running"});
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/sandboxes/ci-runner/files-archive")
                .query_param("path", "/workspace/src")
                .header("authorization", "Bearer test-jwt")
                .is_true(exact_query(&[("path", "/workspace/src")]))
                .header_matches("content-type", "^multipart/form-data; boundary=.+$")
                .body_includes("Content-Disposition: form-data; name=\"file\"; filename=\"src\"")
                .body_includes("tarball bytes: src/lib.rs");
            then.status(200).json_body(response.clone());
        })
        .await;
    let resp = api
        .client
        .upload_archive()
        .sandbox_name("ci-runner")
        .path("/workspace/src")
        .body(file.clone())
        .send()
        .await
        .expect("upload_archive");
    mock.assert_async().await;
    stray.assert_calls_async(0).await;
    assert_eq!(resp.status(), 200);
    let value: types::FileUploadStatusResponse = resp.into_inner();
    assert_eq!(value.status, "running");
    assert_eq!(
        serde_json::to_value(&value).unwrap(),
        response,
        "decoded value re-encodes to the wire JSON"
    );
}

#[tokio::test]
async fn wire_pause_sandbox() {
    let api = Api::start().await;
    let (server, stray) = api.expect_on(Plane::Compute).await;
    let response = json!({"created_at": "2025-01-15T10:30:00Z", "created_by": "user_8c21", "creation_phase": "creation-phase-value", "deleted_at": "2025-01-15T10:30:00Z", "id": "01J9Z3K8QHW2", "image": "ghcr.io/islo-labs/devbox:2025.01", "lifecycle": {"auto_resume": "never", "delete_after": 7, "pause_after": 7, "pause_after_idle": 7}, "name": "ci-runner", "setup_steps": [{"name": "ci-runner", "status": "running", "stderr": "", "stdout": "hello\n"}], "spec": {"disk_gb": 20, "memory_mb": 4096, "vcpus": 2}, "status": "running", "workdir": "/workspace"});
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/sandboxes/ci-runner/pause")
                .header("authorization", "Bearer test-jwt")
                .is_true(exact_query(&[]));
            then.status(200).json_body(response.clone());
        })
        .await;
    let resp = api
        .client
        .pause_sandbox()
        .sandbox_name("ci-runner")
        .send()
        .await
        .expect("pause_sandbox");
    mock.assert_async().await;
    stray.assert_calls_async(0).await;
    assert_eq!(resp.status(), 200);
    let value: types::SandboxResponse = resp.into_inner();
    assert_eq!(value.id, "01J9Z3K8QHW2");
    assert_eq!(value.name, "ci-runner");
    assert_eq!(value.status, "running");
    assert_eq!(value.created_at, "2025-01-15T10:30:00Z");
    assert_eq!(
        serde_json::to_value(&value).unwrap(),
        response,
        "decoded value re-encodes to the wire JSON"
    );
}

#[tokio::test]
async fn wire_resume_sandbox() {
    let api = Api::start().await;
    let (server, stray) = api.expect_on(Plane::Compute).await;
    let response = json!({"created_at": "2025-01-15T10:30:00Z", "created_by": "user_8c21", "creation_phase": "creation-phase-value", "deleted_at": "2025-01-15T10:30:00Z", "id": "01J9Z3K8QHW2", "image": "ghcr.io/islo-labs/devbox:2025.01", "lifecycle": {"auto_resume": "never", "delete_after": 7, "pause_after": 7, "pause_after_idle": 7}, "name": "ci-runner", "setup_steps": [{"name": "ci-runner", "status": "running", "stderr": "", "stdout": "hello\n"}], "spec": {"disk_gb": 20, "memory_mb": 4096, "vcpus": 2}, "status": "running", "workdir": "/workspace"});
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/sandboxes/ci-runner/resume")
                .header("authorization", "Bearer test-jwt")
                .is_true(exact_query(&[]));
            then.status(200).json_body(response.clone());
        })
        .await;
    let resp = api
        .client
        .resume_sandbox()
        .sandbox_name("ci-runner")
        .send()
        .await
        .expect("resume_sandbox");
    mock.assert_async().await;
    stray.assert_calls_async(0).await;
    assert_eq!(resp.status(), 200);
    let value: types::SandboxResponse = resp.into_inner();
    assert_eq!(value.id, "01J9Z3K8QHW2");
    assert_eq!(value.name, "ci-runner");
    assert_eq!(value.status, "running");
    assert_eq!(value.created_at, "2025-01-15T10:30:00Z");
    assert_eq!(
        serde_json::to_value(&value).unwrap(),
        response,
        "decoded value re-encodes to the wire JSON"
    );
}

#[tokio::test]
async fn wire_list_sessions() {
    let api = Api::start().await;
    let (server, stray) = api.expect_on(Plane::Compute).await;
    let response = json!({"sessions": [{"name": "ci-runner", "started_at_unix_ms": 7, "status": "connected"}]});
    let mock = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/sandboxes/ci-runner/sessions")
                .header("authorization", "Bearer test-jwt")
                .is_true(exact_query(&[]));
            then.status(200).json_body(response.clone());
        })
        .await;
    let resp = api
        .client
        .list_sessions()
        .sandbox_name("ci-runner")
        .send()
        .await
        .expect("list_sessions");
    mock.assert_async().await;
    stray.assert_calls_async(0).await;
    assert_eq!(resp.status(), 200);
    let value: types::ListSessionsResponse = resp.into_inner();
    assert_eq!(value.sessions.len(), 1);
    assert_eq!(value.sessions[0].name, "ci-runner");
    assert_eq!(
        value.sessions[0].status,
        open_enums::SessionStatus::Connected
    );
    assert_eq!(
        serde_json::to_value(&value).unwrap(),
        response,
        "decoded value re-encodes to the wire JSON"
    );
}

#[tokio::test]
async fn wire_create_session() {
    let api = Api::start().await;
    let (server, stray) = api.expect_on(Plane::Compute).await;
    let expected_body = json!({"command": ["echo hello"], "env": {"LOG_LEVEL": "debug"}, "name": "ci-runner", "ttl": "ttl-value", "user": "islo", "workdir": "/workspace"});
    let response = json!({"name": "ci-runner", "status": "running"});
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/sandboxes/ci-runner/sessions")
                .header("authorization", "Bearer test-jwt")
                .is_true(exact_query(&[]))
                .header("content-type", "application/json")
                .json_body(expected_body.clone());
            then.status(200).json_body(response.clone());
        })
        .await;
    let resp = api
        .client
        .create_session()
        .sandbox_name("ci-runner")
        .body(
            types::CreateSessionRequest::builder()
                .command(Some(vec!["echo hello".to_string()]))
                .env(Some(from_json::<HashMap<String, Option<String>>>(
                    json!({"LOG_LEVEL": "debug"}),
                )))
                .name("ci-runner")
                .ttl(Some("ttl-value".to_string()))
                .user(Some("islo".to_string()))
                .workdir(Some("/workspace".to_string())),
        )
        .send()
        .await
        .expect("create_session");
    mock.assert_async().await;
    stray.assert_calls_async(0).await;
    assert_eq!(resp.status(), 200);
    let value: types::CreateSessionResponse = resp.into_inner();
    assert_eq!(value.name, "ci-runner");
    assert_eq!(value.status, "running");
    assert_eq!(
        serde_json::to_value(&value).unwrap(),
        response,
        "decoded value re-encodes to the wire JSON"
    );
}

#[tokio::test]
async fn wire_kill_session() {
    let api = Api::start().await;
    let (server, stray) = api.expect_on(Plane::Compute).await;
    let mock = server
        .mock_async(|when, then| {
            when.method(DELETE)
                .path("/sandboxes/ci-runner/sessions/main")
                .header("authorization", "Bearer test-jwt")
                .is_true(exact_query(&[]));
            then.status(204);
        })
        .await;
    let resp = api
        .client
        .kill_session()
        .sandbox_name("ci-runner")
        .session("main")
        .send()
        .await
        .expect("kill_session");
    mock.assert_async().await;
    stray.assert_calls_async(0).await;
    assert_eq!(resp.status(), 204);
    assert_eq!(resp.into_inner(), ());
}

#[tokio::test]
async fn wire_list_shares() {
    let api = Api::start().await;
    let (server, stray) = api.expect_on(Plane::Compute).await;
    let response = json!([{"created_at": "2025-01-15T10:30:00Z", "expires_at": "2025-01-15T10:30:00Z", "port": 8080, "share_id": "share_01J9Z3K8QH", "url": "https://example.com/hooks/islo"}]);
    let mock = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/sandboxes/ci-runner/shares")
                .header("authorization", "Bearer test-jwt")
                .is_true(exact_query(&[]));
            then.status(200).json_body(response.clone());
        })
        .await;
    let resp = api
        .client
        .list_shares()
        .sandbox_name("ci-runner")
        .send()
        .await
        .expect("list_shares");
    mock.assert_async().await;
    stray.assert_calls_async(0).await;
    assert_eq!(resp.status(), 200);
    let value: Vec<types::ShareResponse> = resp.into_inner();
    assert_eq!(value.len(), 1);
    assert_eq!(value[0].created_at, "2025-01-15T10:30:00Z");
    assert_eq!(value[0].expires_at.as_deref(), Some("2025-01-15T10:30:00Z"));
    assert_eq!(value[0].port, 8080);
    assert_eq!(value[0].share_id, "share_01J9Z3K8QH");
    assert_eq!(
        serde_json::to_value(&value).unwrap(),
        response,
        "decoded value re-encodes to the wire JSON"
    );
}

#[tokio::test]
async fn wire_create_share() {
    let api = Api::start().await;
    let (server, stray) = api.expect_on(Plane::Compute).await;
    let expected_body = json!({"port": 8080, "ttl_seconds": 7});
    let response = json!({"created_at": "2025-01-15T10:30:00Z", "expires_at": "2025-01-15T10:30:00Z", "port": 8080, "share_id": "share_01J9Z3K8QH", "url": "https://example.com/hooks/islo"});
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/sandboxes/ci-runner/shares")
                .header("authorization", "Bearer test-jwt")
                .is_true(exact_query(&[]))
                .header("content-type", "application/json")
                .json_body(expected_body.clone());
            then.status(200).json_body(response.clone());
        })
        .await;
    let resp = api
        .client
        .create_share()
        .sandbox_name("ci-runner")
        .body(
            types::CreateShareRequest::builder()
                .port(8080)
                .ttl_seconds(Some(7)),
        )
        .send()
        .await
        .expect("create_share");
    mock.assert_async().await;
    stray.assert_calls_async(0).await;
    assert_eq!(resp.status(), 200);
    let value: types::ShareResponse = resp.into_inner();
    assert_eq!(value.created_at, "2025-01-15T10:30:00Z");
    assert_eq!(value.expires_at.as_deref(), Some("2025-01-15T10:30:00Z"));
    assert_eq!(value.port, 8080);
    assert_eq!(value.share_id, "share_01J9Z3K8QH");
    assert_eq!(
        serde_json::to_value(&value).unwrap(),
        response,
        "decoded value re-encodes to the wire JSON"
    );
}

#[tokio::test]
async fn wire_revoke_share() {
    let api = Api::start().await;
    let (server, stray) = api.expect_on(Plane::Compute).await;
    let mock = server
        .mock_async(|when, then| {
            when.method(DELETE)
                .path("/sandboxes/ci-runner/shares/shr_6Vp3")
                .header("authorization", "Bearer test-jwt")
                .is_true(exact_query(&[]));
            then.status(204);
        })
        .await;
    let resp = api
        .client
        .revoke_share()
        .sandbox_name("ci-runner")
        .share_id("shr_6Vp3")
        .send()
        .await
        .expect("revoke_share");
    mock.assert_async().await;
    stray.assert_calls_async(0).await;
    assert_eq!(resp.status(), 204);
    assert_eq!(resp.into_inner(), ());
}

#[tokio::test]
async fn wire_stop_sandbox() {
    let api = Api::start().await;
    let (server, stray) = api.expect_on(Plane::Compute).await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/sandboxes/ci-runner/stop")
                .header("authorization", "Bearer test-jwt")
                .is_true(exact_query(&[]));
            then.status(204);
        })
        .await;
    let resp = api
        .client
        .stop_sandbox()
        .sandbox_name("ci-runner")
        .send()
        .await
        .expect("stop_sandbox");
    mock.assert_async().await;
    stray.assert_calls_async(0).await;
    assert_eq!(resp.status(), 204);
    assert_eq!(resp.into_inner(), ());
}

#[tokio::test]
async fn wire_list_snapshots() {
    let api = Api::start().await;
    let (server, stray) = api.expect_on(Plane::Compute).await;
    let response = json!({"items": [{"checksum_sha256": "checksum-sha256-value", "created_at": "2025-01-15T10:30:00Z", "created_by": "user_8c21", "created_by_entity": "created-by-entity-value", "id": "01J9Z3K8QHW2", "name": "ci-runner", "sandbox_id": "sandbox_01J9Z3K8QH", "size_bytes": 7, "status": "running"}], "limit": 20, "offset": 0, "total": 1});
    let mock = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/snapshots/")
                .query_param("limit", "25")
                .query_param("offset", "50")
                .header("authorization", "Bearer test-jwt")
                .is_true(exact_query(&[("limit", "25"), ("offset", "50")]));
            then.status(200).json_body(response.clone());
        })
        .await;
    let resp = api
        .client
        .list_snapshots()
        .limit(25)
        .offset(50)
        .send()
        .await
        .expect("list_snapshots");
    mock.assert_async().await;
    stray.assert_calls_async(0).await;
    assert_eq!(resp.status(), 200);
    let value: types::PaginatedSnapshotResponse = resp.into_inner();
    assert_eq!(value.items.len(), 1);
    assert_eq!(value.items[0].id, "01J9Z3K8QHW2");
    assert_eq!(value.items[0].name, "ci-runner");
    assert_eq!(value.total, 1);
    assert_eq!(
        serde_json::to_value(&value).unwrap(),
        response,
        "decoded value re-encodes to the wire JSON"
    );
}

#[tokio::test]
async fn wire_create_snapshot() {
    let api = Api::start().await;
    let (server, stray) = api.expect_on(Plane::Compute).await;
    let expected_body = json!({"name": "ci-runner", "sandbox_name": "ci-runner"});
    let response = json!({"checksum_sha256": "checksum-sha256-value", "created_at": "2025-01-15T10:30:00Z", "created_by": "user_8c21", "created_by_entity": "created-by-entity-value", "id": "01J9Z3K8QHW2", "name": "ci-runner", "sandbox_id": "sandbox_01J9Z3K8QH", "size_bytes": 7, "status": "running"});
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/snapshots/")
                .header("authorization", "Bearer test-jwt")
                .is_true(exact_query(&[]))
                .header("content-type", "application/json")
                .json_body(expected_body.clone());
            then.status(200).json_body(response.clone());
        })
        .await;
    let resp = api
        .client
        .create_snapshot()
        .body(
            types::SnapshotCreate::builder()
                .name(Some("ci-runner".to_string()))
                .sandbox_name("ci-runner"),
        )
        .send()
        .await
        .expect("create_snapshot");
    mock.assert_async().await;
    stray.assert_calls_async(0).await;
    assert_eq!(resp.status(), 200);
    let value: types::SnapshotResponse = resp.into_inner();
    assert_eq!(value.id, "01J9Z3K8QHW2");
    assert_eq!(value.name, "ci-runner");
    assert_eq!(value.status, "running");
    assert_eq!(
        value.checksum_sha256.as_deref(),
        Some("checksum-sha256-value")
    );
    assert_eq!(
        serde_json::to_value(&value).unwrap(),
        response,
        "decoded value re-encodes to the wire JSON"
    );
}

#[tokio::test]
async fn wire_delete_snapshot() {
    let api = Api::start().await;
    let (server, stray) = api.expect_on(Plane::Compute).await;
    let mock = server
        .mock_async(|when, then| {
            when.method(DELETE)
                .path("/snapshots/nightly-triage")
                .header("authorization", "Bearer test-jwt")
                .is_true(exact_query(&[]));
            then.status(204);
        })
        .await;
    let resp = api
        .client
        .delete_snapshot()
        .name("nightly-triage")
        .send()
        .await
        .expect("delete_snapshot");
    mock.assert_async().await;
    stray.assert_calls_async(0).await;
    assert_eq!(resp.status(), 204);
    assert_eq!(resp.into_inner(), ());
}

#[tokio::test]
async fn wire_get_snapshot() {
    let api = Api::start().await;
    let (server, stray) = api.expect_on(Plane::Compute).await;
    let response = json!({"checksum_sha256": "checksum-sha256-value", "created_at": "2025-01-15T10:30:00Z", "created_by": "user_8c21", "created_by_entity": "created-by-entity-value", "id": "01J9Z3K8QHW2", "name": "ci-runner", "sandbox_id": "sandbox_01J9Z3K8QH", "size_bytes": 7, "status": "running"});
    let mock = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/snapshots/nightly-triage")
                .header("authorization", "Bearer test-jwt")
                .is_true(exact_query(&[]));
            then.status(200).json_body(response.clone());
        })
        .await;
    let resp = api
        .client
        .get_snapshot()
        .name("nightly-triage")
        .send()
        .await
        .expect("get_snapshot");
    mock.assert_async().await;
    stray.assert_calls_async(0).await;
    assert_eq!(resp.status(), 200);
    let value: types::SnapshotResponse = resp.into_inner();
    assert_eq!(value.id, "01J9Z3K8QHW2");
    assert_eq!(value.name, "ci-runner");
    assert_eq!(value.status, "running");
    assert_eq!(
        value.checksum_sha256.as_deref(),
        Some("checksum-sha256-value")
    );
    assert_eq!(
        serde_json::to_value(&value).unwrap(),
        response,
        "decoded value re-encodes to the wire JSON"
    );
}

#[tokio::test]
async fn wire_list_tenant_compute_regions() {
    let api = Api::start().await;
    let (server, stray) = api.expect_on(Plane::Control).await;
    let response = json!({"regions": [{"api_url": "https://example.com/api_url", "is_default": true, "key": "DATABASE_URL", "label": "label-value", "ws_url": "https://example.com/ws_url"}]});
    let mock = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/tenants/regions")
                .header("authorization", "Bearer test-jwt")
                .is_true(exact_query(&[]));
            then.status(200).json_body(response.clone());
        })
        .await;
    let resp = api
        .client
        .list_tenant_compute_regions()
        .send()
        .await
        .expect("list_tenant_compute_regions");
    mock.assert_async().await;
    stray.assert_calls_async(0).await;
    assert_eq!(resp.status(), 200);
    let value: types::TenantRegionsResponse = resp.into_inner();
    assert_eq!(value.regions.len(), 1);
    assert_eq!(value.regions[0].api_url, "https://example.com/api_url");
    assert_eq!(value.regions[0].is_default, Some(true));
    assert_eq!(
        serde_json::to_value(&value).unwrap(),
        response,
        "decoded value re-encodes to the wire JSON"
    );
}

#[tokio::test]
async fn wire_list_incoming_webhooks() {
    let api = Api::start().await;
    let (server, stray) = api.expect_on(Plane::Compute).await;
    let response = json!([{"auth": {"auth_type": "none"}, "created_at": "2025-01-15T10:30:00Z", "id": "01J9Z3K8QHW2", "idempotency": {"name": "ci-runner", "source": "header"}, "name": "ci-runner", "receiver_url": "https://example.com/receiver_url", "rules": [{"actions": [{"action_type": "ensure_sandbox", "template": {"disk_gb": 20, "image": "ghcr.io/islo-labs/devbox:2025.01", "memory_mb": 4096, "vcpus": 2}}]}], "status": "active", "target": {"sandbox_name": "ci-runner", "target_type": "fixed_sandbox_name"}}]);
    let mock = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/webhooks/incoming")
                .header("authorization", "Bearer test-jwt")
                .is_true(exact_query(&[]));
            then.status(200).json_body(response.clone());
        })
        .await;
    let resp = api
        .client
        .list_incoming_webhooks()
        .send()
        .await
        .expect("list_incoming_webhooks");
    mock.assert_async().await;
    stray.assert_calls_async(0).await;
    assert_eq!(resp.status(), 200);
    let value: Vec<types::IncomingWebhook> = resp.into_inner();
    assert_eq!(value.len(), 1);
    assert_eq!(value[0].id, "01J9Z3K8QHW2");
    assert_eq!(value[0].name, "ci-runner");
    assert_eq!(value[0].status, open_enums::IncomingWebhookStatus::Active);
    assert_eq!(value[0].created_at, "2025-01-15T10:30:00Z");
    assert_eq!(
        serde_json::to_value(&value).unwrap(),
        response,
        "decoded value re-encodes to the wire JSON"
    );
}

#[tokio::test]
async fn wire_create_incoming_webhook() {
    let api = Api::start().await;
    let (server, stray) = api.expect_on(Plane::Compute).await;
    let expected_body = json!({"auth": {"auth_type": "none"}, "idempotency": {"name": "ci-runner", "source": "header"}, "name": "ci-runner", "rules": [{"actions": [{"action_type": "ensure_sandbox", "template": {"disk_gb": 20, "image": "ghcr.io/islo-labs/devbox:2025.01", "memory_mb": 4096, "vcpus": 2}}], "when": {"equals": {"note": "free-form"}, "json_path": "json-path-value"}}], "status": "active", "target": {"sandbox_name": "ci-runner", "target_type": "fixed_sandbox_name"}});
    let response = json!({"auth": {"auth_type": "none"}, "created_at": "2025-01-15T10:30:00Z", "id": "01J9Z3K8QHW2", "idempotency": {"name": "ci-runner", "source": "header"}, "name": "ci-runner", "receiver_url": "https://example.com/receiver_url", "rules": [{"actions": [{"action_type": "ensure_sandbox", "template": {"disk_gb": 20, "image": "ghcr.io/islo-labs/devbox:2025.01", "memory_mb": 4096, "vcpus": 2}}], "when": {"equals": {"note": "free-form"}, "json_path": "json-path-value"}}], "status": "active", "target": {"sandbox_name": "ci-runner", "target_type": "fixed_sandbox_name"}});
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/webhooks/incoming")
                .header("authorization", "Bearer test-jwt")
                .is_true(exact_query(&[]))
                .header("content-type", "application/json")
                .json_body(expected_body.clone());
            then.status(200).json_body(response.clone());
        })
        .await;
    let resp = api
        .client
        .create_incoming_webhook()
        .body(types::IncomingWebhookCreate::builder()
                .auth(from_json::<types::IncomingWebhookAuth>(json!({"auth_type": "none"})))
                .idempotency(from_json::<types::IdempotencyConfig>(json!({"name": "ci-runner", "source": "header"})))
                .name("ci-runner")
                .rules(Some(from_json::<Vec<types::IncomingWebhookRule>>(json!([{"actions": [{"action_type": "ensure_sandbox", "template": {"disk_gb": 20, "image": "ghcr.io/islo-labs/devbox:2025.01", "memory_mb": 4096, "vcpus": 2}}], "when": {"equals": {"note": "free-form"}, "json_path": "json-path-value"}}]))))
                .status(Some(open_enums::IncomingWebhookStatus::Active))
                .target(from_json::<types::IncomingWebhookTarget>(json!({"sandbox_name": "ci-runner", "target_type": "fixed_sandbox_name"}))))
        .send()
        .await
        .expect("create_incoming_webhook");
    mock.assert_async().await;
    stray.assert_calls_async(0).await;
    assert_eq!(resp.status(), 200);
    let value: types::IncomingWebhook = resp.into_inner();
    assert_eq!(value.id, "01J9Z3K8QHW2");
    assert_eq!(value.name, "ci-runner");
    assert_eq!(value.status, open_enums::IncomingWebhookStatus::Active);
    assert_eq!(value.created_at, "2025-01-15T10:30:00Z");
    assert_eq!(
        serde_json::to_value(&value).unwrap(),
        response,
        "decoded value re-encodes to the wire JSON"
    );
}

#[tokio::test]
async fn wire_delete_incoming_webhook() {
    let api = Api::start().await;
    let (server, stray) = api.expect_on(Plane::Compute).await;
    let mock = server
        .mock_async(|when, then| {
            when.method(DELETE)
                .path("/webhooks/incoming/wh_1Gz8")
                .header("authorization", "Bearer test-jwt")
                .is_true(exact_query(&[]));
            then.status(204);
        })
        .await;
    let resp = api
        .client
        .delete_incoming_webhook()
        .webhook_id("wh_1Gz8")
        .send()
        .await
        .expect("delete_incoming_webhook");
    mock.assert_async().await;
    stray.assert_calls_async(0).await;
    assert_eq!(resp.status(), 204);
    assert_eq!(resp.into_inner(), ());
}

#[tokio::test]
async fn wire_get_incoming_webhook() {
    let api = Api::start().await;
    let (server, stray) = api.expect_on(Plane::Compute).await;
    let response = json!({"auth": {"auth_type": "none"}, "created_at": "2025-01-15T10:30:00Z", "id": "01J9Z3K8QHW2", "idempotency": {"name": "ci-runner", "source": "header"}, "name": "ci-runner", "receiver_url": "https://example.com/receiver_url", "rules": [{"actions": [{"action_type": "ensure_sandbox", "template": {"disk_gb": 20, "image": "ghcr.io/islo-labs/devbox:2025.01", "memory_mb": 4096, "vcpus": 2}}], "when": {"equals": {"note": "free-form"}, "json_path": "json-path-value"}}], "status": "active", "target": {"sandbox_name": "ci-runner", "target_type": "fixed_sandbox_name"}});
    let mock = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/webhooks/incoming/wh_1Gz8")
                .header("authorization", "Bearer test-jwt")
                .is_true(exact_query(&[]));
            then.status(200).json_body(response.clone());
        })
        .await;
    let resp = api
        .client
        .get_incoming_webhook()
        .webhook_id("wh_1Gz8")
        .send()
        .await
        .expect("get_incoming_webhook");
    mock.assert_async().await;
    stray.assert_calls_async(0).await;
    assert_eq!(resp.status(), 200);
    let value: types::IncomingWebhook = resp.into_inner();
    assert_eq!(value.id, "01J9Z3K8QHW2");
    assert_eq!(value.name, "ci-runner");
    assert_eq!(value.status, open_enums::IncomingWebhookStatus::Active);
    assert_eq!(value.created_at, "2025-01-15T10:30:00Z");
    assert_eq!(
        serde_json::to_value(&value).unwrap(),
        response,
        "decoded value re-encodes to the wire JSON"
    );
}

#[tokio::test]
async fn wire_update_incoming_webhook() {
    let api = Api::start().await;
    let (server, stray) = api.expect_on(Plane::Compute).await;
    let expected_body = json!({"auth": {"auth_type": "none"}, "idempotency": {"name": "ci-runner", "source": "header"}, "name": "ci-runner", "rules": [{"actions": [{"action_type": "ensure_sandbox", "template": {"disk_gb": 20, "image": "ghcr.io/islo-labs/devbox:2025.01", "memory_mb": 4096, "vcpus": 2}}], "when": {"equals": {"note": "free-form"}, "json_path": "json-path-value"}}], "status": "active", "target": {"sandbox_name": "ci-runner", "target_type": "fixed_sandbox_name"}});
    let response = json!({"auth": {"auth_type": "none"}, "created_at": "2025-01-15T10:30:00Z", "id": "01J9Z3K8QHW2", "idempotency": {"name": "ci-runner", "source": "header"}, "name": "ci-runner", "receiver_url": "https://example.com/receiver_url", "rules": [{"actions": [{"action_type": "ensure_sandbox", "template": {"disk_gb": 20, "image": "ghcr.io/islo-labs/devbox:2025.01", "memory_mb": 4096, "vcpus": 2}}], "when": {"equals": {"note": "free-form"}, "json_path": "json-path-value"}}], "status": "active", "target": {"sandbox_name": "ci-runner", "target_type": "fixed_sandbox_name"}});
    let mock = server
        .mock_async(|when, then| {
            when.method(PATCH)
                .path("/webhooks/incoming/wh_1Gz8")
                .header("authorization", "Bearer test-jwt")
                .is_true(exact_query(&[]))
                .header("content-type", "application/json")
                .json_body(expected_body.clone());
            then.status(200).json_body(response.clone());
        })
        .await;
    let resp = api
        .client
        .update_incoming_webhook()
        .webhook_id("wh_1Gz8")
        .body(types::IncomingWebhookUpdate::builder()
                .auth(Some(from_json::<types::IncomingWebhookAuth>(json!({"auth_type": "none"}))))
                .idempotency(Some(from_json::<types::IdempotencyConfig>(json!({"name": "ci-runner", "source": "header"}))))
                .name(Some("ci-runner".to_string()))
                .rules(Some(from_json::<Vec<types::IncomingWebhookRule>>(json!([{"actions": [{"action_type": "ensure_sandbox", "template": {"disk_gb": 20, "image": "ghcr.io/islo-labs/devbox:2025.01", "memory_mb": 4096, "vcpus": 2}}], "when": {"equals": {"note": "free-form"}, "json_path": "json-path-value"}}]))))
                .status(Some(open_enums::IncomingWebhookStatus::Active))
                .target(Some(from_json::<types::IncomingWebhookTarget>(json!({"sandbox_name": "ci-runner", "target_type": "fixed_sandbox_name"})))))
        .send()
        .await
        .expect("update_incoming_webhook");
    mock.assert_async().await;
    stray.assert_calls_async(0).await;
    assert_eq!(resp.status(), 200);
    let value: types::IncomingWebhook = resp.into_inner();
    assert_eq!(value.id, "01J9Z3K8QHW2");
    assert_eq!(value.name, "ci-runner");
    assert_eq!(value.status, open_enums::IncomingWebhookStatus::Active);
    assert_eq!(value.created_at, "2025-01-15T10:30:00Z");
    assert_eq!(
        serde_json::to_value(&value).unwrap(),
        response,
        "decoded value re-encodes to the wire JSON"
    );
}

#[tokio::test]
async fn wire_list_webhook_deliveries() {
    let api = Api::start().await;
    let (server, stray) = api.expect_on(Plane::Compute).await;
    let response = json!([{"attempts": 7, "completed_at": "2025-01-15T10:30:00Z", "event_id": "event_01J9Z3K8QH", "external_event_id": "external_event_01J9Z3K8QH", "idempotency_key": "idempotency-key-value", "last_error": "last-error-value", "method": "method-value", "next_attempt_at": "2025-01-15T10:30:00Z", "status": "pending", "verified_at": "2025-01-15T10:30:00Z", "webhook_id": "webhook_01J9Z3K8QH"}]);
    let mock = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/webhooks/incoming/wh_1Gz8/deliveries")
                .query_param("limit", "25")
                .query_param("offset", "50")
                .query_param("status", "processing")
                .query_param("from", "2025-01-01T00:00:00Z")
                .query_param("to", "2025-01-31T23:59:59Z")
                .header("authorization", "Bearer test-jwt")
                .is_true(exact_query(&[
                    ("limit", "25"),
                    ("offset", "50"),
                    ("status", "processing"),
                    ("from", "2025-01-01T00:00:00Z"),
                    ("to", "2025-01-31T23:59:59Z"),
                ]));
            then.status(200).json_body(response.clone());
        })
        .await;
    let resp = api
        .client
        .list_webhook_deliveries()
        .webhook_id("wh_1Gz8")
        .limit(25)
        .offset(50)
        .status(open_enums::IngressEventStatus::Processing)
        .from(
            "2025-01-01T00:00:00Z"
                .parse::<chrono::DateTime<chrono::Utc>>()
                .unwrap(),
        )
        .to("2025-01-31T23:59:59Z"
            .parse::<chrono::DateTime<chrono::Utc>>()
            .unwrap())
        .send()
        .await
        .expect("list_webhook_deliveries");
    mock.assert_async().await;
    stray.assert_calls_async(0).await;
    assert_eq!(resp.status(), 200);
    let value: Vec<types::WebhookDeliverySummary> = resp.into_inner();
    assert_eq!(value.len(), 1);
    assert_eq!(value[0].status, open_enums::IngressEventStatus::Pending);
    assert_eq!(value[0].attempts, 7);
    assert_eq!(value[0].event_id, "event_01J9Z3K8QH");
    assert_eq!(
        value[0].external_event_id.as_deref(),
        Some("external_event_01J9Z3K8QH")
    );
    assert_eq!(
        serde_json::to_value(&value).unwrap(),
        response,
        "decoded value re-encodes to the wire JSON"
    );
}

#[tokio::test]
async fn wire_get_webhook_delivery() {
    let api = Api::start().await;
    let (server, stray) = api.expect_on(Plane::Compute).await;
    let response = json!({"action_attempts": [{"action_index": 7, "action_key": "action-key-value", "completed_at": "2025-01-15T10:30:00Z", "error": "error-value", "started_at": "2025-01-15T10:30:00Z", "status": "pending"}], "attempts": 7, "body_preview": "body-preview-value", "body_truncated": true, "completed_at": "2025-01-15T10:30:00Z", "event_id": "event_01J9Z3K8QH", "external_event_id": "external_event_01J9Z3K8QH", "idempotency_key": "idempotency-key-value", "last_error": "last-error-value", "method": "method-value", "next_attempt_at": "2025-01-15T10:30:00Z", "query": "query-value", "resolved_sandbox_id": "resolved_sandbox_01J9Z3K8QH", "resolved_sandbox_name": "resolved-sandbox-main", "source_label": "source-label-value", "status": "pending", "verified_at": "2025-01-15T10:30:00Z", "webhook_id": "webhook_01J9Z3K8QH"});
    let mock = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/webhooks/incoming/wh_1Gz8/deliveries/evt_5Jk4")
                .header("authorization", "Bearer test-jwt")
                .is_true(exact_query(&[]));
            then.status(200).json_body(response.clone());
        })
        .await;
    let resp = api
        .client
        .get_webhook_delivery()
        .webhook_id("wh_1Gz8")
        .event_id("evt_5Jk4")
        .send()
        .await
        .expect("get_webhook_delivery");
    mock.assert_async().await;
    stray.assert_calls_async(0).await;
    assert_eq!(resp.status(), 200);
    let value: types::WebhookDeliveryDetail = resp.into_inner();
    assert_eq!(value.status, open_enums::IngressEventStatus::Pending);
    assert_eq!(value.action_attempts.len(), 1);
    assert_eq!(
        value.action_attempts[0].status,
        open_enums::IngressActionStatus::Pending
    );
    assert_eq!(value.action_attempts[0].action_index, 7);
    assert_eq!(
        serde_json::to_value(&value).unwrap(),
        response,
        "decoded value re-encodes to the wire JSON"
    );
}

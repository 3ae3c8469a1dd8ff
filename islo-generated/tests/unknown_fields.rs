//! Fields the spec does not declare (ones the server added since): the objects responses carry
//! keep them in `extra`, a flattened catch-all map, and encode them again (a webhook rule read
//! and written back keeps them too); objects built in Rust start with it empty and send only
//! what was set. And the one thing not kept: an
//! optional field sent as `null` comes back absent (see `islo/tests/round_trip.rs`).

use islo_generated::types;
use serde_json::{json, Map, Value};

fn decode<T: serde::de::DeserializeOwned>(v: &Value) -> T {
    serde_json::from_value(v.clone()).unwrap_or_else(|e| panic!("{v}: {e}"))
}

fn sandbox() -> Value {
    json!({
        "id": "sb_1",
        "name": "box",
        "image": "ubuntu",
        "status": "running",
        "created_at": "2026-04-12T14:26:35Z",
        "spec": {"vcpus": 2, "memory_mb": 4096, "disk_gb": 10, "gpu": {"kind": "h100", "count": 1}},
        "setup_steps": [{"name": "apt", "status": "ok", "exit_code": 0}],
        "region": "eu-west-1",
        "labels": {"team": "infra"},
        "lifecycle": {"pause_after": 60}
    })
}

#[test]
fn a_response_object_keeps_the_fields_the_spec_does_not_declare() {
    let wire = sandbox();
    let got: types::SandboxResponse = decode(&wire);
    assert_eq!(got.extra["region"], "eu-west-1");
    assert_eq!(got.extra["labels"], json!({"team": "infra"}));
    assert_eq!(
        got.extra.len(),
        2,
        "declared fields stay in their own: {got:?}"
    );
    let spec = got.spec.as_ref().expect("spec");
    assert_eq!(spec.vcpus, 2);
    assert_eq!(spec.extra["gpu"], json!({"kind": "h100", "count": 1}));
    let steps = got.setup_steps.as_ref().expect("setup steps");
    assert_eq!(steps[0].extra["exit_code"], 0);
    assert_eq!(serde_json::to_value(&got).unwrap(), wire);
}

#[test]
fn a_response_object_without_required_fields_still_has_default() {
    // typify's catch-all field has no default of its own, so typify stops deriving `Default`
    // for these; build.rs implements it again.
    let empty = types::HttpValidationError::default();
    assert_eq!(serde_json::to_value(&empty).unwrap(), json!({}));
    let failure = types::LineRunFailure {
        error_message: Some("boom".into()),
        ..Default::default()
    };
    assert!(failure.extra.is_empty());
    assert_eq!(
        serde_json::to_value(&failure).unwrap(),
        json!({"error_message": "boom"})
    );
    let decoded: types::LineRunFailure = decode(&json!({}));
    assert_eq!(decoded, types::LineRunFailure::default());
}

#[test]
fn a_response_object_built_in_rust_sets_its_catch_all_like_any_field() {
    let spec = types::SandboxSpec {
        vcpus: 2,
        memory_mb: 4096,
        disk_gb: 10,
        extra: Map::new(),
    };
    assert_eq!(
        serde_json::to_value(&spec).unwrap(),
        json!({"vcpus": 2, "memory_mb": 4096, "disk_gb": 10})
    );
}

#[test]
fn an_object_a_request_can_carry_keeps_what_the_server_adds_when_written_back() {
    // A JSON-path condition read from a webhook's rules, with a field this SDK does not know:
    // kept in `extra`, so the rule written back in an update is the one the server sent.
    let wire = json!({"op": "less_than", "json_path": "$.x", "value": -2.2, "unit": "ms"});
    let decoded: types::JsonPathConditionLessThan = decode(&wire);
    assert_eq!(decoded.extra.get("unit"), Some(&json!("ms")));
    assert_eq!(serde_json::to_value(&decoded).unwrap(), wire);
    // Built in Rust: `new` with the required fields (the catch-all starts empty), or
    // `Default` and struct update syntax where nothing is required.
    let leaf = types::JsonPathConditionLessThan::new(
        "$.x",
        types::JsonPathConditionLessThanOp::LessThan,
        -2.2,
    );
    assert_eq!(
        serde_json::to_value(&leaf).unwrap(),
        json!({"op": "less_than", "json_path": "$.x", "value": -2.2})
    );
    let lifecycle = types::LifecyclePolicy {
        pause_after: Some(60),
        ..Default::default()
    };
    let body = types::SandboxCreate {
        name: Some("box".into()),
        lifecycle: Some(lifecycle.clone()),
        ..Default::default()
    };
    assert_eq!(
        serde_json::to_value(&body).unwrap(),
        json!({"name": "box", "lifecycle": {"pause_after": 60}})
    );
}

#[test]
fn an_optional_field_sent_as_null_comes_back_absent_and_not_in_the_catch_all() {
    // Allowance 2 of the round-trip test: `Option<T>` has two states for the three on the
    // wire, and serde hands the flattened map only the keys no declared field takes.
    let mut wire = sandbox();
    wire["created_by"] = Value::Null;
    let got: types::SandboxResponse = decode(&wire);
    assert_eq!(got.created_by, None);
    assert!(!got.extra.contains_key("created_by"));
    let again = serde_json::to_value(&got).unwrap();
    assert!(again.get("created_by").is_none(), "{again}");
}

#[test]
fn new_builds_what_decoding_the_required_fields_alone_gives() {
    // A request body: required `command`, four optional fields left out.
    let body = types::ExecRequest::new(vec!["echo".to_string(), "hi".to_string()]);
    assert_eq!(body, decode(&json!({"command": ["echo", "hi"]})));
    assert_eq!(
        serde_json::to_value(&body).unwrap(),
        json!({"command": ["echo", "hi"]})
    );
    // Optional fields by struct update, which keeps compiling when the spec adds one.
    let body = types::ExecRequest {
        workdir: Some("/workspace".into()),
        ..types::ExecRequest::new(vec!["pwd".to_string()])
    };
    assert_eq!(
        serde_json::to_value(&body).unwrap(),
        json!({"command": ["pwd"], "workdir": "/workspace"})
    );
    // An object that keeps unknown fields starts with an empty catch-all.
    let spec = types::SandboxSpec::new(10, 4096, 2);
    assert_eq!(
        spec,
        decode(&json!({"vcpus": 2, "memory_mb": 4096, "disk_gb": 10}))
    );
}

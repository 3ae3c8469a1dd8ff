//! The update bodies `build.rs` generates in place of typify's types: every optional
//! nullable field is a `Patch`, absent (left out), `null` or a value, both ways.

use islo_generated::{open_enums, types, updates, Patch};
use serde_json::{json, Value};

fn decode<T: serde::de::DeserializeOwned>(v: Value) -> T {
    serde_json::from_value(v.clone()).unwrap_or_else(|e| panic!("{v}: {e}"))
}

#[test]
fn absent_null_and_a_value_stay_apart() {
    for wire in [
        json!({}),
        json!({"description": null}),
        json!({"name": "edge", "description": null, "internet_enabled": false}),
        json!({"cloud_role": null, "default_action": "deny", "is_default": null}),
        json!({"default_action": "quarantine"}),
        json!({"integration_policy": {"mode": "all"}}),
        json!({"integration_policy": null}),
    ] {
        let body: updates::GatewayProfileUpdate = decode(wire.clone());
        assert_eq!(serde_json::to_value(&body).unwrap(), wire);
    }
    let body: updates::GatewayProfileUpdate = decode(json!({"description": null, "name": "edge"}));
    assert_eq!(body.description, Patch::Null);
    assert_eq!(body.name, Patch::Value("edge".into()));
    assert_eq!(body.cloud_role, Patch::Absent);
    let open: updates::GatewayProfileUpdate = decode(json!({"default_action": "quarantine"}));
    assert_eq!(
        open.default_action,
        Patch::Value(open_enums::GatewayAction::Unknown("quarantine".into()))
    );
}

#[test]
fn a_body_built_in_rust_sends_exactly_what_was_set() {
    let body = updates::KnowledgeItemUpdate {
        body: Patch::Value("# Runbook".into()),
        metadata: Patch::Null,
        links: Patch::Value(vec![]),
        ..Default::default()
    };
    assert_eq!(
        serde_json::to_value(&body).unwrap(),
        json!({"body": "# Runbook", "metadata": null, "links": []})
    );
    assert_eq!(
        serde_json::to_value(updates::IncomingWebhookUpdate::default()).unwrap(),
        json!({})
    );
}

#[test]
fn a_required_field_stays_required() {
    let body = updates::LineScheduleUpsert::new("0 3 * * *".into());
    assert_eq!(body.enabled, Patch::Absent);
    assert_eq!(
        serde_json::to_value(&body).unwrap(),
        json!({"cron": "0 3 * * *"})
    );
    let err = serde_json::from_value::<updates::LineScheduleUpsert>(json!({"enabled": true}))
        .unwrap_err();
    assert!(err.to_string().contains("cron"), "{err}");
    let clear: updates::LineScheduleUpsert = decode(json!({"cron": "@daily", "timezone": null}));
    assert_eq!(clear.timezone, Patch::Null);
}

#[test]
fn nested_types_are_the_generated_ones() {
    let body: updates::IncomingWebhookUpdate = decode(json!({
        "rules": [{"actions": [], "when": {"op": "exists", "json_path": "$.a"}}],
        "status": "disabled"
    }));
    let Patch::Value(rules) = &body.rules else {
        panic!("rules: {:?}", body.rules)
    };
    let rule: &types::IncomingWebhookRule = &rules[0];
    assert!(matches!(
        rule.when,
        Some(types::IncomingWebhookCondition::JsonPathCondition(_))
    ));
    assert_eq!(
        body.status,
        Patch::Value(open_enums::IncomingWebhookStatus::Disabled)
    );
}

#[test]
fn patch_helpers() {
    let p: Patch<String> = "x".to_string().into();
    assert_eq!(p.value().map(String::as_str), Some("x"));
    assert_eq!(p.as_ref().map(|s| s.len()), Patch::Value(1));
    assert_eq!(p.clone().into_value(), Some("x".to_string()));
    assert!(Patch::<u8>::default().is_absent());
    assert!(Patch::<u8>::or_null(None).is_null());
    assert_eq!(Patch::or_null(Some(3)), Patch::Value(3));
    assert_eq!(
        serde_json::to_value(Patch::<u8>::Null).unwrap(),
        Value::Null
    );
    assert_eq!(
        serde_json::from_value::<Patch<u8>>(json!(null)).unwrap(),
        Patch::Null
    );
}

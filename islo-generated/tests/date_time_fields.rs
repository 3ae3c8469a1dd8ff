//! Every generated `format: date-time` field and parameter is an `islo_wire::DateTime`.

use islo_generated::{types, DateTime};
use serde_json::{json, Value};

fn decode(text: &str) -> DateTime {
    serde_json::from_value(json!(text)).unwrap_or_else(|e| panic!("{text}: {e}"))
}

#[test]
fn generated_fields_and_parameters_are_date_times() {
    let wire = json!({
        "created_at": "2026-04-12T14:26:35.005991",
        "id": "cr_1",
        "is_enabled": true,
        "islo_trust_role_arn": "arn:aws:iam::1:role/islo",
        "provider": "aws",
        "role_arn": "arn:aws:iam::2:role/app",
        "session_duration_seconds": 3600,
        "type": "gateway",
        "updated_at": "2026-04-12T16:26:35.005991+02:00"
    });
    let role: types::CloudRoleResponse = serde_json::from_value(wire.clone()).expect("decodes");
    let created: &Option<DateTime> = &role.created_at;
    assert!(created.as_ref().is_some_and(DateTime::is_naive));
    assert_eq!(role.created_at, role.updated_at, "the same instant");
    assert_eq!(serde_json::to_value(&role).unwrap(), wire);
    // A query parameter takes one too (`list_webhook_deliveries`' `from` and `to`): the
    // positional method takes `Option<&DateTime>` (the future is dropped unsent).
    let client = islo_generated::Client::new("http://127.0.0.1:9", Default::default());
    let from: DateTime = decode("2026-04-12T14:26:35");
    drop(client.list_webhook_deliveries("hook", Some(&from), None, None, None, Some(&from)));
    let _: Value = wire;
}

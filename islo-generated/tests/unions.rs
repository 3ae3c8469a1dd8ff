//! Tagged unions round-trip, and responses stay forward compatible.
//!
//! Every `oneOf` of component schemas told apart by a tag property (a `const`, or for the
//! condition unions a small `enum` per member, as the spec's discriminator mapping says)
//! becomes an untagged Rust enum whose variants each carry a closed tag enum. For each
//! union, each variant's JSON, for every tag value it owns, must decode into that exact
//! variant and re-encode to the same JSON. A union variant must never swallow another's payload,
//! which is why the normalizer keeps union members' inline enums closed.

use islo_generated::{open_enums, types};
use serde_json::{json, Value};

/// Decodes `wire` as `T`, checks the variant with `is_expected`, and checks that encoding the
/// value again gives back `wire` exactly.
fn round_trip<T>(wire: Value, is_expected: impl Fn(&T) -> bool)
where
    T: serde::de::DeserializeOwned + serde::Serialize + std::fmt::Debug,
{
    let decoded: T = serde_json::from_value(wire.clone()).unwrap_or_else(|e| {
        panic!(
            "{wire} does not decode as {}: {e}",
            std::any::type_name::<T>()
        )
    });
    assert!(
        is_expected(&decoded),
        "{wire} decoded into the wrong variant: {decoded:?}"
    );
    assert_eq!(
        serde_json::to_value(&decoded).expect("encodes"),
        wire,
        "round trip changed the JSON"
    );
}

/// The unions this file covers, by generated type name; the spec test below checks that no
/// tagged union of the spec is missing.
const UNIONS: &[&str] = &[
    "AgenticTransitionInputInstructions",
    "AgenticTransitionOptionParamsValue",
    "AgenticTransitionOutputInstructions",
    "ArtifactRefExternalRef",
    "AuthVerifier",
    "AuthVerifierResponse",
    "ComputeEventDetailResponseResult",
    "ConditionOperand",
    "ConditionalTransitionInputParamsValue",
    "ConditionalTransitionOutputParamsValue",
    "EnvironmentCreateEntriesItem",
    "EnvironmentUpdateEntriesItem",
    "GatewayProfileCreateIntegrationPolicy",
    "GatewayProfileDetailResponseIntegrationPolicy",
    "GatewayProfileResponseIntegrationPolicy",
    "GatewayProfileUpdateIntegrationPolicy",
    "GatewayRuleCreateContentFilter",
    "GatewayRuleUpdateContentFilter",
    "IdempotencyConfig",
    "IncomingWebhookAction",
    "IncomingWebhookAuth",
    "IncomingWebhookAuthResponse",
    "IncomingWebhookCondition",
    "IncomingWebhookTarget",
    "IntegrationTriggerSectionInputSelector",
    "IntegrationTriggerSectionOutputSelector",
    "JsonPathCondition",
    "LineAgentConfigInstructions",
    "LineConditionInput",
    "LineConditionOutput",
    "LineManifestInputTransitionsItem",
    "LineManifestInputTrigger",
    "LineManifestOutputTransitionsItem",
    "LineManifestOutputTrigger",
    "MappingPart",
    "RunAgentSessionStepActionPrompt",
    "RunAgentSessionStepActionResumePrompt",
    "SandboxConfigInit",
    "SandboxInit",
    "SignedPart",
    "SignedPayload",
    "TaskStepInputRunAgent",
    "TaskStepOutputRunAgent",
    "ValueSource",
];

#[test]
fn every_tagged_union_of_the_spec_is_covered() {
    let spec: Value = serde_json::from_str(include_str!("../../openapi/islo.json")).expect("spec");
    let schemas = spec["components"]["schemas"].as_object().expect("schemas");
    let source = include_str!("unions.rs");
    // Every component that is a member of a tagged oneOf must appear as a variant payload
    // somewhere in this file's round trips.
    let mut members = std::collections::BTreeSet::new();
    fn walk(v: &Value, out: &mut std::collections::BTreeSet<String>) {
        match v {
            Value::Object(m) => {
                if let Some(Value::Array(list)) = m.get("oneOf") {
                    let refs: Vec<&str> = list.iter().filter_map(|x| x["$ref"].as_str()).collect();
                    if refs.len() > 1 {
                        out.extend(
                            refs.iter()
                                .map(|r| r.trim_start_matches("#/components/schemas/").to_string()),
                        );
                    }
                }
                m.values().for_each(|c| walk(c, out));
            }
            Value::Array(a) => a.iter().for_each(|c| walk(c, out)),
            _ => {}
        }
    }
    walk(&Value::Object(schemas.clone()), &mut members);
    // A member counts as covered only where the comment naming it heads a round trip.
    let lines: Vec<&str> = source.lines().map(str::trim).collect();
    let heads_a_round_trip = |m: &str| {
        let marker = format!("selects `{m}`.");
        lines.windows(2).any(|w| {
            w[0].starts_with("// ") && w[0].ends_with(&marker) && w[1].starts_with("round_trip(")
        })
    };
    let missing: Vec<&String> = members.iter().filter(|m| !heads_a_round_trip(m)).collect();
    assert!(
        missing.is_empty(),
        "union members without a round trip: {missing:?}"
    );
    // And each listed union has its own round-trip test.
    let snake = |name: &str| {
        let mut out = String::new();
        for (i, c) in name.chars().enumerate() {
            if c.is_ascii_uppercase() && i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        }
        out
    };
    let untested: Vec<&&str> = UNIONS
        .iter()
        .filter(|u| !source.contains(&format!("fn union_{}()", snake(u))))
        .collect();
    assert!(untested.is_empty(), "unions without a test: {untested:?}");
    assert_eq!(UNIONS.len(), 44);
}

#[test]
fn an_unknown_union_tag_is_rejected_not_swallowed() {
    // The tag enums of union members stay closed: an unknown init type must not decode as
    // one of the known variants.
    let err = serde_json::from_value::<types::SandboxInit>(json!({"type": "turbo"})).unwrap_err();
    assert!(
        err.to_string().contains("did not match any variant"),
        "{err}"
    );
}

#[test]
fn a_response_with_an_unknown_field_still_decodes() {
    let wire = json!({
        "created_at": "2025-01-15T10:30:00Z",
        "id": "01J9Z3K8QHW2",
        "image": "ghcr.io/islo-labs/devbox:2025.01",
        "name": "ci-runner",
        "status": "running",
        "gpu": {"model": "h100", "count": 1}
    });
    let sandbox: types::SandboxResponse =
        serde_json::from_value(wire).expect("extra fields are ignored");
    assert_eq!(sandbox.name, "ci-runner");
    assert_eq!(sandbox.status, "running");
}

#[test]
fn a_union_variant_with_an_unknown_field_still_decodes_to_its_variant() {
    let wire = json!({"type": "minimal", "since": "2026"});
    let init: types::SandboxInit = serde_json::from_value(wire).expect("decodes");
    assert!(matches!(init, types::SandboxInit::Minimal(_)), "{init:?}");
}

#[test]
fn an_unknown_open_enum_value_is_kept_verbatim() {
    let wire = json!({
        "attempts": 2,
        "event_id": "event_01J9Z3K8QH",
        "idempotency_key": "delivery-7781",
        "method": "POST",
        "next_attempt_at": "2025-01-15T10:35:00Z",
        "status": "quarantined",
        "verified_at": "2025-01-15T10:30:00Z",
        "webhook_id": "webhook_01J9Z3K8QH"
    });
    let delivery: types::WebhookDeliverySummary =
        serde_json::from_value(wire.clone()).expect("decodes");
    assert_eq!(
        delivery.status,
        open_enums::IngressEventStatus::Unknown("quarantined".to_string())
    );
    assert_eq!(delivery.status.as_str(), "quarantined");
    assert_eq!(
        serde_json::to_value(&delivery).expect("encodes")["status"],
        "quarantined"
    );
}

#[test]
fn an_unknown_value_of_a_one_value_enum_that_is_no_tag_is_kept() {
    // `kind` is not what tells `ArtifactRefExternalRef`'s members apart (`provider` is), so
    // a kind the server adds decodes (and stays) instead of failing the whole response.
    let wire = json!({"provider": "islo", "slug": "runbook", "kind": "knowledge_bundle"});
    let r: types::ArtifactRefExternalRef = serde_json::from_value(wire.clone()).expect("decodes");
    let types::ArtifactRefExternalRef::IsloKnowledgeItemExternalRef(islo) = &r else {
        panic!("wrong member: {r:?}");
    };
    assert_eq!(
        islo.kind,
        Some(open_enums::IsloKnowledgeItemExternalRefKind::Unknown(
            "knowledge_bundle".into()
        ))
    );
    assert_eq!(serde_json::to_value(&r).expect("encodes"), wire);
}

#[test]
fn a_known_open_enum_value_decodes_to_its_variant() {
    let status: open_enums::IngressEventStatus =
        serde_json::from_value(json!("pending")).expect("decodes");
    assert_eq!(status, open_enums::IngressEventStatus::Pending);
    assert_eq!(
        serde_json::to_value(&status).expect("encodes"),
        json!("pending")
    );
    let unknown: open_enums::IngressEventStatus = "rerouted".parse().expect("infallible");
    assert_eq!(
        unknown,
        open_enums::IngressEventStatus::Unknown("rerouted".into())
    );
    assert_eq!(unknown.to_string(), "rerouted");
}

#[test]
fn union_agentic_transition_input_instructions() {
    // `type: "knowledge"` selects `KnowledgeBinding`.
    round_trip(
        json!({"slug": "slug-value", "type": "knowledge"}),
        |v: &types::AgenticTransitionInputInstructions| {
            matches!(
                v,
                types::AgenticTransitionInputInstructions::KnowledgeBinding(_)
            )
        },
    );
    // `type: "literal"` selects `LiteralBinding`.
    round_trip(
        json!({"type": "literal", "value": {"note": "free-form"}}),
        |v: &types::AgenticTransitionInputInstructions| {
            matches!(
                v,
                types::AgenticTransitionInputInstructions::LiteralBinding(_)
            )
        },
    );
}

#[test]
fn union_agentic_transition_option_params_value() {
    // `type: "input"` selects `InputBinding`.
    round_trip(
        json!({"name": "ci-runner", "type": "input"}),
        |v: &types::AgenticTransitionOptionParamsValue| {
            matches!(
                v,
                types::AgenticTransitionOptionParamsValue::InputBinding(_)
            )
        },
    );
    // `type: "literal"` selects `LiteralBinding`.
    round_trip(
        json!({"type": "literal", "value": {"note": "free-form"}}),
        |v: &types::AgenticTransitionOptionParamsValue| {
            matches!(
                v,
                types::AgenticTransitionOptionParamsValue::LiteralBinding(_)
            )
        },
    );
    // `type: "output"` selects `OutputBinding`.
    round_trip(
        json!({"name": "ci-runner", "stage": "stage-value", "type": "output"}),
        |v: &types::AgenticTransitionOptionParamsValue| {
            matches!(
                v,
                types::AgenticTransitionOptionParamsValue::OutputBinding(_)
            )
        },
    );
}

#[test]
fn union_agentic_transition_output_instructions() {
    // `type: "knowledge"` selects `KnowledgeBinding`.
    round_trip(
        json!({"slug": "slug-value", "type": "knowledge"}),
        |v: &types::AgenticTransitionOutputInstructions| {
            matches!(
                v,
                types::AgenticTransitionOutputInstructions::KnowledgeBinding(_)
            )
        },
    );
    // `type: "literal"` selects `LiteralBinding`.
    round_trip(
        json!({"type": "literal", "value": {"note": "free-form"}}),
        |v: &types::AgenticTransitionOutputInstructions| {
            matches!(
                v,
                types::AgenticTransitionOutputInstructions::LiteralBinding(_)
            )
        },
    );
}

#[test]
fn union_artifact_ref_external_ref() {
    // `provider: "github"` selects `GitHubExternalRef`.
    round_trip(
        json!({"id": "01J9Z3K8QHW2", "kind": "kind-value", "node_id": "node_01J9Z3K8QH", "number": 7, "owner": "owner-value", "provider": "github", "repo": "islo-labs/api"}),
        |v: &types::ArtifactRefExternalRef| {
            matches!(v, types::ArtifactRefExternalRef::GitHubExternalRef(_))
        },
    );
    // `provider: "islo"` selects `IsloKnowledgeItemExternalRef`.
    round_trip(
        json!({"kind": "knowledge_item", "provider": "islo", "slug": "slug-value"}),
        |v: &types::ArtifactRefExternalRef| {
            matches!(
                v,
                types::ArtifactRefExternalRef::IsloKnowledgeItemExternalRef(_)
            )
        },
    );
    // `provider: "linear"` selects `LinearExternalRef`.
    round_trip(
        json!({"id": "01J9Z3K8QHW2", "identifier": "identifier-value", "issue_id": "issue_01J9Z3K8QH", "kind": "kind-value", "provider": "linear", "team": "team-value"}),
        |v: &types::ArtifactRefExternalRef| {
            matches!(v, types::ArtifactRefExternalRef::LinearExternalRef(_))
        },
    );
    // `provider: "slack"` selects `SlackMessageExternalRef`.
    round_trip(
        json!({"channel": "channel-value", "kind": "message", "provider": "slack", "ts": "ts-value"}),
        |v: &types::ArtifactRefExternalRef| {
            matches!(v, types::ArtifactRefExternalRef::SlackMessageExternalRef(_))
        },
    );
    // `provider: "url"` selects `UrlExternalRef`.
    round_trip(
        json!({"kind": "url", "provider": "url", "url": "https://example.com/hooks/islo"}),
        |v: &types::ArtifactRefExternalRef| {
            matches!(v, types::ArtifactRefExternalRef::UrlExternalRef(_))
        },
    );
}

#[test]
fn union_auth_verifier() {
    // `type: "hmac"` selects `AuthVerifierHmac`.
    round_trip(
        json!({"algorithm": "sha256", "encoding": "hex", "prefix": "prefix-value", "secret": {"name": "ci-runner", "value": "production"}, "signature": {"name": "ci-runner", "source": "header"}, "signed_payload": {"type": "raw_body"}, "timestamp": {"source": {"name": "ci-runner", "source": "header"}, "tolerance_seconds": 7}, "type": "hmac"}),
        |v: &types::AuthVerifier| matches!(v, types::AuthVerifier::Hmac(_)),
    );
    // `type: "header_equals"` selects `AuthVerifierHeaderEquals`.
    round_trip(
        json!({"header": "X-Hub-Signature-256", "type": "header_equals", "value": {"name": "ci-runner", "value": "production"}}),
        |v: &types::AuthVerifier| matches!(v, types::AuthVerifier::HeaderEquals(_)),
    );
    // `type: "query_equals"` selects `AuthVerifierQueryEquals`.
    round_trip(
        json!({"query": "query-value", "type": "query_equals", "value": {"name": "ci-runner", "value": "production"}}),
        |v: &types::AuthVerifier| matches!(v, types::AuthVerifier::QueryEquals(_)),
    );
    // `type: "basic"` selects `AuthVerifierBasic`.
    round_trip(
        json!({"password": {"name": "ci-runner", "value": "production"}, "type": "basic", "username": {"name": "ci-runner", "value": "production"}}),
        |v: &types::AuthVerifier| matches!(v, types::AuthVerifier::Basic(_)),
    );
    // `type: "bearer_static"` selects `AuthVerifierBearerStatic`.
    round_trip(
        json!({"token": {"name": "ci-runner", "value": "production"}, "type": "bearer_static"}),
        |v: &types::AuthVerifier| matches!(v, types::AuthVerifier::BearerStatic(_)),
    );
    // `type: "jwt"` selects `AuthVerifierJwt`.
    round_trip(
        json!({"audience": "audience-value", "issuer": "issuer-value", "jwks_url": "https://example.com/jwks_url", "type": "jwt"}),
        |v: &types::AuthVerifier| matches!(v, types::AuthVerifier::Jwt(_)),
    );
    // `type: "ip_allowlist"` selects `AuthVerifierIpAllowlist`.
    round_trip(
        json!({"cidrs": ["cidr-value"], "type": "ip_allowlist"}),
        |v: &types::AuthVerifier| matches!(v, types::AuthVerifier::IpAllowlist(_)),
    );
}

#[test]
fn union_auth_verifier_response() {
    // `type: "hmac"` selects `AuthVerifierResponseHmac`.
    round_trip(
        json!({"algorithm": "sha256", "encoding": "hex", "prefix": "prefix-value", "secret_redacted": true, "secret_ref": {"name": "ci-runner"}, "signature": {"name": "ci-runner", "source": "header"}, "signed_payload": {"type": "raw_body"}, "type": "hmac"}),
        |v: &types::AuthVerifierResponse| matches!(v, types::AuthVerifierResponse::Hmac(_)),
    );
    // `type: "header_equals"` selects `AuthVerifierResponseHeaderEquals`.
    round_trip(
        json!({"header": "X-Hub-Signature-256", "type": "header_equals", "value_redacted": true}),
        |v: &types::AuthVerifierResponse| matches!(v, types::AuthVerifierResponse::HeaderEquals(_)),
    );
    // `type: "query_equals"` selects `AuthVerifierResponseQueryEquals`.
    round_trip(
        json!({"query": "query-value", "type": "query_equals", "value_redacted": true}),
        |v: &types::AuthVerifierResponse| matches!(v, types::AuthVerifierResponse::QueryEquals(_)),
    );
    // `type: "basic"` selects `AuthVerifierResponseBasic`.
    round_trip(
        json!({"secret_redacted": true, "type": "basic"}),
        |v: &types::AuthVerifierResponse| matches!(v, types::AuthVerifierResponse::Basic(_)),
    );
    // `type: "bearer_static"` selects `AuthVerifierResponseBearerStatic`.
    round_trip(
        json!({"secret_redacted": true, "type": "bearer_static"}),
        |v: &types::AuthVerifierResponse| matches!(v, types::AuthVerifierResponse::BearerStatic(_)),
    );
    // `type: "jwt"` selects `AuthVerifierResponseJwt`.
    round_trip(
        json!({"audience": "audience-value", "issuer": "issuer-value", "jwks_url": "https://example.com/jwks_url", "type": "jwt"}),
        |v: &types::AuthVerifierResponse| matches!(v, types::AuthVerifierResponse::Jwt(_)),
    );
    // `type: "ip_allowlist"` selects `AuthVerifierResponseIpAllowlist`.
    round_trip(
        json!({"cidrs": ["cidr-value"], "type": "ip_allowlist"}),
        |v: &types::AuthVerifierResponse| matches!(v, types::AuthVerifierResponse::IpAllowlist(_)),
    );
}

#[test]
fn union_compute_event_detail_response_result() {
    // `type: "agent"` selects `AgentResult`.
    round_trip(
        json!({"agent_session_id": "agent_session_01J9Z3K8QH", "harness": "harness-value", "mode": "mode-value", "outcome": "outcome-value", "output_text": "output-text-value", "outputs": {"primary": {"note": "free-form"}}, "status": "running", "type": "agent"}),
        |v: &types::ComputeEventDetailResponseResult| {
            matches!(v, types::ComputeEventDetailResponseResult::AgentResult(_))
        },
    );
    // `type: "empty"` selects `EmptyResult`.
    round_trip(
        json!({"type": "empty"}),
        |v: &types::ComputeEventDetailResponseResult| {
            matches!(v, types::ComputeEventDetailResponseResult::EmptyResult(_))
        },
    );
    // `type: "exec"` selects `ExecResult`.
    round_trip(
        json!({"exec_id": "exec_01J9Z3K8QH", "exit_code": 0, "status": "running", "stderr": "", "stdout": "hello\n", "truncated": true, "type": "exec"}),
        |v: &types::ComputeEventDetailResponseResult| {
            matches!(v, types::ComputeEventDetailResponseResult::ExecResult(_))
        },
    );
    // `type: "sandbox"` selects `SandboxResult`.
    round_trip(
        json!({"id": "01J9Z3K8QHW2", "name": "ci-runner", "status": "running", "type": "sandbox"}),
        |v: &types::ComputeEventDetailResponseResult| {
            matches!(v, types::ComputeEventDetailResponseResult::SandboxResult(_))
        },
    );
    // `type: "snapshot"` selects `SnapshotResult`.
    round_trip(
        json!({"id": "01J9Z3K8QHW2", "name": "ci-runner", "status": "running", "type": "snapshot"}),
        |v: &types::ComputeEventDetailResponseResult| {
            matches!(
                v,
                types::ComputeEventDetailResponseResult::SnapshotResult(_)
            )
        },
    );
}

#[test]
fn union_condition_operand() {
    // `type: "literal"` selects `LiteralBinding`.
    round_trip(
        json!({"type": "literal", "value": {"note": "free-form"}}),
        |v: &types::ConditionOperand| matches!(v, types::ConditionOperand::LiteralBinding(_)),
    );
    // `type: "stage"` selects `StageOperand`.
    round_trip(
        json!({"path": "/workspace/src/main.rs", "stage": "stage-value", "type": "stage"}),
        |v: &types::ConditionOperand| matches!(v, types::ConditionOperand::StageOperand(_)),
    );
    // `type: "transition"` selects `TransitionOperand`.
    round_trip(
        json!({"id": "01J9Z3K8QHW2", "path": "/workspace/src/main.rs", "type": "transition"}),
        |v: &types::ConditionOperand| matches!(v, types::ConditionOperand::TransitionOperand(_)),
    );
    // `type: "trigger"` selects `TriggerOperand`.
    round_trip(
        json!({"path": "/workspace/src/main.rs", "type": "trigger"}),
        |v: &types::ConditionOperand| matches!(v, types::ConditionOperand::TriggerOperand(_)),
    );
}

#[test]
fn union_conditional_transition_input_params_value() {
    // `type: "input"` selects `InputBinding`.
    round_trip(
        json!({"name": "ci-runner", "type": "input"}),
        |v: &types::ConditionalTransitionInputParamsValue| {
            matches!(
                v,
                types::ConditionalTransitionInputParamsValue::InputBinding(_)
            )
        },
    );
    // `type: "literal"` selects `LiteralBinding`.
    round_trip(
        json!({"type": "literal", "value": {"note": "free-form"}}),
        |v: &types::ConditionalTransitionInputParamsValue| {
            matches!(
                v,
                types::ConditionalTransitionInputParamsValue::LiteralBinding(_)
            )
        },
    );
    // `type: "output"` selects `OutputBinding`.
    round_trip(
        json!({"name": "ci-runner", "stage": "stage-value", "type": "output"}),
        |v: &types::ConditionalTransitionInputParamsValue| {
            matches!(
                v,
                types::ConditionalTransitionInputParamsValue::OutputBinding(_)
            )
        },
    );
}

#[test]
fn union_conditional_transition_output_params_value() {
    // `type: "input"` selects `InputBinding`.
    round_trip(
        json!({"name": "ci-runner", "type": "input"}),
        |v: &types::ConditionalTransitionOutputParamsValue| {
            matches!(
                v,
                types::ConditionalTransitionOutputParamsValue::InputBinding(_)
            )
        },
    );
    // `type: "literal"` selects `LiteralBinding`.
    round_trip(
        json!({"type": "literal", "value": {"note": "free-form"}}),
        |v: &types::ConditionalTransitionOutputParamsValue| {
            matches!(
                v,
                types::ConditionalTransitionOutputParamsValue::LiteralBinding(_)
            )
        },
    );
    // `type: "output"` selects `OutputBinding`.
    round_trip(
        json!({"name": "ci-runner", "stage": "stage-value", "type": "output"}),
        |v: &types::ConditionalTransitionOutputParamsValue| {
            matches!(
                v,
                types::ConditionalTransitionOutputParamsValue::OutputBinding(_)
            )
        },
    );
}

#[test]
fn union_environment_create_entries_item() {
    // `kind: "secret"` selects `EnvironmentSecretInput`.
    round_trip(
        json!({"key": "DATABASE_URL", "kind": "secret", "placement": "sandbox_env", "rule": {"auth_strategy": {"format": "format-value", "mode": "bearer", "name": "ci-runner", "username": "deploy-bot"}, "content_filter": {"note": "free-form"}, "host_pattern": "host-pattern-value", "methods": ["method-value"], "path_pattern": "path-pattern-value", "rate_limit_rpm": 7}, "value": "production"}),
        |v: &types::EnvironmentCreateEntriesItem| {
            matches!(v, types::EnvironmentCreateEntriesItem::SecretInput(_))
        },
    );
    // `kind: "variable"` selects `EnvironmentVariableInput`.
    round_trip(
        json!({"key": "DATABASE_URL", "kind": "variable", "placement": "sandbox_env", "value": "production"}),
        |v: &types::EnvironmentCreateEntriesItem| {
            matches!(v, types::EnvironmentCreateEntriesItem::VariableInput(_))
        },
    );
}

#[test]
fn union_environment_update_entries_item() {
    // `kind: "secret"` selects `EnvironmentSecretUpdateInput`.
    round_trip(
        json!({"key": "DATABASE_URL", "kind": "secret", "placement": "sandbox_env", "rule": {"auth_strategy": {"format": "format-value", "mode": "bearer", "name": "ci-runner", "username": "deploy-bot"}, "content_filter": {"note": "free-form"}, "host_pattern": "host-pattern-value", "methods": ["method-value"], "path_pattern": "path-pattern-value", "rate_limit_rpm": 7}, "value": "production"}),
        |v: &types::EnvironmentUpdateEntriesItem| {
            matches!(v, types::EnvironmentUpdateEntriesItem::SecretUpdateInput(_))
        },
    );
    // `kind: "variable"` selects `EnvironmentVariableInput`.
    round_trip(
        json!({"key": "DATABASE_URL", "kind": "variable", "placement": "sandbox_env", "value": "production"}),
        |v: &types::EnvironmentUpdateEntriesItem| {
            matches!(v, types::EnvironmentUpdateEntriesItem::VariableInput(_))
        },
    );
}

#[test]
fn union_gateway_profile_create_integration_policy() {
    // `mode: "all"` selects `AllIntegrationsPolicy`.
    round_trip(
        json!({"mode": "all"}),
        |v: &types::GatewayProfileCreateIntegrationPolicy| {
            matches!(
                v,
                types::GatewayProfileCreateIntegrationPolicy::AllIntegrationsPolicy(_)
            )
        },
    );
    // `mode: "custom"` selects `CustomIntegrationsPolicy`.
    round_trip(
        json!({"keys": ["DATABASE_URL"], "mode": "custom"}),
        |v: &types::GatewayProfileCreateIntegrationPolicy| {
            matches!(
                v,
                types::GatewayProfileCreateIntegrationPolicy::CustomIntegrationsPolicy(_)
            )
        },
    );
}

#[test]
fn union_gateway_profile_detail_response_integration_policy() {
    // `mode: "all"` selects `AllIntegrationsPolicy`.
    round_trip(
        json!({"mode": "all"}),
        |v: &types::GatewayProfileDetailResponseIntegrationPolicy| {
            matches!(
                v,
                types::GatewayProfileDetailResponseIntegrationPolicy::AllIntegrationsPolicy(_)
            )
        },
    );
    // `mode: "custom"` selects `CustomIntegrationsPolicy`.
    round_trip(
        json!({"keys": ["DATABASE_URL"], "mode": "custom"}),
        |v: &types::GatewayProfileDetailResponseIntegrationPolicy| {
            matches!(
                v,
                types::GatewayProfileDetailResponseIntegrationPolicy::CustomIntegrationsPolicy(_)
            )
        },
    );
}

#[test]
fn union_gateway_profile_response_integration_policy() {
    // `mode: "all"` selects `AllIntegrationsPolicy`.
    round_trip(
        json!({"mode": "all"}),
        |v: &types::GatewayProfileResponseIntegrationPolicy| {
            matches!(
                v,
                types::GatewayProfileResponseIntegrationPolicy::AllIntegrationsPolicy(_)
            )
        },
    );
    // `mode: "custom"` selects `CustomIntegrationsPolicy`.
    round_trip(
        json!({"keys": ["DATABASE_URL"], "mode": "custom"}),
        |v: &types::GatewayProfileResponseIntegrationPolicy| {
            matches!(
                v,
                types::GatewayProfileResponseIntegrationPolicy::CustomIntegrationsPolicy(_)
            )
        },
    );
}

#[test]
fn union_gateway_profile_update_integration_policy() {
    // `mode: "all"` selects `AllIntegrationsPolicy`.
    round_trip(
        json!({"mode": "all"}),
        |v: &types::GatewayProfileUpdateIntegrationPolicy| {
            matches!(
                v,
                types::GatewayProfileUpdateIntegrationPolicy::AllIntegrationsPolicy(_)
            )
        },
    );
    // `mode: "custom"` selects `CustomIntegrationsPolicy`.
    round_trip(
        json!({"keys": ["DATABASE_URL"], "mode": "custom"}),
        |v: &types::GatewayProfileUpdateIntegrationPolicy| {
            matches!(
                v,
                types::GatewayProfileUpdateIntegrationPolicy::CustomIntegrationsPolicy(_)
            )
        },
    );
}

#[test]
fn union_gateway_rule_create_content_filter() {
    // `filter_type: "content_type"` selects `ContentTypeContentFilter`.
    round_trip(
        json!({"direction": "request", "filter_type": "content_type", "pattern": "pattern-value"}),
        |v: &types::GatewayRuleCreateContentFilter| {
            matches!(
                v,
                types::GatewayRuleCreateContentFilter::ContentTypeContentFilter(_)
            )
        },
    );
    // `filter_type: "judge"` selects `JudgeContentFilter`.
    round_trip(
        json!({"direction": "request", "fallback": "deny", "filter_type": "judge", "max_tokens": 7, "model": "claude-sonnet-4", "name": "ci-runner", "prompt": "Summarise the failing tests", "provider_key": "anthropic", "timeout_seconds": 7}),
        |v: &types::GatewayRuleCreateContentFilter| {
            matches!(
                v,
                types::GatewayRuleCreateContentFilter::JudgeContentFilter(_)
            )
        },
    );
    // `filter_type: "regex"` selects `RegexContentFilter`.
    round_trip(
        json!({"direction": "request", "filter_type": "regex", "pattern": "pattern-value"}),
        |v: &types::GatewayRuleCreateContentFilter| {
            matches!(
                v,
                types::GatewayRuleCreateContentFilter::RegexContentFilter(_)
            )
        },
    );
    // `filter_type: "size_limit"` selects `SizeLimitContentFilter`.
    round_trip(
        json!({"direction": "request", "filter_type": "size_limit", "pattern": "pattern-value"}),
        |v: &types::GatewayRuleCreateContentFilter| {
            matches!(
                v,
                types::GatewayRuleCreateContentFilter::SizeLimitContentFilter(_)
            )
        },
    );
}

#[test]
fn union_gateway_rule_update_content_filter() {
    // `filter_type: "content_type"` selects `ContentTypeContentFilter`.
    round_trip(
        json!({"direction": "request", "filter_type": "content_type", "pattern": "pattern-value"}),
        |v: &types::GatewayRuleUpdateContentFilter| {
            matches!(
                v,
                types::GatewayRuleUpdateContentFilter::ContentTypeContentFilter(_)
            )
        },
    );
    // `filter_type: "judge"` selects `JudgeContentFilter`.
    round_trip(
        json!({"direction": "request", "fallback": "deny", "filter_type": "judge", "max_tokens": 7, "model": "claude-sonnet-4", "name": "ci-runner", "prompt": "Summarise the failing tests", "provider_key": "anthropic", "timeout_seconds": 7}),
        |v: &types::GatewayRuleUpdateContentFilter| {
            matches!(
                v,
                types::GatewayRuleUpdateContentFilter::JudgeContentFilter(_)
            )
        },
    );
    // `filter_type: "regex"` selects `RegexContentFilter`.
    round_trip(
        json!({"direction": "request", "filter_type": "regex", "pattern": "pattern-value"}),
        |v: &types::GatewayRuleUpdateContentFilter| {
            matches!(
                v,
                types::GatewayRuleUpdateContentFilter::RegexContentFilter(_)
            )
        },
    );
    // `filter_type: "size_limit"` selects `SizeLimitContentFilter`.
    round_trip(
        json!({"direction": "request", "filter_type": "size_limit", "pattern": "pattern-value"}),
        |v: &types::GatewayRuleUpdateContentFilter| {
            matches!(
                v,
                types::GatewayRuleUpdateContentFilter::SizeLimitContentFilter(_)
            )
        },
    );
}

#[test]
fn union_idempotency_config() {
    // `source: "header"` selects `IdempotencyConfigHeader`.
    round_trip(
        json!({"name": "ci-runner", "source": "header"}),
        |v: &types::IdempotencyConfig| matches!(v, types::IdempotencyConfig::Header(_)),
    );
    // `source: "header_param"` selects `IdempotencyConfigHeaderParam`.
    round_trip(
        json!({"header": "X-Hub-Signature-256", "param": "param-value", "source": "header_param"}),
        |v: &types::IdempotencyConfig| matches!(v, types::IdempotencyConfig::HeaderParam(_)),
    );
    // `source: "json_path"` selects `IdempotencyConfigJsonPath`.
    round_trip(
        json!({"path": "/workspace/src/main.rs", "source": "json_path"}),
        |v: &types::IdempotencyConfig| matches!(v, types::IdempotencyConfig::JsonPath(_)),
    );
    // `source: "body_sha256"` selects `IdempotencyConfigBodySha256`.
    round_trip(
        json!({"source": "body_sha256"}),
        |v: &types::IdempotencyConfig| matches!(v, types::IdempotencyConfig::BodySha256(_)),
    );
}

#[test]
fn union_incoming_webhook_action() {
    // `action_type: "ensure_sandbox"` selects `IncomingWebhookActionEnsureSandbox`.
    round_trip(
        json!({"action_type": "ensure_sandbox", "template": {"cache_key": "cache-key-value", "disk_gb": 20, "env": {"LOG_LEVEL": "debug"}, "gateway_profile": "gateway-profile-value", "image": "ghcr.io/islo-labs/devbox:2025.01", "init": {"type": "minimal"}, "init_capabilities": ["core-gateway-proxy"], "lifecycle": {"auto_resume": "never", "delete_after": 7, "pause_after": 7, "pause_after_idle": 7}, "memory_mb": 4096, "setup_scripts": [{"script": "script-value"}], "snapshot_name": "snapshot-main", "sources": [{"repo_url": "https://example.com/repo_url"}], "vcpus": 2, "workdir": "/workspace"}}),
        |v: &types::IncomingWebhookAction| {
            matches!(v, types::IncomingWebhookAction::EnsureSandbox(_))
        },
    );
    // `action_type: "resume_sandbox"` selects `IncomingWebhookActionResumeSandbox`.
    round_trip(
        json!({"action_type": "resume_sandbox"}),
        |v: &types::IncomingWebhookAction| {
            matches!(v, types::IncomingWebhookAction::ResumeSandbox(_))
        },
    );
    // `action_type: "pause_sandbox"` selects `IncomingWebhookActionPauseSandbox`.
    round_trip(
        json!({"action_type": "pause_sandbox"}),
        |v: &types::IncomingWebhookAction| {
            matches!(v, types::IncomingWebhookAction::PauseSandbox(_))
        },
    );
    // `action_type: "delete_sandbox"` selects `IncomingWebhookActionDeleteSandbox`.
    round_trip(
        json!({"action_type": "delete_sandbox"}),
        |v: &types::IncomingWebhookAction| {
            matches!(v, types::IncomingWebhookAction::DeleteSandbox(_))
        },
    );
    // `action_type: "deliver_to_port"` selects `IncomingWebhookActionDeliverToPort`.
    round_trip(
        json!({"action_type": "deliver_to_port", "auto_resume": "never", "path": "/workspace/src/main.rs", "payload": {"type": "original"}, "port": 8080}),
        |v: &types::IncomingWebhookAction| {
            matches!(v, types::IncomingWebhookAction::DeliverToPort(_))
        },
    );
    // `action_type: "trigger_job"` selects `IncomingWebhookActionTriggerJob`.
    round_trip(
        json!({"action_type": "trigger_job", "job_name": "job-main", "params": {"primary": {"source": {"name": "ci-runner", "source": "header"}}}, "region": "us-east-1", "version_id": "version_01J9Z3K8QH"}),
        |v: &types::IncomingWebhookAction| matches!(v, types::IncomingWebhookAction::TriggerJob(_)),
    );
}

#[test]
fn union_incoming_webhook_auth() {
    // `auth_type: "none"` selects `IncomingWebhookAuthNone`.
    round_trip(
        json!({"auth_type": "none"}),
        |v: &types::IncomingWebhookAuth| matches!(v, types::IncomingWebhookAuth::None(_)),
    );
    // `auth_type: "all"` selects `IncomingWebhookAuthAll`.
    round_trip(
        json!({"auth_type": "all", "verifiers": [{"algorithm": "sha256", "encoding": "hex", "prefix": "prefix-value", "secret": {"name": "ci-runner", "value": "production"}, "signature": {"name": "ci-runner", "source": "header"}, "signed_payload": {"type": "raw_body"}, "timestamp": {"source": {"name": "ci-runner", "source": "header"}, "tolerance_seconds": 7}, "type": "hmac"}]}),
        |v: &types::IncomingWebhookAuth| matches!(v, types::IncomingWebhookAuth::All(_)),
    );
    // `auth_type: "any"` selects `IncomingWebhookAuthAny`.
    round_trip(
        json!({"auth_type": "any", "verifiers": [{"algorithm": "sha256", "encoding": "hex", "prefix": "prefix-value", "secret": {"name": "ci-runner", "value": "production"}, "signature": {"name": "ci-runner", "source": "header"}, "signed_payload": {"type": "raw_body"}, "timestamp": {"source": {"name": "ci-runner", "source": "header"}, "tolerance_seconds": 7}, "type": "hmac"}]}),
        |v: &types::IncomingWebhookAuth| matches!(v, types::IncomingWebhookAuth::Any(_)),
    );
    // `auth_type: "hmac"` selects `IncomingWebhookAuthHmac`.
    round_trip(
        json!({"algorithm": "sha256", "auth_type": "hmac", "encoding": "hex", "prefix": "prefix-value", "secret": {"name": "ci-runner", "value": "production"}, "signature": {"name": "ci-runner", "source": "header"}, "signed_payload": {"type": "raw_body"}, "timestamp": {"source": {"name": "ci-runner", "source": "header"}, "tolerance_seconds": 7}}),
        |v: &types::IncomingWebhookAuth| matches!(v, types::IncomingWebhookAuth::Hmac(_)),
    );
    // `auth_type: "header_equals"` selects `IncomingWebhookAuthHeaderEquals`.
    round_trip(
        json!({"auth_type": "header_equals", "header": "X-Hub-Signature-256", "value": {"name": "ci-runner", "value": "production"}}),
        |v: &types::IncomingWebhookAuth| matches!(v, types::IncomingWebhookAuth::HeaderEquals(_)),
    );
    // `auth_type: "query_equals"` selects `IncomingWebhookAuthQueryEquals`.
    round_trip(
        json!({"auth_type": "query_equals", "query": "query-value", "value": {"name": "ci-runner", "value": "production"}}),
        |v: &types::IncomingWebhookAuth| matches!(v, types::IncomingWebhookAuth::QueryEquals(_)),
    );
    // `auth_type: "basic"` selects `IncomingWebhookAuthBasic`.
    round_trip(
        json!({"auth_type": "basic", "password": {"name": "ci-runner", "value": "production"}, "username": {"name": "ci-runner", "value": "production"}}),
        |v: &types::IncomingWebhookAuth| matches!(v, types::IncomingWebhookAuth::Basic(_)),
    );
    // `auth_type: "bearer_static"` selects `IncomingWebhookAuthBearerStatic`.
    round_trip(
        json!({"auth_type": "bearer_static", "token": {"name": "ci-runner", "value": "production"}}),
        |v: &types::IncomingWebhookAuth| matches!(v, types::IncomingWebhookAuth::BearerStatic(_)),
    );
    // `auth_type: "jwt"` selects `IncomingWebhookAuthJwt`.
    round_trip(
        json!({"audience": "audience-value", "auth_type": "jwt", "issuer": "issuer-value", "jwks_url": "https://example.com/jwks_url"}),
        |v: &types::IncomingWebhookAuth| matches!(v, types::IncomingWebhookAuth::Jwt(_)),
    );
    // `auth_type: "ip_allowlist"` selects `IncomingWebhookAuthIpAllowlist`.
    round_trip(
        json!({"auth_type": "ip_allowlist", "cidrs": ["cidr-value"]}),
        |v: &types::IncomingWebhookAuth| matches!(v, types::IncomingWebhookAuth::IpAllowlist(_)),
    );
}

#[test]
fn union_incoming_webhook_auth_response() {
    // `auth_type: "none"` selects `IncomingWebhookAuthResponseNone`.
    round_trip(
        json!({"auth_type": "none"}),
        |v: &types::IncomingWebhookAuthResponse| {
            matches!(v, types::IncomingWebhookAuthResponse::None(_))
        },
    );
    // `auth_type: "all"` selects `IncomingWebhookAuthResponseAll`.
    round_trip(
        json!({"auth_type": "all", "verifiers": [{"algorithm": "sha256", "encoding": "hex", "prefix": "prefix-value", "secret_redacted": true, "secret_ref": {"name": "ci-runner"}, "signature": {"name": "ci-runner", "source": "header"}, "signed_payload": {"type": "raw_body"}, "type": "hmac"}]}),
        |v: &types::IncomingWebhookAuthResponse| {
            matches!(v, types::IncomingWebhookAuthResponse::All(_))
        },
    );
    // `auth_type: "any"` selects `IncomingWebhookAuthResponseAny`.
    round_trip(
        json!({"auth_type": "any", "verifiers": [{"algorithm": "sha256", "encoding": "hex", "prefix": "prefix-value", "secret_redacted": true, "secret_ref": {"name": "ci-runner"}, "signature": {"name": "ci-runner", "source": "header"}, "signed_payload": {"type": "raw_body"}, "type": "hmac"}]}),
        |v: &types::IncomingWebhookAuthResponse| {
            matches!(v, types::IncomingWebhookAuthResponse::Any(_))
        },
    );
    // `auth_type: "hmac"` selects `IncomingWebhookAuthResponseHmac`.
    round_trip(
        json!({"algorithm": "sha256", "auth_type": "hmac", "encoding": "hex", "prefix": "prefix-value", "secret_redacted": true, "secret_ref": {"name": "ci-runner"}, "signature": {"name": "ci-runner", "source": "header"}, "signed_payload": {"type": "raw_body"}}),
        |v: &types::IncomingWebhookAuthResponse| {
            matches!(v, types::IncomingWebhookAuthResponse::Hmac(_))
        },
    );
    // `auth_type: "header_equals"` selects `IncomingWebhookAuthResponseHeaderEquals`.
    round_trip(
        json!({"auth_type": "header_equals", "header": "X-Hub-Signature-256", "value_redacted": true}),
        |v: &types::IncomingWebhookAuthResponse| {
            matches!(v, types::IncomingWebhookAuthResponse::HeaderEquals(_))
        },
    );
    // `auth_type: "query_equals"` selects `IncomingWebhookAuthResponseQueryEquals`.
    round_trip(
        json!({"auth_type": "query_equals", "query": "query-value", "value_redacted": true}),
        |v: &types::IncomingWebhookAuthResponse| {
            matches!(v, types::IncomingWebhookAuthResponse::QueryEquals(_))
        },
    );
    // `auth_type: "basic"` selects `IncomingWebhookAuthResponseBasic`.
    round_trip(
        json!({"auth_type": "basic", "secret_redacted": true}),
        |v: &types::IncomingWebhookAuthResponse| {
            matches!(v, types::IncomingWebhookAuthResponse::Basic(_))
        },
    );
    // `auth_type: "bearer_static"` selects `IncomingWebhookAuthResponseBearerStatic`.
    round_trip(
        json!({"auth_type": "bearer_static", "secret_redacted": true}),
        |v: &types::IncomingWebhookAuthResponse| {
            matches!(v, types::IncomingWebhookAuthResponse::BearerStatic(_))
        },
    );
    // `auth_type: "jwt"` selects `IncomingWebhookAuthResponseJwt`.
    round_trip(
        json!({"audience": "audience-value", "auth_type": "jwt", "issuer": "issuer-value", "jwks_url": "https://example.com/jwks_url"}),
        |v: &types::IncomingWebhookAuthResponse| {
            matches!(v, types::IncomingWebhookAuthResponse::Jwt(_))
        },
    );
    // `auth_type: "ip_allowlist"` selects `IncomingWebhookAuthResponseIpAllowlist`.
    round_trip(
        json!({"auth_type": "ip_allowlist", "cidrs": ["cidr-value"]}),
        |v: &types::IncomingWebhookAuthResponse| {
            matches!(v, types::IncomingWebhookAuthResponse::IpAllowlist(_))
        },
    );
}

#[test]
fn union_incoming_webhook_target() {
    // `target_type: "fixed_sandbox_name"` selects `IncomingWebhookTargetFixedSandboxName`.
    round_trip(
        json!({"sandbox_name": "ci-runner", "target_type": "fixed_sandbox_name"}),
        |v: &types::IncomingWebhookTarget| {
            matches!(v, types::IncomingWebhookTarget::FixedSandboxName(_))
        },
    );
    // `target_type: "sandbox_name_from_event"` selects `IncomingWebhookTargetSandboxNameFromEvent`.
    round_trip(
        json!({"allowed_names": ["allowed-main"], "allowed_pattern": "allowed-pattern-value", "required_prefix": "required-prefix-value", "source": {"name": "ci-runner", "source": "header"}, "target_type": "sandbox_name_from_event"}),
        |v: &types::IncomingWebhookTarget| {
            matches!(v, types::IncomingWebhookTarget::SandboxNameFromEvent(_))
        },
    );
}

#[test]
fn union_integration_trigger_section_input_selector() {
    // `provider: "github"` selects `GitHubRepositorySelector`.
    round_trip(
        json!({"kind": "repository", "provider": "github", "repositories": ["repositorie-value"], "scope": "all"}),
        |v: &types::IntegrationTriggerSectionInputSelector| {
            matches!(
                v,
                types::IntegrationTriggerSectionInputSelector::GitHubRepositorySelector(_)
            )
        },
    );
    // `provider: "linear"` selects `LinearIssueSelector`.
    round_trip(
        json!({"kind": "issue", "labels": ["label-value"], "project_ids": ["project_01J9Z3K8QH"], "provider": "linear", "scope": "all", "states": ["state-value"], "team_ids": ["team_01J9Z3K8QH"]}),
        |v: &types::IntegrationTriggerSectionInputSelector| {
            matches!(
                v,
                types::IntegrationTriggerSectionInputSelector::LinearIssueSelector(_)
            )
        },
    );
    // `provider: "slack"` selects `SlackChannelSelector`.
    round_trip(
        json!({"channels": ["channel-value"], "kind": "channel", "provider": "slack", "scope": "all"}),
        |v: &types::IntegrationTriggerSectionInputSelector| {
            matches!(
                v,
                types::IntegrationTriggerSectionInputSelector::SlackChannelSelector(_)
            )
        },
    );
}

#[test]
fn union_integration_trigger_section_output_selector() {
    // `provider: "github"` selects `GitHubRepositorySelector`.
    round_trip(
        json!({"kind": "repository", "provider": "github", "repositories": ["repositorie-value"], "scope": "all"}),
        |v: &types::IntegrationTriggerSectionOutputSelector| {
            matches!(
                v,
                types::IntegrationTriggerSectionOutputSelector::GitHubRepositorySelector(_)
            )
        },
    );
    // `provider: "linear"` selects `LinearIssueSelector`.
    round_trip(
        json!({"kind": "issue", "labels": ["label-value"], "project_ids": ["project_01J9Z3K8QH"], "provider": "linear", "scope": "all", "states": ["state-value"], "team_ids": ["team_01J9Z3K8QH"]}),
        |v: &types::IntegrationTriggerSectionOutputSelector| {
            matches!(
                v,
                types::IntegrationTriggerSectionOutputSelector::LinearIssueSelector(_)
            )
        },
    );
    // `provider: "slack"` selects `SlackChannelSelector`.
    round_trip(
        json!({"channels": ["channel-value"], "kind": "channel", "provider": "slack", "scope": "all"}),
        |v: &types::IntegrationTriggerSectionOutputSelector| {
            matches!(
                v,
                types::IntegrationTriggerSectionOutputSelector::SlackChannelSelector(_)
            )
        },
    );
}

#[test]
fn union_json_path_condition() {
    // `op: "all"` selects `JsonPathConditionAll`.
    round_trip(
        json!({"conditions": [{"equals": {"note": "free-form"}, "json_path": "json-path-value"}], "op": "all"}),
        |v: &types::JsonPathCondition| matches!(v, types::JsonPathCondition::All(_)),
    );
    // `op: "any"` selects `JsonPathConditionAny`.
    round_trip(
        json!({"conditions": [{"equals": {"note": "free-form"}, "json_path": "json-path-value"}], "op": "any"}),
        |v: &types::JsonPathCondition| matches!(v, types::JsonPathCondition::Any(_)),
    );
    // `op: "not"` selects `JsonPathConditionNot`.
    round_trip(
        json!({"condition": {"equals": {"note": "free-form"}, "json_path": "json-path-value"}, "op": "not"}),
        |v: &types::JsonPathCondition| matches!(v, types::JsonPathCondition::Not(_)),
    );
    // `op: "equals"` selects `JsonPathConditionEquals`.
    round_trip(
        json!({"json_path": "json-path-value", "op": "equals", "value": {"note": "free-form"}}),
        |v: &types::JsonPathCondition| matches!(v, types::JsonPathCondition::Equals(_)),
    );
    // `op: "not_equals"` selects `JsonPathConditionNotEquals`.
    round_trip(
        json!({"json_path": "json-path-value", "op": "not_equals", "value": {"note": "free-form"}}),
        |v: &types::JsonPathCondition| matches!(v, types::JsonPathCondition::NotEquals(_)),
    );
    // `op: "exists"` selects `JsonPathConditionExists`.
    round_trip(
        json!({"json_path": "json-path-value", "op": "exists"}),
        |v: &types::JsonPathCondition| matches!(v, types::JsonPathCondition::Exists(_)),
    );
    // `op: "not_exists"` selects `JsonPathConditionNotExists`.
    round_trip(
        json!({"json_path": "json-path-value", "op": "not_exists"}),
        |v: &types::JsonPathCondition| matches!(v, types::JsonPathCondition::NotExists(_)),
    );
    // `op: "contains"` selects `JsonPathConditionContains`.
    round_trip(
        json!({"json_path": "json-path-value", "op": "contains", "value": {"note": "free-form"}}),
        |v: &types::JsonPathCondition| matches!(v, types::JsonPathCondition::Contains(_)),
    );
    // `op: "matches"` selects `JsonPathConditionMatches`.
    round_trip(
        json!({"json_path": "json-path-value", "op": "matches", "pattern": "pattern-value"}),
        |v: &types::JsonPathCondition| matches!(v, types::JsonPathCondition::Matches(_)),
    );
    // `op: "greater_than"` selects `JsonPathConditionGreaterThan`.
    round_trip(
        json!({"json_path": "json-path-value", "op": "greater_than", "value": 0.75}),
        |v: &types::JsonPathCondition| matches!(v, types::JsonPathCondition::GreaterThan(_)),
    );
    // `op: "greater_than_or_equal"` selects `JsonPathConditionGreaterThanOrEqual`.
    round_trip(
        json!({"json_path": "json-path-value", "op": "greater_than_or_equal", "value": 0.75}),
        |v: &types::JsonPathCondition| matches!(v, types::JsonPathCondition::GreaterThanOrEqual(_)),
    );
    // `op: "less_than"` selects `JsonPathConditionLessThan`.
    round_trip(
        json!({"json_path": "json-path-value", "op": "less_than", "value": 0.75}),
        |v: &types::JsonPathCondition| matches!(v, types::JsonPathCondition::LessThan(_)),
    );
    // `op: "less_than_or_equal"` selects `JsonPathConditionLessThanOrEqual`.
    round_trip(
        json!({"json_path": "json-path-value", "op": "less_than_or_equal", "value": 0.75}),
        |v: &types::JsonPathCondition| matches!(v, types::JsonPathCondition::LessThanOrEqual(_)),
    );
}

#[test]
fn json_path_leaves_nest_inside_combinators() {
    // The combinators hold `IncomingWebhookCondition`s; a JSON-path leaf in them used to
    // decode as `{}` (no member of typify's struct of optional flattened members matched).
    for leaf in [
        json!({"op": "less_than", "json_path": "$.x", "value": -2.2}),
        json!({"op": "matches", "json_path": "$.ref", "pattern": "^main$"}),
        json!({"op": "not_exists", "json_path": "$.draft"}),
        json!({"op": "any", "conditions": [{"op": "exists", "json_path": "$.a"}]}),
    ] {
        round_trip(
            json!({"op": "all", "conditions": [leaf.clone(), {"json_path": "$.b", "equals": 1}]}),
            |v: &types::JsonPathCondition| matches!(v, types::JsonPathCondition::All(_)),
        );
        round_trip(
            json!({"op": "not", "condition": leaf}),
            |v: &types::JsonPathCondition| matches!(v, types::JsonPathCondition::Not(_)),
        );
    }
}

#[test]
fn union_incoming_webhook_condition() {
    // No `op` (the legacy form) selects `IncomingWebhookConditionEquals`.
    round_trip(
        json!({"json_path": "$.repository.full_name", "equals": "islo-labs/sdk"}),
        |v: &types::IncomingWebhookCondition| {
            matches!(
                v,
                types::IncomingWebhookCondition::IncomingWebhookConditionEquals(_)
            )
        },
    );
    // An `op` selects `JsonPathCondition`, and within it the member the `op` names.
    for wire in [
        json!({"op": "less_than", "json_path": "$.x", "value": -2.2}),
        json!({"op": "equals", "json_path": "$.action", "value": "opened"}),
        json!({"op": "all", "conditions": [{"op": "exists", "json_path": "$.a"}]}),
    ] {
        round_trip(wire, |v: &types::IncomingWebhookCondition| {
            matches!(v, types::IncomingWebhookCondition::JsonPathCondition(_))
        });
    }
}

#[test]
fn union_line_agent_config_instructions() {
    // `type: "knowledge"` selects `KnowledgeBinding`.
    round_trip(
        json!({"slug": "slug-value", "type": "knowledge"}),
        |v: &types::LineAgentConfigInstructions| {
            matches!(v, types::LineAgentConfigInstructions::KnowledgeBinding(_))
        },
    );
    // `type: "literal"` selects `LiteralBinding`.
    round_trip(
        json!({"type": "literal", "value": {"note": "free-form"}}),
        |v: &types::LineAgentConfigInstructions| {
            matches!(v, types::LineAgentConfigInstructions::LiteralBinding(_))
        },
    );
}

#[test]
fn union_line_condition_input() {
    // `op: "all"` selects `CompoundConditionInput`.
    round_trip(
        json!({"conditions": [{"op": "always"}], "op": "all"}),
        |v: &types::LineConditionInput| {
            matches!(v, types::LineConditionInput::CompoundConditionInput(_))
        },
    );
    // `op: "any"` selects `CompoundConditionInput`.
    round_trip(
        json!({"conditions": [{"op": "always"}], "op": "any"}),
        |v: &types::LineConditionInput| {
            matches!(v, types::LineConditionInput::CompoundConditionInput(_))
        },
    );
    // `op: "always"` selects `AlwaysCondition`.
    round_trip(json!({"op": "always"}), |v: &types::LineConditionInput| {
        matches!(v, types::LineConditionInput::AlwaysCondition(_))
    });
    // `op: "contains"` selects `BinaryConditionInput`.
    round_trip(
        json!({"left": {"type": "literal", "value": {"note": "free-form"}}, "op": "contains", "right": {"type": "literal", "value": {"note": "free-form"}}}),
        |v: &types::LineConditionInput| {
            matches!(v, types::LineConditionInput::BinaryConditionInput(_))
        },
    );
    // `op: "eq"` selects `BinaryConditionInput`.
    round_trip(
        json!({"left": {"type": "literal", "value": {"note": "free-form"}}, "op": "eq", "right": {"type": "literal", "value": {"note": "free-form"}}}),
        |v: &types::LineConditionInput| {
            matches!(v, types::LineConditionInput::BinaryConditionInput(_))
        },
    );
    // `op: "ne"` selects `BinaryConditionInput`.
    round_trip(
        json!({"left": {"type": "literal", "value": {"note": "free-form"}}, "op": "ne", "right": {"type": "literal", "value": {"note": "free-form"}}}),
        |v: &types::LineConditionInput| {
            matches!(v, types::LineConditionInput::BinaryConditionInput(_))
        },
    );
    // `op: "not_contains"` selects `BinaryConditionInput`.
    round_trip(
        json!({"left": {"type": "literal", "value": {"note": "free-form"}}, "op": "not_contains", "right": {"type": "literal", "value": {"note": "free-form"}}}),
        |v: &types::LineConditionInput| {
            matches!(v, types::LineConditionInput::BinaryConditionInput(_))
        },
    );
    // `op: "exists"` selects `UnaryConditionInput`.
    round_trip(
        json!({"op": "exists", "operand": {"type": "literal", "value": {"note": "free-form"}}}),
        |v: &types::LineConditionInput| {
            matches!(v, types::LineConditionInput::UnaryConditionInput(_))
        },
    );
    // `op: "falsy"` selects `UnaryConditionInput`.
    round_trip(
        json!({"op": "falsy", "operand": {"type": "literal", "value": {"note": "free-form"}}}),
        |v: &types::LineConditionInput| {
            matches!(v, types::LineConditionInput::UnaryConditionInput(_))
        },
    );
    // `op: "missing"` selects `UnaryConditionInput`.
    round_trip(
        json!({"op": "missing", "operand": {"type": "literal", "value": {"note": "free-form"}}}),
        |v: &types::LineConditionInput| {
            matches!(v, types::LineConditionInput::UnaryConditionInput(_))
        },
    );
    // `op: "truthy"` selects `UnaryConditionInput`.
    round_trip(
        json!({"op": "truthy", "operand": {"type": "literal", "value": {"note": "free-form"}}}),
        |v: &types::LineConditionInput| {
            matches!(v, types::LineConditionInput::UnaryConditionInput(_))
        },
    );
    // `op: "not"` selects `NotConditionInput`.
    round_trip(
        json!({"condition": {"op": "always"}, "op": "not"}),
        |v: &types::LineConditionInput| {
            matches!(v, types::LineConditionInput::NotConditionInput(_))
        },
    );
}

#[test]
fn union_line_condition_output() {
    // `op: "all"` selects `CompoundConditionOutput`.
    round_trip(
        json!({"conditions": [{"op": "always"}], "op": "all"}),
        |v: &types::LineConditionOutput| {
            matches!(v, types::LineConditionOutput::CompoundConditionOutput(_))
        },
    );
    // `op: "any"` selects `CompoundConditionOutput`.
    round_trip(
        json!({"conditions": [{"op": "always"}], "op": "any"}),
        |v: &types::LineConditionOutput| {
            matches!(v, types::LineConditionOutput::CompoundConditionOutput(_))
        },
    );
    // `op: "always"` selects `AlwaysCondition`.
    round_trip(json!({"op": "always"}), |v: &types::LineConditionOutput| {
        matches!(v, types::LineConditionOutput::AlwaysCondition(_))
    });
    // `op: "contains"` selects `BinaryConditionOutput`.
    round_trip(
        json!({"left": {"type": "literal", "value": {"note": "free-form"}}, "op": "contains", "right": {"type": "literal", "value": {"note": "free-form"}}}),
        |v: &types::LineConditionOutput| {
            matches!(v, types::LineConditionOutput::BinaryConditionOutput(_))
        },
    );
    // `op: "eq"` selects `BinaryConditionOutput`.
    round_trip(
        json!({"left": {"type": "literal", "value": {"note": "free-form"}}, "op": "eq", "right": {"type": "literal", "value": {"note": "free-form"}}}),
        |v: &types::LineConditionOutput| {
            matches!(v, types::LineConditionOutput::BinaryConditionOutput(_))
        },
    );
    // `op: "ne"` selects `BinaryConditionOutput`.
    round_trip(
        json!({"left": {"type": "literal", "value": {"note": "free-form"}}, "op": "ne", "right": {"type": "literal", "value": {"note": "free-form"}}}),
        |v: &types::LineConditionOutput| {
            matches!(v, types::LineConditionOutput::BinaryConditionOutput(_))
        },
    );
    // `op: "not_contains"` selects `BinaryConditionOutput`.
    round_trip(
        json!({"left": {"type": "literal", "value": {"note": "free-form"}}, "op": "not_contains", "right": {"type": "literal", "value": {"note": "free-form"}}}),
        |v: &types::LineConditionOutput| {
            matches!(v, types::LineConditionOutput::BinaryConditionOutput(_))
        },
    );
    // `op: "exists"` selects `UnaryConditionOutput`.
    round_trip(
        json!({"op": "exists", "operand": {"type": "literal", "value": {"note": "free-form"}}}),
        |v: &types::LineConditionOutput| {
            matches!(v, types::LineConditionOutput::UnaryConditionOutput(_))
        },
    );
    // `op: "falsy"` selects `UnaryConditionOutput`.
    round_trip(
        json!({"op": "falsy", "operand": {"type": "literal", "value": {"note": "free-form"}}}),
        |v: &types::LineConditionOutput| {
            matches!(v, types::LineConditionOutput::UnaryConditionOutput(_))
        },
    );
    // `op: "missing"` selects `UnaryConditionOutput`.
    round_trip(
        json!({"op": "missing", "operand": {"type": "literal", "value": {"note": "free-form"}}}),
        |v: &types::LineConditionOutput| {
            matches!(v, types::LineConditionOutput::UnaryConditionOutput(_))
        },
    );
    // `op: "truthy"` selects `UnaryConditionOutput`.
    round_trip(
        json!({"op": "truthy", "operand": {"type": "literal", "value": {"note": "free-form"}}}),
        |v: &types::LineConditionOutput| {
            matches!(v, types::LineConditionOutput::UnaryConditionOutput(_))
        },
    );
    // `op: "not"` selects `NotConditionOutput`.
    round_trip(
        json!({"condition": {"op": "always"}, "op": "not"}),
        |v: &types::LineConditionOutput| {
            matches!(v, types::LineConditionOutput::NotConditionOutput(_))
        },
    );
}

#[test]
fn union_line_manifest_input_transitions_item() {
    // `type: "agentic"` selects `AgenticTransitionInput`.
    round_trip(
        json!({"from": "2025-01-15T10:30:00Z", "id": "01J9Z3K8QHW2", "instructions": {"slug": "slug-value", "type": "knowledge"}, "label": "label-value", "options": [{"label": "label-value", "name": "ci-runner", "params": {"primary": {"name": "ci-runner", "type": "input"}}, "to": "2025-01-15T10:30:00Z"}], "type": "agentic"}),
        |v: &types::LineManifestInputTransitionsItem| {
            matches!(
                v,
                types::LineManifestInputTransitionsItem::AgenticTransitionInput(_)
            )
        },
    );
    // `type: "conditional"` selects `ConditionalTransitionInput`.
    round_trip(
        json!({"from": "2025-01-15T10:30:00Z", "id": "01J9Z3K8QHW2", "label": "label-value", "max_iterations": 7, "params": {"primary": {"name": "ci-runner", "type": "input"}}, "to": "2025-01-15T10:30:00Z", "type": "conditional", "when": {"op": "always"}}),
        |v: &types::LineManifestInputTransitionsItem| {
            matches!(
                v,
                types::LineManifestInputTransitionsItem::ConditionalTransitionInput(_)
            )
        },
    );
}

#[test]
fn union_line_manifest_input_trigger() {
    // `type: "integration_trigger"` selects `IntegrationTriggerSectionInput`.
    round_trip(
        json!({"filters": [{"op": "always"}], "name": "ci-runner", "outputs": {"primary": {"path": "/workspace/src/main.rs", "type": "trigger_path"}}, "provider": "github", "selector": {"kind": "repository", "provider": "github", "repositories": ["repositorie-value"], "scope": "all"}, "type": "integration_trigger"}),
        |v: &types::LineManifestInputTrigger| {
            matches!(
                v,
                types::LineManifestInputTrigger::IntegrationTriggerSectionInput(_)
            )
        },
    );
    // `type: "manual"` selects `ManualTriggerSection`.
    round_trip(
        json!({"type": "manual"}),
        |v: &types::LineManifestInputTrigger| {
            matches!(v, types::LineManifestInputTrigger::ManualTriggerSection(_))
        },
    );
    // `type: "schedule"` selects `ScheduleTriggerSection`.
    round_trip(
        json!({"cron": "0 3 * * *", "timezone": "UTC", "type": "schedule"}),
        |v: &types::LineManifestInputTrigger| {
            matches!(
                v,
                types::LineManifestInputTrigger::ScheduleTriggerSection(_)
            )
        },
    );
    // `type: "webhook"` selects `WebhookTriggerSection`.
    round_trip(
        json!({"path": "/workspace/src/main.rs", "type": "webhook"}),
        |v: &types::LineManifestInputTrigger| {
            matches!(v, types::LineManifestInputTrigger::WebhookTriggerSection(_))
        },
    );
}

#[test]
fn union_line_manifest_output_transitions_item() {
    // `type: "agentic"` selects `AgenticTransitionOutput`.
    round_trip(
        json!({"from": "2025-01-15T10:30:00Z", "id": "01J9Z3K8QHW2", "instructions": {"slug": "slug-value", "type": "knowledge"}, "label": "label-value", "options": [{"label": "label-value", "name": "ci-runner", "params": {"primary": {"name": "ci-runner", "type": "input"}}, "to": "2025-01-15T10:30:00Z"}], "type": "agentic"}),
        |v: &types::LineManifestOutputTransitionsItem| {
            matches!(
                v,
                types::LineManifestOutputTransitionsItem::AgenticTransitionOutput(_)
            )
        },
    );
    // `type: "conditional"` selects `ConditionalTransitionOutput`.
    round_trip(
        json!({"from": "2025-01-15T10:30:00Z", "id": "01J9Z3K8QHW2", "label": "label-value", "max_iterations": 7, "params": {"primary": {"name": "ci-runner", "type": "input"}}, "to": "2025-01-15T10:30:00Z", "type": "conditional", "when": {"op": "always"}}),
        |v: &types::LineManifestOutputTransitionsItem| {
            matches!(
                v,
                types::LineManifestOutputTransitionsItem::ConditionalTransitionOutput(_)
            )
        },
    );
}

#[test]
fn union_line_manifest_output_trigger() {
    // `type: "integration_trigger"` selects `IntegrationTriggerSectionOutput`.
    round_trip(
        json!({"filters": [{"op": "always"}], "name": "ci-runner", "outputs": {"primary": {"path": "/workspace/src/main.rs", "type": "trigger_path"}}, "provider": "github", "selector": {"kind": "repository", "provider": "github", "repositories": ["repositorie-value"], "scope": "all"}, "type": "integration_trigger"}),
        |v: &types::LineManifestOutputTrigger| {
            matches!(
                v,
                types::LineManifestOutputTrigger::IntegrationTriggerSectionOutput(_)
            )
        },
    );
    // `type: "manual"` selects `ManualTriggerSection`.
    round_trip(
        json!({"type": "manual"}),
        |v: &types::LineManifestOutputTrigger| {
            matches!(v, types::LineManifestOutputTrigger::ManualTriggerSection(_))
        },
    );
    // `type: "schedule"` selects `ScheduleTriggerSection`.
    round_trip(
        json!({"cron": "0 3 * * *", "timezone": "UTC", "type": "schedule"}),
        |v: &types::LineManifestOutputTrigger| {
            matches!(
                v,
                types::LineManifestOutputTrigger::ScheduleTriggerSection(_)
            )
        },
    );
    // `type: "webhook"` selects `WebhookTriggerSection`.
    round_trip(
        json!({"path": "/workspace/src/main.rs", "type": "webhook"}),
        |v: &types::LineManifestOutputTrigger| {
            matches!(
                v,
                types::LineManifestOutputTrigger::WebhookTriggerSection(_)
            )
        },
    );
}

#[test]
fn union_mapping_part() {
    // `type: "literal"` selects `MappingPartLiteral`.
    round_trip(
        json!({"type": "literal", "value": "production"}),
        |v: &types::MappingPart| matches!(v, types::MappingPart::Literal(_)),
    );
    // `type: "source"` selects `MappingPartSource`.
    round_trip(
        json!({"source": {"name": "ci-runner", "source": "header"}, "type": "source"}),
        |v: &types::MappingPart| matches!(v, types::MappingPart::Source(_)),
    );
}

#[test]
fn union_run_agent_session_step_action_prompt() {
    // `type: "knowledge"` selects `KnowledgeBinding`.
    round_trip(
        json!({"slug": "slug-value", "type": "knowledge"}),
        |v: &types::RunAgentSessionStepActionPrompt| {
            matches!(
                v,
                types::RunAgentSessionStepActionPrompt::KnowledgeBinding(_)
            )
        },
    );
    // `type: "literal"` selects `LiteralBinding`.
    round_trip(
        json!({"type": "literal", "value": {"note": "free-form"}}),
        |v: &types::RunAgentSessionStepActionPrompt| {
            matches!(v, types::RunAgentSessionStepActionPrompt::LiteralBinding(_))
        },
    );
}

#[test]
fn union_run_agent_session_step_action_resume_prompt() {
    // `type: "knowledge"` selects `KnowledgeBinding`.
    round_trip(
        json!({"slug": "slug-value", "type": "knowledge"}),
        |v: &types::RunAgentSessionStepActionResumePrompt| {
            matches!(
                v,
                types::RunAgentSessionStepActionResumePrompt::KnowledgeBinding(_)
            )
        },
    );
    // `type: "literal"` selects `LiteralBinding`.
    round_trip(
        json!({"type": "literal", "value": {"note": "free-form"}}),
        |v: &types::RunAgentSessionStepActionResumePrompt| {
            matches!(
                v,
                types::RunAgentSessionStepActionResumePrompt::LiteralBinding(_)
            )
        },
    );
}

#[test]
fn union_sandbox_config_init() {
    // `type: "custom"` selects `SandboxInitCustom`.
    round_trip(
        json!({"await_ready": true, "capabilities": ["ssh"], "type": "custom"}),
        |v: &types::SandboxConfigInit| matches!(v, types::SandboxConfigInit::Custom(_)),
    );
    // `type: "full"` selects `SandboxInitFull`.
    round_trip(json!({"type": "full"}), |v: &types::SandboxConfigInit| {
        matches!(v, types::SandboxConfigInit::Full(_))
    });
    // `type: "minimal"` selects `SandboxInitMinimal`.
    round_trip(
        json!({"type": "minimal"}),
        |v: &types::SandboxConfigInit| matches!(v, types::SandboxConfigInit::Minimal(_)),
    );
}

#[test]
fn union_sandbox_init() {
    // `type: "minimal"` selects `SandboxInitMinimal`.
    round_trip(json!({"type": "minimal"}), |v: &types::SandboxInit| {
        matches!(v, types::SandboxInit::Minimal(_))
    });
    // `type: "full"` selects `SandboxInitFull`.
    round_trip(json!({"type": "full"}), |v: &types::SandboxInit| {
        matches!(v, types::SandboxInit::Full(_))
    });
    // `type: "custom"` selects `SandboxInitCustom`.
    round_trip(
        json!({"await_ready": true, "capabilities": ["ssh"], "type": "custom"}),
        |v: &types::SandboxInit| matches!(v, types::SandboxInit::Custom(_)),
    );
}

#[test]
fn union_signed_part() {
    // `type: "source"` selects `SignedPartSource`.
    round_trip(
        json!({"source": {"name": "ci-runner", "source": "header"}, "type": "source"}),
        |v: &types::SignedPart| matches!(v, types::SignedPart::Source(_)),
    );
    // `type: "literal"` selects `SignedPartLiteral`.
    round_trip(
        json!({"type": "literal", "value": "production"}),
        |v: &types::SignedPart| matches!(v, types::SignedPart::Literal(_)),
    );
}

#[test]
fn union_signed_payload() {
    // `type: "raw_body"` selects `SignedPayloadRawBody`.
    round_trip(json!({"type": "raw_body"}), |v: &types::SignedPayload| {
        matches!(v, types::SignedPayload::RawBody(_))
    });
    // `type: "template"` selects `SignedPayloadTemplate`.
    round_trip(
        json!({"parts": [{"source": {"name": "ci-runner", "source": "header"}, "type": "source"}], "type": "template"}),
        |v: &types::SignedPayload| matches!(v, types::SignedPayload::Template(_)),
    );
}

#[test]
fn union_task_step_input_run_agent() {
    // `mode: "exec"` selects `RunAgentExecStepAction`.
    round_trip(
        json!({"command": ["echo hello"], "harness": "codex", "mode": "exec", "model": "claude-sonnet-4"}),
        |v: &types::TaskStepInputRunAgent| {
            matches!(v, types::TaskStepInputRunAgent::ExecStepAction(_))
        },
    );
    // `mode: "session"` selects `RunAgentSessionStepAction`.
    round_trip(
        json!({"command": ["echo hello"], "harness": "codex", "knowledge": [{"slug": "slug-value", "type": "knowledge"}], "mode": "session", "model": "claude-sonnet-4", "model_provider": "islo", "prompt": {"slug": "slug-value", "type": "knowledge"}, "resume_prompt": {"slug": "slug-value", "type": "knowledge"}, "session": "session-value"}),
        |v: &types::TaskStepInputRunAgent| {
            matches!(v, types::TaskStepInputRunAgent::SessionStepAction(_))
        },
    );
}

#[test]
fn union_task_step_output_run_agent() {
    // `mode: "exec"` selects `RunAgentExecStepAction`.
    round_trip(
        json!({"command": ["echo hello"], "harness": "codex", "mode": "exec", "model": "claude-sonnet-4"}),
        |v: &types::TaskStepOutputRunAgent| {
            matches!(v, types::TaskStepOutputRunAgent::ExecStepAction(_))
        },
    );
    // `mode: "session"` selects `RunAgentSessionStepAction`.
    round_trip(
        json!({"command": ["echo hello"], "harness": "codex", "knowledge": [{"slug": "slug-value", "type": "knowledge"}], "mode": "session", "model": "claude-sonnet-4", "model_provider": "islo", "prompt": {"slug": "slug-value", "type": "knowledge"}, "resume_prompt": {"slug": "slug-value", "type": "knowledge"}, "session": "session-value"}),
        |v: &types::TaskStepOutputRunAgent| {
            matches!(v, types::TaskStepOutputRunAgent::SessionStepAction(_))
        },
    );
}

#[test]
fn union_value_source() {
    // `source: "header"` selects `ValueSourceHeader`.
    round_trip(
        json!({"name": "ci-runner", "source": "header"}),
        |v: &types::ValueSource| matches!(v, types::ValueSource::Header(_)),
    );
    // `source: "header_param"` selects `ValueSourceHeaderParam`.
    round_trip(
        json!({"header": "X-Hub-Signature-256", "param": "param-value", "source": "header_param"}),
        |v: &types::ValueSource| matches!(v, types::ValueSource::HeaderParam(_)),
    );
    // `source: "query"` selects `ValueSourceQuery`.
    round_trip(
        json!({"name": "ci-runner", "source": "query"}),
        |v: &types::ValueSource| matches!(v, types::ValueSource::Query(_)),
    );
    // `source: "json_path"` selects `ValueSourceJsonPath`.
    round_trip(
        json!({"path": "/workspace/src/main.rs", "source": "json_path"}),
        |v: &types::ValueSource| matches!(v, types::ValueSource::JsonPath(_)),
    );
    // `source: "raw_body"` selects `ValueSourceRawBody`.
    round_trip(json!({"source": "raw_body"}), |v: &types::ValueSource| {
        matches!(v, types::ValueSource::RawBody(_))
    });
    // `source: "method"` selects `ValueSourceMethod`.
    round_trip(json!({"source": "method"}), |v: &types::ValueSource| {
        matches!(v, types::ValueSource::Method(_))
    });
    // `source: "path"` selects `ValueSourcePath`.
    round_trip(json!({"source": "path"}), |v: &types::ValueSource| {
        matches!(v, types::ValueSource::Path(_))
    });
}

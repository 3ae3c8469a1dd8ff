//! Every operation of the Islo API, over the wire, driven by the spec.
//!
//! One row per public operation of [`islo::meta::OPERATIONS`]: the call, made through the
//! operation's method on `Islo` with every parameter set, and the query it must send. For
//! each row the harness starts a mock server per plane and checks what reached the
//! operation's plane: the method and exact path (path parameters are sent as their own
//! names), the exact query (every query parameter the spec declares must be in the row),
//! the bearer token, and the body: a JSON body must be byte-for-byte the spec example the
//! row decoded into its type (a type that drops or changes data fails here), a multipart
//! body must carry the file in the part the spec names. The other plane's server has a
//! catch-all that must never be hit. The answer is the spec's example for the operation,
//! and the decoded value must encode back to the same JSON.
//!
//! `every_public_operation_has_exactly_one_row` keeps the table in step with the spec.

use futures_util::future::BoxFuture;
use futures_util::StreamExt;
use httpmock::prelude::*;
use httpmock::HttpMockRequest;
use islo::meta::{ParamLocation, Plane, RequestBody, ResponseBody, OPERATIONS};
use islo::{types, ByteStream, Islo, ResponseValue};
use serde_json::Value;
use std::future::IntoFuture;

/// What a call handed back, in a form the harness can compare.
#[derive(Debug, PartialEq)]
enum Got {
    Json(Value),
    Bytes(Vec<u8>),
    Empty,
}

type Call = Box<dyn for<'a> Fn(&'a Islo) -> BoxFuture<'a, islo::Result<Got>>>;

struct Row {
    id: &'static str,
    query: &'static [(&'static str, &'static str)],
    call: Call,
}

fn row(
    id: &'static str,
    query: &'static [(&'static str, &'static str)],
    call: impl for<'a> Fn(&'a Islo) -> BoxFuture<'a, islo::Result<Got>> + 'static,
) -> Row {
    Row {
        id,
        query,
        call: Box::new(call),
    }
}

fn json<'a, T, R>(request: R) -> BoxFuture<'a, islo::Result<Got>>
where
    T: serde::Serialize,
    R: IntoFuture<Output = islo::Result<ResponseValue<T>>> + Send + 'a,
    R::IntoFuture: Send,
{
    Box::pin(async move {
        let value = request.await?.into_inner();
        Ok(Got::Json(serde_json::to_value(value).expect("encodes")))
    })
}

fn bytes<'a, R>(request: R) -> BoxFuture<'a, islo::Result<Got>>
where
    R: IntoFuture<Output = islo::Result<ResponseValue<ByteStream>>> + Send + 'a,
    R::IntoFuture: Send,
{
    Box::pin(async move {
        let mut stream = request.await?.into_inner().into_inner();
        let mut out = Vec::new();
        while let Some(chunk) = stream.next().await {
            out.extend_from_slice(&chunk.expect("body chunk"));
        }
        Ok(Got::Bytes(out))
    })
}

fn empty<'a, R>(request: R) -> BoxFuture<'a, islo::Result<Got>>
where
    R: IntoFuture<Output = islo::Result<ResponseValue<()>>> + Send + 'a,
    R::IntoFuture: Send,
{
    Box::pin(async move {
        request.await?;
        Ok(Got::Empty)
    })
}

/// The spec's example request body of `op`, decoded into `T`.
fn body<T: serde::de::DeserializeOwned>(op: &str) -> T {
    let example =
        islo::mock::example_request(op).unwrap_or_else(|| panic!("{op}: no example body"));
    serde_json::from_value(example.clone())
        .unwrap_or_else(|e| panic!("{op}: the example body {example} does not decode: {e}"))
}

fn date(text: &str) -> chrono::DateTime<chrono::Utc> {
    text.parse().expect("a date-time")
}

/// The bytes an upload row sends.
const FILE: &[u8] = b"file bytes\n";
/// The bytes a streaming answer carries.
const STREAM: &[u8] = b"event: stdout\ndata: hi\n\nevent: exit\ndata: 0\n\n";

fn rows() -> Vec<Row> {
    vec![
        row("create_cloud_role", &[], |i| {
            json(i.create_cloud_role(body::<types::CloudRoleCreate>("create_cloud_role")))
        }),
        row("create_container_registry", &[], |i| {
            json(
                i.create_container_registry(body::<types::ContainerRegistryCreate>(
                    "create_container_registry",
                )),
            )
        }),
        row("create_custom_service", &[], |i| {
            json(
                i.create_custom_service(body::<types::CustomServiceCreateRequest>(
                    "create_custom_service",
                )),
            )
        }),
        row("create_environment", &[], |i| {
            json(i.create_environment(body::<types::EnvironmentCreate>("create_environment")))
        }),
        row("create_gateway_profile", &[], |i| {
            json(
                i.create_gateway_profile(body::<types::GatewayProfileCreate>(
                    "create_gateway_profile",
                )),
            )
        }),
        row("create_gateway_rule", &[], |i| {
            json(i.create_gateway_rule(
                "profile_id",
                body::<types::GatewayRuleCreate>("create_gateway_rule"),
            ))
        }),
        row("create_incoming_webhook", &[], |i| {
            json(
                i.create_incoming_webhook(body::<types::IncomingWebhookCreate>(
                    "create_incoming_webhook",
                )),
            )
        }),
        row("create_knowledge", &[], |i| {
            json(i.create_knowledge(body::<types::KnowledgeItemCreate>("create_knowledge")))
        }),
        row("create_sandbox", &[], |i| {
            json(i.create_sandbox(body::<types::SandboxCreate>("create_sandbox")))
        }),
        row("create_session", &[], |i| {
            json(i.create_session(
                "sandbox_name",
                body::<types::CreateSessionRequest>("create_session"),
            ))
        }),
        row("create_share", &[], |i| {
            json(i.create_share(
                "sandbox_name",
                body::<types::CreateShareRequest>("create_share"),
            ))
        }),
        row("create_snapshot", &[], |i| {
            json(i.create_snapshot(body::<types::SnapshotCreate>("create_snapshot")))
        }),
        row("delete_cloud_role", &[], |i| {
            empty(i.delete_cloud_role("role_id"))
        }),
        row("delete_container_registry", &[], |i| {
            empty(i.delete_container_registry("id"))
        }),
        row("delete_environment", &[], |i| {
            empty(i.delete_environment("environment_ref"))
        }),
        row("delete_factory_line_schedule", &[], |i| {
            empty(i.delete_factory_line_schedule("name"))
        }),
        row("delete_gateway_profile", &[], |i| {
            empty(i.delete_gateway_profile("profile_id"))
        }),
        row("delete_gateway_rule", &[], |i| {
            empty(i.delete_gateway_rule("profile_id", "rule_id"))
        }),
        row("delete_incoming_webhook", &[], |i| {
            empty(i.delete_incoming_webhook("webhook_id"))
        }),
        row("delete_job", &[], |i| empty(i.delete_job("name"))),
        row("delete_job_schedule", &[], |i| {
            empty(i.delete_job_schedule("name"))
        }),
        row("delete_knowledge", &[], |i| {
            empty(i.delete_knowledge("identifier"))
        }),
        row("delete_sandbox", &[], |i| {
            empty(i.delete_sandbox("sandbox_name"))
        }),
        row("delete_snapshot", &[], |i| empty(i.delete_snapshot("name"))),
        row("deploy_factory_line", &[], |i| {
            json(i.deploy_factory_line(
                "name",
                body::<types::LineDeployRequest>("deploy_factory_line"),
            ))
        }),
        row("deploy_job", &[], |i| {
            json(i.deploy_job("name", body::<types::JobDeployRequest>("deploy_job")))
        }),
        row(
            "disconnect_custom_integration",
            &[("scope", "user"), ("delete_app", "true")],
            |i| {
                json(
                    i.disconnect_custom_integration("descope_app_id")
                        .scope("user")
                        .delete_app(true),
                )
            },
        ),
        row(
            "disconnect_integration",
            &[("level", "user"), ("auth_type", "oauth")],
            |i| {
                json(
                    i.disconnect_integration("provider")
                        .level("user")
                        .auth_type("oauth"),
                )
            },
        ),
        row("download_archive", &[("path", "/workspace/f.txt")], |i| {
            bytes(i.download_archive("sandbox_name", "/workspace/f.txt"))
        }),
        row("download_file", &[("path", "/workspace/f.txt")], |i| {
            bytes(i.download_file("sandbox_name", "/workspace/f.txt"))
        }),
        row("exec_in_sandbox", &[], |i| {
            json(i.exec_in_sandbox(
                "sandbox_name",
                body::<types::ExecRequest>("exec_in_sandbox"),
            ))
        }),
        row("exec_in_sandbox_stream", &[], |i| {
            bytes(i.exec_in_sandbox_stream(
                "sandbox_name",
                body::<types::ExecRequest>("exec_in_sandbox_stream"),
            ))
        }),
        row("get_cloud_role", &[], |i| json(i.get_cloud_role("role_id"))),
        row("get_compute_event", &[], |i| {
            json(i.get_compute_event("command_id"))
        }),
        row("get_container_registry", &[], |i| {
            json(i.get_container_registry("id"))
        }),
        row("get_credit_balance", &[], |i| json(i.get_credit_balance())),
        row("get_environment", &[], |i| {
            json(i.get_environment("environment_ref"))
        }),
        row("get_exec_result", &[], |i| {
            json(i.get_exec_result("sandbox_name", "exec_id"))
        }),
        row("get_factory_line", &[], |i| {
            json(i.get_factory_line("name"))
        }),
        row("get_factory_line_run", &[], |i| {
            json(i.get_factory_line_run("run_id"))
        }),
        row("get_factory_line_run_debug", &[], |i| {
            json(i.get_factory_line_run_debug("run_id"))
        }),
        row("get_factory_line_schedule", &[], |i| {
            json(i.get_factory_line_schedule("name"))
        }),
        row("get_gateway_profile", &[], |i| {
            json(i.get_gateway_profile("profile_id"))
        }),
        row("get_incoming_webhook", &[], |i| {
            json(i.get_incoming_webhook("webhook_id"))
        }),
        row("get_integration_status", &[], |i| {
            json(i.get_integration_status("provider"))
        }),
        row("get_integration_trigger", &[], |i| {
            json(i.get_integration_trigger("provider", "trigger_name"))
        }),
        row("get_job", &[], |i| json(i.get_job("name"))),
        row("get_job_run", &[], |i| {
            json(i.get_job_run("name", "run_id"))
        }),
        row("get_job_run_by_id", &[], |i| {
            json(i.get_job_run_by_id("run_id"))
        }),
        row("get_job_schedule", &[], |i| {
            json(i.get_job_schedule("name"))
        }),
        row("get_job_version", &[], |i| {
            json(i.get_job_version("name", "version_id"))
        }),
        row("get_knowledge", &[], |i| {
            json(i.get_knowledge("identifier"))
        }),
        row("get_knowledge_version", &[], |i| {
            json(i.get_knowledge_version("identifier", 7))
        }),
        row("get_sandbox", &[], |i| json(i.get_sandbox("sandbox_name"))),
        row("get_sandbox_by_id", &[], |i| {
            json(i.get_sandbox_by_id("id"))
        }),
        row("get_snapshot", &[], |i| json(i.get_snapshot("name"))),
        row("get_webhook_delivery", &[], |i| {
            json(i.get_webhook_delivery("webhook_id", "event_id"))
        }),
        row("kill_session", &[], |i| {
            empty(i.kill_session("sandbox_name", "session"))
        }),
        row(
            "list_all_job_runs",
            &[("limit", "5"), ("offset", "10"), ("status", "pending")],
            |i| json(i.list_all_job_runs().limit(5).offset(10).status("pending")),
        ),
        row("list_cloud_roles", &[("type", "gateway")], |i| {
            json(i.list_cloud_roles().type_("gateway"))
        }),
        row("list_connected_integration_triggers", &[], |i| {
            json(i.list_connected_integration_triggers())
        }),
        row("list_container_registries", &[], |i| {
            json(i.list_container_registries())
        }),
        row("list_custom_services", &[], |i| {
            json(i.list_custom_services())
        }),
        row(
            "list_environments",
            &[("limit", "5"), ("offset", "10")],
            |i| json(i.list_environments().limit(5).offset(10)),
        ),
        row(
            "list_factory_line_runs",
            &[
                ("limit", "5"),
                ("offset", "10"),
                ("status", "v-status"),
                ("line_name", "v-line_name"),
            ],
            |i| {
                json(
                    i.list_factory_line_runs()
                        .limit(5)
                        .offset(10)
                        .status("v-status")
                        .line_name("v-line_name"),
                )
            },
        ),
        row(
            "list_factory_line_runs_for_line",
            &[("limit", "5"), ("offset", "10")],
            |i| {
                json(
                    i.list_factory_line_runs_for_line("name")
                        .limit(5)
                        .offset(10),
                )
            },
        ),
        row(
            "list_factory_line_versions",
            &[("limit", "5"), ("offset", "10")],
            |i| json(i.list_factory_line_versions("name").limit(5).offset(10)),
        ),
        row(
            "list_factory_lines",
            &[("limit", "5"), ("offset", "10")],
            |i| json(i.list_factory_lines().limit(5).offset(10)),
        ),
        row("list_gateway_profiles", &[], |i| {
            json(i.list_gateway_profiles())
        }),
        row("list_incoming_webhooks", &[], |i| {
            json(i.list_incoming_webhooks())
        }),
        row("list_inference_models", &[], |i| {
            json(i.list_inference_models())
        }),
        row("list_integration_providers", &[], |i| {
            json(i.list_integration_providers())
        }),
        row("list_integration_triggers", &[], |i| {
            json(i.list_integration_triggers())
        }),
        row("list_integrations", &[], |i| json(i.list_integrations())),
        row("list_job_runs", &[("limit", "5"), ("offset", "10")], |i| {
            json(i.list_job_runs("name").limit(5).offset(10))
        }),
        row(
            "list_job_versions",
            &[("limit", "5"), ("offset", "10")],
            |i| json(i.list_job_versions("name").limit(5).offset(10)),
        ),
        row("list_jobs", &[("limit", "5"), ("offset", "10")], |i| {
            json(i.list_jobs().limit(5).offset(10))
        }),
        row(
            "list_knowledge",
            &[
                ("level", "episodic"),
                ("tag", "v-tag"),
                ("repository", "v-repository"),
                ("q", "v-q"),
                ("cursor", "v-cursor"),
                ("limit", "5"),
            ],
            |i| {
                json(
                    i.list_knowledge()
                        .level("episodic")
                        .tag("v-tag")
                        .repository("v-repository")
                        .q("v-q")
                        .cursor("v-cursor")
                        .limit(5),
                )
            },
        ),
        row(
            "list_knowledge_versions",
            &[("cursor", "v-cursor"), ("limit", "5")],
            |i| {
                json(
                    i.list_knowledge_versions("identifier")
                        .cursor("v-cursor")
                        .limit(5),
                )
            },
        ),
        row(
            "list_sandboxes",
            &[
                ("q", "v-q"),
                ("search", "v-search"),
                ("status", "a"),
                ("status", "b"),
                ("name_prefix", "v-name_prefix"),
                ("created_by", "v-created_by"),
                ("limit", "5"),
                ("offset", "10"),
                ("cursor", "v-cursor"),
            ],
            |i| {
                json(
                    i.list_sandboxes()
                        .q("v-q")
                        .search("v-search")
                        .status(["a", "b"])
                        .name_prefix("v-name_prefix")
                        .created_by("v-created_by")
                        .limit(5)
                        .offset(10)
                        .cursor("v-cursor"),
                )
            },
        ),
        row("list_sessions", &[], |i| {
            json(i.list_sessions("sandbox_name"))
        }),
        row("list_shares", &[], |i| json(i.list_shares("sandbox_name"))),
        row("list_snapshots", &[("limit", "5"), ("offset", "10")], |i| {
            json(i.list_snapshots().limit(5).offset(10))
        }),
        row("list_tenant_compute_regions", &[], |i| {
            json(i.list_tenant_compute_regions())
        }),
        row(
            "list_webhook_deliveries",
            &[
                ("limit", "5"),
                ("offset", "10"),
                ("status", "pending"),
                ("from", "2026-01-02T03:04:05Z"),
                ("to", "2026-01-02T03:04:05Z"),
            ],
            |i| {
                json(
                    i.list_webhook_deliveries("webhook_id")
                        .limit(5)
                        .offset(10)
                        .status("pending")
                        .from(date("2026-01-02T03:04:05Z"))
                        .to(date("2026-01-02T03:04:05Z")),
                )
            },
        ),
        row("pause_sandbox", &[], |i| {
            json(i.pause_sandbox("sandbox_name"))
        }),
        row("reorder_gateway_rules", &[], |i| {
            json(i.reorder_gateway_rules(
                "profile_id",
                body::<types::RuleReorderRequest>("reorder_gateway_rules"),
            ))
        }),
        row("restore_knowledge_version", &[], |i| {
            json(i.restore_knowledge_version(
                "identifier",
                body::<types::KnowledgeRestoreRequest>("restore_knowledge_version"),
            ))
        }),
        row("resume_sandbox", &[], |i| {
            json(i.resume_sandbox("sandbox_name"))
        }),
        row("revoke_share", &[], |i| {
            empty(i.revoke_share("sandbox_name", "share_id"))
        }),
        row("sandbox_creation_events", &[], |i| {
            bytes(i.sandbox_creation_events("sandbox_name"))
        }),
        row("set_default_environment", &[], |i| {
            json(i.set_default_environment("environment_ref"))
        }),
        row("stop_job_run", &[], |i| {
            json(i.stop_job_run(
                "name",
                "run_id",
                body::<types::JobRunStopRequest>("stop_job_run"),
            ))
        }),
        row("stop_sandbox", &[], |i| {
            empty(i.stop_sandbox("sandbox_name"))
        }),
        row("trigger_factory_line_run", &[], |i| {
            json(i.trigger_factory_line_run(
                "name",
                body::<types::LineRunCreate>("trigger_factory_line_run"),
            ))
        }),
        row("trigger_job_run", &[], |i| {
            json(i.trigger_job_run("name", body::<types::JobRunCreate>("trigger_job_run")))
        }),
        row("update_cloud_role", &[], |i| {
            json(i.update_cloud_role(
                "role_id",
                body::<types::CloudRoleUpdate>("update_cloud_role"),
            ))
        }),
        row("update_container_registry", &[], |i| {
            json(i.update_container_registry(
                "id",
                body::<types::ContainerRegistryUpdate>("update_container_registry"),
            ))
        }),
        row("update_environment", &[], |i| {
            json(i.update_environment(
                "environment_ref",
                body::<types::EnvironmentUpdate>("update_environment"),
            ))
        }),
        row("update_factory_line", &[], |i| {
            json(i.update_factory_line("name", body::<types::LineUpdate>("update_factory_line")))
        }),
        row("update_gateway_profile", &[], |i| {
            json(i.update_gateway_profile(
                "profile_id",
                body::<types::GatewayProfileUpdate>("update_gateway_profile"),
            ))
        }),
        row("update_gateway_rule", &[], |i| {
            json(i.update_gateway_rule(
                "profile_id",
                "rule_id",
                body::<types::GatewayRuleUpdate>("update_gateway_rule"),
            ))
        }),
        row("update_incoming_webhook", &[], |i| {
            json(i.update_incoming_webhook(
                "webhook_id",
                body::<types::IncomingWebhookUpdate>("update_incoming_webhook"),
            ))
        }),
        row("update_knowledge", &[], |i| {
            json(i.update_knowledge(
                "identifier",
                body::<types::KnowledgeItemUpdate>("update_knowledge"),
            ))
        }),
        row("upload_archive", &[("path", "/workspace/f.txt")], |i| {
            json(i.upload_archive("sandbox_name", "/workspace/f.txt", FILE.to_vec()))
        }),
        row("upload_file", &[("path", "/workspace/f.txt")], |i| {
            json(i.upload_file("sandbox_name", "/workspace/f.txt", FILE.to_vec()))
        }),
        row("upsert_factory_line_schedule", &[], |i| {
            json(i.upsert_factory_line_schedule(
                "name",
                body::<types::LineScheduleUpsert>("upsert_factory_line_schedule"),
            ))
        }),
        row("validate_factory_line_manifest", &[], |i| {
            empty(i.validate_factory_line_manifest(
                "name",
                body::<types::LineDeployRequest>("validate_factory_line_manifest"),
            ))
        }),
        row("validate_job_manifest", &[], |i| {
            empty(i.validate_job_manifest(
                "name",
                body::<types::JobDeployRequest>("validate_job_manifest"),
            ))
        }),
    ]
}

/// `op`'s path with each `{name}` replaced by the value rows send for it.
fn expected_path(path: &str) -> String {
    path.split('/')
        .map(
            |s| match s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                Some("version_number") => "7".to_string(),
                Some(name) => name.to_string(),
                None => s.to_string(),
            },
        )
        .collect::<Vec<_>>()
        .join("/")
}

/// Whether `req`'s query is exactly `expected` (same pairs, repeated keys in order).
fn same_query(req: &HttpMockRequest, expected: &[(&str, &str)]) -> bool {
    let mut actual = req.query_params();
    let mut want: Vec<(String, String)> = expected
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    actual.sort();
    want.sort();
    actual == want
}

/// Checks one row against its operation; `Err` says what was wrong.
async fn check(row: &Row) -> Result<(), String> {
    let op = islo::meta::operation(row.id).ok_or("not an operation of the spec")?;
    for p in op
        .params
        .iter()
        .filter(|p| p.location == ParamLocation::Query)
    {
        if !row.query.iter().any(|(k, _)| *k == p.name) {
            return Err(format!("the row does not set query parameter `{}`", p.name));
        }
    }
    let control = MockServer::start_async().await;
    let compute = MockServer::start_async().await;
    let (on, other) = match op.plane {
        Plane::Control => (&control, &compute),
        Plane::Compute => (&compute, &control),
    };
    let stray = other
        .mock_async(|_when, then| {
            then.status(421).body("misdirected: the other plane");
        })
        .await;
    let answer = match op.response {
        ResponseBody::Json => {
            Some(islo::mock::example_response(op.id).ok_or("no example answer in the spec")?)
        }
        _ => None,
    };
    let request_body = match op.body {
        RequestBody::Json => {
            Some(islo::mock::example_request(op.id).ok_or("no example request in the spec")?)
        }
        _ => None,
    };
    let query = row.query;
    let path = expected_path(op.path);
    let method = op.method;
    let body_matcher = request_body.clone();
    let multipart = match op.body {
        RequestBody::Multipart { field } => Some(field),
        _ => None,
    };
    let mock = on
        .mock_async(|when, then| {
            let when = when
                .method(method)
                .path(path.clone())
                .header("authorization", "Bearer wire-jwt")
                .is_true(move |req| same_query(req, query));
            let when = match &body_matcher {
                Some(v) => when.json_body(v.clone()),
                None => when,
            };
            if let Some(field) = multipart {
                when.header_includes("content-type", "multipart/form-data")
                    .body_includes(format!("name=\"{field}\""))
                    .body_includes(String::from_utf8_lossy(FILE).to_string());
            }
            match &answer {
                Some(v) => {
                    then.status(200).json_body(v.clone());
                }
                None if op.is_stream() => {
                    then.status(200).body(STREAM);
                }
                None => {
                    then.status(204);
                }
            }
        })
        .await;
    // Anything the mock above did not match lands here, and is described in the failure.
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let log = seen.clone();
    on.mock_async(move |when, then| {
        when.is_true(move |req| {
            log.lock().unwrap().push(format!(
                "{} {} {}",
                req.method(),
                req.uri(),
                String::from_utf8_lossy(req.body().as_ref())
            ));
            true
        });
        then.status(418);
    })
    .await;
    let islo = Islo::builder()
        .ignore_env()
        .session_token("wire-jwt")
        .control_url(control.base_url())
        .compute_url(compute.base_url())
        .max_attempts(1)
        .build()
        .map_err(|e| e.to_string())?;
    let got = (row.call)(&islo).await;
    if stray.calls_async().await > 0 {
        return Err("the request went to the other plane".into());
    }
    if mock.calls_async().await != 1 {
        let seen = seen.lock().unwrap().clone();
        return Err(format!(
            "the request did not match {method} {path} with query {query:?} and body {request_body:?}; received {seen:#?}"
        ));
    }
    let got = got.map_err(|e| format!("the call failed: {e}"))?;
    let want = match answer {
        Some(v) => Got::Json(v),
        None if op.is_stream() => Got::Bytes(STREAM.to_vec()),
        None => Got::Empty,
    };
    if got != want {
        return Err(format!(
            "the answer changed on the way: {got:?} != {want:?}"
        ));
    }
    Ok(())
}

#[tokio::test]
async fn every_operation_over_the_wire() {
    let mut failures = Vec::new();
    for row in rows() {
        if let Err(e) = check(&row).await {
            failures.push(format!("{}: {e}", row.id));
        }
    }
    assert!(
        failures.is_empty(),
        "{} rows failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn every_public_operation_has_exactly_one_row() {
    let rows = rows();
    let mut ids: Vec<&str> = rows.iter().map(|r| r.id).collect();
    ids.sort();
    let before = ids.len();
    ids.dedup();
    assert_eq!(before, ids.len(), "an operation has two rows");
    let public: Vec<&str> = OPERATIONS
        .iter()
        .filter(|o| !o.internal)
        .map(|o| o.id)
        .collect();
    let missing: Vec<&&str> = public.iter().filter(|id| !ids.contains(id)).collect();
    let unknown: Vec<&&str> = ids.iter().filter(|id| !public.contains(id)).collect();
    assert!(missing.is_empty(), "operations without a row: {missing:?}");
    assert!(
        unknown.is_empty(),
        "rows for no public operation: {unknown:?}"
    );
}

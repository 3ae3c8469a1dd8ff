//! Sandbox lifecycle helpers over loopback HTTP: waiting until running and idempotent delete.

mod workflow_support;
use workflow_support::*;

use httpmock::prelude::*;
use httpmock::HttpMockResponse;
use islo::mock::FakeIslo;
use islo::{types, Error, Islo};
use serde_json::json;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

const GET_SANDBOX: &str = "/sandboxes/{sandbox_name}";

async fn create(islo: &Islo, name: &str) -> types::SandboxResponse {
    islo.create_sandbox(types::SandboxCreate {
        name: Some(name.into()),
        ..Default::default()
    })
    .send()
    .await
    .expect("sandbox created")
    .into_inner()
}

fn sandbox_json(status: &str) -> serde_json::Value {
    json!({"id": "id-1", "name": "sb", "image": "ubuntu", "status": status, "created_at": "2026-01-01T00:00:00Z"})
}

#[tokio::test]
async fn wait_until_running_polls_until_the_sandbox_runs() {
    let fake = FakeIslo::builder()
        .sandbox_starting_gets(2)
        .start()
        .await
        .unwrap();
    let islo = client_for(&fake);
    let created = create(&islo, "sb").await;
    assert_eq!(created.status, "starting");
    let sb = islo
        .sandbox("sb")
        .wait_until_running(Duration::from_secs(30))
        .await
        .unwrap();
    assert_eq!(sb.status, "running");
    assert_eq!(sb.name, "sb");
    // two `starting` answers, then `running`.
    assert_eq!(fake.requests("GET", GET_SANDBOX), 3);
}

#[tokio::test]
async fn wait_until_running_returns_at_once_for_a_running_sandbox() {
    let fake = FakeIslo::start().await.unwrap();
    let islo = client_for(&fake);
    create(&islo, "sb").await;
    let sb = islo
        .sandbox("sb")
        .wait_until_running(Duration::from_secs(30))
        .await
        .unwrap();
    assert_eq!(sb.status, "running");
    assert_eq!(fake.requests("GET", GET_SANDBOX), 1);
}

#[tokio::test]
async fn wait_until_running_fails_fast_on_a_terminal_status() {
    let server = MockServer::start_async().await;
    let n = Arc::new(AtomicUsize::new(0));
    let counter = n.clone();
    let get = server
        .mock_async(move |when, then| {
            when.method(GET).path("/sandboxes/sb");
            then.respond_with(move |_| {
                let status = if counter.fetch_add(1, Ordering::SeqCst) == 0 {
                    "starting"
                } else {
                    "failed"
                };
                HttpMockResponse::builder()
                    .status(200)
                    .header("content-type", "application/json")
                    .body(sandbox_json(status).to_string())
                    .build()
            });
        })
        .await;
    let e = mock_client(&server)
        .sandbox("sb")
        .wait_until_running(Duration::from_secs(60))
        .await
        .unwrap_err();
    match &e {
        Error::SandboxState { sandbox, status } => {
            assert_eq!((sandbox.as_str(), status.as_str()), ("sb", "failed"))
        }
        other => panic!("expected SandboxState, got {other:?}"),
    }
    assert_eq!(get.calls_async().await, 2);
}

#[tokio::test]
async fn wait_until_running_fails_on_a_stopped_sandbox_from_the_fake() {
    let fake = FakeIslo::start().await.unwrap();
    let islo = client_for(&fake);
    create(&islo, "sb").await;
    islo.stop_sandbox("sb").send().await.unwrap();
    let e = islo
        .sandbox("sb")
        .wait_until_running(Duration::from_secs(30))
        .await
        .unwrap_err();
    assert!(
        matches!(&e, Error::SandboxState { status, .. } if status == "stopped"),
        "{e:?}"
    );
}

#[tokio::test]
async fn wait_until_running_gives_up_at_the_deadline() {
    let server = MockServer::start_async().await;
    let get = server
        .mock_async(|when, then| {
            when.method(GET).path("/sandboxes/sb");
            then.status(200)
                .header("content-type", "application/json")
                .json_body(sandbox_json("starting"));
        })
        .await;
    let e = mock_client(&server)
        .sandbox("sb")
        .wait_until_running(Duration::from_millis(300))
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Deadline(_)), "{e:?}");
    assert!(get.calls_async().await >= 2, "it polled more than once");
}

#[tokio::test]
async fn wait_until_running_surfaces_not_found() {
    let fake = FakeIslo::start().await.unwrap();
    let islo = client_for(&fake);
    let e = islo
        .sandbox("ghost")
        .wait_until_running(Duration::from_secs(30))
        .await
        .unwrap_err();
    assert!(e.kind() == islo::ErrorKind::NotFound, "{e}");
}

#[tokio::test]
async fn delete_confirms_the_sandbox_is_gone_and_a_second_delete_is_fine() {
    let fake = FakeIslo::start().await.unwrap();
    let islo = client_for(&fake);
    create(&islo, "sb").await;
    fake.reset_counters();
    islo.sandbox("sb").delete().await.unwrap();
    assert!(fake.sandbox_names().is_empty());
    // It asked until the server said the sandbox is gone.
    assert!(fake.requests("GET", GET_SANDBOX) >= 1);
    islo.sandbox("sb").delete().await.unwrap();
    assert_eq!(fake.requests("DELETE", GET_SANDBOX), 2);
}

#[tokio::test]
async fn delete_sandbox_if_exists_surfaces_a_500() {
    let server = MockServer::start_async().await;
    let del = server
        .mock_async(|when, then| {
            when.method(DELETE).path("/sandboxes/sb");
            then.status(500)
                .header("content-type", "application/json")
                .json_body(json!({"code": "INTERNAL", "message": "boom"}));
        })
        .await;
    let e = mock_client(&server)
        .sandbox("sb")
        .delete()
        .await
        .unwrap_err();
    assert_eq!(e.status().map(|s| s.as_u16()), Some(500), "{e}");
    assert_eq!(del.calls_async().await, 1);
}

#[tokio::test]
async fn delete_sandbox_if_exists_surfaces_a_403() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(DELETE).path("/sandboxes/sb");
            then.status(403)
                .header("content-type", "application/json")
                .json_body(json!({"code": "FORBIDDEN", "message": "no"}));
        })
        .await;
    let e = mock_client(&server)
        .sandbox("sb")
        .delete()
        .await
        .unwrap_err();
    assert_eq!(e.status().map(|s| s.as_u16()), Some(403), "{e}");
}

#[tokio::test]
async fn wait_until_running_deadline_bounds_a_request_that_hangs() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/sandboxes/sb");
            then.status(200)
                .header("content-type", "application/json")
                .json_body(sandbox_json("running"))
                .delay(Duration::from_secs(5));
        })
        .await;
    let e = mock_client(&server)
        .sandbox("sb")
        .wait_until_running(Duration::from_millis(200))
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Deadline(_)), "{e:?}");
}

#[tokio::test]
async fn wait_until_running_absorbs_transient_failures_while_polling() {
    let fake = FakeIslo::builder()
        .sandbox_starting_gets(2)
        .start()
        .await
        .expect("fake starts");
    let islo = client_for(&fake).with_max_attempts(1);
    create(&islo, "flaky").await;
    // Every second request now answers 503; the client itself does not retry (1 attempt),
    // so the helper must absorb them.
    fake.fail_every_nth(2);
    let sb = islo
        .sandbox("flaky")
        .wait_until_running(Duration::from_secs(30))
        .await
        .expect("503s while polling are absorbed");
    assert_eq!(sb.status, "running");
    assert!(
        fake.requests("GET", GET_SANDBOX) >= 4,
        "starting, 503, starting, 503, running..."
    );
}

#[tokio::test]
async fn wait_until_running_gives_up_after_five_transient_failures_in_a_row() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET).path("/sandboxes/sb");
            then.status(503)
                .json_body(json!({"code": "RESOURCE_UNAVAILABLE", "message": "busy"}));
        })
        .await;
    let err = mock_client(&server)
        .sandbox("sb")
        .wait_until_running(Duration::from_secs(30))
        .await
        .expect_err("five 503s in a row surface");
    assert_eq!(err.status().map(|s| s.as_u16()), Some(503), "{err}");
    mock.assert_calls_async(5).await;
}

/// A handle that knows its sandbox's id deletes that sandbox only: when the name has since
/// gone to a new sandbox (the old one deleted elsewhere, or by its `delete_after`), a late
/// `delete` leaves the new one alone.
#[tokio::test]
async fn a_late_delete_leaves_a_new_sandbox_that_took_the_name() {
    let fake = FakeIslo::start().await.unwrap();
    let islo = client_for(&fake);
    let old = islo
        .new_sandbox(islo::sandbox::SandboxSpec::new().name("sb"))
        .await
        .unwrap();
    let old_id = old.info().expect("the handle knows its sandbox").id.clone();
    islo.delete_sandbox("sb").send().await.unwrap();
    let newer = create(&islo, "sb").await;
    assert_ne!(newer.id, old_id);
    old.delete().await.unwrap();
    let still = islo.get_sandbox("sb").send().await.unwrap().into_inner();
    assert_eq!(still.id, newer.id, "the new sandbox is still there");
    assert_eq!(
        fake.requests("DELETE", GET_SANDBOX),
        1,
        "only the first delete"
    );
}

/// The server-side lifetime, the last line of defence against a leak, is one setter away,
/// in whole seconds (rounded up) as the API takes it.
#[tokio::test]
async fn a_spec_sets_the_server_side_lifetime_in_seconds() {
    let fake = FakeIslo::start().await.unwrap();
    let islo = client_for(&fake);
    let spec = islo::sandbox::SandboxSpec::new()
        .name("short-lived")
        .delete_after(Duration::from_secs(90 * 60))
        .pause_after_idle(Duration::from_millis(600_001));
    let lifecycle = spec.body().lifecycle.clone().expect("a lifecycle");
    assert_eq!(lifecycle.delete_after, Some(5400));
    assert_eq!(lifecycle.pause_after_idle, Some(601));
    let sb = islo.new_sandbox(spec).await.unwrap();
    let echoed = sb.info().unwrap().lifecycle.clone().expect("echoed back");
    assert_eq!(echoed.delete_after, Some(5400));
}

/// `ensure_sandbox` on a name whose sandbox is being deleted waits until it is gone, then
/// creates the sandbox anew (before, it failed with `SandboxState`).
#[tokio::test]
async fn ensure_sandbox_waits_out_a_delete_then_creates() {
    let server = MockServer::start_async().await;
    let seen = Arc::new(AtomicUsize::new(0));
    let counter = seen.clone();
    let by_name = server
        .mock_async(move |when, then| {
            when.method(GET).path("/sandboxes/sb");
            then.respond_with(move |_| {
                let body = if counter.fetch_add(1, Ordering::SeqCst) == 0 {
                    json!({"id": "id-old", "name": "sb", "image": "ubuntu", "status": "deleting", "created_at": "2026-01-01T00:00:00Z"})
                } else {
                    json!({"id": "id-new", "name": "sb", "image": "ubuntu", "status": "running", "created_at": "2026-01-02T00:00:00Z"})
                };
                HttpMockResponse::builder()
                    .status(200)
                    .header("content-type", "application/json")
                    .body(body.to_string())
                    .build()
            });
        })
        .await;
    let old_gone = server
        .mock_async(|when, then| {
            when.method(GET).path("/sandboxes/-/by-id/id-old");
            then.status(404)
                .json_body(json!({"code": "not_found", "message": "gone"}));
        })
        .await;
    let create = server
        .mock_async(|when, then| {
            when.method(POST).path("/sandboxes");
            then.status(201).json_body(json!({"id": "id-new", "name": "sb", "image": "ubuntu", "status": "starting", "created_at": "2026-01-02T00:00:00Z"}));
        })
        .await;
    let sb = tokio::time::timeout(
        Duration::from_secs(20),
        mock_client(&server).ensure_sandbox(islo::sandbox::SandboxSpec::new().name("sb")),
    )
    .await
    .expect("ends")
    .unwrap();
    assert_eq!(sb.info().unwrap().id, "id-new");
    assert_eq!(create.calls_async().await, 1);
    assert!(old_gone.calls_async().await >= 1);
    assert!(by_name.calls_async().await >= 2);
}

/// `ensure_sandbox` is idempotent: a sandbox it created that is still starting when its
/// deadline passes is left to start (not deleted), and the next call finds the same one.
#[tokio::test]
async fn ensure_sandbox_leaves_a_slow_sandbox_it_created_for_the_next_call() {
    let fake = FakeIslo::builder()
        .sandbox_starting_gets(1_000_000)
        .start()
        .await
        .unwrap();
    let islo = client_for(&fake);
    let spec = || {
        islo::sandbox::SandboxSpec::new()
            .name("slow")
            .wait_timeout(Duration::from_millis(400))
    };
    let first = islo.ensure_sandbox(spec()).await.unwrap_err();
    assert_eq!(first.kind(), islo::ErrorKind::Timeout, "{first:?}");
    // The guard's delete on drop would run on a task: give it the time to.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(fake.requests("DELETE", GET_SANDBOX), 0);
    let still = islo.get_sandbox("slow").send().await.unwrap().into_inner();
    assert_eq!(still.status, "starting");
}

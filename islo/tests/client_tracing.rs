//! The `islo.request` span.

mod client_support;

use client_support::*;
use httpmock::prelude::*;
use serde_json::json;

#[tokio::test]
async fn one_islo_request_span_per_call_with_its_fields() {
    let _lock = TRACE_LOCK.lock().await;
    let key = key("tracing_fields");
    let control = MockServer::start_async().await;
    let compute = MockServer::start_async().await;
    exchange(&control, &key, "tok_tracing_fields_value", None).await;
    get_sandbox_ok(&compute, "box").await;
    control
        .mock_async(|when, then| {
            when.method(GET).path("/environments");
            then.status(200).json_body(json!([]));
        })
        .await;
    let (captured, guard) = capture();
    let islo = builder(&control.base_url(), &compute.base_url(), &key)
        .build()
        .unwrap();
    islo.get_sandbox("box").send().await.unwrap();
    islo.list_environments().send().await.unwrap();
    drop(guard);
    let spans = captured.spans_named("islo.request");
    assert_eq!(spans.len(), 2, "{spans:?}");
    let (get, list) = (&spans[0].fields, &spans[1].fields);
    assert_eq!(get["operation"], "get_sandbox");
    assert_eq!(get["plane"], "Compute");
    assert_eq!(get["status"], "200");
    assert_eq!(get["attempts"], "1");
    assert!(get["duration_ms"].parse::<u64>().is_ok(), "{get:?}");
    assert_eq!(list["operation"], "list_environments");
    assert_eq!(list["plane"], "Control");
    assert_eq!(list["status"], "200");
    let text = captured.all_text();
    assert!(!text.contains(&key), "{text}");
    assert!(!text.contains("tok_tracing_fields_value"), "{text}");
}

#[tokio::test]
async fn span_records_attempts_and_final_status_after_retries() {
    let _lock = TRACE_LOCK.lock().await;
    let key = key("tracing_attempts");
    let control = MockServer::start_async().await;
    let compute = MockServer::start_async().await;
    exchange(&control, &key, "tok_tracing_attempts", None).await;
    compute
        .mock_async(|when, then| {
            when.method(GET).path("/sandboxes/box");
            then.status(503).body("busy");
        })
        .await;
    let (captured, guard) = capture();
    let islo = builder(&control.base_url(), &compute.base_url(), &key)
        .max_attempts(3)
        .build()
        .unwrap();
    islo.get_sandbox("box").send().await.unwrap_err();
    drop(guard);
    let spans = captured.spans_named("islo.request");
    assert_eq!(spans.len(), 1, "{spans:?}");
    assert_eq!(spans[0].fields["status"], "503");
    assert_eq!(spans[0].fields["attempts"], "3");
    assert!(spans[0].fields.contains_key("duration_ms"));
}

/// When a sandbox's delete fails after the work failed, the caller gets the work's error,
/// and the warning about the sandbox left behind names it (an unnamed spec's name is the
/// server's choice: the log is the only place it is told).
#[tokio::test]
async fn a_failed_cleanup_is_logged_with_the_sandbox_name() {
    let _lock = TRACE_LOCK.lock().await;
    let key = key("tracing_cleanup");
    let control = MockServer::start_async().await;
    let compute = MockServer::start_async().await;
    exchange(&control, &key, "tok_tracing_cleanup", None).await;
    compute
        .mock_async(|when, then| {
            when.method(POST).path("/sandboxes");
            then.status(201).json_body(sandbox("srv-chosen-77"));
        })
        .await;
    get_sandbox_ok(&compute, "srv-chosen-77").await;
    compute
        .mock_async(|when, then| {
            when.method(DELETE).path("/sandboxes/srv-chosen-77");
            then.status(500).body("down");
        })
        .await;
    let (captured, guard) = capture();
    let islo = builder(&control.base_url(), &compute.base_url(), &key)
        .max_attempts(1)
        .build()
        .unwrap();
    let r: islo::Result<()> = islo
        .with_sandbox(islo::sandbox::SandboxSpec::new().no_wait(), |_sb| async {
            Err(islo::Error::Unexpected("the work failed".into()))
        })
        .await;
    drop(guard);
    assert!(r.unwrap_err().to_string().contains("the work failed"));
    let text = captured.all_text();
    assert!(text.contains("deleting the sandbox"), "{text}");
    assert!(text.contains("srv-chosen-77"), "{text}");
}

//! `Islo::exec` / `Islo::exec_with`: waiting for a command's result over loopback HTTP,
//! against the in-process fake (`islo::mock::FakeIslo`) and, for exact failure scripts,
//! `httpmock`.

mod workflow_support;
use workflow_support::*;

use httpmock::prelude::*;
use httpmock::HttpMockResponse;
use islo::exec::{ExecOptions, ExecStatus};
use islo::mock::{ExecCall, ExecOutcome, FakeIslo};
use islo::retry::MAX_CONSECUTIVE_POLL_FAILURES;
use islo::ErrorKind;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const EXEC_RESULT: &str = "/sandboxes/{sandbox_name}/exec/{exec_id}";

fn fast() -> ExecOptions {
    ExecOptions::new().poll_interval(Duration::from_millis(2), Duration::from_millis(10))
}

async fn mock_exec_start(server: &MockServer) -> httpmock::Mock<'_> {
    mock_exec_start_after(server, Duration::ZERO).await
}

/// The start of command `e1` in `sb`, answered after `delay`.
async fn mock_exec_start_after(server: &MockServer, delay: Duration) -> httpmock::Mock<'_> {
    server
        .mock_async(|when, then| {
            when.method(POST).path("/sandboxes/sb/exec");
            then.status(200)
                .header("content-type", "application/json")
                .json_body(
                    serde_json::json!({"exec_id": "e1", "sandbox_id": "id-1", "status": "running"}),
                )
                .delay(delay);
        })
        .await
}

fn json_response(status: u16, body: serde_json::Value) -> HttpMockResponse {
    HttpMockResponse::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(body.to_string())
        .build()
}

fn completed_body() -> serde_json::Value {
    serde_json::json!({"exec_id": "e1", "status": "completed", "stdout": "ok\n", "stderr": "", "exit_code": 0, "truncated": false})
}

fn unavailable_body() -> serde_json::Value {
    serde_json::json!({"code": "UNAVAILABLE", "message": "try again"})
}

#[tokio::test]
async fn exec_echo_returns_stdout_and_exit_code_zero() {
    let (_fake, islo) = fake_with_sandbox(FakeIslo::builder()).await;
    let out = islo
        .sandbox("sb")
        .exec_with(["echo", "hello", "world"], fast())
        .await
        .unwrap();
    assert_eq!(out.stdout, "hello world\n");
    assert_eq!(out.stderr, "");
    assert_eq!(out.exit_code, Some(0));
    assert_eq!(out.status, ExecStatus::Completed);
    assert!(!out.wait_timed_out);
    assert!(out.success());
    assert!(!out.exec_id.is_empty());
}

#[tokio::test]
async fn exec_with_default_options_waits_for_the_result() {
    let (_fake, islo) = fake_with_sandbox(FakeIslo::builder()).await;
    let out = islo.sandbox("sb").exec(["echo", "hi"]).await.unwrap();
    assert_eq!(out.stdout, "hi\n");
    assert!(out.success());
}

#[tokio::test]
async fn exec_false_reports_exit_one_and_status_failed() {
    let (_fake, islo) = fake_with_sandbox(FakeIslo::builder()).await;
    let out = islo
        .sandbox("sb")
        .exec_with(["false"], fast())
        .await
        .unwrap();
    assert_eq!(out.exit_code, Some(1));
    assert_eq!(out.status, ExecStatus::Failed);
    assert!(!out.success());
    assert!(!out.wait_timed_out);
}

#[tokio::test]
async fn exec_shell_exit_three_reports_exit_three_and_stderr() {
    let (_fake, islo) = fake_with_sandbox(FakeIslo::builder()).await;
    let out = islo
        .sandbox("sb")
        .exec_with(["sh", "-c", "echo out; echo err >&2; exit 3"], fast())
        .await
        .unwrap();
    assert_eq!(out.exit_code, Some(3));
    assert_eq!(out.status, ExecStatus::Failed);
    assert_eq!(out.stdout, "out\n");
    assert_eq!(out.stderr, "err\n");
}

#[tokio::test]
async fn exec_keeps_polling_while_running_then_returns_completed() {
    let (fake, islo) = fake_with_sandbox(FakeIslo::builder().exec_running_polls(3)).await;
    let out = islo
        .sandbox("sb")
        .exec_with(["echo", "done"], fast())
        .await
        .unwrap();
    assert_eq!(out.status, ExecStatus::Completed);
    assert_eq!(out.stdout, "done\n");
    // three `running` answers, then the terminal one; no poll after it.
    assert_eq!(fake.requests("GET", EXEC_RESULT), 4);
    assert_eq!(fake.requests("POST", "/sandboxes/{sandbox_name}/exec"), 1);
}

#[tokio::test]
async fn exec_without_exit_code_reports_none_and_timeout_status() {
    let (_fake, islo) = fake_with_sandbox(FakeIslo::builder()).await;
    islo_hook_timeout(&_fake);
    let out = islo
        .sandbox("sb")
        .exec_with(["sleep", "999"], fast())
        .await
        .unwrap();
    assert_eq!(out.exit_code, None);
    assert_eq!(out.status, ExecStatus::Timeout);
    assert!(
        !out.wait_timed_out,
        "the server's timeout is not the caller's deadline"
    );
    assert!(!out.success());
}

fn islo_hook_timeout(fake: &FakeIslo) {
    fake.on_exec(|_| ExecOutcome::timeout());
}

#[tokio::test]
async fn exec_deadline_expiry_returns_wait_timed_out_with_running_status() {
    let (fake, islo) = fake_with_sandbox(FakeIslo::builder().exec_running_polls(1_000_000)).await;
    let opts = fast().timeout(Duration::from_millis(150));
    let out = islo
        .sandbox("sb")
        .exec_with(["sleep", "999"], opts)
        .await
        .unwrap();
    assert!(out.wait_timed_out);
    assert_eq!(out.status, ExecStatus::Running);
    assert_eq!(out.exit_code, None);
    assert!(!out.success());
    assert!(
        fake.requests("GET", EXEC_RESULT) >= 2,
        "it polled before giving up"
    );
}

#[tokio::test]
async fn exec_sends_workdir_env_user_and_server_timeout() {
    let (fake, islo) = fake_with_sandbox(FakeIslo::builder()).await;
    let seen: Arc<Mutex<Vec<ExecCall>>> = Arc::default();
    let sink = seen.clone();
    fake.on_exec(move |call| {
        sink.lock().unwrap().push(call.clone());
        ExecOutcome::success("ok\n")
    });
    let opts = fast()
        .workdir("/app")
        .env("RUST_LOG", "debug")
        .env("EMPTY", "")
        .user("builder")
        .server_timeout(Duration::from_secs(30));
    let out = islo
        .sandbox("sb")
        .exec_with(["cargo", "test"], opts)
        .await
        .unwrap();
    assert_eq!(out.stdout, "ok\n");
    let calls = seen.lock().unwrap().clone();
    assert_eq!(calls.len(), 1);
    let call = &calls[0];
    assert_eq!(call.sandbox, "sb");
    assert_eq!(call.command, ["cargo", "test"]);
    assert_eq!(call.workdir.as_deref(), Some("/app"));
    assert_eq!(call.user.as_deref(), Some("builder"));
    assert_eq!(call.timeout_secs, Some(30));
    assert_eq!(call.env.get("RUST_LOG"), Some(&Some("debug".to_string())));
    assert_eq!(call.env.get("EMPTY"), Some(&Some(String::new())));
    assert!(!call.streaming);
}

/// A server-side limit the API takes in whole seconds is rounded up, never down: the
/// command gets at least what was asked (1.5 s is 2 s, not 1 s).
#[tokio::test]
async fn exec_server_timeout_rounds_up_to_whole_seconds() {
    let (fake, islo) = fake_with_sandbox(FakeIslo::builder()).await;
    let seen: Arc<Mutex<Vec<ExecCall>>> = Arc::default();
    let sink = seen.clone();
    fake.on_exec(move |call| {
        sink.lock().unwrap().push(call.clone());
        ExecOutcome::success("")
    });
    for limit in [1500, 200, 3000] {
        let opts = fast().server_timeout(Duration::from_millis(limit));
        islo.sandbox("sb").exec_with(["true"], opts).await.unwrap();
    }
    let sent: Vec<_> = seen
        .lock()
        .unwrap()
        .iter()
        .map(|c| c.timeout_secs)
        .collect();
    assert_eq!(sent, [Some(2), Some(1), Some(3)]);
}

/// The fake never holds a generated file in memory: appending to one larger than its
/// shell prints is refused as `cat` of it is, and the file is left as it was.
#[tokio::test]
async fn the_fake_shell_refuses_to_append_to_a_large_generated_file() {
    let (fake, islo) = fake_with_sandbox(FakeIslo::builder()).await;
    let len = 32 << 20;
    fake.put_generated_file("sb", "/workspace/big", len, 3)
        .unwrap();
    let out = islo
        .sandbox("sb")
        .exec_with(islo::exec::sh("echo x >> /workspace/big"), fast())
        .await
        .unwrap();
    assert_ne!(out.exit_code, Some(0), "{out:?}");
    assert!(out.stderr.contains("big"), "{out:?}");
    let size = islo
        .sandbox("sb")
        .exec_with(islo::exec::sh("echo x >> /workspace/small"), fast())
        .await
        .unwrap();
    assert_eq!(size.exit_code, Some(0), "{size:?}");
    let big = fake.read_file("sb", "/workspace/big").expect("still there");
    assert_eq!(big.len() as u64, len, "the file was left as it was");
    assert!(!big.ends_with(b"x\n"));
}

/// The fake's shell honours a backslash when it splits a script: an escaped `;` or `"` is
/// part of a word, as in a real shell.
#[tokio::test]
async fn the_fake_shell_keeps_escaped_separators_and_quotes() {
    let (_fake, islo) = fake_with_sandbox(FakeIslo::builder()).await;
    for (script, stdout) in [
        (r"echo a\;b", "a;b\n"),
        (r#"echo "x\"; y""#, "x\"; y\n"),
        (r"echo one \&\& echo two", "one && echo two\n"),
        (r"echo 'a\' ; echo b", "a\\\nb\n"),
    ] {
        let out = islo
            .sandbox("sb")
            .exec_with(islo::exec::sh(script), fast())
            .await
            .unwrap();
        assert_eq!(
            (out.stdout.as_str(), out.exit_code),
            (stdout, Some(0)),
            "{script}: {out:?}"
        );
    }
}

#[tokio::test]
async fn exec_reaches_the_builtin_shell_with_env_and_workdir() {
    let (_fake, islo) = fake_with_sandbox(FakeIslo::builder()).await;
    let opts = fast().workdir("/srv").env("GREETING", "hi").user("alice");
    let out = islo
        .sandbox("sb")
        .exec_with(["sh", "-c", "pwd; printenv GREETING; whoami"], opts)
        .await
        .unwrap();
    assert_eq!(out.stdout, "/srv\nhi\nalice\n");
}

#[tokio::test]
async fn exec_absorbs_four_consecutive_503s_while_polling() {
    let server = MockServer::start_async().await;
    let start = mock_exec_start(&server).await;
    let n = Arc::new(AtomicUsize::new(0));
    let counter = n.clone();
    let absorbed = (MAX_CONSECUTIVE_POLL_FAILURES - 1) as usize;
    let poll = server
        .mock_async(move |when, then| {
            when.method(GET).path("/sandboxes/sb/exec/e1");
            then.respond_with(move |_| {
                if counter.fetch_add(1, Ordering::SeqCst) < absorbed {
                    json_response(503, unavailable_body())
                } else {
                    json_response(200, completed_body())
                }
            });
        })
        .await;
    let islo = mock_client(&server);
    let out = islo
        .sandbox("sb")
        .exec_with(["true"], fast())
        .await
        .unwrap();
    assert_eq!(out.status, ExecStatus::Completed);
    assert_eq!(out.stdout, "ok\n");
    assert_eq!(start.calls_async().await, 1);
    assert_eq!(poll.calls_async().await, absorbed + 1);
}

#[tokio::test]
async fn exec_failure_counter_resets_after_a_successful_poll() {
    // 503 ×4, running, 503 ×4, completed: never five in a row, so it succeeds.
    let server = MockServer::start_async().await;
    mock_exec_start(&server).await;
    let n = Arc::new(AtomicUsize::new(0));
    let counter = n.clone();
    let poll = server
        .mock_async(move |when, then| {
            when.method(GET).path("/sandboxes/sb/exec/e1");
            then.respond_with(move |_| match counter.fetch_add(1, Ordering::SeqCst) {
                4 => json_response(
                    200,
                    serde_json::json!({"exec_id": "e1", "status": "running", "stdout": "", "stderr": "", "truncated": false}),
                ),
                9 => json_response(200, completed_body()),
                _ => json_response(503, unavailable_body()),
            });
        })
        .await;
    let islo = mock_client(&server);
    let out = islo
        .sandbox("sb")
        .exec_with(["true"], fast())
        .await
        .unwrap();
    assert_eq!(out.status, ExecStatus::Completed);
    assert_eq!(poll.calls_async().await, 10);
}

#[tokio::test]
async fn exec_surfaces_five_consecutive_503s_as_an_error() {
    let server = MockServer::start_async().await;
    mock_exec_start(&server).await;
    let poll = server
        .mock_async(|when, then| {
            when.method(GET).path("/sandboxes/sb/exec/e1");
            then.status(503)
                .header("content-type", "application/json")
                .json_body(unavailable_body());
        })
        .await;
    let islo = mock_client(&server);
    let err = islo
        .sandbox("sb")
        .exec_with(["true"], fast())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unavailable, "{err}");
    assert_eq!(err.status().map(|s| s.as_u16()), Some(503));
    assert_eq!(
        poll.calls_async().await,
        MAX_CONSECUTIVE_POLL_FAILURES as usize
    );
}

#[tokio::test]
async fn exec_surfaces_a_404_while_polling_at_once() {
    let server = MockServer::start_async().await;
    mock_exec_start(&server).await;
    let poll = server
        .mock_async(|when, then| {
            when.method(GET).path("/sandboxes/sb/exec/e1");
            then.status(404)
                .header("content-type", "application/json")
                .json_body(serde_json::json!({"code": "NOT_FOUND", "message": "exec not found"}));
        })
        .await;
    let islo = mock_client(&server);
    let err = islo
        .sandbox("sb")
        .exec_with(["true"], fast())
        .await
        .unwrap_err();
    assert!(err.kind() == islo::ErrorKind::NotFound, "{err}");
    assert_eq!(poll.calls_async().await, 1);
}

#[tokio::test]
async fn exec_in_a_missing_sandbox_fails_with_not_found() {
    let (fake, islo) = fake_with_sandbox(FakeIslo::builder()).await;
    let err = islo
        .sandbox("nope")
        .exec_with(["true"], fast())
        .await
        .unwrap_err();
    assert!(err.kind() == islo::ErrorKind::NotFound, "{err}");
    assert_eq!(fake.requests("GET", EXEC_RESULT), 0);
}

#[tokio::test]
async fn exec_with_transport_retries_absorbs_503_bursts_against_the_fake() {
    // Every 2nd request fails with 503: with the default retry layer and poll absorption
    // the command still completes.
    let (fake, islo) = fake_with_sandbox(FakeIslo::builder().exec_running_polls(4)).await;
    fake.fail_every_nth(2);
    let out = islo.sandbox("sb").exec_with(["echo", "x"], fast()).await;
    fake.fail_every_nth(0);
    let out = out.unwrap();
    assert_eq!(out.stdout, "x\n");
}

#[tokio::test]
async fn dropping_the_exec_future_stops_polling() {
    let (fake, islo) = fake_with_sandbox(FakeIslo::builder().exec_running_polls(1_000_000)).await;
    let opts = fast();
    let task =
        tokio::spawn(async move { islo.sandbox("sb").exec_with(["sleep", "999"], opts).await });
    // Wait until it is polling.
    for _ in 0..2000 {
        if fake.requests("GET", EXEC_RESULT) >= 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert!(fake.requests("GET", EXEC_RESULT) >= 3, "it started polling");
    task.abort();
    assert!(task.await.unwrap_err().is_cancelled());
    // A request already in flight may still land; after that the count stays put.
    tokio::time::sleep(Duration::from_millis(50)).await;
    let after_abort = fake.requests("GET", EXEC_RESULT);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(fake.requests("GET", EXEC_RESULT), after_abort);
}

#[tokio::test]
async fn exec_deadline_bounds_a_poll_that_hangs() {
    // The result request takes far longer than the deadline: the helper must not wait for it.
    let server = MockServer::start_async().await;
    mock_exec_start(&server).await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/sandboxes/sb/exec/e1");
            then.status(200)
                .header("content-type", "application/json")
                .json_body(completed_body())
                .delay(Duration::from_secs(5));
        })
        .await;
    let islo = mock_client(&server);
    let out = islo
        .sandbox("sb")
        .exec_with(["true"], fast().timeout(Duration::from_millis(200)))
        .await
        .unwrap();
    assert!(out.wait_timed_out, "{out:?}");
    assert_eq!(out.status, ExecStatus::Running);
    assert_eq!(out.exec_id, "e1");
}

/// The wait's timeout counts from the call: a start request that does not answer is cut at
/// the deadline too, with an error that says the command may have started.
#[tokio::test]
async fn exec_deadline_bounds_a_start_that_hangs() {
    let server = MockServer::start_async().await;
    mock_exec_start_after(&server, Duration::from_secs(5)).await;
    let islo = mock_client(&server);
    let started = std::time::Instant::now();
    let err = tokio::time::timeout(
        Duration::from_secs(3),
        islo.sandbox("sb")
            .exec_with(["true"], fast().timeout(Duration::from_millis(200))),
    )
    .await
    .expect("the deadline cuts the start request")
    .unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(3));
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    assert!(err.to_string().contains("may have started"), "{err}");
}

/// A start that is answered late leaves only what is left of the timeout for the wait.
#[tokio::test]
async fn exec_start_time_counts_against_the_wait() {
    let server = MockServer::start_async().await;
    mock_exec_start_after(&server, Duration::from_millis(1000)).await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/sandboxes/sb/exec/e1");
            then.status(200).json_body(serde_json::json!({
                "exec_id": "e1", "status": "running", "stdout": "", "stderr": "", "truncated": false
            }));
        })
        .await;
    let islo = mock_client(&server);
    let started = std::time::Instant::now();
    let out = islo
        .sandbox("sb")
        .exec_with(["sleep", "9"], fast().timeout(Duration::from_millis(1200)))
        .await
        .unwrap();
    assert!(out.wait_timed_out, "{out:?}");
    // 1000 ms start + the 200 ms left (1.2 s), not 1000 + 1200 (2.2 s): the bound sits
    // halfway, so a loaded machine does not fail it.
    assert!(
        started.elapsed() < Duration::from_millis(1700),
        "{:?}",
        started.elapsed()
    );
}

/// A status this SDK version does not know ends the wait when the result carries an exit
/// code: the command exited, whatever the server calls that.
#[tokio::test]
async fn an_unknown_status_with_an_exit_code_ends_the_wait() {
    let server = MockServer::start_async().await;
    mock_exec_start(&server).await;
    let result = server
        .mock_async(|when, then| {
            when.method(GET).path("/sandboxes/sb/exec/e1");
            then.status(200).json_body(serde_json::json!({
                "exec_id": "e1", "status": "cancelled", "exit_code": 137,
                "stdout": "partial", "stderr": "", "truncated": false
            }));
        })
        .await;
    let islo = mock_client(&server);
    let out = tokio::time::timeout(
        Duration::from_secs(10),
        islo.sandbox("sb").exec_with(["sleep", "99"], fast()),
    )
    .await
    .expect("the wait ends")
    .unwrap();
    assert_eq!(out.status, ExecStatus::Unknown("cancelled".into()));
    assert_eq!(out.exit_code, Some(137));
    assert_eq!(out.stdout, "partial");
    assert!(!out.success());
    assert_eq!(result.calls_async().await, 1);
}

/// Without an exit code, an unknown status is polled like a running one, but only
/// [`islo::exec::MAX_UNKNOWN_STATUS_POLLS`] times in a row: a server that keeps answering a
/// status this SDK cannot read does not keep a wait without a timeout going for ever. What
/// was seen is returned, output included.
#[tokio::test]
async fn an_unknown_status_without_an_exit_code_ends_the_wait_after_a_bounded_number_of_polls() {
    let server = MockServer::start_async().await;
    mock_exec_start(&server).await;
    let result = server
        .mock_async(|when, then| {
            when.method(GET).path("/sandboxes/sb/exec/e1");
            then.status(200).json_body(serde_json::json!({
                "exec_id": "e1", "status": "mystery",
                "stdout": "so far", "stderr": "", "truncated": false
            }));
        })
        .await;
    let islo = mock_client(&server);
    let out = tokio::time::timeout(
        Duration::from_secs(30),
        islo.sandbox("sb").exec_with(["sleep", "99"], fast()),
    )
    .await
    .expect("the wait ends")
    .unwrap();
    assert_eq!(out.status, ExecStatus::Unknown("mystery".into()));
    assert_eq!(out.exit_code, None);
    assert_eq!(out.stdout, "so far");
    assert!(!out.wait_timed_out, "no timeout was set");
    assert_eq!(
        result.calls_async().await,
        islo::exec::MAX_UNKNOWN_STATUS_POLLS as usize
    );
}

/// A poll answered 429 with `Retry-After` waits what the server asked before the next one,
/// not the short poll interval (the client makes one attempt per call here, so the wait is
/// the polling's own).
#[tokio::test]
async fn polling_honours_retry_after_of_an_absorbed_failure() {
    let server = MockServer::start_async().await;
    mock_exec_start(&server).await;
    let n = Arc::new(AtomicUsize::new(0));
    let counter = n.clone();
    server
        .mock_async(move |when, then| {
            when.method(GET).path("/sandboxes/sb/exec/e1");
            then.respond_with(move |_| {
                if counter.fetch_add(1, Ordering::SeqCst) == 0 {
                    HttpMockResponse::builder()
                        .status(429)
                        .header("content-type", "application/json")
                        .header("retry-after", "1")
                        .body(r#"{"code":"RATE_LIMITED","message":"slow down"}"#)
                        .build()
                } else {
                    json_response(200, completed_body())
                }
            });
        })
        .await;
    let islo = mock_client(&server);
    let started = std::time::Instant::now();
    let out = islo
        .sandbox("sb")
        .exec_with(["true"], fast())
        .await
        .unwrap();
    assert_eq!(out.status, ExecStatus::Completed);
    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "polled again after {:?}",
        started.elapsed()
    );
}

/// A first poll interval of zero still grows: polling never runs back to back.
#[tokio::test]
async fn a_zero_poll_interval_still_backs_off() {
    let (fake, islo) = fake_with_sandbox(FakeIslo::builder().exec_running_polls(u32::MAX)).await;
    let out = islo
        .sandbox("sb")
        .exec_with(
            ["true"],
            ExecOptions::new()
                .poll_interval(Duration::ZERO, Duration::from_millis(200))
                .timeout(Duration::from_secs(1)),
        )
        .await
        .unwrap();
    assert!(out.wait_timed_out, "{out:?}");
    let polls = fake.requests("GET", EXEC_RESULT);
    assert!(polls < 20, "{polls} polls in one second");
}

/// A poll interval too long for the clock means waiting for the deadline, not polling back
/// to back (the wake-up time overflowed to "now").
#[tokio::test]
async fn a_poll_interval_past_the_clock_waits_instead_of_spinning() {
    let (fake, islo) = fake_with_sandbox(FakeIslo::builder().exec_running_polls(u32::MAX)).await;
    let out = islo
        .sandbox("sb")
        .exec_with(
            ["true"],
            ExecOptions::new()
                .poll_interval(Duration::MAX, Duration::MAX)
                .timeout(Duration::from_millis(500)),
        )
        .await
        .unwrap();
    assert!(out.wait_timed_out, "{out:?}");
    let polls = fake.requests("GET", EXEC_RESULT);
    assert!(polls <= 2, "{polls} polls in half a second");
}

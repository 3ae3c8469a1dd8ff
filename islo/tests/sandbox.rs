//! The `Sandbox` handle against the fake Islo (and httpmock where the fake cannot be told
//! to misbehave): cleanup on every way out, a delete that confirms, the idempotent ensure,
//! background commands re-attached by id, sessions, and transfer progress.

use httpmock::prelude::*;
use islo::exec::{ExecOptions, ExecStatus};
use islo::files::{Direction, Progress};
use islo::mock::{ExecOutcome, FakeIslo};
use islo::sandbox::{SandboxGuard, SandboxSpec, SandboxStatus};
use islo::{Error, ErrorKind, Islo};
use serde_json::json;
use std::sync::{Arc, Mutex};
use std::time::Duration;

async fn fake() -> (FakeIslo, Islo) {
    let fake = FakeIslo::start().await.unwrap();
    let islo = fake.client().unwrap();
    (fake, islo)
}

/// A client of `server` with a static session token.
fn mock_client(server: &MockServer) -> Islo {
    Islo::builder()
        .ignore_env()
        .session_token("t")
        .control_url(server.base_url())
        .compute_url(server.base_url())
        .build()
        .unwrap()
}

/// A 200 answer of sandbox `sb` (id `i-1`) with `status`, for `respond_with`.
fn sandbox_answer(status: &str) -> httpmock::HttpMockResponse {
    httpmock::HttpMockResponse::builder()
        .status(200)
        .header("content-type", "application/json")
        .body(
            json!({"name": "sb", "id": "i-1", "image": "img", "status": status,
                "created_at": "2026-01-01T00:00:00Z"})
            .to_string(),
        )
        .build()
}

/// Waits (without asserting on time) until the fake holds no sandbox.
async fn until_no_sandboxes(fake: &FakeIslo) {
    for _ in 0..200 {
        if fake.sandbox_names().is_empty() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("sandboxes left behind: {:?}", fake.sandbox_names());
}

// ----- cleanup --------------------------------------------------------------------------------

#[tokio::test]
async fn with_sandbox_deletes_after_success() {
    let (fake, islo) = fake().await;
    let inside = fake.clone();
    let out = islo
        .with_sandbox(SandboxSpec::new().name("ok-1"), |sb| async move {
            assert_eq!(inside.sandbox_names(), ["ok-1"]);
            sb.exec(["echo", "hi"]).await
        })
        .await
        .unwrap();
    assert_eq!(out.stdout, "hi\n");
    assert!(fake.sandbox_names().is_empty());
}

#[tokio::test]
async fn with_sandbox_deletes_after_an_error_and_returns_it() {
    let (fake, islo) = fake().await;
    let err = islo
        .with_sandbox(SandboxSpec::new(), |sb| async move {
            sb.exec(["true"]).await?;
            Err::<(), _>(Error::InvalidRequest("the work failed".into()))
        })
        .await
        .unwrap_err();
    assert!(err.to_string().contains("the work failed"), "{err}");
    assert!(fake.sandbox_names().is_empty());
}

#[tokio::test]
async fn with_sandbox_deletes_after_a_panic_and_resumes_it() {
    let (fake, islo) = fake().await;
    let task = tokio::spawn(async move {
        islo.with_sandbox(SandboxSpec::new(), |_sb| async move {
            if true {
                panic!("boom inside the closure");
            }
            Ok::<(), Error>(())
        })
        .await
    });
    let joined = task.await.unwrap_err();
    assert!(joined.is_panic());
    assert!(fake.sandbox_names().is_empty());
}

/// A closure that panics before it returns its future (while it prepares) gets the same:
/// the delete is awaited before the panic goes on, not left to a task on drop.
#[tokio::test]
async fn with_sandbox_deletes_after_a_panic_of_the_closure_itself() {
    let (fake, islo) = fake().await;
    let task = tokio::spawn(async move {
        islo.with_sandbox(
            SandboxSpec::new(),
            |_sb| -> std::future::Ready<Result<(), Error>> { panic!("boom while preparing") },
        )
        .await
    });
    let joined = task.await.unwrap_err();
    assert!(joined.is_panic());
    // Checked at once: a delete handed to a task would not have run yet.
    assert!(
        fake.sandbox_names().is_empty(),
        "{:?}",
        fake.sandbox_names()
    );
}

#[tokio::test]
async fn with_sandbox_deletes_when_its_future_is_dropped() {
    let (fake, islo) = fake().await;
    let (started_tx, started_rx) = tokio::sync::oneshot::channel();
    let task = tokio::spawn(async move {
        islo.with_sandbox(SandboxSpec::new(), |_sb| async move {
            let _ = started_tx.send(());
            std::future::pending::<Result<(), Error>>().await
        })
        .await
    });
    started_rx.await.unwrap();
    assert_eq!(fake.sandbox_names().len(), 1);
    task.abort();
    let _ = task.await;
    until_no_sandboxes(&fake).await;
}

/// The sandbox exists from the moment the create answers, while the call still waits for it
/// to boot: a call dropped then (a `tokio::time::timeout`, a `select!`, Ctrl-C) deletes it,
/// for each of the three ways to create one.
#[tokio::test]
async fn a_sandbox_is_deleted_when_its_creation_is_dropped_during_the_boot_wait() {
    let fake = FakeIslo::builder()
        .sandbox_starting_gets(u32::MAX)
        .start()
        .await
        .unwrap();
    let islo = fake.client().unwrap();
    for (i, way) in ["with_sandbox", "new_sandbox_guarded", "new_sandbox"]
        .into_iter()
        .enumerate()
    {
        let spec = SandboxSpec::new().name(format!("boot-{}", way.len()));
        let waited = tokio::time::timeout(Duration::from_millis(300), async {
            match way {
                "with_sandbox" => islo
                    .with_sandbox(spec, |_| async { Ok::<_, Error>(()) })
                    .await
                    .map(drop),
                "new_sandbox_guarded" => islo.new_sandbox_guarded(spec).await.map(drop),
                _ => islo.new_sandbox(spec).await.map(drop),
            }
        })
        .await;
        assert!(waited.is_err(), "{way}: the boot wait was still going");
        // The sandbox was created, and then deleted.
        assert_eq!(fake.requests("POST", "/sandboxes"), i as u64 + 1, "{way}");
        until_no_sandboxes(&fake).await;
        assert_eq!(
            fake.requests("DELETE", "/sandboxes/{sandbox_name}"),
            i as u64 + 1,
            "{way}"
        );
    }
}

#[tokio::test]
async fn a_guard_dropped_outside_any_runtime_still_deletes() {
    let (fake, islo) = fake().await;
    let guard = islo.new_sandbox_guarded(SandboxSpec::new()).await.unwrap();
    assert_eq!(fake.sandbox_names().len(), 1);
    std::thread::spawn(move || drop(guard)).join().unwrap();
    until_no_sandboxes(&fake).await;
}

#[tokio::test]
async fn a_kept_guard_leaves_the_sandbox() {
    let (fake, islo) = fake().await;
    let guard = islo.new_sandbox_guarded(SandboxSpec::new()).await.unwrap();
    let sb = SandboxGuard::keep(guard);
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(fake.sandbox_names(), [sb.name()]);
    sb.delete().await.unwrap();
    assert!(fake.sandbox_names().is_empty());
}

#[tokio::test]
async fn delete_waits_until_the_server_confirms_the_sandbox_is_gone() {
    let server = MockServer::start_async().await;
    let delete = server
        .mock_async(|when, then| {
            when.method(DELETE).path("/sandboxes/lingering");
            then.status(202);
        })
        .await;
    let seen = Arc::new(std::sync::atomic::AtomicU32::new(0));
    let n = seen.clone();
    let get = server
        .mock_async(move |when, then| {
            when.method(GET).path("/sandboxes/lingering");
            then.respond_with(move |_| {
                // Two more looks show it deleting, then it is gone.
                let i = n.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let (status, body) = if i < 2 {
                    (
                        200,
                        json!({"id": "sb_l", "name": "lingering", "image": "x",
                                 "status": "deleting", "created_at": "2026-01-01T00:00:00Z"}),
                    )
                } else {
                    (404, json!({"code": "NOT_FOUND", "message": "gone"}))
                };
                httpmock::HttpMockResponse::builder()
                    .status(status)
                    .header("content-type", "application/json")
                    .body(body.to_string())
                    .build()
            });
        })
        .await;
    let islo = mock_client(&server);
    islo.sandbox("lingering").delete().await.unwrap();
    assert_eq!(delete.calls_async().await, 1);
    assert_eq!(get.calls_async().await, 3);
}

/// Deleting through a handle that knows only the name: the first sandbox seen under the
/// name after the delete is taken as this one; when the name then shows a sandbox with
/// another id, a new sandbox took it, and this one is gone.
#[tokio::test]
async fn a_name_only_delete_ends_when_a_new_sandbox_takes_the_name() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(DELETE).path("/sandboxes/reused");
            then.status(202);
        })
        .await;
    let seen = Arc::new(std::sync::atomic::AtomicU32::new(0));
    let n = seen.clone();
    server
        .mock_async(move |when, then| {
            when.method(GET).path("/sandboxes/reused");
            then.respond_with(move |_| {
                // Once still deleting, then a new sandbox under the same name.
                let i = n.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let (id, status) = if i < 1 {
                    ("sb_old", "deleting")
                } else {
                    ("sb_new", "running")
                };
                let body = json!({"id": id, "name": "reused", "image": "x",
                                  "status": status, "created_at": "2026-01-01T00:00:00Z"});
                httpmock::HttpMockResponse::builder()
                    .status(200)
                    .header("content-type", "application/json")
                    .body(body.to_string())
                    .build()
            });
        })
        .await;
    let islo = mock_client(&server);
    let deleted = tokio::time::timeout(Duration::from_secs(10), islo.sandbox("reused").delete())
        .await
        .expect("the delete is confirmed once the name shows another sandbox");
    deleted.unwrap();
}

#[tokio::test]
async fn creating_a_sandbox_that_never_runs_does_not_leak_it() {
    let fake = FakeIslo::builder()
        .sandbox_starting_gets(u32::MAX)
        .start()
        .await
        .unwrap();
    let islo = fake.client().unwrap();
    let err = islo
        .new_sandbox(SandboxSpec::new().wait_timeout(Duration::from_millis(300)))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err:?}");
    assert!(fake.sandbox_names().is_empty());
}

// ----- ensure -----------------------------------------------------------------------------------

#[tokio::test]
async fn ensure_sandbox_creates_once_then_reuses_and_resumes() {
    let (fake, islo) = fake().await;
    let spec = || SandboxSpec::new().name("stable");
    let first = islo.ensure_sandbox(spec()).await.unwrap();
    let again = islo.ensure_sandbox(spec()).await.unwrap();
    assert_eq!(first.name(), again.name());
    assert_eq!(fake.requests("POST", "/sandboxes"), 1);
    first.pause().await.unwrap();
    assert_eq!(first.status().await.unwrap(), SandboxStatus::Paused);
    let resumed = islo.ensure_sandbox(spec()).await.unwrap();
    assert_eq!(resumed.status().await.unwrap(), SandboxStatus::Running);
    assert_eq!(fake.requests("POST", "/sandboxes"), 1);
    assert_eq!(fake.requests("POST", "/sandboxes/{sandbox_name}/resume"), 1);
    let unnamed = islo.ensure_sandbox(SandboxSpec::new()).await.unwrap_err();
    assert_eq!(unnamed.kind(), ErrorKind::InvalidRequest);
}

/// The handles the helpers return carry the answer of their wait (`running`), not the create
/// or lookup answer from before it (`starting`, `paused`).
#[tokio::test]
async fn helpers_keep_what_their_wait_saw() {
    let fake = FakeIslo::builder()
        .sandbox_starting_gets(2)
        .start()
        .await
        .unwrap();
    let islo = fake.client().unwrap();
    let created = islo
        .new_sandbox(SandboxSpec::new().name("seen-1"))
        .await
        .unwrap();
    assert_eq!(created.info().map(|i| i.status.as_str()), Some("running"));
    let guarded = islo
        .new_sandbox_guarded(SandboxSpec::new().name("seen-2"))
        .await
        .unwrap();
    assert_eq!(guarded.info().map(|i| i.status.as_str()), Some("running"));
    created.pause().await.unwrap();
    let ensured = islo
        .ensure_sandbox(SandboxSpec::new().name("seen-1"))
        .await
        .unwrap();
    assert_eq!(ensured.info().map(|i| i.status.as_str()), Some("running"));
    guarded.delete().await.unwrap();
}

/// A share's lifetime goes out in whole seconds rounded up: a short one never becomes `0`
/// (which a server may read as "no limit"), and 1.5 s is 2 s.
#[tokio::test]
async fn a_share_ttl_rounds_up_to_whole_seconds() {
    let server = MockServer::start_async().await;
    let mut mocks = Vec::new();
    for ttl in [1, 2] {
        let m = server
            .mock_async(move |when, then| {
                when.method(POST)
                    .path("/sandboxes/sb/shares")
                    .body_includes(format!("\"ttl_seconds\":{ttl}"));
                then.status(200).json_body(json!({
                    "share_id": format!("s{ttl}"), "port": 8080, "url": "https://x.example",
                    "created_at": "2026-01-01T00:00:00Z"
                }));
            })
            .await;
        mocks.push(m);
    }
    let islo = mock_client(&server);
    let sb = islo.sandbox("sb");
    for ttl in [500, 1000, 1500] {
        sb.share(8080, Some(Duration::from_millis(ttl)))
            .await
            .unwrap_or_else(|e| panic!("{ttl} ms: {e}"));
    }
    assert_eq!(mocks[0].calls_async().await, 2);
    assert_eq!(mocks[1].calls_async().await, 1);
}

/// A sandbox that is still pausing is waited for, then resumed: `ensure_sandbox` returns
/// it running instead of failing on the in-between status.
#[tokio::test]
async fn ensure_sandbox_waits_out_a_pause_then_resumes() {
    let server = MockServer::start_async().await;
    let gets = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = gets.clone();
    server
        .mock_async(move |when, then| {
            when.method(GET).path("/sandboxes/sb");
            then.respond_with(move |_| {
                let status = match counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst) {
                    0 | 1 => "pausing",
                    2 => "paused",
                    _ => "running",
                };
                sandbox_answer(status)
            });
        })
        .await;
    let resume = server
        .mock_async(|when, then| {
            when.method(POST).path("/sandboxes/sb/resume");
            then.status(200)
                .json_body(json!({"name": "sb", "id": "i-1", "image": "img",
                "status": "starting", "created_at": "2026-01-01T00:00:00Z"}));
        })
        .await;
    let islo = mock_client(&server);
    let sb = islo
        .ensure_sandbox(
            SandboxSpec::new()
                .name("sb")
                .wait_timeout(Duration::from_secs(20)),
        )
        .await
        .unwrap();
    assert_eq!(resume.calls_async().await, 1);
    assert_eq!(sb.info().map(|i| i.status.as_str()), Some("running"));
}

/// `ensure_sandbox` keeps to one wait timeout in all: the time spent waiting out a pause
/// counts against the wait for `running` that follows the resume.
#[tokio::test]
async fn ensure_sandbox_waits_once_for_its_whole_timeout() {
    let server = MockServer::start_async().await;
    let started = std::time::Instant::now();
    let resumed = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let seen = resumed.clone();
    server
        .mock_async(move |when, then| {
            when.method(GET).path("/sandboxes/sb");
            then.respond_with(move |_| {
                let status = if seen.load(std::sync::atomic::Ordering::SeqCst) {
                    "starting"
                } else if started.elapsed() < Duration::from_millis(1200) {
                    "pausing"
                } else {
                    "paused"
                };
                sandbox_answer(status)
            });
        })
        .await;
    let flag = resumed.clone();
    server
        .mock_async(move |when, then| {
            when.method(POST).path("/sandboxes/sb/resume");
            then.respond_with(move |_| {
                flag.store(true, std::sync::atomic::Ordering::SeqCst);
                sandbox_answer("starting")
            });
        })
        .await;
    let islo = mock_client(&server);
    let timeout = Duration::from_secs(2);
    let err = islo
        .ensure_sandbox(SandboxSpec::new().name("sb").wait_timeout(timeout))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Deadline(_)), "{err:?}");
    assert!(resumed.load(std::sync::atomic::Ordering::SeqCst));
    // The pause ended after about 1.4 s; a second full timeout would end at about 3.4 s.
    let took = started.elapsed();
    assert!(took < timeout + Duration::from_millis(900), "took {took:?}");
}

/// The one timeout also bounds what comes between the waits: a create that is slow to
/// answer counts against the wait for `running` after it.
#[tokio::test]
async fn ensure_sandbox_counts_a_slow_create_against_its_timeout() {
    let server = MockServer::start_async().await;
    let created = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let seen = created.clone();
    server
        .mock_async(move |when, then| {
            when.method(GET).path("/sandboxes/sb");
            then.respond_with(move |_| {
                if !seen.load(std::sync::atomic::Ordering::SeqCst) {
                    return httpmock::HttpMockResponse::builder()
                        .status(404)
                        .header("content-type", "application/json")
                        .body(r#"{"code":"NOT_FOUND","message":"no such sandbox"}"#)
                        .build();
                }
                sandbox_answer("starting")
            });
        })
        .await;
    let flag = created.clone();
    server
        .mock_async(move |when, then| {
            when.method(POST).path("/sandboxes");
            then.respond_with(move |_| {
                std::thread::sleep(Duration::from_millis(1500));
                flag.store(true, std::sync::atomic::Ordering::SeqCst);
                sandbox_answer("starting")
            });
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(DELETE).path("/sandboxes/sb");
            then.status(204);
        })
        .await;
    let islo = mock_client(&server);
    let timeout = Duration::from_secs(2);
    let started = std::time::Instant::now();
    let err = islo
        .ensure_sandbox(SandboxSpec::new().name("sb").wait_timeout(timeout))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Deadline(_)), "{err:?}");
    // The create answered after 1.5 s; a full second timeout after it would end at 3.5 s.
    let took = started.elapsed();
    assert!(took < timeout + Duration::from_millis(900), "took {took:?}");
}

// ----- background commands and sessions ----------------------------------------------------------

#[tokio::test]
async fn a_background_command_is_picked_up_again_by_its_id_from_another_client() {
    let fake = FakeIslo::builder()
        .exec_running_polls(2)
        .start()
        .await
        .unwrap();
    let islo = fake.client().unwrap();
    let sb = islo.new_sandbox(SandboxSpec::new()).await.unwrap();
    fake.on_exec(|_| ExecOutcome::success("built\n"));
    let job = sb.spawn(["make", "all"]).await.unwrap();
    let id = job.id().to_string();
    let sandbox = sb.name().to_string();
    let first = job.poll().await.unwrap();
    assert_eq!(first.status, ExecStatus::Running);

    // Another "process": a new client, knowing only the names.
    let other = fake.client().unwrap();
    let out = other.sandbox(sandbox).exec_handle(id).wait().await.unwrap();
    assert_eq!(out.status, ExecStatus::Completed);
    assert_eq!(out.stdout, "built\n");
    assert_eq!(out.exit_code, Some(0));
}

#[tokio::test]
async fn waiting_for_a_background_command_can_time_out_with_what_was_seen() {
    let fake = FakeIslo::builder()
        .exec_running_polls(u32::MAX)
        .start()
        .await
        .unwrap();
    let islo = fake.client().unwrap();
    let sb = islo.new_sandbox(SandboxSpec::new()).await.unwrap();
    let job = sb.spawn(["sleep", "1000"]).await.unwrap();
    let out = job
        .wait_with(
            ExecOptions::new()
                .timeout(Duration::from_millis(200))
                .poll_interval(Duration::from_millis(10), Duration::from_millis(20)),
        )
        .await
        .unwrap();
    assert!(out.wait_timed_out);
    assert_eq!(out.status, ExecStatus::Running);
    assert!(!out.success());
}

#[tokio::test]
async fn a_session_is_listed_until_it_is_killed() {
    let (_fake, islo) = fake().await;
    let sb = islo.new_sandbox(SandboxSpec::new()).await.unwrap();
    let web = sb
        .start_session("web", islo::exec::sh("python -m http.server 8000"))
        .await
        .unwrap();
    assert_eq!(
        web.status().await.unwrap(),
        Some(islo::exec::SessionStatus::Connected)
    );
    web.kill().await.unwrap();
    assert_eq!(web.status().await.unwrap(), None);
    // Killing a session that is gone is fine.
    web.kill().await.unwrap();
}

// ----- progress -------------------------------------------------------------------------------

#[tokio::test]
async fn upload_dir_reports_file_bytes_read_against_the_tree_total() {
    let (fake, islo) = fake().await;
    let sb = islo.new_sandbox(SandboxSpec::new()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let tree = islo::mock::GeneratedTree::new(40, 3_000_000).seed(5);
    tree.write_to(dir.path()).unwrap();
    // Excluded files count toward neither the bytes nor the total.
    std::fs::write(dir.path().join("skip.log"), vec![b'x'; 500_000]).unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink("d0000", dir.path().join("link")).unwrap();
    let seen: Arc<Mutex<Vec<Progress>>> = Arc::default();
    let sink = seen.clone();
    let tracked = sb.with_progress(move |p| sink.lock().unwrap().push(p));
    let options = islo::archive::ArchiveOptions::new().exclude("*.log");
    tracked
        .upload_dir(dir.path(), "/workspace/tree", options)
        .await
        .unwrap();
    let first = tree.entries().next().unwrap();
    assert_eq!(
        fake.read_file(sb.name(), &format!("/workspace/tree/{}", first.path))
            .map(|d| d.len() as u64),
        Some(first.len)
    );
    let seen = seen.lock().unwrap();
    assert!(seen.len() > 1, "{seen:?}");
    assert!(seen.iter().all(|p| p.direction == Direction::Upload));
    assert!(seen.iter().all(|p| p.total == Some(3_000_000)), "{seen:?}");
    assert!(
        seen.windows(2).all(|w| w[0].bytes <= w[1].bytes),
        "{seen:?}"
    );
    assert!(seen.iter().all(|p| p.bytes <= 3_000_000), "{seen:?}");
    assert_eq!(seen.last().unwrap().bytes, 3_000_000);
}

#[tokio::test]
async fn upload_dir_with_progress_is_retried_after_a_429_and_counts_again() {
    let (fake, islo) = fake().await;
    let sb = islo.new_sandbox(SandboxSpec::new()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let tree = islo::mock::GeneratedTree::new(10, 1_000_000).seed(6);
    tree.write_to(dir.path()).unwrap();
    let seen: Arc<Mutex<Vec<Progress>>> = Arc::default();
    let sink = seen.clone();
    let tracked = sb.with_progress(move |p| sink.lock().unwrap().push(p));
    fake.rate_limit_next(1, Duration::ZERO);
    tracked
        .upload_dir(dir.path(), "/workspace/t", Default::default())
        .await
        .unwrap();
    assert_eq!(
        fake.requests("POST", "/sandboxes/{sandbox_name}/files-archive"),
        2
    );
    let seen = seen.lock().unwrap();
    assert!(seen.iter().all(|p| p.total == Some(1_000_000)), "{seen:?}");
    assert_eq!(seen.last().unwrap().bytes, 1_000_000);
}

#[tokio::test]
async fn transfers_report_their_progress_up_to_the_total() {
    let (fake, islo) = fake().await;
    let sb = islo.new_sandbox(SandboxSpec::new()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let local = dir.path().join("data.bin");
    let data: Vec<u8> = (0..(600 * 1024u32)).map(|i| (i % 251) as u8).collect();
    std::fs::write(&local, &data).unwrap();
    let seen: Arc<Mutex<Vec<Progress>>> = Arc::default();
    let sink = seen.clone();
    let tracked = sb.with_progress(move |p| sink.lock().unwrap().push(p));
    tracked
        .upload_file(&local, "/workspace/data.bin")
        .await
        .unwrap();
    let back = dir.path().join("back.bin");
    let n = tracked
        .download_file("/workspace/data.bin", &back)
        .await
        .unwrap();
    assert_eq!(n as usize, data.len());
    assert_eq!(std::fs::read(&back).unwrap(), data);
    assert_eq!(
        fake.read_file(sb.name(), "/workspace/data.bin").unwrap(),
        data
    );

    let seen = seen.lock().unwrap();
    for direction in [Direction::Upload, Direction::Download] {
        let reports: Vec<&Progress> = seen.iter().filter(|p| p.direction == direction).collect();
        assert!(reports.len() > 1, "{direction:?}: {reports:?}");
        assert!(
            reports.windows(2).all(|w| w[0].bytes < w[1].bytes),
            "{reports:?}"
        );
        let last = reports.last().unwrap();
        assert_eq!(last.bytes, data.len() as u64, "{direction:?}");
        assert_eq!(last.total, Some(data.len() as u64), "{direction:?}");
    }
}

// ----- the fake's shell on the sandbox's files --------------------------------------------------

#[tokio::test]
async fn commands_see_uploaded_files_and_what_earlier_commands_wrote() {
    let (fake, islo) = fake().await;
    let sb = islo.new_sandbox(SandboxSpec::new()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join("project");
    std::fs::create_dir_all(project.join("src")).unwrap();
    std::fs::write(project.join("Cargo.toml"), "[package]\n").unwrap();
    std::fs::write(project.join("src/lib.rs"), "// lib\n").unwrap();
    sb.upload_dir(&project, "/workspace/project", Default::default())
        .await
        .unwrap();

    let ls = sb.exec(["ls", "/workspace/project"]).await.unwrap();
    assert_eq!(ls.stdout, "Cargo.toml\nsrc\n");
    let run = sb
        .exec([
            "sh",
            "-c",
            "cd project && cat src/lib.rs && mkdir -p out && echo passed > out/report.txt \
             && echo 'second line' >> out/report.txt && test -f out/report.txt",
        ])
        .await
        .unwrap();
    assert_eq!(
        (run.exit_code, run.stdout.as_str()),
        (Some(0), "// lib\n"),
        "{run:?}"
    );
    // What the command wrote is a file of the sandbox: the fake, a download and a later
    // command all see it.
    assert_eq!(
        fake.read_file(sb.name(), "/workspace/project/out/report.txt")
            .unwrap(),
        b"passed\nsecond line\n"
    );
    let local = dir.path().join("report.txt");
    sb.download_file("/workspace/project/out/report.txt", &local)
        .await
        .unwrap();
    assert_eq!(
        std::fs::read_to_string(&local).unwrap(),
        "passed\nsecond line\n"
    );
    let out = dir.path().join("out");
    let summary = sb
        .download_dir("/workspace/project/out", &out)
        .await
        .unwrap();
    assert_eq!(summary.files, 1);
    let gone = sb
        .exec(["sh", "-c", "rm -r project/out; ls project/out"])
        .await
        .unwrap();
    assert_eq!(gone.exit_code, Some(2), "{gone:?}");
    assert!(fake
        .read_file(sb.name(), "/workspace/project/out/report.txt")
        .is_none());
    // Each sandbox has its own files.
    let other = islo.new_sandbox(SandboxSpec::new()).await.unwrap();
    let cat = other.exec(["cat", "project/Cargo.toml"]).await.unwrap();
    assert_eq!(cat.exit_code, Some(1), "{cat:?}");
}

/// Environment values (and git sources, setup scripts) are often credentials: the SDK's own
/// option types show the environment's names in `Debug`, never its values.
#[test]
fn debug_shows_environment_names_not_values() {
    let secret = "ghp_s3cr3t_value_in_env";
    let spec = SandboxSpec::new().name("dbg").env("GITHUB_TOKEN", secret);
    let shown = format!("{spec:?} {spec:#?}");
    assert!(shown.contains("GITHUB_TOKEN"), "{shown}");
    assert!(!shown.contains(secret), "{shown}");

    let options = ExecOptions::new().env("API_TOKEN", secret);
    let shown = format!("{options:?}");
    assert!(shown.contains("API_TOKEN"), "{shown}");
    assert!(!shown.contains(secret), "{shown}");
}

//! `Islo::exec_stream`, `Islo::exec_to_writers` and `Islo::sandbox_events` over loopback
//! HTTP: the fake for the normal paths, `httpmock` for exact (and malformed) SSE bodies.

mod workflow_support;
use workflow_support::*;

use futures_util::{StreamExt, TryStreamExt};
use httpmock::prelude::*;
use islo::exec::{ExecEvent, ExecOptions};
use islo::mock::{ExecCall, ExecOutcome, FakeIslo};
use islo::{Error, Islo};
use std::sync::{Arc, Mutex};

/// Serves `body` verbatim as the exec stream of sandbox `sb`.
async fn serve_exec_stream<'a>(server: &'a MockServer, body: &'static [u8]) -> httpmock::Mock<'a> {
    server
        .mock_async(|when, then| {
            when.method(POST).path("/sandboxes/sb/exec/stream");
            then.status(200)
                .header("content-type", "text/event-stream")
                .body(body);
        })
        .await
}

async fn collect(islo: &Islo) -> Vec<islo::Result<ExecEvent>> {
    let stream = islo
        .sandbox("sb")
        .exec_stream(["cmd"], ExecOptions::new())
        .await
        .expect("stream opens");
    stream.collect().await
}

fn ok_events(items: Vec<islo::Result<ExecEvent>>) -> Vec<ExecEvent> {
    items.into_iter().map(|r| r.expect("no error")).collect()
}

#[tokio::test]
async fn exec_stream_yields_typed_events_in_order_then_ends() {
    let (_fake, islo) = fake_with_sandbox(FakeIslo::builder()).await;
    let events: Vec<ExecEvent> = islo
        .sandbox("sb")
        .exec_stream(
            ["sh", "-c", "echo one; echo two; echo oops >&2; exit 4"],
            ExecOptions::new(),
        )
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(
        events,
        vec![
            ExecEvent::Stdout("one\n".into()),
            ExecEvent::Stdout("two\n".into()),
            ExecEvent::Stderr("oops\n".into()),
            ExecEvent::Exit(4),
        ]
    );
}

#[tokio::test]
async fn exec_stream_sends_options_and_marks_the_call_streaming() {
    let (fake, islo) = fake_with_sandbox(FakeIslo::builder()).await;
    let seen: Arc<Mutex<Vec<ExecCall>>> = Arc::default();
    let sink = seen.clone();
    fake.on_exec(move |call| {
        sink.lock().unwrap().push(call.clone());
        ExecOutcome::success("x\n")
    });
    let opts = ExecOptions::new().workdir("/w").env("A", "1").user("u");
    let events: Vec<ExecEvent> = islo
        .sandbox("sb")
        .exec_stream(["run"], opts)
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(events.last(), Some(&ExecEvent::Exit(0)));
    let call = seen.lock().unwrap()[0].clone();
    assert!(call.streaming);
    assert_eq!(call.workdir.as_deref(), Some("/w"));
    assert_eq!(call.user.as_deref(), Some("u"));
    assert_eq!(call.env.get("A"), Some(&Some("1".to_string())));
}

#[tokio::test]
async fn exec_to_writers_copies_output_and_returns_the_exit_code() {
    let (_fake, islo) = fake_with_sandbox(FakeIslo::builder()).await;
    let (mut out, mut err) = (Vec::<u8>::new(), Vec::<u8>::new());
    let code = islo
        .sandbox("sb")
        .exec_to_writers(
            ["sh", "-c", "echo a; echo b >&2; echo c; exit 2"],
            ExecOptions::new(),
            &mut out,
            &mut err,
        )
        .await
        .unwrap();
    assert_eq!(code.exit_code, 2);
    assert!(code.errors.is_empty());
    // Output arrives byte for byte, line endings included (as the real server sends it).
    assert_eq!(String::from_utf8(out).unwrap(), "a\nc\n");
    assert_eq!(String::from_utf8(err).unwrap(), "b\n");
}

#[tokio::test]
async fn exec_to_writers_fails_when_the_stream_has_no_exit() {
    let (fake, islo) = fake_with_sandbox(FakeIslo::builder()).await;
    fake.on_exec(|_| ExecOutcome::timeout());
    let (mut out, mut err) = (Vec::<u8>::new(), Vec::<u8>::new());
    let e = islo
        .sandbox("sb")
        .exec_to_writers(["sleep", "9"], ExecOptions::new(), &mut out, &mut err)
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Stream { .. }), "{e:?}");
    assert!(e.to_string().contains("command timeout"), "{e}");
}

#[tokio::test]
async fn exec_stream_without_exit_ends_with_an_error_carrying_the_last_error_message() {
    let (fake, islo) = fake_with_sandbox(FakeIslo::builder()).await;
    fake.on_exec(|_| ExecOutcome {
        stdout: "partial\n".into(),
        exit_code: None,
        status: "timeout".into(),
        ..Default::default()
    });
    let items = islo
        .sandbox("sb")
        .exec_stream(["x"], ExecOptions::new())
        .await
        .unwrap()
        .collect::<Vec<_>>()
        .await;
    assert_eq!(items.len(), 3, "{items:?}");
    assert_eq!(
        items[0].as_ref().unwrap(),
        &ExecEvent::Stdout("partial\n".into())
    );
    assert_eq!(
        items[1].as_ref().unwrap(),
        &ExecEvent::Error("command timeout".into())
    );
    match &items[2] {
        Err(e @ Error::Stream { .. }) => {
            let m = e.to_string();
            assert!(m.contains("without an exit event"), "{m}");
            assert!(m.contains("command timeout"), "{m}");
        }
        other => panic!("expected Error::Stream, got {other:?}"),
    }
}

#[tokio::test]
async fn exec_stream_error_event_with_a_bearer_token_is_redacted() {
    let (fake, islo) = fake_with_sandbox(FakeIslo::builder()).await;
    fake.on_exec(|_| ExecOutcome {
        exit_code: None,
        status: "failed: Authorization: Bearer sekrit-token-123 rejected".into(),
        ..Default::default()
    });
    let items = islo
        .sandbox("sb")
        .exec_stream(["x"], ExecOptions::new())
        .await
        .unwrap()
        .collect::<Vec<_>>()
        .await;
    let Ok(ExecEvent::Error(m)) = &items[0] else {
        panic!("{items:?}")
    };
    assert!(!m.contains("sekrit-token-123"), "{m}");
    assert!(m.contains("[redacted]"), "{m}");
    let last = items.last().unwrap().as_ref().unwrap_err().to_string();
    assert!(!last.contains("sekrit-token-123"), "{last}");
}

#[tokio::test]
async fn exec_stream_error_event_with_a_jwt_is_redacted_over_httpmock() {
    let server = MockServer::start_async().await;
    serve_exec_stream(
        &server,
        b"event: error\ndata: token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c2VyMTIzIn0.c2lnbmF0dXJlMTIz expired\n\n",
    )
    .await;
    let items = collect(&mock_client(&server)).await;
    let Ok(ExecEvent::Error(m)) = &items[0] else {
        panic!("{items:?}")
    };
    assert!(!m.contains("eyJhbGciOiJIUzI1NiJ9"), "{m}");
    assert!(matches!(items.last().unwrap(), Err(Error::Stream { .. })));
}

#[tokio::test]
async fn exec_stream_in_a_missing_sandbox_fails_with_not_found() {
    let (_fake, islo) = fake_with_sandbox(FakeIslo::builder()).await;
    let e = islo
        .sandbox("nope")
        .exec_stream(["x"], ExecOptions::new())
        .await
        .unwrap_err();
    assert!(e.kind() == islo::ErrorKind::NotFound, "{e}");
}

#[tokio::test]
async fn sse_crlf_line_endings_are_parsed() {
    let server = MockServer::start_async().await;
    serve_exec_stream(&server, b"event: stdout\r\ndata: a\r\n\r\nevent: stderr\r\ndata: b\r\n\r\nevent: exit\r\ndata: 0\r\n\r\n").await;
    let events = ok_events(collect(&mock_client(&server)).await);
    assert_eq!(
        events,
        vec![
            ExecEvent::Stdout("a".into()),
            ExecEvent::Stderr("b".into()),
            ExecEvent::Exit(0)
        ]
    );
}

#[tokio::test]
async fn sse_multi_line_data_is_joined_with_newlines() {
    let server = MockServer::start_async().await;
    serve_exec_stream(
        &server,
        b"event: stdout\ndata: line1\ndata: line2\ndata:\n\nevent: exit\ndata: 0\n\n",
    )
    .await;
    let events = ok_events(collect(&mock_client(&server)).await);
    assert_eq!(
        events,
        vec![
            ExecEvent::Stdout("line1\nline2\n".into()),
            ExecEvent::Exit(0)
        ]
    );
}

#[tokio::test]
async fn sse_comments_and_keep_alives_are_skipped() {
    let server = MockServer::start_async().await;
    serve_exec_stream(
        &server,
        b": keep-alive\n\n:ping\n\nevent: stdout\n: a comment inside an event\ndata: x\n\n: bye\n\nevent: exit\ndata: 7\n\n",
    )
    .await;
    let events = ok_events(collect(&mock_client(&server)).await);
    assert_eq!(
        events,
        vec![ExecEvent::Stdout("x".into()), ExecEvent::Exit(7)]
    );
}

#[tokio::test]
async fn sse_final_event_without_trailing_blank_line_is_dispatched() {
    let server = MockServer::start_async().await;
    serve_exec_stream(&server, b"event: stdout\ndata: x\n\nevent: exit\ndata: 5").await;
    let events = ok_events(collect(&mock_client(&server)).await);
    assert_eq!(
        events,
        vec![ExecEvent::Stdout("x".into()), ExecEvent::Exit(5)]
    );
}

#[tokio::test]
async fn sse_events_after_exit_are_not_yielded() {
    let server = MockServer::start_async().await;
    serve_exec_stream(
        &server,
        b"event: exit\ndata: 0\n\nevent: stdout\ndata: late\n\n",
    )
    .await;
    let events = ok_events(collect(&mock_client(&server)).await);
    assert_eq!(events, vec![ExecEvent::Exit(0)]);
}

#[tokio::test]
async fn sse_unknown_events_are_kept_as_other() {
    let server = MockServer::start_async().await;
    serve_exec_stream(
        &server,
        b"event: progress\ndata: 50%\n\ndata: untyped\n\nevent: exit\ndata: 0\n\n",
    )
    .await;
    let events = ok_events(collect(&mock_client(&server)).await);
    assert_eq!(events.len(), 3, "{events:?}");
    let ExecEvent::Other(p) = &events[0] else {
        panic!("{events:?}")
    };
    assert_eq!((p.event.as_str(), p.data.as_str()), ("progress", "50%"));
    let ExecEvent::Other(m) = &events[1] else {
        panic!("{events:?}")
    };
    assert_eq!((m.event.as_str(), m.data.as_str()), ("message", "untyped"));
    assert_eq!(events[2], ExecEvent::Exit(0));
}

#[tokio::test]
async fn sse_non_numeric_exit_code_is_a_typed_error_and_ends_the_stream() {
    let server = MockServer::start_async().await;
    serve_exec_stream(
        &server,
        b"event: stdout\ndata: x\n\nevent: exit\ndata: zero\n\nevent: exit\ndata: 0\n\n",
    )
    .await;
    let items = collect(&mock_client(&server)).await;
    assert_eq!(items.len(), 2, "{items:?}");
    assert_eq!(items[0].as_ref().unwrap(), &ExecEvent::Stdout("x".into()));
    match &items[1] {
        Err(e @ Error::Stream { .. }) => {
            let m = e.to_string();
            assert!(m.contains("exit") && m.contains("zero"), "{m}")
        }
        other => panic!("expected Error::Stream, got {other:?}"),
    }
}

#[tokio::test]
async fn sse_exit_code_with_surrounding_whitespace_is_accepted() {
    let server = MockServer::start_async().await;
    serve_exec_stream(&server, b"event: exit\ndata:  -1 \n\n").await;
    let events = ok_events(collect(&mock_client(&server)).await);
    assert_eq!(events, vec![ExecEvent::Exit(-1)]);
}

#[tokio::test]
async fn sse_invalid_utf8_is_a_parse_error() {
    let server = MockServer::start_async().await;
    serve_exec_stream(
        &server,
        b"event: stdout\ndata: \xff\xfe\n\nevent: exit\ndata: 0\n\n",
    )
    .await;
    let items = collect(&mock_client(&server)).await;
    assert_eq!(items.len(), 1, "{items:?}");
    assert!(
        matches!(
            items[0],
            Err(Error::Stream {
                reason: islo::StreamError::Read(_),
                ..
            })
        ),
        "{items:?}"
    );
}

#[tokio::test]
async fn sse_empty_body_is_an_error_without_exit() {
    let server = MockServer::start_async().await;
    serve_exec_stream(&server, b"").await;
    let items = collect(&mock_client(&server)).await;
    assert_eq!(items.len(), 1, "{items:?}");
    match &items[0] {
        Err(e @ Error::Stream { .. }) => {
            let m = e.to_string();
            assert!(
                m.contains("without an exit event") && !m.contains("reported"),
                "{m}"
            )
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn exec_stream_http_error_surfaces_before_streaming() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST).path("/sandboxes/sb/exec/stream");
            then.status(409)
                .header("content-type", "application/json")
                .json_body(
                    serde_json::json!({"code": "SANDBOX_INVALID_STATE", "message": "not running"}),
                );
        })
        .await;
    let e = mock_client(&server)
        .sandbox("sb")
        .exec_stream(["x"], ExecOptions::new())
        .await
        .unwrap_err();
    assert_eq!(e.status().map(|s| s.as_u16()), Some(409), "{e}");
}

#[tokio::test]
async fn sandbox_events_follow_creation_from_the_fake() {
    let (fake, islo) = fake_with_sandbox(FakeIslo::builder().sandbox_starting_gets(5)).await;
    let events: Vec<_> = islo
        .sandbox("sb")
        .events()
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(events.len(), 2, "{events:?}");
    assert!(events.iter().all(|e| e.event == "status"));
    assert_eq!(events[0].data["status"], "starting");
    assert_eq!(events[1].data["status"], "running");
    assert_eq!(events[1].data["phase"], "ready");
    assert!(events[1].raw.starts_with('{'));
    assert_eq!(fake.requests("GET", "/sandboxes/{sandbox_name}/events"), 1);
}

/// The creation events of sandbox `sb` from a server that answers `body` as its stream.
async fn sandbox_events_of(body: &'static str) -> Vec<islo::sandbox::SandboxEvent> {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/sandboxes/sb/events");
            then.status(200)
                .header("content-type", "text/event-stream")
                .body(body);
        })
        .await;
    mock_client(&server)
        .sandbox("sb")
        .events()
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap()
}

#[tokio::test]
async fn sandbox_events_keep_non_json_data_as_a_string() {
    let events = sandbox_events_of(": hi\r\n\r\nevent: log\r\ndata: pulling image\r\n\r\nevent: status\r\ndata: {\"status\":\"running\"}").await;
    assert_eq!(events.len(), 2, "{events:?}");
    assert_eq!(events[0].event, "log");
    assert_eq!(
        events[0].data,
        serde_json::Value::String("pulling image".into())
    );
    assert_eq!(events[1].data["status"], "running");
}

/// A creation stream's `error` event that quotes the client's own token (opaque, with no
/// `Bearer ` before it) reaches the caller redacted, in its raw text and in its data, as an
/// exec stream's errors do.
#[tokio::test]
async fn sandbox_error_events_are_redacted() {
    let events = sandbox_events_of(
        "event: error\ndata: {\"message\":\"token jwt-workflow-tests has expired\"}\n\n",
    )
    .await;
    assert_eq!(events.len(), 1, "{events:?}");
    let shown = format!("{:?}", events[0]);
    assert!(!shown.contains("jwt-workflow-tests"), "{shown}");
    assert!(events[0].raw.contains("has expired"), "{shown}");
}

/// Creation events are parsed as JSON, which can take many times an event's size in
/// memory, so their own bound is lower than the generic parser's: an event over
/// `MAX_SANDBOX_EVENT_BYTES` ends the stream with an error, unless the caller raises it.
#[tokio::test]
async fn sandbox_events_have_a_lower_bound_a_caller_can_raise() {
    let server = MockServer::start_async().await;
    let big = format!("[{}0]", "0,".repeat(600 * 1024));
    assert!(big.len() > islo::sandbox::MAX_SANDBOX_EVENT_BYTES);
    let body = format!("event: status\ndata: {big}\n\n");
    server
        .mock_async(|when, then| {
            when.method(GET).path("/sandboxes/sb/events");
            then.status(200)
                .header("content-type", "text/event-stream")
                .body(body);
        })
        .await;
    let islo = mock_client(&server);
    let first = islo.sandbox("sb").events().await.unwrap().next().await;
    let err = first.expect("an item").unwrap_err();
    assert!(matches!(err, Error::Stream { .. }), "{err:?}");
    assert!(err.to_string().contains("limit"), "{err}");
    let raised: Vec<_> = islo
        .sandbox("sb")
        .events_with(4 << 20)
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(raised.len(), 1);
    assert_eq!(
        raised[0].data.as_array().map(Vec::len),
        Some(600 * 1024 + 1)
    );
}

#[tokio::test]
async fn sandbox_events_for_a_missing_sandbox_fail_with_not_found() {
    let (_fake, islo) = fake_with_sandbox(FakeIslo::builder()).await;
    let Err(e) = islo.sandbox("nope").events().await else {
        panic!("expected an error")
    };
    assert!(e.kind() == islo::ErrorKind::NotFound, "{e}");
}

#[tokio::test]
async fn exec_to_writers_keeps_a_bounded_number_of_error_messages_each_bounded() {
    // 10,000 `error` events of 8 KiB each before the exit: kept whole they would be 80 MB.
    let mut body = String::new();
    let long = "e".repeat(8 * 1024);
    for i in 0..10_000 {
        body.push_str(&format!("event: error\ndata: {i} {long}\n\n"));
    }
    body.push_str("event: exit\ndata: 3\n\n");
    let body: &'static [u8] = Box::leak(body.into_bytes().into_boxed_slice());
    let server = MockServer::start_async().await;
    serve_exec_stream(&server, body).await;
    let islo = mock_client(&server);
    let (mut out, mut err) = (Vec::<u8>::new(), Vec::<u8>::new());
    let exit = islo
        .sandbox("sb")
        .exec_to_writers(["cmd"], ExecOptions::new(), &mut out, &mut err)
        .await
        .unwrap();
    assert_eq!(exit.exit_code, 3);
    assert_eq!(exit.errors_seen, 10_000);
    assert_eq!(exit.errors.len(), islo::exec::MAX_KEPT_ERRORS);
    // The first ones are kept, in order, each cut to the message limit.
    assert!(
        exit.errors[0].starts_with("0 eee"),
        "{}",
        &exit.errors[0][..10]
    );
    assert!(exit.errors[1].starts_with("1 eee"));
    for m in &exit.errors {
        assert!(
            m.len() <= islo::exec::MAX_ERROR_MESSAGE_BYTES + 3,
            "{}",
            m.len()
        );
    }
}

/// JSON may spell any character as `\uXXXX`: a creation stream's `error` event that echoes
/// the session token that way does not hold it in its raw text, but would in the data decoded
/// from it. Both the decoded data and the raw text the caller gets are redacted.
#[tokio::test]
async fn sandbox_error_events_echoing_a_secret_with_json_escapes_are_redacted() {
    let events = sandbox_events_of(
        "event: error\ndata: {\"message\":\"token \\u006awt-workflow-tests has expired\"}\n\n",
    )
    .await;
    assert_eq!(events.len(), 1, "{events:?}");
    let shown = format!("{:?}", events[0]);
    assert!(!shown.contains("jwt-workflow-tests"), "{shown}");
    let from_raw: serde_json::Value = serde_json::from_str(&events[0].raw).unwrap();
    assert!(
        !from_raw.to_string().contains("jwt-workflow-tests"),
        "{from_raw}"
    );
    assert!(shown.contains("has expired"), "{shown}");
}

/// The same for an exec stream's `error` event: its JSON text, decoded by the caller, does
/// not give the token back.
#[tokio::test]
async fn exec_stream_error_event_echoing_a_secret_with_json_escapes_is_redacted() {
    let server = MockServer::start_async().await;
    serve_exec_stream(
        &server,
        b"event: error\ndata: {\"message\":\"token \\u006awt-workflow-tests expired\"}\n\n",
    )
    .await;
    let items = collect(&mock_client(&server)).await;
    let Ok(ExecEvent::Error(m)) = &items[0] else {
        panic!("{items:?}")
    };
    let decoded: serde_json::Value = serde_json::from_str(m).unwrap();
    assert!(!decoded.to_string().contains("jwt-workflow-tests"), "{m}");
    assert!(m.contains("expired"), "{m}");
    let last = items.last().unwrap().as_ref().unwrap_err().to_string();
    assert!(!last.contains("jwt-workflow-tests"), "{last}");
    assert!(!last.contains("\\u006awt"), "{last}");
}

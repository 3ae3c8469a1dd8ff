//! Shared helpers for the `client_*` integration tests (loopback HTTP via httpmock).
#![allow(dead_code)]

use httpmock::prelude::*;
use httpmock::{HttpMockResponse, Mock};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// An error's Display followed by every `source()` in its chain.
pub fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(" <- ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}

/// A unique API key per test: the token cache is process-wide and httpmock reuses ports.
pub fn key(test: &str) -> String {
    format!("ak_test_{test}_{}", std::process::id())
}

/// A `TokenResponse` body.
pub fn token_body(token: &str, max_age: Option<u64>) -> Value {
    match max_age {
        Some(age) => json!({ "session_token": token, "cookie_max_age": age }),
        None => json!({ "session_token": token }),
    }
}

/// A valid `SandboxResponse` body.
pub fn sandbox(name: &str) -> Value {
    json!({
        "id": format!("id-{name}"),
        "name": name,
        "image": "ubuntu:24.04",
        "status": "running",
        "created_at": "2025-01-01T00:00:00Z",
    })
}

/// A builder pointed at the two servers, with fast backoff and no environment.
pub fn builder(control: &str, compute: &str, key: &str) -> islo::IsloBuilder {
    islo::Islo::builder()
        .ignore_env()
        .api_key(key)
        .control_url(control)
        .compute_url(compute)
        .retry_backoff(Duration::from_millis(10), Duration::from_millis(50))
}

/// `POST /auth/token` for `key`, answering `token` (long-lived unless `max_age`).
pub async fn exchange<'a>(
    server: &'a MockServer,
    key: &str,
    token: &str,
    max_age: Option<u64>,
) -> Mock<'a> {
    let body = token_body(token, max_age);
    let key = key.to_string();
    server
        .mock_async(move |when, then| {
            when.method(POST)
                .path("/auth/token")
                .json_body(json!({ "access_key": key }));
            then.status(200)
                .header("content-type", "application/json")
                .json_body(body);
        })
        .await
}

/// `POST {prefix}/auth/token` issuing `{token}-1`, `{token}-2`, ... in order.
pub async fn counting_exchange<'a>(
    server: &'a MockServer,
    path: &str,
    token: &str,
    max_age: Option<u64>,
    delay: Duration,
) -> Mock<'a> {
    let n = Arc::new(AtomicUsize::new(0));
    let token = token.to_string();
    let path = path.to_string();
    server
        .mock_async(move |when, then| {
            when.method(POST).path(path);
            then.delay(delay).respond_with(move |_req| {
                let i = n.fetch_add(1, Ordering::SeqCst) + 1;
                HttpMockResponse::builder()
                    .status(200)
                    .header("content-type", "application/json")
                    .body(token_body(&format!("{token}-{i}"), max_age).to_string())
                    .build()
            });
        })
        .await
}

/// `GET /sandboxes/{name}` answering a valid sandbox.
pub async fn get_sandbox_ok<'a>(server: &'a MockServer, name: &str) -> Mock<'a> {
    let body = sandbox(name);
    let path = format!("/sandboxes/{name}");
    server
        .mock_async(move |when, then| {
            when.method(GET).path(path);
            then.status(200)
                .header("content-type", "application/json")
                .json_body(body);
        })
        .await
}

/// Every request a server received, recorded by a mock that never matches. Register it
/// before any other mock (httpmock tries mocks in creation order).
pub type Log = Arc<Mutex<Vec<HttpMockRequest>>>;

pub async fn spy(server: &MockServer) -> Log {
    let log: Log = Arc::default();
    let l = log.clone();
    server
        .mock_async(move |when, _then| {
            when.is_true(move |req: &HttpMockRequest| {
                l.lock().unwrap().push(req.clone());
                false
            });
        })
        .await;
    log
}

pub fn header(req: &HttpMockRequest, name: &str) -> Option<String> {
    req.headers_vec()
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.clone())
}

pub fn path(req: &HttpMockRequest) -> String {
    req.uri().path().to_string()
}

/// Everything a request carried, as text (URI, headers, body).
pub fn request_text(req: &HttpMockRequest) -> String {
    let mut s = format!("{} {}\n", req.method_str(), req.uri_str());
    for (k, v) in req.headers_vec() {
        s.push_str(&format!("{k}: {v}\n"));
    }
    s.push_str(&req.body_string());
    s
}

/// A loopback port with nothing listening (connection refused).
pub fn refused_url() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    drop(l);
    format!("http://127.0.0.1:{port}")
}

/// Polls `f` until it is true (no timing assertion: a hang is the failure mode).
pub async fn until(mut f: impl FnMut() -> bool) {
    while !f() {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

// ---------------------------------------------------------------------------------------------
// Tracing capture
// ---------------------------------------------------------------------------------------------

/// One span as recorded: its name and every field value (Debug-formatted).
#[derive(Debug, Clone, Default)]
pub struct SpanRecord {
    pub name: String,
    pub fields: BTreeMap<String, String>,
}

#[derive(Clone, Default)]
pub struct Captured {
    pub spans: Arc<Mutex<Vec<SpanRecord>>>,
    pub events: Arc<Mutex<Vec<String>>>,
    pub fmt: Arc<Mutex<Vec<u8>>>,
}

impl Captured {
    pub fn spans_named(&self, name: &str) -> Vec<SpanRecord> {
        self.spans
            .lock()
            .unwrap()
            .iter()
            .filter(|s| s.name == name)
            .cloned()
            .collect()
    }
    /// Everything captured as one text: span fields, events, and the fmt output.
    pub fn all_text(&self) -> String {
        let mut s = String::new();
        for sp in self.spans.lock().unwrap().iter() {
            s.push_str(&format!("{sp:?}\n"));
        }
        for e in self.events.lock().unwrap().iter() {
            s.push_str(e);
            s.push('\n');
        }
        s.push_str(&String::from_utf8_lossy(&self.fmt.lock().unwrap()));
        s
    }
}

struct FieldVisitor<'a>(&'a mut BTreeMap<String, String>);

impl tracing::field::Visit for FieldVisitor<'_> {
    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        self.0.insert(field.name().to_string(), value.to_string());
    }
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        self.0
            .insert(field.name().to_string(), format!("{value:?}"));
    }
}

/// Where this span's record lives (the capture active on the thread that created it).
struct SpanSlot(Captured, usize);

thread_local! {
    static SINK: std::cell::RefCell<Option<Captured>> = const { std::cell::RefCell::new(None) };
}

fn current_sink() -> Option<Captured> {
    SINK.with(|s| s.borrow().clone())
}

struct Recorder;

impl<S> tracing_subscriber::Layer<S> for Recorder
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
{
    fn on_new_span(
        &self,
        attrs: &tracing::span::Attributes<'_>,
        id: &tracing::span::Id,
        ctx: tracing_subscriber::layer::Context<'_, S>,
    ) {
        let Some(sink) = current_sink() else { return };
        let mut rec = SpanRecord {
            name: attrs.metadata().name().to_string(),
            fields: BTreeMap::new(),
        };
        attrs.record(&mut FieldVisitor(&mut rec.fields));
        let index = {
            let mut spans = sink.spans.lock().unwrap();
            spans.push(rec);
            spans.len() - 1
        };
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(SpanSlot(sink, index));
        }
    }

    fn on_record(
        &self,
        id: &tracing::span::Id,
        values: &tracing::span::Record<'_>,
        ctx: tracing_subscriber::layer::Context<'_, S>,
    ) {
        let Some(span) = ctx.span(id) else { return };
        let ext = span.extensions();
        let Some(SpanSlot(sink, i)) = ext.get::<SpanSlot>() else {
            return;
        };
        let mut spans = sink.spans.lock().unwrap();
        values.record(&mut FieldVisitor(&mut spans[*i].fields));
    }

    fn on_event(
        &self,
        event: &tracing::Event<'_>,
        _ctx: tracing_subscriber::layer::Context<'_, S>,
    ) {
        let Some(sink) = current_sink() else { return };
        let mut fields = BTreeMap::new();
        event.record(&mut FieldVisitor(&mut fields));
        sink.events
            .lock()
            .unwrap()
            .push(format!("{} {:?}", event.metadata().target(), fields));
    }
}

/// Writes `fmt` output into the capture of the current thread (or nowhere).
struct SinkMaker;
struct SinkWriter(Option<Arc<Mutex<Vec<u8>>>>);

impl std::io::Write for SinkWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Some(b) = &self.0 {
            b.lock().unwrap().extend_from_slice(buf);
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for SinkMaker {
    type Writer = SinkWriter;
    fn make_writer(&'a self) -> Self::Writer {
        SinkWriter(current_sink().map(|c| c.fmt))
    }
}

/// Serialises tests that capture tracing output.
pub static TRACE_LOCK: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Stops capturing on this thread when dropped.
pub struct CaptureGuard(());

impl Drop for CaptureGuard {
    fn drop(&mut self) {
        SINK.with(|s| *s.borrow_mut() = None);
    }
}

/// Captures, on this thread, every span and event at TRACE level plus the output of a `fmt`
/// layer. Use with a current-thread runtime.
///
/// One global subscriber is installed for the whole test binary (a thread-local default
/// would race with concurrent tests over tracing's process-wide callsite-interest cache
/// and miss spans); it records only on threads that are capturing.
pub fn capture() -> (Captured, CaptureGuard) {
    use tracing_subscriber::layer::SubscriberExt as _;
    static INIT: std::sync::Once = std::sync::Once::new();
    INIT.call_once(|| {
        let fmt = tracing_subscriber::fmt::layer()
            .with_writer(SinkMaker)
            .with_span_events(tracing_subscriber::fmt::format::FmtSpan::FULL);
        let subscriber = tracing_subscriber::registry().with(Recorder).with(fmt);
        tracing::subscriber::set_global_default(subscriber)
            .expect("no other global subscriber in the client_* tests");
    });
    let captured = Captured::default();
    SINK.with(|s| *s.borrow_mut() = Some(captured.clone()));
    (captured, CaptureGuard(()))
}

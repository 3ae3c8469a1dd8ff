//! What a hostile server's answers cost in memory, measured by a counting allocator (this
//! binary's only test, so that nothing else allocates meanwhile).

use httpmock::prelude::*;
use islo::Islo;
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

/// The system allocator, counting the bytes in use and their peak.
struct Counting;

static IN_USE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(by: usize) {
    let now = IN_USE.fetch_add(by, Ordering::Relaxed) + by;
    PEAK.fetch_max(now, Ordering::Relaxed);
}

// SAFETY: every call is passed to `System` unchanged; only counters are updated around it.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        IN_USE.fetch_sub(layout.size(), Ordering::Relaxed);
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            IN_USE.fetch_sub(layout.size(), Ordering::Relaxed);
            grew(new_size);
        }
        p
    }
}

#[global_allocator]
static COUNTING: Counting = Counting;

/// An exec stream's `error` event of 12 MiB of tiny JSON values (under the 16 MiB event
/// limit) costs a few times its size, not the ~32× of decoding it into a JSON tree to
/// redact its strings (it peaked at hundreds of MiB per event).
#[tokio::test]
async fn a_huge_json_error_event_costs_a_few_times_its_size() {
    const LEN: usize = 12 << 20;
    let mut data = String::with_capacity(LEN + 2);
    data.push('[');
    while data.len() < LEN {
        data.push_str("0,");
    }
    data.push_str("0]");
    let body = format!("event: error\ndata: {data}\n\n");
    drop(data);
    let server = MockServer::start_async().await;
    server
        .mock_async(move |when, then| {
            when.method(POST).path("/sandboxes/sb/exec/stream");
            then.status(200)
                .header("content-type", "text/event-stream")
                .body(body);
        })
        .await;
    let islo = Islo::builder()
        .ignore_env()
        .session_token("static-token")
        .control_url(server.base_url())
        .compute_url(server.base_url())
        .build()
        .unwrap();
    let before = IN_USE.load(Ordering::Relaxed);
    PEAK.store(before, Ordering::Relaxed);
    let events: Vec<_> = futures_util::StreamExt::collect(
        islo.sandbox("sb")
            .exec_stream(["true"], islo::exec::ExecOptions::new())
            .await
            .unwrap(),
    )
    .await;
    let peak = PEAK.load(Ordering::Relaxed) - before;
    let Some(Ok(islo::exec::ExecEvent::Error(text))) = events.first() else {
        panic!("{:?}", events.first().map(|e| e.as_ref().map(|_| ())));
    };
    assert!(text.len() > LEN, "{}", text.len());
    assert!(
        peak < 8 * LEN,
        "peak {} MiB for a {} MiB event",
        peak >> 20,
        LEN >> 20
    );
}

//! Workloads users wait on, each against its baseline in the same run, interleaved:
//!
//! - `[S]` exec output: 100 MB of command output through the SSE stream, parsed by
//!   `exec_stream` vs read raw with reqwest (throughput ratio, goal >= 0.8); and at a low
//!   rate, the delay from the server writing an event to the caller having it, vs raw
//!   reqwest seeing the same bytes (goal: <= 1 ms over the baseline).
//! - `[F]` fan-out: create, exec and delete 200 sandboxes with 50 in flight against the fake
//!   with 50 ms of latency per request, vs the latency-bound ideal (goal: within 10%); client
//!   CPU and memory per in-flight call.
//!
//! - `[R]` redaction (what every error body and exec `error` event goes through) of 1 MiB
//!   and 16 MiB of hostile text (`bearer x ` repeated, JWT-shaped dotted words) and of plain
//!   log lines, vs one `to_ascii_lowercase` pass over the same text (std's, not ours): the
//!   time of 16 MiB over that of 1 MiB must stay near 16, as a linear pass's does (goal:
//!   at most 20x, or at most 1.25x the growth of the lowercase pass measured in the same
//!   run, since 16 MiB no longer fits in the caches).
//!
//! ```text
//! cargo bench -p islo --bench workloads [-- --rounds N] [--only parse|stream|fanout|redact]
//! ```
//!
//! Nothing asserts on durations: the figures are printed with PASS/MISS against the goals.

mod support;
use support::*;

// The redaction code itself (it depends on std only), compiled into this bench.
#[allow(dead_code, unused_imports)]
#[path = "../src/secret.rs"]
mod secret;

use futures_util::{stream, StreamExt};
use islo::exec::{ExecEvent, ExecOptions};
use islo::mock::FakeIslo;
use islo::sandbox::SandboxSpec;
use islo::Islo;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

fn percentile(mut v: Vec<f64>, p: f64) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    let i = ((v.len() as f64 - 1.0) * p).round() as usize;
    v.get(i).copied().unwrap_or(f64::NAN)
}

/// Process CPU time so far (user + system), from getrusage.
fn cpu() -> Duration {
    // SAFETY: `ru` is a valid, writable rusage.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) } != 0 {
        return Duration::ZERO;
    }
    let t = |tv: libc::timeval| {
        Duration::from_secs(tv.tv_sec as u64) + Duration::from_micros(tv.tv_usec as u64)
    };
    t(ru.ru_utime) + t(ru.ru_stime)
}

// ---------------------------------------------------------------------------------------------
// [S] exec output
// ---------------------------------------------------------------------------------------------

/// `total` bytes of command output framed as the server frames it: events of about `chunk`
/// bytes of 80-column lines, each line a `data:` line, then `exit`.
fn sse_body(total: usize, chunk: usize) -> (Vec<u8>, usize) {
    let line = "x".repeat(79);
    let mut body = Vec::with_capacity(total + total / 10);
    let mut output = 0;
    while output < total {
        body.extend_from_slice(b"event: stdout\n");
        let mut in_event = 0;
        while in_event < chunk && output < total {
            body.extend_from_slice(b"data: ");
            body.extend_from_slice(line.as_bytes());
            body.push(b'\n');
            in_event += 80;
            output += 80;
        }
        // The last line's feed, as an empty data line (see the framing in `islo::exec`).
        body.extend_from_slice(b"data: \n\n");
    }
    body.extend_from_slice(b"event: exit\ndata: 0\n\n");
    (body, output)
}

/// A server answering every request with `body` as an event stream (Content-Length).
async fn serve_body(body: Arc<Vec<u8>>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let body = body.clone();
            tokio::spawn(async move {
                loop {
                    let mut buf = vec![0u8; 64 * 1024];
                    let mut head = Vec::new();
                    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                        match sock.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => head.extend_from_slice(&buf[..n]),
                        }
                    }
                    let text = String::from_utf8_lossy(&head).to_ascii_lowercase();
                    let len = text
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length:"))
                        .and_then(|v| v.trim().parse::<usize>().ok())
                        .unwrap_or(0);
                    let end = head.windows(4).position(|w| w == b"\r\n\r\n").unwrap_or(0) + 4;
                    let mut have = head.len() - end;
                    while have < len {
                        match sock.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => have += n,
                        }
                    }
                    let resp = format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncontent-length: {}\r\n\r\n",
                        body.len()
                    );
                    if sock.write_all(resp.as_bytes()).await.is_err()
                        || sock.write_all(&body).await.is_err()
                    {
                        return;
                    }
                }
            });
        }
    });
    url
}

/// A server that, for every request, writes one event every `every`, carrying the time it
/// was written (ns since `epoch`), `count` times, then `exit`.
async fn serve_ticks(epoch: Instant, every: Duration, count: usize) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = vec![0u8; 16 * 1024];
                let _ = sock.read(&mut buf).await;
                let head = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n";
                if sock.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                let mut tick = tokio::time::interval(every);
                for _ in 0..count {
                    tick.tick().await;
                    let ev = format!("event: stdout\ndata: {}\n\n", epoch.elapsed().as_nanos());
                    let chunk = format!("{:x}\r\n{ev}\r\n", ev.len());
                    if sock.write_all(chunk.as_bytes()).await.is_err() {
                        return;
                    }
                }
                let ev = "event: exit\ndata: 0\n\n";
                let _ = sock
                    .write_all(format!("{:x}\r\n{ev}\r\n0\r\n\r\n", ev.len()).as_bytes())
                    .await;
            });
        }
    });
    url
}

fn client(url: &str) -> Islo {
    Islo::builder()
        .ignore_env()
        .session_token("bench-token")
        .control_url(url)
        .compute_url(url)
        .build()
        .unwrap()
}

/// islo: every event through `exec_stream`; returns output bytes received.
async fn islo_stream(islo: &Islo) -> usize {
    let mut events = islo
        .sandbox("sb")
        .exec_stream(["cat", "big"], ExecOptions::new())
        .await
        .unwrap();
    let mut n = 0;
    while let Some(ev) = events.next().await {
        match ev.unwrap() {
            ExecEvent::Stdout(s) => n += s.len(),
            ExecEvent::Exit(_) => break,
            _ => {}
        }
    }
    n
}

/// The baseline: the same request with raw reqwest, reading the body's bytes.
async fn raw_stream(http: &reqwest::Client, url: &str) -> usize {
    let resp = http
        .post(format!("{url}/sandboxes/sb/exec/stream"))
        .header("authorization", "Bearer bench-token")
        .json(&serde_json::json!({"command": ["cat", "big"]}))
        .send()
        .await
        .unwrap();
    let mut body = resp.bytes_stream();
    let mut n = 0;
    while let Some(chunk) = body.next().await {
        n += chunk.unwrap().len();
    }
    n
}

async fn stream_section() {
    let rounds = arg_usize("--rounds", 7).max(1);
    let (body, output) = sse_body(100 * 1000 * 1000, 4096);
    let wire_bytes = body.len();
    println!(
        "\n[S1] exec output throughput: {:.0} MB of output ({:.0} MB on the wire, events of ~4 KiB of 80-column lines), {rounds} rounds each, interleaved",
        output as f64 / 1e6,
        wire_bytes as f64 / 1e6
    );
    let url = serve_body(Arc::new(body)).await;
    let islo = client(&url);
    let http = reqwest::Client::new();
    // Warm both connections.
    raw_stream(&http, &url).await;
    islo_stream(&islo).await;
    let (mut islo_mbps, mut raw_mbps, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    let mut cores = [Vec::new(), Vec::new()];
    for round in 0..rounds {
        let mut pair = [0.0f64; 2];
        for side in [round % 2, 1 - round % 2] {
            let cpu_before = cpu();
            let t = Instant::now();
            let n = if side == 0 {
                raw_stream(&http, &url).await
            } else {
                islo_stream(&islo).await
            };
            let secs = t.elapsed().as_secs_f64();
            cores[side].push(cpu().saturating_sub(cpu_before).as_secs_f64() / secs);
            // Both rates in MB of wire bytes per second (the same bytes either way).
            let rate = wire_bytes as f64 / secs / 1e6;
            pair[side] = rate;
            if side == 1 {
                assert_eq!(n, output, "islo received all the output");
            }
        }
        raw_mbps.push(pair[0]);
        islo_mbps.push(pair[1]);
        ratios.push(pair[1] / pair[0]);
    }
    let r = median(ratios.clone());
    println!(
        "  raw reqwest {:.0} MB/s, exec_stream {:.0} MB/s (medians); ratio {:.3} (paired median; min {:.3}, max {:.3}) goal >= 0.8: {}",
        median(raw_mbps),
        median(islo_mbps),
        r,
        ratios.iter().cloned().fold(f64::INFINITY, f64::min),
        ratios.iter().cloned().fold(0.0, f64::max),
        pass(r >= 0.8)
    );
    println!(
        "  process CPU (server, reader and consumer together) while streaming: raw {:.2} cores, exec_stream {:.2} cores (medians, of 2)",
        median(cores[0].clone()),
        median(cores[1].clone())
    );

    let count = arg_usize("--ticks", 400);
    let every = Duration::from_millis(5);
    println!(
        "\n[S2] exec output latency at a low rate: {count} events, one every {} ms; delay from the server's write to the caller",
        every.as_millis()
    );
    let epoch = Instant::now();
    let url = serve_ticks(epoch, every, count).await;
    let islo = client(&url);
    let mut raw_delays = Vec::new();
    let mut islo_delays = Vec::new();
    for round in 0..2 {
        for side in [round % 2, 1 - round % 2] {
            if side == 0 {
                let resp = http
                    .post(format!("{url}/sandboxes/sb/exec/stream"))
                    .json(&serde_json::json!({"command": ["x"]}))
                    .send()
                    .await
                    .unwrap();
                let mut body = resp.bytes_stream();
                while let Some(chunk) = body.next().await {
                    let now = epoch.elapsed().as_nanos() as f64;
                    let text = String::from_utf8_lossy(&chunk.unwrap()).to_string();
                    for line in text.lines() {
                        if let Some(t) = line
                            .strip_prefix("data: ")
                            .and_then(|v| v.parse::<f64>().ok())
                        {
                            raw_delays.push((now - t) / 1e3);
                        }
                    }
                }
            } else {
                let mut events = islo
                    .sandbox("sb")
                    .exec_stream(["x"], ExecOptions::new())
                    .await
                    .unwrap();
                while let Some(ev) = events.next().await {
                    let now = epoch.elapsed().as_nanos() as f64;
                    match ev.unwrap() {
                        ExecEvent::Stdout(s) => {
                            if let Ok(t) = s.trim().parse::<f64>() {
                                islo_delays.push((now - t) / 1e3);
                            }
                        }
                        ExecEvent::Exit(_) => break,
                        _ => {}
                    }
                }
            }
        }
    }
    let (rp50, rp99) = (
        percentile(raw_delays.clone(), 0.5),
        percentile(raw_delays, 0.99),
    );
    let (ip50, ip99) = (
        percentile(islo_delays.clone(), 0.5),
        percentile(islo_delays, 0.99),
    );
    println!(
        "  raw reqwest p50 {rp50:.0} µs p99 {rp99:.0} µs; exec_stream p50 {ip50:.0} µs p99 {ip99:.0} µs; over the baseline: p50 {:+.0} µs, p99 {:+.0} µs; goal <= 1000 µs: {}",
        ip50 - rp50,
        ip99 - rp99,
        pass(ip99 - rp99 <= 1000.0 && ip50 - rp50 <= 1000.0)
    );
}

// ---------------------------------------------------------------------------------------------
// [F] fan-out
// ---------------------------------------------------------------------------------------------

async fn fanout_section() {
    let sandboxes = arg_usize("--sandboxes", 200);
    let in_flight = arg_usize("--in-flight", 50);
    let latency = Duration::from_millis(arg_usize("--latency-ms", 50) as u64);
    println!(
        "\n[F] fan-out: create, exec and delete {sandboxes} sandboxes, {in_flight} in flight, {} ms per request at the fake",
        latency.as_millis()
    );
    let fake = FakeIslo::builder().worker_threads(2).start().await.unwrap();
    let islo = fake.client().unwrap();
    // Warm the token (the exchange is not part of the workload).
    islo.list_environments().await.unwrap();
    fake.set_latency(latency);
    fake.reset_counters();
    let rss_before = status_kb("VmRSS:");
    let peak = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let cpu_before = cpu();
    let started = Instant::now();
    let results: Vec<islo::Result<()>> = stream::iter(0..sandboxes)
        .map(|_| {
            let islo = islo.clone();
            let peak = peak.clone();
            async move {
                let sb = islo.new_sandbox(SandboxSpec::new()).await?;
                let out = sb.exec(["true"]).await?;
                assert!(out.success());
                peak.fetch_max(status_kb("VmRSS:"), std::sync::atomic::Ordering::Relaxed);
                sb.delete().await
            }
        })
        .buffer_unordered(in_flight)
        .collect()
        .await;
    let wall = started.elapsed();
    let cpu_used = cpu().saturating_sub(cpu_before);
    fake.set_latency(Duration::ZERO);
    let errors = results.iter().filter(|r| r.is_err()).count();
    let requests = fake.total_requests();
    let per_sandbox = requests as f64 / sandboxes as f64;
    // Each sandbox's requests are sequential; `in_flight` chains run at once.
    let waves = (sandboxes as f64 / in_flight as f64).ceil();
    let ideal = latency.as_secs_f64() * per_sandbox * waves;
    let ratio = wall.as_secs_f64() / ideal;
    let peak_kb = peak.load(std::sync::atomic::Ordering::Relaxed);
    println!(
        "  {requests} requests ({per_sandbox:.1} per sandbox), {errors} errors; wall {:.2} s, latency-bound ideal {ideal:.2} s: ratio {ratio:.3}, goal <= 1.10: {}",
        wall.as_secs_f64(),
        pass(ratio <= 1.10 && errors == 0)
    );
    println!(
        "  process CPU {:.0} µs per request (client and fake together); memory: RSS {:+} kB at peak, {:.1} kB per in-flight sandbox",
        cpu_used.as_secs_f64() * 1e6 / requests.max(1) as f64,
        peak_kb as i64 - rss_before as i64,
        (peak_kb.saturating_sub(rss_before)) as f64 / in_flight as f64
    );
    assert!(fake.sandbox_names().is_empty(), "every sandbox was deleted");
}

/// Where the stream's time goes: the parser alone on the same bytes, in memory (no
/// network), next to a plain copy of them.
fn parse_section() {
    let (body, output) = sse_body(100 * 1000 * 1000, 4096);
    println!("\n[S0] the SSE parser alone, in memory, 16 KiB chunks (diagnostic, no goal)");
    let mut best_parse = f64::MAX;
    let mut best_copy = f64::MAX;
    for _ in 0..3 {
        let t = Instant::now();
        let mut parser = islo::sse::SseParser::new();
        let mut n = 0;
        for chunk in body.chunks(16 * 1024) {
            for ev in parser.push(chunk).unwrap() {
                if let Ok(ExecEvent::Stdout(s)) = islo::exec::exec_event(ev) {
                    n += s.len();
                }
            }
        }
        assert_eq!(n, output);
        best_parse = best_parse.min(t.elapsed().as_secs_f64());
        let t = Instant::now();
        let mut copy = Vec::with_capacity(16 * 1024);
        let mut sum = 0usize;
        for chunk in body.chunks(16 * 1024) {
            copy.clear();
            copy.extend_from_slice(chunk);
            sum += std::hint::black_box(&copy).len();
        }
        assert_eq!(sum, body.len());
        best_copy = best_copy.min(t.elapsed().as_secs_f64());
    }
    let mbps = |secs: f64| body.len() as f64 / secs / 1e6;
    println!(
        "  parse + exec_event {:.0} MB/s ({:.2} ns/byte); copy {:.0} MB/s ({:.2} ns/byte)",
        mbps(best_parse),
        best_parse * 1e9 / body.len() as f64,
        mbps(best_copy),
        best_copy * 1e9 / body.len() as f64
    );
}

/// `[R]`: redaction time against input size, for hostile and plain text.
fn redact_section() {
    println!("\n[R] redaction of hostile and plain text, 1 MiB vs 16 MiB (best of 3), vs to_ascii_lowercase");
    let inputs: [(&str, &str); 3] = [
        ("`bearer x ` repeated", "bearer x "),
        (
            "JWT-shaped words",
            "eyJhbGciOi.eyJzdWIiOi.c2lnbmF0dXJl x.eyJ.a.b ",
        ),
        (
            "plain log lines",
            "2026-12-01T12:00:00Z INFO step 42 of the build finished in 3.2 s\n",
        ),
    ];
    let time = |f: &dyn Fn() -> usize| {
        let mut best = f64::MAX;
        for _ in 0..3 {
            let t = Instant::now();
            std::hint::black_box(f());
            best = best.min(t.elapsed().as_secs_f64());
        }
        best
    };
    for (name, unit) in inputs {
        let small = unit.repeat((1 << 20) / unit.len());
        let large = unit.repeat((16 << 20) / unit.len());
        let r_small = time(&|| secret::redact_credentials(&small).len());
        let r_large = time(&|| secret::redact_credentials(&large).len());
        let b_small = time(&|| small.to_ascii_lowercase().len());
        let b_large = time(&|| large.to_ascii_lowercase().len());
        let growth = r_large / r_small;
        let base_growth = b_large / b_small;
        let linear = growth <= 20.0 || growth <= 1.25 * base_growth;
        println!(
            "  {name:<22} redact {:6.2} ms / {:7.2} ms ({:.2} ns/byte at 16 MiB), 16 MiB/1 MiB {growth:5.1}x (lowercase {base_growth:4.1}x); time vs lowercase {:4.1}x; linear: {}",
            r_small * 1e3,
            r_large * 1e3,
            r_large * 1e9 / large.len() as f64,
            r_large / b_large,
            if linear { "PASS" } else { "MISS" }
        );
    }

    // A token the token endpoint chose long (up to the 64 KiB an exchange answer may hold),
    // and a JSON error body of 16 strings that each hold all of it but its last byte: each
    // string is checked for the token and for a cut-off start of it at its end.
    println!("  the client's own token, 4 KiB vs 64 KiB long, echoed cut off in 16 JSON strings (1 MiB body at 64 KiB):");
    let body_for = |len: usize| {
        let token = secret::Secret::new("a".repeat(len));
        let near = format!("{}b", "a".repeat(len - 2));
        let body = serde_json::to_string(&vec![near; 16]).unwrap();
        (token, body)
    };
    let (short_token, short_body) = body_for(4 << 10);
    let (long_token, long_body) = body_for(64 << 10);
    let r_short =
        time(&|| secret::redact_text(&short_body, |t| secret::redact(t, &[&short_token])).len());
    let r_long =
        time(&|| secret::redact_text(&long_body, |t| secret::redact(t, &[&long_token])).len());
    let growth = r_long / r_short;
    println!(
        "  long token             redact {:6.2} ms / {:7.2} ms, 16x the input -> {growth:5.1}x the time; linear (<= 40x): {}",
        r_short * 1e3,
        r_long * 1e3,
        if growth <= 40.0 { "PASS" } else { "MISS" }
    );
}

fn main() {
    if only("parse") {
        parse_section();
    }
    if only("redact") {
        redact_section();
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        if only("stream") {
            stream_section().await;
        }
        if only("fanout") {
            fanout_section().await;
        }
    });
}

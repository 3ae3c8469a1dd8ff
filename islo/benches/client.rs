//! Client overhead benchmark: the `islo` client against a raw-reqwest floor, interleaved in
//! one run, plus token-cache, refresh, memory and streaming-upload measurements.
//!
//! ```text
//! cargo bench -p islo --bench client -- --requests 20000 --concurrency 64
//! ```
//!
//! `--quick` runs only the floor/islo comparison; `--side floor|islo` only one side of it;
//! `--rounds N` sets the rounds per side (default 31); `--workers N` the client runtime's
//! worker threads (default: one per core). Nothing here asserts on durations: goals are printed as
//! PASS/MISS, with a bootstrap interval that shows how much one run's ratio can be trusted.

mod support;
use support::*;

use islo::mock::FakeIslo;
use islo::{types, Islo};
use std::collections::HashMap;
use std::io::Write as _;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const SANDBOX: &str = "bench";

/// Counts live heap bytes (and their peak) so that per-client memory can be measured
/// exactly, next to the RSS deltas the kernel reports.
struct Counting;

static LIVE: std::sync::atomic::AtomicI64 = std::sync::atomic::AtomicI64::new(0);
/// Counting is switched on only around the memory sections, so that the atomic counters do
/// not tax the allocations of the throughput rounds (islo allocates more than the floor).
static COUNTING: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
static PEAK: std::sync::atomic::AtomicI64 = std::sync::atomic::AtomicI64::new(0);

unsafe impl std::alloc::GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        let p = unsafe { std::alloc::System.alloc(layout) };
        if !p.is_null() && COUNTING.load(Ordering::Relaxed) {
            let now =
                LIVE.fetch_add(layout.size() as i64, Ordering::Relaxed) + layout.size() as i64;
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: std::alloc::Layout) {
        unsafe { std::alloc::System.dealloc(ptr, layout) };
        if COUNTING.load(Ordering::Relaxed) {
            LIVE.fetch_sub(layout.size() as i64, Ordering::Relaxed);
        }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: std::alloc::Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { std::alloc::System.realloc(ptr, layout, new_size) };
        if !p.is_null() && COUNTING.load(Ordering::Relaxed) {
            let delta = new_size as i64 - layout.size() as i64;
            let now = LIVE.fetch_add(delta, Ordering::Relaxed) + delta;
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

fn live_heap() -> i64 {
    LIVE.load(Ordering::Relaxed)
}

fn reset_peak_heap() -> i64 {
    let now = live_heap();
    PEAK.store(now, Ordering::Relaxed);
    now
}

fn peak_heap() -> i64 {
    PEAK.load(Ordering::Relaxed)
}
/// Rounds per side (`--rounds N`, default 31): medians over more rounds are steadier on a
/// shared machine (on the 2-core development VM, 11 rounds put the two goals within one
/// run's noise; see BENCHMARKS.md).
fn rounds() -> usize {
    arg_usize("--rounds", 31).max(1)
}

// ---------------------------------------------------------------------------
// CPU and memory accounting from /proc
// ---------------------------------------------------------------------------

/// On-CPU nanoseconds of one thread (`schedstat`), else from `stat` ticks.
fn thread_cpu_ns(task_dir: &std::path::Path) -> Option<u64> {
    if let Ok(s) = std::fs::read_to_string(task_dir.join("schedstat")) {
        if let Some(ns) = s.split_whitespace().next().and_then(|v| v.parse().ok()) {
            return Some(ns);
        }
    }
    let stat = std::fs::read_to_string(task_dir.join("stat")).ok()?;
    let after = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks: u64 = f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?;
    Some(ticks * 10_000_000)
}

/// CPU so far, split into (fake server threads, everything else), in ns. Summed over the
/// live threads of this process; threads are matched by name (`fake-islo*`).
#[derive(Clone, Copy, Default, Debug)]
struct Cpu {
    fake: u64,
    client: u64,
}

fn cpu_now() -> Cpu {
    let mut cpu = Cpu::default();
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return cpu;
    };
    for t in tasks.flatten() {
        let dir = t.path();
        let name = std::fs::read_to_string(dir.join("comm")).unwrap_or_default();
        let ns = thread_cpu_ns(&dir).unwrap_or(0);
        if name.trim_end().starts_with("fake-islo") {
            cpu.fake += ns;
        } else {
            cpu.client += ns;
        }
    }
    cpu
}

/// Process CPU (all threads, including exited ones), in ns: `CLOCK_PROCESS_CPUTIME_ID`.
fn process_clock_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) };
    if rc != 0 {
        return process_cpu_ns();
    }
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// Process CPU (all threads, including exited ones) from /proc/self/stat, in ns.
fn process_cpu_ns() -> u64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let Some(i) = stat.rfind(')') else { return 0 };
    let f: Vec<&str> = stat[i + 2..].split_whitespace().collect();
    let get = |k: usize| f.get(k).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
    (get(11) + get(12)) * 10_000_000
}

fn rss_kb() -> u64 {
    status_kb("VmRSS:")
}

fn hwm_kb() -> u64 {
    status_kb("VmHWM:")
}

// ---------------------------------------------------------------------------
// Load generator
// ---------------------------------------------------------------------------

#[derive(Clone, Debug)]
struct RoundResult {
    rps: f64,
    p50_us: f64,
    p99_us: f64,
    client_cpu_us_per_req: f64,
    fake_cpu_us_per_req: f64,
    fake_util: f64,
    /// Whole-process user and system CPU (`getrusage`), µs per request.
    user_us_per_req: f64,
    sys_us_per_req: f64,
    exchanges: u64,
    errors: usize,
}

/// Whole-process (user, system) CPU so far, in µs (`getrusage(RUSAGE_SELF)`).
fn rusage_us() -> (u64, u64) {
    // SAFETY: `ru` is a valid, writable rusage.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) } != 0 {
        return (0, 0);
    }
    let us = |t: libc::timeval| t.tv_sec as u64 * 1_000_000 + t.tv_usec as u64;
    (us(ru.ru_utime), us(ru.ru_stime))
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1e6
}

/// A client under test. Each load task holds its own handle (cloned once per task, as an
/// application holds its client) and makes its calls through it, so that a call's cost is
/// the client's, not that of cloning a handle for every call.
trait Caller: Clone + Send + Sync + 'static {
    /// One `GET` of the sandbox; true on a decoded 2xx.
    fn call(&self) -> impl std::future::Future<Output = bool> + Send + '_;
}

/// The floor: raw reqwest with a fixed bearer, parsing the body into the typed response.
#[derive(Clone)]
struct Floor {
    http: reqwest::Client,
    url: String,
    auth: String,
}

impl Caller for Floor {
    async fn call(&self) -> bool {
        let Ok(resp) = self
            .http
            .get(&self.url)
            .header("authorization", &self.auth)
            .send()
            .await
        else {
            return false;
        };
        if !resp.status().is_success() {
            return false;
        }
        let Ok(bytes) = resp.bytes().await else {
            return false;
        };
        serde_json::from_slice::<types::SandboxResponse>(&bytes).is_ok()
    }
}

/// `islo.get_sandbox(..).send()`.
#[derive(Clone)]
struct IsloGet(Islo);

impl Caller for IsloGet {
    async fn call(&self) -> bool {
        self.0.get_sandbox(SANDBOX).send().await.is_ok()
    }
}

/// Runs `n` calls of `caller` on `c` concurrent tasks.
async fn run_round<C: Caller>(fake: &FakeIslo, n: usize, c: usize, caller: &C) -> RoundResult {
    let next = Arc::new(AtomicUsize::new(0));
    let exchanges_before = fake.token_exchanges();
    let cpu_before = cpu_now();
    let proc_before = process_clock_ns();
    let rusage_before = rusage_us();
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(c);
    for _ in 0..c {
        let (caller, next) = (caller.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::with_capacity(n / c + 1);
            let mut errors = 0usize;
            while next.fetch_add(1, Ordering::Relaxed) < n {
                let t = Instant::now();
                if !caller.call().await {
                    errors += 1;
                }
                lat.push(t.elapsed());
            }
            (lat, errors)
        }));
    }
    let mut all = Vec::with_capacity(n);
    let mut errors = 0;
    for t in tasks {
        let (lat, e) = t.await.expect("load task");
        all.extend(lat);
        errors += e;
    }
    let wall = started.elapsed();
    let proc_after = process_clock_ns();
    let rusage_after = rusage_us();
    let cpu_after = cpu_now();
    all.sort_unstable();
    let per_req = |ns: u64| ns as f64 / 1e3 / n as f64;
    RoundResult {
        rps: n as f64 / wall.as_secs_f64(),
        p50_us: percentile(&all, 0.50),
        p99_us: percentile(&all, 0.99),
        // Process CPU (exited threads included) minus the fake server's threads.
        client_cpu_us_per_req: per_req(
            (proc_after - proc_before).saturating_sub(cpu_after.fake - cpu_before.fake),
        ),
        fake_cpu_us_per_req: per_req(cpu_after.fake - cpu_before.fake),
        fake_util: (cpu_after.fake - cpu_before.fake) as f64 / wall.as_nanos() as f64,
        user_us_per_req: rusage_after.0.saturating_sub(rusage_before.0) as f64 / n as f64,
        sys_us_per_req: rusage_after.1.saturating_sub(rusage_before.1) as f64 / n as f64,
        exchanges: fake.token_exchanges() - exchanges_before,
        errors,
    }
}

/// The 5th and 95th percentiles of `median(islo) / median(floor)` over 2000 resamples (with
/// replacement) of the (floor, islo) round pairs: how far the printed ratio could move on
/// another run on an equally noisy machine.
fn bootstrap(
    floor: &[RoundResult],
    islo: &[RoundResult],
    field: fn(&RoundResult) -> f64,
) -> (f64, f64) {
    let n = floor.len().min(islo.len());
    if n == 0 {
        return (f64::NAN, f64::NAN);
    }
    // A fixed-seed xorshift: reproducible, and no dependency for a few thousand draws.
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut ratios = Vec::with_capacity(2000);
    for _ in 0..2000 {
        let (mut f, mut s) = (Vec::with_capacity(n), Vec::with_capacity(n));
        for _ in 0..n {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let k = (x % n as u64) as usize;
            f.push(field(&floor[k]));
            s.push(field(&islo[k]));
        }
        ratios.push(median(s) / median(f));
    }
    ratios.sort_by(|a, b| a.total_cmp(b));
    (
        ratios[ratios.len() * 5 / 100],
        ratios[ratios.len() * 95 / 100],
    )
}

#[derive(Debug, Clone)]
struct Summary {
    rps: f64,
    p50: f64,
    p99: f64,
    cpu: f64,
    fake_cpu: f64,
    fake_util: f64,
    user: f64,
    sys: f64,
    exchanges: u64,
    errors: usize,
}

fn summarize(rounds: &[RoundResult]) -> Summary {
    let m = |f: fn(&RoundResult) -> f64| median(rounds.iter().map(f).collect());
    Summary {
        rps: m(|r| r.rps),
        p50: m(|r| r.p50_us),
        p99: m(|r| r.p99_us),
        cpu: m(|r| r.client_cpu_us_per_req),
        fake_cpu: m(|r| r.fake_cpu_us_per_req),
        fake_util: m(|r| r.fake_util),
        user: m(|r| r.user_us_per_req),
        sys: m(|r| r.sys_us_per_req),
        exchanges: rounds.iter().map(|r| r.exchanges).sum(),
        errors: rounds.iter().map(|r| r.errors).sum(),
    }
}

fn print_row(label: &str, s: &Summary) {
    println!(
        "  {label:<22} {:>9.0} req/s  p50 {:>7.0} µs  p99 {:>7.0} µs  client CPU {:>6.1} µs/req  \
         fake CPU {:>6.1} µs/req (fake thread busy {:>3.0}%)  exchanges {}  errors {}",
        s.rps,
        s.p50,
        s.p99,
        s.cpu,
        s.fake_cpu,
        s.fake_util * 100.0,
        s.exchanges,
        s.errors
    );
}

fn print_round(label: &str, i: usize, r: &RoundResult) {
    println!(
        "    round {i} {label:<16} {:>9.0} req/s  p50 {:>7.0} µs  p99 {:>7.0} µs  client CPU {:>6.1} µs/req  fake CPU {:>6.1} µs/req",
        r.rps, r.p50_us, r.p99_us, r.client_cpu_us_per_req, r.fake_cpu_us_per_req
    );
}

// ---------------------------------------------------------------------------
// The floor: raw reqwest with a fixed token
// ---------------------------------------------------------------------------

async fn exchange_once(control: &str, key: &str) -> String {
    let v: serde_json::Value = reqwest::Client::new()
        .post(format!("{control}/auth/token"))
        .json(&serde_json::json!({ "access_key": key }))
        .send()
        .await
        .expect("token request")
        .json()
        .await
        .expect("token JSON");
    v["session_token"]
        .as_str()
        .expect("session_token")
        .to_string()
}

fn islo_client(fake: &FakeIslo) -> Islo {
    Islo::builder()
        .ignore_env()
        .api_key(fake.api_key())
        .control_url(fake.control_url())
        .compute_url(fake.compute_url())
        .build()
        .expect("client")
}

// ---------------------------------------------------------------------------
// Upload sink: a tiny HTTP/1.1 server that discards request bodies
// ---------------------------------------------------------------------------

async fn read_line(
    sock: &mut tokio::io::BufReader<tokio::net::TcpStream>,
) -> std::io::Result<String> {
    use tokio::io::AsyncBufReadExt;
    let mut line = String::new();
    sock.read_line(&mut line).await?;
    Ok(line)
}

/// Reads and drops a body framed by `Content-Length` or chunked encoding; returns its size.
async fn discard_body(
    sock: &mut tokio::io::BufReader<tokio::net::TcpStream>,
    headers: &HashMap<String, String>,
) -> std::io::Result<u64> {
    const BUF: usize = 64 * 1024;
    let mut buf = vec![0u8; BUF];
    let mut total = 0u64;
    if headers
        .get("transfer-encoding")
        .is_some_and(|v| v.contains("chunked"))
    {
        loop {
            let line = read_line(sock).await?;
            let size = u64::from_str_radix(line.trim().split(';').next().unwrap_or("0"), 16)
                .map_err(|_| std::io::Error::other(format!("bad chunk size {line:?}")))?;
            if size == 0 {
                // Trailers until an empty line.
                while !read_line(sock).await?.trim().is_empty() {}
                return Ok(total);
            }
            let mut left = size;
            while left > 0 {
                let n = sock.read(&mut buf[..left.min(BUF as u64) as usize]).await?;
                if n == 0 {
                    return Err(std::io::ErrorKind::UnexpectedEof.into());
                }
                left -= n as u64;
            }
            total += size;
            let _crlf = read_line(sock).await?;
        }
    }
    let mut left: u64 = headers
        .get("content-length")
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    while left > 0 {
        let n = sock.read(&mut buf[..left.min(BUF as u64) as usize]).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        left -= n as u64;
        total += n as u64;
    }
    Ok(total)
}

async fn sink_conn(
    stream: tokio::net::TcpStream,
    received: Arc<std::sync::atomic::AtomicU64>,
) -> std::io::Result<()> {
    let mut sock = tokio::io::BufReader::with_capacity(64 * 1024, stream);
    loop {
        let request_line = read_line(&mut sock).await?;
        if request_line.is_empty() {
            return Ok(());
        }
        let mut headers = HashMap::new();
        loop {
            let line = read_line(&mut sock).await?;
            if line.trim().is_empty() {
                break;
            }
            if let Some((k, v)) = line.split_once(':') {
                headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
            }
        }
        let n = discard_body(&mut sock, &headers).await?;
        let body = if request_line.contains("/auth/token") {
            r#"{"session_token":"sink-token","cookie_max_age":3600}"#.to_string()
        } else {
            received.fetch_add(n, Ordering::SeqCst);
            r#"{"status":"uploaded"}"#.to_string()
        };
        let resp = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        );
        sock.get_mut().write_all(resp.as_bytes()).await?;
    }
}

async fn start_sink() -> (String, Arc<std::sync::atomic::AtomicU64>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let received = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let r = received.clone();
    tokio::spawn(async move {
        while let Ok((s, _)) = listener.accept().await {
            let r = r.clone();
            tokio::spawn(async move {
                let _ = sink_conn(s, r).await;
            });
        }
    });
    (url, received)
}

// ---------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------

fn main() {
    let n = arg_usize("--requests", 20_000).max(1);
    let c = arg_usize("--concurrency", 64).max(1);
    let cores = std::thread::available_parallelism().map_or(2, |p| p.get());
    let workers = arg_usize("--workers", cores).max(1);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(bench(n, c));
}

async fn bench(n: usize, c: usize) {
    let rounds = rounds();
    let cores = std::thread::available_parallelism().map_or(0, |p| p.get());
    println!("islo client benchmark: {n} requests x {rounds} rounds per side, concurrency {c}, {cores} cores");
    println!("(release build; fake server on loopback, its own thread; client CPU = CLOCK_PROCESS_CPUTIME_ID minus the fake's threads from /proc/self/task/*/schedstat)");

    let quick = std::env::args().any(|a| a == "--quick");
    if !quick {
        COUNTING.store(true, Ordering::Relaxed);
        upload_memory().await;
        COUNTING.store(false, Ordering::Relaxed);
    }

    // --- floor vs islo -----------------------------------------------------------------
    let fake = FakeIslo::builder().start().await.expect("fake");
    let islo = islo_client(&fake);
    islo.create_sandbox(types::SandboxCreate {
        name: Some(SANDBOX.into()),
        ..Default::default()
    })
    .send()
    .await
    .expect("create sandbox");
    let token = exchange_once(&fake.control_url(), &fake.api_key()).await;
    let floor_url = format!("{}/sandboxes/{SANDBOX}", fake.compute_url());
    let auth = format!("Bearer {token}");
    let floor_http = reqwest::Client::new();

    let floor_call = Floor {
        http: floor_http,
        url: floor_url,
        auth,
    };
    let islo_call = IsloGet(islo.clone());

    // Warm-up (connections, allocator, caches).
    let warm = (n / 10).max(100);
    run_round(&fake, warm, c, &floor_call).await;
    run_round(&fake, warm, c, &islo_call).await;

    let process_before = process_cpu_ns();
    let mut floor_rounds = Vec::new();
    let mut islo_rounds = Vec::new();
    println!("\n[1] GET /sandboxes/{{name}}: floor (raw reqwest + serde) vs islo, interleaved");
    // `--side floor|islo` runs only one side (for profiling one of them with perf).
    let side = std::env::args()
        .skip_while(|a| a != "--side")
        .nth(1)
        .unwrap_or_default();
    if !side.is_empty() {
        let call_floor = side == "floor";
        for i in 0..rounds * 2 {
            let r = if call_floor {
                run_round(&fake, n, c, &floor_call).await
            } else {
                run_round(&fake, n, c, &islo_call).await
            };
            print_round(&side, i, &r);
        }
        return;
    }
    // Pairs alternate which side goes first (floor-islo, islo-floor, ...), so that load
    // drifting steadily during a pair favours neither side.
    for i in 0..rounds {
        let (f, s) = if i % 2 == 0 {
            let f = run_round(&fake, n, c, &floor_call).await;
            print_round("floor", i, &f);
            let s = run_round(&fake, n, c, &islo_call).await;
            print_round("islo", i, &s);
            (f, s)
        } else {
            let s = run_round(&fake, n, c, &islo_call).await;
            print_round("islo", i, &s);
            let f = run_round(&fake, n, c, &floor_call).await;
            print_round("floor", i, &f);
            (f, s)
        };
        floor_rounds.push(f);
        islo_rounds.push(s);
    }
    let process_cpu = process_cpu_ns() - process_before;
    let floor = summarize(&floor_rounds);
    let ours = summarize(&islo_rounds);
    println!("  medians of {rounds} rounds:");
    print_row("floor (reqwest)", &floor);
    print_row("islo", &ours);
    let tput = ours.rps / floor.rps;
    let cpu = ours.cpu / floor.cpu;
    // Ratios of adjacent (floor, islo) pairs are less sensitive to load drifting during the
    // run than ratios of medians.
    let paired_tput = median(
        floor_rounds
            .iter()
            .zip(&islo_rounds)
            .map(|(f, s)| s.rps / f.rps)
            .collect(),
    );
    let paired_cpu = median(
        floor_rounds
            .iter()
            .zip(&islo_rounds)
            .map(|(f, s)| s.client_cpu_us_per_req / f.client_cpu_us_per_req)
            .collect(),
    );
    println!(
        "  paired ratios (median over the {rounds} adjacent floor/islo pairs): throughput {paired_tput:.3}x, client CPU {paired_cpu:.3}x, client CPU difference {:+.1} µs/req",
        ours.cpu - floor.cpu
    );
    println!(
        "  ratio islo/floor (medians): throughput {tput:.3}x (goal >= 0.95: {}), client CPU {cpu:.3}x (goal <= 1.10: {}), p50 {:.3}x, p99 {:.3}x",
        if tput >= 0.95 { "PASS" } else { "MISS" },
        if cpu <= 1.10 { "PASS" } else { "MISS" },
        ours.p50 / floor.p50,
        ours.p99 / floor.p99
    );
    println!(
        "  whole process (client and fake), user + system CPU per request (getrusage, medians): floor {:.1} + {:.1} µs, islo {:.1} + {:.1} µs",
        floor.user, floor.sys, ours.user, ours.sys
    );
    let (tput_lo, tput_hi) = bootstrap(&floor_rounds, &islo_rounds, |r| r.rps);
    let (cpu_lo, cpu_hi) = bootstrap(&floor_rounds, &islo_rounds, |r| r.client_cpu_us_per_req);
    println!(
        "  90% interval of those two ratios (bootstrap over the {rounds} pairs): throughput {tput_lo:.3}x..{tput_hi:.3}x, client CPU {cpu_lo:.3}x..{cpu_hi:.3}x"
    );
    let bottleneck = floor.fake_util > 0.85 || floor.fake_cpu > floor.cpu;
    println!(
        "  fake server: {:.1} µs CPU/req vs floor client {:.1} µs/req, its thread {:.0}% busy during floor rounds -> {}",
        floor.fake_cpu,
        floor.cpu,
        floor.fake_util * 100.0,
        if bottleneck {
            "the fake server is (close to) the bottleneck; throughput ratios understate client overhead, compare CPU"
        } else {
            "the fake server is not the bottleneck"
        }
    );
    let per_thread: f64 = floor_rounds
        .iter()
        .chain(&islo_rounds)
        .map(|r| (r.client_cpu_us_per_req + r.fake_cpu_us_per_req) * n as f64 / 1e6)
        .sum();
    println!(
        "  cross-check: process CPU from /proc/self/stat over the 2x{rounds} rounds = {:.2} s; sum of per-thread schedstat deltas = {per_thread:.2} s",
        process_cpu as f64 / 1e9
    );
    println!(
        "  token exchanges seen by the fake: {} in total (1 for the floor's fixed token, 1 for islo's first call; {} during measured islo rounds)",
        fake.token_exchanges(),
        ours.exchanges
    );

    if quick {
        return;
    }
    cold_callers().await;
    // Refresh rounds must outlast the 1 s token validity several times: size them from the
    // measured islo throughput (>= 3 s each).
    let n_refresh = ((ours.rps * 3.0) as usize).max(n);
    refresh_under_load(n_refresh, c, &fake, &islo_call).await;
    COUNTING.store(true, Ordering::Relaxed);
    client_memory(&fake);
    std::io::stdout().flush().ok();
}

/// [2] 1000 concurrent cold callers on a fresh control URL: exactly one exchange.
async fn cold_callers() {
    println!("\n[2] token cache: 1000 concurrent cold callers");
    let fake = FakeIslo::builder().start().await.expect("fake");
    // 1000 distinct clients (same key and control URL -> one process-wide slot), sharing
    // one connection pool so the test does not need 1000 sockets.
    let http = reqwest::Client::new();
    let clients: Vec<Islo> = (0..1000)
        .map(|_| {
            Islo::builder()
                .ignore_env()
                .api_key(fake.api_key())
                .control_url(fake.control_url())
                .compute_url(fake.compute_url())
                .http_client(http.clone())
                .build()
                .unwrap()
        })
        .collect();
    let start = Arc::new(tokio::sync::Barrier::new(1000));
    let mut tasks = Vec::new();
    for islo in clients {
        let start = start.clone();
        tasks.push(tokio::spawn(async move {
            start.wait().await;
            // The sandbox does not exist: a 404 still proves the call was authenticated.
            match islo.get_sandbox("cold").send().await {
                Ok(_) => true,
                Err(e) => e.kind() == islo::ErrorKind::NotFound,
            }
        }));
    }
    let mut ok = 0;
    for t in tasks {
        ok += usize::from(t.await.unwrap());
    }
    println!(
        "  {ok}/1000 callers authenticated; token exchanges seen by the server: {} (must be 1: {})",
        fake.token_exchanges(),
        if fake.token_exchanges() == 1 {
            "PASS"
        } else {
            "MISS"
        }
    );
}

/// [3] Token refresh during load: 2 s tokens refreshed 1 s before expiry.
async fn refresh_under_load(n: usize, c: usize, steady_fake: &FakeIslo, steady_call: &IsloGet) {
    let rounds = rounds();
    println!("\n[3] token refresh under load ({n} requests per round; token lifetime 2 s, refresh margin 1 s -> refresh every ~1 s)");
    let fake = FakeIslo::builder()
        .token_lifetime(Duration::from_secs(2))
        .start()
        .await
        .expect("fake");
    let islo = Islo::builder()
        .ignore_env()
        .api_key(fake.api_key())
        .control_url(fake.control_url())
        .compute_url(fake.compute_url())
        .token_refresh_margin(Duration::from_secs(1))
        .build()
        .unwrap();
    islo.create_sandbox(types::SandboxCreate {
        name: Some(SANDBOX.into()),
        ..Default::default()
    })
    .send()
    .await
    .expect("create");
    let refresh_call = IsloGet(islo);
    run_round(&fake, (n / 10).max(100), c, &refresh_call).await;
    let mut with = Vec::new();
    let mut without = Vec::new();
    // As in [1], pairs alternate which side goes first.
    for i in 0..rounds {
        if i % 2 == 1 {
            let s = run_round(steady_fake, n, c, steady_call).await;
            print_round("no refresh", i, &s);
            without.push(s);
        }
        let r = run_round(&fake, n, c, &refresh_call).await;
        print_round("with refresh", i, &r);
        println!("      exchanges during this round: {}", r.exchanges);
        with.push(r);
        if i % 2 == 0 {
            let s = run_round(steady_fake, n, c, steady_call).await;
            print_round("no refresh", i, &s);
            without.push(s);
        }
    }
    let w = summarize(&with);
    let wo = summarize(&without);
    print_row("with refresh", &w);
    print_row("without refresh", &wo);
    println!(
        "  exchanges during the {rounds} refresh rounds: {}, errors: {}; throughput ratio with/without refresh: {:.3}x, p99 ratio {:.3}x",
        w.exchanges,
        w.errors,
        w.rps / wo.rps,
        w.p99 / wo.p99
    );
    let paired = median(
        with.iter()
            .zip(&without)
            .map(|(a, b)| a.rps / b.rps)
            .collect(),
    );
    let (lo, hi) = bootstrap(&without, &with, |r| r.rps);
    println!(
        "  paired throughput ratio (median over the {rounds} pairs): {paired:.3}x; 90% interval of the ratio of medians: {lo:.3}x..{hi:.3}x"
    );
}

/// [4] Memory of a client and of a clone.
fn client_memory(fake: &FakeIslo) {
    println!("\n[4] memory per client / per clone (heap bytes from a counting allocator; VmRSS delta / count)");
    println!(
        "  size_of::<Islo>() = {} bytes",
        std::mem::size_of::<Islo>()
    );
    let one = islo_client(fake);

    const CLONES: usize = 100_000;
    let (h0, r0) = (live_heap(), rss_kb());
    let clones: Vec<Islo> = (0..CLONES).map(|_| one.clone()).collect();
    let (h1, r1) = (live_heap(), rss_kb());
    let vec_bytes = (CLONES * std::mem::size_of::<Islo>()) as i64;
    println!(
        "  {CLONES} clones: heap +{:.0} bytes per clone beyond its {}-byte slot; VmRSS +{} kB -> {:.0} bytes per clone (slot included)",
        (h1 - h0 - vec_bytes) as f64 / CLONES as f64,
        std::mem::size_of::<Islo>(),
        r1.saturating_sub(r0),
        r1.saturating_sub(r0) as f64 * 1024.0 / CLONES as f64
    );
    drop(clones);

    const SHARED: usize = 1000;
    let http = reqwest::Client::new();
    let (h0, r0) = (live_heap(), rss_kb());
    let clients: Vec<Islo> = (0..SHARED)
        .map(|_| {
            Islo::builder()
                .ignore_env()
                .api_key(fake.api_key())
                .control_url(fake.control_url())
                .compute_url(fake.compute_url())
                .http_client(http.clone())
                .build()
                .unwrap()
        })
        .collect();
    let (h1, r1) = (live_heap(), rss_kb());
    println!(
        "  {SHARED} clients built with a shared reqwest::Client (islo's own state): heap {:.1} kB per client; VmRSS +{} kB -> {:.1} kB per client",
        (h1 - h0) as f64 / 1024.0 / SHARED as f64,
        r1.saturating_sub(r0),
        r1.saturating_sub(r0) as f64 / SHARED as f64
    );
    drop(clients);

    const CLIENTS: usize = 1000;
    let (h0, r0) = (live_heap(), rss_kb());
    let clients: Vec<Islo> = (0..CLIENTS).map(|_| islo_client(fake)).collect();
    let (h1, r1) = (live_heap(), rss_kb());
    println!(
        "  {CLIENTS} clients built with defaults (each its own reqwest pool + native-tls context): Rust heap {:.1} kB per client (OpenSSL allocates outside the Rust allocator); VmRSS +{} kB -> {:.1} kB per client",
        (h1 - h0) as f64 / 1024.0 / CLIENTS as f64,
        r1.saturating_sub(r0),
        r1.saturating_sub(r0) as f64 / CLIENTS as f64
    );
    drop(clients);
}

/// [0] Peak memory while uploading a sparse 1 GiB file to a discarding sink.
async fn upload_memory() {
    println!("\n[0] peak memory while uploading a 1 GiB file (sparse) with upload_path");
    let (url, received) = start_sink().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("big.bin");
    let f = std::fs::File::create(&path).unwrap();
    f.set_len(1 << 30).unwrap();
    drop(f);
    let islo = Islo::builder()
        .ignore_env()
        .api_key("ak_sink")
        .control_url(&url)
        .compute_url(&url)
        .build()
        .unwrap();
    let reset = reset_hwm();
    let heap0 = reset_peak_heap();
    let (rss0, hwm0) = (rss_kb(), hwm_kb());
    let t = Instant::now();
    let result = islo
        .sandbox("sb")
        .upload_file(&path, "/workspace/big.bin")
        .await;
    let secs = t.elapsed().as_secs_f64();
    let (rss1, hwm1) = (rss_kb(), hwm_kb());
    let got = received.load(Ordering::SeqCst);
    println!(
        "  heap: live before {:.1} MiB, peak during the upload {:.1} MiB (+{:.1} MiB)",
        heap0 as f64 / 1048576.0,
        peak_heap() as f64 / 1048576.0,
        (peak_heap() - heap0) as f64 / 1048576.0
    );
    println!(
        "  result: {:?}; sink received {:.1} MiB of multipart body in {secs:.2} s ({:.0} MiB/s)",
        result.as_ref().map(|_| "ok"),
        got as f64 / (1 << 20) as f64,
        got as f64 / (1 << 20) as f64 / secs
    );
    println!(
        "  VmHWM before {} kB{} / after {} kB (growth {} kB); VmRSS before {} kB / after {} kB -> {}",
        hwm0,
        if reset { " (reset via clear_refs)" } else { " (not resettable)" },
        hwm1,
        hwm1.saturating_sub(hwm0),
        rss0,
        rss1,
        if hwm1.saturating_sub(hwm0) < 64 * 1024 {
            "streamed (peak growth far below 1 GiB)"
        } else {
            "LARGE peak growth"
        }
    );
}

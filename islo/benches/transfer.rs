//! Large transfers, each against its baseline in the same run, interleaved:
//!
//! - `[0]` gzip levels on the generated content (how `upload_dir`'s level was chosen).
//! - `[1]` one file of 1 GiB up (`Sandbox::upload_file`) and down (`Sandbox::download_file`)
//!   vs raw reqwest streaming the same file to the same endpoint of the fake, 64 KiB at a
//!   time, framed the same way (multipart with one part named `file`). Goals: throughput
//!   >= 0.95x the baseline's, peak RSS added <= 16 MiB.
//! - `[2]` a directory up (`Sandbox::upload_dir`): 10,000 small files (~100 MB) and 4 large
//!   ones (1 GiB) vs `tar -czf - -C DIR .` (the system tar, a child process) piped into a
//!   raw reqwest upload to the same endpoint. Goals: throughput >= 2x the baseline's, peak
//!   RSS added <= 32 MiB.
//! - `[3]` the same trees down (`Sandbox::download_dir`, limits and safety checks on) vs raw
//!   reqwest piped into `tar -xzf -` (a child process) extracting into an empty directory.
//!   Goal: wall time <= 1.1x the baseline's.
//!
//! ```text
//! cargo bench -p islo --bench transfer [-- --quick] [--rounds N] [--only probe|file|dir-up|dir-down]
//! ```
//!
//! The fake (`islo::mock::FakeIslo`, its own thread) runs in this process: uploads go to its
//! sink (`discard_uploads_under`: consumed as they arrive, counted, CRC-32'd, archives
//! gunzipped and walked), downloads come from its generated files and trees (content made
//! from a seed as it is sent, archives packed and gzipped on the fly). Every round is
//! checked (bytes and CRC-32, or the archive's file count and bytes). Peak RSS added is
//! VmHWM, reset through `/proc/self/clear_refs` before each round, minus VmRSS at the
//! start of the round: the whole process, the fake included, the baseline's child processes
//! not. Pairs alternate which side goes first; ratios are medians over the pairs. Nothing
//! here asserts on durations: goals are printed as PASS/MISS.
//!
//! `--side baseline|islo` runs one side only, for profilers (no ratios are printed then).
//!
//! `--dir PATH` puts the trees, downloads and extractions there (default: the system
//! temporary directory); creating 10,000 files costs what that file system makes it cost.
//!
//! `--quick` uses a quarter of the sizes (256 MiB file, 2,500 small files of ~25 MB, 4 large
//! files of 256 MiB) and 2 rounds per side (default 3; `--rounds N`).

mod support;
use support::*;

use std::future::Future;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Instant;

use futures_util::StreamExt;
use islo::archive::ArchiveOptions;
use islo::mock::{FakeIslo, GeneratedContent, GeneratedTree};
use islo::sandbox::Sandbox;
use tokio::io::AsyncWriteExt;
use tokio_util::io::ReaderStream;

const SANDBOX: &str = "bench";
const CHUNK: usize = 64 * 1024;

/// One timed round.
#[derive(Debug, Clone, Copy)]
struct Round {
    secs: f64,
    /// VmHWM after the round minus VmRSS before it, in KiB.
    added_kb: u64,
}

async fn measured<F: Future<Output = ()>>(f: F) -> Round {
    let reset = reset_hwm();
    let rss0 = status_kb("VmRSS:");
    let t = Instant::now();
    f.await;
    let secs = t.elapsed().as_secs_f64();
    let hwm = status_kb("VmHWM:");
    Round {
        secs,
        added_kb: if reset { hwm.saturating_sub(rss0) } else { 0 },
    }
}

/// Both sides' rounds of one comparison.
#[derive(Default)]
struct Pairs {
    baseline: Vec<Round>,
    islo: Vec<Round>,
    /// Peak RSS added in each side's warm-up round, KiB.
    warmup: [u64; 2],
}

impl Pairs {
    fn push(&mut self, side: usize, r: Round, label: &str, bytes: u64) {
        self.print(side, r, label, bytes);
        if side == 0 {
            self.baseline.push(r);
        } else {
            self.islo.push(r);
        }
    }

    fn print(&self, side: usize, r: Round, label: &str, bytes: u64) {
        println!(
            "    {:<9} {:>7.2} s  {:>7.1} MB/s  peak RSS added {:>7.1} MiB",
            if side == 0 { "baseline" } else { label },
            r.secs,
            bytes as f64 / r.secs / 1e6,
            r.added_kb as f64 / 1024.0
        );
    }

    /// Median over the pairs of baseline time / islo time (islo's throughput relative to
    /// the baseline's), and the ratio of the medians.
    fn speedup(&self) -> (f64, f64) {
        let paired = median(
            self.baseline
                .iter()
                .zip(&self.islo)
                .map(|(b, i)| b.secs / i.secs)
                .collect(),
        );
        let of_medians = median(self.baseline.iter().map(|r| r.secs).collect())
            / median(self.islo.iter().map(|r| r.secs).collect());
        (paired, of_medians)
    }

    fn max_added_mib(&self, side: usize) -> f64 {
        let v = if side == 0 {
            &self.baseline
        } else {
            &self.islo
        };
        v.iter().map(|r| r.added_kb).max().unwrap_or(0) as f64 / 1024.0
    }

    fn median_mbps(&self, side: usize, bytes: u64) -> f64 {
        let v = if side == 0 {
            &self.baseline
        } else {
            &self.islo
        };
        bytes as f64 / median(v.iter().map(|r| r.secs).collect()) / 1e6
    }
}

/// The environment every section uses.
struct Bench {
    fake: FakeIslo,
    sandbox: Sandbox,
    http: reqwest::Client,
    token: String,
    rounds: usize,
    work: PathBuf,
}

impl Bench {
    fn endpoint(&self, archive: bool) -> String {
        format!(
            "{}/sandboxes/{SANDBOX}/{}",
            self.fake.compute_url(),
            if archive { "files-archive" } else { "files" }
        )
    }

    /// A raw reqwest upload of `body`, framed as the SDK frames it.
    async fn raw_upload(&self, body: reqwest::Body, remote: &str, archive: bool) {
        let name = remote.rsplit('/').next().unwrap_or("file").to_owned();
        let part = reqwest::multipart::Part::stream(body)
            .file_name(name)
            .mime_str("application/octet-stream")
            .unwrap();
        let form = reqwest::multipart::Form::new().part("file", part);
        let resp = self
            .http
            .post(self.endpoint(archive))
            .query(&[("path", remote)])
            .bearer_auth(&self.token)
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert!(resp.status().is_success(), "{}", resp.status());
    }

    /// A raw reqwest download of `remote`, as a byte stream.
    async fn raw_download(
        &self,
        remote: &str,
        archive: bool,
    ) -> impl futures_util::Stream<Item = reqwest::Result<bytes::Bytes>> {
        let resp = self
            .http
            .get(self.endpoint(archive))
            .query(&[("path", remote)])
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap();
        assert!(resp.status().is_success(), "{}", resp.status());
        resp.bytes_stream()
    }

    /// The last upload the sink saw, checked against what was sent.
    fn check_upload(&self, path: &str, expect: &Expect) {
        let seen = self.fake.discarded_uploads();
        let last = seen.last().expect("an upload reached the sink");
        assert_eq!(last.path, path);
        match expect {
            Expect::File { len, crc32 } => {
                assert_eq!((last.bytes, last.crc32), (*len, *crc32), "file as sent");
            }
            Expect::Tree { files, bytes } => {
                let c = last.contents.expect("archive contents");
                assert_eq!((c.files, c.file_bytes), (*files, *bytes), "archive as sent");
            }
        }
    }

    /// Runs `rounds` interleaved pairs of (baseline, islo).
    async fn pairs<B, I, BF, IF>(&self, label: &str, bytes: u64, baseline: B, islo: I) -> Pairs
    where
        B: Fn(usize) -> BF,
        I: Fn(usize) -> IF,
        BF: Future<Output = ()>,
        IF: Future<Output = ()>,
    {
        // One warm-up round each (connections, caches, the page cache, the allocator's
        // first growth): timed but not in the ratios; its peak RSS counts toward the goals.
        let mut pairs = Pairs::default();
        // `--side baseline|islo` runs one side only (for profilers): no ratios.
        if let Some(side) = arg("--side") {
            for round in 0..self.rounds {
                let r = if side == "baseline" {
                    measured(baseline(round)).await
                } else {
                    measured(islo(round)).await
                };
                pairs.print(usize::from(side != "baseline"), r, label, bytes);
            }
            return pairs;
        }
        println!("  warm-up");
        let r = measured(baseline(usize::MAX)).await;
        pairs.warmup[0] = r.added_kb;
        pairs.print(0, r, label, bytes);
        let r = measured(islo(usize::MAX)).await;
        pairs.warmup[1] = r.added_kb;
        pairs.print(1, r, label, bytes);
        for round in 0..self.rounds {
            println!("  round {round}");
            for side in [round % 2, 1 - round % 2] {
                let r = if side == 0 {
                    measured(baseline(round)).await
                } else {
                    measured(islo(round)).await
                };
                pairs.push(side, r, label, bytes);
            }
        }
        pairs
    }
}

enum Expect {
    File { len: u64, crc32: u32 },
    Tree { files: u64, bytes: u64 },
}

fn crc_of_generated(seed: u64, len: u64) -> u32 {
    let mut crc = flate2::Crc::new();
    let mut content = GeneratedContent::new(seed, len);
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = content.fill(&mut buf);
        if n == 0 {
            break;
        }
        crc.update(&buf[..n]);
    }
    crc.sum()
}

fn write_generated(path: &Path, seed: u64, len: u64) {
    let mut file = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let mut content = GeneratedContent::new(seed, len);
    std::io::copy(&mut content, &mut file).unwrap();
}

fn remove(path: &Path) {
    if path.is_dir() {
        std::fs::remove_dir_all(path).unwrap();
    } else if path.exists() {
        std::fs::remove_file(path).unwrap();
    }
}

// ---------------------------------------------------------------------------------------------
// [1] one large file
// ---------------------------------------------------------------------------------------------

async fn file_section(b: &Bench, len: u64) {
    const SEED: u64 = 1;
    let local = b.work.join("big.bin");
    write_generated(&local, SEED, len);
    let crc32 = crc_of_generated(SEED, len);
    let expect = Expect::File { len, crc32 };
    b.fake
        .put_generated_file(SANDBOX, "/data/big.bin", len, SEED)
        .unwrap();
    let mib = len >> 20;

    println!("\n[1a] one file of {mib} MiB up: raw reqwest (multipart stream, 64 KiB reads) vs upload_file");
    let up = b
        .pairs(
            "upload",
            len,
            |_| async {
                let file = tokio::fs::File::open(&local).await.unwrap();
                let body = reqwest::Body::wrap_stream(ReaderStream::with_capacity(file, CHUNK));
                b.raw_upload(body, "/sink/big.bin", false).await;
                b.check_upload("/sink/big.bin", &expect);
            },
            |_| async {
                b.sandbox
                    .upload_file(&local, "/sink/big.bin")
                    .await
                    .unwrap();
                b.check_upload("/sink/big.bin", &expect);
            },
        )
        .await;
    report_throughput(&up, len, 0.95, 16.0);

    println!("\n[1b] one file of {mib} MiB down: raw reqwest (bytes_stream into a tokio File) vs download_file");
    let target = b.work.join("down.bin");
    let down = b
        .pairs(
            "download",
            len,
            |_| async {
                let mut stream = b.raw_download("/data/big.bin", false).await;
                let mut file = tokio::fs::File::create(&target).await.unwrap();
                let mut n = 0u64;
                while let Some(chunk) = stream.next().await {
                    let chunk = chunk.unwrap();
                    n += chunk.len() as u64;
                    file.write_all(&chunk).await.unwrap();
                }
                file.flush().await.unwrap();
                drop(file);
                assert_eq!(n, len);
                remove(&target);
            },
            |_| async {
                let n = b
                    .sandbox
                    .download_file("/data/big.bin", &target)
                    .await
                    .unwrap();
                assert_eq!(n, len);
                remove(&target);
            },
        )
        .await;
    report_throughput(&down, len, 0.95, 16.0);
    remove(&local);
}

fn report_throughput(p: &Pairs, bytes: u64, goal: f64, rss_goal_mib: f64) {
    if p.baseline.is_empty() || p.islo.is_empty() {
        return;
    }
    let (paired, of_medians) = p.speedup();
    let rss = p.max_added_mib(1);
    println!(
        "  baseline {:.1} MB/s, islo {:.1} MB/s (medians); islo/baseline throughput {paired:.3}x (paired median; ratio of medians {of_medians:.3}x), goal >= {goal}: {}",
        p.median_mbps(0, bytes),
        p.median_mbps(1, bytes),
        pass(paired >= goal)
    );
    println!(
        "  peak RSS added (max over rounds, warm-up included): baseline {:.1} MiB, islo {rss:.1} MiB, goal <= {rss_goal_mib} MiB: {}",
        p.max_added_mib(0),
        pass(rss <= rss_goal_mib)
    );
}

// ---------------------------------------------------------------------------------------------
// [2] directories up, [3] directories down
// ---------------------------------------------------------------------------------------------

struct Tree {
    label: &'static str,
    spec: GeneratedTree,
    dir: PathBuf,
    remote: String,
}

async fn dir_up_section(b: &Bench, tree: &Tree) {
    let bytes = tree.spec.total_bytes;
    let expect = Expect::Tree {
        files: tree.spec.files,
        bytes,
    };
    let remote = format!("/sink/{}", tree.label);
    println!(
        "\n[2] directory up, {} ({} files, {:.0} MB): tar -czf - | raw reqwest vs upload_dir",
        tree.label,
        tree.spec.files,
        bytes as f64 / 1e6
    );
    let p = b
        .pairs(
            "upload_dir",
            bytes,
            |_| async {
                let mut child = tokio::process::Command::new("tar")
                    .arg("-czf")
                    .arg("-")
                    .arg("-C")
                    .arg(&tree.dir)
                    .arg(".")
                    .stdout(Stdio::piped())
                    .spawn()
                    .unwrap();
                let out = child.stdout.take().unwrap();
                let body = reqwest::Body::wrap_stream(ReaderStream::with_capacity(out, CHUNK));
                b.raw_upload(body, &remote, true).await;
                assert!(child.wait().await.unwrap().success());
                b.check_upload(&remote, &expect);
            },
            |_| async {
                b.sandbox
                    .upload_dir(&tree.dir, &remote, ArchiveOptions::default())
                    .await
                    .unwrap();
                b.check_upload(&remote, &expect);
            },
        )
        .await;
    report_throughput(&p, bytes, 2.0, 32.0);
}

async fn dir_down_section(b: &Bench, tree: &Tree) {
    let bytes = tree.spec.total_bytes;
    println!(
        "\n[3] directory down, {} ({} files, {:.0} MB): raw reqwest | tar -xzf - vs download_dir",
        tree.label,
        tree.spec.files,
        bytes as f64 / 1e6
    );
    let target = b.work.join("extracted");
    let p = b
        .pairs(
            "download_dir",
            bytes,
            |_| async {
                std::fs::create_dir_all(&target).unwrap();
                let mut child = tokio::process::Command::new("tar")
                    .arg("-xzf")
                    .arg("-")
                    .arg("-C")
                    .arg(&target)
                    .stdin(Stdio::piped())
                    .spawn()
                    .unwrap();
                let mut stdin = child.stdin.take().unwrap();
                let mut stream = b.raw_download(&tree.remote, true).await;
                while let Some(chunk) = stream.next().await {
                    stdin.write_all(&chunk.unwrap()).await.unwrap();
                }
                drop(stdin);
                assert!(child.wait().await.unwrap().success());
                remove(&target);
            },
            |_| async {
                let summary = b.sandbox.download_dir(&tree.remote, &target).await.unwrap();
                assert_eq!((summary.files, summary.bytes), (tree.spec.files, bytes));
                remove(&target);
            },
        )
        .await;
    if p.baseline.is_empty() || p.islo.is_empty() {
        return;
    }
    let (paired, of_medians) = p.speedup();
    // Wall time relative to the baseline's.
    let (paired, of_medians) = (1.0 / paired, 1.0 / of_medians);
    println!(
        "  baseline {:.1} MB/s, islo {:.1} MB/s (medians); islo/baseline wall time {paired:.3}x (paired median; ratio of medians {of_medians:.3}x), goal <= 1.1: {}",
        p.median_mbps(0, bytes),
        p.median_mbps(1, bytes),
        pass(paired <= 1.1)
    );
    println!(
        "  peak RSS added (max over rounds, warm-up included): baseline {:.1} MiB, islo {:.1} MiB",
        p.max_added_mib(0),
        p.max_added_mib(1)
    );
}

// ---------------------------------------------------------------------------------------------
// [0] compression levels (how upload_dir's level was chosen)
// ---------------------------------------------------------------------------------------------

/// Compresses `len` bytes of generated content at several levels with flate2 (the backend
/// islo builds with), in memory on one core, and with the system gzip for reference.
fn probe_section(len: usize) {
    use std::io::Write as _;
    println!(
        "\n[0] gzip levels on {} MiB of generated content, in memory, one core (flate2 as islo builds it; system gzip from a pipe)",
        len >> 20
    );
    let mut data = vec![0u8; len];
    GeneratedContent::new(42, len as u64).fill(&mut data);
    let mut results = Vec::new();
    for level in [1u32, 2, 3, 4, 6, 9] {
        let t = Instant::now();
        let mut gz = flate2::write::GzEncoder::new(
            Vec::with_capacity(len / 2),
            flate2::Compression::new(level),
        );
        for chunk in data.chunks(CHUNK) {
            gz.write_all(chunk).unwrap();
        }
        let out = gz.finish().unwrap();
        let secs = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let mut back = flate2::write::GzDecoder::new(std::io::sink());
        back.write_all(&out).unwrap();
        back.finish().unwrap();
        results.push((level, secs, out.len(), t.elapsed().as_secs_f64()));
    }
    let level6 = results.iter().find(|r| r.0 == 6).map_or(1, |r| r.2) as f64;
    for (level, secs, out, inflate) in results {
        println!(
            "  flate2 level {level}: {:>6.1} MB/s, ratio {:.2}, output {:>5.1}% of level 6's; inflate {:.0} MB/s{}",
            len as f64 / secs / 1e6,
            len as f64 / out as f64,
            out as f64 * 100.0 / level6,
            len as f64 / inflate / 1e6,
            if level == 2 { "  <- upload_dir" } else { "" },
        );
    }
    for level in ["-1", "-6"] {
        let t = Instant::now();
        let mut child = std::process::Command::new("gzip")
            .arg(level)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let feed = {
            let data = data.clone();
            std::thread::spawn(move || stdin.write_all(&data).unwrap())
        };
        let out = child.wait_with_output().unwrap();
        feed.join().unwrap();
        println!(
            "  gzip {level}: {:>6.1} MB/s, ratio {:.2}",
            len as f64 / t.elapsed().as_secs_f64() / 1e6,
            len as f64 / out.stdout.len() as f64
        );
    }
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(run());
}

async fn run() {
    let quick = quick();
    let scale = if quick { 4 } else { 1 };
    let rounds = arg("--rounds")
        .and_then(|r| r.parse().ok())
        .unwrap_or(if quick { 2 } else { 3 })
        .max(1);
    let cores = std::thread::available_parallelism().map_or(0, |p| p.get());
    println!(
        "islo transfer benchmark: {rounds} rounds per side, {cores} cores{}",
        if quick { ", quick sizes" } else { "" }
    );
    let fake = FakeIslo::builder()
        .discard_uploads_under("/sink")
        .start()
        .await
        .unwrap();
    // With a timeout, as a production client has: the transfers then run under their
    // idle bounds (a streamed upload's watch, a download's idle limit), which it measures.
    let islo = fake
        .client_builder()
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .unwrap();
    islo.create_sandbox(islo::types::SandboxCreate {
        name: Some(SANDBOX.into()),
        ..Default::default()
    })
    .send()
    .await
    .unwrap();
    let token = {
        let v: serde_json::Value = reqwest::Client::new()
            .post(format!("{}/auth/token", fake.control_url()))
            .json(&serde_json::json!({ "access_key": fake.api_key() }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        v["session_token"].as_str().unwrap().to_owned()
    };
    // The trees, the downloads and the extractions live here (`--dir`, default the system
    // temporary directory): its file system's cost of creating files is part of [3].
    let base = arg("--dir").map_or_else(std::env::temp_dir, PathBuf::from);
    let work = tempfile::tempdir_in(&base).unwrap();
    println!("working directory: {}", work.path().display());
    let b = Bench {
        sandbox: islo.sandbox(SANDBOX),
        fake,
        http: reqwest::Client::new(),
        token,
        rounds,
        work: work.path().to_path_buf(),
    };

    if only("probe") {
        probe_section((64 << 20) / scale as usize);
    }
    if only("file") {
        file_section(&b, (1 << 30) / scale).await;
    }
    let trees = [
        Tree {
            label: "small-files",
            spec: GeneratedTree::new(10_000 / scale, 100_000_000 / scale)
                .files_per_dir(100)
                .seed(2),
            dir: b.work.join("small-files"),
            remote: "/data/small-files".into(),
        },
        Tree {
            label: "large-files",
            spec: GeneratedTree::new(4, (1 << 30) / scale).seed(3),
            dir: b.work.join("large-files"),
            remote: "/data/large-files".into(),
        },
    ];
    if only("dir-up") || only("dir-down") {
        for tree in &trees {
            let t = Instant::now();
            tree.spec.write_to(&tree.dir).unwrap();
            b.fake
                .put_generated_tree(SANDBOX, &tree.remote, &tree.spec)
                .unwrap();
            println!(
                "\n(generated {}: {} files, {} bytes, in {:.1} s)",
                tree.label,
                tree.spec.files,
                tree.spec.total_bytes,
                t.elapsed().as_secs_f64()
            );
        }
    }
    if only("dir-up") {
        for tree in &trees {
            dir_up_section(&b, tree).await;
        }
    }
    if only("dir-down") {
        for tree in &trees {
            dir_down_section(&b, tree).await;
        }
    }
}

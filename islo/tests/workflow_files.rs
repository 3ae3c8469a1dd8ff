//! File helpers over loopback HTTP: single files and directories in and out of a sandbox,
//! retries of uploads, and refusal of hostile archives served by `httpmock`.

mod workflow_support;
use workflow_support::*;

/// A client for an httpmock server with the default 2 attempts (uploads retry on 429).
fn retrying_mock_client(server: &MockServer) -> Islo {
    Islo::builder()
        .ignore_env()
        .session_token("jwt-workflow-files")
        .control_url(server.base_url())
        .compute_url(server.base_url())
        .retry_backoff(Duration::from_millis(1), Duration::from_millis(2))
        .max_retry_after(Duration::from_millis(50))
        .build()
        .expect("client builds")
}

use httpmock::prelude::*;
use httpmock::HttpMockResponse;
use islo::archive::{ArchiveError, ArchiveOptions, ExtractLimits};
use islo::mock::FakeIslo;
use islo::{types, Error, ErrorKind, Islo};
use std::io::Read;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

async fn fake_with_sandbox() -> (FakeIslo, Islo) {
    let fake = FakeIslo::start().await.expect("fake starts");
    let islo = client_for(&fake);
    islo.create_sandbox(types::SandboxCreate {
        name: Some("sb".into()),
        ..Default::default()
    })
    .send()
    .await
    .expect("sandbox created");
    (fake, islo)
}

/// The error and its sources, as one line.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// `len` bytes cycling through all 256 byte values (with a stride so runs differ).
fn binary_data(len: usize) -> Vec<u8> {
    (0..len).map(|i| ((i * 7 + i / 256) % 256) as u8).collect()
}

fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

// ---------------------------------------------------------------------------
// Single files against the fake
// ---------------------------------------------------------------------------

#[tokio::test]
async fn upload_path_then_download_path_round_trips_binary_data() {
    let (fake, islo) = fake_with_sandbox().await;
    let dir = tempfile::tempdir().unwrap();
    let data = binary_data(3 * 1024 * 1024 + 17);
    assert!((0..=255u8).all(|b| data.contains(&b)));
    let src = dir.path().join("in.bin");
    std::fs::write(&src, &data).unwrap();
    islo.sandbox("sb")
        .upload_file(&src, "/workspace/data/blob.bin")
        .await
        .unwrap();
    assert_eq!(
        fake.read_file("sb", "/workspace/data/blob.bin").as_deref(),
        Some(&data[..])
    );

    let dst = dir.path().join("out.bin");
    let n = islo
        .sandbox("sb")
        .download_file("/workspace/data/blob.bin", &dst)
        .await
        .unwrap();
    assert_eq!(n, data.len() as u64);
    assert_eq!(std::fs::read(&dst).unwrap(), data);
    assert_eq!(
        entries(dir.path()),
        ["in.bin", "out.bin"],
        "no temporary file is left behind"
    );
}

/// The temporary file beside the destination fits the file system's 255-byte name limit
/// whenever the destination's name does, also with multi-byte characters.
#[tokio::test]
async fn download_path_to_a_long_multibyte_name_works() {
    let (_fake, islo) = fake_with_sandbox().await;
    let dir = tempfile::tempdir().unwrap();
    islo.sandbox("sb")
        .upload_reader(&b"content"[..], "/workspace/f.txt")
        .await
        .unwrap();
    // 60 four-byte characters: 240 bytes, a valid name.
    let dst = dir.path().join("\u{1F600}".repeat(60));
    islo.sandbox("sb")
        .download_file("/workspace/f.txt", &dst)
        .await
        .unwrap();
    assert_eq!(std::fs::read(&dst).unwrap(), b"content");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[tokio::test]
async fn download_path_replaces_an_existing_file() {
    let (_fake, islo) = fake_with_sandbox().await;
    let dir = tempfile::tempdir().unwrap();
    islo.sandbox("sb")
        .upload_reader(&b"new content"[..], "/workspace/f.txt")
        .await
        .unwrap();
    let dst = dir.path().join("f.txt");
    std::fs::write(&dst, "old content that is longer").unwrap();
    islo.sandbox("sb")
        .download_file("/workspace/f.txt", &dst)
        .await
        .unwrap();
    assert_eq!(std::fs::read(&dst).unwrap(), b"new content");
}

#[cfg(unix)]
#[tokio::test]
async fn download_path_never_writes_through_a_symlink_planted_at_the_old_temp_name() {
    let (_fake, islo) = fake_with_sandbox().await;
    islo.sandbox("sb")
        .upload_reader(&b"downloaded"[..], "/workspace/f.txt")
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    let victim = outside.path().join("victim");
    std::fs::write(&victim, "original").unwrap();
    let planted = dir.path().join("out.txt.islo-partial");
    std::os::unix::fs::symlink(&victim, &planted).unwrap();
    let dst = dir.path().join("out.txt");
    islo.sandbox("sb")
        .download_file("/workspace/f.txt", &dst)
        .await
        .unwrap();
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "original");
    assert!(std::fs::symlink_metadata(&dst).unwrap().is_file());
    assert_eq!(std::fs::read(&dst).unwrap(), b"downloaded");
    assert_eq!(std::fs::read_link(&planted).unwrap(), victim);
    assert_eq!(entries(dir.path()), ["out.txt", "out.txt.islo-partial"]);
}

#[tokio::test]
async fn concurrent_download_path_to_one_path_both_succeed_with_one_whole_content() {
    let (_fake, islo) = fake_with_sandbox().await;
    let first = vec![b'1'; 4 * 1024 * 1024];
    let second: Vec<u8> = binary_data(3 * 1024 * 1024 + 5);
    islo.sandbox("sb")
        .upload_reader(std::io::Cursor::new(first.clone()), "/workspace/1")
        .await
        .unwrap();
    islo.sandbox("sb")
        .upload_reader(std::io::Cursor::new(second.clone()), "/workspace/2")
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let dst = dir.path().join("same.bin");
    for _ in 0..3 {
        let sb = islo.sandbox("sb");
        let (a, b) = tokio::join!(
            sb.download_file("/workspace/1", &dst),
            sb.download_file("/workspace/2", &dst),
        );
        assert_eq!(a.unwrap(), first.len() as u64);
        assert_eq!(b.unwrap(), second.len() as u64);
        let got = std::fs::read(&dst).unwrap();
        assert!(
            got == first || got == second,
            "mixed content of {} bytes",
            got.len()
        );
        assert_eq!(entries(dir.path()), ["same.bin"], "no temporary file left");
    }
}

#[tokio::test]
async fn download_path_failing_at_the_rename_leaves_no_temp_file() {
    let (_fake, islo) = fake_with_sandbox().await;
    islo.sandbox("sb")
        .upload_reader(&b"data"[..], "/workspace/f")
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    // A non-empty directory at the destination: the final rename fails.
    let dst = dir.path().join("taken");
    write(&dst, "inside", b"keep");
    let e = islo
        .sandbox("sb")
        .download_file("/workspace/f", &dst)
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Io { .. }), "{e:?}");
    assert_eq!(entries(dir.path()), ["taken"]);
    assert_eq!(std::fs::read(dst.join("inside")).unwrap(), b"keep");
}

#[tokio::test]
async fn dropping_download_path_midway_leaves_no_temp_file() {
    let (_fake, islo) = fake_with_sandbox().await;
    let data = binary_data(64 * 1024 * 1024);
    islo.sandbox("sb")
        .upload_reader(std::io::Cursor::new(data), "/workspace/big")
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let dst = dir.path().join("big");
    let sb = islo.sandbox("sb");
    let mut download = Box::pin(sb.download_file("/workspace/big", &dst));
    // Poll until the temporary file exists, then drop the download.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while entries(dir.path()).is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "no temporary file appeared"
        );
        tokio::select! {
            r = &mut download => panic!("the download finished first: {r:?}"),
            () = tokio::time::sleep(Duration::from_millis(1)) => {}
        }
    }
    drop(download);
    assert!(
        entries(dir.path()).is_empty(),
        "left behind: {:?}",
        entries(dir.path())
    );
}

/// Drops downloads while their temporary file is being created on a blocking thread.
///
/// The runtime has one blocking thread, so blocking tasks run one at a time in the order they
/// were queued: once a task queued after the 20 downloads has run, every creation has finished
/// and its result (the guard) has been dropped. No timing is involved: on code that creates
/// the file before it holds a guard, every dropped download leaves its file.
#[test]
fn dropping_download_while_its_temp_file_is_being_created_leaves_nothing() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .max_blocking_threads(1)
        .build()
        .unwrap();
    runtime.block_on(async {
        let (_fake, islo) = fake_with_sandbox().await;
        islo.sandbox("sb")
            .upload_reader(std::io::Cursor::new(b"x".to_vec()), "/workspace/small")
            .await
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let dst = dir.path().join("small");
        let sb = islo.sandbox("sb");
        for _ in 0..20 {
            let mut download = Box::pin(sb.download_file("/workspace/small", &dst));
            // One poll queues the creation of the temporary file on the blocking thread; the
            // download is dropped before that has run.
            let polled = std::future::poll_fn(|cx| {
                std::task::Poll::Ready(std::future::Future::poll(download.as_mut(), cx))
            })
            .await;
            assert!(polled.is_pending());
            drop(download);
        }
        tokio::task::spawn_blocking(|| ()).await.unwrap();
        assert!(
            entries(dir.path()).is_empty(),
            "left behind: {:?}",
            entries(dir.path())
        );
    });
}

#[tokio::test]
async fn upload_reader_streams_everything_the_reader_yields() {
    let (fake, islo) = fake_with_sandbox().await;
    let data = binary_data(512 * 1024);
    islo.sandbox("sb")
        .upload_reader(std::io::Cursor::new(data.clone()), "/workspace/r.bin")
        .await
        .unwrap();
    assert_eq!(
        fake.read_file("sb", "/workspace/r.bin").as_deref(),
        Some(&data[..])
    );
}

#[tokio::test]
async fn upload_reader_of_an_empty_reader_creates_an_empty_file() {
    let (fake, islo) = fake_with_sandbox().await;
    islo.sandbox("sb")
        .upload_reader(tokio::io::empty(), "/workspace/empty")
        .await
        .unwrap();
    assert_eq!(
        fake.read_file("sb", "/workspace/empty").as_deref(),
        Some(&b""[..])
    );
}

#[tokio::test]
async fn download_to_writer_copies_the_file_and_counts_bytes() {
    let (_fake, islo) = fake_with_sandbox().await;
    let data = binary_data(300_000);
    islo.sandbox("sb")
        .upload_reader(std::io::Cursor::new(data.clone()), "/workspace/w.bin")
        .await
        .unwrap();
    let mut sink = Vec::new();
    let n = islo
        .sandbox("sb")
        .download_to_writer("/workspace/w.bin", &mut sink)
        .await
        .unwrap();
    assert_eq!(n, data.len() as u64);
    assert_eq!(sink, data);
}

#[tokio::test]
async fn download_path_of_a_missing_file_is_404_and_leaves_no_file() {
    let (_fake, islo) = fake_with_sandbox().await;
    let dir = tempfile::tempdir().unwrap();
    let dst = dir.path().join("missing.bin");
    let e = islo
        .sandbox("sb")
        .download_file("/workspace/nope.bin", &dst)
        .await
        .unwrap_err();
    assert!(e.kind() == islo::ErrorKind::NotFound, "{e}");
    assert!(
        entries(dir.path()).is_empty(),
        "left behind: {:?}",
        entries(dir.path())
    );
}

#[tokio::test]
async fn download_path_of_a_missing_file_keeps_an_existing_local_file() {
    let (_fake, islo) = fake_with_sandbox().await;
    let dir = tempfile::tempdir().unwrap();
    let dst = dir.path().join("keep.txt");
    std::fs::write(&dst, "precious").unwrap();
    let e = islo
        .sandbox("sb")
        .download_file("/workspace/nope", &dst)
        .await
        .unwrap_err();
    assert!(e.kind() == islo::ErrorKind::NotFound, "{e}");
    assert_eq!(std::fs::read(&dst).unwrap(), b"precious");
    assert_eq!(entries(dir.path()), ["keep.txt"]);
}

#[tokio::test]
async fn download_to_writer_of_a_missing_file_writes_nothing() {
    let (_fake, islo) = fake_with_sandbox().await;
    let mut sink = Vec::new();
    let e = islo
        .sandbox("sb")
        .download_to_writer("/workspace/nope", &mut sink)
        .await
        .unwrap_err();
    assert!(e.kind() == islo::ErrorKind::NotFound, "{e}");
    assert!(sink.is_empty());
}

#[tokio::test]
async fn upload_path_of_a_missing_local_file_is_an_io_error_without_a_request() {
    let (fake, islo) = fake_with_sandbox().await;
    let e = islo
        .sandbox("sb")
        .upload_file("/definitely/not/here.bin", "/workspace/x")
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Io { .. }), "{e:?}");
    assert_eq!(fake.requests("POST", "/sandboxes/{sandbox_name}/files"), 0);
}

#[tokio::test]
async fn upload_to_a_missing_sandbox_is_404() {
    let (_fake, islo) = fake_with_sandbox().await;
    let e = islo
        .sandbox("sb-missing")
        .upload_reader(&b"x"[..], "/workspace/x")
        .await
        .unwrap_err();
    assert!(e.kind() == islo::ErrorKind::NotFound, "{e}");
}

// ---------------------------------------------------------------------------
// Directories against the fake
// ---------------------------------------------------------------------------

fn write(root: &Path, rel: &str, data: &[u8]) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, data).unwrap();
}

fn project(root: &Path) {
    write(root, "keep.txt", b"keep");
    write(root, "src/main.rs", b"fn main() {}\n");
    write(root, "src/deep/mod.rs", b"// deep\n");
    write(root, "bin.dat", &binary_data(70_000));
    write(root, "target/debug/app", b"ELF");
    write(root, "app.log", b"log");
    write(root, "src/nested.log", b"log");
    write(root, ".git/HEAD", b"ref: refs/heads/main\n");
}

#[tokio::test]
async fn upload_dir_uploads_included_files_and_skips_excluded_ones() {
    let (fake, islo) = fake_with_sandbox().await;
    let dir = tempfile::tempdir().unwrap();
    project(dir.path());
    let opts = ArchiveOptions::new()
        .exclude("target/**")
        .exclude("*.log")
        .exclude(".git");
    islo.sandbox("sb")
        .upload_dir(dir.path(), "/workspace/proj", opts)
        .await
        .unwrap();
    let f = |p: &str| fake.read_file("sb", &format!("/workspace/proj/{p}"));
    assert_eq!(f("keep.txt").as_deref(), Some(&b"keep"[..]));
    assert_eq!(f("src/main.rs").as_deref(), Some(&b"fn main() {}\n"[..]));
    assert_eq!(f("src/deep/mod.rs").as_deref(), Some(&b"// deep\n"[..]));
    assert_eq!(f("bin.dat"), Some(binary_data(70_000)));
    for excluded in ["target/debug/app", "app.log", "src/nested.log", ".git/HEAD"] {
        assert_eq!(f(excluded), None, "{excluded} should be excluded");
    }
    assert_eq!(
        fake.requests("POST", "/sandboxes/{sandbox_name}/files-archive"),
        1
    );
}

/// A bad exclude pattern is the caller's mistake: a typed local error before anything is
/// sent, whether or not progress is reported, and never retried.
#[tokio::test]
async fn upload_dir_refuses_a_bad_pattern_before_sending() {
    let (fake, islo) = fake_with_sandbox().await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.txt"), b"a").unwrap();
    let err = islo
        .sandbox("sb")
        .upload_dir(
            dir.path(),
            "/workspace/p",
            ArchiveOptions::new().exclude("a["),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Io { .. }), "{err:?}");
    assert!(!err.is_retryable(), "{err:?}");
    assert!(err.to_string().contains("a["), "{err}");
    assert_eq!(
        fake.requests("POST", "/sandboxes/{sandbox_name}/files-archive"),
        0
    );
}

/// A failure reading the tree while the archive streams (here: a file listed, then deleted
/// before it is read) is a local error naming what failed, not a connection failure to
/// retry.
#[tokio::test]
async fn upload_dir_fails_with_the_local_error_while_streaming() {
    let (fake, islo) = fake_with_sandbox().await;
    let dir = tempfile::tempdir().unwrap();
    // Archived in sorted order: the large file first, which takes a while to compress.
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let noise: Vec<u8> = (0..16 << 20)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect();
    std::fs::write(dir.path().join("a-large"), noise).unwrap();
    let doomed = dir.path().join("z-small");
    std::fs::write(&doomed, b"x").unwrap();
    let sb = islo.sandbox("sb").with_progress(move |_| {
        let _ = std::fs::remove_file(&doomed);
    });
    let err = sb
        .upload_dir(dir.path(), "/workspace/p", ArchiveOptions::new())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Io { .. }), "{err:?}");
    assert!(!err.is_retryable(), "{err:?}");
    assert!(err.to_string().contains("z-small"), "{err}");
    assert!(
        fake.requests("POST", "/sandboxes/{sandbox_name}/files-archive") <= 1,
        "retried"
    );
}

/// A local file that fails while it is read (`/proc/self/mem` answers EIO at offset 0) fails
/// the upload with that error, not with a connection failure to retry.
#[cfg(target_os = "linux")]
#[tokio::test]
async fn upload_file_fails_with_the_local_read_error() {
    let (fake, islo) = fake_with_sandbox().await;
    let err = islo
        .sandbox("sb")
        .upload_file("/proc/self/mem", "/workspace/mem")
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Io { .. }), "{err:?}");
    assert!(!err.is_retryable(), "{err:?}");
    assert!(
        fake.requests("POST", "/sandboxes/{sandbox_name}/files") <= 1,
        "retried"
    );
}

#[tokio::test]
async fn upload_dir_then_download_dir_round_trips() {
    let (_fake, islo) = fake_with_sandbox().await;
    let src = tempfile::tempdir().unwrap();
    project(src.path());
    islo.sandbox("sb")
        .upload_dir(src.path(), "/workspace/proj", ArchiveOptions::default())
        .await
        .unwrap();

    let out = tempfile::tempdir().unwrap();
    let target = out.path().join("copy");
    let summary = islo
        .sandbox("sb")
        .download_dir("/workspace/proj", &target)
        .await
        .unwrap();
    assert_eq!(summary.files, 8, "{summary:?}");
    for rel in [
        "keep.txt",
        "src/main.rs",
        "src/deep/mod.rs",
        "bin.dat",
        "target/debug/app",
        "app.log",
        ".git/HEAD",
    ] {
        assert_eq!(
            std::fs::read(target.join(rel)).unwrap(),
            std::fs::read(src.path().join(rel)).unwrap(),
            "{rel}"
        );
    }
    assert_eq!(entries(out.path()), ["copy"]);
}

/// Relative path -> kind of every entry below `root`: `dir`, `link -> <target>`, or
/// `file <exec|plain> <contents>`.
#[cfg(unix)]
fn tree(root: &Path) -> std::collections::BTreeMap<String, String> {
    use std::os::unix::fs::PermissionsExt;
    let mut out = std::collections::BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let rel = path
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            let meta = std::fs::symlink_metadata(&path).unwrap();
            let kind = if meta.file_type().is_symlink() {
                format!("link -> {}", std::fs::read_link(&path).unwrap().display())
            } else if meta.is_dir() {
                stack.push(path.clone());
                "dir".to_owned()
            } else {
                let exec = if meta.permissions().mode() & 0o111 != 0 {
                    "exec"
                } else {
                    "plain"
                };
                let data = std::fs::read(&path).unwrap();
                format!("file {exec} {}", String::from_utf8_lossy(&data))
            };
            out.insert(rel, kind);
        }
    }
    out
}

#[cfg(unix)]
#[tokio::test]
async fn upload_dir_then_download_dir_keeps_links_empty_dirs_and_the_executable_bit() {
    use std::os::unix::fs::{symlink, PermissionsExt};
    let (_fake, islo) = fake_with_sandbox().await;
    let src = tempfile::tempdir().unwrap();
    let s = src.path();
    write(s, "bin/run.sh", b"#!/bin/sh\necho hi\n");
    std::fs::set_permissions(s.join("bin/run.sh"), std::fs::Permissions::from_mode(0o755)).unwrap();
    write(s, "data/plain.txt", b"plain");
    std::fs::set_permissions(
        s.join("data/plain.txt"),
        std::fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    std::fs::create_dir_all(s.join("empty/nested-empty")).unwrap();
    std::fs::create_dir(s.join("empty-top")).unwrap();
    symlink("../data/plain.txt", s.join("bin/plain-link")).unwrap();
    symlink("data", s.join("data-link")).unwrap();
    symlink("missing-target", s.join("dangling")).unwrap();
    let expected = tree(s);
    assert_eq!(expected.len(), 10, "{expected:#?}");

    islo.sandbox("sb")
        .upload_dir(s, "/workspace/tree", ArchiveOptions::default())
        .await
        .unwrap();
    let out = tempfile::tempdir().unwrap();
    let copy = out.path().join("copy");
    let summary = islo
        .sandbox("sb")
        .download_dir("/workspace/tree", &copy)
        .await
        .unwrap();
    assert_eq!(tree(&copy), expected);
    assert_eq!(
        (summary.files, summary.dirs, summary.symlinks),
        (2, 5, 3),
        "{summary:?}"
    );
}

#[tokio::test]
async fn upload_dir_of_an_empty_directory_then_download_dir_gives_an_empty_directory() {
    let (_fake, islo) = fake_with_sandbox().await;
    let src = tempfile::tempdir().unwrap();
    islo.sandbox("sb")
        .upload_dir(src.path(), "/workspace/void", ArchiveOptions::default())
        .await
        .unwrap();
    let out = tempfile::tempdir().unwrap();
    let summary = islo
        .sandbox("sb")
        .download_dir("/workspace/void", out.path().join("copy"))
        .await
        .unwrap();
    assert_eq!(summary, islo::archive::ExtractSummary::default());
    assert!(entries(&out.path().join("copy")).is_empty());
}

#[tokio::test]
async fn download_dir_of_a_missing_directory_is_404() {
    let (_fake, islo) = fake_with_sandbox().await;
    let out = tempfile::tempdir().unwrap();
    let e = islo
        .sandbox("sb")
        .download_dir("/workspace/none", out.path().join("t"))
        .await
        .unwrap_err();
    assert!(e.kind() == islo::ErrorKind::NotFound, "{e}");
}

// ---------------------------------------------------------------------------
// Hostile archives served by httpmock
// ---------------------------------------------------------------------------

/// Appends an entry with a raw (unvalidated) name and link name.
fn raw_entry(
    b: &mut tar::Builder<Vec<u8>>,
    name: &str,
    kind: tar::EntryType,
    link: Option<&str>,
    data: &[u8],
) {
    let mut h = tar::Header::new_gnu();
    {
        let old = h.as_old_mut();
        old.name[..name.len()].copy_from_slice(name.as_bytes());
        if let Some(l) = link {
            old.linkname[..l.len()].copy_from_slice(l.as_bytes());
        }
    }
    h.set_size(data.len() as u64);
    h.set_mode(0o644);
    h.set_mtime(1_700_000_000);
    h.set_entry_type(kind);
    h.set_cksum();
    b.append(&h, data).unwrap();
}

fn tar_gz(build: impl FnOnce(&mut tar::Builder<Vec<u8>>)) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    build(&mut b);
    let tar = b.into_inner().unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut gz, &tar).unwrap();
    gz.finish().unwrap()
}

/// Serves `archive` for `GET /sandboxes/sb/files-archive`, extracts it into `<tmp>/target`
/// and returns the error plus the temp dir (to inspect what was written).
async fn download_hostile(archive: Vec<u8>) -> (Error, tempfile::TempDir) {
    let server = MockServer::start_async().await;
    server
        .mock_async(move |when, then| {
            when.method(GET)
                .path("/sandboxes/sb/files-archive")
                .query_param("path", "/d");
            then.status(200)
                .header("content-type", "application/gzip")
                .body(archive);
        })
        .await;
    let parent = tempfile::tempdir().unwrap();
    let e = retrying_mock_client(&server)
        .sandbox("sb")
        .download_dir("/d", parent.path().join("target"))
        .await
        .expect_err("the archive is refused");
    (e, parent)
}

fn all_paths(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            let p = e.path();
            out.push(p.strip_prefix(dir).unwrap().to_string_lossy().into_owned());
            if e.file_type().unwrap().is_dir() {
                stack.push(p);
            }
        }
    }
    out.sort();
    out
}

#[tokio::test]
async fn download_dir_refuses_a_dot_dot_entry() {
    let archive = tar_gz(|b| {
        raw_entry(b, "ok.txt", tar::EntryType::Regular, None, b"fine");
        raw_entry(b, "../evil", tar::EntryType::Regular, None, b"pwned");
    });
    let (e, parent) = download_hostile(archive).await;
    assert!(
        matches!(e, Error::Archive(ArchiveError::UnsafePath { .. })),
        "{e:?}"
    );
    assert_eq!(
        entries(parent.path()),
        ["target"],
        "nothing outside the target"
    );
    assert!(!parent.path().join("evil").exists());
}

#[tokio::test]
async fn download_dir_refuses_a_nested_dot_dot_entry() {
    let archive = tar_gz(|b| raw_entry(b, "a/../../evil", tar::EntryType::Regular, None, b"pwned"));
    let (e, parent) = download_hostile(archive).await;
    assert!(
        matches!(e, Error::Archive(ArchiveError::UnsafePath { .. })),
        "{e:?}"
    );
    assert!(!parent.path().join("evil").exists());
    assert_eq!(entries(parent.path()), ["target"]);
}

#[tokio::test]
async fn download_dir_refuses_an_absolute_entry() {
    let parent_probe = tempfile::tempdir().unwrap();
    let abs = parent_probe.path().join("abs-evil");
    let abs_s = abs.to_str().unwrap().to_string();
    assert!(abs_s.len() < 100);
    let archive = tar_gz(|b| raw_entry(b, &abs_s, tar::EntryType::Regular, None, b"pwned"));
    let (e, parent) = download_hostile(archive).await;
    assert!(
        matches!(e, Error::Archive(ArchiveError::UnsafePath { .. })),
        "{e:?}"
    );
    assert!(!abs.exists(), "absolute path written");
    assert!(
        all_paths(&parent.path().join("target")).is_empty(),
        "{:?}",
        all_paths(parent.path())
    );
}

#[tokio::test]
async fn download_dir_refuses_a_symlink_escaping_the_target() {
    let archive = tar_gz(|b| {
        raw_entry(b, "link", tar::EntryType::Symlink, Some("../outside"), b"");
        raw_entry(b, "link/evil", tar::EntryType::Regular, None, b"pwned");
    });
    let (e, parent) = download_hostile(archive).await;
    assert!(
        matches!(e, Error::Archive(ArchiveError::LinkEscapes { .. })),
        "{e:?}"
    );
    assert_eq!(entries(parent.path()), ["target"]);
    assert!(all_paths(&parent.path().join("target")).is_empty());
}

#[tokio::test]
async fn download_dir_refuses_an_absolute_symlink() {
    let archive = tar_gz(|b| raw_entry(b, "etc", tar::EntryType::Symlink, Some("/etc"), b""));
    let (e, parent) = download_hostile(archive).await;
    assert!(
        matches!(e, Error::Archive(ArchiveError::LinkEscapes { .. })),
        "{e:?}"
    );
    assert!(all_paths(&parent.path().join("target")).is_empty());
}

#[tokio::test]
async fn download_dir_never_writes_through_a_symlink_even_an_inner_one() {
    // `dir` -> `.` stays inside, but a file written "through" it must not follow the link.
    let archive = tar_gz(|b| {
        raw_entry(b, "sub", tar::EntryType::Symlink, Some("."), b"");
        raw_entry(b, "sub/file", tar::EntryType::Regular, None, b"through");
    });
    let (e, parent) = download_hostile(archive).await;
    assert!(
        matches!(e, Error::Archive(ArchiveError::UnsafePath { .. })),
        "{e:?}"
    );
    assert_eq!(entries(parent.path()), ["target"]);
    assert!(!parent.path().join("target/file").exists());
}

#[tokio::test]
async fn download_dir_refuses_a_hardlink_escaping_the_target() {
    let outside = tempfile::tempdir().unwrap();
    let secret = outside.path().join("secret.txt");
    std::fs::write(&secret, "secret").unwrap();
    let secret_s = secret.to_str().unwrap().to_string();
    let archive = tar_gz(|b| raw_entry(b, "h", tar::EntryType::Link, Some(&secret_s), b""));
    let (e, parent) = download_hostile(archive).await;
    assert!(
        matches!(
            e,
            Error::Archive(ArchiveError::LinkEscapes { .. } | ArchiveError::UnsafePath { .. })
        ),
        "{e:?}"
    );
    assert!(all_paths(&parent.path().join("target")).is_empty());
    assert_eq!(std::fs::read_to_string(&secret).unwrap(), "secret");
}

#[tokio::test]
async fn download_dir_refuses_a_relative_hardlink_escaping_the_target() {
    let archive = tar_gz(|b| raw_entry(b, "h", tar::EntryType::Link, Some("../victim"), b""));
    let (e, parent) = download_hostile(archive).await;
    assert!(
        matches!(
            e,
            Error::Archive(ArchiveError::LinkEscapes { .. } | ArchiveError::UnsafePath { .. })
        ),
        "{e:?}"
    );
    assert_eq!(entries(parent.path()), ["target"]);
    assert!(all_paths(&parent.path().join("target")).is_empty());
}

#[tokio::test]
async fn download_dir_refuses_a_fifo() {
    let archive = tar_gz(|b| raw_entry(b, "pipe", tar::EntryType::Fifo, None, b""));
    let (e, parent) = download_hostile(archive).await;
    assert!(
        matches!(e, Error::Archive(ArchiveError::UnsupportedEntry { .. })),
        "{e:?}"
    );
    assert!(all_paths(&parent.path().join("target")).is_empty());
}

#[tokio::test]
async fn download_dir_refuses_a_device() {
    let archive = tar_gz(|b| {
        raw_entry(b, "null", tar::EntryType::Char, None, b"");
        raw_entry(b, "disk", tar::EntryType::Block, None, b"");
    });
    let (e, parent) = download_hostile(archive).await;
    assert!(
        matches!(e, Error::Archive(ArchiveError::UnsupportedEntry { .. })),
        "{e:?}"
    );
    assert!(all_paths(&parent.path().join("target")).is_empty());
}

#[tokio::test]
async fn download_dir_refuses_a_corrupt_archive() {
    let (e, parent) = download_hostile(b"this is not gzip".to_vec()).await;
    assert!(
        matches!(e, Error::Archive(ArchiveError::Corrupt(_))),
        "{e:?}"
    );
    assert_eq!(entries(parent.path()), ["target"]);
}

#[tokio::test]
async fn download_dir_extracts_a_safe_archive_with_inner_links() {
    let archive = tar_gz(|b| {
        raw_entry(b, "dir/", tar::EntryType::Directory, None, b"");
        raw_entry(b, "dir/a.txt", tar::EntryType::Regular, None, b"aaa");
        raw_entry(b, "dir/link", tar::EntryType::Symlink, Some("a.txt"), b"");
        raw_entry(b, "hard", tar::EntryType::Link, Some("dir/a.txt"), b"");
    });
    let server = MockServer::start_async().await;
    server
        .mock_async(move |when, then| {
            when.method(GET).path("/sandboxes/sb/files-archive");
            then.status(200)
                .header("content-type", "application/gzip")
                .body(archive);
        })
        .await;
    let parent = tempfile::tempdir().unwrap();
    let target = parent.path().join("target");
    let summary = retrying_mock_client(&server)
        .sandbox("sb")
        .download_dir("/d", &target)
        .await
        .unwrap();
    assert_eq!((summary.files, summary.symlinks), (2, 1), "{summary:?}");
    assert_eq!(std::fs::read(target.join("dir/link")).unwrap(), b"aaa");
    assert_eq!(std::fs::read(target.join("hard")).unwrap(), b"aaa");
}

#[tokio::test]
async fn download_dir_refuses_a_gnu_sparse_bomb_without_writing_it() {
    // 1 GiB of holes described by one header and 512 bytes of data.
    let mut h = tar::Header::new_gnu();
    h.as_old_mut().name[..4].copy_from_slice(b"bomb");
    h.set_entry_type(tar::EntryType::GNUSparse);
    h.set_size(512);
    h.set_mode(0o644);
    let gnu = h.as_gnu_mut().unwrap();
    gnu.sparse[0].set_offset((1 << 30) - 512);
    gnu.sparse[0].set_length(512);
    gnu.set_real_size(1 << 30);
    h.set_cksum();
    let archive = tar_gz(|b| b.append(&h, &[b'x'; 512][..]).unwrap());
    assert!(archive.len() < 200, "{} bytes", archive.len());
    let (e, parent) = download_hostile(archive).await;
    assert!(
        matches!(&e, Error::Archive(ArchiveError::UnsupportedEntry { kind, .. }) if kind.contains("sparse")),
        "{e:?}"
    );
    assert!(all_paths(&parent.path().join("target")).is_empty());
}

#[tokio::test]
async fn download_dir_refuses_a_long_name_record_beyond_the_header_record_limit() {
    // A GNU long name of 8 MiB: the tar crate would read it into memory whole.
    let name = vec![b'n'; 8 << 20];
    let archive = tar_gz(|b| {
        let mut h = tar::Header::new_gnu();
        h.as_old_mut().name[..13].copy_from_slice(b"././@LongLink");
        h.set_entry_type(tar::EntryType::GNULongName);
        h.set_size(name.len() as u64);
        h.set_cksum();
        b.append(&h, &name[..]).unwrap();
        raw_entry(b, "x", tar::EntryType::Regular, None, b"data");
    });
    let (e, parent) = download_hostile(archive).await;
    match &e {
        Error::Archive(ArchiveError::LimitExceeded { limit, max }) => {
            assert_eq!((*limit, *max), ("max_header_record_bytes", 64 * 1024));
        }
        other => panic!("{other:?}"),
    }
    let text = error_chain(&e);
    assert!(text.len() < 400, "{text}");
    assert!(all_paths(&parent.path().join("target")).is_empty());
}

#[tokio::test]
async fn download_dir_with_refuses_an_archive_beyond_its_total_bytes_limit() {
    let (_fake, islo) = fake_with_sandbox().await;
    let src = tempfile::tempdir().unwrap();
    write(src.path(), "a.bin", &binary_data(10_000));
    write(src.path(), "b.bin", &binary_data(10_000));
    islo.sandbox("sb")
        .upload_dir(src.path(), "/workspace/d", ArchiveOptions::default())
        .await
        .unwrap();
    let out = tempfile::tempdir().unwrap();
    let limits = ExtractLimits::default().max_total_bytes(15_000);
    let e = islo
        .sandbox("sb")
        .download_dir_with("/workspace/d", out.path().join("t"), limits)
        .await
        .unwrap_err();
    match &e {
        Error::Archive(ArchiveError::LimitExceeded { limit, max }) => {
            assert_eq!((*limit, *max), ("max_total_bytes", 15_000));
        }
        other => panic!("{other:?}"),
    }
    let text = error_chain(&e);
    assert!(text.contains("ExtractLimits::max_total_bytes"), "{text}");
    assert_eq!(all_paths(&out.path().join("t")), ["a.bin"]);
    // The same archive fits the defaults.
    let summary = islo
        .sandbox("sb")
        .download_dir("/workspace/d", out.path().join("all"))
        .await
        .unwrap();
    assert_eq!((summary.files, summary.bytes), (2, 20_000));
}

#[tokio::test]
async fn download_dir_with_refuses_more_entries_than_its_limit() {
    let (_fake, islo) = fake_with_sandbox().await;
    let src = tempfile::tempdir().unwrap();
    for i in 0..5 {
        write(src.path(), &format!("f{i}"), b"x");
    }
    islo.sandbox("sb")
        .upload_dir(src.path(), "/workspace/many", ArchiveOptions::default())
        .await
        .unwrap();
    let out = tempfile::tempdir().unwrap();
    let e = islo
        .sandbox("sb")
        .download_dir_with(
            "/workspace/many",
            out.path().join("t"),
            ExtractLimits::default().max_entries(2),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            Error::Archive(ArchiveError::LimitExceeded {
                limit: "max_entries",
                max: 2
            })
        ),
        "{e:?}"
    );
    assert_eq!(all_paths(&out.path().join("t")).len(), 2);
}

// ---------------------------------------------------------------------------
// Upload retries (httpmock)
// ---------------------------------------------------------------------------

/// The content of the first part of a multipart body.
fn multipart_file(content_type: &str, body: &[u8]) -> Vec<u8> {
    let boundary = content_type
        .split("boundary=")
        .nth(1)
        .expect("boundary")
        .trim_matches('"');
    let start = find(body, b"\r\n\r\n").expect("part headers end") + 4;
    let end = find(body, format!("\r\n--{boundary}--").as_bytes()).expect("closing delimiter");
    body[start..end].to_vec()
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn tar_gz_names(data: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut ar = tar::Archive::new(flate2::read::GzDecoder::new(data));
    let mut out = Vec::new();
    for e in ar.entries().unwrap() {
        let mut e = e.unwrap();
        if e.header().entry_type().is_file() {
            let name = e.path().unwrap().to_string_lossy().into_owned();
            let mut buf = Vec::new();
            e.read_to_end(&mut buf).unwrap();
            out.push((name, buf));
        }
    }
    out.sort();
    out
}

type Bodies = Arc<Mutex<Vec<(String, Vec<u8>)>>>;

/// Answers `first` for the first request and 200 afterwards, recording every request's
/// content type and body.
async fn scripted_upload<'a>(
    server: &'a MockServer,
    path: &str,
    first: HttpMockResponse,
) -> (httpmock::Mock<'a>, Bodies) {
    let bodies: Bodies = Arc::default();
    let sink = bodies.clone();
    let n = Arc::new(AtomicUsize::new(0));
    let path = path.to_string();
    let mock = server
        .mock_async(move |when, then| {
            when.method(POST).path(path);
            then.respond_with(move |req| {
                let ct = req
                    .headers()
                    .get("content-type")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("")
                    .to_string();
                sink.lock().unwrap().push((ct, req.body_vec()));
                if n.fetch_add(1, Ordering::SeqCst) == 0 {
                    first.clone()
                } else {
                    HttpMockResponse::builder()
                        .status(200)
                        .header("content-type", "application/json")
                        .body(r#"{"status":"uploaded"}"#)
                        .build()
                }
            });
        })
        .await;
    (mock, bodies)
}

fn rate_limited() -> HttpMockResponse {
    HttpMockResponse::builder()
        .status(429)
        .header("retry-after", "0")
        .header("content-type", "application/json")
        .body(r#"{"code":"RATE_LIMITED","message":"slow down"}"#)
        .build()
}

fn server_error() -> HttpMockResponse {
    HttpMockResponse::builder()
        .status(500)
        .header("content-type", "application/json")
        .body(r#"{"code":"INTERNAL","message":"boom"}"#)
        .build()
}

#[tokio::test]
async fn upload_dir_is_retried_after_429_with_a_rebuilt_complete_body() {
    let server = MockServer::start_async().await;
    let (mock, bodies) =
        scripted_upload(&server, "/sandboxes/sb/files-archive", rate_limited()).await;
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a.txt", b"alpha");
    write(dir.path(), "sub/b.bin", &binary_data(200_000));
    retrying_mock_client(&server)
        .sandbox("sb")
        .upload_dir(dir.path(), "/workspace/p", ArchiveOptions::default())
        .await
        .unwrap();
    assert_eq!(mock.calls_async().await, 2);
    let bodies = bodies.lock().unwrap().clone();
    let expected = vec![
        ("a.txt".to_string(), b"alpha".to_vec()),
        ("sub/b.bin".to_string(), binary_data(200_000)),
    ];
    for (ct, body) in &bodies {
        assert!(ct.starts_with("multipart/form-data"), "{ct}");
        assert_eq!(tar_gz_names(&multipart_file(ct, body)), expected);
    }
}

#[tokio::test]
async fn upload_path_is_retried_after_429_with_the_whole_file() {
    let server = MockServer::start_async().await;
    let (mock, bodies) = scripted_upload(&server, "/sandboxes/sb/files", rate_limited()).await;
    let dir = tempfile::tempdir().unwrap();
    let data = binary_data(100_000);
    let src = dir.path().join("f.bin");
    std::fs::write(&src, &data).unwrap();
    retrying_mock_client(&server)
        .sandbox("sb")
        .upload_file(&src, "/workspace/f.bin")
        .await
        .unwrap();
    assert_eq!(mock.calls_async().await, 2);
    let bodies = bodies.lock().unwrap().clone();
    let (ct, body) = &bodies[1];
    assert_eq!(multipart_file(ct, body), data);
    assert!(find(body, b"name=\"file\"").is_some());
    assert!(find(body, b"filename=\"f.bin\"").is_some());
}

#[tokio::test]
async fn upload_dir_is_not_retried_after_a_500() {
    let server = MockServer::start_async().await;
    let (mock, _) = scripted_upload(&server, "/sandboxes/sb/files-archive", server_error()).await;
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a.txt", b"alpha");
    let e = retrying_mock_client(&server)
        .sandbox("sb")
        .upload_dir(dir.path(), "/workspace/p", ArchiveOptions::default())
        .await
        .unwrap_err();
    assert_eq!(e.status().map(|s| s.as_u16()), Some(500), "{e}");
    assert_eq!(mock.calls_async().await, 1);
}

#[tokio::test]
async fn upload_path_is_not_retried_after_a_500() {
    let server = MockServer::start_async().await;
    let (mock, _) = scripted_upload(&server, "/sandboxes/sb/files", server_error()).await;
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("f.bin");
    std::fs::write(&src, b"x").unwrap();
    let e = retrying_mock_client(&server)
        .sandbox("sb")
        .upload_file(&src, "/workspace/f.bin")
        .await
        .unwrap_err();
    assert_eq!(e.status().map(|s| s.as_u16()), Some(500), "{e}");
    assert_eq!(mock.calls_async().await, 1);
}

#[tokio::test]
async fn upload_reader_makes_one_attempt_even_on_429() {
    let server = MockServer::start_async().await;
    let (mock, _) = scripted_upload(&server, "/sandboxes/sb/files", rate_limited()).await;
    let e = retrying_mock_client(&server)
        .sandbox("sb")
        .upload_reader(&b"once"[..], "/workspace/x")
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::TooManyRequests, "{e}");
    assert_eq!(mock.calls_async().await, 1);
}

#[tokio::test]
async fn upload_dir_gives_up_after_max_attempts_of_429() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST).path("/sandboxes/sb/files-archive");
            then.status(429).header("retry-after", "0").body("{}");
        })
        .await;
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a.txt", b"alpha");
    let e = retrying_mock_client(&server)
        .sandbox("sb")
        .upload_dir(dir.path(), "/w", ArchiveOptions::default())
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::TooManyRequests, "{e}");
    // the client's default is 2 attempts
    assert_eq!(mock.calls_async().await, 2);
}

#[tokio::test]
async fn upload_against_the_fake_survives_a_rate_limit() {
    let (fake, islo) = fake_with_sandbox().await;
    fake.rate_limit_next(1, Duration::ZERO);
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a.txt", b"alpha");
    islo.sandbox("sb")
        .upload_dir(dir.path(), "/workspace/rl", ArchiveOptions::default())
        .await
        .unwrap();
    assert_eq!(
        fake.read_file("sb", "/workspace/rl/a.txt").as_deref(),
        Some(&b"alpha"[..])
    );
    assert_eq!(
        fake.requests("POST", "/sandboxes/{sandbox_name}/files-archive"),
        2
    );
}

#[tokio::test]
async fn upload_dir_of_a_missing_local_directory_is_an_io_error_without_a_request() {
    let (fake, islo) = fake_with_sandbox().await;
    let e = islo
        .sandbox("sb")
        .upload_dir(
            "/definitely/not/a/dir",
            "/workspace/x",
            ArchiveOptions::default(),
        )
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Io { .. }), "{e:?}");
    assert_eq!(
        fake.requests("POST", "/sandboxes/{sandbox_name}/files-archive"),
        0
    );
}

#[tokio::test]
async fn upload_dir_of_a_regular_file_is_an_io_error_without_a_request() {
    let (fake, islo) = fake_with_sandbox().await;
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "plain.txt", b"x");
    let e = islo
        .sandbox("sb")
        .upload_dir(
            dir.path().join("plain.txt"),
            "/workspace/x",
            ArchiveOptions::default(),
        )
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Io { .. }), "{e:?}");
    assert_eq!(
        fake.requests("POST", "/sandboxes/{sandbox_name}/files-archive"),
        0
    );
}

// ---------------------------------------------------------------------------
// Large transfers: the fake's upload sink and generated files
// ---------------------------------------------------------------------------

async fn sink_fake_with_sandbox() -> (FakeIslo, islo::sandbox::Sandbox) {
    let fake = FakeIslo::builder()
        .discard_uploads_under("/sink")
        .start()
        .await
        .expect("fake starts");
    let islo = client_for(&fake);
    islo.create_sandbox(types::SandboxCreate {
        name: Some("sb".into()),
        ..Default::default()
    })
    .send()
    .await
    .expect("sandbox created");
    (fake, islo.sandbox("sb"))
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = flate2::Crc::new();
    crc.update(data);
    crc.sum()
}

#[tokio::test]
async fn upload_file_to_the_sink_arrives_whole_by_length_and_crc() {
    let (fake, sb) = sink_fake_with_sandbox().await;
    let dir = tempfile::tempdir().unwrap();
    let data = binary_data(5 * 1024 * 1024 + 3);
    let local = dir.path().join("blob.bin");
    std::fs::write(&local, &data).unwrap();
    sb.upload_file(&local, "/sink/blob.bin").await.unwrap();
    let seen = fake.discarded_uploads();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].path, "/sink/blob.bin");
    assert!(!seen[0].archive);
    assert_eq!(seen[0].bytes, data.len() as u64);
    assert_eq!(seen[0].crc32, crc32(&data));
}

#[tokio::test]
async fn upload_dir_to_the_sink_sends_a_valid_archive_of_every_file() {
    let (fake, sb) = sink_fake_with_sandbox().await;
    let dir = tempfile::tempdir().unwrap();
    let tree = islo::mock::GeneratedTree::new(300, 3_000_000)
        .files_per_dir(50)
        .seed(11);
    tree.write_to(dir.path()).unwrap();
    sb.upload_dir(dir.path(), "/sink/tree", ArchiveOptions::default())
        .await
        .unwrap();
    let seen = fake.discarded_uploads();
    assert_eq!(seen.len(), 1);
    assert!(seen[0].archive);
    let contents = seen[0].contents.expect("archive contents");
    assert_eq!(contents.files, 300);
    assert_eq!(contents.dirs, 6);
    assert_eq!(contents.file_bytes, 3_000_000);
}

#[tokio::test]
async fn download_file_of_a_generated_file_writes_its_content() {
    let (fake, sb) = sink_fake_with_sandbox().await;
    let len = 6 * 1024 * 1024 + 5;
    fake.put_generated_file("sb", "/workspace/big.bin", len, 21)
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let local = dir.path().join("big.bin");
    assert_eq!(
        sb.download_file("/workspace/big.bin", &local)
            .await
            .unwrap(),
        len
    );
    let mut expected = Vec::new();
    islo::mock::GeneratedContent::new(21, len)
        .read_to_end(&mut expected)
        .unwrap();
    assert!(std::fs::read(&local).unwrap() == expected);
}

#[tokio::test]
async fn download_dir_of_a_generated_tree_extracts_every_file() {
    let (fake, sb) = sink_fake_with_sandbox().await;
    let tree = islo::mock::GeneratedTree::new(400, 4_000_000).seed(12);
    fake.put_generated_tree("sb", "/workspace/data", &tree)
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let summary = sb
        .download_dir("/workspace/data", dir.path())
        .await
        .unwrap();
    assert_eq!((summary.files, summary.bytes), (400, 4_000_000));
    let reference = tempfile::tempdir().unwrap();
    tree.write_to(reference.path()).unwrap();
    for e in tree.entries().step_by(37) {
        assert!(
            std::fs::read(dir.path().join(&e.path)).unwrap()
                == std::fs::read(reference.path().join(&e.path)).unwrap(),
            "{}",
            e.path
        );
    }
}

/// The call timeout bounds calls that answer at once, not a streamed upload, which takes as
/// long as its data does: a reader that trickles for longer than the timeout still uploads.
#[tokio::test]
async fn a_streamed_upload_is_not_cut_by_the_call_timeout() {
    let fake = FakeIslo::start().await.unwrap();
    let islo = fake
        .client_builder()
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    islo.create_sandbox(types::SandboxCreate {
        name: Some("sb".into()),
        ..Default::default()
    })
    .send()
    .await
    .unwrap();
    let (mut tx, rx) = tokio::io::duplex(64);
    let feeder = tokio::spawn(async move {
        use tokio::io::AsyncWriteExt;
        for _ in 0..10 {
            tx.write_all(b"0123456789").await.unwrap();
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    });
    islo.sandbox("sb")
        .upload_reader(rx, "/workspace/slow.txt")
        .await
        .unwrap();
    feeder.await.unwrap();
    assert_eq!(
        fake.read_file("sb", "/workspace/slow.txt").unwrap(),
        b"0123456789".repeat(10)
    );
}

/// A FIFO cannot be reopened for a second attempt (its data is gone, and opening it again
/// would wait for a writer that never comes): `upload_file` of one makes one attempt, and a
/// 429 on it is returned, not retried into a hang.
#[cfg(unix)]
#[tokio::test]
async fn upload_file_of_a_fifo_makes_one_attempt_instead_of_hanging() {
    let (fake, islo) = fake_with_sandbox().await;
    fake.rate_limit_next(1, Duration::ZERO);
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("pipe");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let writer_path = fifo.clone();
    std::thread::spawn(move || {
        let _ = std::fs::write(&writer_path, vec![b'x'; 200_000]);
    });
    let result = tokio::time::timeout(
        Duration::from_secs(20),
        islo.sandbox("sb").upload_file(&fifo, "/workspace/pipe"),
    )
    .await;
    // Whatever happened, let a reopened FIFO (the old behaviour) find a writer, so that no
    // blocked thread outlives the test.
    let release = fifo.clone();
    std::thread::spawn(move || {
        let _ = std::fs::write(&release, b"");
    });
    let err = result.expect("no hang").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TooManyRequests, "{err:?}");
    assert_eq!(fake.requests("POST", "/sandboxes/{sandbox_name}/files"), 1);
}

/// `upload_file` of a directory fails before anything is sent, naming the path and the
/// helper that uploads directories.
#[tokio::test]
async fn upload_file_of_a_directory_is_refused_before_sending() {
    let (fake, islo) = fake_with_sandbox().await;
    let dir = tempfile::tempdir().unwrap();
    let err = islo
        .sandbox("sb")
        .upload_file(dir.path(), "/workspace/d")
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Io { .. }), "{err:?}");
    assert!(err.to_string().contains("upload_dir"), "{err}");
    assert_eq!(fake.requests("POST", "/sandboxes/{sandbox_name}/files"), 0);
}

/// A key the token endpoint refuses (401) is not offered again by an upload's own replay
/// of a 401: that replay is for the API's 401 on a token from the cache.
#[tokio::test]
async fn an_upload_does_not_retry_a_refused_key() {
    let fake = FakeIslo::start().await.unwrap();
    fake.fail_token_exchange(Some(401));
    let islo = client_for(&fake);
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a.txt", b"alpha");
    let err = islo
        .sandbox("sb")
        .upload_file(dir.path().join("a.txt"), "/workspace/a.txt")
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Auth(_)), "{err:?}");
    assert_eq!(fake.requests("POST", "/auth/token"), 1);
}

/// A download over an existing file keeps that file's permissions: a private key stays
/// private and a program stays executable (the temporary file renamed over it had the
/// default mode).
#[cfg(unix)]
#[tokio::test]
async fn download_file_over_a_file_keeps_its_permissions() {
    use std::os::unix::fs::PermissionsExt as _;
    let (fake, islo) = fake_with_sandbox().await;
    fake.put_file("sb", "/workspace/key", &b"new secret"[..])
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    for mode in [0o600, 0o755] {
        let local = dir.path().join(format!("key-{mode:o}"));
        std::fs::write(&local, b"old").unwrap();
        std::fs::set_permissions(&local, std::fs::Permissions::from_mode(mode)).unwrap();
        islo.sandbox("sb")
            .download_file("/workspace/key", &local)
            .await
            .unwrap();
        assert_eq!(std::fs::read(&local).unwrap(), b"new secret");
        let now = std::fs::metadata(&local).unwrap().permissions().mode() & 0o777;
        assert_eq!(now, mode, "{mode:o} became {now:o}");
    }
}

/// A download to a symbolic link writes the file the link points to (the link stays, and
/// the file keeps its permissions), as `cp` and `curl -o` do; the rename of the temporary
/// file used to replace the link with a new file of the default mode.
#[cfg(unix)]
#[tokio::test]
async fn download_file_to_a_symlink_writes_through_it() {
    use std::os::unix::fs::PermissionsExt as _;
    let (fake, islo) = fake_with_sandbox().await;
    fake.put_file("sb", "/workspace/key", &b"new secret"[..])
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("real")).unwrap();
    let target = dir.path().join("real/id_key");
    std::fs::write(&target, b"old").unwrap();
    std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o600)).unwrap();
    let link = dir.path().join("id_key");
    std::os::unix::fs::symlink("real/id_key", &link).unwrap();
    islo.sandbox("sb")
        .download_file("/workspace/key", &link)
        .await
        .unwrap();
    assert!(std::fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(std::fs::read(&target).unwrap(), b"new secret");
    let mode = std::fs::metadata(&target).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    // A dangling link: the file it names is created.
    let dangling = dir.path().join("dangling");
    std::os::unix::fs::symlink("real/new_file", &dangling).unwrap();
    islo.sandbox("sb")
        .download_file("/workspace/key", &dangling)
        .await
        .unwrap();
    assert!(std::fs::symlink_metadata(&dangling)
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(
        std::fs::read(dir.path().join("real/new_file")).unwrap(),
        b"new secret"
    );
}

/// A download to a named pipe writes into the pipe (it is not replaced by a file).
#[cfg(unix)]
#[tokio::test]
async fn download_file_to_a_fifo_writes_into_it() {
    use std::os::unix::fs::FileTypeExt as _;
    let (fake, islo) = fake_with_sandbox().await;
    fake.put_file("sb", "/workspace/data", &b"through the pipe"[..])
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("pipe");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read(&fifo).unwrap())
    };
    let r = tokio::time::timeout(
        Duration::from_secs(10),
        islo.sandbox("sb").download_file("/workspace/data", &fifo),
    )
    .await
    .expect("ends");
    let kind = std::fs::symlink_metadata(&fifo).unwrap().file_type();
    // Let the reader go in any case (a writer end opened and closed).
    if !kind.is_fifo() {
        let _ = std::fs::OpenOptions::new()
            .write(true)
            .open(dir.path().join("pipe"));
    }
    assert!(kind.is_fifo(), "the pipe was replaced: {kind:?}");
    r.unwrap();
    assert_eq!(reader.join().unwrap(), b"through the pipe");
}

/// A download to a directory fails before anything is fetched.
#[tokio::test]
async fn download_file_to_a_directory_fails_before_fetching() {
    let (fake, islo) = fake_with_sandbox().await;
    fake.put_file("sb", "/workspace/data", &b"x"[..]).unwrap();
    let dir = tempfile::tempdir().unwrap();
    fake.reset_counters();
    let err = islo
        .sandbox("sb")
        .download_file("/workspace/data", dir.path())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Local, "{err:?}");
    assert_eq!(fake.requests("GET", "/sandboxes/{sandbox_name}/files"), 0);
}

/// A source that is slow to give its data is not a stalled connection: the idle limit of a
/// streamed upload counts only while the connection holds a chunk it has not taken up.
#[tokio::test]
async fn a_slow_upload_source_is_not_cut_by_the_timeout() {
    use tokio::io::AsyncWriteExt;
    let (fake, islo) = fake_with_sandbox().await;
    let islo = islo.with_timeout(Duration::from_millis(200));
    let (reader, mut writer) = tokio::io::duplex(64);
    let feed = tokio::spawn(async move {
        for part in [&b"slow "[..], b"but ", b"steady"] {
            writer.write_all(part).await.unwrap();
            tokio::time::sleep(Duration::from_millis(600)).await;
        }
    });
    islo.sandbox("sb")
        .upload_reader(reader, "/workspace/slow.txt")
        .await
        .expect("a slow source is waited for");
    feed.await.unwrap();
    assert_eq!(
        fake.read_file("sb", "/workspace/slow.txt").as_deref(),
        Some(&b"slow but steady"[..])
    );
}

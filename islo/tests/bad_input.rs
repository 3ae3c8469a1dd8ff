//! Bad-input suite: invalid configuration, malformed or hostile server answers.
//!
//! Every case must end in a typed [`islo::Error`] whose text (Display plus the source
//! chain) names the cause, never in a panic.

mod client_support;
use client_support::chain;
use futures_util::StreamExt;
use httpmock::prelude::*;
use islo::archive::ArchiveError;
use islo::exec::{ExecEvent, ExecOptions};
use islo::{Error, Islo};
use std::io::Write;

fn client(server: &MockServer) -> Islo {
    Islo::builder()
        .ignore_env()
        .session_token("sess-token")
        .control_url(server.base_url())
        .compute_url(server.base_url())
        .max_attempts(1)
        .build()
        .expect("client builds")
}

async fn get_sandbox(islo: &Islo) -> Result<islo::types::SandboxResponse, Error> {
    Ok(islo.get_sandbox("sb").send().await?.into_inner())
}

const VALID: &str = r#"{"created_at":"2025-01-01T00:00:00Z","id":"sb_1","image":"ubuntu","name":"sb","status":"running"}"#;

// ---------------------------------------------------------------------------
// Configuration
// ---------------------------------------------------------------------------

#[test]
fn invalid_base_urls_are_config_errors() {
    let cases = [
        ("ftp://example.com", "http or https"),
        ("not a url", "not a URL"),
        ("http://", "not a URL"),
        ("https://user:p4ssw0rd@api.example.com", "credentials"),
        ("https://api.example.com/?q=1", "query"),
        ("", "not a URL"),
        ("   ", "not a URL"),
    ];
    for (url, cause) in cases {
        for compute in [false, true] {
            let mut b = Islo::builder().ignore_env().api_key("ak_test");
            b = if compute {
                b.control_url("https://api.example.com").compute_url(url)
            } else {
                b.control_url(url)
                    .compute_url("https://compute.example.com")
            };
            let err = b.build().expect_err(url);
            assert!(matches!(err, Error::Config(_)), "{url:?}: {err:?}");
            let text = chain(&err);
            // "http://" parses as "empty host" on some url versions: accept either cause.
            assert!(
                text.contains(cause) || text.contains("host"),
                "{url:?}: `{text}` should name `{cause}`"
            );
            assert!(!text.contains("p4ssw0rd"), "credentials leaked: {text}");
            assert!(
                text.contains(if compute {
                    "compute URL"
                } else {
                    "control URL"
                }),
                "names which URL: {text}"
            );
        }
    }
}

#[test]
fn empty_or_whitespace_api_keys_are_config_errors() {
    for key in ["", " ", "\t\n", " ak_x", "ak_x ", "ak\u{0}x", "ak\nx"] {
        let err = Islo::builder()
            .ignore_env()
            .api_key(key)
            .control_url("https://api.example.com")
            .build()
            .expect_err("refused");
        assert!(matches!(err, Error::Config(_)), "{key:?}: {err:?}");
        assert!(chain(&err).contains("API key"), "{key:?}: {err}");
    }
    let err = Islo::builder()
        .ignore_env()
        .session_token("  ")
        .build()
        .expect_err("refused");
    assert!(matches!(err, Error::Config(_)), "{err:?}");
    assert!(err.to_string().contains("session token"), "{err}");
}

#[test]
fn missing_key_and_bad_headers_are_config_errors() {
    let err = Islo::builder().ignore_env().build().expect_err("no key");
    assert!(matches!(err, Error::Config(_)));
    assert!(err.to_string().contains("api_key"), "{err}");
    for (name, value) in [("bad name", "v"), ("x-ok", "line\nbreak"), ("", "v")] {
        let err = Islo::builder()
            .ignore_env()
            .api_key("ak_test")
            .header(name, value)
            .build()
            .expect_err("bad header");
        assert!(matches!(err, Error::Config(_)), "{name:?}: {err:?}");
        assert!(err.to_string().contains("header"), "{err}");
    }
}

// ---------------------------------------------------------------------------
// Malformed JSON bodies
// ---------------------------------------------------------------------------

async fn serve_get(body: impl AsRef<[u8]>, status: u16, content_type: &str) -> MockServer {
    let server = MockServer::start_async().await;
    let body = body.as_ref().to_vec();
    let ct = content_type.to_string();
    server
        .mock_async(move |when, then| {
            when.method(GET).path("/sandboxes/sb");
            then.status(status).header("content-type", ct).body(body);
        })
        .await;
    server
}

fn assert_decode(err: &Error, body: &[u8], cause: &str) {
    match err {
        Error::Decode {
            operation,
            body: raw,
            ..
        } => {
            assert_eq!(*operation, "get_sandbox");
            assert_eq!(raw.len(), body.len(), "the raw body is kept whole");
            assert!(raw.as_ref() == body, "the raw body is kept verbatim");
        }
        other => panic!("expected Error::Decode, got {other:?}"),
    }
    let text = chain(err);
    assert!(text.contains("decode"), "{text}");
    assert!(text.contains(cause), "`{text}` should name `{cause}`");
}

#[tokio::test]
async fn malformed_json_is_a_decode_error_keeping_the_body() {
    let body = br#"{"name": sb, }"#;
    let server = serve_get(body, 200, "application/json").await;
    let err = get_sandbox(&client(&server)).await.expect_err("malformed");
    assert_decode(&err, body, "expected value");
}

#[tokio::test]
async fn truncated_json_is_a_decode_error_keeping_the_body() {
    let body = &VALID.as_bytes()[..VALID.len() / 2];
    let server = serve_get(body, 200, "application/json").await;
    let err = get_sandbox(&client(&server)).await.expect_err("truncated");
    assert_decode(&err, body, "EOF");
}

#[tokio::test]
async fn wrong_typed_json_is_a_decode_error_keeping_the_body() {
    let body = VALID.replace(r#""name":"sb""#, r#""name":12345"#);
    let server = serve_get(&body, 200, "application/json").await;
    let err = get_sandbox(&client(&server)).await.expect_err("wrong type");
    assert_decode(&err, body.as_bytes(), "invalid type");
    let body = VALID.replace(r#""status":"running""#, r#""status":{"nested":true}"#);
    let server = serve_get(&body, 200, "application/json").await;
    let err = get_sandbox(&client(&server)).await.expect_err("wrong type");
    assert_decode(&err, body.as_bytes(), "invalid type");
}

#[tokio::test]
async fn missing_required_field_is_a_decode_error() {
    let body = r#"{"id":"sb_1","name":"sb"}"#;
    let server = serve_get(body, 200, "application/json").await;
    let err = get_sandbox(&client(&server))
        .await
        .expect_err("missing fields");
    assert_decode(&err, body.as_bytes(), "missing field");
}

#[tokio::test]
async fn oversized_json_is_handled_both_ways() {
    // 20 MB string field in an otherwise valid document: decodes.
    let big = "x".repeat(20 << 20);
    let body = VALID.replace(r#""image":"ubuntu""#, &format!(r#""image":"{big}""#));
    let server = serve_get(&body, 200, "application/json").await;
    let sb = get_sandbox(&client(&server))
        .await
        .expect("large but valid");
    assert_eq!(sb.image.len(), 20 << 20);
    // The same, cut one byte short: a decode error that still holds all 20 MB.
    let cut = &body.as_bytes()[..body.len() - 1];
    let server = serve_get(cut, 200, "application/json").await;
    let err = get_sandbox(&client(&server)).await.expect_err("truncated");
    assert_decode(&err, cut, "EOF");
}

// ---------------------------------------------------------------------------
// Unexpected statuses and content types
// ---------------------------------------------------------------------------

#[tokio::test]
async fn teapot_is_an_api_error_with_its_status() {
    let server = serve_get("I'm a teapot", 418, "text/plain").await;
    let err = get_sandbox(&client(&server)).await.expect_err("418");
    let api = err
        .as_api()
        .unwrap_or_else(|| panic!("Api error, got {err:?}"));
    assert_eq!(api.status().as_u16(), 418);
    assert_eq!(api.kind(), islo::ErrorKind::Other);
    assert_eq!(api.operation(), "get_sandbox");
    assert_eq!(api.body().as_ref(), b"I'm a teapot");
    assert!(!err.is_retryable());
    let text = chain(&err);
    assert!(text.contains("418") && text.contains("teapot"), "{text}");
}

#[tokio::test]
async fn redirect_without_location_is_an_api_error() {
    let server = serve_get("", 302, "text/plain").await;
    let err = get_sandbox(&client(&server)).await.expect_err("302");
    assert_eq!(err.status().map(|s| s.as_u16()), Some(302), "{err:?}");
    assert!(chain(&err).contains("302"), "{err}");
}

#[tokio::test]
async fn cross_origin_redirect_is_refused() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/sandboxes/sb");
            then.status(302)
                .header("location", "http://evil.example.net:8080/steal?token=1");
        })
        .await;
    let err = get_sandbox(&client(&server)).await.expect_err("refused");
    match &err {
        Error::Redirect {
            operation,
            reason,
            target_origin,
        } => {
            assert_eq!(*operation, "get_sandbox");
            assert!(reason.contains("cross-origin"));
            assert_eq!(target_origin, "http://evil.example.net:8080");
        }
        other => panic!("expected Error::Redirect, got {other:?}"),
    }
    assert!(
        !chain(&err).contains("steal"),
        "no path or query in the error"
    );
}

#[tokio::test]
async fn html_200_is_a_decode_error() {
    let body = "<html><body>Gateway login</body></html>";
    let server = serve_get(body, 200, "text/html").await;
    let err = get_sandbox(&client(&server)).await.expect_err("html");
    assert_decode(&err, body.as_bytes(), "expected value");
}

#[tokio::test]
async fn html_500_is_an_api_error_with_the_raw_body() {
    let body = "<html>oops</html>";
    let server = serve_get(body, 500, "text/html").await;
    let err = get_sandbox(&client(&server)).await.expect_err("500");
    let api = err.as_api().expect("Api error");
    assert!(matches!(api.decoded(), islo::ErrorBody::Raw));
    assert_eq!(api.body().as_ref(), body.as_bytes());
    assert!(chain(&err).contains("oops"), "{err}");
}

#[tokio::test]
async fn undocumented_success_status_is_a_typed_error() {
    let server = serve_get("", 204, "application/json").await;
    let result = get_sandbox(&client(&server)).await;
    let err = result.expect_err("204 is not the documented 200");
    assert!(
        matches!(err, Error::Unexpected(_) | Error::Decode { .. }),
        "got {err:?}"
    );
    assert!(
        chain(&err).contains("204") || chain(&err).contains("EOF"),
        "{err}"
    );
}

// ---------------------------------------------------------------------------
// Hostile server-sent events
// ---------------------------------------------------------------------------

async fn serve_stream(body: Vec<u8>) -> MockServer {
    let server = MockServer::start_async().await;
    server
        .mock_async(move |when, then| {
            when.method(POST).path("/sandboxes/sb/exec/stream");
            then.status(200)
                .header("content-type", "text/event-stream")
                .body(body);
        })
        .await;
    server
}

async fn first_error(body: Vec<u8>) -> Error {
    let server = serve_stream(body).await;
    let islo = client(&server);
    let mut events = islo
        .sandbox("sb")
        .exec_stream(["true"], ExecOptions::new())
        .await
        .expect("stream opens");
    let mut seen = 0;
    while let Some(ev) = events.next().await {
        match ev {
            Ok(_) => seen += 1,
            Err(e) => {
                assert!(
                    events.next().await.is_none(),
                    "the stream ends after an error"
                );
                return e;
            }
        }
        assert!(seen < 1000, "runaway stream");
    }
    panic!("stream ended without an error");
}

#[tokio::test]
async fn never_ending_line_beyond_the_event_limit_is_an_sse_error() {
    let limit = islo::sse::DEFAULT_MAX_EVENT_BYTES;
    let mut body = b"event: stdout\ndata: ".to_vec();
    body.resize(limit + 1024, b'a');
    let err = first_error(body).await;
    assert!(
        matches!(
            err,
            Error::Stream { reason: islo::StreamError::Read(islo::sse::SseError::EventTooLarge { limit: l }), .. } if l == limit
        ),
        "got {err:?}"
    );
    assert!(chain(&err).contains("exceeds the limit"), "{}", chain(&err));
}

#[tokio::test]
async fn invalid_utf8_in_an_event_is_an_sse_error() {
    let err =
        first_error(b"event: stdout\ndata: ok\n\nevent: stdout\ndata: \xff\xfe\n\n".to_vec()).await;
    assert!(
        matches!(
            err,
            Error::Stream {
                reason: islo::StreamError::Read(islo::sse::SseError::InvalidUtf8),
                ..
            }
        ),
        "got {err:?}"
    );
    assert!(chain(&err).contains("UTF-8"), "{}", chain(&err));
}

#[tokio::test]
async fn garbage_exit_code_is_a_stream_error() {
    let err =
        first_error(b"event: stdout\ndata: hi\n\nevent: exit\ndata: 12abc\n\n".to_vec()).await;
    assert!(matches!(err, Error::Stream { .. }), "got {err:?}");
    assert!(chain(&err).contains("12abc"), "{}", chain(&err));
    let err = first_error(b"event: exit\ndata: 99999999999999999999\n\n".to_vec()).await;
    assert!(matches!(err, Error::Stream { .. }), "got {err:?}");
}

#[tokio::test]
async fn stream_without_exit_event_is_a_stream_error() {
    let err =
        first_error(b"event: stdout\ndata: hi\n\nevent: error\ndata: boom\n\n".to_vec()).await;
    assert!(matches!(err, Error::Stream { .. }), "got {err:?}");
    let server = serve_stream(b"event: stdout\ndata: hi\n\n".to_vec()).await;
    let islo = client(&server);
    let (mut out, mut errw) = (Vec::new(), Vec::new());
    let e = islo
        .sandbox("sb")
        .exec_to_writers(["x"], ExecOptions::new(), &mut out, &mut errw)
        .await
        .expect_err("no exit");
    assert!(matches!(e, Error::Stream { .. }), "{e:?}");
    assert_eq!(out, b"hi");
}

#[tokio::test]
async fn well_formed_stream_still_parses() {
    let server =
        serve_stream(b"event: stdout\ndata: hi\n\nevent: exit\ndata: 3\n\n".to_vec()).await;
    let islo = client(&server);
    let events: Vec<_> = islo
        .sandbox("sb")
        .exec_stream(["x"], ExecOptions::new())
        .await
        .unwrap()
        .collect()
        .await;
    let events: Vec<ExecEvent> = events.into_iter().map(Result::unwrap).collect();
    assert_eq!(
        events,
        vec![ExecEvent::Stdout("hi".into()), ExecEvent::Exit(3)]
    );
}

// ---------------------------------------------------------------------------
// Crafted tar archives
// ---------------------------------------------------------------------------

/// A raw tar header with `name` (and `link`) written verbatim, bypassing the tar crate's
/// own path checks.
fn raw_header(name: &[u8], kind: tar::EntryType, size: u64, link: &[u8]) -> tar::Header {
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(kind);
    h.set_size(size);
    h.set_mode(if kind == tar::EntryType::Directory {
        0o755
    } else {
        0o644
    });
    h.set_mtime(0);
    {
        let gnu = h.as_gnu_mut().unwrap();
        gnu.name[..name.len()].copy_from_slice(name);
        gnu.linkname[..link.len()].copy_from_slice(link);
    }
    h.set_cksum();
    h
}

/// One crafted entry: (path, type, content, link target).
type Entry<'a> = (&'a [u8], tar::EntryType, &'a [u8], &'a [u8]);

fn tar_gz(entries: &[Entry<'_>]) -> Vec<u8> {
    let enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let mut b = tar::Builder::new(enc);
    for (name, kind, data, link) in entries {
        let h = raw_header(name, *kind, data.len() as u64, link);
        b.append(&h, *data).unwrap();
    }
    let mut enc = b.into_inner().unwrap();
    enc.flush().unwrap();
    enc.finish().unwrap()
}

async fn download_dir(
    archive: Vec<u8>,
) -> (
    Result<islo::archive::ExtractSummary, Error>,
    tempfile::TempDir,
) {
    let server = MockServer::start_async().await;
    server
        .mock_async(move |when, then| {
            when.method(GET).path("/sandboxes/sb/files-archive");
            then.status(200)
                .header("content-type", "application/gzip")
                .body(archive);
        })
        .await;
    let root = tempfile::tempdir().unwrap();
    let target = root.path().join("out");
    let r = client(&server)
        .sandbox("sb")
        .download_dir("/workspace", &target)
        .await;
    (r, root)
}

fn assert_archive_error(r: &Result<islo::archive::ExtractSummary, Error>, cause: &str) {
    let err = r.as_ref().expect_err("refused");
    assert!(matches!(err, Error::Archive(_)), "got {err:?}");
    let text = chain(err);
    assert!(text.contains(cause), "`{text}` should name `{cause}`");
}

const REG: tar::EntryType = tar::EntryType::Regular;

#[tokio::test]
async fn archive_entry_with_dotdot_is_refused() {
    let (r, root) = download_dir(tar_gz(&[(b"../evil.txt", REG, b"pwned", b"")])).await;
    assert_archive_error(&r, "..");
    assert!(matches!(
        r,
        Err(Error::Archive(ArchiveError::UnsafePath { .. }))
    ));
    assert!(
        !root.path().join("evil.txt").exists(),
        "nothing written outside"
    );
}

#[tokio::test]
async fn archive_entry_with_absolute_path_is_refused() {
    let (r, _root) = download_dir(tar_gz(&[(b"/tmp/islo-evil-abs.txt", REG, b"pwned", b"")])).await;
    assert_archive_error(&r, "absolute");
    assert!(!std::path::Path::new("/tmp/islo-evil-abs.txt").exists());
}

#[tokio::test]
async fn escaping_symlink_is_refused() {
    let (r, root) = download_dir(tar_gz(&[
        (b"link", tar::EntryType::Symlink, b"", b"../.."),
        (b"link/evil.txt", REG, b"pwned", b""),
    ]))
    .await;
    assert_archive_error(&r, "outside of the extraction directory");
    assert!(matches!(
        r,
        Err(Error::Archive(ArchiveError::LinkEscapes { .. }))
    ));
    assert!(!root.path().join("evil.txt").exists());
}

#[tokio::test]
async fn write_through_an_inside_symlink_is_refused() {
    let (r, _root) = download_dir(tar_gz(&[
        (b"dir/", tar::EntryType::Directory, b"", b""),
        (b"alias", tar::EntryType::Symlink, b"", b"dir"),
        (b"alias/file.txt", REG, b"data", b""),
    ]))
    .await;
    assert_archive_error(&r, "alias");
}

#[tokio::test]
async fn escaping_hard_link_is_refused() {
    let (r, _root) = download_dir(tar_gz(&[(
        b"hl",
        tar::EntryType::Link,
        b"",
        b"/etc/passwd",
    )]))
    .await;
    let err = r.expect_err("refused");
    assert!(matches!(err, Error::Archive(_)), "{err:?}");
    assert!(chain(&err).contains("hl"), "{}", chain(&err));
}

#[tokio::test]
async fn fifo_entry_is_refused() {
    let (r, _root) = download_dir(tar_gz(&[(b"pipe", tar::EntryType::Fifo, b"", b"")])).await;
    assert_archive_error(&r, "fifo");
    assert!(matches!(
        r,
        Err(Error::Archive(ArchiveError::UnsupportedEntry { .. }))
    ));
}

#[tokio::test]
async fn corrupt_gzip_is_refused() {
    let (r, _root) = download_dir(b"this is not gzip at all".to_vec()).await;
    assert_archive_error(&r, "corrupt");
    let mut cut = tar_gz(&[(b"a.txt", REG, &[7u8; 100_000], b"")]);
    cut.truncate(cut.len() / 2);
    let (r, _root) = download_dir(cut).await;
    assert_archive_error(&r, "corrupt");
}

#[tokio::test]
async fn valid_archive_extracts() {
    let (r, root) = download_dir(tar_gz(&[
        (b"dir/", tar::EntryType::Directory, b"", b""),
        (b"dir/a.txt", REG, b"hello", b""),
        (b"./b.txt", REG, b"world", b""),
    ]))
    .await;
    let summary = r.expect("extracts");
    assert_eq!(summary.files, 2);
    assert_eq!(
        std::fs::read(root.path().join("out/dir/a.txt")).unwrap(),
        b"hello"
    );
}

/// Endless empty gzip members (20 bytes each, decompressing to nothing), counting what was
/// read.
struct EmptyMembers {
    at: usize,
    read: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl tokio::io::AsyncRead for EmptyMembers {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        const EMPTY: [u8; 20] = [
            0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        ];
        let n = buf.remaining();
        for _ in 0..n {
            buf.put_slice(&[EMPTY[self.at % EMPTY.len()]]);
            self.at += 1;
        }
        self.read
            .fetch_add(n as u64, std::sync::atomic::Ordering::Relaxed);
        std::task::Poll::Ready(Ok(()))
    }
}

/// An archive followed by gzip members that decompress to nothing is refused once a bounded
/// amount of such input came, instead of being read for as long as the server sends it
/// (the limits count decompressed bytes, and these make none).
#[tokio::test(flavor = "multi_thread")]
async fn endless_empty_gzip_members_are_refused_not_read_forever() {
    use tokio::io::AsyncReadExt as _;
    let head = tar_gz(&[(b"a.txt", REG, b"x", b"")]);
    let read = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let input = std::io::Cursor::new(head).chain(EmptyMembers {
        at: 0,
        read: read.clone(),
    });
    assert_refused_early(input, &read).await;
}

/// Extracts `input` (whose reads `read` counts) within the default limits: it must be
/// refused as corrupt, within 60 s, having read less than 64 MiB.
async fn assert_refused_early(
    input: impl tokio::io::AsyncRead + Send + 'static,
    read: &std::sync::atomic::AtomicU64,
) {
    let dir = tempfile::tempdir().unwrap();
    let result = tokio::time::timeout(
        std::time::Duration::from_secs(60),
        islo::archive::extract_tar_gz_with(
            Box::pin(input),
            dir.path(),
            &islo::archive::ExtractLimits::default(),
        ),
    )
    .await;
    let read = read.load(std::sync::atomic::Ordering::Relaxed);
    let result = result.unwrap_or_else(|_| panic!("still extracting after {read} bytes"));
    assert!(
        matches!(result, Err(ArchiveError::Corrupt(_))),
        "{result:?}"
    );
    assert!(read < 64 << 20, "read {read} bytes");
}

/// A gzip stream that gives out one byte of a tar stream (one 100 MB file of zeros) per
/// 768 KiB of empty stored deflate blocks, endlessly, counting what was read.
struct Trickle {
    out: Vec<u8>,
    pos: usize,
    /// The tar bytes given out so far.
    given: usize,
    header: Vec<u8>,
    read: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl Trickle {
    fn new(read: std::sync::Arc<std::sync::atomic::AtomicU64>) -> Self {
        let mut header = tar::Header::new_gnu();
        header.set_path("big").unwrap();
        header.set_size(100_000_000);
        header.set_mode(0o644);
        header.set_entry_type(REG);
        header.set_cksum();
        Self {
            // gzip header: deflate, no flags.
            out: vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff],
            pos: 0,
            given: 0,
            header: header.as_bytes().to_vec(),
            read,
        }
    }
}

impl tokio::io::AsyncRead for Trickle {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        let this = &mut *self;
        if this.pos == this.out.len() {
            this.out.clear();
            this.pos = 0;
            // Empty stored blocks (not final): type byte, LEN 0, NLEN !0.
            for _ in 0..(768 << 10) / 5 {
                this.out.extend_from_slice(&[0, 0, 0, 0xff, 0xff]);
            }
            // One stored block with one byte of the tar stream.
            let byte = this.header.get(this.given).copied().unwrap_or(0);
            this.given += 1;
            this.out.extend_from_slice(&[0, 1, 0, 0xfe, 0xff, byte]);
        }
        let n = buf.remaining().min(this.out.len() - this.pos);
        buf.put_slice(&this.out[this.pos..this.pos + n]);
        this.pos += n;
        this.read
            .fetch_add(n as u64, std::sync::atomic::Ordering::Relaxed);
        std::task::Poll::Ready(Ok(()))
    }
}

/// Compressed input trickling out one decompressed byte per 768 KiB is refused once it is far
/// more than any gzip stream needs for its output (the guard against input that
/// decompresses to nothing was reset by each byte, so it was read without end).
#[tokio::test(flavor = "multi_thread")]
async fn compressed_input_out_of_all_proportion_to_its_output_is_refused() {
    let read = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    assert_refused_early(Trickle::new(read.clone()), &read).await;
}

/// An entry's name is the server's text: quoted in an error, it cannot carry a terminal
/// escape or a line break.
#[tokio::test]
async fn a_refused_entry_name_is_quoted_without_control_characters() {
    let name: &[u8] = b"pipe\x1b[2K\r\nINFO islo: fine\xe2\x80\xae";
    let (r, _root) = download_dir(tar_gz(&[(name, tar::EntryType::Fifo, b"", b"")])).await;
    let shown = r.expect_err("refused").to_string();
    assert!(
        !shown.chars().any(|c| c.is_control() || c == '\u{202e}'),
        "{shown:?}"
    );
    assert!(shown.contains("INFO islo: fine"), "{shown}");
}

/// A local failure on an entry names its path, which holds the server's text: escaped too.
#[tokio::test]
async fn a_failed_entry_path_is_named_without_control_characters() {
    // A file, then a directory of the same name with a child: the child cannot be created
    // under a file.
    let (r, _root) = download_dir(tar_gz(&[
        (b"a\x1b[2Kb", REG, b"x", b""),
        (b"a\x1b[2Kb/\r\nchild", REG, b"y", b""),
    ]))
    .await;
    let shown = chain(&r.expect_err("refused"));
    assert!(!shown.chars().any(|c| c.is_control()), "{shown:?}");
    assert!(shown.contains("child"), "{shown}");
}

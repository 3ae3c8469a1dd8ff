//! Files of a sandbox: single-file upload (multipart) and download, and tar.gz archive
//! upload and download, over the sandbox's in-memory file system.

use bytes::Bytes;
use http::header::CONTENT_TYPE;
use http::request::Parts;
use http::Response;
use http_body_util::BodyExt as _;
use hyper::body::Incoming;
use serde_json::json;

use super::super::files;
use super::super::generated::GeneratedContent;
use super::super::routes::Params;
use super::super::server::{lock, ServerState};
use super::super::sink::{DiscardedUpload, MultipartScanner, Tally};
use super::super::wire::{self, Body, Query};
use super::{required_query, sandbox_not_found, R};

/// `GET /sandboxes/{name}/files?path=…`: the file's bytes (a generated file is produced as
/// it is sent).
pub(super) fn download_file(server: &ServerState, status: u16, name: &str, q: &Query) -> R {
    let path = required_query(q, "path")?;
    let st = lock(&server.state);
    let sb = st
        .sandboxes
        .get(name)
        .ok_or_else(|| sandbox_not_found(name))?;
    let full = files::normalize(path, &sb.workdir);
    let not_found = || wire::error(404, "FILE_NOT_FOUND", &format!("file {full:?} not found"));
    // Links are followed, as reading the file in the sandbox would.
    match sb
        .files
        .get(&crate::mock::shell::resolve_links(&sb.files, &full))
    {
        Some(files::Node::File { data, .. }) => {
            Ok(wire::respond(status, Some(&wire::OCTET), data.clone()))
        }
        Some(files::Node::Generated { len, seed, .. }) => Ok(wire::respond_body(
            status,
            &wire::OCTET,
            Body::Generated(GeneratedContent::new(*seed, *len)),
        )),
        _ => Err(not_found()),
    }
}

/// `GET /sandboxes/{name}/files-archive?path=…`: a tar.gz of the directory (or file),
/// produced by a blocking task as it is sent, in chunks of 64 KiB through a channel of a
/// few chunks, so memory stays bounded whatever the tree holds.
pub(super) fn download_archive(server: &ServerState, status: u16, name: &str, q: &Query) -> R {
    let path = required_query(q, "path")?;
    let (entries, full) = {
        let st = lock(&server.state);
        let sb = st
            .sandboxes
            .get(name)
            .ok_or_else(|| sandbox_not_found(name))?;
        let full = files::normalize(path, &sb.workdir);
        // The working directory and its parents exist, empty or not (as the shell sees
        // them): an archive of one of them holds what is below, maybe nothing.
        let holds_workdir =
            full == "/" || sb.workdir == full || sb.workdir.starts_with(&format!("{full}/"));
        let entries =
            files::archive_entries(&sb.files, &full).or_else(|| holds_workdir.then(Vec::new));
        (entries, full)
    };
    let Some(entries) = entries else {
        return Err(wire::error(
            404,
            "FILE_NOT_FOUND",
            &format!("path {full:?} not found"),
        ));
    };
    let (tx, rx) = tokio::sync::mpsc::channel(ARCHIVE_CHANNEL_CHUNKS);
    tokio::task::spawn_blocking(move || {
        let writer = ChannelWriter {
            tx: tx.clone(),
            buf: Vec::with_capacity(ARCHIVE_CHUNK),
        };
        let sent = files::pack_entries(&entries, writer)
            .and_then(|mut w| w.send().map_err(|e| e.to_string()));
        if let Err(e) = sent {
            // The client sees the body end abruptly, as with a real server failing midway.
            let _ = tx.blocking_send(Err(std::io::Error::other(e)));
        }
    });
    Ok(wire::respond_body(status, &wire::GZIP, Body::Channel(rx)))
}

/// Size of the chunks of a streamed archive.
const ARCHIVE_CHUNK: usize = 64 * 1024;

/// Chunks of a streamed archive that may wait for the connection.
const ARCHIVE_CHANNEL_CHUNKS: usize = 4;

/// Collects the archive's bytes into chunks and sends them, blocking while the channel is
/// full (the connection is slower than the packer).
struct ChannelWriter {
    tx: tokio::sync::mpsc::Sender<std::io::Result<Bytes>>,
    buf: Vec<u8>,
}

impl ChannelWriter {
    fn send(&mut self) -> std::io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = std::mem::replace(&mut self.buf, Vec::with_capacity(ARCHIVE_CHUNK));
        self.tx
            .blocking_send(Ok(Bytes::from(chunk)))
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "client gone"))
    }
}

impl std::io::Write for ChannelWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        let n = data.len().min(ARCHIVE_CHUNK - self.buf.len());
        self.buf.extend_from_slice(&data[..n]);
        if self.buf.len() >= ARCHIVE_CHUNK {
            self.send()?;
        }
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The sandbox and normalised target path of an upload that goes to the sink (see
/// [`FakeIsloBuilder::discard_uploads_under`](crate::mock::FakeIsloBuilder::discard_uploads_under)),
/// or `None` for an upload to store (or one that fails, answered by [`upload`]).
pub(crate) fn discard_target(
    server: &ServerState,
    params: &Params<'_>,
    parts: &Parts,
) -> Option<(String, String)> {
    if server.config.discard_prefixes.is_empty() {
        return None;
    }
    let name = wire::percent_decode(params.get(0), false);
    let query = Query::parse(parts.uri.query());
    let path = query.get("path")?;
    let st = lock(&server.state);
    let sb = st.sandboxes.get(name.as_ref())?;
    let full = files::normalize(path, &sb.workdir);
    server
        .config
        .discard_prefixes
        .iter()
        .any(|p| under(&full, p))
        .then(|| (name.into_owned(), full))
}

/// Whether `path` is `prefix` or below it (both normalised).
fn under(path: &str, prefix: &str) -> bool {
    prefix == "/"
        || path == prefix
        || path
            .strip_prefix(prefix)
            .is_some_and(|rest| rest.starts_with('/'))
}

/// Most uploads remembered by [`FakeIslo::discarded_uploads`](crate::mock::FakeIslo::discarded_uploads).
const MAX_DISCARDED_RECORDS: usize = 100_000;

/// Consumes an upload to the sink as it arrives: the file part is counted, checksummed
/// and, for an archive, decompressed and walked (a corrupt archive answers `400`, as the
/// real server's extraction would); nothing is kept.
pub(crate) async fn discard_upload(
    server: &ServerState,
    status: u16,
    (sandbox, path): (String, String),
    parts: &Parts,
    mut body: Incoming,
    archive: bool,
) -> Response<Body> {
    let ct = parts
        .headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let Some(boundary) = files::boundary(ct) else {
        drain(&mut body).await;
        return wire::validation_error(
            &["body", "file"],
            "Expected multipart/form-data with a boundary",
            "missing",
        );
    };
    let mut scanner = MultipartScanner::new(&boundary);
    let mut tally = Tally::new(archive);
    let mut failure: Option<String> = None;
    while let Some(frame) = body.frame().await {
        let frame = match frame {
            Ok(f) => f,
            Err(e) => {
                return wire::error(400, "INVALID_REQUEST", &format!("failed to read body: {e}"))
            }
        };
        let Ok(data) = frame.into_data() else {
            continue;
        };
        server
            .sink_body_bytes
            .fetch_add(data.len() as u64, std::sync::atomic::Ordering::Relaxed);
        if failure.is_none() {
            if let Err(e) = scanner.push(&data, &mut tally) {
                // Read the rest, so that the client gets the answer rather than a reset.
                failure = Some(e);
            }
        }
    }
    if let Some(e) = failure {
        return wire::error(400, "INVALID_REQUEST", &e);
    }
    if let Err(e) = scanner.finish() {
        return wire::error(400, "INVALID_REQUEST", &e);
    }
    if !scanner.file_seen() {
        return wire::validation_error(&["body", "file"], "Field required", "missing");
    }
    let contents = match tally.finish() {
        Ok(c) => c,
        Err(e) => return wire::error(400, "FILE_OPERATION_ERROR", &e),
    };
    let mut log = lock(&server.discarded);
    if log.len() < MAX_DISCARDED_RECORDS {
        log.push(DiscardedUpload {
            sandbox,
            path,
            archive,
            bytes: tally.bytes,
            crc32: tally.crc.sum(),
            contents,
        });
    }
    wire::json(status, &json!({"status": "uploaded"}))
}

/// Reads and drops the rest of a request body.
pub(crate) async fn drain(body: &mut Incoming) {
    while let Some(Ok(_)) = body.frame().await {}
}

pub(super) fn upload(
    server: &ServerState,
    status: u16,
    name: &str,
    q: &Query,
    parts: &Parts,
    body: &Bytes,
    archive: bool,
) -> R {
    let path = required_query(q, "path")?;
    {
        let st = lock(&server.state);
        st.sandboxes
            .get(name)
            .ok_or_else(|| sandbox_not_found(name))?;
    }
    let ct = parts
        .headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let boundary = files::boundary(ct).ok_or_else(|| {
        wire::validation_error(
            &["body", "file"],
            "Expected multipart/form-data with a boundary",
            "missing",
        )
    })?;
    let mp = files::parse_multipart(body, &boundary)
        .map_err(|e| wire::error(400, "INVALID_REQUEST", &e))?;
    let mut mp_fallback = mp.clone().into_iter();
    let file = mp
        .into_iter()
        .find(|p| p.name == "file")
        .or_else(|| mp_fallback.find(|p| p.filename.is_some()))
        .ok_or_else(|| wire::validation_error(&["body", "file"], "Field required", "missing"))?;
    let mut st = lock(&server.state);
    let sb = st
        .sandboxes
        .get_mut(name)
        .ok_or_else(|| sandbox_not_found(name))?;
    let full = files::normalize(path, &sb.workdir);
    if archive {
        files::unpack_archive(&file.data, &full, &mut sb.files)
            .map_err(|e| wire::error(400, "FILE_OPERATION_ERROR", &e))?;
    } else {
        // Overwriting a file keeps its permissions.
        let mode = match sb.files.get(&full) {
            Some(node) => node.file_mode().unwrap_or(0o644),
            None => 0o644,
        };
        sb.files.insert(
            full,
            files::Node::File {
                data: file.data,
                mode,
            },
        );
    }
    Ok(wire::json(status, &json!({"status": "uploaded"})))
}

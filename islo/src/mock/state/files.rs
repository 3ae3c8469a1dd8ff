//! Files of a sandbox: single-file upload (multipart) and download, and tar.gz archive
//! upload and download, over the sandbox's in-memory file system.

use bytes::Bytes;
use http::header::CONTENT_TYPE;
use http::request::Parts;
use serde_json::json;

use super::super::files;
use super::super::server::{lock, ServerState};
use super::super::wire::{self, Query};
use super::{required_query, sandbox_not_found, R};

pub(super) fn download_file(server: &ServerState, status: u16, name: &str, q: &Query) -> R {
    let path = required_query(q, "path")?;
    let st = lock(&server.state);
    let sb = st
        .sandboxes
        .get(name)
        .ok_or_else(|| sandbox_not_found(name))?;
    let full = files::normalize(path, &sb.workdir);
    let data = sb
        .files
        .get(&full)
        .and_then(files::Node::data)
        .ok_or_else(|| wire::error(404, "FILE_NOT_FOUND", &format!("file {full:?} not found")))?;
    Ok(wire::respond(status, Some(&wire::OCTET), data.clone()))
}

pub(super) fn download_archive(server: &ServerState, status: u16, name: &str, q: &Query) -> R {
    let path = required_query(q, "path")?;
    let (fs, full) = {
        let st = lock(&server.state);
        let sb = st
            .sandboxes
            .get(name)
            .ok_or_else(|| sandbox_not_found(name))?;
        (sb.files.clone(), files::normalize(path, &sb.workdir))
    };
    match files::pack_archive(&fs, &full) {
        Ok(Some(tgz)) => Ok(wire::respond(status, Some(&wire::GZIP), Bytes::from(tgz))),
        Ok(None) => Err(wire::error(
            404,
            "FILE_NOT_FOUND",
            &format!("path {full:?} not found"),
        )),
        Err(e) => Err(wire::error(500, "FILE_OPERATION_ERROR", &e)),
    }
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
            Some(files::Node::File { mode, .. }) => *mode,
            _ => 0o644,
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

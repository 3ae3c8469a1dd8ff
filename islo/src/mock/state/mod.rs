//! The fake's state: its sandboxes (each with its files, commands, shares and sessions)
//! and its snapshots, with the handlers of the hand-written operations, one module per
//! resource. [`dispatch`] routes a [`Builtin`] operation to its handler.

// Handlers return `Err(response)` for early exits; errors are the cold path,
// so boxing them would only add noise.
#![allow(clippy::result_large_err)]

mod exec;
mod files;
pub(crate) use files::{discard_target, discard_upload, drain};
mod sandboxes;
mod sessions;
mod shares;
mod snapshots;

use std::collections::HashMap;
use std::time::Duration;

use bytes::Bytes;
use http::request::Parts;
use http::Response;
use serde_json::Value;

use super::files as fs;
use super::routes::{Builtin, Params};
use super::server::{unix_now, ServerState};
use super::wire::{self, Body, Query};
use sandboxes::Sandbox;
use snapshots::Snapshot;

const DEFAULT_IMAGE: &str = "docker.io/library/ubuntu:24.04";
const DEFAULT_WORKDIR: &str = "/workspace";
const DEFAULT_LIMIT: usize = 50;

/// All server-side state.
#[derive(Default)]
pub(crate) struct State {
    /// Sandboxes by name.
    sandboxes: HashMap<String, Sandbox>,
    /// Sandbox names in creation order.
    order: Vec<String>,
    snapshots: Vec<Snapshot>,
    seq: u64,
    rng: u64,
}

/// RFC 3339 UTC timestamp for a Unix time.
pub(crate) fn rfc3339(d: Duration) -> String {
    let secs = d.as_secs();
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let rem = secs % 86_400;
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

impl State {
    fn next_u64(&mut self) -> u64 {
        if self.rng == 0 {
            self.rng = (unix_now().as_nanos() as u64) | 1;
        }
        // xorshift64*
        let mut x = self.rng;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.rng = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn uuid(&mut self) -> String {
        let a = self.next_u64();
        let b = self.next_u64();
        format!(
            "{:08x}-{:04x}-4{:03x}-{:x}{:03x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0xfff,
            8 + (b >> 62),
            (b >> 48) & 0xfff,
            b & 0xffff_ffff_ffff
        )
    }

    fn short_id(&mut self, prefix: &str) -> String {
        let x = self.next_u64();
        format!("{prefix}{x:016x}")
    }

    /// Names in creation order.
    pub(crate) fn sandbox_names(&self) -> Vec<String> {
        self.order.clone()
    }

    /// A file of a sandbox (absolute or workdir-relative path), generated ones produced
    /// in full.
    pub(crate) fn read_file(&self, sandbox: &str, path: &str) -> Option<Vec<u8>> {
        let sb = self.sandboxes.get(sandbox)?;
        sb.files
            .get(&fs::normalize(path, &sb.workdir))
            .and_then(fs::Node::contents)
    }

    fn sandbox_mut(&mut self, sandbox: &str) -> crate::Result<&mut Sandbox> {
        self.sandboxes.get_mut(sandbox).ok_or_else(|| {
            crate::Error::InvalidRequest(format!("the fake has no sandbox {sandbox:?}"))
        })
    }

    /// Stores a file (an existing file keeps its permissions).
    pub(crate) fn put_file(&mut self, sandbox: &str, path: &str, data: Bytes) -> crate::Result<()> {
        let sb = self.sandbox_mut(sandbox)?;
        let full = fs::normalize(path, &sb.workdir);
        let mode = sb
            .files
            .get(&full)
            .and_then(fs::Node::file_mode)
            .unwrap_or(0o644);
        sb.files.insert(full, fs::Node::File { data, mode });
        Ok(())
    }

    /// Stores generated files `(relative path, len, seed)` below `dir` (an empty relative
    /// path is `dir` itself), with the directories above them.
    pub(crate) fn put_generated(
        &mut self,
        sandbox: &str,
        dir: &str,
        files: impl IntoIterator<Item = (String, u64, u64)>,
    ) -> crate::Result<()> {
        let sb = self.sandbox_mut(sandbox)?;
        let root = fs::normalize(dir, &sb.workdir);
        for (rel, len, seed) in files {
            let full = fs::normalize(&rel, &root);
            let mut parent = full.as_str();
            while let Some((up, _)) = parent.rsplit_once('/') {
                if up.is_empty() || up.len() < root.len() {
                    break;
                }
                if sb.files.contains_key(up) {
                    break;
                }
                sb.files
                    .insert(up.to_owned(), fs::Node::Dir { mode: 0o755 });
                parent = up;
            }
            sb.files.insert(
                full,
                fs::Node::Generated {
                    len,
                    seed,
                    mode: 0o644,
                },
            );
        }
        Ok(())
    }
}

fn sandbox_not_found(name: &str) -> Response<Body> {
    wire::error(
        404,
        "SANDBOX_NOT_FOUND",
        &format!("sandbox {name:?} not found"),
    )
}

fn parse_json(body: &Bytes) -> Result<Value, Response<Body>> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Object(serde_json::Map::new()));
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(v @ Value::Object(_)) => Ok(v),
        Ok(_) => Err(wire::validation_error(
            &["body"],
            "Input should be a valid dictionary or object to extract fields from",
            "model_attributes_type",
        )),
        Err(_) => Err(wire::validation_error(
            &["body"],
            "JSON decode error",
            "json_invalid",
        )),
    }
}

fn opt_str(v: &Value, key: &str) -> Result<Option<String>, Response<Body>> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(wire::validation_error(
            &["body", key],
            "Input should be a valid string",
            "string_type",
        )),
    }
}

fn opt_int(v: &Value, key: &str) -> Result<Option<i64>, Response<Body>> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(n) => n.as_i64().map(Some).ok_or_else(|| {
            wire::validation_error(
                &["body", key],
                "Input should be a valid integer",
                "int_type",
            )
        }),
    }
}

fn query_int(q: &Query, key: &str) -> Result<Option<i64>, Response<Body>> {
    match q.get(key) {
        None | Some("") => Ok(None),
        Some(s) => s.parse::<i64>().map(Some).map_err(|_| {
            wire::validation_error(
                &["query", key],
                "Input should be a valid integer, unable to parse string as an integer",
                "int_parsing",
            )
        }),
    }
}

fn required_query<'q>(q: &'q Query, key: &str) -> Result<&'q str, Response<Body>> {
    q.get(key)
        .ok_or_else(|| wire::validation_error(&["query", key], "Field required", "missing"))
}

fn paging(q: &Query) -> Result<(usize, usize), Response<Body>> {
    let limit = query_int(q, "limit")?.unwrap_or(DEFAULT_LIMIT as i64);
    let mut offset = query_int(q, "offset")?.unwrap_or(0);
    if let Some(c) = q.get("cursor").filter(|c| !c.is_empty()) {
        offset = c.parse::<i64>().unwrap_or(offset);
    }
    if limit < 0 {
        return Err(wire::validation_error(
            &["query", "limit"],
            "Input should be greater than or equal to 0",
            "greater_than_equal",
        ));
    }
    if offset < 0 {
        return Err(wire::validation_error(
            &["query", "offset"],
            "Input should be greater than or equal to 0",
            "greater_than_equal",
        ));
    }
    Ok((
        usize::try_from(limit).unwrap_or(0),
        usize::try_from(offset).unwrap_or(0),
    ))
}

/// A handler's answer: `Err` carries an error response for early exits.
type R = Result<Response<Body>, Response<Body>>;

/// Runs a hand-written operation.
pub(crate) fn dispatch(
    server: &ServerState,
    b: Builtin,
    status: u16,
    params: &Params<'_>,
    parts: &Parts,
    body: Bytes,
) -> Response<Body> {
    let p0 = wire::percent_decode(params.get(0), false);
    let p1 = wire::percent_decode(params.get(1), false);
    let query = || Query::parse(parts.uri.query());
    let result = match b {
        // Answered by the server before dispatch.
        Builtin::AuthToken => Ok(wire::error(404, "NOT_FOUND", "not here")),
        Builtin::ListSandboxes => sandboxes::list_sandboxes(server, status, &query()),
        Builtin::CreateSandbox => sandboxes::create_sandbox(server, status, &body),
        Builtin::GetSandbox => sandboxes::get_sandbox(server, status, &p0),
        Builtin::GetSandboxById => sandboxes::get_sandbox_by_id(server, status, &p0),
        Builtin::DeleteSandbox => sandboxes::delete_sandbox(server, status, &p0),
        Builtin::SandboxEvents => sandboxes::sandbox_events(server, &p0),
        Builtin::Pause => sandboxes::transition(server, status, &p0, "paused"),
        Builtin::Resume => sandboxes::transition(server, status, &p0, "running"),
        Builtin::Stop => sandboxes::transition(server, status, &p0, "stopped"),
        Builtin::Exec => exec::exec(server, status, &p0, &body, false),
        Builtin::ExecStream => exec::exec(server, status, &p0, &body, true),
        Builtin::ExecResult => exec::exec_result(server, status, &p0, &p1),
        Builtin::DownloadFile => files::download_file(server, status, &p0, &query()),
        Builtin::UploadFile => files::upload(server, status, &p0, &query(), parts, &body, false),
        Builtin::DownloadArchive => files::download_archive(server, status, &p0, &query()),
        Builtin::UploadArchive => files::upload(server, status, &p0, &query(), parts, &body, true),
        Builtin::ListShares => shares::list_shares(server, status, &p0),
        Builtin::CreateShare => shares::create_share(server, status, &p0, &body),
        Builtin::RevokeShare => shares::revoke_share(server, status, &p0, &p1),
        Builtin::CreateSession => sessions::create_session(server, status, &p0, &body),
        Builtin::ListSessions => sessions::list_sessions(server, status, &p0),
        Builtin::KillSession => sessions::kill_session(server, status, &p0, &p1),
        Builtin::ListSnapshots => snapshots::list_snapshots(server, status, &query()),
        Builtin::CreateSnapshot => snapshots::create_snapshot(server, status, parts, &body),
        Builtin::GetSnapshot => snapshots::get_snapshot(server, status, &p0),
        Builtin::DeleteSnapshot => snapshots::delete_snapshot(server, status, &p0),
    };
    result.unwrap_or_else(|e| e)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps() {
        assert_eq!(rfc3339(Duration::from_secs(0)), "1970-01-01T00:00:00Z");
        assert_eq!(
            rfc3339(Duration::from_secs(1_767_225_600)),
            "2026-01-01T00:00:00Z"
        );
        assert_eq!(
            rfc3339(Duration::from_secs(951_827_696)),
            "2000-02-29T12:34:56Z"
        );
    }

    #[test]
    fn uuids_are_valid() {
        let mut st = State::default();
        for _ in 0..100 {
            let u = st.uuid();
            assert!(super::super::spec::is_uuid(&u), "{u}");
        }
    }
}

//! Stateful sandboxes, execs, files, shares and snapshots, and the handlers
//! of the hand-written operations.

// Handlers return `Err(response)` for early exits; errors are the cold path,
// so boxing them would only add noise.
#![allow(clippy::result_large_err)]

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::time::Duration;

use bytes::Bytes;
use http::header::CONTENT_TYPE;
use http::request::Parts;
use http::Response;
use serde::Serialize;
use serde_json::{json, Value};

use super::files;
use super::routes::{Builtin, Params};
use super::server::{lock, unix_now, Shared};
use super::wire::{self, Body, Query};
use super::{ExecCall, ExecOutcome};

const DEFAULT_IMAGE: &str = "docker.io/library/ubuntu:24.04";
const DEFAULT_WORKDIR: &str = "/workspace";
const DEFAULT_LIMIT: usize = 50;

/// All server-side state.
#[derive(Default)]
pub(crate) struct State {
    sandboxes: HashMap<String, Sandbox>,
    order: Vec<String>,
    snapshots: Vec<Snapshot>,
    seq: u64,
    rng: u64,
}

struct Sandbox {
    id: String,
    name: String,
    image: String,
    status: &'static str,
    created_at: String,
    workdir: String,
    disk_gb: i64,
    memory_mb: i64,
    vcpus: i64,
    lifecycle: Option<Value>,
    gets_until_running: u32,
    files: files::Fs,
    execs: HashMap<String, ExecRecord>,
    shares: Vec<Share>,
    /// Open sessions: name and when they started (Unix milliseconds).
    sessions: Vec<(String, u64)>,
}

struct ExecRecord {
    outcome: ExecOutcome,
    polls_left: u32,
}

struct Share {
    share_id: String,
    port: i64,
    url: String,
    created_at: String,
    expires_at: Option<String>,
}

struct Snapshot {
    id: String,
    name: String,
    sandbox_id: String,
    status: &'static str,
    created_at: String,
    files: files::Fs,
}

#[derive(Serialize)]
struct SandboxSpecView {
    disk_gb: i64,
    memory_mb: i64,
    vcpus: i64,
}

/// `SandboxResponse`.
#[derive(Serialize)]
struct SandboxView<'a> {
    created_at: &'a str,
    created_by: &'static str,
    creation_phase: &'static str,
    deleted_at: Option<&'a str>,
    id: &'a str,
    image: &'a str,
    lifecycle: Option<&'a Value>,
    name: &'a str,
    setup_steps: [(); 0],
    spec: SandboxSpecView,
    status: &'a str,
    workdir: &'a str,
}

impl Sandbox {
    fn view(&self) -> SandboxView<'_> {
        SandboxView {
            created_at: &self.created_at,
            created_by: "user_fake_islo",
            creation_phase: if self.status == "starting" {
                "provisioning"
            } else {
                "ready"
            },
            deleted_at: None,
            id: &self.id,
            image: &self.image,
            lifecycle: self.lifecycle.as_ref(),
            name: &self.name,
            setup_steps: [],
            spec: SandboxSpecView {
                disk_gb: self.disk_gb,
                memory_mb: self.memory_mb,
                vcpus: self.vcpus,
            },
            status: self.status,
            workdir: &self.workdir,
        }
    }
}

impl Share {
    fn view(&self) -> Value {
        json!({
            "share_id": self.share_id,
            "port": self.port,
            "url": self.url,
            "created_at": self.created_at,
            "expires_at": self.expires_at,
        })
    }
}

impl Snapshot {
    fn view(&self) -> Value {
        let size: usize = self
            .files
            .values()
            .filter_map(files::Node::data)
            .map(Bytes::len)
            .sum();
        json!({
            "id": self.id,
            "name": self.name,
            "sandbox_id": self.sandbox_id,
            "status": self.status,
            "created_at": self.created_at,
            "created_by": "user_fake_islo",
            "created_by_entity": "user",
            "size_bytes": size,
            "checksum_sha256": null,
        })
    }
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

    /// A file of a sandbox (absolute or workdir-relative path).
    pub(crate) fn file(&self, sandbox: &str, path: &str) -> Option<Vec<u8>> {
        let sb = self.sandboxes.get(sandbox)?;
        sb.files
            .get(&files::normalize(path, &sb.workdir))
            .and_then(files::Node::data)
            .map(|b| b.to_vec())
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

/// Runs a hand-written operation.
pub(crate) fn dispatch(
    shared: &Shared,
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
        Builtin::ListSandboxes => list_sandboxes(shared, status, &query()),
        Builtin::CreateSandbox => create_sandbox(shared, status, &body),
        Builtin::GetSandbox => get_sandbox(shared, status, &p0),
        Builtin::GetSandboxById => get_sandbox_by_id(shared, status, &p0),
        Builtin::DeleteSandbox => {
            let mut st = lock(&shared.state);
            match st.sandboxes.remove(p0.as_ref()) {
                Some(_) => {
                    st.order.retain(|n| n != p0.as_ref());
                    Ok(wire::respond(status, None, Bytes::new()))
                }
                None => Err(sandbox_not_found(&p0)),
            }
        }
        Builtin::SandboxEvents => sandbox_events(shared, &p0),
        Builtin::Exec => exec(shared, status, &p0, &body, false),
        Builtin::ExecStream => exec(shared, status, &p0, &body, true),
        Builtin::ExecResult => exec_result(shared, status, &p0, &p1),
        Builtin::DownloadFile => download_file(shared, status, &p0, &query()),
        Builtin::UploadFile => upload(shared, status, &p0, &query(), parts, &body, false),
        Builtin::DownloadArchive => download_archive(shared, status, &p0, &query()),
        Builtin::UploadArchive => upload(shared, status, &p0, &query(), parts, &body, true),
        Builtin::Pause => transition(shared, status, &p0, "paused"),
        Builtin::Resume => transition(shared, status, &p0, "running"),
        Builtin::Stop => transition(shared, status, &p0, "stopped"),
        Builtin::ListShares => {
            let st = lock(&shared.state);
            match st.sandboxes.get(p0.as_ref()) {
                Some(sb) => Ok(wire::json(
                    status,
                    &sb.shares.iter().map(Share::view).collect::<Vec<_>>(),
                )),
                None => Err(sandbox_not_found(&p0)),
            }
        }
        Builtin::CreateShare => create_share(shared, status, &p0, &body),
        Builtin::RevokeShare => {
            let mut st = lock(&shared.state);
            match st.sandboxes.get_mut(p0.as_ref()) {
                Some(sb) => {
                    let before = sb.shares.len();
                    sb.shares.retain(|s| s.share_id != p1.as_ref());
                    if sb.shares.len() == before {
                        Err(wire::error(
                            404,
                            "RESOURCE_NOT_FOUND",
                            &format!("share {p1:?} not found"),
                        ))
                    } else {
                        Ok(wire::respond(status, None, Bytes::new()))
                    }
                }
                None => Err(sandbox_not_found(&p0)),
            }
        }
        Builtin::CreateSession => create_session(shared, status, &p0, &body),
        Builtin::ListSessions => {
            let st = lock(&shared.state);
            match st.sandboxes.get(p0.as_ref()) {
                Some(sb) => {
                    let sessions: Vec<Value> = sb
                        .sessions
                        .iter()
                        .map(|(name, started)| {
                            json!({"name": name, "status": "connected", "started_at_unix_ms": started})
                        })
                        .collect();
                    Ok(wire::json(status, &json!({ "sessions": sessions })))
                }
                None => Err(sandbox_not_found(&p0)),
            }
        }
        Builtin::KillSession => {
            let mut st = lock(&shared.state);
            match st.sandboxes.get_mut(p0.as_ref()) {
                Some(sb) => {
                    let before = sb.sessions.len();
                    sb.sessions.retain(|(name, _)| name != p1.as_ref());
                    if sb.sessions.len() == before {
                        Err(wire::error(
                            404,
                            "RESOURCE_NOT_FOUND",
                            &format!("session {p1:?} not found"),
                        ))
                    } else {
                        Ok(wire::respond(status, None, Bytes::new()))
                    }
                }
                None => Err(sandbox_not_found(&p0)),
            }
        }
        Builtin::ListSnapshots => list_snapshots(shared, status, &query()),
        Builtin::CreateSnapshot => create_snapshot(shared, status, parts, &body),
        Builtin::GetSnapshot => {
            let mut st = lock(&shared.state);
            match st.snapshots.iter_mut().find(|s| s.name == p0.as_ref()) {
                Some(s) => {
                    let v = s.view();
                    // An async snapshot is ready once it has been looked at.
                    s.status = "ready";
                    Ok(wire::json(status, &v))
                }
                None => Err(wire::error(
                    404,
                    "RESOURCE_NOT_FOUND",
                    &format!("snapshot {p0:?} not found"),
                )),
            }
        }
        Builtin::DeleteSnapshot => {
            let mut st = lock(&shared.state);
            let before = st.snapshots.len();
            st.snapshots.retain(|s| s.name != p0.as_ref());
            if st.snapshots.len() == before {
                Err(wire::error(
                    404,
                    "RESOURCE_NOT_FOUND",
                    &format!("snapshot {p0:?} not found"),
                ))
            } else {
                Ok(wire::respond(status, None, Bytes::new()))
            }
        }
    };
    result.unwrap_or_else(|e| e)
}

type R = Result<Response<Body>, Response<Body>>;

/// `POST /sandboxes/{name}/sessions`: records the session (the fake runs nothing).
fn create_session(shared: &Shared, status: u16, name: &str, body: &Bytes) -> R {
    let req: Value = serde_json::from_slice(body).map_err(|e| {
        wire::validation_error(&["body"], &format!("invalid JSON: {e}"), "json_invalid")
    })?;
    let session = req
        .get("name")
        .and_then(Value::as_str)
        .filter(|n| !n.is_empty())
        .ok_or_else(|| wire::validation_error(&["body", "name"], "Field required", "missing"))?
        .to_string();
    let mut st = lock(&shared.state);
    let sb = st
        .sandboxes
        .get_mut(name)
        .ok_or_else(|| sandbox_not_found(name))?;
    if sb.sessions.iter().any(|(n, _)| *n == session) {
        return Err(wire::error(
            409,
            "CONFLICT",
            &format!("session {session:?} already exists"),
        ));
    }
    let started = u64::try_from(unix_now().as_millis()).unwrap_or(u64::MAX);
    sb.sessions.push((session.clone(), started));
    Ok(wire::json(
        status,
        &json!({"name": session, "status": "connected"}),
    ))
}

fn list_sandboxes(shared: &Shared, status: u16, q: &Query) -> R {
    let (limit, offset) = paging(q)?;
    let statuses = q.all("status");
    let prefix = q.get("name_prefix").filter(|p| !p.is_empty());
    let search = q
        .get("q")
        .filter(|s| !s.is_empty())
        .or_else(|| q.get("search").filter(|s| !s.is_empty()))
        .map(str::to_lowercase);
    let created_by = q.get("created_by").filter(|c| !c.is_empty());
    let st = lock(&shared.state);
    let matching: Vec<&Sandbox> = st
        .order
        .iter()
        .filter_map(|n| st.sandboxes.get(n))
        .filter(|sb| statuses.is_empty() || statuses.contains(&sb.status))
        .filter(|sb| prefix.is_none_or(|p| sb.name.starts_with(p)))
        .filter(|_| created_by.is_none_or(|c| c == "user_fake_islo"))
        .filter(|sb| {
            search.as_deref().is_none_or(|s| {
                sb.name.to_lowercase().contains(s)
                    || sb.image.to_lowercase().contains(s)
                    || sb.id.contains(s)
            })
        })
        .collect();
    let total = matching.len();
    let items: Vec<SandboxView<'_>> = matching
        .iter()
        .skip(offset)
        .take(limit)
        .map(|sb| sb.view())
        .collect();
    let next = offset.saturating_add(limit);
    let next_cursor = (limit > 0 && next < total).then(|| next.to_string());
    #[derive(Serialize)]
    struct Page<'a> {
        items: Vec<SandboxView<'a>>,
        limit: usize,
        offset: usize,
        total: usize,
        next_cursor: Option<String>,
    }
    Ok(wire::json(
        status,
        &Page {
            items,
            limit,
            offset,
            total,
            next_cursor,
        },
    ))
}

fn create_sandbox(shared: &Shared, status: u16, body: &Bytes) -> R {
    let v = parse_json(body)?;
    let name = opt_str(&v, "name")?;
    let image = opt_str(&v, "image")?.unwrap_or_else(|| DEFAULT_IMAGE.to_owned());
    let workdir = opt_str(&v, "workdir")?.unwrap_or_else(|| DEFAULT_WORKDIR.to_owned());
    let vcpus = opt_int(&v, "vcpus")?.unwrap_or(2);
    let memory_mb = opt_int(&v, "memory_mb")?.unwrap_or(4096);
    let disk_gb = opt_int(&v, "disk_gb")?.unwrap_or(20);
    let snapshot = opt_str(&v, "snapshot_name")?;
    let lifecycle = v.get("lifecycle").filter(|l| !l.is_null()).cloned();
    let mut st = lock(&shared.state);
    st.seq += 1;
    let name = match name {
        Some(n) if n.is_empty() || n.contains('/') => {
            return Err(wire::error(400, "INVALID_REQUEST", "invalid sandbox name"));
        }
        Some(n) => n,
        None => {
            let mut n = format!("sandbox-{}", st.seq);
            while st.sandboxes.contains_key(&n) {
                st.seq += 1;
                n = format!("sandbox-{}", st.seq);
            }
            n
        }
    };
    if st.sandboxes.contains_key(&name) {
        return Err(wire::error(
            409,
            "SANDBOX_ALREADY_EXISTS",
            &format!("sandbox {name:?} already exists"),
        ));
    }
    let files = match snapshot {
        Some(s) => match st.snapshots.iter().find(|x| x.name == s) {
            Some(x) => x.files.clone(),
            None => {
                return Err(wire::error(
                    404,
                    "RESOURCE_NOT_FOUND",
                    &format!("snapshot {s:?} not found"),
                ))
            }
        },
        None => files::Fs::new(),
    };
    let starting = shared.config.starting_gets;
    let sb = Sandbox {
        id: st.uuid(),
        name: name.clone(),
        image,
        status: if starting > 0 { "starting" } else { "running" },
        created_at: rfc3339(unix_now()),
        workdir,
        disk_gb,
        memory_mb,
        vcpus,
        lifecycle,
        gets_until_running: starting,
        files,
        execs: HashMap::new(),
        shares: Vec::new(),
        sessions: Vec::new(),
    };
    let resp = wire::json(status, &sb.view());
    st.order.push(name.clone());
    st.sandboxes.insert(name, sb);
    Ok(resp)
}

fn get_sandbox(shared: &Shared, status: u16, name: &str) -> R {
    let mut st = lock(&shared.state);
    let sb = st
        .sandboxes
        .get_mut(name)
        .ok_or_else(|| sandbox_not_found(name))?;
    if sb.status == "starting" {
        if sb.gets_until_running == 0 {
            sb.status = "running";
        } else {
            sb.gets_until_running -= 1;
        }
    }
    Ok(wire::json(status, &sb.view()))
}

fn get_sandbox_by_id(shared: &Shared, status: u16, id: &str) -> R {
    let st = lock(&shared.state);
    let sb = st.sandboxes.values().find(|s| s.id == id).ok_or_else(|| {
        wire::error(
            404,
            "SANDBOX_NOT_FOUND",
            &format!("sandbox with id {id:?} not found"),
        )
    })?;
    Ok(wire::json(status, &sb.view()))
}

fn transition(shared: &Shared, status: u16, name: &str, to: &'static str) -> R {
    let mut st = lock(&shared.state);
    let sb = st
        .sandboxes
        .get_mut(name)
        .ok_or_else(|| sandbox_not_found(name))?;
    let ok = match to {
        "paused" => matches!(sb.status, "running" | "starting" | "paused"),
        _ => true,
    };
    if !ok {
        return Err(wire::error(
            409,
            "SANDBOX_INVALID_STATE",
            &format!("cannot move sandbox {name:?} from {} to {to}", sb.status),
        ));
    }
    sb.status = to;
    sb.gets_until_running = 0;
    Ok(wire::json(status, &sb.view()))
}

fn sandbox_events(shared: &Shared, name: &str) -> R {
    let mut st = lock(&shared.state);
    let sb = st
        .sandboxes
        .get_mut(name)
        .ok_or_else(|| sandbox_not_found(name))?;
    let mut out = String::from(": keep-alive\n\n");
    let mut chunks = VecDeque::new();
    if sb.status == "starting" {
        let data = json!({"sandbox_name": sb.name, "status": "starting", "phase": "provisioning"});
        wire::sse_event(&mut out, "status", &data.to_string());
        chunks.push_back(Bytes::from(std::mem::take(&mut out)));
        sb.status = "running";
        sb.gets_until_running = 0;
    }
    let data = json!({"sandbox_name": sb.name, "status": sb.status, "phase": "ready"});
    wire::sse_event(&mut out, "status", &data.to_string());
    chunks.push_back(Bytes::from(out));
    Ok(wire::sse(chunks))
}

fn exec_call(name: &str, v: &Value, streaming: bool) -> Result<ExecCall, Response<Body>> {
    let command = match v.get("command") {
        None | Some(Value::Null) => {
            return Err(wire::validation_error(
                &["body", "command"],
                "Field required",
                "missing",
            ));
        }
        Some(Value::Array(a)) => a
            .iter()
            .map(|x| x.as_str().map(str::to_owned))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| {
                wire::validation_error(
                    &["body", "command"],
                    "Input should be a valid string",
                    "string_type",
                )
            })?,
        Some(_) => {
            return Err(wire::validation_error(
                &["body", "command"],
                "Input should be a valid list",
                "list_type",
            ));
        }
    };
    let env = match v.get("env") {
        Some(Value::Object(m)) => m
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().map(str::to_owned)))
            .collect(),
        _ => BTreeMap::new(),
    };
    Ok(ExecCall {
        sandbox: name.to_owned(),
        command,
        workdir: opt_str(v, "workdir")?,
        env,
        user: opt_str(v, "user")?,
        timeout_secs: opt_int(v, "timeout_secs")?.and_then(|t| u64::try_from(t).ok()),
        streaming,
    })
}

fn exec(shared: &Shared, status: u16, name: &str, body: &Bytes, streaming: bool) -> R {
    let v = parse_json(body)?;
    let mut call = exec_call(name, &v, streaming)?;
    {
        let st = lock(&shared.state);
        let sb = st
            .sandboxes
            .get(name)
            .ok_or_else(|| sandbox_not_found(name))?;
        if sb.status != "running" {
            return Err(wire::error(
                409,
                "SANDBOX_INVALID_STATE",
                &format!("sandbox {name:?} is {}, not running", sb.status),
            ));
        }
        if call.workdir.is_none() {
            call.workdir = Some(sb.workdir.clone());
        }
    }
    let hook = lock(&shared.exec_hook).clone();
    let outcome = match hook {
        Some(h) => h(&call),
        None => ExecOutcome::builtin(&call),
    };
    if streaming {
        return Ok(exec_sse(&outcome));
    }
    let mut st = lock(&shared.state);
    let exec_id = st.uuid();
    let sb = st
        .sandboxes
        .get_mut(name)
        .ok_or_else(|| sandbox_not_found(name))?;
    let resp = json!({"exec_id": exec_id, "sandbox_id": sb.id, "status": "running"});
    sb.execs.insert(
        exec_id,
        ExecRecord {
            outcome,
            polls_left: shared.config.exec_running_polls,
        },
    );
    Ok(wire::json(status, &resp))
}

/// SSE body for a finished command, framed as the real server frames it: a `: keep-alive`
/// comment, one `stdout` / `stderr` event per line of output (its line feed included, so
/// the output arrives byte for byte), then `exit` with the code — or `error` when there is
/// no exit code (timeout).
fn exec_sse(o: &ExecOutcome) -> Response<Body> {
    let mut chunks = VecDeque::new();
    chunks.push_back(Bytes::from_static(b": keep-alive\n\n"));
    for (event, text) in [("stdout", &o.stdout), ("stderr", &o.stderr)] {
        for line in text.split_inclusive('\n') {
            let mut s = String::with_capacity(line.len() + 24);
            wire::sse_event(&mut s, event, line);
            chunks.push_back(Bytes::from(s));
        }
    }
    let mut s = String::new();
    match o.exit_code {
        Some(code) => wire::sse_event(&mut s, "exit", &code.to_string()),
        None => wire::sse_event(&mut s, "error", &format!("command {}", o.status)),
    }
    chunks.push_back(Bytes::from(s));
    wire::sse(chunks)
}

fn exec_result(shared: &Shared, status: u16, name: &str, exec_id: &str) -> R {
    let mut st = lock(&shared.state);
    let sb = st
        .sandboxes
        .get_mut(name)
        .ok_or_else(|| sandbox_not_found(name))?;
    let rec = sb
        .execs
        .get_mut(exec_id)
        .ok_or_else(|| wire::error(404, "NOT_FOUND", &format!("exec {exec_id:?} not found")))?;
    if rec.polls_left > 0 {
        rec.polls_left -= 1;
        return Ok(wire::json(
            status,
            &json!({"exec_id": exec_id, "status": "running", "stdout": "", "stderr": "", "exit_code": null, "truncated": false}),
        ));
    }
    let o = &rec.outcome;
    Ok(wire::json(
        status,
        &json!({
            "exec_id": exec_id,
            "status": o.status,
            "stdout": o.stdout,
            "stderr": o.stderr,
            "exit_code": o.exit_code,
            "truncated": false,
        }),
    ))
}

fn download_file(shared: &Shared, status: u16, name: &str, q: &Query) -> R {
    let path = required_query(q, "path")?;
    let st = lock(&shared.state);
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

fn download_archive(shared: &Shared, status: u16, name: &str, q: &Query) -> R {
    let path = required_query(q, "path")?;
    let (fs, full) = {
        let st = lock(&shared.state);
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

fn upload(
    shared: &Shared,
    status: u16,
    name: &str,
    q: &Query,
    parts: &Parts,
    body: &Bytes,
    archive: bool,
) -> R {
    let path = required_query(q, "path")?;
    {
        let st = lock(&shared.state);
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
    let mut st = lock(&shared.state);
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

fn create_share(shared: &Shared, status: u16, name: &str, body: &Bytes) -> R {
    let v = parse_json(body)?;
    let port = opt_int(&v, "port")?
        .ok_or_else(|| wire::validation_error(&["body", "port"], "Field required", "missing"))?;
    if !(1..=65_535).contains(&port) {
        return Err(wire::error(
            400,
            "INVALID_REQUEST",
            "port must be between 1 and 65535",
        ));
    }
    let ttl = opt_int(&v, "ttl_seconds")?;
    let mut st = lock(&shared.state);
    if !st.sandboxes.contains_key(name) {
        return Err(sandbox_not_found(name));
    }
    let share_id = st.short_id("shr_");
    let now = unix_now();
    let share = Share {
        url: format!("https://{share_id}.share.islo.dev"),
        share_id,
        port,
        created_at: rfc3339(now),
        expires_at: ttl.map(|t| rfc3339(now + Duration::from_secs(u64::try_from(t).unwrap_or(0)))),
    };
    let v = share.view();
    if let Some(sb) = st.sandboxes.get_mut(name) {
        sb.shares.push(share);
    }
    Ok(wire::json(status, &v))
}

fn list_snapshots(shared: &Shared, status: u16, q: &Query) -> R {
    let (limit, offset) = paging(q)?;
    let st = lock(&shared.state);
    let items: Vec<Value> = st
        .snapshots
        .iter()
        .skip(offset)
        .take(limit)
        .map(Snapshot::view)
        .collect();
    Ok(wire::json(
        status,
        &json!({"items": items, "limit": limit, "offset": offset, "total": st.snapshots.len()}),
    ))
}

fn create_snapshot(shared: &Shared, status: u16, parts: &Parts, body: &Bytes) -> R {
    let v = parse_json(body)?;
    let sandbox = opt_str(&v, "sandbox_name")?.ok_or_else(|| {
        wire::validation_error(&["body", "sandbox_name"], "Field required", "missing")
    })?;
    let name = opt_str(&v, "name")?;
    let async_ = parts
        .headers
        .get("prefer")
        .and_then(|p| p.to_str().ok())
        .is_some_and(|p| p.contains("respond-async"));
    let mut st = lock(&shared.state);
    let (sandbox_id, files) = match st.sandboxes.get(&sandbox) {
        Some(sb) => (sb.id.clone(), sb.files.clone()),
        None => return Err(sandbox_not_found(&sandbox)),
    };
    let name = match name {
        Some(n) => n,
        None => st.short_id("snap-"),
    };
    if st.snapshots.iter().any(|s| s.name == name) {
        return Err(wire::error(
            409,
            "INVALID_REQUEST",
            &format!("snapshot {name:?} already exists"),
        ));
    }
    let snap = Snapshot {
        id: st.uuid(),
        name,
        sandbox_id,
        status: if async_ { "saving" } else { "ready" },
        created_at: rfc3339(unix_now()),
        files,
    };
    let v = snap.view();
    st.snapshots.push(snap);
    Ok(wire::json(status, &v))
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

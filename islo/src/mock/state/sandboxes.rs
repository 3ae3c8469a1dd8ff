//! Sandboxes: create, get (by name and by id), list, delete, pause / resume / stop, and
//! creation events.

use std::collections::{HashMap, VecDeque};

use bytes::Bytes;
use serde::Serialize;
use serde_json::{json, Value};

use super::super::files;
use super::super::server::{lock, unix_now, ServerState};
use super::super::wire::{self, Query};
use super::exec::ExecRecord;
use super::shares::Share;
use super::{
    opt_int, opt_str, paging, parse_json, rfc3339, sandbox_not_found, DEFAULT_IMAGE,
    DEFAULT_WORKDIR, R,
};

/// One sandbox and everything that lives in it.
pub(super) struct Sandbox {
    pub(super) id: String,
    pub(super) name: String,
    pub(super) image: String,
    pub(super) status: &'static str,
    pub(super) created_at: String,
    pub(super) workdir: String,
    pub(super) disk_gb: i64,
    pub(super) memory_mb: i64,
    pub(super) vcpus: i64,
    pub(super) lifecycle: Option<Value>,
    pub(super) gets_until_running: u32,
    pub(super) files: files::Fs,
    pub(super) execs: HashMap<String, ExecRecord>,
    pub(super) shares: Vec<Share>,
    /// Open sessions: name and when they started (Unix milliseconds).
    pub(super) sessions: Vec<(String, u64)>,
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
    /// The sandbox as `SandboxResponse` shows it.
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

pub(super) fn list_sandboxes(server: &ServerState, status: u16, q: &Query) -> R {
    let (limit, offset) = paging(q)?;
    let statuses = q.all("status");
    let prefix = q.get("name_prefix").filter(|p| !p.is_empty());
    let search = q
        .get("q")
        .filter(|s| !s.is_empty())
        .or_else(|| q.get("search").filter(|s| !s.is_empty()))
        .map(str::to_lowercase);
    let created_by = q.get("created_by").filter(|c| !c.is_empty());
    let st = lock(&server.state);
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

pub(super) fn create_sandbox(server: &ServerState, status: u16, body: &Bytes) -> R {
    let v = parse_json(body)?;
    let name = opt_str(&v, "name")?;
    let image = opt_str(&v, "image")?.unwrap_or_else(|| DEFAULT_IMAGE.to_owned());
    let workdir = opt_str(&v, "workdir")?.unwrap_or_else(|| DEFAULT_WORKDIR.to_owned());
    let vcpus = opt_int(&v, "vcpus")?.unwrap_or(2);
    let memory_mb = opt_int(&v, "memory_mb")?.unwrap_or(4096);
    let disk_gb = opt_int(&v, "disk_gb")?.unwrap_or(20);
    let snapshot = opt_str(&v, "snapshot_name")?;
    let lifecycle = v.get("lifecycle").filter(|l| !l.is_null()).cloned();
    let mut st = lock(&server.state);
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
    let starting = server.config.starting_gets;
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

pub(super) fn get_sandbox(server: &ServerState, status: u16, name: &str) -> R {
    let mut st = lock(&server.state);
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

pub(super) fn get_sandbox_by_id(server: &ServerState, status: u16, id: &str) -> R {
    let st = lock(&server.state);
    let sb = st.sandboxes.values().find(|s| s.id == id).ok_or_else(|| {
        wire::error(
            404,
            "SANDBOX_NOT_FOUND",
            &format!("sandbox with id {id:?} not found"),
        )
    })?;
    Ok(wire::json(status, &sb.view()))
}

pub(super) fn transition(server: &ServerState, status: u16, name: &str, to: &'static str) -> R {
    let mut st = lock(&server.state);
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

pub(super) fn sandbox_events(server: &ServerState, name: &str) -> R {
    let mut st = lock(&server.state);
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

/// `DELETE /sandboxes/{name}`.
pub(super) fn delete_sandbox(server: &ServerState, status: u16, name: &str) -> R {
    let mut st = lock(&server.state);
    match st.sandboxes.remove(name) {
        Some(_) => {
            st.order.retain(|n| n != name);
            Ok(wire::respond(status, None, Bytes::new()))
        }
        None => Err(sandbox_not_found(name)),
    }
}

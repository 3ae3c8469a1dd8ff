//! Snapshots: create (from a sandbox's files), list, get, delete.

use bytes::Bytes;
use http::request::Parts;
use serde_json::{json, Value};

use super::super::files;
use super::super::server::{lock, unix_now, ServerState};
use super::super::wire::{self, Query};
use super::{opt_str, paging, parse_json, rfc3339, sandbox_not_found, R};

/// A saved copy of a sandbox's files.
pub(super) struct Snapshot {
    pub(super) id: String,
    pub(super) name: String,
    pub(super) sandbox_id: String,
    pub(super) status: &'static str,
    pub(super) created_at: String,
    pub(super) files: files::Fs,
}

impl Snapshot {
    /// The snapshot as the API shows it.
    pub(super) fn view(&self) -> Value {
        let size: u64 = self.files.values().filter_map(files::Node::file_len).sum();
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

pub(super) fn list_snapshots(server: &ServerState, status: u16, q: &Query) -> R {
    let (limit, offset) = paging(q)?;
    let st = lock(&server.state);
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

pub(super) fn create_snapshot(server: &ServerState, status: u16, parts: &Parts, body: &Bytes) -> R {
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
    let mut st = lock(&server.state);
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

/// `GET /snapshots/{name}`.
pub(super) fn get_snapshot(server: &ServerState, status: u16, name: &str) -> R {
    let mut st = lock(&server.state);
    match st.snapshots.iter_mut().find(|s| s.name == name) {
        Some(s) => {
            let v = s.view();
            // An async snapshot is ready once it has been looked at.
            s.status = "ready";
            Ok(wire::json(status, &v))
        }
        None => Err(wire::error(
            404,
            "RESOURCE_NOT_FOUND",
            &format!("snapshot {name:?} not found"),
        )),
    }
}

/// `DELETE /snapshots/{name}`.
pub(super) fn delete_snapshot(server: &ServerState, status: u16, name: &str) -> R {
    let mut st = lock(&server.state);
    let before = st.snapshots.len();
    st.snapshots.retain(|s| s.name != name);
    if st.snapshots.len() == before {
        Err(wire::error(
            404,
            "RESOURCE_NOT_FOUND",
            &format!("snapshot {name:?} not found"),
        ))
    } else {
        Ok(wire::respond(status, None, Bytes::new()))
    }
}

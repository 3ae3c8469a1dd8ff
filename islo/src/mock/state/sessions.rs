//! Sessions of a sandbox: create, list, kill (the fake records them and runs nothing).

use bytes::Bytes;
use serde_json::{json, Value};

use super::super::server::{lock, unix_now, ServerState};
use super::super::wire;
use super::{sandbox_not_found, R};

/// `POST /sandboxes/{name}/sessions`: records the session (the fake runs nothing).
pub(super) fn create_session(server: &ServerState, status: u16, name: &str, body: &Bytes) -> R {
    let req: Value = serde_json::from_slice(body).map_err(|e| {
        wire::validation_error(&["body"], &format!("invalid JSON: {e}"), "json_invalid")
    })?;
    let session = req
        .get("name")
        .and_then(Value::as_str)
        .filter(|n| !n.is_empty())
        .ok_or_else(|| wire::validation_error(&["body", "name"], "Field required", "missing"))?
        .to_string();
    let mut st = lock(&server.state);
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

/// `GET /sandboxes/{name}/sessions`.
pub(super) fn list_sessions(server: &ServerState, status: u16, name: &str) -> R {
    let st = lock(&server.state);
    match st.sandboxes.get(name) {
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
        None => Err(sandbox_not_found(name)),
    }
}

/// `DELETE /sandboxes/{name}/sessions/{session}`.
pub(super) fn kill_session(server: &ServerState, status: u16, name: &str, session: &str) -> R {
    let mut st = lock(&server.state);
    match st.sandboxes.get_mut(name) {
        Some(sb) => {
            let before = sb.sessions.len();
            sb.sessions.retain(|(n, _)| n != session);
            if sb.sessions.len() == before {
                Err(wire::error(
                    404,
                    "RESOURCE_NOT_FOUND",
                    &format!("session {session:?} not found"),
                ))
            } else {
                Ok(wire::respond(status, None, Bytes::new()))
            }
        }
        None => Err(sandbox_not_found(name)),
    }
}

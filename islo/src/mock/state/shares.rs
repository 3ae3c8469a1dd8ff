//! Port shares of a sandbox: create, list, revoke.

use std::time::Duration;

use bytes::Bytes;
use serde_json::{json, Value};

use super::super::server::{lock, unix_now, ServerState};
use super::super::wire;
use super::{opt_int, parse_json, rfc3339, sandbox_not_found, R};

/// One share of a sandbox port.
pub(super) struct Share {
    pub(super) share_id: String,
    pub(super) port: i64,
    pub(super) url: String,
    pub(super) created_at: String,
    pub(super) expires_at: Option<String>,
}

impl Share {
    /// The share as the API shows it.
    pub(super) fn view(&self) -> Value {
        json!({
            "share_id": self.share_id,
            "port": self.port,
            "url": self.url,
            "created_at": self.created_at,
            "expires_at": self.expires_at,
        })
    }
}

pub(super) fn create_share(server: &ServerState, status: u16, name: &str, body: &Bytes) -> R {
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
    let mut st = lock(&server.state);
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

/// `GET /sandboxes/{name}/shares`.
pub(super) fn list_shares(server: &ServerState, status: u16, name: &str) -> R {
    let st = lock(&server.state);
    match st.sandboxes.get(name) {
        Some(sb) => Ok(wire::json(
            status,
            &sb.shares.iter().map(Share::view).collect::<Vec<_>>(),
        )),
        None => Err(sandbox_not_found(name)),
    }
}

/// `DELETE /sandboxes/{name}/shares/{share_id}`.
pub(super) fn revoke_share(server: &ServerState, status: u16, name: &str, share_id: &str) -> R {
    let mut st = lock(&server.state);
    match st.sandboxes.get_mut(name) {
        Some(sb) => {
            let before = sb.shares.len();
            sb.shares.retain(|s| s.share_id != share_id);
            if sb.shares.len() == before {
                Err(wire::error(
                    404,
                    "RESOURCE_NOT_FOUND",
                    &format!("share {share_id:?} not found"),
                ))
            } else {
                Ok(wire::respond(status, None, Bytes::new()))
            }
        }
        None => Err(sandbox_not_found(name)),
    }
}

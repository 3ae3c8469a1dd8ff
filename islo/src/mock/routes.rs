//! The fake's route table: every operation of [`crate::meta::OPERATIONS`] (method, path
//! template and plane, as the SDK itself sends them), with a request counter each. The
//! operations the fake models with state are named by `operationId`; every other operation
//! answers with an example generated from its spec schema.

use std::sync::atomic::{AtomicU64, Ordering};

use http::Method;

pub(crate) use crate::meta::Plane;
use crate::meta::{OperationMeta, OPERATIONS};

/// Operations with a hand-written, stateful implementation.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Builtin {
    AuthToken,
    ListSandboxes,
    CreateSandbox,
    GetSandbox,
    GetSandboxById,
    DeleteSandbox,
    SandboxEvents,
    Exec,
    ExecStream,
    ExecResult,
    DownloadFile,
    UploadFile,
    DownloadArchive,
    UploadArchive,
    Pause,
    Resume,
    Stop,
    ListShares,
    CreateShare,
    RevokeShare,
    ListSnapshots,
    CreateSnapshot,
    GetSnapshot,
    DeleteSnapshot,
    CreateSession,
    ListSessions,
    KillSession,
}

/// The stateful implementation of operation `id`, if the fake has one.
fn builtin(id: &str) -> Option<Builtin> {
    use Builtin as B;
    Some(match id {
        "exchange_token" => B::AuthToken,
        "list_sandboxes" => B::ListSandboxes,
        "create_sandbox" => B::CreateSandbox,
        "get_sandbox" => B::GetSandbox,
        "get_sandbox_by_id" => B::GetSandboxById,
        "delete_sandbox" => B::DeleteSandbox,
        "sandbox_creation_events" => B::SandboxEvents,
        "exec_in_sandbox" => B::Exec,
        "exec_in_sandbox_stream" => B::ExecStream,
        "get_exec_result" => B::ExecResult,
        "download_file" => B::DownloadFile,
        "upload_file" => B::UploadFile,
        "download_archive" => B::DownloadArchive,
        "upload_archive" => B::UploadArchive,
        "pause_sandbox" => B::Pause,
        "resume_sandbox" => B::Resume,
        "stop_sandbox" => B::Stop,
        "list_shares" => B::ListShares,
        "create_share" => B::CreateShare,
        "revoke_share" => B::RevokeShare,
        "list_snapshots" => B::ListSnapshots,
        "create_snapshot" => B::CreateSnapshot,
        "get_snapshot" => B::GetSnapshot,
        "delete_snapshot" => B::DeleteSnapshot,
        "create_session" => B::CreateSession,
        "list_sessions" => B::ListSessions,
        "kill_session" => B::KillSession,
        _ => return None,
    })
}

/// What answers a route.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Handler {
    /// Hand-written.
    Builtin(Builtin),
    /// The canned answer generated from the operation's spec schema.
    Spec,
}

#[derive(Debug)]
enum Seg {
    Lit(&'static str),
    Param,
}

/// One routable operation.
#[derive(Debug)]
pub(crate) struct Route {
    pub(crate) op: &'static OperationMeta,
    pub(crate) method: Method,
    segs: Vec<Seg>,
    /// Whether the template ends with `/` (`/snapshots/`).
    trailing_slash: bool,
    pub(crate) handler: Handler,
    count: AtomicU64,
}

/// Path parameters of a matched request, in template order.
pub(crate) struct Params<'a> {
    vals: Vec<&'a str>,
}

impl<'a> Params<'a> {
    /// The `i`th path parameter (raw, not percent-decoded).
    pub(crate) fn get(&self, i: usize) -> &'a str {
        self.vals.get(i).copied().unwrap_or("")
    }
}

/// How a request matched.
pub(crate) enum Match<'r, 'a> {
    /// This route, with these parameters.
    Route(&'r Route, Params<'a>),
    /// Only with a trailing `/` added or removed: the real server (FastAPI) answers `307` to
    /// the route's own form of the path, and so does the fake.
    Redirect(String),
}

/// All routes.
#[derive(Debug)]
pub(crate) struct Routes {
    pub(crate) routes: Vec<Route>,
    unmatched: AtomicU64,
}

fn segments(path: &str) -> Option<Vec<&str>> {
    let path = path.strip_prefix('/')?;
    let path = path.strip_suffix('/').unwrap_or(path);
    Some(if path.is_empty() {
        Vec::new()
    } else {
        path.split('/').collect()
    })
}

impl Routes {
    /// The table: every operation the SDK knows.
    pub(crate) fn build() -> Self {
        let mut routes: Vec<Route> = OPERATIONS
            .iter()
            .map(|op| Route {
                op,
                method: Method::from_bytes(op.method.as_bytes()).unwrap_or(Method::GET),
                segs: segments(op.path)
                    .unwrap_or_default()
                    .into_iter()
                    .map(|s| {
                        if s.starts_with('{') && s.ends_with('}') {
                            Seg::Param
                        } else {
                            Seg::Lit(s)
                        }
                    })
                    .collect(),
                trailing_slash: op.path.len() > 1 && op.path.ends_with('/'),
                handler: builtin(op.id).map_or(Handler::Spec, Handler::Builtin),
                count: AtomicU64::new(0),
            })
            .collect();
        // Most specific first: a literal segment beats a parameter, left to right.
        routes.sort_by_key(|r| {
            r.segs
                .iter()
                .map(|s| matches!(s, Seg::Param))
                .collect::<Vec<_>>()
        });
        Routes {
            routes,
            unmatched: AtomicU64::new(0),
        }
    }

    /// The route whose template matches `path` (ignoring a trailing `/`) on `plane`.
    fn matching<'a>(
        &self,
        plane: Plane,
        method: &Method,
        path: &'a str,
    ) -> Option<(&Route, Params<'a>)> {
        let segs = segments(path)?;
        'route: for r in &self.routes {
            if r.op.plane != plane || r.method != *method || r.segs.len() != segs.len() {
                continue;
            }
            let mut vals = Vec::new();
            for (seg, val) in r.segs.iter().zip(&segs) {
                match seg {
                    Seg::Lit(l) if l == val => {}
                    Seg::Lit(_) => continue 'route,
                    Seg::Param if val.is_empty() => continue 'route,
                    Seg::Param => vals.push(*val),
                }
            }
            return Some((r, Params { vals }));
        }
        None
    }

    /// Whether some route on `plane` matches (without counting).
    pub(crate) fn exists(&self, plane: Plane, method: &Method, path: &str) -> bool {
        self.matching(plane, method, path).is_some()
    }

    /// Finds the route for a request and counts it (or counts a miss). A path that matches
    /// only with its trailing `/` toggled is answered with a redirect to the route's form.
    pub(crate) fn find<'r, 'a>(
        &'r self,
        plane: Plane,
        method: &Method,
        path: &'a str,
    ) -> Option<Match<'r, 'a>> {
        let Some((r, params)) = self.matching(plane, method, path) else {
            self.unmatched.fetch_add(1, Ordering::Relaxed);
            return None;
        };
        let has_slash = path.len() > 1 && path.ends_with('/');
        if has_slash != r.trailing_slash {
            let canonical = if r.trailing_slash {
                format!("{path}/")
            } else {
                path.trim_end_matches('/').to_string()
            };
            return Some(Match::Redirect(canonical));
        }
        r.count.fetch_add(1, Ordering::Relaxed);
        Some(Match::Route(r, params))
    }

    /// Requests counted for `(method, template)` (the spec's template of an operation).
    pub(crate) fn count_for(&self, method: &str, template: &str) -> u64 {
        self.routes
            .iter()
            .filter(|r| r.method.as_str().eq_ignore_ascii_case(method) && r.op.path == template)
            .map(|r| r.count.load(Ordering::Relaxed))
            .sum()
    }

    /// Zeroes all counters.
    pub(crate) fn reset(&self) {
        for r in &self.routes {
            r.count.store(0, Ordering::Relaxed);
        }
        self.unmatched.store(0, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route<'r>(m: Option<Match<'r, '_>>) -> (&'r str, String) {
        match m {
            Some(Match::Route(r, p)) => (r.op.id, p.get(0).to_string()),
            Some(Match::Redirect(to)) => ("redirect", to),
            None => ("none", String::new()),
        }
    }

    #[test]
    fn matching_prefers_literals_and_counts() {
        let r = Routes::build();
        assert_eq!(
            route(r.find(Plane::Compute, &Method::GET, "/sandboxes/-/by-id/abc")),
            ("get_sandbox_by_id", "abc".into())
        );
        assert_eq!(
            route(r.find(Plane::Compute, &Method::GET, "/sandboxes/box1")),
            ("get_sandbox", "box1".into())
        );
        assert!(r
            .find(Plane::Control, &Method::GET, "/sandboxes/box1")
            .is_none());
        assert!(r
            .find(Plane::Compute, &Method::POST, "/auth/token")
            .is_none());
        assert_eq!(r.count_for("GET", "/sandboxes/{sandbox_name}"), 1);
    }

    #[test]
    fn a_toggled_trailing_slash_is_redirected_like_fastapi_does() {
        let r = Routes::build();
        assert_eq!(
            route(r.find(Plane::Compute, &Method::GET, "/snapshots")),
            ("redirect", "/snapshots/".into())
        );
        assert_eq!(
            route(r.find(Plane::Compute, &Method::DELETE, "/sandboxes/sb/")),
            ("redirect", "/sandboxes/sb".into())
        );
        assert_eq!(r.count_for("DELETE", "/sandboxes/{sandbox_name}"), 0);
        assert_eq!(
            route(r.find(Plane::Compute, &Method::GET, "/snapshots/")),
            ("list_snapshots", String::new())
        );
    }

    #[test]
    fn every_operation_is_routed_on_its_own_plane() {
        let r = Routes::build();
        assert_eq!(r.routes.len(), OPERATIONS.len());
        for op in OPERATIONS {
            // Each parameter filled with a value no literal segment of the spec has.
            let path: String = op
                .path
                .split('/')
                .map(|seg| if seg.starts_with('{') { "p0x" } else { seg })
                .collect::<Vec<_>>()
                .join("/");
            let method = Method::from_bytes(op.method.as_bytes()).unwrap();
            assert_eq!(
                route(r.find(op.plane, &method, &path)).0,
                op.id,
                "{} {path}",
                op.method
            );
        }
    }
}

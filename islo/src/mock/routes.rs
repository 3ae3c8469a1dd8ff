//! Route table: method + path template per plane, request counters.

use std::sync::atomic::{AtomicU64, Ordering};

use http::Method;

use super::spec::Spec;

/// Which listener serves a route.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Plane {
    /// `https://api.islo.dev`.
    Control,
    /// `https://ca.compute.islo.dev`.
    Compute,
}

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
}

use Builtin as B;
use Plane::{Compute, Control};

/// `(method, template, plane, builtin, default success status)`.
const BUILTINS: &[(&str, &str, Plane, Builtin, u16)] = &[
    ("POST", "/auth/token", Control, B::AuthToken, 200),
    ("GET", "/sandboxes", Compute, B::ListSandboxes, 200),
    ("POST", "/sandboxes", Compute, B::CreateSandbox, 200),
    (
        "GET",
        "/sandboxes/-/by-id/{id}",
        Compute,
        B::GetSandboxById,
        200,
    ),
    (
        "GET",
        "/sandboxes/{sandbox_name}",
        Compute,
        B::GetSandbox,
        200,
    ),
    (
        "DELETE",
        "/sandboxes/{sandbox_name}",
        Compute,
        B::DeleteSandbox,
        200,
    ),
    (
        "GET",
        "/sandboxes/{sandbox_name}/events",
        Compute,
        B::SandboxEvents,
        200,
    ),
    (
        "POST",
        "/sandboxes/{sandbox_name}/exec",
        Compute,
        B::Exec,
        200,
    ),
    (
        "POST",
        "/sandboxes/{sandbox_name}/exec/stream",
        Compute,
        B::ExecStream,
        200,
    ),
    (
        "GET",
        "/sandboxes/{sandbox_name}/exec/{exec_id}",
        Compute,
        B::ExecResult,
        200,
    ),
    (
        "GET",
        "/sandboxes/{sandbox_name}/files",
        Compute,
        B::DownloadFile,
        200,
    ),
    (
        "POST",
        "/sandboxes/{sandbox_name}/files",
        Compute,
        B::UploadFile,
        200,
    ),
    (
        "GET",
        "/sandboxes/{sandbox_name}/files-archive",
        Compute,
        B::DownloadArchive,
        200,
    ),
    (
        "POST",
        "/sandboxes/{sandbox_name}/files-archive",
        Compute,
        B::UploadArchive,
        200,
    ),
    (
        "POST",
        "/sandboxes/{sandbox_name}/pause",
        Compute,
        B::Pause,
        200,
    ),
    (
        "POST",
        "/sandboxes/{sandbox_name}/resume",
        Compute,
        B::Resume,
        200,
    ),
    (
        "POST",
        "/sandboxes/{sandbox_name}/stop",
        Compute,
        B::Stop,
        200,
    ),
    (
        "GET",
        "/sandboxes/{sandbox_name}/shares",
        Compute,
        B::ListShares,
        200,
    ),
    (
        "POST",
        "/sandboxes/{sandbox_name}/shares",
        Compute,
        B::CreateShare,
        200,
    ),
    (
        "DELETE",
        "/sandboxes/{sandbox_name}/shares/{share_id}",
        Compute,
        B::RevokeShare,
        200,
    ),
    ("GET", "/snapshots/", Compute, B::ListSnapshots, 200),
    ("POST", "/snapshots/", Compute, B::CreateSnapshot, 200),
    ("GET", "/snapshots/{name}", Compute, B::GetSnapshot, 200),
    (
        "DELETE",
        "/snapshots/{name}",
        Compute,
        B::DeleteSnapshot,
        200,
    ),
];

/// What answers a route.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Handler {
    /// Hand-written.
    Builtin(Builtin),
    /// Canned answer generated from the spec operation with this index.
    Spec(usize),
}

#[derive(Debug)]
enum Seg {
    Lit(String),
    Param,
}

/// One routable operation.
#[derive(Debug)]
pub(crate) struct Route {
    pub(crate) method: Method,
    pub(crate) template: String,
    segs: Vec<Seg>,
    pub(crate) plane: Plane,
    pub(crate) handler: Handler,
    /// Success status (from the spec when it declares one).
    pub(crate) status: u16,
    /// The spec declares no response body for the success status.
    pub(crate) no_content: bool,
    count: AtomicU64,
}

/// Maximum number of path segments that can be routed.
pub(crate) const MAX_SEGS: usize = 16;
const METHODS: usize = 8;

fn method_index(m: &Method) -> usize {
    match *m {
        Method::GET => 0,
        Method::POST => 1,
        Method::PUT => 2,
        Method::DELETE => 3,
        Method::PATCH => 4,
        Method::HEAD => 5,
        Method::OPTIONS => 6,
        _ => 7,
    }
}

fn bucket(plane: Plane, m: usize, nsegs: usize) -> usize {
    let p = match plane {
        Control => 0,
        Compute => 1,
    };
    (p * METHODS + m) * (MAX_SEGS + 1) + nsegs
}

fn parse_template(t: &str) -> Vec<Seg> {
    t.split('/')
        .skip(1)
        .map(|s| {
            if s.starts_with('{') && s.ends_with('}') {
                Seg::Param
            } else {
                Seg::Lit(s.to_owned())
            }
        })
        .collect()
}

/// Template with parameter names erased, for comparing builtin and spec paths.
pub(crate) fn shape(t: &str) -> String {
    t.split('/')
        .map(|s| if s.starts_with('{') { "{}" } else { s })
        .collect::<Vec<_>>()
        .join("/")
}

/// Path parameters of a matched request, in template order.
pub(crate) struct Params<'a> {
    vals: [&'a str; MAX_SEGS],
    len: usize,
}

impl<'a> Params<'a> {
    /// The `i`th path parameter (raw, not percent-decoded).
    pub(crate) fn get(&self, i: usize) -> &'a str {
        if i < self.len {
            self.vals[i]
        } else {
            ""
        }
    }
}

/// All routes plus a lookup index.
#[derive(Debug)]
pub(crate) struct Routes {
    pub(crate) routes: Vec<Route>,
    index: Vec<Vec<usize>>,
    unmatched: AtomicU64,
}

impl Routes {
    /// Builds the table from the builtins and (when present) the spec.
    pub(crate) fn build(spec: Option<&Spec>) -> Self {
        let mut routes = Vec::new();
        for &(m, t, plane, b, status) in BUILTINS {
            let method = Method::from_bytes(m.as_bytes()).unwrap_or(Method::GET);
            let mut template = t.to_owned();
            let mut status = status;
            let mut no_content = false;
            if let Some(op) = spec.and_then(|s| s.find(m, t)) {
                template = op.template.clone();
                status = op.status;
                no_content = op.content_type.is_none();
            }
            routes.push(Route {
                method,
                segs: parse_template(&template),
                template,
                plane,
                handler: Handler::Builtin(b),
                status,
                no_content,
                count: AtomicU64::new(0),
            });
        }
        if let Some(spec) = spec {
            for (i, op) in spec.ops.iter().enumerate() {
                let sh = shape(&op.template);
                let taken = BUILTINS
                    .iter()
                    .any(|(m, t, ..)| *m == op.method && shape(t) == sh);
                if taken {
                    continue;
                }
                let method = Method::from_bytes(op.method.as_bytes()).unwrap_or(Method::GET);
                routes.push(Route {
                    method,
                    segs: parse_template(&op.template),
                    template: op.template.clone(),
                    plane: op.plane,
                    handler: Handler::Spec(i),
                    status: op.status,
                    no_content: false,
                    count: AtomicU64::new(0),
                });
            }
        }
        let mut index = vec![Vec::new(); 2 * METHODS * (MAX_SEGS + 1)];
        for (i, r) in routes.iter().enumerate() {
            if r.segs.len() <= MAX_SEGS {
                index[bucket(r.plane, method_index(&r.method), r.segs.len())].push(i);
            }
        }
        // Most specific first: a literal segment beats a parameter, left to right.
        for b in &mut index {
            b.sort_by_key(|&i| {
                routes[i]
                    .segs
                    .iter()
                    .map(|s| matches!(s, Seg::Param))
                    .collect::<Vec<_>>()
            });
        }
        Routes {
            routes,
            index,
            unmatched: AtomicU64::new(0),
        }
    }

    fn find_exact<'a>(
        &self,
        plane: Plane,
        method: &Method,
        path: &'a str,
    ) -> Option<(usize, Params<'a>)> {
        let mut segs: [&str; MAX_SEGS] = [""; MAX_SEGS];
        let mut n = 0;
        for s in path.strip_prefix('/')?.split('/') {
            if n == MAX_SEGS {
                return None;
            }
            segs[n] = s;
            n += 1;
        }
        let cands = self.index.get(bucket(plane, method_index(method), n))?;
        'route: for &ri in cands {
            let r = &self.routes[ri];
            if r.method != *method {
                continue;
            }
            let mut params = Params {
                vals: [""; MAX_SEGS],
                len: 0,
            };
            for (seg, val) in r.segs.iter().zip(segs.iter()) {
                match seg {
                    Seg::Lit(l) => {
                        if l != val {
                            continue 'route;
                        }
                    }
                    Seg::Param => {
                        if val.is_empty() {
                            continue 'route;
                        }
                        params.vals[params.len] = val;
                        params.len += 1;
                    }
                }
            }
            return Some((ri, params));
        }
        None
    }

    fn lookup<'a>(
        &self,
        plane: Plane,
        method: &Method,
        path: &'a str,
    ) -> Option<(usize, Params<'a>)> {
        if let Some(hit) = self.find_exact(plane, method, path) {
            return Some(hit);
        }
        if let Some(stripped) = path.strip_suffix('/').filter(|p| !p.is_empty()) {
            return self.find_exact(plane, method, stripped);
        }
        // Try the template with a trailing slash (e.g. `/snapshots/`);
        // parameters are taken from the original path.
        let with = format!("{path}/");
        let (ri, _) = self.find_exact(plane, method, &with)?;
        self.params_of(ri, path)
    }

    /// Whether some route on `plane` matches (without counting).
    pub(crate) fn exists(&self, plane: Plane, method: &Method, path: &str) -> bool {
        self.lookup(plane, method, path).is_some()
    }

    /// Finds the route for a request and counts it (or counts a miss).
    /// A missing or extra trailing slash is tolerated.
    pub(crate) fn find<'a>(
        &self,
        plane: Plane,
        method: &Method,
        path: &'a str,
    ) -> Option<(&Route, Params<'a>)> {
        match self.lookup(plane, method, path) {
            Some((ri, p)) => {
                let r = &self.routes[ri];
                r.count.fetch_add(1, Ordering::Relaxed);
                Some((r, p))
            }
            None => {
                self.unmatched.fetch_add(1, Ordering::Relaxed);
                None
            }
        }
    }

    fn params_of<'a>(&self, ri: usize, path: &'a str) -> Option<(usize, Params<'a>)> {
        let r = &self.routes[ri];
        let mut params = Params {
            vals: [""; MAX_SEGS],
            len: 0,
        };
        for (seg, val) in r.segs.iter().zip(path.strip_prefix('/')?.split('/')) {
            if matches!(seg, Seg::Param) {
                params.vals[params.len] = val;
                params.len += 1;
            }
        }
        Some((ri, params))
    }

    /// Requests counted for `(method, template)` (any plane).
    pub(crate) fn count_for(&self, method: &str, template: &str) -> u64 {
        let sh = shape(template);
        self.routes
            .iter()
            .filter(|r| {
                r.method.as_str().eq_ignore_ascii_case(method)
                    && (r.template == template || shape(&r.template) == sh)
            })
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

    #[test]
    fn matching_prefers_literals_and_counts() {
        let r = Routes::build(None);
        let (route, p) = r
            .find(Compute, &Method::GET, "/sandboxes/-/by-id/abc")
            .map(|(r, p)| (r.template.clone(), p.get(0)))
            .unwrap();
        assert_eq!(route, "/sandboxes/-/by-id/{id}");
        assert_eq!(p, "abc");
        let (t, _) = r.find(Compute, &Method::GET, "/sandboxes/box1").unwrap();
        assert_eq!(t.template, "/sandboxes/{sandbox_name}");
        assert!(r.find(Control, &Method::GET, "/sandboxes/box1").is_none());
        assert!(r.find(Compute, &Method::POST, "/auth/token").is_none());
        assert!(r.find(Compute, &Method::GET, "/snapshots").is_some());
        assert!(r.find(Compute, &Method::GET, "/sandboxes/").is_some());
        assert_eq!(r.count_for("GET", "/sandboxes/{sandbox_name}"), 1);
        assert_eq!(r.count_for("GET", "/sandboxes/{x}"), 1);
        assert_eq!(r.count_for("GET", "/snapshots/"), 1);
    }
}

//! The server thread: runtime, listeners, request pipeline, auth and faults.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::{SocketAddr, TcpListener as StdListener};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use bytes::Bytes;
use http::header::{HeaderValue, AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER};
use http::{Method, Request, Response, StatusCode};
use http_body_util::BodyExt as _;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::sync::watch;

use super::routes::{Builtin, Handler, Match, Plane, Routes};
use super::sink::DiscardedUpload;
use super::spec::{self, Spec};
use super::state::{self, State};
use super::wire::{self, Body};
use super::{ExecHook, FakeIsloBuilder};

/// Locks a mutex, ignoring poisoning (a panicking hook must not wedge the
/// server).
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Immutable configuration.
#[derive(Debug)]
pub(crate) struct Config {
    pub(crate) api_key: String,
    pub(crate) token_lifetime: Duration,
    pub(crate) exec_running_polls: u32,
    pub(crate) starting_gets: u32,
    /// Normalised paths under which uploads go to the sink.
    pub(crate) discard_prefixes: Vec<String>,
}

/// Fault-injection knobs.
#[derive(Debug, Default)]
pub(crate) struct Faults {
    pub(crate) fail_every_nth: AtomicU64,
    pub(crate) nth_counter: AtomicU64,
    pub(crate) rate_limited: AtomicU64,
    pub(crate) retry_after_secs: AtomicU64,
    pub(crate) latency_nanos: AtomicU64,
    pub(crate) token_status: AtomicU64,
}

impl Faults {
    /// An injected `429`/`503` for a non-auth request, if one is due.
    fn check(&self) -> Option<Response<Body>> {
        if self.rate_limited.load(Ordering::Relaxed) > 0
            && self
                .rate_limited
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok()
        {
            let mut resp = wire::error(429, "RATE_LIMITED", "rate limited (injected by FakeIslo)");
            let secs = self.retry_after_secs.load(Ordering::Relaxed);
            resp.headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from(secs));
            return Some(resp);
        }
        let n = self.fail_every_nth.load(Ordering::Relaxed);
        if n > 0 {
            let c = self.nth_counter.fetch_add(1, Ordering::SeqCst) + 1;
            if c.is_multiple_of(n) {
                return Some(wire::error(
                    503,
                    "RESOURCE_UNAVAILABLE",
                    "service unavailable (injected by FakeIslo)",
                ));
            }
        }
        None
    }
}

/// Issued session tokens.
#[derive(Debug, Default)]
pub(crate) struct Auth {
    tokens: Mutex<HashMap<String, Instant>>,
    pub(crate) exchanges: AtomicU64,
    seq: AtomicU64,
}

pub(crate) fn unix_now() -> Duration {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
}

impl Auth {
    fn issue(&self, lifetime: Duration) -> String {
        let n = self.seq.fetch_add(1, Ordering::SeqCst) + 1;
        let now = unix_now().as_secs();
        let exp = now
            + lifetime
                .as_secs()
                .max(u64::from(lifetime.subsec_nanos() > 0));
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
        let payload = serde_json::json!({
            "sub": "user_fake_islo",
            "tenant_id": "tenant_fake_islo",
            "iat": now,
            "exp": exp,
            "jti": format!("fake-{n}"),
        });
        let payload = URL_SAFE_NO_PAD.encode(payload.to_string());
        let mut sig = [0u8; 32];
        let mut x = n ^ 0x9e37_79b9_7f4a_7c15 ^ now.rotate_left(17);
        for chunk in sig.chunks_mut(8) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            chunk.copy_from_slice(&x.to_le_bytes());
        }
        let token = format!("{header}.{payload}.{}", URL_SAFE_NO_PAD.encode(sig));
        lock(&self.tokens).insert(token.clone(), Instant::now() + lifetime);
        token
    }

    fn check(&self, header: Option<&HeaderValue>) -> Result<(), &'static str> {
        let value = header.ok_or("missing Authorization header")?;
        let value = value
            .to_str()
            .map_err(|_| "malformed Authorization header")?;
        let token = value
            .strip_prefix("Bearer ")
            .or_else(|| value.strip_prefix("bearer "))
            .ok_or("Authorization is not a Bearer token")?;
        let tokens = lock(&self.tokens);
        let exp = tokens.get(token.trim()).ok_or("invalid or revoked token")?;
        if Instant::now() >= *exp {
            return Err("token expired");
        }
        Ok(())
    }

    pub(crate) fn revoke_all(&self) {
        lock(&self.tokens).clear();
    }
}

/// The server's state: its configuration, faults, tokens, routes, counters and request
/// log, and the sandboxes and snapshots ([`State`]), shared by every request handler.
pub(crate) struct ServerState {
    pub(crate) config: Config,
    pub(crate) faults: Faults,
    pub(crate) auth: Auth,
    pub(crate) routes: Routes,
    pub(crate) spec: &'static Spec,
    pub(crate) total: AtomicU64,
    pub(crate) log: Mutex<Vec<(Method, String)>>,
    pub(crate) state: Mutex<State>,
    pub(crate) exec_hook: Mutex<Option<Arc<ExecHook>>>,
    /// What the upload sink saw.
    pub(crate) discarded: Mutex<Vec<DiscardedUpload>>,
    /// Body bytes the upload sink has read so far (all uploads together).
    pub(crate) sink_body_bytes: AtomicU64,
}

const LOG_CAP: usize = 1_000_000;

/// Owned by the `FakeIslo` handles; dropping it stops the server.
pub(crate) struct ServerHandle {
    pub(crate) server: Arc<ServerState>,
    pub(crate) control_addr: SocketAddr,
    pub(crate) compute_addr: SocketAddr,
    stop: watch::Sender<bool>,
}

impl ServerHandle {
    pub(crate) fn shutdown(&self) {
        self.stop.send_replace(true);
    }
}

impl Drop for ServerHandle {
    fn drop(&mut self) {
        self.stop.send_replace(true);
    }
}

fn bind() -> std::io::Result<StdListener> {
    let l = StdListener::bind(("127.0.0.1", 0))?;
    l.set_nonblocking(true)?;
    Ok(l)
}

/// Binds the listeners and starts the server thread.
pub(crate) fn start(b: FakeIsloBuilder) -> std::io::Result<ServerHandle> {
    let spec =
        spec::embedded().map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
    let control = bind()?;
    let compute = bind()?;
    let control_addr = control.local_addr()?;
    let compute_addr = compute.local_addr()?;
    let server = Arc::new(ServerState {
        config: Config {
            api_key: b.api_key,
            token_lifetime: b.token_lifetime,
            exec_running_polls: b.exec_running_polls,
            starting_gets: b.starting_gets,
            discard_prefixes: b.discard_prefixes,
        },
        faults: Faults::default(),
        auth: Auth::default(),
        routes: Routes::build(),
        spec,
        total: AtomicU64::new(0),
        log: Mutex::new(Vec::new()),
        state: Mutex::new(State::default()),
        exec_hook: Mutex::new(None),
        discarded: Mutex::new(Vec::new()),
        sink_body_bytes: AtomicU64::new(0),
    });
    let (stop, stop_rx) = watch::channel(false);
    let (ready_tx, ready_rx) = std::sync::mpsc::sync_channel::<std::io::Result<()>>(1);
    let threads = b.worker_threads;
    let sh = Arc::clone(&server);
    std::thread::Builder::new()
        .name("fake-islo".into())
        .spawn(move || {
            let rt = if threads <= 1 {
                tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
            } else {
                tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(threads)
                    .thread_name("fake-islo-worker")
                    .enable_all()
                    .build()
            };
            let rt = match rt {
                Ok(rt) => rt,
                Err(e) => {
                    let _ = ready_tx.send(Err(e));
                    return;
                }
            };
            rt.block_on(async move {
                let listeners = tokio::net::TcpListener::from_std(control)
                    .and_then(|c| Ok((c, tokio::net::TcpListener::from_std(compute)?)));
                let (control, compute) = match listeners {
                    Ok(l) => l,
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                        return;
                    }
                };
                let _ = ready_tx.send(Ok(()));
                let a = tokio::spawn(accept_loop(
                    control,
                    Plane::Control,
                    Arc::clone(&sh),
                    stop_rx.clone(),
                ));
                let b = tokio::spawn(accept_loop(compute, Plane::Compute, sh, stop_rx));
                let _ = a.await;
                let _ = b.await;
            });
            // Dropping the runtime closes every open connection.
            drop(rt);
        })?;
    match ready_rx.recv() {
        Ok(Ok(())) => {}
        Ok(Err(e)) => return Err(e),
        Err(_) => {
            return Err(std::io::Error::other(
                "fake-islo server thread exited during start-up",
            ))
        }
    }
    Ok(ServerHandle {
        server,
        control_addr,
        compute_addr,
        stop,
    })
}

async fn accept_loop(
    listener: tokio::net::TcpListener,
    plane: Plane,
    server: Arc<ServerState>,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        if *stop.borrow() {
            return;
        }
        let accepted = tokio::select! {
            r = listener.accept() => r,
            changed = stop.changed() => {
                if changed.is_err() || *stop.borrow() {
                    return;
                }
                continue;
            }
        };
        let stream = match accepted {
            Ok((s, _)) => s,
            Err(_) => {
                // e.g. EMFILE: back off briefly instead of spinning.
                tokio::time::sleep(Duration::from_millis(5)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let server = Arc::clone(&server);
        tokio::spawn(async move {
            let svc = hyper::service::service_fn(move |req| serve(Arc::clone(&server), plane, req));
            let _ = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), svc)
                .await;
        });
    }
}

async fn serve(
    server: Arc<ServerState>,
    plane: Plane,
    req: Request<Incoming>,
) -> Result<Response<Body>, Infallible> {
    server.total.fetch_add(1, Ordering::Relaxed);
    let latency = server.faults.latency_nanos.load(Ordering::Relaxed);
    if latency > 0 {
        tokio::time::sleep(Duration::from_nanos(latency)).await;
    }
    let (parts, body) = req.into_parts();
    {
        let mut log = lock(&server.log);
        if log.len() < LOG_CAP {
            let pq = parts.uri.path_and_query().map_or("/", |pq| pq.as_str());
            log.push((parts.method.clone(), pq.to_owned()));
        }
    }
    let path = parts.uri.path();
    let found = server.routes.find(plane, &parts.method, path);
    let (route, params) = match found {
        Some(Match::Route(route, params)) => (route, params),
        Some(Match::Redirect(to)) => {
            let location = match parts.uri.query() {
                Some(q) => format!("{to}?{q}"),
                None => to,
            };
            return Ok(wire::redirect(307, &location));
        }
        None => {
            let other = match plane {
                Plane::Control => Plane::Compute,
                Plane::Compute => Plane::Control,
            };
            let msg = if plane == Plane::Control && server.routes.exists(other, &parts.method, path)
            {
                format!(
                    "{} {path} is served by the compute plane, not the control plane",
                    parts.method
                )
            } else if plane == Plane::Compute && server.routes.exists(other, &parts.method, path) {
                format!(
                    "{} {path} is served by the control plane, not the compute plane",
                    parts.method
                )
            } else {
                format!("no route for {} {path}", parts.method)
            };
            return Ok(wire::error(404, "NOT_FOUND", &msg));
        }
    };
    if let Handler::Builtin(b @ (Builtin::UploadFile | Builtin::UploadArchive)) = route.handler {
        if let Some(target) = state::discard_target(&server, &params, &parts) {
            // Streamed to the sink: checked before the body is read, then consumed.
            let mut body = body;
            if let Some(resp) = server.faults.check() {
                state::drain(&mut body).await;
                return Ok(resp);
            }
            if let Err(msg) = server.auth.check(parts.headers.get(AUTHORIZATION)) {
                state::drain(&mut body).await;
                return Ok(wire::error(401, "AUTH_REQUIRED", msg));
            }
            let status = server
                .spec
                .ops
                .get(route.op.id)
                .map_or(route.op.success_status, |c| c.status);
            let archive = b == Builtin::UploadArchive;
            return Ok(state::discard_upload(&server, status, target, &parts, body, archive).await);
        }
    }
    let needs_body = matches!(parts.method, Method::POST | Method::PUT | Method::PATCH);
    let body = if needs_body {
        match body.collect().await {
            Ok(b) => b.to_bytes(),
            Err(e) => {
                return Ok(wire::error(
                    400,
                    "INVALID_REQUEST",
                    &format!("failed to read body: {e}"),
                ))
            }
        }
    } else {
        drop(body);
        Bytes::new()
    };
    if route.handler == Handler::Builtin(Builtin::AuthToken) {
        return Ok(token_exchange(&server, &body));
    }
    if let Some(resp) = server.faults.check() {
        return Ok(resp);
    }
    if let Err(msg) = server.auth.check(parts.headers.get(AUTHORIZATION)) {
        return Ok(wire::error(401, "AUTH_REQUIRED", msg));
    }
    let canned = server.spec.ops.get(route.op.id);
    let status = canned.map_or(route.op.success_status, |c| c.status);
    let mut resp = match route.handler {
        Handler::Builtin(b) => state::dispatch(&server, b, status, &params, &parts, body),
        Handler::Spec => match canned {
            Some(op) => {
                let ct = op
                    .content_type
                    .as_deref()
                    .and_then(|c| HeaderValue::from_str(c).ok());
                wire::respond(op.status, ct.as_ref(), op.body.clone())
            }
            None => wire::error(404, "NOT_FOUND", "operation not found"),
        },
    };
    if plane == Plane::Compute && resp.status() == StatusCode::UNPROCESSABLE_ENTITY {
        resp = compute_validation_error(resp);
    }
    let no_content = canned.is_some_and(|c| c.content_type.is_none());
    if no_content && resp.status().is_success() {
        *resp.body_mut() = Body::empty();
        resp.headers_mut().remove(CONTENT_TYPE);
    }
    Ok(resp)
}

/// The compute plane's answer to a request it cannot validate: its own `ErrorResponse`,
/// 400 `VALIDATION_ERROR` (its operations list 400 and no 422), saying where and what, in
/// place of the control plane's FastAPI `422` `{"detail": [...]}`.
fn compute_validation_error(resp: Response<Body>) -> Response<Body> {
    let message = match resp.body() {
        Body::Full(Some(bytes)) => serde_json::from_slice::<serde_json::Value>(bytes)
            .ok()
            .and_then(|v| {
                let first = v.get("detail")?.get(0)?.clone();
                let loc = first
                    .get("loc")?
                    .as_array()?
                    .iter()
                    .map(|p| p.as_str().map_or_else(|| p.to_string(), str::to_owned))
                    .collect::<Vec<_>>()
                    .join(".");
                let msg = first.get("msg")?.as_str()?.to_owned();
                Some(format!("{loc}: {msg}"))
            }),
        _ => None,
    };
    wire::error(
        400,
        "VALIDATION_ERROR",
        message.as_deref().unwrap_or("the request is not valid"),
    )
}

fn token_exchange(server: &ServerState, body: &Bytes) -> Response<Body> {
    let forced = server.faults.token_status.load(Ordering::Relaxed);
    if forced > 0 {
        let status = u16::try_from(forced).unwrap_or(500);
        let code = match status {
            401 => "AUTH_REQUIRED",
            403 => "ACCESS_DENIED",
            429 => "RATE_LIMITED",
            400 => "INVALID_REQUEST",
            503 => "RESOURCE_UNAVAILABLE",
            _ => "INTERNAL_ERROR",
        };
        return wire::error(status, code, "token exchange failed (injected by FakeIslo)");
    }
    // The control plane validates the body as FastAPI does: 422 with `detail`.
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(body) else {
        return wire::validation_error(&["body"], "JSON decode error", "json_invalid");
    };
    match value.get("access_key") {
        None => {
            return wire::validation_error(&["body", "access_key"], "Field required", "missing")
        }
        Some(k) => match k.as_str() {
            None => {
                return wire::validation_error(
                    &["body", "access_key"],
                    "Input should be a valid string",
                    "string_type",
                )
            }
            Some(k) if k == server.config.api_key => {}
            Some(_) => return wire::error(401, "AUTH_REQUIRED", "invalid access key"),
        },
    }
    let lifetime = server.config.token_lifetime;
    let token = server.auth.issue(lifetime);
    server.auth.exchanges.fetch_add(1, Ordering::SeqCst);
    let expiration = unix_now().as_secs() + lifetime.as_secs();
    wire::json(
        200,
        &serde_json::json!({
            "session_token": token,
            "refresh_token": format!("rt_{}", server.auth.exchanges.load(Ordering::Relaxed)),
            "cookie_domain": "127.0.0.1",
            "cookie_path": "/",
            "cookie_max_age": lifetime.as_secs(),
            "cookie_expiration": expiration,
        }),
    )
}

//! Commands: `POST …/exec` (stored result, polled with `GET …/exec/{id}`) and
//! `POST …/exec/stream` (Server-Sent Events). The command is run by the
//! [`FakeIslo::on_exec`](super::super::FakeIslo::on_exec) hook or the built-in shell.

use std::collections::{BTreeMap, VecDeque};

use bytes::Bytes;
use http::Response;
use serde_json::{json, Value};

use super::super::server::{lock, ServerState};
use super::super::wire::{self, Body};
use super::super::{ExecCall, ExecOutcome};
use super::{opt_int, opt_str, parse_json, sandbox_not_found, R};

/// A stored command result.
pub(super) struct ExecRecord {
    pub(super) outcome: ExecOutcome,
    pub(super) polls_left: u32,
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

pub(super) fn exec(
    server: &ServerState,
    status: u16,
    name: &str,
    body: &Bytes,
    streaming: bool,
) -> R {
    let v = parse_json(body)?;
    let mut call = exec_call(name, &v, streaming)?;
    {
        let st = lock(&server.state);
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
    let hook = lock(&server.exec_hook).clone();
    let outcome = match hook {
        Some(h) => h(&call),
        None => {
            // The built-in shell works on the sandbox's own files.
            let mut st = lock(&server.state);
            let sb = st
                .sandboxes
                .get_mut(name)
                .ok_or_else(|| sandbox_not_found(name))?;
            super::super::shell::run(&call, &mut sb.files)
        }
    };
    if streaming {
        return Ok(exec_sse(&outcome));
    }
    let mut st = lock(&server.state);
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
            polls_left: server.config.exec_running_polls,
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

pub(super) fn exec_result(server: &ServerState, status: u16, name: &str, exec_id: &str) -> R {
    let mut st = lock(&server.state);
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

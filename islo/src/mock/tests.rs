//! Tests of the fake over real HTTP (reqwest).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use bytes::Bytes;
use serde_json::{json, Value};

use super::routes::Plane;
use super::spec::{self, generate, validate};
use super::{files, ExecOutcome, FakeIslo};

struct Ctx {
    fake: FakeIslo,
    http: reqwest::Client,
    token: String,
}

impl Ctx {
    async fn new() -> Self {
        Self::with(FakeIslo::builder()).await
    }

    async fn with(b: super::FakeIsloBuilder) -> Self {
        let fake = b.start().await.unwrap();
        let http = reqwest::Client::new();
        let token = exchange(&http, &fake).await;
        Ctx { fake, http, token }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.fake.compute_url())
    }

    async fn get(&self, path: &str) -> reqwest::Response {
        self.http
            .get(self.url(path))
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap()
    }

    async fn delete(&self, path: &str) -> reqwest::Response {
        self.http
            .delete(self.url(path))
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap()
    }

    async fn post(&self, path: &str, body: Value) -> reqwest::Response {
        self.http
            .post(self.url(path))
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    async fn post_multipart(
        &self,
        path: &str,
        query: &str,
        filename: &str,
        data: &[u8],
    ) -> reqwest::Response {
        let (ct, body) = multipart(filename, data);
        self.http
            .post(self.url(path))
            .query(&[("path", query)])
            .bearer_auth(&self.token)
            .header("content-type", ct)
            .body(body)
            .send()
            .await
            .unwrap()
    }

    async fn create(&self, name: &str) -> Value {
        let r = self.post("/sandboxes", json!({ "name": name })).await;
        assert_eq!(r.status(), 200);
        r.json().await.unwrap()
    }
}

async fn exchange(http: &reqwest::Client, fake: &FakeIslo) -> String {
    let r = http
        .post(format!("{}/auth/token", fake.control_url()))
        .json(&json!({ "access_key": fake.api_key() }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    v["session_token"].as_str().unwrap().to_owned()
}

fn multipart(filename: &str, data: &[u8]) -> (String, Vec<u8>) {
    let boundary = "----fakeisloBoundary7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes());
    body.extend_from_slice(data);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

fn spec_doc() -> &'static Value {
    &spec::embedded().unwrap().doc
}

fn schema(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

async fn assert_error(r: reqwest::Response, status: u16, code: &str) {
    assert_eq!(r.status().as_u16(), status);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["code"], code, "{v}");
    validate(spec_doc(), &schema("ErrorResponse"), &v, "$").unwrap();
}

#[tokio::test]
async fn auth_token_exchange_and_bearer_checks() {
    let fake = FakeIslo::builder()
        .api_key("ak_test")
        .token_lifetime(Duration::from_millis(1000))
        .start()
        .await
        .unwrap();
    let http = reqwest::Client::new();
    let token_url = format!("{}/auth/token", fake.control_url());

    let r = http
        .post(&token_url)
        .json(&json!({"access_key": "wrong"}))
        .send()
        .await
        .unwrap();
    assert_error(r, 401, "AUTH_REQUIRED").await;
    // A body without the required `access_key` is FastAPI's 422, as the spec says.
    for body in [json!({}), json!({"access_key": 7})] {
        let r = http.post(&token_url).json(&body).send().await.unwrap();
        assert_eq!(r.status(), 422, "{body}");
        let v: Value = r.json().await.unwrap();
        validate(spec_doc(), &schema("HTTPValidationError"), &v, "$").unwrap();
        assert_eq!(v["detail"][0]["loc"], json!(["body", "access_key"]));
    }
    assert_eq!(fake.token_exchanges(), 0);

    let r = http
        .post(&token_url)
        .json(&json!({"access_key": "ak_test"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    validate(spec_doc(), &schema("TokenResponse"), &v, "$").unwrap();
    assert_eq!(v["cookie_max_age"], 1);
    let token = v["session_token"].as_str().unwrap().to_owned();
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3);
    let payload: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    assert!(payload["exp"].as_u64().unwrap() >= payload["iat"].as_u64().unwrap());
    assert!(payload["sub"].is_string());
    let token2 = exchange(&http, &fake).await;
    assert_ne!(token, token2);
    assert_eq!(fake.token_exchanges(), 2);

    let list = format!("{}/sandboxes", fake.compute_url());
    assert_eq!(
        http.get(&list)
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_error(http.get(&list).send().await.unwrap(), 401, "AUTH_REQUIRED").await;
    assert_error(
        http.get(&list).bearer_auth("nope").send().await.unwrap(),
        401,
        "AUTH_REQUIRED",
    )
    .await;
    let basic = http
        .get(&list)
        .header("authorization", "Basic abc")
        .send()
        .await
        .unwrap();
    assert_error(basic, 401, "AUTH_REQUIRED").await;

    // Expiry.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_error(
        http.get(&list).bearer_auth(&token).send().await.unwrap(),
        401,
        "AUTH_REQUIRED",
    )
    .await;

    // Revocation.
    let fresh = exchange(&http, &fake).await;
    assert_eq!(
        http.get(&list)
            .bearer_auth(&fresh)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    fake.revoke_tokens();
    assert_error(
        http.get(&list).bearer_auth(&fresh).send().await.unwrap(),
        401,
        "AUTH_REQUIRED",
    )
    .await;
    let after = exchange(&http, &fake).await;
    assert_eq!(
        http.get(&list)
            .bearer_auth(&after)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
}

#[tokio::test]
async fn planes_are_separate() {
    let c = Ctx::new().await;
    // Compute route on the control listener.
    let r = c
        .http
        .get(format!("{}/sandboxes", c.fake.control_url()))
        .bearer_auth(&c.token)
        .send()
        .await
        .unwrap();
    assert_error(r, 404, "NOT_FOUND").await;
    // Token endpoint on the compute listener.
    let r = c
        .http
        .post(format!("{}/auth/token", c.fake.compute_url()))
        .json(&json!({"access_key": c.fake.api_key()}))
        .send()
        .await
        .unwrap();
    assert_error(r, 404, "NOT_FOUND").await;
    assert_error(c.get("/no/such/route").await, 404, "NOT_FOUND").await;
}

#[tokio::test]
async fn sandbox_lifecycle_and_listing() {
    let c = Ctx::new().await;
    let doc = spec_doc();
    let created = c.create("alpha").await;
    validate(doc, &schema("SandboxResponse"), &created, "$").unwrap();
    assert_eq!(created["name"], "alpha");
    assert_eq!(created["status"], "running");
    assert_error(
        c.post("/sandboxes", json!({"name": "alpha"})).await,
        409,
        "SANDBOX_ALREADY_EXISTS",
    )
    .await;

    let unnamed: Value = c
        .post("/sandboxes", json!({"image": "python:3.12"}))
        .await
        .json()
        .await
        .unwrap();
    assert!(unnamed["name"].as_str().unwrap().starts_with("sandbox-"));
    assert_eq!(unnamed["image"], "python:3.12");
    c.create("alpine").await;
    c.create("beta").await;

    let got: Value = c.get("/sandboxes/alpha").await.json().await.unwrap();
    assert_eq!(got["id"], created["id"]);
    let by_id: Value = c
        .get(&format!(
            "/sandboxes/-/by-id/{}",
            created["id"].as_str().unwrap()
        ))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(by_id["name"], "alpha");

    // Paging.
    let page: Value = c
        .get("/sandboxes?limit=2&offset=1")
        .await
        .json()
        .await
        .unwrap();
    validate(doc, &schema("PaginatedSandboxResponse"), &page, "$").unwrap();
    assert_eq!(page["total"], 4);
    assert_eq!(page["limit"], 2);
    assert_eq!(page["offset"], 1);
    let names: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 2);
    assert_eq!(names[1], "alpine");
    assert_eq!(page["next_cursor"], "3");
    let last: Value = c
        .get("/sandboxes?cursor=3&limit=2")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(last["items"].as_array().unwrap().len(), 1);
    assert!(last["next_cursor"].is_null());

    // Filters.
    let r = c.post("/sandboxes/beta/pause", json!({})).await;
    assert_eq!(r.status(), 200);
    let paused: Value = r.json().await.unwrap();
    assert_eq!(paused["status"], "paused");
    let f: Value = c
        .get("/sandboxes?status=paused")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(f["total"], 1);
    let f: Value = c
        .get("/sandboxes?status=paused&status=running")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(f["total"], 4);
    let f: Value = c
        .get("/sandboxes?name_prefix=al")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(f["total"], 2);
    let f: Value = c
        .get("/sandboxes?status=running&name_prefix=al&limit=1")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (f["total"].as_u64(), f["items"].as_array().unwrap().len()),
        (Some(2), 1)
    );
    // The compute plane's own validation error (its operations list 400, no 422).
    let bad = c.get("/sandboxes?limit=abc").await;
    assert_eq!(bad.status(), 400);
    let v: Value = bad.json().await.unwrap();
    validate(doc, &schema("ErrorResponse"), &v, "$").unwrap();
    assert_eq!(v["code"], "VALIDATION_ERROR");
    assert!(
        v["message"].as_str().unwrap().starts_with("query.limit: "),
        "{v}"
    );

    // Transitions.
    let resumed: Value = c
        .post("/sandboxes/beta/resume", json!({}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(resumed["status"], "running");
    let stop = c.post("/sandboxes/beta/stop", json!({})).await;
    assert_eq!(stop.status(), 200);
    let got: Value = c.get("/sandboxes/beta").await.json().await.unwrap();
    assert_eq!(got["status"], "stopped");
    assert_error(
        c.post("/sandboxes/beta/pause", json!({})).await,
        409,
        "SANDBOX_INVALID_STATE",
    )
    .await;

    // Delete.
    let d = c.delete("/sandboxes/alpha").await;
    assert_eq!(d.status(), 200);
    assert_error(c.get("/sandboxes/alpha").await, 404, "SANDBOX_NOT_FOUND").await;
    assert_error(c.delete("/sandboxes/alpha").await, 404, "SANDBOX_NOT_FOUND").await;
    assert_eq!(c.fake.sandbox_names().len(), 3);
}

#[tokio::test]
async fn sandbox_starting_then_running() {
    let c = Ctx::with(FakeIslo::builder().sandbox_starting_gets(2)).await;
    let s = c.create("slow").await;
    assert_eq!(s["status"], "starting");
    let statuses = [
        c.get("/sandboxes/slow")
            .await
            .json::<Value>()
            .await
            .unwrap()["status"]
            .clone(),
        c.get("/sandboxes/slow")
            .await
            .json::<Value>()
            .await
            .unwrap()["status"]
            .clone(),
        c.get("/sandboxes/slow")
            .await
            .json::<Value>()
            .await
            .unwrap()["status"]
            .clone(),
    ];
    assert_eq!(
        statuses,
        [json!("starting"), json!("starting"), json!("running")]
    );

    c.create("evt").await;
    let r = c.get("/sandboxes/evt/events").await;
    assert_eq!(r.headers()["content-type"], "text/event-stream");
    let body = r.text().await.unwrap();
    assert!(body.starts_with(": keep-alive\n\n"), "{body}");
    let events: Vec<&str> = body
        .split("\n\n")
        .filter(|e| e.starts_with("event:"))
        .collect();
    assert_eq!(events.len(), 2, "{body}");
    assert!(events[0].starts_with("event: status\ndata: {"));
    let last: Value =
        serde_json::from_str(events[1].strip_prefix("event: status\ndata: ").unwrap()).unwrap();
    assert_eq!(last["status"], "running");
    let now: Value = c.get("/sandboxes/evt").await.json().await.unwrap();
    assert_eq!(now["status"], "running");
}

#[tokio::test]
async fn exec_poll_and_builtins() {
    let c = Ctx::with(FakeIslo::builder().exec_running_polls(2)).await;
    let doc = spec_doc();
    c.create("box").await;
    let r = c
        .post(
            "/sandboxes/box/exec",
            json!({"command": ["echo", "hello", "world"]}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let started: Value = r.json().await.unwrap();
    validate(doc, &schema("ExecResponse"), &started, "$").unwrap();
    let id = started["exec_id"].as_str().unwrap().to_owned();
    let mut seen = Vec::new();
    for _ in 0..3 {
        let v: Value = c
            .get(&format!("/sandboxes/box/exec/{id}"))
            .await
            .json()
            .await
            .unwrap();
        validate(doc, &schema("ExecResultResponse"), &v, "$").unwrap();
        seen.push(v);
    }
    assert_eq!(seen[0]["status"], "running");
    assert_eq!(seen[1]["status"], "running");
    assert_eq!(seen[2]["status"], "completed");
    assert_eq!(seen[2]["stdout"], "hello world\n");
    assert_eq!(seen[2]["exit_code"], 0);

    let run = |cmd: Value| {
        let c = &c;
        async move {
            let v: Value = c
                .post("/sandboxes/box/exec", json!({ "command": cmd }))
                .await
                .json()
                .await
                .unwrap();
            let id = v["exec_id"].as_str().unwrap().to_owned();
            let mut r = Value::Null;
            for _ in 0..3 {
                r = c
                    .get(&format!("/sandboxes/box/exec/{id}"))
                    .await
                    .json()
                    .await
                    .unwrap();
            }
            r
        }
    };
    let r = run(json!(["sh", "-c", "exit 7"])).await;
    assert_eq!(
        (r["exit_code"].as_i64(), r["status"].as_str()),
        (Some(7), Some("failed"))
    );
    let r = run(json!(["definitely-missing", "x"])).await;
    assert_eq!(r["exit_code"], 127);
    let stderr = r["stderr"].as_str().unwrap();
    assert!(
        stderr.starts_with("definitely-missing: command not found"),
        "{stderr}"
    );
    assert!(stderr.contains("FakeIslo::on_exec"), "{stderr}");
    let r = run(json!(["false"])).await;
    assert_eq!(r["exit_code"], 1);

    c.fake.on_exec(|call| {
        if call.command.first().map(String::as_str) == Some("hang") {
            ExecOutcome::timeout()
        } else {
            ExecOutcome::exited(
                3,
                format!("{}:{}", call.sandbox, call.command.join(" ")),
                "oops",
            )
        }
    });
    let r = run(json!(["anything", "goes"])).await;
    assert_eq!(
        (
            r["stdout"].as_str(),
            r["stderr"].as_str(),
            r["exit_code"].as_i64()
        ),
        (Some("box:anything goes"), Some("oops"), Some(3))
    );
    let r = run(json!(["hang"])).await;
    assert_eq!(r["status"], "timeout");
    assert!(r["exit_code"].is_null());
    c.fake.clear_on_exec();

    // Validation and not-found.
    // The compute plane answers its own ErrorResponse (its operations list 400, no 422).
    let bad = c.post("/sandboxes/box/exec", json!({"cmd": "x"})).await;
    assert_eq!(bad.status(), 400);
    let v: Value = bad.json().await.unwrap();
    validate(doc, &schema("ErrorResponse"), &v, "$").unwrap();
    assert_eq!(v["code"], "VALIDATION_ERROR");
    assert_eq!(v["message"], "body.command: Field required");
    assert_error(
        c.post("/sandboxes/nope/exec", json!({"command": ["true"]}))
            .await,
        404,
        "SANDBOX_NOT_FOUND",
    )
    .await;
    assert_error(c.get("/sandboxes/box/exec/unknown").await, 404, "NOT_FOUND").await;
}

#[tokio::test]
async fn exec_stream_sse_shape() {
    let c = Ctx::new().await;
    c.create("box").await;
    let r = c
        .post(
            "/sandboxes/box/exec/stream",
            json!({"command": ["sh", "-c", "echo one; echo two; echo bad >&2; exit 2"]}),
        )
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "text/event-stream");
    let body = r.text().await.unwrap();
    assert_eq!(
        body,
        ": keep-alive\n\nevent: stdout\ndata: one\ndata: \n\nevent: stdout\ndata: two\ndata: \n\nevent: stderr\ndata: bad\ndata: \n\nevent: exit\ndata: 2\n\n"
    );
    c.fake.on_exec(|_| ExecOutcome::timeout());
    let body = c
        .post("/sandboxes/box/exec/stream", json!({"command": ["x"]}))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        body.ends_with("event: error\ndata: command timeout\n\n"),
        "{body}"
    );
}

#[tokio::test]
async fn faults_503_429_latency_and_token_failure() {
    let c = Ctx::new().await;
    c.create("box").await;

    c.fake.fail_every_nth(3);
    let mut statuses = Vec::new();
    for _ in 0..6 {
        statuses.push(c.get("/sandboxes/box").await.status().as_u16());
    }
    assert_eq!(statuses, [200, 200, 503, 200, 200, 503]);
    c.fake.fail_every_nth(0);
    assert_error(
        {
            c.fake.fail_every_nth(1);
            c.get("/sandboxes/box").await
        },
        503,
        "RESOURCE_UNAVAILABLE",
    )
    .await;
    c.fake.fail_every_nth(0);

    c.fake.rate_limit_next(2, Duration::from_millis(1500));
    for _ in 0..2 {
        let r = c.get("/sandboxes/box").await;
        assert_eq!(r.status(), 429);
        assert_eq!(r.headers()["retry-after"], "2");
        assert_error(r, 429, "RATE_LIMITED").await;
    }
    assert_eq!(c.get("/sandboxes/box").await.status(), 200);

    c.fake.set_latency(Duration::from_millis(120));
    let t = Instant::now();
    assert_eq!(c.get("/sandboxes/box").await.status(), 200);
    assert!(t.elapsed() >= Duration::from_millis(120));
    c.fake.set_latency(Duration::ZERO);

    c.fake.fail_token_exchange(Some(503));
    let url = format!("{}/auth/token", c.fake.control_url());
    let body = json!({"access_key": c.fake.api_key()});
    let r = c.http.post(&url).json(&body).send().await.unwrap();
    assert_error(r, 503, "RESOURCE_UNAVAILABLE").await;
    let before = c.fake.token_exchanges();
    c.fake.fail_token_exchange(None);
    assert_eq!(
        c.http.post(&url).json(&body).send().await.unwrap().status(),
        200
    );
    assert_eq!(c.fake.token_exchanges(), before + 1);
}

#[tokio::test]
async fn counters_and_log() {
    // Also exercises the multi-threaded server runtime.
    let c = Ctx::with(FakeIslo::builder().worker_threads(2)).await;
    c.create("box").await;
    for _ in 0..3 {
        c.get("/sandboxes/box").await;
    }
    c.get("/sandboxes/other").await;
    assert_eq!(c.fake.requests("GET", "/sandboxes/{sandbox_name}"), 4);
    assert_eq!(c.fake.requests("POST", "/sandboxes"), 1);
    assert_eq!(c.fake.requests("POST", "/auth/token"), 1);
    assert_eq!(c.fake.total_requests(), 6);
    let log = c.fake.request_log();
    assert_eq!(log[0], ("POST".to_owned(), "/auth/token".to_owned()));
    assert_eq!(log[5], ("GET".to_owned(), "/sandboxes/other".to_owned()));
    c.fake.reset_counters();
    assert_eq!(c.fake.total_requests(), 0);
    assert!(c.fake.request_log().is_empty());
}

#[tokio::test]
async fn files_round_trip() {
    let c = Ctx::new().await;
    c.create("box").await;
    let data: Vec<u8> = (0..=255u8).cycle().take(70_000).collect();
    let r = c
        .post_multipart("/sandboxes/box/files", "/tmp/data.bin", "data.bin", &data)
        .await;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    validate(spec_doc(), &schema("FileUploadStatusResponse"), &v, "$").unwrap();
    let r = c.get("/sandboxes/box/files?path=%2Ftmp%2Fdata.bin").await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/octet-stream");
    assert_eq!(r.bytes().await.unwrap().as_ref(), &data[..]);
    assert_eq!(c.fake.read_file("box", "/tmp/data.bin"), Some(data.clone()));
    // Relative paths resolve against the workdir.
    c.post_multipart("/sandboxes/box/files", "notes.txt", "n.txt", b"hi")
        .await;
    assert_eq!(
        c.fake.read_file("box", "/workspace/notes.txt"),
        Some(b"hi".to_vec())
    );
    assert_error(
        c.get("/sandboxes/box/files?path=/missing").await,
        404,
        "FILE_NOT_FOUND",
    )
    .await;
    assert_eq!(c.get("/sandboxes/box/files").await.status(), 400);

    // Archive upload → individual files → archive download.
    let mut src = files::Fs::new();
    src.insert(
        "/src/a.txt".to_owned(),
        files::Node::file(Bytes::from_static(b"A")),
    );
    src.insert(
        "/src/dir/b.txt".to_owned(),
        files::Node::file(Bytes::from_static(b"BB")),
    );
    let tgz = files::pack_archive(&src, "/src").unwrap().unwrap();
    let r = c
        .post_multipart(
            "/sandboxes/box/files-archive",
            "/proj",
            "archive.tar.gz",
            &tgz,
        )
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        c.get("/sandboxes/box/files?path=/proj/dir/b.txt")
            .await
            .bytes()
            .await
            .unwrap()
            .as_ref(),
        b"BB"
    );
    let r = c.get("/sandboxes/box/files-archive?path=/proj").await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/gzip");
    let back = r.bytes().await.unwrap();
    let mut out = files::Fs::new();
    files::unpack_archive(&back, "/x", &mut out).unwrap();
    assert_eq!(
        out.keys().collect::<Vec<_>>(),
        vec!["/x", "/x/a.txt", "/x/dir/b.txt"]
    );
    assert_eq!(out["/x"], files::Node::Dir { mode: 0o755 });
    assert_error(
        c.get("/sandboxes/box/files-archive?path=/nothing").await,
        404,
        "FILE_NOT_FOUND",
    )
    .await;
    // The working directory and its parents exist on a fresh sandbox, empty or not (as the
    // built-in shell sees them): their archive is empty, not a 404.
    c.create("fresh").await;
    for dir in ["/workspace", "/"] {
        let r = c
            .get(&format!("/sandboxes/fresh/files-archive?path={dir}"))
            .await;
        assert_eq!(r.status(), 200, "{dir}");
        let back = r.bytes().await.unwrap();
        let mut out = files::Fs::new();
        files::unpack_archive(&back, "/x", &mut out).unwrap();
        assert!(out.keys().all(|k| k == "/x"), "{dir}: {out:?}");
    }
    // A file download follows symbolic links, as `cat` in the built-in shell does.
    let mut linked = files::Fs::new();
    linked.insert(
        "/l/target.txt".to_owned(),
        files::Node::file(Bytes::from_static(b"T")),
    );
    linked.insert(
        "/l/link".to_owned(),
        files::Node::Symlink {
            target: "target.txt".into(),
        },
    );
    let tgz = files::pack_archive(&linked, "/l").unwrap().unwrap();
    let r = c
        .post_multipart("/sandboxes/box/files-archive", "/links", "l.tar.gz", &tgz)
        .await;
    assert_eq!(r.status(), 200);
    let r = c.get("/sandboxes/box/files?path=/links/link").await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.bytes().await.unwrap().as_ref(), b"T");

    // Not multipart.
    let r = c
        .http
        .post(c.url("/sandboxes/box/files?path=/x"))
        .bearer_auth(&c.token)
        .body("raw")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = flate2::Crc::new();
    crc.update(data);
    crc.sum()
}

fn generated(seed: u64, len: u64) -> Vec<u8> {
    let mut out = vec![0; len as usize];
    super::GeneratedContent::new(seed, len).fill(&mut out);
    out
}

#[tokio::test]
async fn uploads_under_the_sink_prefix_are_counted_and_not_stored() {
    let c = Ctx::with(FakeIslo::builder().discard_uploads_under("/sink/")).await;
    c.create("box").await;
    let data = generated(1, 300_000);
    let r = c
        .post_multipart(
            "/sandboxes/box/files",
            "/sink/a/data.bin",
            "data.bin",
            &data,
        )
        .await;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    validate(spec_doc(), &schema("FileUploadStatusResponse"), &v, "$").unwrap();
    // Outside the prefix (`/sinkhole` only shares its first letters), files are stored.
    c.post_multipart("/sandboxes/box/files", "/sinkhole/b", "b", b"kept")
        .await;
    assert_eq!(c.fake.read_file("box", "/sink/a/data.bin"), None);
    assert_eq!(
        c.fake.read_file("box", "/sinkhole/b"),
        Some(b"kept".to_vec())
    );
    let seen = c.fake.discarded_uploads();
    assert_eq!(seen.len(), 1);
    assert_eq!(
        seen[0],
        super::DiscardedUpload {
            sandbox: "box".into(),
            path: "/sink/a/data.bin".into(),
            archive: false,
            bytes: data.len() as u64,
            crc32: crc32(&data),
            contents: None,
        }
    );
}

#[tokio::test]
async fn the_sink_consumes_an_upload_as_it_arrives() {
    let c = Ctx::with(FakeIslo::builder().discard_uploads_under("/sink")).await;
    c.create("box").await;
    let (ct, body) = multipart("big", &generated(2, 8 << 20));
    let (tx, rx) = tokio::sync::mpsc::channel::<Bytes>(4);
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|b| (Ok::<_, std::io::Error>(b), rx))
    });
    let req = c
        .http
        .post(c.url("/sandboxes/box/files?path=/sink/big"))
        .bearer_auth(&c.token)
        .header("content-type", ct)
        .body(reqwest::Body::wrap_stream(stream))
        .send();
    let upload = tokio::spawn(req);
    let half = body.len() / 2;
    for chunk in body[..half].chunks(64 * 1024) {
        tx.send(Bytes::copy_from_slice(chunk)).await.unwrap();
    }
    // The first half is read before the second is sent: the body is not collected.
    let deadline = Instant::now() + Duration::from_secs(60);
    let sink = &c.fake.server().sink_body_bytes;
    while sink.load(std::sync::atomic::Ordering::Relaxed) < half as u64 - 256 * 1024 {
        assert!(
            Instant::now() < deadline,
            "the sink did not read the first half"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert!(c.fake.discarded_uploads().is_empty());
    for chunk in body[half..].chunks(64 * 1024) {
        tx.send(Bytes::copy_from_slice(chunk)).await.unwrap();
    }
    drop(tx);
    assert_eq!(upload.await.unwrap().unwrap().status(), 200);
    assert_eq!(c.fake.discarded_uploads()[0].bytes, 8 << 20);
}

#[tokio::test]
async fn archives_to_the_sink_are_walked_and_counted() {
    let c = Ctx::with(FakeIslo::builder().discard_uploads_under("/sink")).await;
    c.create("box").await;
    let mut src = files::Fs::new();
    src.insert("/s/d".to_owned(), files::Node::Dir { mode: 0o755 });
    src.insert(
        "/s/d/a.txt".to_owned(),
        files::Node::file(Bytes::from_static(b"AAA")),
    );
    src.insert(
        "/s/b".to_owned(),
        files::Node::Generated {
            len: 100_000,
            seed: 3,
            mode: 0o600,
        },
    );
    src.insert(
        "/s/l".to_owned(),
        files::Node::Symlink { target: "b".into() },
    );
    let tgz = files::pack_archive(&src, "/s").unwrap().unwrap();
    let r = c
        .post_multipart("/sandboxes/box/files-archive", "/sink/x", "a.tgz", &tgz)
        .await;
    assert_eq!(r.status(), 200);
    let seen = &c.fake.discarded_uploads()[0];
    assert!(seen.archive);
    assert_eq!((seen.bytes, seen.crc32), (tgz.len() as u64, crc32(&tgz)));
    let contents = seen.contents.unwrap();
    assert_eq!(
        (
            contents.files,
            contents.dirs,
            contents.symlinks,
            contents.file_bytes
        ),
        (2, 1, 1, 100_003)
    );
    assert_eq!(c.fake.read_file("box", "/sink/x/b"), None);
}

#[tokio::test]
async fn a_corrupt_or_truncated_archive_to_the_sink_answers_400() {
    let c = Ctx::with(FakeIslo::builder().discard_uploads_under("/sink")).await;
    c.create("box").await;
    let mut src = files::Fs::new();
    src.insert(
        "/s/b".to_owned(),
        files::Node::Generated {
            len: 1_000_000,
            seed: 3,
            mode: 0o644,
        },
    );
    let tgz = files::pack_archive(&src, "/s").unwrap().unwrap();
    let mut flipped = tgz.clone();
    let middle = flipped.len() / 2;
    flipped[middle] ^= 0x55;
    for bad in [&tgz[..tgz.len() - 10], &flipped[..], b"not gzip at all"] {
        let r = c
            .post_multipart("/sandboxes/box/files-archive", "/sink/x", "a.tgz", bad)
            .await;
        assert_error(r, 400, "FILE_OPERATION_ERROR").await;
    }
    assert!(c.fake.discarded_uploads().is_empty());
    // A multipart body cut short.
    let (ct, body) = multipart("f", b"data");
    let r = c
        .http
        .post(c.url("/sandboxes/box/files?path=/sink/f"))
        .bearer_auth(&c.token)
        .header("content-type", ct)
        .body(body[..body.len() - 8].to_vec())
        .send()
        .await
        .unwrap();
    assert_error(r, 400, "INVALID_REQUEST").await;
}

#[tokio::test]
async fn the_sink_answers_faults_and_auth_failures_after_reading_the_body() {
    let c = Ctx::with(FakeIslo::builder().discard_uploads_under("/sink")).await;
    c.create("box").await;
    let data = generated(5, 2 << 20);
    c.fake.rate_limit_next(1, Duration::from_secs(1));
    let r = c
        .post_multipart("/sandboxes/box/files", "/sink/f", "f", &data)
        .await;
    assert_eq!(r.status(), 429);
    let (ct, body) = multipart("f", &data);
    let r = c
        .http
        .post(c.url("/sandboxes/box/files?path=/sink/f"))
        .bearer_auth("wrong")
        .header("content-type", ct)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert!(c.fake.discarded_uploads().is_empty());
    let r = c
        .post_multipart("/sandboxes/box/files", "/sink/f", "f", &data)
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(c.fake.discarded_uploads().len(), 1);
}

#[tokio::test]
async fn a_generated_file_downloads_streamed_with_its_length() {
    let c = Ctx::new().await;
    c.create("box").await;
    let len = 3 * 1024 * 1024 + 17;
    c.fake
        .put_generated_file("box", "data/big.bin", len, 9)
        .unwrap();
    let r = c
        .get("/sandboxes/box/files?path=/workspace/data/big.bin")
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-length"], len.to_string().as_str());
    assert_eq!(r.headers()["content-type"], "application/octet-stream");
    let body = r.bytes().await.unwrap();
    assert_eq!(body.as_ref(), &generated(9, len)[..]);
    assert_eq!(
        c.fake.read_file("box", "/workspace/data/big.bin"),
        Some(body.to_vec())
    );
    assert!(c.fake.put_generated_file("nobox", "/x", 1, 1).is_err());
}

#[tokio::test]
async fn a_generated_tree_downloads_as_a_tar_gz_made_on_the_fly() {
    let c = Ctx::new().await;
    c.create("box").await;
    let tree = super::GeneratedTree::new(250, 2_000_000)
        .files_per_dir(100)
        .seed(4);
    c.fake.put_generated_tree("box", "/data", &tree).unwrap();
    let r = c.get("/sandboxes/box/files-archive?path=/data").await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/gzip");
    // Streamed as it is produced: no length known up front.
    assert!(r.headers().get("content-length").is_none());
    let tgz = r.bytes().await.unwrap();
    let mut out = files::Fs::new();
    files::unpack_archive(&tgz, "/x", &mut out).unwrap();
    let dirs: Vec<_> = out
        .iter()
        .filter(|(_, n)| matches!(n, files::Node::Dir { .. }))
        .map(|(p, _)| p.as_str())
        .collect();
    assert_eq!(dirs, ["/x", "/x/d0000", "/x/d0001", "/x/d0002"]);
    let expected: Vec<_> = tree.entries().collect();
    assert_eq!(out.len(), expected.len() + dirs.len());
    for e in &expected {
        let got = out[&format!("/x/{}", e.path)].data().unwrap();
        assert_eq!(got.as_ref(), &generated(e.seed, e.len)[..], "{}", e.path);
    }
    // A file inside the tree downloads on its own.
    let first = &expected[0];
    let r = c
        .get(&format!("/sandboxes/box/files?path=/data/{}", first.path))
        .await;
    assert_eq!(r.bytes().await.unwrap().len() as u64, first.len);
}

#[tokio::test]
async fn put_file_then_read_file_round_trips_and_keeps_the_mode() {
    let c = Ctx::new().await;
    c.create("box").await;
    c.fake.put_file("box", "notes.txt", &b"one"[..]).unwrap();
    assert_eq!(
        c.fake.read_file("box", "/workspace/notes.txt"),
        Some(b"one".to_vec())
    );
    let r = c
        .get("/sandboxes/box/files?path=/workspace/notes.txt")
        .await;
    assert_eq!(r.bytes().await.unwrap().as_ref(), b"one");
    c.fake
        .put_file("box", "/workspace/notes.txt", "two")
        .unwrap();
    assert_eq!(c.fake.read_file("box", "notes.txt"), Some(b"two".to_vec()));
    assert!(c.fake.put_file("nobox", "/x", "x").is_err());
    assert_eq!(c.fake.read_file("nobox", "/x"), None);
    assert_eq!(c.fake.read_file("box", "/missing"), None);
}

#[tokio::test]
async fn shares_and_snapshots() {
    let c = Ctx::new().await;
    let doc = spec_doc();
    c.create("box").await;
    let share: Value = c
        .post(
            "/sandboxes/box/shares",
            json!({"port": 8080, "ttl_seconds": 60}),
        )
        .await
        .json()
        .await
        .unwrap();
    validate(doc, &schema("ShareResponse"), &share, "$").unwrap();
    assert_eq!(share["port"], 8080);
    assert!(share["expires_at"].is_string());
    let list: Value = c.get("/sandboxes/box/shares").await.json().await.unwrap();
    assert_eq!(list.as_array().unwrap().len(), 1);
    let id = share["share_id"].as_str().unwrap();
    assert_eq!(
        c.delete(&format!("/sandboxes/box/shares/{id}"))
            .await
            .status(),
        200
    );
    assert_error(
        c.delete(&format!("/sandboxes/box/shares/{id}")).await,
        404,
        "RESOURCE_NOT_FOUND",
    )
    .await;
    assert_eq!(
        c.post("/sandboxes/box/shares", json!({})).await.status(),
        400
    );

    c.post_multipart("/sandboxes/box/files", "/data/f", "f", b"snap me")
        .await;
    let snap: Value = c
        .post("/snapshots/", json!({"sandbox_name": "box", "name": "s1"}))
        .await
        .json()
        .await
        .unwrap();
    validate(doc, &schema("SnapshotResponse"), &snap, "$").unwrap();
    assert_eq!(snap["status"], "ready");
    assert_eq!(
        c.post("/snapshots/", json!({"sandbox_name": "box", "name": "s1"}))
            .await
            .status(),
        409
    );
    assert_error(
        c.post("/snapshots/", json!({"sandbox_name": "nope"})).await,
        404,
        "SANDBOX_NOT_FOUND",
    )
    .await;
    let list: Value = c.get("/snapshots/").await.json().await.unwrap();
    validate(doc, &schema("PaginatedSnapshotResponse"), &list, "$").unwrap();
    assert_eq!(list["total"], 1);
    // Restoring a snapshot copies its files.
    let r = c
        .post(
            "/sandboxes",
            json!({"name": "restored", "snapshot_name": "s1"}),
        )
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        c.fake.read_file("restored", "/data/f"),
        Some(b"snap me".to_vec())
    );
    assert_eq!(c.get("/snapshots/s1").await.status(), 200);
    assert_eq!(c.delete("/snapshots/s1").await.status(), 200);
    assert_error(c.get("/snapshots/s1").await, 404, "RESOURCE_NOT_FOUND").await;
}

#[tokio::test]
async fn shutdown_stops_serving() {
    let fake = FakeIslo::start().await.unwrap();
    let url = format!("{}/auth/token", fake.control_url());
    let http = reqwest::Client::new();
    assert!(http.post(&url).json(&json!({})).send().await.is_ok());
    let clone = fake.clone();
    drop(fake);
    // A clone keeps it alive.
    assert!(http.post(&url).json(&json!({})).send().await.is_ok());
    clone.shutdown();
    tokio::time::sleep(Duration::from_millis(50)).await;
    let fresh = reqwest::Client::new();
    assert!(fresh.post(&url).json(&json!({})).send().await.is_err());
}

#[test]
fn works_without_an_async_runtime() {
    let fake = FakeIslo::builder().start_blocking().unwrap();
    assert!(fake.control_url().starts_with("http://127.0.0.1:"));
    assert_ne!(fake.control_url(), fake.compute_url());
}

// ---------------------------------------------------------------------------
// Spec conformance: every operation answers its first 2xx response with a
// body that validates against the declared schema, on the declared plane.
// ---------------------------------------------------------------------------

fn fill_path(template: &str, seeds: &BTreeMap<&str, String>) -> String {
    template
        .split('/')
        .map(
            |s| match s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                Some(name) => seeds.get(name).cloned().unwrap_or_else(|| "x".to_owned()),
                None => s.to_owned(),
            },
        )
        .collect::<Vec<_>>()
        .join("/")
}

#[tokio::test]
async fn spec_conformance_for_every_operation() {
    let spec = spec::embedded().unwrap();
    let doc = &spec.doc;
    assert!(!spec.ops.is_empty(), "openapi/islo.json has no operations");
    let mut failures = Vec::new();
    for meta in crate::meta::OPERATIONS {
        let op = &spec.ops[meta.id];
        let c = Ctx::new().await;
        // Seed state that path parameters refer to.
        let sb = c.create("conf").await;
        c.post_multipart(
            "/sandboxes/conf/files",
            "/workspace/f.txt",
            "f.txt",
            b"hello",
        )
        .await;
        let ex: Value = c
            .post("/sandboxes/conf/exec", json!({"command": ["echo", "hi"]}))
            .await
            .json()
            .await
            .unwrap();
        let share: Value = c
            .post("/sandboxes/conf/shares", json!({"port": 3000}))
            .await
            .json()
            .await
            .unwrap();
        c.post(
            "/snapshots/",
            json!({"sandbox_name": "conf", "name": "snap"}),
        )
        .await;
        let mut seeds = BTreeMap::new();
        seeds.insert("sandbox_name", "conf".to_owned());
        seeds.insert("id", sb["id"].as_str().unwrap().to_owned());
        seeds.insert("exec_id", ex["exec_id"].as_str().unwrap().to_owned());
        seeds.insert("share_id", share["share_id"].as_str().unwrap().to_owned());
        seeds.insert("name", "snap".to_owned());
        c.post("/sandboxes/conf/sessions", json!({"name": "sess"}))
            .await;
        seeds.insert("session", "sess".to_owned());
        let path = fill_path(meta.path, &seeds);
        let base = match meta.plane {
            Plane::Control => c.fake.control_url(),
            Plane::Compute => c.fake.compute_url(),
        };
        let other = match meta.plane {
            Plane::Control => c.fake.compute_url(),
            Plane::Compute => c.fake.control_url(),
        };
        let method = reqwest::Method::from_bytes(meta.method.as_bytes()).unwrap();
        let mut query: Vec<(String, String)> = Vec::new();
        for p in op
            .raw
            .get("parameters")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let p = spec::resolve(doc, p);
            if p["in"] == "query" && p["required"] == true {
                let name = p["name"].as_str().unwrap_or("");
                let v = if name == "path" {
                    Value::String("/workspace/f.txt".to_owned())
                } else {
                    generate(doc, &p["schema"])
                };
                let s = match v {
                    Value::String(s) => s,
                    other => other.to_string(),
                };
                query.push((name.to_owned(), s));
            }
        }
        if Some(meta.id) == Some("download_archive") {
            query = vec![("path".into(), "/workspace".into())];
        }
        let build = |base: &str| {
            let mut rb = c
                .http
                .request(method.clone(), format!("{base}{path}"))
                .query(&query);
            if meta.path != "/auth/token" {
                rb = rb.bearer_auth(&c.token);
            }
            let content = op
                .raw
                .pointer("/requestBody/content")
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default();
            let body_override = match Some(meta.id) {
                Some("exchange_token") => Some(json!({"access_key": c.fake.api_key()})),
                Some("create_sandbox") => Some(json!({"name": "conf2"})),
                Some("create_snapshot") => Some(json!({"sandbox_name": "conf", "name": "snap2"})),
                Some("exec_in_sandbox" | "exec_in_sandbox_stream") => {
                    Some(json!({"command": ["echo", "hi"]}))
                }
                Some("create_share") => Some(json!({"port": 8080})),
                _ => None,
            };
            if let Some(b) = body_override {
                rb = rb.json(&b);
            } else if content.keys().any(|k| k.starts_with("multipart/")) {
                let data = if meta.path.ends_with("files-archive") {
                    let mut fs = files::Fs::new();
                    fs.insert(
                        "/s/a".to_owned(),
                        files::Node::file(Bytes::from_static(b"a")),
                    );
                    files::pack_archive(&fs, "/s").unwrap().unwrap()
                } else {
                    b"data".to_vec()
                };
                let (ct, body) = multipart("f", &data);
                rb = rb.header("content-type", ct).body(body);
            } else if let Some(schema) = content
                .iter()
                .find(|(k, _)| k.contains("json"))
                .map(|(_, m)| m["schema"].clone())
            {
                rb = rb.json(&generate(doc, &schema));
            }
            rb
        };
        let label = format!("{} {} ({:?})", meta.method, meta.path, meta.id);
        let resp = build(&base).send().await.unwrap();
        let status = resp.status().as_u16();
        let ct = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let body = resp.bytes().await.unwrap();
        if status != op.status {
            failures.push(format!(
                "{label}: status {status} (want {}): {}",
                op.status,
                String::from_utf8_lossy(&body)
            ));
            continue;
        }
        match (&op.content_type, &op.schema) {
            (Some(want), Some(schema)) if want.contains("json") => {
                if !ct.contains("json") {
                    failures.push(format!("{label}: content-type {ct:?}"));
                }
                match serde_json::from_slice::<Value>(&body) {
                    Ok(v) => {
                        if let Err(e) = validate(doc, schema, &v, "$") {
                            failures.push(format!("{label}: {e}"));
                        }
                    }
                    Err(e) => failures.push(format!("{label}: invalid JSON: {e}")),
                }
            }
            (Some(want), _) => {
                if !ct.starts_with(want.as_str()) {
                    failures.push(format!("{label}: content-type {ct:?}, want {want:?}"));
                }
            }
            (None, _) => {
                if !body.is_empty() {
                    failures.push(format!(
                        "{label}: expected no body, got {} bytes",
                        body.len()
                    ));
                }
            }
        }
        // The same request on the other plane is a 404.
        let wrong = build(&other).send().await.unwrap().status().as_u16();
        if wrong != 404 {
            failures.push(format!("{label}: answered {wrong} on the wrong plane"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} operations failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// CPU time (user + system) consumed so far by the server's threads, read
/// from `/proc` (Linux only; `None` elsewhere).
fn server_cpu() -> Option<Duration> {
    let mut ticks = 0u64;
    let mut found = false;
    for task in std::fs::read_dir("/proc/self/task").ok()? {
        let dir = task.ok()?.path();
        let comm = std::fs::read_to_string(dir.join("comm")).unwrap_or_default();
        if !comm.trim().starts_with("fake-islo") {
            continue;
        }
        let stat = std::fs::read_to_string(dir.join("stat")).ok()?;
        let after = stat.rsplit_once(") ")?.1;
        let fields: Vec<&str> = after.split(' ').collect();
        ticks += fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
        found = true;
    }
    // USER_HZ is 100 on every mainstream Linux configuration.
    found.then(|| Duration::from_millis(ticks * 10))
}

/// Server CPU per request for 20,000 GETs over 64 keep-alive connections.
/// Run with `cargo test --release --features mock -- --ignored --nocapture server_cpu`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark; run in release mode"]
async fn server_cpu_per_request() {
    let c = Ctx::new().await;
    c.create("bench").await;
    let url = c.url("/sandboxes/bench");
    let total = 20_000usize;
    let conns = 64usize;
    let before = server_cpu();
    let t = Instant::now();
    let mut tasks = Vec::new();
    for i in 0..conns {
        let http = c.http.clone();
        let url = url.clone();
        let token = c.token.clone();
        let n = total / conns + usize::from(i < total % conns);
        tasks.push(tokio::spawn(async move {
            for _ in 0..n {
                let r = http.get(&url).bearer_auth(&token).send().await.unwrap();
                assert_eq!(r.status(), 200);
                r.bytes().await.unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let wall = t.elapsed();
    assert_eq!(
        c.fake.requests("GET", "/sandboxes/{sandbox_name}"),
        total as u64
    );
    if let (Some(b), Some(a)) = (before, server_cpu()) {
        let per = (a - b) / total as u32;
        println!(
            "{total} GETs in {wall:?}: {:.0} req/s, server CPU {per:?} per request",
            total as f64 / wall.as_secs_f64()
        );
    }
}

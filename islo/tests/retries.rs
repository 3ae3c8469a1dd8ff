//! The retry policy as a table: every kind of answer or failure, for an idempotent call
//! (GET), a non-idempotent one (POST), and a POST with `retry_non_idempotent`, against a
//! scripted raw TCP server (or a closed port). Each row names how many attempts each of the
//! three must make with `max_attempts(3)`: 3 where the policy retries, 1 where it does not.
//! The rules are those documented in `islo::retry`.

use islo::Islo;
use reqwest_middleware::{Middleware, Next};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What the server does with every request.
#[derive(Clone, Copy, Debug)]
enum Script {
    /// Answers with this status (and these extra header lines) and an empty body.
    Status(u16, &'static str),
    /// Sends the headers only after the client's timeout.
    SlowHeaders,
    /// Sends half of the status line and headers, then closes.
    CutHeaders,
    /// Sends a 200 announcing a JSON body, half of it, then closes.
    CutBody,
    /// Nothing listens on the port.
    Refused,
}

/// Counts every attempt the client makes (the SDK's middleware sees each one).
struct CountAttempts(Arc<AtomicU64>);

#[async_trait::async_trait]
impl Middleware for CountAttempts {
    async fn handle(
        &self,
        req: reqwest::Request,
        ext: &mut http::Extensions,
        next: Next<'_>,
    ) -> reqwest_middleware::Result<reqwest::Response> {
        self.0.fetch_add(1, Ordering::SeqCst);
        next.run(req, ext).await
    }
}

async fn read_head(sock: &mut TcpStream) {
    let mut buf = Vec::new();
    let mut tmp = [0u8; 4096];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        match sock.read(&mut tmp).await {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&tmp[..n]),
        }
    }
    // A small JSON body may follow the head; reading it is not needed to answer.
}

/// A server running `script` on every connection; its base URL.
async fn serve(script: Script) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    if let Script::Refused = script {
        drop(listener);
        return url;
    }
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            tokio::spawn(async move {
                read_head(&mut sock).await;
                let reply: Vec<u8> = match script {
                    Script::Status(code, headers) => {
                        format!("HTTP/1.1 {code} Scripted\r\ncontent-length: 0\r\n{headers}\r\n")
                            .into_bytes()
                    }
                    Script::SlowHeaders => {
                        tokio::time::sleep(Duration::from_secs(2)).await;
                        b"HTTP/1.1 204 No Content\r\n\r\n".to_vec()
                    }
                    Script::CutHeaders => b"HTTP/1.1 200 OK\r\nContent-Type: applic".to_vec(),
                    Script::CutBody => b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{\"name\":\"x\",\"id\":".to_vec(),
                    Script::Refused => Vec::new(),
                };
                let _ = sock.write_all(&reply).await;
                let _ = sock.flush().await;
            });
        }
    });
    url
}

fn client(url: &str, attempts: &Arc<AtomicU64>, replay_posts: bool) -> Islo {
    Islo::builder()
        .ignore_env()
        .session_token("retry-table-token")
        .control_url(url)
        .compute_url(url)
        .max_attempts(3)
        .retry_backoff(Duration::from_millis(1), Duration::from_millis(2))
        .max_retry_after(Duration::from_millis(1))
        .timeout(Duration::from_millis(300))
        .retry_non_idempotent(replay_posts)
        .middleware(CountAttempts(attempts.clone()))
        .build()
        .unwrap()
}

/// Attempts made by a GET, a POST, and a POST with `retry_non_idempotent`.
async fn attempts(script: Script) -> [u64; 3] {
    let url = serve(script).await;
    let mut out = [0; 3];
    for (i, slot) in out.iter_mut().enumerate() {
        let count = Arc::new(AtomicU64::new(0));
        let islo = client(&url, &count, i == 2);
        let result = match i {
            0 => islo.get_sandbox("x").await.map(|_| ()),
            _ => islo
                .create_sandbox(islo::types::SandboxCreate::default())
                .await
                .map(|_| ()),
        };
        let err = result.expect_err("every row fails");
        // Typed, and never showing the credential.
        assert!(
            !matches!(err, islo::Error::Unexpected(_)),
            "{script:?}: {err:?}"
        );
        assert!(
            !format!("{err} {err:?}").contains("retry-table-token"),
            "{err}"
        );
        *slot = count.load(Ordering::SeqCst);
    }
    out
}

#[tokio::test]
async fn the_retry_policy_table() {
    let table: &[(&str, Script, [u64; 3])] = &[
        ("429", Script::Status(429, ""), [3, 3, 3]),
        (
            "429 with Retry-After",
            Script::Status(429, "retry-after: 1\r\n"),
            [3, 3, 3],
        ),
        (
            "503 with Retry-After",
            Script::Status(503, "retry-after: 1\r\n"),
            [3, 3, 3],
        ),
        ("503", Script::Status(503, ""), [3, 1, 3]),
        ("500", Script::Status(500, ""), [3, 1, 3]),
        ("502", Script::Status(502, ""), [3, 1, 3]),
        ("408", Script::Status(408, ""), [3, 1, 3]),
        ("400", Script::Status(400, ""), [1, 1, 1]),
        ("404", Script::Status(404, ""), [1, 1, 1]),
        ("409", Script::Status(409, ""), [1, 1, 1]),
        (
            "401 with a caller's token",
            Script::Status(401, ""),
            [1, 1, 1],
        ),
        ("timeout", Script::SlowHeaders, [3, 1, 3]),
        (
            "connection lost before the headers",
            Script::CutHeaders,
            [3, 1, 3],
        ),
        ("a success's body cut short", Script::CutBody, [3, 1, 3]),
        ("connection refused", Script::Refused, [3, 3, 3]),
    ];
    let mut wrong = Vec::new();
    for (name, script, want) in table {
        let got = attempts(*script).await;
        if got != *want {
            wrong.push(format!(
                "{name}: GET / POST / POST opted in made {got:?} attempts, want {want:?}"
            ));
        }
    }
    assert!(wrong.is_empty(), "\n{}", wrong.join("\n"));
}

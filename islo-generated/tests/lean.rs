//! The rewrites `build.rs` applies to progenitor's per-call code (`mod lean`) keep what a
//! call does: same path encoding, same errors, same decoded values and headers.

use httpmock::prelude::*;
use islo_generated::prelude::*;
use islo_generated::{lean::PathSegment, Client, Error};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn client(base: &str) -> Client {
    Client::with_session_token(base, base, "test-jwt").expect("client")
}

#[test]
fn path_segments_are_encoded_exactly_like_progenitor_does() {
    let mut inputs: Vec<String> = (0u8..128).map(|b| (b as char).to_string()).collect();
    inputs.extend(
        [
            "",
            "plain-name_1.2~x",
            "a b/c%d?e#f",
            "{x}<y>`z`\"q\"",
            "ünïcödé/名前",
            "%2F already encoded",
            "tab\there\nnewline",
        ]
        .map(String::from),
    );
    for input in &inputs {
        assert_eq!(
            PathSegment(input).to_string(),
            progenitor_client::encode_path(input),
            "{input:?}"
        );
    }
}

#[tokio::test]
async fn a_missing_required_parameter_names_it() {
    // Nothing listens there: the error must come before any request.
    let err = client("http://127.0.0.1:9")
        .get_sandbox()
        .send()
        .await
        .unwrap_err();
    match err {
        Error::InvalidRequest(m) => assert_eq!(m, "sandbox_name was not initialized"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_failed_conversion_keeps_its_own_message() {
    let err = client("http://127.0.0.1:9")
        .get_sandbox()
        .sandbox_name(NotAString)
        .send()
        .await
        .unwrap_err();
    match err {
        Error::InvalidRequest(m) => assert!(m.contains("for sandbox_name failed"), "{m}"),
        other => panic!("{other:?}"),
    }
}

struct NotAString;
impl TryFrom<NotAString> for String {
    type Error = ();
    fn try_from(_: NotAString) -> Result<String, ()> {
        Err(())
    }
}

#[tokio::test]
async fn encoded_path_no_api_version_header_and_headers_kept() {
    let server = MockServer::start_async().await;
    let seen = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/sandboxes/a%20b%2Fc%25")
                .header("accept", "application/json")
                .header_missing("api-version");
            then.status(200)
                .header("content-type", "application/json")
                .header("x-request-id", "req-7")
                .json_body(serde_json::json!({
                    "id": "00000000-0000-0000-0000-000000000001",
                    "name": "a b/c%",
                    "status": "running",
                    "image": "ubuntu",
                    "created_at": "2026-01-01T00:00:00Z"
                }));
        })
        .await;
    let resp = client(&server.base_url())
        .get_sandbox()
        .sandbox_name("a b/c%")
        .send()
        .await
        .expect("get_sandbox");
    seen.assert_async().await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers().get("x-request-id").unwrap(), "req-7");
    assert_eq!(
        resp.headers().get("content-type").unwrap(),
        "application/json"
    );
    assert_eq!(resp.into_inner().name, "a b/c%");
}

/// A JSON body that arrives in several chunks (chunked encoding, a pause between pieces) is
/// put back together before decoding; a body cut short is a body error, not a decode error.
#[tokio::test]
async fn bodies_in_pieces_and_cut_bodies() {
    let body = br#"{"id":"00000000-0000-0000-0000-000000000001","name":"pieces","status":"running","image":"ubuntu","created_at":"2026-01-01T00:00:00Z"}"#;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        for cut in [false, true] {
            let (mut sock, _) = listener.accept().await.unwrap();
            let mut buf = [0u8; 4096];
            let _ = sock.read(&mut buf).await.unwrap();
            let head = if cut {
                format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                    body.len()
                )
            } else {
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n".to_string()
            };
            sock.write_all(head.as_bytes()).await.unwrap();
            if cut {
                sock.write_all(&body[..40]).await.unwrap();
            } else {
                for piece in body.chunks(37) {
                    sock.write_all(format!("{:x}\r\n", piece.len()).as_bytes())
                        .await
                        .unwrap();
                    sock.write_all(piece).await.unwrap();
                    sock.write_all(b"\r\n").await.unwrap();
                    sock.flush().await.unwrap();
                    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
                }
                sock.write_all(b"0\r\n\r\n").await.unwrap();
            }
            let _ = sock.shutdown().await;
        }
    });
    let c = client(&base);
    let whole = c
        .get_sandbox()
        .sandbox_name("pieces")
        .send()
        .await
        .expect("chunked");
    assert_eq!(whole.into_inner().name, "pieces");
    let cut = c
        .get_sandbox()
        .sandbox_name("pieces")
        .send()
        .await
        .unwrap_err();
    assert!(matches!(cut, Error::ResponseBodyError(_)), "{cut:?}");
}

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

/// `Client::url_for` joins a path onto a base parsed once; the URL must be the one parsing
/// the joined string gives, for every kind of base and every hostile path segment.
#[test]
fn urls_on_a_parsed_base_equal_parsing_the_joined_string() {
    let bases = [
        "http://127.0.0.1:8080",
        "http://127.0.0.1:8080/",
        "https://api.islo.dev",
        "https://api.islo.dev/v1",
        "https://api.islo.dev/v1/",
        "https://api.islo.dev/a%20b/",
        "http://localhost:80",      // default port: not in normal form
        "HTTPS://API.Islo.DEV/V1",  // case: not in normal form
        "https://bücher.example/x", // IDNA host: not in normal form
        "http://[::1]:9000/base",
        "https://api.islo.dev/v1?x=1",  // a query: parsed per call
        "https://api.islo.dev/v1#frag", // a fragment: parsed per call
        "https://user:pw@api.islo.dev",
        "http://h/./a/../b",
    ];
    let mut segments: Vec<String> = (0u8..128).map(|b| (b as char).to_string()).collect();
    segments.extend(
        [
            "",
            ".",
            "..",
            "%2e%2e",
            "a\\b",
            "ünï/名前",
            "a b?c#d",
            "tab\there",
            "x/../../y",
        ]
        .map(String::from),
    );
    let control = islo_generated::meta::OPERATIONS
        .iter()
        .find(|op| op.plane == islo_generated::meta::Plane::Control)
        .expect("a control operation");
    let compute = islo_generated::meta::OPERATIONS
        .iter()
        .find(|op| op.plane == islo_generated::meta::Plane::Compute)
        .expect("a compute operation");
    for base in bases {
        // The control base is the client's `baseurl` (trailing `/` trimmed, as progenitor's
        // callers and `with_session_token` do); the compute base goes through `Inner`.
        let trimmed = base.trim_end_matches('/');
        let c = Client::new_with_client(
            trimmed,
            reqwest::Client::new(),
            islo_generated::Inner::new(Some(base), None),
        );
        let preparsed = !["localhost:80", "HTTPS", "bücher", "?x=1", "#frag", "/./"]
            .iter()
            .any(|odd| base.contains(odd));
        assert_eq!(c.base_is_preparsed(control), preparsed, "{base}");
        assert_eq!(c.base_is_preparsed(compute), preparsed, "{base}");
        for seg in &segments {
            for op in [control, compute] {
                let got = c.url_for(op, format_args!("/sandboxes/{}/exec", PathSegment(seg)));
                let want =
                    reqwest::Url::parse(&format!("{trimmed}/sandboxes/{}/exec", PathSegment(seg)));
                match (got, want) {
                    (Ok(g), Ok(w)) => assert_eq!(g.as_str(), w.as_str(), "{base} {seg:?}"),
                    (Err(g), Err(_)) => {
                        assert!(g.starts_with("invalid URL"), "{g}");
                        assert!(!g.contains("pw@"), "{g}");
                    }
                    (g, w) => panic!("{base} {seg:?}: {g:?} vs {w:?}"),
                }
            }
        }
    }
}

/// A base that does not parse fails the call before anything is sent, naming the path (not
/// the base, which may carry a password).
#[tokio::test]
async fn a_base_that_does_not_parse_is_an_invalid_request() {
    let c = Client::new_with_client(
        "not a url",
        reqwest::Client::new(),
        islo_generated::Inner::default(),
    );
    match c.get_sandbox().sandbox_name("x").send().await.unwrap_err() {
        Error::InvalidRequest(m) => {
            assert!(
                m.contains("invalid URL for `/sandboxes/x` on the configured base URL"),
                "{m}"
            )
        }
        other => panic!("{other:?}"),
    }
    let c = Client::new_with_client(
        "http://user:s3cret@bad host.example",
        reqwest::Client::new(),
        islo_generated::Inner::new(Some("http://user:s3cret@bad host.example"), None),
    );
    for err in [
        c.get_sandbox().sandbox_name("x").send().await.unwrap_err(),
        c.list_sandboxes().send().await.unwrap_err(),
    ] {
        match err {
            Error::InvalidRequest(m) => assert!(!m.contains("s3cret"), "{m}"),
            other => panic!("{other:?}"),
        }
    }
}

/// An `Inner` handed to a client of another base routes the control plane to that base.
#[test]
fn an_inner_reused_with_another_base_follows_the_clients_base() {
    let op = islo_generated::meta::OPERATIONS
        .iter()
        .find(|op| op.plane == islo_generated::meta::Plane::Control)
        .expect("a control operation");
    let inner = islo_generated::Inner::new(None, None);
    let a = Client::new_with_client("http://a.example", reqwest::Client::new(), inner.clone());
    let b = Client::new_with_client("http://b.example/v2", reqwest::Client::new(), inner);
    let url = |c: &Client| c.url_for(op, format_args!("/x")).expect("url").to_string();
    assert_eq!(url(&a), "http://a.example/x");
    assert_eq!(url(&b), "http://b.example/v2/x");
    assert_eq!(url(&a), "http://a.example/x");
}

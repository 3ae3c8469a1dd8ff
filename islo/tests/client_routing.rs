//! Which server each request goes to, redirects, and success statuses.

mod client_support;

use client_support::*;
use httpmock::prelude::*;
use serde_json::json;

/// The requests both planes' spies saw, the control plane's first.
fn seen(control: &Log, compute: &Log) -> Vec<httpmock::HttpMockRequest> {
    let mut all = control.lock().unwrap().clone();
    all.extend(compute.lock().unwrap().iter().cloned());
    all
}

// ----- 5. routing -----------------------------------------------------------------------------

#[tokio::test]
async fn compute_ops_go_to_compute_and_control_ops_to_control() {
    let key = key("routing_planes");
    let control = MockServer::start_async().await;
    let compute = MockServer::start_async().await;
    let control_log = spy(&control).await;
    let compute_log = spy(&compute).await;
    exchange(&control, &key, "tok_routing", None).await;
    control
        .mock_async(|when, then| {
            when.method(GET).path("/environments");
            then.status(200).json_body(json!([]));
        })
        .await;
    get_sandbox_ok(&compute, "box").await;
    let islo = builder(&control.base_url(), &compute.base_url(), &key)
        .build()
        .unwrap();
    islo.get_sandbox("box").send().await.unwrap();
    islo.list_environments().send().await.unwrap();
    let paths = |log: &Log| -> Vec<String> { log.lock().unwrap().iter().map(path).collect() };
    assert_eq!(paths(&control_log), vec!["/auth/token", "/environments"]);
    assert_eq!(paths(&compute_log), vec!["/sandboxes/box"]);
}

#[tokio::test]
async fn base_url_path_prefix_is_kept_for_calls_and_exchange() {
    let key = key("routing_prefix");
    let server = MockServer::start_async().await;
    let log = spy(&server).await;
    server
        .mock_async({
            let key = key.clone();
            move |when, then| {
                when.method(POST)
                    .path("/islo/auth/token")
                    .json_body(json!({ "access_key": key }));
                then.status(200).json_body(token_body("tok_prefix", None));
            }
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/islo/environments");
            then.status(200).json_body(json!([]));
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/compute/sandboxes/box");
            then.status(200).json_body(sandbox("box"));
        })
        .await;
    let islo = builder(
        &format!("{}/islo/", server.base_url()),
        &format!("{}/compute", server.base_url()),
        &key,
    )
    .build()
    .unwrap();
    islo.list_environments().send().await.unwrap();
    islo.get_sandbox("box").send().await.unwrap();
    let paths: Vec<String> = log.lock().unwrap().iter().map(path).collect();
    assert_eq!(
        paths,
        vec![
            "/islo/auth/token",
            "/islo/environments",
            "/compute/sandboxes/box"
        ]
    );
}

#[tokio::test]
async fn caller_supplied_http_client_is_used_for_both_planes_and_exchange() {
    let key = key("routing_own_client");
    let control = MockServer::start_async().await;
    let compute = MockServer::start_async().await;
    let control_log = spy(&control).await;
    let compute_log = spy(&compute).await;
    exchange(&control, &key, "tok_own_client", None).await;
    control
        .mock_async(|when, then| {
            when.method(GET).path("/environments");
            then.status(200).json_body(json!([]));
        })
        .await;
    get_sandbox_ok(&compute, "box").await;
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("x-from-my-client", "yes".parse().unwrap());
    let http = reqwest::Client::builder()
        .default_headers(headers)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let islo = builder(&control.base_url(), &compute.base_url(), &key)
        .http_client(http)
        .build()
        .unwrap();
    islo.list_environments().send().await.unwrap();
    islo.get_sandbox("box").send().await.unwrap();
    let all = seen(&control_log, &compute_log);
    assert_eq!(all.len(), 3);
    for req in &all {
        assert_eq!(
            header(req, "x-from-my-client").as_deref(),
            Some("yes"),
            "{}",
            path(req)
        );
    }
}

#[tokio::test]
async fn builder_headers_reach_both_planes_and_exchange() {
    let key = key("routing_headers");
    let control = MockServer::start_async().await;
    let compute = MockServer::start_async().await;
    let control_log = spy(&control).await;
    let compute_log = spy(&compute).await;
    exchange(&control, &key, "tok_headers", None).await;
    control
        .mock_async(|when, then| {
            when.method(GET).path("/environments");
            then.status(200).json_body(json!([]));
        })
        .await;
    get_sandbox_ok(&compute, "box").await;
    let islo = builder(&control.base_url(), &compute.base_url(), &key)
        .header("x-team", "blue")
        .build()
        .unwrap();
    islo.list_environments().send().await.unwrap();
    islo.get_sandbox("box").send().await.unwrap();
    let all = seen(&control_log, &compute_log);
    assert_eq!(all.len(), 3);
    for req in &all {
        assert_eq!(
            header(req, "x-team").as_deref(),
            Some("blue"),
            "{}",
            path(req)
        );
    }
}

/// Every request (the exchange's and `get_sandbox`'s) of a client built with `headers`.
async fn requests_with_builder_headers(
    test: &str,
    headers: &[(&str, &str)],
) -> Vec<httpmock::HttpMockRequest> {
    let key = key(test);
    let control = MockServer::start_async().await;
    let compute = MockServer::start_async().await;
    let control_log = spy(&control).await;
    let compute_log = spy(&compute).await;
    exchange(&control, &key, &format!("tok_{test}"), None).await;
    get_sandbox_ok(&compute, "box").await;
    let mut b = builder(&control.base_url(), &compute.base_url(), &key);
    for (name, value) in headers {
        b = b.header(*name, *value);
    }
    b.build().unwrap().get_sandbox("box").send().await.unwrap();
    let all = seen(&control_log, &compute_log);
    assert_eq!(all.len(), 2);
    all
}

/// The values of header `name` that `req` carried.
fn header_values(req: &httpmock::HttpMockRequest, name: &str) -> Vec<String> {
    req.headers_vec()
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.clone())
        .collect()
}

/// A header set more than once on the builder is sent with every value, on API calls as on
/// the token exchange.
#[tokio::test]
async fn a_header_set_twice_is_sent_with_both_values() {
    let all = requests_with_builder_headers(
        "routing_header_twice",
        &[("x-tag", "one"), ("x-tag", "two")],
    )
    .await;
    for req in &all {
        let values: Vec<String> = header_values(req, "x-tag")
            .iter()
            .flat_map(|v| v.split(',').map(|p| p.trim().to_string()))
            .collect();
        assert_eq!(values, ["one", "two"], "{}", path(req));
    }
}

/// A builder header the request sets itself (`Content-Type` of a JSON body, `Accept`) does
/// not go out as a second value, on API calls as on the token exchange: the request's own
/// value stands, and only headers it does not set are added.
#[tokio::test]
async fn a_builder_header_never_doubles_one_the_request_sets() {
    let all = requests_with_builder_headers(
        "routing_header_no_double",
        &[
            ("content-type", "text/plain"),
            ("accept", "text/html"),
            ("x-extra", "1"),
        ],
    )
    .await;
    for req in &all {
        let values = |name: &str| header_values(req, name);
        assert_eq!(values("x-extra"), ["1"], "{}", path(req));
        if path(req).ends_with("/auth/token") {
            assert_eq!(values("content-type"), ["application/json"]);
        }
        assert!(values("content-type").len() <= 1, "{}", path(req));
        assert!(values("accept").len() <= 1, "{}", path(req));
    }
}

// ----- 9. redirects ---------------------------------------------------------------------------

#[tokio::test]
async fn same_origin_307_is_followed_with_authorization() {
    let key = key("redirect_same_origin");
    let control = MockServer::start_async().await;
    let compute = MockServer::start_async().await;
    exchange(&control, &key, "tok_redirect", None).await;
    let moved = compute
        .mock_async(|when, then| {
            when.method(GET).path("/sandboxes/old");
            then.status(307).header("location", "/sandboxes/new");
        })
        .await;
    let target = compute
        .mock_async(|when, then| {
            when.method(GET)
                .path("/sandboxes/new")
                .header("authorization", "Bearer tok_redirect");
            then.status(200).json_body(sandbox("new"));
        })
        .await;
    let islo = builder(&control.base_url(), &compute.base_url(), &key)
        .build()
        .unwrap();
    let sb = islo.get_sandbox("old").send().await.unwrap();
    assert_eq!(sb.name, "new");
    assert_eq!(
        (moved.calls_async().await, target.calls_async().await),
        (1, 1)
    );
}

#[tokio::test]
async fn same_origin_307_replays_a_post_body() {
    let key = key("redirect_post");
    let control = MockServer::start_async().await;
    let compute = MockServer::start_async().await;
    exchange(&control, &key, "tok_redirect_post", None).await;
    compute
        .mock_async(|when, then| {
            when.method(POST).path("/sandboxes");
            then.status(307).header("location", "/v2/sandboxes");
        })
        .await;
    let target = compute
        .mock_async(|when, then| {
            when.method(POST)
                .path("/v2/sandboxes")
                .header("authorization", "Bearer tok_redirect_post")
                .json_body_includes(r#"{"name":"moved"}"#);
            then.status(200).json_body(sandbox("moved"));
        })
        .await;
    let islo = builder(&control.base_url(), &compute.base_url(), &key)
        .build()
        .unwrap();
    islo.create_sandbox(islo::types::SandboxCreate {
        name: Some("moved".into()),
        ..Default::default()
    })
    .send()
    .await
    .unwrap();
    assert_eq!(target.calls_async().await, 1);
}

#[tokio::test]
async fn cross_origin_redirect_is_refused_without_leaking_the_path() {
    let key = key("redirect_cross_origin");
    let control = MockServer::start_async().await;
    let compute = MockServer::start_async().await;
    let elsewhere = MockServer::start_async().await;
    let elsewhere_log = spy(&elsewhere).await;
    exchange(&control, &key, "tok_cross", None).await;
    let location = format!("{}/private/path?token=abc#frag", elsewhere.base_url());
    compute
        .mock_async(move |when, then| {
            when.method(GET).path("/sandboxes/box");
            then.status(302).header("location", location);
        })
        .await;
    let islo = builder(&control.base_url(), &compute.base_url(), &key)
        .build()
        .unwrap();
    let err = islo.get_sandbox("box").send().await.unwrap_err();
    match &err {
        islo::Error::Redirect { target_origin, .. } => {
            assert_eq!(
                target_origin,
                &format!("http://127.0.0.1:{}", elsewhere.port())
            );
        }
        other => panic!("{other:?}"),
    }
    let text = format!("{err} {err:?}");
    assert!(
        text.contains(&format!("127.0.0.1:{}", elsewhere.port())),
        "{text}"
    );
    for leak in ["private", "path", "token=abc", "abc", "frag"] {
        assert!(!text.contains(leak), "{leak} in {text}");
    }
    assert!(elsewhere_log.lock().unwrap().is_empty());
}

async fn redirect_chain(server: &MockServer, hops: usize) {
    for i in 0..hops {
        let from = format!("/sandboxes/r{i}");
        let to = format!("/sandboxes/r{}", i + 1);
        server
            .mock_async(move |when, then| {
                when.method(GET).path(from);
                then.status(307).header("location", to);
            })
            .await;
    }
    get_sandbox_ok(server, &format!("r{hops}")).await;
}

#[tokio::test]
async fn ten_same_origin_redirects_are_followed() {
    let key = key("redirect_ten");
    let control = MockServer::start_async().await;
    let compute = MockServer::start_async().await;
    exchange(&control, &key, "tok_ten", None).await;
    redirect_chain(&compute, 10).await;
    let islo = builder(&control.base_url(), &compute.base_url(), &key)
        .build()
        .unwrap();
    let sb = islo.get_sandbox("r0").send().await.unwrap();
    assert_eq!(sb.name, "r10");
}

#[tokio::test]
async fn eleven_chained_redirects_are_an_error() {
    let key = key("redirect_eleven");
    let control = MockServer::start_async().await;
    let compute = MockServer::start_async().await;
    let log = spy(&compute).await;
    exchange(&control, &key, "tok_eleven", None).await;
    redirect_chain(&compute, 11).await;
    let islo = builder(&control.base_url(), &compute.base_url(), &key)
        .build()
        .unwrap();
    let err = islo.get_sandbox("r0").send().await.unwrap_err();
    assert!(matches!(err, islo::Error::Redirect { .. }), "{err:?}");
    // 11 requests (r0..r10); the 11th redirect is not followed; no retry of the whole chain.
    assert_eq!(log.lock().unwrap().len(), 11);
}

// ----- 10. every 2xx succeeds ------------------------------------------------------------------

async fn delete_answering(status: u16, name: &str) {
    let key = key(name);
    let control = MockServer::start_async().await;
    let compute = MockServer::start_async().await;
    exchange(&control, &key, &format!("tok_{name}"), None).await;
    let m = compute
        .mock_async(move |when, then| {
            when.method(DELETE).path("/sandboxes/box");
            then.status(status);
        })
        .await;
    let islo = builder(&control.base_url(), &compute.base_url(), &key)
        .build()
        .unwrap();
    let resp = islo.delete_sandbox("box").send().await.unwrap();
    assert_eq!(resp.status().as_u16(), status);
    assert_eq!(m.calls_async().await, 1);
}

#[tokio::test]
async fn delete_with_empty_204_succeeds() {
    delete_answering(204, "delete_204").await;
}

#[tokio::test]
async fn delete_with_empty_202_succeeds() {
    delete_answering(202, "delete_202").await;
}

#[tokio::test]
async fn delete_with_empty_200_succeeds() {
    delete_answering(200, "delete_200").await;
}

#[tokio::test]
async fn create_answering_201_with_json_succeeds() {
    let key = key("create_201");
    let control = MockServer::start_async().await;
    let compute = MockServer::start_async().await;
    exchange(&control, &key, "tok_create_201", None).await;
    compute
        .mock_async(|when, then| {
            when.method(POST).path("/sandboxes");
            then.status(201)
                .header("content-type", "application/json")
                .json_body(sandbox("fresh"));
        })
        .await;
    let islo = builder(&control.base_url(), &compute.base_url(), &key)
        .build()
        .unwrap();
    let resp = islo
        .create_sandbox(islo::types::SandboxCreate {
            name: Some("fresh".into()),
            ..Default::default()
        })
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 201);
    assert_eq!(resp.into_inner().name, "fresh");
}

/// A connection belongs to the runtime whose task drives it. The default HTTP client is
/// shared per runtime, not per process: a client built in a second runtime must not pick up
/// a pooled connection that the first one drives (here the first runtime stays alive but
/// idle, so such a connection never answers; when it is dropped instead, as when one
/// `#[tokio::test]` ends while another runs, the call fails with "runtime dropped the
/// dispatch task").
#[test]
fn a_client_built_in_another_runtime_does_not_borrow_its_connections() {
    let server = MockServer::start();
    let body = sandbox("box");
    server.mock(move |when, then| {
        when.method(GET).path("/sandboxes/box");
        then.status(200)
            .header("content-type", "application/json")
            .json_body(body);
    });
    let client = || {
        islo::Islo::builder()
            .ignore_env()
            .session_token("tok-two-runtimes")
            .control_url(server.base_url())
            .compute_url(server.base_url())
            .build()
            .unwrap()
    };
    let runtime = || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    };
    let first = runtime();
    first.block_on(async { client().get_sandbox("box").send().await.unwrap() });
    let second = runtime();
    let answered = second.block_on(async {
        tokio::time::timeout(
            std::time::Duration::from_secs(5),
            client().get_sandbox("box").send(),
        )
        .await
    });
    assert!(
        matches!(answered, Ok(Ok(_))),
        "the call in the second runtime went over the first one's connection: {answered:?}"
    );
    drop(first);
}

//! Paged list streams over loopback HTTP: exact `limit`/`offset` requests (httpmock with
//! exact query matchers), early stops, errors, and filters.

/// The query pairs of one request.
type QueryPairs = Vec<(String, String)>;

mod workflow_support;
use workflow_support::*;

use futures_util::{StreamExt, TryStreamExt};
use httpmock::prelude::*;
use islo::mock::FakeIslo;
use islo::pages::{paginate, Page, PageOptions};
use islo::{types, Error, Islo};
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};

fn sandbox(i: usize) -> Value {
    json!({"id": format!("id-{i}"), "name": format!("sb-{i}"), "image": "ubuntu", "status": "running", "created_at": "2026-01-01T00:00:00Z"})
}

fn env(i: usize) -> Value {
    json!({"id": format!("env-{i}"), "name": format!("env-{i}"), "is_default": false, "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z"})
}

/// Mocks `GET /sandboxes?limit=..&offset=..` answering items `offset..offset+count` of `total`.
async fn sandbox_page(
    server: &MockServer,
    limit: usize,
    offset: usize,
    count: usize,
    total: usize,
) -> httpmock::Mock<'_> {
    let items: Vec<Value> = (offset..offset + count).map(sandbox).collect();
    server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/sandboxes")
                .query_param("limit", limit.to_string())
                .query_param("offset", offset.to_string());
            then.status(200)
                .header("content-type", "application/json")
                .json_body(
                    json!({"items": items, "limit": limit, "offset": offset, "total": total}),
                );
        })
        .await
}

async fn env_page(
    server: &MockServer,
    limit: usize,
    offset: usize,
    count: usize,
) -> httpmock::Mock<'_> {
    let items: Vec<Value> = (offset..offset + count).map(env).collect();
    server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/environments")
                .query_param("limit", limit.to_string())
                .query_param("offset", offset.to_string());
            then.status(200)
                .header("content-type", "application/json")
                .json_body(Value::Array(items));
        })
        .await
}

/// A catch-all for the path, registered last: any request the exact mocks did not take.
async fn unexpected<'a>(server: &'a MockServer, path: &str) -> httpmock::Mock<'a> {
    let path = path.to_string();
    server
        .mock_async(|when, then| {
            when.method(GET).path(path);
            then.status(418).body("unexpected page request");
        })
        .await
}

fn names(items: &[types::SandboxResponse]) -> Vec<String> {
    items.iter().map(|s| s.name.clone()).collect()
}

#[tokio::test]
async fn sandboxes_stop_at_total_without_requesting_past_the_end() {
    let server = MockServer::start_async().await;
    let p0 = sandbox_page(&server, 2, 0, 2, 5).await;
    let p2 = sandbox_page(&server, 2, 2, 2, 5).await;
    let p4 = sandbox_page(&server, 2, 4, 1, 5).await;
    let p6 = sandbox_page(&server, 2, 6, 0, 5).await;
    let other = unexpected(&server, "/sandboxes").await;
    let items: Vec<_> = mock_client(&server)
        .list_sandboxes()
        .items(PageOptions::new().page_size(2))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(names(&items), ["sb-0", "sb-1", "sb-2", "sb-3", "sb-4"]);
    assert_eq!(
        (
            p0.calls_async().await,
            p2.calls_async().await,
            p4.calls_async().await
        ),
        (1, 1, 1)
    );
    assert_eq!(p6.calls_async().await, 0);
    assert_eq!(other.calls_async().await, 0);
}

/// A server may cap `limit` below what was asked (the spec sets no maximum): a page shorter
/// than asked is then not the last while `total` says there is more, and the stream goes on
/// from where that page ended, so no item is lost.
#[tokio::test]
async fn a_short_page_is_not_the_end_while_total_says_there_is_more() {
    let server = MockServer::start_async().await;
    // Asked for 5 per page; the server answers at most 2.
    let p0 = sandbox_page(&server, 5, 0, 2, 5).await;
    let p2 = sandbox_page(&server, 5, 2, 2, 5).await;
    let p4 = sandbox_page(&server, 5, 4, 1, 5).await;
    let other = unexpected(&server, "/sandboxes").await;
    let items: Vec<_> = mock_client(&server)
        .list_sandboxes()
        .items(PageOptions::new().page_size(5))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(names(&items), ["sb-0", "sb-1", "sb-2", "sb-3", "sb-4"]);
    assert_eq!(
        (
            p0.calls_async().await,
            p2.calls_async().await,
            p4.calls_async().await
        ),
        (1, 1, 1)
    );
    assert_eq!(other.calls_async().await, 0);
}

#[tokio::test]
async fn sandboxes_stop_on_a_full_last_page_when_total_is_reached() {
    let server = MockServer::start_async().await;
    let p0 = sandbox_page(&server, 2, 0, 2, 4).await;
    let p2 = sandbox_page(&server, 2, 2, 2, 4).await;
    let p4 = sandbox_page(&server, 2, 4, 0, 4).await;
    let other = unexpected(&server, "/sandboxes").await;
    let items: Vec<_> = mock_client(&server)
        .list_sandboxes()
        .items(PageOptions::new().page_size(2))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(items.len(), 4);
    assert_eq!((p0.calls_async().await, p2.calls_async().await), (1, 1));
    assert_eq!(
        p4.calls_async().await,
        0,
        "total says there is nothing at offset 4"
    );
    assert_eq!(other.calls_async().await, 0);
}

/// Without a total, a short page may be the last one or a page the server capped below the
/// `limit` asked (the spec sets no maximum): the stream asks once more, and ends on the empty
/// page, rather than risk dropping the rest without a word.
#[tokio::test]
async fn array_pages_without_total_go_on_after_a_short_page_until_an_empty_one() {
    let server = MockServer::start_async().await;
    let p0 = env_page(&server, 2, 0, 2).await;
    let p2 = env_page(&server, 2, 2, 1).await;
    let p3 = env_page(&server, 2, 3, 0).await;
    let other = unexpected(&server, "/environments").await;
    let items: Vec<_> = mock_client(&server)
        .list_environments()
        .items(PageOptions::new().page_size(2))
        .try_collect()
        .await
        .unwrap();
    let ids: Vec<_> = items.iter().map(|e| e.id.clone()).collect();
    assert_eq!(ids, ["env-0", "env-1", "env-2"]);
    assert_eq!(
        (
            p0.calls_async().await,
            p2.calls_async().await,
            p3.calls_async().await
        ),
        (1, 1, 1)
    );
    assert_eq!(other.calls_async().await, 0);
}

/// A server that caps every page at 2 items while 4 are asked: every item still arrives.
#[tokio::test]
async fn array_pages_capped_by_the_server_are_all_read() {
    let server = MockServer::start_async().await;
    let pages = [
        env_page(&server, 4, 0, 2).await,
        env_page(&server, 4, 2, 2).await,
        env_page(&server, 4, 4, 1).await,
        env_page(&server, 4, 5, 0).await,
    ];
    let other = unexpected(&server, "/environments").await;
    let items: Vec<_> = mock_client(&server)
        .list_environments()
        .items(PageOptions::new().page_size(4))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(items.len(), 5);
    for page in &pages {
        assert_eq!(page.calls_async().await, 1);
    }
    assert_eq!(other.calls_async().await, 0);
}

#[tokio::test]
async fn array_pages_without_total_stop_on_an_empty_page_after_full_ones() {
    let server = MockServer::start_async().await;
    let p0 = env_page(&server, 2, 0, 2).await;
    let p2 = env_page(&server, 2, 2, 2).await;
    let p4 = env_page(&server, 2, 4, 0).await;
    let other = unexpected(&server, "/environments").await;
    let items: Vec<_> = mock_client(&server)
        .list_environments()
        .items(PageOptions::new().page_size(2))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(items.len(), 4);
    assert_eq!(
        (
            p0.calls_async().await,
            p2.calls_async().await,
            p4.calls_async().await
        ),
        (1, 1, 1)
    );
    assert_eq!(other.calls_async().await, 0);
}

#[tokio::test]
async fn max_items_shrinks_the_last_request_and_stops_early() {
    let server = MockServer::start_async().await;
    let p0 = sandbox_page(&server, 3, 0, 3, 100).await;
    let p3 = sandbox_page(&server, 2, 3, 2, 100).await;
    let other = unexpected(&server, "/sandboxes").await;
    let items: Vec<_> = mock_client(&server)
        .list_sandboxes()
        .items(PageOptions::new().page_size(3).max_items(5))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(names(&items), ["sb-0", "sb-1", "sb-2", "sb-3", "sb-4"]);
    assert_eq!((p0.calls_async().await, p3.calls_async().await), (1, 1));
    assert_eq!(
        other.calls_async().await,
        0,
        "no request with the full page size or past max_items"
    );
}

#[tokio::test]
async fn max_items_smaller_than_a_page_makes_one_small_request() {
    let server = MockServer::start_async().await;
    let p0 = env_page(&server, 2, 0, 2).await;
    let other = unexpected(&server, "/environments").await;
    let items: Vec<_> = mock_client(&server)
        .list_environments()
        .items(PageOptions::new().page_size(50).max_items(2))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(p0.calls_async().await, 1);
    assert_eq!(other.calls_async().await, 0);
}

#[tokio::test]
async fn max_items_zero_makes_no_request() {
    let server = MockServer::start_async().await;
    let other = unexpected(&server, "/environments").await;
    let items: Vec<_> = mock_client(&server)
        .list_environments()
        .items(PageOptions::new().max_items(0))
        .try_collect()
        .await
        .unwrap();
    assert!(items.is_empty());
    assert_eq!(other.calls_async().await, 0);
}

#[tokio::test]
async fn an_empty_first_page_yields_an_empty_stream() {
    let server = MockServer::start_async().await;
    let p0 = sandbox_page(&server, 100, 0, 0, 0).await;
    let other = unexpected(&server, "/sandboxes").await;
    let items: Vec<_> = mock_client(&server)
        .list_sandboxes()
        .items(PageOptions::new())
        .try_collect()
        .await
        .unwrap();
    assert!(items.is_empty());
    assert_eq!(p0.calls_async().await, 1);
    assert_eq!(other.calls_async().await, 0);
}

#[tokio::test]
async fn an_error_on_page_two_surfaces_after_the_first_page_and_ends_the_stream() {
    let server = MockServer::start_async().await;
    let p0 = env_page(&server, 2, 0, 2).await;
    let p2 = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/environments")
                .query_param("offset", "2");
            then.status(500)
                .header("content-type", "application/json")
                .json_body(json!({"code": "INTERNAL", "message": "boom"}));
        })
        .await;
    let mut stream = mock_client(&server)
        .list_environments()
        .items(PageOptions::new().page_size(2));
    assert_eq!(stream.next().await.unwrap().unwrap().id, "env-0");
    assert_eq!(stream.next().await.unwrap().unwrap().id, "env-1");
    let e = stream.next().await.unwrap().unwrap_err();
    assert_eq!(e.status().map(|s| s.as_u16()), Some(500), "{e}");
    assert!(
        stream.next().await.is_none(),
        "the stream ends after the error"
    );
    assert_eq!((p0.calls_async().await, p2.calls_async().await), (1, 1));
}

#[tokio::test]
async fn sandboxes_status_filter_sends_repeated_status_keys() {
    let server = MockServer::start_async().await;
    let seen: Arc<Mutex<Vec<QueryPairs>>> = Arc::default();
    let sink = seen.clone();
    let page = server
        .mock_async(move |when, then| {
            when.method(GET).path("/sandboxes").is_true(move |req| {
                sink.lock().unwrap().push(req.query_params());
                true
            });
            then.status(200)
                .header("content-type", "application/json")
                .json_body(json!({"items": [sandbox(0)], "limit": 10, "offset": 0, "total": 1}));
        })
        .await;
    let items: Vec<_> = mock_client(&server)
        .list_sandboxes()
        .status(vec!["running".to_string(), "stopped".to_string()])
        .name_prefix("sb-")
        .items(PageOptions::new().page_size(10))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(page.calls_async().await, 1);
    let params = seen.lock().unwrap().last().cloned().unwrap();
    let statuses: Vec<&str> = params
        .iter()
        .filter(|(k, _)| k == "status")
        .map(|(_, v)| v.as_str())
        .collect();
    assert_eq!(statuses, ["running", "stopped"], "{params:?}");
    assert!(
        params.contains(&("name_prefix".into(), "sb-".into())),
        "{params:?}"
    );
    assert!(
        params.contains(&("limit".into(), "10".into())),
        "{params:?}"
    );
    assert!(
        params.contains(&("offset".into(), "0".into())),
        "{params:?}"
    );
}

#[tokio::test]
async fn job_runs_page_through_a_named_job() {
    let server = MockServer::start_async().await;
    let run = |i: usize| json!({"id": format!("run-{i}"), "job_name": "nightly", "job_version_id": "v1", "status": "succeeded", "step_count": 1, "created_at": "2026-01-01T00:00:00Z"});
    let p0 = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/jobs/nightly/runs")
                .query_param("limit", "2")
                .query_param("offset", "0");
            then.status(200).json_body(json!([run(0), run(1)]));
        })
        .await;
    let p2 = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/jobs/nightly/runs")
                .query_param("limit", "2")
                .query_param("offset", "2");
            then.status(200).json_body(json!([run(2)]));
        })
        .await;
    let p3 = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/jobs/nightly/runs")
                .query_param("limit", "2")
                .query_param("offset", "3");
            then.status(200).json_body(json!([]));
        })
        .await;
    let items: Vec<_> = mock_client(&server)
        .list_job_runs("nightly")
        .items(PageOptions::new().page_size(2))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(items.len(), 3);
    assert_eq!(items[2].id, "run-2");
    assert_eq!(
        (
            p0.calls_async().await,
            p2.calls_async().await,
            p3.calls_async().await
        ),
        (1, 1, 1)
    );
}

#[tokio::test]
async fn sandboxes_against_the_fake_filter_by_status_and_page() {
    let fake = FakeIslo::start().await.unwrap();
    let islo = Islo::builder()
        .ignore_env()
        .api_key(fake.api_key())
        .control_url(fake.control_url())
        .compute_url(fake.compute_url())
        .build()
        .unwrap();
    for i in 0..7 {
        islo.create_sandbox(types::SandboxCreate {
            name: Some(format!("p-{i}")),
            ..Default::default()
        })
        .send()
        .await
        .unwrap();
    }
    for i in [1, 4] {
        islo.stop_sandbox(format!("p-{i}")).send().await.unwrap();
    }
    fake.reset_counters();
    let running: Vec<_> = islo
        .list_sandboxes()
        .status(vec!["running".to_string()])
        .items(PageOptions::new().page_size(2))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(names(&running), ["p-0", "p-2", "p-3", "p-5", "p-6"]);
    // 5 matches, 2 per page: offsets 0, 2, 4 only.
    assert_eq!(fake.requests("GET", "/sandboxes"), 3);
    let stopped: Vec<_> = islo
        .list_sandboxes()
        .status(vec!["stopped".to_string()])
        .items(PageOptions::new())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(names(&stopped), ["p-1", "p-4"]);
}

/// Seven items, three per page: with a total, no call past the end; without one, one call
/// past it, which finds the empty page.
#[tokio::test]
async fn paginate_calls_past_the_end_only_without_a_total() {
    for (total, expected) in [
        (Some(7), vec![(3, 0), (3, 3), (3, 6)]),
        (None, vec![(3, 0), (3, 3), (3, 6), (3, 7)]),
    ] {
        let calls: Arc<Mutex<Vec<(u32, u64)>>> = Arc::default();
        let log = calls.clone();
        let items: Vec<u32> = paginate(PageOptions::new().page_size(3), move |limit, offset| {
            log.lock().unwrap().push((limit, offset));
            let page: Vec<u32> = (0..7u32)
                .skip(offset as usize)
                .take(limit as usize)
                .collect();
            Box::pin(async move { Ok(Page { items: page, total }) })
        })
        .try_collect()
        .await
        .unwrap();
        assert_eq!(items, (0..7).collect::<Vec<_>>());
        assert_eq!(*calls.lock().unwrap(), expected, "total {total:?}");
    }
}

#[tokio::test]
async fn paginate_surfaces_the_fetch_error() {
    let items: Vec<islo::Result<u32>> = paginate(PageOptions::new().page_size(1), |_, offset| {
        Box::pin(async move {
            if offset == 0 {
                Ok(Page {
                    items: vec![1],
                    total: None,
                })
            } else {
                Err(Error::Unexpected("page two".into()))
            }
        })
    })
    .collect()
    .await;
    assert_eq!(items.len(), 2);
    assert!(matches!(&items[1], Err(Error::Unexpected(m)) if m == "page two"));
}

#[tokio::test]
async fn max_items_caps_a_page_larger_than_requested() {
    // A server that ignores `limit` must not make the stream exceed `max_items`.
    let server = MockServer::start_async().await;
    let items: Vec<Value> = (0..4).map(env).collect();
    let p0 = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/environments")
                .query_param("offset", "0");
            then.status(200).json_body(Value::Array(items));
        })
        .await;
    let other = unexpected(&server, "/environments").await;
    let got: Vec<_> = mock_client(&server)
        .list_environments()
        .items(PageOptions::new().page_size(2).max_items(3))
        .try_collect()
        .await
        .unwrap();
    let ids: Vec<_> = got.iter().map(|e| e.id.clone()).collect();
    assert_eq!(ids, ["env-0", "env-1", "env-2"]);
    assert_eq!(p0.calls_async().await, 1);
    assert_eq!(other.calls_async().await, 0);
}

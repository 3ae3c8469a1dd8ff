//! Consuming `limit`/`offset` list operations as streams of items.

use crate::error::Result;
use crate::types;
use crate::Islo;
use futures_util::stream::{self, Stream};
use futures_util::TryStreamExt;
use islo_generated::prelude::*;
use std::future::Future;
use std::pin::Pin;

/// How a paged stream fetches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct PageOptions {
    /// Items requested per page (default 100).
    pub page_size: u32,
    /// Stop after this many items in total; no page beyond them is requested.
    pub max_items: Option<u64>,
}

impl Default for PageOptions {
    fn default() -> Self {
        Self {
            page_size: 100,
            max_items: None,
        }
    }
}

impl PageOptions {
    /// Default options (100 per page, no item limit).
    pub fn new() -> Self {
        Self::default()
    }
    /// Sets the page size (at least 1).
    pub fn page_size(mut self, size: u32) -> Self {
        self.page_size = size.max(1);
        self
    }
    /// Stops after `n` items.
    pub fn max_items(mut self, n: u64) -> Self {
        self.max_items = Some(n);
        self
    }
}

/// One page as a list operation returns it.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    /// The items of this page.
    pub items: Vec<T>,
    /// The total number of items, when the operation reports it.
    pub total: Option<u64>,
}

/// A boxed future yielding one page.
pub type PageFuture<T> = Pin<Box<dyn Future<Output = Result<Page<T>>> + Send>>;

struct Cursor<F> {
    fetch: F,
    offset: u64,
    yielded: u64,
    done: bool,
    opts: PageOptions,
}

/// Turns a page fetcher `fetch(limit, offset)` into a stream of items. The stream stops on
/// a short or empty page, when `total` is reached, or at `max_items` — never requesting a
/// page past the end, and asking the last page only for the items still wanted.
///
/// ```
/// # async fn demo() -> islo::Result<()> {
/// use futures_util::TryStreamExt;
/// use islo::pages::{paginate, Page, PageOptions};
/// let data: Vec<u32> = (0..10).collect();
/// let items: Vec<u32> = paginate(PageOptions::new().page_size(4), move |limit, offset| {
///     let page = data.iter().skip(offset as usize).take(limit as usize).copied().collect();
///     Box::pin(async move { Ok(Page { items: page, total: Some(10) }) })
/// })
/// .try_collect()
/// .await?;
/// assert_eq!(items.len(), 10);
/// # Ok(()) }
/// ```
pub fn paginate<T, F>(opts: PageOptions, fetch: F) -> impl Stream<Item = Result<T>> + Send + Unpin
where
    T: Send + 'static,
    F: FnMut(u32, u64) -> PageFuture<T> + Send + 'static,
{
    let cursor = Cursor {
        fetch,
        offset: 0,
        yielded: 0,
        done: false,
        opts: PageOptions {
            page_size: opts.page_size.max(1),
            ..opts
        },
    };
    Box::pin(
        stream::try_unfold(cursor, |mut c| async move {
            if c.done {
                return Ok(None);
            }
            let mut limit = c.opts.page_size;
            if let Some(max) = c.opts.max_items {
                let left = max.saturating_sub(c.yielded);
                if left == 0 {
                    return Ok(None);
                }
                limit = limit.min(u32::try_from(left).unwrap_or(u32::MAX));
            }
            let mut page = (c.fetch)(limit, c.offset).await?;
            let received = page.items.len() as u64;
            // A server that ignores `limit` must not push the stream past `max_items`.
            if let Some(max) = c.opts.max_items {
                let left = max.saturating_sub(c.yielded);
                page.items
                    .truncate(usize::try_from(left).unwrap_or(usize::MAX));
            }
            let n = received;
            c.offset += n;
            c.yielded += page.items.len() as u64;
            let reached_total = page.total.is_some_and(|t| c.offset >= t);
            let reached_max = c.opts.max_items.is_some_and(|m| c.yielded >= m);
            if n < u64::from(limit) || reached_total || reached_max || n == 0 {
                c.done = true;
            }
            Ok::<_, crate::Error>(Some((page.items, c)))
        })
        .map_ok(|items| stream::iter(items.into_iter().map(Ok)))
        .try_flatten(),
    )
}

fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn total(t: i64) -> Option<u64> {
    u64::try_from(t).ok()
}

macro_rules! paged_array {
    ($(#[$doc:meta])* $name:ident, $op:ident, $item:ty $(, $arg:ident => $setter:ident)*) => {
        $(#[$doc])*
        ///
        #[doc = concat!(
            "```no_run\n",
            "# async fn demo(islo: islo::Islo) -> islo::Result<()> {\n",
            "use futures_util::TryStreamExt;\n",
            "use islo::pages::PageOptions;\n",
            "let all: Vec<_> = islo\n",
            "    .", stringify!($name), "(", $("\"my-", stringify!($arg), "\", ",)* "PageOptions::new().max_items(1000))\n",
            "    .try_collect()\n",
            "    .await?;\n",
            "# let _ = all; Ok(()) }\n",
            "```",
        )]
        pub fn $name(&self, $($arg: &str,)* opts: PageOptions) -> Pin<Box<dyn Stream<Item = Result<$item>> + Send>> {
            $(let $arg = $arg.to_string();)*
            self.paged(opts, move |islo, limit, offset| {
                $(let $arg = $arg.clone();)*
                async move {
                    let items = islo
                        .$op()
                        $(.$setter($arg))*
                        .limit(i64::from(limit))
                        .offset(to_i64(offset))
                        .send()
                        .await?
                        .into_inner();
                    Ok(Page { items, total: None })
                }
            })
        }
    };
}

impl Islo {
    /// A paged stream whose pages `fetch(client, limit, offset)` loads.
    fn paged<T, F, Fut>(
        &self,
        opts: PageOptions,
        fetch: F,
    ) -> Pin<Box<dyn Stream<Item = Result<T>> + Send>>
    where
        T: Send + 'static,
        F: Fn(Islo, u32, u64) -> Fut + Send + 'static,
        Fut: Future<Output = Result<Page<T>>> + Send + 'static,
    {
        let islo = self.clone();
        Box::pin(paginate(opts, move |limit, offset| {
            Box::pin(fetch(islo.clone(), limit, offset))
        }))
    }

    /// Every sandbox matching `configure` (filters on the generated `list_sandboxes` builder),
    /// as a stream; paging is handled for you.
    ///
    /// ```no_run
    /// # async fn demo(islo: islo::Islo) -> islo::Result<()> {
    /// use futures_util::TryStreamExt;
    /// use islo::pages::PageOptions;
    /// let running: Vec<_> = islo
    ///     .sandboxes(PageOptions::new().max_items(500), |q| q.status(vec!["running".to_string()]))
    ///     .try_collect()
    ///     .await?;
    /// # let _ = running; Ok(()) }
    /// ```
    pub fn sandboxes<C>(
        &self,
        opts: PageOptions,
        configure: C,
    ) -> Pin<Box<dyn Stream<Item = Result<types::SandboxResponse>> + Send>>
    where
        C: for<'a> Fn(
                islo_generated::builder::ListSandboxes<'a>,
            ) -> islo_generated::builder::ListSandboxes<'a>
            + Send
            + Sync
            + 'static,
    {
        let configure = std::sync::Arc::new(configure);
        self.paged(opts, move |islo, limit, offset| {
            let configure = configure.clone();
            async move {
                let page = configure(islo.list_sandboxes())
                    .limit(i64::from(limit))
                    .offset(to_i64(offset))
                    .send()
                    .await?
                    .into_inner();
                Ok(Page {
                    items: page.items,
                    total: total(page.total),
                })
            }
        })
    }

    /// Every snapshot, as a stream.
    ///
    /// ```no_run
    /// # async fn demo(islo: islo::Islo) -> islo::Result<()> {
    /// use futures_util::TryStreamExt;
    /// use islo::pages::PageOptions;
    /// let snapshots: Vec<_> = islo.snapshots(PageOptions::new().page_size(50)).try_collect().await?;
    /// # let _ = snapshots; Ok(()) }
    /// ```
    pub fn snapshots(
        &self,
        opts: PageOptions,
    ) -> Pin<Box<dyn Stream<Item = Result<types::SnapshotResponse>> + Send>> {
        self.paged(opts, |islo, limit, offset| async move {
            let page = islo
                .list_snapshots()
                .limit(i64::from(limit))
                .offset(to_i64(offset))
                .send()
                .await?
                .into_inner();
            Ok(Page {
                items: page.items,
                total: total(page.total),
            })
        })
    }

    paged_array!(
        /// Every environment, as a stream.
        environments, list_environments, types::EnvironmentListItem
    );
    paged_array!(
        /// Every job, as a stream.
        jobs, list_jobs, types::JobListItem
    );
    paged_array!(
        /// Every run of every job, as a stream.
        all_job_runs, list_all_job_runs, types::JobRunListItem
    );
    paged_array!(
        /// Every run of job `name`, as a stream.
        job_runs, list_job_runs, types::JobRunListItem, name => name
    );
    paged_array!(
        /// Every version of job `name`, as a stream.
        job_versions, list_job_versions, types::JobVersionResponse, name => name
    );
    paged_array!(
        /// Every factory line, as a stream.
        factory_lines, list_factory_lines, types::LineResponse
    );
    paged_array!(
        /// Every factory line run, as a stream.
        factory_line_runs, list_factory_line_runs, types::LineRunSummary
    );
    paged_array!(
        /// Every run of factory line `name`, as a stream.
        factory_line_runs_for_line, list_factory_line_runs_for_line, types::LineRunSummary, name => name
    );
    paged_array!(
        /// Every version of factory line `name`, as a stream.
        factory_line_versions, list_factory_line_versions, types::LineVersionResponse, name => name
    );
    paged_array!(
        /// Every delivery of incoming webhook `webhook_id`, as a stream.
        webhook_deliveries, list_webhook_deliveries, types::WebhookDeliverySummary, webhook_id => webhook_id
    );
}

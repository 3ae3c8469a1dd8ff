//! Consuming `limit`/`offset` list operations as streams of items: every such operation's
//! request builder has `.items(PageOptions)`.
//!
//! ```no_run
//! # async fn demo(islo: islo::Islo) -> islo::Result<()> {
//! use futures_util::TryStreamExt;
//! use islo::pages::PageOptions;
//! let running: Vec<_> = islo
//!     .list_sandboxes()
//!     .status(["running"])
//!     .items(PageOptions::new().max_items(500))
//!     .try_collect()
//!     .await?;
//! # let _ = running; Ok(()) }
//! ```

use crate::error::{Error, Result};
use futures_util::stream::{self, Stream};
use futures_util::TryStreamExt;
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
    /// Fail with [`Error::Paging`] rather than request more pages than this (default
    /// 10 000): a bound on a server that never reports the end.
    pub max_pages: u64,
}

impl Default for PageOptions {
    fn default() -> Self {
        Self {
            page_size: 100,
            max_items: None,
            max_pages: 10_000,
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
    /// Fails rather than request more than `n` pages (at least 1).
    pub fn max_pages(mut self, n: u64) -> Self {
        self.max_pages = n.max(1);
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
pub type PageFuture<'a, T> = Pin<Box<dyn Future<Output = Result<Page<T>>> + Send + 'a>>;

/// The stream of items `.items(..)` and [`paginate`] return.
pub type Items<'a, T> = Pin<Box<dyn Stream<Item = Result<T>> + Send + 'a>>;

struct Cursor<T, F> {
    fetch: F,
    offset: u64,
    yielded: u64,
    pages: u64,
    done: bool,
    opts: PageOptions,
    /// The previous page (to catch a server that ignores `offset`).
    previous: Option<Vec<T>>,
}

/// Turns a page fetcher `fetch(limit, offset)` into a stream of items. The stream stops on
/// an empty page, when `total` is reached, or at `max_items`, asking the last page only for
/// the items still wanted. A page shorter than asked does not end it: a server may cap the
/// page size below the `limit` asked, so without a `total` the end is the empty page after
/// the last items (one request more, rather than items dropped without a word). A short page
/// identical to the one before ends the stream without repeating its items (a server that
/// ignores `offset` and holds less than a page). It fails with [`Error::Paging`] on a full
/// page identical to the one before (a server that ignores `offset` would otherwise be paged
/// forever, and more items may lie behind it) and past [`PageOptions::max_pages`].
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
pub fn paginate<'a, T, F>(opts: PageOptions, fetch: F) -> Items<'a, T>
where
    T: Clone + PartialEq + Send + 'a,
    F: FnMut(u32, u64) -> PageFuture<'a, T> + Send + 'a,
{
    let cursor = Cursor {
        fetch,
        offset: 0,
        yielded: 0,
        pages: 0,
        done: false,
        opts: PageOptions {
            page_size: opts.page_size.max(1),
            max_pages: opts.max_pages.max(1),
            ..opts
        },
        previous: None,
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
            if c.pages >= c.opts.max_pages {
                return Err(Error::Paging(format!(
                    "more than {} pages (PageOptions::max_pages)",
                    c.opts.max_pages
                )));
            }
            c.pages += 1;
            let mut page = (c.fetch)(limit, c.offset).await?;
            let received = page.items.len() as u64;
            if received > 0 && c.previous.as_ref() == Some(&page.items) {
                // The same short page again: a server that ignores `offset` and holds fewer
                // items than a page has sent them all already. A full page repeated may hide
                // more items behind it, so that one is an error.
                if received < u64::from(limit) {
                    return Ok(None);
                }
                return Err(Error::Paging(format!(
                    "the page at offset {} repeats the one before it: the server seems to ignore `offset`",
                    c.offset
                )));
            }
            // A server that ignores `limit` must not push the stream past `max_items`.
            if let Some(max) = c.opts.max_items {
                let left = max.saturating_sub(c.yielded);
                page.items
                    .truncate(usize::try_from(left).unwrap_or(usize::MAX));
            }
            let n = received;
            c.offset = c.offset.saturating_add(n);
            c.yielded = c.yielded.saturating_add(page.items.len() as u64);
            let reached_total = page.total.is_some_and(|t| c.offset >= t);
            // A page shorter than asked is not taken for the last one: a server may cap
            // `limit` below what was asked (the spec sets no maximum), and without a total
            // only an empty page tells the end for sure.
            let reached_max = c.opts.max_items.is_some_and(|m| c.yielded >= m);
            if reached_total || reached_max || n == 0 {
                c.done = true;
            }
            c.previous = (!c.done).then(|| page.items.clone());
            Ok::<_, crate::Error>(Some((page.items, c)))
        })
        .map_ok(|items| stream::iter(items.into_iter().map(Ok)))
        .try_flatten(),
    )
}

/// `v` as an `i64` query value, saturating.
pub(crate) fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

//! Moving files and directories in and out of a sandbox, streamed both ways (nothing is
//! held in memory whole), with progress reports when asked ([`Sandbox::with_progress`]).

use crate::archive::{
    extract_tar_gz_with, tar_gz_stream_counted, tar_gz_stream_factory, tree_file_bytes,
    ArchiveOptions, ExtractLimits, ExtractSummary,
};
use crate::error::{Error, Result};
use crate::sandbox::Sandbox;
use crate::Islo;
use bytes::Bytes;
use futures_util::{Stream, StreamExt, TryStreamExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio_util::io::{ReaderStream, StreamReader};

/// How far a transfer has come, as reported to [`Sandbox::with_progress`]'s callback after
/// each chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Progress {
    /// Uploading or downloading.
    pub direction: Direction,
    /// Bytes moved so far. For a directory upload: bytes of file content read into the
    /// archive so far (uncompressed; what is sent is less). For a directory download: bytes
    /// of the compressed archive received.
    pub bytes: u64,
    /// The total, when it is known: a file's size, a download's `Content-Length`, or for a
    /// directory upload the sizes of the files to send, summed by a walk of the directory
    /// before the upload starts (a file that changes size meanwhile makes `bytes` end
    /// elsewhere).
    pub total: Option<u64>,
}

/// Which way a transfer goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Into the sandbox.
    Upload,
    /// Out of the sandbox.
    Download,
}

/// A progress callback.
pub(crate) type ProgressFn = Arc<dyn Fn(Progress) + Send + Sync>;

fn io_err(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> Error {
    let context = context.into();
    move |source| Error::Io { context, source }
}

/// The first error a local source gave an upload's body (a file, the tree being archived,
/// a caller's reader), kept so that the upload fails with it, as [`Error::Io`] (a local
/// error, never retried), rather than with the transport error reqwest makes of it.
#[derive(Clone, Default)]
struct LocalFailure(Arc<std::sync::Mutex<Option<(std::io::ErrorKind, String)>>>);

impl LocalFailure {
    /// `stream`, its first error kept here.
    fn watch<S>(&self, stream: S) -> impl Stream<Item = std::io::Result<Bytes>> + Send + 'static
    where
        S: Stream<Item = std::io::Result<Bytes>> + Send + 'static,
    {
        let slot = self.clone();
        stream.inspect(move |item| {
            if let Err(e) = item {
                let mut kept = slot.0.lock().unwrap_or_else(|p| p.into_inner());
                kept.get_or_insert_with(|| (e.kind(), e.to_string()));
            }
        })
    }

    /// The local failure, if the body had one; else `e`.
    fn or(&self, e: Error) -> Error {
        match self.0.lock().unwrap_or_else(|p| p.into_inner()).take() {
            Some((kind, message)) => Error::Io {
                context: "reading the upload's source".to_string(),
                source: std::io::Error::new(kind, message),
            },
            None => e,
        }
    }
}

/// Counts what passes through a byte stream and reports it.
fn counted<S, E>(
    stream: S,
    direction: Direction,
    total: Option<u64>,
    progress: Option<ProgressFn>,
) -> impl Stream<Item = std::result::Result<Bytes, E>> + Send + 'static
where
    S: Stream<Item = std::result::Result<Bytes, E>> + Send + 'static,
{
    let mut done = 0u64;
    stream.inspect(move |chunk| {
        if let (Some(report), Ok(bytes)) = (&progress, chunk) {
            done = done.saturating_add(bytes.len() as u64);
            report(Progress {
                direction,
                bytes: done,
                total,
            });
        }
    })
}

impl Sandbox {
    /// A clone of this handle whose uploads and downloads call `report` after every chunk.
    ///
    /// ```no_run
    /// # async fn demo(islo: islo::Islo) -> islo::Result<()> {
    /// let sb = islo.sandbox("my-sandbox").with_progress(|p| {
    ///     if let Some(total) = p.total {
    ///         eprint!("\r{:>3}%", p.bytes * 100 / total.max(1));
    ///     }
    /// });
    /// sb.upload_file("./dataset.bin", "/workspace/dataset.bin").await?;
    /// # Ok(()) }
    /// ```
    pub fn with_progress(&self, report: impl Fn(Progress) + Send + Sync + 'static) -> Sandbox {
        let mut sb = self.clone();
        sb.progress = Some(Arc::new(report));
        sb
    }

    /// Runs `attempt` with a fresh body each time. A streamed body cannot be replayed by the
    /// send path, so the whole call is repeated here, under the same [`crate::retry`] rules
    /// as any call the server may have acted on: after a 429, a 503 with `Retry-After`, or a
    /// connection that failed before sending.
    ///
    /// A 401 is answered as the send loop answers it for a call it can replay: the token it
    /// was sent with is forgotten there, so one more attempt exchanges the key for a fresh
    /// one (once per upload, and only for a client that exchanges a key; a static token
    /// would be refused again).
    async fn upload_with_retries<F, Fut>(&self, mut attempt: F) -> Result<()>
    where
        F: FnMut(Islo) -> Fut,
        Fut: std::future::Future<Output = Result<()>>,
    {
        let policy = self.islo.retry_policy().clone();
        let single = self.islo.with_max_attempts(1);
        let mut tries = 0;
        let mut auth_replayed = !self.islo.shared().exchanges_tokens();
        loop {
            tries += 1;
            let e = match attempt(single.clone()).await {
                Ok(()) => return Ok(()),
                Err(e) => e,
            };
            // The API's 401, not the token endpoint's (a refused key is refused again).
            if !auth_replayed
                && matches!(e, Error::Api(_))
                && e.status() == Some(reqwest::StatusCode::UNAUTHORIZED)
            {
                auth_replayed = true;
                tries -= 1;
                continue;
            }
            match policy.classify_error(&e, false) {
                Some(retry) if tries < policy.max_attempts => {
                    tokio::time::sleep(policy.delay(&retry, tries)).await;
                }
                _ => return Err(e),
            }
        }
    }

    /// Uploads the local file `local` to `remote_path`, streamed from disk. Retried after a
    /// 429 or a failed connection by reopening the file. Something that cannot be read again
    /// (a FIFO, a device such as `/dev/stdin`) gets one attempt, as with
    /// [`Sandbox::upload_reader`]; a directory is refused before anything is sent (see
    /// [`Sandbox::upload_dir`]).
    ///
    /// ```no_run
    /// # async fn demo(islo: islo::Islo) -> islo::Result<()> {
    /// islo.sandbox("my-sandbox").upload_file("./data.csv", "/workspace/data.csv").await?;
    /// # Ok(()) }
    /// ```
    pub async fn upload_file(&self, local: impl AsRef<Path>, remote_path: &str) -> Result<()> {
        let local = local.as_ref().to_path_buf();
        let meta = tokio::fs::metadata(&local)
            .await
            .map_err(io_err(format!("cannot open `{}`", local.display())))?;
        if meta.is_dir() {
            return Err(Error::Io {
                context: format!(
                    "`{}` is a directory (upload_dir uploads one)",
                    local.display()
                ),
                source: std::io::Error::from(std::io::ErrorKind::IsADirectory),
            });
        }
        let regular = meta.is_file();
        let attempt = |islo: Islo| {
            let local = local.clone();
            async move {
                let file = tokio::fs::File::open(&local)
                    .await
                    .map_err(io_err(format!("cannot open `{}`", local.display())))?;
                // Only a regular file's length is its size.
                let total = match file.metadata().await {
                    Ok(m) if m.is_file() => Some(m.len()),
                    _ => None,
                };
                let failed = LocalFailure::default();
                let body = counted(
                    failed.watch(ReaderStream::with_capacity(
                        file,
                        crate::archive::CHUNK_SIZE,
                    )),
                    Direction::Upload,
                    total,
                    self.progress.clone(),
                );
                islo.upload_file(self.name(), remote_path, reqwest::Body::wrap_stream(body))
                    .await
                    .map_err(|e| failed.or(e))?;
                Ok(())
            }
        };
        if regular {
            self.upload_with_retries(attempt).await
        } else {
            // Its data is gone once read, and opening a FIFO again would wait for a writer.
            attempt(self.islo.with_max_attempts(1)).await
        }
    }

    /// Uploads everything `reader` yields to `remote_path`, streamed. A reader cannot be
    /// rewound, so this makes one attempt.
    ///
    /// ```no_run
    /// # async fn demo(islo: islo::Islo) -> islo::Result<()> {
    /// islo.sandbox("my-sandbox").upload_reader(&b"hello\n"[..], "/workspace/hello.txt").await?;
    /// # Ok(()) }
    /// ```
    pub async fn upload_reader<R>(&self, reader: R, remote_path: &str) -> Result<()>
    where
        R: AsyncRead + Send + 'static,
    {
        let failed = LocalFailure::default();
        let body = counted(
            failed.watch(ReaderStream::with_capacity(
                Box::pin(reader),
                crate::archive::CHUNK_SIZE,
            )),
            Direction::Upload,
            None,
            self.progress.clone(),
        );
        self.islo
            .with_max_attempts(1)
            .upload_file(self.name(), remote_path, reqwest::Body::wrap_stream(body))
            .await
            .map_err(|e| failed.or(e))?;
        Ok(())
    }

    /// Downloads `remote_path` into `writer`, chunk by chunk; returns the bytes written. At
    /// most [`DEFAULT_MAX_DOWNLOAD_BYTES`] are taken (see
    /// [`Sandbox::download_to_writer_with`]). The writer is flushed however the download
    /// ends, a failed one too.
    ///
    /// ```no_run
    /// # async fn demo(islo: islo::Islo) -> islo::Result<()> {
    /// let mut buf = Vec::new();
    /// let n = islo.sandbox("my-sandbox").download_to_writer("/workspace/report.txt", &mut buf).await?;
    /// assert_eq!(n as usize, buf.len());
    /// # Ok(()) }
    /// ```
    pub async fn download_to_writer<W>(&self, remote_path: &str, writer: &mut W) -> Result<u64>
    where
        W: AsyncWrite + Unpin + ?Sized,
    {
        self.download_to_writer_with(remote_path, writer, DEFAULT_MAX_DOWNLOAD_BYTES)
            .await
    }

    /// [`Sandbox::download_to_writer`] taking at most `max_bytes`: a file announced larger is
    /// refused before its data is read, and one found larger stops there; both fail with
    /// [`Error::TooLarge`], and the writer has received at most `max_bytes`.
    ///
    /// ```no_run
    /// # async fn demo(islo: islo::Islo) -> islo::Result<()> {
    /// let mut buf = Vec::new();
    /// islo.sandbox("my-sandbox").download_to_writer_with("/workspace/small.json", &mut buf, 1 << 20).await?;
    /// # Ok(()) }
    /// ```
    pub async fn download_to_writer_with<W>(
        &self,
        remote_path: &str,
        writer: &mut W,
        max_bytes: u64,
    ) -> Result<u64>
    where
        W: AsyncWrite + Unpin + ?Sized,
    {
        let mut body = self.download_body(remote_path, max_bytes).await?;
        let mut written = 0u64;
        let copy = async {
            while let Some(chunk) = body.next().await {
                let chunk = chunk?;
                check_download_size(written, &chunk, max_bytes)?;
                writer
                    .write_all(&chunk)
                    .await
                    .map_err(io_err("writing the download"))?;
                written = written.saturating_add(chunk.len() as u64);
            }
            Ok(())
        };
        let outcome: Result<()> = copy.await;
        // Flushed however the copy ended (a buffered writer does not flush on drop), so what
        // it received is what it has.
        let flushed = writer.flush().await;
        outcome?;
        flushed.map_err(io_err("writing the download"))?;
        Ok(written)
    }

    /// The chunks of a download's `answer`, counted for progress against `total` (the send
    /// loop has bounded how long they may stand still, [`crate::idle`]).
    fn download_chunks(
        &self,
        answer: crate::ResponseValue<crate::ByteStream>,
        total: Option<u64>,
        operation: &'static str,
    ) -> impl Stream<Item = Result<Bytes>> + Send + 'static {
        counted(
            answer.into_inner().into_inner(),
            Direction::Download,
            total,
            self.progress.clone(),
        )
        .map_err(move |e| Error::from_reqwest(operation, e))
    }

    /// The body of `remote_path`, its chunks counted for progress against its
    /// `Content-Length` (refused unread when that is over `max_bytes`).
    async fn download_body(
        &self,
        remote_path: &str,
        max_bytes: u64,
    ) -> Result<std::pin::Pin<Box<impl Stream<Item = Result<Bytes>> + Send + 'static>>> {
        let answer = self.islo.download_file(self.name(), remote_path).await?;
        let total = content_length(answer.headers());
        if let Some(announced) = total.filter(|&n| n > max_bytes) {
            return Err(Error::TooLarge {
                operation: "download_file",
                limit: max_bytes,
                announced: Some(announced),
            });
        }
        Ok(Box::pin(self.download_chunks(
            answer,
            total,
            "download_file",
        )))
    }

    /// Downloads `remote_path` to the local file `local`. The data goes to a temporary file
    /// beside it first, renamed into place only when complete (and removed otherwise); a file
    /// it replaces keeps its permissions. A symbolic link is followed to the file it names
    /// (the link stays), a pipe or a device is written into as it is, and a directory is
    /// refused before anything is fetched. At most [`DEFAULT_MAX_DOWNLOAD_BYTES`] are taken
    /// (see [`Sandbox::download_file_with`]).
    ///
    /// ```no_run
    /// # async fn demo(islo: islo::Islo) -> islo::Result<()> {
    /// let bytes = islo.sandbox("my-sandbox").download_file("/workspace/out.bin", "./out.bin").await?;
    /// # let _ = bytes; Ok(()) }
    /// ```
    pub async fn download_file(&self, remote_path: &str, local: impl AsRef<Path>) -> Result<u64> {
        self.download_file_with(remote_path, local, DEFAULT_MAX_DOWNLOAD_BYTES)
            .await
    }

    /// [`Sandbox::download_file`] taking at most `max_bytes`: a file announced larger is
    /// refused before its data is read, and one found larger stops there; both fail with
    /// [`Error::TooLarge`] and leave no file behind.
    ///
    /// ```no_run
    /// # async fn demo(islo: islo::Islo) -> islo::Result<()> {
    /// let sb = islo.sandbox("my-sandbox");
    /// sb.download_file_with("/workspace/disk.img", "./disk.img", 64 << 30).await?;
    /// # Ok(()) }
    /// ```
    pub async fn download_file_with(
        &self,
        remote_path: &str,
        local: impl AsRef<Path>,
        max_bytes: u64,
    ) -> Result<u64> {
        let given = local.as_ref().to_path_buf();
        let destination = tokio::task::spawn_blocking(move || Destination::of(&given))
            .await
            .map_err(|e| Error::Io {
                context: "inspecting the download's destination".to_string(),
                source: std::io::Error::other(e.to_string()),
            })??;
        let local = match destination {
            Destination::File(path) => path,
            Destination::Special(path) => {
                // A pipe or a device takes the data as it comes: no temporary file could
                // replace it. (Opening a pipe waits for its reader.)
                let opened = path.clone();
                let file = tokio::task::spawn_blocking(move || {
                    std::fs::OpenOptions::new().write(true).open(&opened)
                })
                .await
                .map_err(|e| Error::Io {
                    context: "opening the download's destination".to_string(),
                    source: std::io::Error::other(e.to_string()),
                })?
                .map_err(io_err(format!("cannot open `{}`", path.display())))?;
                return self.download_into_file(remote_path, file, max_bytes).await;
            }
        };
        let (partial, file) = PartialFile::create(&local).await?;
        let n = self
            .download_into_file(remote_path, file, max_bytes)
            .await?;
        tokio::fs::rename(&partial.path, &local)
            .await
            .map_err(io_err(format!(
                "cannot move the download to `{}`",
                local.display()
            )))?;
        partial.keep();
        Ok(n)
    }

    /// Downloads `remote_path` into `file`. The chunks go through a small bounded queue to
    /// a blocking task that writes each one straight from the buffer it arrived in:
    /// receiving and writing overlap, and no chunk is copied again on its way to the file.
    /// If this future is dropped, the queue closes and the task ends after its current
    /// write.
    async fn download_into_file(
        &self,
        remote_path: &str,
        file: std::fs::File,
        max_bytes: u64,
    ) -> Result<u64> {
        let mut body = self.download_body(remote_path, max_bytes).await?;
        let (tx, mut rx) = tokio::sync::mpsc::channel::<Bytes>(WRITE_QUEUE_CHUNKS);
        let writer = tokio::task::spawn_blocking(move || -> std::io::Result<()> {
            use std::io::Write as _;
            let mut file = file;
            while let Some(chunk) = rx.blocking_recv() {
                file.write_all(&chunk)?;
            }
            file.flush()
        });
        let mut written = 0u64;
        let received: Result<()> = async {
            while let Some(chunk) = body.next().await {
                let chunk = chunk?;
                check_download_size(written, &chunk, max_bytes)?;
                written = written.saturating_add(chunk.len() as u64);
                if tx.send(chunk).await.is_err() {
                    // The writer failed; its error is the one reported.
                    break;
                }
            }
            Ok(())
        }
        .await;
        drop(tx);
        let wrote = writer.await;
        received?;
        wrote
            .map_err(|e| Error::Unexpected(format!("the download's writer task failed: {e}")))?
            .map_err(io_err("writing the download"))?;
        Ok(written)
    }

    /// Uploads the local directory `dir` to `remote_dir` as a tar.gz built on the fly
    /// (`options` can exclude paths with gitignore-like globs such as `target/**` or
    /// `*.log`). Retried after a 429 or a failed connection by rebuilding the archive.
    ///
    /// What is archived: regular files, directories, and symbolic links as links (never
    /// followed). Sockets, FIFOs and devices have no archived form and are left out. A file
    /// is archived with the size it had when opened: one that grows meanwhile is cut there,
    /// one that shrinks fails the upload.
    ///
    /// ```no_run
    /// # async fn demo(islo: islo::Islo) -> islo::Result<()> {
    /// use islo::archive::ArchiveOptions;
    /// let opts = ArchiveOptions::new().exclude("target/**").exclude(".git");
    /// islo.sandbox("my-sandbox").upload_dir("./my-project", "/workspace/project", opts).await?;
    /// # Ok(()) }
    /// ```
    pub async fn upload_dir(
        &self,
        dir: impl AsRef<Path>,
        remote_dir: &str,
        options: ArchiveOptions,
    ) -> Result<()> {
        let dir: PathBuf = dir.as_ref().to_path_buf();
        // Fail up front (typed, before any request) when there is no directory to send.
        let meta = tokio::fs::metadata(&dir)
            .await
            .map_err(io_err(format!("cannot read `{}`", dir.display())))?;
        if !meta.is_dir() {
            return Err(Error::Io {
                context: format!("`{}` is not a directory", dir.display()),
                source: std::io::Error::from(std::io::ErrorKind::NotADirectory),
            });
        }
        crate::archive::check_excludes(&options).map_err(|e| Error::Io {
            context: "upload_dir".to_string(),
            source: e,
        })?;
        let Some(report) = self.progress.clone() else {
            let factory = tar_gz_stream_factory(dir, options);
            return self
                .upload_with_retries(|islo| {
                    let failed = LocalFailure::default();
                    let body = reqwest::Body::wrap_stream(failed.watch(factory()));
                    async move {
                        islo.upload_archive(self.name(), remote_dir, body)
                            .await
                            .map_err(|e| failed.or(e))?;
                        Ok(())
                    }
                })
                .await;
        };
        // Progress is file bytes read against their total, from a first walk.
        let total = {
            let (walk_dir, walk_options) = (dir.clone(), options.clone());
            tokio::task::spawn_blocking(move || tree_file_bytes(&walk_dir, &walk_options))
                .await
                .map_err(|e| Error::Unexpected(format!("the directory walk failed: {e}")))?
                .map_err(io_err(format!("cannot read `{}`", dir.display())))?
        };
        self.upload_with_retries(|islo| {
            // Each attempt rebuilds the archive, and counts from zero again.
            let read = Arc::new(AtomicU64::new(0));
            let failed = LocalFailure::default();
            let stream = failed.watch(tar_gz_stream_counted(
                dir.clone(),
                options.clone(),
                Arc::clone(&read),
            ));
            let report = Arc::clone(&report);
            let body = stream.inspect(move |chunk| {
                if chunk.is_ok() {
                    report(Progress {
                        direction: Direction::Upload,
                        bytes: read.load(Ordering::Relaxed),
                        total: Some(total),
                    });
                }
            });
            let body = reqwest::Body::wrap_stream(body);
            async move {
                islo.upload_archive(self.name(), remote_dir, body)
                    .await
                    .map_err(|e| failed.or(e))?;
                Ok(())
            }
        })
        .await
    }

    /// Downloads `remote_dir` as tar.gz and extracts it into `target`, streamed, within the
    /// default [`ExtractLimits`]. Entries that would land outside `target` (`..`, absolute
    /// paths, escaping links), device, fifo and sparse entries are refused with
    /// [`Error::Archive`]. Dropping the future stops the extraction.
    ///
    /// ```no_run
    /// # async fn demo(islo: islo::Islo) -> islo::Result<()> {
    /// let summary = islo.sandbox("my-sandbox").download_dir("/workspace/out", "./out").await?;
    /// println!("{} files, {} bytes", summary.files, summary.bytes);
    /// # Ok(()) }
    /// ```
    pub async fn download_dir(
        &self,
        remote_dir: &str,
        target: impl AsRef<Path>,
    ) -> Result<ExtractSummary> {
        self.download_dir_with(remote_dir, target, ExtractLimits::default())
            .await
    }

    /// Like [`Sandbox::download_dir`], with the given [`ExtractLimits`] instead of the
    /// defaults. An archive exceeding one is refused with
    /// [`ArchiveError::LimitExceeded`](crate::archive::ArchiveError::LimitExceeded), naming
    /// the limit; what was extracted before it stays in `target`.
    ///
    /// ```no_run
    /// # async fn demo(islo: islo::Islo) -> islo::Result<()> {
    /// use islo::archive::ExtractLimits;
    /// let limits = ExtractLimits::default().max_total_bytes(16 << 30);
    /// islo.sandbox("my-sandbox")
    ///     .download_dir_with("/workspace/datasets", "./datasets", limits)
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub async fn download_dir_with(
        &self,
        remote_dir: &str,
        target: impl AsRef<Path>,
        limits: ExtractLimits,
    ) -> Result<ExtractSummary> {
        let answer = self.islo.download_archive(self.name(), remote_dir).await?;
        let total = content_length(answer.headers());
        let body = self.download_chunks(answer, total, "download_archive");
        // A connection that fails or stalls is the network's failure, not the archive's: kept
        // here so that the download fails with it (retryable like any lost connection).
        let lost: Arc<std::sync::Mutex<Option<Error>>> = Arc::default();
        let slot = Arc::clone(&lost);
        let reader = StreamReader::new(body.map_err(move |e| {
            let io = std::io::Error::other(e.to_string());
            slot.lock()
                .unwrap_or_else(|p| p.into_inner())
                .get_or_insert(e);
            io
        }));
        match extract_tar_gz_with(Box::pin(reader), target.as_ref(), &limits).await {
            Ok(summary) => Ok(summary),
            Err(e) => match lost.lock().unwrap_or_else(|p| p.into_inner()).take() {
                Some(network) => Err(network),
                None => Err(e.into()),
            },
        }
    }
}

/// Chunks of a file download that may wait for the disk (a chunk is what one read of the
/// connection gave: at most a few hundred KiB).
const WRITE_QUEUE_CHUNKS: usize = 8;

/// A response's `Content-Length`, when it has a sane one.
fn content_length(headers: &reqwest::header::HeaderMap) -> Option<u64> {
    headers
        .get(reqwest::header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// Attempts at finding an unused temporary name before giving up.
const PARTIAL_NAME_ATTEMPTS: u32 = 16;

/// Most bytes of the destination's name kept in the temporary file's name (whole
/// characters), so that the temporary name stays within a file system's 255 bytes.
const PARTIAL_NAME_PREFIX_BYTES: usize = 64;

/// The most a download takes by default ([`Sandbox::download_file`],
/// [`Sandbox::download_to_writer`]): 4 GiB, as [`ExtractLimits::DEFAULT_MAX_TOTAL_BYTES`]
/// for directories. The `_with` variants take another bound.
pub const DEFAULT_MAX_DOWNLOAD_BYTES: u64 = 4 << 30;

/// Fails when `chunk` would take a download that has `written` bytes past `max_bytes`.
fn check_download_size(written: u64, chunk: &[u8], max_bytes: u64) -> Result<()> {
    let after = written.saturating_add(u64::try_from(chunk.len()).unwrap_or(u64::MAX));
    if after > max_bytes {
        return Err(Error::TooLarge {
            operation: "download_file",
            limit: max_bytes,
            announced: None,
        });
    }
    Ok(())
}

/// Where a file download writes.
enum Destination {
    /// A regular file, or nothing yet: written to a temporary file beside it, then renamed
    /// over it.
    File(PathBuf),
    /// A pipe, a device or a socket: written as it is.
    Special(PathBuf),
}

/// The most symbolic links followed to a download's destination (Linux's own limit).
const MAX_LINK_HOPS: usize = 40;

impl Destination {
    /// Where a download to `local` goes: through symbolic links to the file they name (so
    /// that the link stays and the file keeps its permissions), never onto a directory.
    fn of(local: &Path) -> Result<Self> {
        let mut path = local.to_path_buf();
        for _ in 0..MAX_LINK_HOPS {
            let meta = match std::fs::symlink_metadata(&path) {
                Ok(meta) => meta,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Self::File(path)),
                Err(e) => {
                    return Err(Error::Io {
                        context: format!("cannot inspect `{}`", path.display()),
                        source: e,
                    })
                }
            };
            if meta.file_type().is_symlink() {
                let target = std::fs::read_link(&path)
                    .map_err(io_err(format!("cannot read the link `{}`", path.display())))?;
                // A relative target is relative to the link's directory.
                path = match path.parent() {
                    Some(dir) => dir.join(target),
                    None => target,
                };
            } else if meta.is_dir() {
                return Err(Error::Io {
                    context: format!("cannot download to `{}`: it is a directory", path.display()),
                    source: std::io::ErrorKind::IsADirectory.into(),
                });
            } else if meta.is_file() {
                return Ok(Self::File(path));
            } else {
                return Ok(Self::Special(path));
            }
        }
        Err(Error::Io {
            context: format!(
                "cannot download to `{}`: more than {MAX_LINK_HOPS} symbolic links",
                local.display()
            ),
            source: std::io::Error::other("too many levels of symbolic links"),
        })
    }
}

/// The temporary file of a download in progress, removed when dropped unless
/// [`PartialFile::keep`] was called (after it was renamed into place).
struct PartialFile {
    path: PathBuf,
    keep: bool,
}

impl PartialFile {
    /// Creates a new, empty `.<name>.<random>.islo-partial` beside `local` and opens it for
    /// writing. Creating with `create_new` fails on any existing path, symbolic links
    /// included, so nothing planted there is ever opened.
    ///
    /// The file is created on a blocking thread that holds the guard from the moment the file
    /// exists: if the caller's future is dropped meanwhile, the finished task's output (the
    /// guard) is dropped with it and the file removed.
    async fn create(local: &Path) -> Result<(Self, std::fs::File)> {
        let name = local.file_name().ok_or_else(|| Error::Io {
            context: format!("`{}` does not name a file", local.display()),
            source: std::io::Error::from(std::io::ErrorKind::InvalidInput),
        })?;
        let mut prefix = String::new();
        for c in name.to_string_lossy().chars() {
            if prefix.len() + c.len_utf8() > PARTIAL_NAME_PREFIX_BYTES {
                break;
            }
            prefix.push(c);
        }
        let local = local.to_path_buf();
        tokio::task::spawn_blocking(move || Self::create_blocking(&local, &prefix))
            .await
            .map_err(|e| Error::Io {
                context: "creating the download's temporary file".to_string(),
                source: std::io::Error::other(e.to_string()),
            })?
    }

    fn create_blocking(local: &Path, prefix: &str) -> Result<(Self, std::fs::File)> {
        let mut last = None;
        for _ in 0..PARTIAL_NAME_ATTEMPTS {
            let path =
                local.with_file_name(format!(".{prefix}.{:016x}.islo-partial", random_u64()));
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
            {
                Ok(file) => {
                    let partial = Self { path, keep: false };
                    // A file it replaces keeps its permissions (a private key stays private,
                    // a program executable); the guard removes the file if this fails.
                    if let Ok(existing) = std::fs::symlink_metadata(local) {
                        if existing.is_file() {
                            file.set_permissions(existing.permissions())
                                .map_err(io_err(format!(
                                    "cannot give `{}` the permissions of `{}`",
                                    partial.path.display(),
                                    local.display()
                                )))?;
                        }
                    }
                    return Ok((partial, file));
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last = Some(e),
                Err(e) => {
                    return Err(Error::Io {
                        context: format!("cannot create `{}`", path.display()),
                        source: e,
                    })
                }
            }
        }
        Err(Error::Io {
            context: format!(
                "cannot create a temporary file beside `{}`: every name tried exists",
                local.display()
            ),
            source: last.unwrap_or_else(|| std::io::ErrorKind::AlreadyExists.into()),
        })
    }

    /// Leaves the file in place (it has been renamed).
    fn keep(mut self) {
        self.keep = true;
    }
}

impl Drop for PartialFile {
    fn drop(&mut self) {
        if !self.keep {
            // Best effort: the download already failed or was dropped.
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// A random-enough number for temporary names and multipart boundaries: the standard library's randomly keyed hasher
/// over a process-wide counter, the process id and the time. Uniqueness is enforced by
/// `create_new`, not by this.
pub(crate) fn random_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    hasher.write_u32(std::process::id());
    if let Ok(now) = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
        hasher.write_u128(now.as_nanos());
    }
    hasher.finish()
}

//! Moving files and directories in and out of sandboxes, streamed both ways.

use crate::archive::{
    extract_tar_gz_with, tar_gz_stream_factory, ArchiveOptions, ExtractLimits, ExtractSummary,
};
use crate::error::{Error, Result};
use crate::Islo;
use futures_util::{Stream, StreamExt, TryStreamExt};
use std::path::{Path, PathBuf};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio_util::io::{ReaderStream, StreamReader};

fn io_err(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> Error {
    let context = context.into();
    move |source| Error::Io { context, source }
}

impl Islo {
    /// Runs `attempt` with a fresh body each time. A streamed body cannot be replayed by the
    /// send path, so the whole call is repeated here, under the same [`crate::retry`] rules
    /// as any call the server may have acted on: after a 429, a 503 with `Retry-After`, or a
    /// connection that failed before sending.
    async fn upload_with_retries<F, Fut>(&self, mut attempt: F) -> Result<()>
    where
        F: FnMut(Islo) -> Fut,
        Fut: std::future::Future<Output = Result<()>>,
    {
        let policy = self.retry_policy().clone();
        let single = self.with_max_attempts(1);
        let mut tries = 0;
        loop {
            tries += 1;
            let e = match attempt(single.clone()).await {
                Ok(()) => return Ok(()),
                Err(e) => e,
            };
            match policy.classify_error(&e, false) {
                Some(retry) if tries < policy.max_attempts => {
                    tokio::time::sleep(policy.delay(&retry, tries)).await;
                }
                _ => return Err(e),
            }
        }
    }

    /// Uploads the local file `local` to `remote_path` in `sandbox`, streamed from disk (never
    /// held in memory). Retried on 429 and connection failures by reopening the file.
    ///
    /// ```no_run
    /// # async fn demo(islo: islo::Islo) -> islo::Result<()> {
    /// islo.upload_path("my-sandbox", "./data.csv", "/workspace/data.csv").await?;
    /// # Ok(()) }
    /// ```
    pub async fn upload_path(
        &self,
        sandbox: &str,
        local: impl AsRef<Path>,
        remote_path: &str,
    ) -> Result<()> {
        let local = local.as_ref().to_path_buf();
        self.upload_with_retries(|islo| {
            let local = local.clone();
            async move {
                let file = tokio::fs::File::open(&local)
                    .await
                    .map_err(io_err(format!("cannot open `{}`", local.display())))?;
                islo.send_upload(sandbox, remote_path, ReaderStream::new(file))
                    .await
            }
        })
        .await
    }

    /// Uploads everything `reader` yields to `remote_path` in `sandbox`, streamed. A reader
    /// cannot be rewound, so this makes one attempt.
    ///
    /// ```no_run
    /// # async fn demo(islo: islo::Islo) -> islo::Result<()> {
    /// islo.upload_reader("my-sandbox", &b"hello\n"[..], "/workspace/hello.txt").await?;
    /// # Ok(()) }
    /// ```
    pub async fn upload_reader<R>(&self, sandbox: &str, reader: R, remote_path: &str) -> Result<()>
    where
        R: AsyncRead + Send + 'static,
    {
        self.with_max_attempts(1)
            .send_upload(sandbox, remote_path, ReaderStream::new(Box::pin(reader)))
            .await
    }

    async fn send_upload<S>(&self, sandbox: &str, remote_path: &str, body: S) -> Result<()>
    where
        S: Stream<Item = std::io::Result<bytes::Bytes>> + Send + 'static,
    {
        self.upload_file(sandbox, remote_path, reqwest::Body::wrap_stream(body))
            .await?;
        Ok(())
    }

    /// Downloads `remote_path` from `sandbox` into `writer`, chunk by chunk; returns the bytes written.
    ///
    /// ```no_run
    /// # async fn demo(islo: islo::Islo) -> islo::Result<()> {
    /// let mut buf = Vec::new();
    /// let n = islo.download_to_writer("my-sandbox", "/workspace/report.txt", &mut buf).await?;
    /// assert_eq!(n as usize, buf.len());
    /// # Ok(()) }
    /// ```
    pub async fn download_to_writer<W>(
        &self,
        sandbox: &str,
        remote_path: &str,
        writer: &mut W,
    ) -> Result<u64>
    where
        W: AsyncWrite + Unpin + ?Sized,
    {
        let mut body = self
            .download_file(sandbox, remote_path)
            .await?
            .into_inner()
            .into_inner();
        let mut written = 0u64;
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(|e| Error::from_reqwest("download_file", e))?;
            writer
                .write_all(&chunk)
                .await
                .map_err(io_err("writing the download"))?;
            written += chunk.len() as u64;
        }
        writer
            .flush()
            .await
            .map_err(io_err("writing the download"))?;
        Ok(written)
    }

    /// Downloads `remote_path` from `sandbox` to the local file `local`. The data goes to a
    /// temporary file beside it first (`.<name>.<random>.islo-partial`, created new, so never
    /// through an existing file or symbolic link), renamed into place only when complete: a
    /// reader of `local` sees the old file or the whole new one, concurrent downloads to one
    /// path each complete, and a failed or dropped download leaves no temporary file.
    ///
    /// ```no_run
    /// # async fn demo(islo: islo::Islo) -> islo::Result<()> {
    /// let bytes = islo.download_path("my-sandbox", "/workspace/out.bin", "./out.bin").await?;
    /// # let _ = bytes; Ok(()) }
    /// ```
    pub async fn download_path(
        &self,
        sandbox: &str,
        remote_path: &str,
        local: impl AsRef<Path>,
    ) -> Result<u64> {
        let local = local.as_ref();
        let (partial, file) = PartialFile::create(local).await?;
        // Declared after `partial`, so dropped before it (the file is closed before it is
        // removed) even when this future is dropped midway.
        let mut file = file;
        let result = self
            .download_to_writer(sandbox, remote_path, &mut file)
            .await;
        drop(file);
        let n = result?;
        tokio::fs::rename(&partial.path, local)
            .await
            .map_err(io_err(format!(
                "cannot move the download to `{}`",
                local.display()
            )))?;
        partial.keep();
        Ok(n)
    }

    /// Uploads the local directory `dir` to `remote_dir` as a tar.gz built on the fly
    /// (`exclude` takes gitignore-like globs such as `target/**` or `*.log`). Retried on 429
    /// and connection failures by rebuilding the archive.
    ///
    /// ```no_run
    /// # async fn demo(islo: islo::Islo) -> islo::Result<()> {
    /// use islo::archive::ArchiveOptions;
    /// let opts = ArchiveOptions { exclude: vec!["target/**".into(), ".git".into()] };
    /// islo.upload_dir("my-sandbox", "./my-project", "/workspace/project", opts).await?;
    /// # Ok(()) }
    /// ```
    pub async fn upload_dir(
        &self,
        sandbox: &str,
        dir: impl Into<PathBuf>,
        remote_dir: &str,
        options: ArchiveOptions,
    ) -> Result<()> {
        let dir = dir.into();
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
        let factory = tar_gz_stream_factory(dir, options);
        self.upload_with_retries(|islo| {
            let body = reqwest::Body::wrap_stream(factory());
            async move {
                islo.upload_archive(sandbox, remote_dir, body).await?;
                Ok(())
            }
        })
        .await
    }

    /// Downloads `remote_dir` from `sandbox` as tar.gz and extracts it into `target`, streamed.
    /// Entries that would land outside `target` (`..`, absolute paths, escaping links) and
    /// device, fifo or sparse entries are refused with [`Error::Archive`], and so is an archive
    /// beyond the default [`ExtractLimits`] (4 GiB of data, a million entries, ...): use
    /// [`Islo::download_dir_with`] to raise them.
    ///
    /// ```no_run
    /// # async fn demo(islo: islo::Islo) -> islo::Result<()> {
    /// let summary = islo.download_dir("my-sandbox", "/workspace/out", "./out").await?;
    /// println!("{} files, {} bytes", summary.files, summary.bytes);
    /// # Ok(()) }
    /// ```
    pub async fn download_dir(
        &self,
        sandbox: &str,
        remote_dir: &str,
        target: impl AsRef<Path>,
    ) -> Result<ExtractSummary> {
        self.download_dir_with(sandbox, remote_dir, target, &ExtractLimits::default())
            .await
    }

    /// Like [`Islo::download_dir`], with the given [`ExtractLimits`] instead of the defaults.
    /// An archive exceeding one is refused with
    /// [`ArchiveError::LimitExceeded`](crate::archive::ArchiveError::LimitExceeded), naming the
    /// limit; what was extracted before it stays in `target`.
    ///
    /// ```no_run
    /// # async fn demo(islo: islo::Islo) -> islo::Result<()> {
    /// use islo::archive::ExtractLimits;
    /// let limits = ExtractLimits::default().max_total_bytes(16 << 30);
    /// islo.download_dir_with("my-sandbox", "/workspace/datasets", "./datasets", &limits)
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub async fn download_dir_with(
        &self,
        sandbox: &str,
        remote_dir: &str,
        target: impl AsRef<Path>,
        limits: &ExtractLimits,
    ) -> Result<ExtractSummary> {
        let body = self
            .download_archive(sandbox, remote_dir)
            .await?
            .into_inner()
            .into_inner();
        let reader = StreamReader::new(body.map_err(std::io::Error::other));
        Ok(extract_tar_gz_with(reader, target.as_ref(), limits).await?)
    }
}

/// Attempts at finding an unused temporary name before giving up.
const PARTIAL_NAME_ATTEMPTS: u32 = 16;

/// Characters of the destination's name kept in the temporary file's name.
const PARTIAL_NAME_PREFIX_CHARS: usize = 64;

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
    async fn create(local: &Path) -> Result<(Self, tokio::fs::File)> {
        let name = local.file_name().ok_or_else(|| Error::Io {
            context: format!("`{}` does not name a file", local.display()),
            source: std::io::Error::from(std::io::ErrorKind::InvalidInput),
        })?;
        let prefix: String = name
            .to_string_lossy()
            .chars()
            .take(PARTIAL_NAME_PREFIX_CHARS)
            .collect();
        let mut last = None;
        for _ in 0..PARTIAL_NAME_ATTEMPTS {
            let path =
                local.with_file_name(format!(".{prefix}.{:016x}.islo-partial", random_u64()));
            match tokio::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
                .await
            {
                Ok(file) => return Ok((Self { path, keep: false }, file)),
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

/// A random-enough number for temporary names: the standard library's randomly keyed hasher
/// over a process-wide counter, the process id and the time. Uniqueness is enforced by
/// `create_new`, not by this.
fn random_u64() -> u64 {
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

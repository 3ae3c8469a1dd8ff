//! Streamed `tar.gz` creation and safe extraction.
//!
//! [`tar_gz_stream`] archives a directory on the fly: a blocking task walks
//! the tree and feeds a `tar` builder over a gzip encoder whose output is sent
//! in chunks of at most [`CHUNK_SIZE`] bytes through a small bounded channel,
//! so memory use stays constant whatever the size of the directory.
//!
//! [`extract_tar_gz`] unpacks a `tar.gz` stream into a directory without ever
//! writing outside of it: every entry path, link target and parent directory
//! is checked before anything is written (see its documentation for the exact
//! rules).

use std::collections::HashSet;
use std::ffi::OsStr;
use std::fmt;
use std::fs;
use std::future::Future;
use std::io::{self, Read, Write};
use std::path::{Component, Path, PathBuf};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, UNIX_EPOCH};

use bytes::{Bytes, BytesMut};
use flate2::read::MultiGzDecoder;
use flate2::write::GzEncoder;
use flate2::Compression;
use futures_util::Stream;
use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use tar::{EntryType, Header, HeaderMode};
use tokio::io::AsyncRead;
use tokio::runtime::Handle;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_util::io::SyncIoBridge;

/// Maximum size of one chunk yielded by [`TarGzStream`].
pub const CHUNK_SIZE: usize = 64 * 1024;

/// Number of chunks that may wait in the channel between the archiving task
/// and the stream consumer.
const CHANNEL_CAPACITY: usize = 4;

/// Options for [`tar_gz_stream`].
#[derive(Debug, Clone, Default)]
pub struct ArchiveOptions {
    /// Glob patterns of paths to leave out of the archive.
    ///
    /// Patterns are matched against paths relative to the source directory,
    /// with `/` as separator, in the spirit of `.gitignore`:
    ///
    /// * a pattern without `/` (`*.log`, `.git`, `node_modules`) matches a file
    ///   or directory name at any depth;
    /// * a pattern with a `/` (`target/**`, `docs/*.pdf`) or a leading `/`
    ///   (`/build`) is matched against the whole relative path, and `*` does
    ///   not cross `/` (use `**` for that);
    /// * a trailing `/` is ignored, and `dir/**` also excludes `dir` itself;
    /// * a pattern that matches a directory excludes its whole subtree.
    pub exclude: Vec<String>,
}

/// Counts of what [`extract_tar_gz`] wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExtractSummary {
    /// Regular files written (hard links included).
    pub files: u64,
    /// Directory entries extracted.
    pub dirs: u64,
    /// Symbolic links created.
    pub symlinks: u64,
    /// Bytes of file content written.
    pub bytes: u64,
}

/// Errors of [`extract_tar_gz`] and [`sanitize_entry_path`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ArchiveError {
    /// An entry path is absolute, contains `..`, is empty, or would be written
    /// through a symbolic link.
    #[error("refusing archive entry `{entry}`: {reason}")]
    UnsafePath {
        /// The entry path as stored in the archive.
        entry: String,
        /// Why the entry was refused.
        reason: &'static str,
    },
    /// An entry of a type that is never extracted (device, FIFO, ...).
    #[error("refusing archive entry `{entry}`: unsupported entry type {kind}")]
    UnsupportedEntry {
        /// The entry path as stored in the archive.
        entry: String,
        /// The entry type, e.g. `"fifo"` or `"character device"`.
        kind: String,
    },
    /// A symbolic or hard link whose target is (or may resolve) outside of the
    /// extraction directory.
    #[error("refusing link `{entry}` -> `{target}`: the link target is outside of the extraction directory")]
    LinkEscapes {
        /// The link's path as stored in the archive.
        entry: String,
        /// The link target as stored in the archive.
        target: String,
    },
    /// A file system operation or reading the input failed.
    #[error("{context}")]
    Io {
        /// What was being done, naming the path involved.
        context: String,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// The input is not a valid `tar.gz` stream (bad gzip data, bad tar
    /// header, truncated archive).
    #[error("the archive is corrupt or truncated")]
    Corrupt(#[source] io::Error),
    /// The blocking extraction task panicked or was cancelled.
    #[error("the archive extraction task failed")]
    Task(#[source] tokio::task::JoinError),
}

fn io_error(context: impl Into<String>, source: io::Error) -> ArchiveError {
    ArchiveError::Io {
        context: context.into(),
        source,
    }
}

/// Adds `path` to the message of an I/O error, keeping its kind.
fn with_path(err: io::Error, what: &str, path: &Path) -> io::Error {
    io::Error::new(err.kind(), format!("{what} `{}`: {err}", path.display()))
}

// ---------------------------------------------------------------------------
// Entry path sanitising
// ---------------------------------------------------------------------------

/// Normalises an archive entry path to a safe relative path.
///
/// `.` components are removed. Returns [`ArchiveError::UnsafePath`] if the
/// path is absolute, has a root or a Windows prefix, contains a `..`
/// component, or is empty (after removing `.` components).
pub fn sanitize_entry_path(path: &Path) -> Result<PathBuf, ArchiveError> {
    match sanitize_inner(path) {
        Ok(Some(clean)) => Ok(clean),
        Ok(None) => Err(unsafe_path(path, "the path is empty")),
        Err(reason) => Err(unsafe_path(path, reason)),
    }
}

/// Like [`sanitize_entry_path`], with `Ok(None)` for an empty path.
fn sanitize_inner(path: &Path) -> Result<Option<PathBuf>, &'static str> {
    let mut clean = PathBuf::new();
    for component in path.components() {
        match component {
            Component::Prefix(_) => return Err("the path has a drive or UNC prefix"),
            Component::RootDir => return Err("the path is absolute"),
            Component::ParentDir => return Err("the path contains a `..` component"),
            Component::CurDir => {}
            Component::Normal(part) => clean.push(part),
        }
    }
    if clean.as_os_str().is_empty() {
        Ok(None)
    } else {
        Ok(Some(clean))
    }
}

fn unsafe_path(path: &Path, reason: &'static str) -> ArchiveError {
    ArchiveError::UnsafePath {
        entry: path.display().to_string(),
        reason,
    }
}

/// Whether a symbolic link at `link` (a sanitised relative path) pointing to
/// `target` stays inside the extraction directory.
///
/// The target must be relative, and `..` components are only accepted at its
/// start: after a normal component, the preceding path might itself be a
/// symbolic link, so `..` could not be resolved lexically.
fn symlink_target_is_inside(link: &Path, target: &Path) -> bool {
    if target.as_os_str().is_empty() {
        return false;
    }
    // Depth of the directory holding the link below the extraction root.
    let mut depth = link.components().count().saturating_sub(1);
    let mut seen_normal = false;
    for component in target.components() {
        match component {
            Component::Prefix(_) | Component::RootDir => return false,
            Component::CurDir => {}
            Component::ParentDir => {
                if seen_normal || depth == 0 {
                    return false;
                }
                depth -= 1;
            }
            Component::Normal(_) => seen_normal = true,
        }
    }
    true
}

// ---------------------------------------------------------------------------
// Archive creation
// ---------------------------------------------------------------------------

/// Streams `dir` as a gzip-compressed tar archive, built on the fly.
///
/// Nothing happens until the stream is first polled, which must be inside a
/// Tokio runtime (otherwise the stream yields an error). The archive is then
/// produced by a blocking task; at most a few chunks of [`CHUNK_SIZE`] bytes
/// are held in memory at any time, whatever the size of the directory. If the
/// stream is dropped, the task stops at its next write.
///
/// Entries are paths relative to `dir` (the directory itself is not an
/// entry), in sorted order, each directory before its contents. Regular
/// files, directories and symbolic links (stored as links, never followed)
/// are archived with their permissions and modification times; sockets,
/// FIFOs and devices are skipped. Paths matching [`ArchiveOptions::exclude`]
/// are left out.
///
/// Errors (an unreadable file, an invalid exclude pattern, a file that shrank
/// while being read) are yielded as the stream's last item, with the path in
/// the message.
///
/// Calling this is cheap: to send the same directory again (for example on a
/// retried upload), call it again or use [`tar_gz_stream_factory`].
pub fn tar_gz_stream(dir: impl Into<PathBuf>, options: ArchiveOptions) -> TarGzStream {
    TarGzStream::new(Job {
        dir: dir.into(),
        options,
        progress: None,
    })
}

/// Returns a function that starts a fresh [`tar_gz_stream`] of `dir` on every
/// call, e.g. to rebuild a request body for each upload attempt.
pub fn tar_gz_stream_factory(
    dir: impl Into<PathBuf>,
    options: ArchiveOptions,
) -> impl Fn() -> TarGzStream + Clone + Send + Sync + 'static {
    let dir = dir.into();
    move || tar_gz_stream(dir.clone(), options.clone())
}

/// The stream returned by [`tar_gz_stream`]: chunks of a `tar.gz` archive.
///
/// It is `Send`, `Sync` and `Unpin`.
pub struct TarGzStream {
    state: StreamState,
}

enum StreamState {
    NotStarted(Job),
    Running {
        chunks: mpsc::Receiver<Bytes>,
        task: JoinHandle<io::Result<()>>,
    },
    Finishing(JoinHandle<io::Result<()>>),
    Done,
}

impl fmt::Debug for TarGzStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match &self.state {
            StreamState::NotStarted(_) => "not started",
            StreamState::Running { .. } => "running",
            StreamState::Finishing(_) => "finishing",
            StreamState::Done => "done",
        };
        f.debug_struct("TarGzStream")
            .field("state", &state)
            .finish()
    }
}

impl TarGzStream {
    fn new(job: Job) -> Self {
        Self {
            state: StreamState::NotStarted(job),
        }
    }
}

impl Stream for TarGzStream {
    type Item = io::Result<Bytes>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            match std::mem::replace(&mut this.state, StreamState::Done) {
                StreamState::NotStarted(job) => {
                    let handle = match Handle::try_current() {
                        Ok(handle) => handle,
                        Err(_) => {
                            return Poll::Ready(Some(Err(io::Error::other(
                                "the tar.gz stream must be polled inside a Tokio runtime",
                            ))))
                        }
                    };
                    let (tx, chunks) = mpsc::channel(CHANNEL_CAPACITY);
                    let task = handle.spawn_blocking(move || job.run(tx));
                    this.state = StreamState::Running { chunks, task };
                }
                StreamState::Running { mut chunks, task } => match chunks.poll_recv(cx) {
                    Poll::Ready(Some(chunk)) => {
                        this.state = StreamState::Running { chunks, task };
                        return Poll::Ready(Some(Ok(chunk)));
                    }
                    Poll::Ready(None) => this.state = StreamState::Finishing(task),
                    Poll::Pending => {
                        this.state = StreamState::Running { chunks, task };
                        return Poll::Pending;
                    }
                },
                StreamState::Finishing(mut task) => {
                    return match Pin::new(&mut task).poll(cx) {
                        Poll::Pending => {
                            this.state = StreamState::Finishing(task);
                            Poll::Pending
                        }
                        Poll::Ready(Ok(Ok(()))) => Poll::Ready(None),
                        Poll::Ready(Ok(Err(err))) => Poll::Ready(Some(Err(err))),
                        Poll::Ready(Err(join)) => Poll::Ready(Some(Err(io::Error::other(
                            format!("the tar.gz archiving task failed: {join}"),
                        )))),
                    };
                }
                StreamState::Done => return Poll::Ready(None),
            }
        }
    }
}

/// Everything the blocking archiving task needs.
struct Job {
    dir: PathBuf,
    options: ArchiveOptions,
    /// Test hook: counts the file bytes read so far.
    progress: Option<Arc<AtomicU64>>,
}

impl Job {
    fn run(self, tx: mpsc::Sender<Bytes>) -> io::Result<()> {
        let excluder = Excluder::new(&self.options.exclude)?;
        let meta = fs::metadata(&self.dir)
            .map_err(|err| with_path(err, "cannot read source directory", &self.dir))?;
        if !meta.is_dir() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("`{}` is not a directory", self.dir.display()),
            ));
        }
        let writer = ChannelWriter {
            tx: tx.clone(),
            buf: BytesMut::with_capacity(CHUNK_SIZE),
            aborted: false,
        };
        let mut builder = tar::Builder::new(GzEncoder::new(writer, Compression::default()));
        builder.follow_symlinks(false);
        if let Err(err) = self.append_tree(&mut builder, &excluder, &tx) {
            // Dropping the builder and the encoder would otherwise write the
            // end-of-archive blocks and gzip trailer, making the truncated
            // archive look complete.
            builder.get_mut().get_mut().aborted = true;
            return Err(err);
        }
        let encoder = builder.into_inner()?;
        let mut writer = encoder.finish()?;
        writer.send_buffered()
    }

    /// Appends every entry below the source directory, depth first and in
    /// sorted order.
    fn append_tree<W: Write>(
        &self,
        builder: &mut tar::Builder<W>,
        excluder: &Excluder,
        tx: &mpsc::Sender<Bytes>,
    ) -> io::Result<()> {
        // Directories still to list, as paths relative to `self.dir`.
        let mut pending = vec![PathBuf::new()];
        while let Some(rel_dir) = pending.pop() {
            let abs_dir = self.dir.join(&rel_dir);
            let mut names = fs::read_dir(&abs_dir)
                .and_then(|entries| {
                    entries
                        .map(|entry| entry.map(|entry| entry.file_name()))
                        .collect::<io::Result<Vec<_>>>()
                })
                .map_err(|err| with_path(err, "cannot list directory", &abs_dir))?;
            names.sort();
            let mut subdirs = Vec::new();
            for name in names {
                if tx.is_closed() {
                    return Err(consumer_gone());
                }
                let rel = rel_dir.join(&name);
                if excluder.is_excluded(&rel, &name) {
                    continue;
                }
                if self.append(builder, &rel)? {
                    subdirs.push(rel);
                }
            }
            // Pop subdirectories in sorted order.
            pending.extend(subdirs.into_iter().rev());
        }
        Ok(())
    }

    /// Appends one file system entry; returns whether it is a directory whose
    /// contents must be archived too.
    fn append<W: Write>(&self, builder: &mut tar::Builder<W>, rel: &Path) -> io::Result<bool> {
        let path = self.dir.join(rel);
        let meta =
            fs::symlink_metadata(&path).map_err(|err| with_path(err, "cannot read", &path))?;
        let file_type = meta.file_type();
        let mut header = Header::new_gnu();
        if file_type.is_dir() {
            header.set_metadata_in_mode(&meta, HeaderMode::Complete);
            header.set_size(0);
            builder
                .append_data(&mut header, rel, io::empty())
                .map_err(|err| with_path(err, "cannot archive directory", &path))?;
            Ok(true)
        } else if file_type.is_file() {
            let file = fs::File::open(&path).map_err(|err| with_path(err, "cannot open", &path))?;
            // Use the metadata of the opened file, in case it was replaced.
            let meta = file
                .metadata()
                .map_err(|err| with_path(err, "cannot read", &path))?;
            header.set_metadata_in_mode(&meta, HeaderMode::Complete);
            let reader = ExactReader {
                inner: file,
                remaining: meta.len(),
                progress: self.progress.clone(),
            };
            builder
                .append_data(&mut header, rel, reader)
                .map_err(|err| with_path(err, "cannot archive file", &path))?;
            Ok(false)
        } else if file_type.is_symlink() {
            let target =
                fs::read_link(&path).map_err(|err| with_path(err, "cannot read link", &path))?;
            header.set_metadata_in_mode(&meta, HeaderMode::Complete);
            header.set_entry_type(EntryType::Symlink);
            header.set_size(0);
            builder
                .append_link(&mut header, rel, &target)
                .map_err(|err| with_path(err, "cannot archive symbolic link", &path))?;
            Ok(false)
        } else {
            // Sockets, FIFOs and devices have no meaningful archived form.
            Ok(false)
        }
    }
}

fn consumer_gone() -> io::Error {
    io::Error::new(
        io::ErrorKind::BrokenPipe,
        "the tar.gz stream was dropped by its consumer",
    )
}

/// Reads exactly `remaining` bytes, failing if the file shrank meanwhile
/// (which would otherwise corrupt the archive).
struct ExactReader<R> {
    inner: R,
    remaining: u64,
    progress: Option<Arc<AtomicU64>>,
}

impl<R: Read> Read for ExactReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.remaining == 0 || buf.is_empty() {
            return Ok(0);
        }
        let max = usize::try_from(self.remaining).map_or(buf.len(), |r| r.min(buf.len()));
        let n = self.inner.read(&mut buf[..max])?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the file shrank while it was being archived",
            ));
        }
        self.remaining -= n as u64;
        if let Some(progress) = &self.progress {
            progress.fetch_add(n as u64, Ordering::Relaxed);
        }
        Ok(n)
    }
}

/// Collects written bytes into chunks of [`CHUNK_SIZE`] and sends them
/// through the channel, blocking while it is full.
struct ChannelWriter {
    tx: mpsc::Sender<Bytes>,
    buf: BytesMut,
    /// Set when archiving failed: refuse all further output.
    aborted: bool,
}

impl ChannelWriter {
    fn send_buffered(&mut self) -> io::Result<()> {
        if self.aborted {
            return Err(io::Error::other("archiving was aborted"));
        }
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = self.buf.split().freeze();
        self.tx.blocking_send(chunk).map_err(|_| consumer_gone())?;
        self.buf.reserve(CHUNK_SIZE);
        Ok(())
    }
}

impl Write for ChannelWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if self.aborted {
            return Err(io::Error::other("archiving was aborted"));
        }
        let n = data.len().min(CHUNK_SIZE - self.buf.len());
        self.buf.extend_from_slice(&data[..n]);
        if self.buf.len() >= CHUNK_SIZE {
            self.send_buffered()?;
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        // Chunks are sent when full and at the end; flushing early would
        // only produce small chunks.
        Ok(())
    }
}

/// Compiled [`ArchiveOptions::exclude`] patterns.
struct Excluder {
    /// Patterns matched against the whole relative path.
    paths: GlobSet,
    /// Patterns matched against the file name only.
    names: GlobSet,
}

impl Excluder {
    fn new(patterns: &[String]) -> io::Result<Self> {
        let mut paths = GlobSetBuilder::new();
        let mut names = GlobSetBuilder::new();
        for raw in patterns {
            let trimmed = raw.trim();
            let anchored = trimmed.starts_with('/');
            let mut pattern = trimmed.trim_start_matches('/').trim_end_matches('/');
            while let Some(rest) = pattern.strip_prefix("./") {
                pattern = rest;
            }
            if pattern.is_empty() {
                continue;
            }
            let glob = |pattern: &str| {
                GlobBuilder::new(pattern)
                    .literal_separator(true)
                    .build()
                    .map_err(|err| {
                        io::Error::new(
                            io::ErrorKind::InvalidInput,
                            format!("invalid exclude pattern `{raw}`: {err}"),
                        )
                    })
            };
            if anchored || pattern.contains('/') {
                paths.add(glob(pattern)?);
                if let Some(dir) = pattern.strip_suffix("/**") {
                    if !dir.is_empty() {
                        paths.add(glob(dir)?);
                    }
                }
            } else {
                names.add(glob(pattern)?);
            }
        }
        let build = |builder: GlobSetBuilder| {
            builder.build().map_err(|err| {
                io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("invalid exclude patterns: {err}"),
                )
            })
        };
        Ok(Self {
            paths: build(paths)?,
            names: build(names)?,
        })
    }

    fn is_excluded(&self, rel: &Path, name: &OsStr) -> bool {
        self.names.is_match(name) || self.paths.is_match(rel)
    }
}

// ---------------------------------------------------------------------------
// Extraction
// ---------------------------------------------------------------------------

/// Extracts a gzip-compressed tar stream into `target`, refusing anything
/// that could write outside of it.
///
/// The input is streamed through a blocking task; the archive is never held
/// in memory. `target` is created if missing. Must be called inside a Tokio
/// runtime. Dropping the returned future stops the extraction at the next
/// entry or data block.
///
/// Rules (each violation aborts with a typed error naming the entry; entries
/// before it stay extracted):
///
/// * entry paths must be relative without `..` components (`.` components
///   are dropped; a bare `./` directory entry is skipped) —
///   [`ArchiveError::UnsafePath`];
/// * no entry is written through a symbolic link: every parent directory of
///   an entry must be a real directory (missing ones are created), and an
///   existing file or symbolic link at an entry's own path is replaced, never
///   followed — [`ArchiveError::UnsafePath`];
/// * symbolic link targets must be relative and stay inside `target` when
///   resolved from the link's directory; `..` is only accepted at the start
///   of a link target — [`ArchiveError::LinkEscapes`];
/// * hard link targets must be safe entry paths naming an already extracted
///   regular file reached through real directories —
///   [`ArchiveError::LinkEscapes`] or [`ArchiveError::UnsafePath`];
/// * character and block devices, FIFOs and unknown entry types are refused —
///   [`ArchiveError::UnsupportedEntry`].
///
/// File permissions are restored without setuid, setgid and sticky bits
/// (subject to the umask); directories always stay writable by the owner.
/// File modification times are restored; ownership is not.
pub async fn extract_tar_gz<R>(reader: R, target: &Path) -> Result<ExtractSummary, ArchiveError>
where
    R: AsyncRead + Unpin + Send + 'static,
{
    let handle = Handle::try_current().map_err(|err| {
        io_error(
            "extract_tar_gz must run inside a Tokio runtime",
            io::Error::other(err),
        )
    })?;
    let cancel = Arc::new(AtomicBool::new(false));
    let _cancel_on_drop = CancelOnDrop(Arc::clone(&cancel));
    let bridge = SyncIoBridge::new_with_handle(reader, handle.clone());
    let extractor = Extractor {
        root: target.to_path_buf(),
        cancel,
        input_failed: Arc::new(AtomicBool::new(false)),
        real_dirs: HashSet::new(),
        summary: ExtractSummary::default(),
    };
    handle
        .spawn_blocking(move || extractor.run(bridge))
        .await
        .map_err(ArchiveError::Task)?
}

/// Sets the flag when the extraction future is dropped.
struct CancelOnDrop(Arc<AtomicBool>);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// Records whether the underlying input failed, to tell transport errors
/// from corrupt data.
struct TrackingReader<R> {
    inner: R,
    failed: Arc<AtomicBool>,
}

impl<R: Read> Read for TrackingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read(buf).inspect_err(|err| {
            if err.kind() != io::ErrorKind::Interrupted {
                self.failed.store(true, Ordering::Relaxed);
            }
        })
    }
}

struct Extractor {
    root: PathBuf,
    cancel: Arc<AtomicBool>,
    input_failed: Arc<AtomicBool>,
    /// Relative paths known to be real directories (not symbolic links).
    real_dirs: HashSet<PathBuf>,
    summary: ExtractSummary,
}

impl Extractor {
    fn run(mut self, reader: impl Read) -> Result<ExtractSummary, ArchiveError> {
        fs::create_dir_all(&self.root).map_err(|err| {
            io_error(
                format!(
                    "cannot create extraction directory `{}`",
                    self.root.display()
                ),
                err,
            )
        })?;
        let reader = TrackingReader {
            inner: reader,
            failed: Arc::clone(&self.input_failed),
        };
        let mut archive = tar::Archive::new(MultiGzDecoder::new(reader));
        let entries = archive.entries().map_err(|err| self.read_error(err))?;
        for entry in entries {
            self.check_cancelled()?;
            let mut entry = entry.map_err(|err| self.read_error(err))?;
            self.extract_entry(&mut entry)?;
        }
        // Read to the end of the gzip stream so its checksum is verified and
        // a truncated download is noticed.
        io::copy(&mut archive.into_inner(), &mut io::sink()).map_err(|err| self.read_error(err))?;
        Ok(self.summary)
    }

    fn check_cancelled(&self) -> Result<(), ArchiveError> {
        if self.cancel.load(Ordering::Relaxed) {
            Err(io_error(
                "archive extraction was cancelled",
                io::Error::new(io::ErrorKind::Interrupted, "cancelled"),
            ))
        } else {
            Ok(())
        }
    }

    /// Classifies an error from reading the archive.
    fn read_error(&self, err: io::Error) -> ArchiveError {
        if self.input_failed.load(Ordering::Relaxed) {
            io_error("reading the archive input failed", err)
        } else {
            ArchiveError::Corrupt(err)
        }
    }

    fn extract_entry<R: Read>(
        &mut self,
        entry: &mut tar::Entry<'_, R>,
    ) -> Result<(), ArchiveError> {
        let kind = entry.header().entry_type();
        if kind.is_pax_global_extensions()
            || kind.is_pax_local_extensions()
            || kind.is_gnu_longname()
            || kind.is_gnu_longlink()
        {
            // Metadata records (the tar crate applies the local ones itself).
            return Ok(());
        }
        let raw_path = entry.path().map_err(ArchiveError::Corrupt)?.into_owned();
        let name = raw_path.display().to_string();
        let rel = match sanitize_inner(&raw_path) {
            Ok(Some(rel)) => rel,
            // `./` names the extraction directory itself.
            Ok(None) if kind.is_dir() => return Ok(()),
            Ok(None) => return Err(unsafe_path(&raw_path, "the path is empty")),
            Err(reason) => return Err(unsafe_path(&raw_path, reason)),
        };
        let mode = entry.header().mode().unwrap_or(0o644);
        match kind {
            EntryType::Directory => self.extract_dir(&rel, &name, mode),
            // Old (pre-POSIX) archives mark directories with a trailing slash.
            EntryType::Regular
                if entry.header().as_ustar().is_none() && entry.path_bytes().ends_with(b"/") =>
            {
                self.extract_dir(&rel, &name, mode)
            }
            EntryType::Regular | EntryType::Continuous | EntryType::GNUSparse => {
                self.extract_file(entry, &rel, &name, mode)
            }
            EntryType::Symlink => self.extract_symlink(entry, &rel, &name),
            EntryType::Link => self.extract_hard_link(entry, &rel, &name),
            EntryType::Char => Err(unsupported(&name, "character device")),
            EntryType::Block => Err(unsupported(&name, "block device")),
            EntryType::Fifo => Err(unsupported(&name, "fifo")),
            other => Err(unsupported(
                &name,
                &format!("{:?} (type byte {:#04x})", other, other.as_byte()),
            )),
        }
    }

    /// Makes sure every parent of `rel` is a real directory inside the root,
    /// creating missing ones, and returns the absolute path of `rel`.
    fn prepare_parents(&mut self, rel: &Path, name: &str) -> Result<PathBuf, ArchiveError> {
        if let Some(parent) = rel.parent() {
            let mut current = PathBuf::new();
            for component in parent.components() {
                current.push(component);
                if self.real_dirs.contains(&current) {
                    continue;
                }
                let abs = self.root.join(&current);
                match fs::symlink_metadata(&abs) {
                    Ok(meta) if meta.is_dir() => {}
                    Ok(meta) if meta.file_type().is_symlink() => {
                        return Err(ArchiveError::UnsafePath {
                            entry: name.to_owned(),
                            reason: "a parent directory is a symbolic link",
                        })
                    }
                    Ok(_) => {
                        return Err(ArchiveError::UnsafePath {
                            entry: name.to_owned(),
                            reason: "a parent path exists and is not a directory",
                        })
                    }
                    Err(err) if err.kind() == io::ErrorKind::NotFound => {
                        create_dir(&abs, 0o755).map_err(|err| {
                            io_error(format!("cannot create directory `{}`", abs.display()), err)
                        })?;
                    }
                    Err(err) => {
                        return Err(io_error(format!("cannot inspect `{}`", abs.display()), err))
                    }
                }
                self.real_dirs.insert(current.clone());
            }
        }
        Ok(self.root.join(rel))
    }

    /// Removes an existing file or symbolic link at `abs` so that a new entry
    /// can be created there without following it.
    fn clear_path(&self, abs: &Path) -> Result<(), ArchiveError> {
        match fs::symlink_metadata(abs) {
            Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(err) => Err(io_error(format!("cannot inspect `{}`", abs.display()), err)),
            Ok(meta) if meta.is_dir() => Err(io_error(
                format!("cannot replace directory `{}`", abs.display()),
                io::Error::new(io::ErrorKind::AlreadyExists, "a directory is in the way"),
            )),
            Ok(_) => fs::remove_file(abs)
                .map_err(|err| io_error(format!("cannot replace `{}`", abs.display()), err)),
        }
    }

    fn extract_dir(&mut self, rel: &Path, name: &str, mode: u32) -> Result<(), ArchiveError> {
        let abs = self.prepare_parents(rel, name)?;
        match fs::symlink_metadata(&abs) {
            Ok(meta) if meta.is_dir() => {}
            Ok(meta) if meta.file_type().is_symlink() => {
                // Replace the link itself; never create through it.
                fs::remove_file(&abs)
                    .map_err(|err| io_error(format!("cannot replace `{}`", abs.display()), err))?;
                create_dir(&abs, mode).map_err(|err| {
                    io_error(format!("cannot create directory `{}`", abs.display()), err)
                })?;
            }
            Ok(_) => {
                return Err(io_error(
                    format!("cannot create directory `{}`", abs.display()),
                    io::Error::new(io::ErrorKind::AlreadyExists, "a file is in the way"),
                ))
            }
            Err(err) if err.kind() == io::ErrorKind::NotFound => {
                create_dir(&abs, mode).map_err(|err| {
                    io_error(format!("cannot create directory `{}`", abs.display()), err)
                })?;
            }
            Err(err) => return Err(io_error(format!("cannot inspect `{}`", abs.display()), err)),
        }
        self.real_dirs.insert(rel.to_path_buf());
        self.summary.dirs += 1;
        Ok(())
    }

    fn extract_file<R: Read>(
        &mut self,
        entry: &mut tar::Entry<'_, R>,
        rel: &Path,
        name: &str,
        mode: u32,
    ) -> Result<(), ArchiveError> {
        let abs = self.prepare_parents(rel, name)?;
        self.clear_path(&abs)?;
        let mut options = fs::OpenOptions::new();
        // `create_new` fails on any existing path, including a symbolic link
        // created meanwhile, so the file is never opened through a link.
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(mode & 0o777);
        }
        #[cfg(not(unix))]
        let _ = mode;
        let mut file = options
            .open(&abs)
            .map_err(|err| io_error(format!("cannot create file `{}`", abs.display()), err))?;
        let mut buf = vec![0u8; CHUNK_SIZE];
        loop {
            self.check_cancelled()?;
            let n = match entry.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
                Err(err) => return Err(self.read_error(err)),
            };
            file.write_all(&buf[..n])
                .map_err(|err| io_error(format!("cannot write file `{}`", abs.display()), err))?;
            self.summary.bytes += n as u64;
        }
        if let Some(mtime) = entry
            .header()
            .mtime()
            .ok()
            .and_then(|secs| UNIX_EPOCH.checked_add(Duration::from_secs(secs)))
        {
            // Best effort: some file systems refuse to set times.
            let _ = file.set_modified(mtime);
        }
        self.summary.files += 1;
        Ok(())
    }

    fn extract_symlink<R: Read>(
        &mut self,
        entry: &tar::Entry<'_, R>,
        rel: &Path,
        name: &str,
    ) -> Result<(), ArchiveError> {
        let target = entry
            .link_name()
            .map_err(ArchiveError::Corrupt)?
            .ok_or_else(|| ArchiveError::UnsafePath {
                entry: name.to_owned(),
                reason: "the symbolic link has no target",
            })?
            .into_owned();
        if !symlink_target_is_inside(rel, &target) {
            return Err(ArchiveError::LinkEscapes {
                entry: name.to_owned(),
                target: target.display().to_string(),
            });
        }
        let abs = self.prepare_parents(rel, name)?;
        self.clear_path(&abs)?;
        create_symlink(&target, &abs).map_err(|err| {
            if err.kind() == io::ErrorKind::Unsupported {
                unsupported(name, "symbolic link (not supported on this platform)")
            } else {
                io_error(
                    format!("cannot create symbolic link `{}`", abs.display()),
                    err,
                )
            }
        })?;
        self.summary.symlinks += 1;
        Ok(())
    }

    fn extract_hard_link<R: Read>(
        &mut self,
        entry: &tar::Entry<'_, R>,
        rel: &Path,
        name: &str,
    ) -> Result<(), ArchiveError> {
        let raw_target = entry
            .link_name()
            .map_err(ArchiveError::Corrupt)?
            .ok_or_else(|| ArchiveError::UnsafePath {
                entry: name.to_owned(),
                reason: "the hard link has no target",
            })?
            .into_owned();
        let escapes = || ArchiveError::LinkEscapes {
            entry: name.to_owned(),
            target: raw_target.display().to_string(),
        };
        // Hard link targets are archive paths, relative to the root.
        let source = match sanitize_inner(&raw_target) {
            Ok(Some(source)) => source,
            Ok(None) | Err(_) => return Err(escapes()),
        };
        if source == rel {
            return Err(ArchiveError::UnsafePath {
                entry: name.to_owned(),
                reason: "the hard link points to itself",
            });
        }
        // The source must be reached through real directories only.
        if let Some(parent) = source.parent() {
            let mut current = PathBuf::new();
            for component in parent.components() {
                current.push(component);
                if self.real_dirs.contains(&current) {
                    continue;
                }
                match fs::symlink_metadata(self.root.join(&current)) {
                    Ok(meta) if meta.is_dir() => {
                        self.real_dirs.insert(current.clone());
                    }
                    _ => return Err(escapes()),
                }
            }
        }
        let source_abs = self.root.join(&source);
        match fs::symlink_metadata(&source_abs) {
            Ok(meta) if meta.is_file() => {}
            Ok(_) => {
                return Err(ArchiveError::UnsafePath {
                    entry: name.to_owned(),
                    reason: "the hard link target is not a regular file",
                })
            }
            Err(err) => {
                return Err(io_error(
                    format!(
                        "hard link `{name}` -> `{}`: cannot find the target",
                        raw_target.display()
                    ),
                    err,
                ))
            }
        }
        let abs = self.prepare_parents(rel, name)?;
        self.clear_path(&abs)?;
        fs::hard_link(&source_abs, &abs)
            .map_err(|err| io_error(format!("cannot create hard link `{}`", abs.display()), err))?;
        self.summary.files += 1;
        Ok(())
    }
}

fn unsupported(name: &str, kind: &str) -> ArchiveError {
    ArchiveError::UnsupportedEntry {
        entry: name.to_owned(),
        kind: kind.to_owned(),
    }
}

/// Creates one directory (not its parents) with the given permission bits,
/// always keeping it writable by the owner.
fn create_dir(path: &Path, mode: u32) -> io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode((mode & 0o777) | 0o700);
    }
    #[cfg(not(unix))]
    let _ = mode;
    builder.create(path)
}

#[cfg(unix)]
fn create_symlink(target: &Path, link: &Path) -> io::Result<()> {
    std::os::unix::fs::symlink(target, link)
}

#[cfg(not(unix))]
fn create_symlink(_target: &Path, _link: &Path) -> io::Result<()> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "symbolic links are not supported on this platform",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::StreamExt;
    use std::io::Cursor;
    #[cfg(unix)]
    use std::os::unix::fs::PermissionsExt;

    // ----- helpers -------------------------------------------------------

    /// Appends an entry with raw name/link bytes, bypassing the tar crate's
    /// own path validation (which rejects `..` and absolute paths).
    fn raw_entry(
        builder: &mut tar::Builder<Vec<u8>>,
        name: &[u8],
        kind: EntryType,
        link: &[u8],
        data: &[u8],
    ) {
        let mut header = Header::new_gnu();
        {
            let old = header.as_old_mut();
            old.name[..name.len()].copy_from_slice(name);
            old.linkname[..link.len()].copy_from_slice(link);
        }
        header.set_entry_type(kind);
        header.set_size(data.len() as u64);
        header.set_mode(if kind == EntryType::Directory {
            0o755
        } else {
            0o644
        });
        header.set_mtime(1_700_000_000);
        header.set_cksum();
        builder.append(&header, data).unwrap();
    }

    /// Builds a gzip'd tar archive from `(name, kind, link, data)` entries.
    fn archive(entries: &[(&str, EntryType, &str, &[u8])]) -> Vec<u8> {
        let mut builder = tar::Builder::new(Vec::new());
        for (name, kind, link, data) in entries {
            raw_entry(&mut builder, name.as_bytes(), *kind, link.as_bytes(), data);
        }
        let tar = builder.into_inner().unwrap();
        let mut gz = GzEncoder::new(Vec::new(), Compression::fast());
        gz.write_all(&tar).unwrap();
        gz.finish().unwrap()
    }

    /// A temp dir with an (initially missing) extraction target inside it,
    /// so escapes land in the temp dir and can be checked.
    struct Sandbox {
        outer: tempfile::TempDir,
    }

    impl Sandbox {
        fn new() -> Self {
            Self {
                outer: tempfile::tempdir().unwrap(),
            }
        }
        fn outer(&self) -> &Path {
            self.outer.path()
        }
        fn target(&self) -> PathBuf {
            self.outer.path().join("a").join("target")
        }
        async fn extract(&self, bytes: Vec<u8>) -> Result<ExtractSummary, ArchiveError> {
            extract_tar_gz(Cursor::new(bytes), &self.target()).await
        }
        /// All paths in the outer dir except those below the target.
        fn outside_entries(&self) -> Vec<PathBuf> {
            let mut found = Vec::new();
            let mut stack = vec![self.outer().to_path_buf()];
            while let Some(dir) = stack.pop() {
                for entry in fs::read_dir(&dir).unwrap() {
                    let path = entry.unwrap().path();
                    if path == self.target() {
                        continue;
                    }
                    let meta = fs::symlink_metadata(&path).unwrap();
                    if meta.is_dir() {
                        stack.push(path.clone());
                    }
                    if path != self.outer().join("a") {
                        found.push(path);
                    }
                }
            }
            found
        }
    }

    fn entry_of(err: &ArchiveError) -> &str {
        match err {
            ArchiveError::UnsafePath { entry, .. }
            | ArchiveError::UnsupportedEntry { entry, .. }
            | ArchiveError::LinkEscapes { entry, .. } => entry,
            other => panic!("unexpected error: {other:?}"),
        }
    }

    // ----- sanitize_entry_path ------------------------------------------

    #[test]
    fn sanitize_strips_cur_dir_components() {
        assert_eq!(
            sanitize_entry_path(Path::new("./a/./b/")).unwrap(),
            PathBuf::from("a/b")
        );
    }

    #[test]
    fn sanitize_rejects_parent_dir_absolute_and_empty() {
        for bad in [
            "../x",
            "a/../../x",
            "a/..",
            "/etc/passwd",
            "/",
            "",
            ".",
            "./",
        ] {
            let err = sanitize_entry_path(Path::new(bad)).unwrap_err();
            assert!(
                matches!(err, ArchiveError::UnsafePath { .. }),
                "{bad}: {err:?}"
            );
        }
    }

    #[test]
    fn symlink_target_rules() {
        let ok =
            |link: &str, target: &str| symlink_target_is_inside(Path::new(link), Path::new(target));
        assert!(ok("link", "."));
        assert!(ok("link", "file"));
        assert!(ok("a/b/link", "../../file"));
        assert!(ok("a/link", "./x/y"));
        assert!(!ok("link", ".."));
        assert!(!ok("a/link", "../.."));
        assert!(!ok("link", "/etc"));
        assert!(!ok("link", ""));
        assert!(!ok("a/link", "x/../.."));
        assert!(!ok("a/link", "x/../y"), "`..` after a normal component");
    }

    // ----- refusals -------------------------------------------------------

    #[tokio::test]
    async fn refuses_parent_dir_entry() {
        let sb = Sandbox::new();
        let err = sb
            .extract(archive(&[("../evil", EntryType::Regular, "", b"pwned")]))
            .await
            .unwrap_err();
        assert!(matches!(err, ArchiveError::UnsafePath { .. }), "{err:?}");
        assert_eq!(entry_of(&err), "../evil");
        assert!(!sb.outer().join("a/evil").exists());
        assert!(sb.outside_entries().is_empty());
    }

    #[tokio::test]
    async fn refuses_nested_parent_dir_entry() {
        let sb = Sandbox::new();
        let err = sb
            .extract(archive(&[(
                "x/../../evil",
                EntryType::Regular,
                "",
                b"pwned",
            )]))
            .await
            .unwrap_err();
        assert!(matches!(err, ArchiveError::UnsafePath { .. }), "{err:?}");
        assert!(sb.outside_entries().is_empty());
    }

    #[tokio::test]
    async fn refuses_absolute_entry() {
        let sb = Sandbox::new();
        let victim = sb.outer().join("abs");
        let name = victim.to_str().unwrap().to_owned();
        let err = sb
            .extract(archive(&[(&name, EntryType::Regular, "", b"pwned")]))
            .await
            .unwrap_err();
        assert!(matches!(err, ArchiveError::UnsafePath { .. }), "{err:?}");
        assert_eq!(entry_of(&err), name);
        assert!(!victim.exists());
    }

    #[tokio::test]
    async fn refuses_symlink_to_absolute_path() {
        let sb = Sandbox::new();
        let err = sb
            .extract(archive(&[("a", EntryType::Symlink, "/etc", b"")]))
            .await
            .unwrap_err();
        match &err {
            ArchiveError::LinkEscapes { entry, target } => {
                assert_eq!(entry, "a");
                assert_eq!(target, "/etc");
            }
            other => panic!("{other:?}"),
        }
        assert!(fs::symlink_metadata(sb.target().join("a")).is_err());
    }

    #[tokio::test]
    async fn refuses_symlink_escaping_with_parent_dirs() {
        for (name, target) in [("d", ".."), ("x/d", "../.."), ("d", "../../..")] {
            let sb = Sandbox::new();
            let err = sb
                .extract(archive(&[(name, EntryType::Symlink, target, b"")]))
                .await
                .unwrap_err();
            assert!(
                matches!(err, ArchiveError::LinkEscapes { .. }),
                "{name} -> {target}: {err:?}"
            );
            assert!(fs::symlink_metadata(sb.target().join(name)).is_err());
        }
    }

    #[tokio::test]
    async fn refuses_symlink_escaping_through_another_link() {
        // `l -> .` is harmless, but `t -> l/..` would resolve to the parent
        // of the target directory.
        let sb = Sandbox::new();
        let err = sb
            .extract(archive(&[
                ("l", EntryType::Symlink, ".", b""),
                ("t", EntryType::Symlink, "l/..", b""),
            ]))
            .await
            .unwrap_err();
        assert!(matches!(err, ArchiveError::LinkEscapes { .. }), "{err:?}");
        assert_eq!(entry_of(&err), "t");
    }

    #[tokio::test]
    async fn accepts_symlinks_that_stay_inside() {
        let sb = Sandbox::new();
        let summary = sb
            .extract(archive(&[
                ("link", EntryType::Symlink, ".", b""),
                ("dir/", EntryType::Directory, "", b""),
                ("dir/up", EntryType::Symlink, "../file", b""),
                ("file", EntryType::Regular, "", b"hi"),
            ]))
            .await
            .unwrap();
        assert_eq!(summary.symlinks, 2);
        assert_eq!(
            fs::read_link(sb.target().join("link")).unwrap(),
            Path::new(".")
        );
        assert_eq!(fs::read(sb.target().join("dir/up")).unwrap(), b"hi");
    }

    #[tokio::test]
    async fn refuses_hard_link_outside() {
        let sb = Sandbox::new();
        fs::write(sb.outer().join("secret"), b"secret").unwrap();
        for target in ["../../secret", "/etc/passwd"] {
            let err = sb
                .extract(archive(&[("h", EntryType::Link, target, b"")]))
                .await
                .unwrap_err();
            match &err {
                ArchiveError::LinkEscapes { entry, target: t } => {
                    assert_eq!(entry, "h");
                    assert_eq!(t, target);
                }
                other => panic!("{target}: {other:?}"),
            }
            assert!(!sb.target().join("h").exists());
        }
    }

    #[tokio::test]
    async fn refuses_hard_link_through_symlinked_dir() {
        // `l -> .` stays inside, but hard-linking `l/../x`-style paths or
        // paths through links is refused.
        let sb = Sandbox::new();
        let err = sb
            .extract(archive(&[
                ("f", EntryType::Regular, "", b"data"),
                ("l", EntryType::Symlink, ".", b""),
                ("h", EntryType::Link, "l/f", b""),
            ]))
            .await
            .unwrap_err();
        assert!(matches!(err, ArchiveError::LinkEscapes { .. }), "{err:?}");
    }

    #[tokio::test]
    async fn refuses_hard_link_to_symlink() {
        let sb = Sandbox::new();
        let err = sb
            .extract(archive(&[
                ("d/", EntryType::Directory, "", b""),
                ("d/l", EntryType::Symlink, "../x", b""),
                ("h", EntryType::Link, "d/l", b""),
            ]))
            .await
            .unwrap_err();
        assert!(matches!(err, ArchiveError::UnsafePath { .. }), "{err:?}");
        assert_eq!(entry_of(&err), "h");
    }

    #[tokio::test]
    async fn extracts_hard_link_inside() {
        let sb = Sandbox::new();
        let summary = sb
            .extract(archive(&[
                ("d/f", EntryType::Regular, "", b"data"),
                ("h", EntryType::Link, "d/f", b""),
            ]))
            .await
            .unwrap();
        assert_eq!(summary.files, 2);
        assert_eq!(fs::read(sb.target().join("h")).unwrap(), b"data");
    }

    #[tokio::test]
    async fn refuses_fifo() {
        let sb = Sandbox::new();
        let err = sb
            .extract(archive(&[("pipe", EntryType::Fifo, "", b"")]))
            .await
            .unwrap_err();
        match &err {
            ArchiveError::UnsupportedEntry { entry, kind } => {
                assert_eq!(entry, "pipe");
                assert_eq!(kind, "fifo");
            }
            other => panic!("{other:?}"),
        }
        assert!(fs::symlink_metadata(sb.target().join("pipe")).is_err());
    }

    #[tokio::test]
    async fn refuses_char_device() {
        let sb = Sandbox::new();
        let err = sb
            .extract(archive(&[("null", EntryType::Char, "", b"")]))
            .await
            .unwrap_err();
        assert!(
            matches!(&err, ArchiveError::UnsupportedEntry { kind, .. } if kind == "character device"),
            "{err:?}"
        );
    }

    #[tokio::test]
    async fn refuses_block_device() {
        let sb = Sandbox::new();
        let err = sb
            .extract(archive(&[("sda", EntryType::Block, "", b"")]))
            .await
            .unwrap_err();
        assert!(
            matches!(&err, ArchiveError::UnsupportedEntry { kind, .. } if kind == "block device"),
            "{err:?}"
        );
    }

    #[tokio::test]
    async fn refuses_writing_through_extracted_symlink() {
        let sb = Sandbox::new();
        let err = sb
            .extract(archive(&[
                ("real/", EntryType::Directory, "", b""),
                ("sub", EntryType::Symlink, "real", b""),
                ("sub/x", EntryType::Regular, "", b"through the link"),
            ]))
            .await
            .unwrap_err();
        match &err {
            ArchiveError::UnsafePath { entry, reason } => {
                assert_eq!(entry, "sub/x");
                assert!(reason.contains("symbolic link"), "{reason}");
            }
            other => panic!("{other:?}"),
        }
        assert!(!sb.target().join("real/x").exists());
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn refuses_writing_through_preexisting_symlink() {
        let sb = Sandbox::new();
        let outside = sb.outer().join("outside");
        fs::create_dir_all(&outside).unwrap();
        fs::create_dir_all(sb.target()).unwrap();
        std::os::unix::fs::symlink(&outside, sb.target().join("ext")).unwrap();
        let err = sb
            .extract(archive(&[("ext/x", EntryType::Regular, "", b"pwned")]))
            .await
            .unwrap_err();
        assert!(matches!(err, ArchiveError::UnsafePath { .. }), "{err:?}");
        assert_eq!(fs::read_dir(&outside).unwrap().count(), 0);
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn replaces_existing_symlink_instead_of_following_it() {
        let sb = Sandbox::new();
        let victim = sb.outer().join("victim");
        fs::write(&victim, b"original").unwrap();
        fs::create_dir_all(sb.target()).unwrap();
        std::os::unix::fs::symlink(&victim, sb.target().join("f")).unwrap();
        sb.extract(archive(&[("f", EntryType::Regular, "", b"new")]))
            .await
            .unwrap();
        assert_eq!(fs::read(&victim).unwrap(), b"original");
        let meta = fs::symlink_metadata(sb.target().join("f")).unwrap();
        assert!(meta.is_file());
        assert_eq!(fs::read(sb.target().join("f")).unwrap(), b"new");
    }

    #[tokio::test]
    async fn overwriting_hard_linked_file_does_not_change_the_other_link() {
        let sb = Sandbox::new();
        sb.extract(archive(&[
            ("f", EntryType::Regular, "", b"one"),
            ("h", EntryType::Link, "f", b""),
            ("h", EntryType::Regular, "", b"two"),
        ]))
        .await
        .unwrap();
        assert_eq!(fs::read(sb.target().join("f")).unwrap(), b"one");
        assert_eq!(fs::read(sb.target().join("h")).unwrap(), b"two");
    }

    #[tokio::test]
    async fn corrupt_input_is_a_corrupt_error() {
        let sb = Sandbox::new();
        let err = sb
            .extract(b"definitely not gzip".to_vec())
            .await
            .unwrap_err();
        assert!(matches!(err, ArchiveError::Corrupt(_)), "{err:?}");
        // A truncated archive is noticed too.
        let mut bytes = archive(&[("f", EntryType::Regular, "", &[7u8; 10_000])]);
        bytes.truncate(bytes.len() / 2);
        let err = sb.extract(bytes).await.unwrap_err();
        assert!(matches!(err, ArchiveError::Corrupt(_)), "{err:?}");
    }

    #[tokio::test]
    async fn input_errors_are_io_errors_not_corrupt() {
        struct Failing;
        impl tokio::io::AsyncRead for Failing {
            fn poll_read(
                self: Pin<&mut Self>,
                _cx: &mut Context<'_>,
                _buf: &mut tokio::io::ReadBuf<'_>,
            ) -> Poll<io::Result<()>> {
                Poll::Ready(Err(io::Error::new(io::ErrorKind::ConnectionReset, "reset")))
            }
        }
        let sb = Sandbox::new();
        let err = extract_tar_gz(Failing, &sb.target()).await.unwrap_err();
        match err {
            ArchiveError::Io { source, .. } => {
                assert_eq!(source.kind(), io::ErrorKind::ConnectionReset)
            }
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn dot_slash_root_entry_is_skipped() {
        let sb = Sandbox::new();
        let summary = sb
            .extract(archive(&[
                ("./", EntryType::Directory, "", b""),
                ("./a", EntryType::Regular, "", b"x"),
            ]))
            .await
            .unwrap();
        assert_eq!(summary.dirs, 0);
        assert_eq!(summary.files, 1);
        assert_eq!(fs::read(sb.target().join("a")).unwrap(), b"x");
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn setuid_bits_are_dropped_and_huge_mtime_does_not_panic() {
        let mut builder = tar::Builder::new(Vec::new());
        let mut header = Header::new_gnu();
        header.set_path("suid").unwrap();
        header.set_size(1);
        header.set_mode(0o4755);
        header.set_mtime(u64::MAX >> 4);
        header.set_cksum();
        builder.append(&header, &b"x"[..]).unwrap();
        let mut gz = GzEncoder::new(Vec::new(), Compression::fast());
        gz.write_all(&builder.into_inner().unwrap()).unwrap();
        let sb = Sandbox::new();
        sb.extract(gz.finish().unwrap()).await.unwrap();
        let mode = fs::metadata(sb.target().join("suid"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o7000, 0);
    }

    // ----- creation -------------------------------------------------------

    fn write(path: &Path, data: &[u8]) {
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, data).unwrap();
    }

    async fn collect(stream: TarGzStream) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        let mut stream = stream;
        while let Some(chunk) = stream.next().await {
            out.extend_from_slice(&chunk?);
        }
        Ok(out)
    }

    /// Relative path -> description of every entry below `root`.
    fn snapshot(root: &Path) -> std::collections::BTreeMap<PathBuf, String> {
        let mut map = std::collections::BTreeMap::new();
        let mut stack = vec![root.to_path_buf()];
        while let Some(dir) = stack.pop() {
            for entry in fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                let rel = path.strip_prefix(root).unwrap().to_path_buf();
                let meta = fs::symlink_metadata(&path).unwrap();
                let desc = if meta.file_type().is_symlink() {
                    format!("link {}", fs::read_link(&path).unwrap().display())
                } else if meta.is_dir() {
                    stack.push(path.clone());
                    "dir".to_owned()
                } else {
                    #[cfg(unix)]
                    let mode = meta.permissions().mode() & 0o777;
                    #[cfg(not(unix))]
                    let mode = 0;
                    format!("file {mode:o} {:?}", fs::read(&path).unwrap())
                };
                map.insert(rel, desc);
            }
        }
        map
    }

    #[tokio::test]
    async fn round_trip_preserves_tree_and_applies_excludes() {
        let src = tempfile::tempdir().unwrap();
        let s = src.path();
        write(&s.join("a.txt"), b"alpha");
        write(&s.join("nested/deep/b.bin"), &[0, 1, 2, 255]);
        write(&s.join("nested/keep.txt"), b"keep");
        write(&s.join("run.sh"), b"#!/bin/sh\necho hi\n");
        fs::create_dir_all(s.join("empty")).unwrap();
        // Longer than the 100 bytes of a plain tar header.
        let long = format!("nested/{}/{}.txt", "d".repeat(90), "f".repeat(120));
        write(&s.join(&long), b"long name");
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(&long, s.join("long-link")).unwrap();
            fs::set_permissions(s.join("run.sh"), fs::Permissions::from_mode(0o755)).unwrap();
            std::os::unix::fs::symlink("nested/deep/b.bin", s.join("link")).unwrap();
            std::os::unix::fs::symlink("../a.txt", s.join("nested/up")).unwrap();
        }
        // Excluded below.
        write(&s.join("target/debug/big"), b"build output");
        write(&s.join("x.log"), b"log");
        write(&s.join("nested/deep/y.log"), b"log");
        write(&s.join(".git/HEAD"), b"ref");
        write(&s.join("nested/.git/config"), b"cfg");
        write(&s.join("docs/skip.pdf"), b"pdf");
        write(&s.join("docs/keep/inner.pdf"), b"pdf");
        let options = ArchiveOptions {
            exclude: vec![
                "target/**".into(),
                "*.log".into(),
                ".git".into(),
                "docs/*.pdf".into(),
            ],
        };
        let bytes = collect(tar_gz_stream(s, options)).await.unwrap();

        // Entry names are clean relative paths.
        let mut names = Vec::new();
        let mut listing = tar::Archive::new(flate2::read::GzDecoder::new(&bytes[..]));
        for entry in listing.entries().unwrap() {
            let entry = entry.unwrap();
            let path = entry.path().unwrap().into_owned();
            assert!(sanitize_entry_path(&path).is_ok(), "{}", path.display());
            names.push(path);
        }
        assert!(names.iter().any(|n| n == Path::new("nested/deep/b.bin")));

        let dst = tempfile::tempdir().unwrap();
        let summary = extract_tar_gz(Cursor::new(bytes), dst.path())
            .await
            .unwrap();

        let mut expected = snapshot(s);
        for excluded in [
            "target",
            "target/debug",
            "target/debug/big",
            "x.log",
            "nested/deep/y.log",
            ".git",
            ".git/HEAD",
            "nested/.git",
            "nested/.git/config",
            "docs/skip.pdf",
        ] {
            assert!(expected.remove(Path::new(excluded)).is_some(), "{excluded}");
        }
        assert_eq!(snapshot(dst.path()), expected);
        assert!(dst.path().join("docs/keep/inner.pdf").exists());
        #[cfg(unix)]
        assert_eq!(summary.symlinks, 3);
        assert_eq!(summary.files, 6);
        // nested, nested/deep, nested/ddd..., empty, docs, docs/keep
        assert_eq!(summary.dirs, 6);
    }

    #[tokio::test]
    async fn factory_builds_identical_streams() {
        let src = tempfile::tempdir().unwrap();
        write(&src.path().join("f"), b"data");
        let factory = tar_gz_stream_factory(src.path(), ArchiveOptions::default());
        let first = collect(factory()).await.unwrap();
        let second = collect(factory()).await.unwrap();
        assert_eq!(first, second);
        assert!(!first.is_empty());
    }

    #[tokio::test]
    async fn invalid_exclude_pattern_is_a_stream_error() {
        let src = tempfile::tempdir().unwrap();
        let options = ArchiveOptions {
            exclude: vec!["a[".into()],
        };
        let err = collect(tar_gz_stream(src.path(), options))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        assert!(err.to_string().contains("a["), "{err}");
    }

    #[tokio::test]
    async fn missing_source_dir_error_names_the_path() {
        let src = tempfile::tempdir().unwrap();
        let missing = src.path().join("nope");
        let err = collect(tar_gz_stream(&missing, ArchiveOptions::default()))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
        assert!(err.to_string().contains("nope"), "{err}");
    }

    #[tokio::test]
    async fn file_shrinking_mid_stream_fails_without_completing_the_archive() {
        const LEN: usize = 8 * 1024 * 1024;
        let src = tempfile::tempdir().unwrap();
        let path = src.path().join("a");
        write_random(&path, LEN);
        let mut stream = tar_gz_stream(src.path(), ArchiveOptions::default());
        let mut bytes = stream.next().await.unwrap().unwrap().to_vec();
        // Back-pressure keeps the producer within the first MiBs of the file.
        fs::OpenOptions::new()
            .write(true)
            .open(&path)
            .unwrap()
            .set_len(100)
            .unwrap();
        let err = loop {
            match stream.next().await {
                Some(Ok(chunk)) => bytes.extend_from_slice(&chunk),
                Some(Err(err)) => break err,
                None => panic!("stream ended without an error"),
            }
        };
        assert!(stream.next().await.is_none());
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
        assert!(err.to_string().contains(&*path.to_string_lossy()), "{err}");
        // No gzip trailer was written, so the output is not a valid archive.
        let mut decoded = Vec::new();
        assert!(flate2::read::GzDecoder::new(&bytes[..])
            .read_to_end(&mut decoded)
            .is_err());
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn unreadable_file_error_names_the_path() {
        let src = tempfile::tempdir().unwrap();
        let path = src.path().join("secret");
        write(&path, b"x");
        fs::set_permissions(&path, fs::Permissions::from_mode(0o000)).unwrap();
        if fs::File::open(&path).is_ok() {
            // Running as root: permissions are not enforced.
            return;
        }
        let err = collect(tar_gz_stream(src.path(), ArchiveOptions::default()))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::PermissionDenied);
        assert!(err.to_string().contains("secret"), "{err}");
    }

    #[test]
    fn shrinking_file_is_an_error() {
        let mut reader = ExactReader {
            inner: Cursor::new(vec![1u8; 10]),
            remaining: 20,
            progress: None,
        };
        let err = io::copy(&mut reader, &mut io::sink()).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
    }

    #[test]
    fn polling_outside_a_runtime_is_an_error_not_a_panic() {
        let mut stream = tar_gz_stream("/nonexistent", ArchiveOptions::default());
        let mut cx = Context::from_waker(std::task::Waker::noop());
        match Pin::new(&mut stream).poll_next(&mut cx) {
            Poll::Ready(Some(Err(err))) => assert!(err.to_string().contains("Tokio")),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn stream_is_send_sync_unpin_static() {
        fn check<T: Send + Sync + Unpin + 'static>(_: &T) {}
        check(&tar_gz_stream(".", ArchiveOptions::default()));
    }

    /// Writes `len` bytes of incompressible pseudo-random data.
    fn write_random(path: &Path, len: usize) {
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut data = Vec::with_capacity(len);
        while data.len() < len {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            data.extend_from_slice(&state.to_le_bytes());
        }
        data.truncate(len);
        fs::write(path, data).unwrap();
    }

    #[tokio::test]
    async fn stream_memory_is_bounded_by_backpressure() {
        const LEN: usize = 8 * 1024 * 1024;
        let src = tempfile::tempdir().unwrap();
        write_random(&src.path().join("random"), LEN);
        let progress = Arc::new(AtomicU64::new(0));
        let mut stream = TarGzStream::new(Job {
            dir: src.path().to_path_buf(),
            options: ArchiveOptions::default(),
            progress: Some(Arc::clone(&progress)),
        });
        let mut received = 0u64;
        let mut max_chunk = 0;
        let mut max_ahead = 0u64;
        let mut first_chunk_progress = None;
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.unwrap();
            let read = progress.load(Ordering::Relaxed);
            first_chunk_progress.get_or_insert(read);
            received += chunk.len() as u64;
            max_chunk = max_chunk.max(chunk.len());
            // Input read by the producer but not yet delivered to us: this
            // bounds what is buffered in between (random data does not
            // compress, so output bytes track input bytes).
            max_ahead = max_ahead.max(read.saturating_sub(received));
            if received == chunk.len() as u64 {
                // Stall once, giving an unbounded producer time to run far
                // ahead; a bounded one blocks on the full channel instead.
                std::thread::sleep(Duration::from_millis(1500));
            }
        }
        assert!(received >= LEN as u64);
        assert!(max_chunk <= CHUNK_SIZE, "max chunk {max_chunk}");
        assert!(
            max_ahead < 2 * 1024 * 1024,
            "producer ran {max_ahead} bytes ahead"
        );
        let first = first_chunk_progress.unwrap();
        assert!(
            first < LEN as u64 / 2,
            "first chunk only after {first} bytes were read"
        );
    }

    #[tokio::test]
    async fn large_sparse_file_streams_in_small_chunks() {
        const LEN: u64 = 200 * 1024 * 1024;
        let src = tempfile::tempdir().unwrap();
        fs::File::create(src.path().join("zeros"))
            .unwrap()
            .set_len(LEN)
            .unwrap();
        let mut stream = tar_gz_stream(src.path(), ArchiveOptions::default());
        let mut chunks = 0;
        let mut max_chunk = 0;
        let mut total = 0;
        let mut head = Vec::new();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.unwrap();
            chunks += 1;
            max_chunk = max_chunk.max(chunk.len());
            total += chunk.len();
            if head.len() < 4096 {
                head.extend_from_slice(&chunk);
            }
        }
        assert!(max_chunk <= CHUNK_SIZE, "max chunk {max_chunk}");
        assert!(chunks > 1, "output arrives in several chunks");
        assert!(total < 4 * 1024 * 1024, "zeros compress well: {total}");
        // The first header describes the whole file.
        let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(&head[..]));
        let mut entries = archive.entries().unwrap();
        let entry = entries.next().unwrap().unwrap();
        assert_eq!(entry.path().unwrap(), Path::new("zeros"));
        assert_eq!(entry.size(), LEN);
    }

    #[tokio::test]
    async fn dropping_the_stream_stops_the_producer() {
        const LEN: usize = 8 * 1024 * 1024;
        let src = tempfile::tempdir().unwrap();
        write_random(&src.path().join("random"), LEN);
        let progress = Arc::new(AtomicU64::new(0));
        let mut stream = TarGzStream::new(Job {
            dir: src.path().to_path_buf(),
            options: ArchiveOptions::default(),
            progress: Some(Arc::clone(&progress)),
        });
        stream.next().await.unwrap().unwrap();
        drop(stream);
        // The producer holds clones of `progress` until it returns.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while Arc::strong_count(&progress) > 1 {
            assert!(
                std::time::Instant::now() < deadline,
                "producer still running"
            );
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        assert!(progress.load(Ordering::Relaxed) < LEN as u64 / 2);
    }

    #[test]
    fn exclude_pattern_semantics() {
        let ex = Excluder::new(&[
            "*.log".into(),
            "/build".into(),
            "src/*.tmp".into(),
            "node_modules/".into(),
            "out/**".into(),
        ])
        .unwrap();
        let is = |p: &str| {
            let path = Path::new(p);
            ex.is_excluded(path, path.file_name().unwrap())
        };
        assert!(is("a.log") && is("deep/er/a.log"));
        assert!(is("build") && !is("sub/build"));
        assert!(is("src/x.tmp") && !is("src/a/x.tmp") && !is("x.tmp"));
        assert!(is("node_modules") && is("pkg/node_modules"));
        assert!(is("out") && is("out/a/b"));
        assert!(!is("src/main.rs"));
    }
}

//! Building a `tar.gz` stream of a directory.

use std::ffi::OsStr;
use std::fmt;
use std::fs;
use std::future::Future;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::{Bytes, BytesMut};
use flate2::write::GzEncoder;
use flate2::Compression;
use futures_util::Stream;
use tar::{EntryType, Header, HeaderMode};
use tokio::runtime::Handle;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::glob::Glob;
use super::{ArchiveOptions, CHUNK_SIZE};

/// Number of chunks that may wait in the channel between the archiving task
/// and the stream consumer.
const CHANNEL_CAPACITY: usize = 4;

/// The gzip level of [`tar_gz_stream`]: 2, chosen by measurement (BENCHMARKS.md, "Large
/// transfers"). On text-like data it compresses about 6x faster than the default level 6
/// for about 12% more output, so compression keeps up with networks several times faster
/// before the larger output costs more than the time it saves.
pub(crate) const COMPRESSION_LEVEL: u32 = 2;

/// Adds `path` to the message of an I/O error, keeping its kind.
fn with_path(err: io::Error, what: &str, path: &Path) -> io::Error {
    io::Error::new(err.kind(), format!("{what} `{}`: {err}", path.display()))
}

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

/// Like [`tar_gz_stream`], adding the bytes of file content read so far to `read`.
pub(crate) fn tar_gz_stream_counted(
    dir: PathBuf,
    options: ArchiveOptions,
    read: Arc<AtomicU64>,
) -> TarGzStream {
    TarGzStream::new(Job {
        dir,
        options,
        progress: Some(read),
    })
}

/// Checks `options`' exclude patterns (the error names the bad one).
pub(crate) fn check_excludes(options: &ArchiveOptions) -> io::Result<()> {
    Excluder::new(&options.exclude).map(|_| ())
}

/// Bytes of the regular files [`tar_gz_stream`] would archive from `dir` with `options`
/// (the same walk: excludes applied, symbolic links not followed), from their metadata.
pub(crate) fn tree_file_bytes(dir: &Path, options: &ArchiveOptions) -> io::Result<u64> {
    let excluder = Excluder::new(&options.exclude)?;
    let mut total = 0u64;
    let mut pending = vec![PathBuf::new()];
    while let Some(rel_dir) = pending.pop() {
        let abs_dir = dir.join(&rel_dir);
        let entries = fs::read_dir(&abs_dir)
            .map_err(|err| with_path(err, "cannot list directory", &abs_dir))?;
        for entry in entries {
            let entry = entry.map_err(|err| with_path(err, "cannot list directory", &abs_dir))?;
            let name = entry.file_name();
            let rel = rel_dir.join(&name);
            if excluder.is_excluded(&rel, &name) {
                continue;
            }
            let path = dir.join(&rel);
            let meta =
                fs::symlink_metadata(&path).map_err(|err| with_path(err, "cannot read", &path))?;
            if meta.is_dir() {
                pending.push(rel);
            } else if meta.is_file() {
                total = total.saturating_add(meta.len());
            }
        }
    }
    Ok(total)
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
    /// Counts the file bytes read so far (directory upload progress).
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
        let mut builder =
            tar::Builder::new(GzEncoder::new(writer, Compression::new(COMPRESSION_LEVEL)));
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
            append_entry(builder, &mut header, rel, None, io::empty())
                .map_err(|err| with_path(err, "cannot archive directory", &path))?;
            Ok(true)
        } else if file_type.is_file() {
            let Some((file, meta)) = open_regular(&path)? else {
                // Replaced since it was listed by something that is not a file: left out
                // as such things are.
                return Ok(false);
            };
            header.set_metadata_in_mode(&meta, HeaderMode::Complete);
            let reader = ExactReader {
                inner: file,
                remaining: meta.len(),
                progress: self.progress.clone(),
            };
            append_entry(builder, &mut header, rel, None, reader)
                .map_err(|err| with_path(err, "cannot archive file", &path))?;
            Ok(false)
        } else if file_type.is_symlink() {
            let target =
                fs::read_link(&path).map_err(|err| with_path(err, "cannot read link", &path))?;
            header.set_metadata_in_mode(&meta, HeaderMode::Complete);
            header.set_entry_type(EntryType::Symlink);
            header.set_size(0);
            append_entry(builder, &mut header, rel, Some(&target), io::empty())
                .map_err(|err| with_path(err, "cannot archive symbolic link", &path))?;
            Ok(false)
        } else {
            // Sockets, FIFOs and devices have no meaningful archived form.
            Ok(false)
        }
    }
}

/// Opens `path` for archiving if it is (still) a regular file, with the metadata of what
/// was opened: `None` when it is something else by now. The open follows no symbolic link
/// (one put there since the listing fails it) and does not wait (a file replaced by a pipe
/// would otherwise block the open until a writer came, forever).
fn open_regular(path: &Path) -> io::Result<Option<(fs::File, fs::Metadata)>> {
    let mut options = fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK | libc::O_NOFOLLOW);
    }
    let file = options
        .open(path)
        .map_err(|err| with_path(err, "cannot open", path))?;
    let meta = file
        .metadata()
        .map_err(|err| with_path(err, "cannot read", path))?;
    Ok(meta.is_file().then_some((file, meta)))
}

/// The bytes of the name field of a tar header.
const NAME_FIELD: usize = 100;

/// Appends an entry at `rel` (a symbolic link to `link`, if given) with `data`.
///
/// The `tar` crate writes a name too long for its header field as a GNU long-name record,
/// but also puts the name's UTF-8 prefix in the field, and refuses the entry when that
/// prefix is empty (a name starting with a byte that is not UTF-8). Such names are written
/// here as they are: the long-name record holds the raw bytes, as GNU tar writes them.
fn append_entry<W: Write, R: Read>(
    builder: &mut tar::Builder<W>,
    header: &mut Header,
    rel: &Path,
    link: Option<&Path>,
    data: R,
) -> io::Result<()> {
    let raw_path = rel.as_os_str().as_encoded_bytes();
    let raw_link = link.map(|l| l.as_os_str().as_encoded_bytes());
    let odd = |name: &[u8]| name.len() >= NAME_FIELD && std::str::from_utf8(name).is_err();
    if !odd(raw_path) && !raw_link.is_some_and(odd) {
        return match link {
            Some(target) => builder.append_link(header, rel, target),
            None => builder.append_data(header, rel, data),
        };
    }
    if raw_path.len() >= NAME_FIELD {
        append_long_name(builder, EntryType::GNULongName, raw_path)?;
        raw_field(&mut header.as_old_mut().name, raw_path);
    } else {
        header.set_path(rel)?;
    }
    if let (Some(target), Some(raw)) = (link, raw_link) {
        if raw.len() >= NAME_FIELD {
            append_long_name(builder, EntryType::GNULongLink, raw)?;
            raw_field(&mut header.as_old_mut().linkname, raw);
        } else {
            header.set_link_name(target)?;
        }
    }
    header.set_cksum();
    builder.append(header, data)
}

/// A GNU long-name (or long-link) record holding `name`, as the entry after it takes it.
fn append_long_name<W: Write>(
    builder: &mut tar::Builder<W>,
    kind: EntryType,
    name: &[u8],
) -> io::Result<()> {
    let mut record = Header::new_gnu();
    raw_field(&mut record.as_old_mut().name, b"././@LongLink");
    record.set_mode(0o644);
    record.set_uid(0);
    record.set_gid(0);
    record.set_mtime(0);
    record.set_size(
        u64::try_from(name.len())
            .unwrap_or(u64::MAX)
            .saturating_add(1),
    );
    record.set_entry_type(kind);
    record.set_cksum();
    builder.append(&record, name.chain(&[0u8][..]))
}

/// `field` holding as much of `bytes` as fits (NUL-padded).
fn raw_field(field: &mut [u8], bytes: &[u8]) {
    field.fill(0);
    let n = bytes.len().min(field.len());
    field[..n].copy_from_slice(&bytes[..n]);
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

/// `pattern` without its trailing spaces, except one escaped with `\` (as `.gitignore` reads
/// a line).
fn trim_unescaped_trailing_spaces(pattern: &str) -> &str {
    let mut end = pattern.len();
    while pattern[..end].ends_with(' ') {
        let before = &pattern[..end - 1];
        // An odd run of backslashes before the space escapes it.
        let backslashes = before.len() - before.trim_end_matches('\\').len();
        if backslashes % 2 == 1 {
            break;
        }
        end -= 1;
    }
    &pattern[..end]
}

/// Compiled [`ArchiveOptions::exclude`] patterns.
struct Excluder {
    /// Patterns matched against the whole relative path.
    paths: Vec<Glob>,
    /// Patterns matched against the file name only.
    names: Vec<Glob>,
}

impl Excluder {
    fn new(patterns: &[String]) -> io::Result<Self> {
        let mut paths = Vec::new();
        let mut names = Vec::new();
        for raw in patterns {
            let invalid = |err: super::glob::GlobError| {
                io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("invalid exclude pattern `{raw}`: {err}"),
                )
            };
            // Each `{…}` alternative is a pattern of its own, anchored (or not) by itself.
            for alternative in super::glob::expand_braces(raw).map_err(invalid)? {
                let trimmed = trim_unescaped_trailing_spaces(&alternative);
                // `/x` and `./x` both name `x` at the top of the tree.
                let anchored = trimmed.starts_with('/') || trimmed.starts_with("./");
                let mut pattern = trimmed.trim_start_matches('/').trim_end_matches('/');
                while let Some(rest) = pattern.strip_prefix("./") {
                    pattern = rest;
                }
                if pattern.is_empty() {
                    continue;
                }
                if anchored || pattern.contains('/') {
                    paths.push(Glob::new(pattern).map_err(invalid)?);
                    if let Some(dir) = pattern.strip_suffix("/**") {
                        if !dir.is_empty() {
                            paths.push(Glob::new(dir).map_err(invalid)?);
                        }
                    }
                } else {
                    names.push(Glob::new(pattern).map_err(invalid)?);
                }
            }
        }
        Ok(Self { paths, names })
    }

    /// Whether `rel` (relative to the source directory; its last component `name`) is left
    /// out. A name that is not UTF-8 is matched in its lossy form.
    fn is_excluded(&self, rel: &Path, name: &OsStr) -> bool {
        if !self.names.is_empty() {
            let name = name.to_string_lossy();
            if self.names.iter().any(|g| g.is_match(&name)) {
                return true;
            }
        }
        if self.paths.is_empty() {
            return false;
        }
        let rel = rel.to_string_lossy();
        // `/` as the separator on every platform.
        let rel = if std::path::MAIN_SEPARATOR == '/' {
            rel
        } else {
            rel.replace(std::path::MAIN_SEPARATOR, "/").into()
        };
        self.paths.iter().any(|g| g.is_match(&rel))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::archive::{extract_tar_gz, sanitize_entry_path};
    use futures_util::StreamExt;
    use std::io::Cursor;
    #[cfg(unix)]
    use std::os::unix::fs::PermissionsExt;
    use std::time::Duration;

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

    /// `gz` extracted by the system's `tar -xzf` into a new directory (`None`, and a note,
    /// when there is no `tar`); the extraction must succeed.
    fn system_tar_extract(gz: &[u8]) -> Option<tempfile::TempDir> {
        let dst = tempfile::tempdir().unwrap();
        let child = std::process::Command::new("tar")
            .arg("-xzf")
            .arg("-")
            .arg("-C")
            .arg(dst.path())
            .stdin(std::process::Stdio::piped())
            .spawn();
        let Ok(mut child) = child else {
            eprintln!("no system tar: skipped");
            return None;
        };
        child.stdin.take().unwrap().write_all(gz).unwrap();
        assert!(child.wait().unwrap().success());
        Some(dst)
    }

    #[cfg(feature = "mock")]
    #[tokio::test]
    async fn the_archive_extracts_with_the_system_tar() {
        let src = tempfile::tempdir().unwrap();
        let tree = crate::mock::GeneratedTree::new(120, 3_000_000).seed(8);
        tree.write_to(src.path()).unwrap();
        let bytes = collect(tar_gz_stream(src.path(), ArchiveOptions::default()))
            .await
            .unwrap();
        let Some(dst) = system_tar_extract(&bytes) else {
            return;
        };
        assert_eq!(snapshot(dst.path()), snapshot(src.path()));
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

    /// A file replaced by a pipe after the listing is left out without waiting for a writer,
    /// and one replaced by a symbolic link is not followed.
    #[cfg(unix)]
    #[test]
    fn a_file_replaced_after_the_listing_is_neither_waited_on_nor_followed() {
        let src = tempfile::tempdir().unwrap();
        let fifo = src.path().join("pipe");
        assert!(std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success());
        let (tx, rx) = std::sync::mpsc::channel();
        let path = fifo.clone();
        std::thread::spawn(move || {
            let _ = tx.send(open_regular(&path).map(|o| o.is_none()));
        });
        // (A hang guard, not a measurement: the open either returns or blocks forever.)
        let left_out = rx
            .recv_timeout(std::time::Duration::from_secs(30))
            .expect("the open returned");
        assert!(left_out.unwrap());
        write(&src.path().join("outside"), b"secret");
        std::os::unix::fs::symlink(src.path().join("outside"), src.path().join("link")).unwrap();
        assert!(open_regular(&src.path().join("link")).is_err());
        assert!(open_regular(&src.path().join("outside")).unwrap().is_some());
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn unreadable_file_error_names_the_path() {
        let src = tempfile::tempdir().unwrap();
        let path = src.path().join("secret");
        write(&path, b"x");
        fs::set_permissions(&path, fs::Permissions::from_mode(0o000)).unwrap();
        if fs::File::open(&path).is_ok() {
            // Running as root: permissions are not enforced, so the file is archived whole.
            let bytes = collect(tar_gz_stream(src.path(), ArchiveOptions::default()))
                .await
                .unwrap();
            let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(&bytes[..]));
            let sizes: Vec<(PathBuf, u64)> = archive
                .entries()
                .unwrap()
                .map(|e| {
                    let e = e.unwrap();
                    (e.path().unwrap().into_owned(), e.size())
                })
                .collect();
            assert!(sizes.contains(&(PathBuf::from("secret"), 1)), "{sizes:?}");
            return;
        }
        let err = collect(tar_gz_stream(src.path(), ArchiveOptions::default()))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::PermissionDenied);
        assert!(err.to_string().contains("secret"), "{err}");
    }

    /// Long names that are not UTF-8 are archived as they are (a GNU long-name record of
    /// the raw bytes); the `tar` crate alone cuts such a name to its UTF-8 prefix, which
    /// here is empty, and refuses it.
    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn long_names_that_are_not_utf8_are_archived_as_they_are() {
        use std::os::unix::ffi::{OsStrExt, OsStringExt};
        let dir = tempfile::tempdir().unwrap();
        let odd = std::ffi::OsStr::from_bytes(b"\xe9tudes");
        let long = "f".repeat(120);
        std::fs::create_dir(dir.path().join(odd)).unwrap();
        std::fs::write(dir.path().join(odd).join(&long), b"data").unwrap();
        let mut target = b"\xff".to_vec();
        target.extend(std::iter::repeat_n(b't', 150));
        let target = std::ffi::OsString::from_vec(target);
        std::os::unix::fs::symlink(&target, dir.path().join(odd).join("l".repeat(110))).unwrap();
        let gz = collect(tar_gz_stream(dir.path(), ArchiveOptions::default()))
            .await
            .unwrap();
        let mut ar = tar::Archive::new(flate2::read::GzDecoder::new(&gz[..]));
        let mut seen = std::collections::BTreeMap::new();
        for entry in ar.entries().unwrap() {
            let mut entry = entry.unwrap();
            let path = entry.path_bytes().into_owned();
            let link = entry.link_name_bytes().map(|l| l.into_owned());
            let mut data = Vec::new();
            entry.read_to_end(&mut data).unwrap();
            seen.insert(path, (link, data));
        }
        let mut file = b"\xe9tudes/".to_vec();
        file.extend(long.as_bytes());
        assert_eq!(seen.get(&file), Some(&(None, b"data".to_vec())), "{seen:?}");
        let mut link = b"\xe9tudes/".to_vec();
        link.extend("l".repeat(110).as_bytes());
        assert_eq!(
            seen.get(&link).map(|(l, _)| l.clone()),
            Some(Some(target.clone().into_vec())),
            "{seen:?}"
        );
        // GNU tar reads the records the same way.
        let Some(dst) = system_tar_extract(&gz) else {
            return;
        };
        let out = dst.path().join(odd);
        assert_eq!(std::fs::read(out.join(&long)).unwrap(), b"data");
        assert_eq!(
            std::fs::read_link(out.join("l".repeat(110))).unwrap(),
            target
        );
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

    /// Each `{…}` alternative is its own pattern: `{target/**,*.log}` is `target/**` (which
    /// also excludes `target`) and `*.log` (at any depth). A leading space is part of the
    /// name; trailing spaces are not, unless escaped (as in `.gitignore`).
    #[test]
    fn brace_alternatives_and_spaces_follow_the_rules_of_single_patterns() {
        let ex = Excluder::new(&[
            "{target/**,*.log}".into(),
            " draft".into(),
            "keep\\ ".into(),
            "x  ".into(),
        ])
        .unwrap();
        let is = |p: &str| {
            let path = Path::new(p);
            ex.is_excluded(path, path.file_name().unwrap())
        };
        assert!(is("target") && is("target/debug/a"));
        assert!(is("a.log") && is("src/deep/a.log"));
        assert!(is(" draft") && !is("draft"));
        assert!(is("keep ") && !is("keep"));
        assert!(is("x") && !is("x  "));
    }

    /// `./data` names the top-level `data`, as `/data` does, not every `data` below.
    #[test]
    fn a_leading_dot_slash_anchors_a_pattern() {
        let ex = Excluder::new(&["./data".into(), "././cache/".into()]).unwrap();
        let is = |p: &str| {
            let path = Path::new(p);
            ex.is_excluded(path, path.file_name().unwrap())
        };
        assert!(is("data") && !is("src/data"));
        assert!(is("cache") && !is("a/cache"));
    }
}

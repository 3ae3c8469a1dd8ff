//! Safe extraction of a `tar.gz` stream into a directory.

use std::collections::HashMap;
use std::fs;
use std::io::{self, Read, Write};
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, UNIX_EPOCH};

use flate2::read::MultiGzDecoder;
use tar::EntryType;
use tokio::io::AsyncRead;
use tokio::io::AsyncReadExt;
use tokio::runtime::Handle;
use tokio_util::sync::CancellationToken;

use super::limited::{LimitedTarReader, Refusal};
use super::{
    cancelled_error, io_error, quoted_path, sanitize_inner, unsafe_path, ArchiveError,
    ExtractLimits, ExtractSummary, CHUNK_SIZE,
};

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

/// Extracts a gzip-compressed tar stream into `target`, refusing anything
/// that could write outside of it.
///
/// The input is streamed through a blocking task; the archive is never held
/// in memory. `target` is created if missing. Must be called inside a Tokio
/// runtime. Dropping the returned future stops the extraction at its next
/// read of the input or of the decompressed archive (including while it
/// waits for input, skips the data of an entry, or drains the stream after
/// the end of the archive).
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
/// * character and block devices, FIFOs, sparse files (GNU `S` entries and
///   PAX `GNU.sparse.*` ones) and unknown entry types are refused —
///   [`ArchiveError::UnsupportedEntry`];
/// * the archive must stay within the default [`ExtractLimits`] (4 GiB of
///   data, a million entries, 4096-byte paths, 64 KiB metadata records),
///   checked before the offending entry or record is read —
///   [`ArchiveError::LimitExceeded`]; use [`extract_tar_gz_with`] for other
///   limits.
///
/// Names quoted in errors are cut after 200 characters.
///
/// File permissions are restored without setuid, setgid and sticky bits
/// (subject to the umask); directories always stay writable by the owner.
/// File modification times are restored; ownership is not.
pub async fn extract_tar_gz<R>(reader: R, target: &Path) -> Result<ExtractSummary, ArchiveError>
where
    R: AsyncRead + Unpin + Send + 'static,
{
    extract_tar_gz_with(reader, target, &ExtractLimits::default()).await
}

/// Like [`extract_tar_gz`], with the given [`ExtractLimits`] instead of the
/// defaults.
pub async fn extract_tar_gz_with<R>(
    reader: R,
    target: &Path,
    limits: &ExtractLimits,
) -> Result<ExtractSummary, ArchiveError>
where
    R: AsyncRead + Unpin + Send + 'static,
{
    let handle = Handle::try_current().map_err(|err| {
        io_error(
            "extract_tar_gz must run inside a Tokio runtime",
            io::Error::other(err),
        )
    })?;
    let cancel = CancellationToken::new();
    // Dropping the returned future cancels the blocking task, which checks
    // on every read (and stops waiting for input).
    let _cancel_on_drop = cancel.clone().drop_guard();
    let input_failed = Arc::new(AtomicBool::new(false));
    let output_seen = Arc::new(AtomicU64::new(0));
    let input = InputBridge {
        reader,
        handle: handle.clone(),
        cancel: cancel.clone(),
        failed: Arc::clone(&input_failed),
        output_seen: Arc::clone(&output_seen),
        last_output: 0,
        since_output: 0,
        total_input: 0,
    };
    let extractor = Extractor {
        root: target.to_path_buf(),
        cancel,
        input_failed,
        limits: limits.clone(),
        refusal: Arc::new(OnceLock::new()),
        known_dirs: KnownDirs::default(),
        disk_checks: 0,
        entries: 0,
        created_parents: 0,
        summary: ExtractSummary::default(),
        buf: Vec::new(),
    };
    handle
        .spawn_blocking(move || extractor.run(input, output_seen))
        .await
        .map_err(ArchiveError::Task)?
}

/// Most bytes the extractor's cache of known real directories may take
/// (names, and [`KNOWN_DIR_COST`] for each directory).
const MAX_KNOWN_DIRS_BYTES: usize = 1 << 20;

/// What one directory of [`KnownDirs`] costs beyond its name, about: the map
/// entry, its key's parent number and allocation.
const KNOWN_DIR_COST: usize = 48;

/// Directories known to be real (checked on disk, or created, by this
/// extraction) as a tree of path components: directory 0 is the root, and a
/// directory is found by its parent's number and its name. Looking a path up
/// hashes each component once, so the work grows with the path's length, not
/// with its length times its depth, and a chain as deep as the longest path
/// fits in the cache.
///
/// A directory is never replaced during the extraction, so what the cache
/// holds stays true, and a directory is only recorded after its parents. It
/// is only a cache: what is missing from it is checked on disk, and it is
/// emptied rather than allowed to grow past [`MAX_KNOWN_DIRS_BYTES`].
#[derive(Default)]
struct KnownDirs {
    /// Parent number (little-endian) and name → number.
    children: HashMap<Box<[u8]>, u32>,
    /// What the entries cost, as [`MAX_KNOWN_DIRS_BYTES`] counts it.
    bytes: usize,
    /// The key being looked up, reused.
    key: Vec<u8>,
}

impl KnownDirs {
    fn key(&mut self, parent: u32, name: &std::ffi::OsStr) {
        self.key.clear();
        self.key.extend_from_slice(&parent.to_le_bytes());
        self.key.extend_from_slice(name.as_encoded_bytes());
    }

    /// The number of the known directory `name` in `parent`.
    fn child(&mut self, parent: u32, name: &std::ffi::OsStr) -> Option<u32> {
        self.key(parent, name);
        self.children.get(self.key.as_slice()).copied()
    }

    /// Records `name` in `parent` as a real directory and returns its number;
    /// `None` when the cache was full (it is emptied, so numbers handed out
    /// before mean nothing any more).
    fn insert(&mut self, parent: u32, name: &std::ffi::OsStr) -> Option<u32> {
        if let Some(known) = self.child(parent, name) {
            return Some(known);
        }
        let cost = self.key.len().saturating_add(KNOWN_DIR_COST);
        let number = u32::try_from(self.children.len().saturating_add(1)).ok();
        match number {
            Some(number) if self.bytes.saturating_add(cost) <= MAX_KNOWN_DIRS_BYTES => {
                self.children.insert(self.key.as_slice().into(), number);
                self.bytes += cost;
                Some(number)
            }
            _ => {
                self.children.clear();
                self.bytes = 0;
                None
            }
        }
    }
}

/// Why a directory on the way to an entry is not a real directory.
enum NotADir {
    /// It is a symbolic link.
    Link,
    /// It is something else than a directory.
    Other,
    /// It does not exist (and was not to be created).
    Missing,
    /// It could not be inspected or created.
    Failed(ArchiveError),
}

/// The blocking extraction task's view of the caller's [`AsyncRead`]: each
/// read waits on the runtime until the input answers or the extraction is
/// cancelled, whichever comes first, and an input error is recorded to tell
/// transport errors from corrupt data.
struct InputBridge<R> {
    reader: R,
    handle: Handle,
    cancel: CancellationToken,
    failed: Arc<AtomicBool>,
    /// The bytes the decompressor gave out, counted by [`OutputSeen`].
    output_seen: Arc<AtomicU64>,
    /// `output_seen` at the last read.
    last_output: u64,
    /// Input bytes read since the decompressor last gave out any.
    since_output: u64,
    /// Input bytes read in all.
    total_input: u64,
}

/// The most compressed input read while the decompressor gives out nothing: 1 MiB. Gzip
/// makes no output only for member headers (at most about 192 KiB each), empty members and
/// empty blocks, none of which a real archive repeats for long; without this bound, a
/// server sending them endlessly would be read forever, since the limits count what comes
/// out.
const MAX_INPUT_WITHOUT_OUTPUT: u64 = 1 << 20;

/// The compressed input allowed for `output` decompressed bytes: the output, a sixty-fourth
/// more, and [`MAX_INPUT_WITHOUT_OUTPUT`]. Deflate's worst case (stored blocks) adds 5 bytes
/// per 64 KiB, gzip 18 bytes and its header fields per member; without this bound, input
/// that gives out one byte now and then (empty blocks between) would reset the count of
/// input without output each time and be read for ever.
fn max_input_for(output: u64) -> u64 {
    output
        .saturating_add(output / 64)
        .saturating_add(MAX_INPUT_WITHOUT_OUTPUT)
}

/// Counts the bytes the reader it wraps (the decompressor) gave out.
struct OutputSeen<R> {
    inner: R,
    seen: Arc<AtomicU64>,
}

impl<R: Read> Read for OutputSeen<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.seen.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

impl<R: AsyncRead + Unpin> Read for InputBridge<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.cancel.is_cancelled() {
            return Err(cancelled_error());
        }
        let Self {
            reader,
            handle,
            cancel,
            failed,
            ..
        } = self;
        let result = handle.block_on(async {
            tokio::select! {
                biased;
                () = cancel.cancelled() => Err(cancelled_error()),
                read = reader.read(buf) => read,
            }
        });
        if let Err(err) = &result {
            if err.kind() != io::ErrorKind::Interrupted {
                failed.store(true, Ordering::Relaxed);
            }
        }
        let n = result?;
        let output = self.output_seen.load(Ordering::Relaxed);
        if output != self.last_output {
            self.last_output = output;
            self.since_output = 0;
        }
        self.since_output = self.since_output.saturating_add(n as u64);
        self.total_input = self.total_input.saturating_add(n as u64);
        if self.total_input > max_input_for(output) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "{} bytes of compressed input for {output} bytes of output: more than \
                     any gzip stream needs",
                    self.total_input
                ),
            ));
        }
        if self.since_output > MAX_INPUT_WITHOUT_OUTPUT {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "more than {MAX_INPUT_WITHOUT_OUTPUT} bytes of compressed input that \
                     decompress to nothing (empty gzip members or blocks)"
                ),
            ));
        }
        Ok(n)
    }
}

struct Extractor {
    root: PathBuf,
    cancel: CancellationToken,
    input_failed: Arc<AtomicBool>,
    limits: ExtractLimits,
    /// Why the [`LimitedTarReader`] refused the archive, if it did.
    refusal: Arc<OnceLock<Refusal>>,
    /// Directories known to be real (not symbolic links).
    known_dirs: KnownDirs,
    /// Directories looked at on disk, because the cache did not know them.
    disk_checks: u64,
    /// Entries read from the archive so far.
    entries: u64,
    /// Missing parent directories created so far.
    created_parents: u64,
    summary: ExtractSummary,
    /// The copy buffer, reused from file to file.
    buf: Vec<u8>,
}

impl Extractor {
    fn run(
        mut self,
        reader: impl Read,
        output_seen: Arc<AtomicU64>,
    ) -> Result<ExtractSummary, ArchiveError> {
        fs::create_dir_all(&self.root).map_err(|err| {
            io_error(
                format!(
                    "cannot create extraction directory `{}`",
                    self.root.display()
                ),
                err,
            )
        })?;
        let mut archive = tar::Archive::new(LimitedTarReader::new(
            OutputSeen {
                inner: MultiGzDecoder::new(reader),
                seen: output_seen,
            },
            self.limits.clone(),
            Arc::clone(&self.refusal),
            self.cancel.clone(),
        ));
        let entries = archive.entries().map_err(|err| self.read_error(err))?;
        for entry in entries {
            self.check_cancelled()?;
            let mut entry = entry.map_err(|err| self.read_error(err))?;
            self.entries = self.entries.saturating_add(1);
            self.extract_entry(&mut entry)?;
        }
        // Read to the end of the gzip stream so its checksum is verified and
        // a truncated download is noticed.
        io::copy(&mut archive.into_inner(), &mut io::sink()).map_err(|err| self.read_error(err))?;
        Ok(self.summary)
    }

    fn check_cancelled(&self) -> Result<(), ArchiveError> {
        if self.cancel.is_cancelled() {
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
        if let Err(cancelled) = self.check_cancelled() {
            cancelled
        } else if let Some(refusal) = self.refusal.get() {
            refusal.to_error()
        } else if self.input_failed.load(Ordering::Relaxed) {
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
        let max_path = self.limits.max_path_bytes;
        let too_long = |bytes: Option<std::borrow::Cow<'_, [u8]>>| {
            bytes.is_some_and(|bytes| u64::try_from(bytes.len()).map_or(true, |n| n > max_path))
        };
        if too_long(Some(entry.path_bytes())) || too_long(entry.link_name_bytes()) {
            return Err(ArchiveError::LimitExceeded {
                limit: "max_path_bytes",
                max: max_path,
            });
        }
        let raw_path = entry.path().map_err(ArchiveError::Corrupt)?.into_owned();
        let name = quoted_path(&raw_path);
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
            EntryType::Regular | EntryType::Continuous => {
                self.extract_file(entry, &rel, &name, mode)
            }
            // Refused by `LimitedTarReader` before the tar crate expands it;
            // refused here too should it ever get through.
            EntryType::GNUSparse => Err(unsupported(&name, "GNU sparse file")),
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

    /// Counts a missing parent directory about to be created against
    /// [`ExtractLimits::max_entries`], like an entry: otherwise one entry with
    /// a deep path could create thousands of directories.
    fn count_created_parent(&mut self) -> Result<(), ArchiveError> {
        let max = self.limits.max_entries;
        if self.entries.saturating_add(self.created_parents) >= max {
            return Err(ArchiveError::LimitExceeded {
                limit: "max_entries",
                max,
            });
        }
        self.created_parents = self.created_parents.saturating_add(1);
        Ok(())
    }

    /// Records `rel`, a real directory whose parents were just checked, in the
    /// cache.
    fn remember_real_dir(&mut self, rel: &Path) {
        let mut node = Some(0);
        for component in rel.components() {
            node = node.and_then(|n| self.known_dirs.insert(n, component.as_os_str()));
        }
    }

    /// Checks that `dir` (relative to the root) and each directory above it is
    /// a real directory, through the cache; with `create`, missing ones are
    /// created (and counted, see [`Self::count_created_parent`]).
    fn check_dirs(&mut self, dir: &Path, create: bool) -> Result<(), NotADir> {
        let mut abs = self.root.clone();
        // The cache's number of the directory reached so far (None: the cache
        // was emptied during this walk, which goes on without it).
        let mut node = Some(0);
        for component in dir.components() {
            let name = component.as_os_str();
            abs.push(name);
            if let Some(known) = node.and_then(|n| self.known_dirs.child(n, name)) {
                node = Some(known);
                continue;
            }
            self.disk_checks = self.disk_checks.saturating_add(1);
            match fs::symlink_metadata(&abs) {
                Ok(meta) if meta.is_dir() => {}
                Ok(meta) if meta.file_type().is_symlink() => return Err(NotADir::Link),
                Ok(_) => return Err(NotADir::Other),
                Err(err) if err.kind() == io::ErrorKind::NotFound && create => {
                    self.count_created_parent().map_err(NotADir::Failed)?;
                    create_dir(&abs, 0o755).map_err(|err| {
                        NotADir::Failed(io_error(
                            format!("cannot create directory `{}`", abs.display()),
                            err,
                        ))
                    })?;
                }
                Err(err) if err.kind() == io::ErrorKind::NotFound => return Err(NotADir::Missing),
                Err(err) => {
                    return Err(NotADir::Failed(io_error(
                        format!("cannot inspect `{}`", abs.display()),
                        err,
                    )))
                }
            }
            node = node.and_then(|n| self.known_dirs.insert(n, name));
        }
        Ok(())
    }

    /// Makes sure every parent of `rel` is a real directory inside the root,
    /// creating missing ones, and returns the absolute path of `rel`.
    fn prepare_parents(&mut self, rel: &Path, name: &str) -> Result<PathBuf, ArchiveError> {
        if let Some(parent) = rel.parent() {
            self.check_dirs(parent, true).map_err(|why| match why {
                NotADir::Link => ArchiveError::UnsafePath {
                    entry: name.to_owned(),
                    reason: "a parent directory is a symbolic link",
                },
                NotADir::Other | NotADir::Missing => ArchiveError::UnsafePath {
                    entry: name.to_owned(),
                    reason: "a parent path exists and is not a directory",
                },
                NotADir::Failed(err) => err,
            })?;
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
        self.remember_real_dir(rel);
        self.summary.dirs = self.summary.dirs.saturating_add(1);
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
        let mut options = fs::OpenOptions::new();
        // `create_new` fails on any existing path, including a symbolic link
        // (dangling or not), so the file is never opened through a link.
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(mode & 0o777);
        }
        #[cfg(not(unix))]
        let _ = mode;
        let cannot_create = |err| io_error(format!("cannot create file `{}`", abs.display()), err);
        let mut file = match options.open(&abs) {
            Ok(file) => file,
            // Something is in the way: a file or link is replaced (a directory is
            // refused), then the file is created new again. Trying first saves a
            // lookup per file in the usual case, an empty target.
            Err(err) if err.kind() == io::ErrorKind::AlreadyExists => {
                self.clear_path(&abs)?;
                options.open(&abs).map_err(cannot_create)?
            }
            Err(err) => return Err(cannot_create(err)),
        };
        let mut buf = std::mem::take(&mut self.buf);
        buf.resize(CHUNK_SIZE, 0);
        let copied = self.copy_entry(entry, &mut file, &mut buf, &abs);
        self.buf = buf;
        if let Err(err) = copied {
            // A file cut short would look whole under its name (and the one it replaced is
            // gone already): it goes too. Entries before it stay.
            drop(file);
            let _ = fs::remove_file(&abs);
            return Err(err);
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
        self.summary.files = self.summary.files.saturating_add(1);
        Ok(())
    }

    /// Copies the data of `entry` into `file` through `buf`.
    fn copy_entry<R: Read>(
        &mut self,
        entry: &mut tar::Entry<'_, R>,
        file: &mut fs::File,
        buf: &mut [u8],
        abs: &Path,
    ) -> Result<(), ArchiveError> {
        let mut written = 0u64;
        loop {
            self.check_cancelled()?;
            let n = match entry.read(buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
                Err(err) => return Err(self.read_error(err)),
            };
            file.write_all(&buf[..n])
                .map_err(|err| io_error(format!("cannot write file `{}`", abs.display()), err))?;
            written = written.saturating_add(n as u64);
            self.summary.bytes = self.summary.bytes.saturating_add(n as u64);
        }
        // The entry reader ends quietly where the input does: an entry shorter than its
        // header says is an archive cut off.
        if written < entry.size() {
            return Err(ArchiveError::Corrupt(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!(
                    "the archive ends {} bytes into an entry of {}",
                    written,
                    entry.size()
                ),
            )));
        }
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
                target: quoted_path(&target),
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
        self.summary.symlinks = self.summary.symlinks.saturating_add(1);
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
            target: quoted_path(&raw_target),
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
            if self.check_dirs(parent, false).is_err() {
                return Err(escapes());
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
                        quoted_path(&raw_target)
                    ),
                    err,
                ))
            }
        }
        let abs = self.prepare_parents(rel, name)?;
        self.clear_path(&abs)?;
        fs::hard_link(&source_abs, &abs)
            .map_err(|err| io_error(format!("cannot create hard link `{}`", abs.display()), err))?;
        self.summary.files = self.summary.files.saturating_add(1);
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
    use flate2::write::GzEncoder;
    use flate2::Compression;
    use std::io::Cursor;
    #[cfg(unix)]
    use std::os::unix::fs::PermissionsExt;
    use std::pin::Pin;
    use std::task::{Context, Poll};
    use tar::Header;

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

    #[cfg(unix)]
    #[tokio::test]
    async fn replaces_a_dangling_symlink_instead_of_creating_its_target() {
        let sb = Sandbox::new();
        let victim = sb.outer().join("created-through-link");
        fs::create_dir_all(sb.target()).unwrap();
        std::os::unix::fs::symlink(&victim, sb.target().join("f")).unwrap();
        sb.extract(archive(&[("f", EntryType::Regular, "", b"new")]))
            .await
            .unwrap();
        assert!(!victim.exists());
        assert!(fs::symlink_metadata(sb.target().join("f"))
            .unwrap()
            .is_file());
        assert_eq!(fs::read(sb.target().join("f")).unwrap(), b"new");
    }

    #[tokio::test]
    async fn a_directory_where_a_file_goes_is_refused_and_kept() {
        let sb = Sandbox::new();
        fs::create_dir_all(sb.target().join("d/inner")).unwrap();
        let err = sb
            .extract(archive(&[("d", EntryType::Regular, "", b"x")]))
            .await
            .unwrap_err();
        assert!(matches!(err, ArchiveError::Io { .. }), "{err:?}");
        assert!(sb.target().join("d/inner").is_dir());
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

    // ----- limits ---------------------------------------------------------

    use crate::archive::test_tar::{gzip, sparse_bomb, RawTar};

    /// Total size of the regular files below `dir`.
    fn bytes_below(dir: &Path) -> u64 {
        let mut total = 0;
        let mut stack = vec![dir.to_path_buf()];
        while let Some(dir) = stack.pop() {
            let Ok(entries) = fs::read_dir(&dir) else {
                continue;
            };
            for entry in entries {
                let entry = entry.unwrap();
                let meta = fs::symlink_metadata(entry.path()).unwrap();
                if meta.is_dir() {
                    stack.push(entry.path());
                } else if meta.is_file() {
                    total += meta.len();
                }
            }
        }
        total
    }

    impl Sandbox {
        async fn extract_with(
            &self,
            bytes: Vec<u8>,
            limits: &ExtractLimits,
        ) -> Result<ExtractSummary, ArchiveError> {
            extract_tar_gz_with(Cursor::new(bytes), &self.target(), limits).await
        }
    }

    fn assert_limit(err: &ArchiveError, knob: &str, value: u64) {
        match err {
            ArchiveError::LimitExceeded { limit, max } => {
                assert_eq!((*limit, *max), (knob, value), "{err}");
                let text = err.to_string();
                assert!(text.contains(knob), "the message names the knob: {text}");
            }
            other => panic!("expected LimitExceeded {{ {knob} }}, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn gnu_sparse_bomb_is_refused_without_writing_anything() {
        let bomb = sparse_bomb("bomb", 1 << 30);
        assert!(bomb.len() < 200, "{} compressed bytes", bomb.len());
        let sb = Sandbox::new();
        let err = sb.extract(bomb).await.unwrap_err();
        match &err {
            ArchiveError::UnsupportedEntry { entry, kind } => {
                assert_eq!(entry, "bomb");
                assert!(kind.contains("sparse"), "{kind}");
            }
            other => panic!("{other:?}"),
        }
        assert!(fs::symlink_metadata(sb.target().join("bomb")).is_err());
        assert_eq!(bytes_below(sb.outer()), 0);
    }

    #[tokio::test]
    async fn pax_sparse_entry_is_refused() {
        let mut data = b"1\n1073741312\n512\n".to_vec();
        data.resize(512, 0);
        data.extend_from_slice(&[b'x'; 512]);
        let archive = RawTar::default()
            .pax(&[
                ("GNU.sparse.major", b"1"),
                ("GNU.sparse.minor", b"0"),
                ("GNU.sparse.name", b"big"),
                ("GNU.sparse.realsize", b"1073741824"),
            ])
            .file("GNUSparseFile.0/big", &data)
            .finish();
        let sb = Sandbox::new();
        let err = sb.extract(archive).await.unwrap_err();
        assert!(
            matches!(&err, ArchiveError::UnsupportedEntry { kind, .. } if kind.contains("sparse")),
            "{err:?}"
        );
        assert_eq!(bytes_below(sb.outer()), 0);
    }

    #[tokio::test]
    async fn long_name_record_over_the_header_record_limit_is_refused() {
        let archive = RawTar::default()
            .long_name(&vec![b'a'; 2 << 20])
            .file("x", b"data")
            .finish();
        let sb = Sandbox::new();
        let err = sb.extract(archive).await.unwrap_err();
        assert_limit(
            &err,
            "max_header_record_bytes",
            ExtractLimits::DEFAULT_MAX_HEADER_RECORD_BYTES,
        );
        assert!(err.to_string().len() < 300, "{err}");
        assert_eq!(bytes_below(sb.outer()), 0);
    }

    #[tokio::test]
    async fn long_link_record_over_the_header_record_limit_is_refused() {
        let archive = RawTar::default()
            .long_link(&vec![b'a'; 1 << 20])
            .entry("l", EntryType::Symlink, b"")
            .finish();
        let err = Sandbox::new().extract(archive).await.unwrap_err();
        assert_limit(
            &err,
            "max_header_record_bytes",
            ExtractLimits::DEFAULT_MAX_HEADER_RECORD_BYTES,
        );
    }

    #[tokio::test]
    async fn pax_record_over_the_header_record_limit_is_refused() {
        let archive = RawTar::default()
            .pax(&[("comment", &vec![b'c'; 1 << 20])])
            .file("x", b"data")
            .finish();
        let sb = Sandbox::new();
        let err = sb.extract(archive).await.unwrap_err();
        assert_limit(
            &err,
            "max_header_record_bytes",
            ExtractLimits::DEFAULT_MAX_HEADER_RECORD_BYTES,
        );
        assert!(!sb.target().join("x").exists());
    }

    #[tokio::test]
    async fn header_record_limit_can_be_lowered() {
        let archive = RawTar::default()
            .long_name(&[b'n'; 600])
            .file("x", b"data")
            .finish();
        let limits = ExtractLimits::default().max_header_record_bytes(512);
        let err = Sandbox::new()
            .extract_with(archive, &limits)
            .await
            .unwrap_err();
        assert_limit(&err, "max_header_record_bytes", 512);
    }

    #[tokio::test]
    async fn more_entries_than_the_limit_are_refused_after_the_allowed_ones() {
        let mut tar = RawTar::default();
        for i in 0..5 {
            tar.file(&format!("f{i}"), b"x");
        }
        let sb = Sandbox::new();
        let err = sb
            .extract_with(tar.finish(), &ExtractLimits::default().max_entries(3))
            .await
            .unwrap_err();
        assert_limit(&err, "max_entries", 3);
        for i in 0..3 {
            assert!(sb.target().join(format!("f{i}")).exists(), "f{i}");
        }
        assert!(!sb.target().join("f3").exists());
    }

    #[tokio::test]
    async fn metadata_records_do_not_count_as_entries() {
        let archive = RawTar::default()
            .pax(&[("mtime", b"1700000000")])
            .file("a", b"x")
            .long_name(b"a-name-longer-than-it-needs-to-be")
            .file("b", b"x")
            .pax(&[("path", b"c")])
            .long_link(b"a")
            .entry("d", EntryType::Symlink, b"")
            .finish();
        let sb = Sandbox::new();
        let summary = sb
            .extract_with(archive, &ExtractLimits::default().max_entries(3))
            .await
            .unwrap();
        assert_eq!((summary.files, summary.symlinks), (2, 1), "{summary:?}");
        assert!(sb
            .target()
            .join("a-name-longer-than-it-needs-to-be")
            .exists());
        assert_eq!(
            fs::read_link(sb.target().join("c")).unwrap(),
            Path::new("a")
        );
    }

    #[tokio::test]
    async fn entry_path_over_the_path_limit_is_refused() {
        let archive = RawTar::default()
            .long_name(&[b'p'; 5000])
            .file("x", b"data")
            .finish();
        let sb = Sandbox::new();
        let err = sb.extract(archive).await.unwrap_err();
        assert_limit(
            &err,
            "max_path_bytes",
            ExtractLimits::DEFAULT_MAX_PATH_BYTES,
        );
        assert_eq!(bytes_below(sb.outer()), 0);
    }

    #[tokio::test]
    async fn link_target_over_the_path_limit_is_refused() {
        let archive = RawTar::default()
            .long_link(&[b't'; 5000])
            .entry("l", EntryType::Symlink, b"")
            .finish();
        let sb = Sandbox::new();
        let err = sb.extract(archive).await.unwrap_err();
        assert_limit(
            &err,
            "max_path_bytes",
            ExtractLimits::DEFAULT_MAX_PATH_BYTES,
        );
        assert!(fs::symlink_metadata(sb.target().join("l")).is_err());
    }

    #[tokio::test]
    async fn path_of_exactly_the_path_limit_is_accepted() {
        let limits = ExtractLimits::default().max_path_bytes(10);
        let sb = Sandbox::new();
        sb.extract_with(RawTar::default().file("abcdefghij", b"x").finish(), &limits)
            .await
            .unwrap();
        let err = sb
            .extract_with(
                RawTar::default().file("abcdefghijk", b"x").finish(),
                &limits,
            )
            .await
            .unwrap_err();
        assert_limit(&err, "max_path_bytes", 10);
        assert!(!sb.target().join("abcdefghijk").exists());
    }

    #[tokio::test]
    async fn data_over_the_total_bytes_limit_is_refused_before_it_is_written() {
        let archive = RawTar::default()
            .file("a", &[1u8; 6000])
            .file("b", &[2u8; 6000])
            .finish();
        let sb = Sandbox::new();
        let err = sb
            .extract_with(archive, &ExtractLimits::default().max_total_bytes(10_000))
            .await
            .unwrap_err();
        assert_limit(&err, "max_total_bytes", 10_000);
        assert_eq!(fs::read(sb.target().join("a")).unwrap(), [1u8; 6000]);
        assert!(!sb.target().join("b").exists());
        assert_eq!(bytes_below(sb.outer()), 6000);
    }

    #[tokio::test]
    async fn data_after_the_end_of_the_archive_counts_toward_total_bytes() {
        let mut tar = RawTar::default().file("a", b"x").tar();
        tar.resize(tar.len() + (1 << 20), 0);
        let err = Sandbox::new()
            .extract_with(
                gzip(&tar),
                &ExtractLimits::default().max_total_bytes(64 * 1024),
            )
            .await
            .unwrap_err();
        assert_limit(&err, "max_total_bytes", 64 * 1024);
    }

    #[tokio::test]
    async fn pax_size_override_counts_toward_total_bytes() {
        // The PAX `size` replaces the header's size for the entry's data.
        let mut tar = RawTar::default();
        tar.pax(&[("size", b"20000")]);
        tar.push(
            &RawTar::header(b"big", EntryType::Regular, 0),
            &[7u8; 20000],
        );
        let sb = Sandbox::new();
        let limits = ExtractLimits::default().max_total_bytes(10_000);
        let err = sb.extract_with(tar.finish(), &limits).await.unwrap_err();
        assert_limit(&err, "max_total_bytes", 10_000);
        assert!(!sb.target().join("big").exists());
        // Within the limit, the override is honoured.
        let summary = sb
            .extract_with(tar.finish(), &ExtractLimits::default())
            .await
            .unwrap();
        assert_eq!(summary.bytes, 20000);
        assert_eq!(fs::read(sb.target().join("big")).unwrap(), [7u8; 20000]);
    }

    #[tokio::test]
    async fn entry_names_quoted_in_errors_are_truncated() {
        let name = "n".repeat(3000);
        let archive = RawTar::default()
            .long_name(name.as_bytes())
            .entry("x", EntryType::Fifo, b"")
            .finish();
        let err = Sandbox::new().extract(archive).await.unwrap_err();
        let shown = entry_of(&err);
        assert_eq!(shown, format!("{}…", "n".repeat(200)));
        assert!(err.to_string().len() < 400, "{err}");

        let target = format!("/{}", "t".repeat(3000));
        let archive = RawTar::default()
            .long_link(target.as_bytes())
            .entry("l", EntryType::Symlink, b"")
            .finish();
        let err = Sandbox::new().extract(archive).await.unwrap_err();
        match &err {
            ArchiveError::LinkEscapes { target, .. } => {
                assert_eq!(target.chars().count(), 201, "{target}");
                assert!(target.ends_with('…'));
            }
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn missing_parent_directories_count_toward_max_entries() {
        // 2 missing parents + the file: exactly the limit.
        let sb = Sandbox::new();
        let limits = ExtractLimits::default().max_entries(3);
        sb.extract_with(RawTar::default().file("a/b/f", b"x").finish(), &limits)
            .await
            .unwrap();
        // One entry that would create 2000 directories.
        let deep = "d/".repeat(2000) + "f";
        let archive = RawTar::default()
            .long_name(deep.as_bytes())
            .file("x", b"x")
            .finish();
        let sb = Sandbox::new();
        let limits = ExtractLimits::default().max_entries(50);
        let err = sb.extract_with(archive, &limits).await.unwrap_err();
        assert_limit(&err, "max_entries", 50);
        let mut depth = 0;
        let mut dir = sb.target();
        while dir.join("d").is_dir() {
            dir = dir.join("d");
            depth += 1;
        }
        assert_eq!(depth, 49, "directories created");
    }

    fn test_extractor(root: &Path) -> Extractor {
        Extractor {
            root: root.to_path_buf(),
            cancel: CancellationToken::new(),
            input_failed: Arc::new(AtomicBool::new(false)),
            limits: ExtractLimits::default(),
            refusal: Arc::new(OnceLock::new()),
            known_dirs: KnownDirs::default(),
            disk_checks: 0,
            entries: 0,
            created_parents: 0,
            summary: ExtractSummary::default(),
            buf: Vec::new(),
        }
    }

    #[cfg(unix)]
    #[test]
    fn known_directory_cache_stays_bounded() {
        let root = tempfile::tempdir().unwrap();
        let mut extractor = test_extractor(root.path());
        // 140 entries, each below 100 fresh nested directories with long
        // names: about 1.1 MB as the cache counts them.
        let mut cleared = false;
        for i in 0..140 {
            let mut rel = PathBuf::from(format!("top{i}"));
            for _ in 0..100 {
                rel.push("a".repeat(30));
            }
            rel.push("f");
            extractor.prepare_parents(&rel, "f").unwrap();
            let known = &extractor.known_dirs;
            assert!(
                known.bytes <= MAX_KNOWN_DIRS_BYTES,
                "{} bytes of known directories",
                known.bytes
            );
            cleared |= known.children.len() < 101 * (i + 1);
            let counted: usize = known
                .children
                .keys()
                .map(|k| k.len() + KNOWN_DIR_COST)
                .sum();
            assert_eq!(counted, known.bytes);
        }
        assert!(cleared, "the paths never reached the cache's bound");
        // Directories forgotten by the cache are still checked on disk.
        let mut through_link = PathBuf::from("top0");
        std::os::unix::fs::symlink(".", root.path().join("top0/link")).unwrap();
        through_link.push("link/f");
        let err = extractor.prepare_parents(&through_link, "f").unwrap_err();
        assert!(matches!(err, ArchiveError::UnsafePath { .. }), "{err:?}");
    }

    /// A chain of directories as deep as the longest path allows stays in the
    /// cache whole: entries below it are not checked on disk again, also when
    /// they alternate with another such chain (before, each entry checked all
    /// 1,500 directories again, hashing its path once per directory).
    #[cfg(unix)]
    #[test]
    fn a_deep_directory_chain_stays_known() {
        let root = tempfile::tempdir().unwrap();
        let mut extractor = test_extractor(root.path());
        let chain = |top: &str| {
            let mut deep = PathBuf::from(top);
            for _ in 1..1500 {
                deep.push("d");
            }
            deep
        };
        let (a, b) = (chain("a"), chain("b"));
        extractor.prepare_parents(&a.join("f0"), "f0").unwrap();
        extractor.prepare_parents(&b.join("f0"), "f0").unwrap();
        assert_eq!(extractor.disk_checks, 3000);
        for i in 1..200 {
            let name = format!("f{i}");
            extractor.prepare_parents(&a.join(&name), &name).unwrap();
            extractor.prepare_parents(&b.join(&name), &name).unwrap();
        }
        assert_eq!(extractor.disk_checks, 3000, "directories checked again");
        assert_eq!(extractor.created_parents, 3000);
    }

    #[test]
    fn limit_setters_replace_the_defaults() {
        let limits = ExtractLimits::default()
            .max_total_bytes(1)
            .max_entries(2)
            .max_path_bytes(3)
            .max_header_record_bytes(4);
        assert_eq!(
            (
                limits.max_total_bytes,
                limits.max_entries,
                limits.max_path_bytes,
                limits.max_header_record_bytes
            ),
            (1, 2, 3, 4)
        );
        let defaults = ExtractLimits::default();
        assert_eq!(defaults.max_total_bytes, 4 << 30);
        assert_eq!(defaults.max_entries, 1_000_000);
        assert_eq!(defaults.max_path_bytes, 4096);
        assert_eq!(defaults.max_header_record_bytes, 64 * 1024);
    }
}

#[cfg(test)]
mod cancellation_tests {
    use super::*;
    use crate::archive::test_tar::RawTar;
    use flate2::write::GzEncoder;
    use flate2::Compression;
    use std::pin::Pin;
    use std::sync::atomic::AtomicU64;
    use std::task::{Context, Poll};
    use tokio::io::ReadBuf;

    /// Uncompressed bytes added to the stream per refill.
    const REFILL: u64 = 1 << 20;

    /// A gzip stream of `prefix` followed by zeros without end, produced on
    /// demand. Counts the uncompressed bytes produced (the prefix included)
    /// and records its drop
    /// (which happens when the extraction task releases its input). With
    /// `stall`, it stops producing anything after the prefix, forever.
    struct EndlessGzip {
        encoder: GzEncoder<Vec<u8>>,
        prefix: Option<Vec<u8>>,
        out: Vec<u8>,
        pos: usize,
        stall: bool,
        produced: Arc<AtomicU64>,
        dropped: Arc<AtomicBool>,
    }

    impl Drop for EndlessGzip {
        fn drop(&mut self) {
            self.dropped.store(true, Ordering::SeqCst);
        }
    }

    impl AsyncRead for EndlessGzip {
        fn poll_read(
            self: Pin<&mut Self>,
            _cx: &mut Context<'_>,
            buf: &mut ReadBuf<'_>,
        ) -> Poll<io::Result<()>> {
            let this = self.get_mut();
            if this.pos == this.out.len() {
                if let Some(prefix) = this.prefix.take() {
                    this.encoder.write_all(&prefix)?;
                    this.produced
                        .fetch_add(prefix.len() as u64, Ordering::SeqCst);
                } else if this.stall {
                    // Never ready again, and never wakes the task.
                    return Poll::Pending;
                } else {
                    this.encoder.write_all(&[0u8; REFILL as usize])?;
                    this.produced.fetch_add(REFILL, Ordering::SeqCst);
                }
                this.encoder.flush()?;
                this.out = std::mem::take(this.encoder.get_mut());
                this.pos = 0;
            }
            let n = buf.remaining().min(this.out.len() - this.pos);
            buf.put_slice(&this.out[this.pos..this.pos + n]);
            this.pos += n;
            Poll::Ready(Ok(()))
        }
    }

    /// Starts extracting an endless stream after `prefix`, drops the
    /// extraction once it has read `read_before_drop` bytes, and checks that
    /// reading stops: the input is released, having produced at most a few
    /// refills after the drop.
    async fn assert_dropping_stops_reading(prefix: Vec<u8>, stall: bool, read_before_drop: u64) {
        let produced = Arc::new(AtomicU64::new(0));
        let dropped = Arc::new(AtomicBool::new(false));
        let input = EndlessGzip {
            encoder: GzEncoder::new(Vec::new(), Compression::fast()),
            prefix: Some(prefix),
            out: Vec::new(),
            pos: 0,
            stall,
            produced: Arc::clone(&produced),
            dropped: Arc::clone(&dropped),
        };
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("t");
        let mut extraction = Box::pin(extract_tar_gz(input, &target));
        while produced.load(Ordering::SeqCst) < read_before_drop {
            tokio::select! {
                result = &mut extraction => panic!("the extraction ended: {result:?}"),
                () = tokio::time::sleep(Duration::from_millis(2)) => {}
            }
        }
        drop(extraction);
        let at_drop = produced.load(Ordering::SeqCst);
        // Give the blocking task time to notice; it fails the test only if it
        // never does.
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while !dropped.load(Ordering::SeqCst) {
            assert!(
                std::time::Instant::now() < deadline,
                "the extraction is still reading: {} bytes since the drop",
                produced.load(Ordering::SeqCst) - at_drop
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let after = produced.load(Ordering::SeqCst) - at_drop;
        assert!(
            after <= 4 * REFILL,
            "{after} bytes were read after the drop"
        );
    }

    #[tokio::test]
    async fn dropping_the_extraction_stops_reading_inside_a_large_file() {
        let mut tar = RawTar::default();
        tar.push(&RawTar::header(b"big", EntryType::Regular, 3 << 30), b"");
        assert_dropping_stops_reading(tar.tar()[..512].to_vec(), false, 8 * REFILL).await;
    }

    #[tokio::test]
    async fn dropping_the_extraction_stops_reading_while_skipping_entry_data() {
        // The data of a directory entry is skipped, not written.
        let mut tar = RawTar::default();
        tar.push(&RawTar::header(b"d/", EntryType::Directory, 3 << 30), b"");
        assert_dropping_stops_reading(tar.tar()[..512].to_vec(), false, 8 * REFILL).await;
    }

    #[tokio::test]
    async fn dropping_the_extraction_stops_reading_after_the_end_of_the_archive() {
        let tar = RawTar::default().file("a", b"x").tar();
        assert_dropping_stops_reading(tar, false, 8 * REFILL).await;
    }

    #[tokio::test]
    async fn dropping_the_extraction_releases_an_input_that_never_answers() {
        let mut tar = RawTar::default();
        tar.push(&RawTar::header(b"big", EntryType::Regular, 3 << 30), b"");
        assert_dropping_stops_reading(tar.tar()[..512].to_vec(), true, 512).await;
    }
}

#[cfg(test)]
mod partial_entry_tests {
    use super::*;
    use crate::archive::test_tar::{gzip, RawTar};

    /// An archive cut off in the middle of a file that replaces one already in the target:
    /// the extraction fails, and what it leaves under that name is not a prefix of the new
    /// data that looks like a whole file (the file is gone, since the old one was replaced).
    #[tokio::test]
    async fn a_file_cut_off_in_the_archive_is_not_left_half_written() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("t");
        fs::create_dir(&target).unwrap();
        fs::write(target.join("config.json"), "ORIGINAL").unwrap();
        let mut tar = RawTar::default();
        tar.file("before.txt", b"kept");
        tar.push(
            &RawTar::header(b"config.json", EntryType::Regular, 1 << 20),
            &vec![b'n'; 100 * 1024],
        );
        // Cut: the declared megabyte never comes.
        let err = extract_tar_gz(std::io::Cursor::new(gzip(&tar.0)), &target)
            .await
            .unwrap_err();
        assert!(
            matches!(err, ArchiveError::Corrupt(_) | ArchiveError::Io { .. }),
            "{err:?}"
        );
        match fs::read(target.join("config.json")) {
            Err(e) => assert_eq!(e.kind(), io::ErrorKind::NotFound),
            Ok(data) => assert!(data == b"ORIGINAL", "{} bytes left", data.len()),
        }
        assert_eq!(fs::read(target.join("before.txt")).unwrap(), b"kept");
    }
}

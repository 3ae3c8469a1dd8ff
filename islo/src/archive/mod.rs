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
//! rules), and the archive is bounded by [`ExtractLimits`] (total data,
//! entries, path length, metadata record size), enforced on the raw tar
//! blocks before the `tar` crate reads them; [`extract_tar_gz_with`] takes
//! other limits.

use std::io;
use std::path::{Component, Path, PathBuf};

mod glob;
mod limited;
mod pack;
#[cfg(test)]
mod test_tar;
mod unpack;

pub(crate) use pack::{check_excludes, tar_gz_stream_counted, tree_file_bytes};
pub use pack::{tar_gz_stream, tar_gz_stream_factory, TarGzStream};
pub use unpack::{extract_tar_gz, extract_tar_gz_with};

/// Maximum size of one chunk yielded by [`TarGzStream`].
pub const CHUNK_SIZE: usize = 64 * 1024;

/// Options for [`tar_gz_stream`] and `Sandbox::upload_dir`.
///
/// ```
/// use islo::archive::ArchiveOptions;
/// let opts = ArchiveOptions::new().exclude("target/**").exclude(".git");
/// assert_eq!(opts.exclude, ["target/**", ".git"]);
/// ```
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct ArchiveOptions {
    /// Glob patterns of paths to leave out of the archive.
    ///
    /// Patterns are matched against paths relative to the source directory,
    /// with `/` as separator, in the spirit of `.gitignore`:
    ///
    /// * a pattern without `/` (`*.log`, `.git`, `node_modules`) matches a file
    ///   or directory name at any depth;
    /// * a pattern with a `/` (`target/**`, `docs/*.pdf`) or a leading `/` or `./`
    ///   (`/build`, `./build`) is matched against the whole relative path, and `*`
    ///   does not cross `/` (use `**` for that);
    /// * a trailing `/` is ignored, and `dir/**` also excludes `dir` itself;
    /// * a pattern that matches a directory excludes its whole subtree;
    /// * `?` is one character and `*` any run, neither crossing `/`; `**` as a whole
    ///   component crosses directories (`**/x`, `a/**/b`); `[a-z]`, `[!a-z]` classes;
    ///   `{rs,toml}` alternatives, each read by these rules as a pattern of its own
    ///   (`{target/**,*.log}` is `target/**` and `*.log`); `\` makes the next character
    ///   literal;
    /// * trailing spaces are ignored unless escaped (`name\ `); leading ones are part of
    ///   the pattern.
    ///
    /// A pattern that does not compile (an unclosed `[` or `{`) fails the upload with
    /// [`Error::Io`](crate::Error::Io) of kind `InvalidInput` before anything is sent. A
    /// file that cannot be read while the archive streams fails it with `Error::Io` too
    /// (naming the path; not retried).
    pub exclude: Vec<String>,
}

impl ArchiveOptions {
    /// Nothing excluded.
    pub fn new() -> Self {
        Self::default()
    }

    /// Leaves out paths matching `pattern` (see [`ArchiveOptions::exclude`](Self#structfield.exclude)).
    pub fn exclude(mut self, pattern: impl Into<String>) -> Self {
        self.exclude.push(pattern.into());
        self
    }
}

/// Counts of what [`extract_tar_gz`] wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
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

/// Bounds on what [`extract_tar_gz_with`] accepts from an archive.
///
/// Every bound holds for any input, including the metadata records that are
/// read into memory whole (PAX extended headers, GNU long names and long link
/// names): an archive that would exceed one is refused with
/// [`ArchiveError::LimitExceeded`], naming the knob to raise, before the
/// offending record or entry is read. The defaults suit ordinary source
/// trees and build outputs; raise them for larger trusted archives:
///
/// ```
/// use islo::archive::ExtractLimits;
///
/// let limits = ExtractLimits::default()
///     .max_total_bytes(16 << 30)
///     .max_entries(5_000_000);
/// assert_eq!(limits.max_total_bytes, 16 << 30);
/// assert_eq!(limits.max_path_bytes, ExtractLimits::DEFAULT_MAX_PATH_BYTES);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ExtractLimits {
    /// Most bytes of entry data the archive may carry in total (default
    /// [`Self::DEFAULT_MAX_TOTAL_BYTES`], 4 GiB).
    ///
    /// This bounds the file contents written, and also counts the data the
    /// extraction reads without writing it (metadata records, data attached
    /// to directory or link entries) and anything after the end-of-archive
    /// marker, so that it bounds the work done on the input as well.
    pub max_total_bytes: u64,
    /// Most entries the archive may hold (default
    /// [`Self::DEFAULT_MAX_ENTRIES`], 1,000,000). Files, directories and links
    /// count, and so does each missing parent directory created for an entry
    /// (so this also bounds the directories created); the metadata records
    /// describing an entry (PAX extended headers, GNU long names) do not.
    pub max_entries: u64,
    /// Longest entry path, or link target, in bytes (default
    /// [`Self::DEFAULT_MAX_PATH_BYTES`], 4096).
    pub max_path_bytes: u64,
    /// Largest metadata record that is read into memory whole: a PAX extended
    /// header, or a GNU long name or long link name (default
    /// [`Self::DEFAULT_MAX_HEADER_RECORD_BYTES`], 64 KiB).
    pub max_header_record_bytes: u64,
}

impl ExtractLimits {
    /// Default of [`Self::max_total_bytes`]: 4 GiB.
    pub const DEFAULT_MAX_TOTAL_BYTES: u64 = 4 << 30;
    /// Default of [`Self::max_entries`]: 1,000,000.
    pub const DEFAULT_MAX_ENTRIES: u64 = 1_000_000;
    /// Default of [`Self::max_path_bytes`]: 4096.
    pub const DEFAULT_MAX_PATH_BYTES: u64 = 4096;
    /// Default of [`Self::max_header_record_bytes`]: 64 KiB.
    pub const DEFAULT_MAX_HEADER_RECORD_BYTES: u64 = 64 * 1024;

    /// Sets [`Self::max_total_bytes`].
    #[must_use]
    pub fn max_total_bytes(mut self, max: u64) -> Self {
        self.max_total_bytes = max;
        self
    }

    /// Sets [`Self::max_entries`].
    #[must_use]
    pub fn max_entries(mut self, max: u64) -> Self {
        self.max_entries = max;
        self
    }

    /// Sets [`Self::max_path_bytes`].
    #[must_use]
    pub fn max_path_bytes(mut self, max: u64) -> Self {
        self.max_path_bytes = max;
        self
    }

    /// Sets [`Self::max_header_record_bytes`].
    #[must_use]
    pub fn max_header_record_bytes(mut self, max: u64) -> Self {
        self.max_header_record_bytes = max;
        self
    }
}

impl Default for ExtractLimits {
    fn default() -> Self {
        Self {
            max_total_bytes: Self::DEFAULT_MAX_TOTAL_BYTES,
            max_entries: Self::DEFAULT_MAX_ENTRIES,
            max_path_bytes: Self::DEFAULT_MAX_PATH_BYTES,
            max_header_record_bytes: Self::DEFAULT_MAX_HEADER_RECORD_BYTES,
        }
    }
}

/// Errors of [`extract_tar_gz`] and [`sanitize_entry_path`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ArchiveError {
    /// An entry path is absolute, contains `..`, is empty, or would be written
    /// through a symbolic link.
    #[error("refusing archive entry `{entry}`: {reason}")]
    UnsafePath {
        /// The entry path as stored in the archive, quoted (cut after 200 characters;
        /// line breaks and other controls escaped).
        entry: String,
        /// Why the entry was refused.
        reason: &'static str,
    },
    /// An entry of a type that is never extracted (device, FIFO, ...).
    #[error("refusing archive entry `{entry}`: unsupported entry type {kind}")]
    UnsupportedEntry {
        /// The entry path as stored in the archive, quoted (cut after 200 characters;
        /// line breaks and other controls escaped).
        entry: String,
        /// The entry type, e.g. `"fifo"` or `"character device"`.
        kind: String,
    },
    /// A symbolic or hard link whose target is (or may resolve) outside of the
    /// extraction directory.
    #[error("refusing link `{entry}` -> `{target}`: the link target is outside of the extraction directory")]
    LinkEscapes {
        /// The link's path as stored in the archive, quoted (as `entry` above).
        entry: String,
        /// The link target as stored in the archive, quoted the same way.
        target: String,
    },
    /// A file system operation or reading the input failed.
    #[error("{}", crate::error::shown(.context, 4096))]
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
    /// The archive exceeds one of the [`ExtractLimits`]; nothing of the
    /// offending entry or record was written.
    #[error("refusing the archive: it exceeds the extraction limit `{limit}` of {max} (raise `ExtractLimits::{limit}` to accept it)")]
    LimitExceeded {
        /// The exceeded limit, named as its [`ExtractLimits`] field, e.g.
        /// `"max_total_bytes"`.
        limit: &'static str,
        /// The value of that limit.
        max: u64,
    },
    /// The blocking extraction task panicked or was cancelled.
    #[error("the archive extraction task failed")]
    Task(#[source] tokio::task::JoinError),
}

pub(super) fn io_error(context: impl Into<String>, source: io::Error) -> ArchiveError {
    ArchiveError::Io {
        context: context.into(),
        source,
    }
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
pub(super) fn sanitize_inner(path: &Path) -> Result<Option<PathBuf>, &'static str> {
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

pub(super) fn unsafe_path(path: &Path, reason: &'static str) -> ArchiveError {
    ArchiveError::UnsafePath {
        entry: quoted_path(path),
        reason,
    }
}

/// The read error of an extraction that was cancelled (its future dropped).
/// Not [`io::ErrorKind::Interrupted`], which readers retry.
pub(super) fn cancelled_error() -> io::Error {
    io::Error::other("the archive extraction was cancelled")
}

/// Longest entry name, in characters, that an error quotes; longer names are
/// cut there and end with `…`.
const MAX_QUOTED_NAME_CHARS: usize = 200;

/// `name` as an error quotes it: at most [`MAX_QUOTED_NAME_CHARS`]
/// characters, then `…`, with each character that would act on a terminal
/// (a line break, an escape sequence, a bidirectional override) written as an
/// escape (the name is the server's text).
pub(super) fn quoted_name(name: &str) -> String {
    match name.char_indices().nth(MAX_QUOTED_NAME_CHARS) {
        None => crate::error::shown(name, usize::MAX).into_owned(),
        Some((cut, _)) => format!("{}…", crate::error::shown(&name[..cut], usize::MAX)),
    }
}

/// Raw name bytes as an error quotes them (see [`quoted_name`]); invalid
/// UTF-8 is replaced, and only the start of a long name is ever converted.
pub(super) fn quoted_bytes(name: &[u8]) -> String {
    // A character takes at most 4 bytes, so this keeps enough characters.
    let head = &name[..name.len().min(4 * MAX_QUOTED_NAME_CHARS + 4)];
    let text = String::from_utf8_lossy(head);
    if head.len() < name.len() && text.chars().count() <= MAX_QUOTED_NAME_CHARS {
        // The cut bytes held few characters: still mark that it was cut.
        return format!("{}…", crate::error::shown(&text, usize::MAX));
    }
    quoted_name(&text)
}

/// A path as an error quotes it (see [`quoted_name`]).
pub(super) fn quoted_path(path: &Path) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        quoted_bytes(path.as_os_str().as_bytes())
    }
    #[cfg(not(unix))]
    {
        quoted_name(&path.display().to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_names_are_cut_after_200_characters() {
        assert_eq!(quoted_name("short"), "short");
        let exact = "é".repeat(200);
        assert_eq!(quoted_name(&exact), exact);
        assert_eq!(quoted_name(&"é".repeat(201)), format!("{exact}…"));
        assert_eq!(quoted_bytes(&[b'a'; 5000]), format!("{}…", "a".repeat(200)));
        assert_eq!(quoted_bytes(b"bad\xffname"), "bad\u{fffd}name");
        let invalid = quoted_bytes(&[0xff; 5000]);
        assert!(
            invalid.chars().count() <= 201 && invalid.ends_with('…'),
            "{invalid}"
        );
        assert_eq!(
            quoted_path(Path::new(&"d/".repeat(300))).chars().count(),
            201
        );
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
}

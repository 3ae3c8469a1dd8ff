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

use std::io;
use std::path::{Component, Path, PathBuf};

mod pack;
mod unpack;

pub use pack::{tar_gz_stream, tar_gz_stream_factory, TarGzStream};
pub use unpack::extract_tar_gz;

/// Maximum size of one chunk yielded by [`TarGzStream`].
pub const CHUNK_SIZE: usize = 64 * 1024;

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
        entry: path.display().to_string(),
        reason,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

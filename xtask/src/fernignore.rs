//! `.fernignore`: the hand-written paths that `cargo xtask regen` must never write.
//!
//! One pattern per line, relative to the workspace root; blank lines and `#` comments are
//! skipped. A trailing `/` makes the pattern match a folder (and so everything under it);
//! without it a pattern matches a file of that name or a folder (and everything under it).
//! A pattern containing a `/` (other than a trailing one) is anchored at the root; one without
//! matches a file or folder of that name at any depth, like `.gitignore`. `*` and `?` glob
//! within one path segment and `**` spans segments. Matching ignores ASCII case so that a
//! case-insensitive file system cannot be used to slip past a pattern. `!` negations are
//! not supported and are ignored, which only ever protects more.

use std::path::Path;

/// The patterns of one `.fernignore` file.
#[derive(Debug, Clone, Default)]
pub struct FernIgnore {
    patterns: Vec<Pattern>,
}

#[derive(Debug, Clone)]
struct Pattern {
    /// The line as written (for error messages).
    raw: String,
    segments: Vec<String>,
    dir_only: bool,
    anchored: bool,
}

impl FernIgnore {
    /// The file name, at the workspace root.
    pub const FILE_NAME: &'static str = ".fernignore";

    /// Parses the text of a `.fernignore` file.
    pub fn parse(text: &str) -> Self {
        let mut patterns = Vec::new();
        for line in text.lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') || line.starts_with('!') {
                continue;
            }
            let dir_only = line.ends_with('/');
            let body = line.trim_end_matches('/');
            let anchored = body.starts_with('/') || body.contains('/');
            let segments: Vec<String> = body
                .trim_start_matches('/')
                .split('/')
                .filter(|s| !s.is_empty() && *s != ".")
                .map(str::to_ascii_lowercase)
                .collect();
            if segments.is_empty() {
                continue;
            }
            patterns.push(Pattern {
                raw: line.to_string(),
                segments,
                dir_only,
                anchored,
            });
        }
        Self { patterns }
    }

    /// Reads `<root>/.fernignore`; a missing file means no protected paths.
    pub fn load(root: &Path) -> std::io::Result<Self> {
        match std::fs::read_to_string(root.join(Self::FILE_NAME)) {
            Ok(text) => Ok(Self::parse(&text)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(e) => Err(e),
        }
    }

    /// Whether the pattern list is empty.
    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    /// The first pattern matching `rel`, a path relative to the workspace root with `/`
    /// separators (a leading `./` is ignored), or `None` if the path is not hand-written.
    pub fn matching_pattern(&self, rel: &str) -> Option<&str> {
        let lower = rel.to_ascii_lowercase();
        let path: Vec<&str> = lower
            .split('/')
            .filter(|s| !s.is_empty() && *s != ".")
            .collect();
        if path.is_empty() {
            return None;
        }
        self.patterns
            .iter()
            .find(|p| p.matches(&path))
            .map(|p| p.raw.as_str())
    }
}

impl Pattern {
    fn matches(&self, path: &[&str]) -> bool {
        let starts: Vec<usize> = if self.anchored {
            vec![0]
        } else {
            (0..path.len()).collect()
        };
        starts.into_iter().any(|start| {
            let rest = &path[start..];
            prefix_lengths(&self.segments, rest)
                .into_iter()
                // A folder pattern must match a folder: something must follow it.
                .any(|len| len >= 1 && (!self.dir_only || len < rest.len()))
        })
    }
}

/// The lengths of the prefixes of `path` that `pat` matches exactly.
fn prefix_lengths(pat: &[String], path: &[&str]) -> Vec<usize> {
    let Some((first, rest)) = pat.split_first() else {
        return vec![0];
    };
    let mut out = Vec::new();
    if first == "**" {
        for skip in 0..=path.len() {
            out.extend(
                prefix_lengths(rest, &path[skip..])
                    .into_iter()
                    .map(|n| n + skip),
            );
        }
    } else if let Some((seg, tail)) = path.split_first() {
        if glob(first.as_bytes(), seg.as_bytes()) {
            out.extend(prefix_lengths(rest, tail).into_iter().map(|n| n + 1));
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// `*` and `?` glob matching within one segment.
fn glob(pat: &[u8], s: &[u8]) -> bool {
    match pat.split_first() {
        None => s.is_empty(),
        Some((b'*', rest)) => (0..=s.len()).any(|i| glob(rest, &s[i..])),
        Some((b'?', rest)) => !s.is_empty() && glob(rest, &s[1..]),
        Some((c, rest)) => s.first() == Some(c) && glob(rest, &s[1..]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PROJECT: &str =
        "# comment\n\n.fernignore\nREADME.md\nislo/\nislo-generated/build.rs\nxtask/\n";

    #[test]
    fn folders_files_and_comments() {
        let f = FernIgnore::parse(PROJECT);
        assert_eq!(f.matching_pattern("README.md"), Some("README.md"));
        assert_eq!(f.matching_pattern("./README.md"), Some("README.md"));
        assert_eq!(f.matching_pattern(".fernignore"), Some(".fernignore"));
        assert_eq!(f.matching_pattern("islo/src/lib.rs"), Some("islo/"));
        assert_eq!(f.matching_pattern("islo/Cargo.toml"), Some("islo/"));
        assert_eq!(
            f.matching_pattern("islo-generated/build.rs"),
            Some("islo-generated/build.rs")
        );
        assert_eq!(f.matching_pattern("xtask/tests/e2e.rs"), Some("xtask/"));
        assert_eq!(f.matching_pattern("openapi/islo.json"), None);
        assert_eq!(f.matching_pattern("openapi/OPERATIONS.md"), None);
        assert_eq!(f.matching_pattern("islo-generated/src/lib.rs"), None);
        // `islo/` is a folder pattern: a file called `islo` is not inside it.
        assert_eq!(f.matching_pattern("islo"), None);
        // ... and it does not match a sibling with a longer name.
        assert_eq!(
            f.matching_pattern("islo-generated/normalize/src/lib.rs"),
            None
        );
        assert_eq!(f.matching_pattern("# comment"), None);
    }

    #[test]
    fn unanchored_names_match_at_any_depth_and_case_is_ignored() {
        let f = FernIgnore::parse("README.md\nsrc/\n");
        assert_eq!(f.matching_pattern("docs/README.md"), Some("README.md"));
        assert_eq!(f.matching_pattern("readme.MD"), Some("README.md"));
        assert_eq!(f.matching_pattern("a/src/lib.rs"), Some("src/"));
        assert_eq!(f.matching_pattern("a/src"), None);
        // A file pattern also covers a folder of that name.
        assert_eq!(f.matching_pattern("README.md/x"), Some("README.md"));
    }

    #[test]
    fn anchored_patterns_and_globs() {
        let f = FernIgnore::parse(
            "/Cargo.toml\nislo-generated/*.rs\ndocs/**/*.md\nfuzz/\n!README.md\n",
        );
        assert_eq!(f.matching_pattern("Cargo.toml"), Some("/Cargo.toml"));
        assert_eq!(f.matching_pattern("islo/Cargo.toml"), None);
        assert_eq!(
            f.matching_pattern("islo-generated/build.rs"),
            Some("islo-generated/*.rs")
        );
        assert_eq!(f.matching_pattern("islo-generated/src/lib.rs"), None);
        assert_eq!(f.matching_pattern("docs/a.md"), Some("docs/**/*.md"));
        assert_eq!(f.matching_pattern("docs/x/y/a.md"), Some("docs/**/*.md"));
        assert_eq!(f.matching_pattern("docs/a.txt"), None);
        assert_eq!(f.matching_pattern("fuzz/fuzz_targets/a.rs"), Some("fuzz/"));
        assert_eq!(
            f.matching_pattern("README.md"),
            None,
            "negations are skipped, not applied"
        );
    }

    #[test]
    fn empty_file_protects_nothing() {
        let f = FernIgnore::parse("# nothing\n\n");
        assert!(f.is_empty());
        assert_eq!(f.matching_pattern("README.md"), None);
    }
}

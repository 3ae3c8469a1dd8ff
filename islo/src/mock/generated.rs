//! Generated content: files of any size whose bytes are a function of a seed and a position,
//! produced on demand, so that the fake can serve a 1 GiB file or a tree of 10,000 files
//! without holding them in memory.

use std::io::{self, Read};
use std::sync::OnceLock;

/// Length of the text every generated file is cut from.
const CORPUS_LEN: usize = 1 << 20;

/// Bytes copied from one place of the corpus before jumping to another.
const SEGMENT: u64 = 4096;

/// Words the corpus is made of: something like source code and prose, so that generated
/// files compress about as well as real text does (about 3x with gzip's default level).
const WORDS: &[&str] = &[
    "the",
    "of",
    "and",
    "to",
    "in",
    "is",
    "for",
    "that",
    "with",
    "as",
    "on",
    "by",
    "this",
    "be",
    "are",
    "from",
    "or",
    "it",
    "an",
    "at",
    "not",
    "which",
    "can",
    "all",
    "if",
    "fn",
    "let",
    "mut",
    "pub",
    "struct",
    "impl",
    "self",
    "return",
    "match",
    "Some",
    "None",
    "Ok",
    "Err",
    "while",
    "loop",
    "use",
    "mod",
    "crate",
    "where",
    "type",
    "const",
    "static",
    "enum",
    "sandbox",
    "file",
    "path",
    "bytes",
    "stream",
    "archive",
    "request",
    "response",
    "client",
    "server",
    "error",
    "result",
    "value",
    "buffer",
    "length",
    "offset",
    "chunk",
    "token",
    "header",
    "body",
    "status",
    "limit",
    "count",
    "index",
    "entry",
    "directory",
    "upload",
    "download",
    "progress",
    "timeout",
    "retry",
    "config",
    "builder",
    "handle",
    "state",
    "=",
    "==",
    "=>",
    "->",
    "{",
    "}",
    "(",
    ")",
    ";",
    ",",
    ".",
    "::",
    "&",
    "*",
    "+",
    "-",
    "0",
    "1",
    "42",
    "1024",
    "65536",
    "u64",
    "usize",
    "String",
    "Vec",
    "Option",
    "Result",
    "io",
    "std",
];

/// A fixed text of [`CORPUS_LEN`] bytes built from [`WORDS`] with a fixed seed.
fn corpus() -> &'static [u8] {
    static CORPUS: OnceLock<Vec<u8>> = OnceLock::new();
    CORPUS.get_or_init(|| {
        let mut out = Vec::with_capacity(CORPUS_LEN + 64);
        let mut x = 0x243f_6a88_85a3_08d3u64;
        let mut column = 0;
        while out.len() < CORPUS_LEN {
            x = splitmix(x);
            let word = WORDS[(x % WORDS.len() as u64) as usize];
            out.extend_from_slice(word.as_bytes());
            column += word.len() + 1;
            if column > 60 + (x >> 58) as usize {
                out.push(b'\n');
                column = 0;
            } else {
                out.push(b' ');
            }
        }
        out.truncate(CORPUS_LEN);
        out
    })
}

/// SplitMix64: one step of a fast, well-mixed sequence.
fn splitmix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Where segment `segment` of the content of `seed` starts in the corpus.
fn segment_start(seed: u64, segment: u64) -> usize {
    let h = splitmix(seed ^ splitmix(segment));
    (h % (CORPUS_LEN as u64 - SEGMENT)) as usize
}

/// The content of a generated file: `len` bytes, determined by `seed` alone, produced as
/// they are read.
///
/// The fake serves files registered with
/// [`FakeIslo::put_generated_file`](super::FakeIslo::put_generated_file) (and the files of a
/// [`GeneratedTree`]) with this content; read one yourself to write the same bytes to disk
/// or to compute what a download must have produced. The bytes look like text (words,
/// spaces and line breaks, about 3x compressible with gzip) and are produced at memory-copy
/// speed: runs of 4 KiB cut from a fixed 1 MiB text at places chosen by the seed.
///
/// ```
/// use std::io::Read;
/// let mut a = Vec::new();
/// islo::mock::GeneratedContent::new(7, 10_000).read_to_end(&mut a).unwrap();
/// let mut b = vec![0; 10_000];
/// islo::mock::GeneratedContent::new(7, 10_000).fill(&mut b);
/// assert_eq!(a, b);
/// assert_eq!(a.len(), 10_000);
/// ```
#[derive(Debug, Clone)]
pub struct GeneratedContent {
    seed: u64,
    len: u64,
    pos: u64,
}

impl GeneratedContent {
    /// The content of a file of `len` bytes generated from `seed`, from its start.
    pub fn new(seed: u64, len: u64) -> Self {
        Self { seed, len, pos: 0 }
    }

    /// Bytes not read yet.
    pub fn remaining(&self) -> u64 {
        self.len - self.pos
    }

    /// Fills `buf` with the next bytes (fewer at the end of the content); returns how many.
    pub fn fill(&mut self, buf: &mut [u8]) -> usize {
        let corpus = corpus();
        let want = usize::try_from(self.remaining()).map_or(buf.len(), |r| r.min(buf.len()));
        let mut done = 0;
        while done < want {
            let segment = self.pos / SEGMENT;
            let within = (self.pos % SEGMENT) as usize;
            let start = segment_start(self.seed, segment) + within;
            let n = (SEGMENT as usize - within).min(want - done);
            buf[done..done + n].copy_from_slice(&corpus[start..start + n]);
            done += n;
            self.pos += n as u64;
        }
        done
    }
}

impl Read for GeneratedContent {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        Ok(self.fill(buf))
    }
}

/// One file of a [`GeneratedTree`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedEntry {
    /// Its path relative to the tree's directory (`/`-separated, e.g. `d0003/f000312.txt`).
    pub path: String,
    /// Its length in bytes.
    pub len: u64,
    /// The seed of its [`GeneratedContent`].
    pub seed: u64,
}

/// The shape of a directory tree of generated files, for
/// [`FakeIslo::put_generated_tree`](super::FakeIslo::put_generated_tree).
///
/// `files` files holding `total_bytes` bytes between them, in subdirectories of
/// `files_per_dir` files each (`d0000/f000000.txt`, `d0000/f000001.txt`, …). Sizes vary
/// around the mean (each pair of files shares twice the mean between them, split at a
/// point chosen by the seed) and add up to `total_bytes` exactly.
///
/// ```
/// use islo::mock::GeneratedTree;
/// let tree = GeneratedTree::new(10_000, 100_000_000).seed(1);
/// assert_eq!(tree.entries().count(), 10_000);
/// assert_eq!(tree.entries().map(|e| e.len).sum::<u64>(), 100_000_000);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedTree {
    /// Number of files.
    pub files: u64,
    /// Bytes of all files together.
    pub total_bytes: u64,
    /// Files per subdirectory (at least 1; default 100).
    pub files_per_dir: u64,
    /// Seed of the sizes and contents (default 0).
    pub seed: u64,
}

impl GeneratedTree {
    /// `files` files of `total_bytes` bytes in all, 100 per subdirectory, seed 0.
    pub fn new(files: u64, total_bytes: u64) -> Self {
        Self {
            files,
            total_bytes,
            files_per_dir: 100,
            seed: 0,
        }
    }

    /// Sets [`Self::files_per_dir`].
    #[must_use]
    pub fn files_per_dir(mut self, n: u64) -> Self {
        self.files_per_dir = n.max(1);
        self
    }

    /// Sets [`Self::seed`].
    #[must_use]
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// The files, in order.
    pub fn entries(&self) -> impl Iterator<Item = GeneratedEntry> + '_ {
        let mean = self.total_bytes.checked_div(self.files).unwrap_or(0);
        let per_dir = self.files_per_dir.max(1);
        (0..self.files).map(move |i| {
            let pair = splitmix(self.seed ^ splitmix(i / 2));
            let jitter = if mean == 0 { 0 } else { pair % mean };
            let len = if i + 1 == self.files {
                // The last file takes what is left (its pair's share, or the remainder).
                self.total_bytes - mean * i + if i % 2 == 1 { jitter } else { 0 }
            } else if i % 2 == 0 {
                mean - jitter
            } else {
                mean + jitter
            };
            GeneratedEntry {
                path: format!("d{:04}/f{i:06}.txt", i / per_dir),
                len,
                seed: splitmix(
                    self.seed
                        .wrapping_add(i)
                        .wrapping_mul(0x2545_f491_4f6c_dd1d),
                ),
            }
        })
    }

    /// Writes the tree below `dir` on the local file system (creating directories), with
    /// the same content the fake serves.
    ///
    /// # Errors
    ///
    /// Creating a directory or writing a file failed.
    pub fn write_to(&self, dir: &std::path::Path) -> io::Result<()> {
        let mut buf = vec![0u8; 1 << 16];
        for entry in self.entries() {
            let path = dir.join(&entry.path);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)?;
            }
            let mut file = io::BufWriter::new(std::fs::File::create(&path)?);
            let mut content = GeneratedContent::new(entry.seed, entry.len);
            loop {
                let n = content.fill(&mut buf);
                if n == 0 {
                    break;
                }
                io::Write::write_all(&mut file, &buf[..n])?;
            }
            io::Write::flush(&mut file)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_content_is_a_function_of_seed_and_position() {
        let mut whole = vec![0; 100_000];
        assert_eq!(GeneratedContent::new(3, 100_000).fill(&mut whole), 100_000);
        // Read in odd pieces: the same bytes.
        let mut pieces = Vec::new();
        let mut c = GeneratedContent::new(3, 100_000);
        let mut buf = [0u8; 777];
        loop {
            let n = c.fill(&mut buf);
            if n == 0 {
                break;
            }
            pieces.extend_from_slice(&buf[..n]);
        }
        assert_eq!(pieces, whole);
        let mut other = vec![0; 100_000];
        GeneratedContent::new(4, 100_000).fill(&mut other);
        assert_ne!(other, whole);
    }

    #[test]
    fn generated_content_compresses_like_text() {
        let mut data = vec![0; 4 << 20];
        GeneratedContent::new(1, data.len() as u64).fill(&mut data);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        io::Write::write_all(&mut gz, &data).unwrap();
        let ratio = data.len() as f64 / gz.finish().unwrap().len() as f64;
        assert!((2.0..6.0).contains(&ratio), "compression ratio {ratio}");
    }

    #[test]
    fn tree_sizes_add_up_for_odd_and_even_counts() {
        for files in [1, 2, 3, 10, 11, 999] {
            let tree = GeneratedTree::new(files, 1_000_003).seed(files);
            let entries: Vec<_> = tree.entries().collect();
            assert_eq!(entries.len() as u64, files);
            assert_eq!(entries.iter().map(|e| e.len).sum::<u64>(), 1_000_003);
        }
        assert_eq!(GeneratedTree::new(0, 0).entries().count(), 0);
    }
}

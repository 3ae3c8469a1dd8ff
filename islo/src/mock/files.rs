//! Multipart parsing, path normalisation and tar.gz packing for the
//! in-memory sandbox file systems.

use std::collections::BTreeMap;
use std::io::{Read, Write};

use bytes::Bytes;

use super::generated::GeneratedContent;

/// Normalises a sandbox path: relative paths are taken from `workdir`,
/// `.`/`..`/empty components are resolved. Always starts with `/` and never
/// ends with one (except the root itself).
pub(crate) fn normalize(path: &str, workdir: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    let base = if path.starts_with('/') { "" } else { workdir };
    for comp in base.split('/').chain(path.split('/')) {
        match comp {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            c => parts.push(c),
        }
    }
    let mut out = String::with_capacity(path.len() + 1);
    for p in &parts {
        out.push('/');
        out.push_str(p);
    }
    if out.is_empty() {
        out.push('/');
    }
    out
}

/// The boundary of a `multipart/form-data` content type.
pub(crate) fn boundary(content_type: &str) -> Option<String> {
    let (mime, params) = content_type.split_once(';')?;
    if !mime.trim().eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    for p in params.split(';') {
        let (k, v) = p.split_once('=')?;
        if k.trim().eq_ignore_ascii_case("boundary") {
            let v = v.trim();
            let v = v
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .unwrap_or(v);
            if !v.is_empty() {
                return Some(v.to_owned());
            }
        }
    }
    None
}

/// One part of a multipart body.
#[derive(Debug, Clone)]
pub(crate) struct Part {
    /// `name` of `Content-Disposition`.
    pub(crate) name: String,
    /// `filename` of `Content-Disposition`, if any.
    pub(crate) filename: Option<String>,
    /// The part's bytes.
    pub(crate) data: Bytes,
}

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if needle.is_empty() || hay.len() < needle.len() {
        return None;
    }
    let first = needle[0];
    let last_start = hay.len() - needle.len();
    let mut i = from;
    while i <= last_start {
        match hay[i..=last_start].iter().position(|&b| b == first) {
            None => return None,
            Some(off) => {
                let at = i + off;
                if &hay[at..at + needle.len()] == needle {
                    return Some(at);
                }
                i = at + 1;
            }
        }
    }
    None
}

/// A parameter (`name`, `filename`) of a `Content-Disposition` header value.
pub(crate) fn disposition_param(header: &str, key: &str) -> Option<String> {
    for p in header.split(';').skip(1) {
        let (k, v) = match p.split_once('=') {
            Some(kv) => kv,
            None => continue,
        };
        if k.trim().eq_ignore_ascii_case(key) {
            let v = v.trim();
            let v = v
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .unwrap_or(v);
            return Some(v.replace("\\\"", "\""));
        }
    }
    None
}

/// True when a delimiter ending at `at` is a real one: followed by `--`, or
/// by optional blanks and a line break.
fn delimiter_ends(body: &[u8], mut at: usize) -> bool {
    if body.get(at..at + 2) == Some(b"--") {
        return true;
    }
    while matches!(body.get(at), Some(b' ' | b'\t')) {
        at += 1;
    }
    matches!(body.get(at), Some(b'\r' | b'\n'))
}

/// Finds the next delimiter (`CRLF--boundary`, or `LF--boundary`) after
/// `from`: returns where the part data ends and where the delimiter starts.
fn find_delimiter(body: &[u8], delim: &[u8], from: usize) -> Option<(usize, usize)> {
    let mut i = from;
    loop {
        let at = find(body, delim, i)?;
        let (data_end, ok_prefix) = if at >= from + 2 && &body[at - 2..at] == b"\r\n" {
            (at - 2, true)
        } else if at > from && body[at - 1] == b'\n' {
            (at - 1, true)
        } else {
            (at, at == from)
        };
        if ok_prefix && delimiter_ends(body, at + delim.len()) {
            return Some((data_end, at));
        }
        i = at + 1;
    }
}

/// Parses a complete `multipart/form-data` body. Part data is sliced out of
/// `body` without copying.
pub(crate) fn parse_multipart(body: &Bytes, boundary: &str) -> Result<Vec<Part>, String> {
    let delim = format!("--{boundary}");
    let delim = delim.as_bytes();
    let mut pos = find(body, delim, 0).ok_or("multipart boundary not found")?;
    let mut parts = Vec::new();
    loop {
        pos += delim.len();
        if body.get(pos..pos + 2) == Some(b"--") {
            return Ok(parts);
        }
        // Skip transport padding and the CRLF after the delimiter.
        while matches!(body.get(pos), Some(b' ' | b'\t')) {
            pos += 1;
        }
        if body.get(pos..pos + 2) == Some(b"\r\n") {
            pos += 2;
        } else if body.get(pos) == Some(&b'\n') {
            pos += 1;
        } else {
            return Err("malformed multipart delimiter line".into());
        }
        let (head_end, sep_len) = match find(body, b"\r\n\r\n", pos) {
            Some(e) => (e, 4),
            None => (
                find(body, b"\n\n", pos).ok_or("multipart part without header end")?,
                2,
            ),
        };
        let head =
            std::str::from_utf8(&body[pos..head_end]).map_err(|_| "non-UTF-8 part headers")?;
        let mut name = None;
        let mut filename = None;
        for line in head.lines() {
            if let Some((k, v)) = line.split_once(':') {
                if k.trim().eq_ignore_ascii_case("content-disposition") {
                    name = disposition_param(v, "name");
                    filename = disposition_param(v, "filename");
                }
            }
        }
        let data_start = head_end + sep_len;
        let (data_end, next) = find_delimiter(body, delim, data_start)
            .ok_or("multipart closing boundary not found")?;
        parts.push(Part {
            name: name.unwrap_or_default(),
            filename,
            data: body.slice(data_start..data_end),
        });
        pos = next;
    }
}

/// One node of a sandbox's in-memory file system, keyed by its normalised
/// absolute path. Parent directories are implied by the paths below them and
/// need no node of their own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Node {
    /// A regular file.
    File {
        /// Its contents.
        data: Bytes,
        /// Permission bits (`0o644`, `0o755`, ...).
        mode: u32,
    },
    /// A directory (possibly empty).
    Dir {
        /// Permission bits.
        mode: u32,
    },
    /// A symbolic link.
    Symlink {
        /// The link target, as stored.
        target: String,
    },
    /// A regular file whose content is generated when it is read
    /// ([`GeneratedContent`]): nothing of it is held in memory.
    Generated {
        /// Its length.
        len: u64,
        /// The seed of its content.
        seed: u64,
        /// Permission bits.
        mode: u32,
    },
}

impl Node {
    /// A regular file with the usual `0o644` permissions.
    #[cfg(test)]
    pub(crate) fn file(data: Bytes) -> Self {
        Node::File { data, mode: 0o644 }
    }

    /// The contents of a regular file held in memory.
    #[cfg(test)]
    pub(crate) fn data(&self) -> Option<&Bytes> {
        match self {
            Node::File { data, .. } => Some(data),
            _ => None,
        }
    }

    /// The length of a regular file (held in memory or generated).
    pub(crate) fn file_len(&self) -> Option<u64> {
        match self {
            Node::File { data, .. } => Some(data.len() as u64),
            Node::Generated { len, .. } => Some(*len),
            _ => None,
        }
    }

    /// The contents of a regular file, generated ones produced in full.
    pub(crate) fn contents(&self) -> Option<Vec<u8>> {
        match self {
            Node::File { data, .. } => Some(data.to_vec()),
            Node::Generated { len, seed, .. } => {
                let mut out = vec![0; usize::try_from(*len).ok()?];
                GeneratedContent::new(*seed, *len).fill(&mut out);
                Some(out)
            }
            _ => None,
        }
    }

    /// The permission bits of a regular file.
    pub(crate) fn file_mode(&self) -> Option<u32> {
        match self {
            Node::File { mode, .. } | Node::Generated { mode, .. } => Some(*mode),
            _ => None,
        }
    }
}

/// A sandbox's in-memory file system.
pub(crate) type Fs = BTreeMap<String, Node>;

/// Permission bits kept from an archive entry (no setuid, setgid, sticky).
const MODE_BITS: u32 = 0o777;

/// Unpacks a tar.gz (or plain tar) archive under `dest` into `fs`: regular
/// files with their permissions, directories (empty ones included), symbolic
/// links, and hard links (as copies of their target). Other entry types are
/// skipped. `dest` itself becomes a directory if nothing is there. Returns
/// the number of entries stored.
pub(crate) fn unpack_archive(data: &[u8], dest: &str, fs: &mut Fs) -> Result<usize, String> {
    let gz = data.starts_with(&[0x1f, 0x8b]);
    let reader: Box<dyn Read + '_> = if gz {
        Box::new(flate2::read::GzDecoder::new(data))
    } else {
        Box::new(data)
    };
    let mut ar = tar::Archive::new(reader);
    let mut n = 0;
    let entries = ar.entries().map_err(|e| format!("bad archive: {e}"))?;
    fs.entry(dest.to_owned())
        .or_insert(Node::Dir { mode: 0o755 });
    for entry in entries {
        let mut entry = entry.map_err(|e| format!("bad archive entry: {e}"))?;
        let kind = entry.header().entry_type();
        let rel = entry
            .path()
            .map_err(|e| format!("bad entry path: {e}"))?
            .to_string_lossy()
            .into_owned();
        if rel.split('/').any(|c| c == "..") || rel.starts_with('/') {
            return Err(format!(
                "archive member {rel:?} escapes the target directory"
            ));
        }
        let path = normalize(&rel, dest);
        let mode = entry.header().mode().unwrap_or(0o644) & MODE_BITS;
        let link = || -> Result<String, String> {
            entry
                .link_name()
                .map_err(|e| format!("bad link name: {e}"))?
                .map(|l| l.to_string_lossy().into_owned())
                .ok_or_else(|| format!("link {rel:?} without a target"))
        };
        let node = match kind {
            tar::EntryType::Directory => Node::Dir { mode },
            tar::EntryType::Symlink => Node::Symlink { target: link()? },
            tar::EntryType::Link => {
                let source = normalize(&link()?, dest);
                match fs.get(&source) {
                    Some(node @ (Node::File { .. } | Node::Generated { .. })) => node.clone(),
                    _ => return Err(format!("hard link {rel:?} to a missing file")),
                }
            }
            kind if kind.is_file() => {
                let mut buf = Vec::new();
                entry
                    .read_to_end(&mut buf)
                    .map_err(|e| format!("bad archive data: {e}"))?;
                Node::File {
                    data: Bytes::from(buf),
                    mode,
                }
            }
            _ => continue,
        };
        if path == dest && !matches!(node, Node::Dir { .. }) {
            return Err(format!(
                "archive member {rel:?} replaces the target directory"
            ));
        }
        fs.insert(path, node);
        n += 1;
    }
    Ok(n)
}

/// The entries of an archive of `root`: the node at `root` alone when it is a file or a
/// symbolic link (named by its base name), or everything below the directory `root`
/// (paths relative to it, directories before their contents). `None` when nothing exists
/// there. Nodes are cloned: file data is shared, generated files are generated later.
pub(crate) fn archive_entries(fs: &Fs, root: &str) -> Option<Vec<(String, Node)>> {
    let mut entries = Vec::new();
    match fs.get(root) {
        Some(node @ (Node::File { .. } | Node::Generated { .. } | Node::Symlink { .. })) => {
            let base = root.rsplit('/').next().unwrap_or(root).to_owned();
            entries.push((base, node.clone()));
        }
        found => {
            let prefix = if root == "/" {
                "/".to_owned()
            } else {
                format!("{root}/")
            };
            for (p, node) in fs.range(prefix.clone()..) {
                match p.strip_prefix(&prefix) {
                    Some(rel) => entries.push((rel.to_owned(), node.clone())),
                    None => break,
                }
            }
            if entries.is_empty() && found.is_none() {
                return None;
            }
        }
    }
    Some(entries)
}

/// Writes `entries` as a tar.gz (gzip level 1) to `out`.
pub(crate) fn pack_entries<W: Write>(entries: &[(String, Node)], out: W) -> Result<W, String> {
    let gz = flate2::write::GzEncoder::new(out, flate2::Compression::fast());
    let mut builder = tar::Builder::new(gz);
    for (rel, node) in entries {
        let mut h = tar::Header::new_gnu();
        h.set_mtime(1_767_225_600);
        let appended = match node {
            Node::File { data, mode } => {
                h.set_entry_type(tar::EntryType::Regular);
                h.set_size(data.len() as u64);
                h.set_mode(*mode);
                builder.append_data(&mut h, rel, &data[..])
            }
            Node::Generated { len, seed, mode } => {
                h.set_entry_type(tar::EntryType::Regular);
                h.set_size(*len);
                h.set_mode(*mode);
                builder.append_data(&mut h, rel, GeneratedContent::new(*seed, *len))
            }
            Node::Dir { mode } => {
                h.set_entry_type(tar::EntryType::Directory);
                h.set_size(0);
                h.set_mode(*mode);
                builder.append_data(&mut h, rel, std::io::empty())
            }
            Node::Symlink { target } => {
                h.set_entry_type(tar::EntryType::Symlink);
                h.set_size(0);
                h.set_mode(0o777);
                builder.append_link(&mut h, rel, target)
            }
        };
        appended.map_err(|e| format!("tar: {e}"))?;
    }
    let gz = builder.into_inner().map_err(|e| format!("tar: {e}"))?;
    let mut out = gz.finish().map_err(|e| format!("gzip: {e}"))?;
    out.flush().map_err(|e| format!("gzip: {e}"))?;
    Ok(out)
}

/// Packs `root` into a tar.gz held in memory (see [`archive_entries`]).
#[cfg(test)]
pub(crate) fn pack_archive(fs: &Fs, root: &str) -> Result<Option<Vec<u8>>, String> {
    match archive_entries(fs, root) {
        Some(entries) => pack_entries(&entries, Vec::new()).map(Some),
        None => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_paths() {
        assert_eq!(normalize("a/b", "/workspace"), "/workspace/a/b");
        assert_eq!(normalize("/tmp//x/../y/", "/w"), "/tmp/y");
        assert_eq!(normalize("/", "/w"), "/");
    }

    #[test]
    fn multipart_round_trip() {
        let body = Bytes::from_static(
            b"--XyZ\r\nContent-Disposition: form-data; name=\"meta\"\r\n\r\nhi\r\n--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\nContent-Type: text/plain\r\n\r\nline1\r\n--XyZ-not\r\nend\r\n--XyZ--\r\n",
        );
        assert_eq!(
            boundary("multipart/form-data; boundary=\"XyZ\"").as_deref(),
            Some("XyZ")
        );
        let parts = parse_multipart(&body, "XyZ").unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[1].name, "file");
        assert_eq!(parts[1].filename.as_deref(), Some("a.txt"));
        assert_eq!(&parts[1].data[..], b"line1\r\n--XyZ-not\r\nend");
        assert!(parse_multipart(&Bytes::from_static(b"garbage"), "XyZ").is_err());
    }

    #[test]
    fn archive_round_trip() {
        let mut fs = Fs::new();
        fs.insert(
            "/w/d/a.txt".to_owned(),
            Node::file(Bytes::from_static(b"A")),
        );
        fs.insert(
            "/w/d/sub/b.txt".to_owned(),
            Node::file(Bytes::from_static(b"B")),
        );
        fs.insert("/w/dx".to_owned(), Node::file(Bytes::from_static(b"X")));
        let tgz = pack_archive(&fs, "/w/d").unwrap().unwrap();
        let mut out = Fs::new();
        assert_eq!(unpack_archive(&tgz, "/dst", &mut out).unwrap(), 2);
        assert_eq!(
            out.get("/dst/a.txt").and_then(Node::data).map(|b| &b[..]),
            Some(&b"A"[..])
        );
        assert_eq!(
            out.get("/dst/sub/b.txt")
                .and_then(Node::data)
                .map(|b| &b[..]),
            Some(&b"B"[..])
        );
        assert!(pack_archive(&fs, "/nope").unwrap().is_none());
    }

    #[test]
    fn archive_round_trip_keeps_directories_links_and_modes() {
        let mut fs = Fs::new();
        let node = |path: &str, node: Node| (format!("/w/d{path}"), node);
        let nodes = [
            node("", Node::Dir { mode: 0o755 }),
            node("/empty", Node::Dir { mode: 0o700 }),
            node("/empty/inner", Node::Dir { mode: 0o755 }),
            node(
                "/run.sh",
                Node::File {
                    data: Bytes::from_static(b"#!/bin/sh"),
                    mode: 0o755,
                },
            ),
            node(
                "/link",
                Node::Symlink {
                    target: "run.sh".into(),
                },
            ),
            node(
                &format!("/{}", "long/".repeat(30)),
                Node::Symlink {
                    target: "x".repeat(300),
                },
            ),
        ];
        fs.extend(nodes.iter().cloned());
        let tgz = pack_archive(&fs, "/w/d").unwrap().unwrap();
        let mut out = Fs::new();
        assert_eq!(unpack_archive(&tgz, "/w/d", &mut out).unwrap(), 5);
        let normalized: Fs = nodes
            .iter()
            .map(|(p, n)| (normalize(p, "/"), n.clone()))
            .collect();
        assert_eq!(out, normalized);
        // An empty directory packs into an empty archive, not "not found".
        let tgz = pack_archive(&fs, "/w/d/empty/inner").unwrap().unwrap();
        let mut out = Fs::new();
        assert_eq!(unpack_archive(&tgz, "/e", &mut out).unwrap(), 0);
        // A symbolic link packs alone, under its base name.
        let tgz = pack_archive(&fs, "/w/d/link").unwrap().unwrap();
        let mut out = Fs::new();
        unpack_archive(&tgz, "/l", &mut out).unwrap();
        assert_eq!(
            out.get("/l/link"),
            Some(&Node::Symlink {
                target: "run.sh".into()
            })
        );
    }
}

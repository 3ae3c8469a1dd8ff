//! The upload sink: multipart bodies consumed as they arrive, the file part counted,
//! checksummed and (for archives) decompressed and walked, then discarded. See
//! [`FakeIsloBuilder::discard_uploads_under`](super::FakeIsloBuilder::discard_uploads_under).

use std::io::{self, Write};

use memchr::memmem;

/// Longest header section of one multipart part.
const MAX_PART_HEADER_BYTES: usize = 16 * 1024;

/// Most parts one multipart body may have.
const MAX_PARTS: usize = 64;

/// What the fake saw of an upload it discarded (see
/// [`FakeIsloBuilder::discard_uploads_under`](super::FakeIsloBuilder::discard_uploads_under)).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DiscardedUpload {
    /// The sandbox it was sent to.
    pub sandbox: String,
    /// The target path, normalised (absolute, no `.`, `..` or trailing `/`).
    pub path: String,
    /// `true` for `upload_archive`, `false` for `upload_file`.
    pub archive: bool,
    /// Bytes of the file part (for an archive: the compressed archive as sent).
    pub bytes: u64,
    /// CRC-32 (IEEE, as gzip computes it; [`flate2::Crc`] gives the same) of those bytes.
    pub crc32: u32,
    /// For an archive: what it held.
    pub contents: Option<ArchiveContents>,
}

/// What a discarded archive held, counted while it was decompressed and walked.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ArchiveContents {
    /// Regular files (hard links included).
    pub files: u64,
    /// Directories.
    pub dirs: u64,
    /// Symbolic links.
    pub symlinks: u64,
    /// Bytes of file data, uncompressed.
    pub file_bytes: u64,
    /// Bytes of the uncompressed tar stream.
    pub tar_bytes: u64,
}

/// Where the multipart scanner is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// In the data of a part (the preamble counts as one that is ignored).
    Data,
    /// Reading a part's headers.
    Headers,
    /// After the closing delimiter: the epilogue is ignored.
    Done,
}

/// What follows a candidate delimiter.
enum After {
    /// Not enough bytes to tell.
    NeedMore,
    /// Not a delimiter (e.g. `--boundary-not`): data.
    NotDelimiter,
    /// `--`: the closing delimiter.
    Close,
    /// Blanks and a line break of this many bytes: a part starts after them.
    Part(usize),
}

/// Most blanks accepted between a delimiter and its line break.
const MAX_PADDING: usize = 1024;

fn after_delimiter(after: &[u8]) -> After {
    if after.len() < 2 {
        return After::NeedMore;
    }
    if after.starts_with(b"--") {
        return After::Close;
    }
    let blanks = after
        .iter()
        .take_while(|b| matches!(b, b' ' | b'\t'))
        .count();
    if blanks > MAX_PADDING {
        return After::NotDelimiter;
    }
    match after.get(blanks..blanks + 2) {
        Some(b"\r\n") => After::Part(blanks + 2),
        Some(_) => After::NotDelimiter,
        None => After::NeedMore,
    }
}

/// Receives the data of the file part.
pub(crate) trait FileSink {
    /// More bytes of the file part.
    fn data(&mut self, bytes: &[u8]) -> Result<(), String>;
}

/// Bytes of a new chunk scanned together with the held-back tail of the previous one.
const SEAM: usize = 4096;

/// A push parser of a `multipart/form-data` body: bytes go in as they arrive, the data of
/// the file part (the first part named `file`, or the first with a file name) comes out,
/// and nothing is held beyond a delimiter's length (and one part's headers, at most
/// 16 KiB).
pub(crate) struct MultipartScanner {
    /// `\r\n--boundary`.
    delimiter_len: usize,
    finder: memmem::Finder<'static>,
    phase: Phase,
    /// Bytes not consumed yet: the tail of the last chunk that could start a delimiter,
    /// or an incomplete header section.
    pending: Vec<u8>,
    /// Whether the current part is the file part.
    in_file: bool,
    /// Whether the file part has been seen.
    file_seen: bool,
    parts: usize,
}

impl MultipartScanner {
    /// A scanner for a body framed with `boundary`.
    pub(crate) fn new(boundary: &str) -> Self {
        let delimiter = format!("\r\n--{boundary}").into_bytes();
        Self {
            delimiter_len: delimiter.len(),
            finder: memmem::Finder::new(&delimiter).into_owned(),
            phase: Phase::Data,
            // The first delimiter may start the body: a line break before it makes it look
            // like every other one.
            pending: b"\r\n".to_vec(),
            in_file: false,
            file_seen: false,
            parts: 0,
        }
    }

    /// Whether a file part was found.
    pub(crate) fn file_seen(&self) -> bool {
        self.file_seen
    }

    /// Scans the next bytes of the body.
    pub(crate) fn push(&mut self, chunk: &[u8], sink: &mut dyn FileSink) -> Result<(), String> {
        let mut rest = chunk;
        // Bytes held back from the last chunk are scanned with the start of this one; the
        // rest of it is scanned where it lies, without a copy.
        while !self.pending.is_empty() && !rest.is_empty() {
            let held = self.pending.len();
            let take = rest.len().min(SEAM.max(held));
            let mut buf = std::mem::take(&mut self.pending);
            buf.extend_from_slice(&rest[..take]);
            let used = self.scan(&buf, sink)?;
            if used >= held {
                rest = &rest[used - held..];
                buf.clear();
            } else {
                buf.drain(..used);
                rest = &rest[take..];
            }
            self.pending = buf;
        }
        if self.pending.is_empty() {
            let used = self.scan(rest, sink)?;
            self.pending.extend_from_slice(&rest[used..]);
        }
        Ok(())
    }

    /// Scans `input`; returns how many bytes were consumed (the rest must be scanned again
    /// with more bytes after it).
    fn scan(&mut self, input: &[u8], sink: &mut dyn FileSink) -> Result<usize, String> {
        let mut pos = 0;
        loop {
            match self.phase {
                Phase::Done => return Ok(input.len()),
                Phase::Data => {
                    let Some(rel) = self.finder.find(&input[pos..]) else {
                        let keep = (self.delimiter_len - 1).min(input.len() - pos);
                        let end = input.len() - keep;
                        self.emit(&input[pos..end], sink)?;
                        return Ok(end);
                    };
                    let at = pos + rel;
                    match after_delimiter(&input[at + self.delimiter_len..]) {
                        After::NeedMore => {
                            self.emit(&input[pos..at], sink)?;
                            return Ok(at);
                        }
                        After::NotDelimiter => {
                            self.emit(&input[pos..=at], sink)?;
                            pos = at + 1;
                        }
                        After::Close => {
                            self.emit(&input[pos..at], sink)?;
                            self.phase = Phase::Done;
                            return Ok(input.len());
                        }
                        After::Part(skip) => {
                            self.emit(&input[pos..at], sink)?;
                            pos = at + self.delimiter_len + skip;
                            self.phase = Phase::Headers;
                            self.in_file = false;
                        }
                    }
                }
                Phase::Headers => match memmem::find(&input[pos..], b"\r\n\r\n") {
                    Some(rel) => {
                        self.parts += 1;
                        if self.parts > MAX_PARTS {
                            return Err(format!("more than {MAX_PARTS} multipart parts"));
                        }
                        let head = std::str::from_utf8(&input[pos..pos + rel])
                            .map_err(|_| "non-UTF-8 part headers".to_owned())?;
                        let (name, filename) = disposition(head);
                        let is_file = name.as_deref() == Some("file") || filename.is_some();
                        self.in_file = is_file && !self.file_seen;
                        self.file_seen |= is_file;
                        pos += rel + 4;
                        self.phase = Phase::Data;
                    }
                    None if input.len() - pos > MAX_PART_HEADER_BYTES => {
                        return Err(format!(
                            "multipart part headers longer than {MAX_PART_HEADER_BYTES} bytes"
                        ))
                    }
                    None => return Ok(pos),
                },
            }
        }
    }

    fn emit(&self, data: &[u8], sink: &mut dyn FileSink) -> Result<(), String> {
        if self.in_file && !data.is_empty() {
            sink.data(data)?;
        }
        Ok(())
    }

    /// Checks that the body ended with its closing delimiter.
    pub(crate) fn finish(&self) -> Result<(), String> {
        if self.phase == Phase::Done {
            Ok(())
        } else {
            Err("multipart closing boundary not found".into())
        }
    }
}

/// `name` and `filename` of a part's `Content-Disposition`.
fn disposition(head: &str) -> (Option<String>, Option<String>) {
    for line in head.split("\r\n") {
        if let Some((k, v)) = line.split_once(':') {
            if k.trim().eq_ignore_ascii_case("content-disposition") {
                return (
                    super::files::disposition_param(v, "name"),
                    super::files::disposition_param(v, "filename"),
                );
            }
        }
    }
    (None, None)
}

/// Size of a tar block.
const BLOCK: usize = 512;

/// Largest PAX extended header read (for its `size` record).
const MAX_PAX_BYTES: u64 = 64 * 1024;

/// Where the tar walker is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TarPhase {
    /// Expecting a header block.
    Header,
    /// Skipping `remaining` bytes of entry data and padding.
    Skip { remaining: u64 },
    /// Reading a PAX extended header of `remaining` bytes (then `padding`).
    Pax { remaining: u64, padding: u64 },
    /// After the end-of-archive marker.
    End,
}

/// A push walker of an uncompressed tar stream: counts entries and data without keeping
/// anything but one header block (and one PAX record of at most 64 KiB).
pub(crate) struct TarWalker {
    phase: TarPhase,
    block: Vec<u8>,
    pax: Vec<u8>,
    /// A size from a PAX `size` record, for the next entry.
    pax_size: Option<u64>,
    contents: ArchiveContents,
}

impl TarWalker {
    pub(crate) fn new() -> Self {
        Self {
            phase: TarPhase::Header,
            block: Vec::with_capacity(BLOCK),
            pax: Vec::new(),
            pax_size: None,
            contents: ArchiveContents::default(),
        }
    }

    /// What was counted, once the end-of-archive marker was seen.
    pub(crate) fn finish(&self) -> Result<ArchiveContents, String> {
        match self.phase {
            TarPhase::End => Ok(self.contents),
            _ => Err("the archive ends before its end-of-archive marker".into()),
        }
    }

    fn header(&mut self) -> Result<(), String> {
        let h = &self.block;
        if h.iter().all(|&b| b == 0) {
            self.phase = TarPhase::End;
            return Ok(());
        }
        let stored = octal(&h[148..156]).ok_or("bad tar header checksum field")?;
        let sum: u64 = h
            .iter()
            .enumerate()
            .map(|(i, &b)| {
                if (148..156).contains(&i) {
                    32
                } else {
                    u64::from(b)
                }
            })
            .sum();
        if sum != stored {
            return Err("tar header checksum mismatch".into());
        }
        let mut size = size_field(&h[124..136]).ok_or("bad tar size field")?;
        let kind = h[156];
        if let Some(s) = self.pax_size.take() {
            if !matches!(kind, b'x' | b'g' | b'L' | b'K') {
                size = s;
            }
        }
        let padded = size
            .div_ceil(BLOCK as u64)
            .checked_mul(BLOCK as u64)
            .ok_or("tar entry size too large")?;
        let data = match kind {
            b'0' | 0 | b'7' => {
                self.contents.files += 1;
                self.contents.file_bytes = self.contents.file_bytes.saturating_add(size);
                padded
            }
            b'1' => {
                self.contents.files += 1;
                padded
            }
            b'2' => {
                self.contents.symlinks += 1;
                padded
            }
            b'5' => {
                self.contents.dirs += 1;
                padded
            }
            b'x' => {
                if size > MAX_PAX_BYTES {
                    return Err("PAX header too large".into());
                }
                self.pax.clear();
                self.phase = TarPhase::Pax {
                    remaining: size,
                    padding: padded - size,
                };
                return Ok(());
            }
            b'g' | b'L' | b'K' => padded,
            other => return Err(format!("unsupported tar entry type {:?}", other as char)),
        };
        self.phase = TarPhase::Skip { remaining: data };
        Ok(())
    }

    fn pax_done(&mut self) {
        // Records are "<len> <key>=<value>\n".
        let mut rest = &self.pax[..];
        while let Some(space) = rest.iter().position(|&b| b == b' ') {
            let Some(len) = std::str::from_utf8(&rest[..space])
                .ok()
                .and_then(|l| l.parse::<usize>().ok())
                .filter(|&l| l > space && l <= rest.len())
            else {
                break;
            };
            let record = &rest[space + 1..len];
            if let Some(v) = record.strip_prefix(b"size=") {
                let v = v.strip_suffix(b"\n").unwrap_or(v);
                self.pax_size = std::str::from_utf8(v).ok().and_then(|v| v.parse().ok());
            }
            rest = &rest[len..];
        }
    }
}

impl Write for TarWalker {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut input = buf;
        while !input.is_empty() {
            match self.phase {
                TarPhase::End => break,
                TarPhase::Skip { remaining } => {
                    let n = usize::try_from(remaining).map_or(input.len(), |r| r.min(input.len()));
                    input = &input[n..];
                    self.phase = if remaining == n as u64 {
                        TarPhase::Header
                    } else {
                        TarPhase::Skip {
                            remaining: remaining - n as u64,
                        }
                    };
                }
                TarPhase::Pax { remaining, padding } => {
                    let n = usize::try_from(remaining).map_or(input.len(), |r| r.min(input.len()));
                    self.pax.extend_from_slice(&input[..n]);
                    input = &input[n..];
                    if remaining == n as u64 {
                        self.pax_done();
                        self.phase = TarPhase::Skip { remaining: padding };
                    } else {
                        self.phase = TarPhase::Pax {
                            remaining: remaining - n as u64,
                            padding,
                        };
                    }
                }
                TarPhase::Header => {
                    let n = (BLOCK - self.block.len()).min(input.len());
                    self.block.extend_from_slice(&input[..n]);
                    input = &input[n..];
                    if self.block.len() == BLOCK {
                        let result = self.header();
                        self.block.clear();
                        result.map_err(io::Error::other)?;
                    }
                }
            }
        }
        self.contents.tar_bytes += buf.len() as u64;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// An octal tar number field (NUL- or space-terminated).
fn octal(field: &[u8]) -> Option<u64> {
    let text = std::str::from_utf8(field).ok()?;
    let text = text.trim_matches(|c| c == ' ' || c == '\0');
    if text.is_empty() {
        return Some(0);
    }
    u64::from_str_radix(text, 8).ok()
}

/// A size field: octal, or GNU base-256 (high bit of the first byte set).
fn size_field(field: &[u8]) -> Option<u64> {
    if field[0] & 0x80 != 0 {
        let mut v: u64 = u64::from(field[0] & 0x7f);
        for &b in &field[1..] {
            v = v.checked_mul(256)?.checked_add(u64::from(b))?;
        }
        return Some(v);
    }
    octal(field)
}

/// Counts and checksums the file part and, for an archive, walks it.
pub(crate) struct Tally {
    pub(crate) bytes: u64,
    pub(crate) crc: flate2::Crc,
    pub(crate) archive: Option<flate2::write::MultiGzDecoder<TarWalker>>,
    /// Why the archive is refused: decoding stops there, counting goes on.
    archive_error: Option<String>,
}

impl Tally {
    pub(crate) fn new(archive: bool) -> Self {
        Self {
            bytes: 0,
            crc: flate2::Crc::new(),
            archive: archive.then(|| flate2::write::MultiGzDecoder::new(TarWalker::new())),
            archive_error: None,
        }
    }

    /// What the archive held, after checking that it ended properly.
    pub(crate) fn finish(&mut self) -> Result<Option<ArchiveContents>, String> {
        if let Some(e) = &self.archive_error {
            return Err(e.clone());
        }
        match &mut self.archive {
            None => Ok(None),
            Some(gz) => {
                gz.try_finish().map_err(|e| format!("bad archive: {e}"))?;
                gz.get_ref().finish().map(Some)
            }
        }
    }
}

impl FileSink for Tally {
    fn data(&mut self, bytes: &[u8]) -> Result<(), String> {
        self.bytes += bytes.len() as u64;
        self.crc.update(bytes);
        if self.archive_error.is_some() {
            return Ok(());
        }
        if let Some(gz) = &mut self.archive {
            if self.bytes == bytes.len() as u64 && !bytes.is_empty() && bytes[0] != 0x1f {
                self.archive_error = Some("the archive is not gzip-compressed".into());
            } else if let Err(e) = gz.write_all(bytes) {
                self.archive_error = Some(format!("bad archive: {e}"));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Collect(Vec<u8>);
    impl FileSink for Collect {
        fn data(&mut self, bytes: &[u8]) -> Result<(), String> {
            self.0.extend_from_slice(bytes);
            Ok(())
        }
    }

    fn scan(body: &[u8], split: usize) -> Result<Vec<u8>, String> {
        let mut s = MultipartScanner::new("XyZ");
        let mut out = Collect(Vec::new());
        for chunk in body.chunks(split.max(1)) {
            s.push(chunk, &mut out)?;
        }
        s.finish()?;
        Ok(out.0)
    }

    #[test]
    fn the_file_part_comes_out_whole_however_the_body_is_split() {
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"meta\"\r\n\r\nhi\r\n--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\nContent-Type: text/plain\r\n\r\nline1\r\n--XyZ-not\r\nend\r\n\r\n--XyZ--\r\nepilogue";
        for split in [1, 2, 3, 5, 7, 11, 64, body.len()] {
            assert_eq!(
                scan(body, split).unwrap(),
                b"line1\r\n--XyZ-not\r\nend\r\n",
                "split {split}"
            );
        }
    }

    #[test]
    fn a_body_without_its_closing_delimiter_is_refused() {
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\ndata";
        assert!(scan(body, 3).is_err());
        assert!(scan(b"garbage", 3).is_err());
    }

    #[test]
    fn endless_part_headers_are_refused() {
        let mut body = b"--XyZ\r\nX-Long: ".to_vec();
        body.extend(std::iter::repeat_n(b'a', 20_000));
        assert!(scan(&body, 1000).unwrap_err().contains("headers"));
    }

    /// A size no archive can carry is a corrupt archive (the fake answers 400), not an
    /// overflow that panics the fake in a debug build.
    #[test]
    fn the_tar_walker_refuses_a_size_past_u64() {
        for kind in [tar::EntryType::Regular, tar::EntryType::Directory] {
            let mut h = tar::Header::new_gnu();
            h.set_path("big").unwrap();
            h.set_entry_type(kind);
            h.set_size(u64::MAX);
            h.set_cksum();
            let mut w = TarWalker::new();
            let result = w.write_all(h.as_bytes());
            assert!(result.is_err(), "{kind:?}");
        }
    }

    #[test]
    fn the_tar_walker_counts_what_the_tar_crate_wrote() {
        let mut b = tar::Builder::new(Vec::new());
        let mut h = tar::Header::new_gnu();
        h.set_size(1000);
        h.set_mode(0o644);
        b.append_data(&mut h, "a/b.txt", &[7u8; 1000][..]).unwrap();
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::Directory);
        h.set_size(0);
        b.append_data(&mut h, "a", std::io::empty()).unwrap();
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::Symlink);
        h.set_size(0);
        b.append_link(&mut h, "l".repeat(200), "t".repeat(300))
            .unwrap();
        let tar = b.into_inner().unwrap();
        for split in [1, 100, 512, 513, tar.len()] {
            let mut w = TarWalker::new();
            for chunk in tar.chunks(split) {
                w.write_all(chunk).unwrap();
            }
            let c = w.finish().unwrap();
            assert_eq!((c.files, c.dirs, c.symlinks, c.file_bytes), (1, 1, 1, 1000));
        }
        let mut w = TarWalker::new();
        w.write_all(&tar[..1536]).unwrap();
        assert!(w.finish().is_err(), "no end-of-archive marker");
        let mut bad = tar.clone();
        bad[0] ^= 1;
        assert!(TarWalker::new().write_all(&bad).is_err(), "checksum");
    }
}

//! Enforcing [`ExtractLimits`] on the raw block structure of a tar stream.
//!
//! The `tar` crate reads some records into memory whole before handing out
//! the entry they describe (PAX extended headers, GNU long names and long
//! link names) and expands GNU sparse entries by itself. Checks on the
//! entries it returns therefore come too late to bound memory or the bytes
//! written. [`LimitedTarReader`] sits between the gzip decoder and
//! `tar::Archive` and follows the 512-byte blocks itself, exactly as the
//! `tar` crate walks them: it reads each header block (and each metadata
//! record) ahead of the `tar` crate, and fails the read, before the crate
//! sees the block, when the block would exceed a limit or describes a sparse
//! entry.

use std::io::{self, Read};
use std::sync::{Arc, OnceLock};

use tar::{EntryType, Header, PaxExtensions};
use tokio_util::sync::CancellationToken;

use super::{cancelled_error, quoted_bytes, ArchiveError, ExtractLimits};

/// Size of a tar block.
const BLOCK: u64 = 512;

/// Most metadata records (GNU long name, GNU long link name, PAX extended
/// header) that can precede one entry: the `tar` crate refuses a second
/// record of the same kind.
const MAX_RECORDS_PER_ENTRY: u32 = 3;

/// Why [`LimitedTarReader`] stopped the extraction; shared with the
/// extractor, which turns it into the [`ArchiveError`] the caller sees
/// whatever the `tar` crate made of the failed read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Refusal {
    /// One of the [`ExtractLimits`] was exceeded.
    Limit {
        /// The [`ExtractLimits`] field.
        limit: &'static str,
        /// Its value.
        max: u64,
    },
    /// A sparse entry (never extracted).
    Sparse {
        /// The entry name, shortened for the message.
        entry: String,
        /// Which kind of sparse entry.
        kind: &'static str,
    },
}

impl Refusal {
    pub(super) fn to_error(&self) -> ArchiveError {
        match self {
            Refusal::Limit { limit, max } => ArchiveError::LimitExceeded { limit, max: *max },
            Refusal::Sparse { entry, kind } => ArchiveError::UnsupportedEntry {
                entry: entry.clone(),
                kind: (*kind).to_owned(),
            },
        }
    }
}

/// Where the reader is in the tar stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// At a block boundary where a header is expected.
    Header,
    /// Passing through the data of an entry: `remaining` bytes, padding to
    /// the next block included.
    Data { remaining: u64 },
    /// After the end-of-archive marker (an all-zero header block).
    End,
}

/// The metadata records read since the last entry header, as the `tar`
/// crate will apply them to the next entry.
#[derive(Debug, Default)]
struct PendingRecords {
    count: u32,
    /// The GNU long name, shortened for messages.
    long_name: Option<String>,
    /// The PAX `path`, shortened for messages.
    pax_path: Option<String>,
    pax_size: Option<u64>,
    pax_sparse: bool,
}

/// A reader over a raw (decompressed) tar stream that fails as soon as the
/// stream exceeds an [`ExtractLimits`] bound or holds a sparse entry; see
/// the module documentation.
pub(super) struct LimitedTarReader<R> {
    inner: R,
    limits: ExtractLimits,
    refusal: Arc<OnceLock<Refusal>>,
    /// Checked on every read.
    cancel: CancellationToken,
    phase: Phase,
    /// Bytes read ahead from `inner` (a header block, or a metadata record
    /// with its header and padding) and not yet handed out.
    ahead: Vec<u8>,
    ahead_pos: usize,
    records: PendingRecords,
    entries: u64,
    /// Bytes counted toward [`ExtractLimits::max_total_bytes`].
    total: u64,
    /// Set once a read failed: every later read fails too.
    failed: bool,
    /// Most bytes ever held in `ahead`.
    largest_read_ahead: usize,
    /// Bytes handed out to the caller.
    handed_out: u64,
}

impl<R: Read> LimitedTarReader<R> {
    pub(super) fn new(
        inner: R,
        limits: ExtractLimits,
        refusal: Arc<OnceLock<Refusal>>,
        cancel: CancellationToken,
    ) -> Self {
        Self {
            inner,
            limits,
            refusal,
            cancel,
            phase: Phase::Header,
            ahead: Vec::new(),
            ahead_pos: 0,
            records: PendingRecords::default(),
            entries: 0,
            total: 0,
            failed: false,
            largest_read_ahead: 0,
            handed_out: 0,
        }
    }

    /// Most bytes the reader ever buffered at once.
    #[cfg(test)]
    pub(super) fn largest_read_ahead(&self) -> usize {
        self.largest_read_ahead
    }

    /// Bytes handed out so far: everything the `tar` crate could have seen.
    #[cfg(test)]
    pub(super) fn handed_out(&self) -> u64 {
        self.handed_out
    }

    fn refuse(&mut self, refusal: Refusal) -> io::Error {
        self.failed = true;
        let message = refusal.to_error().to_string();
        // Only the first refusal is kept; a later one cannot happen since
        // every read fails from now on.
        let _ = self.refusal.set(refusal);
        io::Error::other(message)
    }

    fn corrupt(&mut self, message: &'static str) -> io::Error {
        self.failed = true;
        io::Error::new(io::ErrorKind::InvalidData, message)
    }

    fn limit(&mut self, limit: &'static str, max: u64) -> io::Error {
        self.refuse(Refusal::Limit { limit, max })
    }

    /// Counts `n` bytes toward the total, failing past the limit.
    fn count_total(&mut self, n: u64) -> io::Result<()> {
        let total = self.total.saturating_add(n);
        if total > self.limits.max_total_bytes {
            return Err(self.limit("max_total_bytes", self.limits.max_total_bytes));
        }
        self.total = total;
        Ok(())
    }

    /// Reads up to `buf.len()` bytes, stopping early only at the end of the
    /// input; returns how many were read.
    fn read_up_to(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut filled = 0;
        while filled < buf.len() {
            match self.inner.read(&mut buf[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                Err(err) => {
                    self.failed = true;
                    return Err(err);
                }
            }
        }
        Ok(filled)
    }

    /// Reads and checks the next header block (and, for a metadata record,
    /// its data) into `ahead`. Leaves `ahead` empty at the end of the input.
    fn read_header(&mut self) -> io::Result<()> {
        self.ahead.clear();
        self.ahead_pos = 0;
        let mut block = [0u8; BLOCK as usize];
        let got = self.read_up_to(&mut block)?;
        if got < block.len() {
            // The end of the input, possibly inside a header: the `tar`
            // crate reports a partial block as a truncated archive.
            self.ahead.extend_from_slice(&block[..got]);
            return Ok(());
        }
        self.ahead.extend_from_slice(&block);
        if block.iter().all(|&b| b == 0) {
            self.phase = Phase::End;
            return Ok(());
        }
        let mut header = Header::new_old();
        header.as_mut_bytes().copy_from_slice(&block);
        if !checksum_matches(&header) {
            return Err(self.corrupt("archive header checksum mismatch"));
        }
        let Ok(declared) = header.entry_size() else {
            return Err(self.corrupt("archive header with an invalid size field"));
        };
        let kind = header.entry_type();
        if kind.is_gnu_sparse() {
            let entry = self.entry_name(&header);
            return Err(self.refuse(Refusal::Sparse {
                entry,
                kind: "GNU sparse file",
            }));
        }
        // The `tar` crate reads these records whole and applies them to the
        // next entry only when the header has a GNU or ustar magic.
        let recognized = header.as_gnu().is_some() || header.as_ustar().is_some();
        let is_record =
            kind.is_gnu_longname() || kind.is_gnu_longlink() || kind.is_pax_local_extensions();
        if recognized && is_record {
            self.read_record(kind, declared)
        } else {
            self.start_entry(&header, kind, declared)
        }
    }

    /// Reads a metadata record whole (it is small: that is checked first).
    fn read_record(&mut self, kind: EntryType, size: u64) -> io::Result<()> {
        self.records.count = self.records.count.saturating_add(1);
        if self.records.count > MAX_RECORDS_PER_ENTRY {
            return Err(self.corrupt("more metadata records than one entry can have"));
        }
        let max = self.limits.max_header_record_bytes;
        let Ok(len) = usize::try_from(size) else {
            return Err(self.limit("max_header_record_bytes", max));
        };
        if size > max {
            return Err(self.limit("max_header_record_bytes", max));
        }
        self.count_total(size)?;
        // Grown as the bytes arrive, not allocated up front from the header.
        let mut data = Vec::new();
        if let Err(err) = (&mut self.inner)
            .take(padded_len(size))
            .read_to_end(&mut data)
        {
            self.failed = true;
            return Err(err);
        }
        let content = &data[..len.min(data.len())];
        if kind.is_gnu_longname() {
            let name = content.strip_suffix(&[0]).unwrap_or(content);
            self.records.long_name = Some(quoted_bytes(name));
        } else if kind.is_pax_local_extensions() {
            let records = || PaxExtensions::new(content).filter_map(Result::ok);
            self.records.pax_size = pax_size(content);
            self.records.pax_path = records()
                .find(|record| record.key_bytes() == b"path")
                .map(|record| quoted_bytes(record.value_bytes()));
            self.records.pax_sparse =
                records().any(|record| record.key_bytes().starts_with(b"GNU.sparse."));
        }
        self.ahead.extend_from_slice(&data);
        Ok(())
    }

    /// Accounts for an entry header and prepares to pass its data through.
    fn start_entry(&mut self, header: &Header, kind: EntryType, declared: u64) -> io::Result<()> {
        let records = std::mem::take(&mut self.records);
        // A PAX `size` replaces the header's size, except for records.
        let is_extension = kind.is_gnu_longname()
            || kind.is_gnu_longlink()
            || kind.is_pax_local_extensions()
            || kind.is_pax_global_extensions();
        let size = match records.pax_size {
            Some(size) if !is_extension => size,
            _ => declared,
        };
        if records.pax_sparse {
            let entry = self.entry_name_with(header, &records);
            return Err(self.refuse(Refusal::Sparse {
                entry,
                kind: "sparse file (PAX GNU.sparse records)",
            }));
        }
        self.entries = self.entries.saturating_add(1);
        if self.entries > self.limits.max_entries {
            return Err(self.limit("max_entries", self.limits.max_entries));
        }
        self.count_total(size)?;
        self.phase = Phase::Data {
            remaining: padded_len(size),
        };
        Ok(())
    }

    fn entry_name(&self, header: &Header) -> String {
        self.entry_name_with(header, &self.records)
    }

    /// The entry's name as the `tar` crate resolves it: a GNU long name
    /// first, then a PAX `path`, then the header's own fields.
    fn entry_name_with(&self, header: &Header, records: &PendingRecords) -> String {
        match (&records.long_name, &records.pax_path) {
            (Some(name), _) | (None, Some(name)) => name.clone(),
            (None, None) => quoted_bytes(&header.path_bytes()),
        }
    }
}

/// `size` rounded up to whole blocks, saturating.
fn padded_len(size: u64) -> u64 {
    size.div_ceil(BLOCK).saturating_mul(BLOCK)
}

/// The `tar` crate's checksum rule: the unsigned sum of the header bytes,
/// with the checksum field counted as spaces.
fn checksum_matches(header: &Header) -> bool {
    let bytes = header.as_bytes();
    let sum = bytes[..148]
        .iter()
        .chain(&bytes[156..])
        .fold(0u32, |sum, &b| sum.saturating_add(u32::from(b)))
        .saturating_add(8 * 32);
    header.cksum().is_ok_and(|cksum| cksum == sum)
}

/// The value of the first PAX `size` record, as the `tar` crate reads it:
/// parsing stops at the first malformed record.
fn pax_size(data: &[u8]) -> Option<u64> {
    for record in PaxExtensions::new(data) {
        let record = record.ok()?;
        if record.key() != Ok("size") {
            continue;
        }
        return record.value().ok()?.parse().ok();
    }
    None
}

impl<R: Read> Read for LimitedTarReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        if self.failed {
            return Err(io::Error::other("reading the archive already failed"));
        }
        if self.cancel.is_cancelled() {
            self.failed = true;
            return Err(cancelled_error());
        }
        loop {
            if self.ahead_pos < self.ahead.len() {
                let n = buf.len().min(self.ahead.len() - self.ahead_pos);
                buf[..n].copy_from_slice(&self.ahead[self.ahead_pos..self.ahead_pos + n]);
                self.ahead_pos += n;
                self.handed_out = self.handed_out.saturating_add(n as u64);
                return Ok(n);
            }
            match self.phase {
                Phase::Header => {
                    let read = self.read_header();
                    self.largest_read_ahead = self.largest_read_ahead.max(self.ahead.len());
                    read?;
                    if self.ahead.is_empty() {
                        return Ok(0);
                    }
                }
                Phase::Data { remaining: 0 } => self.phase = Phase::Header,
                Phase::Data { remaining } => {
                    let max = usize::try_from(remaining).map_or(buf.len(), |r| r.min(buf.len()));
                    let n = match self.inner.read(&mut buf[..max]) {
                        Ok(n) => n,
                        Err(err) => {
                            if err.kind() != io::ErrorKind::Interrupted {
                                self.failed = true;
                            }
                            return Err(err);
                        }
                    };
                    self.phase = Phase::Data {
                        remaining: remaining.saturating_sub(n as u64),
                    };
                    self.handed_out = self.handed_out.saturating_add(n as u64);
                    return Ok(n);
                }
                Phase::End => {
                    let n = match self.inner.read(buf) {
                        Ok(n) => n,
                        Err(err) => {
                            if err.kind() != io::ErrorKind::Interrupted {
                                self.failed = true;
                            }
                            return Err(err);
                        }
                    };
                    self.count_total(n as u64)?;
                    self.handed_out = self.handed_out.saturating_add(n as u64);
                    return Ok(n);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::archive::test_tar::{pax_record, RawTar};

    /// Reads `tar` through a [`LimitedTarReader`] with the `tar` crate the way
    /// the extractor does: every entry's path, link name and data, then the
    /// rest of the stream. Returns what was read, the first error, and the
    /// reader.
    #[allow(clippy::type_complexity)]
    fn read_through(
        tar: &[u8],
        limits: ExtractLimits,
    ) -> (
        Vec<(Vec<u8>, Option<Vec<u8>>, Vec<u8>)>,
        Option<io::Error>,
        Option<Refusal>,
        LimitedTarReader<&[u8]>,
    ) {
        let refusal = Arc::new(OnceLock::new());
        let mut archive = tar::Archive::new(LimitedTarReader::new(
            tar,
            limits,
            Arc::clone(&refusal),
            CancellationToken::new(),
        ));
        let (entries, error) = read_entries(&mut archive);
        let mut reader = archive.into_inner();
        let error = error.or_else(|| io::copy(&mut reader, &mut io::sink()).err());
        (entries, error, refusal.get().cloned(), reader)
    }

    #[allow(clippy::type_complexity)]
    fn read_entries<R: Read>(
        archive: &mut tar::Archive<R>,
    ) -> (Vec<(Vec<u8>, Option<Vec<u8>>, Vec<u8>)>, Option<io::Error>) {
        let mut out = Vec::new();
        let entries = match archive.entries() {
            Ok(entries) => entries,
            Err(err) => return (out, Some(err)),
        };
        for entry in entries {
            let mut entry = match entry {
                Ok(entry) => entry,
                Err(err) => return (out, Some(err)),
            };
            let mut data = Vec::new();
            if let Err(err) = entry.read_to_end(&mut data) {
                return (out, Some(err));
            }
            out.push((
                entry.path_bytes().into_owned(),
                entry.link_name_bytes().map(|l| l.into_owned()),
                data,
            ));
        }
        (out, None)
    }

    fn global_header(tar: &mut RawTar, data: &[u8]) {
        let header = RawTar::header(
            b"pax_global_header",
            EntryType::XGlobalHeader,
            data.len() as u64,
        );
        tar.push(&header, data);
    }

    /// An old (v7) header: no magic, so the `tar` crate does not apply it as
    /// a metadata record even when its type says so.
    fn old_header(name: &[u8], kind: EntryType, size: u64) -> Header {
        let mut header = Header::new_old();
        header.as_old_mut().name[..name.len()].copy_from_slice(name);
        header.set_entry_type(kind);
        header.set_size(size);
        header.set_mode(0o644);
        header.set_cksum();
        header
    }

    #[test]
    fn reader_walks_every_kind_of_record_exactly_as_the_tar_crate() {
        let mut tar = RawTar::default();
        global_header(&mut tar, &pax_record("comment", b"global"));
        tar.file("plain", b"plain data");
        tar.pax(&[("path", b"pax/path/name"), ("size", b"700")]);
        tar.push(
            &RawTar::header(b"short", EntryType::Regular, 3),
            &[9u8; 700],
        );
        tar.long_name(&[b'L'; 300]);
        tar.long_link(&[b'K'; 200]);
        tar.pax(&[("mtime", b"1")]);
        tar.entry("link", EntryType::Symlink, b"");
        // Metadata types without a magic are ordinary entries to the crate.
        tar.push(
            &old_header(b"v7-longname", EntryType::GNULongName, 5),
            b"12345",
        );
        tar.push(&old_header(b"v7-pax", EntryType::XHeader, 4), b"abcd");
        // A directory carrying data, which the crate skips.
        tar.entry("dir/", EntryType::Directory, &[1u8; 1500]);
        // A PAX size skips the records in between and applies to the entry.
        tar.pax(&[("size", b"2")]);
        tar.long_name(b"after-pax-size");
        tar.push(
            &RawTar::header(b"ignored-name", EntryType::Regular, 0),
            b"ok",
        );
        let mut raw = tar.tar();
        raw.extend_from_slice(&[0u8; 8192]);

        let direct = read_entries(&mut tar::Archive::new(&raw[..]));
        assert!(direct.1.is_none(), "{:?}", direct.1);
        let (through, error, refusal, reader) = read_through(&raw, ExtractLimits::default());
        assert!(
            error.is_none() && refusal.is_none(),
            "{error:?} {refusal:?}"
        );
        assert!(through == direct.0, "the entries read through differ");
        assert_eq!(reader.handed_out(), raw.len() as u64);
        assert_eq!(through.len(), 8);
        assert_eq!(through[2].0, b"pax/path/name");
        assert_eq!(through[2].2, [9u8; 700]);
        assert_eq!(through[3].0, [b'L'; 300]);
        assert_eq!(through[3].1.as_deref(), Some(&[b'K'; 200][..]));
        assert_eq!(through[7].0, b"after-pax-size");
        assert_eq!(through[7].2, b"ok");
        assert_eq!(reader.entries, 8);
    }

    #[test]
    fn oversized_long_name_is_refused_before_the_tar_crate_sees_its_header() {
        let mut tar = RawTar::default();
        tar.long_name(&vec![b'a'; 2 << 20]).file("x", b"data");
        let raw = tar.tar();
        let (entries, error, refusal, reader) = read_through(&raw, ExtractLimits::default());
        assert!(entries.is_empty());
        assert!(error.is_some());
        assert_eq!(
            refusal,
            Some(Refusal::Limit {
                limit: "max_header_record_bytes",
                max: ExtractLimits::DEFAULT_MAX_HEADER_RECORD_BYTES
            })
        );
        assert_eq!(reader.handed_out(), 0);
        assert_eq!(reader.largest_read_ahead(), 512);
    }

    #[test]
    fn record_flood_buffers_at_most_one_record_at_a_time() {
        // 40 entries, each described by a long name, a long link name and a
        // PAX header just under the limit: 7.5 MiB of records in all.
        let limit = 64 * 1024;
        let mut tar = RawTar::default();
        for i in 0..40u8 {
            let mut name = vec![b'n'; limit as usize - 1];
            name[0] = b'a' + i % 26;
            tar.long_name(&name[..name.len() - 1]);
            tar.long_link(&vec![b'k'; limit as usize - 1]);
            let value = vec![b'c'; limit as usize - 20];
            tar.pax(&[("comment", &value)]);
            tar.entry("l", EntryType::Symlink, b"");
        }
        let raw = tar.tar();
        assert!(raw.len() > 7 << 20);
        let (entries, error, refusal, reader) = read_through(&raw, ExtractLimits::default());
        assert!(
            error.is_none() && refusal.is_none(),
            "{error:?} {refusal:?}"
        );
        assert_eq!(entries.len(), 40);
        assert!(
            reader.largest_read_ahead() <= limit as usize + 1024,
            "buffered {}",
            reader.largest_read_ahead()
        );
    }

    #[test]
    fn more_metadata_records_than_one_entry_can_have_are_corrupt() {
        let mut tar = RawTar::default();
        tar.long_name(b"a").long_link(b"b").pax(&[("mtime", b"1")]);
        tar.pax(&[("mtime", b"2")]).file("x", b"");
        let (_, error, refusal, _) = read_through(&tar.tar(), ExtractLimits::default());
        assert_eq!(refusal, None);
        assert!(error.is_some());
    }

    #[test]
    fn bad_header_checksum_fails_the_read() {
        let mut raw = RawTar::default().file("x", b"data").tar();
        raw[0] ^= 1;
        let (entries, error, refusal, reader) = read_through(&raw, ExtractLimits::default());
        assert!(entries.is_empty());
        assert_eq!(error.map(|e| e.kind()), Some(io::ErrorKind::InvalidData));
        assert_eq!(refusal, None);
        assert_eq!(reader.handed_out(), 0);
    }

    #[test]
    fn global_headers_count_as_entries() {
        let mut tar = RawTar::default();
        for _ in 0..5 {
            global_header(&mut tar, b"");
        }
        let (_, error, refusal, _) =
            read_through(&tar.tar(), ExtractLimits::default().max_entries(4));
        assert!(error.is_some());
        assert_eq!(
            refusal,
            Some(Refusal::Limit {
                limit: "max_entries",
                max: 4
            })
        );
    }

    #[test]
    fn base256_sizes_are_read_like_the_tar_crate() {
        // GNU base-256 size field: a first byte with the high bit set.
        let mut header = RawTar::header(b"big", EntryType::Regular, 0);
        let size = &mut header.as_old_mut().size;
        size.fill(0);
        size[0] = 0x80;
        size[11] = 0x10; // 16 bytes
        header.set_cksum();
        let mut tar = RawTar::default();
        tar.push(&header, &[5u8; 16]).file("after", b"x");
        let (entries, error, _, _) = read_through(&tar.tar(), ExtractLimits::default());
        assert!(error.is_none(), "{error:?}");
        assert_eq!(entries[0].2, [5u8; 16]);
        assert_eq!(entries[1].0, b"after");
        // A huge base-256 size is refused by the total before any data.
        size_huge(&mut header);
        let mut tar = RawTar::default();
        tar.push(&header, b"");
        let (_, _, refusal, _) = read_through(&tar.tar(), ExtractLimits::default());
        assert_eq!(
            refusal,
            Some(Refusal::Limit {
                limit: "max_total_bytes",
                max: ExtractLimits::DEFAULT_MAX_TOTAL_BYTES
            })
        );
    }

    fn size_huge(header: &mut Header) {
        let size = &mut header.as_old_mut().size;
        size.fill(0xff);
        size[0] = 0x80;
        header.set_cksum();
    }
}

//! Crafted tar streams for the tests of the archive modules.

use std::io::Write;

use flate2::write::GzEncoder;
use flate2::Compression;
use tar::{EntryType, Header};

/// A tar stream assembled block by block without any validation, to craft
/// metadata records and sparse entries.
#[derive(Default)]
pub(crate) struct RawTar(pub(crate) Vec<u8>);

impl RawTar {
    pub(crate) fn header(name: &[u8], kind: EntryType, size: u64) -> Header {
        let mut header = Header::new_gnu();
        let n = name.len().min(100);
        header.as_old_mut().name[..n].copy_from_slice(&name[..n]);
        header.set_entry_type(kind);
        header.set_size(size);
        header.set_mode(0o644);
        header.set_mtime(1_700_000_000);
        header.set_cksum();
        header
    }
    pub(crate) fn push(&mut self, header: &Header, data: &[u8]) -> &mut Self {
        self.0.extend_from_slice(header.as_bytes());
        self.0.extend_from_slice(data);
        let padding = (512 - data.len() % 512) % 512;
        self.0.resize(self.0.len() + padding, 0);
        self
    }
    pub(crate) fn entry(&mut self, name: &str, kind: EntryType, data: &[u8]) -> &mut Self {
        self.push(
            &Self::header(name.as_bytes(), kind, data.len() as u64),
            data,
        )
    }
    pub(crate) fn file(&mut self, name: &str, data: &[u8]) -> &mut Self {
        self.entry(name, EntryType::Regular, data)
    }
    /// A GNU long name record (`L`) for the next entry.
    pub(crate) fn long_name(&mut self, name: &[u8]) -> &mut Self {
        let mut data = name.to_vec();
        data.push(0);
        let header = Self::header(b"././@LongLink", EntryType::GNULongName, data.len() as u64);
        self.push(&header, &data)
    }
    /// A GNU long link name record (`K`) for the next entry.
    pub(crate) fn long_link(&mut self, target: &[u8]) -> &mut Self {
        let mut data = target.to_vec();
        data.push(0);
        let header = Self::header(b"././@LongLink", EntryType::GNULongLink, data.len() as u64);
        self.push(&header, &data)
    }
    /// A PAX extended header (`x`) for the next entry.
    pub(crate) fn pax(&mut self, records: &[(&str, &[u8])]) -> &mut Self {
        let data: Vec<u8> = records
            .iter()
            .flat_map(|(key, value)| pax_record(key, value))
            .collect();
        let header = Self::header(b"PaxHeaders/entry", EntryType::XHeader, data.len() as u64);
        self.push(&header, &data)
    }
    /// The tar stream with its end-of-archive marker.
    pub(crate) fn tar(&self) -> Vec<u8> {
        let mut tar = self.0.clone();
        tar.resize(tar.len() + 1024, 0);
        tar
    }
    /// The gzip-compressed archive.
    pub(crate) fn finish(&self) -> Vec<u8> {
        gzip(&self.tar())
    }
}

pub(crate) fn gzip(data: &[u8]) -> Vec<u8> {
    let mut gz = GzEncoder::new(Vec::new(), Compression::fast());
    gz.write_all(data).unwrap();
    gz.finish().unwrap()
}

/// One PAX record: `<length> <key>=<value>\n`, the length counting the
/// whole record including its own digits.
pub(crate) fn pax_record(key: &str, value: &[u8]) -> Vec<u8> {
    let rest = key.len() + value.len() + 3;
    let mut len = rest + 1;
    while len != rest + len.to_string().len() {
        len = rest + len.to_string().len();
    }
    let mut record = format!("{len} {key}=").into_bytes();
    record.extend_from_slice(value);
    record.push(b'\n');
    record
}

/// A GNU sparse entry of `real_size` bytes whose only data is its last
/// 512 bytes: everything before is a hole, expanded to zeros on
/// extraction.
pub(crate) fn sparse_bomb(name: &str, real_size: u64) -> Vec<u8> {
    let mut header = RawTar::header(name.as_bytes(), EntryType::GNUSparse, 512);
    let gnu = header.as_gnu_mut().unwrap();
    gnu.sparse[0].set_offset(real_size - 512);
    gnu.sparse[0].set_length(512);
    gnu.set_real_size(real_size);
    header.set_cksum();
    RawTar::default().push(&header, &[b'x'; 512]).finish()
}

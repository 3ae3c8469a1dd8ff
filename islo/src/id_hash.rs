/// FNV-1a (32 bits) of an operation id: the hash `meta::operation`'s table is built and
/// searched with. `build.rs` builds the table with this same file (`include!`d in both).
fn id_hash(id: &str) -> u32 {
    id.bytes().fold(0x811c_9dc5, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    })
}

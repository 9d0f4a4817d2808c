/// Medusa-style identifiers: a short prefix naming the kind of thing, then a
/// ULID, e.g. `prod_01JD6Z3K9Q8V7X2M4N5P6R7S8T`. Sortable by creation time.
pub fn new_id(prefix: &str) -> String {
    format!("{prefix}_{}", ulid::Ulid::new())
}

/// A random secret of `bytes` bytes, hex-encoded (API keys, generated passwords).
pub fn random_token(bytes: usize) -> String {
    use rand::RngCore;
    let mut buf = vec![0u8; bytes];
    rand::rngs::OsRng.fill_bytes(&mut buf);
    buf.iter().map(|b| format!("{b:02x}")).collect()
}

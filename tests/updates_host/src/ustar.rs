//! An independent ustar synthesizer: builds headers from explicit field values, with its
//! own checksum code, so tests can craft archives (links, traversal, duplicates, missing
//! signatures) without reusing the canonical writer under test.

/// One archive member with every header field the tests vary.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Name field (up to 100 bytes).
    pub name: String,
    /// Data.
    pub data: Vec<u8>,
    /// Type flag (`b'0'` regular file, `b'2'` symlink, ...).
    pub typeflag: u8,
    /// Link target (for links).
    pub linkname: String,
    /// Permission bits.
    pub mode: u32,
    /// Modification time.
    pub mtime: u64,
}

impl Entry {
    /// A regular file as the canonical writer would describe it.
    pub fn file(name: &str, data: &[u8], mtime: u64) -> Self {
        Entry {
            name: name.to_string(),
            data: data.to_vec(),
            typeflag: b'0',
            linkname: String::new(),
            mode: 0o644,
            mtime,
        }
    }
}

fn octal(field: &mut [u8], value: u64) {
    let text = format!("{:0width$o}", value, width = field.len() - 1);
    field[..text.len()].copy_from_slice(text.as_bytes());
    field[text.len()] = 0;
}

/// The 512-byte header of `e`.
pub fn header(e: &Entry) -> [u8; 512] {
    let mut h = [0u8; 512];
    h[..e.name.len()].copy_from_slice(e.name.as_bytes());
    octal(&mut h[100..108], u64::from(e.mode));
    octal(&mut h[108..116], 0);
    octal(&mut h[116..124], 0);
    octal(&mut h[124..136], e.data.len() as u64);
    octal(&mut h[136..148], e.mtime);
    h[156] = e.typeflag;
    h[157..157 + e.linkname.len()].copy_from_slice(e.linkname.as_bytes());
    h[257..263].copy_from_slice(b"ustar\0");
    h[263..265].copy_from_slice(b"00");
    octal(&mut h[329..337], 0);
    octal(&mut h[337..345], 0);
    h[148..156].fill(b' ');
    let sum: u64 = h.iter().map(|b| u64::from(*b)).sum();
    let text = format!("{sum:06o}\0 ");
    h[148..156].copy_from_slice(text.as_bytes());
    h
}

/// An archive of `entries` followed by two zero blocks.
pub fn archive(entries: &[Entry]) -> Vec<u8> {
    let mut out = Vec::new();
    for e in entries {
        out.extend_from_slice(&header(e));
        out.extend_from_slice(&e.data);
        out.resize(out.len().div_ceil(512) * 512, 0);
    }
    out.extend_from_slice(&[0u8; 1024]);
    out
}

/// Splits a well-formed archive into its entries (regular files only), for tests that
/// take a canonical archive apart and reassemble it differently.
pub fn entries(archive: &[u8]) -> Vec<Entry> {
    let mut out = Vec::new();
    let mut at = 0;
    while at + 512 <= archive.len() {
        let h = &archive[at..at + 512];
        if h.iter().all(|b| *b == 0) {
            break;
        }
        let name_len = h[..100].iter().position(|b| *b == 0).unwrap_or(100);
        let name = String::from_utf8_lossy(&h[..name_len]).into_owned();
        let size_text = String::from_utf8_lossy(&h[124..135]).into_owned();
        let size = usize::from_str_radix(size_text.trim_end_matches('\0'), 8).unwrap_or(0);
        let mtime_text = String::from_utf8_lossy(&h[136..147]).into_owned();
        let mtime = u64::from_str_radix(mtime_text.trim_end_matches('\0'), 8).unwrap_or(0);
        let data = archive
            .get(at + 512..at + 512 + size)
            .unwrap_or_default()
            .to_vec();
        out.push(Entry::file(&name, &data, mtime));
        at += 512 + size.div_ceil(512) * 512;
    }
    out
}

//! The canonical ustar subset that `.nxb` bundles and `.nxs` system-sets are written in,
//! and its one writer: a member is a 512-byte POSIX ustar header fully determined by
//! (name, size, mtime), the data, zero padding to a 512-byte boundary; the archive ends
//! with exactly two zero blocks and nothing after them (no padding to a 10 KiB record).
//!
//! The field values are specified in `docs/packaging/system-set.md`. The streaming
//! [`reader`] accepts exactly these bytes, so no bit of an archive can change without the
//! reader noticing.

pub mod reader;

use alloc::string::String;

use crate::Error;

/// Size of a header or data block.
pub const BLOCK: usize = 512;
/// The two zero blocks that end an archive.
pub const END_BLOCKS: [u8; 2 * BLOCK] = [0; 2 * BLOCK];
/// Longest member name in bytes (the name field is 100 bytes and keeps a NUL).
pub const MAX_NAME_LEN: usize = 99;
/// Largest member size: eleven octal digits.
pub const MAX_SIZE: u64 = 0o777_7777_7777;
/// Largest mtime: eleven octal digits.
pub const MAX_MTIME: u64 = 0o777_7777_7777;
/// The mode of every member: a regular file, `rw-r--r--`.
pub const MODE: u32 = 0o644;

/// The ustar header fields as `(name, offset, length)`, in layout order; used to name
/// the field of a non-canonical header.
pub(crate) const FIELDS: [(&str, usize, usize); 17] = [
    ("name", 0, 100),
    ("mode", 100, 8),
    ("uid", 108, 8),
    ("gid", 116, 8),
    ("size", 124, 12),
    ("mtime", 136, 12),
    ("chksum", 148, 8),
    ("typeflag", 156, 1),
    ("linkname", 157, 100),
    ("magic", 257, 6),
    ("version", 263, 2),
    ("uname", 265, 32),
    ("gname", 297, 32),
    ("devmajor", 329, 8),
    ("devminor", 337, 8),
    ("prefix", 345, 155),
    ("padding", 500, 12),
];

/// Writes `value` as `width - 1` zero-padded octal digits and a NUL.
fn put_octal(field: &mut [u8], value: u64) {
    let digits = field.len() - 1;
    let mut v = value;
    for i in (0..digits).rev() {
        if let Some(b) = field.get_mut(i) {
            *b = b'0' + (v & 7) as u8;
        }
        v >>= 3;
    }
    if let Some(last) = field.last_mut() {
        *last = 0;
    }
}

/// The header checksum: the sum of all bytes with the checksum field read as spaces.
pub(crate) fn checksum(block: &[u8; BLOCK]) -> u32 {
    block
        .iter()
        .enumerate()
        .map(|(i, b)| {
            if (148..156).contains(&i) {
                32
            } else {
                u32::from(*b)
            }
        })
        .sum()
}

/// The canonical header of a member. Fails for a name that is empty, too long or not a
/// plain file name, and for a size or mtime beyond eleven octal digits.
pub fn header(name: &str, size: u64, mtime: u64) -> Result<[u8; BLOCK], Error> {
    check_member_name(name)?;
    if name.len() > MAX_NAME_LEN {
        return Err(Error::NonCanonicalHeader {
            entry: String::from(name),
            field: "name",
        });
    }
    if size > MAX_SIZE {
        return Err(Error::EntryTooLarge {
            entry: String::from(name),
            size,
            limit: MAX_SIZE,
        });
    }
    if mtime > MAX_MTIME {
        return Err(Error::NonCanonicalHeader {
            entry: String::from(name),
            field: "mtime",
        });
    }
    let mut h = [0u8; BLOCK];
    h[..name.len()].copy_from_slice(name.as_bytes());
    put_octal(&mut h[100..108], u64::from(MODE));
    put_octal(&mut h[108..116], 0);
    put_octal(&mut h[116..124], 0);
    put_octal(&mut h[124..136], size);
    put_octal(&mut h[136..148], mtime);
    h[156] = b'0';
    h[257..263].copy_from_slice(b"ustar\0");
    h[263..265].copy_from_slice(b"00");
    put_octal(&mut h[329..337], 0);
    put_octal(&mut h[337..345], 0);
    let sum = checksum(&h);
    put_octal(&mut h[148..155], u64::from(sum));
    h[155] = b' ';
    Ok(h)
}

/// Bytes of zero padding after `size` bytes of data.
pub fn padding_len(size: u64) -> usize {
    let rem = (size % BLOCK as u64) as usize;
    if rem == 0 {
        0
    } else {
        BLOCK - rem
    }
}

/// Total bytes a member of `size` data bytes takes: header, data and padding.
pub fn member_len(size: u64) -> u64 {
    BLOCK as u64 + size + padding_len(size) as u64
}

/// Refuses names that could name anything but a plain file in the current directory:
/// empty, absolute, containing `/`, `\` or `..`, or starting with a dot.
pub(crate) fn check_member_name(name: &str) -> Result<(), Error> {
    if name.is_empty()
        || name.starts_with('.')
        || name.contains('/')
        || name.contains('\\')
        || name.contains("..")
    {
        return Err(Error::PathTraversal {
            entry: String::from(name),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_fields_have_the_documented_values() {
        let h = header("system.nxsindex", 1234, 1_700_000_000).unwrap();
        assert_eq!(&h[0..16], b"system.nxsindex\0");
        assert_eq!(&h[100..108], b"0000644\0");
        assert_eq!(&h[108..124], b"0000000\x000000000\x00");
        assert_eq!(&h[124..136], b"00000002322\0");
        assert_eq!(&h[136..148], b"14524770400\0");
        assert_eq!(h[156], b'0');
        assert_eq!(&h[257..265], b"ustar\x0000");
        assert_eq!(&h[329..345], b"0000000\x000000000\x00");
        assert_eq!(h[155], b' ');
        let stored = core::str::from_utf8(&h[148..154]).unwrap();
        assert_eq!(u32::from_str_radix(stored, 8).unwrap(), checksum(&h));
    }

    #[test]
    fn refuses_path_like_names() {
        for bad in ["", "../x", "/x", "a/b", ".x", "a\\b"] {
            assert!(
                matches!(header(bad, 0, 0), Err(Error::PathTraversal { .. })),
                "{bad}"
            );
        }
    }

    #[test]
    fn padding_rounds_to_blocks() {
        assert_eq!(padding_len(0), 0);
        assert_eq!(padding_len(1), 511);
        assert_eq!(padding_len(512), 0);
        assert_eq!(member_len(513), 512 + 1024);
    }
}

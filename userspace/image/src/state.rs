//! The state partition header: the first 512 bytes of the `state` partition of a new
//! image. The store inside the partition (statefs) belongs to the OS services; this header
//! only tells them the partition is fresh.
//!
//! Layout (little-endian): `0..8` magic `NXSTATE\0`; `8..12` version (1); `12..16` header
//! length (512); `16..24` partition size in bytes; `24..32` generation (0 for a new image);
//! `32..36` CRC32 (IEEE) of bytes `0..32`; the rest zero.

use crate::Error;

/// Length of the header (one sector).
pub const HEADER_LEN: usize = 512;
/// Magic at offset 0.
pub const MAGIC: &[u8; 8] = b"NXSTATE\0";
/// Header version written and accepted.
pub const VERSION: u32 = 1;

/// The fields of a state partition header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StateHeader {
    /// Size of the partition in bytes.
    pub size: u64,
    /// Generation, bumped by the OS on each reformat (0 for a new image).
    pub generation: u64,
}

impl StateHeader {
    /// Encodes the header.
    pub fn encode(&self) -> [u8; HEADER_LEN] {
        let mut b = [0u8; HEADER_LEN];
        b[0..8].copy_from_slice(MAGIC);
        b[8..12].copy_from_slice(&VERSION.to_le_bytes());
        b[12..16].copy_from_slice(&(HEADER_LEN as u32).to_le_bytes());
        b[16..24].copy_from_slice(&self.size.to_le_bytes());
        b[24..32].copy_from_slice(&self.generation.to_le_bytes());
        let crc = crc32fast::hash(&b[0..32]);
        b[32..36].copy_from_slice(&crc.to_le_bytes());
        b
    }

    /// Decodes a header from the start of a state partition.
    pub fn decode(bytes: &[u8]) -> Result<StateHeader, Error> {
        let b = bytes.get(..HEADER_LEN).ok_or(Error::StateHeader {
            what: "shorter than 512 bytes",
        })?;
        if &b[0..8] != MAGIC {
            return Err(Error::StateHeader { what: "bad magic" });
        }
        let word = |at: usize| u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]]);
        let quad = |at: usize| {
            let mut a = [0u8; 8];
            a.copy_from_slice(&b[at..at + 8]);
            u64::from_le_bytes(a)
        };
        if word(8) != VERSION {
            return Err(Error::StateHeader {
                what: "unsupported version",
            });
        }
        if word(12) as usize != HEADER_LEN {
            return Err(Error::StateHeader {
                what: "header length is not 512",
            });
        }
        if crc32fast::hash(&b[0..32]) != word(32) {
            return Err(Error::StateHeader {
                what: "CRC32 mismatch",
            });
        }
        Ok(StateHeader {
            size: quad(16),
            generation: quad(24),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_roundtrips_and_rejects_damage() {
        let h = StateHeader {
            size: 1 << 20,
            generation: 0,
        };
        let b = h.encode();
        assert_eq!(StateHeader::decode(&b), Ok(h));
        let mut bad = b;
        bad[20] ^= 1;
        assert_eq!(
            StateHeader::decode(&bad),
            Err(Error::StateHeader {
                what: "CRC32 mismatch"
            })
        );
        assert!(StateHeader::decode(&b[..100]).is_err());
    }
}

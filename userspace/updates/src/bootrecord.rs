//! The persistent encoding of [`BootState`]: two 128-byte copies, each with a sequence
//! number and a CRC32, so a torn write of either copy loses at most the update being
//! written (`docs/updates/ab-skeleton-v1.md`, "Persistent record").
//!
//! Writing: [`next_write`] encodes the new state with the next sequence number into the
//! copy that does *not* hold the newest valid state. Reading: [`load`] takes the valid
//! copy with the higher sequence number. A write torn anywhere leaves the other copy,
//! and so the previous state, intact.

use crate::bootctl::{BootState, Pending, SlotId, SystemSetDigest, TriesLeft};
use crate::Error;

/// Length of one copy.
pub const COPY_LEN: usize = 128;
/// Length of the whole record (two copies).
pub const RECORD_LEN: usize = 2 * COPY_LEN;
/// Magic at the start of each copy.
pub const MAGIC: [u8; 4] = *b"NXBC";
/// The layout version this crate writes.
pub const VERSION: u8 = 1;

const CRC_AT: usize = COPY_LEN - 4;
const FLAG_BOOTED: u8 = 1;
const FLAG_ACTIVE_DIGEST: u8 = 2;

fn bad(field: &'static str) -> Error {
    Error::BootRecord { field }
}

/// Encodes one copy of `state` with sequence number `seq`.
pub fn encode_copy(state: &BootState, seq: u64) -> [u8; COPY_LEN] {
    let mut c = [0u8; COPY_LEN];
    c[0..4].copy_from_slice(&MAGIC);
    c[4] = VERSION;
    c[5] = state.active.index();
    let mut flags = 0;
    let (phase, slot, tries, digest) = match state.pending {
        Pending::None => (0, 0, 0, [0; 32]),
        Pending::Staged { slot, digest } => (1, slot.index(), 0, digest.0),
        Pending::Trial {
            slot,
            digest,
            tries_left,
            booted,
        } => {
            if booted {
                flags |= FLAG_BOOTED;
            }
            (2, slot.index(), tries_left.get(), digest.0)
        }
    };
    if let Some(d) = state.active_digest {
        flags |= FLAG_ACTIVE_DIGEST;
        c[56..88].copy_from_slice(&d.0);
    }
    c[6] = phase;
    c[7] = slot;
    c[8] = tries;
    c[9] = flags;
    c[16..24].copy_from_slice(&seq.to_le_bytes());
    c[24..56].copy_from_slice(&digest);
    let crc = crc32fast::hash(&c[..CRC_AT]);
    c[CRC_AT..].copy_from_slice(&crc.to_le_bytes());
    c
}

/// Decodes one copy, returning the state and its sequence number.
pub fn decode_copy(c: &[u8]) -> Result<(BootState, u64), Error> {
    let c: &[u8; COPY_LEN] = c.try_into().map_err(|_| bad("length"))?;
    let mut crc = [0u8; 4];
    crc.copy_from_slice(&c[CRC_AT..]);
    if crc32fast::hash(&c[..CRC_AT]) != u32::from_le_bytes(crc) {
        return Err(bad("crc32"));
    }
    if c[0..4] != MAGIC {
        return Err(bad("magic"));
    }
    if c[4] != VERSION {
        return Err(bad("version"));
    }
    if c[10..16].iter().chain(&c[88..CRC_AT]).any(|b| *b != 0) {
        return Err(bad("reserved"));
    }
    let active = SlotId::new(c[5]).map_err(|_| bad("active"))?;
    let flags = c[9];
    if flags & !(FLAG_BOOTED | FLAG_ACTIVE_DIGEST) != 0 {
        return Err(bad("flags"));
    }
    let mut digest = [0u8; 32];
    digest.copy_from_slice(&c[24..56]);
    let digest = SystemSetDigest(digest);
    let mut active_digest = [0u8; 32];
    active_digest.copy_from_slice(&c[56..88]);
    let active_digest = if flags & FLAG_ACTIVE_DIGEST != 0 {
        Some(SystemSetDigest(active_digest))
    } else if active_digest != [0; 32] {
        return Err(bad("active_digest"));
    } else {
        None
    };
    let slot = SlotId::new(c[7]).map_err(|_| bad("pending_slot"))?;
    let tries = c[8];
    let booted = flags & FLAG_BOOTED != 0;
    let pending = match c[6] {
        0 if c[7] == 0 && tries == 0 && !booted && digest.0 == [0; 32] => Pending::None,
        1 if slot == active.other() && tries == 0 && !booted => Pending::Staged { slot, digest },
        2 if slot == active.other() => Pending::Trial {
            slot,
            digest,
            tries_left: TriesLeft::stored(tries).ok_or(bad("tries_left"))?,
            booted,
        },
        0..=2 => return Err(bad("pending")),
        _ => return Err(bad("phase")),
    };
    let mut seq = [0u8; 8];
    seq.copy_from_slice(&c[16..24]);
    Ok((
        BootState {
            active,
            active_digest,
            pending,
        },
        u64::from_le_bytes(seq),
    ))
}

/// What [`load`] found: the newest valid state, its sequence number, and which copy
/// (0 or 1) holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Loaded {
    /// The state.
    pub state: BootState,
    /// Its sequence number.
    pub seq: u64,
    /// The copy it came from.
    pub copy: usize,
}

/// Reads a two-copy record: the valid copy with the higher sequence number wins.
/// [`Error::NoValidBootRecord`] when neither copy is valid (a blank or destroyed record;
/// the caller decides whether to start from [`BootState::factory`]).
pub fn load(record: &[u8]) -> Result<Loaded, Error> {
    let copy = |i: usize| {
        record
            .get(i * COPY_LEN..(i + 1) * COPY_LEN)
            .and_then(|c| decode_copy(c).ok())
            .map(|(state, seq)| Loaded {
                state,
                seq,
                copy: i,
            })
    };
    match (copy(0), copy(1)) {
        (Some(a), Some(b)) => Ok(if b.seq > a.seq { b } else { a }),
        (Some(a), None) => Ok(a),
        (None, Some(b)) => Ok(b),
        (None, None) => Err(Error::NoValidBootRecord),
    }
}

/// The write that persists `state` after `current` (what [`load`] returned, or `None`
/// for a blank record): the byte offset of the copy to overwrite and its new bytes.
/// The copy written is never the one holding `current`.
pub fn next_write(current: Option<&Loaded>, state: &BootState) -> (usize, [u8; COPY_LEN]) {
    let (copy, seq) = match current {
        Some(l) => (1 - l.copy, l.seq.wrapping_add(1)),
        None => (0, 1),
    };
    (copy * COPY_LEN, encode_copy(state, seq))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn states() -> [BootState; 3] {
        let s0 = BootState::factory();
        let (s1, _) = s0.stage(SystemSetDigest([7; 32])).unwrap();
        let (s2, _) = s1.switch(TriesLeft::new(3).unwrap()).unwrap();
        [s0, s1, s2]
    }

    #[test]
    fn every_state_roundtrips() {
        let s0 = BootState::factory();
        let (s1, _) = s0.stage(SystemSetDigest([7; 32])).unwrap();
        let (s2, _) = s1.switch(TriesLeft::new(3).unwrap()).unwrap();
        let (_, s3, _) = s2.boot();
        let (s4, _) = s3.commit_health().unwrap();
        for s in [s0, s1, s2, s3, s4] {
            assert_eq!(decode_copy(&encode_copy(&s, 9)).unwrap(), (s, 9));
        }
    }

    #[test]
    fn survives_a_torn_write_at_every_byte() {
        let [s0, s1, _] = states();
        let mut record = [0u8; RECORD_LEN];
        let (at, bytes) = next_write(None, &s0);
        record[at..at + COPY_LEN].copy_from_slice(&bytes);
        let loaded = load(&record).unwrap();
        assert_eq!(loaded.state, s0);
        let (at, bytes) = next_write(Some(&loaded), &s1);
        assert_ne!(at, loaded.copy * COPY_LEN);
        for torn in 0..COPY_LEN {
            let mut r = record;
            r[at..at + torn].copy_from_slice(&bytes[..torn]);
            // The rest of the copy holds whatever was there: zeros or garbage.
            for b in &mut r[at + torn..at + COPY_LEN] {
                *b ^= 0x5a;
            }
            assert_eq!(load(&r).unwrap().state, s0, "torn after {torn} bytes");
        }
        record[at..at + COPY_LEN].copy_from_slice(&bytes);
        assert_eq!(load(&record).unwrap().state, s1);
    }

    #[test]
    fn a_damaged_newest_copy_falls_back_to_the_older_one() {
        let [s0, s1, _] = states();
        let mut record = [0u8; RECORD_LEN];
        record[..COPY_LEN].copy_from_slice(&encode_copy(&s0, 1));
        record[COPY_LEN..].copy_from_slice(&encode_copy(&s1, 2));
        assert_eq!(load(&record).unwrap().state, s1);
        record[COPY_LEN + 30] ^= 1;
        assert_eq!(load(&record).unwrap().state, s0);
        record[3] ^= 1;
        assert_eq!(load(&record), Err(Error::NoValidBootRecord));
    }

    #[test]
    fn refuses_inconsistent_copies() {
        let [_, s1, _] = states();
        let mut c = encode_copy(&s1, 1);
        c[7] = 0; // staged into the active slot
        let crc = crc32fast::hash(&c[..CRC_AT]);
        c[CRC_AT..].copy_from_slice(&crc.to_le_bytes());
        assert_eq!(decode_copy(&c), Err(Error::BootRecord { field: "pending" }));
    }
}

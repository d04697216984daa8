//! The bounded RAM journal: sans-IO (the caller passes the time), bounded by record count
//! and by bytes, drop-oldest on overflow.
//!
//! Rules (normative, see `docs/observability/logd.md`):
//!
//! - Byte size of a record = its encoding as a QUERY response carries it (30 bytes plus
//!   scope, message and fields). `used_bytes` is the sum over stored records and never
//!   exceeds `capacity_bytes`; `used_records` never exceeds `capacity_records`.
//! - Appending drops the oldest records, one at a time, until the new record fits both
//!   bounds; each drop adds 1 to `dropped`. Every append succeeds (a capacity always holds
//!   one record of the largest size) and adds 1 to `total`.
//! - `record_id` is `total` after the append: 1, 2, 3, ... without holes. Because only the
//!   oldest are dropped, the journal holds exactly ids `dropped + 1 ..= total`.
//! - Timestamps: a record is stamped `max(now_nsec, previous stamp + 1)`, so stamps are
//!   strictly increasing in id order even when the caller's clock is coarse, stalls or
//!   steps back (a journal fed `now = 0` stamps 0, 1, 2, ...).
//! - QUERY returns records with `timestamp_nsec >= since_nsec` (inclusive), oldest first.
//!   A reader pages by passing `since_nsec = last.timestamp_nsec + 1`; it missed records
//!   exactly when the first record returned has `record_id > last.record_id + 1`, and
//!   then those ids were dropped (the response's `dropped` counter covers them).
//!
//! Storage is one byte ring allocated up front (`capacity_bytes` plus one largest record,
//! the most a wrap can leave unused) and an index of `capacity_records` slots, so memory
//! is fixed from construction on: appending never allocates.

use alloc::vec::Vec;

use crate::error::ConfigError;
use crate::record::{write_record, write_wire, Entry, RecordView, Stamp, RECORD_PREFIX_LEN};
use crate::request::Query;
use crate::wire::{ServiceId, Writer, MAX_RECORD_LEN};

/// The journal's two bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JournalConfig {
    /// Most records held (at least 1).
    pub capacity_records: u32,
    /// Most record bytes held (at least 862, the largest record).
    pub capacity_bytes: u32,
}

impl JournalConfig {
    /// 4096 records, 256 KiB.
    pub const DEFAULT: JournalConfig = JournalConfig {
        capacity_records: 4096,
        capacity_bytes: 256 * 1024,
    };

    /// Checks both bounds.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.capacity_records == 0 {
            return Err(ConfigError::NoRecords);
        }
        let min = MAX_RECORD_LEN as u32;
        if self.capacity_bytes < min {
            return Err(ConfigError::BytesTooSmall {
                capacity_bytes: self.capacity_bytes,
                min,
            });
        }
        Ok(())
    }

    /// Bytes of storage a journal with this configuration allocates: the ring plus the
    /// index (8 bytes a slot).
    pub fn storage_bytes(&self) -> usize {
        self.ring_len() + self.capacity_records as usize * core::mem::size_of::<Slot>()
    }

    fn ring_len(&self) -> usize {
        self.capacity_bytes as usize + MAX_RECORD_LEN
    }
}

impl Default for JournalConfig {
    fn default() -> JournalConfig {
        JournalConfig::DEFAULT
    }
}

/// The journal's counters and occupancy (the STATS response).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Stats {
    /// Records appended since the journal was created.
    pub total: u64,
    /// Records dropped by overflow since the journal was created.
    pub dropped: u64,
    /// Record bound.
    pub capacity_records: u32,
    /// Byte bound.
    pub capacity_bytes: u32,
    /// Records held now.
    pub used_records: u32,
    /// Record bytes held now.
    pub used_bytes: u32,
}

/// The outcome of an append.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Appended {
    /// The new record's id.
    pub record_id: u64,
    /// The stamp it got.
    pub timestamp_nsec: u64,
    /// Records this append dropped.
    pub evicted: u32,
}

/// Offset of `timestamp_nsec` in a record's encoding.
const STAMP_AT: usize = 8;

/// Where one record sits in the ring (its stamp is in the record, at byte 8): offset in
/// the low 32 bits, length in the high 32 bits, so a slot is written in one store.
#[derive(Debug, Clone, Copy)]
struct Slot(u64);

impl Slot {
    #[inline]
    fn new(offset: u32, len: u32) -> Slot {
        Slot(u64::from(offset) | (u64::from(len) << 32))
    }

    #[inline]
    fn offset(&self) -> usize {
        (self.0 & 0xffff_ffff) as usize
    }

    #[inline]
    fn len(&self) -> usize {
        (self.0 >> 32) as usize
    }

    fn end(&self) -> usize {
        self.offset() + self.len()
    }
}

/// A fixed-capacity ring of slots, oldest first (allocated once; pushing never grows it).
///
/// `head` is the physical index of the oldest slot; it stays below the capacity, so the
/// hot path steps it with a compare instead of a division. How many slots are in use is
/// the journal's `total - dropped`, passed in as `held`; the next free slot is `held`
/// after `head`.
#[derive(Debug)]
struct SlotRing {
    slots: Vec<Slot>,
    head: usize,
}

impl SlotRing {
    fn new(capacity: usize) -> Result<SlotRing, ConfigError> {
        let mut slots = Vec::new();
        slots
            .try_reserve_exact(capacity)
            .map_err(|_| ConfigError::OutOfMemory {
                bytes: capacity.saturating_mul(core::mem::size_of::<Slot>()),
            })?;
        slots.resize(capacity, Slot(0));
        Ok(SlotRing { slots, head: 0 })
    }

    /// The physical index after `p` (`p < capacity`).
    #[inline]
    fn step(&self, p: usize) -> usize {
        let p = p + 1;
        if p == self.slots.len() {
            0
        } else {
            p
        }
    }

    /// Drops the oldest of `held` slots starting at `head`, taking its length off `used`;
    /// false (changing nothing) when none is held.
    #[inline]
    fn drop_oldest(&self, head: &mut usize, held: &mut usize, used: &mut usize) -> bool {
        let (Some(old), Some(left)) = (self.slots.get(*head), held.checked_sub(1)) else {
            return false;
        };
        *used -= old.len();
        *held = left;
        *head = self.step(*head);
        true
    }

    /// Logical index `i` (0 is the oldest) of `held` slots.
    #[inline]
    fn get(&self, i: usize, held: usize) -> Option<&Slot> {
        if i >= held {
            return None;
        }
        let p = self.head + i;
        let p = if p >= self.slots.len() {
            p - self.slots.len()
        } else {
            p
        };
        self.slots.get(p)
    }

    /// First logical index whose slot does not satisfy `pred` (slots are partitioned).
    fn partition_point(&self, held: usize, pred: impl Fn(&Slot) -> bool) -> usize {
        let (mut lo, mut hi) = (0, held);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            match self.get(mid, held) {
                Some(slot) if pred(slot) => lo = mid + 1,
                _ => hi = mid,
            }
        }
        lo
    }

    /// Slots from logical index `from` on, oldest first.
    fn iter_from(&self, from: usize, held: usize) -> impl DoubleEndedIterator<Item = &Slot> + '_ {
        (from..held).filter_map(move |i| self.get(i, held))
    }
}

/// The bounded journal.
#[derive(Debug)]
pub struct Journal {
    config: JournalConfig,
    ring: Vec<u8>,
    slots: SlotRing,
    /// End of the newest record in the ring (where the next one goes unless it wraps).
    write_at: usize,
    used_bytes: usize,
    total: u64,
    dropped: u64,
    next_min_timestamp: u64,
}

impl Journal {
    /// Allocates the journal's whole storage; fails rather than aborting when memory is
    /// short.
    pub fn new(config: JournalConfig) -> Result<Journal, ConfigError> {
        config.validate()?;
        let ring_len = config.ring_len();
        let mut ring = Vec::new();
        ring.try_reserve_exact(ring_len)
            .map_err(|_| ConfigError::OutOfMemory { bytes: ring_len })?;
        // Touch the whole ring now, so the journal's memory does not grow later.
        ring.resize(ring_len, 0);
        let slots = SlotRing::new(config.capacity_records as usize)?;
        Ok(Journal {
            config,
            ring,
            slots,
            write_at: 0,
            used_bytes: 0,
            total: 0,
            dropped: 0,
            next_min_timestamp: 0,
        })
    }

    /// The configuration.
    pub fn config(&self) -> JournalConfig {
        self.config
    }

    /// Counters and occupancy.
    pub fn stats(&self) -> Stats {
        Stats {
            total: self.total,
            dropped: self.dropped,
            capacity_records: self.config.capacity_records,
            capacity_bytes: self.config.capacity_bytes,
            // Bounded by the u32 capacities.
            used_records: self.held() as u32,
            used_bytes: self.used_bytes as u32,
        }
    }

    /// Records held: ids `dropped + 1 ..= total`.
    #[inline]
    fn held(&self) -> usize {
        // At most `capacity_records`, a u32.
        (self.total - self.dropped) as usize
    }

    /// Records appended so far (the id of the newest record, 0 when none).
    pub fn total(&self) -> u64 {
        self.total
    }

    /// Records dropped so far (the journal holds ids `dropped + 1 ..= total`).
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// Stores `entry` from `service_id`, stamped `max(now_nsec, previous stamp + 1)`,
    /// dropping the oldest records until it fits.
    #[inline]
    pub fn append(&mut self, now_nsec: u64, service_id: ServiceId, entry: &Entry<'_>) -> Appended {
        // Two copies of the same steps, so the APPEND path (a checked payload stored in
        // one copy) carries nothing of the other.
        match entry.wire_payload() {
            Some(payload) => self.store(
                now_nsec,
                service_id,
                RECORD_PREFIX_LEN + payload.len(),
                |dst, stamp| write_wire(dst, stamp, payload),
            ),
            None => self.store(now_nsec, service_id, entry.record_len(), |dst, stamp| {
                write_record(dst, stamp, entry)
            }),
        }
    }

    /// Makes room for a record of `len` bytes, stamps it and has `write` fill its bytes.
    ///
    /// The ring's state is read into locals once and written back once (the hot path
    /// of every append; see the module documentation for the rules it keeps).
    #[inline]
    fn store(
        &mut self,
        now_nsec: u64,
        service_id: ServiceId,
        len: usize,
        write: impl FnOnce(&mut [u8], &Stamp) -> bool,
    ) -> Appended {
        // Where it goes: right after the newest record, or at the start of the ring when
        // it would cross the end. Either way the space is free once the oldest records
        // that break a bound are dropped below, because the ring has `MAX_RECORD_LEN`
        // bytes beyond `capacity_bytes`:
        // - records not wrapped (one run from the oldest to the newest): the free bytes
        //   before the oldest and after the newest add up to at least `len +
        //   MAX_RECORD_LEN`; when fewer than `len` are after the newest, more than
        //   `MAX_RECORD_LEN` are before the oldest, so offset 0 has room;
        // - records wrapped (the newest before the oldest): the unused tail the wrap left
        //   is shorter than the record that wrapped, so under `MAX_RECORD_LEN`, and the gap
        //   from the newest to the oldest is more than `len`: the record fits after the
        //   newest, before the ring's end.
        // An empty journal has room anywhere. So the bytes are written first (they can
        // only overwrite records this append drops), then the bookkeeping follows.
        let tail = self.write_at;
        // `tail + len <= ring.len()`, written so that it cannot overflow and tells the
        // compiler the slice below is in bounds.
        let fits_at_tail = tail <= self.ring.len() && len <= self.ring.len() - tail;
        let offset = if fits_at_tail { tail } else { 0 };
        let end = offset + len;
        let timestamp_nsec = now_nsec.max(self.next_min_timestamp);
        let record_id = self.total + 1;
        let stamp = Stamp {
            record_id,
            timestamp_nsec,
            service_id,
        };
        if let Some(dst) = self.ring.get_mut(offset..).and_then(|r| r.get_mut(..len)) {
            write(dst, &stamp);
        }
        self.write_at = end;
        self.total = record_id;
        self.next_min_timestamp = timestamp_nsec.saturating_add(1);

        // Drop the oldest records, one at a time, until the new one fits both bounds.
        let capacity_records = self.config.capacity_records as usize;
        let capacity_bytes = self.config.capacity_bytes as usize;
        // Records held before this one: ids `dropped + 1 ..= record_id - 1`.
        let dropped_before = self.dropped;
        let mut held = (record_id - 1 - dropped_before) as usize;
        let ring = &mut self.slots;
        let (mut head, mut used) = (ring.head, self.used_bytes);
        // While a bound is broken a record is held (with none held, `used` is 0 and `len`
        // is within `capacity_bytes`, which holds one largest record; `capacity_records`
        // is at least 1), so the loop never stops on the `else` arms.
        let over =
            |held: usize, used: usize| held >= capacity_records || used + len > capacity_bytes;
        // In a full journal an append of a typical record drops exactly one: that step is
        // written out before the loop so it stays on the straight path.
        if over(held, used) && ring.drop_oldest(&mut head, &mut held, &mut used) {
            while over(held, used) && ring.drop_oldest(&mut head, &mut held, &mut used) {}
        }
        // The slot after the `held` records left (`held` is below the capacity here).
        let at = head + held;
        let at = at.checked_sub(ring.slots.len()).unwrap_or(at);
        if let Some(slot) = ring.slots.get_mut(at) {
            // Both below the ring's length, which the u32 capacity bounds.
            *slot = Slot::new(offset as u32, len as u32);
        }
        ring.head = head;
        self.used_bytes = used + len;
        // The journal holds ids `dropped + 1 ..= total`: the `held` older ones and this one.
        self.dropped = record_id - 1 - held as u64;
        Appended {
            record_id,
            timestamp_nsec,
            // At most `capacity_records`, a u32.
            evicted: (self.dropped - dropped_before) as u32,
        }
    }

    fn slot_bytes(&self, slot: &Slot) -> &[u8] {
        self.ring.get(slot.offset()..slot.end()).unwrap_or(&[])
    }

    /// The stamp of the record in `slot`.
    fn stamp_of(&self, slot: &Slot) -> u64 {
        let at = slot.offset() + STAMP_AT;
        self.ring
            .get(at..)
            .and_then(|b| b.first_chunk::<8>())
            .map_or(0, |b| u64::from_le_bytes(*b))
    }

    fn view(&self, slot: &Slot) -> Option<RecordView<'_>> {
        RecordView::decode(self.slot_bytes(slot))
            .ok()
            .map(|(view, _)| view)
    }

    /// Index of the first slot stamped at or after `since_nsec`.
    fn first_since(&self, since_nsec: u64) -> usize {
        self.slots
            .partition_point(self.held(), |s| self.stamp_of(s) < since_nsec)
    }

    /// Every record held, oldest first.
    pub fn records(&self) -> impl DoubleEndedIterator<Item = RecordView<'_>> + '_ {
        self.slots
            .iter_from(0, self.held())
            .filter_map(|s| self.view(s))
    }

    /// Records stamped at or after `since_nsec`, oldest first.
    pub fn records_since(&self, since_nsec: u64) -> impl Iterator<Item = RecordView<'_>> + '_ {
        self.slots
            .iter_from(self.first_since(since_nsec), self.held())
            .filter_map(|s| self.view(s))
    }

    /// Writes the encodings of the records a QUERY selects, each whole, while they fit in
    /// `budget` bytes; returns how many were written.
    pub(crate) fn write_query(&self, query: Query, budget: usize, w: &mut Writer<'_>) -> u16 {
        let mut count = 0u16;
        let mut left = budget;
        for slot in self
            .slots
            .iter_from(self.first_since(query.since_nsec), self.held())
            .take(usize::from(query.max_count))
        {
            let len = slot.len();
            if len > left {
                break;
            }
            w.put(self.slot_bytes(slot));
            left -= len;
            count += 1;
        }
        count
    }

    /// The records a QUERY selects, as [`crate::handle_request`] would return them.
    pub fn query(&self, query: Query) -> impl Iterator<Item = RecordView<'_>> + '_ {
        let budget = crate::wire::MAX_RESPONSE_LEN - crate::wire::QUERY_RESPONSE_FIXED_LEN;
        let mut left = budget;
        self.records_since(query.since_nsec)
            .take(usize::from(query.max_count))
            .take_while(move |r| {
                let len = r.encoded_len();
                if len > left {
                    false
                } else {
                    left -= len;
                    true
                }
            })
    }
}

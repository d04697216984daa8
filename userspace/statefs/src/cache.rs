//! A write-through cache of whole 4 KiB blocks in front of a [`BlockDevice`], for a
//! device where each request is costly (statefsd's, where every read is an IPC to blkd).
//! littlefs resolves every path by fetching both blocks of each directory's metadata
//! pair, so without it a write three directories deep reads some four times its own size.
//!
//! Reads are served from cached blocks (a miss reads the whole block); writes go to the
//! device at once, in order, and update the cached copies, so what the device holds and
//! when it becomes durable is exactly what it is without the cache.

use alloc::boxed::Box;
use alloc::vec::Vec;

use crate::{BlockDevice, DeviceError, BLOCK_SIZE};

const BLOCK: usize = BLOCK_SIZE as usize;

/// The cache over `D`, holding at most `capacity` blocks (least recently used evicted).
pub struct BlockCache<D: BlockDevice> {
    dev: D,
    capacity: usize,
    /// Most recently used last.
    blocks: Vec<(u64, Box<[u8; BLOCK]>)>,
}

impl<D: BlockDevice> BlockCache<D> {
    /// A cache of `capacity` blocks over `dev`.
    pub fn new(dev: D, capacity: usize) -> Self {
        BlockCache {
            dev,
            capacity: capacity.max(1),
            blocks: Vec::new(),
        }
    }

    /// The device underneath.
    pub fn into_inner(self) -> D {
        self.dev
    }

    /// The cached block `index`, read from the device on a miss.
    fn block(&mut self, index: u64) -> Result<&[u8; BLOCK], DeviceError> {
        if let Some(at) = self.blocks.iter().position(|(i, _)| *i == index) {
            let entry = self.blocks.remove(at);
            self.blocks.push(entry);
        } else {
            let mut data = Box::new([0u8; BLOCK]);
            self.dev.read(index * BLOCK as u64, &mut data[..])?;
            if self.blocks.len() >= self.capacity {
                self.blocks.remove(0);
            }
            self.blocks.push((index, data));
        }
        match self.blocks.last() {
            Some((_, data)) => Ok(data),
            None => Err(DeviceError::Io),
        }
    }
}

impl<D: BlockDevice> BlockDevice for BlockCache<D> {
    fn size(&self) -> u64 {
        self.dev.size()
    }

    fn read(&mut self, offset: u64, buf: &mut [u8]) -> Result<(), DeviceError> {
        crate::device::range(offset, buf.len(), self.size())?;
        let mut done = 0usize;
        while done < buf.len() {
            let at = offset + done as u64;
            let index = at / BLOCK as u64;
            let within = (at % BLOCK as u64) as usize;
            let n = (BLOCK - within).min(buf.len() - done);
            if (index + 1) * BLOCK as u64 > self.size() {
                // A partial block at the partition's end: straight from the device.
                self.dev.read(at, &mut buf[done..done + n])?;
            } else {
                let block = self.block(index)?;
                buf[done..done + n].copy_from_slice(&block[within..within + n]);
            }
            done += n;
        }
        Ok(())
    }

    fn write(&mut self, offset: u64, data: &[u8]) -> Result<(), DeviceError> {
        let end = offset + data.len() as u64;
        if let Err(e) = self.dev.write(offset, data) {
            // What the device holds there is unknown now: forget those blocks.
            self.blocks.retain(|(index, _)| {
                let start = *index * BLOCK as u64;
                start + BLOCK as u64 <= offset || start >= end
            });
            return Err(e);
        }
        for (index, block) in self.blocks.iter_mut() {
            let start = *index * BLOCK as u64;
            let stop = start + BLOCK as u64;
            if stop <= offset || start >= end {
                continue;
            }
            let from = offset.max(start);
            let to = end.min(stop);
            block[(from - start) as usize..(to - start) as usize]
                .copy_from_slice(&data[(from - offset) as usize..(to - offset) as usize]);
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), DeviceError> {
        self.dev.flush()
    }
}

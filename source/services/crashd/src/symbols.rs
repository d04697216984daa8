//! The symbol index crashd symbolizes dumps with on the device: `symbols.nxsym` of the
//! initrd (every program's, by build-id; the build makes it), read once at start with
//! the kernel's read-only `initrd_read` and kept for crashd's life.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use crashd_api::symbols::Symbols;
use nexus_rt::{println, sys};
use nxcd::symbolize::Symbolizer;
use nxcd::Dump;
use symindex::IndexSet;

/// The index's initrd entry.
pub const INDEX: &str = "symbols.nxsym";
/// Largest index crashd loads: 8 MiB, half its heap.
const MAX_INDEX: usize = 8 << 20;

/// The index's symbolizer, timing each dump it symbolizes (`bench:` lines).
pub struct Index {
    symbolizer: Symbolizer<'static>,
}

impl Index {
    /// Reads and checks the index; the reason when there is none to use.
    pub fn load() -> Result<(Index, usize, usize), String> {
        let size = sys::initrd_size(INDEX).map_err(|e| format!("{INDEX}: {e}"))?;
        if size > MAX_INDEX {
            return Err(format!(
                "{INDEX}: {size} bytes, over the cap of {MAX_INDEX}"
            ));
        }
        let mut bytes = Vec::new();
        bytes
            .try_reserve_exact(size)
            .map_err(|_| format!("{INDEX}: no memory for {size} bytes"))?;
        bytes.resize(size, 0);
        let mut at = 0;
        while at < size {
            match sys::initrd_read(INDEX, at, &mut bytes[at..]) {
                Ok(0) => break,
                Ok(n) => at += n,
                Err(e) => return Err(format!("{INDEX}: read at {at}: {e}")),
            }
        }
        if at != size {
            return Err(format!("{INDEX}: {at} of {size} bytes read"));
        }
        // Kept for crashd's life: the index is read in place.
        let bytes: &'static [u8] = bytes.leak();
        let mut set = IndexSet::new();
        set.add(INDEX, bytes).map_err(|e| format!("{e}"))?;
        let modules = set.modules().len();
        Ok((
            Index {
                symbolizer: Symbolizer::new(set),
            },
            modules,
            size,
        ))
    }
}

impl Symbols for Index {
    fn embed(&mut self, dump: &mut Dump) -> usize {
        let t0 = sys::time_ns();
        let n = self.symbolizer.embed(dump);
        let took = sys::time_ns() - t0;
        if n > 0 {
            println!(
                "bench: crashd symbolized {n} frames of {} in {took} ns ({} ns a frame)",
                dump.header.process,
                took / n as u64
            );
        }
        n
    }
}

//! `maps.json`: the modules loaded in the crashed process, and the one function that
//! turns a runtime pc into a module's link-time address.

use alloc::string::String;

use serde::{de, Deserialize, Deserializer, Serialize};

use crate::hex::{address, BuildId};

/// One loaded module. Keys are declared in sorted order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MapEntry {
    /// The module's Build-ID.
    pub build_id: BuildId,
    /// Runtime end address (exclusive).
    #[serde(with = "address")]
    pub end: u64,
    /// Link-time virtual address that corresponds to `start` (the lowest `p_vaddr` of the
    /// module's loaded segments).
    #[serde(with = "address")]
    pub link_base: u64,
    /// Module name (program or library name).
    pub name: String,
    /// Runtime start address (inclusive).
    #[serde(with = "address")]
    pub start: u64,
}

#[derive(Deserialize)]
struct MapEntryIn {
    build_id: BuildId,
    #[serde(with = "address")]
    end: u64,
    #[serde(with = "address")]
    link_base: u64,
    name: String,
    #[serde(with = "address")]
    start: u64,
}

impl<'de> Deserialize<'de> for MapEntry {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<MapEntry, D::Error> {
        let m = MapEntryIn::deserialize(d)?;
        if m.start >= m.end {
            return Err(de::Error::custom("map entry: start must be below end"));
        }
        Ok(MapEntry {
            build_id: m.build_id,
            end: m.end,
            link_base: m.link_base,
            name: m.name,
            start: m.start,
        })
    }
}

/// Where a runtime pc lands: which module, at which offset and link-time address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkAddress<'a> {
    /// The module containing the pc.
    pub module: &'a MapEntry,
    /// `pc - start`.
    pub offset: u64,
    /// `pc - start + link_base`: the address to look up in the module's symbols.
    pub link_addr: u64,
}

impl LinkAddress<'_> {
    /// The module's Build-ID.
    pub fn build_id(&self) -> &BuildId {
        &self.module.build_id
    }
}

/// Finds the first module (in `maps` order) whose `[start, end)` contains `pc` and
/// converts `pc` to that module's link-time address: `pc - start + link_base`.
///
/// `None` when no module contains `pc`, or when the link-time address would overflow.
pub fn link_address(maps: &[MapEntry], pc: u64) -> Option<LinkAddress<'_>> {
    let module = maps.iter().find(|m| m.start <= pc && pc < m.end)?;
    let offset = pc - module.start;
    let link_addr = module.link_base.checked_add(offset)?;
    Some(LinkAddress {
        module,
        offset,
        link_addr,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(name: &str, start: u64, end: u64, link_base: u64) -> MapEntry {
        MapEntry {
            build_id: BuildId::new(name.as_bytes()).unwrap(),
            end,
            link_base,
            name: String::from(name),
            start,
        }
    }

    #[test]
    fn converts_runtime_pc_to_link_address() {
        let maps = [
            entry("app", 0x4000_0000, 0x4001_0000, 0x1_0000),
            entry("libc", 0x5000_0000, 0x5000_8000, 0),
        ];
        let cases = [
            (0x4000_0000, Some(("app", 0, 0x1_0000))),
            (0x4000_1234, Some(("app", 0x1234, 0x1_1234))),
            (0x4000_ffff, Some(("app", 0xffff, 0x1_ffff))),
            (0x4001_0000, None),
            (0x5000_0010, Some(("libc", 0x10, 0x10))),
            (0x3fff_ffff, None),
        ];
        for (pc, want) in cases {
            let got =
                link_address(&maps, pc).map(|l| (l.module.name.as_str(), l.offset, l.link_addr));
            assert_eq!(got, want, "pc {pc:#x}");
        }
    }

    #[test]
    fn rejects_link_address_overflow() {
        let maps = [entry("m", 0x1000, 0x2000, u64::MAX - 4)];
        assert!(link_address(&maps, 0x1010).is_none());
    }
}

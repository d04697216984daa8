//! On-device symbolization: `Symbolizer::embed` writes what the index resolves into the
//! dump's frames, so a reader without the index sees the same locations.

use crate::fixtures::minimal_dump;
use nxcd::symbolize::{Origin, Symbolizer};
use nxcd::{BuildId, Dump, Frame, MapEntry};
use symindex::IndexSet;

/// The symbol index's committed sample: module `0xaa..` maps 0x1000 + 3 * 8 to
/// `core::leaf` inlined in `app::middle` inlined in `app::outer`.
const SAMPLE: &[u8] =
    include_bytes!("../../../symindex/fuzz/corpus/index_reader/valid-sample.nxsym");

fn dump() -> Dump {
    let mut d = minimal_dump();
    d.maps = vec![MapEntry {
        build_id: BuildId::new(&[0xaa; 20]).unwrap(),
        end: 0x4002_0000,
        link_base: 0x1000,
        name: "m0".into(),
        start: 0x4001_0000,
    }];
    d.frames = vec![
        // The faulting pc, exact.
        Frame::at(0x4001_0000 + 3 * 8),
        // A return address: looked up one byte back, in the same scope.
        Frame::at(0x4001_0000 + 3 * 8 + 1),
        // Outside every module: stays raw.
        Frame::at(0x10),
    ];
    d
}

#[test]
fn embedded_frames_read_back_as_the_index_resolved_them() {
    let mut set = IndexSet::new();
    set.add("symbols.nxsym", SAMPLE).unwrap();
    let mut sym = Symbolizer::new(set);
    let mut d = dump();
    let before = sym.frames(&d);
    assert_eq!(sym.embed(&mut d), 2);
    for (i, f) in d.frames.iter().take(2).enumerate() {
        assert_eq!(f.function.as_deref(), Some("core::leaf"), "frame {i}");
        let chain: Vec<_> = f.inlined.iter().map(|l| l.function.as_deref()).collect();
        assert_eq!(
            chain,
            [Some("app::middle"), Some("app::outer")],
            "frame {i}"
        );
    }
    assert!(!d.frames[2].is_symbolized());
    // What a reader without an index sees is what the index gave.
    let after = Symbolizer::new(IndexSet::new()).frames(&d);
    for (b, a) in before.iter().zip(&after).take(2) {
        assert_eq!(b.origin, Origin::Index);
        assert_eq!(a.origin, Origin::Dump);
        assert_eq!(a.locations, b.locations);
    }
    // The embedded dump encodes and decodes with its locations.
    let back = Dump::decode(&d.encode().unwrap()).unwrap();
    assert_eq!(back.frames, d.frames);
    // A second pass finds nothing more to do.
    assert_eq!(sym.embed(&mut d), 0);
}

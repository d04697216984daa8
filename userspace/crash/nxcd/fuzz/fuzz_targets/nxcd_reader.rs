//! Fuzz target: the `.nxcd` reader must return `Ok` or a typed error for any input, and
//! every accessor of what it returns must work without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nxcd::{Container, Dump, Limits, SectionName};

fuzz_target!(|data: &[u8]| {
    if let Ok(container) = Container::parse(data, &Limits::DEFAULT) {
        let _ = container.minor_version();
        let _ = container.entries().len();
        for s in SectionName::ALL {
            let _ = container.section(s);
        }
        if let Ok(dump) = Dump::from_container(&container) {
            // A decoded dump re-encodes, and the result decodes to the same dump.
            if let Ok(bytes) = dump.encode() {
                assert_eq!(Dump::decode(&bytes).ok().as_ref(), Some(&dump));
            }
            for f in &dump.frames {
                let _ = dump.link_address(f.pc);
                let _ = f.locations();
            }
        }
    }
});

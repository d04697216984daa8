//! Shared test fixtures: sample dumps built with the crate's types, and `Synth`, an
//! independent byte-level synthesizer of `.nxcd` files that does not reuse the crate's
//! layout code, so a wrong change to the layout shows up as a mismatch.

use nxcd::{
    BuildId, Dump, DumpId, Frame, Header, Level, LogRecord, MapEntry, Registers, ServiceId,
    SourceLocation, Span,
};

/// A dump with every section present.
pub fn full_dump() -> Dump {
    let app = BuildId::from_hex("9c1e4d2a00112233445566778899aabbccddeeff").unwrap();
    let libc = BuildId::from_hex("0102030405060708").unwrap();
    let mut regs = Registers::default();
    for (i, r) in regs.x.iter_mut().enumerate() {
        *r = 0x1000 * i as u64;
    }
    regs.x[0] = 0;
    regs.pc = 0x4000_1234;
    regs.sstatus = 0x8000_0000_0000_6000;
    regs.scause = 13;
    regs.stval = 0x10;
    Dump {
        header: Header {
            arch: "riscv64".into(),
            build_id: app.clone(),
            created_ns: 1_766_484_000_123_456_789,
            dump_id: DumpId::new("20251223-demo-42").unwrap(),
            exit_code: -14,
            logs_error: None,
            os_version: Some("0.3.0".into()),
            redacted: None,
            repeats: None,
            seq: None,
            pc: 0x4000_1234,
            pid: 42,
            process: "demo".into(),
            scause: 13,
            stval: 0x10,
        },
        frames: vec![
            Frame {
                build_id: Some(app.clone()),
                ..Frame::at(0x4000_1234)
            },
            Frame {
                build_id: Some(app.clone()),
                file: Some("src/main.rs".into()),
                function: Some("demo::inner".into()),
                inlined: vec![SourceLocation {
                    file: Some("src/main.rs".into()),
                    function: Some("demo::main".into()),
                    line: Some(30),
                }],
                line: Some(12),
                pc: 0x4000_2000,
                return_address: None,
            },
            Frame::at(0x5000_0010),
        ],
        maps: vec![
            MapEntry {
                build_id: app,
                end: 0x4001_0000,
                link_base: 0x1_0000,
                name: "demo".into(),
                start: 0x4000_0000,
            },
            MapEntry {
                build_id: libc,
                end: 0x5000_8000,
                link_base: 0,
                name: "libc.so".into(),
                start: 0x5000_0000,
            },
        ],
        logs: Some(vec![
            LogRecord {
                record_id: 1,
                timestamp_nsec: 1_766_484_000_000_000_000,
                service_id: ServiceId(7),
                level: Level::Info,
                scope: b"demo".to_vec(),
                message: b"starting".to_vec(),
                fields: b"op=start\n".to_vec(),
            },
            LogRecord {
                record_id: 2,
                timestamp_nsec: 1_766_484_000_100_000_000,
                service_id: ServiceId(7),
                level: Level::Error,
                scope: b"demo".to_vec(),
                message: vec![0xff, 0xfe, b'x'],
                fields: Vec::new(),
            },
        ]),
        spans: Some(vec![
            Span {
                end_ns: Some(1_766_484_000_050_000_000),
                id: 1,
                name: "init".into(),
                parent: None,
                start_ns: 1_766_484_000_000_000_000,
            },
            Span {
                end_ns: None,
                id: 2,
                name: "work".into(),
                parent: Some(1),
                start_ns: 1_766_484_000_060_000_000,
            },
        ]),
        regs: Some(regs),
    }
}

/// A dump with only the required sections.
pub fn minimal_dump() -> Dump {
    let mut d = full_dump();
    d.frames = vec![Frame::at(0x4000_1234)];
    d.maps.truncate(1);
    d.header.os_version = None;
    d.logs = None;
    d.spans = None;
    d.regs = None;
    d
}

/// The valid JSON of the three required sections, written by hand.
pub const HEADER_JSON: &str = r#"{"arch":"riscv64","build_id":"aa","created_ns":5,"dump_id":"x","exit_code":-14,"format_version":2,"pc":"0x10","pid":1,"process":"p","scause":13,"stval":"0x0"}"#;
/// A valid `frames.json`.
pub const FRAMES_JSON: &str = r#"[{"pc":"0x10"}]"#;
/// A valid `maps.json`.
pub const MAPS_JSON: &str =
    r#"[{"build_id":"aa","end":"0x20","link_base":"0x0","name":"p","start":"0x0"}]"#;

/// One section of a synthesized file; `None` overrides mean "the correct value".
#[derive(Clone)]
pub struct SynthSection {
    pub name: Vec<u8>,
    pub data: Vec<u8>,
    pub offset: Option<u64>,
    pub len: Option<u64>,
    pub crc: Option<u32>,
}

impl SynthSection {
    pub fn new(name: &str, data: &[u8]) -> SynthSection {
        SynthSection {
            name: name.as_bytes().to_vec(),
            data: data.to_vec(),
            offset: None,
            len: None,
            crc: None,
        }
    }
}

/// A `.nxcd` file described field by field.
#[derive(Clone)]
pub struct Synth {
    pub major: u16,
    pub minor: u16,
    pub sections: Vec<SynthSection>,
}

impl Synth {
    /// The three required sections with hand-written valid JSON.
    pub fn valid() -> Synth {
        Synth {
            major: 2,
            minor: 0,
            sections: vec![
                SynthSection::new("header.json", HEADER_JSON.as_bytes()),
                SynthSection::new("frames.json", FRAMES_JSON.as_bytes()),
                SynthSection::new("maps.json", MAPS_JSON.as_bytes()),
            ],
        }
    }

    pub fn with(mut self, section: SynthSection) -> Synth {
        self.sections.push(section);
        self
    }

    pub fn section_mut(&mut self, name: &str) -> &mut SynthSection {
        self.sections
            .iter_mut()
            .find(|s| s.name == name.as_bytes())
            .unwrap()
    }

    /// Lays the file out: 32-byte header, 40-byte entries, data back to back.
    pub fn bytes(&self) -> Vec<u8> {
        let table_end = 32 + 40 * self.sections.len();
        let total: usize = table_end + self.sections.iter().map(|s| s.data.len()).sum::<usize>();
        let mut out = Vec::new();
        out.extend_from_slice(b"\x89NXCD\r\n\x1a");
        out.extend_from_slice(&self.major.to_le_bytes());
        out.extend_from_slice(&self.minor.to_le_bytes());
        out.extend_from_slice(&(self.sections.len() as u16).to_le_bytes());
        out.extend_from_slice(&[0, 0]);
        out.extend_from_slice(&(total as u64).to_le_bytes());
        out.extend_from_slice(&[0; 8]); // table CRC (patched below) + reserved
        let mut offset = table_end as u64;
        for s in &self.sections {
            let mut name = [0u8; 16];
            name[..s.name.len()].copy_from_slice(&s.name);
            out.extend_from_slice(&name);
            out.extend_from_slice(&s.offset.unwrap_or(offset).to_le_bytes());
            out.extend_from_slice(&s.len.unwrap_or(s.data.len() as u64).to_le_bytes());
            out.extend_from_slice(
                &s.crc
                    .unwrap_or_else(|| crc32fast::hash(&s.data))
                    .to_le_bytes(),
            );
            out.extend_from_slice(&[0; 4]);
            offset += s.data.len() as u64;
        }
        let mut h = crc32fast::Hasher::new();
        h.update(&out[..24]);
        h.update(&out[32..]);
        let crc = h.finalize();
        out[24..28].copy_from_slice(&crc.to_le_bytes());
        for s in &self.sections {
            out.extend_from_slice(&s.data);
        }
        assert_eq!(out.len(), total);
        out
    }
}

/// Recomputes the header-and-table CRC of a file after a test edited the table.
pub fn fix_table_crc(bytes: &mut [u8]) {
    let count = u16::from_le_bytes([bytes[12], bytes[13]]) as usize;
    let table_end = 32 + 40 * count;
    let mut h = crc32fast::Hasher::new();
    h.update(&bytes[..24]);
    h.update(&bytes[32..table_end]);
    let crc = h.finalize();
    bytes[24..28].copy_from_slice(&crc.to_le_bytes());
}

//! The boot manifest (`boot.manifest` in the initrd): which programs exist, their
//! service ids, and how init and execd treat them.
//!
//! Text, one program per line: `NAME FLAG...`; `#` starts a comment; blank lines are
//! ignored. A program's service id is its 1-based position among the program lines. The
//! first program is the one the kernel starts (init). Flags:
//!
//! - `spawn`: the program may use the `spawn` syscall (init and execd);
//! - `boot`: init starts it at boot, in manifest order, waiting for each to report ready;
//! - `app`: execd starts it at boot (after execd is ready, in manifest order, without
//!   waiting for one before the next) and supervises it;
//! - `ondemand`: execd starts it only when a `runner` program asks;
//! - `runner`: the program may ask execd to start `ondemand` programs (and programs
//!   handed over in memory) and wait for them;
//! - `final`: when it exits, init exits with its status and the system stops;
//! - `exec`: the program may use `spawn_image` (start an ELF from its own memory: execd);
//! - `sensitive`: the program handles secrets, so its crash dumps carry no memory: crashd
//!   leaves out the frames it would unwind through the stack copy and the log records of
//!   other services (docs/reliability/crashd.md, "Redaction"). A program without the
//!   flag gets whole dumps;
//! - `device=KIND`: the kernel grants the program a device of that virtio kind
//!   (`virtio-blk`, `virtio-net`, `virtio-console`, `virtio-rng`): its MMIO window and
//!   DMA memory. A kind is granted to one program only; that program may repeat the flag
//!   to hold several devices of the kind (each grant takes the next free device of the
//!   kind, in slot order), up to `abi::layout::MAX_GRANTS` grants in all;
//! - `restart=never` (the default) or `restart=on-failure`: what execd does when the
//!   program, one it supervises, exits with a non-zero code or faults: nothing, or start
//!   it again after a growing delay until it crashed too often within a window (then it
//!   is in the crash-loop state; the numbers: docs/architecture/execd.md). At most one
//!   `restart=` per line.

use abi::layout::MAX_GRANTS;
use alloc::vec::Vec;
use core::fmt;

/// Most programs a manifest may list.
pub const MAX_PROGRAMS: usize = 32;
/// Largest manifest text, in bytes.
pub const MAX_TEXT: usize = 8192;

/// What execd does when a program it supervises ends with a non-zero code or a fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Restart {
    /// Leave it ended (`restart=never`, the default).
    #[default]
    Never,
    /// Start it again after a growing delay, until it is in the crash-loop state
    /// (`restart=on-failure`).
    OnFailure,
}

/// What init, execd and the kernel know about one program.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Program<'a> {
    /// Program name, also its initrd entry name.
    pub name: &'a str,
    /// Its service id (1-based line position).
    pub id: u32,
    /// May use `spawn`.
    pub spawn: bool,
    /// Started by init at boot.
    pub boot: bool,
    /// Started by execd at boot.
    pub app: bool,
    /// Started by execd on a runner's request.
    pub ondemand: bool,
    /// May ask execd to run `ondemand` programs.
    pub runner: bool,
    /// Its exit ends the system.
    pub is_final: bool,
    /// May use `spawn_image`.
    pub exec: bool,
    /// Its crash dumps carry no memory and no other service's records.
    pub sensitive: bool,
    /// Its device grants, in the order of its `device=` flags.
    pub devices: Grants,
    /// What execd does when it crashes.
    pub restart: Restart,
}

impl Program<'_> {
    /// The virtio device ids granted to the program, one per grant, in grant order
    /// (the order of its `device=` flags; a kind repeated is granted again).
    pub fn granted(&self) -> impl Iterator<Item = u32> + '_ {
        self.devices.kinds().iter().map(|&k| u32::from(k))
    }
}

/// A program's device grants: virtio device ids, in grant order, at most
/// [`MAX_GRANTS`] of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Grants {
    kinds: [u8; MAX_GRANTS],
    len: u8,
}

impl Grants {
    /// The granted virtio device ids, in grant order.
    pub fn kinds(&self) -> &[u8] {
        &self.kinds[..usize::from(self.len)]
    }

    /// Whether any grant is of virtio device id `kind`.
    pub fn holds(&self, kind: u32) -> bool {
        self.kinds().iter().any(|&k| u32::from(k) == kind)
    }

    /// Adds a grant of `kind`; false when [`MAX_GRANTS`] are held already.
    fn push(&mut self, kind: u8) -> bool {
        let Some(slot) = self.kinds.get_mut(usize::from(self.len)) else {
            return false;
        };
        *slot = kind;
        self.len += 1;
        true
    }
}

/// What is wrong with a manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ManifestError {
    /// Over [`MAX_TEXT`] bytes or not UTF-8.
    BadText,
    /// Line `n` (1-based) names a program with an invalid name.
    BadName(usize),
    /// Line `n` has an unknown flag.
    UnknownFlag(usize),
    /// Line `n` repeats a program.
    Duplicate(usize),
    /// More than [`MAX_PROGRAMS`] programs, or none.
    BadCount(usize),
    /// Line `n` grants a device kind that is unknown or already granted to another
    /// program.
    BadDevice(usize),
    /// Line `n` holds more than [`MAX_GRANTS`] device grants.
    TooManyGrants(usize),
    /// Line `n` has an unknown `restart=` value, or more than one `restart=`.
    BadRestart(usize),
}

impl fmt::Display for ManifestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ManifestError::BadText => f.write_str("manifest: too long or not UTF-8"),
            ManifestError::BadName(n) => write!(f, "manifest line {n}: invalid program name"),
            ManifestError::UnknownFlag(n) => write!(f, "manifest line {n}: unknown flag"),
            ManifestError::Duplicate(n) => write!(f, "manifest line {n}: duplicate program"),
            ManifestError::BadCount(n) => write!(f, "manifest: {n} programs (1..=32)"),
            ManifestError::BadDevice(n) => {
                write!(
                    f,
                    "manifest line {n}: unknown device kind or granted to another program"
                )
            }
            ManifestError::TooManyGrants(n) => {
                write!(f, "manifest line {n}: more than {MAX_GRANTS} device grants")
            }
            ManifestError::BadRestart(n) => write!(
                f,
                "manifest line {n}: restart= must be given once, as never or on-failure"
            ),
        }
    }
}

impl core::error::Error for ManifestError {}

/// A parsed boot manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest<'a> {
    programs: Vec<Program<'a>>,
}

impl<'a> Manifest<'a> {
    /// Parses manifest text.
    pub fn parse(bytes: &'a [u8]) -> Result<Manifest<'a>, ManifestError> {
        if bytes.len() > MAX_TEXT {
            return Err(ManifestError::BadText);
        }
        let text = core::str::from_utf8(bytes).map_err(|_| ManifestError::BadText)?;
        let mut programs: Vec<Program<'a>> = Vec::new();
        for (i, raw) in text.lines().enumerate() {
            let line_no = i + 1;
            let line = raw.split('#').next().unwrap_or("");
            let mut words = line.split_ascii_whitespace();
            let Some(name) = words.next() else { continue };
            if !crate::is_valid_name(name.as_bytes()) {
                return Err(ManifestError::BadName(line_no));
            }
            if programs.iter().any(|p| p.name == name) {
                return Err(ManifestError::Duplicate(line_no));
            }
            if programs.len() == MAX_PROGRAMS {
                return Err(ManifestError::BadCount(MAX_PROGRAMS + 1));
            }
            let mut p = Program {
                name,
                id: programs.len() as u32 + 1,
                spawn: false,
                boot: false,
                app: false,
                ondemand: false,
                runner: false,
                is_final: false,
                exec: false,
                sensitive: false,
                devices: Grants::default(),
                restart: Restart::Never,
            };
            let mut restart_given = false;
            for flag in words {
                if let Some(value) = flag.strip_prefix("restart=") {
                    if restart_given {
                        return Err(ManifestError::BadRestart(line_no));
                    }
                    restart_given = true;
                    p.restart = match value {
                        "never" => Restart::Never,
                        "on-failure" => Restart::OnFailure,
                        _ => return Err(ManifestError::BadRestart(line_no)),
                    };
                    continue;
                }
                if let Some(kind) = flag.strip_prefix("device=") {
                    let id = abi::device::virtio_kind(kind)
                        .and_then(|id| u8::try_from(id).ok())
                        .ok_or(ManifestError::BadDevice(line_no))?;
                    if programs.iter().any(|q| q.devices.holds(u32::from(id))) {
                        return Err(ManifestError::BadDevice(line_no));
                    }
                    if !p.devices.push(id) {
                        return Err(ManifestError::TooManyGrants(line_no));
                    }
                    continue;
                }
                match flag {
                    "spawn" => p.spawn = true,
                    "boot" => p.boot = true,
                    "app" => p.app = true,
                    "ondemand" => p.ondemand = true,
                    "runner" => p.runner = true,
                    "final" => p.is_final = true,
                    "exec" => p.exec = true,
                    "sensitive" => p.sensitive = true,
                    _ => return Err(ManifestError::UnknownFlag(line_no)),
                }
            }
            programs.push(p);
        }
        if programs.is_empty() {
            return Err(ManifestError::BadCount(0));
        }
        Ok(Manifest { programs })
    }

    /// Programs in manifest order (service ids 1, 2, ...).
    pub fn programs(&self) -> &[Program<'a>] {
        &self.programs
    }

    /// The program the kernel starts: the first line.
    pub fn first(&self) -> Option<&Program<'a>> {
        self.programs.first()
    }

    /// The program called `name`.
    pub fn by_name(&self, name: &str) -> Option<&Program<'a>> {
        self.programs.iter().find(|p| p.name == name)
    }

    /// The program with service id `id`.
    pub fn by_id(&self, id: u32) -> Option<&Program<'a>> {
        let index = usize::try_from(id).ok()?.checked_sub(1)?;
        self.programs.get(index)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_ids_flags_and_comments() {
        let text = b"# boot manifest\ninit spawn\n\nsamgrd boot   # registry\nselftest-client boot runner final\nspinner ondemand\n";
        let m = Manifest::parse(text).unwrap();
        let names: Vec<_> = m.programs().iter().map(|p| (p.name, p.id)).collect();
        assert_eq!(
            names,
            [
                ("init", 1),
                ("samgrd", 2),
                ("selftest-client", 3),
                ("spinner", 4)
            ]
        );
        assert!(m.first().unwrap().spawn);
        let st = m.by_name("selftest-client").unwrap();
        assert!(st.boot && st.runner && st.is_final && !st.spawn);
        assert!(m.by_id(4).unwrap().ondemand);
        assert_eq!(m.by_id(0), None);
        assert_eq!(m.by_id(5), None);
    }

    #[test]
    fn the_sensitive_flag_marks_only_its_program() {
        let m = Manifest::parse(b"init spawn\nkeyd boot sensitive\ncrash-demo ondemand\n").unwrap();
        assert!(m.by_name("keyd").unwrap().sensitive);
        assert!(!m.by_name("init").unwrap().sensitive);
        assert!(!m.by_name("crash-demo").unwrap().sensitive);
        assert_eq!(
            Manifest::parse(b"init spawn\nkeyd sensitve\n"),
            Err(ManifestError::UnknownFlag(2))
        );
    }

    #[test]
    fn grants_devices_and_the_exec_right() {
        let text = b"init spawn\nblkd boot device=virtio-blk device=virtio-rng\nexecd exec\n";
        let m = Manifest::parse(text).unwrap();
        let blkd = m.by_name("blkd").unwrap();
        assert_eq!(blkd.granted().collect::<Vec<_>>(), [2, 4]);
        assert!(!blkd.exec);
        let execd = m.by_name("execd").unwrap();
        assert!(execd.exec && execd.devices.kinds().is_empty());
        assert!(!m.by_name("init").unwrap().exec);
    }

    #[test]
    fn a_device_kind_goes_to_one_program_only() {
        assert_eq!(
            Manifest::parse(b"init\na device=virtio-blk\nb device=virtio-blk\n"),
            Err(ManifestError::BadDevice(3))
        );
        assert_eq!(
            Manifest::parse(b"init\na device=virtio-blk device=virtio-blk\nb device=virtio-blk\n"),
            Err(ManifestError::BadDevice(3))
        );
        assert_eq!(
            Manifest::parse(b"init device=floppy\n"),
            Err(ManifestError::BadDevice(1))
        );
        assert_eq!(
            Manifest::parse(b"init device=\n"),
            Err(ManifestError::BadDevice(1))
        );
    }

    #[test]
    fn a_kind_repeated_is_granted_again_in_flag_order() {
        let text = b"init\nblkd device=virtio-blk device=virtio-rng device=virtio-blk\n";
        let m = Manifest::parse(text).unwrap();
        let blkd = m.by_name("blkd").unwrap();
        assert_eq!(blkd.granted().collect::<Vec<_>>(), [2, 4, 2]);
        assert!(blkd.devices.holds(2) && blkd.devices.holds(4) && !blkd.devices.holds(1));
    }

    #[test]
    fn at_most_max_grants_per_program() {
        let mut line = alloc::string::String::from("init\nblkd");
        for _ in 0..MAX_GRANTS {
            line.push_str(" device=virtio-blk");
        }
        let m = Manifest::parse(line.as_bytes()).unwrap();
        assert_eq!(m.by_name("blkd").unwrap().granted().count(), MAX_GRANTS);
        line.push_str(" device=virtio-blk\n");
        assert_eq!(
            Manifest::parse(line.as_bytes()),
            Err(ManifestError::TooManyGrants(2))
        );
    }

    #[test]
    fn app_and_restart_flags() {
        let text = b"init spawn
execd boot spawn exec
loop app restart=on-failure
once app restart=never
demo ondemand
";
        let m = Manifest::parse(text).unwrap();
        let looping = m.by_name("loop").unwrap();
        assert!(looping.app && !looping.ondemand && !looping.boot);
        assert_eq!(looping.restart, Restart::OnFailure);
        assert_eq!(m.by_name("once").unwrap().restart, Restart::Never);
        let demo = m.by_name("demo").unwrap();
        assert!(!demo.app && demo.ondemand);
        assert_eq!(demo.restart, Restart::Never, "the default");
        for bad in [
            &b"init
x restart=always
"[..],
            b"init
x restart=
",
            b"init
x restart=never restart=on-failure
",
            b"init
x restart=never restart=never
",
        ] {
            assert_eq!(Manifest::parse(bad), Err(ManifestError::BadRestart(2)));
        }
    }

    #[test]
    fn rejects_bad_manifests() {
        assert_eq!(
            Manifest::parse(b"init\nInit\n"),
            Err(ManifestError::BadName(2))
        );
        assert_eq!(
            Manifest::parse(b"init fly\n"),
            Err(ManifestError::UnknownFlag(1))
        );
        assert_eq!(
            Manifest::parse(b"a\n#\na\n"),
            Err(ManifestError::Duplicate(3))
        );
        assert_eq!(
            Manifest::parse(b"# nothing\n"),
            Err(ManifestError::BadCount(0))
        );
        assert_eq!(Manifest::parse(&[0xff]), Err(ManifestError::BadText));
        let mut many = alloc::string::String::new();
        for i in 0..33 {
            many.push_str(&alloc::format!("p{i}\n"));
        }
        assert_eq!(
            Manifest::parse(many.as_bytes()),
            Err(ManifestError::BadCount(33))
        );
    }
}

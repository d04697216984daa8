//! `crash-demo`: a small program that really crashes and records its own crash dump; the
//! subject of `make run` (`scripts/demo.sh`).
//!
//! It loads a config (a built-in, deliberately bad one unless `--config FILE` is given)
//! through a known call chain: `main` → `run` (never inlined) → `parse_config` (always
//! inlined into `run`) → `validate` (never inlined), which divides by the configured
//! retry count and so panics when it is 0.
//!
//! The panic hook, installed as soon as the arguments are read, records what a crash handler on
//! the OS records, and nothing more: the raw return addresses of the stack (from the
//! unwinder, never symbolized here), the loaded ELF modules from `/proc/self/maps` with
//! their runtime range, link-time base and GNU Build-ID, and the program's own log
//! records. It writes them as `<dump_id>.nxcd` into `--out-dir` through the nxcd writer
//! (atomic: temporary file, fsync, rename). The process then ends like any panicking Rust
//! program, with exit code 101. Turning the pcs into functions and lines is the job of
//! `nx crash show --sym`.
//!
//! Host stand-ins for the OS's fault record: `scause` and `stval` are 0 (a panic is not a
//! trap), there is no `regs.bin` (host registers do not fit the RISC-V layout), the
//! architecture is the host's, and times come from `SOURCE_DATE_EPOCH` when it is set,
//! else from the clock.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Mutex, OnceLock};
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context as _, Result};
use nxcd::{BuildId, Dump, DumpId, Frame, Header, Level, LogRecord, MapEntry, ServiceId};
use object::{Object as _, ObjectSegment as _};

/// The exit code of a Rust program that panics: what the runtime returns, and what the
/// dump header records.
const PANIC_EXIT_CODE: i64 = 101;
/// Most frames recorded; deeper frames are left out.
const MAX_FRAMES: usize = 128;
/// Log records kept for the dump; when full, the oldest is dropped (record ids keep
/// counting, so a gap in the ids shows how many were dropped).
const MAX_LOG_RECORDS: usize = 64;
/// Largest `/proc/self/maps` read.
const MAX_MAPS_BYTES: u64 = 1 << 20;
/// Largest ELF file read to find a module's Build-ID and link-time base.
const MAX_ELF_BYTES: u64 = 512 << 20;
/// Largest config file read.
const MAX_CONFIG_BYTES: u64 = 64 << 10;
/// Page size the link-time base is rounded down to.
const PAGE_SIZE: u64 = 4096;
/// The config used when none is given: three retries would be fine, zero is the bug.
const BUILTIN_CONFIG: &str = "# crash-demo config\nname = uplink\ntimeout_ms = 1500\nretries = 0\n";

const USAGE: &str = "usage: crash-demo --out-dir DIR [--config FILE]";

/// Where times come from: `SOURCE_DATE_EPOCH` (a fixed time) or the clock.
#[derive(Debug, Clone, Copy)]
enum Clock {
    /// Every time is this many nanoseconds since the Unix epoch.
    Fixed(u64),
    /// The system clock.
    System,
}

impl Clock {
    /// `SOURCE_DATE_EPOCH` (seconds) when set, else the system clock.
    fn from_env() -> Result<Clock> {
        match std::env::var("SOURCE_DATE_EPOCH") {
            Ok(text) => {
                let secs: u64 = text.trim().parse().with_context(|| {
                    format!("SOURCE_DATE_EPOCH={text:?} is not a number of seconds")
                })?;
                let ns = secs
                    .checked_mul(1_000_000_000)
                    .context("SOURCE_DATE_EPOCH is too large")?;
                Ok(Clock::Fixed(ns))
            }
            Err(std::env::VarError::NotPresent) => Ok(Clock::System),
            Err(e) => bail!("SOURCE_DATE_EPOCH: {e}"),
        }
    }

    /// Now, in nanoseconds since the Unix epoch (0 if the clock is before it).
    fn now_ns(self) -> u64 {
        match self {
            Clock::Fixed(ns) => ns,
            Clock::System => SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
                .unwrap_or(0),
        }
    }
}

/// What the panic hook needs: where to write, who we are, and the recent log records.
struct Recorder {
    out_dir: PathBuf,
    process: String,
    pid: u32,
    clock: Clock,
    /// The most recent log records, oldest first, and the id of the last one.
    logs: Mutex<(VecDeque<LogRecord>, u64)>,
}

impl Recorder {
    /// Locks the log records. A poisoned lock still holds good records; a lock already
    /// held (a panic while logging) gives `None` rather than a deadlock.
    fn logs(&self) -> Option<std::sync::MutexGuard<'_, (VecDeque<LogRecord>, u64)>> {
        match self.logs.try_lock() {
            Ok(guard) => Some(guard),
            Err(std::sync::TryLockError::Poisoned(p)) => Some(p.into_inner()),
            Err(std::sync::TryLockError::WouldBlock) => None,
        }
    }
}

static RECORDER: OnceLock<Recorder> = OnceLock::new();

/// Logs one line to stderr and keeps it for the crash dump.
fn log(level: Level, message: &str, fields: &str) {
    eprintln!("crash-demo: {level}: {message}");
    let Some(recorder) = RECORDER.get() else {
        return;
    };
    let Some(mut guard) = recorder.logs() else {
        return;
    };
    let (records, last_id) = &mut *guard;
    *last_id = last_id.saturating_add(1);
    if records.len() == MAX_LOG_RECORDS {
        records.pop_front();
    }
    records.push_back(LogRecord {
        record_id: *last_id,
        timestamp_nsec: recorder.clock.now_ns(),
        // The host has no service ids; 0 stands for "not a service".
        service_id: ServiceId(0),
        level,
        scope: recorder.process.as_bytes().to_vec(),
        message: message.as_bytes().to_vec(),
        fields: fields.as_bytes().to_vec(),
    });
}

/// The settings the config describes.
#[derive(Debug)]
struct Config {
    name: String,
    timeout_ms: u32,
    retries: u32,
}

/// Checks the config and returns the time budget of one attempt. Never inlined, so it
/// is a frame of its own in a crash: it divides by `retries`, and panics when that is 0.
#[inline(never)]
fn validate(config: &Config) -> Result<u32> {
    let per_attempt_ms = config.timeout_ms / config.retries;
    if per_attempt_ms < 10 {
        bail!(
            "{}: {} ms over {} retries leaves under 10 ms per attempt",
            config.name,
            config.timeout_ms,
            config.retries
        );
    }
    Ok(per_attempt_ms)
}

/// Parses `key = value` lines (`#` starts a comment) and validates the result. Always
/// inlined into `run`: in a crash it shows as an inlined frame of `run`.
#[inline(always)]
fn parse_config(text: &str) -> Result<(Config, u32)> {
    let mut config = Config {
        name: String::from("unnamed"),
        timeout_ms: 1000,
        retries: 3,
    };
    for (index, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (key, value) = line
            .split_once('=')
            .with_context(|| format!("config line {}: expected key = value", index + 1))?;
        let (key, value) = (key.trim(), value.trim());
        let number = || -> Result<u32> {
            value
                .parse()
                .with_context(|| format!("config line {}: {key} must be a number", index + 1))
        };
        match key {
            "name" => config.name = value.to_string(),
            "timeout_ms" => config.timeout_ms = number()?,
            "retries" => config.retries = number()?,
            _ => bail!("config line {}: unknown key {key:?}", index + 1),
        }
    }
    log(
        Level::Debug,
        "config parsed",
        &format!(
            "name={}\ntimeout_ms={}\nretries={}\n",
            config.name, config.timeout_ms, config.retries
        ),
    );
    let per_attempt_ms = validate(&config)?;
    Ok((config, per_attempt_ms))
}

/// Loads the config. Never inlined, so it is a frame of its own in a crash.
#[inline(never)]
fn run(text: &str) -> Result<()> {
    log(
        Level::Info,
        "loading config",
        &format!("bytes={}\n", text.len()),
    );
    let (config, per_attempt_ms) = parse_config(text)?;
    log(
        Level::Info,
        "config loaded",
        &format!("name={}\nper_attempt_ms={per_attempt_ms}\n", config.name),
    );
    println!(
        "{}: {} retries of {per_attempt_ms} ms",
        config.name, config.retries
    );
    Ok(())
}

/// Command-line arguments.
struct Args {
    out_dir: PathBuf,
    config: Option<PathBuf>,
}

fn parse_args() -> Result<Args> {
    let mut it = std::env::args_os().skip(1);
    let (mut out_dir, mut config) = (None, None);
    while let Some(arg) = it.next() {
        let mut value = || {
            it.next()
                .map(PathBuf::from)
                .with_context(|| format!("{} needs a value; {USAGE}", arg.to_string_lossy()))
        };
        match arg.to_str() {
            Some("--out-dir") => out_dir = Some(value()?),
            Some("--config") => config = Some(value()?),
            _ => bail!("unknown argument {}; {USAGE}", arg.to_string_lossy()),
        }
    }
    Ok(Args {
        out_dir: out_dir.with_context(|| format!("--out-dir is required; {USAGE}"))?,
        config,
    })
}

/// Keeps `[A-Za-z0-9._-]` and replaces anything else with `_`, so the name fits a dump id.
fn file_safe(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// The dump id: `<seconds>-<process>-<pid>`, cut to the 64 characters a dump id allows.
fn dump_id(created_ns: u64, process: &str, pid: u32) -> Result<DumpId> {
    let secs = created_ns / 1_000_000_000;
    let id = format!("{secs}-{}-{pid}", file_safe(process));
    let id: String = id.trim_start_matches('.').chars().take(64).collect();
    DumpId::new(&id).context("dump id")
}

/// The raw return addresses of the stack above `boundary`, innermost first, as the
/// unwinder reports them (`backtrace::trace`, no symbolization).
///
/// `boundary` is the address of a local of the panic hook: frames whose stack pointer is
/// at or below it are the hook's and the unwinder's own, not the program's, and are left
/// out. If the unwinder reports no stack pointers, every frame is kept.
#[inline(never)]
fn return_addresses(boundary: usize) -> Vec<u64> {
    let mut frames: Vec<(u64, usize)> = Vec::new();
    backtrace::trace(|frame| {
        let ip = frame.ip() as usize as u64;
        let sp = frame.sp() as usize;
        if ip != 0 && (sp == 0 || sp > boundary) {
            frames.push((ip, sp));
        }
        frames.len() < MAX_FRAMES
    });
    frames.into_iter().map(|(ip, _)| ip).collect()
}

/// One line of `/proc/self/maps` that maps a file.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Mapping {
    start: u64,
    end: u64,
    offset: u64,
    path: String,
}

/// The file mappings of a `/proc/<pid>/maps` text, in order. Anonymous mappings, pseudo
/// files (`[stack]`, `[vdso]`, ...) and lines that do not parse are skipped.
fn parse_maps(text: &str) -> Vec<Mapping> {
    text.lines()
        .filter_map(|line| {
            // address perms offset dev inode path; the path may contain spaces.
            let mut rest = line;
            let mut fields = [""; 5];
            for field in &mut fields {
                let (token, tail) = rest.trim_start().split_once(' ')?;
                *field = token;
                rest = tail;
            }
            let path = rest.trim();
            if !path.starts_with('/') {
                return None;
            }
            let (start, end) = fields[0].split_once('-')?;
            Some(Mapping {
                start: u64::from_str_radix(start, 16).ok()?,
                end: u64::from_str_radix(end, 16).ok()?,
                offset: u64::from_str_radix(fields[2], 16).ok()?,
                path: path.to_string(),
            })
        })
        .collect()
}

/// A mapped file's runtime range: from where its file offset 0 is mapped to the end of
/// its last mapping.
#[derive(Debug, Clone, PartialEq, Eq)]
struct LoadedFile {
    path: String,
    start: u64,
    end: u64,
}

/// Each mapped file once, in order of first appearance; files with no mapping at offset
/// 0 (not loaded as a module) are left out.
fn loaded_files(mappings: &[Mapping]) -> Vec<LoadedFile> {
    let mut out: Vec<LoadedFile> = Vec::new();
    for m in mappings {
        if out.iter().any(|f| f.path == m.path) {
            continue;
        }
        let same = || mappings.iter().filter(|o| o.path == m.path);
        let Some(start) = same().find(|o| o.offset == 0).map(|o| o.start) else {
            continue;
        };
        let end = same().map(|o| o.end).fold(start, u64::max);
        if start < end {
            out.push(LoadedFile {
                path: m.path.clone(),
                start,
                end,
            });
        }
    }
    out
}

/// An ELF's GNU Build-ID and link-time base (its lowest `PT_LOAD` `p_vaddr`, rounded
/// down to the page), read from the file at `path`.
fn elf_identity(path: &Path) -> Result<(BuildId, u64)> {
    let data = durable::read_capped(path, MAX_ELF_BYTES)?;
    let elf = object::File::parse(&*data)
        .with_context(|| format!("{} is not an ELF file", path.display()))?;
    let id = elf
        .build_id()
        .with_context(|| format!("{}: bad Build-ID note", path.display()))?
        .with_context(|| format!("{} has no GNU Build-ID note", path.display()))?;
    let build_id =
        BuildId::new(id).with_context(|| format!("{}: unusable Build-ID", path.display()))?;
    let lowest = elf
        .segments()
        .map(|s| s.address())
        .min()
        .with_context(|| format!("{} has no loadable segment", path.display()))?;
    Ok((build_id, lowest & !(PAGE_SIZE - 1)))
}

/// The process's modules for `maps.json`: the executable first (it must be found and
/// have a Build-ID), then every other mapped ELF file that has a Build-ID.
fn loaded_modules() -> Result<Vec<MapEntry>> {
    let maps_text = durable::read_capped(Path::new("/proc/self/maps"), MAX_MAPS_BYTES)?;
    let files = loaded_files(&parse_maps(&String::from_utf8_lossy(&maps_text)));
    let exe = std::env::current_exe().context("cannot find the executable")?;
    let exe = exe.to_string_lossy();
    let entry = |file: &LoadedFile, (build_id, link_base): (BuildId, u64)| MapEntry {
        build_id,
        end: file.end,
        link_base,
        name: Path::new(&file.path)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| file.path.clone()),
        start: file.start,
    };
    let main = files
        .iter()
        .find(|f| f.path == exe)
        .with_context(|| format!("/proc/self/maps does not map the executable {exe}"))?;
    // The executable is read through /proc/self/exe: the very file that is running, even
    // if its path has been replaced since.
    let mut modules = vec![entry(main, elf_identity(Path::new("/proc/self/exe"))?)];
    for file in files.iter().filter(|f| f.path != exe) {
        // Other mapped files may be data, or libraries without a Build-ID: they are
        // left out, and their frames stay unplaced.
        if let Ok(identity) = elf_identity(Path::new(&file.path)) {
            modules.push(entry(file, identity));
        }
    }
    Ok(modules)
}

/// Builds the dump of this crash and writes it; returns the file written.
fn write_crash_dump(recorder: &Recorder, pcs: &[u64]) -> Result<PathBuf> {
    let maps = loaded_modules()?;
    let build_id = maps
        .first()
        .map(|m| m.build_id.clone())
        .context("no executable module")?;
    // Every recorded pc, the first included, is a return address: the stack walk starts
    // inside the panic machinery, not at a faulting instruction.
    let frames: Vec<Frame> = pcs
        .iter()
        .map(|&pc| Frame {
            build_id: nxcd::link_address(&maps, pc).map(|l| l.build_id().clone()),
            return_address: Some(true),
            ..Frame::at(pc)
        })
        .collect();
    let created_ns = recorder.clock.now_ns();
    let dump_id = dump_id(created_ns, &recorder.process, recorder.pid)?;
    let logs = recorder
        .logs()
        .map(|guard| guard.0.iter().cloned().collect());
    let dump = Dump {
        header: Header {
            arch: std::env::consts::ARCH.to_string(),
            build_id,
            created_ns,
            dump_id: dump_id.clone(),
            exit_code: PANIC_EXIT_CODE,
            logs_error: None,
            os_version: None,
            redacted: None,
            repeats: None,
            seq: None,
            pc: pcs.first().copied().unwrap_or(0),
            pid: recorder.pid,
            process: recorder.process.clone(),
            scause: 0,
            stval: 0,
        },
        frames,
        maps,
        logs,
        spans: None,
        regs: None,
    };
    let path = recorder.out_dir.join(format!("{dump_id}.nxcd"));
    nxcd::fs::write_dump(&path, &dump)?;
    Ok(path)
}

/// The panic hook: captures the stack, logs the panic, writes the dump.
fn record_crash(info: &std::panic::PanicHookInfo<'_>) {
    // A slot in this frame's stack: the frames at or below it are the capture's own.
    let marker = 0u8;
    let pcs = return_addresses(std::hint::black_box(&marker) as *const u8 as usize);
    let Some(recorder) = RECORDER.get() else {
        return;
    };
    let message = info
        .payload_as_str()
        .unwrap_or("(panic payload is not text)");
    let location = info
        .location()
        .map(|l| format!("location={}:{}:{}\n", l.file(), l.line(), l.column()))
        .unwrap_or_default();
    eprintln!(
        "crash-demo: panicked at {}: {message}",
        location.trim_start_matches("location=").trim_end()
    );
    log(Level::Error, &format!("panicked: {message}"), &location);
    match write_crash_dump(recorder, &pcs) {
        Ok(path) => eprintln!("crash-demo: wrote crash dump {}", path.display()),
        Err(e) => eprintln!("crash-demo: error: no crash dump: {e:#}"),
    }
}

/// Sets everything up, installs the panic hook, then runs.
fn start() -> Result<()> {
    let args = parse_args()?;
    std::fs::create_dir_all(&args.out_dir)
        .with_context(|| format!("cannot create {}", args.out_dir.display()))?;
    let process = std::env::current_exe()
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| String::from("crash-demo"));
    let recorder = Recorder {
        out_dir: args.out_dir,
        process,
        pid: std::process::id(),
        clock: Clock::from_env()?,
        logs: Mutex::new((VecDeque::new(), 0)),
    };
    if RECORDER.set(recorder).is_err() {
        bail!("the crash recorder is already set up");
    }
    // Replaces the default hook: its message is printed here, and its optional backtrace
    // (RUST_BACKTRACE) would symbolize in the crashing process, which is not its job.
    std::panic::set_hook(Box::new(record_crash));

    log(
        Level::Info,
        "starting",
        &format!("pid={}\n", std::process::id()),
    );
    let text = match &args.config {
        Some(path) => {
            let bytes = durable::read_capped(path, MAX_CONFIG_BYTES)?;
            String::from_utf8(bytes).with_context(|| format!("{} is not UTF-8", path.display()))?
        }
        None => {
            log(
                Level::Warn,
                "no --config given, using the built-in config",
                "",
            );
            BUILTIN_CONFIG.to_string()
        }
    };
    // Opaque to the optimizer, so the config is really parsed at run time.
    run(std::hint::black_box(&text))
}

fn main() -> ExitCode {
    match start() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("crash-demo: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use object::ObjectSymbol as _;

    const MAPS: &str = "\
55d0c8a00000-55d0c8a2d000 r--p 00000000 fd:01 1234                       /opt/demo/crash-demo
55d0c8a2d000-55d0c8b40000 r-xp 0002c000 fd:01 1234                       /opt/demo/crash-demo
55d0c8b40000-55d0c8b52000 rw-p 0013e000 fd:01 1234                       /opt/demo/crash-demo
55d0c9000000-55d0c9021000 rw-p 00000000 00:00 0                          [heap]
7f1000000000-7f1000028000 r--p 00000000 fd:01 77                         /lib/with space/libc.so.6
7f1000028000-7f10001bd000 r-xp 00028000 fd:01 77                         /lib/with space/libc.so.6
7f1000200000-7f1000210000 r--p 00010000 fd:01 88                         /data/only-a-tail.bin
7f1000300000-7f1000301000 rw-p 00000000 00:00 0
not a maps line
7ffd00000000-7ffd00002000 r-xp 00000000 00:00 0                          [vdso]
";

    #[test]
    fn parses_file_mappings_and_skips_the_rest() {
        let maps = parse_maps(MAPS);
        assert_eq!(maps.len(), 6);
        assert_eq!(
            maps[1],
            Mapping {
                start: 0x55d0_c8a2_d000,
                end: 0x55d0_c8b4_0000,
                offset: 0x2_c000,
                path: String::from("/opt/demo/crash-demo"),
            }
        );
        assert_eq!(maps[3].path, "/lib/with space/libc.so.6");
    }

    #[test]
    fn a_module_runs_from_its_offset_zero_mapping_to_its_last_mapping() {
        let files = loaded_files(&parse_maps(MAPS));
        let got: Vec<(&str, u64, u64)> = files
            .iter()
            .map(|f| (f.path.as_str(), f.start, f.end))
            .collect();
        assert_eq!(
            got,
            [
                ("/opt/demo/crash-demo", 0x55d0_c8a0_0000, 0x55d0_c8b5_2000),
                (
                    "/lib/with space/libc.so.6",
                    0x7f10_0000_0000,
                    0x7f10_001b_d000
                ),
            ]
        );
    }

    #[test]
    fn dump_ids_are_valid_whatever_the_process_name() {
        let id = dump_id(1_766_484_000_123_456_789, "crash demo/x", 42).unwrap();
        assert_eq!(id.as_str(), "1766484000-crash_demo_x-42");
        let long = dump_id(1, &"p".repeat(100), 7).unwrap();
        assert_eq!(long.as_str().len(), 64);
    }

    #[test]
    fn reads_its_own_module_map() {
        let modules = loaded_modules().unwrap();
        let exe = &modules[0];
        let here = reads_its_own_module_map as fn() as usize as u64;
        assert!(exe.start <= here && here < exe.end, "{exe:?}");
        // The function's runtime address converts to its link-time address: the
        // address of its symbol in the ELF file.
        let link = nxcd::link_address(&modules, here).unwrap();
        assert_eq!(link.module.name, exe.name);
        let data = std::fs::read("/proc/self/exe").unwrap();
        let elf = object::File::parse(&*data).unwrap();
        assert_eq!(elf.build_id().unwrap(), Some(exe.build_id.as_bytes()));
        assert!(
            elf.symbols().any(|s| s.address() == link.link_addr),
            "no symbol at {:#x}",
            link.link_addr
        );
    }
}

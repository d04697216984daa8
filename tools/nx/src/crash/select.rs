//! Where `nx crash` reads dumps from, and which of them a command works on.
//!
//! Source: `--image IMAGE` (`state:/crash` in the store of an OS image's state partition,
//! read with `statefs`), else `--dir DIR`, else `$NX_CRASH_DIR`, else `./crash`; an error
//! about the source says which of them chose it.
//!
//! Selection (`ls`, `show`), as coredumpctl's matches: `--pid` and `--process` (each
//! repeatable, any of them), `--since`/`--until` (inclusive; times or ages such as `2h`,
//! see [`crate::timefmt::parse_time`]), all of which must hold. Unreadable files have no
//! pid, process or time, so any of these filters leaves them out. `-n N` keeps the N
//! newest dumps; `-r` lists oldest first.

use std::ffi::OsString;
use std::path::PathBuf;

use anyhow::Context as _;
use cli_support::Exit;
use nxcd::fs::{read_dump_bytes, unwrap_dump_bytes};
use nxcd::store::{scan, DumpFile, OpenDump, StoreError};
use nxcd::Limits;

use crate::timefmt::{now_ns, parse_now, parse_time, TimeStyle};

/// The environment variable naming the dump directory when `--dir` is absent.
pub const DIR_ENV: &str = "NX_CRASH_DIR";
/// The dump directory when neither `--dir` nor `$NX_CRASH_DIR` names one.
pub const DEFAULT_DIR: &str = "crash";

/// The dump source options shared by every `nx crash` command.
#[derive(Debug, Clone, clap::Args)]
pub struct DirArg {
    /// Dump directory to work on [default: $NX_CRASH_DIR, else ./crash].
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
    /// Work on the dumps in an OS image's state store (state:/crash) instead.
    #[arg(long, value_name = "IMAGE", conflicts_with = "dir")]
    image: Option<PathBuf>,
}

/// The directory of the dumps in the state store.
const STORE_DIR: &str = "crash";

/// What chose the dump directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// `--dir`.
    Flag,
    /// `$NX_CRASH_DIR`.
    Env,
    /// Neither: `./crash`.
    Default,
    /// `--image`: the image's state store.
    Image,
}

/// Where the dumps come from: a dump directory, and what chose it.
#[derive(Debug, Clone)]
pub struct Source {
    /// The dump directory (for an image, `IMAGE:state:/crash`, as messages name it).
    pub dir: PathBuf,
    /// What chose it.
    pub origin: Origin,
    /// The image whose store holds the dumps (`--image`).
    pub image: Option<PathBuf>,
}

impl DirArg {
    /// The source these options and the environment choose.
    pub fn source(&self) -> Source {
        match &self.image {
            Some(image) => Source {
                dir: PathBuf::from(format!("{}:state:/{STORE_DIR}", image.display())),
                origin: Origin::Image,
                image: Some(image.clone()),
            },
            None => Source::choose(self.dir.clone(), std::env::var_os(DIR_ENV)),
        }
    }
}

impl Source {
    /// `--dir`, else a non-empty `$NX_CRASH_DIR`, else `./crash`.
    pub fn choose(flag: Option<PathBuf>, env: Option<OsString>) -> Source {
        match (flag, env) {
            (Some(dir), _) => Source {
                dir,
                origin: Origin::Flag,
                image: None,
            },
            (None, Some(env)) if !env.is_empty() => Source {
                dir: PathBuf::from(env),
                origin: Origin::Env,
                image: None,
            },
            _ => Source {
                dir: PathBuf::from(DEFAULT_DIR),
                origin: Origin::Default,
                image: None,
            },
        }
    }

    /// Why this directory, for an error message.
    pub fn origin_text(&self) -> String {
        match self.origin {
            Origin::Flag => String::from("given with --dir"),
            Origin::Env => format!("from {DIR_ENV}"),
            Origin::Image => String::from("given with --image"),
            Origin::Default => {
                format!("the default; --dir DIR or {DIR_ENV} chooses another")
            }
        }
    }

    /// A store error with what chose the directory, where the directory is the point.
    pub fn explain(&self, e: StoreError) -> anyhow::Error {
        match e {
            StoreError::ReadDir { dir, source } => anyhow::Error::new(source).context(format!(
                "cannot read dump directory {} ({})",
                dir.display(),
                self.origin_text()
            )),
            StoreError::NotFound {
                id,
                dir,
                near_misses,
            } => {
                let mut text = format!(
                    "no dump with id {id:?} in {} ({})",
                    dir.display(),
                    self.origin_text()
                );
                let quoted: Vec<String> = near_misses.iter().map(|n| format!("{n:?}")).collect();
                if !quoted.is_empty() {
                    text.push_str(&format!("; did you mean {}?", quoted.join(" or ")));
                }
                cli_support::classified(anyhow::Error::msg(text), Exit::NothingFound)
            }
            other => anyhow::Error::new(other),
        }
    }

    /// Every dump file in the directory, by file name.
    pub fn scan(&self) -> anyhow::Result<Vec<DumpFile>> {
        let Some(image) = &self.image else {
            return scan(&self.dir).map_err(|e| self.explain(e));
        };
        let mut store = crate::state::open_store(image, false)?;
        let ctx = || image.display().to_string();
        let mut files = Vec::new();
        for entry in store.list(STORE_DIR).with_context(ctx)? {
            let name = entry
                .path
                .rsplit('/')
                .next()
                .unwrap_or_default()
                .to_string();
            if entry.kind != statefs::Kind::File || !nxcd::listing::is_dump_name(&name) {
                continue;
            }
            let raw = store.read(&entry.path).with_context(ctx)?;
            let path = self.dir.join(&name);
            files.push(nxcd::store::dump_file_from_bytes(name, path, raw));
        }
        files.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(files)
    }

    /// The `.nxcd` bytes of a scanned file, as stored (decompressed when `.nxcd.zst`).
    pub fn read_raw(&self, file: &OpenDump) -> anyhow::Result<Vec<u8>> {
        let Some(image) = &self.image else {
            return read_dump_bytes(&file.path, &Limits::DEFAULT)
                .with_context(|| format!("cannot read {}", file.path.display()));
        };
        let mut store = crate::state::open_store(image, false)?;
        let raw = store
            .read(&format!("{STORE_DIR}/{}", file.name))
            .with_context(|| image.display().to_string())?;
        unwrap_dump_bytes(raw, &Limits::DEFAULT)
            .with_context(|| format!("cannot read {}", file.path.display()))
    }

    /// The whole dump of a scanned file the scan found readable.
    pub fn dump_of(&self, file: &DumpFile) -> anyhow::Result<nxcd::Dump> {
        let Some(image) = &self.image else {
            return Ok(nxcd::store::load(file)?);
        };
        let mut store = crate::state::open_store(image, false)?;
        let raw = store
            .read(&format!("{STORE_DIR}/{}", file.name))
            .with_context(|| image.display().to_string())?;
        let bytes = unwrap_dump_bytes(raw, &Limits::DEFAULT)
            .with_context(|| format!("cannot read {}", file.path.display()))?;
        nxcd::Dump::decode_with_limits(&bytes, &Limits::DEFAULT)
            .with_context(|| format!("cannot read {}", file.path.display()))
    }

    /// Deletes a scanned file.
    pub fn remove(&self, file: &DumpFile) -> anyhow::Result<()> {
        match &self.image {
            None => std::fs::remove_file(&file.path)
                .with_context(|| format!("cannot delete {}", file.path.display())),
            Some(image) => {
                let mut store = crate::state::open_store(image, true)?;
                store
                    .remove(&format!("{STORE_DIR}/{}", file.name))
                    .with_context(|| image.display().to_string())
            }
        }
    }

    /// Resolves `id` among `files` (scanned from this source) and reads the dump.
    pub fn open_in(&self, files: Vec<DumpFile>, id: &str) -> anyhow::Result<OpenDump> {
        let file = nxcd::store::resolve(files, id, &self.dir).map_err(|e| self.explain(e))?;
        self.load(file)
    }

    /// Resolves `id` in the directory and reads the dump.
    pub fn open(&self, id: &str) -> anyhow::Result<OpenDump> {
        let files = self.scan()?;
        self.open_in(files, id)
    }

    /// Reads the whole dump of a scanned file, which must be readable.
    pub fn load(&self, file: DumpFile) -> anyhow::Result<OpenDump> {
        if let Err(reason) = &file.content {
            return Err(anyhow::Error::new(StoreError::Corrupt {
                path: file.path.clone(),
                reason: reason.clone(),
            }));
        }
        let dump = self.dump_of(&file)?;
        Ok(OpenDump {
            name: file.name,
            path: file.path,
            size: file.size,
            dump,
        })
    }
}

/// The clock options of `ls` and `show`: the "now" ages are measured from, and the time
/// zone times are shown (and read) in.
#[derive(Debug, Clone, clap::Args)]
pub struct TimeArgs {
    /// Show times in the local time zone (TZ, else /etc/localtime) instead of UTC; times
    /// without an offset given to --since and --until are read in it too.
    #[arg(long)]
    pub local: bool,
    /// Measure ages from this time instead of the clock: seconds since 1970-01-01 UTC
    /// (for replays and tests).
    #[arg(long, value_name = "SECONDS", value_parser = parse_now)]
    pub now: Option<u64>,
}

impl TimeArgs {
    /// The time style and the "now" (the clock's unless `--now`).
    pub fn resolve(&self) -> anyhow::Result<(TimeStyle, u64)> {
        let now = match self.now {
            Some(now) => now,
            None => now_ns()?,
        };
        Ok((TimeStyle::new(self.local), now))
    }
}

/// The matches of `ls` and `show` (all must hold).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct MatchArgs {
    /// Only dumps of this pid (repeatable: any of them).
    #[arg(long = "pid", value_name = "PID")]
    pids: Vec<u32>,
    /// Only dumps of the process with this name (repeatable: any of them).
    #[arg(long = "process", value_name = "NAME")]
    processes: Vec<String>,
    /// Only dumps created at or after TIME: an age (2h, 7d), a time (2025-12-23T10:00:00Z,
    /// "2025-12-23 10:00"), a date, today, yesterday or @SECONDS.
    #[arg(short = 'S', long, value_name = "TIME")]
    since: Option<String>,
    /// Only dumps created at or before TIME (same forms as --since).
    #[arg(short = 'U', long, value_name = "TIME")]
    until: Option<String>,
}

/// The matches with their times parsed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Matches {
    /// Pids, any of them.
    pub pids: Vec<u32>,
    /// Process names, any of them.
    pub processes: Vec<String>,
    /// Earliest creation time, inclusive.
    pub since_ns: Option<u64>,
    /// Latest creation time, inclusive.
    pub until_ns: Option<u64>,
}

impl MatchArgs {
    /// Parses the times against `now` in `style`'s zone.
    pub fn resolve(&self, now: u64, style: &TimeStyle) -> anyhow::Result<Matches> {
        let time = |text: &Option<String>, flag: &str| -> anyhow::Result<Option<u64>> {
            text.as_deref()
                .map(|t| {
                    parse_time(t, now, style)
                        .map_err(|e| cli_support::usage(format!("--{flag}: {e:#}")))
                })
                .transpose()
        };
        Ok(Matches {
            pids: self.pids.clone(),
            processes: self.processes.clone(),
            since_ns: time(&self.since, "since")?,
            until_ns: time(&self.until, "until")?,
        })
    }
}

impl Matches {
    /// Whether any match is given (unreadable files are then left out).
    pub fn is_active(&self) -> bool {
        !self.pids.is_empty()
            || !self.processes.is_empty()
            || self.since_ns.is_some()
            || self.until_ns.is_some()
    }

    /// Whether the file passes every match.
    pub fn accepts(&self, file: &DumpFile) -> bool {
        let Ok(h) = &file.content else {
            return !self.is_active();
        };
        (self.pids.is_empty() || self.pids.contains(&h.pid))
            && (self.processes.is_empty() || self.processes.contains(&h.process))
            && self.since_ns.is_none_or(|t| h.created_ns >= t)
            && self.until_ns.is_none_or(|t| h.created_ns <= t)
    }

    /// The files that pass, in listing order (newest first, unreadable files last).
    pub fn select(&self, files: Vec<DumpFile>) -> Vec<DumpFile> {
        let mut kept: Vec<DumpFile> = files.into_iter().filter(|f| self.accepts(f)).collect();
        nxcd::store::listing_order(&mut kept);
        kept
    }
}

/// Applies `-n` (the `limit` newest readable dumps; unreadable files stay) and `-r`
/// (oldest first, unreadable files still last) to files in listing order.
pub fn limit_and_order(
    mut files: Vec<DumpFile>,
    limit: Option<usize>,
    reverse: bool,
) -> Vec<DumpFile> {
    let readable = files.iter().take_while(|f| f.content.is_ok()).count();
    if let Some(n) = limit {
        if n < readable {
            files.drain(n..readable);
        }
    }
    if reverse {
        let readable = readable.min(limit.unwrap_or(usize::MAX));
        files[..readable].reverse();
    }
    files
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn dump(id: &str, pid: u32, process: &str, created_s: u64) -> DumpFile {
        let text = format!(
            r#"{{"arch":"riscv64","build_id":"00112233","created_ns":{},"dump_id":"{id}","exit_code":-6,"pc":"0x1000","pid":{pid},"process":"{process}","scause":5,"stval":"0x0"}}"#,
            created_s * 1_000_000_000
        );
        DumpFile {
            name: format!("{id}.nxcd"),
            path: Path::new("crash").join(format!("{id}.nxcd")),
            size: 1,
            content: Ok(serde_json::from_str(&text).unwrap()),
            regular: true,
        }
    }

    fn corrupt(name: &str) -> DumpFile {
        DumpFile {
            name: name.to_string(),
            path: Path::new("crash").join(name),
            size: 1,
            content: Err("bad".into()),
            regular: true,
        }
    }

    fn fixture() -> Vec<DumpFile> {
        vec![
            corrupt("junk.nxcd"),
            dump("a", 7, "netd", 100),
            dump("b", 42, "demo", 300),
            dump("c", 7, "netd", 200),
        ]
    }

    fn ids(files: &[DumpFile]) -> Vec<&str> {
        files.iter().map(|f| f.stem()).collect()
    }

    #[test]
    fn the_source_is_the_flag_then_the_environment_then_crash() {
        let flag = Source::choose(Some("x".into()), Some("y".into()));
        assert_eq!((flag.dir, flag.origin), (PathBuf::from("x"), Origin::Flag));
        let env = Source::choose(None, Some("y".into()));
        assert_eq!((env.dir, env.origin), (PathBuf::from("y"), Origin::Env));
        let empty = Source::choose(None, Some("".into()));
        assert_eq!(empty.origin, Origin::Default);
        let default = Source::choose(None, None);
        assert_eq!(
            (default.dir, default.origin),
            (PathBuf::from("crash"), Origin::Default)
        );
    }

    #[test]
    fn without_matches_everything_is_listed_newest_first_corrupt_last() {
        let kept = Matches::default().select(fixture());
        assert_eq!(ids(&kept), ["b", "c", "a", "junk"]);
    }

    #[test]
    fn matches_all_hold_and_leave_unreadable_files_out() {
        let m = Matches {
            pids: vec![7],
            processes: vec!["netd".into()],
            since_ns: Some(150_000_000_000),
            until_ns: None,
        };
        assert_eq!(ids(&m.select(fixture())), ["c"]);
        let until = Matches {
            until_ns: Some(200_000_000_000),
            ..Matches::default()
        };
        assert_eq!(ids(&until.select(fixture())), ["c", "a"], "inclusive");
        let process = Matches {
            processes: vec!["demo".into(), "netd".into()],
            ..Matches::default()
        };
        assert_eq!(ids(&process.select(fixture())), ["b", "c", "a"]);
    }

    #[test]
    fn n_keeps_the_newest_and_r_lists_them_oldest_first() {
        let listed = || Matches::default().select(fixture());
        assert_eq!(
            ids(&limit_and_order(listed(), Some(2), false)),
            ["b", "c", "junk"]
        );
        assert_eq!(
            ids(&limit_and_order(listed(), Some(2), true)),
            ["c", "b", "junk"]
        );
        assert_eq!(
            ids(&limit_and_order(listed(), None, true)),
            ["a", "c", "b", "junk"]
        );
        assert_eq!(
            ids(&limit_and_order(listed(), Some(9), false)),
            ["b", "c", "a", "junk"]
        );
    }

    #[test]
    fn since_and_until_are_read_against_now() {
        let args = MatchArgs {
            since: Some("2h".into()),
            until: Some("@100".into()),
            ..MatchArgs::default()
        };
        let m = args
            .resolve(10_000 * 1_000_000_000, &TimeStyle::Utc)
            .unwrap();
        assert_eq!(m.since_ns, Some(2_800 * 1_000_000_000));
        assert_eq!(m.until_ns, Some(100 * 1_000_000_000));
        let bad = MatchArgs {
            since: Some("soon".into()),
            ..MatchArgs::default()
        };
        let err = bad.resolve(0, &TimeStyle::Utc).unwrap_err();
        assert!(format!("{err:#}").starts_with("--since: invalid time \"soon\""));
    }
}

//! Host tests of execd's interface: the wire layouts, who may call what, and the
//! supervisor driven through the client stubs over a fake kernel.

use super::*;
use crate::policy::{Decision, ON_FAILURE};
use crate::server::{Spawner, Supervisor};
use abi::rpc::service_body;
use alloc::collections::BTreeSet;
use alloc::vec;
use initrd::manifest::Manifest;

/// The boot manifest of these tests: ids 1 init, 2 execd, 3 logd (a boot service),
/// 4 selftest-client (the runner), 5 crash-demo, 6 spinner, 7 loop (an app that
/// restarts), 8 once (an app that does not), 9 samgrd (a boot service).
const MANIFEST: &[u8] = b"init spawn
execd boot spawn exec
logd boot
selftest-client boot runner final
crash-demo ondemand
spinner ondemand
loop app restart=on-failure
once app
samgrd boot
";
const RUNNER: ServiceId = 4;
const LOGD: ServiceId = 3;
const SAMGRD: ServiceId = 9;

/// The kernel as execd sees it: manifest programs start under their ids, images under
/// 11 and up; one instance per program; an image must start with the ELF magic and a
/// name must be valid.
#[derive(Default)]
struct FakeKernel {
    /// The manifest it numbers programs by (`None`: [`MANIFEST`]).
    manifest: Option<&'static [u8]>,
    running: BTreeSet<ServiceId>,
    spawned: Vec<String>,
    images: Vec<Vec<u8>>,
}

impl Spawner for FakeKernel {
    fn spawn(&mut self, name: &str) -> Result<ServiceId, SysError> {
        let m =
            Manifest::parse(self.manifest.unwrap_or(MANIFEST)).map_err(|_| SysError::BadImage)?;
        let id = m.by_name(name).ok_or(SysError::NoSuchProgram)?.id;
        if !self.running.insert(id) {
            return Err(SysError::AlreadyRunning);
        }
        self.spawned.push(String::from(name));
        Ok(id)
    }

    fn spawn_image(&mut self, image: &[u8], name: &str) -> Result<ServiceId, SysError> {
        if !initrd::is_valid_name(name.as_bytes()) {
            return Err(SysError::BadLength);
        }
        if !image.starts_with(b"\x7fELF") {
            return Err(SysError::BadImage);
        }
        self.images.push(image.to_vec());
        let id = 11 + self.images.len() as ServiceId - 1;
        self.running.insert(id);
        Ok(id)
    }
}

/// A supervisor, its kernel, and the time.
struct Rig {
    sup: Supervisor<'static>,
    kernel: FakeKernel,
    now: u64,
}

impl Rig {
    fn new() -> Rig {
        let manifest = Manifest::parse(MANIFEST).unwrap_or_else(|e| panic!("{e}"));
        Rig {
            sup: Supervisor::new(manifest),
            kernel: FakeKernel::default(),
            now: 1_000,
        }
    }

    fn ask(&mut self, sender: ServiceId, req: &[u8]) -> Option<Vec<u8>> {
        self.sup.request(&mut self.kernel, sender, req)
    }

    /// Process `pid` ends with `code`.
    fn end(
        &mut self,
        pid: u32,
        code: i64,
        dump: Option<&str>,
    ) -> (Option<Decision>, Vec<server::Answer>) {
        self.kernel.running.remove(&pid);
        self.sup
            .ended(pid, code, None, dump.map(String::from), self.now)
    }
}

/// Calls the rig as `sender`, through the client stubs.
struct As<'r>(&'r mut Rig, ServiceId);

impl Caller for As<'_> {
    fn call(&mut self, _: ServiceId, req: &[u8], out: &mut [u8]) -> Result<usize, SysError> {
        let r = self.0.ask(self.1, req).ok_or(SysError::TimedOut)?;
        out[..r.len()].copy_from_slice(&r);
        Ok(r.len())
    }
}

fn body(r: &[u8]) -> Result<&[u8], Error> {
    service_body::<ExecCode>(r)
}

#[test]
fn ops_codes_and_states_roundtrip_through_their_bytes() {
    for op in [
        Op::Run,
        Op::Wait,
        Op::ImageBegin,
        Op::ImageChunk,
        Op::ImageRun,
        Op::Status,
    ] {
        assert_eq!(Op::from_byte(op as u8), Some(op));
    }
    assert_eq!(Op::from_byte(0), None);
    assert_eq!(Op::from_byte(7), None);
    for c in [
        ExecCode::Unknown,
        ExecCode::Busy,
        ExecCode::BadUpload,
        ExecCode::CrashLoop,
    ] {
        assert_eq!(ExecCode::from_byte(c as u8), Some(c));
        assert!(c as u8 >= abi::rpc::FIRST_SERVICE_CODE);
        assert_eq!(body(&reply(Err(Error::Service(c)))), Err(Error::Service(c)));
    }
    for s in [
        State::Running,
        State::Ended,
        State::RestartPending,
        State::CrashLoop,
    ] {
        assert_eq!(State::from_byte(s as u8), Some(s));
    }
    assert_eq!(State::from_byte(0), None);
}

#[test]
fn who_may_call_what_comes_from_the_senders_manifest_line() {
    let m = Manifest::parse(MANIFEST).unwrap();
    let runner = m.by_name("selftest-client");
    let logd = m.by_name("logd");
    let other = m.by_name("samgrd");
    for op in [
        Op::Run,
        Op::Wait,
        Op::ImageBegin,
        Op::ImageChunk,
        Op::ImageRun,
    ] {
        assert!(may_call(op, runner), "{op:?}");
        assert!(!may_call(op, other) && !may_call(op, logd) && !may_call(op, None));
    }
    assert!(may_call(Op::Status, other) && may_call(Op::Status, None));
}

#[test]
fn status_and_ended_replies_roundtrip_and_short_ones_are_bad_length() {
    let s = Status {
        state: State::CrashLoop,
        starts: 3,
        ends: 3,
        crashes: 3,
        pid: 17,
        last_code: -3,
        dump_id: Some(String::from("5-loop-17")),
    };
    let b = s.encode();
    assert_eq!(Status::decode(&b), Ok(s.clone()));
    for n in 0..25 {
        assert_eq!(
            Status::decode(&b[..n]),
            Err(SysError::BadLength),
            "{n} bytes"
        );
    }
    let none = Status { dump_id: None, ..s };
    assert_eq!(Status::decode(&none.encode()), Ok(none));
    let mut bad = b.clone();
    bad[0] = 9;
    assert_eq!(Status::decode(&bad), Err(SysError::BadLength));
    bad[0] = 4;
    bad.push(0xff);
    assert_eq!(Status::decode(&bad), Err(SysError::BadLength));

    let mut regs = [0u64; abi::fault::REG_COUNT];
    regs[abi::fault::REG_SCAUSE] = 15;
    let rec = FaultRecord::new(regs);
    let mut bytes = vec![0u8; rec.encoded_len()];
    rec.encode(&mut bytes).unwrap();
    let r = ended_reply(-16, Some(&bytes));
    let (code, got) = decode_ended(body(&r).unwrap()).unwrap();
    assert_eq!((code, got.map(|g| g.scause())), (-16, Some(15)));
    assert_eq!(
        decode_ended(body(&ended_reply(0, None)).unwrap()),
        Ok((0, None))
    );
    assert_eq!(decode_ended(&[0; 7]), Err(SysError::BadLength));
    assert_eq!(decode_ended(&[0; 9]), Err(SysError::BadLength));
}

#[test]
fn run_then_wait_answers_once_after_the_end() {
    let mut rig = Rig::new();
    let id = Client::new(&mut As(&mut rig, RUNNER), 2)
        .run("crash-demo")
        .unwrap();
    assert_eq!(id, 5);
    // Waiting before the end holds the reply.
    assert_eq!(rig.ask(RUNNER, &[Op::Wait as u8, 5, 0, 0, 0]), None);
    // A second wait for the same id is refused, not queued.
    let again = rig.ask(RUNNER, &[Op::Wait as u8, 5, 0, 0, 0]).unwrap();
    assert_eq!(body(&again), Err(Error::Service(ExecCode::Unknown)));
    assert_eq!(rig.sup.name_of(5), Some("crash-demo"));
    let (decision, answers) = rig.end(5, -16, Some("9-crash-demo-5"));
    assert_eq!(decision, Some(Decision::Leave), "restart=never");
    assert_eq!(answers.len(), 1);
    assert_eq!(answers[0].0, RUNNER);
    assert_eq!(decode_ended(body(&answers[0].1).unwrap()), Ok((-16, None)));
    // Collected: a further wait is Unknown. The status names the dump.
    let late = rig.ask(RUNNER, &[Op::Wait as u8, 5, 0, 0, 0]).unwrap();
    assert_eq!(body(&late), Err(Error::Service(ExecCode::Unknown)));
    let s = Client::new(&mut As(&mut rig, SAMGRD), 2)
        .status("crash-demo")
        .unwrap();
    assert_eq!(
        (s.state, s.starts, s.pid, s.last_code),
        (State::Ended, 1, 5, -16)
    );
    assert_eq!(s.dump_id.as_deref(), Some("9-crash-demo-5"));
}

#[test]
fn an_end_before_the_wait_is_kept_for_it() {
    let mut rig = Rig::new();
    let id = Client::new(&mut As(&mut rig, RUNNER), 2)
        .run("spinner")
        .unwrap();
    let (_, answers) = rig.end(id, 0, None);
    assert!(answers.is_empty());
    let got = Client::new(&mut As(&mut rig, RUNNER), 2).wait_for(id);
    assert_eq!(got, Ok((0, None)));
}

#[test]
fn run_refusals() {
    let mut rig = Rig::new();
    let cases: [(ServiceId, &[u8], Error); 6] = [
        (RUNNER, b"nothing", Error::Sys(SysError::NoSuchProgram)),
        (RUNNER, b"samgrd", Error::Sys(SysError::Denied)),
        (RUNNER, b"loop", Error::Sys(SysError::Denied)),
        (RUNNER, &[0xff, 0xfe], Error::Sys(SysError::BadLength)),
        (SAMGRD, b"crash-demo", Error::Sys(SysError::NotPermitted)),
        (99, b"crash-demo", Error::Sys(SysError::NotPermitted)),
    ];
    for (sender, name, want) in cases {
        let r = rig.ask(sender, &request(Op::Run, name)).unwrap();
        assert_eq!(body(&r), Err(want), "{name:?} from {sender}");
    }
    let mut who = As(&mut rig, RUNNER);
    let mut c = Client::new(&mut who, 2);
    assert_eq!(c.run("spinner"), Ok(6));
    assert_eq!(c.run("spinner"), Err(Error::Sys(SysError::AlreadyRunning)));
    assert_eq!(rig.kernel.spawned, ["spinner"]);
}

fn request(op: Op, arg: &[u8]) -> Vec<u8> {
    abi::rpc::request(op as u8, arg)
}

#[test]
fn short_and_mutated_requests_get_error_replies_never_a_panic() {
    let mut rig = Rig::new();
    assert_eq!(
        body(&rig.ask(RUNNER, &[]).unwrap()),
        Err(Error::Sys(SysError::BadLength))
    );
    assert_eq!(
        body(&rig.ask(RUNNER, &[200]).unwrap()),
        Err(Error::Sys(SysError::BadSyscall))
    );
    // Every op with every prefix of a valid argument, and with each byte flipped.
    let args: [(Op, Vec<u8>); 6] = [
        (Op::Run, b"crash-demo".to_vec()),
        (Op::Wait, 5u32.to_le_bytes().to_vec()),
        (Op::ImageBegin, [&64u32.to_le_bytes()[..], b"img"].concat()),
        (
            Op::ImageChunk,
            [&0u32.to_le_bytes()[..], b"\x7fELF"].concat(),
        ),
        (Op::ImageRun, Vec::new()),
        (Op::Status, b"loop".to_vec()),
    ];
    for (op, arg) in &args {
        for n in 0..=arg.len() {
            for sender in [RUNNER, SAMGRD, LOGD, 0, 99] {
                let _ = rig.ask(sender, &request(*op, &arg[..n]));
            }
        }
        for i in 0..arg.len() {
            let mut m = arg.clone();
            m[i] ^= 0xa5;
            let _ = rig.ask(RUNNER, &request(*op, &m));
        }
    }
    let short_wait = rig.ask(RUNNER, &request(Op::Wait, &[5, 0, 0])).unwrap();
    assert_eq!(body(&short_wait), Err(Error::Sys(SysError::BadLength)));
    let long_wait = rig
        .ask(RUNNER, &request(Op::Wait, &[5, 0, 0, 0, 0]))
        .unwrap();
    assert_eq!(body(&long_wait), Err(Error::Sys(SysError::BadLength)));
    let unknown = rig
        .ask(RUNNER, &request(Op::Status, b"never-started"))
        .unwrap();
    assert_eq!(body(&unknown), Err(Error::Service(ExecCode::Unknown)));
}

/// A tiny image: the ELF magic and filler (the fake kernel checks the magic only).
fn image(len: usize) -> Vec<u8> {
    let mut i = vec![0x42u8; len];
    i[..4].copy_from_slice(b"\x7fELF");
    i
}

#[test]
fn an_image_goes_over_in_chunks_and_starts_with_the_kernels_checks() {
    let mut rig = Rig::new();
    let img = image(3 * MAX_CHUNK + 17);
    let id = Client::new(&mut As(&mut rig, RUNNER), 2)
        .run_image(&img, "hello-image")
        .unwrap();
    assert_eq!(id, 11);
    assert_eq!(rig.kernel.images, core::slice::from_ref(&img));
    let (_, answers) = rig.end(id, -4, None);
    assert!(answers.is_empty());
    let mut who = As(&mut rig, RUNNER);
    let mut c = Client::new(&mut who, 2);
    assert_eq!(c.wait_for(id), Ok((-4, None)));
    assert_eq!(c.status("hello-image").map(|s| s.last_code), Ok(-4));
    // The kernel's refusals come back as they are.
    assert_eq!(
        c.run_image(&img[4..64], "hello-image"),
        Err(Error::Sys(SysError::BadImage))
    );
    assert_eq!(
        c.run_image(&img, "Hello Image"),
        Err(Error::Sys(SysError::BadLength))
    );
    // Sizes outside 1..=512 KiB are refused before sending, and by execd.
    assert_eq!(c.run_image(&[], "x"), Err(Error::Sys(SysError::BadLength)));
    let big = image(MAX_IMAGE + 1);
    assert_eq!(c.run_image(&big, "x"), Err(Error::Sys(SysError::BadLength)));
    let over = [&((MAX_IMAGE + 1) as u32).to_le_bytes()[..], b"x"].concat();
    let r = rig.ask(RUNNER, &request(Op::ImageBegin, &over)).unwrap();
    assert_eq!(body(&r), Err(Error::Sys(SysError::BadLength)));
}

#[test]
fn an_upload_is_in_order_bounded_and_one_at_a_time() {
    let mut rig = Rig::new();
    let ok = |r: Option<Vec<u8>>| r.map(|r| body(&r).map(<[u8]>::to_vec));
    let begin = [&8u32.to_le_bytes()[..], b"img"].concat();
    let chunk = |at: u32, b: &[u8]| request(Op::ImageChunk, &[&at.to_le_bytes()[..], b].concat());
    // Nothing open.
    assert_eq!(
        ok(rig.ask(RUNNER, &chunk(0, b"\x7fELF"))),
        Some(Err(Error::Service(ExecCode::BadUpload)))
    );
    assert_eq!(
        ok(rig.ask(RUNNER, &request(Op::ImageRun, &[]))),
        Some(Err(Error::Service(ExecCode::BadUpload)))
    );
    assert_eq!(
        ok(rig.ask(RUNNER, &request(Op::ImageBegin, &begin))),
        Some(Ok(vec![]))
    );
    // Out of order, empty, past the announced length.
    for bad in [chunk(1, b"x"), chunk(0, b""), chunk(0, &[0; 9])] {
        assert_eq!(
            ok(rig.ask(RUNNER, &bad)),
            Some(Err(Error::Service(ExecCode::BadUpload)))
        );
    }
    assert_eq!(ok(rig.ask(RUNNER, &chunk(0, b"\x7fELF"))), Some(Ok(vec![])));
    // Not all bytes yet.
    assert_eq!(
        ok(rig.ask(RUNNER, &request(Op::ImageRun, &[]))),
        Some(Err(Error::Service(ExecCode::BadUpload)))
    );
    // A second runner is refused while the upload is open (the manifest has one; the
    // supervisor checks the owner by id, so a runner id of another line shows it).
    let manifest2 = b"init spawn\nexecd boot spawn exec\na runner\nb runner\n";
    let mut sup2 = Supervisor::new(Manifest::parse(manifest2).unwrap());
    let mut k2 = FakeKernel::default();
    let b8 = [&8u32.to_le_bytes()[..], b"img"].concat();
    assert!(sup2
        .request(&mut k2, 3, &request(Op::ImageBegin, &b8))
        .is_some());
    let busy = sup2
        .request(&mut k2, 4, &request(Op::ImageBegin, &b8))
        .unwrap();
    assert_eq!(body(&busy), Err(Error::Service(ExecCode::Busy)));
    let busy = sup2.request(&mut k2, 4, &chunk(0, b"\x7fELF")).unwrap();
    assert_eq!(body(&busy), Err(Error::Service(ExecCode::Busy)));
    // The rest, then the run; the upload is closed after it.
    assert_eq!(ok(rig.ask(RUNNER, &chunk(4, b"abcd"))), Some(Ok(vec![])));
    let id = ok(rig.ask(RUNNER, &request(Op::ImageRun, &[])));
    assert_eq!(id, Some(Ok(11u32.to_le_bytes().to_vec())));
    assert_eq!(rig.kernel.images, [b"\x7fELFabcd".to_vec()]);
    assert_eq!(
        ok(rig.ask(RUNNER, &request(Op::ImageRun, &[]))),
        Some(Err(Error::Service(ExecCode::BadUpload)))
    );
}

#[test]
fn an_app_that_always_crashes_restarts_with_growing_delays_then_is_a_crash_loop() {
    let mut rig = Rig::new();
    assert!(rig.sup.start_apps(&mut rig.kernel).is_empty());
    assert_eq!(rig.kernel.spawned, ["loop", "once"]);
    assert_eq!((rig.sup.incarnation(7), rig.sup.incarnation(5)), (1, 0));
    assert_eq!(rig.sup.next_restart(), None);
    let mut delays = Vec::new();
    loop {
        let (decision, answers) = rig.end(7, -3, None);
        assert!(answers.is_empty(), "nobody waits for an app");
        match decision {
            Some(Decision::RestartAt(at)) => {
                delays.push(at - rig.now);
                // execd waits for a message until then, at most.
                assert_eq!(rig.sup.next_restart(), Some(at));
                // Not due a nanosecond early.
                assert!(rig.sup.restart_due(&mut rig.kernel, at - 1).is_empty());
                let s = Client::new(&mut As(&mut rig, SAMGRD), 2)
                    .status("loop")
                    .unwrap();
                assert_eq!(s.state, State::RestartPending);
                rig.now = at;
                let lines = rig.sup.restart_due(&mut rig.kernel, rig.now);
                assert_eq!(lines.len(), 1, "{lines:?}");
                assert_eq!(rig.sup.next_restart(), None);
                rig.now += 1_000;
            }
            Some(Decision::CrashLoop) => break,
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(delays, [ON_FAILURE.delay_ns(1), ON_FAILURE.delay_ns(2)]);
    assert!(delays[1] > delays[0], "the delay grows");
    let s = Client::new(&mut As(&mut rig, RUNNER), 2)
        .status("loop")
        .unwrap();
    assert_eq!(
        (s.state, s.starts, s.ends, s.crashes, s.last_code),
        (
            State::CrashLoop,
            ON_FAILURE.max_crashes,
            ON_FAILURE.max_crashes,
            ON_FAILURE.max_crashes,
            -3
        )
    );
    assert_eq!(
        rig.kernel.spawned.iter().filter(|n| *n == "loop").count(),
        3
    );
    // Never started again, whatever the time; each start was a new incarnation.
    assert!(rig.sup.restart_due(&mut rig.kernel, u64::MAX).is_empty());
    assert_eq!(rig.sup.next_restart(), None);
    assert_eq!(rig.sup.incarnation(7), ON_FAILURE.max_crashes);
    // `once` (restart=never) crashing is left ended.
    let (decision, _) = rig.end(8, -14, None);
    assert_eq!(decision, Some(Decision::Leave));
    assert_eq!(
        rig.sup.table().get("once").map(|e| e.state),
        Some(State::Ended)
    );
}

#[test]
fn a_crash_loop_program_is_not_run_on_request() {
    let manifest =
        b"init spawn\nexecd boot spawn exec\nr runner\nflaky ondemand restart=on-failure\n";
    let mut sup = Supervisor::new(Manifest::parse(manifest).unwrap());
    let mut k = FakeKernel {
        manifest: Some(manifest),
        ..FakeKernel::default()
    };
    let mut now = 0;
    let run = request(Op::Run, b"flaky");
    assert!(sup.request(&mut k, 3, &run).is_some());
    loop {
        k.running.remove(&4);
        now += 1_000_000_000;
        match sup.ended(4, 1, None, None, now).0 {
            Some(Decision::RestartAt(at)) => {
                sup.restart_due(&mut k, at);
            }
            Some(Decision::CrashLoop) => break,
            other => panic!("{other:?}"),
        }
    }
    let r = sup.request(&mut k, 3, &run).unwrap();
    assert_eq!(body(&r), Err(Error::Service(ExecCode::CrashLoop)));
}

#[test]
fn ends_of_processes_execd_does_not_supervise_change_nothing() {
    let mut rig = Rig::new();
    let (decision, answers) = rig.end(42, -3, None);
    assert_eq!((decision, answers.len()), (None, 0));
    assert_eq!(rig.sup.name_of(42), None);
}

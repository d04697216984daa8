//! `mkinitrd` as the harness runs it: byte-identical archives for any input order, no
//! archive at all (not a partial one, no temporary file) when an input is missing, a
//! file named like the old fixed temporary (`OUT.tmp`) left alone, and an output that is
//! an input refused.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;
use std::process::Command;

use test_harness::names_in;

fn work(name: &str) -> PathBuf {
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("mkinitrd")
        .join(name);
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn mkinitrd(args: &[String]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_mkinitrd"))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn same_files_in_any_order_give_the_same_bytes() {
    let d = work("order");
    std::fs::write(d.join("m"), b"init spawn\nsamgrd boot\n").unwrap();
    std::fs::write(d.join("a"), [1u8; 100]).unwrap();
    std::fs::write(d.join("b"), [2u8; 7]).unwrap();
    let spec = |n: &str, f: &str| format!("{n}={}", d.join(f).display());
    let one = d.join("one.img").display().to_string();
    let two = d.join("two.img").display().to_string();
    let o = mkinitrd(&[
        one.clone(),
        spec("boot.manifest", "m"),
        spec("init", "a"),
        spec("samgrd", "b"),
    ]);
    assert!(o.status.success(), "{o:?}");
    let o = mkinitrd(&[
        two.clone(),
        spec("samgrd", "b"),
        spec("init", "a"),
        spec("boot.manifest", "m"),
    ]);
    assert!(o.status.success(), "{o:?}");
    let (a, b) = (std::fs::read(&one).unwrap(), std::fs::read(&two).unwrap());
    assert_eq!(a, b);
    let archive = initrd::Archive::parse(&a).unwrap();
    assert_eq!(archive.find("init"), Some(&[1u8; 100][..]));
    assert_eq!(archive.find("samgrd"), Some(&[2u8; 7][..]));
}

#[test]
fn a_missing_input_or_bad_name_leaves_no_archive() {
    let d = work("errors");
    std::fs::write(d.join("a"), b"x").unwrap();
    let out = d.join("out.img").display().to_string();
    let missing = format!("init={}", d.join("nope").display());
    let o = mkinitrd(&[out.clone(), missing]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("nope"));
    let bad = format!("Init={}", d.join("a").display());
    let o = mkinitrd(&[out.clone(), bad]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("malformed name"));
    assert_eq!(names_in(&d), ["a"], "no archive and no temporary file");
}

#[test]
fn temporaries_are_private_to_the_run_and_never_a_fixed_name() {
    let d = work("tmpname");
    std::fs::write(d.join("a"), b"x").unwrap();
    // Someone's file that happens to carry the name the tool once used for its temporary.
    std::fs::write(d.join("out.img.tmp"), b"not mkinitrd's").unwrap();
    let out = d.join("out.img").display().to_string();
    let o = mkinitrd(&[out, format!("init={}", d.join("a").display())]);
    assert!(o.status.success(), "{o:?}");
    assert_eq!(
        std::fs::read(d.join("out.img.tmp")).unwrap(),
        b"not mkinitrd's"
    );
    assert_eq!(names_in(&d), ["a", "out.img", "out.img.tmp"]);
}

#[test]
fn an_output_that_is_an_input_is_refused() {
    let d = work("inplace");
    std::fs::write(d.join("a"), b"x").unwrap();
    let a = d.join("a").display().to_string();
    let o = mkinitrd(&[a.clone(), format!("init={a}")]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("the output path is also an input"),
        "{o:?}"
    );
    assert_eq!(std::fs::read(d.join("a")).unwrap(), b"x");
}

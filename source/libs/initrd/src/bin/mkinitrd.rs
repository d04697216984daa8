//! `mkinitrd OUT NAME=PATH...`: assemble an initrd archive from files, deterministically.
//!
//! The output is written atomically and durably (`durable`: a hidden temporary file
//! beside OUT, fsynced, renamed into place, the directory fsynced), so a failed run never
//! leaves a partial archive; an OUT that is one of the inputs is refused before any work.

use std::path::Path;
use std::process::ExitCode;

fn run(args: &[String]) -> Result<(), String> {
    let (out, inputs) = args
        .split_first()
        .ok_or("usage: mkinitrd OUT NAME=PATH...")?;
    let mut files = Vec::new();
    for spec in inputs {
        let (name, path) = spec
            .split_once('=')
            .ok_or_else(|| format!("{spec}: expected NAME=PATH"))?;
        files.push((name, Path::new(path)));
    }
    let inputs: Vec<(&str, &Path)> = files.iter().map(|(n, p)| (*n, *p)).collect();
    durable::refuse_output_among_inputs(Path::new(out), &inputs).map_err(|e| e.to_string())?;
    let mut contents = Vec::new();
    for (name, path) in &files {
        let bytes =
            durable::read_capped(path, initrd::MAX_TOTAL as u64).map_err(|e| e.to_string())?;
        contents.push((name.to_string(), bytes));
    }
    let refs: Vec<(&str, &[u8])> = contents
        .iter()
        .map(|(n, b)| (n.as_str(), b.as_slice()))
        .collect();
    let archive = initrd::build(&refs).map_err(|e| e.to_string())?;
    durable::write_atomic(Path::new(out), &archive).map_err(|e| e.to_string())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

//! `mkinitrd OUT NAME=PATH...`: assemble an initrd archive from files, deterministically.
//!
//! The output is written to a temporary file beside OUT and renamed into place, so a
//! failed run never leaves a partial archive.

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
        let meta = std::fs::metadata(path).map_err(|e| format!("{path}: {e}"))?;
        if meta.len() > initrd::MAX_TOTAL as u64 {
            return Err(format!(
                "{path}: {} bytes is over the initrd cap",
                meta.len()
            ));
        }
        let bytes = std::fs::read(path).map_err(|e| format!("{path}: {e}"))?;
        files.push((name.to_string(), bytes));
    }
    let refs: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(n, b)| (n.as_str(), b.as_slice()))
        .collect();
    let archive = initrd::build(&refs).map_err(|e| e.to_string())?;
    let tmp = format!("{out}.tmp");
    std::fs::write(&tmp, &archive).map_err(|e| format!("{tmp}: {e}"))?;
    std::fs::rename(&tmp, out).map_err(|e| format!("{out}: {e}"))?;
    Ok(())
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

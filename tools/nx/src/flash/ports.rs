//! `nx flash ports`: the serial ports the system knows of (enumerated by `serialport`
//! through `flash::io::serial_ports`), one per line, sorted by path, as `esptool` and
//! `espflash` list them before asking which to use.

use std::io::Write as _;
use std::process::ExitCode;

use flash::io::{serial_ports, SerialPortKind};
use serde::Serialize;

use crate::output::{write_json, write_table};

/// The schema id of `nx flash ports --json`.
pub const PORTS_SCHEMA: &str = "nx.flash.ports/1";

/// Arguments of `nx flash ports`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Print JSON (schema nx.flash.ports/1) instead of a table.
    #[arg(long)]
    json: bool,
}

/// `--json` output.
#[derive(Serialize)]
struct PortsOut {
    schema: &'static str,
    ports: Vec<PortOut>,
}

/// One port in `--json` output; the USB keys are null for other kinds.
#[derive(Serialize)]
struct PortOut {
    path: String,
    kind: &'static str,
    vid: Option<String>,
    pid: Option<String>,
    serial_number: Option<String>,
    manufacturer: Option<String>,
    product: Option<String>,
}

impl PortOut {
    fn new(path: String, kind: SerialPortKind) -> PortOut {
        let mut out = PortOut {
            path,
            kind: "unknown",
            vid: None,
            pid: None,
            serial_number: None,
            manufacturer: None,
            product: None,
        };
        match kind {
            SerialPortKind::Usb {
                vid,
                pid,
                serial_number,
                manufacturer,
                product,
            } => {
                out.kind = "usb";
                out.vid = Some(format!("{vid:04x}"));
                out.pid = Some(format!("{pid:04x}"));
                out.serial_number = serial_number;
                out.manufacturer = manufacturer;
                out.product = product;
            }
            SerialPortKind::Pci => out.kind = "pci",
            SerialPortKind::Bluetooth => out.kind = "bluetooth",
            SerialPortKind::Unknown => {}
        }
        out
    }

    /// The table's description column: `1a86:7523 QinHeng USB Serial (serial 0001)`.
    fn description(&self) -> String {
        let mut parts = Vec::new();
        if let (Some(vid), Some(pid)) = (&self.vid, &self.pid) {
            parts.push(format!("{vid}:{pid}"));
        }
        parts.extend(self.manufacturer.clone());
        parts.extend(self.product.clone());
        if let Some(serial) = &self.serial_number {
            parts.push(format!("(serial {serial})"));
        }
        if parts.is_empty() {
            "-".to_string()
        } else {
            parts.join(" ")
        }
    }
}

/// Runs `nx flash ports`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let ports: Vec<PortOut> = serial_ports()
        .map_err(super::link_error)?
        .into_iter()
        .map(|p| PortOut::new(p.path, p.kind))
        .collect();
    let mut out = std::io::stdout().lock();
    if args.json {
        write_json(
            &mut out,
            &PortsOut {
                schema: PORTS_SCHEMA,
                ports,
            },
        )?;
    } else if ports.is_empty() {
        eprintln!("no serial ports found");
    } else {
        let mut rows = vec![vec!["PORT".into(), "TYPE".into(), "DEVICE".into()]];
        for p in &ports {
            rows.push(vec![p.path.clone(), p.kind.to_string(), p.description()]);
        }
        write_table(&mut out, &rows)?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_usb_port_is_described_by_its_ids_and_strings() {
        let usb = PortOut::new(
            "/dev/ttyUSB0".into(),
            SerialPortKind::Usb {
                vid: 0x1a86,
                pid: 0x7523,
                serial_number: Some("0001".into()),
                manufacturer: Some("QinHeng".into()),
                product: Some("USB Serial".into()),
            },
        );
        assert_eq!(usb.kind, "usb");
        assert_eq!(
            usb.description(),
            "1a86:7523 QinHeng USB Serial (serial 0001)"
        );
        let uart = PortOut::new("/dev/ttyS0".into(), SerialPortKind::Unknown);
        assert_eq!((uart.kind, uart.description().as_str()), ("unknown", "-"));
    }
}

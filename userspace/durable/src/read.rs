//! Reading a file with a size cap checked before reading or allocating: whole
//! ([`read_capped`]), or opened for a caller that streams it ([`open_capped`]).

use std::fs::File;
use std::io::Read;
use std::path::Path;

use crate::Error;

/// Opens the file at `path`, which may hold at most `limit` bytes, and gives it with its
/// size. The size is checked before anything is read ([`Error::TooLarge`] when over); a
/// caller that streams the file stops at that size, or at one byte over `limit`, in case
/// the file grows meanwhile.
pub fn open_capped(path: &Path, limit: u64) -> Result<(File, u64), Error> {
    let file = File::open(path).map_err(Error::io(path))?;
    let size = file.metadata().map_err(Error::io(path))?.len();
    if size > limit {
        return Err(Error::TooLarge {
            path: path.to_path_buf(),
            size,
            limit,
        });
    }
    Ok((file, size))
}

/// Reads the file at `path`, which may hold at most `limit` bytes. The size is checked
/// before anything is read or allocated ([`open_capped`]), and the read stops one byte
/// over the limit in case the file grows meanwhile; either way the error is
/// [`Error::TooLarge`].
pub fn read_capped(path: &Path, limit: u64) -> Result<Vec<u8>, Error> {
    let (file, size) = open_capped(path, limit)?;
    let mut out = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    file.take(limit.saturating_add(1))
        .read_to_end(&mut out)
        .map_err(Error::io(path))?;
    if out.len() as u64 > limit {
        return Err(Error::TooLarge {
            path: path.to_path_buf(),
            size: out.len() as u64,
            limit,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn a_capped_read_accepts_the_limit_and_refuses_one_byte_over() {
        let d = tempfile::tempdir().unwrap();
        let path = d.path().join("f");
        std::fs::write(&path, [7u8; 100]).unwrap();
        assert_eq!(read_capped(&path, 100).unwrap(), [7u8; 100]);
        let err = read_capped(&path, 99).unwrap_err();
        assert!(
            matches!(
                err,
                Error::TooLarge {
                    size: 100,
                    limit: 99,
                    ..
                }
            ),
            "{err}"
        );
        assert_eq!(
            err.to_string(),
            format!(
                "{}: 100 bytes is over the limit of 99 bytes",
                path.display()
            )
        );
    }

    #[test]
    fn an_open_with_a_cap_gives_the_size_and_refuses_one_byte_over() {
        let d = tempfile::tempdir().unwrap();
        let path = d.path().join("f");
        std::fs::write(&path, [7u8; 100]).unwrap();
        let (mut file, size) = open_capped(&path, 100).unwrap();
        assert_eq!(size, 100);
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).unwrap();
        assert_eq!(bytes, [7u8; 100]);
        let err = open_capped(&path, 99).unwrap_err();
        assert!(
            matches!(&err, Error::TooLarge { path: p, size: 100, limit: 99 } if *p == path),
            "{err}"
        );
        assert!(open_capped(&d.path().join("missing"), 10)
            .unwrap_err()
            .is_not_found());
    }

    #[test]
    fn a_missing_file_is_named() {
        let d = tempfile::tempdir().unwrap();
        let path = d.path().join("missing");
        let err = read_capped(&path, 10).unwrap_err();
        assert!(err.is_not_found(), "{err}");
        assert!(err
            .to_string()
            .starts_with(&format!("{}: ", path.display())));
    }
}

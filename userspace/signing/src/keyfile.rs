//! Key files on disk (feature `std`): reading private and public key files with a size
//! bound, generating a key from OS randomness, and writing a key pair safely.
//!
//! Writing never leaves a partial key file: each file is written to a temporary file in
//! the same directory (the private one created with mode 0600), fsynced, then linked
//! into place. Without `force` the link refuses an existing file, so an existing key is
//! never replaced, not even by a concurrent writer; with `force` it is renamed over.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::vec::Vec;
use std::{fmt, format};

use crate::{Error, KeyPolicy, PublicKey, SecretKey, TrustedKeys, SECRET_KEY_LEN};

/// File name of the private key that [`write_keypair`] writes.
pub const PRIVATE_KEY_FILE: &str = "ed25519.hex";
/// File name of the public key that [`write_keypair`] writes.
pub const PUBLIC_KEY_FILE: &str = "ed25519.pub";
/// Largest key file read (a key file is 64 hex digits and a newline).
pub const MAX_KEY_FILE_LEN: u64 = 4096;

/// Why a key file could not be read, generated or written.
#[derive(Debug)]
#[non_exhaustive]
pub enum KeyFileError {
    /// The operating system reported an error for `path`.
    Io {
        /// The file at fault.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// The file is larger than any key file ([`MAX_KEY_FILE_LEN`]).
    TooLarge {
        /// The file at fault.
        path: PathBuf,
        /// Its size in bytes.
        size: u64,
    },
    /// The file exists and `force` was not given.
    Exists {
        /// The file that would have been overwritten.
        path: PathBuf,
    },
    /// The file's content is not a valid key.
    Key {
        /// The file at fault.
        path: PathBuf,
        /// What is wrong with it.
        source: Error,
    },
    /// No public key file was given, so nothing could be trusted.
    NoTrustedKeys,
    /// The operating system could not provide randomness for a new key.
    Random(getrandom::Error),
}

impl fmt::Display for KeyFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyFileError::Io { path, source } => write!(f, "{}: {source}", path.display()),
            KeyFileError::TooLarge { path, size } => write!(
                f,
                "{}: {size} bytes is too large for a key file (at most {MAX_KEY_FILE_LEN})",
                path.display()
            ),
            KeyFileError::Exists { path } => write!(
                f,
                "{}: already exists; refusing to overwrite a key (use --force to replace it)",
                path.display()
            ),
            KeyFileError::Key { path, source } => write!(f, "{}: {source}", path.display()),
            KeyFileError::NoTrustedKeys => f.write_str("no trusted public key file given"),
            KeyFileError::Random(e) => write!(f, "no randomness from the operating system: {e}"),
        }
    }
}

// Display already includes the underlying error (so `{}` alone says everything);
// `source` stays empty to keep error chains from printing it twice.
impl std::error::Error for KeyFileError {}

fn io_at(path: &Path) -> impl FnOnce(io::Error) -> KeyFileError + '_ {
    move |source| KeyFileError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Reads a key file of at most [`MAX_KEY_FILE_LEN`] bytes (checked before reading).
fn read_small(path: &Path) -> Result<zeroize::Zeroizing<Vec<u8>>, KeyFileError> {
    let file = File::open(path).map_err(io_at(path))?;
    let size = file.metadata().map_err(io_at(path))?.len();
    if size > MAX_KEY_FILE_LEN {
        return Err(KeyFileError::TooLarge {
            path: path.to_path_buf(),
            size,
        });
    }
    let mut buf = zeroize::Zeroizing::new(Vec::with_capacity(66));
    file.take(MAX_KEY_FILE_LEN + 1)
        .read_to_end(&mut buf)
        .map_err(io_at(path))?;
    if buf.len() as u64 > MAX_KEY_FILE_LEN {
        return Err(KeyFileError::TooLarge {
            path: path.to_path_buf(),
            size: buf.len() as u64,
        });
    }
    Ok(buf)
}

/// Reads a private key file (64 hex digits and an optional newline).
pub fn read_secret_key(path: &Path) -> Result<SecretKey, KeyFileError> {
    let text = read_small(path)?;
    SecretKey::from_hex(&text).map_err(|source| KeyFileError::Key {
        path: path.to_path_buf(),
        source,
    })
}

/// Reads a public key file (64 hex digits and an optional newline).
pub fn read_public_key(path: &Path) -> Result<PublicKey, KeyFileError> {
    let text = read_small(path)?;
    PublicKey::from_hex(&text).map_err(|source| KeyFileError::Key {
        path: path.to_path_buf(),
        source,
    })
}

/// Reads public key files into a trusted set under `policy`; the error names the file
/// of a refused key.
pub fn read_trusted_keys<P: AsRef<Path>>(
    paths: &[P],
    policy: KeyPolicy,
) -> Result<TrustedKeys, KeyFileError> {
    let mut keys = Vec::with_capacity(paths.len());
    for path in paths {
        let path = path.as_ref();
        let key = read_public_key(path)?;
        policy.check(&key).map_err(|source| KeyFileError::Key {
            path: path.to_path_buf(),
            source,
        })?;
        keys.push(key);
    }
    TrustedKeys::new(keys, policy).map_err(|_| KeyFileError::NoTrustedKeys)
}

/// Generates a new private key from the operating system's randomness.
pub fn generate_secret_key() -> Result<SecretKey, KeyFileError> {
    let mut seed = zeroize::Zeroizing::new([0u8; SECRET_KEY_LEN]);
    getrandom::fill(seed.as_mut_slice()).map_err(KeyFileError::Random)?;
    Ok(SecretKey::from_seed(*seed))
}

/// The two files [`write_keypair`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyPairFiles {
    /// The private key file (mode 0600).
    pub private: PathBuf,
    /// The public key file.
    pub public: PathBuf,
}

/// Writes `key` as [`PRIVATE_KEY_FILE`] (mode 0600) and its public key as
/// [`PUBLIC_KEY_FILE`] in `dir`, creating `dir` when missing. Without `force`, nothing
/// is written when either file exists.
pub fn write_keypair(
    dir: &Path,
    key: &SecretKey,
    force: bool,
) -> Result<KeyPairFiles, KeyFileError> {
    let files = KeyPairFiles {
        private: dir.join(PRIVATE_KEY_FILE),
        public: dir.join(PUBLIC_KEY_FILE),
    };
    if !force {
        for path in [&files.private, &files.public] {
            if fs::symlink_metadata(path).is_ok() {
                return Err(KeyFileError::Exists { path: path.clone() });
            }
        }
    }
    fs::create_dir_all(dir).map_err(io_at(dir))?;
    let secret = key.to_hex_line();
    write_new(&files.private, secret.as_bytes(), 0o600, force)?;
    let public = format!("{}\n", key.public_key().to_hex());
    write_new(&files.public, public.as_bytes(), 0o644, force)?;
    Ok(files)
}

/// Writes `bytes` to a temporary file created with `mode`, then links it to `path`
/// (refusing an existing file) or, with `force`, renames it over `path`.
fn write_new(path: &Path, bytes: &[u8], mode: u32, force: bool) -> Result<(), KeyFileError> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let result = (|| {
        let mut options = OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, mode);
        #[cfg(not(unix))]
        let _ = mode;
        let mut file = options.open(&tmp).map_err(io_at(&tmp))?;
        file.write_all(bytes).map_err(io_at(&tmp))?;
        file.sync_all().map_err(io_at(&tmp))?;
        drop(file);
        if force {
            fs::rename(&tmp, path).map_err(io_at(path))?;
        } else {
            fs::hard_link(&tmp, path).map_err(|e| {
                if e.kind() == io::ErrorKind::AlreadyExists {
                    KeyFileError::Exists {
                        path: path.to_path_buf(),
                    }
                } else {
                    io_at(path)(e)
                }
            })?;
            fs::remove_file(&tmp).map_err(io_at(&tmp))?;
        }
        if let Ok(d) = File::open(dir) {
            d.sync_all().map_err(io_at(dir))?;
        }
        Ok(())
    })();
    if result.is_err() {
        // Best effort: the temporary file may not exist if creating it failed.
        let _ = fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::ToString;
    use std::vec;

    #[test]
    fn writes_a_keypair_that_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let key = generate_secret_key().unwrap();
        let files = write_keypair(dir.path(), &key, false).unwrap();
        let back = read_secret_key(&files.private).unwrap();
        assert_eq!(back.public_key(), key.public_key());
        assert_eq!(read_public_key(&files.public).unwrap(), key.public_key());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&files.private).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let leftovers: Vec<_> = fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(leftovers.len(), 2, "no temporary file left behind");
    }

    #[test]
    fn refuses_to_overwrite_without_force() {
        let dir = tempfile::tempdir().unwrap();
        let first = SecretKey::from_seed([1; 32]);
        let files = write_keypair(dir.path(), &first, false).unwrap();
        let second = SecretKey::from_seed([2; 32]);
        let err = write_keypair(dir.path(), &second, false).unwrap_err();
        assert!(matches!(err, KeyFileError::Exists { ref path } if *path == files.private));
        assert_eq!(
            read_secret_key(&files.private).unwrap().public_key(),
            first.public_key()
        );
        write_keypair(dir.path(), &second, true).unwrap();
        assert_eq!(
            read_secret_key(&files.private).unwrap().public_key(),
            second.public_key()
        );
    }

    #[test]
    fn refuses_an_oversized_key_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.hex");
        fs::write(&path, vec![b'0'; 5000]).unwrap();
        assert!(matches!(
            read_secret_key(&path),
            Err(KeyFileError::TooLarge { size: 5000, .. })
        ));
    }

    #[test]
    fn names_the_file_of_a_malformed_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.pub");
        fs::write(&path, "abc\n").unwrap();
        let err = read_public_key(&path).unwrap_err();
        assert!(err.to_string().contains("bad.pub"), "{err}");
    }
}

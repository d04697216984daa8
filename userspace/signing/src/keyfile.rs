//! Key files on disk (feature `std`): reading private and public key files with a size
//! bound, generating a key from OS randomness, and writing a key pair safely.
//!
//! Writing never leaves a partial key file or a mismatched pair: both names are checked
//! first, both files are staged in temporary files in the same directory (the private
//! one created with mode 0600) and put in place together by one staged commit of the
//! `durable` crate. Without `force` the commit replaces nothing, so an existing key is
//! never replaced, not even by a concurrent writer; with `force` the files are renamed
//! over, and the old private key is put back if the public key cannot be.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::vec::Vec;
use std::{fmt, format, vec};

use durable::{Replace, Staged};

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
    /// The key pair's directory is a file or something else that is not a directory.
    NotADirectory {
        /// The path given as the directory.
        path: PathBuf,
    },
    /// A key file's name is taken by a directory.
    IsADirectory {
        /// The directory in the way.
        path: PathBuf,
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
    /// A key file could not be written, or refused as an output (see [`durable::Error`];
    /// the error names it).
    Durable(durable::Error),
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
            KeyFileError::NotADirectory { path } => write!(
                f,
                "{}: not a directory (key files are written into a directory)",
                path.display()
            ),
            KeyFileError::IsADirectory { path } => write!(
                f,
                "{}: is a directory, not a key file; nothing was written",
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
            KeyFileError::Durable(e) => write!(f, "{e}"),
        }
    }
}

// Display already includes the underlying error (so `{}` alone says everything);
// `source` stays empty to keep error chains from printing it twice.
impl std::error::Error for KeyFileError {}

impl From<durable::Error> for KeyFileError {
    fn from(e: durable::Error) -> Self {
        match e {
            durable::Error::Io { path, cause } => KeyFileError::Io {
                path,
                source: cause,
            },
            durable::Error::TooLarge { path, size, .. } => KeyFileError::TooLarge { path, size },
            durable::Error::Exists { path } => KeyFileError::Exists { path },
            other => KeyFileError::Durable(other),
        }
    }
}

fn io_at(path: &Path) -> impl FnOnce(io::Error) -> KeyFileError + '_ {
    move |source| KeyFileError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Reads a key file of at most [`MAX_KEY_FILE_LEN`] bytes (checked before reading).
fn read_small(path: &Path) -> Result<zeroize::Zeroizing<Vec<u8>>, KeyFileError> {
    Ok(zeroize::Zeroizing::new(durable::read_capped(
        path,
        MAX_KEY_FILE_LEN,
    )?))
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
/// [`PUBLIC_KEY_FILE`] in `dir`, creating `dir` when missing.
///
/// Both destination names are checked before anything is written: `dir` must be a
/// directory (or missing), neither name may be a directory, and without `force` neither
/// may exist. Both files are then written to temporary files and put in place only when
/// both are complete, so a failure never leaves one half of a new pair next to one half
/// of an old one: without `force` a failed second link removes the first, with `force` a
/// failed second rename puts the old private key back.
pub fn write_keypair(
    dir: &Path,
    key: &SecretKey,
    force: bool,
) -> Result<KeyPairFiles, KeyFileError> {
    let files = KeyPairFiles {
        private: dir.join(PRIVATE_KEY_FILE),
        public: dir.join(PUBLIC_KEY_FILE),
    };
    match fs::metadata(dir) {
        Ok(m) if !m.is_dir() => {
            return Err(KeyFileError::NotADirectory {
                path: dir.to_path_buf(),
            })
        }
        Ok(_) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(io_at(dir)(e)),
    }
    for path in [&files.private, &files.public] {
        match fs::symlink_metadata(path) {
            Ok(m) if m.is_dir() => return Err(KeyFileError::IsADirectory { path: path.clone() }),
            Ok(_) => {
                // Not even --force writes over a device, a FIFO or a socket.
                durable::check_output(path)?;
                if !force {
                    return Err(KeyFileError::Exists { path: path.clone() });
                }
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_at(path)(e)),
        }
    }
    fs::create_dir_all(dir).map_err(io_at(dir))?;
    let secret = key.to_hex_line();
    let public = format!("{}\n", key.public_key().to_hex());
    let staged = stage_pair(&files, secret.as_bytes(), public.as_bytes())?;
    commit_pair(staged, force)?;
    Ok(files)
}

/// Writes both key files to temporary files beside their names (the private one created
/// with mode 0600, the public one 0644), ready to be put in place together.
fn stage_pair(
    files: &KeyPairFiles,
    secret: &[u8],
    public: &[u8],
) -> Result<Vec<Staged>, KeyFileError> {
    let mut private = Staged::with_mode(&files.private, 0o600)?;
    private.write_all(secret)?;
    let mut public_file = Staged::with_mode(&files.public, 0o644)?;
    public_file.write_all(public)?;
    Ok(vec![private, public_file])
}

/// Puts the staged pair in place, private key first. Without `force` nothing that exists
/// is replaced (even a file a concurrent writer made after the checks); with `force` the
/// files are renamed over the old ones. If the public key cannot be put in place, the
/// private key name is put back as it was: removed when it was new, the old key restored
/// when it was replaced.
fn commit_pair(staged: Vec<Staged>, force: bool) -> Result<(), KeyFileError> {
    let replace = if force {
        Replace::Allow
    } else {
        Replace::Refuse
    };
    Ok(durable::commit_all(staged, replace)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::ToString;
    use std::vec;
    use test_harness::names_in;

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
    fn a_directory_in_place_of_the_public_key_stops_force_before_any_write() {
        let dir = tempfile::tempdir().unwrap();
        let old = SecretKey::from_seed([1; 32]);
        let files = write_keypair(dir.path(), &old, false).unwrap();
        let before = fs::read(&files.private).unwrap();
        fs::remove_file(&files.public).unwrap();
        fs::create_dir(&files.public).unwrap();
        let new = SecretKey::from_seed([2; 32]);
        let err = write_keypair(dir.path(), &new, true).unwrap_err();
        assert!(
            matches!(err, KeyFileError::IsADirectory { ref path } if *path == files.public),
            "{err}"
        );
        assert!(err.to_string().contains("is a directory"), "{err}");
        assert_eq!(fs::read(&files.private).unwrap(), before, "old key kept");
        assert_eq!(names_in(dir.path()), [PRIVATE_KEY_FILE, PUBLIC_KEY_FILE]);
    }

    #[test]
    fn a_directory_in_place_of_the_public_key_leaves_no_orphan_private_key() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir(dir.path().join(PUBLIC_KEY_FILE)).unwrap();
        let key = SecretKey::from_seed([3; 32]);
        let err = write_keypair(dir.path(), &key, false).unwrap_err();
        assert!(matches!(err, KeyFileError::IsADirectory { .. }), "{err}");
        assert_eq!(names_in(dir.path()), [PUBLIC_KEY_FILE]);
    }

    #[test]
    fn a_file_given_as_the_directory_is_named_as_not_a_directory() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("afile");
        fs::write(&file, "keep").unwrap();
        let key = SecretKey::from_seed([4; 32]);
        let err = write_keypair(&file, &key, true).unwrap_err();
        assert!(
            matches!(err, KeyFileError::NotADirectory { ref path } if *path == file),
            "{err}"
        );
        assert!(err.to_string().contains("not a directory"), "{err}");
        assert_eq!(fs::read(&file).unwrap(), b"keep");
    }

    /// A public key that cannot be put in place after the private one was: the private
    /// key name is put back (the old key restored, or the new one removed).
    #[test]
    fn a_failed_second_step_puts_the_private_key_back() {
        for force in [true, false] {
            let dir = tempfile::tempdir().unwrap();
            let files = KeyPairFiles {
                private: dir.path().join(PRIVATE_KEY_FILE),
                public: dir.path().join(PUBLIC_KEY_FILE),
            };
            let old = SecretKey::from_seed([5; 32]);
            if force {
                fs::write(&files.private, old.to_hex_line().as_bytes()).unwrap();
            }
            let new = SecretKey::from_seed([6; 32]);
            let staged = stage_pair(&files, new.to_hex_line().as_bytes(), b"pub\n").unwrap();
            // In the way after the checks, as a concurrent writer could make it.
            fs::create_dir(&files.public).unwrap();
            fs::write(files.public.join("x"), "x").unwrap();
            let err = commit_pair(staged, force).unwrap_err();
            assert!(err.to_string().contains(PUBLIC_KEY_FILE), "{err}");
            if force {
                assert_eq!(
                    read_secret_key(&files.private).unwrap().public_key(),
                    old.public_key(),
                    "old key restored"
                );
                assert_eq!(names_in(dir.path()), [PRIVATE_KEY_FILE, PUBLIC_KEY_FILE]);
            } else {
                assert_eq!(names_in(dir.path()), [PUBLIC_KEY_FILE], "no orphan");
            }
        }
    }

    #[test]
    fn a_fifo_in_place_of_a_key_file_is_refused_even_with_force() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join(PUBLIC_KEY_FILE);
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success());
        let key = SecretKey::from_seed([7; 32]);
        for force in [false, true] {
            let err = write_keypair(dir.path(), &key, force).unwrap_err();
            assert!(err.to_string().contains("is a FIFO (named pipe)"), "{err}");
            assert_eq!(names_in(dir.path()), [PUBLIC_KEY_FILE], "nothing written");
        }
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

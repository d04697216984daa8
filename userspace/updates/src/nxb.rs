//! `.nxb` bundles (`docs/packaging/nxb.md`): a canonical ustar archive of exactly two
//! members, `manifest.nxb` then `payload.bin`, every mtime 0.
//!
//! [`bundle_head`] and [`bundle_tail`] frame a payload for streaming writers;
//! [`build_bundle`] builds one in memory. [`BundleReader`] reads one in a stream: it
//! decodes the manifest (and checks its signature against trusted keys when given, before
//! the payload is read), then hashes the payload and checks its size and digest.

use alloc::string::String;
use alloc::vec::Vec;

use sha2::{Digest, Sha256};
use signing::{PublicKey, TrustedKeys};

use crate::manifest::MAX_MANIFEST_LEN;
use crate::tar::reader::{Event, Member, Reader};
use crate::tar::{header, padding_len, BLOCK, END_BLOCKS};
use crate::{BundleManifest, Error};

/// Name of the first member.
pub const MANIFEST_MEMBER: &str = "manifest.nxb";
/// Name of the second member.
pub const PAYLOAD_MEMBER: &str = "payload.bin";
/// The mtime of both members.
pub const BUNDLE_MTIME: u64 = 0;

/// The bytes before the payload: the manifest member and the payload's header.
pub fn bundle_head(manifest: &[u8], payload_size: u64) -> Result<Vec<u8>, Error> {
    let mut out = Vec::with_capacity(3 * BLOCK + manifest.len());
    out.extend_from_slice(&header(
        MANIFEST_MEMBER,
        manifest.len() as u64,
        BUNDLE_MTIME,
    )?);
    out.extend_from_slice(manifest);
    out.resize(out.len() + padding_len(manifest.len() as u64), 0);
    out.extend_from_slice(&header(PAYLOAD_MEMBER, payload_size, BUNDLE_MTIME)?);
    Ok(out)
}

/// The bytes after the payload: its padding and the two end blocks.
pub fn bundle_tail(payload_size: u64) -> Vec<u8> {
    let mut out = alloc::vec![0u8; padding_len(payload_size)];
    out.extend_from_slice(&END_BLOCKS);
    out
}

/// Builds a whole `.nxb` in memory from a signed manifest and its payload. The manifest's
/// `payload_digest` and `payload_size` must describe `payload`.
pub fn build_bundle(manifest: &BundleManifest, payload: &[u8]) -> Result<Vec<u8>, Error> {
    let digest: [u8; 32] = Sha256::digest(payload).into();
    if manifest.payload_digest != digest {
        return Err(Error::PayloadDigestMismatch {
            bundle: String::from(manifest.name.as_str()),
        });
    }
    if manifest.payload_size != payload.len() as u64 {
        return Err(Error::PayloadSizeMismatch {
            bundle: String::from(manifest.name.as_str()),
            listed: manifest.payload_size,
            found: payload.len() as u64,
        });
    }
    let bytes = manifest.encode()?;
    let mut out = bundle_head(&bytes, payload.len() as u64)?;
    out.extend_from_slice(payload);
    out.extend_from_slice(&bundle_tail(payload.len() as u64));
    Ok(out)
}

#[derive(Debug)]
enum Expect {
    ManifestHeader,
    ManifestData,
    PayloadHeader,
    PayloadData,
    End,
}

/// A bundle that was read completely.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadBundle {
    /// The manifest.
    pub manifest: BundleManifest,
    /// The manifest's encoded length.
    pub manifest_len: u64,
    /// The trusted key that signed the manifest, when trusted keys were given.
    pub signer: Option<PublicKey>,
    /// SHA-256 of the whole `.nxb`.
    pub sha256: [u8; 32],
    /// Length of the whole `.nxb`.
    pub len: u64,
}

/// Streaming reader of one `.nxb`; see the module documentation.
#[derive(Debug)]
pub struct BundleReader<'k> {
    trusted: Option<&'k TrustedKeys>,
    reader: Reader,
    expect: Expect,
    manifest_bytes: Vec<u8>,
    manifest: Option<BundleManifest>,
    signer: Option<PublicKey>,
    payload: Sha256,
    payload_len: u64,
    whole: Sha256,
    len: u64,
}

impl<'k> BundleReader<'k> {
    /// A reader; with `trusted`, the manifest's signature must verify against it.
    pub fn new(trusted: Option<&'k TrustedKeys>) -> Self {
        BundleReader {
            trusted,
            reader: Reader::new(),
            expect: Expect::ManifestHeader,
            manifest_bytes: Vec::new(),
            manifest: None,
            signer: None,
            payload: Sha256::new(),
            payload_len: 0,
            whole: Sha256::new(),
            len: 0,
        }
    }

    /// The manifest, once read (and verified, when trusted keys were given).
    pub fn manifest(&self) -> Option<&BundleManifest> {
        self.manifest.as_ref()
    }

    /// Feeds the next bytes of the bundle.
    pub fn push(&mut self, mut input: &[u8]) -> Result<(), Error> {
        self.whole.update(input);
        self.len += input.len() as u64;
        while !input.is_empty() {
            let (used, event) = self.reader.next(input)?;
            input = input.get(used..).unwrap_or_default();
            if let Some(event) = event {
                self.on_event(event)?;
            }
        }
        Ok(())
    }

    /// Checks the end of the bundle and the payload's size and digest.
    pub fn finish(self) -> Result<ReadBundle, Error> {
        self.reader.finish()?;
        let Some(manifest) = self.manifest else {
            return Err(Error::Truncated {
                entry: String::from(MANIFEST_MEMBER),
                offset: self.len,
            });
        };
        if !matches!(self.expect, Expect::End) {
            return Err(Error::UnexpectedEntry {
                expected: PAYLOAD_MEMBER,
                found: String::from("end of archive"),
            });
        }
        let digest: [u8; 32] = self.payload.finalize().into();
        if digest != manifest.payload_digest {
            return Err(Error::PayloadDigestMismatch {
                bundle: String::from(manifest.name.as_str()),
            });
        }
        Ok(ReadBundle {
            manifest_len: self.manifest_bytes.len() as u64,
            manifest,
            signer: self.signer,
            sha256: self.whole.finalize().into(),
            len: self.len,
        })
    }

    fn expect_member(m: &Member, name: &'static str) -> Result<(), Error> {
        if m.name != name {
            return Err(Error::UnexpectedEntry {
                expected: name,
                found: m.name.clone(),
            });
        }
        if m.mtime != BUNDLE_MTIME {
            return Err(Error::NonCanonicalHeader {
                entry: m.name.clone(),
                field: "mtime",
            });
        }
        Ok(())
    }

    fn on_event(&mut self, event: Event<'_>) -> Result<(), Error> {
        match (&self.expect, event) {
            (Expect::ManifestHeader, Event::Member(m)) => {
                Self::expect_member(&m, MANIFEST_MEMBER)?;
                if m.size > MAX_MANIFEST_LEN as u64 {
                    return Err(Error::EntryTooLarge {
                        entry: m.name,
                        size: m.size,
                        limit: MAX_MANIFEST_LEN as u64,
                    });
                }
                self.manifest_bytes = Vec::with_capacity(m.size as usize);
                self.expect = Expect::ManifestData;
            }
            (Expect::ManifestData, Event::Data(d)) => self.manifest_bytes.extend_from_slice(d),
            (Expect::ManifestData, Event::MemberEnd) => {
                let manifest = BundleManifest::decode(&self.manifest_bytes)?;
                if let Some(trusted) = self.trusted {
                    self.signer = Some(manifest.verify(trusted)?);
                }
                self.manifest = Some(manifest);
                self.expect = Expect::PayloadHeader;
            }
            (Expect::PayloadHeader, Event::Member(m)) => {
                Self::expect_member(&m, PAYLOAD_MEMBER)?;
                if let Some(manifest) = &self.manifest {
                    if m.size != manifest.payload_size {
                        return Err(Error::PayloadSizeMismatch {
                            bundle: String::from(manifest.name.as_str()),
                            listed: manifest.payload_size,
                            found: m.size,
                        });
                    }
                }
                self.expect = Expect::PayloadData;
            }
            (Expect::PayloadData, Event::Data(d)) => {
                self.payload.update(d);
                self.payload_len += d.len() as u64;
            }
            (Expect::PayloadData, Event::MemberEnd) => self.expect = Expect::End,
            (Expect::End, Event::End) => {}
            (Expect::End, Event::Member(m)) => {
                return Err(Error::UnexpectedEntry {
                    expected: "end of archive",
                    found: m.name,
                })
            }
            (Expect::ManifestHeader, Event::End) => {
                return Err(Error::UnexpectedEntry {
                    expected: MANIFEST_MEMBER,
                    found: String::from("end of archive"),
                })
            }
            (Expect::PayloadHeader, Event::End) => {
                return Err(Error::UnexpectedEntry {
                    expected: PAYLOAD_MEMBER,
                    found: String::from("end of archive"),
                })
            }
            (_, _) => {
                return Err(Error::Truncated {
                    entry: String::from("a member"),
                    offset: self.reader.offset(),
                })
            }
        }
        Ok(())
    }
}

/// Reads a whole `.nxb` held in memory.
pub fn read_bundle(bytes: &[u8], trusted: Option<&TrustedKeys>) -> Result<ReadBundle, Error> {
    let mut r = BundleReader::new(trusted);
    r.push(bytes)?;
    r.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{BundleName, Version};
    use alloc::vec;
    use signing::{KeyPolicy, SecretKey};

    fn bundle(payload: &[u8]) -> (Vec<u8>, SecretKey) {
        let key = SecretKey::from_seed([5; 32]);
        let mut m = BundleManifest {
            name: BundleName::new("hello").unwrap(),
            version: Version::parse("1.0.0").unwrap(),
            abilities: vec![],
            caps: vec![],
            min_sdk: Version::parse("0.1.0").unwrap(),
            publisher: key.public_key(),
            signature: None,
            payload_digest: Sha256::digest(payload).into(),
            payload_size: payload.len() as u64,
        };
        m.sign(&key).unwrap();
        (build_bundle(&m, payload).unwrap(), key)
    }

    #[test]
    fn reads_back_and_verifies() {
        let (b, key) = bundle(b"payload bytes");
        let trusted = TrustedKeys::new([key.public_key()], KeyPolicy::Release).unwrap();
        let read = read_bundle(&b, Some(&trusted)).unwrap();
        assert_eq!(read.signer, Some(key.public_key()));
        assert_eq!(read.len, b.len() as u64);
        assert_eq!(read.sha256, <[u8; 32]>::from(Sha256::digest(&b)));
    }

    #[test]
    fn detects_a_changed_payload() {
        let (mut b, _) = bundle(b"payload bytes");
        let at = b.len() - 1024 - 512 + 3;
        b[at] ^= 1;
        assert!(matches!(
            read_bundle(&b, None),
            Err(Error::PayloadDigestMismatch { .. })
        ));
    }

    #[test]
    fn refuses_an_untrusted_publisher() {
        let (b, _) = bundle(b"x");
        let other = TrustedKeys::new(
            [SecretKey::from_seed([6; 32]).public_key()],
            KeyPolicy::Release,
        )
        .unwrap();
        assert!(matches!(
            read_bundle(&b, Some(&other)),
            Err(Error::Signature { .. })
        ));
    }
}

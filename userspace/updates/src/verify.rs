//! The streaming system-set verifier ([`SystemSetVerifier`]): sans-IO, fed the `.nxs`
//! bytes in chunks of any size, holding at most the index (bounded) and one 512-byte
//! block, so memory does not grow with the archive.
//!
//! Order of checks (`docs/packaging/system-set.md`, "Verification"):
//! 1. the archive size bound, before reading a byte (the std adapter checks the file
//!    size; the verifier counts what it is fed);
//! 2. member 1 is `system.nxsindex` within its bound, buffered but not decoded;
//! 3. member 2 is `system.sig.ed25519`, 64 bytes, and a trusted key verifies it over
//!    the index bytes; only then is the index decoded and trusted;
//! 4. the index's publisher is that key, its timestamp is the archive's mtime, its board
//!    matches, its version is not a downgrade (unless allowed);
//! 5. every further member is the next listed bundle, `<name>.nxb`, with the listed size
//!    (checked from the header) and SHA-256 (checked at its end);
//! 6. the archive ends with the two end blocks, after the last listed bundle.
//!
//! The canonical-ustar reader underneath refuses any header, padding or end block that
//! the writer would not produce, so every bit of an accepted archive is covered by the
//! signature, directly (index) or through the index (bundle digests).

use alloc::string::String;
use alloc::vec::Vec;

use sha2::{Digest, Sha256};
use signing::{PublicKey, Signature, TrustedKeys, SIGNATURE_LEN};

use crate::index::MAX_INDEX_LEN;
use crate::tar::reader::{Event, Member, Reader};
use crate::{BoardName, Error, SystemSetDigest, SystemSetIndex, Version};

/// Name of the first member.
pub const INDEX_MEMBER: &str = "system.nxsindex";
/// Name of the second member.
pub const SIGNATURE_MEMBER: &str = "system.sig.ed25519";
/// Default bound on a whole system-set: 100 MiB.
pub const DEFAULT_MAX_ARCHIVE_SIZE: u64 = 100 * 1024 * 1024;

/// What a system-set must satisfy besides its signature.
#[derive(Debug, Clone)]
pub struct VerifyPolicy {
    trusted: TrustedKeys,
    board: Option<BoardName>,
    running: Option<Version>,
    allow_downgrade: bool,
    max_archive_size: u64,
}

impl VerifyPolicy {
    /// The device policy: signed by a key in `trusted`, built for `board`, and not
    /// older than `running` (the running system's version).
    pub fn new(trusted: TrustedKeys, board: BoardName, running: Version) -> Self {
        VerifyPolicy {
            trusted,
            board: Some(board),
            running: Some(running),
            allow_downgrade: false,
            max_archive_size: DEFAULT_MAX_ARCHIVE_SIZE,
        }
    }

    /// A host policy for inspecting a system-set: the signature and the whole archive
    /// are checked, but any board and any version are accepted.
    pub fn inspection(trusted: TrustedKeys) -> Self {
        VerifyPolicy {
            trusted,
            board: None,
            running: None,
            allow_downgrade: false,
            max_archive_size: DEFAULT_MAX_ARCHIVE_SIZE,
        }
    }

    /// Requires the system-set to be built for `board`.
    pub fn with_board(mut self, board: BoardName) -> Self {
        self.board = Some(board);
        self
    }

    /// Refuses system-sets older than `running`.
    pub fn with_running_version(mut self, running: Version) -> Self {
        self.running = Some(running);
        self
    }

    /// Explicitly accepts a system-set older than the running version.
    pub fn allow_downgrade(mut self, allow: bool) -> Self {
        self.allow_downgrade = allow;
        self
    }

    /// Sets the bound on the whole archive in bytes.
    pub fn with_max_archive_size(mut self, bytes: u64) -> Self {
        self.max_archive_size = bytes;
        self
    }

    /// The bound on the whole archive in bytes.
    pub fn max_archive_size(&self) -> u64 {
        self.max_archive_size
    }

    /// The trusted keys.
    pub fn trusted(&self) -> &TrustedKeys {
        &self.trusted
    }
}

/// A system-set that passed every check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedSystemSet {
    /// The decoded index.
    pub index: SystemSetIndex,
    /// Its identity: SHA-256 of the index bytes.
    pub digest: SystemSetDigest,
    /// The trusted key that signed it.
    pub signer: PublicKey,
    /// Length of the archive in bytes.
    pub archive_len: u64,
}

#[derive(Debug)]
enum Expect {
    IndexHeader,
    IndexData,
    SignatureHeader,
    SignatureData,
    BundleHeader,
    BundleData { hasher: Sha256, member: String },
    End,
}

/// The streaming verifier; see the module documentation.
#[derive(Debug)]
pub struct SystemSetVerifier {
    policy: VerifyPolicy,
    reader: Reader,
    expect: Expect,
    total: u64,
    mtime: u64,
    index_bytes: Vec<u8>,
    signature: Vec<u8>,
    verified: Option<(SystemSetIndex, PublicKey)>,
    next_bundle: usize,
    failed: Option<Error>,
}

impl SystemSetVerifier {
    /// A verifier at the start of an archive.
    pub fn new(policy: VerifyPolicy) -> Self {
        SystemSetVerifier {
            policy,
            reader: Reader::new(),
            expect: Expect::IndexHeader,
            total: 0,
            mtime: 0,
            index_bytes: Vec::new(),
            signature: Vec::new(),
            verified: None,
            next_bundle: 0,
            failed: None,
        }
    }

    /// The index, once its signature has been verified (after the first two members).
    pub fn index(&self) -> Option<&SystemSetIndex> {
        self.verified.as_ref().map(|(i, _)| i)
    }

    /// Feeds the next bytes of the archive. After an error every further call returns
    /// the same error.
    pub fn push(&mut self, input: &[u8]) -> Result<(), Error> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        let result = self.push_inner(input);
        if let Err(e) = &result {
            self.failed = Some(e.clone());
        }
        result
    }

    fn push_inner(&mut self, mut input: &[u8]) -> Result<(), Error> {
        let size = self.total.saturating_add(input.len() as u64);
        if size > self.policy.max_archive_size {
            return Err(Error::ArchiveTooLarge {
                size,
                limit: self.policy.max_archive_size,
            });
        }
        self.total = size;
        while !input.is_empty() {
            let (used, event) = self.reader.next(input)?;
            input = input.get(used..).unwrap_or_default();
            if let Some(event) = event {
                self.on_event(event)?;
            }
        }
        Ok(())
    }

    /// Checks that the archive ended where it should and returns what was verified.
    pub fn finish(self) -> Result<VerifiedSystemSet, Error> {
        if let Some(e) = self.failed {
            return Err(e);
        }
        self.reader.finish()?;
        match (self.expect, self.verified) {
            (Expect::End, Some((index, signer))) => Ok(VerifiedSystemSet {
                digest: SystemSetIndex::digest_of(&self.index_bytes),
                index,
                signer,
                archive_len: self.total,
            }),
            // The reader only reports the end after both end blocks, and every earlier
            // state turns an end into an error, so this is unreachable in practice.
            _ => Err(Error::Truncated {
                entry: String::from("end blocks"),
                offset: self.total,
            }),
        }
    }

    fn on_event(&mut self, event: Event<'_>) -> Result<(), Error> {
        match (&mut self.expect, event) {
            (Expect::IndexHeader, Event::Member(m)) => self.index_header(m),
            (Expect::IndexHeader, Event::End) => Err(Error::UnexpectedEntry {
                expected: INDEX_MEMBER,
                found: String::from("end of archive"),
            }),
            (Expect::IndexData, Event::Data(d)) => {
                self.index_bytes.extend_from_slice(d);
                Ok(())
            }
            (Expect::IndexData, Event::MemberEnd) => {
                self.expect = Expect::SignatureHeader;
                Ok(())
            }
            (Expect::SignatureHeader, Event::Member(m)) => self.signature_header(m),
            (Expect::SignatureHeader, Event::End) => Err(Error::MissingSignature {
                found: String::from("end of archive"),
            }),
            (Expect::SignatureData, Event::Data(d)) => {
                self.signature.extend_from_slice(d);
                Ok(())
            }
            (Expect::SignatureData, Event::MemberEnd) => self.check_signature(),
            (Expect::BundleHeader, Event::Member(m)) => self.bundle_header(m),
            (Expect::BundleHeader, Event::End) => {
                let listed = self.verified.as_ref().map(|(i, _)| &i.bundles);
                if let Some(missing) = listed.and_then(|b| b.get(self.next_bundle)) {
                    return Err(Error::MissingBundle {
                        bundle: String::from(missing.name.as_str()),
                    });
                }
                self.expect = Expect::End;
                Ok(())
            }
            (Expect::BundleData { hasher, .. }, Event::Data(d)) => {
                hasher.update(d);
                Ok(())
            }
            (Expect::BundleData { .. }, Event::MemberEnd) => self.bundle_end(),
            // The reader emits events only in the order header, data, end; anything
            // else here would be a reader bug, reported as a truncation of the member.
            (_, _) => Err(Error::Truncated {
                entry: String::from("a member"),
                offset: self.reader.offset(),
            }),
        }
    }

    fn index_header(&mut self, m: Member) -> Result<(), Error> {
        let m = index_member(m)?;
        self.mtime = m.mtime;
        self.index_bytes = Vec::with_capacity(m.size as usize);
        self.expect = Expect::IndexData;
        Ok(())
    }

    fn signature_header(&mut self, m: Member) -> Result<(), Error> {
        if m.name != SIGNATURE_MEMBER {
            return Err(Error::MissingSignature { found: m.name });
        }
        if m.size != SIGNATURE_LEN as u64 {
            return Err(Error::Signature {
                entry: SIGNATURE_MEMBER,
                source: signing::Error::ByteLength {
                    kind: signing::KeyKind::Signature,
                    expected: SIGNATURE_LEN,
                    found: usize::try_from(m.size).unwrap_or(usize::MAX),
                },
            });
        }
        self.expect = Expect::SignatureData;
        Ok(())
    }

    fn check_signature(&mut self) -> Result<(), Error> {
        let sig_err = |source| Error::Signature {
            entry: SIGNATURE_MEMBER,
            source,
        };
        let signature = Signature::from_slice(&self.signature).map_err(sig_err)?;
        let signer = self
            .policy
            .trusted
            .verify(&self.index_bytes, &signature)
            .map_err(sig_err)?;
        // From here on the index bytes are authentic.
        let index = SystemSetIndex::decode(&self.index_bytes)?;
        if index.publisher != signer {
            return Err(Error::PublisherMismatch {
                document: crate::Document::Index,
            });
        }
        if index.timestamp != self.mtime {
            return Err(Error::NonCanonicalHeader {
                entry: String::from(INDEX_MEMBER),
                field: "mtime",
            });
        }
        if let Some(board) = &self.policy.board {
            if *board != index.board {
                return Err(Error::WrongBoard {
                    expected: String::from(board.as_str()),
                    found: String::from(index.board.as_str()),
                });
            }
        }
        if let Some(running) = &self.policy.running {
            let older = index.system_version.cmp_precedence(running) == core::cmp::Ordering::Less;
            if older && !self.policy.allow_downgrade {
                return Err(Error::Downgrade {
                    running: alloc::format!("{running}"),
                    candidate: alloc::format!("{}", index.system_version),
                });
            }
        }
        self.verified = Some((index, signer));
        self.expect = Expect::BundleHeader;
        Ok(())
    }

    fn bundle_header(&mut self, m: Member) -> Result<(), Error> {
        let Some((index, _)) = &self.verified else {
            return Err(Error::MissingSignature { found: m.name });
        };
        let listed = &index.bundles;
        let expected = listed.get(self.next_bundle);
        if let Some(e) = expected {
            if e.name.member_name() == m.name {
                if e.size != m.size {
                    return Err(Error::SizeMismatch {
                        entry: m.name,
                        listed: e.size,
                        found: m.size,
                    });
                }
                self.expect = Expect::BundleData {
                    hasher: Sha256::new(),
                    member: m.name,
                };
                return Ok(());
            }
        }
        let position = listed.iter().position(|b| b.name.member_name() == m.name);
        match (position, expected) {
            (Some(p), _) if p < self.next_bundle => Err(Error::DuplicateEntry { entry: m.name }),
            (Some(_), Some(e)) => Err(Error::OutOfOrder {
                entry: m.name,
                expected: String::from(e.name.as_str()),
            }),
            _ => Err(Error::UnlistedEntry { entry: m.name }),
        }
    }

    fn bundle_end(&mut self) -> Result<(), Error> {
        let expect = core::mem::replace(&mut self.expect, Expect::BundleHeader);
        let Expect::BundleData { hasher, member } = expect else {
            return Ok(());
        };
        let listed = self
            .verified
            .as_ref()
            .and_then(|(i, _)| i.bundles.get(self.next_bundle));
        let digest: [u8; 32] = hasher.finalize().into();
        if listed.map(|e| e.sha256) != Some(digest) {
            return Err(Error::DigestMismatch { entry: member });
        }
        self.next_bundle += 1;
        Ok(())
    }
}

/// Verifies a whole system-set held in memory.
pub fn verify_system_set(archive: &[u8], policy: VerifyPolicy) -> Result<VerifiedSystemSet, Error> {
    let size = archive.len() as u64;
    if size > policy.max_archive_size {
        return Err(Error::ArchiveTooLarge {
            size,
            limit: policy.max_archive_size,
        });
    }
    let mut v = SystemSetVerifier::new(policy);
    v.push(archive)?;
    v.finish()
}

/// The first member of a system-set, refused unless it is the index within its bound
/// (checked before its bytes are read).
fn index_member(m: Member) -> Result<Member, Error> {
    if m.name != INDEX_MEMBER {
        return Err(Error::UnexpectedEntry {
            expected: INDEX_MEMBER,
            found: m.name,
        });
    }
    if m.size > MAX_INDEX_LEN as u64 {
        return Err(Error::EntryTooLarge {
            entry: m.name,
            size: m.size,
            limit: MAX_INDEX_LEN as u64,
        });
    }
    Ok(m)
}

/// Decodes the index at the start of a system-set *without* checking its signature, for
/// display only (`nxs-pack inspect` shows who claims to have signed it). `head` holds the
/// first bytes of the archive, at least through the index member. Never trust the
/// result: verify the archive with [`SystemSetVerifier`].
pub fn peek_index(head: &[u8]) -> Result<SystemSetIndex, Error> {
    let mut reader = Reader::new();
    let mut input = head;
    let mut bytes: Option<Vec<u8>> = None;
    while !input.is_empty() {
        let (used, event) = reader.next(input)?;
        input = input.get(used..).unwrap_or_default();
        match (event, bytes.as_mut()) {
            (Some(Event::Member(m)), None) => {
                let m = index_member(m)?;
                bytes = Some(Vec::with_capacity(m.size as usize));
            }
            (Some(Event::Data(d)), Some(b)) => b.extend_from_slice(d),
            (Some(Event::MemberEnd), Some(b)) => return SystemSetIndex::decode(b),
            (Some(Event::End), _) => break,
            _ => {}
        }
    }
    Err(Error::Truncated {
        entry: String::from(INDEX_MEMBER),
        offset: reader.offset(),
    })
}

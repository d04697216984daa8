//! `manifest.nxb`: the signed manifest of one bundle ([`BundleManifest`]), in canonical
//! Cap'n Proto (`tools/nexus-idl/schemas/manifest.capnp`, `docs/packaging/nxb.md`).
//!
//! The signature is the publisher's Ed25519 signature over the canonical bytes of the
//! manifest with `signature` unset ([`BundleManifest::signing_bytes`]). Decoding accepts
//! only canonical bytes of a valid manifest: names, versions, lists sorted and unique,
//! key, signature and digest of their exact lengths.

use alloc::string::{String, ToString};
use alloc::vec::Vec;

use signing::{PublicKey, SecretKey, Signature, TrustedKeys};

use crate::canonical;
use crate::names::parse_version;
use crate::schema::manifest_capnp::bundle_manifest;
use crate::{BundleName, Document, Error, Version};

/// Largest `manifest.nxb` accepted or written.
pub const MAX_MANIFEST_LEN: usize = 64 * 1024;
/// Longest ability or capability name in bytes.
pub const MAX_LABEL_LEN: usize = 128;
/// Most abilities, and most capabilities, a manifest may list.
pub const MAX_LABELS: usize = 256;

const DOC: Document = Document::Manifest;

/// The content of a `manifest.nxb`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BundleManifest {
    /// The bundle's name.
    pub name: BundleName,
    /// The bundle's version.
    pub version: Version,
    /// Abilities the bundle provides (sorted, unique when encoded).
    pub abilities: Vec<String>,
    /// Capabilities the bundle requests (sorted, unique when encoded).
    pub caps: Vec<String>,
    /// Oldest SDK the bundle runs on.
    pub min_sdk: Version,
    /// The publisher's public key: the key that made `signature`.
    pub publisher: PublicKey,
    /// The publisher's signature; `None` while signing.
    pub signature: Option<Signature>,
    /// SHA-256 of the payload.
    pub payload_digest: [u8; 32],
    /// Length of the payload in bytes.
    pub payload_size: u64,
}

fn invalid(field: &'static str, reason: &'static str) -> Error {
    Error::InvalidField {
        document: DOC,
        field,
        reason,
    }
}

fn decode_err(field: &'static str) -> impl Fn(capnp::Error) -> Error {
    move |_| Error::Decode {
        document: DOC,
        field,
    }
}

/// Checks a list of abilities or capabilities: bounded, each label printable ASCII
/// without spaces, sorted bytewise and unique.
fn check_labels(labels: &[String], field: &'static str) -> Result<(), Error> {
    if labels.len() > MAX_LABELS {
        return Err(invalid(field, "more than 256 entries"));
    }
    for label in labels {
        if label.is_empty()
            || label.len() > MAX_LABEL_LEN
            || !label.bytes().all(|b| b.is_ascii_graphic())
        {
            return Err(invalid(
                field,
                "entries must be 1 to 128 printable ASCII characters without spaces",
            ));
        }
    }
    if labels.windows(2).any(|w| w[0] >= w[1]) {
        return Err(invalid(field, "entries must be sorted and unique"));
    }
    Ok(())
}

impl BundleManifest {
    /// Sorts and de-duplicates the ability and capability lists (the canonical order).
    pub fn normalize(&mut self) {
        self.abilities.sort();
        self.abilities.dedup();
        self.caps.sort();
        self.caps.dedup();
    }

    /// The canonical bytes: `manifest.nxb` as stored.
    pub fn encode(&self) -> Result<Vec<u8>, Error> {
        self.encode_with(self.signature.as_ref())
    }

    /// The bytes the signature covers: the canonical encoding with `signature` unset.
    pub fn signing_bytes(&self) -> Result<Vec<u8>, Error> {
        self.encode_with(None)
    }

    fn encode_with(&self, signature: Option<&Signature>) -> Result<Vec<u8>, Error> {
        check_labels(&self.abilities, "abilities")?;
        check_labels(&self.caps, "caps")?;
        let mut message = capnp::message::Builder::new_default();
        {
            let mut root = message.init_root::<bundle_manifest::Builder<'_>>();
            root.set_name(self.name.as_str());
            root.set_semver(self.version.to_string().as_str());
            {
                let mut list = root.reborrow().init_abilities(self.abilities.len() as u32);
                for (i, a) in self.abilities.iter().enumerate() {
                    list.set(i as u32, a.as_str());
                }
            }
            {
                let mut list = root.reborrow().init_caps(self.caps.len() as u32);
                for (i, c) in self.caps.iter().enumerate() {
                    list.set(i as u32, c.as_str());
                }
            }
            root.set_min_sdk(self.min_sdk.to_string().as_str());
            root.set_publisher(self.publisher.as_bytes());
            if let Some(sig) = signature {
                root.set_signature(sig.as_bytes());
            }
            root.set_payload_digest(&self.payload_digest);
            root.set_payload_size(self.payload_size);
        }
        canonical::encode(message, DOC, MAX_MANIFEST_LEN)
    }

    /// Decodes `manifest.nxb` bytes, refusing anything but the canonical encoding of a
    /// valid manifest. The signature is not checked here ([`Self::verify`] does).
    pub fn decode(bytes: &[u8]) -> Result<Self, Error> {
        let manifest = canonical::decode(bytes, DOC, MAX_MANIFEST_LEN, |message| {
            let root: bundle_manifest::Reader<'_> =
                message.get_root().map_err(decode_err("message"))?;
            let text = |r, field| canonical::text(r, DOC, field);
            let name = text(root.get_name(), "name")?;
            let name = BundleName::new(&name).map_err(|reason| invalid("name", reason))?;
            let version = parse_version(&text(root.get_semver(), "semver")?, DOC, "semver")?;
            let mut abilities = Vec::new();
            for a in root
                .get_abilities()
                .map_err(decode_err("abilities"))?
                .iter()
            {
                abilities.push(text(a, "abilities")?);
            }
            let mut caps = Vec::new();
            for c in root.get_caps().map_err(decode_err("caps"))?.iter() {
                caps.push(text(c, "caps")?);
            }
            let min_sdk = parse_version(&text(root.get_min_sdk(), "minSdk")?, DOC, "minSdk")?;
            let publisher = canonical::public_key(root.get_publisher(), DOC, "publisher")?;
            let signature = if root.has_signature() {
                let sig = root.get_signature().map_err(decode_err("signature"))?;
                Some(Signature::from_slice(sig).map_err(|_| invalid("signature", "not 64 bytes"))?)
            } else {
                None
            };
            let digest = root
                .get_payload_digest()
                .map_err(decode_err("payloadDigest"))?;
            let payload_digest: [u8; 32] = digest
                .try_into()
                .map_err(|_| invalid("payloadDigest", "not 32 bytes"))?;
            Ok(BundleManifest {
                name,
                version,
                abilities,
                caps,
                min_sdk,
                publisher,
                signature,
                payload_digest,
                payload_size: root.get_payload_size(),
            })
        })?;
        if manifest.encode()? != bytes {
            return Err(Error::NotCanonical { document: DOC });
        }
        Ok(manifest)
    }

    /// Sets `publisher` to `key`'s public key and signs the manifest with it.
    pub fn sign(&mut self, key: &SecretKey) -> Result<(), Error> {
        self.publisher = key.public_key();
        let message = self.signing_bytes()?;
        self.signature = Some(key.sign(&message));
        Ok(())
    }

    /// Checks that the manifest is signed by a trusted key, and that `publisher` is that
    /// key. Returns the key.
    pub fn verify(&self, trusted: &TrustedKeys) -> Result<PublicKey, Error> {
        let signature = self
            .signature
            .as_ref()
            .ok_or(invalid("signature", "not set (unsigned manifest)"))?;
        let message = self.signing_bytes()?;
        let key = trusted
            .verify(&message, signature)
            .map_err(|source| Error::Signature {
                entry: "manifest.nxb signature",
                source,
            })?;
        if key != self.publisher {
            return Err(Error::PublisherMismatch { document: DOC });
        }
        Ok(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;
    use signing::KeyPolicy;

    fn sample() -> BundleManifest {
        BundleManifest {
            name: BundleName::new("samgrd").unwrap(),
            version: Version::parse("1.2.0").unwrap(),
            abilities: vec!["registry".into()],
            caps: vec!["ipc.endpoint".into(), "log.write".into()],
            min_sdk: Version::parse("0.1.0").unwrap(),
            publisher: SecretKey::from_seed([9; 32]).public_key(),
            signature: None,
            payload_digest: [0xab; 32],
            payload_size: 4096,
        }
    }

    #[test]
    fn roundtrips_signed_and_verifies() {
        let key = SecretKey::from_seed([9; 32]);
        let mut m = sample();
        m.sign(&key).unwrap();
        let bytes = m.encode().unwrap();
        let back = BundleManifest::decode(&bytes).unwrap();
        assert_eq!(back, m);
        let trusted = TrustedKeys::new([key.public_key()], KeyPolicy::Release).unwrap();
        assert_eq!(back.verify(&trusted), Ok(key.public_key()));
    }

    #[test]
    fn equal_content_gives_equal_bytes() {
        let mut a = sample();
        a.caps.reverse();
        a.normalize();
        assert_eq!(a.encode().unwrap(), sample().encode().unwrap());
    }

    #[test]
    fn refuses_unsorted_lists_and_bad_names() {
        let mut m = sample();
        m.caps.reverse();
        assert!(matches!(
            m.encode(),
            Err(Error::InvalidField { field: "caps", .. })
        ));
    }

    #[test]
    fn a_tampered_field_breaks_the_signature() {
        let key = SecretKey::from_seed([9; 32]);
        let mut m = sample();
        m.sign(&key).unwrap();
        m.payload_size += 1;
        let trusted = TrustedKeys::new([key.public_key()], KeyPolicy::Release).unwrap();
        assert!(matches!(m.verify(&trusted), Err(Error::Signature { .. })));
    }

    #[test]
    fn refuses_non_canonical_bytes() {
        let bytes = sample().encode().unwrap();
        let mut padded = bytes.clone();
        padded.extend_from_slice(&[0; 8]);
        assert!(BundleManifest::decode(&padded).is_err());
        assert!(BundleManifest::decode(&bytes[..bytes.len() - 8]).is_err());
    }
}

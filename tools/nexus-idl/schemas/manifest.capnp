# manifest.nxb: the manifest of one bundle (.nxb), Cap'n Proto, single truth.
#
# Stored in canonical form (Cap'n Proto "canonicalization": one segment, no segment
# table, preorder layout, truncated data and pointer sections), so equal content gives
# equal bytes. Specified in docs/packaging/nxb.md; owned by the `updates` crate.
#
# `signature` is the publisher's Ed25519 signature over the canonical bytes of this
# manifest with `signature` unset (a null pointer); see docs/security/signing.md.

@0xd987fb7ba0117b45;

struct BundleManifest {
  # Bundle name: 1 to 64 characters of [a-z0-9._-], starting with [a-z0-9], no "..".
  name @0 :Text;
  # Bundle version, semver 2.0.0 (e.g. "1.2.0").
  semver @1 :Text;
  # Abilities the bundle provides, sorted bytewise, unique.
  abilities @2 :List(Text);
  # Capabilities the bundle requests, sorted bytewise, unique.
  caps @3 :List(Text);
  # Oldest SDK the bundle runs on, semver.
  minSdk @4 :Text;
  # The publisher's Ed25519 public key (32 bytes): the key that made `signature`.
  publisher @5 :Data;
  # Detached Ed25519 signature (64 bytes); unset while signing.
  signature @6 :Data;
  # SHA-256 of the payload (32 bytes).
  payloadDigest @7 :Data;
  # Length of the payload in bytes.
  payloadSize @8 :UInt64;
}

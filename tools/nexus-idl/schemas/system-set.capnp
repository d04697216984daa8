# system.nxsindex: the index of a system-set (.nxs), Cap'n Proto, single truth.
#
# Stored in canonical form (one segment, no segment table), so equal content gives
# equal bytes; system.sig.ed25519 is a detached Ed25519 signature over exactly these
# bytes. Specified in docs/packaging/system-set.md; owned by the `updates` crate.

@0xa2fcbdaeada8edc5;

struct SystemSetIndex {
  # Format of this index; this schema is format 1.
  formatVersion @0 :UInt32;
  # Version of the whole system, semver 2.0.0; anti-rollback compares it.
  systemVersion @1 :Text;
  # Build time, seconds since the Unix epoch (SOURCE_DATE_EPOCH, else 0); also the mtime
  # of every archive member.
  timestamp @2 :UInt64;
  # The publisher's Ed25519 public key (32 bytes): the key that signed this index.
  publisher @3 :Data;
  # The board this system-set is built for: 1 to 32 characters of [a-z0-9-].
  board @4 :Text;
  # The bundles, sorted by name, names unique; one `<name>.nxb` archive member each.
  bundles @5 :List(BundleEntry);
}

struct BundleEntry {
  # Bundle name, as in its manifest.nxb.
  name @0 :Text;
  # Bundle version (semver), as in its manifest.nxb.
  version @1 :Text;
  # SHA-256 of the whole `<name>.nxb` member (32 bytes).
  sha256 @2 :Data;
  # Length of the `<name>.nxb` member in bytes.
  size @3 :UInt64;
}

//! Fixtures for the signed A/B update suites: the committed test keys, small signed
//! bundles and system-sets, the device policy, and [`ustar`], an independent ustar
//! synthesizer for crafting archives the canonical writer never produces.

pub mod ustar;

use signing::{KeyPolicy, SecretKey, TrustedKeys};
use updates::pack::{pack_system_set, SystemSetMeta};
use updates::{nxb, BoardName, BundleManifest, BundleName, VerifyPolicy, Version};

/// The board every fixture is built for.
pub const BOARD: &str = "qemu-virt";
/// The build time of every fixture (2023-11-14T22:13:20Z).
pub const TIMESTAMP: u64 = 1_700_000_000;

/// The committed default test key (`keys/test/ed25519.hex`).
pub fn test_key() -> anyhow::Result<SecretKey> {
    Ok(SecretKey::from_hex(
        include_str!("../../../keys/test/ed25519.hex").as_bytes(),
    )?)
}

/// The committed second test key (`keys/test/ed25519-alt.hex`).
pub fn alt_key() -> anyhow::Result<SecretKey> {
    Ok(SecretKey::from_hex(
        include_str!("../../../keys/test/ed25519-alt.hex").as_bytes(),
    )?)
}

/// A trusted set of the given keys' public halves (development policy: test keys ok).
pub fn trusted(keys: &[&SecretKey]) -> anyhow::Result<TrustedKeys> {
    Ok(TrustedKeys::new(
        keys.iter().map(|k| k.public_key()),
        KeyPolicy::Development,
    )?)
}

/// A deterministic payload of `len` bytes derived from `seed` (xorshift, no I/O).
pub fn payload(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

/// A signed `.nxb` with the given name, version and payload.
pub fn bundle(
    key: &SecretKey,
    name: &str,
    version: &str,
    payload: &[u8],
) -> anyhow::Result<Vec<u8>> {
    use sha2::{Digest, Sha256};
    let mut manifest = BundleManifest {
        name: BundleName::new(name).map_err(anyhow::Error::msg)?,
        version: Version::parse(version)?,
        abilities: vec![format!("{name}.service")],
        caps: vec!["ipc.endpoint".into(), "log.write".into()],
        min_sdk: Version::parse("0.1.0")?,
        publisher: key.public_key(),
        signature: None,
        payload_digest: Sha256::digest(payload).into(),
        payload_size: payload.len() as u64,
    };
    manifest.sign(key)?;
    Ok(nxb::build_bundle(&manifest, payload)?)
}

/// System-set metadata for `version` on [`BOARD`] at [`TIMESTAMP`].
pub fn meta(version: &str) -> anyhow::Result<SystemSetMeta> {
    meta_for(version, BOARD)
}

/// System-set metadata for `version` on `board` at [`TIMESTAMP`].
pub fn meta_for(version: &str, board: &str) -> anyhow::Result<SystemSetMeta> {
    Ok(SystemSetMeta {
        system_version: Version::parse(version)?,
        board: BoardName::new(board).map_err(anyhow::Error::msg)?,
        timestamp: TIMESTAMP,
    })
}

/// The two small bundles of the standard fixture: `hello` (1000 bytes of payload) and
/// `samgrd` (300 bytes).
pub fn small_bundles(key: &SecretKey) -> anyhow::Result<Vec<Vec<u8>>> {
    Ok(vec![
        bundle(key, "hello", "1.0.0", &payload(1, 1000))?,
        bundle(key, "samgrd", "0.2.0", &payload(2, 300))?,
    ])
}

/// The standard fixture: system 1.0.0 for [`BOARD`], the two small bundles, signed by
/// `key`.
pub fn small_set(key: &SecretKey) -> anyhow::Result<Vec<u8>> {
    small_set_with(key, &meta("1.0.0")?)
}

/// The small bundles packed under `meta`, signed by `key`.
pub fn small_set_with(key: &SecretKey, meta: &SystemSetMeta) -> anyhow::Result<Vec<u8>> {
    let bundles = small_bundles(key)?;
    let refs: Vec<&[u8]> = bundles.iter().map(Vec::as_slice).collect();
    Ok(pack_system_set(meta, &refs, key)?)
}

/// The device policy: trusts `keys`, board [`BOARD`], running system `running`.
pub fn device_policy(keys: &[&SecretKey], running: &str) -> anyhow::Result<VerifyPolicy> {
    Ok(VerifyPolicy::new(
        trusted(keys)?,
        BoardName::new(BOARD).map_err(anyhow::Error::msg)?,
        Version::parse(running)?,
    ))
}

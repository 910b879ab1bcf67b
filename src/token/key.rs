//! Tokenization keys: loading, identifiers and per-tenant derivation.
//!
//! A [`SecretKey`] is at least [`MIN_KEY_LEN`] (32) bytes of key material,
//! copied into memory this crate owns and wiped when dropped. It is loaded from
//! bytes, from a file or from an environment variable, generated from the
//! operating system's randomness, or derived from a master key for one tenant
//! and purpose with HKDF-SHA256 (RFC 5869). There is no default key and no
//! way to build one from a constant inside the library.
//!
//! Nothing here prints key material: `Debug` shows the length only, and error
//! messages name the source (file path, variable name) and the problem (too
//! short, not hex at offset *n*), never bytes of the key.
//!
//! # Derivation (`info` layout)
//!
//! [`SecretKey::derive`] computes
//!
//! ```text
//! OKM = HKDF-SHA256(salt = none, IKM = master, info, L = 32)
//! info = "ilsprivacy/v1/tenant-key" || 0x00
//!        || u16be(len(tenant))  || tenant
//!        || u16be(len(purpose)) || purpose
//! ```
//!
//! (`salt = none` is RFC 5869's default of 32 zero bytes; the master key is
//! already uniformly random.) The length prefixes make every (tenant, purpose)
//! pair a distinct `info`, so no two pairs can share a key. Leaking one derived
//! key exposes that tenant's tokens for that purpose only; leaking the master
//! exposes every tenant, so keep it offline and hand tenants their derived
//! keys.
//!
//! ```
//! use ilsprivacy::token::key::{KeyEncoding, SecretKey};
//!
//! let master = SecretKey::from_bytes(&[7u8; 32])?;
//! let tenant = master.derive("branch-7", "patron-tokens")?;
//! assert_eq!(tenant.len(), 32);
//! assert_eq!(format!("{tenant:?}"), "SecretKey { len: 32, .. }"); // never the bytes
//! assert!(SecretKey::from_bytes(b"too short").is_err());
//! let file = std::env::temp_dir().join(format!("key-doc-{}", std::process::id()));
//! std::fs::write(&file, format!("{}\n", "ab".repeat(32)))?;
//! assert_eq!(SecretKey::from_file(&file, KeyEncoding::Hex)?.len(), 32);
//! std::fs::remove_file(&file)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;
use std::io::Read;
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::Path;

use hkdf::Hkdf;
use sha2::Sha256;
use zeroize::{Zeroize, Zeroizing};

use crate::error::{Error, Result};
use crate::rng::{NoiseRng, with_secure_rng};

/// The shortest accepted key, in bytes (the SHA-256 output length; FIPS 198-1
/// asks for at least half of it, RFC 2104 recommends at least all of it).
pub const MIN_KEY_LEN: usize = 32;

/// The largest key file or variable accepted, in bytes (a guard against
/// reading a wrong, huge file into memory).
pub const MAX_KEY_SOURCE_LEN: usize = 64 * 1024;

/// The longest key accepted, in bytes: what a largest key file holds. HMAC
/// hashes a key longer than its 64-byte block first, so longer keys add
/// nothing; the cap is checked before anything is allocated.
pub const MAX_KEY_LEN: usize = MAX_KEY_SOURCE_LEN;

/// The longest tenant or purpose label accepted by [`SecretKey::derive`], in bytes.
pub const MAX_LABEL_LEN: usize = 255;

/// Domain-separation prefix of the per-tenant derivation's `info`.
const TENANT_INFO_PREFIX: &[u8] = b"ilsprivacy/v1/tenant-key\0";

/// How key material is written in a file or environment variable.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KeyEncoding {
    /// The bytes themselves. A file is used exactly as stored (no trailing
    /// newline is removed); a variable's value is taken as its UTF-8 bytes,
    /// which is what `os.environ["KEY"].encode()` gives an existing Python
    /// pipeline.
    Raw,
    /// Hexadecimal text (either case), surrounding ASCII whitespace ignored.
    Hex,
}

/// Secret key material of [`MIN_KEY_LEN`] to [`MAX_KEY_LEN`] bytes, wiped on drop.
///
/// `Debug` prints the length only. Clone deliberately: every copy is wiped
/// when it is dropped, but each is one more copy in memory.
#[derive(Clone)]
pub struct SecretKey {
    bytes: Zeroizing<Vec<u8>>,
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretKey {{ len: {}, .. }}", self.bytes.len())
    }
}

impl SecretKey {
    /// Copies `bytes` into a new key.
    ///
    /// # Errors
    ///
    /// [`Error::Key`] if `bytes` is shorter than [`MIN_KEY_LEN`] or longer
    /// than [`MAX_KEY_LEN`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        check_key_len(bytes.len())?;
        Ok(SecretKey {
            bytes: Zeroizing::new(bytes.to_vec()),
        })
    }

    /// Reads a key from the file at `path`, written as `encoding` says.
    ///
    /// Only a regular file (or a symbolic link to one) is read. The file is
    /// opened without blocking (a FIFO with no writer does not hang the
    /// call), its type is checked on the open descriptor (so a path swapped
    /// after the check cannot slip a device in), and at most
    /// [`MAX_KEY_SOURCE_LEN`]` + 1` bytes are read whatever size it reports,
    /// so a file that grows while it is read, or claims a size of 0 as
    /// `/proc` files do, cannot exhaust memory.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] if the file cannot be opened or read; [`Error::Key`] if
    /// it is not a regular file (a FIFO, a device such as `/dev/zero`, a
    /// directory, a socket), is larger than [`MAX_KEY_SOURCE_LEN`], is not
    /// valid in `encoding`, or holds a key too short or too long.
    pub fn from_file(path: impl AsRef<Path>, encoding: KeyEncoding) -> Result<Self> {
        let path = path.as_ref();
        let shown = path.display().to_string();
        let io = |e: std::io::Error| Error::Io {
            path: shown.clone(),
            detail: e.to_string(),
        };
        let file = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
            .open(path)
            .map_err(io)?;
        let kind = file.metadata().map_err(io)?.file_type();
        if !kind.is_file() {
            return Err(Error::Key(format!(
                "key file {shown} is not a regular file (it is {})",
                describe_file_type(kind)
            )));
        }
        let raw = read_capped(file, MAX_KEY_SOURCE_LEN)
            .map_err(io)?
            .ok_or_else(|| {
                Error::Key(format!(
                    "key file {shown} is larger than {MAX_KEY_SOURCE_LEN} bytes"
                ))
            })?;
        Self::decode(&raw, encoding, &format!("key file {shown}"))
    }

    /// Reads a key from the environment variable `name`, written as `encoding` says.
    ///
    /// # Errors
    ///
    /// [`Error::Key`] if the variable is unset, not valid in `encoding`, or too short.
    pub fn from_env(name: &str, encoding: KeyEncoding) -> Result<Self> {
        let value = std::env::var_os(name)
            .ok_or_else(|| Error::Key(format!("environment variable {name} is not set")))?;
        Self::from_env_value(name, Zeroizing::new(value.into_encoded_bytes()), encoding)
    }

    /// [`SecretKey::from_env`] after the variable was read.
    fn from_env_value(name: &str, raw: Zeroizing<Vec<u8>>, encoding: KeyEncoding) -> Result<Self> {
        if raw.len() > MAX_KEY_SOURCE_LEN {
            return Err(Error::Key(format!(
                "environment variable {name} is longer than {MAX_KEY_SOURCE_LEN} bytes"
            )));
        }
        Self::decode(&raw, encoding, &format!("environment variable {name}"))
    }

    /// A new random key of `len` bytes from the crate's CSPRNG (seeded from the OS).
    ///
    /// # Errors
    ///
    /// [`Error::Key`] if `len` is below [`MIN_KEY_LEN`] or above
    /// [`MAX_KEY_LEN`] (checked before allocating); [`Error::Entropy`] if the
    /// OS has no randomness to give.
    pub fn generate(len: usize) -> Result<Self> {
        check_key_len(len)?;
        let mut bytes = Zeroizing::new(vec![0u8; len]);
        with_secure_rng(|rng| rng.fill_bytes(&mut bytes))?;
        Ok(SecretKey { bytes })
    }

    /// The 32-byte key of one `tenant` and `purpose`, derived from this
    /// (master) key with HKDF-SHA256; see the module documentation for the
    /// exact `info` layout.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] if `tenant` or `purpose` is empty or longer
    /// than [`MAX_LABEL_LEN`] bytes.
    pub fn derive(&self, tenant: &str, purpose: &str) -> Result<SecretKey> {
        let mut info = Zeroizing::new(Vec::with_capacity(
            TENANT_INFO_PREFIX.len() + 4 + tenant.len() + purpose.len(),
        ));
        info.extend_from_slice(TENANT_INFO_PREFIX);
        push_label(&mut info, tenant, "tenant")?;
        push_label(&mut info, purpose, "purpose")?;
        Ok(SecretKey {
            bytes: Zeroizing::new(hkdf_sha256(self.expose(), &info).to_vec()),
        })
    }

    /// The key's length in bytes.
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Always `false`: a key has at least [`MIN_KEY_LEN`] bytes.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// The key bytes, for the HMAC and HKDF computations of this module tree.
    pub(crate) fn expose(&self) -> &[u8] {
        &self.bytes
    }

    fn decode(raw: &[u8], encoding: KeyEncoding, source: &str) -> Result<Self> {
        match encoding {
            KeyEncoding::Raw => Self::from_bytes(raw).map_err(|_| {
                Error::Key(format!(
                    "{source} holds {} bytes; a key must be at least {MIN_KEY_LEN}",
                    raw.len()
                ))
            }),
            KeyEncoding::Hex => {
                let bytes = Zeroizing::new(decode_hex(raw, source)?);
                Self::from_bytes(&bytes).map_err(|_| {
                    Error::Key(format!(
                        "{source} decodes to {} bytes; a key must be at least {MIN_KEY_LEN}",
                        bytes.len()
                    ))
                })
            }
        }
    }
}

/// Checks a key length against [`MIN_KEY_LEN`] and [`MAX_KEY_LEN`].
pub(crate) fn check_key_len(len: usize) -> Result<()> {
    if len < MIN_KEY_LEN {
        return Err(Error::Key(format!(
            "key must be at least {MIN_KEY_LEN} bytes, got {len}"
        )));
    }
    if len > MAX_KEY_LEN {
        return Err(Error::Key(format!(
            "key must be at most {MAX_KEY_LEN} bytes, got {len}"
        )));
    }
    Ok(())
}

/// Reads `reader` to its end into memory that is wiped on drop, unless it
/// holds more than `cap` bytes: then `None`, after reading `cap + 1` bytes
/// at most.
fn read_capped(reader: impl Read, cap: usize) -> std::io::Result<Option<Zeroizing<Vec<u8>>>> {
    // One buffer, never grown (a grown Vec would leave unwiped copies).
    let mut raw = Zeroizing::new(Vec::with_capacity(cap + 1));
    reader.take(cap as u64 + 1).read_to_end(&mut raw)?;
    Ok((raw.len() <= cap).then_some(raw))
}

/// Names a file type for an error message.
fn describe_file_type(kind: std::fs::FileType) -> &'static str {
    if kind.is_dir() {
        "a directory"
    } else if kind.is_fifo() {
        "a FIFO"
    } else if kind.is_char_device() {
        "a character device"
    } else if kind.is_block_device() {
        "a block device"
    } else if kind.is_socket() {
        "a socket"
    } else {
        "a special file"
    }
}

/// Appends `u16be(len) || label` to `info`.
fn push_label(info: &mut Vec<u8>, label: &str, param: &'static str) -> Result<()> {
    if label.is_empty() || label.len() > MAX_LABEL_LEN {
        return Err(Error::invalid(
            param,
            format!(
                "must be 1 to {MAX_LABEL_LEN} bytes of UTF-8, got {} bytes",
                label.len()
            ),
        ));
    }
    info.extend_from_slice(&(label.len() as u16).to_be_bytes());
    info.extend_from_slice(label.as_bytes());
    Ok(())
}

/// HKDF-SHA256 (RFC 5869) with no salt, `L = 32`.
pub(crate) fn hkdf_sha256(ikm: &[u8], info: &[u8]) -> Zeroizing<[u8; 32]> {
    let hk = Hkdf::<Sha256>::new(None, ikm);
    let mut okm = Zeroizing::new([0u8; 32]);
    // 32 bytes is far below HKDF-SHA256's limit of 255 * 32.
    if hk.expand(info, okm.as_mut()).is_err() {
        unreachable!("HKDF-SHA256 can always expand to 32 bytes");
    }
    okm
}

/// Decodes hex text (either case, surrounding ASCII whitespace ignored).
/// Errors give the offset of the first bad character, never the character.
fn decode_hex(text: &[u8], source: &str) -> Result<Vec<u8>> {
    let start = text
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(text.len());
    let end = text
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(start, |i| i + 1);
    let digits = &text[start..end];
    if !digits.len().is_multiple_of(2) {
        return Err(Error::Key(format!(
            "{source} is not hex: odd number of digits ({})",
            digits.len()
        )));
    }
    let value = |i: usize| -> Result<u8> {
        match digits[i] {
            c @ b'0'..=b'9' => Ok(c - b'0'),
            c @ b'a'..=b'f' => Ok(c - b'a' + 10),
            c @ b'A'..=b'F' => Ok(c - b'A' + 10),
            _ => Err(Error::Key(format!(
                "{source} is not hex: invalid character at offset {}",
                start + i
            ))),
        }
    };
    let mut out = Vec::with_capacity(digits.len() / 2);
    for i in (0..digits.len()).step_by(2) {
        match (value(i), value(i + 1)) {
            (Ok(hi), Ok(lo)) => out.push((hi << 4) | lo),
            (Err(e), _) | (_, Err(e)) => {
                out.zeroize();
                return Err(e);
            }
        }
    }
    Ok(out)
}

/// The name of a key in a key ring and in versioned tokens
/// (`v1.<key id>.<body>`): 1 to [`KeyId::MAX_LEN`] characters from
/// `A–Z a–z 0–9 _ -`. Key ids are labels, not secrets.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyId(String);

impl KeyId {
    /// The longest key id, in characters.
    pub const MAX_LEN: usize = 32;

    /// Checks and wraps a key id.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] (parameter `key_id`) if `id` is empty, too
    /// long, or has a character outside `A–Z a–z 0–9 _ -`.
    pub fn new(id: &str) -> Result<Self> {
        let ok = !id.is_empty()
            && id.len() <= Self::MAX_LEN
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if ok {
            Ok(KeyId(id.to_owned()))
        } else {
            Err(Error::invalid(
                "key_id",
                format!(
                    "must be 1 to {} characters from A-Z a-z 0-9 _ -",
                    Self::MAX_LEN
                ),
            ))
        }
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Status;

    const KEY32: [u8; 32] = [0x42; 32];

    #[test]
    fn short_keys_are_rejected_with_the_length_only() {
        let e = SecretKey::from_bytes(&[7u8; 16]).unwrap_err();
        assert_eq!(e.status(), Status::Key);
        assert_eq!(
            e.to_string(),
            "key error: key must be at least 32 bytes, got 16"
        );
        assert!(SecretKey::from_bytes(&[]).is_err());
        assert!(SecretKey::from_bytes(&[7u8; 31]).is_err());
        assert_eq!(SecretKey::from_bytes(&[7u8; 32]).unwrap().len(), 32);
        assert!(SecretKey::generate(8).is_err());
    }

    /// Sizes are checked before anything is allocated: a huge length is a
    /// typed error, not an allocation failure that aborts the process.
    #[test]
    fn huge_lengths_are_refused_before_allocating() {
        for len in [MAX_KEY_LEN + 1, 1 << 40, 1 << 62, usize::MAX] {
            let e = SecretKey::generate(len).unwrap_err();
            assert_eq!(e.status(), Status::Key);
            assert_eq!(
                e.to_string(),
                format!("key error: key must be at most 65536 bytes, got {len}")
            );
        }
        assert_eq!(SecretKey::generate(MAX_KEY_LEN).unwrap().len(), MAX_KEY_LEN);
        let long = vec![1u8; MAX_KEY_LEN + 1];
        assert_eq!(
            SecretKey::from_bytes(&long).unwrap_err().status(),
            Status::Key
        );
        assert!(SecretKey::from_bytes(&long[1..]).is_ok());
    }

    #[test]
    fn debug_never_prints_key_bytes() {
        let k = SecretKey::from_bytes(b"0123456789abcdefghijklmnopqrstuv").unwrap();
        let shown = format!("{k:?}");
        assert_eq!(shown, "SecretKey { len: 32, .. }");
        assert!(!shown.contains("0123"));
    }

    #[test]
    fn generated_keys_differ() {
        let a = SecretKey::generate(32).unwrap();
        let b = SecretKey::generate(32).unwrap();
        assert_ne!(a.expose(), b.expose());
    }

    #[test]
    fn file_keys_raw_and_hex() {
        let dir = std::env::temp_dir().join(format!("ilsp-key-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let raw = dir.join("raw.key");
        std::fs::write(&raw, KEY32).unwrap();
        assert_eq!(
            SecretKey::from_file(&raw, KeyEncoding::Raw)
                .unwrap()
                .expose(),
            KEY32
        );

        let hex = dir.join("hex.key");
        std::fs::write(&hex, format!("  {}\n", "42".repeat(32))).unwrap();
        assert_eq!(
            SecretKey::from_file(&hex, KeyEncoding::Hex)
                .unwrap()
                .expose(),
            KEY32
        );

        let bad = dir.join("bad.key");
        std::fs::write(&bad, format!("{}zz", "ab".repeat(32))).unwrap();
        let e = SecretKey::from_file(&bad, KeyEncoding::Hex).unwrap_err();
        assert_eq!(e.status(), Status::Key);
        assert!(
            e.to_string().contains("invalid character at offset 64"),
            "{e}"
        );
        assert!(!e.to_string().contains("abab"), "{e}");

        let short = dir.join("short.key");
        std::fs::write(&short, "secret").unwrap();
        let e = SecretKey::from_file(&short, KeyEncoding::Raw).unwrap_err();
        assert!(e.to_string().contains("holds 6 bytes"), "{e}");
        assert!(!e.to_string().contains("secret"), "{e}");

        let missing = dir.join("missing.key");
        let e = SecretKey::from_file(&missing, KeyEncoding::Raw).unwrap_err();
        assert_eq!(e.status(), Status::Io);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// A scratch directory removed when dropped.
    struct Dir(std::path::PathBuf);

    impl Dir {
        fn new(tag: &str) -> Dir {
            let path = std::env::temp_dir().join(format!(
                "ilsp-key-{tag}-{}-{:?}",
                std::process::id(),
                std::thread::current().id()
            ));
            let _ = std::fs::remove_dir_all(&path);
            std::fs::create_dir_all(&path).unwrap();
            Dir(path)
        }
    }

    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn refused(path: &Path, kind: &str) {
        let start = std::time::Instant::now();
        let e = SecretKey::from_file(path, KeyEncoding::Raw).unwrap_err();
        assert!(
            start.elapsed() < std::time::Duration::from_secs(2),
            "{kind}: took {:?}",
            start.elapsed()
        );
        assert_eq!(e.status(), Status::Key, "{kind}: {e}");
        assert!(
            e.to_string()
                .contains(&format!("is not a regular file (it is {kind})")),
            "{e}"
        );
    }

    /// `/dev/zero` reports size 0 and never ends: refused as a device, also
    /// through a symbolic link, before any byte is read.
    #[test]
    fn devices_are_refused_also_through_symlinks() {
        refused(Path::new("/dev/zero"), "a character device");
        let dir = Dir::new("dev");
        let link = dir.0.join("zero.key");
        std::os::unix::fs::symlink("/dev/zero", &link).unwrap();
        refused(&link, "a character device");
        refused(&dir.0, "a directory");
    }

    /// A FIFO with no writer would block a plain open forever; the key
    /// reader opens it without blocking and refuses it at once.
    #[test]
    fn a_fifo_is_refused_promptly() {
        let dir = Dir::new("fifo");
        let fifo = dir.0.join("key.fifo");
        let c = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        refused(&fifo, "a FIFO");
    }

    /// A sparse file of 1 TiB is refused without reading it.
    #[test]
    fn a_huge_sparse_file_is_refused() {
        let dir = Dir::new("sparse");
        let path = dir.0.join("sparse.key");
        std::fs::File::create(&path)
            .unwrap()
            .set_len(1 << 40)
            .unwrap();
        let e = SecretKey::from_file(&path, KeyEncoding::Raw).unwrap_err();
        assert_eq!(e.status(), Status::Key);
        assert!(e.to_string().contains("is larger than 65536 bytes"), "{e}");
    }

    /// The read is bounded by the cap whatever size was reported: an endless
    /// reader gives `None` after `cap + 1` bytes.
    #[test]
    fn reads_stop_after_the_cap() {
        let endless = std::io::repeat(0x41);
        assert!(read_capped(endless, 1000).unwrap().is_none());
        let exact = read_capped(&[7u8; 1000][..], 1000).unwrap().unwrap();
        assert_eq!(exact.len(), 1000);
    }

    /// A key file that another thread keeps extending past the cap: every
    /// read either sees a complete prefix within the cap or refuses the
    /// file; none reads more than the cap.
    #[test]
    fn a_file_growing_past_the_cap_is_bounded() {
        use std::io::Write;
        let dir = Dir::new("grow");
        let path = dir.0.join("growing.key");
        std::fs::write(&path, [0x42; 64]).unwrap();
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let writer = {
            let (path, stop) = (path.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut f = std::fs::OpenOptions::new()
                    .append(true)
                    .open(&path)
                    .unwrap();
                let chunk = [0x43u8; 4096];
                // Up to 16 MiB, far past the cap; always past it before
                // stopping, however the threads are scheduled.
                let past_cap = MAX_KEY_SOURCE_LEN / 4096 + 2;
                for i in 0..4096 {
                    if i > past_cap && stop.load(std::sync::atomic::Ordering::Relaxed) {
                        break;
                    }
                    f.write_all(&chunk).unwrap();
                }
            })
        };
        for _ in 0..200 {
            match SecretKey::from_file(&path, KeyEncoding::Raw) {
                Ok(key) => assert!(key.len() <= MAX_KEY_LEN),
                Err(e) => {
                    assert_eq!(e.status(), Status::Key, "{e}");
                    assert!(e.to_string().contains("is larger than"), "{e}");
                }
            }
        }
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        writer.join().unwrap();
        assert!(std::fs::metadata(&path).unwrap().len() > MAX_KEY_SOURCE_LEN as u64);
        let e = SecretKey::from_file(&path, KeyEncoding::Raw).unwrap_err();
        assert!(e.to_string().contains("is larger than"), "{e}");
    }

    #[test]
    fn env_keys() {
        let name = "ILSP_TEST_KEY";
        let value = |v: &str| Zeroizing::new(v.as_bytes().to_vec());
        let hex = SecretKey::from_env_value(name, value(&"42".repeat(32)), KeyEncoding::Hex);
        assert_eq!(hex.unwrap().expose(), KEY32);
        let raw = SecretKey::from_env_value(name, value(&"42".repeat(32)), KeyEncoding::Raw);
        assert_eq!(raw.unwrap().len(), 64);
        let e = SecretKey::from_env_value(name, value("tooshort"), KeyEncoding::Raw).unwrap_err();
        assert_eq!(
            e.to_string(),
            "key error: environment variable ILSP_TEST_KEY holds 8 bytes; a key must be at least 32"
        );
        let unset = "ILSP_TEST_KEY_UNSET_VARIABLE";
        let e = SecretKey::from_env(unset, KeyEncoding::Raw).unwrap_err();
        assert_eq!(
            e.to_string(),
            "key error: environment variable ILSP_TEST_KEY_UNSET_VARIABLE is not set"
        );
    }

    /// RFC 5869 Appendix A.3 (SHA-256, zero-length salt and info) checks the
    /// HKDF wiring; derive() then only adds the documented info layout.
    #[test]
    fn hkdf_matches_rfc5869_case_3() {
        let ikm = [0x0bu8; 22];
        let okm = hkdf_sha256(&ikm, &[]);
        // The first 32 bytes of the 42-byte OKM of test case 3.
        let expected = "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d";
        let mut hex = [0u8; 64];
        crate::token::encode::hex_into(okm.as_ref(), &mut hex);
        assert_eq!(std::str::from_utf8(&hex).unwrap(), expected);
    }

    #[test]
    fn derived_keys_separate_tenants_and_purposes() {
        let master = SecretKey::from_bytes(&KEY32).unwrap();
        let a = master.derive("branch-a", "patron_id").unwrap();
        let b = master.derive("branch-b", "patron_id").unwrap();
        let c = master.derive("branch-a", "address").unwrap();
        let a2 = master.derive("branch-a", "patron_id").unwrap();
        assert_eq!(a.len(), 32);
        assert_eq!(a.expose(), a2.expose());
        assert_ne!(a.expose(), b.expose());
        assert_ne!(a.expose(), c.expose());
        // Length prefixes: ("ab", "c") and ("a", "bc") differ.
        assert_ne!(
            master.derive("ab", "c").unwrap().expose(),
            master.derive("a", "bc").unwrap().expose()
        );
        let e = master.derive("", "patron_id").unwrap_err();
        assert_eq!(
            e.to_string(),
            "tenant must be 1 to 255 bytes of UTF-8, got 0 bytes"
        );
        assert!(master.derive("t", &"p".repeat(256)).is_err());
    }

    #[test]
    fn key_ids() {
        assert_eq!(KeyId::new("2026-a_1").unwrap().as_str(), "2026-a_1");
        for bad in ["", "a.b", "a b", "é", &"x".repeat(33)] {
            let e = KeyId::new(bad).unwrap_err();
            assert_eq!(e.status(), Status::InvalidArgument, "{bad:?}");
        }
    }
}

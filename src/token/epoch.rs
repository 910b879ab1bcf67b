//! Key epochs and crypto-shredding by retirement.
//!
//! An [`EpochRing`] is a file of **epoch keys**, one per retention period
//! (`2025`, `2026-S1` …), each named by a [`KeyId`]. Tokens of an epoch are
//! versioned tokens `v1.<epoch>.<body>` computed with that epoch's key (as
//! [`Tokenizer`] computes them). **Retiring** an epoch destroys its key:
//! the key and its HMAC state are wiped from memory, the ring file is
//! rewritten without it, and from then on every token operation on the
//! epoch fails with [`Error::Key`] (`ILSP_ERR_KEY`). Tokens made in that
//! epoch can no longer be recomputed, verified, or linked to new ones:
//! the data they pseudonymize is shredded without touching the data.
//!
//! # Epoch keys
//!
//! [`EpochRing::add_derived`] derives an epoch's key from a root key:
//!
//! ```text
//! K_epoch = HKDF-SHA256(salt = none, IKM = root, info, L = 32)
//! info = "ilsprivacy/v1/epoch-key" || 0x00 || u16be(len(epoch)) || epoch
//! ```
//!
//! Whoever holds the root key can derive a retired epoch's key again, so
//! with derived epochs shredding holds only against those without the root:
//! keep the root offline (derive the coming epochs, then put it away) or
//! destroy it. [`EpochRing::add_random`] makes an epoch key from the OS's
//! randomness instead: then the ring file is its only copy and retirement
//! is final. A retired epoch id cannot be added again.
//!
//! # The file
//!
//! ```text
//! ilsprivacy-epoch-ring v1
//! epoch 2025 <64 hex digits>
//! epoch 2026 <64 hex digits>
//! retired 2024 1767225600
//! ```
//!
//! `retired <epoch> <unix seconds>` lines are the retirement log: the epoch
//! id and the time, never key bytes. The file is created with mode 0600 and
//! opened as key files are (regular files only, without blocking, at most
//! [`MAX_RING_FILE_LEN`] bytes read). Every change rewrites it atomically:
//! a temporary file in the same directory is written and `fsync`ed, renamed
//! over the ring, and the directory `fsync`ed. The ring's file is pinned:
//! a change fails with [`Error::Io`] when the path no longer names the file
//! the ring was read from. After the rename, the previous file's content is
//! overwritten with zeros through the descriptor the ring kept (which also
//! clears other hard links to it) and `fsync`ed;
//! [`Retirement::previous_file_wiped`] says whether that succeeded (it
//! needs `/proc`; the retirement stands either way).
//!
//! What remains outside this crate's reach: copies in backups, snapshots,
//! a journaling or copy-on-write file system's old blocks, and flash
//! translation layers. Keep ring files out of backups that outlive the
//! retention period, or on storage you can shred. One process at a time
//! may change a ring file (the file is not locked).
//!
//! ```
//! use ilsprivacy::token::epoch::EpochRing;
//! use ilsprivacy::token::key::SecretKey;
//!
//! let dir = std::env::temp_dir().join(format!("epoch-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&dir)?;
//! let path = dir.join("ring");
//! let root = SecretKey::from_bytes(&[9u8; 32])?;
//! let mut ring = EpochRing::create(&path)?;
//! ring.add_derived("2025", &root)?;
//! ring.add_derived("2026", &root)?;
//! let old = ring.tokenize("2025", "21234000123456")?;
//! assert!(old.starts_with("v1.2025."));
//! assert!(ring.verify(&old, "21234000123456")?);
//! let record = ring.retire("2025")?;
//! assert_eq!(record.epoch.as_str(), "2025");
//! assert_eq!(ring.tokenize("2025", "21234000123456").unwrap_err().status(), ilsprivacy::Status::Key);
//! assert_eq!(ring.verify(&old, "21234000123456").unwrap_err().status(), ilsprivacy::Status::Key);
//! // Reopened, the ring still knows 2025 was retired, and when.
//! let ring = EpochRing::open(&path)?;
//! assert_eq!(ring.retirements()[0].epoch.as_str(), "2025");
//! std::fs::remove_dir_all(&dir)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;
use std::fs::File;
use std::io::{Read, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::token::encode::hex_into;
use crate::token::key::{KeyId, SecretKey, hkdf_sha256};
use crate::token::normalize::Normalization;
use crate::token::tokenizer::Tokenizer;

/// The most epochs (live and retired) a ring holds.
pub const MAX_EPOCHS: usize = 256;

/// The largest ring file read, in bytes.
pub const MAX_RING_FILE_LEN: usize = 64 * 1024;

/// The first line of a ring file.
const MAGIC: &str = "ilsprivacy-epoch-ring v1";

/// Domain-separation prefix of the epoch-key derivation's `info`.
const EPOCH_INFO_PREFIX: &[u8] = b"ilsprivacy/v1/epoch-key\0";

/// One retirement: which epoch, and when (never key bytes).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Retirement {
    /// The retired epoch.
    pub epoch: KeyId,
    /// When, in seconds since the Unix epoch (UTC).
    pub retired_at: u64,
    /// Whether the previous ring file's content was overwritten with zeros
    /// after the rename (`false` when read back from a ring file, or when
    /// the overwrite failed: the retirement itself still stands).
    pub previous_file_wiped: bool,
}

/// A live epoch: its key and the tokenizer over it.
struct Epoch {
    id: KeyId,
    key: SecretKey,
    tokenizer: Tokenizer,
}

/// A ring of epoch keys kept in a file (see the module documentation).
///
/// `Debug` shows the path and epoch ids only.
pub struct EpochRing {
    path: PathBuf,
    /// The file the ring was read from or last wrote (pinned identity).
    file: File,
    epochs: Vec<Epoch>,
    retired: Vec<Retirement>,
}

impl fmt::Debug for EpochRing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EpochRing")
            .field("path", &self.path)
            .field(
                "epochs",
                &self
                    .epochs
                    .iter()
                    .map(|e| e.id.as_str())
                    .collect::<Vec<_>>(),
            )
            .field("retired", &self.retired)
            .finish()
    }
}

fn io_error(path: &Path, e: &std::io::Error) -> Error {
    Error::Io {
        path: path.display().to_string(),
        detail: e.to_string(),
    }
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The key of `epoch` derived from `root` (see the module documentation).
pub fn derive_epoch_key(root: &SecretKey, epoch: &KeyId) -> SecretKey {
    let mut info = Zeroizing::new(Vec::with_capacity(EPOCH_INFO_PREFIX.len() + 2 + 32));
    info.extend_from_slice(EPOCH_INFO_PREFIX);
    info.extend_from_slice(&(epoch.as_str().len() as u16).to_be_bytes());
    info.extend_from_slice(epoch.as_str().as_bytes());
    let okm = hkdf_sha256(root.expose(), &info);
    SecretKey::from_bytes(okm.as_ref()).unwrap_or_else(|e| unreachable!("32 bytes: {e}"))
}

impl EpochRing {
    /// Creates a new, empty ring file at `path` (mode 0600); fails if it exists.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] if the file exists or cannot be created and synced.
    pub fn create(path: impl AsRef<Path>) -> Result<EpochRing> {
        let path = path.as_ref().to_path_buf();
        let mut file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
            .map_err(|e| io_error(&path, &e))?;
        file.write_all(format!("{MAGIC}\n").as_bytes())
            .and_then(|()| file.sync_all())
            .map_err(|e| io_error(&path, &e))?;
        sync_dir(&path)?;
        Ok(EpochRing {
            path,
            file,
            epochs: Vec::new(),
            retired: Vec::new(),
        })
    }

    /// Opens the ring file at `path`.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] if it cannot be opened or read; [`Error::Key`] if it is
    /// not a regular file, is larger than [`MAX_RING_FILE_LEN`], or is not a
    /// well-formed ring (the message gives the line, never key bytes).
    pub fn open(path: impl AsRef<Path>) -> Result<EpochRing> {
        let path = path.as_ref().to_path_buf();
        let file = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
            .open(&path)
            .map_err(|e| io_error(&path, &e))?;
        let shown = path.display().to_string();
        if !file.metadata().map_err(|e| io_error(&path, &e))?.is_file() {
            return Err(Error::Key(format!(
                "epoch ring {shown} is not a regular file"
            )));
        }
        let mut raw = Zeroizing::new(Vec::with_capacity(MAX_RING_FILE_LEN + 1));
        (&file)
            .take(MAX_RING_FILE_LEN as u64 + 1)
            .read_to_end(&mut raw)
            .map_err(|e| io_error(&path, &e))?;
        if raw.len() > MAX_RING_FILE_LEN {
            return Err(Error::Key(format!(
                "epoch ring {shown} is larger than {MAX_RING_FILE_LEN} bytes"
            )));
        }
        let (epochs, retired) = parse_ring(&raw, &shown)?;
        Ok(EpochRing {
            path,
            file,
            epochs,
            retired,
        })
    }

    /// The ring file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The live epochs, in the order they were added.
    pub fn epochs(&self) -> impl ExactSizeIterator<Item = &KeyId> {
        self.epochs.iter().map(|e| &e.id)
    }

    /// The retirement log: each retired epoch and when.
    pub fn retirements(&self) -> &[Retirement] {
        &self.retired
    }

    /// Adds epoch `epoch` with its key derived from `root` and saves the ring.
    ///
    /// # Errors
    ///
    /// As [`EpochRing::add_key`].
    pub fn add_derived(&mut self, epoch: &str, root: &SecretKey) -> Result<()> {
        let id = KeyId::new(epoch)?;
        let key = derive_epoch_key(root, &id);
        self.add_key(epoch, key)
    }

    /// Adds epoch `epoch` with a random key and saves the ring.
    ///
    /// # Errors
    ///
    /// As [`EpochRing::add_key`]; [`Error::Entropy`].
    pub fn add_random(&mut self, epoch: &str) -> Result<()> {
        KeyId::new(epoch)?;
        self.add_key(epoch, SecretKey::generate(32)?)
    }

    /// Adds epoch `epoch` with `key` and saves the ring.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] (`epoch`) for a malformed id, an epoch
    /// already live or retired, or a full ring; [`Error::Key`] for a key
    /// longer than 1024 bytes; [`Error::Io`] if the file cannot be rewritten (the ring is
    /// then unchanged).
    pub fn add_key(&mut self, epoch: &str, key: SecretKey) -> Result<()> {
        let id = KeyId::new(epoch).map_err(|_| {
            Error::invalid(
                "epoch",
                format!(
                    "must be 1 to {} characters from A-Z a-z 0-9 _ -",
                    KeyId::MAX_LEN
                ),
            )
        })?;
        if self.epochs.iter().any(|e| e.id == id) {
            return Err(Error::invalid("epoch", "is already in the ring"));
        }
        if let Some(r) = self.retired.iter().find(|r| r.epoch == id) {
            return Err(Error::invalid(
                "epoch",
                format!("was retired at {} and cannot be added again", r.retired_at),
            ));
        }
        if self.epochs.len() + self.retired.len() >= MAX_EPOCHS {
            return Err(Error::invalid(
                "epoch",
                format!("cannot be added: the ring already holds {MAX_EPOCHS} epochs"),
            ));
        }
        if key.len() > 1024 {
            return Err(Error::Key("an epoch key must be at most 1024 bytes".into()));
        }
        let tokenizer = Tokenizer::new(id.as_str(), &key)?;
        self.epochs.push(Epoch { id, key, tokenizer });
        if let Err(e) = self.save() {
            drop(self.epochs.pop());
            return Err(e);
        }
        Ok(())
    }

    /// Retires `epoch`: wipes its key and HMAC state, rewrites the ring
    /// file without it (with a `retired` line), and wipes the previous
    /// file's content. Returns the retirement record.
    ///
    /// # Errors
    ///
    /// [`Error::Key`] if `epoch` is not live; [`Error::Io`] if the file
    /// cannot be rewritten: the epoch is then still live in memory and on
    /// disk (retry).
    pub fn retire(&mut self, epoch: &str) -> Result<Retirement> {
        let i = self.find(epoch)?;
        let mut record = Retirement {
            epoch: self.epochs[i].id.clone(),
            retired_at: now(),
            previous_file_wiped: false,
        };
        self.retired.push(record.clone());
        let removed = self.epochs.remove(i);
        match self.save() {
            Ok(wiped) => record.previous_file_wiped = wiped,
            Err(e) => {
                self.retired.pop();
                self.epochs.insert(i, removed);
                return Err(e);
            }
        }
        // Dropping wipes the key bytes and the tokenizer's HMAC state.
        drop(removed);
        Ok(record)
    }

    /// The versioned token `v1.<epoch>.<body>` of `id` under `epoch`.
    ///
    /// # Errors
    ///
    /// [`Error::Key`] if `epoch` is retired or unknown;
    /// [`Error::InvalidArgument`] (`id`) if `id` is empty.
    pub fn tokenize(&self, epoch: &str, id: &str) -> Result<String> {
        self.epochs[self.find(epoch)?]
            .tokenizer
            .tokenize_versioned(id)
    }

    /// Whether `token` (`v1.<epoch>.<body>`) is the token of `id` under the
    /// epoch it names, compared in constant time.
    ///
    /// # Errors
    ///
    /// [`Error::Key`] if the epoch it names is retired or unknown;
    /// [`Error::InvalidArgument`] (`token`) if it is not a versioned token.
    pub fn verify(&self, token: &str, id: &str) -> Result<bool> {
        let epoch = token
            .strip_prefix("v1.")
            .and_then(|rest| rest.split_once('.'))
            .map(|(kid, _)| kid)
            .ok_or_else(|| Error::invalid("token", "is not a versioned token v1.<epoch>.<body>"))?;
        let i = self.find(epoch)?;
        self.epochs[i]
            .tokenizer
            .verify(token, Normalization::NONE, id)
    }

    /// The tokenizer of a live epoch, for the crate's other token functions.
    ///
    /// # Errors
    ///
    /// [`Error::Key`] if `epoch` is retired or unknown.
    pub fn tokenizer(&self, epoch: &str) -> Result<&Tokenizer> {
        Ok(&self.epochs[self.find(epoch)?].tokenizer)
    }

    fn find(&self, epoch: &str) -> Result<usize> {
        if let Some(i) = self.epochs.iter().position(|e| e.id.as_str() == epoch) {
            return Ok(i);
        }
        let shown = crate::policy::shown_name(epoch);
        Err(
            match self.retired.iter().find(|r| r.epoch.as_str() == epoch) {
                Some(r) => Error::Key(format!(
                    "epoch {shown:?} was retired at {} (Unix time); its key is destroyed and its tokens can no longer be computed or verified",
                    r.retired_at
                )),
                None => Error::Key(format!("epoch {shown:?} is not in the ring")),
            },
        )
    }

    /// The file's content (key bytes in memory that is wiped on drop).
    fn render(&self) -> Zeroizing<Vec<u8>> {
        let mut out = Zeroizing::new(Vec::with_capacity(MAX_RING_FILE_LEN));
        out.extend_from_slice(MAGIC.as_bytes());
        out.push(b'\n');
        for e in &self.epochs {
            let mut hex = Zeroizing::new(vec![0u8; 2 * e.key.len()]);
            hex_into(e.key.expose(), &mut hex);
            out.extend_from_slice(b"epoch ");
            out.extend_from_slice(e.id.as_str().as_bytes());
            out.push(b' ');
            out.extend_from_slice(&hex);
            out.push(b'\n');
        }
        for r in &self.retired {
            out.extend_from_slice(format!("retired {} {}\n", r.epoch, r.retired_at).as_bytes());
        }
        out
    }

    /// Rewrites the ring file atomically, then wipes the previous file.
    /// Returns whether the wipe succeeded (the rewrite stands either way).
    fn save(&mut self) -> Result<bool> {
        let io = |e: std::io::Error| io_error(&self.path, &e);
        // The path must still name the file this ring holds.
        let pinned = self.file.metadata().map_err(io)?;
        let current = std::fs::symlink_metadata(&self.path).map_err(io)?;
        if (pinned.dev(), pinned.ino()) != (current.dev(), current.ino()) {
            return Err(Error::Io {
                path: self.path.display().to_string(),
                detail: "the ring file was replaced or moved since it was opened; nothing was written (reopen the ring)".into(),
            });
        }
        let content = self.render();
        let dir = self
            .path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let name = self
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let temp = dir.join(format!(
            ".{name}.tmp-{}-{}",
            std::process::id(),
            now_nanos()
        ));
        let written = (|| -> std::io::Result<File> {
            let mut f = std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&temp)?;
            f.write_all(&content)?;
            f.sync_all()?;
            std::fs::rename(&temp, &self.path)?;
            Ok(f)
        })();
        let new_file = match written {
            Ok(f) => f,
            Err(e) => {
                let _ = std::fs::remove_file(&temp);
                return Err(io_error(&self.path, &e));
            }
        };
        let old = std::mem::replace(&mut self.file, new_file);
        // The rename is done: from here on the new ring stands, so a failed
        // directory sync or wipe is reported, not undone.
        let synced = sync_dir(&self.path).is_ok();
        Ok(wipe(&old, pinned.len()).is_ok() && synced)
    }
}

fn now_nanos() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos())
}

/// Overwrites `len` bytes of a replaced ring file with zeros and syncs it.
fn wipe(old: &File, len: u64) -> std::io::Result<()> {
    use std::os::unix::fs::FileExt;
    // The pinned descriptor may be read-only (opened by `open`): reopen it
    // for writing through /proc/self/fd, which names the same inode even
    // after the rename.
    let fd = std::os::fd::AsRawFd::as_raw_fd(old);
    let writable = std::fs::OpenOptions::new()
        .write(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(format!("/proc/self/fd/{fd}"))?;
    if !writable.metadata()?.is_file() {
        return Err(std::io::Error::other("not a regular file"));
    }
    let zeros = [0u8; 4096];
    let mut at = 0u64;
    while at < len {
        let n = (len - at).min(zeros.len() as u64) as usize;
        writable.write_all_at(&zeros[..n], at)?;
        at += n as u64;
    }
    writable.sync_all()
}

fn sync_dir(path: &Path) -> Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| io_error(dir, &e))
}

/// Parses a ring file. Errors name the line and what is wrong, never bytes.
fn parse_ring(raw: &[u8], shown: &str) -> Result<(Vec<Epoch>, Vec<Retirement>)> {
    let bad =
        |line: usize, what: &str| Error::Key(format!("epoch ring {shown} line {line}: {what}"));
    let text = std::str::from_utf8(raw).map_err(|e| {
        let line = raw[..e.valid_up_to()]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1;
        bad(line, "is not UTF-8 text")
    })?;
    let mut lines = text.split('\n');
    if lines.next() != Some(MAGIC) {
        return Err(bad(1, &format!("is not {MAGIC:?}")));
    }
    let mut epochs: Vec<Epoch> = Vec::new();
    let mut retired: Vec<Retirement> = Vec::new();
    for (i, line) in lines.enumerate() {
        let n = i + 2;
        if line.is_empty() {
            continue;
        }
        let mut parts = line.split(' ');
        let (Some(kind), Some(id), Some(value), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(bad(
                n,
                "must be `epoch <id> <hex key>` or `retired <id> <unix time>`",
            ));
        };
        let id = KeyId::new(id).map_err(|_| bad(n, "has a malformed epoch id"))?;
        if epochs.iter().any(|e| e.id == id) || retired.iter().any(|r| r.epoch == id) {
            return Err(bad(n, "repeats an epoch id"));
        }
        if epochs.len() + retired.len() >= MAX_EPOCHS {
            return Err(bad(n, &format!("more than {MAX_EPOCHS} epochs")));
        }
        match kind {
            "epoch" => {
                let v = value.as_bytes();
                if v.len() % 2 != 0 || v.len() < 64 || v.len() > 2048 {
                    return Err(bad(n, "key must be 64 to 2048 hex digits"));
                }
                let mut bytes = Zeroizing::new(Vec::with_capacity(v.len() / 2));
                for pair in v.chunks(2) {
                    let d = |c: u8| (c as char).to_digit(16);
                    match (d(pair[0]), d(pair[1])) {
                        (Some(h), Some(l)) => bytes.push((h * 16 + l) as u8),
                        _ => return Err(bad(n, "key is not hex")),
                    }
                }
                let key = SecretKey::from_bytes(&bytes)?;
                let tokenizer = Tokenizer::new(id.as_str(), &key)?;
                epochs.push(Epoch { id, key, tokenizer });
            }
            "retired" => {
                let retired_at = value
                    .parse::<u64>()
                    .map_err(|_| bad(n, "retirement time is not a number of seconds"))?;
                retired.push(Retirement {
                    epoch: id,
                    retired_at,
                    previous_file_wiped: false,
                });
            }
            _ => return Err(bad(n, "must start with `epoch` or `retired`")),
        }
    }
    Ok((epochs, retired))
}

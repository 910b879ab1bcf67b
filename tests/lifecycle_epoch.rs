//! Crypto-shredding by key-epoch retirement: after retiring an epoch, the
//! ring file (and any other name of the previous file) holds no byte
//! sequence of its key, and every token operation on it is a key error;
//! hostile ring files are refused.

use std::path::{Path, PathBuf};

use hkdf::Hkdf;
use ilsprivacy::Status;
use ilsprivacy::token::epoch::EpochRing;
use ilsprivacy::token::key::SecretKey;
use sha2::Sha256;

struct Dir(PathBuf);

impl Dir {
    fn new(tag: &str) -> Dir {
        let p = std::env::temp_dir().join(format!("ilsp-epoch-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        Dir(p)
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

const ROOT: [u8; 32] = [0x5a; 32];

/// The documented derivation, computed independently of the crate.
fn epoch_key(epoch: &str) -> [u8; 32] {
    let mut info = b"ilsprivacy/v1/epoch-key\0".to_vec();
    info.extend_from_slice(&(epoch.len() as u16).to_be_bytes());
    info.extend_from_slice(epoch.as_bytes());
    let mut okm = [0u8; 32];
    Hkdf::<Sha256>::new(None, &ROOT)
        .expand(&info, &mut okm)
        .unwrap();
    okm
}

/// Fails if `haystack` holds any 8 consecutive bytes of `key`, or any 16
/// consecutive characters of its hex form (either case).
fn assert_no_key_bytes(haystack: &[u8], key: &[u8], what: &str) {
    let contains = |needle: &[u8]| haystack.windows(needle.len()).any(|w| w == needle);
    for w in key.windows(8) {
        assert!(!contains(w), "{what} holds bytes of the retired key");
    }
    let hex: String = key.iter().map(|b| format!("{b:02x}")).collect();
    for case in [hex.clone(), hex.to_uppercase()] {
        for w in case.as_bytes().windows(16) {
            assert!(!contains(w), "{what} holds hex of the retired key");
        }
    }
}

fn contains_hex(haystack: &[u8], key: &[u8]) -> bool {
    let hex: String = key.iter().map(|b| format!("{b:02x}")).collect();
    haystack.windows(64).any(|w| w == hex.as_bytes())
}

#[test]
fn retirement_shreds_the_key_from_the_file_and_refuses_its_tokens() {
    let dir = Dir::new("retire");
    let path = dir.0.join("patrons.ring");
    let root = SecretKey::from_bytes(&ROOT).unwrap();
    let mut ring = EpochRing::create(&path).unwrap();
    ring.add_derived("2024", &root).unwrap();
    ring.add_derived("2025", &root).unwrap();
    ring.add_random("2026").unwrap();
    let before = std::fs::read(&path).unwrap();
    // The file holds the documented derived keys (so the scan below looks
    // for the right bytes).
    assert!(contains_hex(&before, &epoch_key("2024")));
    assert!(contains_hex(&before, &epoch_key("2025")));
    // Another name of the same file (a hard link), as a backup tool might make.
    let link = dir.0.join("patrons.ring.link");
    std::fs::hard_link(&path, &link).unwrap();

    let ids = ["21234000123456", "21234000999999"];
    let t2024: Vec<String> = ids
        .iter()
        .map(|id| ring.tokenize("2024", id).unwrap())
        .collect();
    let t2025: Vec<String> = ids
        .iter()
        .map(|id| ring.tokenize("2025", id).unwrap())
        .collect();
    assert!(t2024[0].starts_with("v1.2024."));
    assert!(ring.verify(&t2024[0], ids[0]).unwrap());
    assert!(!ring.verify(&t2024[0], ids[1]).unwrap());

    let record = ring.retire("2024").unwrap();
    assert_eq!(record.epoch.as_str(), "2024");
    assert!(record.previous_file_wiped);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert!(record.retired_at <= now && record.retired_at + 60 >= now);

    // The rewritten file: no byte sequence of the retired key, the others intact.
    let after = std::fs::read(&path).unwrap();
    assert_no_key_bytes(&after, &epoch_key("2024"), "the ring file");
    assert!(contains_hex(&after, &epoch_key("2025")));
    let text = String::from_utf8(after.clone()).unwrap();
    assert!(
        text.contains(&format!("retired 2024 {}\n", record.retired_at)),
        "{text}"
    );
    // The previous file, still reachable through the hard link, was zeroed.
    let old = std::fs::read(&link).unwrap();
    assert_eq!(old.len(), before.len());
    assert!(
        old.iter().all(|&b| b == 0),
        "the previous file was not wiped"
    );
    // No temporary file is left behind.
    let names: Vec<_> = std::fs::read_dir(&dir.0)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");

    // Every token operation on the retired epoch is a key error, in this
    // handle and in a fresh one; the other epochs are unchanged.
    for ring in [&ring, &EpochRing::open(&path).unwrap()] {
        for id in ids {
            let e = ring.tokenize("2024", id).unwrap_err();
            assert_eq!(e.status(), Status::Key);
            assert!(e.to_string().contains("was retired at"), "{e}");
        }
        for t in &t2024 {
            assert_eq!(ring.verify(t, ids[0]).unwrap_err().status(), Status::Key);
        }
        assert_eq!(ring.tokenizer("2024").unwrap_err().status(), Status::Key);
        let again: Vec<String> = ids
            .iter()
            .map(|id| ring.tokenize("2025", id).unwrap())
            .collect();
        assert_eq!(again, t2025);
        assert!(ring.verify(&t2025[1], ids[1]).unwrap());
        assert_eq!(
            ring.retirements(),
            &[ilsprivacy::token::epoch::Retirement {
                previous_file_wiped: false,
                ..record.clone()
            }]
        );
        assert_eq!(
            ring.epochs()
                .map(|e| e.as_str().to_owned())
                .collect::<Vec<_>>(),
            ["2025", "2026"]
        );
    }
    // A retired epoch cannot come back, even from the root key.
    let e = ring.add_derived("2024", &root).unwrap_err();
    assert_eq!(e.status(), Status::InvalidArgument);
    assert!(e.to_string().contains("was retired"), "{e}");
    // Retiring twice, or an unknown epoch: key errors; the file is unchanged.
    assert_eq!(ring.retire("2024").unwrap_err().status(), Status::Key);
    assert_eq!(ring.retire("1999").unwrap_err().status(), Status::Key);
    assert_eq!(std::fs::read(&path).unwrap(), after);
    // Debug output names epochs, never keys.
    let shown = format!("{ring:?}");
    assert!(
        !contains_hex(shown.as_bytes(), &epoch_key("2025")),
        "{shown}"
    );
}

/// A ring whose file was replaced after it was opened refuses to write
/// (it would otherwise wipe or overwrite a file it never read).
#[test]
fn a_replaced_ring_file_is_not_written() {
    let dir = Dir::new("replaced");
    let path = dir.0.join("ring");
    let root = SecretKey::from_bytes(&ROOT).unwrap();
    let mut ring = EpochRing::create(&path).unwrap();
    ring.add_derived("a", &root).unwrap();
    ring.add_derived("b", &root).unwrap();
    let copy = dir.0.join("copy");
    std::fs::copy(&path, &copy).unwrap();
    std::fs::rename(&copy, &path).unwrap();
    let content = std::fs::read(&path).unwrap();
    let e = ring.retire("a").unwrap_err();
    assert_eq!(e.status(), Status::Io);
    assert!(e.to_string().contains("replaced or moved"), "{e}");
    assert_eq!(std::fs::read(&path).unwrap(), content);
    // The epoch is still live in memory (the retirement did not happen).
    assert!(ring.tokenize("a", "x").is_ok());
    // Creating over an existing file is refused.
    assert_eq!(EpochRing::create(&path).unwrap_err().status(), Status::Io);
}

fn refused(path: &Path, expect: &str) {
    let start = std::time::Instant::now();
    let e = EpochRing::open(path).unwrap_err();
    assert!(start.elapsed() < std::time::Duration::from_secs(2));
    assert!(e.to_string().contains(expect), "{e}");
}

#[test]
fn hostile_ring_files_are_refused() {
    let dir = Dir::new("hostile");
    refused(Path::new("/dev/zero"), "is not a regular file");
    refused(&dir.0, "is not a regular file");
    let fifo = dir.0.join("fifo");
    let c = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    refused(&fifo, "is not a regular file");
    let sparse = dir.0.join("sparse");
    std::fs::File::create(&sparse)
        .unwrap()
        .set_len(1 << 40)
        .unwrap();
    refused(&sparse, "is larger than 65536 bytes");
    let secret = "ab".repeat(32);
    for (content, expect) in [
        ("not a ring\n".to_owned(), "line 1"),
        (
            format!("ilsprivacy-epoch-ring v1\nepoch 2025 {}zz\n", &secret[..62]),
            "line 2: key is not hex",
        ),
        (
            format!("ilsprivacy-epoch-ring v1\nepoch 2025 {}\n", &secret[..40]),
            "line 2: key must be",
        ),
        (
            format!("ilsprivacy-epoch-ring v1\nepoch 2025 {secret}\nepoch 2025 {secret}\n"),
            "line 3: repeats",
        ),
        (
            format!("ilsprivacy-epoch-ring v1\nepoch a.b {secret}\n"),
            "line 2: has a malformed epoch id",
        ),
        (
            "ilsprivacy-epoch-ring v1\nretired 2024 soon\n".to_owned(),
            "line 2: retirement time",
        ),
        (
            format!("ilsprivacy-epoch-ring v1\nkey 2025 {secret}\n"),
            "line 2: must start with",
        ),
    ] {
        let p = dir.0.join("bad");
        std::fs::write(&p, &content).unwrap();
        let e = EpochRing::open(&p).unwrap_err();
        assert_eq!(e.status(), Status::Key, "{e}");
        assert!(e.to_string().contains(expect), "{expect}: {e}");
        assert!(!e.to_string().contains("abab"), "{e}");
    }
    refused(&dir.0.join("missing"), "No such file");
}

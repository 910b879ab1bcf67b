//! Tokenization throughput: the batch path the issue's target is about
//! (≥ 10 M tokens/s on one core for 10–14-byte IDs), the C ABI entry points,
//! versioned tokens, the RustCrypto `hmac` crate used naively, small-cell
//! suppression at its cell cap, and — in the same run — CPython's `hmac` and
//! the Python binding (benches/peers/).
//!
//! ```sh
//! cargo bench --bench token
//! ```
//!
//! After criterion's groups, a summary prints medians (ns per ID, M IDs/s):
//! the library's batch path timed here (median of 301 single calls, which a
//! busy machine preempts less than criterion's long samples), and the peers
//! timed by `benches/peers/token_hmac.py` in thread CPU time — CPython's
//! `hmac`, the same `ilsp_tokenize_batch` called through ctypes, and the
//! Python binding — with the ratio of CPython's `hmac` to the library.

use std::ffi::c_char;
use std::hint::black_box;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use hmac::{KeyInit, Mac};
use ilsprivacy::ffi::token::{
    ILSP_NORM_NONE, ILSP_TOKEN_COMPAT, ilsp_tokenize, ilsp_tokenize_batch, ilsp_tokenizer,
    ilsp_tokenizer_free, ilsp_tokenizer_new,
};
use ilsprivacy::rng::{InsecureSeededRng, NoiseRng};
use ilsprivacy::token::key::SecretKey;
use ilsprivacy::token::tokenizer::{TokenSpec, Tokenizer};

const KEY: [u8; 32] = *b"benchmark-key-0123456789abcdefgh";
const N: usize = 4096;

/// `N` barcode-like IDs of 10 to 14 ASCII digits, reproducible.
fn ids() -> Vec<String> {
    let mut rng = InsecureSeededRng::from_seed_insecure(10_14);
    (0..N)
        .map(|_| {
            let len = 10 + rng.uniform_below(5) as usize;
            (0..len)
                .map(|_| char::from(b'0' + rng.uniform_below(10) as u8))
                .collect()
        })
        .collect()
}

fn pack(ids: &[String]) -> (Vec<u8>, Vec<usize>) {
    let mut buf = Vec::new();
    let mut offsets = vec![0];
    for id in ids {
        buf.extend_from_slice(id.as_bytes());
        offsets.push(buf.len());
    }
    (buf, offsets)
}

struct CTokenizer(*mut ilsp_tokenizer);

impl CTokenizer {
    fn new() -> CTokenizer {
        let mut t = std::ptr::null_mut();
        assert_eq!(ilsp_tokenizer_new(KEY.as_ptr(), KEY.len(), &mut t), 0);
        CTokenizer(t)
    }

    fn batch(&self, buf: &[u8], offsets: &[usize], out: &mut [u8]) {
        let mut len = 0;
        let rc = ilsp_tokenize_batch(
            self.0,
            std::ptr::null(),
            ILSP_TOKEN_COMPAT,
            ILSP_NORM_NONE,
            buf.as_ptr().cast::<c_char>(),
            buf.len(),
            offsets.as_ptr(),
            offsets.len() - 1,
            out.as_mut_ptr().cast::<c_char>(),
            out.len(),
            &mut len,
        );
        assert_eq!(rc, 0);
    }
}

impl Drop for CTokenizer {
    fn drop(&mut self) {
        ilsp_tokenizer_free(self.0);
    }
}

fn bench(c: &mut Criterion) {
    let ids = ids();
    let (buf, offsets) = pack(&ids);
    let key = SecretKey::from_bytes(&KEY).unwrap();
    let t = Tokenizer::from_key(&key);
    let ct = CTokenizer::new();
    let mut out = vec![0u8; 64 * N + 1];

    let mut g = c.benchmark_group("tokenize_10_14B");
    g.throughput(Throughput::Elements(N as u64));
    g.bench_function("batch_compat", |b| {
        b.iter(|| {
            t.tokenize_batch_into(TokenSpec::COMPAT, black_box(&buf), &offsets, &mut out)
                .unwrap()
        })
    });
    g.bench_function("c_abi_batch_compat", |b| {
        b.iter(|| ct.batch(black_box(&buf), &offsets, &mut out))
    });
    g.bench_function("c_abi_single_compat", |b| {
        b.iter(|| {
            let mut token = [0u8; 65];
            let mut len = 0;
            for id in &ids {
                let rc = ilsp_tokenize(
                    ct.0,
                    id.as_ptr().cast(),
                    id.len(),
                    token.as_mut_ptr().cast(),
                    65,
                    &mut len,
                );
                assert_eq!(rc, 0);
                black_box(&token);
            }
        })
    });
    let v1_len = t.token_len(TokenSpec::V1).unwrap();
    let mut v1_out = vec![0u8; v1_len * N];
    g.bench_function("batch_v1_base32_128", |b| {
        b.iter(|| {
            t.tokenize_batch_into(TokenSpec::V1, black_box(&buf), &offsets, &mut v1_out)
                .unwrap()
        })
    });
    g.bench_function("hmac_crate_per_id", |b| {
        b.iter(|| {
            for id in &ids {
                let mut m = hmac::Hmac::<sha2::Sha256>::new_from_slice(&KEY).unwrap();
                m.update(id.as_bytes());
                black_box(m.finalize().into_bytes());
            }
        })
    });
    g.finish();
}

/// Small-cell suppression at the 250,000-cell cap: the long table whose
/// quadratic passes once took minutes, and the square one (the largest
/// rectangle index).
fn suppression(c: &mut Criterion) {
    use ilsprivacy::token::suppress::suppress_small_cells;
    let mut rng = InsecureSeededRng::from_seed_insecure(12);
    let mut table = |n: usize| -> Vec<u64> {
        (0..n)
            .map(|_| match rng.uniform_below(3) {
                0 => 1 + rng.uniform_below(4),
                _ => 5 + rng.uniform_below(1000),
            })
            .collect()
    };
    let long = table(250_000);
    let square = table(250_000);
    let mut g = c.benchmark_group("suppress");
    g.sample_size(10);
    g.bench_function("2x125000_one_in_three_small", |b| {
        b.iter(|| suppress_small_cells(black_box(&long), 2, 125_000, 5).unwrap())
    });
    g.bench_function("500x500_one_in_three_small", |b| {
        b.iter(|| suppress_small_cells(black_box(&square), 500, 500, 5).unwrap())
    });
    // Few small counts: the hidden graph has bridges, so the whole
    // rectangle index (one entry per pair of rows) is built.
    let mut sparse = square.iter().map(|v| v.max(&5) + 1).collect::<Vec<u64>>();
    for i in (0..sparse.len()).step_by(997) {
        sparse[i] = 2;
    }
    g.bench_function("500x500_one_in_997_small", |b| {
        b.iter(|| suppress_small_cells(black_box(&sparse), 500, 500, 5).unwrap())
    });
    g.finish();
}

/// Median seconds of `runs` calls of `f`.
fn median_secs(runs: usize, mut f: impl FnMut()) -> f64 {
    let mut samples: Vec<f64> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed().as_secs_f64()
        })
        .collect();
    samples.sort_by(f64::total_cmp);
    samples[runs / 2]
}

/// The same-run comparison with CPython's hmac and the Python binding.
fn peers(_: &mut Criterion) {
    let ids = ids();
    let (buf, offsets) = pack(&ids);
    let ct = CTokenizer::new();
    let mut out = vec![0u8; 64 * N + 1];
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = std::env::temp_dir().join(format!("ilsp-token-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let ids_file = dir.join("ids.txt");
    std::fs::write(&ids_file, ids.join("\n")).unwrap();
    let key_hex: String = KEY.iter().map(|b| format!("{b:02x}")).collect();
    let lib = root.join("target/release/libilsprivacy.so");

    let ours = median_secs(301, || ct.batch(black_box(&buf), &offsets, &mut out)) / N as f64 * 1e9;
    let mut cmd = Command::new("python3");
    cmd.arg(root.join("benches/peers/token_hmac.py"))
        .arg(&ids_file)
        .arg(&key_hex);
    if lib.is_file() {
        cmd.env("ILSPRIVACY_LIB", &lib);
    }
    let output = cmd.output();
    let ours_after =
        median_secs(301, || ct.batch(black_box(&buf), &offsets, &mut out)) / N as f64 * 1e9;
    std::fs::remove_dir_all(&dir).ok();
    let ours = ours.min(ours_after);
    println!("\n== same-run comparison, {N} IDs of 10-14 bytes, one core, medians ==");
    println!(
        "library batch, wall clock, Rust:       {ours:7.1} ns/ID  {:6.2} M IDs/s",
        1e3 / ours
    );
    match output {
        Ok(o) if o.status.success() => {
            let text = String::from_utf8_lossy(&o.stdout);
            let field = |name: &str| -> Option<f64> {
                let at = text.find(&format!("\"{name}\": "))? + name.len() + 4;
                text[at..].split([',', '}']).next()?.trim().parse().ok()
            };
            println!("  (below: thread CPU time, measured by benches/peers/token_hmac.py)");
            let line =
                |label: &str, v: f64| println!("{label:<39}{v:7.1} ns/ID  {:6.2} M IDs/s", 1e3 / v);
            let lib = field("library_batch");
            if let Some(v) = lib {
                line("library batch, ilsp_tokenize_batch:", v);
            }
            if let Some(py) = field("python_hmac") {
                line("CPython hmac.new(...).hexdigest():", py);
                if let Some(v) = lib {
                    println!("ratio, Python hmac / library batch:     {:7.1}x", py / v);
                }
            }
            match (field("binding_batch"), field("binding_single")) {
                (Some(b), Some(s)) => {
                    line("Python binding tokenize_many:", b);
                    line("Python binding tokenize, per ID:", s);
                }
                _ => println!("Python binding: not measured ({})", text.trim()),
            }
        }
        Ok(o) => println!("python peer failed: {}", String::from_utf8_lossy(&o.stderr)),
        Err(e) => println!("python3 not runnable: {e}"),
    }
}

criterion_group!(benches, bench, suppression, peers);
criterion_main!(benches);

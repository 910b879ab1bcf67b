//! The CSV reader's memory stays bounded by its record cap on hostile
//! inputs: a 100 MB line, and an unterminated quote before 300 MB of rows.
//!
//! A counting global allocator records the peak of live heap bytes; this
//! file has one test so that nothing else allocates meanwhile.

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::Read;
use std::sync::atomic::{AtomicUsize, Ordering};

use ilsprivacy::aggregate::{CsvColumns, CsvEvents, CsvOptions, CsvRecords, QuarantineReason};

struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to the system allocator; only counts sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's layout contract is passed on unchanged.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let live = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(live, Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was allocated by `alloc` above with `layout`.
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// `prefix`, then `body_len` bytes of `body` repeated, then `suffix`,
/// generated on the fly (never held in memory).
struct Generated {
    parts: Vec<(Vec<u8>, u64)>,
    part: usize,
    offset: u64,
}

impl Generated {
    fn new(parts: Vec<(Vec<u8>, u64)>) -> Self {
        Generated {
            parts,
            part: 0,
            offset: 0,
        }
    }
}

impl Read for Generated {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let mut n = 0;
        while n < out.len() && self.part < self.parts.len() {
            let (unit, total) = &self.parts[self.part];
            if self.offset == *total {
                self.part += 1;
                self.offset = 0;
                continue;
            }
            let i = (self.offset % unit.len() as u64) as usize;
            let take = (unit.len() - i)
                .min(out.len() - n)
                .min((*total - self.offset) as usize);
            out[n..n + take].copy_from_slice(&unit[i..i + take]);
            n += take;
            self.offset += take as u64;
        }
        Ok(n)
    }
}

fn peak_during(f: impl FnOnce()) -> usize {
    PEAK.store(LIVE.load(Ordering::Relaxed), Ordering::Relaxed);
    let before = LIVE.load(Ordering::Relaxed);
    f();
    PEAK.load(Ordering::Relaxed) - before
}

#[test]
fn hostile_inputs_use_memory_bounded_by_the_record_cap() {
    const MB: u64 = 1_000_000;
    let cap = 64 * 1024;
    let options = CsvOptions::new().with_max_record_bytes(cap).unwrap();

    // A 100 MB line between good rows: quarantined by its line number, and
    // the rows after it are read.
    let peak = peak_during(|| {
        let input = Generated::new(vec![
            (b"patron,branch\np1,EAST\n".to_vec(), 22),
            (vec![b'x'; 4096], 100 * MB),
            (b"\np2,WEST\n".to_vec(), 9),
        ]);
        let columns = CsvColumns::new("patron", "branch");
        let mut events =
            CsvEvents::from_records(CsvRecords::new(input, &options).unwrap(), &columns).unwrap();
        let mut branches = Vec::new();
        while let Some(e) = events.next_event().unwrap() {
            branches.push(e.partition.to_vec());
        }
        assert_eq!(branches, [b"EAST".to_vec(), b"WEST".to_vec()]);
        let q = events.quarantine().entries().next().unwrap().clone();
        assert_eq!(
            (q.reason, q.rows, q.first_lines),
            (QuarantineReason::TooLong, 1, vec![3])
        );
    });
    // The 64 KiB read buffer, the record buffer (at most the cap; 1.5 times
    // it while growing) and a few small allocations.
    assert!(peak < 3 * cap, "a 100 MB line took {peak} bytes of heap");

    // An unterminated quote at line 51 before 300 MB of rows: an error
    // naming line 51 once the cap is passed, not one 300 MB quarantined row.
    let peak = peak_during(|| {
        let mut head = b"patron,branch\n".to_vec();
        for i in 0..49 {
            head.extend_from_slice(format!("p{i},EAST\n").as_bytes());
        }
        head.extend_from_slice(b"p49,\"EAST\n");
        let input = Generated::new(vec![
            (head.clone(), head.len() as u64),
            (b"p50,WEST\n".to_vec(), 300 * MB),
        ]);
        let columns = CsvColumns::new("patron", "branch");
        let mut events =
            CsvEvents::from_records(CsvRecords::new(input, &options).unwrap(), &columns).unwrap();
        let mut good = 0;
        let e = loop {
            match events.next_event() {
                Ok(Some(_)) => good += 1,
                Ok(None) => panic!("the unterminated quote went unnoticed"),
                Err(e) => break e,
            }
        };
        assert_eq!(good, 49);
        assert!(
            e.to_string().starts_with("input line 51: a quoted field"),
            "{e}"
        );
        assert!(events.bytes_read() < 2 * cap as u64);
    });
    assert!(
        peak < 3 * cap,
        "an unterminated quote took {peak} bytes of heap"
    );
}

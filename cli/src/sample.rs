//! A realistic, deterministic sample of checkout events, produced as CSV text
//! on the fly (an `io::Read`), so any number of events streams through the
//! report without a file and without holding the rows in memory.
//!
//! The library system has 20 branches of very different sizes. Each patron
//! has a home branch and borrows elsewhere one time in five; how much a
//! patron borrows is heavy-tailed (Pareto, α = 1.3): most borrow a few items
//! a year, a few borrow thousands. Formats range from books to a handful of
//! microfilm reels. About one row in 20,000 is damaged the ways real exports
//! are (missing patron, text in the items column, a non-UTF-8 byte, a
//! truncated row), to exercise the quarantine.

use std::io::{self, Read};

use ilsprivacy::rng::{InsecureSeededRng, NoiseRng};

use crate::args::SampleArgs;
use crate::error::CliError;
use crate::fsutil::PendingFile;

/// Branch codes and their relative sizes (a central library and 19 others).
pub const BRANCHES: [(&str, u32); 20] = [
    ("CENTRAL", 40),
    ("ASHFORD", 12),
    ("BAYSIDE", 10),
    ("CEDAR", 9),
    ("DOVER", 8),
    ("ELMWOOD", 8),
    ("FAIRVIEW", 7),
    ("GLENDALE", 7),
    ("HARBOR", 6),
    ("IRVING", 6),
    ("JUNIPER", 5),
    ("KINGSTON", 5),
    ("LAKESIDE", 4),
    ("MAPLE", 4),
    ("NEWTON", 3),
    ("OAKRIDGE", 3),
    ("PINEHURST", 2),
    ("QUARRY", 2),
    ("RIVERSIDE", 2),
    ("SUMMIT", 1),
];

/// Item formats and their relative frequencies (per 100,000 checkouts).
const FORMATS: [(&str, u32); 11] = [
    ("book", 61_000),
    ("ebook", 12_000),
    ("dvd", 8_000),
    ("audiobook", 8_000),
    ("large_print", 4_000),
    ("magazine", 3_500),
    ("music_cd", 2_000),
    ("video_game", 1_100),
    ("board_game", 300),
    ("museum_pass", 95),
    ("microfilm", 5),
];

/// The CSV header of the sample.
pub const HEADER: &str = "patron_id,branch,format,checkout_date,items,loan_days\n";

/// Picks an index with probability proportional to its weight.
struct Weighted {
    cumulative: Vec<u64>,
}

impl Weighted {
    fn new(weights: impl IntoIterator<Item = u64>) -> Self {
        let mut total = 0u64;
        let cumulative = weights
            .into_iter()
            .map(|w| {
                total += w;
                total
            })
            .collect();
        Weighted { cumulative }
    }

    fn pick(&self, rng: &mut InsecureSeededRng) -> usize {
        let total = *self.cumulative.last().unwrap_or(&1);
        let x = rng.uniform_below(total);
        self.cumulative.partition_point(|&c| c <= x)
    }
}

/// A deterministic stream of `events` checkout rows (plus the header) as CSV.
pub struct SampleCsv {
    rng: InsecureSeededRng,
    patrons: Weighted,
    home: Vec<u8>,
    branches: Weighted,
    formats: Weighted,
    remaining: u64,
    row: u64,
    buf: Vec<u8>,
    pos: usize,
}

impl SampleCsv {
    /// `events` rows; the patron population grows with the number of events
    /// (one patron per 25 events, at least 1,000).
    pub fn new(events: u64, seed: u64) -> Self {
        let mut rng = InsecureSeededRng::from_seed_insecure(seed);
        let population = (events / 25).max(1000) as usize;
        // Pareto(α = 1.3) activity: weight = U^(-1/α), U uniform in (0, 1],
        // scaled to integers and capped at 400 times the least active patron.
        let activity: Vec<u64> = (0..population)
            .map(|_| {
                let u = (rng.uniform_below(1 << 30) + 1) as f64 / (1u64 << 30) as f64;
                (u.powf(-1.0 / 1.3) * 1000.0).min(400_000.0) as u64
            })
            .collect();
        let branches = Weighted::new(BRANCHES.iter().map(|&(_, w)| u64::from(w)));
        let home = (0..population)
            .map(|_| branches.pick(&mut rng) as u8)
            .collect();
        SampleCsv {
            patrons: Weighted::new(activity),
            home,
            branches,
            formats: Weighted::new(FORMATS.iter().map(|&(_, w)| u64::from(w))),
            rng,
            remaining: events,
            row: 0,
            buf: HEADER.as_bytes().to_vec(),
            pos: 0,
        }
    }

    /// Appends one row to the buffer.
    fn push_row(&mut self) {
        use std::io::Write;
        let rng = &mut self.rng;
        let patron = self.patrons.pick(rng);
        let branch = if rng.uniform_below(5) == 0 {
            self.branches.pick(rng)
        } else {
            usize::from(self.home[patron])
        };
        let format = FORMATS[self.formats.pick(rng)].0;
        let day = rng.uniform_below(365);
        let (month, dom) = month_day(day as u32);
        let items = if rng.uniform_below(100) < 85 {
            1
        } else {
            2 + rng.uniform_below(4)
        };
        let loan_days = 7 + rng.uniform_below(22) + u64::from(rng.uniform_below(10) == 0) * 60;
        let barcode = 21_234_000_000_000u64 + patron as u64;
        let branch = BRANCHES[branch].0;
        self.row += 1;
        let b = &mut self.buf;
        // Damage about one row in 20,000, in one of four ways.
        let damage = if self.rng.uniform_below(20_000) == 0 {
            1 + self.rng.uniform_below(4)
        } else {
            0
        };
        let _ = match damage {
            1 => writeln!(
                b,
                ",{branch},{format},2025-{month:02}-{dom:02},{items},{loan_days}"
            ),
            2 => writeln!(
                b,
                "{barcode},{branch},{format},2025-{month:02}-{dom:02},two,{loan_days}"
            ),
            3 => {
                let _ = write!(b, "{barcode},");
                b.extend_from_slice(&branch.as_bytes()[..2]);
                b.push(0xFF);
                writeln!(b, ",{format},2025-{month:02}-{dom:02},{items},{loan_days}")
            }
            4 => writeln!(b, "{barcode},{branch}"),
            _ => writeln!(
                b,
                "{barcode},{branch},{format},2025-{month:02}-{dom:02},{items},{loan_days}"
            ),
        };
    }
}

/// Month and day of month of day `d` (0-based) of a non-leap year.
fn month_day(mut d: u32) -> (u32, u32) {
    const LENGTHS: [u32; 12] = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    for (m, len) in LENGTHS.iter().enumerate() {
        if d < *len {
            return (m as u32 + 1, d + 1);
        }
        d -= len;
    }
    (12, 31)
}

impl Read for SampleCsv {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.pos == self.buf.len() {
            self.buf.clear();
            self.pos = 0;
            while self.remaining > 0 && self.buf.len() < 64 * 1024 {
                self.remaining -= 1;
                self.push_row();
            }
        }
        let n = out.len().min(self.buf.len() - self.pos);
        out[..n].copy_from_slice(&self.buf[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// `ilsprivacy sample`: writes `events` generated checkouts to a CSV file
/// (atomically).
///
/// # Errors
///
/// [`CliError::Io`] if the file cannot be written.
pub fn run(args: &SampleArgs) -> Result<(), CliError> {
    let mut file = PendingFile::create(&args.output)?;
    let mut sample = SampleCsv::new(args.events, args.seed);
    io::copy(&mut sample, file.writer()).map_err(|e| CliError::io(&args.output, &e))?;
    file.commit()?;
    crate::channel::say(&format!(
        "wrote {} generated checkouts to {}",
        crate::stats::thousands(args.events),
        args.output.display()
    ));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sample_configuration_lists_the_sample_branches() {
        let config = crate::config::sample();
        let crate::config::Groups::Public(list) = &config.tables[0].groups else {
            panic!("the sample's branches are a public list");
        };
        let codes: Vec<&str> = BRANCHES.iter().map(|(c, _)| *c).collect();
        assert_eq!(list, &codes);
    }

    #[test]
    fn the_sample_is_deterministic_and_has_its_header() {
        let mut a = Vec::new();
        SampleCsv::new(1000, 7).read_to_end(&mut a).unwrap();
        let mut b = Vec::new();
        SampleCsv::new(1000, 7).read_to_end(&mut b).unwrap();
        assert_eq!(a, b);
        assert!(a.starts_with(HEADER.as_bytes()));
        assert_eq!(a.iter().filter(|&&c| c == b'\n').count(), 1001);
    }
}

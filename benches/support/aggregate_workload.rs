//! The circulation workload shared by `benches/aggregate.rs` and
//! `examples/aggregate_throughput.rs`: checkout events of patrons
//! (64-character hex tokens, heavy-tailed activity) over a few branches.

use ilsprivacy::aggregate::Event;
use ilsprivacy::rng::{InsecureSeededRng, NoiseRng};

/// A generated stream: `events[i] = (patron, branch)`.
pub struct Workload {
    /// The patrons' tokens.
    pub units: Vec<String>,
    /// The branch codes (the public partition list).
    pub branches: Vec<String>,
    /// The events, in stream order.
    pub events: Vec<(u32, u8)>,
}

/// `events` checkouts of `patrons` patrons over `branches` branches. Patron
/// i is drawn with weight 1/(i+1)^0.8 (a Zipf-like tail); each patron has a
/// home branch and borrows elsewhere one time in five. Deterministic (fixed
/// seed).
pub fn workload(events: usize, patrons: usize, branches: usize) -> Workload {
    let mut rng = InsecureSeededRng::from_seed_insecure(2024);
    let units: Vec<String> = (0..patrons)
        .map(|_| {
            let mut b = [0u8; 32];
            rng.fill_bytes(&mut b);
            b.iter().map(|x| format!("{x:02x}")).collect()
        })
        .collect();
    let branch_codes: Vec<String> = (0..branches).map(|b| format!("BR{b:02}")).collect();
    let mut cdf = Vec::with_capacity(patrons);
    let mut total = 0.0;
    for i in 0..patrons {
        total += 1.0 / ((i + 1) as f64).powf(0.8);
        cdf.push(total);
    }
    let home: Vec<u8> = (0..patrons)
        .map(|_| rng.uniform_below(branches as u64) as u8)
        .collect();
    let events = (0..events)
        .map(|_| {
            let u = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64 * total;
            let p = cdf.partition_point(|&c| c < u).min(patrons - 1);
            let b = if rng.uniform_below(5) == 0 {
                rng.uniform_below(branches as u64) as u8
            } else {
                home[p]
            };
            (p as u32, b)
        })
        .collect();
    Workload {
        units,
        branches: branch_codes,
        events,
    }
}

impl Workload {
    /// The same events grouped by patron (stable), as in an export sorted by
    /// patron.
    pub fn sorted_by_patron(mut self) -> Self {
        self.events.sort_by_key(|&(u, _)| u);
        self
    }

    /// The units' bytes in stream order, as they would lie in a parsed input
    /// buffer (not scattered over a pool of patron strings): event i's unit
    /// is `stream[64 i..64 (i + 1)]`.
    pub fn unit_stream(&self) -> Vec<u8> {
        self.events
            .iter()
            .flat_map(|&(u, _)| self.units[u as usize].bytes())
            .collect()
    }

    /// The events over `stream` (from [`unit_stream`](Self::unit_stream)).
    pub fn events<'a>(&'a self, stream: &'a [u8]) -> Vec<Event<'a>> {
        self.events
            .iter()
            .zip(stream.chunks_exact(64))
            .map(|(&(_, b), unit)| Event::new(unit, &self.branches[b as usize]))
            .collect()
    }
}

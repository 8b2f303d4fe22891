//! The ways to pick an engine among the candidates for a task (`--scheme`).

use std::fmt;
use std::str::FromStr;

use super::metadata::TaskError;

/// How the scheduler picks one of the engines a task may run on.
///
/// Every scheme is handed the candidates' loads in least-recently-used order (index 0 is
/// the engine assigned a task longest ago), so "first" means "least recently used".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Scheme {
    /// The least loaded engine; among equals, the least recently used. Stock's default.
    #[default]
    LeastLoad,
    /// The least recently used engine, whatever its load.
    Lru,
    /// Any engine, uniformly.
    PlainRandom,
    /// Two engines drawn at random; the less recently used of the two.
    TwoBin,
    /// Two engines drawn with probability proportional to `1/(load + 1e-6)`; the less
    /// loaded of the two (the first drawn on a tie).
    Weighted,
}

impl Scheme {
    /// The name `--scheme` takes and the client file's `task_scheme` holds.
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::LeastLoad => "leastload",
            Scheme::Lru => "lru",
            Scheme::PlainRandom => "plainrandom",
            Scheme::TwoBin => "twobin",
            Scheme::Weighted => "weighted",
        }
    }

    /// The index into `loads` of the chosen engine. `loads` is never empty when the
    /// scheduler calls this; an empty slice gives 0.
    pub(crate) fn choose(self, loads: &[usize], rng: &mut fastrand::Rng) -> usize {
        let n = loads.len();
        if n == 0 {
            return 0;
        }
        match self {
            Scheme::LeastLoad => least_load(loads),
            Scheme::Lru => 0,
            Scheme::PlainRandom => rng.usize(0..n),
            Scheme::TwoBin => {
                let a = rng.usize(0..n);
                let b = rng.usize(0..n);
                a.min(b)
            }
            Scheme::Weighted => weighted(loads, rng),
        }
    }
}

fn least_load(loads: &[usize]) -> usize {
    let mut best = 0;
    for (i, &load) in loads.iter().enumerate() {
        if load < loads[best] {
            best = i;
        }
    }
    best
}

fn weight(load: usize) -> f64 {
    // An idle engine weighs a million times more than one with a single task.
    1.0 / (load as f64 + 1e-6)
}

fn weighted(loads: &[usize], rng: &mut fastrand::Rng) -> usize {
    let total: f64 = loads.iter().map(|&l| weight(l)).sum();
    let mut draw = || {
        let x = rng.f64() * total;
        let mut sum = 0.0;
        for (i, &load) in loads.iter().enumerate() {
            sum += weight(load);
            if sum >= x {
                return i;
            }
        }
        loads.len() - 1
    };
    let first = draw();
    let second = draw();
    if weight(loads[second]) > weight(loads[first]) {
        second
    } else {
        first
    }
}

impl FromStr for Scheme {
    type Err = TaskError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "leastload" => Ok(Scheme::LeastLoad),
            "lru" => Ok(Scheme::Lru),
            "plainrandom" => Ok(Scheme::PlainRandom),
            "twobin" => Ok(Scheme::TwoBin),
            "weighted" => Ok(Scheme::Weighted),
            other => Err(TaskError::UnknownScheme(other.to_owned())),
        }
    }
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [Scheme; 5] = [
        Scheme::LeastLoad,
        Scheme::Lru,
        Scheme::PlainRandom,
        Scheme::TwoBin,
        Scheme::Weighted,
    ];

    #[test]
    fn names_round_trip_through_from_str() {
        for scheme in ALL {
            assert_eq!(scheme.as_str().parse::<Scheme>().unwrap(), scheme);
            assert_eq!(scheme.to_string(), scheme.as_str());
        }
        assert_eq!(Scheme::default(), Scheme::LeastLoad);
    }

    #[test]
    fn pure_none_and_wrong_case_are_refused_with_the_name() {
        for bad in ["pure", "none", "LeastLoad", ""] {
            let err = bad.parse::<Scheme>().unwrap_err();
            assert_eq!(err, TaskError::UnknownScheme(bad.to_owned()));
            assert!(err.to_string().contains("leastload, lru"), "{err}");
        }
    }

    #[test]
    fn leastload_takes_the_first_minimum() {
        let mut rng = fastrand::Rng::with_seed(1);
        assert_eq!(Scheme::LeastLoad.choose(&[3, 1, 2, 1], &mut rng), 1);
        assert_eq!(Scheme::LeastLoad.choose(&[0, 0, 0], &mut rng), 0);
        assert_eq!(Scheme::LeastLoad.choose(&[5, 4, 3], &mut rng), 2);
    }

    #[test]
    fn lru_takes_index_zero_whatever_the_loads() {
        let mut rng = fastrand::Rng::with_seed(1);
        assert_eq!(Scheme::Lru.choose(&[9, 0, 0], &mut rng), 0);
    }

    #[test]
    fn plainrandom_covers_every_index_and_stays_in_range() {
        let mut rng = fastrand::Rng::with_seed(7);
        let mut seen = [0usize; 4];
        for _ in 0..4000 {
            seen[Scheme::PlainRandom.choose(&[5, 0, 1, 2], &mut rng)] += 1;
        }
        assert!(seen.iter().all(|&count| count > 800), "{seen:?}");
    }

    #[test]
    fn twobin_is_the_smaller_of_two_uniform_draws() {
        let mut rng = fastrand::Rng::with_seed(11);
        let mut replay = fastrand::Rng::with_seed(11);
        let mut seen = [0usize; 4];
        for _ in 0..4000 {
            let got = Scheme::TwoBin.choose(&[0; 4], &mut rng);
            let a = replay.usize(0..4);
            let b = replay.usize(0..4);
            assert_eq!(got, a.min(b));
            seen[got] += 1;
        }
        // P(min = i) = (2(n-i)-1)/n²: 7/16, 5/16, 3/16, 1/16.
        assert!(
            seen[0] > seen[1] && seen[1] > seen[2] && seen[2] > seen[3],
            "{seen:?}"
        );
        assert!(seen[3] > 0);
    }

    #[test]
    fn weighted_prefers_idle_engines_overwhelmingly() {
        let mut rng = fastrand::Rng::with_seed(3);
        for _ in 0..1000 {
            assert_eq!(Scheme::Weighted.choose(&[4, 0, 7], &mut rng), 1);
        }
    }

    /// Stock's algorithm, written out: cumulative weights, two draws, the heavier wins and
    /// the first draw wins a tie.
    fn reference_weighted(loads: &[usize], rng: &mut fastrand::Rng) -> usize {
        let weights: Vec<f64> = loads.iter().map(|&l| 1.0 / (l as f64 + 1e-6)).collect();
        let total: f64 = weights.iter().sum();
        let draw = |x: f64| {
            let mut sum = 0.0;
            weights
                .iter()
                .position(|w| {
                    sum += w;
                    sum >= x
                })
                .unwrap_or(loads.len() - 1)
        };
        let a = draw(rng.f64() * total);
        let b = draw(rng.f64() * total);
        if weights[b] > weights[a] {
            b
        } else {
            a
        }
    }

    #[test]
    fn weighted_returns_the_lighter_of_its_two_draws() {
        let loads = [1, 2, 4];
        let mut rng = fastrand::Rng::with_seed(5);
        let mut replay = fastrand::Rng::with_seed(5);
        let mut seen = [0usize; 3];
        for _ in 0..3000 {
            let got = Scheme::Weighted.choose(&loads, &mut rng);
            assert_eq!(got, reference_weighted(&loads, &mut replay));
            seen[got] += 1;
        }
        assert!(
            seen[0] > seen[1] && seen[1] > seen[2] && seen[2] > 0,
            "{seen:?}"
        );
    }

    #[test]
    fn weighted_tie_keeps_the_first_draw() {
        let loads = [2, 2, 2, 2];
        let mut rng = fastrand::Rng::with_seed(9);
        let mut replay = fastrand::Rng::with_seed(9);
        let mut seen = [0usize; 4];
        for _ in 0..2000 {
            let got = Scheme::Weighted.choose(&loads, &mut rng);
            assert_eq!(got, reference_weighted(&loads, &mut replay));
            seen[got] += 1;
        }
        // The first draw alone decides, so equal loads are spread uniformly.
        assert!(seen.iter().all(|&count| count > 350), "{seen:?}");
    }

    #[test]
    fn empty_loads_give_zero_without_panicking() {
        let mut rng = fastrand::Rng::with_seed(0);
        for scheme in ALL {
            assert_eq!(scheme.choose(&[], &mut rng), 0);
        }
    }
}

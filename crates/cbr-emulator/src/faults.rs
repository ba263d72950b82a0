//! Injected failures: which requests fail and how, decided by a seeded generator (or a
//! script) so that a run can be repeated exactly.

use std::fmt;
use std::str::FromStr;
use std::sync::{Mutex, PoisonError};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// One way a request can fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Fault {
    /// `429` with `Retry-After: 1` and an `APIGW.0308` throttling body.
    TooManyRequests,
    /// `500` with the service's `BackupService.9910` body.
    InternalError,
    /// `502` with a gateway `APIGW.0201` body.
    BadGateway,
    /// `503` with a gateway `APIGW.0201` body.
    Unavailable,
    /// `504` with a gateway `APIGW.0201` body.
    GatewayTimeout,
    /// The connection is closed (with a TCP reset) without any response.
    Reset,
    /// The response announces a longer `Content-Length` than the body it sends, then the
    /// connection is closed.
    Truncate,
    /// No answer until the client gives up; after the stall limit the connection is closed
    /// without a response.
    Stall,
    /// `502` with a proxy's HTML error page (`Content-Type: text/html`).
    Html,
    /// `200` with an empty body.
    Empty,
    /// `200` with a body that is not JSON (`Content-Type: text/html`).
    NonJson,
}

impl Fault {
    /// Every fault, in the order of their names in [`Fault::NAMES`].
    pub const ALL: [Self; 11] = [
        Self::TooManyRequests,
        Self::InternalError,
        Self::BadGateway,
        Self::Unavailable,
        Self::GatewayTimeout,
        Self::Reset,
        Self::Truncate,
        Self::Stall,
        Self::Html,
        Self::Empty,
        Self::NonJson,
    ];

    /// The name of each fault on the command line, in the order of [`Fault::ALL`].
    pub const NAMES: [&'static str; 11] = [
        "429", "500", "502", "503", "504", "reset", "truncate", "stall", "html", "empty", "nonjson",
    ];

    /// The command-line name, e.g. `429` or `reset`.
    #[must_use]
    pub fn name(self) -> &'static str {
        let at = Self::ALL.iter().position(|&fault| fault == self).unwrap_or_default();
        Self::NAMES[at]
    }

    /// Reads a comma-separated list such as `429,500,reset`.
    pub fn parse_list(text: &str) -> Result<Vec<Self>, FaultsError> {
        text.split(',').map(str::trim).filter(|name| !name.is_empty()).map(str::parse).collect()
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Fault {
    type Err = FaultsError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::NAMES
            .iter()
            .position(|name| name.eq_ignore_ascii_case(text))
            .map(|at| Self::ALL[at])
            .ok_or_else(|| FaultsError::UnknownFault { name: text.to_owned() })
    }
}

/// A fault plan that cannot be used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum FaultsError {
    /// A fault name that is not one of [`Fault::NAMES`].
    #[error("unknown fault {name:?}; expected some of {}", Fault::NAMES.join(","))]
    UnknownFault {
        /// The name as given.
        name: String,
    },
    /// A rate outside 0 to 1.
    #[error("fault rate {rate} is not between 0 and 1")]
    Rate {
        /// The rate as given.
        rate: f64,
    },
    /// A positive rate but no fault to choose from.
    #[error("a fault rate above 0 needs at least one fault kind")]
    NoKinds,
}

/// Which requests fail: first the scripted ones in order, then each with probability `rate`,
/// its fault chosen uniformly among `kinds`, from a generator seeded with `seed`. Decisions
/// follow the order requests arrive in.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    script: Vec<Option<Fault>>,
    rate: f64,
    kinds: Vec<Fault>,
    seed: u64,
}

impl Faults {
    /// No faults.
    #[must_use]
    pub fn none() -> Self {
        Self::default()
    }

    /// Each request fails with probability `rate` (0 to 1), with one of `kinds`.
    pub fn random(
        rate: f64,
        kinds: impl IntoIterator<Item = Fault>,
        seed: u64,
    ) -> Result<Self, FaultsError> {
        let kinds: Vec<Fault> = kinds.into_iter().collect();
        if !(0.0..=1.0).contains(&rate) {
            return Err(FaultsError::Rate { rate });
        }
        if rate > 0.0 && kinds.is_empty() {
            return Err(FaultsError::NoKinds);
        }
        Ok(Self { script: Vec::new(), rate, kinds, seed })
    }

    /// The first requests get these outcomes in order (`None` = served normally); later ones
    /// follow the random part, if any.
    #[must_use]
    pub fn scripted(mut self, script: impl IntoIterator<Item = Option<Fault>>) -> Self {
        self.script = script.into_iter().collect();
        self
    }

    /// Whether any request can fail.
    #[must_use]
    pub fn is_active(&self) -> bool {
        self.rate > 0.0 || self.script.iter().any(Option::is_some)
    }
}

/// A [`Faults`] plan being played: the request counter and the generator.
#[derive(Debug)]
pub(crate) struct FaultDice {
    plan: Faults,
    state: Mutex<(usize, ChaCha8Rng)>,
}

impl FaultDice {
    pub(crate) fn new(plan: Faults) -> Self {
        let rng = ChaCha8Rng::seed_from_u64(plan.seed);
        Self { plan, state: Mutex::new((0, rng)) }
    }

    /// The fate of the next request.
    pub(crate) fn roll(&self) -> Option<Fault> {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let (served, rng) = &mut *state;
        let index = *served;
        *served += 1;
        if let Some(scripted) = self.plan.script.get(index) {
            return *scripted;
        }
        if self.plan.rate <= 0.0 || self.plan.kinds.is_empty() {
            return None;
        }
        // Both draws happen for every request, so a plan's later decisions do not depend on
        // earlier outcomes.
        let roll: f64 = rng.r#gen();
        let pick = rng.gen_range(0..self.plan.kinds.len());
        (roll < self.plan.rate).then(|| self.plan.kinds[pick])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        // given / done / must hold
        for fault in Fault::ALL {
            assert_eq!(fault.name().parse::<Fault>(), Ok(fault));
        }
        assert_eq!(
            Fault::parse_list("429, reset,HTML"),
            Ok(vec![Fault::TooManyRequests, Fault::Reset, Fault::Html])
        );
        assert!(matches!(Fault::parse_list("429,boom"), Err(FaultsError::UnknownFault { .. })));
    }

    #[test]
    fn the_same_seed_fails_the_same_requests() {
        // given: two players of one plan and one of another seed
        let plan = |seed| Faults::random(0.3, [Fault::Reset, Fault::Unavailable], seed).unwrap();
        let (a, b, c) = (FaultDice::new(plan(7)), FaultDice::new(plan(7)), FaultDice::new(plan(8)));
        // done: 1000 requests each
        let run = |dice: &FaultDice| (0..1000).map(|_| dice.roll()).collect::<Vec<_>>();
        let (ra, rb, rc) = (run(&a), run(&b), run(&c));
        // must hold: identical for one seed, different for another, about 30 % failures
        assert_eq!(ra, rb);
        assert_ne!(ra, rc);
        let failures = ra.iter().filter(|f| f.is_some()).count();
        assert!((220..380).contains(&failures), "{failures}");
        assert!(ra.contains(&Some(Fault::Reset)) && ra.contains(&Some(Fault::Unavailable)));
    }

    #[test]
    fn a_script_comes_first() {
        // given: a script of three and no random part
        let dice = FaultDice::new(Faults::none().scripted([
            Some(Fault::Stall),
            None,
            Some(Fault::TooManyRequests),
        ]));
        // done
        let fates: Vec<Option<Fault>> = (0..5).map(|_| dice.roll()).collect();
        // must hold
        assert_eq!(fates, [Some(Fault::Stall), None, Some(Fault::TooManyRequests), None, None]);
    }

    #[test]
    fn bad_plans_are_refused() {
        // given / done / must hold
        assert_eq!(
            Faults::random(1.5, [Fault::Reset], 1).err(),
            Some(FaultsError::Rate { rate: 1.5 })
        );
        assert_eq!(Faults::random(0.5, [], 1).err(), Some(FaultsError::NoKinds));
        assert!(!Faults::random(0.0, [], 1).is_ok_and(|f| f.is_active()));
    }
}

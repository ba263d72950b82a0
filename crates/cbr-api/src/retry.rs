//! When to try a page again, and how long to wait first: exponential backoff with full jitter,
//! `Retry-After` honoured, with the sleep, the clock and the randomness injected so tests
//! never sleep and never flake.

use std::fmt::Debug;
use std::sync::Mutex;
use std::time::Duration;

use cbr_transport::BoxFuture;
use chrono::{DateTime, Utc};
use rand::Rng as _;

/// How many times a page is tried and how long to wait in between.
///
/// Only the listing's own GET requests are retried, one page at a time (a retry never
/// restarts the walk), on 429, 500, 502, 503, 504, connection failures, timeouts, truncated
/// bodies and 2xx answers whose body is not JSON. The wait before attempt `n + 1` is a random
/// duration between zero and `min(cap, base × 2^(n-1))` ("full jitter"), unless the service
/// sent `Retry-After`, which is used instead (up to `max_retry_after`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// Attempts per page in all, the first included (1 disables retries). Default 3.
    pub max_attempts: u32,
    /// The first backoff's upper bound. Default 1 s.
    pub base: Duration,
    /// No backoff is longer than this. Default 20 s.
    pub cap: Duration,
    /// The longest `Retry-After` obeyed; a longer one is cut to this. Default 60 s.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 3,
            base: Duration::from_secs(1),
            cap: Duration::from_secs(20),
            max_retry_after: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// No retries: every page is tried once.
    #[must_use]
    pub fn none() -> Self {
        Self { max_attempts: 1, ..Self::default() }
    }

    /// The default policy with `max_attempts` attempts per page (at least 1).
    #[must_use]
    pub fn with_attempts(max_attempts: u32) -> Self {
        Self { max_attempts: max_attempts.max(1), ..Self::default() }
    }

    /// This policy with another number of attempts per page (at least 1).
    #[must_use]
    pub fn max_attempts(self, max_attempts: u32) -> Self {
        Self { max_attempts: max_attempts.max(1), ..self }
    }

    /// This policy with another first backoff bound.
    #[must_use]
    pub fn base(self, base: Duration) -> Self {
        Self { base, ..self }
    }

    /// This policy with another longest backoff.
    #[must_use]
    pub fn cap(self, cap: Duration) -> Self {
        Self { cap, ..self }
    }

    /// This policy with another longest `Retry-After` obeyed.
    #[must_use]
    pub fn max_retry_after(self, max_retry_after: Duration) -> Self {
        Self { max_retry_after, ..self }
    }

    /// The upper bound of the backoff after failed attempt number `attempt` (1-based).
    #[must_use]
    pub fn ceiling(&self, attempt: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempt.saturating_sub(1));
        self.base.saturating_mul(factor).min(self.cap)
    }
}

/// Waits. The default is tokio's timer; tests inject one that records and returns at once.
pub trait Sleeper: Send + Sync + Debug {
    /// A future that completes after `duration`.
    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()>;
}

/// [`Sleeper`] on tokio's timer.
#[derive(Debug, Clone, Copy, Default)]
pub struct TokioSleeper;

impl Sleeper for TokioSleeper {
    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()> {
        Box::pin(tokio::time::sleep(duration))
    }
}

/// Picks the random part of a backoff.
pub trait Jitter: Send + Sync + Debug {
    /// A duration between zero and `ceiling`, inclusive.
    fn pick(&self, ceiling: Duration) -> Duration;
}

/// [`Jitter`] from the thread-local random generator.
#[derive(Debug, Clone, Copy, Default)]
pub struct RandomJitter;

impl Jitter for RandomJitter {
    fn pick(&self, ceiling: Duration) -> Duration {
        let nanos = u64::try_from(ceiling.as_nanos()).unwrap_or(u64::MAX);
        Duration::from_nanos(rand::thread_rng().gen_range(0..=nanos))
    }
}

/// A [`Sleeper`] for tests: records every requested duration and returns at once.
#[derive(Debug, Default)]
pub struct RecordingSleeper {
    slept: Mutex<Vec<Duration>>,
}

impl RecordingSleeper {
    /// The durations requested so far, in order.
    #[must_use]
    pub fn slept(&self) -> Vec<Duration> {
        self.slept.lock().map(|s| s.clone()).unwrap_or_default()
    }
}

impl Sleeper for RecordingSleeper {
    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()> {
        if let Ok(mut slept) = self.slept.lock() {
            slept.push(duration);
        }
        Box::pin(std::future::ready(()))
    }
}

/// A [`Jitter`] for tests that always picks the ceiling.
#[derive(Debug, Clone, Copy, Default)]
pub struct MaxJitter;

impl Jitter for MaxJitter {
    fn pick(&self, ceiling: Duration) -> Duration {
        ceiling
    }
}

/// Reads a `Retry-After` value: whole seconds, or an HTTP date measured against `now`.
#[must_use]
pub fn parse_retry_after(value: &str, now: DateTime<Utc>) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let date = DateTime::parse_from_rfc2822(value).ok()?.with_timezone(&Utc);
    Some((date - now).to_std().unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ceilings_grow_exponentially_up_to_the_cap() {
        let policy = RetryPolicy::default();
        let secs: Vec<u64> = (1..=7).map(|a| policy.ceiling(a).as_secs()).collect();
        assert_eq!(secs, [1, 2, 4, 8, 16, 20, 20]);
        assert_eq!(policy.ceiling(200), Duration::from_secs(20));
    }

    #[test]
    fn retry_after_is_seconds_or_a_date() {
        let now = DateTime::parse_from_rfc3339("2015-10-21T07:28:00Z").unwrap().to_utc();
        assert_eq!(parse_retry_after("120", now), Some(Duration::from_secs(120)));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:27:00 GMT", now), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("soon", now), None);
    }

    #[test]
    fn random_jitter_stays_within_the_ceiling() {
        for _ in 0..100 {
            assert!(RandomJitter.pick(Duration::from_millis(5)) <= Duration::from_millis(5));
        }
        assert_eq!(RandomJitter.pick(Duration::ZERO), Duration::ZERO);
    }
}

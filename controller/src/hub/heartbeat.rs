//! The heart monitor: pings engines on a period and declares dead those that stop answering.
//!
//! Each beat publishes a ping (the monitor's uptime as text, as stock does) and judges the
//! pongs that came back since the previous beat: a heart that answered is well, one that
//! missed more than `max_misses` beats in a row has stopped. Unlike stock, a pong is judged
//! as it arrives (so a new engine's registration can complete at once, not at the next
//! beat), and any ping of the last two periods is a valid answer — which lets the hub send
//! extra pings to engines still registering without making established engines' answers
//! look stale.

use std::collections::{HashMap, HashSet, VecDeque};
use std::time::{Duration, Instant};

use bytes::Bytes;

/// What a pong meant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pong {
    /// From a heart already known: it is alive.
    Known,
    /// The first valid pong from this identity.
    New,
    /// Not an answer to any recent ping: ignored.
    Stale,
}

/// The result of one beat.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Beat {
    /// The ping to publish.
    pub ping: Bytes,
    /// Hearts that missed too many beats, now forgotten.
    pub stopped: Vec<Bytes>,
}

/// Heartbeat bookkeeping, without sockets or clocks of its own.
#[derive(Debug)]
pub struct HeartMonitor {
    started: Instant,
    period: Duration,
    max_misses: u32,
    /// Pings sent recently, newest last, with when they were sent.
    recent: VecDeque<(Bytes, Instant)>,
    /// Known hearts and their consecutive missed beats.
    hearts: HashMap<Bytes, u32>,
    /// Hearts that answered since the last beat.
    answered: HashSet<Bytes>,
}

impl HeartMonitor {
    /// A monitor beating every `period`; a heart is stopped after more than `max_misses`
    /// missed beats in a row.
    pub fn new(started: Instant, period: Duration, max_misses: u32) -> Self {
        HeartMonitor {
            started,
            period,
            max_misses,
            recent: VecDeque::new(),
            hearts: HashMap::new(),
            answered: HashSet::new(),
        }
    }

    /// The beat period.
    pub fn period(&self) -> Duration {
        self.period
    }

    /// A ping to send now, between beats (it judges nobody).
    pub fn extra_ping(&mut self, now: Instant) -> Bytes {
        self.new_ping(now)
    }

    /// A regular beat: judges the hearts and gives the next ping.
    pub fn beat(&mut self, now: Instant) -> Beat {
        let mut stopped = Vec::new();
        for (heart, misses) in self.hearts.iter_mut() {
            if self.answered.contains(heart) {
                *misses = 0;
            } else {
                *misses += 1;
                if *misses > self.max_misses {
                    stopped.push(heart.clone());
                }
            }
        }
        for heart in &stopped {
            self.hearts.remove(heart);
        }
        self.answered.clear();
        Beat {
            ping: self.new_ping(now),
            stopped,
        }
    }

    /// Judges one pong `[identity, payload]`.
    pub fn pong(&mut self, identity: &Bytes, payload: &[u8]) -> Pong {
        if !self.recent.iter().any(|(p, _)| p.as_ref() == payload) {
            return Pong::Stale;
        }
        self.answered.insert(identity.clone());
        if self.hearts.contains_key(identity) {
            Pong::Known
        } else {
            self.hearts.insert(identity.clone(), 0);
            Pong::New
        }
    }

    /// Stops watching a heart (its engine unregistered by other means).
    pub fn forget(&mut self, identity: &[u8]) {
        self.hearts.remove(identity);
        self.answered.remove(identity);
    }

    fn new_ping(&mut self, now: Instant) -> Bytes {
        let uptime = now.saturating_duration_since(self.started).as_secs_f64();
        // Python's repr of a float; always with a decimal point.
        let mut text = format!("{uptime}");
        if !text.contains('.') {
            text.push_str(".0");
        }
        // Two pings in the same microsecond would be the same text; keep them distinct.
        if self
            .recent
            .back()
            .is_some_and(|(p, _)| p.as_ref() == text.as_bytes())
        {
            text.push('1');
        }
        let ping = Bytes::from(text);
        let keep_after = now.checked_sub(self.period * 2);
        while self
            .recent
            .front()
            .is_some_and(|(_, sent)| keep_after.is_some_and(|k| *sent < k))
        {
            self.recent.pop_front();
        }
        self.recent.push_back((ping.clone(), now));
        ping
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(s: &str) -> Bytes {
        Bytes::copy_from_slice(s.as_bytes())
    }

    #[test]
    fn a_heart_is_new_once_then_known_and_stale_pongs_are_ignored() {
        let t0 = Instant::now();
        let mut hm = HeartMonitor::new(t0, Duration::from_secs(1), 2);
        let ping = hm.beat(t0).ping;
        assert_eq!(hm.pong(&id("a"), b"not a ping"), Pong::Stale);
        assert_eq!(hm.pong(&id("a"), &ping), Pong::New);
        assert_eq!(hm.pong(&id("a"), &ping), Pong::Known);
    }

    #[test]
    fn a_silent_heart_stops_after_more_than_max_misses_beats() {
        let t0 = Instant::now();
        let period = Duration::from_secs(1);
        let mut hm = HeartMonitor::new(t0, period, 2);
        let ping = hm.beat(t0).ping;
        hm.pong(&id("a"), &ping);
        hm.pong(&id("b"), &ping);
        let mut stopped = Vec::new();
        for n in 1..=4 {
            let beat = hm.beat(t0 + period * n);
            // b keeps answering.
            hm.pong(&id("b"), &beat.ping);
            stopped.push(beat.stopped);
        }
        // Beat 1 counts the first answers; then 3 misses, one more than allowed.
        assert_eq!(stopped, [vec![], vec![], vec![], vec![id("a")]]);
    }

    #[test]
    fn extra_pings_do_not_make_answers_to_the_regular_ping_stale() {
        let t0 = Instant::now();
        let period = Duration::from_secs(3);
        let mut hm = HeartMonitor::new(t0, period, 1);
        let regular = hm.beat(t0).ping;
        let extra = hm.extra_ping(t0 + Duration::from_millis(100));
        let extra2 = hm.extra_ping(t0 + Duration::from_millis(200));
        assert_ne!(extra, extra2);
        assert_eq!(hm.pong(&id("old"), &regular), Pong::New);
        assert_eq!(hm.pong(&id("new"), &extra2), Pong::New);
        // Pings older than two periods no longer count.
        let later = hm.beat(t0 + period * 3).ping;
        assert_eq!(hm.pong(&id("x"), &regular), Pong::Stale);
        assert_eq!(hm.pong(&id("x"), &later), Pong::New);
    }
}

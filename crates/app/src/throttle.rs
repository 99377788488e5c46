//! Login throttling that slows guessing without letting an attacker lock the real user out.
//!
//! Failed attempts are counted three ways: per client address, per account, and per device (a
//! signed cookie a browser receives after a successful login). After a few free failures each
//! counter imposes a growing delay (1 s, 2 s, 4 s, …, capped) before the next attempt it
//! covers. A browser that has logged in to the account before presents its device cookie and is
//! judged by its own counter instead of the account's, so guesses from elsewhere never stop
//! the real user. Attempts in flight count as failures until they finish, so a burst of
//! concurrent guesses is throttled like a sequence. Entries expire after an hour of quiet and
//! the maps are bounded.

use std::collections::HashMap;

/// One counter's policy.
#[derive(Debug, Clone, Copy)]
struct Policy {
    free: u32,
    cap_ms: i64,
}

const CLIENT: Policy = Policy {
    free: 5,
    cap_ms: 15 * 60_000,
};
const ACCOUNT: Policy = Policy {
    free: 10,
    cap_ms: 60_000,
};
const DEVICE: Policy = Policy {
    free: 10,
    cap_ms: 15 * 60_000,
};
const QUIET_MS: i64 = 3_600_000;
const MAX_ENTRIES: usize = 100_000;

#[derive(Debug, Clone, Copy, Default)]
struct Counter {
    failures: u32,
    in_flight: u32,
    last_ms: i64,
}

impl Counter {
    /// How long after `last_ms` the next attempt must wait.
    fn wait_ms(&self, p: Policy) -> i64 {
        let n = self.failures + self.in_flight;
        if n < p.free {
            return 0;
        }
        let exp = (n - p.free).min(30);
        (1000i64 << exp).min(p.cap_ms)
    }
}

/// Which counters an attempt is judged by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    client: String,
    account: String,
    /// The device cookie's id, when the browser presented a valid one for this account.
    device: Option<String>,
}

/// The throttle's memory.
#[derive(Debug, Default)]
pub struct LoginThrottle {
    clients: HashMap<String, Counter>,
    accounts: HashMap<String, Counter>,
    devices: HashMap<String, Counter>,
    operations: u64,
}

impl LoginThrottle {
    /// Starts an attempt, or says how many seconds to wait.
    pub fn begin(
        &mut self,
        client: &str,
        account: &str,
        device: Option<&str>,
        now_ms: i64,
    ) -> Result<Attempt, u64> {
        self.prune(now_ms);
        let attempt = Attempt {
            client: client.to_string(),
            account: account.to_string(),
            device: device.map(str::to_string),
        };
        let mut wait = 0i64;
        let mut check = |c: Option<&Counter>, p: Policy| {
            if let Some(c) = c {
                let until = c.last_ms + c.wait_ms(p);
                wait = wait.max(until - now_ms);
            }
        };
        check(self.clients.get(client), CLIENT);
        match device {
            Some(d) => check(self.devices.get(d), DEVICE),
            None => check(self.accounts.get(account), ACCOUNT),
        }
        if wait > 0 {
            return Err(((wait + 999) / 1000) as u64);
        }
        for c in self.counters(&attempt) {
            c.in_flight += 1;
            c.last_ms = c.last_ms.max(now_ms);
        }
        Ok(attempt)
    }

    fn counters(&mut self, a: &Attempt) -> Vec<&mut Counter> {
        let mut out = vec![self.clients.entry(a.client.clone()).or_default()];
        match &a.device {
            Some(d) => out.push(self.devices.entry(d.clone()).or_default()),
            None => out.push(self.accounts.entry(a.account.clone()).or_default()),
        }
        out
    }

    /// Ends an attempt with its outcome.
    pub fn finish(&mut self, attempt: Attempt, success: bool, now_ms: i64) {
        for c in self.counters(&attempt) {
            c.in_flight = c.in_flight.saturating_sub(1);
            if !success {
                c.failures = c.failures.saturating_add(1);
                c.last_ms = now_ms;
            }
        }
        if success {
            self.accounts.remove(&attempt.account);
            if let Some(d) = &attempt.device {
                self.devices.remove(d);
            }
            if let Some(c) = self.clients.get_mut(&attempt.client) {
                c.failures /= 2;
            }
        }
    }

    fn prune(&mut self, now_ms: i64) {
        self.operations += 1;
        let total = self.clients.len() + self.accounts.len() + self.devices.len();
        if !self.operations.is_multiple_of(1024) && total < MAX_ENTRIES {
            return;
        }
        for map in [&mut self.clients, &mut self.accounts, &mut self.devices] {
            map.retain(|_, c| c.in_flight > 0 || now_ms - c.last_ms < QUIET_MS);
            if map.len() > MAX_ENTRIES / 3 {
                let mut ages: Vec<i64> = map.values().map(|c| c.last_ms).collect();
                ages.sort_unstable();
                let cutoff = ages[ages.len() - MAX_ENTRIES / 3];
                map.retain(|_, c| c.in_flight > 0 || c.last_ms >= cutoff);
            }
        }
    }

    /// Entries held (for tests and metrics).
    pub fn len(&self) -> usize {
        self.clients.len() + self.accounts.len() + self.devices.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fail(
        t: &mut LoginThrottle,
        client: &str,
        account: &str,
        device: Option<&str>,
        now: i64,
    ) -> Result<(), u64> {
        let a = t.begin(client, account, device, now)?;
        t.finish(a, false, now);
        Ok(())
    }

    #[test]
    fn delays_grow_per_client() {
        let mut t = LoginThrottle::default();
        for i in 0..5 {
            fail(&mut t, "10.0.0.1", &format!("user{i}"), None, 0).unwrap();
        }
        let wait = fail(&mut t, "10.0.0.1", "user9", None, 0).unwrap_err();
        assert_eq!(wait, 1);
        fail(&mut t, "10.0.0.1", "user9", None, 1000).unwrap();
        assert_eq!(
            fail(&mut t, "10.0.0.1", "user9", None, 1000).unwrap_err(),
            2
        );
    }

    #[test]
    fn guesses_from_elsewhere_never_lock_out_the_real_user() {
        let mut t = LoginThrottle::default();
        // 200 bad guesses at h004 from 200 addresses.
        for i in 0..200 {
            let _ = fail(&mut t, &format!("198.51.100.{i}"), "h004", None, i * 10);
        }
        // A new browser waits at most the account cap …
        let wait = t.begin("203.0.113.9", "h004", None, 2000).unwrap_err();
        assert!(wait <= 60, "{wait}");
        // … and the user's own browser, with its device cookie, is not delayed at all.
        let a = t
            .begin("203.0.113.9", "h004", Some("device-of-h004"), 2000)
            .unwrap();
        t.finish(a, true, 2000);
    }

    #[test]
    fn concurrent_guesses_count_while_in_flight() {
        let mut t = LoginThrottle::default();
        let mut attempts = Vec::new();
        let mut refused = 0;
        for _ in 0..50 {
            match t.begin("10.0.0.2", "h001", None, 1_714_557_600_000) {
                Ok(a) => attempts.push(a),
                Err(_) => refused += 1,
            }
        }
        assert_eq!(attempts.len(), 5, "only the free attempts run at once");
        assert_eq!(refused, 45);
    }

    #[test]
    fn the_memory_is_bounded() {
        let mut t = LoginThrottle::default();
        for i in 0..150_000 {
            let _ = fail(&mut t, &format!("c{i}"), &format!("a{i}"), None, i);
        }
        assert!(t.len() <= MAX_ENTRIES + 2, "{}", t.len());
        // An hour of quiet empties it.
        let _ = t.begin("x", "y", None, 10 * QUIET_MS);
        for _ in 0..2048 {
            let _ = t.begin("x", "y", None, 10 * QUIET_MS);
        }
        assert!(t.len() <= 2, "{}", t.len());
    }
}

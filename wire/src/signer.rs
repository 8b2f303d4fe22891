//! HMAC-SHA256 signatures over the four JSON frames, and the replay memory.

use std::collections::{HashSet, VecDeque};

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::error::{Result, WireError};
use crate::frames::RawMessage;

/// How many accepted signatures a session remembers, as jupyter_client does: enough to catch a
/// replay within any realistic burst, small enough (~5 MiB) to keep per connection.
pub const REPLAY_MEMORY: usize = 1 << 16;

/// The only scheme stock ipyparallel uses; other hashlib names are refused up front.
pub const DEFAULT_SCHEME: &str = "hmac-sha256";

/// serde default for `signature_scheme` fields of the files that carry a key.
pub(crate) fn default_scheme() -> String {
    DEFAULT_SCHEME.to_owned()
}

/// Signs and verifies messages with one shared key.
///
/// The key is the UTF-8 bytes of the `key` string of a connection file (not hex-decoded).
/// An empty key turns signing off: messages go out with an empty signature frame and incoming
/// signatures are not checked, exactly as Python peers behave.
#[derive(Clone)]
pub struct Signer {
    mac: Option<Hmac<Sha256>>,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print key material.
        f.debug_struct("Signer")
            .field("enabled", &self.mac.is_some())
            .finish()
    }
}

impl Signer {
    /// A signer for `key` under `scheme` (`hmac-sha256`; anything else is refused).
    pub fn new(key: &[u8], scheme: &str) -> Result<Self> {
        if scheme != DEFAULT_SCHEME {
            return Err(WireError::UnsupportedScheme(scheme.to_owned()));
        }
        if key.is_empty() {
            return Ok(Signer { mac: None });
        }
        let mac = Hmac::<Sha256>::new_from_slice(key)
            .map_err(|_| WireError::UnsupportedScheme(scheme.to_owned()))?;
        Ok(Signer { mac: Some(mac) })
    }

    /// A signer that neither signs nor checks (an empty key).
    pub fn disabled() -> Self {
        Signer { mac: None }
    }

    /// Whether messages are signed and checked.
    pub fn is_enabled(&self) -> bool {
        self.mac.is_some()
    }

    /// The lowercase hex signature of the four parts, or an empty string when signing is off.
    pub fn sign(&self, parts: [&[u8]; 4]) -> String {
        match &self.mac {
            None => String::new(),
            Some(mac) => {
                let mut mac = mac.clone();
                for part in parts {
                    mac.update(part);
                }
                hex::encode(mac.finalize().into_bytes())
            }
        }
    }

    /// Checks a received message's signature in constant time.
    pub fn verify(&self, raw: &RawMessage) -> Result<()> {
        let Some(mac) = &self.mac else {
            return Ok(());
        };
        if raw.signature.is_empty() {
            return Err(WireError::MissingSignature);
        }
        let expected = hex::decode(&raw.signature).map_err(|_| WireError::BadSignature)?;
        let mut mac = mac.clone();
        for part in raw.signed_parts() {
            mac.update(part);
        }
        mac.verify_slice(&expected)
            .map_err(|_| WireError::BadSignature)
    }
}

/// A bounded memory of accepted signatures, so a replayed message is refused.
///
/// Oldest entries are forgotten first once [`REPLAY_MEMORY`] is reached.
#[derive(Debug, Default)]
pub struct ReplayGuard {
    seen: HashSet<Box<[u8]>>,
    order: VecDeque<Box<[u8]>>,
    capacity: usize,
}

impl ReplayGuard {
    /// A guard that remembers at most `capacity` signatures.
    pub fn with_capacity(capacity: usize) -> Self {
        ReplayGuard {
            seen: HashSet::new(),
            order: VecDeque::new(),
            capacity: capacity.max(1),
        }
    }

    /// Records `signature`; fails if it was recorded before. Empty signatures (signing off)
    /// are not tracked.
    pub fn check_and_record(&mut self, signature: &[u8]) -> Result<()> {
        if signature.is_empty() {
            return Ok(());
        }
        if self.seen.contains(signature) {
            return Err(WireError::DuplicateSignature);
        }
        if self.order.len() >= self.capacity {
            if let Some(old) = self.order.pop_front() {
                self.seen.remove(&old);
            }
        }
        let sig: Box<[u8]> = signature.into();
        self.seen.insert(sig.clone());
        self.order.push_back(sig);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_vector_matches_python_hmac() {
        // hmac.new(b"key", b"abcd", hashlib.sha256).hexdigest(): the parts are fed in order.
        let s = Signer::new(b"key", DEFAULT_SCHEME).unwrap();
        let want = "2a31ec0ee8d878c9eece9fb0df79b3b90b2256240163aa5ee50d176d3d1121f8";
        assert_eq!(s.sign([b"a", b"b", b"c", b"d"]), want);
        assert_eq!(s.sign([b"ab", b"", b"cd", b""]), want);
    }

    #[test]
    fn other_schemes_are_refused() {
        assert!(matches!(
            Signer::new(b"k", "hmac-md5"),
            Err(WireError::UnsupportedScheme(_))
        ));
    }

    #[test]
    fn replay_guard_forgets_oldest_first() {
        let mut g = ReplayGuard::with_capacity(2);
        g.check_and_record(b"a").unwrap();
        g.check_and_record(b"b").unwrap();
        assert!(g.check_and_record(b"a").is_err());
        g.check_and_record(b"c").unwrap();
        g.check_and_record(b"a").unwrap();
    }
}

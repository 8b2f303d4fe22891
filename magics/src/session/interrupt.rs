//! Interrupting a running cell from another task: the kernel's `interrupt_request`, pxsh's
//! Ctrl-C.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use tokio::sync::watch;

/// Interrupts the magics' current wait, from any task or thread.
///
/// Only waits for engines listen: the blocking `%px` sequence (spec §15: the cell then
/// sends the configured signal to its engines) and `%pxresult`. At other times
/// [`InterruptHandle::interrupt`] does nothing and says so, so the host can interrupt
/// whatever else runs (its local namespace).
#[derive(Debug, Clone)]
pub struct InterruptHandle {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    /// Whether a wait is listening.
    armed: AtomicBool,
    /// Bumped on each interrupt; waits watch it.
    count: watch::Sender<u64>,
}

impl Default for InterruptHandle {
    fn default() -> Self {
        let (count, _) = watch::channel(0);
        InterruptHandle {
            inner: Arc::new(Inner {
                armed: AtomicBool::new(false),
                count,
            }),
        }
    }
}

impl InterruptHandle {
    /// Interrupts the current wait for engines. Returns whether one was listening.
    pub fn interrupt(&self) -> bool {
        if !self.inner.armed.load(Ordering::SeqCst) {
            return false;
        }
        self.inner.count.send_modify(|n| *n = n.wrapping_add(1));
        true
    }

    /// Starts listening; interrupts from now on reach the returned guard, until it drops.
    pub(crate) fn arm(&self) -> Armed {
        // Subscribe before arming, so no interrupt falls between the two.
        let rx = self.inner.count.subscribe();
        self.inner.armed.store(true, Ordering::SeqCst);
        Armed {
            inner: self.inner.clone(),
            rx,
        }
    }
}

/// A listening wait; dropping it stops listening (also when the cell is cancelled).
#[derive(Debug)]
pub(crate) struct Armed {
    inner: Arc<Inner>,
    rx: watch::Receiver<u64>,
}

impl Armed {
    /// Resolves at the next interrupt (each interrupt is seen once).
    pub(crate) async fn interrupted(&mut self) {
        if self.rx.changed().await.is_err() {
            // The sender lives in `inner`, which we hold; never ends otherwise.
            std::future::pending::<()>().await;
        }
    }
}

impl Drop for Armed {
    fn drop(&mut self) {
        self.inner.armed.store(false, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn only_a_listening_wait_is_interrupted() {
        let handle = InterruptHandle::default();
        assert!(!handle.interrupt(), "nobody listens yet");
        let mut armed = handle.arm();
        let other = handle.clone();
        let task = tokio::spawn(async move { other.interrupt() });
        assert!(task.await.unwrap());
        tokio::time::timeout(Duration::from_secs(1), armed.interrupted())
            .await
            .expect("the interrupt arrives");
        drop(armed);
        assert!(!handle.interrupt(), "the wait is over");
    }

    #[tokio::test]
    async fn an_interrupt_before_the_wait_does_not_leak_into_it() {
        let handle = InterruptHandle::default();
        handle.interrupt();
        let mut armed = handle.arm();
        let waited = tokio::time::timeout(Duration::from_millis(50), armed.interrupted()).await;
        assert!(waited.is_err());
    }
}

//! Keeping the store inside its limits, as stock's `DictDB` does: past `record_limit`
//! records, drop the oldest `cull_fraction` of the limit at once; past `size_limit` bytes,
//! drop the oldest until `cull_fraction` of the limit is free. Unlike stock, a pending
//! record is never dropped (its reply is still to come), and culling stops when only pending
//! records are left instead of looping forever.

use super::ResultStore;
use crate::ids::MsgId;

impl ResultStore {
    /// Culls if a limit is passed; called after every change that can grow the store.
    pub(super) fn maybe_cull(&mut self) {
        let limits = self.limits;
        if self.records.len() > limits.record_limit {
            let batch = (limits.cull_fraction * limits.record_limit as f64) as usize;
            let excess = self.records.len() - limits.record_limit;
            let dropped = self.cull(batch.max(excess), 0);
            if dropped > 0 {
                tracing::info!(
                    "result store: over {} records, dropped the oldest {dropped}",
                    limits.record_limit
                );
            }
        }
        if self.bytes > limits.size_limit {
            let target = (limits.size_limit as f64 * (1.0 - limits.cull_fraction)) as usize;
            let before = self.bytes;
            let dropped = self.cull(usize::MAX, target);
            if dropped > 0 {
                tracing::info!(
                "result store: {before} bytes over the limit of {}, dropped the oldest {dropped} records",
                    limits.size_limit
                );
            }
        }
    }

    /// Drops the oldest records that are not pending: at most `count`, and no more once the
    /// bytes are at or below `bytes_target`. Returns how many went.
    fn cull(&mut self, count: usize, bytes_target: usize) -> usize {
        let mut bytes = self.bytes;
        let mut victims: Vec<MsgId> = Vec::new();
        for record in self.cullable_in_order() {
            if victims.len() >= count || bytes <= bytes_target {
                break;
            }
            bytes -= record.size;
            victims.push(record.msg_id.clone());
        }
        for msg_id in &victims {
            self.remove(msg_id);
        }
        victims.len()
    }
}

//! A notifier that records what it is given, for scheduling tests.

use std::sync::Mutex;
use std::time::Instant;

use super::{Notifier, PostableAlert};

/// Keeps every batch of alerts sent, in order.
#[derive(Debug, Default)]
pub struct FakeNotifier {
    sent: Mutex<Vec<Vec<PostableAlert>>>,
}

impl FakeNotifier {
    /// The batches sent so far (one per group evaluation that had alerts to send).
    pub fn sent(&self) -> Vec<Vec<PostableAlert>> {
        self.sent.lock().unwrap().clone()
    }
}

impl Notifier for FakeNotifier {
    fn send(&self, alerts: &[PostableAlert], _retry_until: Instant) {
        if !alerts.is_empty() {
            self.sent.lock().unwrap().push(alerts.to_vec());
        }
    }
}

//! A bounded queue of alerts for one Alertmanager. When full, the oldest alerts make room (they
//! are the most likely to have a fresher copy coming), and the drops are counted.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Instant;

use tokio::sync::Notify;

use super::PostableAlert;

/// An alert waiting to be sent, and until when retrying it is worth it (its next resend).
#[derive(Debug, Clone)]
pub struct Queued {
    pub alert: PostableAlert,
    pub retry_until: Instant,
}

#[derive(Debug)]
pub struct Queue {
    capacity: usize,
    state: Mutex<State>,
    wake: Notify,
}

#[derive(Debug, Default)]
struct State {
    items: VecDeque<Queued>,
    closed: bool,
}

impl Queue {
    pub fn new(capacity: usize) -> Queue {
        Queue { capacity: capacity.max(1), state: Mutex::default(), wake: Notify::new() }
    }

    /// Appends `alerts`; returns how many were dropped to stay within capacity. After
    /// [`Queue::close`] nothing is taken and everything counts as dropped.
    pub fn push(&self, alerts: impl IntoIterator<Item = Queued>) -> usize {
        let mut s = self.state.lock().unwrap();
        let mut dropped = 0;
        for a in alerts {
            if s.closed {
                dropped += 1;
                continue;
            }
            if s.items.len() == self.capacity {
                s.items.pop_front();
                dropped += 1;
            }
            s.items.push_back(a);
        }
        drop(s);
        self.wake.notify_one();
        dropped
    }

    /// Waits for alerts and takes up to `max`; `None` once closed and empty.
    pub async fn pop(&self, max: usize) -> Option<Vec<Queued>> {
        loop {
            let woken = self.wake.notified();
            {
                let mut s = self.state.lock().unwrap();
                if !s.items.is_empty() {
                    let n = s.items.len().min(max);
                    let batch: Vec<Queued> = s.items.drain(..n).collect();
                    if !s.items.is_empty() {
                        // Leave the wake-up for the next pop.
                        self.wake.notify_one();
                    }
                    return Some(batch);
                }
                if s.closed {
                    return None;
                }
            }
            woken.await;
        }
    }

    /// No more pushes; what is queued is still popped.
    pub fn close(&self) {
        self.state.lock().unwrap().closed = true;
        self.wake.notify_one();
    }

    pub fn is_closed(&self) -> bool {
        self.state.lock().unwrap().closed
    }

    pub fn len(&self) -> usize {
        self.state.lock().unwrap().items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alert(name: &str) -> Queued {
        Queued {
            alert: PostableAlert {
                labels: [("alertname".to_string(), name.to_string())].into(),
                annotations: Default::default(),
                starts_at: String::new(),
                ends_at: String::new(),
                generator_url: String::new(),
            },
            retry_until: Instant::now(),
        }
    }

    fn names(batch: &[Queued]) -> Vec<&str> {
        batch.iter().map(|q| q.alert.labels["alertname"].as_str()).collect()
    }

    #[tokio::test]
    async fn drops_the_oldest_when_full_and_pops_in_batches() {
        let q = Queue::new(3);
        assert_eq!(q.push(["a", "b", "c", "d", "e"].map(alert)), 2);
        assert_eq!(q.len(), 3);
        assert_eq!(names(&q.pop(2).await.unwrap()), ["c", "d"]);
        assert_eq!(names(&q.pop(2).await.unwrap()), ["e"]);
        q.push([alert("f")]);
        q.close();
        assert_eq!(q.push([alert("g")]), 1, "closed: nothing more is taken");
        assert_eq!(names(&q.pop(10).await.unwrap()), ["f"], "closed: what was queued still goes out");
        assert!(q.pop(10).await.is_none());
    }

    #[tokio::test]
    async fn a_waiting_pop_wakes_on_push() {
        let q = std::sync::Arc::new(Queue::new(10));
        let waiter = tokio::spawn({
            let q = q.clone();
            async move { q.pop(10).await.map(|b| b.len()) }
        });
        tokio::task::yield_now().await;
        q.push([alert("x"), alert("y")]);
        assert_eq!(waiter.await.unwrap(), Some(2));
    }
}

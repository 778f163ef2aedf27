//! The loops beside evaluation: cutting blocks and retention, shipping them, re-resolving DNS names.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;

use crate::discovery::{DnsResolver, Endpoints};
use crate::manager::clock::{Clock, SystemClock};
use crate::metrics::Metrics;
use crate::shipper::Shipper;
use crate::storage::Storage;

/// Every `every`: cut due blocks, then delete blocks past retention, then wake the shipper.
pub async fn housekeeping(storage: Arc<Storage>, metrics: Arc<Metrics>, every: Duration, ship: Arc<Notify>) {
    loop {
        tokio::time::sleep(every).await;
        let s = storage.clone();
        let now = SystemClock.now_ms();
        // Block writing is blocking file I/O.
        let outcome = tokio::task::spawn_blocking(move || {
            s.compact(now).and_then(|b| Ok((b, s.apply_retention(now)?)))
        })
        .await;
        match outcome {
            Ok(Ok((blocks, deleted))) => {
                for b in &blocks {
                    tracing::info!(block = %b, "block written");
                }
                metrics.compactions.inc_by(blocks.len() as u64);
                if deleted > 0 {
                    tracing::info!(deleted, "blocks past retention deleted");
                }
            }
            Ok(Err(e)) => {
                metrics.compactions_failed.inc();
                tracing::error!(error = %e, "writing a block failed; the samples stay in the log and the head");
            }
            Err(e) => tracing::error!(error = %e, "block writing task failed"),
        }
        ship.notify_one();
    }
}

/// Uploads blocks whenever woken; wake-ups during a pass make one more pass.
pub async fn shipping(shipper: Shipper, wake: Arc<Notify>, metrics: Arc<Metrics>) {
    loop {
        wake.notified().await;
        let pass = shipper.sync(SystemClock.now_ms()).await;
        for b in &pass.uploaded {
            tracing::info!(block = %b, "block uploaded");
        }
        for e in &pass.failures {
            tracing::warn!(error = %e, "block upload failed; trying again on the next pass");
        }
        metrics.shipper_uploads.inc_by(pass.uploaded.len() as u64);
        metrics.shipper_upload_failures.inc_by(pass.failures.len() as u64);
    }
}

/// Looks `endpoints` up again; a failed lookup keeps the previous addresses.
pub async fn refresh(what: &'static str, endpoints: &Endpoints, resolver: &DnsResolver, metrics: &Metrics) {
    let labels = vec![("client".to_string(), what.to_string())];
    metrics.dns_lookups.get_or_create(&labels).inc();
    for e in endpoints.refresh(resolver).await {
        metrics.dns_failures.get_or_create(&labels).inc();
        tracing::warn!(what, error = %e, "DNS lookup failed; keeping the previous addresses");
    }
    metrics.dns_results.get_or_create(&labels).set(endpoints.all().len() as i64);
}

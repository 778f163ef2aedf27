//! The StoreAPI: a Querier reads the ruler's results through `Series`, `LabelNames` and
//! `LabelValues`, from the head (read right after the evaluation that stored them) and the blocks.
//!
//! A `Series` answer is a stream of frames, one series per frame, in the order of the series' final
//! label sets (external labels merged in, theirs winning); a series whose chunks exceed a frame goes
//! on in the next frames, never interleaved with another. Chunks are raw XOR, whole (they may reach
//! outside the range asked), with the times of their first and last sample. Aggregates and
//! resolutions asked for are answered with raw chunks, which every Querier falls back to. Series are
//! read a batch at a time into a short channel, so a slow or large reader holds the labels of the
//! series answered, never their samples.

use std::pin::Pin;
use std::sync::Arc;

use futures::Stream;
use promapi::Labels;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status};

use super::info::Identity;
use super::matchers::{select, Matcher, Selection};
use super::proto::thanos::store_server::Store;
use super::proto::thanos::{
    chunk, series_response, AggrChunk, Chunk, InfoRequest, InfoResponse, Label, LabelNamesRequest,
    LabelNamesResponse, LabelValuesRequest, LabelValuesResponse, Series, SeriesRequest, SeriesResponse,
};
use super::{cmp_with_external, to_wire_with_external};
use crate::storage::{SeriesChunks, Storage};
use crate::tsdb::{xor, LabelSet};

/// Chunk bytes per frame, as Thanos frames remote reads (one chunk more is allowed).
pub const FRAME_BYTES: usize = 1 << 20;
/// Series read from storage at a time.
const BATCH: usize = 256;
/// Frames waiting for a slow reader.
const QUEUE: usize = 8;

/// `--store.limits.request-series` / `--store.limits.request-samples` (0: none).
#[derive(Debug, Clone, Copy, Default)]
pub struct Limits {
    pub series: u64,
    pub samples: u64,
}

/// The StoreAPI over the ruler's storage.
#[derive(Clone)]
pub struct StoreApi {
    pub identity: Identity,
    pub limits: Limits,
}

type Frames = Pin<Box<dyn Stream<Item = Result<SeriesResponse, Status>> + Send>>;

fn invalid(e: impl std::fmt::Display) -> Status {
    Status::invalid_argument(e.to_string())
}

/// A time range where `0, 0` (a request that gives none) means all time.
fn range(start: i64, end: i64) -> (i64, i64) {
    if start == 0 && end == 0 {
        (i64::MIN, i64::MAX)
    } else {
        (start, end)
    }
}

impl StoreApi {
    fn storage(&self) -> &Arc<Storage> {
        &self.identity.storage
    }

    fn external(&self) -> &Labels {
        &self.identity.external_labels
    }

    /// The stored labels of the series matching `matchers` with samples in `[mint, maxt]`.
    async fn matching(&self, mint: i64, maxt: i64, matchers: Vec<Matcher>) -> Result<Vec<LabelSet>, Status> {
        let storage = self.storage().clone();
        tokio::task::spawn_blocking(move || {
            storage.series_labels(mint, maxt, |l| matchers.iter().all(|m| m.matches(l)))
        })
        .await
        .map_err(|e| Status::internal(format!("selecting series: {e}")))
    }
}

#[tonic::async_trait]
impl Store for StoreApi {
    async fn info(&self, _: Request<InfoRequest>) -> Result<Response<InfoResponse>, Status> {
        Ok(Response::new(self.identity.store_info()))
    }

    type SeriesStream = Frames;

    async fn series(&self, request: Request<SeriesRequest>) -> Result<Response<Frames>, Status> {
        let r = request.into_inner();
        let matchers = match select(&r.matchers, self.external()).map_err(invalid)? {
            Selection::Nothing => return Ok(Response::new(Box::pin(futures::stream::empty()))),
            Selection::Series(m) if m.is_empty() => {
                return Err(Status::invalid_argument("no matchers specified (excluding external labels)"))
            }
            Selection::Series(m) => m,
        };
        let stored = self.matching(r.min_time, r.max_time, matchers).await?;
        if self.limits.series > 0 && stored.len() as u64 > self.limits.series {
            return Err(Status::resource_exhausted(format!(
                "exceeded series limit: {} series match, the limit (--store.limits.request-series) is {}",
                stored.len(),
                self.limits.series
            )));
        }
        // Sorted by what the reader sees (external labels can move a series); each set is held once.
        let mut series = stored;
        let external = self.external().clone();
        series.sort_by(|a, b| cmp_with_external(a, b, &external));
        let (tx, rx) = mpsc::channel(QUEUE);
        let sender = Sender { storage: self.storage().clone(), external, limits: self.limits, tx };
        tokio::spawn(sender.send_all(series, r.min_time, r.max_time, r.skip_chunks));
        Ok(Response::new(Box::pin(ReceiverStream::new(rx))))
    }

    async fn label_names(
        &self,
        request: Request<LabelNamesRequest>,
    ) -> Result<Response<LabelNamesResponse>, Status> {
        let r = request.into_inner();
        let Selection::Series(matchers) = select(&r.matchers, self.external()).map_err(invalid)? else {
            return Ok(Response::new(LabelNamesResponse::default()));
        };
        let (start, end) = range(r.start, r.end);
        let series = self.matching(start, end, matchers).await?;
        let mut names: std::collections::BTreeSet<&str> =
            series.iter().flat_map(|l| l.pairs().map(|(k, _)| k)).collect();
        if !names.is_empty() {
            names.extend(self.external().keys().map(String::as_str));
        }
        let mut names: Vec<String> = names.into_iter().map(str::to_string).collect();
        if r.limit > 0 {
            names.truncate(r.limit as usize);
        }
        Ok(Response::new(LabelNamesResponse { names, ..Default::default() }))
    }

    async fn label_values(
        &self,
        request: Request<LabelValuesRequest>,
    ) -> Result<Response<LabelValuesResponse>, Status> {
        let r = request.into_inner();
        if r.label.is_empty() {
            return Err(Status::invalid_argument("label name parameter cannot be empty"));
        }
        let Selection::Series(matchers) = select(&r.matchers, self.external()).map_err(invalid)? else {
            return Ok(Response::new(LabelValuesResponse::default()));
        };
        let (start, end) = range(r.start, r.end);
        let series = self.matching(start, end, matchers).await?;
        let mut values: Vec<String> = match self.external().get(&r.label) {
            // The external value stands for every series held.
            Some(v) if !series.is_empty() => vec![v.clone()],
            Some(_) => Vec::new(),
            None => {
                let set: std::collections::BTreeSet<&str> =
                    series.iter().filter_map(|l| l.get(&r.label)).collect();
                set.into_iter().map(str::to_string).collect()
            }
        };
        if r.limit > 0 {
            values.truncate(r.limit as usize);
        }
        Ok(Response::new(LabelValuesResponse { values, ..Default::default() }))
    }
}

/// Reads series a batch at a time and sends their frames, until done, an error, or the reader left.
struct Sender {
    storage: Arc<Storage>,
    external: Labels,
    limits: Limits,
    tx: mpsc::Sender<Result<SeriesResponse, Status>>,
}

impl Sender {
    async fn send_all(self, series: Vec<LabelSet>, mint: i64, maxt: i64, skip_chunks: bool) {
        let mut samples = 0u64;
        for batch in series.chunks(BATCH) {
            if skip_chunks {
                for stored in batch {
                    if !self.send(frame(to_wire_with_external(stored, &self.external), Vec::new())).await {
                        return;
                    }
                }
                continue;
            }
            // A batch is a few hundred series: read in place, briefly.
            let read = match self.storage.chunks(batch, mint, maxt) {
                Ok(r) => r,
                Err(e) => return self.fail(Status::internal(format!("reading series: {e}"))).await,
            };
            for SeriesChunks { labels, chunks } in read {
                for c in &chunks {
                    match xor::num_samples(&c.data) {
                        Ok(n) => samples += u64::from(n),
                        Err(e) => return self.fail(Status::internal(format!("reading series: {e}"))).await,
                    }
                }
                if self.limits.samples > 0 && samples > self.limits.samples {
                    let msg = format!(
                        "exceeded samples limit: more than {} samples (--store.limits.request-samples)",
                        self.limits.samples
                    );
                    return self.fail(Status::resource_exhausted(msg)).await;
                }
                for f in frames(to_wire_with_external(&labels, &self.external), chunks) {
                    if !self.send(f).await {
                        return;
                    }
                }
            }
        }
    }

    /// Sends a frame; false once the reader is gone.
    async fn send(&self, f: SeriesResponse) -> bool {
        self.tx.send(Ok(f)).await.is_ok()
    }

    async fn fail(&self, status: Status) {
        let _ = self.tx.send(Err(status)).await;
    }
}

fn frame(labels: Vec<Label>, chunks: Vec<AggrChunk>) -> SeriesResponse {
    SeriesResponse { result: Some(series_response::Result::Series(Series { labels, chunks })) }
}

/// One series' frames: chunks gathered up to [`FRAME_BYTES`] each; none for a series without chunks
/// (a Querier fails on a chunkless series unless it asked to skip chunks).
pub fn frames(labels: Vec<Label>, chunks: Vec<crate::storage::RawChunk>) -> Vec<SeriesResponse> {
    let mut out = Vec::new();
    let mut current = Vec::new();
    let mut bytes = 0;
    for c in chunks {
        bytes += c.data.len();
        current.push(AggrChunk {
            min_time: c.min_t,
            max_time: c.max_t,
            raw: Some(Chunk { r#type: chunk::Encoding::Xor as i32, data: c.data, hash: 0 }),
            ..Default::default()
        });
        if bytes >= FRAME_BYTES {
            out.push(frame(labels.clone(), std::mem::take(&mut current)));
            bytes = 0;
        }
    }
    if !current.is_empty() {
        out.push(frame(labels, current));
    }
    out
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use futures::StreamExt;

    use super::*;
    use crate::grpc::proto::thanos::{label_matcher, LabelMatcher};
    use crate::rules::Sample;
    use crate::storage::{RawChunk, StorageOptions};

    const H: i64 = 3_600_000;

    #[test]
    fn frames_hold_about_a_mebibyte_and_never_an_empty_series() {
        let labels = vec![Label { name: "__name__".into(), value: "x".into() }];
        let chunk =
            |i: i64| RawChunk { min_t: i, max_t: i, data: [0, 1, 0, 0, 0, 0, 0, 0, 0, 0].repeat(40_000) };
        let out = frames(labels.clone(), (0..7).map(chunk).collect());
        let counts: Vec<usize> = out
            .iter()
            .map(|f| match &f.result {
                Some(series_response::Result::Series(s)) => s.chunks.len(),
                _ => 0,
            })
            .collect();
        assert_eq!(counts, [3, 3, 1], "400 kB chunks: a frame closes once it passes 1 MiB");
        assert!(frames(labels, Vec::new()).is_empty());
    }

    #[tokio::test]
    async fn a_stream_open_across_a_block_cut_loses_and_repeats_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let external: Labels = [("replica".to_string(), "a".to_string())].into();
        let opts =
            StorageOptions { block_ms: 2 * H, retention_ms: 48 * H, external_labels: external.clone() };
        let storage = Arc::new(Storage::open(dir.path(), opts).unwrap().0);
        // 2,000 series, far more than a batch and the queued frames: most are read after the cut.
        let t0 = 100 * 2 * H;
        let steps = 2 * H / 60_000 + 5;
        for step in 0..steps {
            let batch: Vec<Sample> = (0..2_000)
                .map(|i| Sample {
                    labels: [("__name__".into(), "s".into()), ("i".into(), format!("{i:04}"))].into(),
                    t: t0 + step * 60_000,
                    v: (i * step) as f64,
                })
                .collect();
            storage.append_samples(&batch).unwrap();
        }
        let api = StoreApi {
            identity: Identity { storage: storage.clone(), external_labels: external },
            limits: Limits::default(),
        };
        let request = SeriesRequest {
            min_time: t0,
            max_time: t0 + 3 * H,
            matchers: vec![LabelMatcher {
                r#type: label_matcher::Type::Eq as i32,
                name: "__name__".into(),
                value: "s".into(),
            }],
            ..Default::default()
        };
        let mut stream = api.series(Request::new(request)).await.unwrap().into_inner();
        let mut frames = vec![stream.next().await.unwrap().unwrap()];
        // Let the sender fill its queue, then cut the first window into a block under it.
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        assert_eq!(storage.compact(t0 + 3 * H).unwrap().len(), 1);
        while let Some(f) = stream.next().await {
            frames.push(f.unwrap());
        }

        let mut seen: BTreeMap<String, Vec<(i64, f64)>> = BTreeMap::new();
        let mut order = Vec::new();
        for f in frames {
            let Some(series_response::Result::Series(s)) = f.result else { panic!("not a series frame") };
            let i = s.labels.iter().find(|l| l.name == "i").unwrap().value.clone();
            if order.last() != Some(&i) {
                assert!(!seen.contains_key(&i), "series {i} is not contiguous");
                order.push(i.clone());
            }
            for c in s.chunks {
                let raw = c.raw.unwrap();
                seen.entry(i.clone()).or_default().extend(xor::decode(&raw.data).unwrap());
            }
        }
        assert_eq!(seen.len(), 2_000);
        for (i, samples) in &seen {
            let n: i64 = i.parse().unwrap();
            let want: Vec<(i64, f64)> = (0..steps).map(|s| (t0 + s * 60_000, (n * s) as f64)).collect();
            assert_eq!(samples, &want, "series {i}: every sample once, in order");
        }
    }
}

//! Where a backfill's samples go: collected per job by series ([`Collector`]), then written one block
//! per window, the next window's block written while the one after is evaluated ([`Blocks`]).

use std::collections::HashMap;

use promapi::Labels;
use tokio::task::JoinHandle;

use super::{window, Error, Options, Progress, Summary};
use crate::rules::Sample;
use crate::tsdb::{self, BlockWriter, BLOCK_DURATION_MS};

/// One job's samples by series. Evaluations produce their series in the same order each time, so a
/// sample is usually matched to its series by one comparison with the one after the previous match.
pub(super) struct Collector {
    pub(super) series: Vec<(Labels, Vec<(i64, f64)>)>,
    pub(super) index: HashMap<Labels, usize>,
    /// Samples per series at most: one per evaluation.
    pub(super) capacity: usize,
}

impl Collector {
    pub(super) fn new(capacity: usize) -> Collector {
        Collector { series: Vec::new(), index: HashMap::new(), capacity }
    }

    pub(super) fn add(&mut self, samples: Vec<Sample>) {
        let mut next = 0;
        for s in samples {
            let i = match self.series.get(next) {
                Some((labels, _)) if *labels == s.labels => next,
                _ => match self.index.get(&s.labels) {
                    Some(&i) => i,
                    None => {
                        self.index.insert(s.labels.clone(), self.series.len());
                        self.series.push((s.labels, Vec::with_capacity(self.capacity)));
                        self.series.len() - 1
                    }
                },
            };
            self.series[i].1.push((s.t, s.v));
            next = i + 1;
        }
    }
}

/// The block of the window being evaluated.
pub(super) struct OpenBlock {
    pub(super) window: i64,
    pub(super) writer: BlockWriter,
    pub(super) samples: u64,
}

/// A block being written in the background.
pub(super) struct Writing {
    pub(super) window: i64,
    pub(super) samples: u64,
    pub(super) series: usize,
    pub(super) task: JoinHandle<Result<ulid::Ulid, tsdb::Error>>,
}

/// Blocks of consecutive windows: the one being filled, and the one before, written in the background
/// meanwhile.
pub(super) struct Blocks<'a> {
    pub(super) options: &'a Options,
    pub(super) open: Option<OpenBlock>,
    pub(super) writing: Option<Writing>,
    pub(super) progress: Progress<'a>,
    pub(super) summary: Summary,
}

impl Blocks<'_> {
    /// The block of window `w`; if another is open, it is written first (in the background, once
    /// the one before it is done).
    pub(super) async fn open(&mut self, w: i64) -> Result<&mut OpenBlock, Error> {
        if self.open.as_ref().is_some_and(|b| b.window != w) {
            self.close().await?;
        }
        if self.open.is_none() {
            let range = window(w);
            let o = self.options;
            let writer = BlockWriter::new(&o.output_dir, range.start, range.end, o.external_labels.clone())
                .map_err(|source| Error::Block { window: range.start, source })?;
            self.open = Some(OpenBlock { window: w, writer, samples: 0 });
        }
        Ok(self.open.as_mut().expect("opened above"))
    }

    pub(super) async fn close(&mut self) -> Result<(), Error> {
        let Some(b) = self.open.take() else { return Ok(()) };
        let series = b.writer.num_series();
        let writer = b.writer;
        let task = tokio::task::spawn_blocking(move || writer.finish());
        let previous = self.writing.replace(Writing { window: b.window, samples: b.samples, series, task });
        self.wait(previous).await
    }

    /// Waits for a block to be written and reports it.
    pub(super) async fn wait(&mut self, writing: Option<Writing>) -> Result<(), Error> {
        let Some(b) = writing else { return Ok(()) };
        let start = b.window * BLOCK_DURATION_MS;
        let result = b.task.await.map_err(|e| Error::Writer { window: start, reason: e.to_string() })?;
        match result {
            Ok(ulid) => {
                self.summary.blocks.push(self.options.output_dir.join(ulid.to_string()));
                self.summary.samples += b.samples;
                self.progress
                    .window(b.window, format_args!("{} samples of {} series → {ulid}", b.samples, b.series));
            }
            Err(tsdb::Error::EmptyBlock) => {
                self.progress.window(b.window, format_args!("no samples, no block"))
            }
            Err(source) => return Err(Error::Block { window: start, source }),
        }
        Ok(())
    }

    pub(super) async fn finish(mut self) -> Result<Summary, Error> {
        self.close().await?;
        let last = self.writing.take();
        self.wait(last).await?;
        Ok(self.summary)
    }
}

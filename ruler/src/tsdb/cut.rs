//! Where one chunk ends and the next begins: Prometheus' head rule (`memSeries.appendPreprocessor`, 2.42),
//! so that a block holds the chunks Prometheus itself would have written for the same samples.
//!
//! A chunk never crosses a multiple of the chunk range. Once it holds 30 samples (a quarter of the
//! 120-sample target) its end is predicted so that the rest of the range splits into equal chunks at the
//! same rate; a chunk is also cut at 240 samples, in case the rate went up after the prediction.

use std::ops::Range;

use super::xor::XorEncoder;

/// The head's target number of samples per chunk (Gorilla's sweet spot; also what Thanos assumes).
pub const SAMPLES_PER_CHUNK: usize = 120;

/// The end of the chunk range holding `t`, as Go computes it (division truncates toward zero).
fn range_end(t: i64, chunk_range: i64) -> i64 {
    (t / chunk_range) * chunk_range + chunk_range
}

/// Prometheus' `computeChunkEndTime`: the end that splits `[start, max)` into equal chunks, given that
/// `[start, cur]` holds a quarter of a chunk.
fn predicted_end(start: i64, cur: i64, max: i64) -> i64 {
    let n = (max - start) / ((cur - start + 1) * 4);
    if n <= 1 {
        max
    } else {
        start + (max - start) / n
    }
}

/// Splits strictly increasing timestamps into chunks, as index ranges into `ts`.
pub fn chunk_bounds(ts: &[i64], chunk_range: i64) -> Vec<Range<usize>> {
    let mut out = Vec::with_capacity(ts.len() / SAMPLES_PER_CHUNK + 1);
    let Some(&first) = ts.first() else {
        return out;
    };
    let (mut start, mut min_t, mut next_at) = (0, first, range_end(first, chunk_range));
    for (i, &t) in ts.iter().enumerate().skip(1) {
        let n = i - start;
        if n == SAMPLES_PER_CHUNK / 4 {
            next_at = predicted_end(min_t, ts[i - 1], next_at);
        }
        if t >= next_at || n >= SAMPLES_PER_CHUNK * 2 {
            out.push(start..i);
            (start, min_t, next_at) = (i, t, range_end(t, chunk_range));
        }
    }
    out.push(start..ts.len());
    out
}

/// One chunk: the times of its first and last sample, and its bare XOR data (2-byte sample count
/// and bit stream, without a segment file's framing).
#[derive(Debug, Clone, PartialEq)]
pub struct RawChunk {
    pub min_t: i64,
    pub max_t: i64,
    pub data: Vec<u8>,
}

/// Samples in strictly increasing time order, cut by [`chunk_bounds`] and each chunk XOR-encoded.
pub fn encode(samples: &[(i64, f64)], chunk_range: i64) -> Vec<RawChunk> {
    let ts: Vec<i64> = samples.iter().map(|&(t, _)| t).collect();
    chunk_bounds(&ts, chunk_range)
        .into_iter()
        .map(|r| {
            let mut e = XorEncoder::new();
            for &(t, v) in &samples[r.clone()] {
                e.append(t, v);
            }
            RawChunk { min_t: ts[r.start], max_t: ts[r.end - 1], data: e.into_bytes() }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: i64 = 3_600_000;

    fn lens(ts: &[i64], chunk_range: i64) -> Vec<usize> {
        chunk_bounds(ts, chunk_range).iter().map(|r| r.len()).collect()
    }

    fn every(start: i64, step: i64, end: i64) -> Vec<i64> {
        (0..).map(|i| start + i * step).take_while(|&t| t < end).collect()
    }

    #[test]
    fn steady_rates_give_120_sample_chunks() {
        let w = 1_000 * 2 * H; // some aligned 2h window
                               // 15 s: at 30 samples 435 s are used, (7200000 / 435001 / 4) = 4 chunks of 30 min.
        assert_eq!(lens(&every(w, 15_000, w + 2 * H), 2 * H), [120, 120, 120, 120]);
        // 60 s: the prediction is the range end, and 2 h at 1/min is 120 samples.
        assert_eq!(lens(&every(w, 60_000, w + 2 * H), 2 * H), [120]);
    }

    #[test]
    fn chunks_never_cross_a_range_boundary() {
        let w = 1_000 * 2 * H;
        let ts = every(w + 2 * H - 10 * 60_000, 60_000, w + 2 * H + 10 * 60_000);
        let b = chunk_bounds(&ts, 2 * H);
        assert_eq!(lens(&ts, 2 * H), [10, 10]);
        assert_eq!(ts[b[1].start], w + 2 * H);
    }

    #[test]
    fn the_range_changes_where_35s_samples_are_cut() {
        // 206 samples, 35 s apart, from an aligned 2h window start. At the prediction (30 samples,
        // 1015 s used): with a 2h range, 7200000 / (1015001 * 4) = 1, so the chunk runs to the range end;
        // with a 4h range (promtool's), 14400000 / 4060004 = 3, so it ends at start + 4800000, after
        // 138 samples (35000 * 137 = 4795000 < 4800000 <= 4830000). The second chunk's prediction,
        // (14400000 - 4830000) / 4060004 = 2, puts its end past the window: it takes the other 68.
        let w = 2 * 2 * H;
        let ts = every(w, 35_000, w + 2 * H);
        assert_eq!(ts.len(), 206);
        assert_eq!(lens(&ts, 2 * H), [206]);
        assert_eq!(lens(&ts, 4 * H), [138, 68]);
    }

    #[test]
    fn a_rate_increase_after_the_prediction_cuts_at_240() {
        // 31 samples a minute apart predict the range end; 1 s samples then fill up to the 240 cap.
        // The next chunk predicts (7200000 - 2010000) / (29001 * 4) = 44 chunks of 117954 ms, so its
        // 91 samples (90 s) stay together.
        let w = 2 * H;
        let mut ts = every(w, 60_000, w + 31 * 60_000);
        let last = *ts.last().unwrap();
        ts.extend(every(last + 1_000, 1_000, last + 1_000 + 300_000));
        assert_eq!(lens(&ts, 2 * H), [240, 91]);
    }

    #[test]
    fn negative_timestamps_use_go_division() {
        // Go truncates toward zero: the range holding -1 ends at 0 + 2h, not at 0.
        assert_eq!(range_end(-1, 2 * H), 2 * H);
        assert_eq!(lens(&[-2_000, -1_000, 1_000], 2 * H), [3]);
    }

    #[test]
    fn empty_and_single() {
        assert!(chunk_bounds(&[], 2 * H).is_empty());
        assert_eq!(lens(&[5], 2 * H), [1]);
    }
}

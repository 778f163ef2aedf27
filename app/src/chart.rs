//! An answer as something to draw; the canvas itself is `ui::canvas`.
//!
//! - [`axis`]: ticks and labels: round values with SI, binary or duration prefixes; round instants.
//! - [`plot`]: a range-query matrix as lines (stacked, log, from zero), bounds, hover look-ups, drag zoom.
//! - [`legend`]: which series a legend click shows.
//! - [`heatmap`]: classic histogram buckets as per-bucket counts over time.

pub mod axis;
pub mod heatmap;
pub mod legend;
pub mod plot;

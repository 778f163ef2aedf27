//! An answer as something to draw; the canvas itself is `ui::canvas`.
//!
//! - [`plot`]: a range-query matrix as lines (stacked, log, from zero), bounds, hover look-ups, drag zoom.
//! - [`legend`]: which series a legend click shows.
//! - [`heatmap`]: classic histogram buckets as per-bucket counts over time.

pub mod heatmap;
pub mod legend;
pub mod plot;

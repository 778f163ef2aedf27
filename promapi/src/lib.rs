//! JSON types of the Prometheus HTTP API (`/api/v1/*`) and the parameters the Thanos Querier adds.
//!
//! Only `serde` is a dependency, so the wasm console and the native ruler agree on one definition.
//!
//! # Layout
//! - [`envelope`]: the `{"status", "data", "errorType", "error", "warnings"}` wrapper of every response.
//! - [`query`]: `/api/v1/query` and `/api/v1/query_range` results (vector, matrix, scalar, string).
//! - [`duration`]: Prometheus durations (`1h30m`), for API parameters and rule files.
//! - [`rules`]: `/api/v1/rules` and `/api/v1/alerts`.
//! - [`stores`]: the Thanos Querier's `/api/v1/stores`.
//! - [`analysis`]: the Thanos engine's `analysis` and explain trees.
//! - [`time`]: UTC calendar arithmetic and RFC 3339 for unix milliseconds.
//! - [`params`]: request parameters, including Thanos' `dedup`, `partial_response`, `replicaLabels[]`,
//!   `max_source_resolution` and `engine`, as form pairs.
//!
//! Reference: <https://prometheus.io/docs/prometheus/latest/querying/api/> and the Thanos Query API
//! (`pkg/api/query/v1.go`), summarised in `promapi/THANOS-API.md`.

pub mod analysis;
pub mod duration;
pub mod envelope;
pub mod params;
pub mod query;
pub mod rules;
pub mod stores;
pub mod time;

pub use duration::{format_duration, parse_duration};
pub use envelope::{ApiResponse, ErrorType, Status};
pub use params::{Engine, InstantQuery, RangeQuery, ThanosParams};
pub use query::{InstantSample, Labels, QueryData, RangeSeries, SamplePair};

//! `ruler run`: the wiring of the parts and their ordered shutdown ([`run()`]), the per-group
//! scheduler ([`scheduler`]), the loops beside it ([`housekeeping`]), the rule-file watcher
//! ([`watch`]), its clock ([`clock`]) and the settings gathered from the flags ([`RunConfig`]).

pub mod clock;
pub mod housekeeping;
mod run;
pub mod scheduler;
mod settings;
pub mod watch;

pub use run::{run, Listeners, RunError, QUEUE_CAPACITY};
pub use settings::{GrpcConfig, RunConfig};

//! The command line: `ruler run`'s flags and command ([`run`], [`flags`]), `ruler backfill`'s
//! ([`backfill`]) and `ruler check rules` ([`check`]).

pub mod backfill;
pub mod check;
pub mod flags;
pub mod run;

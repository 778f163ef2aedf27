//! The command line: `ruler run`'s flags and command ([`run`], [`flags`]) and `ruler check rules`
//! ([`check`]). `ruler backfill`'s arguments live with it in [`crate::backfill`].

pub mod check;
pub mod flags;
pub mod run;

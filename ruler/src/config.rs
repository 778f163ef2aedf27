//! Rule configuration: the rule-file format ([`rulefmt`]) and loading `--rule-file` globs into the
//! groups the scheduler runs ([`load_groups`]).

mod load;
pub mod rulefmt;

pub use load::{load_groups, rule_paths, LoadError};

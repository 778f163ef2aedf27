//! Rule files from `--rule-file` globs to the groups the scheduler runs.

use std::path::PathBuf;

use crate::config::rulefmt::{self, Problem};
use crate::rules::group::{Defaults, Group};

/// Why the rule files cannot be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("--rule-file {pattern}: {source}")]
    Pattern { pattern: String, source: glob::PatternError },
    /// Every problem of every file, each naming file:line.
    #[error("invalid rule files:\n{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Invalid(Vec<Problem>),
}

/// The files the `--rule-file` globs match now, each once, in the order given.
pub fn rule_paths(patterns: &[String]) -> Result<Vec<PathBuf>, LoadError> {
    let mut files = Vec::new();
    for p in patterns {
        let matches = glob::glob(p).map_err(|source| LoadError::Pattern { pattern: p.clone(), source })?;
        let matches: Vec<PathBuf> = matches.filter_map(Result::ok).collect();
        for m in matches {
            if !files.contains(&m) {
                files.push(m);
            }
        }
    }
    Ok(files)
}

/// Expands the `--rule-file` globs (files named twice are read once) and loads every group.
pub fn load_groups(patterns: &[String], defaults: &Defaults) -> Result<Vec<Group>, LoadError> {
    let files = rule_paths(patterns)?;
    let mut groups = Vec::new();
    let mut problems = Vec::new();
    for f in &files {
        match rulefmt::load(f) {
            Ok(file) => groups.extend(file.groups.iter().map(|g| Group::new(f, g, defaults))),
            Err(p) => problems.extend(p),
        }
    }
    if !problems.is_empty() {
        return Err(LoadError::Invalid(problems));
    }
    Ok(groups)
}

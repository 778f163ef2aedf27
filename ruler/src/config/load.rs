//! Rule files from `--rule-file` globs to the groups the scheduler runs.

use std::path::PathBuf;

use anyhow::{bail, Context};

use crate::config::rulefmt;
use crate::rules::group::{Defaults, Group};

/// Expands the `--rule-file` globs (files named twice are read once) and loads every group.
pub fn load_groups(patterns: &[String], defaults: &Defaults) -> anyhow::Result<Vec<Group>> {
    let mut files = Vec::new();
    for p in patterns {
        let matches: Vec<PathBuf> =
            glob::glob(p).with_context(|| format!("--rule-file {p}"))?.filter_map(Result::ok).collect();
        for m in matches {
            if !files.contains(&m) {
                files.push(m);
            }
        }
    }
    let mut groups = Vec::new();
    let mut problems = Vec::new();
    for f in &files {
        match rulefmt::load(f) {
            Ok(file) => groups.extend(file.groups.iter().map(|g| Group::new(f, g, defaults))),
            Err(p) => problems.extend(p.into_iter().map(|p| p.to_string())),
        }
    }
    if !problems.is_empty() {
        bail!("invalid rule files:\n{}", problems.join("\n"));
    }
    Ok(groups)
}

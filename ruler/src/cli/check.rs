//! `ruler check rules FILE…`: validates rule files as `promtool check rules` does (plus Thanos'
//! `partial_response_strategy`), reporting every problem with file:line, group and rule.

use std::io::Write;
use std::path::PathBuf;

use crate::config::rulefmt;

/// Checks `files`, writing a promtool-style report to `out`. Returns whether all files are valid.
pub fn check_rules(files: &[PathBuf], out: &mut dyn Write) -> std::io::Result<bool> {
    let mut ok = true;
    for file in files {
        writeln!(out, "Checking {}", file.display())?;
        match rulefmt::load(file) {
            Ok(f) => {
                let rules: usize = f.groups.iter().map(|g| g.rules.len()).sum();
                writeln!(out, "  SUCCESS: {rules} rules found")?;
            }
            Err(problems) => {
                ok = false;
                writeln!(out, "  FAILED:")?;
                for p in problems {
                    writeln!(out, "{p}")?;
                }
            }
        }
        writeln!(out)?;
    }
    Ok(ok)
}

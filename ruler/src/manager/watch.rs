//! Rule files watched: the `--rule-file` globs are expanded and their files stat'ed every interval.
//! A change is reported once the files have stayed the same for one more interval, so an editor's
//! partial writes or a ConfigMap's symlink swap are loaded whole.

use std::path::PathBuf;
use std::time::Duration;

use tokio::sync::mpsc;

use crate::config::rule_paths;
use crate::stamp::Stamp;

/// What the globs match and how those files look; a file added, removed or rewritten changes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot(Vec<PathBuf>, Stamp);

impl Snapshot {
    /// The files now; a bad pattern is reported by the reload it would trigger, not here.
    pub fn take(patterns: &[String]) -> Snapshot {
        let paths = rule_paths(patterns).unwrap_or_default();
        let stamp = Stamp::of(&paths);
        Snapshot(paths, stamp)
    }
}

/// Debounces snapshots: a change counts once the next snapshot agrees with it.
#[derive(Debug)]
pub struct Settle {
    loaded: Snapshot,
    seen: Snapshot,
}

impl Settle {
    pub fn new(loaded: Snapshot) -> Settle {
        Settle { seen: loaded.clone(), loaded }
    }

    /// True when `now` is a change that has settled: it is then taken as loaded (a reload that
    /// fails is not retried until the files change again).
    pub fn observe(&mut self, now: Snapshot) -> bool {
        if now != self.seen {
            self.seen = now;
            return false;
        }
        if now == self.loaded {
            return false;
        }
        self.loaded = now;
        true
    }
}

/// Sends on `changed` each time the rule files have changed and settled; ends when the receiver goes.
pub async fn watch(patterns: Vec<String>, every: Duration, changed: mpsc::Sender<()>) {
    let mut settle = Settle::new(Snapshot::take(&patterns));
    loop {
        tokio::time::sleep(every).await;
        let now = {
            let patterns = patterns.clone();
            // Globs and stats touch the disk: off the runtime's threads.
            match tokio::task::spawn_blocking(move || Snapshot::take(&patterns)).await {
                Ok(s) => s,
                Err(_) => continue,
            }
        };
        if settle.observe(now) {
            tracing::info!("rule files changed: reloading");
            if changed.send(()).await.is_err() {
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_counts_once_it_has_held_for_one_look() {
        let dir = tempfile::tempdir().unwrap();
        let patterns = vec![dir.path().join("*.yaml").display().to_string()];
        let a = dir.path().join("a.yaml");
        std::fs::write(&a, "groups: []\n").unwrap();
        let mut settle = Settle::new(Snapshot::take(&patterns));
        assert!(!settle.observe(Snapshot::take(&patterns)), "nothing changed");

        std::fs::write(&a, "groups: [] # edited\n").unwrap();
        assert!(!settle.observe(Snapshot::take(&patterns)), "just changed: wait");
        assert!(settle.observe(Snapshot::take(&patterns)), "held: load");
        assert!(!settle.observe(Snapshot::take(&patterns)), "loaded once");

        // Still being written: each look differs, so nothing is loaded until it stops.
        std::fs::write(&a, "groups:\n").unwrap();
        assert!(!settle.observe(Snapshot::take(&patterns)));
        std::fs::write(&a, "groups:\n  - name: g\n").unwrap();
        assert!(!settle.observe(Snapshot::take(&patterns)));
        assert!(settle.observe(Snapshot::take(&patterns)));

        // A new file matching the glob, and one removed.
        std::fs::write(dir.path().join("b.yaml"), "groups: []\n").unwrap();
        settle.observe(Snapshot::take(&patterns));
        assert!(settle.observe(Snapshot::take(&patterns)), "added");
        std::fs::remove_file(&a).unwrap();
        settle.observe(Snapshot::take(&patterns));
        assert!(settle.observe(Snapshot::take(&patterns)), "removed");
    }

    #[test]
    fn a_configmap_symlink_swap_is_a_change() {
        // Kubernetes: rules.yaml -> ..data/rules.yaml, ..data -> ..<timestamp>; an update writes a
        // new timestamped directory and swaps ..data.
        let dir = tempfile::tempdir().unwrap();
        let mount = dir.path();
        let (one, two) = (mount.join("..2026_12_07_1"), mount.join("..2026_12_07_2"));
        std::fs::create_dir(&one).unwrap();
        std::fs::create_dir(&two).unwrap();
        std::fs::write(one.join("rules.yaml"), "groups: []\n").unwrap();
        std::fs::write(two.join("rules.yaml"), "groups: [] # two\n").unwrap();
        std::os::unix::fs::symlink(&one, mount.join("..data")).unwrap();
        std::os::unix::fs::symlink("..data/rules.yaml", mount.join("rules.yaml")).unwrap();
        let patterns = vec![mount.join("*.yaml").display().to_string()];
        let before = Snapshot::take(&patterns);
        assert_eq!(before.0.len(), 1, "the glob skips the hidden directories: {:?}", before.0);

        let tmp = mount.join("..data_tmp");
        std::os::unix::fs::symlink(&two, &tmp).unwrap();
        std::fs::rename(&tmp, mount.join("..data")).unwrap();
        assert_ne!(Snapshot::take(&patterns), before);
    }
}

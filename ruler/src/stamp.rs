//! What a set of files looks like now (modification time, size and inode, read through symlinks as
//! Kubernetes swaps them): how rotated secrets and edited configuration files are noticed with a
//! `stat` per file, before the request that needs them.

use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::time::SystemTime;

/// Equal stamps: the files have not changed (a missing file is part of the stamp too).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stamp(Vec<Option<(SystemTime, u64, u64)>>);

impl Stamp {
    pub fn of<P: AsRef<Path>>(files: impl IntoIterator<Item = P>) -> Stamp {
        Stamp(
            files
                .into_iter()
                .map(|p| {
                    let m = std::fs::metadata(p.as_ref()).ok()?;
                    Some((m.modified().ok()?, m.len(), m.ino()))
                })
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rewrite_a_removal_and_a_symlink_swap_change_the_stamp() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b, link) = (dir.path().join("a"), dir.path().join("b"), dir.path().join("link"));
        std::fs::write(&a, "one").unwrap();
        std::fs::write(&b, "three").unwrap();
        std::os::unix::fs::symlink(&a, &link).unwrap();
        let first = Stamp::of([&link]);
        assert_eq!(Stamp::of([&link]), first);
        std::fs::remove_file(&link).unwrap();
        assert_ne!(Stamp::of([&link]), first, "gone");
        std::os::unix::fs::symlink(&b, &link).unwrap();
        assert_ne!(Stamp::of([&link]), first, "swapped");
        let swapped = Stamp::of([&link]);
        std::fs::write(&b, "three, longer").unwrap();
        assert_ne!(Stamp::of([&link]), swapped, "rewritten");
    }
}

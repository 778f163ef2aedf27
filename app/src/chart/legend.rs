//! Which series the graph shows, as legend clicks change it: a click shows only that series (or all
//! again, if it already was the only one); Ctrl/⌘-click shows or hides just that one.

/// The visibility after a click on item `i` of `visible`. An index out of range changes nothing.
pub fn click(visible: &[bool], i: usize, toggle: bool) -> Vec<bool> {
    let mut out = visible.to_vec();
    let Some(this) = visible.get(i).copied() else {
        return out;
    };
    if toggle {
        out[i] = !this;
    } else {
        let only_this = this && visible.iter().enumerate().all(|(j, v)| j == i || !v);
        for (j, v) in out.iter_mut().enumerate() {
            *v = only_this || j == i;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_click_isolates_and_a_second_click_shows_all() {
        let all = vec![true; 3];
        let one = click(&all, 1, false);
        assert_eq!(one, vec![false, true, false]);
        assert_eq!(click(&one, 1, false), all);
        assert_eq!(click(&one, 2, false), vec![false, false, true], "another item isolates that one");
    }

    #[test]
    fn ctrl_click_toggles_one() {
        let all = vec![true; 3];
        let two = click(&all, 0, true);
        assert_eq!(two, vec![false, true, true]);
        assert_eq!(click(&two, 0, true), all);
        assert_eq!(click(&[false, true, false], 1, true), vec![false; 3], "all hidden is allowed");
        assert_eq!(click(&[false, false, true], 0, false), vec![true, false, false]);
    }

    #[test]
    fn out_of_range_changes_nothing() {
        assert_eq!(click(&[true, false], 5, false), vec![true, false]);
        assert!(click(&[], 0, true).is_empty());
    }
}

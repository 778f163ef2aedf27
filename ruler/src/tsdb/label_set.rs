//! A label set packed into one string: how reads hold the labels of many series at once (a
//! `BTreeMap<String, String>` costs a node and two strings per label; this costs one allocation).
//!
//! Each name and value is written as its length and then its bytes. Lengths are base-128 digits
//! that are all ASCII, preceded by their count, so the whole is valid UTF-8 and every name and value
//! is a slice of it. Sets order as `Labels` maps do: pair by pair.

use std::cmp::Ordering;
use std::fmt;

use promapi::Labels;

#[derive(Clone, PartialEq, Eq, Hash)]
pub struct LabelSet(Box<str>);

/// The largest length a string may have: five base-128 digits.
const MAX_LEN: usize = (1 << 35) - 1;

fn put_len(out: &mut String, len: usize) {
    assert!(len <= MAX_LEN, "label of {len} bytes");
    let digits = (1..=5).find(|&n| len < 1 << (7 * n)).unwrap_or(5);
    out.push(char::from(digits as u8));
    for i in (0..digits).rev() {
        out.push(char::from(((len >> (7 * i)) & 0x7f) as u8));
    }
}

impl LabelSet {
    /// Packs `pairs`, which must come in name order without repeated names (as a `Labels` map's do).
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> LabelSet {
        let mut out = String::new();
        for (name, value) in pairs {
            put_len(&mut out, name.len());
            out.push_str(name);
            put_len(&mut out, value.len());
            out.push_str(value);
        }
        LabelSet(out.into_boxed_str())
    }

    /// The pairs in name order.
    pub fn pairs(&self) -> Pairs<'_> {
        Pairs { rest: &self.0 }
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs().find(|(n, _)| *n == name).map(|(_, v)| v)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn to_labels(&self) -> Labels {
        super::owned_labels(self.pairs())
    }
}

impl From<&Labels> for LabelSet {
    fn from(labels: &Labels) -> LabelSet {
        LabelSet::from_pairs(labels.iter().map(|(k, v)| (k.as_str(), v.as_str())))
    }
}

impl Ord for LabelSet {
    fn cmp(&self, other: &LabelSet) -> Ordering {
        self.pairs().cmp(other.pairs())
    }
}

impl PartialOrd for LabelSet {
    fn partial_cmp(&self, other: &LabelSet) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Debug for LabelSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.pairs()).finish()
    }
}

/// The pairs of a [`LabelSet`].
#[derive(Clone)]
pub struct Pairs<'a> {
    rest: &'a str,
}

impl<'a> Pairs<'a> {
    fn string(&mut self) -> Option<&'a str> {
        let bytes = self.rest.as_bytes();
        let digits = usize::from(*bytes.first()?);
        let len = bytes.get(1..=digits)?.iter().fold(0usize, |n, &d| n << 7 | usize::from(d));
        let s = self.rest.get(1 + digits..1 + digits + len)?;
        self.rest = &self.rest[1 + digits + len..];
        Some(s)
    }
}

impl<'a> Iterator for Pairs<'a> {
    type Item = (&'a str, &'a str);

    fn next(&mut self) -> Option<(&'a str, &'a str)> {
        Some((self.string()?, self.string()?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn packs_and_unpacks_any_strings_in_map_order() {
        let long = "v".repeat(300);
        let sets = [
            labels(&[]),
            labels(&[("a", "")]),
            labels(&[("a", "1")]),
            labels(&[("a", "1"), ("b", "2")]),
            labels(&[("a", "1\0"), ("b", "2")]),
            labels(&[("a", "10")]),
            labels(&[("ab", "1")]),
            labels(&[("__name__", "日本\"\\\n"), ("x", &long)]),
            labels(&[("b", "\u{7f}\u{80}")]),
        ];
        for a in &sets {
            let packed = LabelSet::from(a);
            assert_eq!(&packed.to_labels(), a);
            assert_eq!(packed.get("x"), a.get("x").map(String::as_str));
            for b in &sets {
                assert_eq!(packed.cmp(&LabelSet::from(b)), a.cmp(b), "{a:?} {b:?}");
                assert_eq!(packed == LabelSet::from(b), a == b);
            }
        }
        assert_eq!(format!("{:?}", LabelSet::from(&sets[3])), r#"{"a": "1", "b": "2"}"#);
    }

    #[test]
    fn lengths_take_as_many_digits_as_they_need() {
        for len in [0, 1, 127, 128, 16_383, 16_384, 1 << 21] {
            let v = "x".repeat(len);
            let set = LabelSet::from_pairs([("n", v.as_str())]);
            assert_eq!(set.pairs().collect::<Vec<_>>(), [("n", v.as_str())], "{len}");
        }
    }
}

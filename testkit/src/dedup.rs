//! Thanos' penalty deduplication of two or more replicas of one series, written from its documented
//! behaviour (`pkg/dedup/iter.go`, described in `promapi/THANOS-API.md` §7) for the
//! fixture querier. Not Thanos' code.
//!
//! The merged series follows one replica and switches to another only when the one in use has a gap
//! of more than about two of its scrape intervals: after emitting a sample at `t`, the replica not in
//! use must jump ahead by twice the interval just observed (a "penalty"); its samples inside that
//! window are skipped.

/// Penalty before the first interval is known (ms).
const INITIAL_PENALTY: i64 = 5000;

/// Merges replicas pairwise, as Thanos does for more than two: `dedup(dedup(r0, r1), r2)…`.
pub fn dedup(replicas: &[Vec<(i64, f64)>]) -> Vec<(i64, f64)> {
    let mut it = replicas.iter();
    let Some(first) = it.next() else { return vec![] };
    it.fold(first.clone(), |acc, r| dedup_pair(&acc, r))
}

/// Merges two replicas (`a` wins ties).
pub fn dedup_pair(a: &[(i64, f64)], b: &[(i64, f64)]) -> Vec<(i64, f64)> {
    let (mut ia, mut ib) = (0usize, 0usize);
    let (mut pen_a, mut pen_b) = (0i64, 0i64);
    let mut last_t: Option<i64> = None;
    let mut out = Vec::with_capacity(a.len().max(b.len()));
    loop {
        // Each replica skips to its first sample at or after last_t + 1 + its penalty.
        if let Some(lt) = last_t {
            while ia < a.len() && a[ia].0 < lt + 1 + pen_a {
                ia += 1;
            }
            while ib < b.len() && b[ib].0 < lt + 1 + pen_b {
                ib += 1;
            }
        }
        let (sa, sb) = (a.get(ia).copied(), b.get(ib).copied());
        let (pick, use_a) = match (sa, sb) {
            (None, None) => break,
            (Some(s), None) => (s, true),
            (None, Some(s)) => (s, false),
            (Some(x), Some(y)) => {
                if x.0 <= y.0 {
                    (x, true)
                } else {
                    (y, false)
                }
            }
        };
        let penalty = match last_t {
            None => INITIAL_PENALTY,
            Some(lt) => 2 * (pick.0 - lt),
        };
        if use_a {
            pen_b = if sb.is_some() { penalty } else { 0 };
            pen_a = 0;
            ia += 1;
        } else {
            pen_a = if sa.is_some() { penalty } else { 0 };
            pen_b = 0;
            ib += 1;
        }
        last_t = Some(pick.0);
        out.push(pick);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(points: &[(i64, f64)]) -> Vec<(i64, f64)> {
        points.to_vec()
    }

    // Vectors from Thanos' TestDedupSeriesIterator (see the research note).
    #[test]
    fn thanos_test_vectors() {
        type Points = Vec<(i64, f64)>;
        let cases: Vec<(Points, Points, Points)> = vec![
            (
                s(&[(10000, 10.), (20000, 11.), (30000, 12.), (40000, 13.)]),
                s(&[(10000, 20.), (20000, 21.), (30000, 22.), (40000, 23.)]),
                s(&[(10000, 10.), (20000, 11.), (30000, 12.), (40000, 13.)]),
            ),
            (
                s(&[(10100, 1.), (20100, 1.), (30100, 1.), (40100, 1.)]),
                s(&[(10000, 2.), (20000, 2.), (30000, 2.), (40000, 2.)]),
                s(&[(10000, 2.), (20000, 2.), (30000, 2.), (40000, 2.)]),
            ),
            (
                s(&[(10000, 1.), (20000, 1.), (40000, 1.)]),
                s(&[(10000, 2.), (20000, 2.), (30000, 2.), (40000, 2.)]),
                s(&[(10000, 1.), (20000, 1.), (40000, 1.)]),
            ),
            (
                s(&[(10000, 1.), (20000, 1.), (40000, 1.)]),
                s(&[(15000, 2.), (25000, 2.), (35000, 2.), (45000, 2.)]),
                s(&[(10000, 1.), (20000, 1.), (40000, 1.)]),
            ),
            (
                s(&[(10000, 1.), (20000, 1.), (30000, 1.), (60000, 1.), (70000, 1.)]),
                s(&[(10100, 2.), (20100, 2.), (30100, 2.), (40100, 2.), (50100, 2.), (60100, 2.)]),
                s(&[(10000, 1.), (20000, 1.), (30000, 1.), (50100, 2.), (60100, 2.)]),
            ),
        ];
        for (i, (a, b, want)) in cases.into_iter().enumerate() {
            assert_eq!(dedup_pair(&a, &b), want, "case {i}");
        }
    }

    #[test]
    fn one_replica_passes_through_and_none_is_empty() {
        let a = s(&[(1, 1.), (2, 2.)]);
        assert_eq!(dedup(std::slice::from_ref(&a)), a);
        assert!(dedup(&[]).is_empty());
    }
}

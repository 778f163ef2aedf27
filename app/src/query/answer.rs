//! A range answer decoded a few series at a time, so that the page can handle input between slices:
//! one JSON parse of a million points holds the main thread for a third of a second.
//!
//! The envelope is read first with `result` split into its series' raw JSON (one pass that only
//! checks the syntax), and each series is then decoded on demand.

use promapi::{ApiResponse, QueryData, RangeSeries, Status};
use serde::Deserialize;
use serde_json::value::RawValue;

/// `data` with the elements of its `result` not decoded yet.
#[derive(Deserialize)]
struct RawData<'a> {
    #[serde(rename = "resultType")]
    result_type: String,
    #[serde(borrow)]
    result: Vec<&'a RawValue>,
}

/// A successful matrix answer whose series are decoded by [`step`](Self::step).
pub struct MatrixAnswer<'a> {
    envelope: ApiResponse<QueryData>,
    pending: std::vec::IntoIter<&'a RawValue>,
    series: Vec<RangeSeries>,
}

impl<'a> MatrixAnswer<'a> {
    /// Splits `body`; `None` unless it is a successful matrix answer (the caller decodes anything
    /// else, errors included, in one go).
    pub fn split(body: &'a [u8]) -> Option<Self> {
        let ApiResponse { status, data, error_type, error, warnings, infos } =
            serde_json::from_slice::<ApiResponse<RawData<'a>>>(body).ok()?;
        let pending = data.filter(|d| status == Status::Success && d.result_type == "matrix")?.result;
        let envelope = ApiResponse { status, data: None, error_type, error, warnings, infos };
        let series = Vec::with_capacity(pending.len());
        Some(MatrixAnswer { envelope, pending: pending.into_iter(), series })
    }

    /// Decodes up to `n` more series: `Ok(true)` once all are in.
    pub fn step(&mut self, n: usize) -> Result<bool, serde_json::Error> {
        for raw in self.pending.by_ref().take(n) {
            self.series.push(serde_json::from_str(raw.get())?);
        }
        Ok(self.pending.len() == 0)
    }

    /// The answer, with the series decoded so far (all of them once [`step`](Self::step) said so).
    pub fn finish(self) -> ApiResponse<QueryData> {
        ApiResponse { data: Some(QueryData::Matrix(self.series)), ..self.envelope }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const MATRIX: &str = r#"{"status":"success","data":{"resultType":"matrix","result":[
        {"metric":{"__name__":"up","job":"a\"b"},"values":[[1700000000.123,"1"],[1700000015,"NaN"]]},
        {"metric":{},"values":[]},
        {"metric":{"i":"3"},"values":[[1,"+Inf"]]}],"stats":{"x":1}},"warnings":["store x failed"],"infos":["i"]}"#;

    fn whole(body: &str) -> ApiResponse<QueryData> {
        serde_json::from_str(body).unwrap()
    }

    #[test]
    fn slices_add_up_to_the_whole_answer() {
        let mut m = MatrixAnswer::split(MATRIX.as_bytes()).unwrap();
        assert!(!m.step(2).unwrap());
        assert!(m.step(2).unwrap());
        assert_eq!(m.finish(), whole(MATRIX));
    }

    #[test]
    fn anything_but_a_successful_matrix_is_left_to_a_whole_decode() {
        for body in [
            r#"{"status":"success","data":{"resultType":"vector","result":[]}}"#,
            r#"{"status":"error","errorType":"bad_data","error":"parse error"}"#,
            r#"{"status":"error","data":{"resultType":"matrix","result":[]},"error":"odd"}"#,
            r#"{"status":"success","data":{"resultType":"matrix","result":{}}}"#,
            "<html>502 Bad Gateway</html>",
            "",
        ] {
            assert!(MatrixAnswer::split(body.as_bytes()).is_none(), "{body}");
        }
    }

    #[test]
    fn a_malformed_series_is_an_error_when_its_slice_comes() {
        let body = r#"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[]},{"metric":3}]}}"#;
        let mut m = MatrixAnswer::split(body.as_bytes()).unwrap();
        assert!(!m.step(1).unwrap());
        assert!(m.step(1).is_err());
    }

    proptest! {
        #[test]
        fn any_body_splits_or_not_without_panicking(body in proptest::collection::vec(any::<u8>(), 0..200)) {
            if let Some(mut m) = MatrixAnswer::split(&body) {
                let _ = m.step(usize::MAX);
            }
        }

        /// A real answer cut short or with a byte changed: no panic, and when the slices decode,
        /// they give what one whole decode gives.
        #[test]
        fn damaged_answers_agree_with_a_whole_decode(at in 0..MATRIX.len(), byte in any::<u8>(), cut in any::<bool>()) {
            let mut body = MATRIX.as_bytes().to_vec();
            if cut { body.truncate(at) } else { body[at] = byte }
            let Some(mut m) = MatrixAnswer::split(&body) else { return Ok(()) };
            if m.step(usize::MAX).is_ok() {
                let whole: Result<ApiResponse<QueryData>, _> = serde_json::from_slice(&body);
                prop_assert_eq!(Some(m.finish()), whole.ok());
            }
        }
    }
}

//! The response envelope shared by every endpoint.

use serde::{Deserialize, Serialize};

/// `status` of a response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Success,
    Error,
}

/// `errorType` of a failed response. Unknown kinds are kept verbatim.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorType {
    Timeout,
    Canceled,
    Execution,
    BadData,
    Internal,
    Unavailable,
    NotFound,
    #[serde(untagged)]
    Other(String),
}

impl std::fmt::Display for ErrorType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = match self {
            ErrorType::Timeout => "timeout",
            ErrorType::Canceled => "canceled",
            ErrorType::Execution => "execution",
            ErrorType::BadData => "bad_data",
            ErrorType::Internal => "internal",
            ErrorType::Unavailable => "unavailable",
            ErrorType::NotFound => "not_found",
            ErrorType::Other(s) => s,
        };
        f.write_str(s)
    }
}

/// `{"status": …, "data": …, "errorType": …, "error": …, "warnings": […], "infos": […]}`.
///
/// Thanos has no `infos`: it folds PromQL annotations into `warnings` with a `PromQL info:` or
/// `PromQL warning:` prefix.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiResponse<T> {
    pub status: Status,
    #[serde(default = "Option::default", skip_serializing_if = "Option::is_none")]
    pub data: Option<T>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_type: Option<ErrorType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub infos: Vec<String>,
}

impl<T> ApiResponse<T> {
    /// A successful response carrying `data`.
    pub fn success(data: T) -> Self {
        ApiResponse {
            status: Status::Success,
            data: Some(data),
            error_type: None,
            error: None,
            warnings: vec![],
            infos: vec![],
        }
    }

    /// A failed response in the Prometheus error shape.
    pub fn error(error_type: ErrorType, error: impl Into<String>) -> Self {
        ApiResponse {
            status: Status::Error,
            data: None,
            error_type: Some(error_type),
            error: Some(error.into()),
            warnings: vec![],
            infos: vec![],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_prometheus_error_shape() {
        let body = r#"{"status":"error","errorType":"bad_data","error":"1:5: parse error: unexpected end of input"}"#;
        let r: ApiResponse<serde_json::Value> = serde_json::from_str(body).unwrap();
        assert_eq!(r.status, Status::Error);
        assert_eq!(r.error_type, Some(ErrorType::BadData));
        assert_eq!(r.error.as_deref(), Some("1:5: parse error: unexpected end of input"));
        assert!(r.data.is_none());
    }

    #[test]
    fn unknown_error_type_is_kept() {
        let body = r#"{"status":"error","errorType":"weird","error":"x"}"#;
        let r: ApiResponse<serde_json::Value> = serde_json::from_str(body).unwrap();
        assert_eq!(r.error_type, Some(ErrorType::Other("weird".into())));
        assert_eq!(r.error_type.unwrap().to_string(), "weird");
    }

    #[test]
    fn error_round_trips_through_json() {
        let r: ApiResponse<()> = ApiResponse::error(ErrorType::Execution, "boom");
        let s = serde_json::to_string(&r).unwrap();
        assert_eq!(s, r#"{"status":"error","errorType":"execution","error":"boom"}"#);
    }
}

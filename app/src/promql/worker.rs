//! PromQL checking, run inside the parser worker, and the messages to and from it.
//!
//! promql-parser brings a full regex engine (most of the console's weight), so it lives in its own
//! wasm module in a Web Worker: the first screen loads without it, and parsing stays off the main
//! thread. Messages are JSON strings.

use serde::{Deserialize, Serialize};

use super::explain::{self, ExprNode};

/// What the worker posts once it can take requests; messages sent before would be lost.
pub const READY: &str = r#"{"ready":true}"#;

/// Main thread → worker: check `expr`, or format it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckRequest {
    pub id: u32,
    pub expr: String,
    /// Also return the formatted text (absent in older messages: just check).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub format: bool,
    /// Also return the expression's tree ([`explain`]).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub explain: bool,
}

/// Worker → main thread: the verdict on request `id`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckReply {
    pub id: u32,
    /// The parse error, or `None` if the expression is valid PromQL.
    pub error: Option<String>,
    /// The formatted expression, for a format request on valid PromQL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub formatted: Option<String>,
    /// The tree, for an explain request on valid PromQL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tree: Option<ExprNode>,
}

/// Parses `expr`; the error is promql-parser's message.
pub fn check(expr: &str) -> Result<(), String> {
    promql_parser::parser::parse(expr).map(|_| ())
}

/// Parses `expr` and prints it back in promql-parser's layout (`Expr::prettify`).
pub fn format(expr: &str) -> Result<String, String> {
    promql_parser::parser::parse(expr).map(|e| e.prettify())
}

/// The worker's answer to one message. Malformed requests get no answer (`None`).
pub fn answer(message: &str) -> Option<String> {
    let req: CheckRequest = serde_json::from_str(message).ok()?;
    let empty = CheckReply { id: req.id, error: None, formatted: None, tree: None };
    let reply = if req.explain {
        match explain::explain(&req.expr) {
            Ok(tree) => CheckReply { tree: Some(tree), ..empty },
            Err(e) => CheckReply { error: Some(e), ..empty },
        }
    } else if req.format {
        match format(&req.expr) {
            Ok(text) => CheckReply { formatted: Some(text), ..empty },
            Err(e) => CheckReply { error: Some(e), ..empty },
        }
    } else {
        CheckReply { error: check(&req.expr).err(), ..empty }
    };
    serde_json::to_string(&reply).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_and_invalid_expressions() {
        assert_eq!(check("sum by (job) (rate(http_requests_total{code=~\"5..\"}[5m]))"), Ok(()));
        assert!(check("sum(rate(x[5m])").is_err());
        assert!(check("up{").is_err());
        assert!(check("").is_err());
    }

    #[test]
    fn worker_protocol_round_trip() {
        let reply = answer(r#"{"id":7,"expr":"up"}"#).unwrap();
        assert_eq!(
            serde_json::from_str::<CheckReply>(&reply).unwrap(),
            CheckReply { id: 7, error: None, formatted: None, tree: None }
        );
        let reply: CheckReply = serde_json::from_str(&answer(r#"{"id":8,"expr":"up{"}"#).unwrap()).unwrap();
        assert_eq!(reply.id, 8);
        assert!(reply.error.is_some());
        assert_eq!(answer("garbage"), None);
        let reply: CheckReply =
            serde_json::from_str(&answer(r#"{"id":9,"expr":"sum by(job)(up)","format":true}"#).unwrap())
                .unwrap();
        assert_eq!(
            reply,
            CheckReply { id: 9, error: None, formatted: Some("sum by (job) (up)".into()), tree: None }
        );
        let reply: CheckReply =
            serde_json::from_str(&answer(r#"{"id":11,"expr":"sum(up)","explain":true}"#).unwrap()).unwrap();
        assert_eq!(reply.tree.map(|t| t.children.len()), Some(1));
        let reply: CheckReply =
            serde_json::from_str(&answer(r#"{"id":10,"expr":"up{","format":true}"#).unwrap()).unwrap();
        assert!(reply.error.is_some() && reply.formatted.is_none());
        assert_eq!(answer(READY), None);
    }
}

//! One panel's query, from the URL to the decoded answer.
//!
//! - [`url_state`]: panel state in the URL, compatible with Thanos UI links (`g0.expr=…&g0.tab=1`).
//! - [`backend`]: whether the API is a Thanos Querier, a Prometheus, or unreachable.
//! - [`request`]: a panel's state as the API request it sends.
//! - [`navigate`]: the graph's zoom-out and ◀ / ▶ steps on the Range and End fields.
//! - [`answer`]: a large range answer decoded a few series at a time.
//! - [`unreadable`]: words for an answer that is not the API's JSON (a proxy's HTML error page).
//! - [`warnings`]: what each entry of `warnings` means (store failure → partial result).
//! - [`clock`]: the browser-versus-server clock warning.

pub mod answer;
pub mod backend;
pub mod clock;
pub mod navigate;
pub mod request;
pub mod unreadable;
pub mod url_state;
pub mod warnings;

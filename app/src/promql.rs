//! PromQL in the editor, from text to colours, completions and explanations.
//!
//! - [`vocabulary`]: functions, aggregations and keywords with signatures and docs.
//! - [`lexer`]: text as tokens with byte spans (never fails, never panics).
//! - [`editor`]: the editor's colours, bracket pairs, error places and mirror pieces.
//! - [`completion`]: the context at the caret and ranked candidates.
//! - [`explain`]: the expression as a tree explained in words (runs in the parser worker).
//! - [`worker`]: the parser worker's checks and messages (promql-parser lives in its own wasm module).

pub mod completion;
pub mod editor;
pub mod explain;
pub mod lexer;
pub mod vocabulary;
pub mod worker;

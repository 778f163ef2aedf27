//! The parser worker's wasm module (Trunk builds it with `data-type="worker"`): answers PromQL checks.

fn main() {
    #[cfg(target_arch = "wasm32")]
    app::ui::parser::run_worker();
}

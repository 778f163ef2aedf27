//! Entry point of the console's wasm module: mounts the app. Native builds have nothing to run.

fn main() {
    #[cfg(target_arch = "wasm32")]
    app::ui::mount();
}

//! Makes sure the UI's asset folder exists before `assets.rs` embeds it:
//! debug builds read it from disk at run time, but only if it existed when
//! the server was compiled. `make site` fills it.

fn main() {
    let site = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/site/pkg");
    if let Err(error) = std::fs::create_dir_all(&site) {
        println!("cargo:warning=could not create {}: {error}", site.display());
    }
    println!("cargo:rerun-if-changed=build.rs");
}

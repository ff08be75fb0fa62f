//! `plume`: the server binary. Everything it does is in the `server`
//! library (`lib.rs`), where the data flow is described.

#[tokio::main]
async fn main() -> std::process::ExitCode {
    server::run().await
}

//! The HTTP listener's accept loop. `axum::serve` sets no timer on its
//! connections, so a client that sends its headers a byte at a time (or
//! nothing at all) holds a socket forever; here every HTTP/1.1 connection
//! gets hyper's header-read timeout, which also closes connections idle
//! between requests for that long. The port speaks HTTP/1.1 only, like
//! Phoenix (gRPC has its own port).
//!
//! Shutdown is graceful: once `shutdown` completes no connection is accepted,
//! idle ones are closed, and requests in progress finish before [`serve`]
//! returns.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{ConnectInfo, Request};
use axum::response::Response;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower::{Service, ServiceExt};

/// The address a request's connection was accepted on (a request extension):
/// a `Host` naming this IP names this server.
#[derive(Clone, Copy, Debug)]
pub struct LocalAddr(pub SocketAddr);

/// Serves `app` on `listener` until `shutdown` completes and every request in
/// progress is answered. Handlers see the peer as `ConnectInfo<SocketAddr>`,
/// and the local end as [`LocalAddr`].
pub async fn serve<S>(listener: TcpListener, app: S, header_read_timeout: Duration, shutdown: impl Future<Output = ()>)
where
    S: Service<Request<Body>, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    let mut builder = http1::Builder::new();
    builder.timer(TokioTimer::new()).header_read_timeout(header_read_timeout);
    // Connections wait for `stopping` to be dropped (shutdown); `serve` then
    // waits until every connection has dropped its clone of `done`.
    let (stop, stopping) = watch::channel(());
    let (all_done, done) = watch::channel(());
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    accept_failed(&error).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let local = stream.local_addr().ok().map(LocalAddr);
        let service = app.clone().map_request(move |request: hyper::Request<Incoming>| {
            let mut request = request.map(Body::new);
            request.extensions_mut().insert(ConnectInfo(peer));
            if let Some(local) = local {
                request.extensions_mut().insert(local);
            }
            request
        });
        let connection = builder.serve_connection(TokioIo::new(stream), TowerToHyperService::new(service));
        let (stop, done) = (stop.clone(), done.clone());
        tokio::spawn(async move {
            let _done = done;
            let mut connection = std::pin::pin!(connection);
            tokio::select! {
                result = connection.as_mut() => return log_end(result, peer),
                () = stop.closed() => connection.as_mut().graceful_shutdown(),
            }
            log_end(connection.await, peer);
        });
    }
    drop(stopping);
    drop(done);
    all_done.closed().await;
}

fn log_end(result: Result<(), hyper::Error>, peer: SocketAddr) {
    if let Err(error) = result {
        tracing::debug!(%error, %peer, "connection closed");
    }
}

/// Resets by the peer are routine; anything else (out of file descriptors)
/// is logged and waited out briefly instead of spinning.
async fn accept_failed(error: &std::io::Error) {
    use std::io::ErrorKind;
    if matches!(error.kind(), ErrorKind::ConnectionAborted | ErrorKind::ConnectionReset | ErrorKind::Interrupted) {
        return;
    }
    tracing::warn!(%error, "accepting a connection failed");
    tokio::time::sleep(Duration::from_millis(100)).await;
}

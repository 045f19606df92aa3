//! The listener of one simulated API: a manual accept loop (tokio `TcpListener` +
//! tokio-rustls + hyper's `serve_connection` with the axum router as service), so that
//! connection-level behaviour is possible: while the site is "rebooting" a new connection
//! is closed at once and every open one is dropped.

use std::sync::Arc;

use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

use super::state::SiteState;

/// Serve `router` on `listener` until the runtime stops.
pub async fn serve(listener: TcpListener, tls: Arc<rustls::ServerConfig>, router: axum::Router, site: Arc<SiteState>) {
    let acceptor = TlsAcceptor::from(tls);
    loop {
        let Ok((tcp, _)) = listener.accept().await else {
            continue;
        };
        if site.is_down() {
            drop(tcp);
            continue;
        }
        let acceptor = acceptor.clone();
        let router = router.clone();
        let mut epoch = site.epoch.subscribe();
        tokio::spawn(async move {
            let Ok(stream) = acceptor.accept(tcp).await else {
                return;
            };
            let conn = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), TowerToHyperService::new(router));
            tokio::select! {
                _ = conn => {}
                // A reboot: drop the connection without a word.
                _ = epoch.changed() => {}
            }
        });
    }
}

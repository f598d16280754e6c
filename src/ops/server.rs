//! The operations server: three read-only routes, no secrets in them.

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use tokio::sync::watch;

use crate::store::{Store, StoreError, inbox, outbox};

use super::{Health, names, recorder};

#[derive(Debug, thiserror::Error)]
pub enum OpsError {
    #[error("ops.listen {addr}: cannot listen: {source}")]
    Bind {
        addr: String,
        source: std::io::Error,
    },
    #[error("ops server on {addr}: {source}")]
    Serve {
        addr: String,
        source: std::io::Error,
    },
}

#[derive(Clone)]
struct Ops {
    store: Store,
    health: Arc<Health>,
}

/// Listens on `addr` (`ops.listen`), so that a port taken is an error at
/// start-up rather than a silent absence later.
pub async fn listen(addr: &str) -> Result<tokio::net::TcpListener, OpsError> {
    tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| OpsError::Bind {
            addr: addr.to_string(),
            source,
        })
}

/// Serves `/healthz`, `/readyz` and `/metrics` until `shutdown`.
pub async fn serve(
    listener: tokio::net::TcpListener,
    store: Store,
    health: Arc<Health>,
    mut shutdown: watch::Receiver<bool>,
) -> Result<(), OpsError> {
    recorder();
    let addr = listener
        .local_addr()
        .map_or_else(|_| "?".to_string(), |a| a.to_string());
    tracing::info!(%addr, "ops endpoints listening");
    let app = Router::new()
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics_text))
        .with_state(Ops { store, health });
    axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            if shutdown.wait_for(|s| *s).await.is_err() {
                tracing::debug!("ops server: shutdown signal dropped");
            }
        })
        .await
        .map_err(|source| OpsError::Serve { addr, source })
}

async fn readyz(State(ops): State<Ops>) -> (StatusCode, String) {
    let database = match ops.store.ping().await {
        Ok(()) => "ok".to_string(),
        Err(e) => format!("unreachable ({e})"),
    };
    let telegram = if ops.health.telegram_ok() {
        "ok"
    } else {
        "unreachable"
    };
    let ready = database == "ok" && telegram == "ok";
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = format!(
        "{}\ndatabase: {database}\ntelegram: {telegram}\nrole: {}\n",
        if ready { "ready" } else { "not ready" },
        ops.health.role().name()
    );
    (status, body)
}

async fn metrics_text(State(ops): State<Ops>) -> (StatusCode, String) {
    // Set here, from this instance's own view, rather than by the poller:
    // the recorder is the process's, and a test process runs many bots.
    let up = if ops.health.telegram_ok() { 1.0 } else { 0.0 };
    metrics::gauge!(names::TELEGRAM_UP).set(up);
    let polling = if ops.health.role() == super::Role::Poller {
        1.0
    } else {
        0.0
    };
    metrics::gauge!(names::POLLING).set(polling);
    match backlog(&ops.store).await {
        Ok((depth, pending)) => {
            metrics::gauge!(names::INBOX_UNHANDLED).set(depth.unhandled as f64);
            metrics::gauge!(names::INBOX_UNREPLIED).set(depth.unreplied as f64);
            metrics::gauge!(names::INBOX_FAILED).set(depth.failed as f64);
            metrics::gauge!(names::OUTBOX_PENDING).set(pending as f64);
        }
        // The counters are still worth a scrape; the gauges keep their
        // last values and the error is in the log.
        Err(e) => tracing::warn!(error = %e, "metrics: cannot read the backlog"),
    }
    (StatusCode::OK, recorder().render())
}

async fn backlog(store: &Store) -> Result<(inbox::Depth, i64), StoreError> {
    let mut conn = store.conn().await?;
    let depth = inbox::depth(&mut conn).await?;
    let pending = outbox::pending(&mut conn).await?;
    Ok((depth, pending))
}

//! The read-only dashboard on `web.listen` (`duban run`, `duban web`): the
//! battle map, each project, what is late, the posted bulletins and the
//! export workbook, for the holders of a link `/web` signed
//! (`src/service/links.rs`). Pages are rendered by `src/render/page`; this
//! module reads the store, decides who sees what (`access.rs`) and answers
//! HTTP.

mod access;
mod pages;
mod posts;
mod snapshots;

use std::sync::Arc;

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::get;
use tokio::sync::watch;
use tracing::Instrument;

use crate::clock::Clock;
use crate::config::Settings;
use crate::service::links::{self, Signer, SignerError};
use crate::store::{Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum WebError {
    #[error(
        "web.listen {addr}: cannot listen: {source} (set web.listen to another address, or to \"\" to serve no dashboard)"
    )]
    Bind {
        addr: String,
        source: std::io::Error,
    },
    #[error("dashboard on {addr}: {source}")]
    Serve {
        addr: String,
        source: std::io::Error,
    },
    #[error("dashboard: {0}")]
    Signer(#[from] SignerError),
    #[error("dashboard: {0}")]
    Store(#[from] StoreError),
}

/// What every request needs: the store, the settings, the clock (a
/// rehearsal's `--now` or a test's), and the key links are checked with.
#[derive(Clone)]
pub struct Web {
    store: Store,
    settings: Arc<Settings>,
    clock: Arc<dyn Clock>,
    signer: Signer,
    snapshots: Arc<snapshots::Cache>,
}

impl Web {
    /// Reads (or makes, the first time) the signing secret.
    pub async fn new(
        store: Store,
        settings: Arc<Settings>,
        clock: Arc<dyn Clock>,
    ) -> Result<Web, WebError> {
        let signer = links::signer(&mut *store.conn().await?, &settings).await?;
        Ok(Web {
            store,
            settings,
            clock,
            signer,
            snapshots: Arc::default(),
        })
    }
}

/// Listens on `web.listen`, so that a port taken is an error at start-up.
pub async fn listen(addr: std::net::SocketAddr) -> Result<tokio::net::TcpListener, WebError> {
    tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| WebError::Bind {
            addr: addr.to_string(),
            source,
        })
}

pub fn router(web: Web) -> Router {
    Router::new()
        .route("/", get(pages::map))
        .route("/login", get(access::login))
        .route("/logout", get(access::logout))
        .route("/projects/{code}", get(pages::project))
        .route("/late", get(pages::late))
        .route("/posts", get(posts::posts))
        .route("/posts/{job}/{period}", get(posts::post))
        .route("/posts/{job}/{period}/picture.png", get(posts::picture))
        .route("/export.xlsx", get(pages::export))
        .route("/style.css", get(pages::style))
        .fallback(pages::not_found)
        .with_state(web)
        .layer(middleware::from_fn(traced))
        .layer(middleware::map_response(secured))
}

/// Serves the dashboard until `shutdown`.
pub async fn serve(
    listener: tokio::net::TcpListener,
    web: Web,
    mut shutdown: watch::Receiver<bool>,
) -> Result<(), WebError> {
    let addr = listener
        .local_addr()
        .map_or_else(|_| "?".to_string(), |a| a.to_string());
    tracing::info!(%addr, "dashboard listening");
    axum::serve(listener, router(web))
        .with_graceful_shutdown(async move {
            if shutdown.wait_for(|s| *s).await.is_err() {
                tracing::debug!("dashboard: shutdown signal dropped");
            }
        })
        .await
        .map_err(|source| WebError::Serve { addr, source })
}

/// A span a request, with its path only: the query may hold a link's
/// token, which never reaches a log line.
async fn traced(req: Request, next: Next) -> Response {
    let span = tracing::info_span!("request", method = %req.method(), path = %req.uri().path());
    async move {
        let res = next.run(req).await;
        tracing::debug!(status = res.status().as_u16(), "answered");
        res
    }
    .instrument(span)
    .await
}

/// Every answer: no script at all, styles from our own sheet only, never
/// framed, no referrer (a link's token must not leak to where it points),
/// nothing cached (pages are personal).
async fn secured(mut res: Response) -> Response {
    let h = res.headers_mut();
    let set = [
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
        ),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::CACHE_CONTROL, "no-store"),
    ];
    for (name, value) in set {
        h.insert(name, HeaderValue::from_static(value));
    }
    res
}

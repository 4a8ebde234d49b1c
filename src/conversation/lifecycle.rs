//! The service's own life, apart from any conversation: the tasks it owns, the signal
//! that it is shutting down, closing, and whether the database answers (`/readyz`). A view
//! of the conversation service ([`Conversations::lifecycle`]).

use std::future::Future;

use tokio_util::sync::CancellationToken;

use super::Conversations;
use crate::store::{Backend, StoreError};

/// The conversation service's lifecycle, seen from `serve`, the channels and the health
/// routes.
#[derive(Clone, Copy)]
pub struct Lifecycle<'a>(pub(super) &'a Conversations);

impl Conversations {
    pub fn lifecycle(&self) -> Lifecycle<'_> {
        Lifecycle(self)
    }
}

impl Lifecycle<'_> {
    /// Runs `work` on the service's tracker: shutdown waits for it.
    pub fn spawn(&self, work: impl Future<Output = ()> + Send + 'static) {
        self.0.tasks.spawn(work);
    }

    /// Cancelled when the service begins to shut down.
    pub fn shutdown_token(&self) -> CancellationToken {
        self.0.shutdown.clone()
    }

    /// Stops taking work and waits up to `grace` for the answers being written, then
    /// closes the database.
    pub async fn close(&self, grace: std::time::Duration) {
        self.0.shutdown.cancel();
        self.0.tasks.close();
        if tokio::time::timeout(grace, self.0.tasks.wait())
            .await
            .is_err()
        {
            tracing::warn!("shutdown: answers still being written after {grace:?}");
        }
        self.0.store.close().await;
    }

    /// Whether the database answers (for `/readyz`).
    pub async fn database_ready(&self) -> Result<(), StoreError> {
        self.0.store.ping_write().await
    }

    /// Which database it is (`sqlite`, `postgres`).
    pub fn database_backend(&self) -> Backend {
        self.0.store.backend
    }
}

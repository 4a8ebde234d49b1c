//! Live events to the users' open streams: an agent's reply, and the service's notice that
//! a person took the conversation or finished with it, reach the widget at once.
//! On SQLite (one instance) directly; on PostgreSQL through NOTIFY, so that the instance
//! the user is connected to gets it, whichever instance took the reply.

use tokio::sync::broadcast;

use super::{Conversations, Lifecycle};
use crate::domain::{ConversationId, MessageId};
use crate::store::{Backend, StoredMessage};

impl Conversations {
    /// Messages written into conversations by people (agents), as they happen.
    pub fn subscribe(&self) -> broadcast::Receiver<(ConversationId, StoredMessage)> {
        self.events.subscribe()
    }

    /// Sends a stored message to the user's open event streams.
    pub(super) async fn publish(&self, conversation: &ConversationId, message: &StoredMessage) {
        let local = || {
            let _ = self.events.send((conversation.clone(), message.clone()));
        };
        match self.store.backend {
            Backend::Sqlite => local(),
            Backend::Postgres => {
                if let Err(e) = self.store.notify_message(message.id).await {
                    // Still reaches users on this instance; others see it on their next load.
                    tracing::warn!("NOTIFY failed: {e:#}");
                    local();
                }
            }
        }
    }
}

impl Lifecycle<'_> {
    /// On PostgreSQL: LISTENs for messages written and desk events on any instance and hands
    /// them to this instance's event streams, until shutdown.
    pub async fn relay_notifications(&self) {
        if self.0.store.backend != Backend::Postgres {
            return;
        }
        let mut listener = loop {
            match self.0.store.listen().await {
                Ok(l) => break l,
                Err(e) => {
                    tracing::warn!("LISTEN failed, retrying: {e:#}");
                    tokio::select! {
                        _ = self.0.shutdown.cancelled() => return,
                        _ = tokio::time::sleep(std::time::Duration::from_secs(2)) => {}
                    }
                }
            }
        };
        loop {
            let notification = tokio::select! {
                _ = self.0.shutdown.cancelled() => return,
                n = listener.recv() => n,
            };
            match notification {
                Ok(n) if n.channel() == "shikaku_desk" => self.0.relay_desk(n.payload()),
                Ok(n) => {
                    let Ok(id) = n.payload().parse::<i64>().map(MessageId) else {
                        continue;
                    };
                    match self.0.store.message(id).await {
                        Ok(Some((conversation, message))) => {
                            let _ = self.0.events.send((conversation, message));
                        }
                        Ok(None) => {}
                        Err(e) => tracing::warn!("loading notified message {id}: {e:#}"),
                    }
                }
                Err(e) => {
                    tracing::warn!("LISTEN connection: {e:#}");
                    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                }
            }
        }
    }
}

//! LINE Messaging API: the webhook (`POST /channels/line/webhook`) and replies and pushes.
//! The signature is checked before anything else; each event is taken (stored with its
//! `webhookEventId`) before LINE gets its 200, and answered after, in order: with the
//! reply token while it is fresh, pushed otherwise.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

mod events;

use crate::assistant::Channel;
use crate::channels::render::{agent_heading, backoff, label, sources, split, starters};
use crate::channels::{
    Adapter, Incoming, Outbound, Received, Webhook, WebhookError, WebhookRequest, Work,
};
use crate::conversation::{BoxFuture, Conversations};
use crate::copy::{self, Key};
use crate::domain::Language;
use crate::settings::channels::LineConfig;
use events::{Event, HANDOFF_DATA, Message, WebhookBody};

/// LINE's limit on one text message.
const MAX_TEXT: usize = 5000;
/// Messages in one reply or push request.
const MAX_MESSAGES: usize = 5;
/// Quick-reply items on one message, and the length of their labels.
const MAX_QUICK_REPLIES: usize = 13;
const MAX_LABEL: usize = 20;
/// How long the loading animation runs at most (it stops when a message arrives).
const LOADING_SECONDS: u32 = 20;
/// Tries of a push (same retry key: LINE sends it once).
const PUSH_TRIES: u32 = 3;

/// Where LINE posts its events, signed in `x-line-signature`.
pub const WEBHOOK: Webhook = Webhook {
    path: "/channels/line/webhook",
    auth_header: "x-line-signature",
};

pub struct Line {
    config: LineConfig,
    public_url: Option<String>,
    http: reqwest::Client,
}

/// A request LINE refused or that did not reach it.
#[derive(Debug, thiserror::Error)]
enum SendError {
    /// 4xx: retrying will not help (an expired reply token is a 400).
    #[error("LINE refused it: {0} {1}")]
    Refused(reqwest::StatusCode, String),
    #[error("{0}")]
    Failed(String),
}

impl Line {
    pub fn new(config: LineConfig, public_url: Option<String>) -> Result<Line> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .context("LINE: building the HTTP client")?;
        Ok(Line {
            config,
            public_url,
            http,
        })
    }

    /// `x-line-signature` is the Base64 HMAC-SHA256 of the raw body under the channel
    /// secret; compared in constant time.
    fn verify(&self, body: &[u8], signature: Option<&str>) -> bool {
        let Some(signature) = signature else {
            return false;
        };
        let Ok(signature) = base64::engine::general_purpose::STANDARD.decode(signature.trim())
        else {
            return false;
        };
        let Ok(mut mac) =
            Hmac::<Sha256>::new_from_slice(self.config.channel_secret.expose().as_bytes())
        else {
            return false;
        };
        mac.update(body);
        mac.verify_slice(&signature).is_ok()
    }

    /// `POST /channels/line/webhook`: the signature first; then each event is taken, and
    /// answered after the 200.
    async fn receive_events(
        self: Arc<Self>,
        conversations: &Conversations,
        WebhookRequest { auth, body }: WebhookRequest<'_>,
    ) -> Result<(), WebhookError> {
        let received = Instant::now();
        let signature = auth.and_then(|s| std::str::from_utf8(s).ok());
        if !self.verify(body, signature) {
            tracing::warn!("LINE: a webhook request with a missing or wrong signature was refused");
            return Err(WebhookError::Unauthorized(
                "invalid_signature",
                "x-line-signature does not match the body".into(),
            ));
        }
        let payload: WebhookBody = serde_json::from_slice(body).map_err(|e| {
            WebhookError::BadRequest(
                "invalid_json",
                format!("the body is not a LINE webhook: {e}"),
            )
        })?;
        let mut taken = Vec::new();
        let mut failed = None;
        for raw in payload.events {
            let event: Event = match serde_json::from_value(raw) {
                Ok(e) => e,
                Err(e) => {
                    tracing::warn!("LINE: skipping an event that could not be read: {e}");
                    continue;
                }
            };
            match self.take(conversations, &event).await {
                Ok(Some(work)) => taken.push((event, work)),
                Ok(None) => {}
                Err(e) => {
                    // LINE redelivers (when redelivery is on); what was taken is not taken twice.
                    tracing::error!("LINE: storing an event failed: {e:#}");
                    failed = Some(WebhookError::NotStored(
                        "the event could not be stored".into(),
                    ));
                    break;
                }
            }
        }
        if !taken.is_empty() {
            let worker = conversations.clone();
            conversations.lifecycle().spawn(async move {
                self.finish(&worker, taken, received).await;
            });
        }
        failed.map_or(Ok(()), Err)
    }

    /// The durable part of one event; `None`: nothing to send.
    async fn take(&self, conversations: &Conversations, event: &Event) -> Result<Option<Work>> {
        if event.mode.as_deref() == Some("standby") {
            return Ok(None); // another module of the channel is answering
        }
        let Some(chat) = event.chat() else {
            return Ok(None);
        };
        let id = &event.webhook_event_id;
        if crate::text::has_control(id) || crate::text::has_control(chat) {
            // No id of LINE's holds one; storing it would fail (PostgreSQL refuses NUL) and
            // make LINE deliver the whole batch again.
            tracing::warn!("LINE: skipping an event whose ids hold control characters");
            return Ok(None);
        }
        match event.kind.as_str() {
            "message" => match event.message.as_ref() {
                Some(Message {
                    kind,
                    text: Some(text),
                }) if kind == "text" => {
                    crate::channels::take(
                        conversations,
                        Channel::Line,
                        chat,
                        id,
                        &Incoming::Text(text.clone()),
                    )
                    .await
                }
                _ => Ok(conversations
                    .inbox()
                    .owe_notice(Channel::Line, chat, id, copy::ja(Key::NotText), &[])
                    .await?
                    .map(Work::Notice)),
            },
            "postback" => match &event.postback {
                Some(p) if p.data == HANDOFF_DATA => {
                    crate::channels::take(
                        conversations,
                        Channel::Line,
                        chat,
                        id,
                        &Incoming::Handoff,
                    )
                    .await
                }
                _ => Ok(None),
            },
            "follow" => Ok(conversations
                .inbox()
                .owe_notice(
                    Channel::Line,
                    chat,
                    id,
                    &copy::filled(
                        Language::Ja,
                        Key::LineWelcome,
                        &[("introduction", copy::ja(Key::Introduction))],
                    ),
                    &starters(),
                )
                .await?
                .map(Work::Notice)),
            "unfollow" => {
                // Blocked: a later follow starts a new conversation.
                conversations
                    .inbox()
                    .forget_channel_user(Channel::Line, chat)
                    .await?;
                Ok(None)
            }
            _ => Ok(None),
        }
    }

    /// Answers the events taken from one webhook request, in order.
    async fn finish(
        &self,
        conversations: &Conversations,
        taken: Vec<(Event, Work)>,
        received: Instant,
    ) {
        for (event, work) in taken {
            let Some(chat) = event.chat() else { continue };
            if matches!(work, Work::Answer(_)) && event.is_one_to_one() {
                self.show_loading(chat).await;
            }
            let token = event.reply_token.as_deref();
            work.deliver(conversations, Channel::Line, |outbound| async move {
                let messages = self.messages(&outbound);
                let fresh = received.elapsed() < self.config.reply_window;
                match (token, fresh) {
                    (Some(token), true) => self.reply_or_push(token, chat, &messages).await,
                    _ => self.push_messages(chat, &messages).await,
                }
            })
            .await;
        }
    }

    async fn reply_or_push(&self, token: &str, chat: &str, messages: &[Value]) -> Result<()> {
        let (first, rest) = messages.split_at(messages.len().min(MAX_MESSAGES));
        let body = json!({"replyToken": token, "messages": first});
        match self.post("/v2/bot/message/reply", &body, None).await {
            Ok(()) => self.push_messages(chat, rest).await,
            Err(SendError::Refused(status, why)) => {
                tracing::info!("LINE: reply token refused ({status} {why}); pushing");
                self.push_messages(chat, messages).await
            }
            Err(e) => {
                // It may have arrived; a push could duplicate it, but losing it is worse.
                tracing::warn!("LINE: reply failed ({e}); pushing");
                self.push_messages(chat, messages).await
            }
        }
    }

    /// Pushes in requests of five, each retried under one retry key.
    async fn push_messages(&self, to: &str, messages: &[Value]) -> Result<()> {
        for batch in messages.chunks(MAX_MESSAGES) {
            let body = json!({"to": to, "messages": batch});
            let key = uuid::Uuid::new_v4().to_string();
            let mut tries = 0;
            loop {
                tries += 1;
                match self.post("/v2/bot/message/push", &body, Some(&key)).await {
                    Ok(()) => break,
                    // The same retry key was accepted before: it was sent.
                    Err(SendError::Refused(reqwest::StatusCode::CONFLICT, _)) => break,
                    Err(SendError::Refused(status, why))
                        if status != reqwest::StatusCode::TOO_MANY_REQUESTS =>
                    {
                        anyhow::bail!("push refused: {status} {why}")
                    }
                    Err(e) if tries >= PUSH_TRIES => {
                        anyhow::bail!("push failed {tries} times: {e}")
                    }
                    Err(e) => {
                        tracing::warn!("LINE: push failed ({e}), retrying");
                        tokio::time::sleep(backoff(tries)).await;
                    }
                }
            }
        }
        Ok(())
    }

    /// The "…" animation in a one-to-one chat while the answer is written.
    async fn show_loading(&self, user: &str) {
        let body = json!({"chatId": user, "loadingSeconds": LOADING_SECONDS});
        if let Err(e) = self.post("/v2/bot/chat/loading/start", &body, None).await {
            tracing::warn!("LINE: loading animation: {e}");
        }
    }

    async fn post(
        &self,
        path: &str,
        body: &Value,
        retry_key: Option<&str>,
    ) -> Result<(), SendError> {
        let mut request = self
            .http
            .post(format!("{}{path}", self.config.api_url))
            .bearer_auth(self.config.access_token.expose())
            .json(body);
        if let Some(key) = retry_key {
            request = request.header("X-Line-Retry-Key", key);
        }
        let response = request.send().await.map_err(|e| {
            SendError::Failed(crate::channels::render::masked(
                &e,
                self.config.access_token.expose(),
            ))
        })?;
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        let text: String = response
            .text()
            .await
            .unwrap_or_default()
            .chars()
            .take(300)
            .collect();
        if status.is_client_error() {
            Err(SendError::Refused(status, text))
        } else {
            Err(SendError::Failed(format!("{status} {text}")))
        }
    }

    /// LINE message objects: text split to LINE's limit; sources as links; related
    /// questions (and the handoff button when offered) as quick replies on the last one.
    fn messages(&self, outbound: &Outbound) -> Vec<Value> {
        let (text, mut quick): (String, Vec<Value>) = match outbound {
            Outbound::Answer {
                text,
                citations,
                related,
                offer_handoff,
            } => {
                let mut text = text.clone();
                let sources = sources(citations, self.public_url.as_deref());
                if !sources.is_empty() {
                    text.push_str(&format!("\n\n{}：", copy::ja(Key::Sources)));
                    for s in sources {
                        text.push_str(&format!("\n・{}", s.label));
                        if let Some(url) = s.url {
                            text.push_str(&format!("\n{url}"));
                        }
                    }
                }
                let mut quick: Vec<Value> = related.iter().map(|q| ask(q)).collect();
                if *offer_handoff {
                    quick.insert(
                        0,
                        json!({"type": "action", "action": {
                            "type": "postback", "label": copy::ja(Key::Handoff), "data": HANDOFF_DATA,
                            "displayText": copy::ja(Key::HandoffRequest)}}),
                    );
                }
                (text, quick)
            }
            Outbound::Notice { text, suggestions } => {
                (text.clone(), suggestions.iter().map(|q| ask(q)).collect())
            }
            Outbound::Agent { text, author } => (
                format!("{}\n{text}", agent_heading(author.as_deref())),
                Vec::new(),
            ),
        };
        quick.truncate(MAX_QUICK_REPLIES);
        let mut messages: Vec<Value> = split(&text, MAX_TEXT)
            .into_iter()
            .map(|t| json!({"type": "text", "text": t}))
            .collect();
        if let Some(last) = messages.last_mut()
            && !quick.is_empty()
        {
            last["quickReply"] = json!({ "items": quick });
        }
        messages
    }
}

/// A quick reply that sends the question as the user's message.
fn ask(question: &str) -> Value {
    json!({"type": "action", "action": {
        "type": "message", "label": label(question, MAX_LABEL), "text": question}})
}

impl Adapter for Line {
    fn channel(&self) -> Channel {
        Channel::Line
    }

    fn push<'a>(&'a self, user: &'a str, message: &'a Outbound) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move { self.push_messages(user, &self.messages(message)).await })
    }

    fn webhook(&self) -> Option<Webhook> {
        Some(WEBHOOK)
    }

    fn receive<'a>(
        self: Arc<Self>,
        to: &'a Conversations,
        request: WebhookRequest<'a>,
    ) -> Received<'a> {
        Box::pin(self.receive_events(to, request))
    }

    fn describe(&self) -> String {
        format!(
            "LINE: on (webhook POST /channels/line/webhook; API {})",
            self.config.api_url
        )
    }
}

#[cfg(test)]
mod tests;

//! Telegram, with teloxide: updates arrive on the webhook mounted in the service
//! (`POST /channels/telegram/webhook`, checked by its secret token) or by long polling;
//! `/start`, `/help` and `/operator`; answers in HTML, escaped, with sources as links.
//! Each update is taken (stored with its `update_id`) before Telegram is answered, so a
//! repeated update is answered once.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use teloxide::payloads::{GetUpdatesSetters, SendMessageSetters, SetWebhookSetters};
use teloxide::requests::Requester;
use teloxide::types::{
    AllowedUpdate, ChatId, KeyboardButton, KeyboardMarkup, LinkPreviewOptions, ParseMode,
    ReplyMarkup, Update, UpdateKind,
};
use teloxide::{Bot, RequestError};

use super::render::{agent_heading, backoff, sources, split, starters, units};
use super::{Adapter, Incoming, Outbound, Received, Webhook, WebhookError, WebhookRequest, Work};
use crate::assistant::Channel;
use crate::conversation::{BoxFuture, Conversations};
use crate::copy::{self, Key};
use crate::domain::Language;
use crate::settings::channels::{TelegramConfig, TelegramMode};
use crate::text::escape_html;

/// Telegram's limit on one message's text (after entities are parsed).
const MAX_TEXT: usize = 4096;
/// How long one long-polling request waits for updates.
const POLL_SECONDS: u32 = 25;
/// Tries of one message on network failures.
const SEND_TRIES: u32 = 3;

/// Where Telegram posts its updates (webhook mode), with the secret in
/// `x-telegram-bot-api-secret-token`.
pub const WEBHOOK: Webhook = Webhook {
    path: "/channels/telegram/webhook",
    auth_header: "x-telegram-bot-api-secret-token",
};

pub struct Telegram {
    bot: Bot,
    config: TelegramConfig,
    public_url: Option<String>,
}

/// What a text message asks for: a command (`/help@ShikakuBot` too) or a question; `/start`
/// and `/help` are answered with the catalog's text named.
fn incoming(text: &str) -> Result<Incoming, Key> {
    let trimmed = text.trim();
    if trimmed == copy::ja(Key::Handoff) {
        return Ok(Incoming::Handoff);
    }
    let Some(command) = trimmed.strip_prefix('/') else {
        return Ok(Incoming::Text(text.to_string()));
    };
    let name = command
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .split('@')
        .next()
        .unwrap_or_default();
    match name {
        "operator" => Ok(Incoming::Handoff),
        "start" => Err(Key::TelegramWelcome),
        _ => Err(Key::TelegramHelp),
    }
}

impl Telegram {
    pub fn new(config: TelegramConfig, public_url: Option<String>) -> Result<Telegram> {
        let url = reqwest::Url::parse(&config.api_url).context("SHIKAKU_TELEGRAM_API_URL")?;
        let bot = Bot::new(config.bot_token.expose()).set_api_url(url);
        Ok(Telegram {
            bot,
            config,
            public_url,
        })
    }

    fn masked(&self, e: &impl std::fmt::Display) -> String {
        super::render::masked(e, self.config.bot_token.expose())
    }

    /// `POST /channels/telegram/webhook`: the secret first; then the update is taken, and
    /// answered after the 200.
    async fn receive_update(
        self: Arc<Self>,
        conversations: &Conversations,
        WebhookRequest { auth: given, body }: WebhookRequest<'_>,
    ) -> Result<(), WebhookError> {
        let (TelegramMode::Webhook, Some(secret)) = (self.config.mode, &self.config.webhook_secret)
        else {
            return Err(WebhookError::Off(
                "webhook_off",
                "Telegram is in polling mode; its webhook is off".into(),
            ));
        };
        if !secret.matches(given.unwrap_or_default()) {
            tracing::warn!(
                "Telegram: a webhook request with a missing or wrong secret was refused"
            );
            return Err(WebhookError::Unauthorized(
                "invalid_secret",
                "X-Telegram-Bot-Api-Secret-Token does not match".into(),
            ));
        }
        let update: Update = serde_json::from_slice(body).map_err(|e| {
            WebhookError::BadRequest(
                "invalid_update",
                format!("the body is not a Telegram update: {e}"),
            )
        })?;
        match self.take(conversations, &update).await {
            Ok(Some(work)) => {
                let worker = conversations.clone();
                conversations.lifecycle().spawn(async move {
                    self.finish(&worker, vec![work]).await;
                });
                Ok(())
            }
            Ok(None) => Ok(()),
            Err(e) => {
                // Telegram sends the update again.
                tracing::error!("Telegram: storing an update failed: {e:#}");
                Err(WebhookError::NotStored(
                    "the update could not be stored".into(),
                ))
            }
        }
    }

    /// The durable part of one update: the chat to answer and what to send.
    async fn take(
        &self,
        conversations: &Conversations,
        update: &Update,
    ) -> Result<Option<(ChatId, Work)>> {
        let id = update.id.0.to_string();
        let (chat, incoming) = match &update.kind {
            UpdateKind::Message(message) => {
                let chat = message.chat.id;
                match message.text().map(incoming) {
                    Some(Ok(incoming)) => (chat, incoming),
                    Some(Err(notice)) => {
                        let text = copy::filled(
                            Language::Ja,
                            notice,
                            &[
                                ("introduction", copy::ja(Key::Introduction)),
                                ("help", copy::ja(Key::TelegramHelp)),
                            ],
                        );
                        return Ok(conversations
                            .inbox()
                            .owe_notice(
                                Channel::Telegram,
                                &chat.0.to_string(),
                                &id,
                                &text,
                                &starters(),
                            )
                            .await?
                            .map(|owed| (chat, Work::Notice(owed))));
                    }
                    None => {
                        return Ok(conversations
                            .inbox()
                            .owe_notice(
                                Channel::Telegram,
                                &chat.0.to_string(),
                                &id,
                                copy::ja(Key::NotText),
                                &[],
                            )
                            .await?
                            .map(|owed| (chat, Work::Notice(owed))));
                    }
                }
            }
            _ => return Ok(None),
        };
        let user = chat.0.to_string();
        Ok(
            super::take(conversations, Channel::Telegram, &user, &id, &incoming)
                .await?
                .map(|work| (chat, work)),
        )
    }

    /// Answers the updates taken from one request, in order.
    async fn finish(&self, conversations: &Conversations, taken: Vec<(ChatId, Work)>) {
        for (chat, work) in taken {
            work.deliver(conversations, Channel::Telegram, |outbound| async move {
                self.send(chat, &outbound).await
            })
            .await;
        }
    }

    async fn send(&self, chat: ChatId, outbound: &Outbound) -> Result<()> {
        for (html, markup) in self.messages(outbound) {
            let mut tries = 0;
            loop {
                tries += 1;
                let mut request = self
                    .bot
                    .send_message(chat, html.clone())
                    .parse_mode(ParseMode::Html)
                    .link_preview_options(no_preview());
                if let Some(m) = &markup {
                    request = request.reply_markup(m.clone());
                }
                match request.await {
                    Ok(_) => break,
                    Err(RequestError::RetryAfter(wait)) if tries < SEND_TRIES => {
                        tokio::time::sleep(wait.duration()).await;
                    }
                    Err(e @ (RequestError::Network(_) | RequestError::Io(_)))
                        if tries < SEND_TRIES =>
                    {
                        tracing::warn!("Telegram: sending failed ({}), retrying", self.masked(&e));
                        tokio::time::sleep(backoff(tries)).await;
                    }
                    Err(e) => anyhow::bail!("sendMessage: {}", self.masked(&e)),
                }
            }
        }
        Ok(())
    }

    /// Messages in Telegram's HTML: text split to its limit, then escaped; sources as
    /// links; related questions (and the handoff button when offered) as a keyboard.
    fn messages(&self, outbound: &Outbound) -> Vec<(String, Option<ReplyMarkup>)> {
        let (text, sources_block, buttons) = match outbound {
            Outbound::Answer {
                text,
                citations,
                related,
                offer_handoff,
            } => {
                let sources = sources(citations, self.public_url.as_deref());
                let block = (!sources.is_empty()).then(|| {
                    let heading = copy::ja(Key::Sources);
                    let mut plain = format!("\n\n{heading}");
                    let mut html = format!("\n\n<b>{heading}</b>");
                    for s in &sources {
                        plain.push_str(&format!("\n・{}", s.label));
                        match &s.url {
                            Some(url) => html.push_str(&format!(
                                "\n・<a href=\"{}\">{}</a>",
                                escape_html(url),
                                escape_html(&s.label)
                            )),
                            None => html.push_str(&format!("\n・{}", escape_html(&s.label))),
                        }
                    }
                    (units(&plain), html)
                });
                let mut buttons = related.clone();
                if *offer_handoff {
                    buttons.insert(0, copy::ja(Key::Handoff).to_string());
                }
                (text.clone(), block, buttons)
            }
            Outbound::Notice { text, suggestions } => (text.clone(), None, suggestions.clone()),
            Outbound::Agent { text, author } => (
                format!("{}\n{text}", agent_heading(author.as_deref())),
                None,
                Vec::new(),
            ),
        };
        let pieces = split(&text, MAX_TEXT);
        let mut messages: Vec<String> = Vec::new();
        let mut last_units = 0;
        for piece in &pieces {
            last_units = units(piece);
            messages.push(escape_html(piece));
        }
        if let Some((block_units, html)) = sources_block {
            match messages.last_mut() {
                Some(last) if last_units + block_units <= MAX_TEXT => last.push_str(&html),
                _ => messages.push(html.trim_start().to_string()),
            }
        }
        let markup = (!buttons.is_empty()).then(|| {
            ReplyMarkup::Keyboard(
                KeyboardMarkup::new(buttons.into_iter().map(|b| vec![KeyboardButton::new(b)]))
                    .resize_keyboard()
                    .one_time_keyboard(),
            )
        });
        let count = messages.len();
        messages
            .into_iter()
            .enumerate()
            .map(|(i, m)| (m, if i + 1 == count { markup.clone() } else { None }))
            .collect()
    }

    /// Long polling until shutdown; the offset moves past an update only once it is taken.
    async fn poll(self: Arc<Self>, conversations: Conversations) {
        if let Err(e) = self.bot.delete_webhook().await {
            tracing::warn!("Telegram: deleteWebhook: {}", self.masked(&e));
        }
        let shutdown = conversations.lifecycle().shutdown_token();
        let mut offset: i32 = 0;
        loop {
            let request = self
                .bot
                .get_updates()
                .offset(offset)
                .timeout(POLL_SECONDS)
                .allowed_updates([AllowedUpdate::Message]);
            let updates = tokio::select! {
                _ = shutdown.cancelled() => return,
                u = request => u,
            };
            let updates = match updates {
                Ok(u) => u,
                Err(e) => {
                    tracing::warn!("Telegram: getUpdates: {}", self.masked(&e));
                    tokio::select! {
                        _ = shutdown.cancelled() => return,
                        _ = tokio::time::sleep(Duration::from_secs(3)) => continue,
                    }
                }
            };
            let mut taken = Vec::new();
            for update in &updates {
                match self.take(&conversations, update).await {
                    Ok(t) => {
                        taken.extend(t);
                        offset = update.id.0 as i32 + 1;
                    }
                    Err(e) => {
                        // Asked again from this update on; what was taken is not taken twice.
                        tracing::error!("Telegram: storing an update failed: {e:#}");
                        tokio::time::sleep(Duration::from_secs(1)).await;
                        break;
                    }
                }
            }
            if !taken.is_empty() {
                let (telegram, worker) = (self.clone(), conversations.clone());
                conversations.lifecycle().spawn(async move {
                    telegram.finish(&worker, taken).await;
                });
            }
        }
    }

    /// Points Telegram at this service's webhook, with the secret it must send.
    async fn set_webhook(&self) {
        let (Some(base), Some(secret)) = (&self.public_url, &self.config.webhook_secret) else {
            tracing::info!(
                "Telegram: SHIKAKU_PUBLIC_URL is not set; set the bot's webhook to …/channels/telegram/webhook yourself"
            );
            return;
        };
        let url = format!("{base}/channels/telegram/webhook");
        let Ok(parsed) = reqwest::Url::parse(&url) else {
            return;
        };
        match self
            .bot
            .set_webhook(parsed)
            .secret_token(secret.expose().to_string())
            .allowed_updates([AllowedUpdate::Message])
            .await
        {
            Ok(_) => tracing::info!("Telegram: webhook set to {url}"),
            Err(e) => tracing::error!("Telegram: setWebhook {url}: {}", self.masked(&e)),
        }
    }
}

fn no_preview() -> LinkPreviewOptions {
    LinkPreviewOptions {
        is_disabled: true,
        url: None,
        prefer_small_media: false,
        prefer_large_media: false,
        show_above_text: false,
    }
}

impl Adapter for Telegram {
    fn channel(&self) -> Channel {
        Channel::Telegram
    }

    fn push<'a>(&'a self, user: &'a str, message: &'a Outbound) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let chat = user
                .parse::<i64>()
                .with_context(|| format!("Telegram chat id {user:?}"))?;
            self.send(ChatId(chat), message).await
        })
    }

    fn webhook(&self) -> Option<Webhook> {
        Some(WEBHOOK)
    }

    fn receive<'a>(
        self: Arc<Self>,
        to: &'a Conversations,
        request: WebhookRequest<'a>,
    ) -> Received<'a> {
        Box::pin(self.receive_update(to, request))
    }

    fn run(self: Arc<Self>, conversations: Conversations) -> BoxFuture<'static, ()> {
        Box::pin(async move {
            let started = Instant::now();
            match self.config.mode {
                TelegramMode::Webhook => self.set_webhook().await,
                TelegramMode::Polling => self.poll(conversations).await,
            }
            tracing::debug!("Telegram: stopped after {:?}", started.elapsed());
        })
    }

    fn describe(&self) -> String {
        match self.config.mode {
            TelegramMode::Webhook => format!(
                "Telegram: on (webhook POST /channels/telegram/webhook; API {})",
                self.config.api_url
            ),
            TelegramMode::Polling => {
                format!("Telegram: on (long polling; API {})", self.config.api_url)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_is_escaped() {
        assert_eq!(
            escape_html("<b>A&B</b> \"q\" 3>2"),
            "&lt;b&gt;A&amp;B&lt;/b&gt; &quot;q&quot; 3&gt;2"
        );
        // MarkdownV2's special characters need nothing in HTML mode.
        assert_eq!(escape_html("_*[]()~`#+-=|{}.!"), "_*[]()~`#+-=|{}.!");
    }

    #[test]
    fn commands_and_questions() {
        assert_eq!(incoming("/operator"), Ok(Incoming::Handoff));
        assert_eq!(incoming("/operator@ShikakuBot"), Ok(Incoming::Handoff));
        assert_eq!(incoming("担当者につなぐ"), Ok(Incoming::Handoff));
        assert_eq!(incoming("/start"), Err(Key::TelegramWelcome));
        assert_eq!(incoming("/help"), Err(Key::TelegramHelp));
        assert_eq!(incoming("/unknown"), Err(Key::TelegramHelp));
        assert_eq!(
            incoming("締切はいつですか"),
            Ok(Incoming::Text("締切はいつですか".into()))
        );
    }
}

//! Messaging channels: LINE and Telegram, on the same conversation service, assistant
//! and handoff as the web widget. An adapter turns its platform's events into an
//! [`Incoming`] and renders an [`Outbound`] in its platform's terms; everything between —
//! storing the message with its event id (a redelivery is not answered twice), answering
//! or forwarding to the agent who owns the conversation, handoff — is here, shared.
//! Adding a channel is writing an [`Adapter`] and naming it in [`Channels::new`].

pub mod config;
pub mod line;
pub mod telegram;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Result;
use axum::Router;

use crate::assistant::{Answer, Channel, Citation, Outcome, today_in_japan};
use crate::conversation::{Accepted, ChatError, HandoffError};
use crate::handoff::Details;
use crate::server::AppState;
use config::ChannelsConfig;

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What a channel's user sent, as every channel understands it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Incoming {
    /// A question or any text (also what the user writes to an agent).
    Text(String),
    /// The user asked for a person (a button, `/operator`).
    Handoff,
}

/// What the service sends to a channel's user.
#[derive(Debug, Clone)]
pub enum Outbound {
    /// The assistant's answer with its sources; `related`: questions the knowledge base
    /// answers, offered as quick replies; `offer_handoff`: a person is offered.
    Answer {
        answer: Answer,
        related: Vec<String>,
        offer_handoff: bool,
    },
    /// A message of the service (greeting, help, handoff confirmation, an error), with
    /// questions to suggest.
    Notice {
        text: String,
        suggestions: Vec<String>,
    },
    /// A reply written by an agent in the console.
    Agent { text: String },
}

impl Outbound {
    pub fn notice(text: impl Into<String>) -> Outbound {
        Outbound::Notice {
            text: text.into(),
            suggestions: Vec::new(),
        }
    }
}

/// One messaging platform.
pub trait Adapter: Send + Sync + 'static {
    fn channel(&self) -> Channel;

    /// Sends to a user unprompted (an agent's reply): retried on the platform's transient
    /// failures; an error when it could not be delivered.
    fn push<'a>(&'a self, user: &'a str, message: &'a Outbound) -> BoxFuture<'a, Result<()>>;

    /// The adapter's HTTP routes (its webhook), merged into the service's.
    fn routes(self: Arc<Self>) -> Router<AppState>;

    /// Work of its own while the service runs (Telegram's long polling); ends at shutdown.
    fn run(self: Arc<Self>, _state: AppState) -> BoxFuture<'static, ()> {
        Box::pin(async {})
    }

    /// One line for the start-up output: on, and how it receives.
    fn describe(&self) -> String;
}

/// The channels that are on.
#[derive(Clone, Default)]
pub struct Channels {
    adapters: Vec<Arc<dyn Adapter>>,
    /// For the start-up output: channels that are off, and why.
    off: Vec<String>,
}

impl Channels {
    /// The adapters whose credentials are configured.
    pub fn new(config: &ChannelsConfig) -> Result<Channels> {
        let mut channels = Channels::default();
        match &config.line {
            Some(c) => channels.adapters.push(Arc::new(line::Line::new(
                c.clone(),
                config.public_url.clone(),
            )?)),
            None => channels.off.push(
                "LINE: off (set SHIKAKU_LINE_CHANNEL_SECRET and SHIKAKU_LINE_CHANNEL_ACCESS_TOKEN)"
                    .into(),
            ),
        }
        match &config.telegram {
            Some(c) => channels.adapters.push(Arc::new(telegram::Telegram::new(
                c.clone(),
                config.public_url.clone(),
            )?)),
            None => channels
                .off
                .push("Telegram: off (set SHIKAKU_TELEGRAM_BOT_TOKEN)".into()),
        }
        Ok(channels)
    }

    /// One line per channel: on (how) or off (what to set).
    pub fn status(&self) -> Vec<String> {
        let mut lines: Vec<String> = self.adapters.iter().map(|a| a.describe()).collect();
        lines.extend(self.off.iter().cloned());
        lines
    }

    pub fn routes(&self) -> Router<AppState> {
        self.adapters
            .iter()
            .fold(Router::new(), |router, a| router.merge(a.clone().routes()))
    }

    /// Starts each adapter's own work (polling) on the service's task tracker, and the
    /// daily pruning of old event ids.
    pub fn start(&self, state: &AppState) {
        if self.adapters.is_empty() {
            return;
        }
        for adapter in &self.adapters {
            let work = adapter.clone().run(state.clone());
            state.conversations.tasks.spawn(work);
        }
        let (store, shutdown) = (
            state.conversations.store.clone(),
            state.conversations.shutdown.clone(),
        );
        state.conversations.tasks.spawn(async move {
            loop {
                match store.prune_channel_events().await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!("forgot {n} channel event ids older than a week"),
                    Err(e) => tracing::warn!("pruning channel event ids: {e:#}"),
                }
                tokio::select! {
                    _ = shutdown.cancelled() => return,
                    _ = tokio::time::sleep(std::time::Duration::from_secs(24 * 3600)) => {}
                }
            }
        });
    }

    /// Delivers an agent's reply on the channel the conversation came from. `Ok(None)`: the
    /// conversation is not on a messaging channel (the widget gets it over its stream).
    pub async fn deliver(
        &self,
        state: &AppState,
        conversation: &str,
        text: &str,
    ) -> Result<Option<Result<(), String>>> {
        let Some((channel, user)) = state.conversations.store.channel_user(conversation).await?
        else {
            return Ok(None);
        };
        if channel == Channel::Web.as_str() || channel == Channel::Cli.as_str() {
            return Ok(None);
        }
        let Some(user) = user else {
            return Ok(Some(Err(format!(
                "the user has left {channel} (blocked or unfollowed the account)"
            ))));
        };
        let Some(adapter) = self
            .adapters
            .iter()
            .find(|a| a.channel().as_str() == channel)
        else {
            return Ok(Some(Err(format!(
                "{channel} is not configured on this instance"
            ))));
        };
        let outbound = Outbound::Agent {
            text: text.to_string(),
        };
        Ok(Some(match adapter.push(&user, &outbound).await {
            Ok(()) => Ok(()),
            Err(e) => {
                tracing::warn!(channel, "an agent's reply was not delivered: {e:#}");
                Err(format!("{e:#}"))
            }
        }))
    }
}

/// Work left after an event was taken (stored): done after the webhook was answered.
pub enum Work {
    /// Answer the stored question.
    Answer(Accepted),
    /// Send this.
    Send(Outbound),
}

/// Takes what a user sent in event `event_id`: the durable part, done before the platform
/// is told the event arrived. A question is stored together with the event id; a handoff
/// commits its ticket. `None`: the event was taken before (a redelivery), nothing to do.
pub async fn take(
    state: &AppState,
    channel: Channel,
    user: &str,
    event_id: &str,
    incoming: &Incoming,
) -> Result<Option<Work>> {
    let conversations = &state.conversations;
    let conversation = conversations
        .store
        .channel_conversation(channel.as_str(), user)
        .await?;
    match incoming {
        Incoming::Text(text) => {
            match conversations
                .accept_event(&conversation, channel, event_id, text)
                .await
            {
                Ok(None) => Ok(None),
                Ok(Some(accepted)) if accepted.for_agent() => Ok(Some(Work::Send(
                    Outbound::notice("担当者にお伝えしました。担当者からの返信をお待ちください。"),
                ))),
                Ok(Some(accepted)) => Ok(Some(Work::Answer(accepted))),
                Err(ChatError::Invalid(e)) => Ok(Some(Work::Send(Outbound::notice(e.to_string())))),
                Err(ChatError::UnknownSession) => {
                    anyhow::bail!("conversation {conversation} vanished")
                }
                Err(ChatError::Internal(e)) => Err(e),
            }
        }
        Incoming::Handoff => {
            if !conversations
                .store
                .first_delivery(channel.as_str(), event_id)
                .await?
            {
                return Ok(None);
            }
            let reply = conversations
                .handoff(
                    Some(&conversation),
                    channel,
                    "requested_person",
                    &Details::default(),
                )
                .await;
            Ok(Some(Work::Send(match reply {
                Ok(r) => Outbound::notice(r.message),
                Err(HandoffError::AlreadyOpen(_)) => Outbound::notice(
                    "すでに担当者への引き継ぎを受け付けています。担当者からの返信をお待ちください。",
                ),
                Err(HandoffError::Internal(e)) => {
                    tracing::error!("handoff from {} failed: {e:#}", channel.as_str());
                    Outbound::notice(crate::handoff::failure(conversations.phone().as_deref()))
                }
                Err(e @ (HandoffError::Invalid(_) | HandoffError::UnknownSession)) => {
                    return Err(anyhow::anyhow!("handoff: {e}"));
                }
            })))
        }
    }
}

/// Whether an event is new; records it. For events that store nothing (a greeting, help).
pub async fn first_time(state: &AppState, channel: Channel, event_id: &str) -> Result<bool> {
    state
        .conversations
        .store
        .first_delivery(channel.as_str(), event_id)
        .await
}

impl Work {
    /// What to send: the answer is written now (the model may take seconds).
    pub async fn run(self, state: &AppState) -> Result<Outbound> {
        match self {
            Work::Send(outbound) => Ok(outbound),
            Work::Answer(accepted) => {
                let question = accepted.text().to_string();
                let started = Instant::now();
                let reply = state
                    .conversations
                    .answer(accepted, today_in_japan(), |_| {})
                    .await
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
                state.metrics.answer(&reply.answer, started.elapsed());
                let offer_handoff = reply.answer.outcome == Outcome::Handoff
                    || state
                        .conversations
                        .should_offer_handoff(&reply.session_id)
                        .await
                        .unwrap_or(false);
                let related = state
                    .conversations
                    .assistant()
                    .related_questions(&question, &reply.answer.citations, MAX_RELATED)
                    .unwrap_or_default();
                Ok(Outbound::Answer {
                    answer: reply.answer,
                    related,
                    offer_handoff,
                })
            }
        }
    }
}

/// Related questions offered after an answer.
const MAX_RELATED: usize = 3;

/// The button that asks for a person.
pub const HANDOFF_LABEL: &str = "担当者につなぐ";

/// What a user is told when the service could not answer at all.
pub const FAILURE: &str =
    "申し訳ありません。回答を作成できませんでした。時間をおいてもう一度お試しください。";

/// The heading of an agent's reply, so a user knows a person wrote it.
pub const AGENT_HEADING: &str = "【担当者からの返信】";

/// A cited source: its name, and a link to it when the public URL is known.
pub struct Source {
    pub label: String,
    pub url: Option<String>,
}

pub fn sources(citations: &[Citation], public_url: Option<&str>) -> Vec<Source> {
    citations
        .iter()
        .map(|c| Source {
            label: match &c.section {
                Some(section) => format!("{}（{section}）", c.title),
                None => c.title.clone(),
            },
            url: public_url.map(|base| {
                let anchor = c
                    .section_id
                    .as_deref()
                    .map(|s| format!("#{s}"))
                    .unwrap_or_default();
                format!("{base}/kb/{}{anchor}", c.doc_id)
            }),
        })
        .collect()
}

/// Length as LINE and Telegram count it: UTF-16 code units.
pub fn units(text: &str) -> usize {
    text.encode_utf16().count()
}

/// Splits `text` into pieces of at most `max` UTF-16 units, at a paragraph, a line or a
/// sentence end where there is one, so that no piece ends mid-sentence if avoidable.
pub fn split(text: &str, max: usize) -> Vec<String> {
    let mut pieces = Vec::new();
    let mut rest = text.trim();
    while units(rest) > max {
        // The longest prefix that fits, then the last good break in it.
        let mut fit = 0;
        let mut used = 0;
        for (i, c) in rest.char_indices() {
            used += c.len_utf16();
            if used > max {
                break;
            }
            fit = i + c.len_utf8();
        }
        let head = &rest[..fit];
        let cut = ["\n\n", "\n", "。", "、"]
            .iter()
            .find_map(|sep| {
                head.rfind(sep)
                    .map(|at| at + sep.len())
                    .filter(|&at| at > fit / 3)
            })
            .unwrap_or(fit);
        pieces.push(rest[..cut].trim_end().to_string());
        rest = rest[cut..].trim_start();
    }
    if !rest.is_empty() {
        pieces.push(rest.to_string());
    }
    pieces
}

/// A quick-reply label of at most `max` characters (LINE: 20).
pub fn label(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let mut s: String = text.chars().take(max - 1).collect();
        s.push('…');
        s
    }
}

/// An error's text with a secret (a token in a URL) masked, for logs.
pub fn masked(error: &impl std::fmt::Display, secret: &str) -> String {
    let text = format!("{error:#}");
    if secret.is_empty() {
        text
    } else {
        text.replace(secret, "***")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_text_is_one_piece() {
        assert_eq!(split("はい。", 10), vec!["はい。"]);
        assert!(split("  ", 10).is_empty());
    }

    #[test]
    fn long_text_breaks_at_paragraphs_then_sentences() {
        let text = "一文目です。二文目です。\n\n三段落目です。";
        assert_eq!(
            split(text, 14),
            vec!["一文目です。二文目です。", "三段落目です。"]
        );
        assert_eq!(
            split("一文目です。二文目です。三文目です。", 13),
            vec!["一文目です。二文目です。", "三文目です。"]
        );
    }

    #[test]
    fn pieces_respect_the_limit_in_utf16_units_and_lose_nothing() {
        // Emoji are two UTF-16 units; a hard cut never splits one.
        let text = "😀".repeat(7) + &"あ".repeat(30);
        let pieces = split(&text, 5);
        assert!(pieces.iter().all(|p| units(p) <= 5), "{pieces:?}");
        assert_eq!(pieces.concat(), text);
        let long = "申込みは令和3年3月31日までです。".repeat(800);
        let pieces = split(&long, 5000);
        assert!(pieces.len() >= 3);
        assert!(pieces.iter().all(|p| units(p) <= 5000));
        assert!(pieces.iter().all(|p| p.ends_with('。')));
        assert_eq!(pieces.concat(), long);
    }

    #[test]
    fn labels_are_cut_with_an_ellipsis() {
        assert_eq!(label("締切はいつですか", 20), "締切はいつですか");
        let l = label(&"あ".repeat(25), 20);
        assert_eq!(l.chars().count(), 20);
        assert!(l.ends_with('…'));
    }

    #[test]
    fn sources_link_to_their_section_when_the_public_url_is_known() {
        let citations = vec![Citation {
            doc_id: "notice-r3-0303".into(),
            title: "通知".into(),
            section: Some("申込期限".into()),
            section_id: Some("deadline".into()),
        }];
        let s = sources(&citations, Some("https://portal.example.jp"));
        assert_eq!(s[0].label, "通知（申込期限）");
        assert_eq!(
            s[0].url.as_deref(),
            Some("https://portal.example.jp/kb/notice-r3-0303#deadline")
        );
        assert!(sources(&citations, None)[0].url.is_none());
    }

    #[test]
    fn secrets_are_masked_in_error_text() {
        let e = anyhow::anyhow!("error sending request for url (https://api/bot123:ABC/getMe)");
        assert_eq!(
            masked(&e, "123:ABC"),
            "error sending request for url (https://api/bot***/getMe)"
        );
    }
}

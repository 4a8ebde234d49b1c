//! Messaging channels: LINE and Telegram, on the same conversation service, assistant
//! and handoff as the web widget. An adapter turns its platform's events into an
//! [`Incoming`] and renders an [`Outbound`] in its platform's terms; everything between —
//! storing the message with its event id (a redelivery is not answered twice), answering
//! or forwarding to the agent who owns the conversation, handoff — is here, shared.
//! Adding a channel is writing an [`Adapter`] and naming it in [`Channels::new`]; the
//! HTTP layer mounts its webhook. Channels depend on the conversation service, never on
//! the HTTP layer.

pub mod line;
pub mod render;
pub mod telegram;

use std::sync::Arc;

use anyhow::Result;

use crate::assistant::{Channel, Citation};
use crate::conversation::{
    Accepted, BoxFuture, ChatError, Conversations, Deliver, Owed, Resumed, Taken, Undelivered,
    Voice,
};
use crate::copy::{self, Key};
use crate::domain::MessageId;
use crate::settings::channels::ChannelsConfig;
use crate::text::clock::today_in_japan;

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
        text: String,
        citations: Vec<Citation>,
        related: Vec<String>,
        offer_handoff: bool,
    },
    /// A message of the service (greeting, help, handoff confirmation, an error), with
    /// questions to suggest.
    Notice {
        text: String,
        suggestions: Vec<String>,
    },
    /// A reply written by an agent in the console, under the name they give users.
    Agent {
        text: String,
        author: Option<String>,
    },
}

impl Outbound {
    pub fn notice(text: impl Into<String>) -> Outbound {
        Outbound::Notice {
            text: text.into(),
            suggestions: Vec::new(),
        }
    }
}

/// Where a platform posts its events, and the header that proves a request came from it.
#[derive(Debug, Clone, Copy)]
pub struct Webhook {
    pub path: &'static str,
    pub auth_header: &'static str,
}

/// One request on an adapter's webhook, as it arrived: the value of
/// [`Webhook::auth_header`] and the raw body (signatures are over its bytes).
pub struct WebhookRequest<'a> {
    pub auth: Option<&'a [u8]>,
    pub body: &'a [u8],
}

/// What taking a webhook request's events comes to.
pub type Received<'a> = BoxFuture<'a, Result<(), WebhookError>>;

/// Every adapter's webhook (the API document lists them).
pub const WEBHOOKS: [Webhook; 2] = [line::WEBHOOK, telegram::WEBHOOK];

/// Why a webhook request was refused; the HTTP layer turns it into a JSON error.
#[derive(Debug)]
pub enum WebhookError {
    /// The webhook is off in this mode (404).
    Off(&'static str, String),
    /// The signature or secret is missing or wrong: nothing was processed (401).
    Unauthorized(&'static str, String),
    /// The body is not the platform's (400).
    BadRequest(&'static str, String),
    /// An event could not be stored: the platform delivers it again (500).
    NotStored(String),
}

/// One messaging platform.
pub trait Adapter: Send + Sync + 'static {
    fn channel(&self) -> Channel;

    /// Sends to a user unprompted (an agent's reply): retried on the platform's transient
    /// failures; an error when it could not be delivered.
    fn push<'a>(&'a self, user: &'a str, message: &'a Outbound) -> BoxFuture<'a, Result<()>>;

    /// The adapter's webhook, if it takes one.
    fn webhook(&self) -> Option<Webhook>;

    /// One webhook request: checked, each event taken (stored) before this returns, so
    /// before the platform gets its 200; the answers are written after, on the service's
    /// tasks.
    fn receive<'a>(
        self: Arc<Self>,
        to: &'a Conversations,
        request: WebhookRequest<'a>,
    ) -> Received<'a>;

    /// Work of its own while the service runs (Telegram's long polling); ends at shutdown.
    fn run(self: Arc<Self>, _conversations: Conversations) -> BoxFuture<'static, ()> {
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

    /// The adapters that are on.
    pub fn adapters(&self) -> &[Arc<dyn Adapter>] {
        &self.adapters
    }

    /// Starts each adapter's own work (polling) on the service's tasks, and the daily
    /// pruning of old event ids.
    pub fn start(&self, conversations: &Conversations) {
        if self.adapters.is_empty() {
            return;
        }
        for adapter in &self.adapters {
            conversations
                .lifecycle()
                .spawn(adapter.clone().run(conversations.clone()));
        }
        let pruner = conversations.clone();
        conversations
            .lifecycle()
            .spawn(async move { pruner.inbox().prune_channel_events().await });
        let (channels, sweeper) = (self.clone(), conversations.clone());
        conversations
            .lifecycle()
            .spawn(async move { channels.sweep(&sweeper).await });
    }

    /// The adapter of the channel named `channel`, when it is on here.
    fn adapter(&self, channel: &str) -> Option<&dyn Adapter> {
        self.adapters
            .iter()
            .find(|a| a.channel().as_str() == channel)
            .map(|a| a.as_ref())
    }

    /// Answers what a crash or a failed send left unanswered (see `conversation/jobs.rs`):
    /// at start, then every minute until shutdown; only the jobs of the channels on here.
    async fn sweep(&self, conversations: &Conversations) {
        let shutdown = conversations.lifecycle().shutdown_token();
        let on: Vec<Channel> = self.adapters.iter().map(|a| a.channel()).collect();
        loop {
            match conversations.inbox().stale_jobs(&on).await {
                Ok(jobs) => {
                    for job in jobs.iter().take_while(|_| !shutdown.is_cancelled()) {
                        if let Some(adapter) = self.adapter(&job.channel) {
                            resume(adapter, conversations, job).await;
                        }
                    }
                }
                Err(e) => tracing::warn!("looking for unanswered channel messages: {e:#}"),
            }
            match conversations.inbox().stale_notices(&on).await {
                Ok(notices) => {
                    for notice in notices.iter().take_while(|_| !shutdown.is_cancelled()) {
                        if let Some(adapter) = self.adapter(&notice.channel) {
                            resend(adapter, conversations, notice).await;
                        }
                    }
                }
                Err(e) => tracing::warn!("looking for unsent channel notices: {e:#}"),
            }
            if shutdown.is_cancelled() {
                return;
            }
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tokio::time::sleep(SWEEP_EVERY) => {}
            }
        }
    }
}

/// How often each instance looks for channel messages left unanswered.
const SWEEP_EVERY: std::time::Duration = std::time::Duration::from_secs(60);

/// Finishes one stale job: answers it if no answer was stored, and pushes the answer (a
/// reply token is long expired). On failure the job waits for the next sweep.
async fn resume(
    adapter: &dyn Adapter,
    conversations: &Conversations,
    job: &crate::store::channels::ChannelJob,
) {
    let channel = adapter.channel();
    let outbound = match conversations.inbox().resume_job(channel, job).await {
        Ok(None) => return,
        Ok(Some(Resumed::Answered(stored))) => Outbound::Answer {
            text: stored.text,
            citations: stored.citations,
            related: Vec::new(),
            offer_handoff: false,
        },
        Ok(Some(Resumed::Answer(accepted))) => {
            match Work::Answer(accepted).run(conversations).await {
                Ok(outbound) => outbound,
                Err(e) => {
                    tracing::warn!(
                        message = %job.message_id,
                        "answering a {} message again failed: {e:#}",
                        channel.as_str()
                    );
                    return;
                }
            }
        }
        Err(e) => {
            tracing::warn!(
                message = %job.message_id,
                "taking up a {} message: {e:#}",
                channel.as_str()
            );
            return;
        }
    };
    match adapter.push(&job.user_id, &outbound).await {
        Ok(()) => {
            tracing::info!(
                message = %job.message_id,
                "a {} message left unanswered was answered",
                channel.as_str()
            );
            conversations.inbox().job_done(job.message_id).await;
        }
        Err(e) => tracing::warn!(
            message = %job.message_id,
            "pushing a {} answer failed, tried again later: {e:#}",
            channel.as_str()
        ),
    }
}

/// Sends one owed notice a crash or a failed send left (a greeting, a handoff's
/// confirmation); on failure it waits for the next sweep.
async fn resend(
    adapter: &dyn Adapter,
    conversations: &Conversations,
    notice: &crate::store::channels::OwedNotice,
) {
    let channel = adapter.channel().as_str();
    let owed = match conversations.inbox().resume_notice(notice).await {
        Ok(Some(owed)) => owed,
        Ok(None) => return,
        Err(e) => {
            tracing::warn!(notice = notice.id, "taking up a {channel} notice: {e:#}");
            return;
        }
    };
    match adapter.push(&notice.user_id, &owed_outbound(&owed)).await {
        Ok(()) => {
            tracing::info!(
                notice = notice.id,
                "a {channel} notice left unsent was sent"
            );
            conversations.inbox().notice_sent(notice.id).await;
        }
        Err(e) => tracing::warn!(
            notice = notice.id,
            "pushing a {channel} notice failed, tried again later: {e:#}"
        ),
    }
}

/// An owed notice as the channels send it.
fn owed_outbound(owed: &Owed) -> Outbound {
    Outbound::Notice {
        text: owed.text.clone(),
        suggestions: owed.suggestions.clone(),
    }
}

/// An agent's reply or the service's notice, pushed on the channel the conversation came
/// from.
impl Deliver for Channels {
    fn deliver<'a>(
        &'a self,
        channel: Channel,
        user: &'a str,
        voice: Voice,
        text: &'a str,
    ) -> BoxFuture<'a, Result<(), Undelivered>> {
        Box::pin(async move {
            let Some(adapter) = self.adapters.iter().find(|a| a.channel() == channel) else {
                return Err(Undelivered::NotConfigured(channel));
            };
            let outbound = match voice {
                Voice::Agent { author } => Outbound::Agent {
                    text: text.to_string(),
                    author,
                },
                Voice::Service => Outbound::notice(text),
            };
            adapter
                .push(user, &outbound)
                .await
                .map_err(|e| Undelivered::Failed(format!("{e:#}")))
        })
    }
}

/// Work left after an event was taken (stored): done after the webhook was answered.
/// Either is a durable job ([`Work::job`]), finished once what it owes was sent ([`sent`]).
pub enum Work {
    /// Answer the stored question.
    Answer(Accepted),
    /// Send this owed notice (a greeting, a handoff's confirmation, a refusal).
    Notice(Owed),
}

/// The durable record behind a [`Work`].
#[derive(Debug, Clone, Copy)]
pub enum Job {
    /// The question's job (`channel_jobs`).
    Answer(MessageId),
    /// The owed notice (`channel_outbox`).
    Notice(i64),
}

/// Takes what a user sent in event `event_id`: the durable part, done before the platform
/// is told the event arrived. A question is stored together with the event id; a handoff
/// commits its ticket with the event and the confirmation owed. `None`: the event was taken
/// before (a redelivery), nothing to do.
pub async fn take(
    conversations: &Conversations,
    channel: Channel,
    user: &str,
    event_id: &str,
    incoming: &Incoming,
) -> Result<Option<Work>> {
    match incoming {
        Incoming::Text(text) => {
            match conversations
                .inbox()
                .accept_event(channel, user, event_id, text)
                .await
            {
                Ok(None) => Ok(None),
                Ok(Some(Taken::Answer(accepted))) => Ok(Some(Work::Answer(accepted))),
                Ok(Some(Taken::Notice(owed))) => Ok(Some(Work::Notice(owed))),
                Err(ChatError::UnknownSession) => {
                    anyhow::bail!("the conversation of a {} user vanished", channel.as_str())
                }
                Err(ChatError::Invalid(e)) => {
                    anyhow::bail!("a refused message was not recorded: {e}")
                }
                Err(ChatError::Internal(e) | ChatError::Unavailable { error: e, .. }) => Err(e),
            }
        }
        Incoming::Handoff => Ok(conversations
            .inbox()
            .handoff_for_event(channel, user, event_id)
            .await?
            .map(Work::Notice)),
    }
}

impl Work {
    /// The durable record this work finishes once sent.
    pub fn job(&self) -> Job {
        match self {
            Work::Answer(accepted) => Job::Answer(accepted.question_id),
            Work::Notice(owed) => Job::Notice(owed.id),
        }
    }

    /// What to send: the answer is written now (the model may take seconds).
    pub async fn run(self, conversations: &Conversations) -> Result<Outbound> {
        match self {
            Work::Notice(owed) => Ok(owed_outbound(&owed)),
            Work::Answer(accepted) => {
                let reply = conversations
                    .reply(accepted, today_in_japan(), |_| {})
                    .await
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
                Ok(Outbound::Answer {
                    offer_handoff: reply.offer.is_some(),
                    related: reply.related,
                    text: reply.answer.answer,
                    citations: reply.answer.citations,
                })
            }
        }
    }
}

impl Work {
    /// Writes what this work owes, sends it with the platform's `send`, and marks its job
    /// done once sent: the one path from a taken event to a delivered message on every
    /// channel. An answer that could not be written is sent as the catalog's [`Key::Internal`].
    pub async fn deliver<F, Sending>(self, conversations: &Conversations, channel: Channel, send: F)
    where
        F: FnOnce(Outbound) -> Sending,
        Sending: std::future::Future<Output = Result<()>>,
    {
        let job = self.job();
        let outbound = match self.run(conversations).await {
            Ok(o) => o,
            Err(e) => {
                tracing::error!("{}: answering failed: {e:#}", channel.as_str());
                Outbound::notice(copy::ja(Key::Internal))
            }
        };
        let result = send(outbound).await;
        sent(conversations, channel, job, result).await;
    }
}

/// After a send: its job is done; one that failed is logged and its job left for the
/// sweep, which sends it again.
async fn sent(conversations: &Conversations, channel: Channel, job: Job, result: Result<()>) {
    match (result, job) {
        (Ok(()), Job::Answer(message)) => conversations.inbox().job_done(message).await,
        (Ok(()), Job::Notice(id)) => conversations.inbox().notice_sent(id).await,
        (Err(e), _) => tracing::error!(
            "{}: a message was not delivered (tried again later): {e:#}",
            channel.as_str()
        ),
    }
}

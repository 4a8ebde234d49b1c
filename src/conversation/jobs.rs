//! LINE's and Telegram's messages as durable jobs. The platform is told a message arrived
//! once it is stored, with a job to answer it (same transaction); the job is done when the
//! answer was sent. Every notice owed to a user (a greeting, a handoff's confirmation) is
//! stored the same way with the event that asked for it, and removed once sent. A crash, or a send that failed, leaves the job: the channels' sweep
//! takes it again after [`STALE_AFTER`] and sends the stored answer, or answers first if
//! there is none. Each instance sweeps; a conditional claim gives a job to one of them.

use chrono::{DateTime, TimeDelta, Utc};

use super::Accepted;
use super::channels::{Inbox, Owed};
use crate::assistant::Channel;
use crate::domain::MessageId;
use crate::store::StoredMessage;
use crate::store::channels::{ChannelJob, OwedNotice};

/// How long a job may stay with its worker: longer than any answer and its sends take.
pub const STALE_AFTER: TimeDelta = TimeDelta::minutes(3);

/// Tries of the sweep before a job is given up (the user blocked the bot, say).
const MAX_ATTEMPTS: i64 = 5;

/// An answer later than this is no longer an answer to what the user is doing.
const MAX_AGE: TimeDelta = TimeDelta::hours(24);

/// What finishes a job taken by the sweep.
#[derive(Debug)]
pub enum Resumed {
    /// No answer was stored: write it.
    Answer(Accepted),
    /// The answer was stored and not sent: send it.
    Answered(StoredMessage),
}

impl Inbox<'_> {
    /// The jobs of `channels` (those on here) whose worker has not finished them within
    /// [`STALE_AFTER`]: a channel that is off here leaves its jobs to an instance where it
    /// is on, without holding up the others.
    pub async fn stale_jobs(&self, channels: &[Channel]) -> anyhow::Result<Vec<ChannelJob>> {
        let before =
            (Utc::now() - STALE_AFTER).to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let names: Vec<&str> = channels.iter().map(|c| c.as_str()).collect();
        Ok(self.0.store.stale_channel_jobs(&before, &names).await?)
    }

    /// Takes a stale job of `channel`: what finishes it, or `None` when there is nothing
    /// to send (another instance took it, a person owns the conversation now, or it was
    /// given up: too old or tried too often; the question stays in the transcript).
    pub async fn resume_job(
        &self,
        channel: Channel,
        job: &ChannelJob,
    ) -> anyhow::Result<Option<Resumed>> {
        let id = job.message_id;
        let age = DateTime::parse_from_rfc3339(&job.asked_at)
            .map(|at| Utc::now().signed_duration_since(at))
            .unwrap_or(TimeDelta::MAX);
        if job.attempts >= MAX_ATTEMPTS || age > MAX_AGE {
            tracing::error!(
                message = %id,
                attempts = job.attempts,
                "a {} message was not answered; given up (it is in the transcript)",
                channel.as_str()
            );
            self.0.store.finish_channel_job(id).await?;
            return Ok(None);
        }
        if !self.0.store.claim_channel_job(job).await? {
            return Ok(None);
        }
        let Some((session_id, text, answer)) = self.0.store.channel_job_question(id).await? else {
            self.0.store.finish_channel_job(id).await?;
            return Ok(None);
        };
        if let Some(answer) = answer {
            return Ok(Some(Resumed::Answered(answer)));
        }
        let state = self
            .0
            .state(&session_id)
            .await?
            .unwrap_or(super::State::Bot);
        if state.person_owns() {
            // A person took the conversation meanwhile: the message is theirs to answer.
            self.0.store.finish_channel_job(id).await?;
            return Ok(None);
        }
        Ok(Some(Resumed::Answer(Accepted {
            session_id,
            question_id: id,
            state,
            text,
            channel,
            context: None,
        })))
    }

    /// The owed notices of `channels` whose worker has not sent them within [`STALE_AFTER`].
    pub async fn stale_notices(&self, channels: &[Channel]) -> anyhow::Result<Vec<OwedNotice>> {
        let before =
            (Utc::now() - STALE_AFTER).to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let names: Vec<&str> = channels.iter().map(|c| c.as_str()).collect();
        Ok(self.0.store.stale_owed_notices(&before, &names).await?)
    }

    /// Takes a stale owed notice: what to send, or `None` when another instance took it or
    /// it was given up (too old, tried too often).
    pub async fn resume_notice(&self, notice: &OwedNotice) -> anyhow::Result<Option<Owed>> {
        let age = DateTime::parse_from_rfc3339(&notice.created_at)
            .map(|at| Utc::now().signed_duration_since(at))
            .unwrap_or(TimeDelta::MAX);
        if notice.attempts >= MAX_ATTEMPTS || age > MAX_AGE {
            tracing::error!(
                notice = notice.id,
                attempts = notice.attempts,
                "a notice owed to a {} user was not delivered; given up",
                notice.channel
            );
            self.0.store.finish_owed_notice(notice.id).await?;
            return Ok(None);
        }
        if !self.0.store.claim_owed_notice(notice).await? {
            return Ok(None);
        }
        Ok(Some(Owed {
            id: notice.id,
            text: notice.text.clone(),
            suggestions: notice.suggestions.clone(),
        }))
    }

    /// The owed notice `id` was sent. A failure to record it is logged (the sweep would
    /// send it once more).
    pub async fn notice_sent(&self, id: i64) {
        if let Err(e) = self.0.store.finish_owed_notice(id).await {
            tracing::warn!(notice = id, "recording a sent notice: {e:#}");
        }
    }

    /// The job of message `message_id` is done: its answer was sent. A failure to record
    /// it is logged (the sweep would send the answer once more).
    pub async fn job_done(&self, message_id: MessageId) {
        if let Err(e) = self.0.store.finish_channel_job(message_id).await {
            tracing::warn!(message = %message_id, "recording a sent answer: {e:#}");
        }
    }
}

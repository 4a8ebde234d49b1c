//! The parts of LINE's webhook body that Shikaku reads.

use serde::Deserialize;
use serde_json::Value;

#[derive(Deserialize)]
pub(super) struct WebhookBody {
    #[serde(default)]
    pub events: Vec<Value>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Event {
    #[serde(rename = "type")]
    pub kind: String,
    pub webhook_event_id: String,
    #[serde(default)]
    pub reply_token: Option<String>,
    #[serde(default)]
    pub source: Option<Source>,
    #[serde(default)]
    pub message: Option<Message>,
    #[serde(default)]
    pub postback: Option<Postback>,
    #[serde(default)]
    pub mode: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Source {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub user_id: Option<String>,
    #[serde(default)]
    pub group_id: Option<String>,
    #[serde(default)]
    pub room_id: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(super) struct Message {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub text: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(super) struct Postback {
    pub data: String,
}

/// The postback data of the handoff button.
pub(super) const HANDOFF_DATA: &str = "handoff";

impl Event {
    /// Who to answer: the user, or the group or room the message came from.
    pub fn chat(&self) -> Option<&str> {
        let s = self.source.as_ref()?;
        match s.kind.as_str() {
            "group" => s.group_id.as_deref(),
            "room" => s.room_id.as_deref(),
            _ => s.user_id.as_deref(),
        }
    }

    pub fn is_one_to_one(&self) -> bool {
        self.source.as_ref().is_some_and(|s| s.kind == "user")
    }
}

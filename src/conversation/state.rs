//! Who owns a conversation: the bot, or a person of the call center.

use serde::Serialize;

/// `bot` → `waiting` (a ticket is open) → `agent` (claimed) → `resolved` (the bot answers
/// again). Stored by these names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum State {
    Bot,
    Waiting,
    Agent,
    Resolved,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Bot => "bot",
            State::Waiting => "waiting",
            State::Agent => "agent",
            State::Resolved => "resolved",
        }
    }

    pub fn parse(name: &str) -> anyhow::Result<State> {
        Ok(match name {
            "bot" => State::Bot,
            "waiting" => State::Waiting,
            "agent" => State::Agent,
            "resolved" => State::Resolved,
            other => anyhow::bail!("unknown conversation state {other:?} in the database"),
        })
    }

    /// A person owns the conversation: the bot stays silent.
    pub fn person_owns(self) -> bool {
        matches!(self, State::Waiting | State::Agent)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_match_the_json_names() {
        for s in [State::Bot, State::Waiting, State::Agent, State::Resolved] {
            assert_eq!(State::parse(s.as_str()).unwrap(), s);
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
        }
        assert!(State::parse("lost").is_err());
    }
}

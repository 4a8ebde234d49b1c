//! Why a conversation was handed to the call center: the console names it.

use serde::{Deserialize, Serialize};

use crate::assistant::intent::HandoffReason;

/// Stored with the ticket by its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// 「担当者につなぐ」 in the widget.
    Button,
    /// The user asked for a person.
    RequestedPerson,
    /// The user asked about their own case.
    OwnCase,
    /// The bot could not help twice.
    RepeatedFailure,
}

impl Reason {
    pub const ALL: [Reason; 4] = [
        Reason::Button,
        Reason::RequestedPerson,
        Reason::OwnCase,
        Reason::RepeatedFailure,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Button => "button",
            Reason::RequestedPerson => "requested_person",
            Reason::OwnCase => "own_case",
            Reason::RepeatedFailure => "repeated_failure",
        }
    }

    pub fn parse(name: &str) -> Option<Reason> {
        Reason::ALL.into_iter().find(|r| r.as_str() == name)
    }
}

impl From<HandoffReason> for Reason {
    fn from(reason: HandoffReason) -> Reason {
        match reason {
            HandoffReason::RequestedPerson => Reason::RequestedPerson,
            HandoffReason::OwnCase => Reason::OwnCase,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_match_the_json_names() {
        for r in Reason::ALL {
            assert_eq!(Reason::parse(r.as_str()), Some(r));
            assert_eq!(serde_json::to_value(r).unwrap(), r.as_str());
        }
        assert_eq!(Reason::parse("bored"), None);
    }
}

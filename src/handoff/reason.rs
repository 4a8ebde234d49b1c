//! Why a conversation was handed to the call center: the console names it.

use crate::assistant::intent::HandoffReason;

pub use crate::domain::Reason;

impl From<HandoffReason> for Reason {
    fn from(reason: HandoffReason) -> Reason {
        match reason {
            HandoffReason::RequestedPerson => Reason::RequestedPerson,
            HandoffReason::OwnCase => Reason::OwnCase,
        }
    }
}

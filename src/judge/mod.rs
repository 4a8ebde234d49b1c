//! The answerability judge: does this passage answer this question, or only share its
//! topic? A small network over what retrieval already knows of the pair (its scores,
//! the question's words the passage lacks, what the question asks for and what the
//! passage gives, the two meaning vectors side by side), trained here on the labelled
//! questions of `training/answerability/` (`shikaku judge train`). Its calibrated
//! probability decides whether a passage is given as the answer.

pub mod asks;
pub mod corpus;
pub mod features;
pub mod memory;
mod model;

pub use model::{
    CARD, Card, Figures, HIDDEN, Judge, MEMORY, Provenance, SplitFigures, WEIGHTS, calibrated,
};
pub(crate) use model::{Parts, batch, forward, model_logits};

//! Japanese retrieval: lindera (IPADIC) analysis and a tantivy index over the knowledge base.

pub mod analysis;
pub mod dictionary;
mod facts;
pub mod fusion;
pub mod index;
pub mod passage;
pub mod recent;
pub mod vectors;
mod words;

pub use analysis::Analyzer;
pub use fusion::Fusion;
pub use index::{Hit, SearchIndex};
pub use passage::Passage;
pub use vectors::{Closeness, QueryVectors, Vectors};

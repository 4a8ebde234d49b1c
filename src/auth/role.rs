//! What a console user may do: [`Role`], one of the service's shared names.

pub use crate::domain::Role;

//! One file per resource of the HTTP API and the pages.

pub mod accounts;
pub mod agent;
pub mod canned;
pub mod chat;
pub mod desk;
pub mod editor;
pub mod faq_form;
pub mod feedback;
pub mod handoff;
pub mod health;
pub mod ownership;
pub mod pages;
pub mod releases;
pub mod sessions;
pub mod webhooks;

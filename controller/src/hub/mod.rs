//! The Hub: the engine table, heartbeats, registration, and the answers to clients' queries.

pub mod engines;
pub mod heartbeat;
mod queries;
mod registration;

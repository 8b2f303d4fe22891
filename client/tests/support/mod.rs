//! Shared fixtures for the integration tests (`mod support;` in each test file).
//!
//! Each test binary compiles this module and uses only part of it.
#![allow(dead_code)]

pub mod cluster;

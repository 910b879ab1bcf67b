//! Code shared by integration tests.
pub mod old_sampler;

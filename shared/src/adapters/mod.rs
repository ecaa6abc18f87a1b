//! Adapters: the ports implemented for AWS ([`aws`]) and for one machine ([`embedded`]), and the
//! factory that picks a family from configuration ([`factory`]).

pub mod aws;
pub mod embedded;
pub mod factory;
pub mod secret_cache;

pub use factory::{AdapterConfig, Adapters, Backend, FactoryError};

//! patrolsim: a discrete-event simulator for police station layouts.
//!
//! It answers a planning question: does this layout of stations, units and
//! patrol loops reach every call within the response target (5 minutes by
//! default) often enough? Data flows scenario → network → demand → engine →
//! metrics → report; see `docs/ARCHITECTURE.md` for the module map and
//! `docs/model.md` for the exact model.

#![warn(missing_docs)]

pub mod analysis;
pub mod cli;
pub mod demand;
pub mod error;
pub mod metrics;
pub mod network;
pub mod output;
pub mod report;
pub mod rng;
pub mod routing;
pub mod scenario;
pub mod sim;

pub use error::{Error, Result};

//! patrolsim: a discrete-event simulator for police station layouts.
//!
//! It answers a planning question: does this layout of stations, units and
//! patrol loops reach every call within the response target (5 minutes by
//! default) often enough? Data flows scenario → network → demand → engine →
//! metrics → report; see `docs/ARCHITECTURE.md` for the module map and
//! `docs/model.md` for the exact model.
//!
//! ```
//! use patrolsim::{scenario::load, sim};
//!
//! let text = r#"
//! [network]
//! synthetic = { seed = 3, rows = 30, cols = 30 }
//!
//! [[stations]]
//! name = "Central"
//! node = 465
//! units = 2
//!
//! [demand]
//! calls_per_hour = 6
//!
//! [simulation]
//! horizon_s = 21600
//! "#;
//! let scn = load::from_str(text, "example.toml".as_ref(), ".".as_ref())?;
//! let prepared = sim::Prepared::new(&scn);
//! let outcome = sim::run(&scn, &prepared, 0)?;
//! let summary = &outcome.summary;
//! assert_eq!(summary.calls.total, outcome.calls.len());
//! println!(
//!     "{} calls, {:.1}% within {} s: {}",
//!     summary.calls.counted,
//!     100.0 * summary.target.compliance.unwrap_or(0.0),
//!     summary.target.response_s,
//!     if summary.target.meets { "meets" } else { "misses" },
//! );
//! # Ok::<(), patrolsim::Error>(())
//! ```

#![warn(missing_docs)]

pub mod analysis;
pub mod batch;
pub mod cli;
pub mod demand;
pub mod error;
pub mod exact;
pub mod export;
pub mod metrics;
pub mod network;
pub mod order;
pub mod output;
pub mod pages;
pub mod plot;
pub mod report;
pub mod report_html;
pub mod rng;
pub mod routing;
pub mod scenario;
pub mod sim;
pub mod trace;

pub use error::{Error, Result};

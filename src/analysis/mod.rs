//! Analyses that need no simulation: static coverage of a layout.

pub mod coverage;

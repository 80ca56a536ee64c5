//! Analyses that need no simulation: static coverage of a layout, and the
//! design of patrol loops.

pub mod coverage;
pub mod patrol_design;

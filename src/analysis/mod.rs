//! Analyses that need no simulation: static coverage of a layout, the
//! design of patrol loops, and the placement of stations.

pub mod coverage;
pub mod patrol_design;
pub mod placement;
pub mod placement_cmd;

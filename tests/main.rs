//! patrolsim's integration tests: one binary, one module per area.

mod common;

mod animate;
mod batch;
mod cli;
mod determinism;
mod dispatch;
mod engine;
mod errors;
mod osm;
mod patrol;
mod placement;
mod queueing;
mod real_data;
mod report;
mod routing;
mod scenarios;

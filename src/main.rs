//! The `patrolsim` binary: parse arguments, run, map errors to exit codes.

use clap::Parser;

fn main() {
    let cli = patrolsim::cli::Cli::parse();
    if let Err(e) = patrolsim::cli::execute(cli) {
        eprintln!("error: {e}");
        std::process::exit(if e.is_input() { 2 } else { 1 });
    }
}

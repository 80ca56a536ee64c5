//! The `patrolsim` binary: parse arguments, run, map errors to exit codes.

use clap::Parser;

fn main() {
    // Die quietly, like other command-line tools, when the reader of our
    // output goes away (`patrolsim batch ... | head`), instead of panicking.
    #[cfg(unix)]
    // SAFETY: restoring the default action of SIGPIPE before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = patrolsim::cli::Cli::parse();
    if let Err(e) = patrolsim::cli::execute(cli) {
        eprintln!("error: {e}");
        std::process::exit(if e.is_input() { 2 } else { 1 });
    }
}

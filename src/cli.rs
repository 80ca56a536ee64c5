//! The command line: argument definitions (clap) and what each command does.
//!
//! The binary only parses arguments, calls [`execute`] and maps errors to
//! exit codes (2 for bad input, 1 otherwise).

use std::path::{Path, PathBuf};

use clap::{Args, Parser, Subcommand};

use crate::analysis::coverage::Coverage;
use crate::error::Result;
use crate::scenario::{load, Scenario};
use crate::{batch, report, sim};

const EXAMPLES: &str = "\
Examples:
  patrolsim demo                                  run the built-in city, write ./patrolsim-demo/
  patrolsim check scenarios/default.toml          validate; print network size and static coverage
  patrolsim run scenarios/default.toml --out out  simulate; write the CSV files and summary.json
  patrolsim run my-city.toml --seed 42            the same with another random seed
  patrolsim patrols design my-city.toml           propose 15-minute loops through every hotspot
  patrolsim coverage my-city.toml                 static coverage: catchments, worst-served places, map
  patrolsim place my-city.toml --stations 20      where 20 stations reach the most calls within 5 minutes
  patrolsim place my-city.toml --stations 24 --keep existing --verify --reps 20
                                                  4 more stations, checked by simulation
  patrolsim report my-city.toml --out out         one self-contained report.html: verdict, tables, plots, playback
  patrolsim import osm city.osm.pbf --out city    a real city's roads as nodes.csv and edges.csv
  patrolsim export geojson my-city.toml --out gis map layers for QGIS or kepler.gl
  patrolsim animate my-city.toml --out am.gif --from 21600
                                                  06:00 to 07:00 as an animated GIF
  patrolsim batch my-city.toml --reps 50          50 replications with 95% confidence intervals
  patrolsim compare base.toml more.toml --reps 30 two layouts on the same calls, paired differences
  patrolsim sweep my-city.toml --set stations.units=1..3 --reps 20
                                                  compliance against units per station
  patrolsim batch my-city.toml --reps 1000 --shard 3/8 --out part3   one shard of a cluster job

Exit codes: 0 success (whatever the verdict), 2 bad input, 1 anything else.";

/// patrolsim: does this layout of police stations and units reach every call
/// within the response target?
#[derive(Debug, Parser)]
#[command(name = "patrolsim", version, about, after_help = EXAMPLES)]
pub struct Cli {
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Simulate a scenario and judge it against the response target.
    Run(RunArgs),
    /// Simulate a scenario and write an animated GIF of a window of it: units
    /// moving along the roads, coloured by what they do, calls opening and
    /// closing, a clock and the running share of calls reached in time.
    Animate(AnimateArgs),
    /// Simulate a scenario and write report.html beside the usual outputs: one
    /// self-contained page with the verdict, the tables, every plot and an
    /// in-page playback of the run.
    Report {
        /// Scenario file (TOML).
        scenario: PathBuf,
        /// Output directory for report.html and the usual outputs.
        #[arg(long, default_value = "patrolsim-out")]
        out: PathBuf,
        /// Seed of every random stream; overrides `simulation.seed`.
        #[arg(long)]
        seed: Option<u64>,
        /// Replication index (0 = the first).
        #[arg(long, default_value_t = 0)]
        rep: u64,
    },
    /// Validate a scenario; print the network size, each station's snapping
    /// distance and the static coverage.
    Check {
        /// Scenario file (TOML).
        scenario: PathBuf,
    },
    /// Static coverage of a scenario's stations: the share of nodes and of
    /// expected calls within the response target, each station's catchment
    /// and the worst-served places; writes coverage.json and the coverage map.
    Coverage(crate::analysis::placement_cmd::CoverageArgs),
    /// Where should the stations go? Choose station sites among candidate
    /// nodes by maximal covering, set covering, p-median or backup coverage on
    /// real travel times; write the sites, a ready scenario and a map.
    /// `--verify` simulates the best layouts and the current one on the same calls.
    Place(crate::analysis::placement_cmd::PlaceArgs),
    /// Run the built-in default scenario and write ./patrolsim-demo/ (with report.html).
    Demo {
        /// Output directory.
        #[arg(long, default_value = "patrolsim-demo")]
        out: PathBuf,
    },
    /// Export a scenario as GeoJSON layers (stations, hotspots, loops, node
    /// coverage, roads) for QGIS or kepler.gl.
    Export {
        /// The format.
        #[command(subcommand)]
        command: ExportCommand,
    },
    /// Run many replications of a scenario in parallel and estimate every
    /// figure with a 95 % confidence interval (replications.csv, batch.json).
    Batch(BatchArgs),
    /// Combine the output directories of `batch --shard i/n` runs into the
    /// files a single batch would have written.
    Merge {
        /// Shard output directories.
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
        /// Output directory.
        #[arg(long, default_value = "patrolsim-batch")]
        out: PathBuf,
    },
    /// Compare layouts of one city on the same random calls: each layout's
    /// estimates and the paired difference from the first.
    Compare {
        /// Scenario files (two or more), the first being the reference.
        #[arg(required = true, num_args = 2..)]
        scenarios: Vec<PathBuf>,
        /// Replications per layout.
        #[arg(long, default_value_t = 20)]
        reps: u64,
        /// Worker threads (0: one per core). Results do not depend on it.
        #[arg(long, default_value_t = 0)]
        threads: usize,
        /// Output directory for compare.csv, compare.json and compare.png/.svg.
        #[arg(long, default_value = "patrolsim-compare")]
        out: PathBuf,
    },
    /// Sweep scenario keys over a grid; each point is a batch.
    Sweep {
        /// Scenario file (TOML).
        scenario: PathBuf,
        /// `key=values`: a TOML path and a comma-separated list or an integer
        /// range `a..b`, e.g. `dispatch.call_handling_s=30,60,90` or
        /// `stations.units=1..3` (every station). Repeat for a grid.
        #[arg(long = "set", required = true)]
        set: Vec<String>,
        /// Replications per point.
        #[arg(long, default_value_t = 10)]
        reps: u64,
        /// Worker threads (0: one per core). Results do not depend on it.
        #[arg(long, default_value_t = 0)]
        threads: usize,
        /// Output directory for sweep.csv, sweep.json and sweep.png/.svg.
        #[arg(long, default_value = "patrolsim-sweep")]
        out: PathBuf,
        /// Run only shard i of n (`i/n`) of the (point, replication) jobs; combine with `merge`.
        #[arg(long)]
        shard: Option<String>,
    },
    /// Bring a real city's road network in.
    Import {
        /// The source.
        #[command(subcommand)]
        command: ImportCommand,
    },
    /// Patrol loops: design them from a scenario's stations and hotspots.
    Patrols {
        /// What to do.
        #[command(subcommand)]
        command: PatrolsCommand,
    },
}

/// `patrolsim export ...`.
#[derive(Debug, Subcommand)]
pub enum ExportCommand {
    /// Write stations.geojson, hotspots.geojson, loops.geojson,
    /// coverage.geojson (every node: travel time from the nearest station and
    /// whether it is within the target) and roads.geojson.
    Geojson {
        /// Scenario file (TOML).
        scenario: PathBuf,
        /// Output directory.
        #[arg(long, default_value = "patrolsim-geojson")]
        out: PathBuf,
    },
}

/// `patrolsim import ...`.
#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Import an OpenStreetMap extract (.osm.pbf): drivable roads, speeds from
    /// maxspeed or per road class, one-way rules, the largest strongly
    /// connected part. Writes nodes.csv and edges.csv (OSMnx columns) and keeps
    /// a binary cache beside the source, so the next load is fast.
    Osm {
        /// The extract.
        file: PathBuf,
        /// Output directory for nodes.csv and edges.csv.
        #[arg(long, default_value = "patrolsim-import")]
        out: PathBuf,
        /// Keep `highway=service` roads too.
        #[arg(long)]
        service: bool,
    },
}

/// `patrolsim patrols ...`.
#[derive(Debug, Subcommand)]
pub enum PatrolsCommand {
    /// Design loops through every hotspot, each starting at a station and
    /// closing within `targets.patrol_loop_s`; write them as a scenario
    /// fragment (patrols.toml) and as GeoJSON (patrols.geojson).
    Design {
        /// Scenario file (TOML); its stations, hotspots and lap target are used.
        scenario: PathBuf,
        /// Output directory.
        #[arg(long, default_value = "patrolsim-patrols")]
        out: PathBuf,
        /// Units per designed loop, written into the fragment.
        #[arg(long, default_value_t = 1)]
        units: u32,
    },
}

/// Options of `patrolsim batch`.
#[derive(Debug, Args)]
pub struct BatchArgs {
    /// Scenario file (TOML).
    pub scenario: PathBuf,
    /// Number of replications; replication r uses streams keyed by (seed, r).
    #[arg(long, default_value_t = 20)]
    pub reps: u64,
    /// Worker threads (0: one per core). Results do not depend on it.
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    /// Output directory for replications.csv and batch.json (shard.json with --shard).
    #[arg(long, default_value = "patrolsim-batch")]
    pub out: PathBuf,
    /// Seed of every random stream; overrides `simulation.seed`.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Run only shard i of n (0-based, `i/n`): replications i, i + n, ...; combine with `merge`.
    #[arg(long)]
    pub shard: Option<String>,
}

/// Options of `patrolsim run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Scenario file (TOML).
    pub scenario: PathBuf,
    /// Output directory for incidents.csv, units.csv and summary.json.
    #[arg(long, default_value = "patrolsim-out")]
    pub out: PathBuf,
    /// Seed of every random stream; overrides `simulation.seed`.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Replication index: a distinct random stream for the same seed (0 = the first).
    #[arg(long, default_value_t = 0)]
    pub rep: u64,
    /// Also write report.html: one self-contained page with the verdict,
    /// tables, plots and an in-page playback of the run.
    #[arg(long)]
    pub report: bool,
}

/// Options of `patrolsim animate`.
#[derive(Debug, Args)]
pub struct AnimateArgs {
    /// Scenario file (TOML).
    pub scenario: PathBuf,
    /// The GIF file to write (its directory is created if needed).
    #[arg(long)]
    pub out: PathBuf,
    /// Start of the window, seconds of city time from the start of the run
    /// (21600 = 06:00 of the first day).
    #[arg(long, default_value_t = 0.0)]
    pub from: f64,
    /// End of the window, seconds of city time from the start of the run;
    /// default: an hour after --from, or the end of the run if sooner.
    #[arg(long)]
    pub to: Option<f64>,
    /// Frames per second of playback, 1 to 30.
    #[arg(long, default_value_t = 5)]
    pub fps: u32,
    /// Seconds of city time per second of playback (60: a minute of city
    /// time per second, so an hour plays in a minute).
    #[arg(long, default_value_t = 60.0)]
    pub speed: f64,
    /// Seed of every random stream; overrides `simulation.seed`.
    #[arg(long)]
    pub seed: Option<u64>,
}

/// Run a parsed command line, printing to stdout.
pub fn execute(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Report {
            scenario,
            out,
            seed,
            rep,
        } => single_run(&scenario, seed, |scn| {
            crate::report_html::report_scenario(scn, &out, rep, true)
        }),
        Command::Run(a) => single_run(&a.scenario, a.seed, |scn| {
            crate::report_html::report_scenario(scn, &a.out, a.rep, a.report)
        }),
        Command::Animate(a) => animate(&a),
        Command::Coverage(a) => crate::analysis::placement_cmd::run_coverage(&a),
        Command::Place(a) => crate::analysis::placement_cmd::run_place(&a),
        Command::Check { scenario } => {
            let scn = load::from_path(&scenario)?;
            let cov = Coverage::of(&scn, 5);
            print!("{}", report::check_report(&scn, &cov));
            Ok(())
        }
        Command::Patrols {
            command:
                PatrolsCommand::Design {
                    scenario,
                    out,
                    units,
                },
        } => {
            if units == 0 {
                return Err(crate::Error::Option {
                    option: "--units".into(),
                    message: "must be at least 1".into(),
                });
            }
            let scn = load::from_path(&scenario)?;
            design_patrols(&scn, &out, units)
        }
        Command::Export {
            command: ExportCommand::Geojson { scenario, out },
        } => {
            let scn = load::from_path(&scenario)?;
            let files = crate::export::write_geojson(&out, &scn)?;
            for f in &files {
                println!("wrote {}", f.display());
            }
            if !matches!(
                scn.net.projection.coords,
                crate::network::CoordSystem::LonLat
            ) {
                println!(
                    "note: the network is planar, so coordinates are its planar x, y, not lon/lat"
                );
            }
            Ok(())
        }
        Command::Batch(a) => {
            let mut scn = load::from_path(&a.scenario)?;
            if let Some(seed) = a.seed {
                scn.sim.seed = seed;
            }
            check_reps(a.reps)?;
            let shard = a.shard.as_deref().map(batch::Shard::parse).transpose()?;
            run_batch(&scn, a.reps, a.threads, shard, &a.out)
        }
        Command::Merge { dirs, out } => {
            if dirs.first().is_some_and(|d| batch::is_sweep_shard(d)) {
                let (axes, points) = batch::sweep::merge(&dirs)?;
                write_sweep(&out, &axes, &points)?;
                println!("\nMerged {} sweep shards.", dirs.len());
                return Ok(());
            }
            let (summary, rows) = batch::merge(&dirs)?;
            batch::write_batch(&out, &summary, &rows, None)?;
            print!("{}", report::batch_report(&summary, None));
            println!(
                "\nMerged {} shards; wrote {}/replications.csv and {}/batch.json.",
                dirs.len(),
                out.display(),
                out.display()
            );
            Ok(())
        }
        Command::Compare {
            scenarios,
            reps,
            threads,
            out,
        } => {
            check_reps(reps)?;
            let mut layouts = scenarios
                .iter()
                .map(|p| load::from_path(p))
                .collect::<Result<Vec<_>>>()?;
            let bar = progress_bar(reps * layouts.len() as u64);
            let (cmp, _) = batch::compare::compare(&mut layouts, reps, threads, &|| bar.inc(1))?;
            bar.finish_and_clear();
            crate::output::ensure_dir(&out)?;
            crate::output::write_string(
                &out.join("compare.csv"),
                &batch::compare::comparison_csv(&cmp),
            )?;
            let json = serde_json::to_string_pretty(&cmp)
                .map_err(|e| crate::Error::Internal(e.to_string()))?;
            crate::output::write_string(&out.join("compare.json"), &(json + "\n"))?;
            crate::plot::batch::comparison(&out, &cmp)?;
            print!("{}", report::comparison_report(&cmp));
            println!(
                "\nWrote {0}/compare.csv, {0}/compare.json and {0}/compare.png (.svg).",
                out.display()
            );
            Ok(())
        }
        Command::Sweep {
            scenario,
            set,
            reps,
            threads,
            out,
            shard,
        } => {
            check_reps(reps)?;
            let shard = shard.as_deref().map(batch::Shard::parse).transpose()?;
            run_sweep(&scenario, &set, reps, threads, &out, shard)
        }
        Command::Import {
            command: ImportCommand::Osm { file, out, service },
        } => {
            use crate::network::osm;
            let opts = osm::OsmOptions {
                include_service: service,
            };
            let progress = std::io::IsTerminal::is_terminal(&std::io::stderr());
            let (net, info) = osm::load(&file, &opts, progress)?;
            osm::write_csv(&net, &out)?;
            println!(
                "{}: {} ways kept; {} nodes and {} directed edges, of which the largest strongly connected part keeps {} nodes and {} edges ({:.0} km of road)",
                file.display(),
                report::thousands(info.ways_kept),
                report::thousands(info.nodes_before_scc),
                report::thousands(info.edges_before_scc),
                report::thousands(info.nodes),
                report::thousands(info.edges),
                net.total_km()
            );
            println!(
                "{} in {:.2} s{}",
                if info.from_cache {
                    "loaded from the cache"
                } else {
                    "imported"
                },
                info.elapsed.as_secs_f64(),
                info.cache_note
                    .map(|n| format!(" ({n})"))
                    .unwrap_or_default()
            );
            println!(
                "Wrote {0}/nodes.csv and {0}/edges.csv; use them with [network] nodes = \"nodes.csv\", edges = \"edges.csv\", or point a scenario at the extract with osm = \"{1}\".",
                out.display(),
                file.display()
            );
            Ok(())
        }
        Command::Demo { out } => {
            let scn = load::default_scenario()?;
            let cov = Coverage::of(&scn, 5);
            print!("{}", report::check_report(&scn, &cov));
            println!();
            crate::report_html::report_scenario(&scn, &out, 0, true)
        }
    }
}

fn animate(a: &AnimateArgs) -> Result<()> {
    use crate::plot::AnimateOptions;
    let mut opts = AnimateOptions {
        from_s: a.from,
        to_s: a.to.unwrap_or(a.from + 3600.0),
        fps: a.fps,
        speed: a.speed,
        ..AnimateOptions::default()
    };
    // The options that do not depend on the scenario, before loading it.
    opts.validate(f64::INFINITY)?;
    let mut scn = load::from_path(&a.scenario)?;
    if let Some(seed) = a.seed {
        scn.sim.seed = seed;
    }
    if a.to.is_none() {
        opts.to_s = scn.sim.horizon_s.min(a.from + 3600.0);
    }
    opts.validate(scn.sim.horizon_s)?;
    let prepared = sim::Prepared::new(&scn);
    let (bar, progress) = sim_progress(scn.sim.horizon_s);
    let run = sim::with_progress(progress, || sim::run_traced(&scn, &prepared, 0));
    bar.finish_and_clear();
    let (outcome, trace) = run?;
    let info = crate::plot::animate(&a.out, &scn, &prepared, &trace, &outcome, &opts)?;
    let clock = |t: f64| {
        let s = t.max(0.0).round() as u64;
        let hm = format!("{:02}:{:02}", s / 3600 % 24, s / 60 % 60);
        if scn.sim.horizon_s > 86_400.0 {
            format!("day {} {hm}", s / 86_400 + 1)
        } else {
            hm
        }
    };
    println!(
        "Wrote {}: {} frame{}, {:.1} s of playback at {} frames per second ({} to {} of city time, {} city seconds per second), {:.2} MB ({} x {} pixels).",
        info.path.display(),
        report::thousands(info.frames),
        if info.frames == 1 { "" } else { "s" },
        info.duration_s,
        opts.fps,
        clock(opts.from_s),
        clock(opts.to_s),
        opts.speed,
        info.bytes as f64 / 1e6,
        info.width,
        info.height
    );
    Ok(())
}

fn design_patrols(scn: &Scenario, out: &Path, units: u32) -> Result<()> {
    use crate::analysis::patrol_design;
    let snodes: Vec<_> = scn.stations.iter().map(|s| s.node).collect();
    let hnodes: Vec<_> = scn.hotspots.iter().map(|h| h.node).collect();
    if hnodes.is_empty() {
        return Err(crate::Error::field(
            &scn.path,
            "hotspots",
            "the scenario has no [[hotspots]] to design loops through",
        ));
    }
    let snames: Vec<String> = scn.stations.iter().map(|s| s.name.clone()).collect();
    let hnames: Vec<String> = scn.hotspots.iter().map(|h| h.name.clone()).collect();
    let d = patrol_design::design(&scn.net, &snodes, &hnodes, scn.targets.patrol_loop_s);
    crate::output::ensure_dir(out)?;
    crate::output::write_string(
        &out.join("patrols.toml"),
        &d.to_toml(&snames, &hnames, units),
    )?;
    let geo = d.to_geojson(&scn.net, &snodes, &hnodes, &snames, &hnames);
    crate::output::write_string(&out.join("patrols.geojson"), &(geo.to_string() + "\n"))?;
    print!("{}", report::design_report(scn, &d, &snames, &hnames));
    println!(
        "\nWrote {0}/patrols.toml (paste into a scenario, or use `[[patrols]] auto = true`) and {0}/patrols.geojson (for QGIS or kepler.gl).",
        out.display()
    );
    Ok(())
}

fn check_reps(reps: u64) -> Result<()> {
    if reps == 0 || reps > 1_000_000 {
        return Err(crate::Error::Option {
            option: "--reps".into(),
            message: format!("must be 1 to 1,000,000, got {reps}"),
        });
    }
    Ok(())
}

/// Load a scenario (with `seed` in place of its own) and make one run of it
/// with `f`, showing the progress of the simulation on a terminal.
fn single_run(
    path: &Path,
    seed: Option<u64>,
    f: impl FnOnce(&Scenario) -> Result<()>,
) -> Result<()> {
    let mut scn = load::from_path(path)?;
    if let Some(seed) = seed {
        scn.sim.seed = seed;
    }
    let (bar, progress) = sim_progress(scn.sim.horizon_s);
    let result = sim::with_progress(progress, || f(&scn));
    bar.finish_and_clear();
    result
}

/// Wall time a simulation runs before its progress bar appears: short runs stay quiet.
const QUIET_FOR: std::time::Duration = std::time::Duration::from_millis(1500);

/// A progress bar of simulated time against the horizon, and the callback
/// that moves it. It is drawn on stderr when that is a terminal, and only
/// once the run has taken [`QUIET_FOR`]; otherwise nothing is shown.
fn sim_progress(horizon_s: f64) -> (indicatif::ProgressBar, impl FnMut(f64) + 'static) {
    use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
    let hours = (horizon_s / 3600.0).ceil().max(1.0) as u64;
    let bar = ProgressBar::with_draw_target(Some(hours), ProgressDrawTarget::hidden());
    if let Ok(style) = ProgressStyle::with_template(
        "simulating {bar:40} {pos}/{len} h of simulated time, {elapsed} elapsed, ETA {eta}",
    ) {
        bar.set_style(style);
    }
    let terminal = std::io::IsTerminal::is_terminal(&std::io::stderr());
    // The clock starts with the simulation (its first report), not with the
    // preparation before it.
    let mut started = None;
    let (mut shown, mut done) = (false, false);
    let handle = bar.clone();
    let progress = move |t: f64| {
        if !terminal || done {
            return;
        }
        let started = *started.get_or_insert_with(|| {
            handle.reset();
            std::time::Instant::now()
        });
        if t >= horizon_s {
            // What is left is clearing the last calls: take the bar away
            // before the outputs are written and the summary printed.
            handle.finish_and_clear();
            done = true;
            return;
        }
        if !shown {
            if started.elapsed() < QUIET_FOR {
                return;
            }
            handle.set_draw_target(ProgressDrawTarget::stderr());
            shown = true;
        }
        handle.set_position(((t.max(0.0) / 3600.0) as u64).min(hours));
    };
    (bar, progress)
}

/// A progress bar with an ETA on a terminal; hidden otherwise.
pub(crate) fn progress_bar(len: u64) -> indicatif::ProgressBar {
    use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
    let target = if std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    };
    let bar = ProgressBar::with_draw_target(Some(len), target);
    if let Ok(style) = ProgressStyle::with_template(
        "{bar:40} {pos}/{len} replications, {elapsed} elapsed, ETA {eta}",
    ) {
        bar.set_style(style);
    }
    bar
}

fn run_batch(
    scn: &Scenario,
    reps: u64,
    threads: usize,
    shard: Option<batch::Shard>,
    out: &Path,
) -> Result<()> {
    let started = std::time::Instant::now();
    let prepared = sim::Prepared::new(scn);
    let shard_ = shard.unwrap_or(batch::Shard::ALL);
    let ids = shard_.jobs(reps);
    let bar = progress_bar(ids.len() as u64);
    let rows = batch::run_reps(scn, &prepared, &ids, threads, &|| bar.inc(1))?;
    bar.finish_and_clear();
    let header = batch::BatchHeader::of(scn, reps);
    let summary = batch::BatchSummary::from_parts(&header, &rows);
    let elapsed = started.elapsed().as_secs_f64();
    match shard {
        Some(s) => {
            let info = batch::ShardInfo {
                batch: header,
                shard: s,
            };
            batch::write_batch(out, &summary, &rows, Some(&info))?;
            println!(
                "shard {}/{} of {}: {} replications in {elapsed:.1} s; wrote {}/replications.csv and {}/shard.json (combine with `patrolsim merge`).",
                s.index,
                s.count,
                scn.name,
                rows.len(),
                out.display(),
                out.display()
            );
        }
        None => {
            batch::write_batch(out, &summary, &rows, None)?;
            print!("{}", report::batch_report(&summary, Some(elapsed)));
            println!(
                "\nWrote {0}/replications.csv (one row per replication) and {0}/batch.json (means, sd, 95% intervals).",
                out.display()
            );
        }
    }
    Ok(())
}

fn run_sweep(
    scenario: &Path,
    set: &[String],
    reps: u64,
    threads: usize,
    out: &Path,
    shard: Option<batch::Shard>,
) -> Result<()> {
    use batch::sweep;
    let axes = set
        .iter()
        .map(|s| sweep::Axis::parse(s))
        .collect::<Result<Vec<_>>>()?;
    let text = std::fs::read_to_string(scenario).map_err(|e| crate::Error::read(scenario, e))?;
    let base = scenario.parent().map(Path::to_path_buf).unwrap_or_default();
    let grid = sweep::grid(&axes);
    // Resolve every point first: a bad value stops the sweep before it runs.
    let mut scenarios = Vec::with_capacity(grid.len());
    for point in &grid {
        let t = sweep::point_text(&text, scenario, &axes, point)?;
        scenarios.push(load::from_str(&t, scenario, &base)?);
    }
    let plan = sweep::SweepShard {
        kind: "sweep".into(),
        set: set.to_vec(),
        reps,
        points: grid
            .iter()
            .zip(&scenarios)
            .map(|(p, scn)| {
                (
                    p.iter().map(sweep::show).collect(),
                    batch::BatchHeader::of(scn, reps),
                )
            })
            .collect(),
        shard: shard.unwrap_or(batch::Shard::ALL),
    };
    let jobs = plan.jobs();
    let bar = progress_bar(jobs.iter().map(|j| j.len() as u64).sum());
    let mut rows = Vec::with_capacity(grid.len());
    for (scn, ids) in scenarios.iter().zip(&jobs) {
        if ids.is_empty() {
            rows.push(Vec::new());
            continue;
        }
        let prepared = sim::Prepared::new(scn);
        rows.push(batch::run_reps(scn, &prepared, ids, threads, &|| {
            bar.inc(1)
        })?);
    }
    bar.finish_and_clear();
    if let Some(s) = shard {
        plan.write(out, &rows)?;
        println!(
            "sweep shard {}/{}: {} jobs; wrote {}/ (combine with `patrolsim merge`).",
            s.index,
            s.count,
            jobs.iter().map(Vec::len).sum::<usize>(),
            out.display()
        );
        return Ok(());
    }
    let points: Vec<sweep::SweepPoint> = plan
        .points
        .iter()
        .zip(&rows)
        .map(|((values, header), r)| sweep::SweepPoint {
            values: values.clone(),
            summary: batch::BatchSummary::from_parts(header, r),
        })
        .collect();
    write_sweep(out, &axes, &points)
}

fn write_sweep(
    out: &Path,
    axes: &[batch::sweep::Axis],
    points: &[batch::sweep::SweepPoint],
) -> Result<()> {
    use batch::sweep;
    crate::output::ensure_dir(out)?;
    crate::output::write_string(&out.join("sweep.csv"), &sweep::sweep_csv(axes, points))?;
    let json = serde_json::to_string_pretty(&serde_json::json!({ "axes": axes, "points": points }))
        .map_err(|e| crate::Error::Internal(e.to_string()))?;
    crate::output::write_string(&out.join("sweep.json"), &(json + "\n"))?;
    crate::plot::batch::sweep(out, axes, points)?;
    print!("{}", report::sweep_report(axes, points));
    println!(
        "\nWrote {0}/sweep.csv, {0}/sweep.json and {0}/sweep.png (.svg).",
        out.display()
    );
    Ok(())
}

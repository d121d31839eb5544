//! The benchmark harness proper (Linux only; see `bench.rs` for what it does and why).

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use clap::Parser;

use crate::farm::{self, Farm};
use crate::floor;
use crate::measure::{self, Sample};
use crate::report::{Measured, Report};
use crate::sys::{self, Result};

/// Time sockscope against ss, netstat, lsof and a libc floor on a loopback socket farm.
#[derive(Debug, Parser)]
#[command(name = "bench")]
struct Args {
    /// Total established TCP sockets in the farm (half as many connections; default 100000,
    /// 2000 with --quick).
    #[arg(long)]
    sockets: Option<usize>,

    /// Farm processes the sockets are spread over (default 100, 4 with --quick).
    #[arg(long)]
    procs: Option<usize>,

    /// Round-robin rounds; medians are over these (forced to 1 by --quick).
    #[arg(long, default_value_t = 5)]
    runs: usize,

    /// Port for the "who owns this port" commands (default: the first farm child's port).
    #[arg(long, value_name = "PORT")]
    port_check: Option<u16>,

    /// sockscope binary to measure (built with `cargo build --release` if the default is missing).
    #[arg(long, default_value = "target/release/sockscope")]
    bin: PathBuf,

    /// Smoke run for CI: one round, and a small farm unless --sockets/--procs say otherwise.
    #[arg(long)]
    quick: bool,

    /// Print the results as Markdown tables (for BENCHMARKS.md).
    #[arg(long)]
    markdown: bool,

    /// Also time the full listing on a farm of 10% of --sockets, to check linear growth.
    #[arg(long)]
    scaling: bool,

    /// Seconds the farm may take to get ready.
    #[arg(long, default_value_t = 120)]
    ready_timeout: u64,

    /// Seconds after which one timed command is killed.
    #[arg(long, default_value_t = 300)]
    cmd_timeout: u64,

    /// Internal: run as a farm child.
    #[arg(long, hide = true)]
    farm_child: bool,
    /// Internal: run the floor measurement.
    #[arg(long, hide = true)]
    floor: bool,
    #[arg(long, hide = true, default_value_t = 0)]
    index: usize,
    #[arg(long, hide = true, default_value_t = 0)]
    conns: usize,
    #[arg(long, hide = true, default_value_t = 0)]
    parent: i32,
}

/// The harness proper.
pub fn main() -> ExitCode {
    let args = Args::parse();
    let result = if args.farm_child {
        farm::child_main(farm::ChildSpec {
            index: args.index,
            procs: args.procs.unwrap_or(1),
            conns: args.conns,
            parent: args.parent,
            ready_secs: args.ready_timeout,
        })
        .map_err(|e| format!("farm child {}: {e}", args.index).into())
    } else if args.floor {
        floor::floor_main()
    } else {
        measure::install_guard().and_then(|()| run(args))
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            progress!("bench: error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// One command to time.
struct Bench {
    /// Stable name the ratios refer to.
    key: &'static str,
    /// What the table calls it.
    label: String,
    program: PathBuf,
    args: Vec<OsString>,
}

impl Bench {
    fn new(key: &'static str, label: impl Into<String>, program: &Path, args: &[&str]) -> Bench {
        Bench {
            key,
            label: label.into(),
            program: program.to_path_buf(),
            args: args.iter().map(OsString::from).collect(),
        }
    }
}

/// Which sockscope command answers "who owns this port" in this build.
enum PortMode {
    Who,
    Sport,
    ListenersOnly,
}

/// The settings after defaults.
struct Settings {
    sockets: usize,
    procs: usize,
    runs: usize,
    bin: PathBuf,
    exe: PathBuf,
    limit: Duration,
    ready_limit: Duration,
    temp: PathBuf,
}

fn run(args: Args) -> Result<()> {
    let sockets = args
        .sockets
        .unwrap_or(if args.quick { 2000 } else { 100_000 });
    let procs = args.procs.unwrap_or(if args.quick { 4 } else { 100 });
    let runs = if args.quick { 1 } else { args.runs.max(1) };
    if sockets < 2 || procs == 0 {
        return Err("need --sockets >= 2 and --procs >= 1".into());
    }
    let bin = resolve_bin(&args.bin)?;
    // Our own fds: two pipes per farm child, plus a margin.
    sys::ensure_nofile(4 * procs as u64 + 256)?;
    let temp = std::env::temp_dir().join(format!("sockscope-bench-{}", std::process::id()));
    std::fs::create_dir_all(&temp)?;
    measure::register_temp_dir(Some(temp.clone()));
    let settings = Settings {
        sockets,
        procs,
        runs,
        bin,
        exe: std::env::current_exe()?,
        limit: Duration::from_secs(args.cmd_timeout),
        ready_limit: Duration::from_secs(args.ready_timeout),
        temp: temp.clone(),
    };
    let result = bench(&args, &settings);
    measure::register_temp_dir(None);
    let _ = std::fs::remove_dir_all(&temp);
    result
}

fn bench(args: &Args, s: &Settings) -> Result<()> {
    let mut report = Report::new(args.markdown);
    report.machine = machine();
    report.binary = if args.markdown {
        format!("`{}` ({})", s.bin.display(), version(&s.bin))
    } else {
        format!("{} ({})", s.bin.display(), version(&s.bin))
    };
    report.runs = s.runs;

    if args.scaling {
        let small = (s.sockets / 10).max(2);
        let (counted, samples) = scaling_point(s, small)?;
        report.scaling_small = Some((counted, samples));
    }

    progress!(
        "farm: starting {} processes holding {} sockets…",
        s.procs,
        s.sockets
    );
    let farm = Farm::start(&s.exe, s.sockets, s.procs, s.ready_limit)?;
    let counted = count_established()?;
    progress!(
        "farm: {} processes, {} connections ready in {:.1} s; {counted} established TCP sockets on this machine",
        farm.procs(),
        farm.conns(),
        farm.ready_in.as_secs_f64()
    );
    report.farm = format!(
        "{} processes holding {} connections ({} sockets), ready in {:.1} s; \
         {counted} established TCP sockets counted on the machine (netlink)",
        farm.procs(),
        farm.conns(),
        2 * farm.conns(),
        farm.ready_in.as_secs_f64()
    );
    report.sockets = counted;
    if counted < 2 * farm.conns() as u64 {
        report.notes.push(format!(
            "only {counted} established sockets counted, fewer than the farm's {}",
            2 * farm.conns()
        ));
    }

    let port = match args.port_check {
        Some(p) => p,
        None => *farm
            .ports()
            .first()
            .ok_or("the farm has no listening port")?,
    };
    let benches = commands(s, port, &mut report)?;
    let measured = time_round_robin(&benches, s)?;
    drop(farm);
    report.measured = measured;
    report.check_outputs(&[("full", "ss_tanp"), ("no_owners", "ss_tan")]);
    if let Some(own) = own_peak_rss_mib() {
        report.notes.push(format!(
            "peak RSS is the child's ru_maxrss; Linux folds in the harness's own peak RSS \
             ({own:.1} MiB) when a spawned child execs, so values near it mean \"at most that\""
        ));
    }
    let text = report.render();
    let mut stdout = std::io::stdout().lock();
    std::io::Write::write_all(&mut stdout, text.as_bytes())
        .and_then(|()| std::io::Write::flush(&mut stdout))
        .map_err(|e| format!("cannot write the report: {e}"))?;
    Ok(())
}

/// Builds a farm of `sockets`, times the floor and the full listing on it, and tears it down.
fn scaling_point(s: &Settings, sockets: usize) -> Result<(u64, Vec<Sample>)> {
    let procs = s.procs.min(sockets / 2).max(1);
    progress!("scaling: farm of {sockets} sockets over {procs} processes…");
    let farm = Farm::start(&s.exe, sockets, procs, s.ready_limit)?;
    let counted = count_established()?;
    let benches = vec![
        Bench::new("floor", "floor", &s.exe, &["--floor"]),
        Bench::new("full", "sockscope -tan", &s.bin, &["-tan"]),
    ];
    let mut measured = time_round_robin(&benches, s)?;
    drop(farm);
    let full = measured.pop().map(|m| m.samples).unwrap_or_default();
    Ok((counted, full))
}

/// The command list, in round-robin order. Peers that are not installed are skipped with a note.
fn commands(s: &Settings, port: u16, report: &mut Report) -> Result<Vec<Bench>> {
    let bin = &s.bin;
    let p = port.to_string();
    let mut v = vec![
        Bench::new("floor", "floor (bench --floor)", &s.exe, &["--floor"]),
        Bench::new("full", "sockscope -tan", bin, &["-tan"]),
    ];
    let peer = |report: &mut Report,
                v: &mut Vec<Bench>,
                key: &'static str,
                label: String,
                name: &str,
                args: &[&str]| {
        match which(name) {
            Some(path) => v.push(Bench::new(key, label, &path, args)),
            None => report
                .notes
                .push(format!("`{name}` is not installed: `{label}` skipped")),
        }
    };
    peer(
        report,
        &mut v,
        "ss_tanp",
        "ss -tanp".into(),
        "ss",
        &["-tanp"],
    );
    peer(
        report,
        &mut v,
        "netstat_tanp",
        "netstat -tanp".into(),
        "netstat",
        &["-tanp"],
    );
    peer(
        report,
        &mut v,
        "lsof_tcp",
        "lsof -nP -iTCP".into(),
        "lsof",
        &["-nP", "-iTCP"],
    );
    v.push(Bench::new(
        "no_owners",
        "sockscope -tan --no-owners",
        bin,
        &["-tan", "--no-owners"],
    ));
    peer(report, &mut v, "ss_tan", "ss -tan".into(), "ss", &["-tan"]);

    let (label, args): (String, Vec<&str>) = match port_mode(bin, &p) {
        PortMode::Who => (format!("sockscope who {p}"), vec!["who", &p]),
        PortMode::Sport => (
            format!("sockscope -tan --sport {p}"),
            vec!["-tan", "--sport", &p],
        ),
        PortMode::ListenersOnly => {
            report.notes.push(
                "this sockscope has no `who` subcommand and no `--sport` flag: \
                 the port-owner row uses `sockscope -tln` (all listeners with owners)"
                    .into(),
            );
            ("sockscope -tln (port owners)".into(), vec!["-tln"])
        }
    };
    report.port = format!("{port}, measured with `{label}`");
    v.push(Bench::new("port", label, bin, &args));
    let sport = format!("sport = :{p}");
    peer(
        report,
        &mut v,
        "ss_sport",
        format!("ss -tlnp '{sport}'"),
        "ss",
        &["-tlnp", &sport],
    );
    let lsof_port = format!("-iTCP:{p}");
    peer(
        report,
        &mut v,
        "lsof_port",
        format!("lsof -nP {lsof_port}"),
        "lsof",
        &["-nP", &lsof_port],
    );
    v.push(Bench::new(
        "json",
        "sockscope --json -t",
        bin,
        &["--json", "-t"],
    ));
    Ok(v)
}

/// Runs every bench `s.runs` times, round-robin, and collects the samples.
fn time_round_robin(benches: &[Bench], s: &Settings) -> Result<Vec<Measured>> {
    let mut measured: Vec<Measured> = benches
        .iter()
        .map(|b| Measured {
            key: b.key,
            label: b.label.clone(),
            samples: Vec::new(),
            output_lines: 0,
            output_bytes: 0,
            floor_line: None,
        })
        .collect();
    let order: Vec<&str> = benches.iter().map(|b| b.label.as_str()).collect();
    progress!(
        "timing, wall seconds per round in this order: {}",
        order.join(" | ")
    );
    let start = Instant::now();
    for round in 0..s.runs {
        let mut line = format!("round {}/{}:", round + 1, s.runs);
        for (i, b) in benches.iter().enumerate() {
            let out = s.temp.join(format!("out-{i}.txt"));
            let sample = measure::run_once(&b.program, &b.args, &out, s.limit)?;
            line.push_str(&format!(" {:.3}", sample.wall.as_secs_f64()));
            let m = &mut measured[i];
            m.samples.push(sample);
            (m.output_lines, m.output_bytes) = count_lines(&out)?;
            if b.key == "floor" {
                m.floor_line = Some(std::fs::read_to_string(&out)?.trim().to_owned());
            }
        }
        progress!("{line} s");
    }
    progress!(
        "timing: {:.1} s for {} rounds",
        start.elapsed().as_secs_f64(),
        s.runs
    );
    Ok(measured)
}

/// Lines and bytes of a file, read in small chunks: reading a big output whole would raise our
/// own peak RSS, which Linux folds into the `ru_maxrss` of every command we spawn afterwards.
fn count_lines(path: &Path) -> Result<(u64, u64)> {
    use std::io::Read;
    let mut file = std::fs::File::open(path)?;
    let mut buf = [0u8; 16 * 1024];
    let (mut lines, mut bytes) = (0u64, 0u64);
    // Bounded by the file's size: every pass consumes at least one byte or ends.
    loop {
        let n = match file.read(&mut buf) {
            Ok(0) => return Ok((lines, bytes)),
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e.into()),
        };
        bytes += n as u64;
        lines += buf[..n].iter().filter(|&&c| c == b'\n').count() as u64;
    }
}

/// Our own peak RSS in MiB (VmHWM), the lower bound of every `ru_maxrss` we report.
fn own_peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// Established TCP sockets on the machine (IPv4 + IPv6), counted with a netlink dump.
fn count_established() -> Result<u64> {
    let v4 = floor::diag_count(libc::AF_INET as u8, floor::ESTABLISHED)?;
    let v6 = floor::diag_count(libc::AF_INET6 as u8, floor::ESTABLISHED)?;
    Ok(v4.messages + v6.messages)
}

/// The sockscope binary to use: `--bin`, built first if it is the missing default.
fn resolve_bin(bin: &Path) -> Result<PathBuf> {
    if !bin.exists() {
        if bin != Path::new("target/release/sockscope") {
            return Err(format!("--bin {}: no such file", bin.display()).into());
        }
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        progress!(
            "{} is missing: running cargo build --release --bin sockscope",
            bin.display()
        );
        let status = Command::new(cargo)
            .args(["build", "--release", "--bin", "sockscope"])
            .status()?;
        if !status.success() || !bin.exists() {
            return Err(format!("cargo build --release --bin sockscope failed ({status})").into());
        }
    }
    Ok(std::fs::canonicalize(bin)?)
}

/// Does `bin args…` exit 0 (output discarded)?
fn succeeds(bin: &Path, args: &[&str]) -> bool {
    Command::new(bin)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Picks the port-owner command: `who PORT` if it exists, else `--sport PORT` if it parses
/// (checked without listing anything: `--help` after it exits 0 only if the flag is known, and
/// the help must mention it), else the listeners-only listing.
fn port_mode(bin: &Path, port: &str) -> PortMode {
    if succeeds(bin, &["who", "--help"]) {
        return PortMode::Who;
    }
    let help = Command::new(bin)
        .arg("--help")
        .stderr(Stdio::null())
        .output();
    let mentions_sport = help.is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("--sport"));
    if mentions_sport && succeeds(bin, &["-tan", "--sport", port, "--help"]) {
        return PortMode::Sport;
    }
    PortMode::ListenersOnly
}

/// `bin --version`, or a note that it has none.
fn version(bin: &Path) -> String {
    match Command::new(bin)
        .arg("--version")
        .stderr(Stdio::null())
        .output()
    {
        Ok(o) if o.status.success() && !o.stdout.trim_ascii().is_empty() => {
            String::from_utf8_lossy(&o.stdout).trim().to_owned()
        }
        _ => "no --version".into(),
    }
}

/// Finds an executable on PATH.
fn which(name: &str) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| {
            p.metadata()
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
}

/// CPUs, kernel release and CPU model.
fn machine() -> String {
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    let kernel = sys::read_sys("/proc/sys/kernel/osrelease").unwrap_or_else(|_| "?".into());
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, m)| m.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    format!("{cpus} CPUs (nproc), Linux {kernel}, {model}")
}

//! The command line as the user types it: clap derive, one doc comment per flag.
//!
//! Nothing here decides anything; [`crate::config`] turns these raw flags into resolved settings.
//! Values are parsed by the filter module's parsers, so a bad value is reported naming it.

use std::net::IpAddr;
use std::str::FromStr;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::filter::{self, PortRange, StateSet, UserSpec};
use crate::ports::PortClass;

const EXAMPLES: &str = "\
Examples:
  sockscope                     every TCP and UDP socket with its owning processes
  sockscope -ltn                TCP listeners (netstat/ss habits such as -ano, -tulpn parse too)
  sockscope :8080               sockets whose local or remote port is 8080
  sockscope --state established --process nginx
  sockscope --json | jq '.sockets[] | select(.state == \"listen\")'
  sockscope who 8080            who is on port 8080: PID, process, user, command line
  kill $(sockscope who -t 8080) the same PIDs, for scripts (like lsof -t -i:8080)
  sockscope kill 8080           signal whoever holds port 8080 (asks first)

Columns: CLASS is the IANA class of the local port (well-known 0-1023, registered 1024-49151,
dynamic 49152-65535); '+eph' marks a port inside this machine's ephemeral (client) port range.
SERVICE names the service of the local port, or of the remote port for a client connection.

States (--state): listen, syn-sent, syn-recv, established, fin-wait-1, fin-wait-2, close-wait,
closing, last-ack, time-wait, close (TCP); unconnected, connected (UDP); groups: listening
(listen + unconnected), synchronized (every TCP state but listen/syn-sent/syn-recv/close),
bucket (syn-recv + time-wait), all.

Filters combine with AND; repeating a flag (or giving a comma list) ORs its values.

Exit status: 0 when sockets were listed, 1 when nothing matched, 2 on error.";

/// List every TCP and UDP socket, the port it is on, its state and the processes that own it.
#[derive(Debug, Parser)]
#[command(
    name = "sockscope",
    version,
    about = "List TCP and UDP sockets with their owning processes (netstat/ss/lsof, faster and safer)",
    long_about = "List TCP and UDP sockets with their owning processes.\n\n\
        Four uses: list every socket (sockscope), script it (sockscope --json), find who is on a \
        port (sockscope who 8080) and stop it (sockscope kill 8080).",
    after_long_help = EXAMPLES,
    after_help = "Run 'sockscope --help' for examples, states and column meanings.",
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    /// A subcommand; without one, the socket listing.
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Flags of the listing.
    #[command(flatten)]
    pub list: ListArgs,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show who is on a port: one line per owning process and socket.
    #[command(after_long_help = WHO_EXAMPLES)]
    Who(WhoArgs),
    /// Signal every process that owns a socket bound to a port (asks first on a terminal).
    #[command(after_long_help = KILL_EXAMPLES)]
    Kill(KillArgs),
    /// Live dashboard: sockets, owners, states and per-connection throughput, refreshed.
    #[command(after_long_help = TOP_EXAMPLES)]
    Top(TopArgs),
    /// Write the man pages into DIR (for packagers; the pages in man/ are made with it).
    #[command(hide = true)]
    GenerateMan {
        /// Directory to write sockscope.1 and the subcommands' pages into.
        dir: std::path::PathBuf,
    },
}

const WHO_EXAMPLES: &str = "\
Examples:
  sockscope who 8080               who has port 8080 (any address, TCP or UDP)
  sockscope who 127.0.0.1:8080     who answers on 127.0.0.1:8080 (also 0.0.0.0 and [::] listeners)
  sockscope who --tcp '[::1]:443'  only TCP, only ::1 (or [::])
  sockscope who --remote 5432      also the clients connected to port 5432
  kill $(sockscope who -t 8080)    -t prints the PIDs only, sorted, one per line

Exit status: 0 when something was found, 1 when nothing, 2 on error.";

const KILL_EXAMPLES: &str = "\
Examples:
  sockscope kill 8080                  list the owners of port 8080, ask, send SIGTERM
  sockscope kill --dry-run 8080        show what would be signalled, do nothing
  sockscope kill -y --wait 5 --force 3000
                                       TERM without asking, wait 5 s, then KILL the survivors

It never signals PID 1, itself or its parent. Without a terminal it needs --yes.
Exit status: 0 when every target was signalled (and, with --wait, exited), 1 when nothing owns
the port, 2 otherwise (refused, permission denied, still running, bad input).";

const TOP_EXAMPLES: &str = "\
Examples:
  sockscope top                    every socket, refreshed every second
  sockscope top -t --sport 443     only TCP on local port 443
  sockscope top --interval 0.5     refresh twice a second

Keys: arrows or j/k move, / filters, s/S sort (F1-F10 pick a column), t u l 4 6 toggle,
Enter shows details, K signals the owner (asks first), space pauses, ? help, q quits.";

/// Flags of `sockscope top`.
#[derive(Debug, Clone, Args)]
pub struct TopArgs {
    /// Only TCP (default: TCP and UDP; `t` toggles it live).
    #[arg(short = 't', long)]
    pub tcp: bool,

    /// Only UDP (`u` toggles it live).
    #[arg(short = 'u', long)]
    pub udp: bool,

    /// Only IPv4 (`4` toggles it live).
    #[arg(short = '4', long)]
    pub ipv4: bool,

    /// Only IPv6 (`6` toggles it live).
    #[arg(short = '6', long)]
    pub ipv6: bool,

    /// Only TCP listeners and unconnected UDP sockets (`l` toggles it live).
    #[arg(short = 'l', long)]
    pub listening: bool,

    /// Seconds between refreshes (0.1 to 3600).
    #[arg(long, value_name = "SECS", default_value = "1", value_parser = parse_interval)]
    pub interval: f64,

    /// Filters (applied to every refresh).
    #[command(flatten)]
    pub filters: FilterArgs,
}

fn parse_interval(text: &str) -> Result<f64, String> {
    let secs = parse_seconds(text)?;
    if !(0.1..=3600.0).contains(&secs) {
        return Err(format!(
            "an interval of {text} seconds is out of range (0.1 to 3600)"
        ));
    }
    Ok(secs)
}

/// Filters shared by the listing, `who` and `kill`. Long names only, so they never clash with
/// the short flags each command has.
#[derive(Debug, Clone, Default, Args)]
pub struct FilterArgs {
    /// Local or remote port is N (or in the range N-M).
    #[arg(long, value_name = "N[-M]", value_delimiter = ',', value_parser = PortRange::from_str)]
    pub port: Vec<PortRange>,

    /// Local (source) port is N (or in the range N-M).
    #[arg(long, value_name = "N[-M]", value_delimiter = ',', value_parser = PortRange::from_str)]
    pub sport: Vec<PortRange>,

    /// Remote (destination) port is N (or in the range N-M).
    #[arg(long, value_name = "N[-M]", value_delimiter = ',', value_parser = PortRange::from_str)]
    pub dport: Vec<PortRange>,

    /// State is S: a state name, or a group (see --help for the list).
    #[arg(long, value_name = "S", value_delimiter = ',', value_parser = filter::parse_state)]
    pub state: Vec<StateSet>,

    /// Owned by process ID N.
    #[arg(long, value_name = "N", value_delimiter = ',', value_parser = filter::parse_pid)]
    pub pid: Vec<u32>,

    /// Owned by a process whose name contains NAME (case-insensitive).
    #[arg(long, value_name = "NAME")]
    pub process: Vec<String>,

    /// Owned by user NAME or UID.
    #[arg(long, value_name = "NAME|UID", value_parser = UserSpec::parse)]
    pub user: Vec<UserSpec>,

    /// Local port is of class C: well-known (0-1023), registered (1024-49151), dynamic.
    #[arg(long, value_name = "C", value_delimiter = ',', value_parser = filter::parse_class)]
    pub class: Vec<PortClass>,

    /// Local or remote address is IP.
    #[arg(long, value_name = "IP", value_delimiter = ',', value_parser = filter::parse_addr)]
    pub addr: Vec<IpAddr>,
}

/// Flags of the socket listing.
#[derive(Debug, Clone, Default, Args)]
pub struct ListArgs {
    /// Only sockets whose local or remote port is PORT (`:8080`, `8080` or a range `:8000-8100`).
    #[arg(value_name = ":PORT", value_parser = PortRange::from_str)]
    pub port_arg: Option<PortRange>,

    /// Show TCP sockets (default: TCP and UDP).
    #[arg(short = 't', long)]
    pub tcp: bool,

    /// Show UDP sockets (default: TCP and UDP).
    #[arg(short = 'u', long)]
    pub udp: bool,

    /// Show IPv4 sockets only (default: IPv4 and IPv6).
    #[arg(short = '4', long)]
    pub ipv4: bool,

    /// Show IPv6 sockets only (default: IPv4 and IPv6).
    #[arg(short = '6', long)]
    pub ipv6: bool,

    /// Show only TCP listeners and unconnected UDP sockets.
    #[arg(short = 'l', long)]
    pub listening: bool,

    /// Accepted for netstat/ss habits: all states are shown by default.
    #[arg(short = 'a', long)]
    pub all: bool,

    /// Accepted for netstat/ss habits: addresses and ports are always numeric (no DNS lookups).
    #[arg(short = 'n', long)]
    pub numeric: bool,

    /// Accepted for netstat -o habits: owning PIDs are shown by default.
    #[arg(short = 'o')]
    pub owner_pids: bool,

    /// Accepted for ss/netstat -p habits: owning processes are shown by default.
    #[arg(short = 'p', long)]
    pub processes: bool,

    /// Show TCP internals: queues, round-trip time, congestion window, retransmits, algorithm.
    #[arg(short = 'i', long)]
    pub info: bool,

    /// Skip the owner lookup entirely (fastest; owners are reported as unknown).
    #[arg(long, conflicts_with_all = ["processes", "owner_pids", "pid", "process", "user"])]
    pub no_owners: bool,

    /// Print a JSON document (schema 1, see README) instead of a table.
    #[arg(long)]
    pub json: bool,

    /// Do not print the table header.
    #[arg(short = 'H', long)]
    pub no_header: bool,

    /// When to colour: auto (only on a terminal, and not when NO_COLOR is set), always, never.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,

    /// Filters.
    #[command(flatten)]
    pub filters: FilterArgs,
}

/// A port, optionally with an address: `8080`, `:8080`, `127.0.0.1:8080`, `[::1]:8080`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PortTarget {
    /// The address, when one was given.
    pub addr: Option<IpAddr>,
    /// The port (or range).
    pub port: PortRange,
}

impl FromStr for PortTarget {
    type Err = String;

    fn from_str(text: &str) -> Result<PortTarget, String> {
        let t = text.trim();
        if let Some(rest) = t.strip_prefix('[') {
            let (addr, port) = rest
                .split_once("]:")
                .ok_or_else(|| format!("'{text}' needs a port: [ADDRESS]:PORT"))?;
            return Ok(PortTarget {
                addr: Some(filter::parse_addr(addr)?),
                port: port.parse()?,
            });
        }
        match t.rsplit_once(':') {
            // "host:port" with an IPv4 address; a bare IPv6 address needs brackets.
            Some((addr, port)) if !addr.is_empty() && !addr.contains(':') => {
                let addr = filter::parse_addr(addr).map_err(|e| {
                    format!("{e} (sockscope does no DNS lookups; give a numeric address)")
                })?;
                Ok(PortTarget {
                    addr: Some(addr),
                    port: port.parse()?,
                })
            }
            Some((addr, _)) if addr.contains(':') => Err(format!(
                "'{text}': write an IPv6 address with a port as [ADDRESS]:PORT"
            )),
            _ => Ok(PortTarget {
                addr: None,
                port: t.parse()?,
            }),
        }
    }
}

/// Flags of `sockscope who`.
#[derive(Debug, Clone, Args)]
pub struct WhoArgs {
    /// The port: 8080, :8080, 127.0.0.1:8080 or [::1]:8080 (a range N-M works too).
    #[arg(value_name = "PORT", value_parser = PortTarget::from_str)]
    pub target: PortTarget,

    /// Only TCP (default: TCP and UDP).
    #[arg(long)]
    pub tcp: bool,

    /// Only UDP (default: TCP and UDP).
    #[arg(long)]
    pub udp: bool,

    /// Only IPv4.
    #[arg(short = '4', long)]
    pub ipv4: bool,

    /// Only IPv6.
    #[arg(short = '6', long)]
    pub ipv6: bool,

    /// Also show sockets connected *to* the port (the clients), not only those bound to it.
    #[arg(short = 'r', long)]
    pub remote: bool,

    /// Print only the distinct owning PIDs, sorted, one per line (for `kill $(...)`).
    #[arg(short = 't', long, conflicts_with = "json")]
    pub terse: bool,

    /// Print the JSON document of the listing, filtered to this port.
    #[arg(long)]
    pub json: bool,

    /// Do not print the header line.
    #[arg(short = 'H', long)]
    pub no_header: bool,

    /// When to colour: auto, always, never.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,

    /// Filters.
    #[command(flatten)]
    pub filters: FilterArgs,
}

/// Flags of `sockscope kill`.
#[derive(Debug, Clone, Args)]
pub struct KillArgs {
    /// The port: 8080, :8080, 127.0.0.1:8080 or [::1]:8080.
    #[arg(value_name = "PORT", value_parser = PortTarget::from_str)]
    pub target: PortTarget,

    /// Only owners of TCP sockets.
    #[arg(long)]
    pub tcp: bool,

    /// Only owners of UDP sockets.
    #[arg(long)]
    pub udp: bool,

    /// The signal: TERM, INT, HUP, KILL, QUIT, USR1, USR2, STOP, CONT (name or number).
    #[arg(short = 's', long, default_value = "TERM", value_name = "SIG")]
    pub signal: String,

    /// Wait up to SECS seconds for the processes to exit, and report those that did not.
    #[arg(short = 'w', long, value_name = "SECS", value_parser = parse_seconds)]
    pub wait: Option<f64>,

    /// After the wait, send KILL to the processes still running (waits 5 s if --wait is not given).
    #[arg(short = 'f', long)]
    pub force: bool,

    /// Do not ask for confirmation.
    #[arg(short = 'y', long)]
    pub yes: bool,

    /// Print what would be signalled and do nothing.
    #[arg(short = 'n', long)]
    pub dry_run: bool,

    /// When to colour: auto, always, never.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,

    /// Filters (choose among the owners, e.g. --process nginx).
    #[command(flatten)]
    pub filters: FilterArgs,
}

fn parse_seconds(text: &str) -> Result<f64, String> {
    let secs: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("'{text}' is not a number of seconds"))?;
    if !secs.is_finite() || !(0.0..=86_400.0).contains(&secs) {
        return Err(format!("{text} seconds is out of range (0 to 86400)"));
    }
    Ok(secs)
}

/// When to use colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum ColorChoice {
    /// Colour only when writing to a terminal and NO_COLOR is not set.
    #[default]
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn netstat_and_ss_habits_parse() {
        for args in [
            &["sockscope", "-ano"][..],
            &["sockscope", "-tulpn"],
            &["sockscope", "-tanp"],
            &["sockscope", "-ltn"],
            &["sockscope", "-46", "-H"],
            &["sockscope", ":8080"],
            &[
                "sockscope",
                "-t",
                ":8000-8100",
                "--state",
                "listen,established",
            ],
        ] {
            Cli::try_parse_from(args).unwrap_or_else(|e| panic!("{args:?}: {e}"));
        }
        let cli = Cli::try_parse_from(["sockscope", "-tulpn"]).unwrap();
        assert!(cli.list.tcp && cli.list.udp && cli.list.listening);
        assert!(cli.list.processes && cli.list.numeric);
    }

    #[test]
    fn subcommands_parse() {
        let cli = Cli::try_parse_from(["sockscope", "who", "-t", "[::1]:8080"]).unwrap();
        let Some(Command::Who(w)) = cli.command else {
            panic!()
        };
        assert!(w.terse);
        assert_eq!(w.target.addr, Some("::1".parse().unwrap()));
        let cli =
            Cli::try_parse_from(["sockscope", "kill", "-yn", "--signal", "KILL", ":3000"]).unwrap();
        let Some(Command::Kill(k)) = cli.command else {
            panic!()
        };
        assert!(k.yes && k.dry_run && k.signal == "KILL");
        assert_eq!(
            k.target.port,
            PortRange {
                first: 3000,
                last: 3000
            }
        );
    }

    #[test]
    fn port_targets() {
        let t: PortTarget = "127.0.0.1:80".parse().unwrap();
        assert_eq!(
            (t.addr, t.port.first),
            (Some("127.0.0.1".parse().unwrap()), 80)
        );
        assert_eq!("8080".parse::<PortTarget>().unwrap().addr, None);
        assert_eq!(":8080".parse::<PortTarget>().unwrap().port.first, 8080);
        assert!(
            "::1:80"
                .parse::<PortTarget>()
                .unwrap_err()
                .contains("[ADDRESS]:PORT")
        );
        assert!(
            "localhost:80"
                .parse::<PortTarget>()
                .unwrap_err()
                .contains("DNS")
        );
        assert!("[::1]".parse::<PortTarget>().is_err());
        assert!(
            "1.2.3.4:99999"
                .parse::<PortTarget>()
                .unwrap_err()
                .contains("99999")
        );
    }

    #[test]
    fn conflicting_flags_are_refused() {
        assert!(Cli::try_parse_from(["sockscope", "-p", "--no-owners"]).is_err());
        assert!(Cli::try_parse_from(["sockscope", "--no-owners", "--pid", "1"]).is_err());
        assert!(Cli::try_parse_from(["sockscope", "--json", "who", "80"]).is_err());
        assert!(Cli::try_parse_from(["sockscope", "who", "-t", "--json", "80"]).is_err());
    }
}

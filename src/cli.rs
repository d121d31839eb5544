//! The command line as the user types it: clap derive, one doc comment per flag.
//!
//! Nothing here decides anything; [`crate::config`] turns these raw flags into resolved settings.
//! Values are parsed by the filter module's parsers, so a bad value is reported naming it.

use std::net::IpAddr;
use std::str::FromStr;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::filter::{self, PortRange, StateSet, UserSpec};
use crate::ports::PortClass;

/// `sockscope -h`: one screen (80×24), starting with the four uses. Written by hand because clap
/// renders `-h` and `--help` from the same list of flags; a test checks that every flag named
/// here exists.
pub const SHORT_HELP: &str = "\
sockscope: every TCP and UDP socket, its port, state and owning processes.

  sockscope [FILTERS]     list sockets (like netstat -ano, ss -tuanp, lsof -i)
  sockscope --json        the same as a JSON document, for scripts
  sockscope who PORT      who is on a port; 'sockscope kill PORT' stops it
  sockscope top           a live dashboard

Usage: sockscope [OPTIONS] [:PORT]
       sockscope who|kill|top|completions ...

  -t, -u              TCP only, UDP only        -4, -6   IPv4 only, IPv6 only
  -l                  listeners and unconnected UDP sockets only
  -i                  TCP internals: queues, RTT, congestion window, retransmits
  :PORT               local or remote port; also --port, --sport, --dport N[-M]
  --state S           listen, established, time-wait, ... (all of them: --help)
  --pid N  --process NAME  --user NAME|UID  --class C  --addr IP
  --json              the JSON document     --no-owners   skip owners (fastest)
  -H  --color WHEN    no header; colour auto, always or never

Exit status: 0 listed, 1 nothing matched, 2 error.
'sockscope --help': every flag, state and column, with examples.
'sockscope who --help' (kill, top, completions): each command's own.";

/// The first thing `sockscope --help` says: the four uses.
pub const USES: &str = "\
Every TCP and UDP socket, its port, state and owning processes.

  sockscope [FILTERS]     list sockets (like netstat -ano, ss -tuanp, lsof -i)
  sockscope --json        the same as a JSON document, for scripts
  sockscope who PORT      who is on a port; 'sockscope kill PORT' stops it
  sockscope top           a live dashboard";

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

States (--state NAME; the JSON \"state\" values):
  listen        TCP: waiting for connections
  syn-sent      TCP: connecting, no answer yet
  syn-recv      TCP: a connection request received and answered
  established   TCP: connected
  fin-wait-1    TCP: this side closed, waiting for the peer
  fin-wait-2    TCP: this side closed and was acknowledged; waiting for the peer to close
  close-wait    TCP: the peer closed; the program here has not (a leak, if it lasts)
  closing       TCP: both sides closed at once
  last-ack      TCP: the peer closed, then this side; waiting for the last acknowledgement
  time-wait     TCP: closed; kept a while to catch stray packets (no process owns it)
  close         TCP: closed, or bound but neither listening nor connected
  unconnected   UDP: bound, receiving from anyone
  connected     UDP: connected to one peer
Groups: listening (listen, unconnected), synchronized (every TCP state but listen, syn-sent,
syn-recv, close), bucket (syn-recv, time-wait), all.

Filters combine with AND; repeating a flag (or giving a comma list) ORs its values.

Exit status: 0 when sockets were listed, 1 when nothing matched, 2 on error.";

/// List every TCP and UDP socket, the port it is on, its state and the processes that own it.
#[derive(Debug, Parser)]
#[command(
    name = "sockscope",
    version,
    about = USES,
    long_about = USES,
    after_long_help = EXAMPLES,
    after_help = "Filters: --port --sport --dport --state --pid --process --user --class --addr\n\
        'sockscope --help' has every flag, the states, the columns and examples.",
    args_conflicts_with_subcommands = true,
    disable_help_subcommand = true,
    disable_help_flag = true
)]
pub struct Cli {
    /// Print a one-screen summary (--help has everything).
    #[arg(short = 'h', action = clap::ArgAction::SetTrue)]
    pub short_help: bool,

    /// Print the full help: every flag, the states, the columns and examples.
    #[arg(long = "help", action = clap::ArgAction::HelpLong)]
    pub help: (),

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
    /// Print a shell completion script: bash, zsh, fish, powershell or elvish.
    #[command(after_long_help = COMPLETION_EXAMPLES)]
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
        /// Print help.
        #[arg(short = 'h', long = "help", action = clap::ArgAction::Help)]
        help: (),
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

const COMPLETION_EXAMPLES: &str = "\
Examples:
  sockscope completions bash > ~/.local/share/bash-completion/completions/sockscope
  sockscope completions zsh > \"${fpath[1]}/_sockscope\"
  sockscope completions fish > ~/.config/fish/completions/sockscope.fish
  sockscope completions powershell >> $PROFILE";

/// Flags of `sockscope top`.
#[derive(Debug, Clone, Args)]
pub struct TopArgs {
    /// Print help (--help: with examples).
    #[arg(short = 'h', action = clap::ArgAction::HelpShort)]
    pub short_help: (),

    /// Print help with examples.
    #[arg(long = "help", action = clap::ArgAction::HelpLong)]
    pub help: (),

    /// Protocols, families, listening (t, u, 4, 6 and l toggle them live).
    #[command(flatten)]
    pub select: SelectArgs,

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
    #[arg(long, value_name = "N[-M]", value_delimiter = ',', value_parser = PortRange::from_str, hide_short_help = true)]
    pub dport: Vec<PortRange>,

    /// State is S: a state name, or a group (see --help for the list).
    #[arg(long, value_name = "S", value_delimiter = ',', value_parser = filter::parse_state)]
    pub state: Vec<StateSet>,

    /// Owned by process ID N.
    #[arg(long, value_name = "N", value_delimiter = ',', value_parser = filter::parse_pid, hide_short_help = true)]
    pub pid: Vec<u32>,

    /// Owned by a process whose name contains NAME (case-insensitive).
    #[arg(long, value_name = "NAME", hide_short_help = true)]
    pub process: Vec<String>,

    /// Owned by user NAME or UID.
    #[arg(long, value_name = "NAME|UID", value_parser = UserSpec::parse, hide_short_help = true)]
    pub user: Vec<UserSpec>,

    /// Local port is of class C: well-known (0-1023), registered (1024-49151), dynamic.
    #[arg(long, value_name = "C", value_delimiter = ',', value_parser = filter::parse_class, hide_short_help = true)]
    pub class: Vec<PortClass>,

    /// Local or remote address is IP.
    #[arg(long, value_name = "IP", value_delimiter = ',', value_parser = filter::parse_addr, hide_short_help = true)]
    pub addr: Vec<IpAddr>,
}

/// Which protocols and families, and whether only listening sockets: the listing's and the
/// dashboard's `-t -u -4 -6 -l`.
#[derive(Debug, Clone, Copy, Default, Args)]
pub struct SelectArgs {
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
}

/// Flags of the socket listing.
#[derive(Debug, Clone, Default, Args)]
pub struct ListArgs {
    /// Only sockets whose local or remote port is PORT (`:8080`, `8080` or a range `:8000-8100`).
    #[arg(value_name = ":PORT", value_parser = PortRange::from_str)]
    pub port_arg: Option<PortRange>,

    /// Protocols, families, listening.
    #[command(flatten)]
    pub select: SelectArgs,

    /// Accepted for netstat/ss habits: all states are shown by default.
    #[arg(short = 'a', long, hide_short_help = true)]
    pub all: bool,

    /// Accepted for netstat/ss habits: addresses and ports are always numeric (no DNS lookups).
    #[arg(short = 'n', long, hide_short_help = true)]
    pub numeric: bool,

    /// Accepted for netstat -o habits: owning PIDs are shown by default.
    #[arg(short = 'o', hide_short_help = true)]
    pub owner_pids: bool,

    /// Accepted for ss/netstat -p habits: owning processes are shown by default.
    #[arg(short = 'p', long, hide_short_help = true)]
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
    #[arg(short = 'H', long, hide_short_help = true)]
    pub no_header: bool,

    /// When to colour: auto (only on a terminal, and not when NO_COLOR is set), always, never.
    #[arg(
        long,
        value_enum,
        default_value_t = ColorChoice::Auto,
        value_name = "WHEN",
        hide_short_help = true
    )]
    pub color: ColorChoice,

    /// Filters.
    #[command(flatten, next_help_heading = "Filters")]
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
    /// Print help (--help: with examples).
    #[arg(short = 'h', action = clap::ArgAction::HelpShort)]
    pub short_help: (),

    /// Print help with examples.
    #[arg(long = "help", action = clap::ArgAction::HelpLong)]
    pub help: (),

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
    /// Print help (--help: with examples).
    #[arg(short = 'h', action = clap::ArgAction::HelpShort)]
    pub short_help: (),

    /// Print help with examples.
    #[arg(long = "help", action = clap::ArgAction::HelpLong)]
    pub help: (),

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
mod tests;

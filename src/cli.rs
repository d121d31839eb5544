//! The command line as the user types it: clap derive, one doc comment per flag.
//!
//! Nothing here decides anything; [`crate::config`] turns these raw flags into resolved settings.

use clap::{Parser, ValueEnum};

const EXAMPLES: &str = "\
Examples:
  sockscope                 every TCP and UDP socket with its owning processes
  sockscope -ltn            TCP listeners only (netstat/ss habits such as -ano, -tulpn parse too)
  sockscope -u6             UDP sockets over IPv6
  sockscope --json | jq '.sockets[] | select(.state == \"listen\")'
  sockscope --no-owners     sockets only, without the (slower) owner lookup

Columns: CLASS is the IANA class of the local port (well-known 0-1023, registered 1024-49151,
dynamic 49152-65535); '+eph' marks a port inside this machine's ephemeral (client) port range.
SERVICE names the service of the local port, or of the remote port for a client connection.

Exit status: 0 when sockets were listed, 1 when nothing matched, 2 on error.";

/// List every TCP and UDP socket, the port it is on, its state and the processes that own it.
#[derive(Debug, Parser)]
#[command(
    name = "sockscope",
    version,
    about = "List TCP and UDP sockets with their owning processes (netstat/ss/lsof, faster and safer)",
    long_about = None,
    after_long_help = EXAMPLES,
    after_help = "Run 'sockscope --help' for examples and column meanings."
)]
pub struct Cli {
    /// Select which sockets to show and how.
    #[command(flatten)]
    pub list: ListArgs,
}

/// Flags of the socket listing.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ListArgs {
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

    /// Skip the owner lookup entirely (fastest; owners are reported as unknown).
    #[arg(long, conflicts_with_all = ["processes", "owner_pids"])]
    pub no_owners: bool,

    /// Print a JSON document (schema 1, see README) instead of a table.
    #[arg(long)]
    pub json: bool,

    /// Do not print the table header.
    #[arg(short = 'H', long)]
    pub no_header: bool,

    /// When to colour the table: auto (only on a terminal, and not when NO_COLOR is set), always, never.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,
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
        ] {
            Cli::try_parse_from(args).unwrap_or_else(|e| panic!("{args:?}: {e}"));
        }
        let cli = Cli::try_parse_from(["sockscope", "-tulpn"]).unwrap();
        assert!(cli.list.tcp && cli.list.udp && cli.list.listening);
        assert!(cli.list.processes && cli.list.numeric);
    }

    #[test]
    fn no_owners_conflicts_with_p() {
        assert!(Cli::try_parse_from(["sockscope", "-p", "--no-owners"]).is_err());
    }
}

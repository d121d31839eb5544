# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_sockscope_global_optspecs
    string join \n h help t/tcp u/udp 4/ipv4 6/ipv6 l/listening a/all n/numeric o p/processes i/info no-owners json H/no-header color= port= sport= dport= state= pid= process= user= class= addr= V/version
end

function __fish_sockscope_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_sockscope_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_sockscope_using_subcommand
    set -l cmd (__fish_sockscope_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c sockscope -n "__fish_sockscope_needs_command" -l color -d 'When to colour: auto (only on a terminal, and not when NO_COLOR is set), always, never' -r -f -a "auto\t'Colour only when writing to a terminal and NO_COLOR is not set'
always\t'Always colour'
never\t'Never colour'"
complete -c sockscope -n "__fish_sockscope_needs_command" -l port -d 'Local or remote port is N (or in the range N-M)' -r
complete -c sockscope -n "__fish_sockscope_needs_command" -l sport -d 'Local (source) port is N (or in the range N-M)' -r
complete -c sockscope -n "__fish_sockscope_needs_command" -l dport -d 'Remote (destination) port is N (or in the range N-M)' -r
complete -c sockscope -n "__fish_sockscope_needs_command" -l state -d 'State is S: a state name, or a group (see --help for the list)' -r
complete -c sockscope -n "__fish_sockscope_needs_command" -l pid -d 'Owned by process ID N' -r
complete -c sockscope -n "__fish_sockscope_needs_command" -l process -d 'Owned by a process whose name contains NAME (case-insensitive)' -r
complete -c sockscope -n "__fish_sockscope_needs_command" -l user -d 'Owned by user NAME or UID' -r
complete -c sockscope -n "__fish_sockscope_needs_command" -l class -d 'Local port is of class C: well-known (0-1023), registered (1024-49151), dynamic' -r
complete -c sockscope -n "__fish_sockscope_needs_command" -l addr -d 'Local or remote address is IP' -r
complete -c sockscope -n "__fish_sockscope_needs_command" -s h -d 'Print a one-screen summary (--help has everything)'
complete -c sockscope -n "__fish_sockscope_needs_command" -l help -d 'Print the full help: every flag, the states, the columns and examples'
complete -c sockscope -n "__fish_sockscope_needs_command" -s t -l tcp -d 'Show TCP sockets (default: TCP and UDP)'
complete -c sockscope -n "__fish_sockscope_needs_command" -s u -l udp -d 'Show UDP sockets (default: TCP and UDP)'
complete -c sockscope -n "__fish_sockscope_needs_command" -s 4 -l ipv4 -d 'Show IPv4 sockets only (default: IPv4 and IPv6)'
complete -c sockscope -n "__fish_sockscope_needs_command" -s 6 -l ipv6 -d 'Show IPv6 sockets only (default: IPv4 and IPv6)'
complete -c sockscope -n "__fish_sockscope_needs_command" -s l -l listening -d 'Show only TCP listeners and unconnected UDP sockets'
complete -c sockscope -n "__fish_sockscope_needs_command" -s a -l all -d 'Accepted for netstat/ss habits: all states are shown by default'
complete -c sockscope -n "__fish_sockscope_needs_command" -s n -l numeric -d 'Accepted for netstat/ss habits: addresses and ports are always numeric (no DNS lookups)'
complete -c sockscope -n "__fish_sockscope_needs_command" -s o -d 'Accepted for netstat -o habits: owning PIDs are shown by default'
complete -c sockscope -n "__fish_sockscope_needs_command" -s p -l processes -d 'Accepted for ss/netstat -p habits: owning processes are shown by default'
complete -c sockscope -n "__fish_sockscope_needs_command" -s i -l info -d 'Show TCP internals: queues, round-trip time, congestion window, retransmits, algorithm'
complete -c sockscope -n "__fish_sockscope_needs_command" -l no-owners -d 'Skip the owner lookup entirely (fastest; owners are reported as unknown)'
complete -c sockscope -n "__fish_sockscope_needs_command" -l json -d 'Print a JSON document (schema 1, see README) instead of a table'
complete -c sockscope -n "__fish_sockscope_needs_command" -s H -l no-header -d 'Do not print the table header'
complete -c sockscope -n "__fish_sockscope_needs_command" -s V -l version -d 'Print version'
complete -c sockscope -n "__fish_sockscope_needs_command" -a "who" -d 'Show who is on a port: one line per owning process and socket'
complete -c sockscope -n "__fish_sockscope_needs_command" -a "kill" -d 'Signal every process that owns a socket bound to a port (asks first on a terminal)'
complete -c sockscope -n "__fish_sockscope_needs_command" -a "top" -d 'Live dashboard: sockets, owners, states and per-connection throughput, refreshed'
complete -c sockscope -n "__fish_sockscope_needs_command" -a "completions" -d 'Print a shell completion script: bash, zsh, fish, powershell or elvish'
complete -c sockscope -n "__fish_sockscope_using_subcommand who" -l color -d 'When to colour: auto, always, never' -r -f -a "auto\t'Colour only when writing to a terminal and NO_COLOR is not set'
always\t'Always colour'
never\t'Never colour'"
complete -c sockscope -n "__fish_sockscope_using_subcommand who" -l port -d 'Local or remote port is N (or in the range N-M)' -r
complete -c sockscope -n "__fish_sockscope_using_subcommand who" -l sport -d 'Local (source) port is N (or in the range N-M)' -r
complete -c sockscope -n "__fish_sockscope_using_subcommand who" -l dport -d 'Remote (destination) port is N (or in the range N-M)' -r
complete -c sockscope -n "__fish_sockscope_using_subcommand who" -l state -d 'State is S: a state name, or a group (see --help for the list)' -r
complete -c sockscope -n "__fish_sockscope_using_subcommand who" -l pid -d 'Owned by process ID N' -r
complete -c sockscope -n "__fish_sockscope_using_subcommand who" -l process -d 'Owned by a process whose name contains NAME (case-insensitive)' -r
complete -c sockscope -n "__fish_sockscope_using_subcommand who" -l user -d 'Owned by user NAME or UID' -r
complete -c sockscope -n "__fish_sockscope_using_subcommand who" -l class -d 'Local port is of class C: well-known (0-1023), registered (1024-49151), dynamic' -r
complete -c sockscope -n "__fish_sockscope_using_subcommand who" -l addr -d 'Local or remote address is IP' -r
complete -c sockscope -n "__fish_sockscope_using_subcommand who" -s h -d 'Print help (--help: with examples)'
complete -c sockscope -n "__fish_sockscope_using_subcommand who" -l help -d 'Print help with examples'
complete -c sockscope -n "__fish_sockscope_using_subcommand who" -l tcp -d 'Only TCP (default: TCP and UDP)'
complete -c sockscope -n "__fish_sockscope_using_subcommand who" -l udp -d 'Only UDP (default: TCP and UDP)'
complete -c sockscope -n "__fish_sockscope_using_subcommand who" -s 4 -l ipv4 -d 'Only IPv4'
complete -c sockscope -n "__fish_sockscope_using_subcommand who" -s 6 -l ipv6 -d 'Only IPv6'
complete -c sockscope -n "__fish_sockscope_using_subcommand who" -s r -l remote -d 'Also show sockets connected *to* the port (the clients), not only those bound to it'
complete -c sockscope -n "__fish_sockscope_using_subcommand who" -s t -l terse -d 'Print only the distinct owning PIDs, sorted, one per line (for `kill $(...)`)'
complete -c sockscope -n "__fish_sockscope_using_subcommand who" -l json -d 'Print the JSON document of the listing, filtered to this port'
complete -c sockscope -n "__fish_sockscope_using_subcommand who" -s H -l no-header -d 'Do not print the header line'
complete -c sockscope -n "__fish_sockscope_using_subcommand kill" -s s -l signal -d 'The signal: TERM, INT, HUP, KILL, QUIT, USR1, USR2, STOP, CONT (name or number)' -r
complete -c sockscope -n "__fish_sockscope_using_subcommand kill" -s w -l wait -d 'Wait up to SECS seconds for the processes to exit, and report those that did not' -r
complete -c sockscope -n "__fish_sockscope_using_subcommand kill" -l color -d 'When to colour: auto, always, never' -r -f -a "auto\t'Colour only when writing to a terminal and NO_COLOR is not set'
always\t'Always colour'
never\t'Never colour'"
complete -c sockscope -n "__fish_sockscope_using_subcommand kill" -l port -d 'Local or remote port is N (or in the range N-M)' -r
complete -c sockscope -n "__fish_sockscope_using_subcommand kill" -l sport -d 'Local (source) port is N (or in the range N-M)' -r
complete -c sockscope -n "__fish_sockscope_using_subcommand kill" -l dport -d 'Remote (destination) port is N (or in the range N-M)' -r
complete -c sockscope -n "__fish_sockscope_using_subcommand kill" -l state -d 'State is S: a state name, or a group (see --help for the list)' -r
complete -c sockscope -n "__fish_sockscope_using_subcommand kill" -l pid -d 'Owned by process ID N' -r
complete -c sockscope -n "__fish_sockscope_using_subcommand kill" -l process -d 'Owned by a process whose name contains NAME (case-insensitive)' -r
complete -c sockscope -n "__fish_sockscope_using_subcommand kill" -l user -d 'Owned by user NAME or UID' -r
complete -c sockscope -n "__fish_sockscope_using_subcommand kill" -l class -d 'Local port is of class C: well-known (0-1023), registered (1024-49151), dynamic' -r
complete -c sockscope -n "__fish_sockscope_using_subcommand kill" -l addr -d 'Local or remote address is IP' -r
complete -c sockscope -n "__fish_sockscope_using_subcommand kill" -s h -d 'Print help (--help: with examples)'
complete -c sockscope -n "__fish_sockscope_using_subcommand kill" -l help -d 'Print help with examples'
complete -c sockscope -n "__fish_sockscope_using_subcommand kill" -l tcp -d 'Only owners of TCP sockets'
complete -c sockscope -n "__fish_sockscope_using_subcommand kill" -l udp -d 'Only owners of UDP sockets'
complete -c sockscope -n "__fish_sockscope_using_subcommand kill" -s f -l force -d 'After the wait, send KILL to the processes still running (waits 5 s if --wait is not given)'
complete -c sockscope -n "__fish_sockscope_using_subcommand kill" -s y -l yes -d 'Do not ask for confirmation'
complete -c sockscope -n "__fish_sockscope_using_subcommand kill" -s n -l dry-run -d 'Print what would be signalled and do nothing'
complete -c sockscope -n "__fish_sockscope_using_subcommand top" -l interval -d 'Seconds between refreshes (0.1 to 3600)' -r
complete -c sockscope -n "__fish_sockscope_using_subcommand top" -l port -d 'Local or remote port is N (or in the range N-M)' -r
complete -c sockscope -n "__fish_sockscope_using_subcommand top" -l sport -d 'Local (source) port is N (or in the range N-M)' -r
complete -c sockscope -n "__fish_sockscope_using_subcommand top" -l dport -d 'Remote (destination) port is N (or in the range N-M)' -r
complete -c sockscope -n "__fish_sockscope_using_subcommand top" -l state -d 'State is S: a state name, or a group (see --help for the list)' -r
complete -c sockscope -n "__fish_sockscope_using_subcommand top" -l pid -d 'Owned by process ID N' -r
complete -c sockscope -n "__fish_sockscope_using_subcommand top" -l process -d 'Owned by a process whose name contains NAME (case-insensitive)' -r
complete -c sockscope -n "__fish_sockscope_using_subcommand top" -l user -d 'Owned by user NAME or UID' -r
complete -c sockscope -n "__fish_sockscope_using_subcommand top" -l class -d 'Local port is of class C: well-known (0-1023), registered (1024-49151), dynamic' -r
complete -c sockscope -n "__fish_sockscope_using_subcommand top" -l addr -d 'Local or remote address is IP' -r
complete -c sockscope -n "__fish_sockscope_using_subcommand top" -s h -d 'Print help (--help: with examples)'
complete -c sockscope -n "__fish_sockscope_using_subcommand top" -l help -d 'Print help with examples'
complete -c sockscope -n "__fish_sockscope_using_subcommand top" -s t -l tcp -d 'Show TCP sockets (default: TCP and UDP)'
complete -c sockscope -n "__fish_sockscope_using_subcommand top" -s u -l udp -d 'Show UDP sockets (default: TCP and UDP)'
complete -c sockscope -n "__fish_sockscope_using_subcommand top" -s 4 -l ipv4 -d 'Show IPv4 sockets only (default: IPv4 and IPv6)'
complete -c sockscope -n "__fish_sockscope_using_subcommand top" -s 6 -l ipv6 -d 'Show IPv6 sockets only (default: IPv4 and IPv6)'
complete -c sockscope -n "__fish_sockscope_using_subcommand top" -s l -l listening -d 'Show only TCP listeners and unconnected UDP sockets'
complete -c sockscope -n "__fish_sockscope_using_subcommand completions" -s h -l help -d 'Print help'

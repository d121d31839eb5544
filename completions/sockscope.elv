
use builtin;
use str;

set edit:completion:arg-completer[sockscope] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'sockscope'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'sockscope'= {
            cand --color 'When to colour: auto (only on a terminal, and not when NO_COLOR is set), always, never'
            cand --port 'Local or remote port is N (or in the range N-M)'
            cand --sport 'Local (source) port is N (or in the range N-M)'
            cand --dport 'Remote (destination) port is N (or in the range N-M)'
            cand --state 'State is S: a state name, or a group (see --help for the list)'
            cand --pid 'Owned by process ID N'
            cand --process 'Owned by a process whose name contains NAME (case-insensitive)'
            cand --user 'Owned by user NAME or UID'
            cand --class 'Local port is of class C: well-known (0-1023), registered (1024-49151), dynamic'
            cand --addr 'Local or remote address is IP'
            cand -h 'Print a one-screen summary (--help has everything)'
            cand --help 'Print the full help: every flag, the states, the columns and examples'
            cand -t 'Show TCP sockets (default: TCP and UDP)'
            cand --tcp 'Show TCP sockets (default: TCP and UDP)'
            cand -u 'Show UDP sockets (default: TCP and UDP)'
            cand --udp 'Show UDP sockets (default: TCP and UDP)'
            cand -4 'Show IPv4 sockets only (default: IPv4 and IPv6)'
            cand --ipv4 'Show IPv4 sockets only (default: IPv4 and IPv6)'
            cand -6 'Show IPv6 sockets only (default: IPv4 and IPv6)'
            cand --ipv6 'Show IPv6 sockets only (default: IPv4 and IPv6)'
            cand -l 'Show only TCP listeners and unconnected UDP sockets'
            cand --listening 'Show only TCP listeners and unconnected UDP sockets'
            cand -a 'Accepted for netstat/ss habits: all states are shown by default'
            cand --all 'Accepted for netstat/ss habits: all states are shown by default'
            cand -n 'Accepted for netstat/ss habits: addresses and ports are always numeric (no DNS lookups)'
            cand --numeric 'Accepted for netstat/ss habits: addresses and ports are always numeric (no DNS lookups)'
            cand -o 'Accepted for netstat -o habits: owning PIDs are shown by default'
            cand -p 'Accepted for ss/netstat -p habits: owning processes are shown by default'
            cand --processes 'Accepted for ss/netstat -p habits: owning processes are shown by default'
            cand -i 'Show TCP internals: queues, round-trip time, congestion window, retransmits, algorithm'
            cand --info 'Show TCP internals: queues, round-trip time, congestion window, retransmits, algorithm'
            cand --no-owners 'Skip the owner lookup entirely (fastest; owners are reported as unknown)'
            cand --json 'Print a JSON document (schema 1, see README) instead of a table'
            cand -H 'Do not print the table header'
            cand --no-header 'Do not print the table header'
            cand -V 'Print version'
            cand --version 'Print version'
            cand who 'Show who is on a port: one line per owning process and socket'
            cand kill 'Signal every process that owns a socket bound to a port (asks first on a terminal)'
            cand top 'Live dashboard: sockets, owners, states and per-connection throughput, refreshed'
            cand completions 'Print a shell completion script: bash, zsh, fish, powershell or elvish'
        }
        &'sockscope;who'= {
            cand --color 'When to colour: auto, always, never'
            cand --port 'Local or remote port is N (or in the range N-M)'
            cand --sport 'Local (source) port is N (or in the range N-M)'
            cand --dport 'Remote (destination) port is N (or in the range N-M)'
            cand --state 'State is S: a state name, or a group (see --help for the list)'
            cand --pid 'Owned by process ID N'
            cand --process 'Owned by a process whose name contains NAME (case-insensitive)'
            cand --user 'Owned by user NAME or UID'
            cand --class 'Local port is of class C: well-known (0-1023), registered (1024-49151), dynamic'
            cand --addr 'Local or remote address is IP'
            cand -h 'Print help (--help: with examples)'
            cand --help 'Print help with examples'
            cand --tcp 'Only TCP (default: TCP and UDP)'
            cand --udp 'Only UDP (default: TCP and UDP)'
            cand -4 'Only IPv4'
            cand --ipv4 'Only IPv4'
            cand -6 'Only IPv6'
            cand --ipv6 'Only IPv6'
            cand -r 'Also show sockets connected *to* the port (the clients), not only those bound to it'
            cand --remote 'Also show sockets connected *to* the port (the clients), not only those bound to it'
            cand -t 'Print only the distinct owning PIDs, sorted, one per line (for `kill $(...)`)'
            cand --terse 'Print only the distinct owning PIDs, sorted, one per line (for `kill $(...)`)'
            cand --json 'Print the JSON document of the listing, filtered to this port'
            cand -H 'Do not print the header line'
            cand --no-header 'Do not print the header line'
        }
        &'sockscope;kill'= {
            cand -s 'The signal: TERM, INT, HUP, KILL, QUIT, USR1, USR2, STOP, CONT (name or number)'
            cand --signal 'The signal: TERM, INT, HUP, KILL, QUIT, USR1, USR2, STOP, CONT (name or number)'
            cand -w 'Wait up to SECS seconds for the processes to exit, and report those that did not'
            cand --wait 'Wait up to SECS seconds for the processes to exit, and report those that did not'
            cand --color 'When to colour: auto, always, never'
            cand --port 'Local or remote port is N (or in the range N-M)'
            cand --sport 'Local (source) port is N (or in the range N-M)'
            cand --dport 'Remote (destination) port is N (or in the range N-M)'
            cand --state 'State is S: a state name, or a group (see --help for the list)'
            cand --pid 'Owned by process ID N'
            cand --process 'Owned by a process whose name contains NAME (case-insensitive)'
            cand --user 'Owned by user NAME or UID'
            cand --class 'Local port is of class C: well-known (0-1023), registered (1024-49151), dynamic'
            cand --addr 'Local or remote address is IP'
            cand -h 'Print help (--help: with examples)'
            cand --help 'Print help with examples'
            cand --tcp 'Only owners of TCP sockets'
            cand --udp 'Only owners of UDP sockets'
            cand -f 'After the wait, send KILL to the processes still running (waits 5 s if --wait is not given)'
            cand --force 'After the wait, send KILL to the processes still running (waits 5 s if --wait is not given)'
            cand -y 'Do not ask for confirmation'
            cand --yes 'Do not ask for confirmation'
            cand -n 'Print what would be signalled and do nothing'
            cand --dry-run 'Print what would be signalled and do nothing'
        }
        &'sockscope;top'= {
            cand --interval 'Seconds between refreshes (0.1 to 3600)'
            cand --port 'Local or remote port is N (or in the range N-M)'
            cand --sport 'Local (source) port is N (or in the range N-M)'
            cand --dport 'Remote (destination) port is N (or in the range N-M)'
            cand --state 'State is S: a state name, or a group (see --help for the list)'
            cand --pid 'Owned by process ID N'
            cand --process 'Owned by a process whose name contains NAME (case-insensitive)'
            cand --user 'Owned by user NAME or UID'
            cand --class 'Local port is of class C: well-known (0-1023), registered (1024-49151), dynamic'
            cand --addr 'Local or remote address is IP'
            cand -h 'Print help (--help: with examples)'
            cand --help 'Print help with examples'
            cand -t 'Show TCP sockets (default: TCP and UDP)'
            cand --tcp 'Show TCP sockets (default: TCP and UDP)'
            cand -u 'Show UDP sockets (default: TCP and UDP)'
            cand --udp 'Show UDP sockets (default: TCP and UDP)'
            cand -4 'Show IPv4 sockets only (default: IPv4 and IPv6)'
            cand --ipv4 'Show IPv4 sockets only (default: IPv4 and IPv6)'
            cand -6 'Show IPv6 sockets only (default: IPv4 and IPv6)'
            cand --ipv6 'Show IPv6 sockets only (default: IPv4 and IPv6)'
            cand -l 'Show only TCP listeners and unconnected UDP sockets'
            cand --listening 'Show only TCP listeners and unconnected UDP sockets'
        }
        &'sockscope;completions'= {
            cand -h 'Print help'
            cand --help 'Print help'
        }
    ]
    $completions[$command]
}

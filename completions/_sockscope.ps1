
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'sockscope' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'sockscope'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'sockscope' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour: auto (only on a terminal, and not when NO_COLOR is set), always, never')
            [CompletionResult]::new('--port', '--port', [CompletionResultType]::ParameterName, 'Local or remote port is N (or in the range N-M)')
            [CompletionResult]::new('--sport', '--sport', [CompletionResultType]::ParameterName, 'Local (source) port is N (or in the range N-M)')
            [CompletionResult]::new('--dport', '--dport', [CompletionResultType]::ParameterName, 'Remote (destination) port is N (or in the range N-M)')
            [CompletionResult]::new('--state', '--state', [CompletionResultType]::ParameterName, 'State is S: a state name, or a group (see --help for the list)')
            [CompletionResult]::new('--pid', '--pid', [CompletionResultType]::ParameterName, 'Owned by process ID N')
            [CompletionResult]::new('--process', '--process', [CompletionResultType]::ParameterName, 'Owned by a process whose name contains NAME (case-insensitive)')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'Owned by user NAME or UID')
            [CompletionResult]::new('--class', '--class', [CompletionResultType]::ParameterName, 'Local port is of class C: well-known (0-1023), registered (1024-49151), dynamic')
            [CompletionResult]::new('--addr', '--addr', [CompletionResultType]::ParameterName, 'Local or remote address is IP')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print a one-screen summary (--help has everything)')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print the full help: every flag, the states, the columns and examples')
            [CompletionResult]::new('-t', '-t', [CompletionResultType]::ParameterName, 'Show TCP sockets (default: TCP and UDP)')
            [CompletionResult]::new('--tcp', '--tcp', [CompletionResultType]::ParameterName, 'Show TCP sockets (default: TCP and UDP)')
            [CompletionResult]::new('-u', '-u', [CompletionResultType]::ParameterName, 'Show UDP sockets (default: TCP and UDP)')
            [CompletionResult]::new('--udp', '--udp', [CompletionResultType]::ParameterName, 'Show UDP sockets (default: TCP and UDP)')
            [CompletionResult]::new('-4', '-4', [CompletionResultType]::ParameterName, 'Show IPv4 sockets only (default: IPv4 and IPv6)')
            [CompletionResult]::new('--ipv4', '--ipv4', [CompletionResultType]::ParameterName, 'Show IPv4 sockets only (default: IPv4 and IPv6)')
            [CompletionResult]::new('-6', '-6', [CompletionResultType]::ParameterName, 'Show IPv6 sockets only (default: IPv4 and IPv6)')
            [CompletionResult]::new('--ipv6', '--ipv6', [CompletionResultType]::ParameterName, 'Show IPv6 sockets only (default: IPv4 and IPv6)')
            [CompletionResult]::new('-l', '-l', [CompletionResultType]::ParameterName, 'Show only TCP listeners and unconnected UDP sockets')
            [CompletionResult]::new('--listening', '--listening', [CompletionResultType]::ParameterName, 'Show only TCP listeners and unconnected UDP sockets')
            [CompletionResult]::new('-a', '-a', [CompletionResultType]::ParameterName, 'Accepted for netstat/ss habits: all states are shown by default')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Accepted for netstat/ss habits: all states are shown by default')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Accepted for netstat/ss habits: addresses and ports are always numeric (no DNS lookups)')
            [CompletionResult]::new('--numeric', '--numeric', [CompletionResultType]::ParameterName, 'Accepted for netstat/ss habits: addresses and ports are always numeric (no DNS lookups)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Accepted for netstat -o habits: owning PIDs are shown by default')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Accepted for ss/netstat -p habits: owning processes are shown by default')
            [CompletionResult]::new('--processes', '--processes', [CompletionResultType]::ParameterName, 'Accepted for ss/netstat -p habits: owning processes are shown by default')
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'Show TCP internals: queues, round-trip time, congestion window, retransmits, algorithm')
            [CompletionResult]::new('--info', '--info', [CompletionResultType]::ParameterName, 'Show TCP internals: queues, round-trip time, congestion window, retransmits, algorithm')
            [CompletionResult]::new('--no-owners', '--no-owners', [CompletionResultType]::ParameterName, 'Skip the owner lookup entirely (fastest; owners are reported as unknown)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print a JSON document (schema 1, see README) instead of a table')
            [CompletionResult]::new('-H', '-H ', [CompletionResultType]::ParameterName, 'Do not print the table header')
            [CompletionResult]::new('--no-header', '--no-header', [CompletionResultType]::ParameterName, 'Do not print the table header')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('who', 'who', [CompletionResultType]::ParameterValue, 'Show who is on a port: one line per owning process and socket')
            [CompletionResult]::new('kill', 'kill', [CompletionResultType]::ParameterValue, 'Signal every process that owns a socket bound to a port (asks first on a terminal)')
            [CompletionResult]::new('top', 'top', [CompletionResultType]::ParameterValue, 'Live dashboard: sockets, owners, states and per-connection throughput, refreshed')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script: bash, zsh, fish, powershell or elvish')
            break
        }
        'sockscope;who' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour: auto, always, never')
            [CompletionResult]::new('--port', '--port', [CompletionResultType]::ParameterName, 'Local or remote port is N (or in the range N-M)')
            [CompletionResult]::new('--sport', '--sport', [CompletionResultType]::ParameterName, 'Local (source) port is N (or in the range N-M)')
            [CompletionResult]::new('--dport', '--dport', [CompletionResultType]::ParameterName, 'Remote (destination) port is N (or in the range N-M)')
            [CompletionResult]::new('--state', '--state', [CompletionResultType]::ParameterName, 'State is S: a state name, or a group (see --help for the list)')
            [CompletionResult]::new('--pid', '--pid', [CompletionResultType]::ParameterName, 'Owned by process ID N')
            [CompletionResult]::new('--process', '--process', [CompletionResultType]::ParameterName, 'Owned by a process whose name contains NAME (case-insensitive)')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'Owned by user NAME or UID')
            [CompletionResult]::new('--class', '--class', [CompletionResultType]::ParameterName, 'Local port is of class C: well-known (0-1023), registered (1024-49151), dynamic')
            [CompletionResult]::new('--addr', '--addr', [CompletionResultType]::ParameterName, 'Local or remote address is IP')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (--help: with examples)')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help with examples')
            [CompletionResult]::new('--tcp', '--tcp', [CompletionResultType]::ParameterName, 'Only TCP (default: TCP and UDP)')
            [CompletionResult]::new('--udp', '--udp', [CompletionResultType]::ParameterName, 'Only UDP (default: TCP and UDP)')
            [CompletionResult]::new('-4', '-4', [CompletionResultType]::ParameterName, 'Only IPv4')
            [CompletionResult]::new('--ipv4', '--ipv4', [CompletionResultType]::ParameterName, 'Only IPv4')
            [CompletionResult]::new('-6', '-6', [CompletionResultType]::ParameterName, 'Only IPv6')
            [CompletionResult]::new('--ipv6', '--ipv6', [CompletionResultType]::ParameterName, 'Only IPv6')
            [CompletionResult]::new('-r', '-r', [CompletionResultType]::ParameterName, 'Also show sockets connected *to* the port (the clients), not only those bound to it')
            [CompletionResult]::new('--remote', '--remote', [CompletionResultType]::ParameterName, 'Also show sockets connected *to* the port (the clients), not only those bound to it')
            [CompletionResult]::new('-t', '-t', [CompletionResultType]::ParameterName, 'Print only the distinct owning PIDs, sorted, one per line (for `kill $(...)`)')
            [CompletionResult]::new('--terse', '--terse', [CompletionResultType]::ParameterName, 'Print only the distinct owning PIDs, sorted, one per line (for `kill $(...)`)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print the JSON document of the listing, filtered to this port')
            [CompletionResult]::new('-H', '-H ', [CompletionResultType]::ParameterName, 'Do not print the header line')
            [CompletionResult]::new('--no-header', '--no-header', [CompletionResultType]::ParameterName, 'Do not print the header line')
            break
        }
        'sockscope;kill' {
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'The signal: TERM, INT, HUP, KILL, QUIT, USR1, USR2, STOP, CONT (name or number)')
            [CompletionResult]::new('--signal', '--signal', [CompletionResultType]::ParameterName, 'The signal: TERM, INT, HUP, KILL, QUIT, USR1, USR2, STOP, CONT (name or number)')
            [CompletionResult]::new('-w', '-w', [CompletionResultType]::ParameterName, 'Wait up to SECS seconds for the processes to exit, and report those that did not')
            [CompletionResult]::new('--wait', '--wait', [CompletionResultType]::ParameterName, 'Wait up to SECS seconds for the processes to exit, and report those that did not')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour: auto, always, never')
            [CompletionResult]::new('--port', '--port', [CompletionResultType]::ParameterName, 'Local or remote port is N (or in the range N-M)')
            [CompletionResult]::new('--sport', '--sport', [CompletionResultType]::ParameterName, 'Local (source) port is N (or in the range N-M)')
            [CompletionResult]::new('--dport', '--dport', [CompletionResultType]::ParameterName, 'Remote (destination) port is N (or in the range N-M)')
            [CompletionResult]::new('--state', '--state', [CompletionResultType]::ParameterName, 'State is S: a state name, or a group (see --help for the list)')
            [CompletionResult]::new('--pid', '--pid', [CompletionResultType]::ParameterName, 'Owned by process ID N')
            [CompletionResult]::new('--process', '--process', [CompletionResultType]::ParameterName, 'Owned by a process whose name contains NAME (case-insensitive)')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'Owned by user NAME or UID')
            [CompletionResult]::new('--class', '--class', [CompletionResultType]::ParameterName, 'Local port is of class C: well-known (0-1023), registered (1024-49151), dynamic')
            [CompletionResult]::new('--addr', '--addr', [CompletionResultType]::ParameterName, 'Local or remote address is IP')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (--help: with examples)')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help with examples')
            [CompletionResult]::new('--tcp', '--tcp', [CompletionResultType]::ParameterName, 'Only owners of TCP sockets')
            [CompletionResult]::new('--udp', '--udp', [CompletionResultType]::ParameterName, 'Only owners of UDP sockets')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'After the wait, send KILL to the processes still running (waits 5 s if --wait is not given)')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'After the wait, send KILL to the processes still running (waits 5 s if --wait is not given)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Do not ask for confirmation')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Do not ask for confirmation')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Print what would be signalled and do nothing')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print what would be signalled and do nothing')
            break
        }
        'sockscope;top' {
            [CompletionResult]::new('--interval', '--interval', [CompletionResultType]::ParameterName, 'Seconds between refreshes (0.1 to 3600)')
            [CompletionResult]::new('--port', '--port', [CompletionResultType]::ParameterName, 'Local or remote port is N (or in the range N-M)')
            [CompletionResult]::new('--sport', '--sport', [CompletionResultType]::ParameterName, 'Local (source) port is N (or in the range N-M)')
            [CompletionResult]::new('--dport', '--dport', [CompletionResultType]::ParameterName, 'Remote (destination) port is N (or in the range N-M)')
            [CompletionResult]::new('--state', '--state', [CompletionResultType]::ParameterName, 'State is S: a state name, or a group (see --help for the list)')
            [CompletionResult]::new('--pid', '--pid', [CompletionResultType]::ParameterName, 'Owned by process ID N')
            [CompletionResult]::new('--process', '--process', [CompletionResultType]::ParameterName, 'Owned by a process whose name contains NAME (case-insensitive)')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'Owned by user NAME or UID')
            [CompletionResult]::new('--class', '--class', [CompletionResultType]::ParameterName, 'Local port is of class C: well-known (0-1023), registered (1024-49151), dynamic')
            [CompletionResult]::new('--addr', '--addr', [CompletionResultType]::ParameterName, 'Local or remote address is IP')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (--help: with examples)')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help with examples')
            [CompletionResult]::new('-t', '-t', [CompletionResultType]::ParameterName, 'Show TCP sockets (default: TCP and UDP)')
            [CompletionResult]::new('--tcp', '--tcp', [CompletionResultType]::ParameterName, 'Show TCP sockets (default: TCP and UDP)')
            [CompletionResult]::new('-u', '-u', [CompletionResultType]::ParameterName, 'Show UDP sockets (default: TCP and UDP)')
            [CompletionResult]::new('--udp', '--udp', [CompletionResultType]::ParameterName, 'Show UDP sockets (default: TCP and UDP)')
            [CompletionResult]::new('-4', '-4', [CompletionResultType]::ParameterName, 'Show IPv4 sockets only (default: IPv4 and IPv6)')
            [CompletionResult]::new('--ipv4', '--ipv4', [CompletionResultType]::ParameterName, 'Show IPv4 sockets only (default: IPv4 and IPv6)')
            [CompletionResult]::new('-6', '-6', [CompletionResultType]::ParameterName, 'Show IPv6 sockets only (default: IPv4 and IPv6)')
            [CompletionResult]::new('--ipv6', '--ipv6', [CompletionResultType]::ParameterName, 'Show IPv6 sockets only (default: IPv4 and IPv6)')
            [CompletionResult]::new('-l', '-l', [CompletionResultType]::ParameterName, 'Show only TCP listeners and unconnected UDP sockets')
            [CompletionResult]::new('--listening', '--listening', [CompletionResultType]::ParameterName, 'Show only TCP listeners and unconnected UDP sockets')
            break
        }
        'sockscope;completions' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}

//! Man pages, generated from the clap definition so they cannot drift from `--help`.
//!
//! `cargo run --example generate-assets` writes them into man/ (with the completion scripts); a test fails when the pages checked in under
//! `man/` differ from what the code generates. clap_mangen renders the flags; the sections a
//! reader of a man page looks for (EXAMPLES, EXIT STATUS, ENVIRONMENT, FILES, SEE ALSO) are
//! written here.

use std::io::{self, Write};

use clap::CommandFactory;

use crate::cli::Cli;

/// Escapes text for roff: backslashes, hyphens (so they copy as ASCII), and a leading dot or
/// quote that would be read as a request.
fn roff(text: &str) -> String {
    let escaped = text.replace('\\', "\\e").replace('-', "\\-");
    if escaped.starts_with('.') || escaped.starts_with('\'') {
        format!("\\&{escaped}")
    } else {
        escaped
    }
}

fn section(out: &mut Vec<u8>, title: &str) -> io::Result<()> {
    writeln!(out, ".SH {title}")
}

fn paragraph(out: &mut Vec<u8>, text: &str) -> io::Result<()> {
    writeln!(out, ".PP\n{}", roff(text))
}

/// An example: the command in bold, then what it does.
fn example(out: &mut Vec<u8>, command: &str, meaning: &str) -> io::Result<()> {
    writeln!(out, ".TP\n\\fB{}\\fR\n{}", roff(command), roff(meaning))
}

fn item(out: &mut Vec<u8>, term: &str, meaning: &str) -> io::Result<()> {
    writeln!(out, ".TP\n\\fI{}\\fR\n{}", roff(term), roff(meaning))
}

const EXIT_LIST: &[(&str, &str)] = &[
    (
        "0",
        "Sockets were listed (who: found; kill: every target was signalled and, with \
           --wait, exited).",
    ),
    ("1", "Nothing matched (kill: nothing owns the port)."),
    (
        "2",
        "An error: bad flags or values, a failure reading the kernel's tables, or a kill that \
           was refused, denied or left processes running.",
    ),
];

fn common_tail(out: &mut Vec<u8>, exits: &[(&str, &str)]) -> io::Result<()> {
    section(out, "EXIT STATUS")?;
    for (code, meaning) in exits {
        item(out, code, meaning)?;
    }
    section(out, "ENVIRONMENT")?;
    item(
        out,
        "NO_COLOR",
        "When set to a non-empty value, --color auto does not colour. --color always still does.",
    )?;
    item(
        out,
        "SOCKSCOPE_FORCE_PROCNET",
        "When set, read /proc/net instead of asking the kernel over netlink (for comparing; \
         sockscope falls back to it by itself when netlink is refused).",
    )?;
    section(out, "FILES")?;
    item(
        out,
        "/proc/net/tcp, /proc/net/tcp6, /proc/net/udp, /proc/net/udp6",
        "The socket tables read when netlink sock_diag is not available.",
    )?;
    item(
        out,
        "/proc/*/fd",
        "Read to find which processes hold each socket; other users' processes need root or CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH.",
    )?;
    item(
        out,
        "/proc/sys/net/ipv4/ip_local_port_range",
        "The ephemeral port range, for the +eph mark.",
    )?;
    item(
        out,
        "/etc/services",
        "Service names, merged under the built-in ones.",
    )?;
    section(out, "SECURITY")?;
    paragraph(
        out,
        "Process names, command lines and user names are chosen by whoever started a process. \
         In tables every control character, escape sequence, bidi override and invisible \
         character is shown escaped (\\x1b, \\n, \\u{202e}); JSON keeps the exact text.",
    )?;
    section(out, "SEE ALSO")?;
    writeln!(
        out,
        ".BR ss (8),\n.BR netstat (8),\n.BR lsof (8),\n.BR fuser (1),\n.BR kill (1)"
    )
}

fn page(
    cmd: clap::Command,
    body: impl FnOnce(&mut Vec<u8>) -> io::Result<()>,
) -> io::Result<Vec<u8>> {
    let man = clap_mangen::Man::new(cmd.clone())
        .source(format!("sockscope {}", env!("CARGO_PKG_VERSION")));
    let mut out = Vec::new();
    man.render_title(&mut out)?;
    man.render_name_section(&mut out)?;
    man.render_synopsis_section(&mut out)?;
    man.render_description_section(&mut out)?;
    man.render_options_section(&mut out)?;
    if cmd.get_subcommands().any(|s| !s.is_hide_set()) {
        man.render_subcommands_section(&mut out)?;
    }
    body(&mut out)?;
    Ok(out)
}

/// Every page: (file name, contents).
pub fn pages() -> io::Result<Vec<(String, Vec<u8>)>> {
    // NAME wants one line; the four uses go to DESCRIPTION.
    let mut cli = Cli::command()
        .about("list TCP and UDP sockets with their owning processes")
        .long_about(crate::cli::USES);
    cli.build();
    let main = page(cli.clone(), |out| {
        section(out, "EXAMPLES")?;
        example(
            out,
            "sockscope",
            "Every TCP and UDP socket, with the processes that own it.",
        )?;
        example(
            out,
            "sockscope -ltn",
            "TCP listeners. netstat and ss habits such as -ano and -tulpn parse too.",
        )?;
        example(
            out,
            "sockscope :8080",
            "Sockets whose local or remote port is 8080.",
        )?;
        example(
            out,
            "sockscope --state established --process nginx",
            "nginx's open connections.",
        )?;
        example(
            out,
            "sockscope --json | jq '.sockets[] | select(.state == \"listen\")'",
            "The listeners, for a script.",
        )?;
        example(
            out,
            "sockscope who 8080",
            "Who is on port 8080: PID, process, user, command line.",
        )?;
        example(
            out,
            "kill $(sockscope who -t 8080)",
            "The same PIDs only, like lsof -t -i:8080.",
        )?;
        example(
            out,
            "sockscope kill 8080",
            "Signal whoever holds port 8080, after asking.",
        )?;
        common_tail(out, EXIT_LIST)
    })?;
    let mut pages = vec![("sockscope.1".to_owned(), main)];
    for sub in cli
        .get_subcommands()
        .filter(|s| !s.is_hide_set() && s.get_name() != "help")
    {
        let name = sub.get_name().to_owned();
        let cmd = sub
            .clone()
            .name(format!("sockscope-{name}"))
            .bin_name(format!("sockscope {name}"));
        let body = page(cmd, |out| {
            section(out, "EXAMPLES")?;
            match name.as_str() {
                "who" => {
                    example(
                        out,
                        "sockscope who 8080",
                        "Every process with a socket bound to port 8080.",
                    )?;
                    example(
                        out,
                        "sockscope who 127.0.0.1:8080",
                        "Only 127.0.0.1, plus listeners on 0.0.0.0 and [::] that answer there too.",
                    )?;
                    example(
                        out,
                        "sockscope who --remote 5432",
                        "Also the clients connected to port 5432.",
                    )?;
                    example(
                        out,
                        "kill $(sockscope who -t 8080)",
                        "-t prints only the PIDs, sorted, one per line.",
                    )?;
                }
                "kill" => {
                    example(
                        out,
                        "sockscope kill 8080",
                        "List the owners of port 8080, ask, send SIGTERM.",
                    )?;
                    example(
                        out,
                        "sockscope kill --dry-run 8080",
                        "Show what would be signalled.",
                    )?;
                    example(
                        out,
                        "sockscope kill -y --wait 5 --force 3000",
                        "No question; wait 5 s, then KILL the survivors.",
                    )?;
                }
                "top" => {
                    example(
                        out,
                        "sockscope top",
                        "Every socket, refreshed every second; ? shows the keys.",
                    )?;
                    example(
                        out,
                        "sockscope top -t --sport 443",
                        "Only TCP on local port 443.",
                    )?;
                    example(
                        out,
                        "sockscope top --interval 0.5",
                        "Refresh twice a second.",
                    )?;
                }
                _ => {
                    example(
                        out,
                        "sockscope completions bash > ~/.local/share/bash-completion/completions/sockscope",
                        "Install bash completion for the current user.",
                    )?;
                    example(
                        out,
                        "sockscope completions zsh > \"${fpath[1]}/_sockscope\"",
                        "The same for zsh.",
                    )?;
                    example(
                        out,
                        "sockscope completions fish > ~/.config/fish/completions/sockscope.fish",
                        "The same for fish.",
                    )?;
                }
            }
            common_tail(out, EXIT_LIST)
        })?;
        pages.push((format!("sockscope-{name}.1"), body));
    }
    Ok(pages)
}

/// Writes the man pages into `root/man` and the completion scripts into `root/completions`,
/// returning the paths written.
pub fn write_assets(root: &std::path::Path) -> io::Result<Vec<std::path::PathBuf>> {
    let mut written = Vec::new();
    let man = root.join("man");
    for name in write_to(&man)? {
        written.push(man.join(name));
    }
    let completions = root.join("completions");
    std::fs::create_dir_all(&completions)?;
    for (name, body) in crate::completions::scripts() {
        std::fs::write(completions.join(name), body)?;
        written.push(completions.join(name));
    }
    Ok(written)
}

/// Writes every page into `dir`.
pub fn write_to(dir: &std::path::Path) -> io::Result<Vec<String>> {
    std::fs::create_dir_all(dir)?;
    let mut written = Vec::new();
    for (name, body) in pages()? {
        std::fs::write(dir.join(&name), body)?;
        written.push(name);
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checked_in_pages_match_the_code() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("man");
        for (name, body) in pages().unwrap() {
            let on_disk = std::fs::read(dir.join(&name)).unwrap_or_default();
            assert!(
                on_disk == body,
                "man/{name} is out of date: run `cargo run --example generate-assets`"
            );
        }
    }

    #[test]
    fn roff_escapes() {
        assert_eq!(roff("a-b\\c"), "a\\-b\\ec");
        assert_eq!(roff(".x"), "\\&.x");
    }
}

//! Shell completion scripts, generated from the clap definition.
//!
//! `sockscope completions SHELL` prints one; the scripts are also checked in under
//! `completions/` (written by `cargo run --example generate-assets`) so packages can install
//! them, and a test fails when those files differ from what the code generates.

use clap::CommandFactory;
use clap_complete::Shell;

use crate::cli::Cli;

/// Every shell, with the file name its packages expect.
pub const SHELLS: [(Shell, &str); 5] = [
    (Shell::Bash, "sockscope.bash"),
    (Shell::Zsh, "_sockscope"),
    (Shell::Fish, "sockscope.fish"),
    (Shell::PowerShell, "_sockscope.ps1"),
    (Shell::Elvish, "sockscope.elv"),
];

/// The completion script for `shell`.
pub fn script(shell: Shell) -> Vec<u8> {
    let mut cmd = Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut cmd, "sockscope", &mut out);
    out
}

/// Every script: (file name, contents).
pub fn scripts() -> Vec<(&'static str, Vec<u8>)> {
    SHELLS
        .iter()
        .map(|&(shell, file)| (file, script(shell)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checked_in_scripts_match_the_code() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("completions");
        for (name, body) in scripts() {
            let on_disk = std::fs::read(dir.join(name)).unwrap_or_default();
            assert!(
                on_disk == body,
                "completions/{name} is out of date: run `cargo run --example generate-assets`"
            );
        }
    }

    #[test]
    fn scripts_know_the_subcommands_and_flags() {
        for (name, body) in scripts() {
            let text = String::from_utf8(body).unwrap();
            for word in ["who", "kill", "top", "sport", "json"] {
                assert!(text.contains(word), "{name} lacks {word}");
            }
            assert!(
                !text.contains("generate-assets"),
                "{name}: hidden commands stay hidden"
            );
        }
    }
}

//! Writes the man pages (man/) and shell completion scripts (completions/) from the clap
//! definition, into the repository or into the directory given:
//!
//! ```text
//! cargo run --example generate-assets            # refresh the checked-in files
//! cargo run --example generate-assets -- DIR     # for a package build
//! ```
//!
//! Tests fail when the checked-in files differ from what this writes.

use std::process::ExitCode;

fn main() -> ExitCode {
    let root = std::env::args_os().nth(1).map_or_else(
        || std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")),
        Into::into,
    );
    match sockscope::manpage::write_assets(&root) {
        Ok(paths) => {
            for path in paths {
                println!("{}", path.display());
            }
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!(
                "generate-assets: cannot write into {}: {err}",
                root.display()
            );
            ExitCode::FAILURE
        }
    }
}

//! The fuzzers' corpora and crash reproducers as regression tests: every file under
//! `fuzz/corpus/<target>/` and `fuzz/regressions/<target>/` goes through the same check as the
//! fuzz target (`fuzz_corpus/checks.rs`), on stable and without libFuzzer. See FUZZING.md.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "fuzz_corpus/checks.rs"]
mod checks;

use std::fs;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

/// Every fuzz target. A corpus directory for a target not listed here fails the test, so a new
/// target cannot be left out of `cargo test`.
const TARGETS: &[&str] = &[
    "procnet", "netlink", "tcp_info", "bytecode", "pcblist", "iphlpapi", "sanitize",
];

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz")
}

/// The files of one directory, sorted; none when it does not exist. Dotfiles (libFuzzer's
/// temporary files) are skipped.
fn files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<PathBuf> = entries
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .filter(|p| !p.file_name().unwrap().to_string_lossy().starts_with('.'))
        .collect();
    out.sort();
    out
}

/// Runs `check` on every corpus file and reproducer of `target`, and fails naming each input
/// that failed. An empty or missing corpus is a failure: the test must not pass by testing
/// nothing.
fn run(target: &str, check: fn(&[u8])) {
    let corpus = files(&fuzz_dir().join("corpus").join(target));
    assert!(
        !corpus.is_empty(),
        "fuzz/corpus/{target} is missing or empty"
    );
    let regressions = files(&fuzz_dir().join("regressions").join(target));
    let mut failed = Vec::new();
    for path in corpus.iter().chain(&regressions) {
        let data = fs::read(path).unwrap();
        if catch_unwind(AssertUnwindSafe(|| check(&data))).is_err() {
            failed.push(path.display().to_string());
        }
    }
    assert!(failed.is_empty(), "{target}: failed on {failed:#?}");
}

#[test]
fn every_corpus_belongs_to_a_target() {
    for kind in ["corpus", "regressions"] {
        let Ok(dirs) = fs::read_dir(fuzz_dir().join(kind)) else {
            assert_eq!(kind, "regressions", "fuzz/corpus is missing");
            continue;
        };
        for dir in dirs {
            let name = dir.unwrap().file_name().to_string_lossy().into_owned();
            assert!(
                TARGETS.contains(&name.as_str()),
                "fuzz/{kind}/{name} has no test in tests/fuzz_corpus.rs"
            );
        }
    }
}

#[cfg(target_os = "linux")]
#[test]
fn procnet() {
    run("procnet", checks::procnet);
}

#[cfg(target_os = "linux")]
#[test]
fn netlink() {
    run("netlink", checks::netlink);
}

#[cfg(target_os = "linux")]
#[test]
fn tcp_info() {
    run("tcp_info", checks::tcp_info);
}

#[cfg(target_os = "linux")]
#[test]
fn bytecode() {
    run("bytecode", checks::bytecode);
}

#[test]
fn pcblist() {
    run("pcblist", checks::pcblist);
}

#[test]
fn iphlpapi() {
    run("iphlpapi", checks::iphlpapi);
}

#[test]
fn sanitize() {
    run("sanitize", checks::sanitize);
}

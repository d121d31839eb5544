//! Fuzzes sanitize::for_terminal and cmdline_for_terminal: nothing unsafe reaches a terminal,
//! and the escaping reads back.
//! The invariants are in tests/fuzz_corpus/checks.rs, shared with `cargo test`.
#![no_main]

#[path = "../../tests/fuzz_corpus/checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::sanitize(data));

//! Fuzzes the macOS parsers: the net.inet.{tcp,udp}.pcblist_n dump (pcblist::parse, read both
//! ways) and libproc's socket_fdinfo.
//! The invariants are in tests/fuzz_corpus/checks.rs, shared with `cargo test`.
#![no_main]

#[path = "../../tests/fuzz_corpus/checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::pcblist(data));

//! Fuzzes the Windows iphlpapi table parser (windows::table::parse_table), all four table kinds.
//! The invariants are in tests/fuzz_corpus/checks.rs, shared with `cargo test`.
#![no_main]

#[path = "../../tests/fuzz_corpus/checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::iphlpapi(data));

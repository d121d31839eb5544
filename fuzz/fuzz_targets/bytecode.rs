//! Fuzzes the INET_DIAG_REQ_BYTECODE compiler against the port filter's meaning (for_ports,
//! run, audit).
//! The invariants are in tests/fuzz_corpus/checks.rs, shared with `cargo test`.
#![no_main]
#[cfg(not(target_os = "linux"))]
compile_error!("this parser exists on Linux only");
#[path = "../../tests/fuzz_corpus/checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::bytecode(data));

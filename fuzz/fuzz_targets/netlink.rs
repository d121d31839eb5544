//! Fuzzes the NETLINK_SOCK_DIAG answer parser: netlink::parse_messages over a receive buffer
//! and parse_diag_msg over a payload.
//! The invariants are in tests/fuzz_corpus/checks.rs, shared with `cargo test`.
#![no_main]
#[cfg(not(target_os = "linux"))]
compile_error!("this parser exists on Linux only");
#[path = "../../tests/fuzz_corpus/checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::netlink(data));

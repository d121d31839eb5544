//! Fuzzes netlink::parse_tcp_info with tcp_info blobs of every length, alone and as an
//! INET_DIAG_INFO attribute.
//! The invariants are in tests/fuzz_corpus/checks.rs, shared with `cargo test`.
#![no_main]
#[cfg(not(target_os = "linux"))]
compile_error!("this parser exists on Linux only");
#[path = "../../tests/fuzz_corpus/checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::tcp_info(data));

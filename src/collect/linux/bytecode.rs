//! `INET_DIAG_REQ_BYTECODE`: port filters the kernel applies during the dump, so a question about
//! one port on a machine with 100,000 sockets copies one socket out of the kernel, not 100,000.
//!
//! The program is a list of 4-byte ops `{code: u8, yes: u8, no: u16}`; a comparison is followed
//! by a second op whose `no` field carries the port. Running an op jumps `yes` bytes forward when
//! its condition holds and `no` bytes otherwise; landing exactly on the end accepts the socket,
//! jumping past it (end + 4) rejects it. The kernel audits a program by walking its `yes` chain,
//! so every op must be reachable that way and every `no` must land on an op of that chain — which
//! is why OR is written as "A, then an unconditional jump over B, then B" with A's rejections
//! pointing at B (the construction `ss` uses).

use crate::filter::{Filter, PortRange};

const BC_JMP: u8 = 1;
const BC_S_GE: u8 = 2;
const BC_S_LE: u8 = 3;
const BC_D_GE: u8 = 4;
const BC_D_LE: u8 = 5;

/// The netlink attribute type of a bytecode program in a dump request.
pub const INET_DIAG_REQ_BYTECODE: u16 = 1;

/// Above this many port conditions the filter is applied in user space only: the program's
/// jumps are 16-bit, and a long program costs the kernel more than it saves.
const MAX_CONDITIONS: usize = 256;

/// A filter expression over ports.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Expr {
    /// Local port in range.
    Local(PortRange),
    /// Remote port in range.
    Remote(PortRange),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
}

fn op(code: u8, yes: u8, no: u16) -> [u8; 4] {
    let n = no.to_ne_bytes();
    [code, yes, n[0], n[1]]
}

/// A comparison: yes = next op (8 bytes on), no = reject (end of this 8-byte block + 4).
fn compare(code: u8, port: u16) -> Vec<u8> {
    let mut v = Vec::with_capacity(8);
    v.extend_from_slice(&op(code, 8, 12));
    v.extend_from_slice(&op(0, 0, port));
    v
}

/// Points every rejection of `prog` (a jump to its end + 4) at the end of a longer program,
/// `extra` bytes further on. Walks the `yes` chain, as the kernel does.
fn relocate_rejections(prog: &mut [u8], extra: usize) -> Option<()> {
    let len = prog.len();
    let mut at = 0;
    while at < len {
        let yes = usize::from(prog[at + 1]);
        let no = usize::from(u16::from_ne_bytes([prog[at + 2], prog[at + 3]]));
        if no == len - at + 4 {
            let moved = u16::try_from(no + extra).ok()?;
            prog[at + 2..at + 4].copy_from_slice(&moved.to_ne_bytes());
        }
        if yes == 0 {
            return None;
        }
        at += yes;
    }
    Some(())
}

fn compile(e: &Expr) -> Option<Vec<u8>> {
    Some(match e {
        Expr::Local(r) | Expr::Remote(r) => {
            let (ge, le) = if matches!(e, Expr::Local(_)) {
                (BC_S_GE, BC_S_LE)
            } else {
                (BC_D_GE, BC_D_LE)
            };
            let mut a = compare(ge, r.first);
            let b = compare(le, r.last);
            relocate_rejections(&mut a, b.len())?;
            a.extend_from_slice(&b);
            a
        }
        Expr::And(x, y) => {
            let mut a = compile(x)?;
            let b = compile(y)?;
            relocate_rejections(&mut a, b.len())?;
            a.extend_from_slice(&b);
            a
        }
        Expr::Or(x, y) => {
            let mut a = compile(x)?;
            let b = compile(y)?;
            // A passing A reaches the jump, which skips B and lands on the end: accept.
            a.extend_from_slice(&op(BC_JMP, 4, u16::try_from(b.len() + 4).ok()?));
            a.extend_from_slice(&b);
            a
        }
    })
}

fn any_of(mut alternatives: Vec<Expr>) -> Option<Expr> {
    let last = alternatives.pop()?;
    Some(
        alternatives
            .into_iter()
            .rev()
            .fold(last, |acc, e| Expr::Or(Box::new(e), Box::new(acc))),
    )
}

fn port_expr(filter: &Filter) -> Option<Expr> {
    let mut groups = Vec::new();
    if !filter.ports.is_empty() {
        groups.push(any_of(
            filter
                .ports
                .iter()
                .flat_map(|r| [Expr::Local(*r), Expr::Remote(*r)])
                .collect(),
        )?);
    }
    if !filter.sports.is_empty() {
        groups.push(any_of(
            filter.sports.iter().map(|r| Expr::Local(*r)).collect(),
        )?);
    }
    if !filter.dports.is_empty() {
        groups.push(any_of(
            filter.dports.iter().map(|r| Expr::Remote(*r)).collect(),
        )?);
    }
    let last = groups.pop()?;
    Some(
        groups
            .into_iter()
            .rev()
            .fold(last, |acc, e| Expr::And(Box::new(e), Box::new(acc))),
    )
}

/// The bytecode for `filter`'s port conditions, or `None` when there are none (or too many to
/// be worth it; user space applies them either way).
pub fn for_ports(filter: &Filter) -> Option<Vec<u8>> {
    let conditions = filter.ports.len() * 2 + filter.sports.len() + filter.dports.len();
    if conditions == 0 || conditions > MAX_CONDITIONS {
        return None;
    }
    compile(&port_expr(filter)?)
}

/// Runs a program the way the kernel's `inet_diag_bc_run` does: for tests and fuzzing of the
/// compiler. `None` when a jump is malformed.
pub fn run(prog: &[u8], sport: u16, dport: u16) -> Option<bool> {
    let mut at: usize = 0;
    let len = prog.len();
    while at < len {
        let code = *prog.get(at)?;
        let yes = usize::from(*prog.get(at + 1)?);
        let no = usize::from(u16::from_ne_bytes([*prog.get(at + 2)?, *prog.get(at + 3)?]));
        let arg = || -> Option<u16> {
            Some(u16::from_ne_bytes([*prog.get(at + 6)?, *prog.get(at + 7)?]))
        };
        let hit = match code {
            BC_JMP => false,
            BC_S_GE => sport >= arg()?,
            BC_S_LE => sport <= arg()?,
            BC_D_GE => dport >= arg()?,
            BC_D_LE => dport <= arg()?,
            _ => return None,
        };
        let step = if hit { yes } else { no };
        if step == 0 {
            return None;
        }
        at += step;
    }
    Some(at == len)
}

/// Checks a program the way the kernel's `inet_diag_bc_audit` does (for tests), for the ops
/// [`run`] knows: a program it accepts is one the kernel accepts and [`run`] gives a verdict on.
/// Other ops (the kernel's NOP, address and mark conditions, …) are refused, as the kernel
/// refuses ops it does not know.
pub fn audit(prog: &[u8]) -> bool {
    // Offsets on the yes chain.
    let mut chain = Vec::new();
    let mut at = 0usize;
    while at < prog.len() {
        chain.push(at);
        let Some(&yes) = prog.get(at + 1) else {
            return false;
        };
        if yes < 4 || !yes.is_multiple_of(4) {
            return false;
        }
        at += usize::from(yes);
    }
    if at != prog.len() {
        return false;
    }
    chain.iter().all(|&at| {
        let code = prog[at];
        let yes = usize::from(prog[at + 1]);
        let no = usize::from(u16::from_ne_bytes([prog[at + 2], prog[at + 3]]));
        let min = match code {
            BC_JMP => 4,
            BC_S_GE | BC_S_LE | BC_D_GE | BC_D_LE => 8,
            _ => return false,
        };
        let left = prog.len() - at;
        let no_ok = no >= min && no <= left + 4 && no.is_multiple_of(4);
        let target = at + no;
        // The chain is in ascending order.
        let lands = target >= prog.len() || chain.binary_search(&target).is_ok();
        yes >= min && yes <= left + 4 && no_ok && lands
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(a: u16, b: u16) -> PortRange {
        PortRange { first: a, last: b }
    }

    /// The compiled program agrees with the user-space filter on every port pair tried.
    fn agrees(filter: &Filter) {
        let prog = for_ports(filter).unwrap();
        assert!(audit(&prog), "kernel audit would reject {prog:?}");
        let probe = [0u16, 1, 79, 80, 81, 442, 443, 444, 1000, 8080, 40000, 65535];
        for &s in &probe {
            for &d in &probe {
                let expect = (filter.ports.is_empty()
                    || filter.ports.iter().any(|p| p.contains(s) || p.contains(d)))
                    && (filter.sports.is_empty() || filter.sports.iter().any(|p| p.contains(s)))
                    && (filter.dports.is_empty() || filter.dports.iter().any(|p| p.contains(d)));
                assert_eq!(
                    run(&prog, s, d),
                    Some(expect),
                    "sport {s} dport {d} {filter:?}"
                );
            }
        }
    }

    #[test]
    fn single_port() {
        agrees(&Filter {
            sports: vec![r(80, 80)],
            ..Filter::default()
        });
        agrees(&Filter {
            dports: vec![r(443, 443)],
            ..Filter::default()
        });
        agrees(&Filter {
            ports: vec![r(8080, 8080)],
            ..Filter::default()
        });
    }

    #[test]
    fn ranges_ors_and_ands() {
        agrees(&Filter {
            sports: vec![r(1, 1000), r(8080, 8080), r(40000, 65535)],
            ..Filter::default()
        });
        agrees(&Filter {
            ports: vec![r(80, 81), r(443, 443)],
            sports: vec![r(0, 1000)],
            dports: vec![r(443, 444), r(8080, 8080)],
            ..Filter::default()
        });
    }

    #[test]
    fn nothing_to_push_down() {
        assert_eq!(for_ports(&Filter::default()), None);
        let many = Filter {
            sports: vec![r(1, 1); 300],
            ..Filter::default()
        };
        assert_eq!(for_ports(&many), None);
    }

    #[test]
    fn malformed_programs_do_not_run() {
        assert_eq!(run(&[BC_S_GE, 0, 0, 0, 0, 0, 0, 0], 1, 1), None);
        assert_eq!(run(&[99, 4, 8, 0], 1, 1), None);
        assert!(!audit(&[BC_S_GE, 3, 12, 0, 0, 0, 0, 0]));
    }

    #[test]
    fn audit_refuses_ops_run_does_not_know() {
        // Found by the bytecode fuzzer (fuzz/regressions/bytecode): an unknown op whose jumps
        // are well-formed passed the audit, though the kernel refuses it and `run` has no
        // verdict for it.
        let mut unknown = vec![32u8; 32];
        unknown[3] = 0; // no = 32: the end
        assert_eq!(run(&unknown, 0, 0), None);
        assert!(!audit(&unknown));
        // The kernel's NOP is valid there, but sockscope neither emits nor runs it.
        let nop = [0, 8, 8, 0, 0, 0, 0, 0];
        assert_eq!(run(&nop, 0, 0), None);
        assert!(!audit(&nop));
        // The same jumps with a known op pass.
        let known = [BC_S_GE, 8, 8, 0, 0, 0, 80, 0];
        assert!(audit(&known));
        assert!(run(&known, 0, 0).is_some());
    }
}

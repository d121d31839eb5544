use super::*;
use crate::model::Endpoint;

fn endpoint(addr: &str, port: u16) -> Endpoint {
    Endpoint {
        addr: addr.parse().unwrap(),
        port,
        class: PortClass::of(port),
        ephemeral: false,
        service: None,
    }
}

fn socket(local: (&str, u16), remote: Option<(&str, u16)>, state: SocketState) -> Socket {
    Socket {
        proto: state.proto(),
        family: if local.0.contains(':') {
            Family::Ipv6
        } else {
            Family::Ipv4
        },
        local: endpoint(local.0, local.1),
        remote: remote.map(|(a, p)| endpoint(a, p)),
        state,
        inode: Some(1),
        uid: Some(1000),
        owners: Some(vec![42]),
        tcp: None,
    }
}

fn procs() -> BTreeMap<u32, Process> {
    let mut m = BTreeMap::new();
    m.insert(
        42,
        Process {
            pid: 42,
            name: "Nginx".into(),
            cmdline: vec![],
            uid: Some(33),
            user: Some("www-data".into()),
        },
    );
    m
}

#[test]
fn state_sets() {
    let listening = StateSet::of(&[SocketState::Listen, SocketState::Unconnected]);
    assert!(listening.contains(SocketState::Listen));
    assert!(!listening.contains(SocketState::Established));
    assert!(listening.any_of(Proto::Udp));
    assert!(StateSet::of(&[SocketState::TimeWait]).any_of(Proto::Tcp));
    assert!(!StateSet::of(&[SocketState::TimeWait]).any_of(Proto::Udp));
    for s in SocketState::ALL {
        assert!(StateSet::ALL.contains(s));
        assert!(!StateSet::EMPTY.contains(s));
        assert_eq!(StateSet::parse_name(s.name()), Some(StateSet::of(&[s])));
    }
}

#[test]
fn state_names_and_groups() {
    let sync = StateSet::parse_name("synchronized").unwrap();
    assert!(sync.contains(SocketState::Established) && sync.contains(SocketState::TimeWait));
    assert!(!sync.contains(SocketState::Listen) && !sync.contains(SocketState::SynRecv));
    assert!(!sync.contains(SocketState::SynSent) && !sync.contains(SocketState::Close));
    let bucket = StateSet::parse_name("bucket").unwrap();
    assert_eq!(
        bucket,
        StateSet::of(&[SocketState::SynRecv, SocketState::TimeWait])
    );
    assert_eq!(
        StateSet::parse_name("TIME_WAIT"),
        Some(StateSet::of(&[SocketState::TimeWait]))
    );
    assert!(
        parse_state("establishd")
            .unwrap_err()
            .contains("establishd")
    );
}

#[test]
fn port_ranges() {
    assert_eq!(
        "8080".parse(),
        Ok(PortRange {
            first: 8080,
            last: 8080
        })
    );
    assert_eq!(
        ":8080".parse(),
        Ok(PortRange {
            first: 8080,
            last: 8080
        })
    );
    assert_eq!(
        "1-1023".parse(),
        Ok(PortRange {
            first: 1,
            last: 1023
        })
    );
    assert!("70000".parse::<PortRange>().unwrap_err().contains("70000"));
    assert!("10-5".parse::<PortRange>().unwrap_err().contains("10-5"));
    assert!("http".parse::<PortRange>().unwrap_err().contains("http"));
    assert!("".parse::<PortRange>().is_err());
    assert!("-5".parse::<PortRange>().is_err());
    assert!("99999999999999999999".parse::<PortRange>().is_err());
}

#[test]
fn addresses_classes_pids_users() {
    assert_eq!(
        parse_addr("[::1]").unwrap(),
        "::1".parse::<IpAddr>().unwrap()
    );
    assert_eq!(
        parse_addr("::ffff:10.0.0.1").unwrap(),
        "10.0.0.1".parse::<IpAddr>().unwrap()
    );
    assert!(parse_addr("10.0.0").unwrap_err().contains("10.0.0"));
    assert_eq!(parse_class("Well-Known"), Ok(PortClass::WellKnown));
    assert!(parse_class("huge").is_err());
    assert_eq!(parse_pid("12"), Ok(12));
    assert!(parse_pid("-1").is_err() && parse_pid("99999999999").is_err());
    assert_eq!(UserSpec::parse("0"), Ok(UserSpec::Uid(0)));
    assert_eq!(UserSpec::parse("bob"), Ok(UserSpec::Name("bob".into())));
    assert!(UserSpec::parse("").is_err());
}

#[test]
fn ports_match_local_or_remote() {
    let s = socket(
        ("10.0.0.1", 40000),
        Some(("10.0.0.2", 443)),
        SocketState::Established,
    );
    let p = procs();
    let with = |f: Filter| f.matches(&s, &p);
    let r = |a: u16, b: u16| PortRange { first: a, last: b };
    assert!(with(Filter {
        ports: vec![r(443, 443)],
        ..Filter::default()
    }));
    assert!(with(Filter {
        ports: vec![r(40000, 40000)],
        ..Filter::default()
    }));
    assert!(!with(Filter {
        sports: vec![r(443, 443)],
        ..Filter::default()
    }));
    assert!(with(Filter {
        dports: vec![r(400, 500)],
        ..Filter::default()
    }));
    assert!(with(Filter {
        sports: vec![r(1, 2), r(40000, 40001)],
        ..Filter::default()
    }));
    assert!(!with(Filter {
        sports: vec![r(40000, 40000)],
        dports: vec![r(80, 80)],
        ..Filter::default()
    }));
}

#[test]
fn owner_conditions() {
    let s = socket(("0.0.0.0", 80), None, SocketState::Listen);
    let p = procs();
    let with = |f: Filter| f.matches(&s, &p);
    assert!(with(Filter {
        pids: vec![42],
        ..Filter::default()
    }));
    assert!(!with(Filter {
        pids: vec![43],
        ..Filter::default()
    }));
    assert!(with(Filter {
        processes: vec!["ngin".into()],
        ..Filter::default()
    }));
    assert!(!with(Filter {
        processes: vec!["apache".into()],
        ..Filter::default()
    }));
    assert!(with(Filter {
        users: vec![UserSpec::Uid(33)],
        ..Filter::default()
    }));
    assert!(with(Filter {
        users: vec![UserSpec::Name("www-data".into())],
        ..Filter::default()
    }));
    assert!(!with(Filter {
        users: vec![UserSpec::Uid(0)],
        ..Filter::default()
    }));
    // Unknown owners: only the kernel's UID can be checked.
    let mut hidden = s.clone();
    hidden.owners = None;
    assert!(
        Filter {
            users: vec![UserSpec::Uid(1000)],
            ..Filter::default()
        }
        .matches(&hidden, &p)
    );
    assert!(
        !Filter {
            pids: vec![42],
            ..Filter::default()
        }
        .matches(&hidden, &p)
    );
}

#[test]
fn addresses_and_classes() {
    let s = socket(("0.0.0.0", 8080), None, SocketState::Listen);
    let s6 = socket(("::", 8080), None, SocketState::Listen);
    let lo6 = socket(("::1", 8080), None, SocketState::Listen);
    let p = procs();
    let local = |a: &str| Filter {
        local_addrs: vec![a.parse().unwrap()],
        ..Filter::default()
    };
    assert!(local("127.0.0.1").matches(&s, &p));
    assert!(
        local("127.0.0.1").matches(&s6, &p),
        "dual-stack [::] accepts IPv4"
    );
    assert!(
        !local("::1").matches(&s, &p),
        "0.0.0.0 does not accept IPv6"
    );
    assert!(!local("127.0.0.1").matches(&lo6, &p));
    let addr = Filter {
        addrs: vec!["0.0.0.0".parse().unwrap()],
        ..Filter::default()
    };
    assert!(addr.matches(&s, &p) && !addr.matches(&s6, &p));
    let class = Filter {
        classes: vec![PortClass::WellKnown],
        ..Filter::default()
    };
    assert!(!class.matches(&s, &p));
}

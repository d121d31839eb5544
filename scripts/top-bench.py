#!/usr/bin/env python3
"""Measures `sockscope top` on a busy machine: CPU in steady state, and key-press latency.

    python3 scripts/top-bench.py --sockets 10000 --cpu 30         # CPU % of one core
    python3 scripts/top-bench.py --sockets 100000 --keys 8        # key press -> screen, ms

It opens SOCKETS established loopback TCP sockets (127.0.0.1 only) in child processes of its own,
runs `sockscope top` in a tmux session, and measures:
  --cpu N   the dashboard's user+system CPU over N seconds, after a warm-up;
  --keys R  R rounds of key presses (move, page, sort, toggle, filter, help), each sent at a
            random point of the refresh cycle, timed from `tmux send-keys` until the captured
            screen changes. Includes tmux's own delay, so it overstates the dashboard's.
Every child is ended (by PID) and the tmux session killed on exit, also on Ctrl-C.
Needs root for more than ~20,000 sockets per process (it raises RLIMIT_NOFILE), tmux, and a
release build (cargo build --release).
"""
import argparse, os, random, resource, signal, socket, statistics, subprocess, sys, time

PER_PROC = 4500  # connections per child: 9,000 fds, under common hard limits


def child(n, port):
    """Holds n loopback connections (2n sockets) until its parent goes away."""
    signal.alarm(1800)  # never outlive a forgotten run
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 2 * n + 100), hard))
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", port))
    listener.listen(4096)
    keep = []
    for _ in range(n):
        c = socket.socket()
        # Close with RST on exit: no TIME-WAIT pile-up after the run.
        c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        c.connect(("127.0.0.1", port))
        a, _ = listener.accept()
        keep += [c, a]
    print("ready", flush=True)
    sys.stdin.read()  # EOF when the parent exits


def farm(sockets):
    procs = []
    remaining = sockets // 2
    port = 23000
    while remaining > 0:
        n = min(PER_PROC, remaining)
        p = subprocess.Popen([sys.executable, __file__, "--child", str(n), str(port)],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        procs.append(p)
        remaining -= n
        port += 1
    for p in procs:
        if p.stdout.readline().strip() != "ready":
            raise SystemExit("a farm process failed")
    return procs


def tmux(*args):
    return subprocess.run(["tmux", *args], capture_output=True, text=True).stdout


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sockets", type=int, default=10000)
    ap.add_argument("--cpu", type=float, help="measure CPU over this many seconds")
    ap.add_argument("--keys", type=int, help="rounds of key presses to time")
    ap.add_argument("--bin", default="target/release/sockscope")
    ap.add_argument("--child", nargs=2, type=int, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        return child(*a.child)
    session = f"sockscope-top-bench-{os.getpid()}"
    procs = []

    def cleanup(*_):
        tmux("kill-session", "-t", session)
        for p in procs:
            p.kill()
            p.wait()
        sys.exit(130 if _ else 0)

    signal.signal(signal.SIGINT, cleanup)
    signal.signal(signal.SIGTERM, cleanup)
    try:
        procs.extend(farm(a.sockets))
        tmux("new-session", "-d", "-s", session, "-x", "200", "-y", "50", f"{a.bin} top; sleep 3600")
        screen = lambda: tmux("capture-pane", "-e", "-p", "-t", session)
        deadline = time.time() + 60
        while "showing" not in screen() or "waiting for the first" in screen():
            if time.time() > deadline:
                raise SystemExit("no first snapshot within 60 s")
            time.sleep(0.1)
        time.sleep(12)  # past the first rescans of the owner cache
        head = [l for l in tmux("capture-pane", "-p", "-t", session).splitlines()[:2]]
        print("\n".join(head))
        if a.cpu:
            shell = tmux("display", "-p", "-t", session, "#{pane_pid}").strip()
            with open(f"/proc/{shell}/task/{shell}/children") as f:
                pid = f.read().split()[0]
            tick = os.sysconf("SC_CLK_TCK")
            cpu = lambda: sum(int(x) for x in open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[11:13])
            c0, t0 = cpu(), time.time()
            time.sleep(a.cpu)
            c1, t1 = cpu(), time.time()
            print(f"cpu: {100 * (c1 - c0) / tick / (t1 - t0):.2f}% of one core over {t1 - t0:.0f} s "
                  f"with {a.sockets} sockets, 1 s interval")
        if a.keys:
            plan = [("j", ["j"]), ("k", ["k"]), ("End", ["G"]), ("Home", ["g"]), ("PgDn", ["PageDown"]),
                    ("s (re-sort)", ["s"]), ("S (flip)", ["S"]), ("t (toggle)", ["t"]), ("t", ["t"]),
                    ("/", ["/"]), ("2 (refilter)", ["2"]), ("Esc", ["Escape"]), ("?", ["?"]), ("Esc", ["Escape"])]
            times = {}
            for _ in range(a.keys):
                for name, keys in plan:
                    time.sleep(random.uniform(0.05, 1.0))
                    before = screen()
                    t0 = time.perf_counter()
                    tmux("send-keys", "-t", session, *keys)
                    while screen() == before:
                        if time.perf_counter() - t0 > 5:
                            break
                        time.sleep(0.002)
                    times.setdefault(name, []).append((time.perf_counter() - t0) * 1000)
            every = sorted(v for vs in times.values() for v in vs)
            for name, vs in times.items():
                print(f"  {name:14s} median {statistics.median(vs):6.1f} ms   max {max(vs):6.1f} ms")
            print(f"keys: n={len(every)} median {statistics.median(every):.1f} ms, "
                  f"p90 {every[int(len(every) * 0.9)]:.1f} ms, max {every[-1]:.1f} ms "
                  f"({sum(v > 100 for v in every)} above 100 ms), {a.sockets} sockets")
    finally:
        cleanup()


if __name__ == "__main__":
    main()

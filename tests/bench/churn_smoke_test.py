#!/usr/bin/env python3
# e2e smoke test of the pod-churn driver (tools/ovnk-churn): 20 pods through
# the reactor (ovnk-cni exec'd per pod against the real daemon) and through the
# oracle, on a stack the tool brings up and tears down itself. Asserts on the
# JSON report: its structure, every pod ready and deleted, nothing left in NB,
# OVS or the kernel, the daemon stopped cleanly, and nothing of the run left on
# the machine afterwards. Never on speed (that is what the tool measures).
#
#   churn_smoke_test.py --churn tools/ovnk-churn --reactor BIN --cni BIN --workdir DIR
# Exit 0 = pass, 1 = fail, 77 = skipped (not root, or no OVN installed).
import argparse
import json
import os
import shutil
import subprocess
import sys

failures = []
checks = 0


def check(cond, what):
    global checks
    checks += 1
    if not cond:
        failures.append(what)
        print(f"FAIL: {what}", file=sys.stderr)


def netns_names():
    out = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    return {line.split()[0] for line in out.splitlines() if line.strip()}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--churn", required=True)
    ap.add_argument("--reactor", required=True)
    ap.add_argument("--cni", required=True)
    ap.add_argument("--workdir", required=True)
    a = ap.parse_args()
    if os.geteuid() != 0:
        print("skipped: needs root (netns, veths, an OVN stack)")
        return 77
    for tool in ("ovsdb-server", "ovn-northd", "ovn-controller", "ovs-vswitchd"):
        if not shutil.which(tool):
            print(f"skipped: {tool} not installed (tools/install-deps)")
            return 77

    os.makedirs(a.workdir, exist_ok=True)
    report = os.path.join(a.workdir, "churn_smoke.json")
    if os.path.exists(report):
        os.unlink(report)
    before = netns_names()
    p = subprocess.run([sys.executable, a.churn, "--pods", "20", "--concurrency", "8", "--rounds", "1",
                        "--mode", "reactor,oracle,oracle-exec", "--json", report, "--reactor", a.reactor, "--cni", a.cni],
                       capture_output=True, text=True, timeout=170)
    sys.stdout.write(p.stdout)
    sys.stderr.write(p.stderr[-4000:])
    check(p.returncode == 0, f"ovnk-churn exit status {p.returncode} (0 = every pod ready, deleted, nothing left)")
    check(os.path.exists(report), "the --json report was written")
    if not os.path.exists(report):
        return 1
    with open(report) as f:
        doc = json.load(f)

    # The document.
    for key in ("tool", "format", "date", "machine", "config", "netns", "results", "ratios", "targets", "all_ok"):
        check(key in doc, f"top-level key '{key}'")
    check(doc.get("tool") == "ovnk-churn", "tool name")
    check(doc.get("all_ok") is True, "all_ok")
    m = doc.get("machine", {})
    check(isinstance(m.get("cpus"), int) and m["cpus"] >= 1, "machine.cpus")
    check(bool(m.get("kernel")) and bool(m.get("hostname")), "machine.kernel/hostname")
    check(doc.get("config", {}).get("modes") == ["reactor", "oracle", "oracle-exec"], "config.modes")
    check(doc.get("config", {}).get("stack_started_here") is True, "the tool started its own stack")
    ns = doc.get("netns", {})
    check(ns.get("count") == 20 and ns.get("seconds", 0) > 0 and ns.get("per_second", 0) > 0,
          "netns creation measured apart")

    results = {r.get("mode"): r for r in doc.get("results", [])}
    check(set(results) == {"reactor", "oracle", "oracle-exec"}, f"one result per mode, got {sorted(results)}")
    for mode, r in results.items():
        w = f"{mode}: "
        check(r.get("ok") is True, w + "ok")
        check(r.get("pods") == 20 and r.get("expected") == 20, w + "20 pods expected")
        check(r.get("added") == 20, w + f"every ADD succeeded ({r.get('added')})")
        check(r.get("ready") == 20, w + f"every pod ready, ovn-installed ({r.get('ready')})")
        check(r.get("deleted") == 20, w + f"every DEL succeeded ({r.get('deleted')})")
        check(r.get("misconfigured") == 0, w + "sampled pods have their address on eth0")
        left = r.get("leftovers", {})
        check(set(left) >= {"lsps", "ovs_ports", "ovs_interfaces", "veths", "pod_eth0"}, w + "leftover kinds")
        check(all(v == 0 for v in left.values()), w + f"nothing left after DEL: {left}")
        check(r.get("errors") == [], w + f"no errors: {r.get('errors')}")
        check((r.get("add_pods_per_s") or 0) > 0 and (r.get("del_pods_per_s") or 0) > 0, w + "rates")
        lat = r.get("add_latency", {})
        vals = [lat.get(k) for k in ("p50_ms", "p90_ms", "p99_ms", "max_ms")]
        check(all(isinstance(v, (int, float)) for v in vals) and vals == sorted(vals), w + f"latency percentiles {vals}")
        check(len(r.get("add_latency_ms", [])) == 20, w + "one latency per pod")
        rounds = r.get("rounds", [])
        check(len(rounds) == 1 and rounds[0].get("ready") == 20, w + "one round, all ready")
        procs = r.get("processes_add", {}).get("processes", {})
        for name in ("ovsdb-server-nb", "ovn-northd", "ovs-vswitchd", "ovn-controller"):
            check(name in procs and procs[name]["cpu_s"] >= 0, w + f"CPU of {name} sampled")
        check(r.get("processes_add", {}).get("busiest") is not None, w + "the busiest process is named")

    d = results.get("reactor", {}).get("daemon", {})
    check(d.get("exit_code") == 0, f"the daemon stopped cleanly on SIGTERM (exit {d.get('exit_code')})")
    check(isinstance(d.get("cpu_add_s"), (int, float)) and d["cpu_add_s"] > 0, "daemon CPU during ADD")
    check(isinstance(d.get("cpu_per_add_us"), (int, float)) and d["cpu_per_add_us"] > 0, "daemon CPU per ADD")
    check(isinstance(d.get("vmhwm_kb"), int) and d["vmhwm_kb"] > 0, "daemon peak RSS")
    check("ovnk-reactor" in results.get("reactor", {}).get("processes_add", {}).get("processes", {}),
          "the daemon's CPU is sampled")
    # oracle-exec: the plugin exec'd per pod (VERSION) before the oracle's batch, for ADD and DEL.
    oe_round = (results.get("oracle-exec", {}).get("rounds") or [{}])[0]
    for phase in ("add_breakdown_ms", "del_breakdown_ms"):
        marks = oe_round.get(phase, {})
        execs = marks.get("plugin_execs_done")
        check(isinstance(execs, (int, float)) and 0 < execs <= min(v for v in marks.values()),
              f"oracle-exec: the execs come first in {phase}: {marks}")
    plain = (results.get("oracle", {}).get("rounds") or [{}])[0].get("add_breakdown_ms", {})
    check(plain and "plugin_execs_done" not in plain, f"the oracle execs nothing per pod: {plain}")
    ratios = [x for x in doc.get("ratios", []) if x.get("mode") == "reactor"]
    check(len(ratios) == 1 and isinstance(ratios[0].get("vs_oracle"), (int, float)), "ratio reactor/oracle")
    check(len(ratios) == 1 and isinstance(ratios[0].get("vs_oracle_exec"), (int, float)), "ratio reactor/oracle-exec")
    check(all({"target", "goal", "value", "met"} <= set(t) for t in doc.get("targets", [])) and doc.get("targets"),
          "targets listed")

    # Nothing of the run is left on the machine.
    leaked = sorted(n for n in netns_names() - before if n.startswith("churn") or n.startswith("ovnk-churn"))
    check(not leaked, f"no netns left: {leaked[:5]}")
    lab_dir = doc.get("config", {}).get("lab_dir")
    check(lab_dir and not os.path.exists(lab_dir), f"the lab dir {lab_dir} was removed")

    print(f"churn smoke: {checks - len(failures)} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

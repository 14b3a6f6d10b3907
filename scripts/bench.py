"""Fleet benchmark of azure_hrw.doctor on the lab (``make bench``; not part of ``make test``).

Brings up N lab hosts (default 50: every fault once, then more hosts of the same faults,
``<fault>-2``, ...), then, in one run and in R rounds (phases interleaved, so a busy machine
hurts every phase alike), measures:

- ``ping``: ``ansible all -m ping``, the floor: one module round trip per host;
- ``diagnose``: the diagnose playbook (collector, rules, summary, fleet report, last play);
- ``repair_check``: the repair playbook in ``--check``;
- ``report``: the fleet report task of the diagnose run (its task timing);
- the same ping and diagnose with Ansible's defaults (an empty ansible.cfg) instead of the
  shipped ansible.cfg;
- once: the diagnose playbook on half of the hosts (memory slope), on the one host whose
  every endpoint is blackholed (its time against probe_timeout), and with mitogen when
  ``--mitogen-venv`` has it (optional accelerator, never a dependency).

Per phase: wall time, ratio to the ping of the same round and configuration, module round
trips and SSH operations per host (from the callback scripts/bench/callback/hrw_bench.py), and
the controller's memory (peak PSS summed over ansible and its descendants, sampled; and
ru_maxrss of the largest process from wait4). Writes docs/performance/bench.json and
bench.md. Every lab it starts it takes down by its state dir, also on failure.
"""
import argparse
import datetime
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from tests.lab import INSTALLER_PATH  # noqa: E402  (after the path is set)
from tests.lab.faults import FAULTS  # noqa: E402

BIN = os.path.join(ROOT, ".venv", "bin")
CALLBACK_DIR = os.path.join(ROOT, "scripts", "bench", "callback")
COLLECT_TASK = "Collect the facts and evaluate the rules"
REPAIR_TASK = "Diagnose, plan, run the steps and diagnose again"
REPORT_TASK = "Write the report files on the controller"
BLACKHOLED = "endpoints_blackholed"


def host_names(count):
    """Every fault once (in FAULTS order), then ``<fault>-2`` for each, ``-3``, ... up to count."""
    faults, names, copy = list(FAULTS), [], 1
    while len(names) < count:
        names += [f if copy == 1 else "%s-%d" % (f, copy) for f in faults][:count - len(names)]
        copy += 1
    return names


def children(pid):
    """pid and all its descendants (through /proc/<pid>/task/*/children)."""
    out, todo = [], [pid]
    while todo:
        current = todo.pop()
        out.append(current)
        try:
            for task in os.listdir("/proc/%d/task" % current):
                with open("/proc/%d/task/%s/children" % (current, task)) as f:
                    todo += [int(c) for c in f.read().split()]
        except OSError:
            pass
    return out


def pss_kb(pid):
    try:
        with open("/proc/%d/smaps_rollup" % pid) as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


class Sampler(threading.Thread):
    """Peak of the summed PSS of a process tree, and of its root process alone, every 0.2 s."""

    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid, self.peak_tree_kb, self.peak_main_kb, self.peak_procs = pid, 0, 0, 0
        self.done = threading.Event()

    def run(self):
        while not self.done.is_set():
            pids = children(self.pid)
            sizes = [pss_kb(p) for p in pids]
            self.peak_tree_kb = max(self.peak_tree_kb, sum(sizes))
            self.peak_main_kb = max(self.peak_main_kb, sizes[0] if sizes else 0)
            self.peak_procs = max(self.peak_procs, len(pids))
            self.done.wait(0.2)


def run_phase(name, argv, env, work, log):
    """Run one ansible command; return its measurements (events parsed by ``summarize``)."""
    events = os.path.join(work, "%s.events.jsonl" % name)
    output = os.path.join(work, "%s.log" % name)
    env = dict(env, HRW_BENCH_EVENTS=events)
    env.setdefault("ANSIBLE_SSH_CONTROL_PATH_DIR", os.path.join(work, "cp-" + name))  # every phase starts cold
    log("  %-28s %s" % (name, " ".join(os.path.basename(a) if a.startswith(ROOT) else a for a in argv[:3])))
    with open(output, "wb") as out:
        start = time.monotonic()
        proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)
        sampler = Sampler(proc.pid)
        sampler.start()
        dummy, status, usage = os.wait4(proc.pid, 0)
        wall = time.monotonic() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        sampler.done.set()
        sampler.join()
    result = {"phase": name, "wall_s": round(wall, 3), "rc": proc.returncode,
              "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
              "maxrss_largest_process_mb": round(usage.ru_maxrss / 1024, 1),
              "peak_pss_tree_mb": round(sampler.peak_tree_kb / 1024, 1),
              "peak_pss_main_mb": round(sampler.peak_main_kb / 1024, 1),
              "peak_processes": sampler.peak_procs, "log": os.path.relpath(output, ROOT)}
    result.update(summarize(events))
    log("  %-28s %.1fs rc=%d, %s module call(s)/host, peak %.0f MB" % (
        "", wall, proc.returncode, result["modules_per_host"], result["peak_pss_tree_mb"]))
    return result


def summarize(events_path):
    """Module calls and SSH operations per host, and per-task host timings, from the events file."""
    modules, ssh_ops, starts, tasks = {}, {}, {}, {}
    try:
        with open(events_path) as f:
            events = [json.loads(line) for line in f if line.strip()]
    except OSError:
        events = []
    for e in events:
        host = e.get("h")
        if "task" in e:
            e["task"] = e["task"].split(" : ", 1)[-1]  # "<role> : <task>" -> "<task>"
        if e["k"] == "module":
            modules[host] = modules.get(host, 0) + 1
        elif e["k"] in ("exec", "put", "fetch"):
            ssh_ops[host] = ssh_ops.get(host, 0) + 1
        elif e["k"] == "start":
            starts[(host, e["task"])] = e["t"]
        elif e["k"] == "end" and (host, e["task"]) in starts:
            tasks.setdefault(e["task"], {})[host] = round(e["t"] - starts[(host, e["task"])], 3)

    def per_host(counts):
        values = sorted(set(counts.values()))
        return values[0] if len(values) == 1 else ("%s-%s" % (values[0], values[-1]) if values else 0)
    return {"modules_per_host": per_host(modules), "module_calls": sum(modules.values()),
            "ssh_ops_per_host": per_host(ssh_ops), "ssh_ops": sum(ssh_ops.values()),
            "hosts_counted": len(modules), "task_seconds": tasks}


def median(values):
    values = [v for v in values if v is not None]
    return round(statistics.median(values), 3) if values else None


def machine():
    with open("/proc/meminfo") as f:
        mem_kb = int(f.readline().split()[1])
    versions = subprocess.run([os.path.join(BIN, "ansible"), "--version"], capture_output=True, text=True,
                              check=False).stdout.splitlines()
    return {"cores": os.cpu_count(), "memory_gib": round(mem_kb / 1024 / 1024, 1), "cpu": _cpu_model(),
            "kernel": platform.release(), "python": platform.python_version(),
            "ansible": versions[0] if versions else None,
            "loadavg_at_start": os.getloadavg()}


def _cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            return next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), None)
    except OSError:
        return None


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--hosts", type=int, default=50, help="lab hosts (default %(default)s)")
    parser.add_argument("--rounds", type=int, default=2, help="rounds of the interleaved phases (default %(default)s)")
    parser.add_argument("--net", type=int, default=61, help="lab network 127.NET.x.x (default %(default)s)")
    parser.add_argument("--state-dir", default=os.path.join(ROOT, ".tmp", "bench-lab"))
    parser.add_argument("--work", default=os.path.join(ROOT, ".tmp", "bench"), help="logs and events")
    parser.add_argument("--out", default=os.path.join(ROOT, "docs", "performance"), help="where bench.json/bench.md go")
    parser.add_argument("--probe-timeout", type=float, default=3.0, help="the role's default (seconds)")
    parser.add_argument("--mitogen-venv", default=os.path.join(ROOT, ".tmp", "mitogen-venv"),
                        help="throwaway venv with ansible-core and mitogen, made from PyPI when missing")
    parser.add_argument("--no-mitogen", action="store_true", help="skip the optional mitogen runs")
    parser.add_argument("--render-only", action="store_true",
                        help="only rewrite bench.md and docs/performance.md's table from an existing bench.json")
    args = parser.parse_args(argv)
    if args.render_only:
        with open(os.path.join(args.out, "bench.json")) as f:
            write_markdown(args.out, json.load(f))
        return 0

    def log(msg):
        print(msg, file=sys.stderr, flush=True)

    shutil.rmtree(args.work, ignore_errors=True)
    os.makedirs(args.work)
    names = host_names(args.hosts)
    lab = [os.path.join(BIN, "python"), "-m", "tests.lab", "--state-dir", args.state_dir]
    started = time.monotonic()
    info = machine()
    log("bench: %d hosts, %d round(s), %d cores, %.0f GiB, load %s" % (
        len(names), args.rounds, info["cores"], info["memory_gib"], info["loadavg_at_start"]))
    try:
        inventory = subprocess.run(lab + ["up", "--faults", ",".join(names), "--net", str(args.net), "--timeout", "180"],
                                   cwd=ROOT, check=True, capture_output=True, text=True).stdout.strip()
        log("lab up in %.0fs: %s" % (time.monotonic() - started, inventory))
        results = measure(args, names, inventory, log)
    finally:
        subprocess.run(lab + ["down"], cwd=ROOT, check=False, capture_output=True)
        log("lab down")
    info["loadavg_at_end"] = os.getloadavg()
    doc = report(args, names, info, results, time.monotonic() - started)
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "bench.json"), "w") as f:
        json.dump(doc, f, indent=1, sort_keys=True)
        f.write("\n")
    write_markdown(args.out, doc)
    print(markdown(doc))
    return 0


BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"


def write_markdown(out, doc):
    """bench.md, and the same table between the bench markers of docs/performance.md."""
    text = markdown(doc)
    with open(os.path.join(out, "bench.md"), "w") as f:
        f.write(text)
    page = os.path.join(os.path.dirname(out.rstrip(os.sep)), "performance.md")
    if os.path.isfile(page):
        with open(page) as f:
            current = f.read()
        if BEGIN in current and END in current:
            head, rest = current.split(BEGIN, 1)
            with open(page, "w") as f:
                f.write(head + BEGIN + "\n" + text + END + rest.split(END, 1)[1])


def measure(args, names, inventory, log):
    empty_cfg = os.path.join(args.work, "empty.cfg")
    with open(empty_cfg, "w") as f:
        f.write("# Ansible's defaults: no settings\n")
    base = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".tmp", "collections"),
                ANSIBLE_CALLBACK_PLUGINS=CALLBACK_DIR, ANSIBLE_CALLBACKS_ENABLED="hrw_bench",
                ANSIBLE_LOAD_CALLBACK_PLUGINS="1", ANSIBLE_NOCOLOR="1")
    configs = {"shipped": dict(base, ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg")),
               "defaults": dict(base, ANSIBLE_CONFIG=empty_cfg)}
    inv = ["-i", inventory]
    pb = os.path.join(BIN, "ansible-playbook")
    timeout = ["-e", "hrw_diagnose_probe_timeout=%s" % args.probe_timeout]

    def ping(venv=BIN):
        return [os.path.join(venv, "ansible"), "all"] + inv + ["-m", "ansible.builtin.ping"]

    def diagnose(tag, extra=(), playbook=pb):
        return [playbook] + inv + [os.path.join(ROOT, "playbooks", "diagnose.yml"),
                                   "-e", "hrw_report_dir=%s" % os.path.join(args.work, "report-" + tag)] + timeout + list(extra)

    repair = [pb] + inv + [os.path.join(ROOT, "playbooks", "repair.yml"), "--check",
                           "-e", "hrw_report_dir=%s" % os.path.join(args.work, "report-repair"),
                           "-e", "hrw_repair_installer=%s" % INSTALLER_PATH,
                           "-e", "hrw_repair_probe_timeout=%s" % args.probe_timeout]
    rounds = []
    for number in range(1, args.rounds + 1):
        log("round %d" % number)
        this = {}
        for cfg in ("shipped", "defaults"):
            this["ping_" + cfg] = run_phase("r%d-ping-%s" % (number, cfg), ping(), configs[cfg], args.work, log)
            this["diagnose_" + cfg] = run_phase("r%d-diagnose-%s" % (number, cfg), diagnose("r%d-%s" % (number, cfg)),
                                                configs[cfg], args.work, log)
        this["repair_check_shipped"] = run_phase("r%d-repair-check" % number, repair, configs["shipped"], args.work, log)
        rounds.append(this)
    log("once")
    once = {"diagnose_half": run_phase("diagnose-half", diagnose("half", ["--limit", ",".join(names[:len(names) // 2])]),
                                       configs["shipped"], args.work, log),
            "ping_blackholed": run_phase("ping-blackholed", ping() + ["--limit", BLACKHOLED],
                                         configs["shipped"], args.work, log),
            "diagnose_blackholed": run_phase("diagnose-blackholed", diagnose("blackholed", ["--limit", BLACKHOLED]),
                                             configs["shipped"], args.work, log)}
    once["mitogen"] = mitogen(args, configs["shipped"], ping, diagnose, log)
    return {"rounds": rounds, "once": once}


def mitogen(args, env, ping, diagnose, log):
    """Ping and diagnose through mitogen's strategy, from a throwaway venv (never a dependency)."""
    venv_bin = os.path.join(args.mitogen_venv, "bin")
    if args.no_mitogen:
        return {"ran": False, "why": "--no-mitogen"}
    if not os.path.isdir(venv_bin):
        log("  mitogen: installing ansible-core==%s and mitogen from PyPI into %s" % (_core_version(), args.mitogen_venv))
        made = subprocess.run([sys.executable, "-m", "venv", args.mitogen_venv], capture_output=True, text=True, check=False)
        made = made if made.returncode else subprocess.run(
            [os.path.join(venv_bin, "python"), "-m", "pip", "install", "-q", "ansible-core==%s" % _core_version(), "mitogen"],
            capture_output=True, text=True, check=False)
        if made.returncode:
            return {"ran": False, "why": "install failed: %s" % (made.stderr.strip().splitlines() or ["?"])[-1]}
    probe = subprocess.run([os.path.join(venv_bin, "python"), "-c",
                            "import os, ansible_mitogen, mitogen, ansible.release as r; print(os.path.dirname(ansible_mitogen.__file__)); "
                            "print(r.__version__); print('.'.join(map(str, mitogen.__version__)))"],
                           capture_output=True, text=True, check=False)
    if probe.returncode != 0:
        return {"ran": False, "why": "mitogen does not import: %s" % (probe.stderr.strip().splitlines() or ["?"])[-1]}
    plugin_dir, core, version = probe.stdout.split()
    menv = dict(env, ANSIBLE_STRATEGY_PLUGINS=os.path.join(plugin_dir, "plugins", "strategy"),
                ANSIBLE_STRATEGY="mitogen_linear")
    out = {"ran": True, "mitogen": version, "ansible_core": core}
    runs = {"ping": run_phase("mitogen-ping", ping(venv_bin), menv, args.work, log),
            "diagnose": run_phase("mitogen-diagnose", diagnose("mitogen", playbook=os.path.join(venv_bin, "ansible-playbook")),
                                  menv, args.work, log)}
    for key, run in runs.items():
        with open(os.path.join(ROOT, run["log"]), errors="replace") as f:
            text = f.read()
        run["warnings"] = sorted({line.strip()[:300] for line in text.splitlines()
                                  if "DEPRECAT" in line.upper() or "[WARNING]" in line})[:8]
        run["error"] = None if run["rc"] in (0, 2) else text.strip().splitlines()[-3:]
        out[key] = run
    return out


def _core_version():
    from ansible.release import __version__  # the .venv's ansible-core: the mitogen venv gets the same
    return __version__


def report(args, names, info, results, total):
    rounds = results["rounds"]
    phases = {}
    for key in rounds[0]:
        cfg = "defaults" if key.endswith("defaults") else "shipped"
        runs = [r[key] for r in rounds]
        ratios = [r[key]["wall_s"] / r["ping_" + cfg]["wall_s"] for r in rounds]
        phases[key] = {"config": cfg, "wall_s": median([r["wall_s"] for r in runs]),
                       "wall_s_rounds": [r["wall_s"] for r in runs],
                       "ratio_to_ping": median(ratios), "ratio_to_ping_rounds": [round(x, 2) for x in ratios],
                       "modules_per_host": runs[0]["modules_per_host"], "ssh_ops_per_host": runs[0]["ssh_ops_per_host"],
                       "peak_pss_tree_mb": max(r["peak_pss_tree_mb"] for r in runs),
                       "peak_pss_main_mb": max(r["peak_pss_main_mb"] for r in runs),
                       "maxrss_largest_process_mb": max(r["maxrss_largest_process_mb"] for r in runs),
                       "rc": [r["rc"] for r in runs]}
    report_s = [r["diagnose_shipped"]["task_seconds"].get(REPORT_TASK, {}) for r in rounds]
    report_s = [list(v.values())[0] for v in report_s if v]
    shipped_ping = phases["ping_shipped"]["wall_s"]
    phases["report"] = {"config": "shipped", "wall_s": median(report_s), "wall_s_rounds": report_s,
                        "ratio_to_ping": round(median(report_s) / shipped_ping, 3) if report_s else None,
                        "modules_per_host": 0, "ssh_ops_per_host": 0,
                        "note": "the hrw_report task of the diagnose runs (run_once, on the controller)"}
    once = results["once"]
    half, full = once["diagnose_half"], rounds[-1]["diagnose_shipped"]
    n_half, n_full = len(names) // 2, len(names)
    slope = (full["peak_pss_tree_mb"] - half["peak_pss_tree_mb"]) / max(1, n_full - n_half)
    main_slope = (full["peak_pss_main_mb"] - half["peak_pss_main_mb"]) / max(1, n_full - n_half)
    fleet_bh = [r["diagnose_shipped"]["task_seconds"].get(COLLECT_TASK, {}).get(BLACKHOLED) for r in rounds]
    alone = once["diagnose_blackholed"]["task_seconds"].get(COLLECT_TASK, {}).get(BLACKHOLED)
    collect = [r["diagnose_shipped"]["task_seconds"].get(COLLECT_TASK, {}) for r in rounds]
    doc = {
        "generated": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "hosts": n_full, "rounds": args.rounds, "probe_timeout_s": args.probe_timeout,
        "machine": info, "total_s": round(total, 1), "phases": phases,
        "collect_task_per_host_s": {"median": median([v for c in collect for v in c.values()]),
                                    "max": max((v for c in collect for v in c.values()), default=None)},
        "blackholed": {
            "host": BLACKHOLED, "probe_timeout_s": args.probe_timeout,
            "collect_task_alone_s": alone,
            "collect_task_alone_ratio": round(alone / args.probe_timeout, 3) if alone else None,
            "ping_alone_s": once["ping_blackholed"]["wall_s"],
            "playbook_alone_s": once["diagnose_blackholed"]["wall_s"],
            "collect_task_in_fleet_s": fleet_bh,
            "note": "collect task = the hrw_diagnose task of that host (collector round trip + rules), from the callback"},
        "memory": {
            "diagnose_peak_pss_tree_mb": {"hosts_%d" % n_half: half["peak_pss_tree_mb"], "hosts_%d" % n_full: full["peak_pss_tree_mb"]},
            "diagnose_peak_pss_main_mb": {"hosts_%d" % n_half: half["peak_pss_main_mb"], "hosts_%d" % n_full: full["peak_pss_main_mb"]},
            "per_host_mb_tree_slope": round(slope, 2), "per_host_mb_main_slope": round(main_slope, 2),
            "per_host_mb_tree_average": round(full["peak_pss_tree_mb"] / n_full, 2),
            "what": ("peak of the summed PSS (proportional set size: shared pages split between the processes that "
                     "share them) of ansible-playbook and every descendant (forked workers, ssh clients; the detached "
                     "ControlPersist masters are not descendants), sampled every 0.2 s; main = ansible-playbook alone; "
                     "slope = (peak at N - peak at N/2) / (N/2)")},
        "mitogen": once["mitogen"],
        "runs": results,
    }
    return doc


def _fmt(value, unit=""):
    return "-" if value is None else ("%s%s" % (value, unit))


def markdown(doc):
    m, ph, bh, mem = doc["machine"], doc["phases"], doc["blackholed"], doc["memory"]
    names = [("ping_shipped", "ansible all -m ping"), ("diagnose_shipped", "diagnose playbook"),
             ("repair_check_shipped", "repair playbook --check"), ("report", "report step (hrw_report task)"),
             ("ping_defaults", "ping, Ansible defaults"), ("diagnose_defaults", "diagnose, Ansible defaults")]
    lines = ["<!-- written by scripts/bench.py (make bench); do not edit -->",
             "Measured %s on %d lab hosts, %d round(s) (median), probe_timeout %s s. Machine: %d cores, %s GiB, %s; "
             "load average at start %s. %s." % (doc["generated"], doc["hosts"], doc["rounds"], doc["probe_timeout_s"],
                                                m["cores"], m["memory_gib"], m["cpu"] or "cpu unknown",
                                                " / ".join("%.1f" % x for x in m["loadavg_at_start"]), m["ansible"]),
             "",
             "| phase | config | wall s | ratio to ping | module calls / host | SSH ops / host | peak controller PSS MB |",
             "|---|---|---:|---:|---:|---:|---:|"]
    for key, label in names:
        p = ph[key]
        lines.append("| %s | %s | %s | %s | %s | %s | %s |" % (
            label, p["config"], _fmt(p["wall_s"]), _fmt(p["ratio_to_ping"]), p["modules_per_host"],
            p["ssh_ops_per_host"], _fmt(p.get("peak_pss_tree_mb"))))
    lines += ["",
              "- Blackholed host (`%s`, every endpoint drops SYNs): its diagnose task took %s s alone = %s x probe_timeout "
              "(%s s); in the fleet runs %s s." % (bh["host"], _fmt(bh["collect_task_alone_s"]),
                                                   _fmt(bh["collect_task_alone_ratio"]), bh["probe_timeout_s"],
                                                   ", ".join(_fmt(x) for x in bh["collect_task_in_fleet_s"])),
              "- Controller memory, diagnose: peak PSS %s MB; %s MB per host (slope from N/2 to N; ansible-playbook "
              "itself: %s MB per host)." % (
                  ", ".join("%s at %s hosts" % (v, k.split("_")[1]) for k, v in mem["diagnose_peak_pss_tree_mb"].items()),
                  mem["per_host_mb_tree_slope"], mem["per_host_mb_main_slope"]),
              "- Diagnose task per host (collector round trip + rules, under load of the whole fleet): median %s s, max %s s." % (
                  _fmt(doc["collect_task_per_host_s"]["median"]), _fmt(doc["collect_task_per_host_s"]["max"]))]
    mit = doc["mitogen"]
    if mit.get("ran"):
        lines.append("- mitogen %s (throwaway venv, ansible-core %s): ping %s s (rc %s), diagnose %s s (rc %s)." % (
            mit["mitogen"], mit["ansible_core"], mit["ping"]["wall_s"], mit["ping"]["rc"],
            mit["diagnose"]["wall_s"], mit["diagnose"]["rc"]))
    else:
        lines.append("- mitogen: not run (%s)." % mit.get("why"))
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())

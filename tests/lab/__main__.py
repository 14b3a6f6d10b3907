"""python -m tests.lab up|down|stop|status|inventory|faults  (run from the repository root, as root)."""
import argparse
import json
import os
import sys

from . import DEFAULT_STATE_DIR
from .faults import FAULTS
from .lab import Lab, LabError, find_labs


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m tests.lab", description=(
        "Lab of simulated Linux hybrid runbook workers: one sshd per host (fault) in its own "
        "namespaces on 127.<net>.1.N, fake Azure endpoints on 127.<net>.2.1-3."))
    parser.add_argument("--state-dir", default=DEFAULT_STATE_DIR,
                        help="where the lab keeps keys, pid files and the inventory (default: %(default)s)")
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("up", help="start the lab, print the inventory path")
    up.add_argument("--faults", default=",".join(FAULTS),
                    help="comma-separated hosts to start (default: all: %(default)s)")
    up.add_argument("--net", type=int, default=0, help="use 127.NET.1.x / 127.NET.2.x (default 0)")
    up.add_argument("--timeout", type=float, default=30, help="seconds to wait for the hosts to listen")
    down = sub.add_parser("down", help="end the lab's processes (by recorded pid) and remove its state")
    down.add_argument("--all", action="store_true", help="every lab under the repo's .tmp/ (e.g. left by killed test runs)")
    stop = sub.add_parser("stop", help="end ONE host's processes (by recorded pid); the rest of the lab stays up")
    stop.add_argument("host", help="the host (fault) name, as in the inventory")
    status = sub.add_parser("status", help="list hosts: ip, fault, pid, listening")
    status.add_argument("--json", action="store_true")
    sub.add_parser("inventory", help="print the inventory path")
    sub.add_parser("faults", help="list the faults and what a diagnosis must report")
    # Also accept --state-dir after the subcommand.
    for p in (up, down, stop, status, sub.choices["inventory"]):
        p.add_argument("--state-dir", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    try:
        if args.command == "up":
            lab = Lab(args.state_dir, net=args.net)
            faults = [f.strip() for f in args.faults.split(",") if f.strip()]
            print(lab.up(faults, timeout=args.timeout, log=lambda m: print(m, file=sys.stderr)))
        elif args.command == "down":
            dirs = find_labs() if args.all else [args.state_dir]
            for d in dirs:
                killed = Lab(d).down()
                print("%s: ended %d process(es)%s" % (d, len(killed), (": " + " ".join(map(str, killed))) if killed else ""))
        elif args.command == "stop":
            lab = Lab(args.state_dir)
            if not lab.fault_names:
                print("no lab in %s" % lab.state_dir, file=sys.stderr)
                return 1
            killed = lab.stop(args.host)
            print("%s: ended %d process(es)%s" % (args.host, len(killed), (": " + " ".join(map(str, killed))) if killed else
                                                  " (it was not running)"))
        elif args.command == "status":
            lab = Lab(args.state_dir)
            if not lab.fault_names:
                print("no lab in %s" % lab.state_dir, file=sys.stderr)
                return 1
            rows = lab.status()
            if args.json:
                print(json.dumps(rows, indent=1))
            else:
                print("%-24s %-14s %-8s %-8s %s" % ("HOST", "IP", "PID", "RUNNING", "LISTENING"))
                for r in rows:
                    address = r["ip"].split(":")[0].split(" ")[0]
                    print("%-24s %-14s %-8s %-8s %s" % (r["name"], address, r["pid"] or "-", r["running"], r["listening"]))
                print("inventory: %s" % lab.inventory)
            return 0 if all(r["running"] and r["listening"] for r in rows) else 3
        elif args.command == "inventory":
            lab = Lab(args.state_dir)
            if not os.path.isfile(lab.inventory):
                print("no lab in %s (run: python -m tests.lab up)" % lab.state_dir, file=sys.stderr)
                return 1
            print(lab.inventory)
        elif args.command == "faults":
            for f in FAULTS.values():
                print("%-24s %s\n%24s scenario: %s\n%24s expected Failed: %s" % (
                    f.name, f.description, "", f.scenario, "", ", ".join(sorted(f.expected_failed)) or "-"))
    except LabError as exc:
        print("lab: %s" % exc, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""What a lab host looks like from inside: its files and its processes, to prove that a run
changed nothing (``--check``, a refused action) or exactly what it should.

``snapshot(lab, host)`` enters the host's mount, UTS and PID namespaces with ``nsenter`` (as
root, by the pid of the host's PID 1 that the lab recorded; no SSH session, so the
measurement adds no process but itself) and returns
- ``files``: every entry under ROOTS, path -> [type, owner, group, mode, sha256 of the
  content | symlink target | None];
- ``procs``: every process of the host as [pid, user, argv], sorted by pid.

Nothing is left out but the measuring process itself. SSH sessions are not left out either:
the snapshot waits until the host has none (an Ansible run with ControlPersist leaves its
session up to 60 s; ``close_ssh_sessions`` ends the masters of our own runs at once).
"""
import json
import os
import subprocess

from tests.lab.lab import _cmdline

ROOTS = ("/opt/microsoft", "/var/opt/microsoft", "/etc/opt/microsoft", "/etc", "/home/nxautomation")

# Runs inside the host (its /etc/passwd names the owners, its /proc lists its processes).
_INSIDE = r'''
import grp, hashlib, json, os, pwd, stat, sys, time

roots = json.loads(sys.argv[1])
deadline = time.monotonic() + float(sys.argv[2])

def name(getter, ident):
    try:
        return getter(ident)[0]
    except KeyError:
        return str(ident)

def entry(path):
    st = os.lstat(path)
    kind = ("d" if stat.S_ISDIR(st.st_mode) else "f" if stat.S_ISREG(st.st_mode)
            else "l" if stat.S_ISLNK(st.st_mode) else "o%o" % stat.S_IFMT(st.st_mode))
    what = None
    if kind == "f":
        digest = hashlib.sha256()
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        what = digest.hexdigest()
    elif kind == "l":
        what = os.readlink(path)
    return [kind, name(pwd.getpwuid, st.st_uid), name(grp.getgrgid, st.st_gid), "%04o" % stat.S_IMODE(st.st_mode), what]

files = {}
for root in roots:
    if not os.path.lexists(root):
        files[root] = None
        continue
    files[root] = entry(root)
    for top, dirs, names in os.walk(root):
        for item in dirs + names:
            path = os.path.join(top, item)
            files[path] = entry(path)

def processes():
    out = []
    for pid in sorted(int(p) for p in os.listdir("/proc") if p.isdigit()):
        if pid == os.getpid():
            continue  # the measurement itself
        try:
            with open("/proc/%d/cmdline" % pid, "rb") as handle:
                argv = handle.read().decode(errors="replace").split("\0")[:-1]
            with open("/proc/%d/status" % pid) as handle:
                status = dict(line.split(":", 1) for line in handle if ":" in line)
        except OSError:
            continue  # ended while listed
        out.append([pid, name(pwd.getpwuid, int(status["Uid"].split()[0])), argv,
                    int(status["PPid"].strip()), status["State"].split()[0]])
    return out

# An SSH session (sshd's child for one connection, e.g. Ansible's ControlPersist master) ends
# on its own shortly after the client closes it: wait for that instead of leaving it out.
while True:
    procs = processes()
    sessions = [p for p in procs if p[3] == 1 and p[2][:1] and p[2][0].startswith("sshd:")]
    if not sessions or time.monotonic() > deadline:
        break
    time.sleep(0.1)
print(json.dumps({"files": files, "procs": [p[:3] for p in procs],
                  "sessions": [p[:3] for p in sessions]}))
'''


def host_init_pid(lab, host):
    """PID 1 of the host's namespaces, checked: its parent is the host's recorded unshare
    process, whose command line names this lab's state dir (a recycled pid is someone else's)."""
    pids = lab.pids()
    unshare, init = pids[host], pids[host + ".init"]
    assert lab.state_dir in (_cmdline(unshare) or ""), "pid %d is not %s's unshare" % (unshare, host)
    with open("/proc/%d/status" % init) as handle:
        ppid = int([line for line in handle if line.startswith("PPid:")][0].split()[1])
    assert ppid == unshare, "pid %d is not the PID 1 of %s" % (init, host)
    return init


def in_host(lab, host, argv, **kwargs):
    """Run ``argv`` inside the host (its mount, UTS and PID namespaces), as root."""
    return subprocess.run(["nsenter", "-t", str(host_init_pid(lab, host)), "-m", "-u", "-p", "--"] + list(argv),
                          check=kwargs.pop("check", True), capture_output=True, text=True, timeout=120, **kwargs)


# The real interpreter, not /usr/bin/python3: the python3_missing host hides that name.
PYTHON = os.path.realpath("/usr/bin/python3")


def snapshot(lab, host, roots=ROOTS, wait_sessions=90):
    """The host's files under ``roots`` and its processes (see the module docstring)."""
    proc = in_host(lab, host, [PYTHON, "-c", _INSIDE, json.dumps(list(roots)), str(wait_sessions)])
    snap = json.loads(proc.stdout)
    assert not snap["sessions"], "%s: SSH sessions still open after %ss: %s" % (host, wait_sessions, snap["sessions"])
    return snap


def differences(before, after):
    """Human-readable list of what differs between two snapshots (empty: identical)."""
    out = []
    for path in sorted(set(before["files"]) | set(after["files"])):
        old, new = before["files"].get(path, "absent"), after["files"].get(path, "absent")
        if old != new:
            out.append("%s: %s -> %s" % (path, old, new))
    old_procs = {tuple([p[0], p[1]] + p[2]) for p in before["procs"]}
    new_procs = {tuple([p[0], p[1]] + p[2]) for p in after["procs"]}
    out += ["process gone: %s" % (p,) for p in sorted(old_procs - new_procs)]
    out += ["process new: %s" % (p,) for p in sorted(new_procs - old_procs)]
    return out


def close_ssh_sessions(cp_dir):
    """End the ControlPersist masters in ``cp_dir`` (the ANSIBLE_SSH_CONTROL_PATH_DIR of our own
    runs only: other runs on this machine keep theirs), so the hosts' session processes end now
    rather than after ControlPersist's 60 s."""
    if not os.path.isdir(cp_dir):
        return
    for socket in os.listdir(cp_dir):
        subprocess.run(["ssh", "-o", "ControlPath=" + os.path.join(cp_dir, socket), "-O", "exit", "lab-host"],
                       check=False, capture_output=True, timeout=10)

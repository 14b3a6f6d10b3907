"""Tests of the lab itself (tests/lab): real sshd per host, per-host processes and files,
the three endpoint behaviours, and a down that leaves nothing behind."""
import concurrent.futures
import json
import os
import shutil
import subprocess
import sys
import time

import pytest

from tests.lab import WORKSPACE_ID, agent
from tests.lab.faults import FAULTS
from tests.lab.lab import Lab, LabError, free_net, running

pytestmark = pytest.mark.lab

ROLES = ("omsagent", "manager", "system_worker", "user_worker")
USERS = {"omsagent": "omsagent", "manager": "nxautomation", "system_worker": "nxautomation",
         "user_worker": "nxautomation"}

# Runs on a lab host: one TCP (and, if asked, TLS) probe; prints the outcome as JSON.
PROBE = r"""
import json, socket, ssl, sys
host, tls = sys.argv[1], sys.argv[2] == "tls"
try:
    s = socket.create_connection((host, 443), timeout=2)
    if tls:
        s = ssl.create_default_context().wrap_socket(s, server_hostname=host)
        s.sendall(b"GET / HTTP/1.1\r\nHost: " + host.encode() + b"\r\nConnection: close\r\n\r\n")
        print(json.dumps({"ok": True, "status": s.recv(100).split(b"\r\n")[0].decode()}))
    else:
        print(json.dumps({"ok": True}))
except Exception as exc:
    print(json.dumps({"ok": False, "error": type(exc).__name__}))
"""


def ssh(lab, name, command, stdin=None):
    res = subprocess.run(
        ["ssh", "-i", lab.key, "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
         "-o", "BatchMode=yes", "-o", "LogLevel=ERROR", "-o", "ConnectTimeout=10",
         "root@" + lab.hosts[name], command],
        input=stdin, capture_output=True, text=True, timeout=60, check=False)
    return res


def on_all(lab, command):
    with concurrent.futures.ThreadPoolExecutor(len(lab.hosts)) as pool:
        futures = {n: pool.submit(ssh, lab, n, command) for n in lab.hosts}
        return {n: f.result() for n, f in futures.items()}


def probe(lab, name, host, tls=False):
    res = ssh(lab, name, "python3 - %s %s" % (host, "tls" if tls else "tcp"), stdin=PROBE)
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout)


def test_every_host_is_reachable_over_ssh_with_its_own_hostname(lab):
    assert set(lab.hosts) == set(FAULTS) or os.environ.get("HRW_LAB_FAULTS")
    for name, res in on_all(lab, "hostname").items():
        assert res.returncode == 0, (name, res.stderr)
        assert res.stdout.strip() == FAULTS[name].hostname


def test_each_host_sees_only_its_own_processes_with_the_real_user_and_argv(lab):
    for name, res in on_all(lab, "ps -eo user:32,pid,args --no-headers").items():
        assert res.returncode == 0, res.stderr
        procs = [line.split(None, 2) for line in res.stdout.splitlines()]
        sshd = [p for p in procs if p[1] == "1"]
        assert sshd and "sshd_%s.conf" % name in sshd[0][2], "PID 1 is this host's own sshd"
        assert not any("sshd_" in p[2] and "sshd_%s.conf" % name not in p[2] for p in procs)
        fault = lab.faults[name]
        host_ws = fault.workspace or WORKSPACE_ID
        ws = fault.worker_workspace or host_ws
        seen = {(proc[0], proc[2]) for proc in procs}
        for role in ROLES:
            argv = " ".join(agent.argv_of(role, host_ws if role == "omsagent" else ws))
            user = USERS[role] if role == "omsagent" else dict(fault.worker_changes).get("worker_user", USERS[role])
            assert ((user, argv) in seen) is (role not in fault.stopped), (name, role)
        unexpected = [p for p in procs if p[0] not in ("root",) and
                      p[0] not in USERS.values()]
        assert not unexpected, unexpected


def test_agent_stopped_host_has_no_omsagent_process(lab):
    if "agent_stopped" not in lab.hosts:
        pytest.skip("agent_stopped not in the lab")
    res = ssh(lab, "agent_stopped", "ps -eo args --no-headers; /opt/microsoft/omsagent/bin/service_control status")
    assert "omsagent.conf" not in res.stdout
    assert res.returncode == 3 and "not running" in res.stdout


def test_healthy_host_has_the_adr_layout(lab):
    script = r"""
import configparser, hashlib, json, os, ssl
ws = %r
paths = ["/etc/opt/microsoft/omsagent/conf/omsadmin.conf", "/var/opt/microsoft/omsagent/log/omsagent.log",
         "/opt/microsoft/omsagent/bin/service_control", "/etc/opt/microsoft/omsagent/certs/oms.crt",
         "/opt/microsoft/omsconfig/modules/nxOMSAutomationWorker/VERSION",
         "/var/opt/microsoft/omsagent/state/automationworker/oms.conf",
         "/var/opt/microsoft/omsagent/state/automationworker/worker.conf",
         "/home/nxautomation/state/worker.conf", "/var/opt/microsoft/omsconfig/omsconfig.log",
         "/etc/opt/omi/conf/omsconfig/configuration/Current.mof", "/etc/sudoers.d/omsagent"]
w = configparser.ConfigParser(); w.read(paths[6])
der = ssl.PEM_cert_to_DER_cert(open(paths[3]).read())
print(json.dumps({"missing": [p for p in paths if not os.path.exists(p)],
    "conf_link": os.readlink("/etc/opt/microsoft/omsagent/conf"),
    "thumbprint_ok": w["oms-metadata"]["jrds_cert_thumbprint"] == hashlib.sha1(der).hexdigest().upper(),
    "omsadmin": dict(l.strip().split("=", 1) for l in open(paths[0]) if "=" in l),
    "sudoers_mode": oct(os.stat(paths[10]).st_mode & 0o777),
    "nameserver": open("/etc/resolv.conf").read().split()[1]}))
""" % WORKSPACE_ID
    res = ssh(lab, "healthy", "python3 -", stdin=script)
    assert res.returncode == 0, res.stderr
    facts = json.loads(res.stdout)
    assert facts["missing"] == []
    assert facts["conf_link"] == WORKSPACE_ID + "/conf"
    assert facts["thumbprint_ok"]
    assert facts["omsadmin"]["WORKSPACE_ID"] == WORKSPACE_ID
    assert facts["omsadmin"]["DSC_ENDPOINT"].startswith("https://%s.agentsvc.azure-automation.net/" % WORKSPACE_ID)
    assert facts["sudoers_mode"] == "0o440"
    assert facts["nameserver"] == lab.endpoints["refused"], "no lab host may query the real DNS"


def test_class_missing_host_logs_the_dsc_error(lab):
    res = ssh(lab, "class_missing", "cat /var/opt/microsoft/omsconfig/omsconfig.log")
    assert "The specified class does not exist" in res.stdout
    assert "The specified class does not exist" not in ssh(lab, "healthy", "cat /var/opt/microsoft/omsconfig/omsconfig.log").stdout


def test_endpoints_ok_refused_and_blackholed_behave_differently(lab):
    agentsvc = "%s.agentsvc.azure-automation.net" % WORKSPACE_ID
    ok = probe(lab, "healthy", agentsvc, tls=True)  # verified against the lab CA in the host's bundle
    assert ok == {"ok": True, "status": "HTTP/1.1 200 OK"}
    assert probe(lab, "endpoints_refused", agentsvc) == {"ok": False, "error": "ConnectionRefusedError"}
    assert probe(lab, "endpoints_blackholed", agentsvc) == {"ok": False, "error": "TimeoutError"}
    # A name the lab does not map fails on the host itself (no real DNS query).
    assert probe(lab, "healthy", "www.example.com") == {"ok": False, "error": "gaierror"}


def test_inventory_works_with_ansible(lab):
    ansible = os.path.join(os.path.dirname(sys.executable), "ansible")
    assert os.path.exists(ansible), "ansible is not installed next to %s" % sys.executable
    res = subprocess.run([ansible, "all", "-i", lab.inventory, "-m", "ping", "-f", "10"],
                         capture_output=True, text=True, timeout=120, check=False,
                         env=dict(os.environ, ANSIBLE_PIPELINING="True", ANSIBLE_HOST_KEY_CHECKING="False"))
    assert res.returncode == 0, res.stdout + res.stderr
    assert res.stdout.count("SUCCESS") == len(lab.hosts)


def _descendants(pids):
    """Every process below ``pids`` in the root namespace (the hosts' sshd and agents)."""
    children = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open("/proc/%s/stat" % entry) as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    out, todo = set(), list(pids)
    while todo:
        pid = todo.pop()
        for child in children.get(pid, ()):
            if child not in out:
                out.add(child)
                todo.append(child)
    return out


def test_down_leaves_nothing_behind_and_is_safe_twice(lab, tmp_path):
    mini = Lab(os.path.join(lab.state_dir + "-down"), net=free_net(exclude={lab.net}))
    try:
        mini.up(["healthy", "agent_stopped"], owner_pid=os.getpid())
        recorded = set(mini.pids().values())
        everything = recorded | _descendants(recorded)
        assert len(everything) > len(recorded) + 4, "hosts run sshd and fake agent processes"
        mini.down()
        # a host's processes may linger a moment as zombies of the machine's init (their
        # parent namespace is gone); dead is dead: none may still run
        assert [p for p in everything if running(p)] == []
        assert not os.path.exists(mini.state_dir)
        assert mini.down() == []
    finally:
        mini.down()


def test_half_failed_up_is_taken_down(lab):
    mini = Lab(lab.state_dir + "-half", net=free_net(exclude={lab.net}))
    try:
        with pytest.raises(LabError, match="not listening"):
            mini.up(["healthy"], timeout=0, owner_pid=os.getpid())
        assert not os.path.exists(mini.state_dir)
        assert mini.down() == []
    finally:
        shutil.rmtree(mini.state_dir, ignore_errors=True)


def test_system_faults_are_real_on_the_hosts(lab):
    """Issue 3 (system): each host is a supported OS with its own dpkg dir and the lab repository;
    the system faults change exactly what they say."""
    script = "\n".join([
        "import json, os, time",
        "release = dict(l.strip().split('=', 1) for l in open('/etc/os-release') if '=' in l)",
        "info = os.stat('/var/lib/dpkg/lock-frontend')",
        "key = ' %02x:%02x:%d ' % (os.major(info.st_dev), os.minor(info.st_dev), info.st_ino)",
        "mem = [l for l in open('/proc/meminfo') if l.startswith('MemTotal:')][0].split()[1]",
        "print(json.dumps({'os': (release['ID'], release['VERSION_ID'].strip('\"')), 'mem_kb': int(mem),",
        "    'cpus': len(os.sched_getaffinity(0)), 'epoch': time.time(),",
        "    'locked': any(key in l for l in open('/proc/locks')),",
        "    'sources': open('/etc/apt/sources.list').read(), 'lists': os.listdir('/etc/apt/sources.list.d')}))",
    ])
    started = time.time()
    seen = {}
    for name in ("healthy", "os_unsupported", "low_resources", "clock_skewed", "apt_locked"):
        if name not in lab.hosts:
            pytest.fail("lab has no %s host" % name)
        res = ssh(lab, name, "python3 -", stdin=script)
        assert res.returncode == 0, res.stderr
        seen[name] = json.loads(res.stdout)
    assert seen["healthy"]["os"] == ["ubuntu", "22.04"]
    assert seen["os_unsupported"]["os"] == ["ubuntu", "24.04"]
    assert "https://archive.lab.invalid/" in seen["healthy"]["sources"] and seen["healthy"]["lists"] == []
    assert seen["healthy"]["cpus"] == len(os.sched_getaffinity(0)) and seen["low_resources"]["cpus"] == 1
    assert seen["low_resources"]["mem_kb"] == 2 * 1024 * 1024 and seen["healthy"]["mem_kb"] > 4 * 1024 * 1024
    assert not seen["healthy"]["locked"] and seen["apt_locked"]["locked"]
    # 20 minutes ahead, give or take the time the ssh calls took
    assert 1100 < seen["clock_skewed"]["epoch"] - started < 1300
    assert abs(seen["healthy"]["epoch"] - started) < 100

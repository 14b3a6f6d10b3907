"""Lifecycle of the lab: one sshd per simulated host, each in its own mount+UTS+PID namespace.

Host N listens on 127.<net>.1.N:22 (the whole 127/8 is local: no network setup). Every
process the lab starts is recorded in STATE/run/*.pid the moment it starts, and ``down``
ends exactly those, with SIGKILL: ``unshare --fork`` ignores SIGTERM, and with
``--kill-child`` its death kills the namespace's PID 1, so the kernel ends every process of
the host and drops its mounts. Nothing is left to unmount.
"""
import concurrent.futures
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid

from . import (ACCOUNT_ID, ACCOUNT_REGION, DEFAULT_STATE_DIR, INSTALLER_PATH, PROXY_PORT, REPO_ROOT, WORKSPACE_ID,
               WORKSPACE_REGION, agent, endpoint_ips, endpoints, host_ip)
from .faults import FAULTS, fault_of, is_fault_host

HOSTINIT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "hostinit.sh")
# Where a host sees the state dir (hostinit.sh bind-mounts it there before it mounts over
# /tmp, /root and /home, any of which may hold the checkout).
HOST_STATE_DIR = "/run/hrw-lab/state"
MOUNTPOINTS = ("/opt/microsoft", "/var/opt/microsoft")
# (what must exist, how to get it)
REQUIREMENTS = (
    ("/usr/sbin/sshd", "apt-get install openssh-server"),
    ("ssh-keygen", "apt-get install openssh-client"),
    ("unshare", "apt-get install util-linux"),
    ("setpriv", "apt-get install util-linux"),
    ("openssl", "apt-get install openssl"),
    ("gpg", "apt-get install gnupg"),
    ("useradd", "apt-get install passwd"),
    ("/usr/bin/python3", "apt-get install python3"),
)
SSHD_CONFIG = """\
ListenAddress {ip}:22
HostKey {ssh}/host_ed25519
PidFile none
AuthorizedKeysFile {ssh}/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
Subsystem sftp internal-sftp
MaxStartups 100:30:200
MaxSessions 100
UseDNS no
LogLevel ERROR
"""


class LabError(RuntimeError):
    pass


def preflight():
    """Raise LabError naming everything missing (and how to get it) before touching anything."""
    problems = []
    if os.geteuid() != 0:
        problems.append("not root: the lab needs namespaces, mounts and port 22 (run it as root, e.g. with sudo)")
    for tool, fix in REQUIREMENTS:
        if not (os.access(tool, os.X_OK) if tool.startswith("/") else shutil.which(tool)):
            problems.append("%s not found: %s" % (tool, fix))
    if not os.path.isfile(agent.FAKETIME_LIB):  # the clock_skewed fault preloads it
        problems.append("%s not found: apt-get install faketime" % agent.FAKETIME_LIB)
    if problems:
        raise LabError("cannot start the lab:\n  - " + "\n  - ".join(problems))


def listening():
    """Set of (ip, port) in LISTEN state (all namespaces share the root network namespace)."""
    found = set()
    with open("/proc/net/tcp") as f:
        for line in f.readlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            if state == "0A":
                hexip, hexport = local.split(":")
                ip = ".".join(str(int(hexip[i:i + 2], 16)) for i in (6, 4, 2, 0))
                found.add((ip, int(hexport, 16)))
    return found


def _cmdline(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return f.read().decode(errors="replace").replace("\0", " ")
    except OSError:
        return None


def _exists(pid):
    """True while /proc/<pid> exists, zombies included; reaps it first if it is our child."""
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass
    return os.path.exists("/proc/%d" % pid)


def running(pid):
    """True if pid exists and is not a zombie."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


class Lab:
    def __init__(self, state_dir=None, net=None):
        self.state_dir = os.path.abspath(state_dir or DEFAULT_STATE_DIR)
        self.run_dir = os.path.join(self.state_dir, "run")
        self.hosts_dir = os.path.join(self.state_dir, "hosts")
        self.ssh_dir = os.path.join(self.state_dir, "ssh")
        self.logs_dir = os.path.join(self.state_dir, "logs")
        self.record = os.path.join(self.state_dir, "lab.json")
        self.inventory = os.path.join(self.state_dir, "inventory.yml")
        self.key = os.path.join(self.ssh_dir, "id_ed25519")
        saved = self._load()
        self.net = net if net is not None else saved.get("net", 0)
        self.fault_names = saved.get("faults", [])

    def _load(self):
        try:
            with open(self.record) as f:
                return json.load(f)
        except (OSError, ValueError):
            return {}

    # ------------------------------------------------------------------ views
    @property
    def faults(self):
        """name -> Fault of this lab's hosts."""
        return {n: fault_of(n) for n in self.fault_names}

    @property
    def hosts(self):
        """name -> ip of this lab's hosts (host names are fault names, or ``<fault>-<n>``).
        A fault's host is 127.<net>.1.<its place in FAULTS>; the further hosts of a fault take
        127.<net>.3.1, .2, ... in the order given (then 127.<net>.4.x, ... past 250)."""
        out, extra = {}, 0
        for n in self.fault_names:
            if n in FAULTS:
                out[n] = host_ip(self.net, list(FAULTS).index(n) + 1)
            else:
                out[n] = "127.%d.%d.%d" % (self.net, 3 + extra // 250, extra % 250 + 1)
                extra += 1
        return out

    @property
    def installer_path(self):
        """The fake OMS agent bundle as the lab hosts see it (hrw_repair's ``installer``)."""
        return INSTALLER_PATH

    @property
    def endpoints(self):
        return endpoint_ips(self.net)

    def pids(self):
        """name -> pid of everything recorded in run/ (hosts' unshare, '<host>.init', endpoints)."""
        out = {}
        if os.path.isdir(self.run_dir):
            for entry in sorted(os.listdir(self.run_dir)):
                if entry.endswith(".pid"):
                    try:
                        with open(os.path.join(self.run_dir, entry)) as f:
                            out[entry[:-4]] = int(f.read().split()[0])
                    except (OSError, ValueError, IndexError):
                        pass
        return out

    def status(self):
        pids, ports = self.pids(), listening()
        rows = []
        for name, ip in self.hosts.items():
            pid = pids.get(name)
            rows.append({"name": name, "ip": ip, "fault": name, "hostname": fault_of(name).hostname,
                         "pid": pid, "init_pid": pids.get(name + ".init"),
                         "running": bool(pid and running(pid)), "listening": (ip, 22) in ports})
        eps = self.endpoints
        pid = pids.get("endpoints")
        rows.append({"name": "endpoints", "ip": "%s:443 ok, %s refused, %s:443 blackhole" % (
            eps["ok"], eps["refused"], eps["blackhole"]), "fault": "-", "hostname": "-", "pid": pid,
            "init_pid": None, "running": bool(pid and running(pid)),
            "listening": (eps["ok"], 443) in ports and (eps["blackhole"], 443) in ports})
        return rows

    # ------------------------------------------------------------------ up
    def up(self, faults=None, timeout=30, owner_pid=None, log=lambda msg: None):
        """Bring the lab up and return the inventory path. On any failure, take it down again."""
        preflight()
        names = list(FAULTS) if not faults else list(faults)
        unknown = [n for n in names if not is_fault_host(n)]
        if unknown:
            raise LabError("unknown fault(s) %s; known: %s (or <fault>-<n>, n >= 2, for more hosts of one fault)" % (
                ", ".join(unknown), ", ".join(FAULTS)))
        if len(set(names)) != len(names):
            raise LabError("a host name is given twice: %s" % ", ".join(sorted({n for n in names if names.count(n) > 1})))
        if any(running(p) for p in self.pids().values()):
            raise LabError("a lab is already up in %s: run 'python -m tests.lab down' first" % self.state_dir)
        if os.path.exists(self.state_dir):
            self.down()  # leftovers of a killed run
        self.fault_names = names
        busy = [a for a in [(ip, 22) for ip in self.hosts.values()] + self._endpoint_sockets()
                if a in listening()]
        if busy:
            raise LabError("address(es) already in use: %s (another lab? 'python -m tests.lab down --all', "
                           "or pick another --net)" % ", ".join("%s:%d" % a for a in busy))
        try:
            return self._up(names, timeout, owner_pid, log)
        except BaseException as exc:
            detail = self._logs_tail() if isinstance(exc, LabError) else ""
            self.down()
            if detail:
                raise LabError("%s\n%s" % (exc, detail)) from exc
            raise

    def _up(self, names, timeout, owner_pid, log):
        t0 = time.monotonic()
        for d in (self.run_dir, self.hosts_dir, self.ssh_dir, self.logs_dir):
            os.makedirs(d, exist_ok=True)
        with open(self.record, "w") as f:
            json.dump({"net": self.net, "faults": names, "owner_pid": owner_pid,
                       "workspace_id": WORKSPACE_ID, "started": time.time()}, f, indent=1)
        for m in MOUNTPOINTS:  # bind-mount targets must exist in the root namespace
            os.makedirs(m, exist_ok=True)

        def keygen(name):
            subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "azure_hrw.doctor lab",
                            "-f", os.path.join(self.ssh_dir, name)], check=True)
        with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
            jobs = [pool.submit(keygen, "host_ed25519"), pool.submit(keygen, "id_ed25519")]
            ca = pool.submit(endpoints.make_pki, os.path.join(self.state_dir, "pki")).result()
            self._prepare_images(names)
            jobs += [pool.submit(self._prepare_host, n, ca) for n in names]
            for job in jobs:
                job.result()
        shutil.copyfile(self.key + ".pub", os.path.join(self.ssh_dir, "authorized_keys"))
        os.chmod(os.path.join(self.ssh_dir, "authorized_keys"), 0o644)
        log("prepared %d hosts in %.1fs" % (len(names), time.monotonic() - t0))

        procs = {"endpoints": self._spawn("endpoints", [sys.executable, "-m", "tests.lab.endpoints", "serve",
                                                        self.state_dir, str(self.net)])}
        for n in names:
            procs[n] = self._spawn(n, ["unshare", "--mount", "--uts", "--pid", "--fork", "--kill-child",
                                       "--mount-proc", "--propagation", "private", HOSTINIT,
                                       self.state_dir, n, REPO_ROOT])
        want = {(ip, 22) for ip in self.hosts.values()}
        want |= set(self._endpoint_sockets())
        deadline = time.monotonic() + timeout
        while not want <= listening():
            dead = [n for n, p in procs.items() if p.poll() is not None]
            if dead:
                raise LabError("lab process(es) exited during bring-up: %s" % ", ".join(dead))
            if time.monotonic() > deadline:
                raise LabError("not listening after %ss: %s" % (timeout, ", ".join(
                    "%s:%d" % a for a in sorted(want - listening()))))
            time.sleep(0.05)
        for n in names:  # the namespace's PID 1 (sshd), for status and as a second record
            children = open("/proc/%d/task/%d/children" % (procs[n].pid, procs[n].pid)).read().split()
            if children:
                self._record(n + ".init", int(children[0]))
        self._write_inventory()
        log("lab up: %d hosts listening in %.1fs" % (len(names), time.monotonic() - t0))
        return self.inventory

    def _endpoint_sockets(self):
        """(ip, port) the endpoints process listens on: ok and blackhole servers, the two proxies."""
        eps = self.endpoints
        return [(eps["ok"], 443), (eps["blackhole"], 443), (eps["proxy"], PROXY_PORT), (eps["mitm"], PROXY_PORT)]

    def _spawn(self, name, argv):
        with open(os.path.join(self.logs_dir, name + ".log"), "ab") as out:
            proc = subprocess.Popen(argv, cwd=REPO_ROOT, stdin=subprocess.DEVNULL, stdout=out,
                                    stderr=subprocess.STDOUT, start_new_session=True)
        self._record(name, proc.pid)
        return proc

    def _record(self, name, pid):
        with open(os.path.join(self.run_dir, name + ".pid"), "w") as f:
            f.write("%d\n" % pid)

    def _prepare_host(self, name, ca):
        fault = fault_of(name)
        ip = self.hosts[name]
        hostdir = os.path.join(self.hosts_dir, name)

        def ident(kind, of=name):  # stable per host and run: the same AGENT_GUID every time
            return str(uuid.uuid5(uuid.NAMESPACE_URL, "azure_hrw.doctor/lab/%s/%s" % (kind, of)))
        # What a cloned disk carries comes from the image; what the hypervisor gives stays the host's.
        image = ("image:" + fault.image) if fault.image else name

        spec = {"name": name, "hostname": fault.hostname, "ip": ip, "net": self.net,
                "workspace_id": WORKSPACE_ID, "agent_guid": ident("agent", image), "uuid": ident("smbios").upper(),
                "omscloud_id": "4C4C-4544-0038-%s" % ident("cloud")[:4].upper(),
                "machine_id": uuid.UUID(ident("machine-id", image)).hex,
                "image_dir": self._image_dir(fault.image) if fault.image else None,
                "system_machine_id": ident("system-worker", image), "user_machine_id": ident("user-worker", image),
                "endpoints": fault.endpoints, "stopped": sorted(fault.stopped),
                "omsconfig_log": list(fault.omsconfig_log), "worker_workspace": fault.worker_workspace,
                "prereqs": sorted(fault.prereqs), "worker_changes": dict(fault.worker_changes),
                "os_release": list(fault.os_release), "repos": fault.repos, "cpus": fault.cpus, "memory_kb": fault.memory_kb,
                "load": list(fault.load) if fault.load else None,
                "clock_offset": fault.clock_offset, "dpkg_locked": fault.dpkg_locked,
                "proxy": fault.proxy, "account_records": fault.account_records,
                "proxy_conf_mode": list(fault.proxy_conf_mode) if fault.proxy_conf_mode else None}
        if fault.workspace:
            spec["workspace_id"] = fault.workspace
        os.makedirs(hostdir, exist_ok=True)
        with open(os.path.join(hostdir, "host.json"), "w") as f:
            json.dump(spec, f, indent=1)
        agent.prepare(hostdir, spec, ca)
        with open(os.path.join(self.ssh_dir, "sshd_%s.conf" % name), "w") as f:
            f.write(SSHD_CONFIG.format(ip=ip, ssh=os.path.join(HOST_STATE_DIR, "ssh")))

    def _image_dir(self, image):
        return os.path.join(self.state_dir, "images", image)

    def _prepare_images(self, names):
        """The certificates of each disk image the hosts were cloned from (faults.Fault.image),
        made once, before the hosts are prepared in parallel, which copy them."""
        faults = [fault_of(n) for n in names]
        for image in sorted({f.image for f in faults if f.image}):
            ws = next(f.workspace or WORKSPACE_ID for f in faults if f.image == image)
            guid = str(uuid.uuid5(uuid.NAMESPACE_URL, "azure_hrw.doctor/lab/agent/image:" + image))
            agent.make_image(self._image_dir(image), ws, guid)

    def _write_inventory(self):
        q = json.dumps  # a JSON string is a valid YAML scalar
        lines = ["# azure_hrw.doctor lab: one simulated Linux hybrid worker per fault (python -m tests.lab)",
                 "all:", "  children:", "    hrw_lab:", "      vars:",
                 "        ansible_user: root", "        ansible_port: 22",
                 "        ansible_ssh_private_key_file: %s" % q(self.key),
                 "        ansible_python_interpreter: /usr/bin/python3",
                 "        ansible_ssh_common_args: %s" % q("-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null"),
                 "        hrw_lab_workspace_id: %s" % q(WORKSPACE_ID),
                 # what the user knows about the workers (issue 3: the 403 checks compare with it)
                 "        hrw_diagnose_expected_workspace_id: %s" % q(WORKSPACE_ID),
                 "        hrw_diagnose_automation_account_region: %s" % q(ACCOUNT_REGION),
                 "        hrw_diagnose_workspace_region: %s" % q(WORKSPACE_REGION),
                 # issue 5: the fake agent bundle, as the hosts see it
                 "        hrw_lab_installer: %s" % q(INSTALLER_PATH), "      hosts:"]
        for name, ip in self.hosts.items():
            fault = fault_of(name)
            lines += ["        %s:" % name, "          ansible_host: %s" % ip,
                      "          hrw_lab_fault: %s" % (name if name in FAULTS else name.rpartition("-")[0]),
                      "          hrw_lab_expected_failed: %s" % q(sorted(fault.expected_failed)),
                      "          hrw_lab_repair_actions: %s" % q(list(fault.repair_actions)),
                      "          hrw_lab_after_repair: %s" % q(sorted(fault.after_repair))]
            if "python3_hidden" in fault.prereqs:  # /usr/bin/python3 is hidden on that host
                lines.append("          ansible_python_interpreter: %s" % q(os.path.realpath(agent.PYTHON)))
            lines += ["          %s: %s" % (key, q(value)) for key, value in fault.host_vars]
            if fault.account_records:
                lines += ["          hrw_diagnose_automation_account_id: %s" % q(ACCOUNT_ID),
                          "          hrw_diagnose_automation_account_region: %s" % q(ACCOUNT_REGION)]
        with open(self.inventory, "w") as f:
            f.write("\n".join(lines) + "\n")

    def _logs_tail(self, lines=5):
        out = []
        if os.path.isdir(self.logs_dir):
            for entry in sorted(os.listdir(self.logs_dir)):
                with open(os.path.join(self.logs_dir, entry), errors="replace") as f:
                    tail = f.read().strip().splitlines()[-lines:]
                if tail:
                    out.append("--- %s:\n%s" % (entry, "\n".join(tail)))
        return "\n".join(out)

    # ------------------------------------------------------------------ stop
    def stop(self, name, timeout=10):
        """End ONE host: its recorded pids (the unshare and the namespace's PID 1), only if the
        process's command line names this state dir, as ``down`` does. The other hosts, the
        endpoints and the state dir stay; the host's pid records go, so ``status`` shows it down
        and ``down`` still ends the rest. Returns the pids it killed ([] if the host was not running)."""
        if name not in self.fault_names:
            raise LabError("no host %r in the lab in %s; its hosts: %s" % (
                name, self.state_dir, ", ".join(self.fault_names) or "none"))
        pids = {key: pid for key, pid in self.pids().items() if key in (name, name + ".init")}
        killed = self._kill_ours(pids.values())
        # Called from another process than the one that started the lab, the killed unshare
        # stays a zombie until its parent reaps it: a zombie holds nothing, so it counts as gone.
        address = (self.hosts[name], 22)
        deadline = time.monotonic() + timeout
        while [p for p in killed if _exists(p) and running(p)] or address in listening():
            if time.monotonic() > deadline:
                raise LabError("host %s still present after SIGKILL: pids %s, listening %s" % (
                    name, [p for p in killed if running(p)], address in listening()))
            time.sleep(0.05)
        for key in pids:
            try:
                os.unlink(os.path.join(self.run_dir, key + ".pid"))
            except FileNotFoundError:
                pass
        return killed

    def _kill_ours(self, pids):
        """SIGKILL the pids whose command line names this lab's state dir (a recycled pid is
        someone else's: left alone); returns the pids killed."""
        killed = []
        for pid in pids:
            cmd = _cmdline(pid)
            if cmd and self.state_dir in cmd:
                try:
                    os.kill(pid, signal.SIGKILL)
                    killed.append(pid)
                except ProcessLookupError:
                    pass
        return killed

    # ------------------------------------------------------------------ down
    def down(self, timeout=10):
        """End every recorded process (only those: the cmdline must name our state dir) and
        remove the state dir. Safe to call twice and after a half-failed up."""
        killed = self._kill_ours(self.pids().values())
        deadline = time.monotonic() + timeout
        left = killed
        while left and time.monotonic() < deadline:
            left = [p for p in left if _exists(p)]
            if left:
                time.sleep(0.05)
        if left:
            raise LabError("processes still present after SIGKILL: %s" % left)
        if os.path.isfile(self.record) or os.path.isdir(self.run_dir):
            shutil.rmtree(self.state_dir, ignore_errors=True)
        return killed


def free_net(exclude=()):
    """First lab network (127.<net>.1.x / 127.<net>.2.x) with nothing listening on it; 0 is
    left to the CLI's default lab (make demo), so a test session runs next to it."""
    busy = {int(address[0].split(".")[1]) for address in listening() if address[0].startswith("127.")}
    for net in range(1, 50):
        if net not in busy and net not in exclude:
            return net
    raise LabError("no free 127.<net>.0.0/16 lab network")


def find_labs(root=None):
    """State dirs of every lab under the repo's .tmp/ (for 'down --all' and stale cleanup)."""
    root = root or os.path.dirname(DEFAULT_STATE_DIR)
    if not os.path.isdir(root):
        return []
    return [os.path.join(root, d) for d in sorted(os.listdir(root))
            if os.path.isfile(os.path.join(root, d, "lab.json")) or os.path.isdir(os.path.join(root, d, "run"))]

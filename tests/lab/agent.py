"""The fake OMS agent for Linux and nxOMSAutomationWorker of one lab host.

``prepare()`` runs in the root namespace and writes the host's files into its private dirs
(``opt`` = /opt/microsoft, ``varopt`` = /var/opt/microsoft, ``home`` = /home, ``etc.up`` =
the upper layer of its overlay /etc), following the layout of docs/adr/0001.
``boot()`` runs inside the host (``python3 -m tests.lab.agent boot HOSTDIR`` from
hostinit.sh): it creates the users as the real installer does, sets owners, and starts the
fake processes with the real argv and user.
"""
import datetime
import hashlib
import json
import os
import shutil
import ssl
import stat
import subprocess
import sys
import time

from . import (ACCOUNT_ID, JRDS_BASE_URI, OTHER_WORKSPACE_ID, PROXY_PASSWORD, PROXY_PORT, PROXY_USER,
               REGISTRATION_ENDPOINT, REPO_HOST, WORKER_GROUP, WORKER_VERSION, endpoint_ips)

OMS_OPT = "/opt/microsoft/omsagent"
AW = ("/opt/microsoft/omsconfig/modules/nxOMSAutomationWorker/DSCResources/"
      "MSFT_nxOMSAutomationWorkerResource/automationworker")
OMS_CONF = "/var/opt/microsoft/omsagent/state/automationworker/oms.conf"
SYSTEM_WORKER_CONF = "/var/opt/microsoft/omsagent/state/automationworker/worker.conf"
USER_WORKER_CONF = "/home/nxautomation/state/worker.conf"
PYTHON = "/usr/bin/python3"
# The lab's fake onboarding.py / onboarding3.py (copied into each host's automationworker tree).
ONBOARDING_SRC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "onboarding")

# The real omsagent is a Ruby script; here "ruby" is a symlink to python3 and the script is
# Python, so the kernel builds exactly the real argv from the shebang.
OMSAGENT = """#!/opt/microsoft/omsagent/ruby/bin/ruby
# Lab fake of the OMS agent (fluentd): writes its pid file and log line, then sleeps.
import os, signal, sys, time
args = sys.argv[1:]
opt = lambda flag: args[args.index(flag) + 1] if flag in args else None
pidfile, logfile, conf = opt("-d"), opt("-o"), opt("-c")
def log(msg):
    if logfile:
        with open(logfile, "a") as f:
            f.write(time.strftime("%Y-%m-%d %H:%M:%S +0000") + " " + msg + "\\n")
def stop(*_):
    log("[info]: shutting down fluentd")
    if pidfile and os.path.exists(pidfile):
        os.unlink(pidfile)
    sys.exit(0)
signal.signal(signal.SIGTERM, stop)
log('[info]: reading config file path="%s"' % conf)
log("[info]: starting fluentd-0.12.40 without supervision")
if pidfile:
    with open(pidfile, "w") as f:
        f.write("%d\\n" % os.getpid())
while True:
    signal.pause()
"""

# No systemd in the lab: service_control is the agent's own entry point and works as is.
SERVICE_CONTROL = """#!/bin/bash
# Lab fake of /opt/microsoft/omsagent/bin/service_control: start|stop|restart|status [workspace]
WS={ws}
if [ -n "$2" ] && [ "$2" != "$WS" ]; then echo "Workspace $2 is not onboarded" >&2; exit 1; fi
PIDFILE=/var/opt/microsoft/omsagent/$WS/run/omsagent.pid
running() {{ pid=$(cat "$PIDFILE" 2>/dev/null) && [ -n "$pid" ] && grep -qa omsagent.conf /proc/$pid/cmdline 2>/dev/null; }}
start() {{
    running && return 0
    setsid setpriv --reuid=omsagent --regid=omsagent --init-groups {opt}/bin/omsagent \\
        -d "$PIDFILE" -o /var/opt/microsoft/omsagent/$WS/log/omsagent.log \\
        -c /etc/opt/microsoft/omsagent/$WS/conf/omsagent.conf --no-supervisor </dev/null >/dev/null 2>&1 &
    for _ in $(seq 100); do running && return 0; sleep 0.05; done
    echo "omsagent failed to start" >&2; return 1
}}
stop() {{
    if running; then
        kill "$pid"
        for _ in $(seq 100); do running || break; sleep 0.05; done
        running && kill -KILL "$pid"
    fi
    rm -f "$PIDFILE"
}}
case "$1" in
    start) start ;;
    stop) stop ;;
    restart|reload) stop; start ;;
    status) if running; then echo "omsagent ($WS) is running, pid $pid"; else echo "omsagent ($WS) is not running"; exit 3; fi ;;
    *) echo "Usage: $0 {{start|stop|restart|status}} [workspace id]" >&2; exit 2 ;;
esac
"""

OMSADMIN_SH = """#!/bin/bash
# Lab fake of omsadmin.sh: only -l (list) works; everything else needs the real agent.
if [ "$1" = "-l" ]; then
    echo "Primary Workspace: {ws}    Status: Onboarded($(pgrep -f omsagent.conf >/dev/null && echo OMSAgent Running || echo OMSAgent Not Running))"
    exit 0
fi
echo "omsadmin.sh: lab fake, only -l is supported" >&2; exit 1
"""

SLEEPER = '''"""Lab fake of nxOMSAutomationWorker {name}: same path and argv as the real one, sleeps."""
import time

while True:
    time.sleep(3600)
'''

# The 3.x manager: started by the DSC consistency check (below) with sudo as nxautomation, it
# detaches (so sudo returns and no root "sudo ... main.py" process stays), then starts a worker
# for each worker.conf that oms.conf names and that exists, unless one already runs for it.
# (worker/main.py, which boot starts, only sleeps: the worker_missing fault keeps its manager
# without workers.)
MANAGER_PY = '''"""Lab fake of the nxOMSAutomationWorker 3.x worker manager: starts the workers, then sleeps."""
import configparser
import os
import subprocess
import sys
import time

if os.fork():
    os._exit(0)
os.setsid()
NULL = os.open(os.devnull, os.O_RDWR)
for fd in (0, 1, 2):  # let the caller's pipes close, so sudo (and whoever waits on it) returns
    os.dup2(NULL, fd)
HYBRIDWORKER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "hybridworker.py")
conf = configparser.ConfigParser()
conf.read(sys.argv[1])
tail = [a for a in sys.argv[2:] if a.startswith(("rworkspace:", "rversion:"))]


def running(path):
    for pid in os.listdir("/proc"):
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as handle:
                argv = handle.read().decode().split("\\0")
        except (OSError, ValueError):
            continue
        if any(a.endswith("hybridworker.py") for a in argv[:3]) and path in argv:
            return True
    return False


for key in ("auto_registered_worker_conf_path", "manually_registered_worker_conf_path"):
    path = conf.get("oms-worker-conf", key, fallback=None)
    if path and os.path.exists(path) and not running(path):
        subprocess.Popen([sys.executable, HYBRIDWORKER, path, "managed"] + tail, start_new_session=True, cwd="/",
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
while True:
    time.sleep(3600)
'''

# omsconfig's consistency check: what the nxOMSAutomationWorker DSC resource does when it runs.
# Run as omsagent (su), as the agent's docs say; it starts the 3.x manager as nxautomation with
# sudo (the drop-in allows omsagent exactly that), as the real resource does.
DSC_CHECK_PY = '''#!/usr/bin/python3
"""Lab fake of /opt/microsoft/omsconfig/Scripts/PerformRequiredConfigurationChecks.py."""
import os
import re
import subprocess
import sys
import time

AW = "{aw}"
OMS_CONF = "{oms_conf}"
LOG = "/var/opt/microsoft/omsconfig/omsconfig.log"
SCHEMA = AW.rsplit("/", 1)[0] + "/MSFT_nxOMSAutomationWorkerResource.schema.mof"
SUCCESS = "Operation PerformRequiredConfigurationChecks completed successfully. Operation was successful."


def log(level, text):
    with open(LOG, "a") as handle:
        handle.write("%s: %s: Scripts/PerformRequiredConfigurationChecks.py: %s\\n"
                     % (time.strftime("%Y/%m/%d %H:%M:%S", time.gmtime()), level, text))


def managers(ws):
    found = []
    for pid in os.listdir("/proc"):
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as handle:
                argv = handle.read().decode().split("\\0")
        except (OSError, ValueError):
            continue
        if any(a.endswith("/worker/main.py") for a in argv[:3]) and "rworkspace:" + ws in argv and argv[0] != "sudo":
            found.append(int(pid))
    return found


print("[%s] [%d] [INFO] [0] [%s:0] dsc_host lock file is acquired by : PerformRequiredConfigurationChecks"
      % (time.strftime("%Y/%m/%d %H:%M:%S", time.gmtime()), os.getpid(), __file__))
log("INFO", "dsc_host lock file acquired")
if not os.path.exists(SCHEMA):  # the class_missing fault: the resource's class is not registered
    log("ERROR", "null(0): EventId=1 Priority=ERROR Job 3F0E8A51-7C2D-4B9E-A1F6-0D5C2E9B8A47 : ResourceId is "
        "[nxOMSAutomationWorker]AutoRegister01. ErrorMessage is The specified class does not exist..")
    sys.exit("The specified class does not exist.")
with open("/etc/opt/microsoft/omsagent/conf/omsadmin.conf") as handle:
    ws = re.search(r"^WORKSPACE_ID=(.*)$", handle.read(), re.M).group(1).strip()
with open(OMS_CONF) as handle:  # the resource writes oms.conf for the agent's workspace
    text = handle.read()
fixed = re.sub(r"(?m)^workspace_id = .*$", "workspace_id = " + ws, text)
if fixed != text:
    with open(OMS_CONF, "w") as handle:
        handle.write(fixed)
    log("INFO", "oms.conf rewritten for workspace " + ws)
if not managers(ws):
    argv = ["/usr/bin/python3", AW + "/3.x/worker/main.py", OMS_CONF, "rworkspace:" + ws, "rversion:{version}"]
    prefix = (["setpriv", "--reuid=nxautomation", "--regid=nxautomation", "--init-groups"] if os.geteuid() == 0
              else ["sudo", "-n", "-u", "nxautomation"])
    proc = subprocess.run(prefix + argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          timeout=30, check=False, universal_newlines=True)
    deadline = time.monotonic() + 10
    while not managers(ws):
        if proc.returncode or time.monotonic() > deadline:
            log("ERROR", "could not start the worker manager: %s" % proc.stdout.strip())
            sys.exit("could not start the worker manager: %s" % proc.stdout.strip())
        time.sleep(0.05)
    log("INFO", "worker manager started for workspace " + ws)
log("INFO", SUCCESS)
print(SUCCESS)
'''

#: The resource's class definition: class_missing lacks it, the lab installer restores it.
RESOURCE_SCHEMA = ("[ClassVersion(\"1.0.0\"), FriendlyName(\"nxOMSAutomationWorker\")]\n"
                   "class MSFT_nxOMSAutomationWorkerResource : OMI_BaseResource\n{\n"
                   "  [Key] string ResourceSettings;\n};\n")

CONFIGURATION_PY = '''"""Lab fake of nxOMSAutomationWorker configuration.py (presence is what the checks test)."""
WORKER_REQUIRED_CONFIG_SECTION = "worker-required"
WORKER_OPTIONAL_CONFIG_SECTION = "worker-optional"
METADATA_CONFIG_SECTION = "metadata"
'''


def _write(path, text, mode=0o644):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)


def _ini(sections):
    out = []
    for name, values in sections.items():
        out.append("[%s]" % name)
        out.extend("%s = %s" % kv for kv in values.items())
        out.append("")
    return "\n".join(out)


def _selfsigned(crt, key, subject):
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "365",
                    "-subj", subject, "-keyout", key, "-out", crt],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    os.chmod(key, 0o640)
    with open(crt) as f:  # Windows-style thumbprint: SHA1 of the DER, upper-case hex
        return hashlib.sha1(ssl.PEM_cert_to_DER_cert(f.read())).hexdigest().upper()


def _thumbprint(crt):
    with open(crt) as f:
        return hashlib.sha1(ssl.PEM_cert_to_DER_cert(f.read())).hexdigest().upper()


AGENT_SUBJECT = "/CN=%s/CN=%s/OU=Linux Monitoring Agent/O=Microsoft"
DIY_SUBJECT = "/C=US/ST=Washington/L=Redmond/O=Microsoft Corporation/OU=Azure Automation/CN=Hybrid Runbook Worker"


def make_image(image_dir, ws, guid):
    """The certificates a disk image carries (issue 7, cloned hosts): oms.crt/key of the agent
    onboarded as ``guid`` and the user worker's worker_diy.crt/key. Every host cloned from it copies them."""
    os.makedirs(image_dir, exist_ok=True)
    _selfsigned(os.path.join(image_dir, "oms.crt"), os.path.join(image_dir, "oms.key"), AGENT_SUBJECT % (ws, guid))
    _selfsigned(os.path.join(image_dir, "worker_diy.crt"), os.path.join(image_dir, "worker_diy.key"), DIY_SUBJECT)


def _certificate(spec, crt, key, subject):
    """A new self-signed certificate, or the image's copy on a cloned host; its thumbprint."""
    if spec.get("image_dir"):
        for path in (crt, key):
            shutil.copyfile(os.path.join(spec["image_dir"], os.path.basename(path)), path)
        os.chmod(key, 0o640)
        return _thumbprint(crt)
    return _selfsigned(crt, key, subject)


def _expired(crt, key, common_name):
    """A self-signed certificate that expired yesterday (openssl req cannot backdate)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(x509.NameOID.ORGANIZATION_NAME, "Microsoft Corporation"),
                      x509.NameAttribute(x509.NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(private.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=366))
            .not_valid_after(now - datetime.timedelta(days=1)).sign(private, hashes.SHA256()))
    with open(key, "wb") as f:
        f.write(private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                      serialization.NoEncryption()))
    os.chmod(key, 0o640)
    with open(crt, "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    return cert.fingerprint(hashes.SHA1()).hex().upper()


def argv_of(role, ws):
    """The real argv of each fake process (docs/adr/0001, the seed's ps listing)."""
    if role == "omsagent":
        return [OMS_OPT + "/ruby/bin/ruby", OMS_OPT + "/bin/omsagent",
                "-d", "/var/opt/microsoft/omsagent/%s/run/omsagent.pid" % ws,
                "-o", "/var/opt/microsoft/omsagent/%s/log/omsagent.log" % ws,
                "-c", "/etc/opt/microsoft/omsagent/%s/conf/omsagent.conf" % ws, "--no-supervisor"]
    tail = ["rworkspace:" + ws, "rversion:" + WORKER_VERSION]
    if role == "manager":
        return ["python", AW + "/worker/main.py", OMS_CONF] + tail
    conf = SYSTEM_WORKER_CONF if role == "system_worker" else USER_WORKER_CONF
    return ["python", AW + "/worker/hybridworker.py", conf, "managed"] + tail


def prepare(hostdir, spec, ca_pem):
    """Write the host's files (root namespace). ``spec`` is the host's host.json."""
    ws, guid, name = spec["workspace_id"], spec["agent_guid"], spec["hostname"]
    prereqs = set(spec.get("prereqs") or ())
    wc = spec.get("worker_changes") or {}  # faults.Fault.worker_changes
    opt, varopt, etc, home = (os.path.join(hostdir, d) for d in ("opt", "varopt", "etc.up", "home"))
    for d in (opt, varopt, etc, home, os.path.join(hostdir, "etc.wk")):
        os.makedirs(d, exist_ok=True)
    shutil.copytree("/etc/skel", os.path.join(hostdir, "root"))  # a fresh root home, as on a new VM
    os.chmod(os.path.join(hostdir, "root"), 0o700)
    now = datetime.datetime.now(datetime.timezone.utc)

    # /etc: identity, name resolution that never leaves the machine, trust in the test CA.
    ips = endpoint_ips(spec["net"])
    azure = ips[spec["endpoints"]]
    reg_host = REGISTRATION_ENDPOINT.split("/")[2]
    names = ["%s.agentsvc.azure-automation.net" % ws, "%s.ods.opinsights.azure.com" % ws,
             "%s.oms.opinsights.azure.com" % ws, JRDS_BASE_URI.split("/")[2], reg_host, "bing.com"]
    if spec.get("account_records"):  # the account-specific records of the lab account's region (we)
        names += ["%s.%s.we.azure-automation.net" % (ACCOUNT_ID, svc) for svc in ("agentsvc", "jrds")]
    if spec.get("proxy") == "proxy" and not spec.get("proxy_conf_mode"):  # reachable only through the proxy
        azure = ips["refused"]
    _write(os.path.join(etc, "hostname"), name + "\n")
    # Its own machine id (the overlay hides the machine's); a host cloned from an image shares the image's.
    _write(os.path.join(etc, "machine-id"), spec["machine_id"] + "\n", 0o444)
    _write(os.path.join(etc, "hosts"), "127.0.0.1\tlocalhost\n%s\t%s\n::1\tlocalhost ip6-localhost\n\n"
           "# lab: Azure endpoints -> %s (%s)\n%s" % (
               spec["ip"], name, azure, spec["endpoints"], "".join("%s\t%s\n" % (azure, n) for n in names))
           + "# lab: the apt repository -> %s\n%s\t%s\n" % (spec["repos"], ips[spec["repos"]], REPO_HOST))
    _prepare_system(hostdir, etc, spec)
    if spec.get("proxy"):  # /etc/opt/microsoft/omsagent/proxy.conf, as omsadmin.sh -p writes it
        _write(os.path.join(etc, "opt/microsoft/omsagent/proxy.conf"),
               "http://%s:%s@%s:%d" % (PROXY_USER, PROXY_PASSWORD, ips[spec["proxy"]], PROXY_PORT), 0o640)
    # Nothing listens there, so a name not in /etc/hosts fails at once and never reaches real DNS.
    _write(os.path.join(etc, "resolv.conf"), "nameserver %s\noptions timeout:1 attempts:1\n" % ips["refused"])
    bundle = os.path.join(etc, "ssl/certs/ca-certificates.crt")
    os.makedirs(os.path.dirname(bundle), exist_ok=True)
    shutil.copyfile("/etc/ssl/certs/ca-certificates.crt", bundle)
    with open(bundle, "a") as f, open(ca_pem) as ca:
        f.write(ca.read())
    nx_tty = "" if "requiretty" in prereqs else "Defaults:nxautomation !requiretty\n"
    if "requiretty" in prereqs:  # a site policy, as on older RHEL
        _write(os.path.join(etc, "sudoers.d/requiretty"), "Defaults requiretty\n", 0o440)
    if "no_sudoers_dropin" not in prereqs:
        _write(os.path.join(etc, "sudoers.d/omsagent"), (
            "# Begin sudo configuration for omsagent\n"
            "Defaults:omsagent !requiretty\n"
            "omsagent ALL=(nxautomation) NOPASSWD: /usr/bin/python2 %(aw)s/worker/main.py *, "
            "/usr/bin/python3 %(aw)s/3.x/worker/main.py *, /usr/bin/python %(aw)s/worker/main.py *\n"
            "omsagent ALL=(nxautomation) NOPASSWD: /usr/bin/pkill -u nxautomation\n"
            "# End sudo configuration for omsagent\n\n"
            "nxautomation ALL=(ALL) NOPASSWD: ALL\n") % {"aw": AW} + nx_tty, 0o440)

    # /etc/opt/microsoft/omsagent/<ws>/{conf,certs} and the conf/certs symlinks.
    agent_etc = os.path.join(etc, "opt/microsoft/omsagent")
    conf = os.path.join(agent_etc, ws, "conf")
    certs = os.path.join(agent_etc, ws, "certs")
    os.makedirs(certs, exist_ok=True)
    oms_thumb = _certificate(spec, os.path.join(certs, "oms.crt"), os.path.join(certs, "oms.key"),
                             AGENT_SUBJECT % (ws, guid))
    _write(os.path.join(conf, "omsadmin.conf"), "".join("%s=%s\n" % kv for kv in (
        ("WORKSPACE_ID", ws), ("AGENT_GUID", guid), ("LOG_FACILITY", "local0"),
        ("CERTIFICATE_UPDATE_ENDPOINT",
         "https://%s.oms.opinsights.azure.com/ConfigurationService.Svc/RenewCertificate" % ws),
        ("URL_TLD", "opinsights.azure.com"),
        ("DSC_ENDPOINT", "https://%s.agentsvc.azure-automation.net/Accounts/%s/Nodes(AgentId='%s')"
         % (ws, ws, guid)),
        ("OMS_ENDPOINT", "https://%s.ods.opinsights.azure.com/OperationalData.svc/PostJsonDataItems" % ws),
        ("AZURE_RESOURCE_ID", ""), ("OMSCLOUD_ID", spec["omscloud_id"]), ("UUID", spec["uuid"]))))
    _write(os.path.join(conf, "omsagent.conf"),
           "# Lab fake of omsagent.conf (fluentd)\n<source>\n  type sudo_tail\n</source>\n")
    for link in ("conf", "certs"):
        os.symlink(ws + "/" + link, os.path.join(agent_etc, link))
    omi = os.path.join(etc, "opt/omi/conf/omsconfig")
    settings = json.dumps([{"WorkspaceId": ws, "AzureDnsAgentSvcZone": "agentsvc.azure-automation.net",
                            "Solutions": {"Updates": {"Enabled": wc.get("updates_enabled", True)},
                                          "AzureAutomation": {"Enabled": True}}}],
                          separators=(",", ":"))
    mof = ((
        "/*\n@TargetNode='%s'\n@GeneratedBy=Azure Automation\n*/\n\n"
        "instance of MSFT_nxOMSAutomationWorkerResource as $MSFT_nxOMSAutomationWorkerResource1ref\n{\n"
        " ResourceID = \"[nxOMSAutomationWorker]AutoRegister01\";\n"
        " ResourceSettings = \"%s\";\n"
        " SourceInfo = \"C:\\\\temp\\\\MicrosoftOperationsManagementLinuxConfiguration.ps1::112::1::nxOMSAutomationWorker\";\n"
        " ModuleName = \"nxOMSAutomationWorker\";\n ModuleVersion = \"%s\";\n"
        " ConfigurationName = \"MicrosoftOperationsManagementLinuxConfiguration\";\n};\n"
        "instance of OMI_ConfigurationDocument\n{\n Version=\"2.0.0\";\n"
        " MinimumCompatibleVersion = \"1.0.0\";\n"
        " Name=\"MicrosoftOperationsManagementLinuxConfiguration\";\n};\n")
        % (name, settings.replace("\\", "\\\\").replace('"', '\\"'), WORKER_VERSION))
    os.makedirs(os.path.join(omi, "configuration"), exist_ok=True)
    with open(os.path.join(omi, "configuration/Current.mof"), "wb") as f:  # UTF-16 + BOM, as omsconfig writes it
        f.write(mof.encode(wc.get("mof_encoding", "utf-16")))
    _write(os.path.join(omi, "keyring.gpg"), "", 0o600 if "keyring_unreadable" in prereqs else 0o644)

    # /opt/microsoft: the agent's binaries and the nxOMSAutomationWorker module tree.
    bin_ = os.path.join(opt, "omsagent/bin")
    _write(os.path.join(bin_, "omsagent"), OMSAGENT, 0o755)
    _write(os.path.join(bin_, "service_control"), SERVICE_CONTROL.format(ws=ws, opt=OMS_OPT), 0o755)
    _write(os.path.join(bin_, "omsadmin.sh"), OMSADMIN_SH.format(ws=ws), 0o755)
    os.makedirs(os.path.join(opt, "omsagent/ruby/bin"), exist_ok=True)
    os.symlink(PYTHON, os.path.join(opt, "omsagent/ruby/bin/ruby"))
    module = os.path.join(opt, "omsconfig/modules/nxOMSAutomationWorker")
    if "no_worker_package" not in prereqs:
        _write(os.path.join(module, "VERSION"), WORKER_VERSION + "\n")
    aw = os.path.join(opt, AW[len("/opt/microsoft/"):])
    for tree in () if "no_worker_package" in prereqs else ("worker", "3.x/worker"):
        for script in ("main.py", "hybridworker.py"):
            _write(os.path.join(aw, tree, script), SLEEPER.format(name=script))
        _write(os.path.join(aw, tree, "configuration.py"), CONFIGURATION_PY)
    if "no_worker_package" not in prereqs:
        _write(os.path.join(aw, "3.x/worker/main.py"), MANAGER_PY)
        # The DIY onboarding scripts (issue 6): the documented wrapper and the Python 3 script.
        for src, dest in (("onboarding.py", "scripts/onboarding.py"), ("onboarding3.py", "3.x/scripts/onboarding3.py")):
            with open(os.path.join(ONBOARDING_SRC, src)) as handle:
                _write(os.path.join(aw, dest), "#!/usr/bin/env python3\n" + handle.read(), 0o755)
        if "no_resource_class" not in prereqs:
            _write(os.path.join(os.path.dirname(aw), "MSFT_nxOMSAutomationWorkerResource.schema.mof"), RESOURCE_SCHEMA)
    _write(os.path.join(opt, "omsconfig/Scripts/PerformRequiredConfigurationChecks.py"),
           DSC_CHECK_PY.format(aw=AW, oms_conf=OMS_CONF, version=WORKER_VERSION), 0o755)

    # /var/opt/microsoft/omsagent/<ws>/{log,run,state,tmp} and the symlinks.
    agent_var = os.path.join(varopt, "omsagent")
    for sub in ("log", "run/automationworker", "state/automationworker", "tmp"):
        os.makedirs(os.path.join(agent_var, ws, sub), exist_ok=True)
    for link in ("log", "run", "state", "tmp"):
        os.symlink(ws + "/" + link, os.path.join(agent_var, link))
    if "second_workspace" in prereqs:  # onboarded to another workspace too (omsadmin.sh -w twice)
        for sub in ("log", "run", "state", "tmp"):
            os.makedirs(os.path.join(agent_var, OTHER_WORKSPACE_ID, sub), exist_ok=True)
        _write(os.path.join(agent_etc, OTHER_WORKSPACE_ID, "conf/omsadmin.conf"),
               "WORKSPACE_ID=%s\nAGENT_GUID=%s\nURL_TLD=opinsights.azure.com\n" % (OTHER_WORKSPACE_ID, guid))
    ts = (now - datetime.timedelta(minutes=30)).strftime("%Y-%m-%d %H:%M:%S +0000")
    _write(os.path.join(agent_var, ws, "log/omsagent.log"),
           "%s [info]: Installed omsagent-1.14.23-0 (lab)\n%s [info]: starting fluentd-0.12.40\n" % (ts, ts))
    # The Update Management run log (Linux.UpdateLogCheck reports it; repairs keep it).
    _write(os.path.join(agent_var, ws, "run/automationworker/omsupdatemgmt.log"),
           "%s Starting update assessment (lab)\n%s Assessment completed, 0 updates needed\n" % (ts, ts))
    aw_state = os.path.join(agent_var, ws, "state/automationworker")
    _write(os.path.join(aw_state, "oms.conf"), _ini({
        "oms-worker-conf": {"auto_registered_worker_conf_path": SYSTEM_WORKER_CONF,
                            "manually_registered_worker_conf_path": USER_WORKER_CONF},
        "oms-global": {"resource_version": WORKER_VERSION,
                       "hybrid_worker_path": AW + "/worker/hybridworker.py",
                       "workspace_id": wc.get("oms_conf_workspace") or ws, "disable_worker_creation": "False"}}))
    _write(os.path.join(aw_state, "worker.conf"), _ini({
        "worker-required": {
            "jrds_cert_path": "/etc/opt/microsoft/omsagent/certs/oms.crt",
            "jrds_key_path": "/etc/opt/microsoft/omsagent/certs/oms.key",
            "jrds_base_uri": JRDS_BASE_URI, "account_id": ACCOUNT_ID,
            "machine_id": spec["system_machine_id"],
            "hybrid_worker_group_name": "%s_%s" % (name, guid),
            "working_directory_path": "/var/opt/microsoft/omsagent/%s/run/automationworker" % ws},
        "worker-optional": {
            "proxy_configuration_path": "/etc/opt/microsoft/omsagent/proxy.conf",
            "state_directory_path": "/var/opt/microsoft/omsagent/%s/state/automationworker" % ws,
            "gpg_public_keyring_path": "/etc/opt/omi/conf/omsconfig/keyring.gpg",
            "enforce_runbook_signature_validation": "False"},
        "metadata": {"worker_type": "auto-registered", "is_azure_vm": "False", "vm_id": ""},
        "oms-metadata": {"agent_id": guid, "workspace_id": ws, "jrds_cert_thumbprint": oms_thumb}}))
    if not wc.get("system_worker_conf", True):  # the system worker was never registered
        os.remove(os.path.join(aw_state, "worker.conf"))
    if wc.get("rotate_agent_cert"):  # renewed after the worker registered: worker.conf keeps the old thumbprint
        _selfsigned(os.path.join(certs, "oms.crt"), os.path.join(certs, "oms.key"),
                    "/CN=%s/CN=%s/OU=Linux Monitoring Agent/O=Microsoft" % (ws, guid))
    # The worker logs: a few quiet lines, then the fault's ({ts} = five minutes ago).
    log_ts = (now - datetime.timedelta(minutes=5)).strftime("%Y-%m-%d %H:%M:%S,123")
    _write(os.path.join(agent_var, ws, "run/automationworker/worker.log"), "".join(
        "%s - INFO - %s\n" % ((now - datetime.timedelta(minutes=m)).strftime("%Y-%m-%d %H:%M:%S,000"), text)
        for m, text in ((40, "[main] Worker manager started."), (20, "[jrds] Polling for actions."))) +
        "".join(line.format(ts=log_ts) + "\n" for line in wc.get("worker_log", ())))
    _write(os.path.join(agent_var, ws, "log/nxOMSAutomationWorker.log"),
           "%s - INFO - Test_Marshall: worker manager and workers are running.\n"
           % (now - datetime.timedelta(minutes=15)).strftime("%Y-%m-%d %H:%M:%S,000"))
    omsconfig_log = ["%s: INFO: Scripts/PerformRequiredConfigurationChecks.py: dsc_host lock file acquired"
                     % (now - datetime.timedelta(minutes=m)).strftime("%Y/%m/%d %H:%M:%S") for m in (45, 30, 15)]
    omsconfig_log.insert(1, "%s: WARNING: null(0): EventId=2 Priority=WARNING Job 9B3C6A1E-0F2D-4E7A-B8C5-"
                         "1D2E3F4A5B6C : PerformRequiredConfigurationChecks DSC operation completed in "
                         "3.2136 seconds." % (now - datetime.timedelta(minutes=44)).strftime("%Y/%m/%d %H:%M:%S"))
    stamp = (now - datetime.timedelta(minutes=5)).strftime("%Y/%m/%d %H:%M:%S")
    omsconfig_log += [line.format(ts=stamp) for line in spec["omsconfig_log"]]
    _write(os.path.join(varopt, "omsconfig/omsconfig.log"), "\n".join(omsconfig_log) + "\n")

    # /home/nxautomation: the registered user (DIY) worker.
    state = os.path.join(home, "nxautomation/state")
    os.makedirs(os.path.join(home, "nxautomation/run"), exist_ok=True)
    os.makedirs(state, exist_ok=True)
    if wc.get("diy_cert_expired"):
        diy_thumb = _expired(os.path.join(state, "worker_diy.crt"), os.path.join(state, "worker_diy.key"),
                             "Hybrid Runbook Worker")
    else:
        diy_thumb = _certificate(spec, os.path.join(state, "worker_diy.crt"), os.path.join(state, "worker_diy.key"),
                                 DIY_SUBJECT)
    _write(os.path.join(state, "worker.conf"), _ini({
        "worker-required": {
            "jrds_cert_path": "/home/nxautomation/state/worker_diy.crt",
            "jrds_key_path": "/home/nxautomation/state/worker_diy.key",
            "jrds_base_uri": JRDS_BASE_URI, "account_id": ACCOUNT_ID,
            "machine_id": spec["user_machine_id"], "hybrid_worker_group_name": WORKER_GROUP,
            "working_directory_path": "/home/nxautomation/run"},
        "worker-optional": {
            "proxy_configuration_path": "/etc/opt/microsoft/omsagent/proxy.conf",
            "state_directory_path": "/home/nxautomation/state",
            "gpg_public_keyring_path": "/etc/opt/omi/conf/omsconfig/keyring.gpg",
            "enforce_runbook_signature_validation": str("keyring_unreadable" in prereqs)},
        "metadata": {"worker_type": "diy", "is_azure_vm": "False", "vm_id": ""},
        "registration-metadata": {"registration_endpoint": REGISTRATION_ENDPOINT,
                                  "workspace_id": ws, "jrds_cert_thumbprint": diy_thumb}}))


OS_RELEASE = 'NAME="{name}"\nVERSION_ID="{version}"\nPRETTY_NAME="{pretty}"\nID={id}\nID_LIKE=debian\n'
FAKETIME_LIB = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"
DPKG_LOCKS = ("lock-frontend", "lock")


def _prepare_system(hostdir, etc, spec):
    """Issue 3 (system): the OS identity, apt sources on the lab repository, the clock and a
    private /var/lib/dpkg (boot mounts it), so no host ever touches the machine's dpkg."""
    distro, version, pretty = spec["os_release"]
    # /etc/os-release is a symlink to ../usr/lib/os-release on Debian: a file in the upper dir replaces it.
    _write(os.path.join(etc, "os-release"), OS_RELEASE.format(
        name=pretty.split(" ")[0], version=version, pretty=pretty, id=distro))
    _write(os.path.join(etc, "apt/sources.list"), "# lab: the only repository (tests/lab/README.md)\n"
           "deb https://%s/ubuntu jammy main\n" % REPO_HOST)
    lists = os.path.join(etc, "apt/sources.list.d")
    os.makedirs(lists, exist_ok=True)
    os.setxattr(lists, "trusted.overlay.opaque", b"y")  # hide the machine's own sources
    if spec["clock_offset"]:  # boot turns it on (/etc/ld.so.preload) once the agent runs
        if not os.path.exists(FAKETIME_LIB):
            raise RuntimeError("%s not found: apt-get install faketime" % FAKETIME_LIB)
        _write(os.path.join(etc, "faketimerc"), spec["clock_offset"] + "\n")
    dpkg = os.path.join(hostdir, "dpkg")
    os.makedirs(os.path.join(dpkg, "updates"), exist_ok=True)
    for lock in DPKG_LOCKS:
        _write(os.path.join(dpkg, lock), "", 0o640)
    if os.path.exists("/var/lib/dpkg/status"):
        shutil.copyfile("/var/lib/dpkg/status", os.path.join(dpkg, "status"))


def _boot_system(hostdir, spec):
    """Inside the host, before its processes start: private dpkg dir and /dev/shm (libfaketime
    keeps state there; nothing of a host may outlive it), CPU affinity, a dpkg lock holder."""
    _run("mount", "--bind", os.path.join(hostdir, "dpkg"), "/var/lib/dpkg")
    _run("mount", "-t", "tmpfs", "-o", "mode=1777,size=4m", "tmpfs", "/dev/shm")
    if spec["cpus"]:
        # PID 1 (hostinit.sh) execs sshd next: it and every session inherit the mask.
        os.sched_setaffinity(os.getppid(), sorted(os.sched_getaffinity(0))[:spec["cpus"]])
    if spec["memory_kb"]:
        # /proc/meminfo as a machine of that size shows it: total and available scaled down.
        total = spec["memory_kb"]
        lines = []
        with open("/proc/meminfo") as handle:
            for line in handle:
                key = line.split(":")[0]
                if key in ("MemTotal", "MemFree", "MemAvailable"):
                    share = {"MemTotal": 1.0, "MemFree": 0.5, "MemAvailable": 0.75}[key]
                    line = "%s:%s%d kB\n" % (key, " " * max(1, 15 - len(key)), int(total * share))
                lines.append(line)
        fake = os.path.join(hostdir, "meminfo")
        _write(fake, "".join(lines), 0o444)
        _run("mount", "--bind", fake, "/proc/meminfo")
    if spec.get("load"):
        # /proc/loadavg of a machine of its own (the runnable/total and last pid fields kept).
        with open("/proc/loadavg") as handle:
            rest = handle.read().split()[3:]
        fake = os.path.join(hostdir, "loadavg")
        _write(fake, "%s\n" % " ".join(["%.2f" % v for v in spec["load"]] + rest), 0o444)
        _run("mount", "--bind", fake, "/proc/loadavg")
    if spec["dpkg_locked"]:
        subprocess.Popen(
            [PYTHON, "-c", "import fcntl, time\nf = open('/var/lib/dpkg/lock-frontend', 'w')\n"
             "fcntl.lockf(f, fcntl.LOCK_EX)\nwhile True: time.sleep(3600)"],
            start_new_session=True, cwd="/", stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        info = os.stat("/var/lib/dpkg/lock-frontend")
        held = " %02x:%02x:%d " % (os.major(info.st_dev), os.minor(info.st_dev), info.st_ino)
        deadline = time.monotonic() + 10
        while not any(held in line for line in open("/proc/locks")):
            if time.monotonic() > deadline:
                sys.exit("the dpkg lock holder did not take the lock")
            time.sleep(0.02)


def _run(*cmd):
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _chown(owner, mode, *paths):
    for p in paths:
        _run("chown", "-h", owner, p)
        if mode:
            os.chmod(p, mode)


def _start(user, argv):
    """Start one daemon as ``user`` with exactly ``argv``, detached (setsid) from the caller."""
    proc = subprocess.Popen(
        ["setpriv", "--reuid=" + user, "--regid=" + user, "--init-groups", "bash", "-c",
         'exec -a "$0" "$@"', argv[0], PYTHON] + argv[1:],
        start_new_session=True, cwd="/", stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return proc.pid


def _cmdline(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return f.read().decode().split("\0")[:-1]
    except OSError:
        return None


def boot(hostdir):
    """Inside the host: users, owners, and the processes its fault leaves running."""
    with open(os.path.join(hostdir, "host.json")) as f:
        spec = json.load(f)
    ws = spec["workspace_id"]
    # As the OMS installer: omiusers (OMI), omsagent, then nxautomation. -l: no lastlog
    # entries, /var/log is shared with the root namespace.
    _run("groupadd", "-r", "omiusers")
    _run("useradd", "-r", "-l", "-c", "OMS agent", "-d", "/var/opt/microsoft/omsagent/run",
         "-s", "/bin/bash", "omsagent")
    _run("usermod", "-a", "-G", "omiusers", "omsagent")
    _run("groupadd", "-r", "nxautomation")
    _run("useradd", "-r", "-l", "-d", "/home/nxautomation/run", "-g", "nxautomation", "nxautomation")
    _run("usermod", "-a", "-G", "omsagent,omiusers", "nxautomation")

    _run("chown", "-R", "omsagent:omiusers", "/etc/opt/microsoft/omsagent/" + ws,
         "/var/opt/microsoft/omsagent/" + ws, "/var/opt/microsoft/omsconfig")
    _run("chmod", "-R", "g+rx", "/etc/opt/microsoft/omsagent/" + ws + "/certs")  # omsutil --initialize
    if spec.get("proxy"):
        owner, mode = spec.get("proxy_conf_mode") or ("omsagent:omiusers", 0o640)
        _chown(owner, mode, "/etc/opt/microsoft/omsagent/proxy.conf")
    _chown("nxautomation:omiusers", 0o770, "/var/opt/microsoft/omsagent/%s/run/automationworker" % ws,
           "/var/opt/microsoft/omsagent/%s/state/automationworker" % ws)
    _run("chown", "-R", "nxautomation:omiusers", "/home/nxautomation/state", "/home/nxautomation/run")
    _chown("omsagent:omiusers", 0o770, "/home/nxautomation")
    _chown("nxautomation:omiusers", 0o770, "/home/nxautomation/state", "/home/nxautomation/run")
    prereqs = set(spec.get("prereqs") or ())
    if "home_root_755" in prereqs:
        _chown("root:root", 0o755, "/home/nxautomation")

    _boot_system(hostdir, spec)
    sc = OMS_OPT + "/bin/service_control"
    _run(sc, "start")
    if "omsagent" in spec["stopped"]:
        _run(sc, "stop")
    worker_ws = spec["worker_workspace"] or ws
    started = {}
    for role in ("manager", "system_worker", "user_worker"):
        if role not in spec["stopped"]:
            user = (spec.get("worker_changes") or {}).get("worker_user", "nxautomation")
            started[_start(user, argv_of(role, worker_ws))] = argv_of(role, worker_ws)
    # Return only once every process shows its final argv (no "bash -c" in a quick ps).
    deadline = time.monotonic() + 10
    while any(_cmdline(pid) != argv for pid, argv in started.items()):
        if time.monotonic() > deadline:
            sys.exit("fake processes did not start: %r" % {p: _cmdline(p) for p in started})
        time.sleep(0.02)
    if spec["clock_offset"]:
        # From now on every new process of the host (sshd's sessions, the collector) runs on the
        # skewed clock. Not earlier: libfaketime cannot follow a process that changes its uid
        # (setpriv) before it execs, so the agent's processes keep the real clock.
        with open("/etc/ld.so.preload", "w") as handle:
            handle.write(FAKETIME_LIB + "\n")
    if "python3_hidden" in prereqs:
        _hide_python3(hostdir)


def _hide_python3(hostdir):
    """Remove /usr/bin/python3 from this host only: an overlay on /usr/bin whose upper layer
    holds a whiteout for it (the running processes keep their interpreter)."""
    upper, work = os.path.join(hostdir, "usrbin.up"), os.path.join(hostdir, "usrbin.wk")
    os.makedirs(upper, exist_ok=True)
    os.makedirs(work, exist_ok=True)
    os.mknod(os.path.join(upper, os.path.basename(PYTHON)), 0o600 | stat.S_IFCHR, os.makedev(0, 0))
    _run("mount", "-t", "overlay", "overlay", "-o",
         "lowerdir=%s,upperdir=%s,workdir=%s" % (os.path.dirname(PYTHON), upper, work), os.path.dirname(PYTHON))


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] != "boot":
        sys.exit("usage: python3 -m tests.lab.agent boot HOSTDIR (inside a lab host)")
    boot(sys.argv[2])

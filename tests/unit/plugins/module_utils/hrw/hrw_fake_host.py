# -*- coding: utf-8 -*-
# Copyright: azure_hrw.doctor contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Builds a fake Linux V1 Hybrid Runbook Worker as a directory tree (ADR 0001 layout).

Used by the collector's unit tests (``collect(root=tree)``). ``FakeHost(tmp_path).healthy()``
writes a healthy host: agent, system and user worker, their processes and a clean
omsconfig.log. Tests then break what they need with ``write``/``remove``/``process``.
"""

import datetime
import json
import os
import shutil

WS = "0b4a1a9e-5c55-4d0b-9f1a-2f4d8c1e7a11"
WS2 = "5d6e7f80-1a2b-4c3d-8e9f-a0b1c2d3e4f5"
AGENT_GUID = "7e1f0c55-2b8e-4c1d-9d8e-0a3b4c5d6e7f"
ACCOUNT = "c1d2e3f4-0000-4111-8222-933344455566"
VERSION = "1.7.5.0"
AW = ("/opt/microsoft/omsconfig/modules/nxOMSAutomationWorker/DSCResources/"
      "MSFT_nxOMSAutomationWorkerResource/automationworker")
DSC_ENDPOINT = ("https://%s.agentsvc.azure-automation.net/Accounts/%s/Nodes(AgentId='%s')"
                % (WS, WS, AGENT_GUID))
SYSTEM_JRDS = "https://eus2-jobruntimedata-prod-su1.azure-automation.net"
USER_JRDS = "https://%s.jrds.eus2.azure-automation.net" % ACCOUNT

UID_OMSAGENT = 998
UID_NXAUTOMATION = 997

OMSADMIN_CONF = """\
WORKSPACE_ID={ws}
AGENT_GUID={agent}
LOG_FACILITY=local0
CERTIFICATE_UPDATE_ENDPOINT=https://{ws}.oms.opinsights.azure.com/ConfigurationService.Svc/RenewCertificate
URL_TLD=opinsights.azure.com
DSC_ENDPOINT={dsc}
OMS_ENDPOINT=https://{ws}.ods.opinsights.azure.com/OperationalData.svc/PostJsonDataItems
AZURE_RESOURCE_ID=
OMSCLOUD_ID=7783-7084-3265-9085-8269-3286-77
UUID=4C4C4544-0000-0000-0000-000000000000
""".format(ws=WS, agent=AGENT_GUID, dsc=DSC_ENDPOINT)

OMS_CONF = """\
[oms-worker-conf]
auto_registered_worker_conf_path = /var/opt/microsoft/omsagent/state/automationworker/worker.conf
manually_registered_worker_conf_path = /home/nxautomation/state/worker.conf

[oms-global]
resource_version = {version}
hybrid_worker_path = {aw}/3.x/worker/hybridworker.py
workspace_id = {ws}
disable_worker_creation = False
""".format(version=VERSION, aw=AW, ws=WS)

SYSTEM_WORKER_CONF = """\
[worker-required]
jrds_cert_path = /etc/opt/microsoft/omsagent/certs/oms.crt
jrds_key_path = /etc/opt/microsoft/omsagent/certs/oms.key
jrds_base_uri = {jrds}
account_id = {account}
machine_id = {agent}
hybrid_worker_group_name = hrw-healthy_{ws}
working_directory_path = /var/opt/microsoft/omsagent/run/automationworker

[worker-optional]
proxy_configuration_path = /etc/opt/microsoft/omsagent/proxy.conf
state_directory_path = /var/opt/microsoft/omsagent/state/automationworker
gpg_public_keyring_path = /etc/opt/omi/conf/omsconfig/keyring.gpg

[oms-metadata]
agent_id = {agent}
workspace_id = {ws}
jrds_cert_thumbprint = 3F2A9B7C1D4E5F60718293A4B5C6D7E8F9012345
""".format(jrds=SYSTEM_JRDS, account=ACCOUNT, agent=AGENT_GUID, ws=WS)

USER_WORKER_CONF = """\
[worker-required]
jrds_cert_path = /home/nxautomation/state/worker_diy.crt
jrds_key_path = /home/nxautomation/state/worker_diy.key
jrds_base_uri = {jrds}
account_id = {account}
machine_id = 11111111-2222-4333-8444-555555555555
hybrid_worker_group_name = diy-group
working_directory_path = /home/nxautomation/run

[worker-optional]
enforce_runbook_signature_validation = false

[metadata]
worker_type = diy
is_azure_vm = False

[registration-metadata]
registration_endpoint = https://eus2-agentservice-prod-1.azure-automation.net/accounts/{account}
workspace_id = {ws}
""".format(jrds=USER_JRDS, account=ACCOUNT, ws=WS)

OMSCONFIG_LOG = """\
2026/11/25 19:00:00: DEBUG: Scripts/nxOMSAutomationWorker.py(100):
Starting Test_Marshall
2026/11/25 19:00:01: INFO: worker manager is running
"""

MANAGER_ARGV = ["python3", AW + "/3.x/worker/main.py",
                "/var/opt/microsoft/omsagent/state/automationworker/oms.conf",
                "rworkspace:" + WS, "rversion:" + VERSION]
SYSTEM_WORKER_ARGV = ["python3", AW + "/3.x/worker/hybridworker.py",
                      "/var/opt/microsoft/omsagent/state/automationworker/worker.conf",
                      "managed", "rworkspace:" + WS, "rversion:" + VERSION]
USER_WORKER_ARGV = ["python3", AW + "/3.x/worker/hybridworker.py",
                    "/home/nxautomation/state/worker.conf",
                    "managed", "rworkspace:" + WS, "rversion:" + VERSION]
OMSAGENT_ARGV = ["/opt/microsoft/omsagent/ruby/bin/ruby", "/opt/microsoft/omsagent/bin/omsagent",
                 "-d", "/var/opt/microsoft/omsagent/%s/run/omsagent.pid" % WS,
                 "-o", "/var/opt/microsoft/omsagent/%s/log/omsagent.log" % WS,
                 "-c", "/etc/opt/microsoft/omsagent/%s/conf/omsagent.conf" % WS,
                 "--no-supervisor"]

#: pid -> (argv, uid) of the healthy host's processes; 1000 sorts before 200 as text.
HEALTHY_PROCESSES = {
    1: (["/sbin/init"], 0),
    2: ([], 0),  # a kernel thread: empty cmdline
    57: (["/usr/sbin/sshd", "-D"], 0),
    200: (OMSAGENT_ARGV, UID_OMSAGENT),
    300: (MANAGER_ARGV, UID_NXAUTOMATION),
    1000: (SYSTEM_WORKER_ARGV, UID_NXAUTOMATION),
    1200: (USER_WORKER_ARGV, UID_NXAUTOMATION),
}


_CERTS = {}


def make_certificate(common_name, not_after, not_before=None):
    """``(pem_bytes, sha1_thumbprint_upper_hex)`` of a self-signed certificate (cached)."""
    key = (common_name, not_after, not_before)
    if key not in _CERTS:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        private = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, common_name),
                          x509.NameAttribute(x509.NameOID.ORGANIZATION_NAME, "Microsoft")])
        cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                .public_key(private.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(not_before or (not_after - datetime.timedelta(days=365)))
                .not_valid_after(not_after).sign(private, hashes.SHA256()))
        _CERTS[key] = (cert.public_bytes(serialization.Encoding.PEM),
                       cert.fingerprint(hashes.SHA1()).hex().upper())
    return _CERTS[key]


def current_mof(ws, updates=True, automation=True, encoding="utf-16"):
    """A Current.mof as omsconfig writes it (UTF-16 with BOM by default)."""
    settings = json.dumps([{"WorkspaceId": ws, "AzureDnsAgentSvcZone": "agentsvc.azure-automation.net",
                            "Solutions": {"Updates": {"Enabled": updates},
                                          "AzureAutomation": {"Enabled": automation}}}], separators=(",", ":"))
    text = ("/*\n@TargetNode='hrw-healthy'\n*/\n\ninstance of MSFT_nxOMSAutomationWorkerResource as "
            "$MSFT_nxOMSAutomationWorkerResource1ref\n{\n ResourceID = \"[nxOMSAutomationWorker]AutoRegister01\";\n"
            " ResourceSettings = \"%s\";\n ModuleName = \"nxOMSAutomationWorker\";\n};\n"
            % settings.replace("\\", "\\\\").replace('"', '\\"'))
    return text.encode(encoding)


#: The certificates of the healthy fake host (valid until these dates).
AGENT_CERT_NOT_AFTER = datetime.datetime(2027, 9, 14, 8, 12, 40)
DIY_CERT_NOT_AFTER = datetime.datetime(2027, 6, 1, 10, 0, 0)


class FakeHost(object):
    """A directory tree laid out as a Linux V1 worker; ``root`` is passed to ``collect``."""

    def __init__(self, root):
        self.root = str(root)

    def path(self, logical):
        return os.path.join(self.root, logical.lstrip("/"))

    def write(self, logical, content, mode=None):
        real = self.path(logical)
        os.makedirs(os.path.dirname(real), exist_ok=True)
        data = content.encode("utf-8") if isinstance(content, str) else content
        with open(real, "wb") as handle:
            handle.write(data)
        if mode is not None:
            os.chmod(real, mode)
        return real

    def mkdir(self, logical):
        os.makedirs(self.path(logical), exist_ok=True)

    def symlink(self, logical, target):
        """A relative symlink (an absolute one would leave the tree)."""
        real = self.path(logical)
        os.makedirs(os.path.dirname(real), exist_ok=True)
        os.symlink(target, real)

    def remove(self, logical):
        real = self.path(logical)
        if os.path.islink(real) or os.path.isfile(real):
            os.remove(real)
        elif os.path.isdir(real):
            shutil.rmtree(real)

    def process(self, pid, argv, uid=0):
        cmdline = b"".join(a.encode("utf-8") + b"\0" for a in argv)
        self.write("/proc/%d/cmdline" % pid, cmdline)
        self.write("/proc/%d/status" % pid,
                   "Name:\tx\nState:\tS (sleeping)\nPid:\t%d\nUid:\t%d\t%d\t%d\t%d\nGid:\t0\t0\t0\t0\n"
                   % (pid, uid, 0, uid, uid))

    def healthy(self, user_worker=True):
        """Write the healthy host (``user_worker=False``: only the system worker)."""
        self.write("/proc/sys/kernel/hostname", "hrw-healthy\n")
        self.write("/etc/machine-id", "5d2a0c6f4e8b4f1a9c3d7e6b2a1f0e9d\n")
        self.write("/proc/meminfo", "MemTotal:       24000000 kB\nMemFree:        1000 kB\n"
                                    "MemAvailable:   23000000 kB\n")
        self.write("/proc/loadavg", "0.10 0.20 0.30 1/123 4567\n")
        self.write("/etc/os-release", 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\n'
                                      'VERSION_ID="12"\nID=debian\n')
        self.write("/etc/passwd", "root:x:0:0:root:/root:/bin/bash\n"
                                  "omsagent:x:%d:%d::/var/opt/microsoft/omsagent/run:/bin/bash\n"
                                  "nxautomation:x:%d:%d::/home/nxautomation/run:/bin/bash\n"
                   % (UID_OMSAGENT, UID_OMSAGENT, UID_NXAUTOMATION, UID_NXAUTOMATION))
        # /etc/opt/microsoft/omsagent/<ws>/{conf,certs} and the symlinks to them
        self.write("/etc/opt/microsoft/omsagent/%s/conf/omsadmin.conf" % WS, OMSADMIN_CONF)
        self.write("/etc/opt/microsoft/omsagent/%s/conf/omsagent.conf" % WS, "# fluentd\n")
        self.write("/etc/opt/microsoft/omsagent/%s/certs/oms.crt" % WS,
                   make_certificate(WS, AGENT_CERT_NOT_AFTER)[0])
        self.write("/etc/opt/microsoft/omsagent/%s/certs/oms.key" % WS, "key\n", mode=0o600)
        self.symlink("/etc/opt/microsoft/omsagent/conf", "%s/conf" % WS)
        self.symlink("/etc/opt/microsoft/omsagent/certs", "%s/certs" % WS)
        # /var/opt/microsoft/omsagent/<ws>/{log,run,state,tmp} and the symlinks to them
        var = "/var/opt/microsoft/omsagent/%s" % WS
        self.write(var + "/log/omsagent.log", "2026-11-25 19:00:00 +0000 [info]: agent started\n")
        self.mkdir(var + "/run/automationworker")
        self.mkdir(var + "/tmp")
        self.write(var + "/state/automationworker/oms.conf", OMS_CONF)
        self.write(var + "/state/automationworker/worker.conf", SYSTEM_WORKER_CONF)
        for name in ("log", "run", "state", "tmp"):
            self.symlink("/var/opt/microsoft/omsagent/%s" % name, "%s/%s" % (WS, name))
        for name in ("omsagent", "service_control", "omsadmin.sh"):
            self.write("/opt/microsoft/omsagent/bin/" + name, "#!/bin/sh\n", mode=0o755)
        self.write("/opt/microsoft/omsconfig/modules/nxOMSAutomationWorker/VERSION", VERSION + "\n")
        for sub in ("worker", "3.x/worker"):
            for name in ("main.py", "hybridworker.py", "configuration.py"):
                self.write("%s/%s/%s" % (AW, sub, name), "# worker\n")
        self.write("/var/opt/microsoft/omsconfig/omsconfig.log", OMSCONFIG_LOG)
        self.write("/etc/opt/omi/conf/omsconfig/configuration/Current.mof", current_mof(WS))
        processes = dict(HEALTHY_PROCESSES)
        if user_worker:
            self.write("/home/nxautomation/state/worker.conf", USER_WORKER_CONF)
            self.write("/home/nxautomation/state/worker_diy.crt",
                       make_certificate("Hybrid Runbook Worker", DIY_CERT_NOT_AFTER)[0])
        else:
            del processes[1200]
        for pid, (argv, uid) in processes.items():
            self.process(pid, argv, uid)
        return self

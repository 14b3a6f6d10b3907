"""Lab of simulated Linux hybrid runbook workers (see README.md).

Only constants live here, so ``python3 -m tests.lab.agent`` inside a lab host stays cheap.
"""
import os

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_STATE_DIR = os.path.join(REPO_ROOT, ".tmp", "lab")

# One workspace for the whole lab; the other one only appears in the worker_other_workspace fault.
WORKSPACE_ID = "5e1ab0c0-de00-4a1b-9c2d-3e4f5a6b7c8d"
OTHER_WORKSPACE_ID = "5e1ab0c0-de00-4a1b-9c2d-0000000000ff"
ACCOUNT_ID = "acc0c0de-0000-4b2c-8d3e-4f5a6b7c8d9e"     # the Automation account
ACCOUNT_REGION = "westeurope"                           # its region (moniker we)
WORKER_VERSION = "1.7.5.0"
JRDS_BASE_URI = "https://we-jobruntimedata-prod-su1.azure-automation.net"
REGISTRATION_ENDPOINT = "https://we-agentservice-prod-1.azure-automation.net/accounts/" + ACCOUNT_ID
# The account's primary access key (64 bytes in base64, as the Keys page shows one). The fake
# registration endpoint (tests/lab/registration.py) checks the Shared-key signature against it.
# Never written into the state dir or the inventory: the secrets tests search both for it.
ACCOUNT_KEY = "M5+zx2uFEslkaHx4s4Gpr0CnD3aSLxy5Ga4U87tV0d2tTcJfAdZM1+x5ZnmRneP6lliWPaXvddnZBCtxHC373g=="
ACCOUNT_KEYS = {ACCOUNT_ID: ACCOUNT_KEY}
# The user (DIY) worker group every lab host's worker.conf names.
WORKER_GROUP = "lab-linux-group"
# The apt repository of every host (its /etc/hosts maps it to a lab address; the ok server's
# certificate names it), and the regions the inventory gives (a supported linked pair).
REPO_HOST = "archive.lab.invalid"
ACCOUNT_REGION = "westeurope"
WORKSPACE_REGION = "westeurope"


def host_ip(net, index):
    """Host number ``index`` (1-based) of lab network ``net``: 127.<net>.1.<index>."""
    return "127.%d.1.%d" % (net, index)


def endpoint_ips(net):
    """The Azure endpoint and proxy addresses of lab network ``net`` (all in the root namespace)."""
    return {"ok": "127.%d.2.1" % net, "refused": "127.%d.2.2" % net, "blackhole": "127.%d.2.3" % net,
            "proxy": "127.%d.2.4" % net, "mitm": "127.%d.2.5" % net}


#: Port of the lab's HTTP proxies (a working CONNECT proxy and a TLS-intercepting one).
PROXY_PORT = 3128
#: Credentials in a proxied host's proxy.conf; both lab proxies require them (407 otherwise).
PROXY_USER, PROXY_PASSWORD = "hrw-proxy", "Lab-Proxy-Pw1"

#: Where a lab host sees the checkout (hostinit.sh bind-mounts it there).
HOST_REPO_DIR = "/run/hrw-lab/repo"
#: The lab's fake OMS agent bundle (issue 5): in the checkout, and as every lab host sees it (the
#: path to give hrw_repair's ``installer`` option or reinstall_agent's ``params.installer``).
INSTALLER = os.path.join(REPO_ROOT, "tests", "lab", "omsagent-lab.universal.x64.sh")
INSTALLER_PATH = HOST_REPO_DIR + "/tests/lab/omsagent-lab.universal.x64.sh"

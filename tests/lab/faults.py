"""Faults of the lab: each is a small, declared change to the healthy host.

A fault names what differs from ``healthy`` and nothing else, so a host shows exactly one
problem. ``expected_failed`` is the set of RuleIds a correct diagnosis must report as
``Failed`` on that host (the lead's integration test reads it); a rule not listed must not
fail there. ``scenario`` is the seed scenario it reproduces (file#anchor).
"""
import dataclasses
from dataclasses import dataclass

from . import OTHER_WORKSPACE_ID

SEED = "hybrid-runbook-worker-troubleshoot.md"
SEED_403 = "hybrid-runbook-worker-troubleshoot.ko.md#error-403-on-registration"
UM_SEED = "update-management-troubleshoot.md#scenario-update-run-returns-failed-status-linux"
UML = "official-troubleshooters.md#2-linux-troubleshooter-uml-update-management--system-hrw-oms-agent-v1"
CONNECTIVITY = frozenset({
    "Linux.AgentServiceConnectivityCheck",
    "Linux.JRDSConnectivityCheck",
    "Linux.LogAnalyticsConnectivityCheck1",
    "Linux.LogAnalyticsConnectivityCheck2",
    # issue 3 (network): Microsoft's internet check (bing.com) and the user worker's JRDS are
    # mapped to the same address as the other Azure names
    "Linux.InternetConnectionCheck",
    "Linux.UserWorkerJRDSConnectivityCheck",
})
NETWORK = "official-troubleshooters.md#2 Linux.ProxyCheck; automation-network-configuration"
CLONE_SCENARIO = "update-management-troubleshoot.md#components-enabled-not-working"

# A realistic omsconfig.log error (shape taken from OMS-Agent-for-Linux issue #646).
CLASS_MISSING_LINES = (
    "{ts}: ERROR: null(0): EventId=1 Priority=ERROR Job 3F0E8A51-7C2D-4B9E-A1F6-0D5C2E9B8A47 :",
    "This event indicates that failure happens when LCM is processing the configuration. "
    "ErrorId is 5. ErrorDetail is The SendConfigurationApply function did not succeed.. "
    "ResourceId is [nxOMSAutomationWorker]AutoRegister01 and SourceInfo is "
    "C:\\temp\\MicrosoftOperationsManagementLinuxConfiguration.ps1::112::1::nxOMSAutomationWorker. "
    "ErrorMessage is The specified class does not exist..",
)

# Recent worker.log errors (the worker's own log format: "<ts> - <LEVEL> - <message>").
WORKER_LOG_ERRORS = (
    "{ts} - ERROR - [jrds] Request to https://we-jobruntimedata-prod-su1.azure-automation.net/automationAccounts/"
    "acc0c0de-0000-4b2c-8d3e-4f5a6b7c8d9e/Sandboxes/GetSandboxActions failed: 401 Unauthorized",
    "{ts} - ERROR - [worker] Traceback (most recent call last):",
    "{ts} - ERROR - [worker] ssl.SSLError: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed",
)


@dataclass(frozen=True)
class Fault:
    name: str
    description: str
    scenario: str
    expected_failed: frozenset = frozenset()
    # Which Azure endpoint address the host's /etc/hosts points the Azure names at:
    # "ok" (TLS server), "refused" (nothing listens) or "blackhole" (SYNs dropped).
    endpoints: str = "ok"
    # Processes that are not running (omsagent | manager | system_worker | user_worker).
    # omsagent is started and then stopped with service_control stop, as an admin would.
    stopped: frozenset = frozenset()
    # Lines appended to /var/opt/microsoft/omsconfig/omsconfig.log ({ts} = a timestamp).
    omsconfig_log: tuple = ()
    # Workspace the worker manager and workers run for (rworkspace:), None = the host's own.
    worker_workspace: str = None
    # Named changes to the prerequisites (issue 3, applied by agent.py): second_workspace,
    # no_worker_package, no_sudoers_dropin, requiretty, home_root_755, keyring_unreadable,
    # python3_hidden (the host's inventory then uses the real python3.N).
    prereqs: frozenset = frozenset()
    # Changes to the worker's files and processes, as (key, value) pairs (agent.prepare/boot):
    # updates_enabled, mof_encoding, oms_conf_workspace, system_worker_conf (False: absent),
    # rotate_agent_cert, diy_cert_expired, worker_user, worker_log (lines, {ts} = a timestamp).
    worker_changes: tuple = ()
    # --- issue 3 (system)
    # /etc/os-release: (ID, VERSION_ID, PRETTY_NAME); every host is a supported OS by default.
    os_release: tuple = ("ubuntu", "22.04", "Ubuntu 22.04.4 LTS")
    # Where the apt repository name (REPO_HOST) points: "ok" (the TLS server) or "refused".
    repos: str = "ok"
    # The workspace the whole agent is onboarded to (consistently), None = WORKSPACE_ID.
    workspace: str = None
    # Inventory host vars for this host, ((name, value), ...), over the lab's group vars.
    host_vars: tuple = ()
    # Number of CPUs the host's sshd (and so the collector) may run on (affinity), None = all.
    cpus: int = None
    # MemTotal (kB) the host's /proc/meminfo shows (a file bind-mounted over it), None = the machine's.
    memory_kb: int = None
    # The 1/5/15-minute load averages the host's /proc/loadavg shows (a file bind-mounted over
    # it): each lab host is a machine of its own, so it does not show the load of the one lab
    # machine that runs every host and the controller. None = the machine's.
    load: tuple = (0.15, 0.10, 0.05)
    # libfaketime offset of every process of the host (/etc/ld.so.preload + /etc/faketimerc).
    clock_offset: str = None
    # A process of the host holds the dpkg frontend lock (fcntl), as a running apt would.
    dpkg_locked: bool = False
    # proxy.conf of the agent points at this lab address ("proxy": the working CONNECT proxy,
    # "mitm": the TLS-intercepting one, "refused": nothing listens); None = no proxy.conf.
    # With "proxy" the Azure names resolve to the refused address: only the proxy path works.
    proxy: str = None
    # The inventory gives the Automation account id and region, and /etc/hosts maps the
    # account-specific records <account>.{agentsvc,jrds}.we.azure-automation.net.
    account_records: bool = False
    # --- issue 7 (fleet)
    # The disk image the host was cloned from without generalising it (no sysprep, no
    # "omsadmin.sh -X" / "onboard_agent.sh --purge" before the copy). Hosts of one image share
    # /etc/machine-id, AGENT_GUID, oms.crt, the user worker's certificate and both worker.conf
    # machine_ids; their hostnames and SMBIOS UUIDs stay their own (the hypervisor gives new
    # ones). None = the host's own identity, derived from its name.
    image: str = None
    # --- issue 5 (repair)
    # (owner, mode) of proxy.conf instead of omsagent:omiusers 0640; with it the Azure names
    # resolve to the ok server too, so the wrong owner/mode is the host's only problem.
    proxy_conf_mode: tuple = None
    # The repair actions hrw_repair's `auto` is expected to apply on this host (empty: nothing
    # here is repairable by a non-destructive action), in the order the planner runs them.
    repair_actions: tuple = ()
    # RuleIds still Failed after the `auto` repair (with the lab installer given as `installer`).
    # Not given: expected_failed when repair_actions is empty, else frozenset() (__post_init__).
    after_repair: frozenset = None

    def __post_init__(self):
        if self.after_repair is None:
            object.__setattr__(self, "after_repair", frozenset() if self.repair_actions else self.expected_failed)

    @property
    def hostname(self):
        return "hrw-" + self.name.replace("_", "-")


_ALL = [
    Fault("healthy", "A registered V1 hybrid worker with nothing wrong.", SEED + "#linux"),
    Fault("agent_stopped", "The OMS agent (omsagent) is not running; the workers are.",
          SEED + "#oms-agent-not-running",
          frozenset({"Linux.OMSAgentStatusCheck"}), stopped=frozenset({"omsagent"}),
          repair_actions=("restart_agent",)),
    Fault("worker_missing", "The worker manager runs but no hybridworker.py process does.",
          SEED + "#oms-agent-not-running",
          frozenset({"Linux.HybridWorkerStatusCheck", "Linux.UserWorkerProcessCheck"}),
          stopped=frozenset({"system_worker", "user_worker"}), repair_actions=("restart_worker_manager",)),
    # The resource's class (its schema.mof) is gone, so every consistency check fails with the
    # error again until the agent is reinstalled (the lab installer restores it): reinstall_agent.
    Fault("class_missing", "omsconfig.log reports 'The specified class does not exist'.",
          SEED + "#class-does-not-exist",
          frozenset({"Linux.OMSConfigClassCheck"}), omsconfig_log=CLASS_MISSING_LINES,
          prereqs=frozenset({"no_resource_class"}), repair_actions=("reinstall_agent",)),
    Fault("endpoints_refused", "The Azure names resolve to an address where nothing listens.",
          UML, CONNECTIVITY, endpoints="refused"),
    Fault("endpoints_blackholed", "Connections to the Azure names are silently dropped.",
          UML, CONNECTIVITY, endpoints="blackhole"),
    Fault("worker_other_workspace",
          "The worker manager and workers run for another workspace (stale multi-homing).",
          SEED + "#oms-agent-not-running",
          frozenset({"Linux.HybridWorkerStatusCheck", "Linux.UserWorkerProcessCheck"}),
          worker_workspace=OTHER_WORKSPACE_ID, repair_actions=("restart_worker_manager",)),
    # --- issue 3: operating system, hardware, 403, package manager (system)
    Fault("os_unsupported", "Ubuntu 24.04: a known distribution in a version the Log Analytics agent does not support.",
          UML + " (Linux.OperatingSystemCheck)",
          frozenset({"Linux.OperatingSystemCheck"}), os_release=("ubuntu", "24.04", "Ubuntu 24.04.1 LTS")),
    Fault("busy", "The worker's two cores are overloaded (5-minute load average 6.8).",
          SEED + "#runbook-execution-fails", frozenset(), cpus=2, load=(7.5, 6.8, 6.0)),
    Fault("low_resources", "The worker may use one CPU core only (affinity of its sshd) and has 2 GB of memory.",
          SEED + "#runbook-execution-fails",
          frozenset({"Linux.HardwareCheck"}), cpus=1, memory_kb=2 * 1024 * 1024),
    # ahead, not behind: behind, the lab's freshly made certificates would not be valid yet on the host
    Fault("clock_skewed", "The host clock is 20 minutes ahead (libfaketime for the host's new processes).",
          SEED_403, frozenset({"Linux.ClockSkewCheck"}), clock_offset="+20m"),
    Fault("wrong_workspace", "The agent is onboarded (consistently) to another workspace than the expected one.",
          SEED_403, frozenset({"Linux.WorkspaceIdCheck"}), workspace=OTHER_WORKSPACE_ID),
    Fault("region_mismatch", "The Automation account and the workspace are in regions that cannot be linked.",
          SEED_403, frozenset({"Linux.RegionMappingCheck"}),
          host_vars=(("hrw_diagnose_workspace_region", "northeurope"),)),
    Fault("apt_locked", "Another process holds the dpkg lock (an apt run in progress).",
          UM_SEED, frozenset({"Linux.PackageManagerCheck"}), dpkg_locked=True),
    Fault("repos_unreachable", "The apt repository host resolves to an address where nothing listens.",
          UML + " (Linux.ReposAccessCheck)", frozenset({"Linux.ReposAccessCheck"}), repos="refused"),

    # --- issue 3: prerequisites, multihoming, worker package (prereqs)
    Fault("two_workspaces",
          "The agent also has the directories and omsadmin.conf of a second workspace (multihoming).",
          UML + " Linux.MultiHomingCheck",
          frozenset({"Linux.MultiHomingCheck"}), prereqs=frozenset({"second_workspace"})),
    Fault("worker_package_missing",
          "nxOMSAutomationWorker was never installed: no VERSION, no worker trees, no worker processes.",
          SEED + "#linux",
          frozenset({"Linux.HybridWorkerPackgeCheck", "Linux.HybridWorkerStatusCheck",
                     "Linux.UserWorkerProcessCheck"}),
          stopped=frozenset({"manager", "system_worker", "user_worker"}),
          prereqs=frozenset({"no_worker_package"})),
    Fault("sudoers_missing", "/etc/sudoers.d/omsagent is gone (and no block in /etc/sudoers).",
          "official-troubleshooters.md#4.2 Prerequisites",
          frozenset({"Linux.SudoersCheck"}), prereqs=frozenset({"no_sudoers_dropin"}),
          repair_actions=("repair_prerequisites",)),
    Fault("requiretty",
          "sudo has 'Defaults requiretty' and the omsagent drop-in lacks 'Defaults:nxautomation !requiretty'.",
          "official-troubleshooters.md#4.2 Prerequisites",
          frozenset({"Linux.SudoersCheck"}), prereqs=frozenset({"requiretty"}),
          repair_actions=("repair_prerequisites",)),
    Fault("nxautomation_home_wrong", "/home/nxautomation is root:root, mode 0755.",
          "official-troubleshooters.md#4.2 DIY (user) worker registration",
          frozenset({"Linux.NxautomationHomeCheck"}), prereqs=frozenset({"home_root_755"}),
          repair_actions=("repair_prerequisites",)),
    Fault("gpg_keyring_unreadable",
          "Runbook signature validation is on for the user worker and keyring.gpg is root:root, mode 0600.",
          SEED + "#linux",
          frozenset({"Linux.GpgCheck"}), prereqs=frozenset({"keyring_unreadable"}),
          repair_actions=("repair_prerequisites",)),
    Fault("python3_missing", "/usr/bin/python3 does not exist (the worker processes started before).",
          "official-troubleshooters.md#4.2 System worker",
          frozenset({"Linux.Python3Check"}), prereqs=frozenset({"python3_hidden"})),

    # --- issue 3: system and user worker, logs (worker)
    Fault("updates_disabled", "Current.mof (UTF-8 here) has Solutions.Updates.Enabled false.",
          UML + " (Linux.HybridWorkerStatusCheck.Failed.UpdateDeploymentDisabled)",
          frozenset({"Linux.UpdatesSolutionCheck"}),
          worker_changes=(("updates_enabled", False), ("mof_encoding", "utf-8"))),
    Fault("oms_conf_mismatch", "oms.conf names another workspace than the agent's.",
          UML + " (Test_Marshall: oms.conf keys)",
          frozenset({"Linux.OmsConfCheck"}),
          worker_changes=(("oms_conf_workspace", OTHER_WORKSPACE_ID),),
          # the DSC consistency check after the restart rewrites oms.conf (as nxOMSAutomationWorker does)
          repair_actions=("restart_agent",)),
    Fault("system_worker_conf_missing", "The auto-registered (system) worker.conf is missing.",
          UML + " (Test_Marshall: auto-registered worker.conf)",
          frozenset({"Linux.SystemWorkerConfCheck"}),
          worker_changes=(("system_worker_conf", False),)),
    Fault("certificate_rotated", "oms.crt was renewed after the system worker registered; worker.conf keeps "
          "the old jrds_cert_thumbprint.", UML + " (Test_Marshall: jrds_cert_thumbprint)",
          frozenset({"Linux.WorkerCertificateThumbprintCheck"}),
          worker_changes=(("rotate_agent_cert", True),)),
    Fault("user_worker_cert_expired", "The user (DIY) worker's certificate expired yesterday.",
          "official-troubleshooters.md#42-v1-linux-oms-agent--nxomsautomationworker",
          frozenset({"Linux.UserWorkerCertificateCheck"}),
          worker_changes=(("diy_cert_expired", True),)),
    Fault("user_worker_not_running", "A user (DIY) worker is registered but its process is not running.",
          SEED + "#oms-agent-not-running",
          frozenset({"Linux.UserWorkerProcessCheck"}), stopped=frozenset({"user_worker"}),
          repair_actions=("restart_worker_manager",)),
    Fault("worker_as_root", "The worker manager and workers run as root instead of nxautomation.",
          SEED + "#oms-agent-not-running",
          frozenset({"Linux.HybridWorkerStatusCheck", "Linux.UserWorkerProcessCheck"}),
          worker_changes=(("worker_user", "root"),), repair_actions=("restart_worker_manager",)),
    Fault("worker_log_errors", "worker.log has recent errors (a warning, nothing fails).",
          SEED + "#linux", frozenset(),
          worker_changes=(("worker_log", WORKER_LOG_ERRORS),)),

    # --- issue 3: proxy, endpoints per cloud/region, IMDS (network)
    Fault("proxy_ok", "The agent uses a working HTTP proxy (with credentials); the Azure names are "
          "reachable only through it.", NETWORK, proxy="proxy"),
    Fault("proxy_dead", "proxy.conf points at an address where nothing listens (the Azure names work "
          "directly, but the agent uses its proxy).", NETWORK,
          CONNECTIVITY | {"Linux.ProxyCheck"}, proxy="refused"),
    Fault("proxy_intercepting", "proxy.conf points at a proxy that intercepts TLS with a certificate "
          "from a CA the host does not trust.", SEED + "#event-4502; "
          + NETWORK, CONNECTIVITY | {"Linux.ProxyCheck"}, proxy="mitm"),
    Fault("proxy_conf_mode", "proxy.conf (with the proxy's password) is root:root 0600, so omsagent cannot read "
          "it and the agent ignores its proxy.", NETWORK, frozenset({"Linux.ProxyCheck"}), proxy="proxy",
          proxy_conf_mode=("root:root", 0o600), repair_actions=("fix_proxy_conf",)),
    Fault("account_records", "The Automation account id and region are given; the account-specific "
          "records resolve and answer.", "official-troubleshooters.md#5-endpoints-all-tcp-443-outbound",
          account_records=True),

    # --- issue 7: a pair of hosts cloned from one image. Each host on its own is healthy (no
    # per-host rule can see a clone); only the fleet rule Fleet.ClonedMachineCheck, which
    # compares the hosts, catches them.
    Fault("cloned_a", "Cloned from the image 'golden' without generalising it: the same machine id, AGENT_GUID, "
          "agent certificate and user worker certificate as cloned_b. Healthy on its own; the fleet rule "
          "Fleet.ClonedMachineCheck catches the pair.", CLONE_SCENARIO, image="golden"),
    Fault("cloned_b", "Cloned from the image 'golden' without generalising it: the same machine id, AGENT_GUID, "
          "agent certificate and user worker certificate as cloned_a. Healthy on its own; the fleet rule "
          "Fleet.ClonedMachineCheck catches the pair.", CLONE_SCENARIO, image="golden"),
]

FAULTS = {f.name: f for f in _ALL}


def fault_of(name):
    """The Fault of lab host ``name``: a fault's name, or ``<fault>-<n>`` (n >= 2), one more host
    with that fault (the benchmark's fleets of many hosts); its hostname is ``hrw-<fault>-<n>``."""
    if name in FAULTS:
        return FAULTS[name]
    base, sep, number = name.rpartition("-")
    if sep and number.isdigit() and int(number) >= 2 and base in FAULTS:
        return dataclasses.replace(FAULTS[base], name=name)
    raise KeyError(name)


def is_fault_host(name):
    """True if ``name`` is a valid lab host name (see ``fault_of``)."""
    try:
        fault_of(name)
    except KeyError:
        return False
    return True

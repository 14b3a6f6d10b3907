"""Faults of the lab: each is a small, declared change to the healthy host.

A fault names what differs from ``healthy`` and nothing else, so a host shows exactly one
problem. ``expected_failed`` is the set of RuleIds a correct diagnosis must report as
``Failed`` on that host (the lead's integration test reads it); a rule not listed must not
fail there. ``scenario`` is the seed scenario it reproduces (file#anchor).
"""
from dataclasses import dataclass

from . import OTHER_WORKSPACE_ID

SEED = "hybrid-runbook-worker-troubleshoot.md"
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

# A realistic omsconfig.log error (shape taken from OMS-Agent-for-Linux issue #646).
CLASS_MISSING_LINES = (
    "{ts}: ERROR: null(0): EventId=1 Priority=ERROR Job 3F0E8A51-7C2D-4B9E-A1F6-0D5C2E9B8A47 :",
    "This event indicates that failure happens when LCM is processing the configuration. "
    "ErrorId is 5. ErrorDetail is The SendConfigurationApply function did not succeed.. "
    "ResourceId is [nxOMSAutomationWorker]AutoRegister01 and SourceInfo is "
    "C:\\temp\\MicrosoftOperationsManagementLinuxConfiguration.ps1::112::1::nxOMSAutomationWorker. "
    "ErrorMessage is The specified class does not exist..",
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
    # proxy.conf of the agent points at this lab address ("proxy": the working CONNECT proxy,
    # "mitm": the TLS-intercepting one, "refused": nothing listens); None = no proxy.conf.
    # With "proxy" the Azure names resolve to the refused address: only the proxy path works.
    proxy: str = None
    # The inventory gives the Automation account id and region, and /etc/hosts maps the
    # account-specific records <account>.{agentsvc,jrds}.we.azure-automation.net.
    account_records: bool = False

    @property
    def hostname(self):
        return "hrw-" + self.name.replace("_", "-")


_ALL = [
    Fault("healthy", "A registered V1 hybrid worker with nothing wrong.", SEED + "#linux"),
    Fault("agent_stopped", "The OMS agent (omsagent) is not running; the workers are.",
          SEED + "#oms-agent-not-running",
          frozenset({"Linux.OMSAgentStatusCheck"}), stopped=frozenset({"omsagent"})),
    Fault("worker_missing", "The worker manager runs but no hybridworker.py process does.",
          SEED + "#oms-agent-not-running",
          frozenset({"Linux.HybridWorkerStatusCheck"}),
          stopped=frozenset({"system_worker", "user_worker"})),
    Fault("class_missing", "omsconfig.log reports 'The specified class does not exist'.",
          SEED + "#class-does-not-exist",
          frozenset({"Linux.OMSConfigClassCheck"}), omsconfig_log=CLASS_MISSING_LINES),
    Fault("endpoints_refused", "The Azure names resolve to an address where nothing listens.",
          UML, CONNECTIVITY, endpoints="refused"),
    Fault("endpoints_blackholed", "Connections to the Azure names are silently dropped.",
          UML, CONNECTIVITY, endpoints="blackhole"),
    Fault("worker_other_workspace",
          "The worker manager and workers run for another workspace (stale multi-homing).",
          SEED + "#oms-agent-not-running",
          frozenset({"Linux.HybridWorkerStatusCheck"}),
          worker_workspace=OTHER_WORKSPACE_ID),
    # --- issue 3: operating system, hardware, 403, package manager (system)

    # --- issue 3: prerequisites, multihoming, worker package (prereqs)

    # --- issue 3: system and user worker, logs (worker)

    # --- issue 3: proxy, endpoints per cloud/region, IMDS (network)
    Fault("proxy_ok", "The agent uses a working HTTP proxy (with credentials); the Azure names are "
          "reachable only through it.", NETWORK, proxy="proxy"),
    Fault("proxy_dead", "proxy.conf points at an address where nothing listens (the Azure names work "
          "directly, but the agent uses its proxy).", NETWORK,
          CONNECTIVITY | {"Linux.ProxyCheck"}, proxy="refused"),
    Fault("proxy_intercepting", "proxy.conf points at a proxy that intercepts TLS with a certificate "
          "from a CA the host does not trust.", SEED + "#event-4502; "
          + NETWORK, CONNECTIVITY | {"Linux.ProxyCheck"}, proxy="mitm"),
    Fault("account_records", "The Automation account id and region are given; the account-specific "
          "records resolve and answer.", "official-troubleshooters.md#5-endpoints-all-tcp-443-outbound",
          account_records=True),

]

FAULTS = {f.name: f for f in _ALL}

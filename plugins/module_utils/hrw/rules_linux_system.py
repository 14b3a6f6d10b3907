# -*- coding: utf-8 -*-
# Copyright: (c) azure_hrw.doctor contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Linux rules: operating system, hardware, clock and registration (403), package manager.

Pure rules over the facts document (DESIGN §2): stdlib only, Python 3.8 syntax, no I/O.
They read ``host`` (os, memory, load, utc_now), ``agent.workspace_id`` and the ``system``
section (ADR 0001), and the context the action plugin passes (``controller_utc``,
``probe_endpoints``, ``expected_workspace_id``, ``automation_account_region``,
``workspace_region``).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw import regions
from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw.clock import (
    CLOCK_FAIL_SECONDS,
    CLOCK_WARN_SECONDS,
    parse_utc as _parse_utc,
)
from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw.finding import (
    CONNECTIVITY,
    PREREQUISITES,
    REGISTRATION,
    SERVICEHEALTH,
    Rule,
    failed,
    information,
    passed,
    remediation,
    skipped,
    warning,
)
from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw.rules_linux import (
    GENERATION,
    OFFICIAL,
    PLATFORM,
    SEED,
)

SEED_403 = "hybrid-runbook-worker-troubleshoot.ko.md#error-403-on-registration"
UM_SEED = "update-management-troubleshoot.md#scenario-update-run-returns-failed-status-linux"
OS_LINK = ("https://learn.microsoft.com/azure/azure-monitor/agents/agents-overview"
           "#supported-operating-systems")

#: The Log Analytics agent for Linux (OMS agent) supported distributions, from Microsoft
#: Learn "Azure Monitor agent overview / supported operating systems" as it stood when the
#: agent was retired (August 2024): os-release ID -> supported versions. Ubuntu versions are
#: matched as major.minor, every other distribution by its major version.
SUPPORTED_OS = {
    "ubuntu": ("16.04", "18.04", "20.04", "22.04"),
    "debian": ("9", "10", "11"),
    "rhel": ("7", "8"),
    "centos": ("7", "8"),
    "ol": ("7", "8"),
    "almalinux": ("8",),
    "rocky": ("8",),
    "sles": ("12", "15"),
    "sles_sap": ("12", "15"),
    "opensuse-leap": ("15",),
    "amzn": ("2",),
    "mariner": ("2",),
}

#: Hybrid Runbook Worker minimum hardware (Microsoft's Hybrid Runbook Worker requirements:
#: two cores, 4 GB of RAM; the seed's "does not meet the minimum hardware requirements"). A 4 GB machine shows a little less in MemTotal
#: (the kernel keeps its own part), so the memory floor is 3.8 million kB.
MIN_CORES = 2
MIN_MEMORY_KB = 3800000
#: Pressure: 5-minute load average per usable core, and available memory.
LOAD_PER_CORE_WARN = 1.5
AVAILABLE_MEMORY_WARN_KB = 512 * 1024
AVAILABLE_MEMORY_WARN_RATIO = 0.10
#: Clock: CLOCK_FAIL_SECONDS (15 minutes, seed 403 scenario) and CLOCK_WARN_SECONDS (5) come
#: from clock.py, shared with the Windows clock rule.


# --------------------------------------------------------------------------- helpers

def _dict(value):
    return value if isinstance(value, dict) else {}


def _host(facts):
    return _dict(_dict(facts).get("host"))


def _system(facts):
    value = _dict(facts).get("system")
    return value if isinstance(value, dict) else None


def _number(value):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return value


def _usable_cores(facts):
    system = _system(facts) or {}
    cpu = _dict(system.get("cpu"))
    usable = _number(cpu.get("usable"))
    if usable is not None:
        return usable, "system.cpu.usable"
    count = _number(_host(facts).get("cpu_count"))
    return count, ("host.cpu_count" if count is not None else None)


# --------------------------------------------------------------------------- prerequisites

def check_operating_system(facts, context):
    os_info = _dict(_host(facts).get("os"))
    distro = os_info.get("id")
    version = os_info.get("version_id")
    pretty = os_info.get("pretty_name")
    evidence = {"id": distro, "version_id": version, "pretty_name": pretty, "source": "/etc/os-release"}
    if not isinstance(distro, str) or not distro.strip():
        return skipped("FactsMissing", "Not checked: the collector could not read the distribution "
                       "(/etc/os-release).", evidence=evidence)
    distro = distro.strip().lower()
    name = pretty or distro
    supported = SUPPORTED_OS.get(distro)
    if supported is None:
        evidence["supported"] = SUPPORTED_OS
        return warning("UnknownDistribution",
                       "%s is not a distribution the Log Analytics agent for Linux lists; it may work, but "
                       "Microsoft does not support it. See %s." % (name, OS_LINK),
                       arguments=[name, OS_LINK], evidence=evidence)
    evidence["supported_versions"] = list(supported)
    if not isinstance(version, str) or not version.strip():
        return warning("UnknownVersion",
                       "%s: the version could not be read; supported versions are %s." % (name, ", ".join(supported)),
                       arguments=[name, OS_LINK], evidence=evidence)
    parts = version.strip().split(".")
    key = ".".join(parts[:2]) if distro == "ubuntu" else parts[0]
    if key in supported:
        return passed("%s is supported by the Log Analytics agent for Linux." % name,
                      arguments=[name], evidence=evidence)
    return failed(None,
                  "%s is not supported by the Log Analytics agent for Linux (supported %s versions: %s). "
                  "See %s." % (name, distro, ", ".join(supported), OS_LINK),
                  arguments=[name, OS_LINK], evidence=evidence)


def check_hardware(facts, context):
    cores, core_source = _usable_cores(facts)
    memory = _dict(_host(facts).get("memory"))
    total_kb = _number(memory.get("total_kb"))
    evidence = {"usable_cores": cores, "cores_from": core_source, "memory_total_kb": total_kb,
                "minimum": {"cores": MIN_CORES, "memory_total_kb": MIN_MEMORY_KB}}
    if cores is None or total_kb is None:
        return skipped("FactsMissing", "Not checked: the collector could not read the CPU count or "
                       "/proc/meminfo.", evidence=evidence)
    short = []
    if cores < MIN_CORES:
        short.append("%d usable CPU core(s), at least %d needed" % (cores, MIN_CORES))
    if total_kb < MIN_MEMORY_KB:
        short.append("%.1f GB of memory, 4 GB needed" % (total_kb / 1024.0 / 1024.0))
    if short:
        return failed(None, "The host is below the Hybrid Runbook Worker minimum: %s." % "; ".join(short),
                      arguments=[cores, "%.1f GB" % (total_kb / 1024.0 / 1024.0)], evidence=evidence)
    return passed("%d usable CPU cores and %.1f GB of memory meet the minimum (2 cores, 4 GB)."
                  % (cores, total_kb / 1024.0 / 1024.0),
                  arguments=[cores, "%.1f GB" % (total_kb / 1024.0 / 1024.0)], evidence=evidence)


def check_resource_pressure(facts, context):
    cores, _source = _usable_cores(facts)
    host = _host(facts)
    load = host.get("load")
    memory = _dict(host.get("memory"))
    total_kb = _number(memory.get("total_kb"))
    available_kb = _number(memory.get("available_kb"))
    load5 = _number(load[1]) if isinstance(load, list) and len(load) >= 2 else None
    evidence = {"load": load, "usable_cores": cores, "memory_total_kb": total_kb,
                "memory_available_kb": available_kb,
                "thresholds": {"load_per_core": LOAD_PER_CORE_WARN, "available_kb": AVAILABLE_MEMORY_WARN_KB,
                               "available_ratio": AVAILABLE_MEMORY_WARN_RATIO}}
    if not cores or load5 is None or total_kb is None or available_kb is None:
        return skipped("FactsMissing", "Not checked: the collector could not read the load average, the "
                       "CPU count or the available memory.", evidence=evidence)
    per_core = load5 / float(cores)
    evidence["load5_per_core"] = round(per_core, 2)
    high_load = per_core > LOAD_PER_CORE_WARN
    low_memory = (available_kb < AVAILABLE_MEMORY_WARN_KB
                  or available_kb < AVAILABLE_MEMORY_WARN_RATIO * total_kb)
    text_load = "5-minute load %.2f per core" % per_core
    text_mem = "%d MB of memory available" % (available_kb // 1024)
    if high_load and low_memory:
        reason = "HighLoadAndLowMemory"
    elif high_load:
        reason = "HighLoad"
    elif low_memory:
        reason = "LowMemory"
    else:
        return passed("No CPU or memory pressure: %s, %s." % (text_load, text_mem),
                      arguments=["%.2f" % per_core, available_kb // 1024], evidence=evidence)
    return warning(reason, "The host is under pressure (%s, %s); jobs may be slow or be stopped. Find "
                   "what uses the CPU or memory, or give the worker more." % (text_load, text_mem),
                   arguments=["%.2f" % per_core, available_kb // 1024], evidence=evidence)


# --------------------------------------------------------------------------- registration (403)

def check_workspace_id(facts, context):
    expected = (context or {}).get("expected_workspace_id")
    agent = _dict(facts).get("agent")
    actual = _dict(agent).get("workspace_id")
    evidence = {"expected_workspace_id": expected, "workspace_id": actual,
                "source": "/etc/opt/microsoft/omsagent/conf/omsadmin.conf WORKSPACE_ID"}
    if not expected:
        return skipped("NotApplicable", "Not checked: no expected_workspace_id was given to compare with.",
                       evidence=evidence)
    if not isinstance(agent, dict):
        return skipped("FactsMissing", "Not checked: the facts hold no agent section.", evidence=evidence)
    if not actual:
        return failed("NoWorkspace", "The agent reports to no workspace (omsadmin.conf has no WORKSPACE_ID); "
                      "expected %s." % expected, arguments=[expected, ""], evidence=evidence)
    if actual.strip().lower() == expected.strip().lower():
        return passed("The agent reports to the expected workspace %s." % actual, arguments=[actual],
                      evidence=evidence)
    return failed(None, "The agent reports to workspace %s, not to the expected %s: registration answers "
                  "403 Forbidden. Onboard the agent to the right workspace." % (actual, expected),
                  arguments=[expected, actual], evidence=evidence)


def check_clock_skew(facts, context):
    controller_text = (context or {}).get("controller_utc")
    host_text = _host(facts).get("utc_now")
    evidence = {"host_utc": host_text, "controller_utc": controller_text,
                "fail_after_seconds": CLOCK_FAIL_SECONDS, "warn_after_seconds": CLOCK_WARN_SECONDS}
    controller = _parse_utc(controller_text)
    if controller is None:
        return skipped("NoControllerTime", "Not checked: no controller time to compare with (offline use).",
                       evidence=evidence)
    host = _parse_utc(host_text)
    if host is None:
        return skipped("FactsMissing", "Not checked: the facts hold no host time (host.utc_now).",
                       evidence=evidence)
    skew = (host - controller).total_seconds()
    evidence["skew_seconds"] = int(skew)
    direction = "ahead of" if skew > 0 else "behind"
    minutes = abs(skew) / 60.0
    if abs(skew) > CLOCK_FAIL_SECONDS:
        return failed(None, "The host clock is %.1f minutes %s the controller's: beyond 15 minutes the "
                      "registration fails with 403. Synchronise the clock (NTP, chrony)." % (minutes, direction),
                      arguments=[int(skew), host_text, controller_text], evidence=evidence)
    if abs(skew) > CLOCK_WARN_SECONDS:
        return warning(None, "The host clock is %.1f minutes %s the controller's; at 15 minutes the "
                       "registration fails. Synchronise the clock." % (minutes, direction),
                       arguments=[int(skew), host_text, controller_text], evidence=evidence)
    return passed("The host clock is within %d seconds of the controller's." % abs(int(skew)),
                  arguments=[int(skew)], evidence=evidence)


def check_region_mapping(facts, context):
    context = context or {}
    account = context.get("automation_account_region")
    workspace = context.get("workspace_region")
    evidence = {"automation_account_region": account, "workspace_region": workspace,
                "source": regions.MAPPING_SOURCE}
    if not account and not workspace:
        return skipped("NotApplicable", "Not checked: automation_account_region and workspace_region were "
                       "not given.", evidence=evidence)
    if not account or not workspace:
        missing = "workspace_region" if account else "automation_account_region"
        return skipped("RegionMissing", "Not checked: %s was not given (both regions are needed)." % missing,
                       arguments=[missing], evidence=evidence)
    allowed = regions.linked_workspace_regions(account)
    evidence["linked_workspace_regions"] = allowed
    if regions.is_supported_pair(account, workspace):
        return passed("An Automation account in %s can be linked to a workspace in %s." % (account, workspace),
                      arguments=[account, workspace], evidence=evidence)
    return failed(None, "An Automation account in %s cannot be linked to a Log Analytics workspace in %s "
                  "(supported workspace regions for that account: %s): registration answers 403."
                  % (account, workspace, ", ".join(allowed) or "none"),
                  arguments=[account, workspace, ", ".join(allowed)], evidence=evidence)


# --------------------------------------------------------------------------- package manager

def check_repos_access(facts, context):
    system = _system(facts)
    if system is None:
        return skipped("FactsMissing", "Not checked: the facts hold no system section.",
                       evidence={"system": None})
    repos = system.get("repositories")
    evidence = {"package_manager": _dict(system.get("package_manager")).get("name"), "repositories": repos}
    if repos is None:
        return skipped("FactsMissing", "Not checked: no known package manager, so no repository list.",
                       evidence=evidence)
    if (context or {}).get("probe_endpoints") is False or not system.get("repositories_probed"):
        return skipped("NotProbed", "Not checked: the repositories were not probed (probe_endpoints is false).",
                       evidence=evidence)
    if not repos:
        return information("NoRepositories", "No repository is configured, so there is nothing to reach.",
                           evidence=evidence)
    bad = [r for r in repos if not isinstance(r.get("probe"), dict) or r["probe"].get("error_class")
           or not _dict(r["probe"].get("tcp")).get("ok")]
    if bad:
        names = ["%s:%s (%s)" % (r.get("host"), r.get("port"),
                                 _dict(r.get("probe")).get("error_class") or "not probed") for r in bad]
        evidence["unreachable"] = names
        return failed(None, "%d of %d repository host(s) cannot be reached: %s. Update Management runs fail "
                      "while the package manager cannot download." % (len(bad), len(repos), ", ".join(names)),
                      arguments=names, evidence=evidence)
    return passed("Every repository host can be reached (%d)." % len(repos),
                  arguments=[r.get("host") for r in repos], evidence=evidence)


def check_package_manager(facts, context):
    system = _system(facts)
    if system is None:
        return skipped("FactsMissing", "Not checked: the facts hold no system section.",
                       evidence={"system": None})
    manager = _dict(system.get("package_manager"))
    name = manager.get("name")
    evidence = {"name": name, "locks": manager.get("locks"), "lock_held": manager.get("lock_held"),
                "interrupted": manager.get("interrupted"),
                "interrupted_evidence": manager.get("interrupted_evidence")}
    if not name:
        return skipped("FactsMissing", "Not checked: no known package manager (apt, dnf, yum, zypper) found.",
                       evidence=evidence)
    if manager.get("lock_held") is True:
        holders = [lk for lk in (manager.get("locks") or []) if isinstance(lk, dict) and lk.get("held")]
        where = ", ".join("%s (pid %s)" % (lk.get("path"), lk.get("pid")) for lk in holders)
        return failed("Locked", "The %s lock is held: %s. Update runs fail until the other package operation "
                      "ends." % (name, where), arguments=[name, where], evidence=evidence,
                      remediation=remediation(None, "Wait for the running package operation to finish, or find "
                                              "the process holding the lock (fuser -v %s) and end it."
                                              % (holders[0].get("path") if holders else "<lock>")))
    if manager.get("interrupted") is True:
        return failed("Interrupted", "An earlier dpkg run was interrupted (%s is not empty); apt refuses to "
                      "install until it is finished." % "/var/lib/dpkg/updates",
                      arguments=[name], evidence=evidence,
                      remediation=remediation(None, "sudo dpkg --configure -a"))
    if manager.get("lock_held") is None or (name == "apt" and manager.get("interrupted") is None):
        return skipped("FactsMissing", "Not checked: the collector could not read the lock state.",
                       evidence=evidence)
    return passed("%s is not locked and not interrupted." % name, arguments=[name], evidence=evidence)


def check_update_log(facts, context):
    system = _system(facts)
    if system is None:
        return skipped("FactsMissing", "Not checked: the facts hold no system section.",
                       evidence={"system": None})
    log = _dict(system.get("update_log"))
    evidence = dict(log)
    if log.get("exists") is None:
        return skipped("LogUnreadable", "Not checked: %s could not be read." % log.get("path"), evidence=evidence)
    if not log.get("exists"):
        return information("NoLog", "%s does not exist (no Update Management run has logged here yet)."
                           % log.get("path"), arguments=[log.get("path")], evidence=evidence)
    return information(None, "%s: %s bytes, last written %s. It records every Update Management run; repairs "
                       "keep it." % (log.get("path"), log.get("size_bytes"), log.get("mtime")),
                       arguments=[log.get("path"), log.get("size_bytes"), log.get("mtime")], evidence=evidence)


# --------------------------------------------------------------------------- catalog

def _rule(rule_id, group, name, description, check, scenario, manual):
    return Rule(rule_id, group[0], name, group[1], description, check, platform=PLATFORM,
                generation=GENERATION, scenario=scenario, remediation=remediation(None, manual))


RULES = [
    _rule("Linux.OperatingSystemCheck", PREREQUISITES, "Operating system",
          "The distribution and version are supported by the Log Analytics agent for Linux.",
          check_operating_system, OFFICIAL + "Linux.OperatingSystemCheck",
          "Move the worker to a supported distribution and version (%s)." % OS_LINK),
    _rule("Linux.HardwareCheck", PREREQUISITES, "Minimum hardware",
          "At least 2 usable CPU cores and 4 GB of memory.",
          check_hardware, SEED + "#runbook-execution-fails",
          "Give the worker at least 2 CPU cores (check taskset/cpuset limits) and 4 GB of memory."),
    _rule("Linux.ResourcePressureCheck", PREREQUISITES, "CPU and memory pressure",
          "The load per core and the available memory leave room for jobs.",
          check_resource_pressure, SEED + "#runbook-execution-fails",
          "Find what uses the CPU or memory (top, ps aux --sort=-%mem) or give the worker more."),
    _rule("Linux.WorkspaceIdCheck", REGISTRATION, "Workspace id",
          "The agent reports to the workspace the worker is expected in.",
          check_workspace_id, SEED_403,
          "Onboard the agent to the expected workspace: /opt/microsoft/omsagent/bin/omsadmin.sh -w <WorkspaceID> "
          "-s <WorkspaceKey> (copy both from the portal)."),
    _rule("Linux.ClockSkewCheck", REGISTRATION, "Clock",
          "The host clock is within 15 minutes of the controller's (registration fails beyond).",
          check_clock_skew, SEED_403,
          "Synchronise the host clock (timedatectl set-ntp true, or chrony/ntpd)."),
    _rule("Linux.RegionMappingCheck", REGISTRATION, "Linked regions",
          "The Automation account and the workspace are in a supported linked region pair.",
          check_region_mapping, SEED_403,
          "Link the Automation account to a workspace in a supported region (%s)." % regions.MAPPING_SOURCE),
    _rule("Linux.ReposAccessCheck", CONNECTIVITY, "Repositories reachable",
          "Every configured package repository host answers (https: TCP and TLS; http: TCP).",
          check_repos_access, OFFICIAL + "Linux.ReposAccessCheck",
          "Open outbound access to the repository hosts (or through the proxy), or fix the repository "
          "configuration."),
    _rule("Linux.PackageManagerCheck", SERVICEHEALTH, "Package manager usable",
          "The package manager is not locked by another operation and not left interrupted.",
          check_package_manager, UM_SEED,
          "Let the other package operation finish, or finish an interrupted dpkg run (dpkg --configure -a)."),
    _rule("Linux.UpdateLogCheck", SERVICEHEALTH, "Update Management log",
          "Presence, size and age of omsupdatemgmt.log (the Update Management run log).",
          check_update_log, UM_SEED, None),
]

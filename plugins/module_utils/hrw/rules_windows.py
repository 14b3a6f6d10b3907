# -*- coding: utf-8 -*-
# Copyright: (c) azure_hrw.doctor contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Windows V1 (Microsoft Monitoring Agent + Hybrid Runbook Worker) rules: prerequisites.

Pure functions ``check(facts, context) -> partial result`` over the Windows facts document
(docs/adr/0002-windows-facts.md), read through ``windows_facts.fact``. Stdlib only,
Python 3.8+, no I/O. The knowledge comes from Microsoft's Windows troubleshooter (UMW,
official-troubleshooters.md §1) with its bugs (§6) fixed, and from the seed scenarios.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw.finding import (
    PREREQUISITES,
    Rule,
    failed,
    passed,
    remediation,
    skipped,
    warning,
)
from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw.windows_facts import fact

PLATFORM = "windows"
GENERATION = "v1"
SEED = "hybrid-runbook-worker-troubleshoot.md"
UM_SEED = "update-management-troubleshoot.md"
AGENT_SEED = "update-agent-issues.md"
OFFICIAL = "official-troubleshooters.md#1 "

OS_REQUIREMENTS_LINK = "https://docs.microsoft.com/en-Us/azure/automation/update-management/operating-system-requirements"
DOTNET_LINK = "https://www.microsoft.com/net/download/dotnet-framework-runtime"
WMF_LINK = "https://www.microsoft.com/download/details.aspx?id=54616"
TLS_KB_LINK = ("https://support.microsoft.com/help/4019276/update-to-add-support-for-tls-1-1-and-tls-1-2-in-"
               "windows")
TLS_REGISTRY_LINK = "https://docs.microsoft.com/windows-server/security/tls/tls-registry-settings#tls-12"

MIN_OS = (6, 1, 7600)            # Windows Server 2008 R2 (Microsoft's OperatingSystemCheck)
FULL_UPDATE_OS = (6, 1, 7601)    # 2008 R2 RTM (7600) supports update assessment only
MIN_DOTNET_RELEASE = 394802      # .NET Framework 4.6.2

# NDP\v4\Full Release -> version (the lowest Release of each version, Microsoft's table).
_DOTNET_RELEASES = (
    (533320, "4.8.1"), (528040, "4.8"), (461808, "4.7.2"), (461308, "4.7.1"), (460798, "4.7"),
    (394802, "4.6.2"), (394254, "4.6.1"), (393295, "4.6"), (379893, "4.5.2"), (378675, "4.5.1"),
    (378389, "4.5"),
)


# --------------------------------------------------------------------------- shared helpers

def facts_missing(what, value, message=None):
    """Skipped.FactsMissing naming the fact path that is null or absent."""
    return skipped("FactsMissing", message or "Not checked: the facts hold no %s (the collector could not read it)."
                   % what, evidence={what: value})


def version_tuple(text):
    """``"10.0.17763"`` -> (10, 0, 17763); None when not a dotted version of integers."""
    if text is None:
        return None
    parts = str(text).strip().split(".")
    try:
        return tuple(int(p) for p in parts if p != "")
    except ValueError:
        return None


def os_version(facts):
    """The OS version as a 3-tuple from host.os.version_id, its build from host.os.build when
    version_id has none; None when unknown."""
    version = version_tuple(fact(facts, "host.os.version_id"))
    build = fact(facts, "host.os.build")
    if not version:
        return None
    version = tuple(version[:3])
    if len(version) < 3 and isinstance(build, int):
        version = (version + (0,))[:2] + (build,)
    if len(version) < 3:
        return None
    return version


def os_evidence(facts):
    return {"version_id": fact(facts, "host.os.version_id"), "build": fact(facts, "host.os.build"),
            "pretty_name": fact(facts, "host.os.pretty_name")}


def dotnet_version_name(release):
    for minimum, name in _DOTNET_RELEASES:
        if release >= minimum:
            return name
    return "4.0 or 4.5 pre-release"


def make_rule(rule_id, group, name, description, check, action=None, manual=None, scenario=None, ids=(),
              generation=GENERATION):
    return Rule(rule_id, group[0], name, group[1], description, check, platform=PLATFORM,
                generation=generation, scenario=scenario or OFFICIAL + rule_id,
                remediation=remediation(action, manual), message_ids=ids)


def ids_of(rule_id, *suffixes):
    return tuple("%s.%s" % (rule_id, s) for s in suffixes)


# --------------------------------------------------------------------------- OperatingSystemCheck

def check_operating_system(facts, context):
    version = os_version(facts)
    evidence = os_evidence(facts)
    if version is None:
        return facts_missing("host.os.version_id", evidence["version_id"])
    text = ".".join(str(v) for v in version)
    if version < MIN_OS:
        return failed(None, "Operating System version %s (%s) is not supported: Windows Server 2008 R2 (6.1.7600) or "
                      "later is required. Supported versions listed here: %s"
                      % (text, evidence["pretty_name"], OS_REQUIREMENTS_LINK),
                      arguments=[OS_REQUIREMENTS_LINK], evidence=evidence)
    if version < FULL_UPDATE_OS:
        return warning("AssessmentOnly", "Operating System version %s (%s) is supported for update assessment only: "
                       "Windows Server 2008 R2 RTM cannot install updates through Update Management; install "
                       "Service Pack 1 (6.1.7601). See %s" % (text, evidence["pretty_name"], OS_REQUIREMENTS_LINK),
                       arguments=[OS_REQUIREMENTS_LINK], evidence=evidence)
    return passed("Operating System version %s (%s) is supported." % (text, evidence["pretty_name"]),
                  arguments=[text], evidence=evidence)


# --------------------------------------------------------------------------- DotNetFrameworkInstalledCheck

def check_dotnet(facts, context):
    release = fact(facts, "dotnet.release")
    key_exists = fact(facts, "dotnet.version_key_exists")
    evidence = {"key": r"HKLM\SOFTWARE\Microsoft\NET Framework Setup\NDP\v4\Full", "key_exists": key_exists,
                "release": release, "required_release": MIN_DOTNET_RELEASE}
    if key_exists is False:
        return failed("NotInstalled", ".NET Framework 4 is not installed (no NDP\\v4\\Full key); .NET Framework "
                      "version 4.6.2 or higher is required: %s" % DOTNET_LINK,
                      arguments=[DOTNET_LINK], evidence=evidence)
    if key_exists is None:
        return facts_missing("dotnet.version_key_exists", key_exists)
    if release is None:
        return failed(None, "NDP\\v4\\Full has no Release value, which means .NET Framework 4.0 (4.5 and later "
                      "write Release); .NET Framework version 4.6.2 or higher is required: %s" % DOTNET_LINK,
                      arguments=[DOTNET_LINK], evidence=evidence)
    try:
        release = int(release)
    except (TypeError, ValueError):
        return facts_missing("dotnet.release", release)
    evidence["version"] = dotnet_version_name(release)
    if release >= MIN_DOTNET_RELEASE:
        return passed(".NET Framework %s (Release %d) is installed: 4.6.2+ is found." % (evidence["version"], release),
                      arguments=[evidence["version"], release], evidence=evidence)
    return failed(None, ".NET Framework %s (Release %d) is installed; version 4.6.2 (Release %d) or higher is "
                  "required: %s" % (evidence["version"], release, MIN_DOTNET_RELEASE, DOTNET_LINK),
                  arguments=[DOTNET_LINK], evidence=evidence)


# --------------------------------------------------------------------------- WindowsManagementFrameworkInstalledCheck

def check_wmf(facts, context):
    text = fact(facts, "host.powershell.windows_powershell_version")
    evidence = {"windows_powershell_version": text,
                "running_version": fact(facts, "host.powershell.running_version"),
                "running_edition": fact(facts, "host.powershell.running_edition")}
    version = version_tuple(text)
    if not version:
        return facts_missing("host.powershell.windows_powershell_version", text)
    if version >= (5, 1):
        return passed("Detected Windows Management Framework (Windows PowerShell) version: %s" % text,
                      arguments=[text], evidence=evidence)
    if version[0] >= 4:
        return warning(None, "Detected Windows Management Framework version: %s. Consider upgrading to version 5.1 or "
                       "higher for increased reliability: %s" % (text, WMF_LINK),
                       arguments=[text, WMF_LINK], evidence=evidence)
    return failed(None, "Detected Windows Management Framework version: %s. Version 4.0 or higher is required "
                  "(version 5.1 or higher is preferable): %s" % (text, WMF_LINK),
                  arguments=[text, WMF_LINK], evidence=evidence)


# --------------------------------------------------------------------------- TlsVersionCheck

def _dotnet_tls12(arch):
    """True when .NET (this bitness) uses TLS 1.2 by default, False when not, None when unknown."""
    if not isinstance(arch, dict):
        return None
    strong = arch.get("SchUseStrongCrypto")
    system_default = arch.get("SystemDefaultTlsVersions")
    if strong == 1 or system_default == 1:
        return True
    return False


def _tls_dotnet(facts):
    """(bad arches, evidence) for the .NET part of TlsVersionCheck; bad is None when unknown."""
    dotnet = fact(facts, "tls.dotnet")
    if not isinstance(dotnet, dict):
        return None, dotnet
    x64 = _dotnet_tls12(dotnet.get("x64"))
    x86 = _dotnet_tls12(dotnet.get("x86"))
    if x64 is None and x86 is None:
        return None, dotnet
    return [name for name, ok in (("x64", x64), ("x86", x86)) if ok is False], dotnet


def check_tls(facts, context):
    version = os_version(facts)
    client = fact(facts, "tls.schannel.client")
    server = fact(facts, "tls.schannel.server")
    evidence = {"os": os_evidence(facts), "schannel": {"client": client, "server": server},
                "dotnet": fact(facts, "tls.dotnet"), "dotnet_release": fact(facts, "dotnet.release")}
    if version is None:
        return facts_missing("host.os.version_id", evidence["os"]["version_id"])
    if not isinstance(client, dict) or not isinstance(server, dict):
        return facts_missing("tls.schannel", {"client": client, "server": server})
    text = ".".join(str(v) for v in version)
    fix = remediation("enable_tls12", "Set HKLM\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\SCHANNEL\\"
                      "Protocols\\TLS 1.2\\Client and \\Server: Enabled=1, DisabledByDefault=0 (%s), then reboot."
                      % TLS_REGISTRY_LINK)
    sides = (client, server)
    if version < MIN_OS:
        if version >= (6, 0, 6001):
            return failed(None, "TLS 1.2 is not enabled by default on this Operating System (%s). Follow the "
                          "instructions to enable it: %s" % (text, TLS_KB_LINK), arguments=[TLS_KB_LINK],
                          evidence=evidence,
                          remediation=remediation(None, "Install KB4019276 and set the TLS 1.2 SCHANNEL keys: %s"
                                                  % TLS_KB_LINK))
        return failed("NoDefaultSupport", "Your OS (%s) does not support TLS 1.2 by default." % text,
                      evidence=evidence, remediation=remediation(None, "Move to a supported Windows version."))
    if FULL_UPDATE_OS <= version <= (6, 1, 8400):
        explicit = all(s.get("DisabledByDefault") == 0 for s in sides)
        disabled = any(s.get("Enabled") == 0 for s in sides)
        if not explicit or disabled:
            return failed("NotExplicitlyEnabled", "TLS 1.2 is not enabled on this Operating System (%s): on Windows "
                          "Server 2008 R2 SP1 / Windows 7 it must be enabled explicitly (DisabledByDefault=0 and "
                          "not Enabled=0, for Client and Server). Follow the instructions to enable it: %s"
                          % (text, TLS_REGISTRY_LINK), arguments=[TLS_REGISTRY_LINK], evidence=evidence,
                          remediation=fix)
        base_reason, base = None, "TLS 1.2 is enabled on the Operating System (%s)" % text
    elif version >= (6, 2, 9200):
        off = [name for name, s in (("Client", client), ("Server", server))
               if s.get("DisabledByDefault") == 1 or s.get("Enabled") == 0]
        if off:
            return failed("ExplicitlyDisabled", "TLS 1.2 is supported by the Operating System (%s), but currently "
                          "disabled (%s). Follow the instructions to re-enable: %s"
                          % (text, ", ".join(off), TLS_REGISTRY_LINK),
                          arguments=[TLS_REGISTRY_LINK] + off, evidence=evidence, remediation=fix)
        base_reason, base = "EnabledByDefault", "TLS 1.2 is enabled by default on the Operating System (%s)" % text
    else:
        return failed("NoDefaultSupport", "Your OS (%s) does not support TLS 1.2 by default (Windows Server 2008 R2 "
                      "RTM: install Service Pack 1)." % text, evidence=evidence,
                      remediation=remediation(None, "Install Windows Server 2008 R2 Service Pack 1, then enable TLS "
                                              "1.2 (%s)." % TLS_REGISTRY_LINK))
    bad, dotnet = _tls_dotnet(facts)
    if bad:
        return warning("DotNetDefault", "%s, but .NET Framework (%s) would not use TLS 1.2 by default: neither "
                       "SchUseStrongCrypto nor SystemDefaultTlsVersions is 1 under .NETFramework\\v4.0.30319 (x86: "
                       "the WOW6432Node key), so .NET code that does not choose its protocol (runbooks, the "
                       "HybridRegistration module) may offer only TLS 1.0/1.1." % (base, "/".join(bad)),
                       arguments=bad, evidence=evidence,
                       remediation=remediation("enable_tls12", "Set SchUseStrongCrypto=1 and SystemDefaultTlsVersions=1 "
                                               "(DWORD) under HKLM\\SOFTWARE\\Microsoft\\.NETFramework\\v4.0.30319 and "
                                               "HKLM\\SOFTWARE\\WOW6432Node\\Microsoft\\.NETFramework\\v4.0.30319."))
    tail = "; .NET uses TLS 1.2 by default (SchUseStrongCrypto or SystemDefaultTlsVersions)." if bad is not None \
        else "; the .NET SchUseStrongCrypto/SystemDefaultTlsVersions values could not be read."
    return passed(base + tail, reason=base_reason, evidence=evidence)


RULES = [
    make_rule("OperatingSystemCheck", PREREQUISITES, "Operating System",
              "The Windows Operating system must be version 6.1.7600 (Windows Server 2008 R2) or higher",
              check_operating_system, manual="Use a supported Windows version: %s" % OS_REQUIREMENTS_LINK,
              ids=ids_of("OperatingSystemCheck", "Passed", "Failed", "PassedWithWarning.AssessmentOnly",
                         "Skipped.FactsMissing")),
    make_rule("DotNetFrameworkInstalledCheck", PREREQUISITES, ".Net Framework 4.6.2+",
              ".NET Framework version 4.6.2 or higher is required", check_dotnet,
              manual="Install .NET Framework 4.6.2 or later (4.8 recommended): %s" % DOTNET_LINK,
              ids=ids_of("DotNetFrameworkInstalledCheck", "Passed", "Failed", "Failed.NotInstalled",
                         "Skipped.FactsMissing")),
    make_rule("WindowsManagementFrameworkInstalledCheck", PREREQUISITES, "WMF 5.1",
              "Windows Management Framework version 4.0 or higher is required (version 5.1 or higher is preferable)",
              check_wmf, manual="Install Windows Management Framework 5.1: %s (PowerShell 7 / pwsh does not count: "
              "the agent runs Windows PowerShell)." % WMF_LINK,
              ids=ids_of("WindowsManagementFrameworkInstalledCheck", "Passed", "PassedWithWarning", "Failed",
                         "Skipped.FactsMissing")),
    make_rule("TlsVersionCheck", PREREQUISITES, "TLS 1.2", "Client and Server connections must support TLS 1.2",
              check_tls, action="enable_tls12", manual="Enable TLS 1.2: %s" % TLS_REGISTRY_LINK,
              ids=ids_of("TlsVersionCheck", "Passed", "Passed.EnabledByDefault", "Failed", "Failed.NotExplicitlyEnabled",
                         "Failed.ExplicitlyDisabled", "Failed.NoDefaultSupport", "PassedWithWarning.DotNetDefault",
                         "Skipped.FactsMissing")),
]

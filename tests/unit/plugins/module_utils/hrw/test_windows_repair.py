# -*- coding: utf-8 -*-
# Copyright: azure_hrw.doctor contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Windows repair actions as primitive lists (windows_repair.py).

Each action is applied to a recorded fault's facts document by a small simulator (what the
primitive would leave in the values the collector reads) and the rule that named the action
is evaluated again: its Failed (or warning) must become Passed where the rule reads those
values. The primitives must also be what win_hrw_remediate.ps1 accepts ($PrimitiveKeys).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import json
import os
import pathlib
import re

import pytest

from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw import catalog, repair_actions, windows_repair
from ansible_collections.azure_hrw.doctor.tests.unit.plugins.module_utils.hrw import windows_doc

FACTS = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", "fixtures", "facts"))
PS1 = pathlib.Path(__file__).resolve().parents[5] / "plugins" / "modules" / "win_hrw_remediate.ps1"
FULL_CONTROL = 0x1F01FF


def load(name):
    with open(os.path.join(FACTS, name)) as f:
        return json.load(f)


def run(rule_id, doc, context=None):
    [finding] = catalog.evaluate(doc, [catalog.get_rule(rule_id)], context or windows_doc.context())
    return finding


# --------------------------------------------------------------------------- the simulator

_SERVICES = {"healthservice": "agent.service", "wuauserv": "windows_update.service"}
_REGISTRY = {  # lower-case key path -> the facts mapping that holds its values
    (windows_repair.SCHANNEL_TLS12 + "\\Client").lower(): "tls.schannel.client",
    (windows_repair.SCHANNEL_TLS12 + "\\Server").lower(): "tls.schannel.server",
    windows_repair.DOTNET_V4.lower(): "tls.dotnet.x64",
    windows_repair.DOTNET_V4_WOW.lower(): "tls.dotnet.x86",
    windows_repair.WU_AU_POLICY.lower(): "windows_update.policy",
}


def _node(doc, dotted):
    for key in dotted.split("."):
        doc = doc[key]
    return doc


def simulate(doc, primitives):
    """The facts document as the collector would read it after the primitives ran (a new dict).
    A primitive this simulator does not know fails the test: every primitive the actions build
    must have a known effect."""
    doc = copy.deepcopy(doc)
    for prim in primitives:
        op = prim["op"]
        if op in windows_repair.SERVICE_OPS or op == "service_start_type":
            service = _node(doc, _SERVICES[prim["name"].lower()])
            if op == "service_stop":
                service.update({"status": "Stopped", "process_id": None, "process_start_utc": None})
            elif op == "service_start_type":
                service["start_type"] = prim["start_type"].capitalize()
            else:
                assert service["start_type"] != "Disabled", "a disabled service does not start"
                service.update({"status": "Running", "process_id": 4242, "process_start_utc": doc["host"]["utc_now"]})
        elif op in ("registry_value_set", "registry_value_remove"):
            values = _node(doc, _REGISTRY[prim["path"].lower()])
            values[prim["name"]] = prim["value"] if op == "registry_value_set" else None
            if "key_exists" in values:
                values["key_exists"] = True
        elif op == "registry_key_export_remove":
            assert prim["path"] == windows_repair.HRW_KEY
            doc["registration"] = {"key_exists": False, "root_values": {}, "accounts": []}
        elif op == "folder_archive_remove":
            state = doc["health_service_state"]
            assert prim["path"] == state["path"]
            state.update({"exists": False, "size_bytes": None, "file_count": None, "oldest_write_utc": None,
                          "newest_write_utc": None})
        elif op == "acl_grant":
            folder = doc["permissions"]["machine_keys"]
            assert prim["path"] == folder["path"]
            aces = folder["aces"]
            if prim.get("remove_deny"):
                aces = [a for a in aces if not (a["sid"] == prim["sid"] and a["type"] == "Deny" and not a["inherited"])]
            aces.append({"identity": "NT AUTHORITY\\SYSTEM", "sid": prim["sid"], "type": "Allow",
                         "rights": {"FullControl": FULL_CONTROL}[prim["rights"]], "inherited": False,
                         "inherit_only": False, "container_inherit": prim.get("inheritance") == "container_object"})
            folder["aces"] = aces
        else:
            raise AssertionError("the simulator does not know %r" % op)
    return doc


def repaired(action, doc):
    return simulate(doc, windows_repair.primitives_for(action, doc))


# --------------------------------------------------------------------------- rule by rule

def test_enable_tls12_clears_the_disabled_schannel_protocol():
    doc = load("windows_fault_tls12_disabled.json")
    assert run("TlsVersionCheck", doc)["CheckResult"] == "Failed"
    assert run("TlsVersionCheck", repaired("enable_tls12", doc))["CheckResult"] == "Passed"


def test_enable_tls12_sets_the_dotnet_values_of_both_bitnesses():
    doc = windows_doc.healthy()
    doc["tls"]["dotnet"] = {"x64": {"SchUseStrongCrypto": None, "SystemDefaultTlsVersions": None},
                            "x86": {"SchUseStrongCrypto": 0, "SystemDefaultTlsVersions": None}}
    assert run("TlsVersionCheck", doc)["CheckResult"] == "PassedWithWarning"
    after = repaired("enable_tls12", doc)
    assert after["tls"]["dotnet"]["x86"] == {"SchUseStrongCrypto": 1, "SystemDefaultTlsVersions": 1}
    assert run("TlsVersionCheck", after)["CheckResult"] == "Passed"


def test_enable_tls12_enables_tls_explicitly_where_the_os_needs_it():
    doc = load("windows_fault_wmf_old.json")          # 2008 R2 SP1: TLS 1.2 only when explicit
    doc["tls"]["schannel"] = {"client": {"key_exists": False, "Enabled": None, "DisabledByDefault": None},
                              "server": {"key_exists": False, "Enabled": None, "DisabledByDefault": None}}
    assert run("TlsVersionCheck", doc)["CheckResultMessageId"] == "TlsVersionCheck.Failed.NotExplicitlyEnabled"
    assert run("TlsVersionCheck", repaired("enable_tls12", doc))["CheckResult"] == "Passed"


def test_enable_tls12_writes_exactly_the_documented_values():
    prims = windows_repair.primitives_for("enable_tls12", {})
    assert [(p["path"].rsplit("\\", 1)[-1], p["name"], p["type"], p["value"]) for p in prims] == [
        ("Client", "Enabled", "dword", 1), ("Client", "DisabledByDefault", "dword", 0),
        ("Server", "Enabled", "dword", 1), ("Server", "DisabledByDefault", "dword", 0),
        ("v4.0.30319", "SchUseStrongCrypto", "dword", 1), ("v4.0.30319", "SystemDefaultTlsVersions", "dword", 1),
        ("v4.0.30319", "SchUseStrongCrypto", "dword", 1), ("v4.0.30319", "SystemDefaultTlsVersions", "dword", 1)]
    assert "WOW6432Node" in prims[6]["path"] and "WOW6432Node" not in prims[4]["path"]


def test_grant_machine_keys_system_clears_a_deny_entry():
    doc = load("windows_fault_machinekeys_denied.json")
    assert run("CryptoRsaMachineKeysFolderAccessCheck", doc)["CheckResultMessageId"].endswith("Failed.Denied")
    after = repaired("grant_machine_keys_system", doc)
    assert run("CryptoRsaMachineKeysFolderAccessCheck", after)["CheckResult"] == "Passed"


def test_grant_machine_keys_system_grants_missing_rights():
    doc = windows_doc.healthy()
    # only read rights left for every identity in SYSTEM's token
    for ace in doc["permissions"]["machine_keys"]["aces"]:
        ace["rights"] = 0x120089
    assert run("CryptoRsaMachineKeysFolderAccessCheck", doc)["CheckResultMessageId"] == \
        "CryptoRsaMachineKeysFolderAccessCheck.Failed"
    after = repaired("grant_machine_keys_system", doc)
    assert run("CryptoRsaMachineKeysFolderAccessCheck", after)["CheckResult"] == "Passed"


def test_grant_machine_keys_system_uses_the_folder_the_collector_read():
    doc = windows_doc.healthy()
    doc["permissions"]["machine_keys"]["path"] = "D:\\ProgramData\\Microsoft\\Crypto\\RSA\\MachineKeys"
    [prim] = windows_repair.primitives_for("grant_machine_keys_system", doc)
    assert prim == {"op": "acl_grant", "path": "D:\\ProgramData\\Microsoft\\Crypto\\RSA\\MachineKeys",
                    "sid": "S-1-5-18", "rights": "FullControl", "inheritance": "container_object",
                    "remove_deny": True}
    assert windows_repair.primitives_for("grant_machine_keys_system", None)[0]["path"] == windows_repair.MACHINE_KEYS


def test_enable_windows_update_service_clears_the_disabled_service():
    doc = load("windows_fault_wu_disabled.json")
    assert run("WUServiceRunningCheck", doc)["CheckResult"] == "Failed"
    prims = windows_repair.primitives_for("enable_windows_update_service", doc)
    # the start type first: a disabled service cannot start
    assert [p["op"] for p in prims] == ["service_start_type", "service_start"]
    assert prims[0]["start_type"] == "manual"
    after = simulate(doc, prims)
    assert run("WUServiceRunningCheck", after)["CheckResult"] == "Passed"
    assert after["windows_update"]["service"]["status"] == "Running"


def test_set_auoptions_3_clears_the_automatic_install_warning():
    doc = load("windows_fault_wu_policies.json")
    assert run("AutomaticUpdateCheck", doc)["CheckResult"] == "PassedWithWarning"
    after = repaired("set_auoptions_3", doc)
    assert after["windows_update"]["policy"]["AUOptions"] == 3
    assert run("AutomaticUpdateCheck", after)["CheckResultMessageId"] == "AutomaticUpdateCheck.Passed"


@pytest.mark.parametrize("values", [{"AlwaysAutoRebootAtScheduledTime": 1},
                                    {"AlwaysAutoRebootAtScheduledTimeMinutes": 15},
                                    {"AlwaysAutoRebootAtScheduledTime": 1, "AlwaysAutoRebootAtScheduledTimeMinutes": 15}])
def test_remove_always_auto_reboot_clears_the_warning(values):
    doc = windows_doc.healthy()
    doc["windows_update"]["policy"].update(values)
    assert run("AlwaysAutoRebootCheck", doc)["CheckResult"] == "PassedWithWarning"
    after = repaired("remove_always_auto_reboot", doc)
    assert run("AlwaysAutoRebootCheck", after)["CheckResult"] == "Passed"


def test_remove_hybrid_registration_clears_the_other_registration():
    doc = load("windows_fault_already_registered.json")
    assert run("HybridWorkerRegistrationCheck", doc)["CheckResult"] == "Failed"
    prims = windows_repair.primitives_for("remove_hybrid_registration", doc)
    assert prims == [{"op": "registry_key_export_remove", "path": "HKLM:\\SOFTWARE\\Microsoft\\HybridRunbookWorker"},
                     {"op": "service_restart", "name": "HealthService"}]
    finding = run("HybridWorkerRegistrationCheck", simulate(doc, prims))
    # no registration left: registering again is issue 6's hrw_registration
    assert finding["CheckResultMessageId"] == "HybridWorkerRegistrationCheck.Information.NotRegistered"


def test_purge_health_service_state_stops_archives_and_starts():
    doc = load("windows_fault_corrupt_cache.json")
    prims = windows_repair.primitives_for("purge_health_service_state", doc)
    assert prims == [{"op": "service_stop", "name": "HealthService"},
                     {"op": "folder_archive_remove", "path": doc["health_service_state"]["path"]},
                     {"op": "service_start", "name": "HealthService"}]
    after = simulate(doc, prims)
    assert after["health_service_state"]["exists"] is False
    # the agent runs again; whether the worker starts is the next collection's events (not simulated)
    assert run("MonitoringAgentServiceRunningCheck", after)["CheckResult"] == "Passed"


@pytest.mark.parametrize("state_path, install_path, expected", [
    ("E:\\MMA\\Agent\\Health Service State", "E:\\MMA\\Agent", "E:\\MMA\\Agent\\Health Service State"),
    (None, "D:\\Agent\\", "D:\\Agent\\Health Service State"),
    (None, None, "C:\\Program Files\\Microsoft Monitoring Agent\\Agent\\Health Service State"),
])
def test_purge_health_service_state_path_comes_from_the_facts(state_path, install_path, expected):
    doc = windows_doc.healthy()
    doc["health_service_state"]["path"] = state_path
    doc["agent"]["install_path"] = install_path
    [folder] = [p for p in windows_repair.primitives_for("purge_health_service_state", doc)
                if p["op"] == "folder_archive_remove"]
    assert folder["path"] == expected


@pytest.mark.parametrize("action", ["start_health_service", "restart_health_service"])
def test_starting_the_agent_clears_the_stopped_agent(action):
    doc = load("windows_fault_agent_stopped.json")
    assert run("MonitoringAgentServiceRunningCheck", doc)["CheckResult"] == "Failed"
    prims = windows_repair.primitives_for(action, doc)
    op = {"start_health_service": "service_start", "restart_health_service": "service_restart"}[action]
    assert prims == [{"op": op, "name": "HealthService"}]
    assert run("MonitoringAgentServiceRunningCheck", simulate(doc, prims))["CheckResult"] == "Passed"


# --------------------------------------------------------------------------- the catalog and the executor

def test_every_windows_action_of_the_catalog_is_built_and_nothing_else():
    assert sorted(repair_actions.names(repair_actions.WINDOWS)) == sorted(windows_repair.ACTIONS)


def test_every_windows_rule_action_is_built():
    named = set()
    for rule in catalog.select_rules(platform="windows"):
        if rule.remediation.get("action"):
            named.add(rule.remediation["action"])
    assert named and named <= set(windows_repair.ACTIONS)


def _executor_keys():
    """{op: (required, optional)} as win_hrw_remediate.ps1 declares them in $PrimitiveKeys."""
    text = PS1.read_text(encoding="utf-8")
    block = text.split("$PrimitiveKeys = @{", 1)[1].split("\n}\n", 1)[0]
    out = {}
    pattern = r"^\s+(\w+) = @\{ required = @\(([^)]*)\); optional = @\(([^)]*)\) \}"
    for op, required, optional in re.findall(pattern, block, re.M):
        out[op] = (set(re.findall(r"'(\w+)'", required)), set(re.findall(r"'(\w+)'", optional)))
    return out


@pytest.mark.parametrize("action", windows_repair.ACTIONS)
def test_primitives_are_what_the_executor_accepts(action):
    keys = _executor_keys()
    assert len(keys) == 9
    for prim in windows_repair.primitives_for(action, windows_doc.healthy()):
        required, optional = keys[prim["op"]]
        assert required <= set(prim) - {"op"} <= required | optional, prim
        if "path" in prim and prim["op"].startswith("registry"):
            assert prim["path"].startswith("HKLM:\\"), prim


def test_primitives_are_new_dicts_every_call():
    first = windows_repair.primitives_for("enable_tls12", {})
    first[0]["value"] = 99
    assert windows_repair.primitives_for("enable_tls12", {})[0]["value"] == 1


@pytest.mark.parametrize("name", ["restart_agent", "reregister", "nope", None])
def test_unknown_or_linux_action_is_refused_by_name(name):
    with pytest.raises(ValueError, match="is not a Windows repair action"):
        windows_repair.primitives_for(name, {})


# --------------------------------------------------------------------------- merge_service_ops

def _steps(*actions):
    doc = windows_doc.healthy()
    return [{"action": a, "fixes": [], "primitives": windows_repair.primitives_for(a, doc)} for a in actions]


def _service_ops(steps, name="healthservice"):
    return [(s["action"], p["op"]) for s in steps for p in s["primitives"]
            if p["op"] in windows_repair.SERVICE_OPS and p["name"].lower() == name]


def test_purge_then_restart_starts_healthservice_once_at_the_end():
    merged = windows_repair.merge_service_ops(_steps("purge_health_service_state", "restart_health_service"))
    assert _service_ops(merged) == [("purge_health_service_state", "service_stop"),
                                    ("restart_health_service", "service_restart")]
    assert [p["op"] for p in merged[0]["primitives"]] == ["service_stop", "folder_archive_remove"]


def test_registration_removal_before_a_purge_is_covered_by_the_purge():
    merged = windows_repair.merge_service_ops(_steps("remove_hybrid_registration", "purge_health_service_state",
                                                     "restart_health_service", "start_health_service"))
    # the restart dropped from restart_health_service makes the kept start a restart; the service is
    # stopped there (the purge's start was dropped), and a restart of a stopped service starts it once
    assert _service_ops(merged) == [("purge_health_service_state", "service_stop"),
                                    ("start_health_service", "service_restart")]
    assert [p["op"] for p in merged[0]["primitives"]] == ["registry_key_export_remove"]
    assert merged[2]["primitives"] == []


def test_a_dropped_restart_without_a_stop_after_it_makes_the_kept_start_a_restart():
    merged = windows_repair.merge_service_ops(_steps("remove_hybrid_registration", "start_health_service"))
    assert _service_ops(merged) == [("start_health_service", "service_restart")]
    merged = windows_repair.merge_service_ops(_steps("restart_health_service", "start_health_service"))
    assert merged[0]["primitives"] == [] and _service_ops(merged) == [("start_health_service", "service_restart")]


def test_merge_keeps_other_services_and_other_keys_and_does_not_mutate():
    steps = _steps("enable_windows_update_service", "restart_health_service")
    before = copy.deepcopy(steps)
    merged = windows_repair.merge_service_ops(steps)
    assert merged == before and steps == before
    assert merged[0] is not steps[0] and merged[0]["primitives"][0] is not steps[0]["primitives"][0]
    assert merged[1]["fixes"] == []
    single = _steps("purge_health_service_state")
    assert windows_repair.merge_service_ops(single) == single

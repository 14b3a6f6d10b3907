# -*- coding: utf-8 -*-
# Copyright: azure_hrw.doctor contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""win_hrw_remediate cannot run here (no PowerShell): its source and its recorded results are checked.

The recordings in tests/unit/fixtures/windows_remediate/*.json are results of the module as
hrw_repair's tests feed them at the ``_execute_module`` boundary. Each must have every key RETURN
documents as always returned, with the documented type; their step and primitive statuses must
agree with each other the way the module derives them; and their primitives must be what
windows_repair.primitives_for builds for the step's action.
"""

import json
import pathlib
import re

import pytest
import yaml

from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw import windows_repair
from ansible_collections.azure_hrw.doctor.plugins.modules import win_hrw_remediate as docs_module
from ansible_collections.azure_hrw.doctor.tests.unit.plugins.modules import module_docs
from ansible_collections.azure_hrw.doctor.tests.unit.plugins.modules import test_win_hrw_facts_source as facts_source

ROOT = pathlib.Path(__file__).resolve().parents[4]
MODULE_PS1 = ROOT / "plugins" / "modules" / "win_hrw_remediate.ps1"
RECORDED = ROOT / "tests" / "unit" / "fixtures" / "windows_remediate"
RECORDINGS = sorted(p.name for p in RECORDED.glob("*.json"))
STATUSES = {"applied", "unchanged", "would_apply", "failed", "not_run"}
# Approved verbs (Get-Verb): the read-only collector's, and those of the changes this module makes.
APPROVED_VERBS = facts_source.APPROVED_VERBS | {"Set", "Start", "Stop", "Restart", "Remove", "Grant"}
TYPES = {"bool": bool, "str": str, "list": list, "dict": dict, "int": int}

parser = facts_source.parser  # the tree-sitter fixture


@pytest.fixture(scope="module")
def root(parser):
    return facts_source._parse(parser, MODULE_PS1)


def load(name):
    with open(str(RECORDED / name)) as f:
        return json.load(f)


# --------------------------------------------------------------------------- the source

def test_parses(root):
    assert not root.has_error


def test_options_match_documentation(root):
    documented = facts_source._normalise_options(module_docs.rendered("win_hrw_remediate")["options"], "suboptions")
    spec = facts_source._normalise_options(
        facts_source._hash_to_dict(facts_source._assignment_hash(root, "$spec"))["options"], "options")
    assert spec == documented


def test_supports_check_mode_and_diff(root):
    assert facts_source._hash_to_dict(facts_source._assignment_hash(root, "$spec"))["supports_check_mode"] is True
    attributes = module_docs.rendered("win_hrw_remediate")["attributes"]
    assert attributes["check_mode"]["support"] == "full" and attributes["diff_mode"]["support"] == "full"
    text = MODULE_PS1.read_text(encoding="utf-8")
    assert "$module.Diff.before" in text and "$module.Diff.after" in text


def test_every_op_is_declared_and_dispatched():
    text = MODULE_PS1.read_text(encoding="utf-8")
    declared = set(re.findall(r"^    (\w+) = @\{ required = ", text, re.M))
    assert declared == {"service_start", "service_stop", "service_restart", "service_start_type",
                        "registry_key_export_remove", "folder_archive_remove", "registry_value_set",
                        "registry_value_remove", "acl_grant"}
    dispatch = text.split("Function Invoke-Primitive {", 1)[1].split("\n}\n", 1)[0]
    named = set(re.findall(r"'(\w+)' \{ return Invoke-", dispatch))
    # the service operations share the default branch
    assert named | set(windows_repair.SERVICE_OPS) == declared
    assert "default { return Invoke-ServiceOp" in dispatch


def test_every_change_is_behind_check_mode():
    # Each function that writes has a CheckMode return before its first write.
    text = MODULE_PS1.read_text(encoding="utf-8")
    writes = ("Stop-ServiceBounded -Service $service", "Start-ServiceBounded -Service $service", "Set-Service ",
              ".SetValue(", ".DeleteValue(", ".DeleteSubKeyTree(", "Remove-Item ", ".SetAccessControl($security)",
              "Export-RegistryKey -Key", "CreateFromDirectory(")
    for name in ("Invoke-ServiceOp", "Invoke-ServiceStartType", "Invoke-RegistryValueSet", "Invoke-RegistryValueRemove",
                 "Invoke-RegistryKeyExportRemove", "Invoke-FolderArchiveRemove", "Invoke-AclGrant"):
        body = text.split("Function %s {" % name, 1)[1].split("\n}\n", 1)[0]
        first = min(body.index(w) for w in writes if w in body)
        assert "if ($module.CheckMode) {" in body[:first], name


def test_removals_back_up_first():
    text = MODULE_PS1.read_text(encoding="utf-8")
    for name, backup, removal in (("Invoke-RegistryKeyExportRemove", "Export-RegistryKey", ".DeleteSubKeyTree("),
                                  ("Invoke-RegistryValueRemove", "Export-RegistryKey", ".DeleteValue("),
                                  ("Invoke-FolderArchiveRemove", "CreateFromDirectory(", "Remove-Item "),
                                  ("Invoke-AclGrant", "WriteAllText(", ".SetAccessControl($security)")):
        body = text.split("Function %s {" % name, 1)[1].split("\n}\n", 1)[0]
        assert body.index(backup) < body.index(removal), name
    export = text.split("Function Export-RegistryKey {", 1)[1].split("\n}\n", 1)[0]
    assert "Export-HrwRegistryKey -RegPath $Key.RegPath -File $file" in export
    helper = (ROOT / "plugins" / "module_utils" / "HrwBackup.psm1").read_text(encoding="utf-8")
    assert "reg.exe" in helper and "/reg:64" in helper


def test_never_reboots_and_waits_are_bounded():
    text = MODULE_PS1.read_text(encoding="utf-8").lower()
    assert "restart-computer" not in text and "shutdown" not in text
    assert ".waitforstatus(" in text and "[timespan]::fromseconds" in text
    assert "start-sleep" not in text


def test_function_names_ascii_and_strict_mode(root):
    for name in facts_source._functions(root):
        assert "-" in name and name.split("-", 1)[0] in APPROVED_VERBS, name
    source = MODULE_PS1.read_bytes().decode("ascii")
    assert "Set-StrictMode -Version 2.0" in source and "$ErrorActionPreference = 'Stop'" in source
    assert "Write-Host" not in source


# --------------------------------------------------------------------------- the recordings vs RETURN

def _return_doc():
    return yaml.safe_load(docs_module.RETURN)


def _check(value, spec, where):
    """Every always-returned key of ``spec`` (RETURN ``contains``) is in ``value`` with its type."""
    for key, entry in spec.items():
        if entry.get("returned") != "always":
            continue
        assert key in value, "%s.%s missing" % (where, key)
        item = value[key]
        kind = entry["type"]
        if item is None:
            # documented nullable values only
            assert key in ("backup", "diff"), "%s.%s is null" % (where, key)
            continue
        assert isinstance(item, TYPES[kind]) and not (kind == "int" and isinstance(item, bool)), \
            "%s.%s is %r, documented %s" % (where, key, item, kind)
        if kind == "list" and "contains" in entry:
            for number, element in enumerate(item):
                assert isinstance(element, dict)
                _check(element, entry["contains"], "%s.%s[%d]" % (where, key, number))


def test_recordings_exist():
    assert {"purge_applied.json", "purge_check_mode.json", "tls12_applied_reboot.json", "wu_unchanged.json",
            "wu_applied.json", "wu_check_mode.json", "registration_removed.json", "acl_failed.json"} <= set(RECORDINGS)


@pytest.mark.parametrize("name", RECORDINGS)
def test_recording_has_the_documented_shape(name):
    _check(load(name), _return_doc(), name)


@pytest.mark.parametrize("name", RECORDINGS)
def test_recording_step_results_agree_with_their_primitives(name):
    result = load(name)
    failed_at = None
    for number, step in enumerate(result["steps"]):
        statuses = [p["status"] for p in step["primitives"]]
        assert set(statuses) <= STATUSES and step["status"] in STATUSES
        for prim in step["primitives"]:
            assert prim["changed"] == (prim["status"] in ("applied", "would_apply")), (name, prim)
        assert step["changed"] == any(p["changed"] for p in step["primitives"])
        if failed_at is not None:
            assert step["status"] == "not_run" and set(statuses) == {"not_run"}, (name, step["action"])
        elif "failed" in statuses:
            assert step["status"] == "failed"
            after = statuses[statuses.index("failed") + 1:]
            assert set(after) <= {"not_run"}
            failed_at = number
        elif step["changed"]:
            assert step["status"] in ("applied", "would_apply")
            assert step["diff"] and set(step["diff"]) == {"before", "after", "before_header", "after_header"}
        else:
            assert step["status"] == "unchanged" and step["diff"] is None
        assert step["reboot_required"] == (step["action"] == "enable_tls12" and step["changed"])
        for prim in step["primitives"]:
            if prim["backup"] is not None:
                assert prim["backup"] in [b["backup"] for b in step["backups"]]
    assert result["changed"] == any(s["changed"] for s in result["steps"])
    assert result["reboot_required"] == any(s["reboot_required"] for s in result["steps"])
    assert result["backups"] == [b for s in result["steps"] for b in s["backups"]]
    assert result.get("failed", False) == (failed_at is not None)
    if failed_at is not None:
        assert result["steps"][failed_at]["action"] in result["msg"]


@pytest.mark.parametrize("name", RECORDINGS)
def test_recording_backups_are_in_backup_dir(name):
    result = load(name)
    backup_dir = result["invocation"]["module_args"]["backup_dir"]
    for backup in result["backups"]:
        assert backup["backup"].startswith(backup_dir + "\\")
        assert re.search(r"-\d{8}T\d{6}Z\.(reg|zip|sddl)$", backup["backup"]), backup["backup"]
        assert re.match(r"^[0-9a-f]{64}$", backup["sha256"])


def _ops(primitives):
    return [p["op"] for p in primitives]


@pytest.mark.parametrize("name", RECORDINGS)
def test_recording_runs_the_primitives_windows_repair_builds(name):
    result = load(name)
    sent = result["invocation"]["module_args"]["steps"]
    assert [s["action"] for s in sent] == [s["action"] for s in result["steps"]]
    for step, outcome in zip(sent, result["steps"]):
        built = windows_repair.primitives_for(step["action"], {})
        assert _ops(step["primitives"]) == _ops(built) == _ops(outcome["primitives"]), name


@pytest.mark.parametrize("name", ["purge_check_mode.json", "wu_check_mode.json"])
def test_check_mode_recording_touches_nothing(name):
    result = load(name)
    assert result["changed"] is True and result["backups"] == []
    statuses = [p["status"] for s in result["steps"] for p in s["primitives"]]
    assert "applied" not in statuses and "would_apply" in statuses
    assert all(p["backup"] is None for s in result["steps"] for p in s["primitives"])


def _templates():
    """Every single-quoted literal of the source with a {n} placeholder, as a regex."""
    out = []
    for literal in re.findall(r"'((?:[^']|'')*)'", MODULE_PS1.read_text(encoding="utf-8")):
        literal = literal.replace("''", "'")
        if "{0}" in literal:
            out.append(re.compile("^" + re.sub(r"\\\{\d\\\}", ".+", re.escape(literal)) + "$", re.S))
    return out


@pytest.mark.parametrize("name", RECORDINGS)
def test_recording_primitive_messages_come_from_the_source(name):
    templates = _templates()
    for step in load(name)["steps"]:
        for prim in step["primitives"]:
            if prim["status"] not in ("failed", "not_run"):
                assert any(t.match(prim["msg"]) for t in templates), prim["msg"]


def test_check_mode_starts_a_disabled_service_whose_start_type_an_earlier_primitive_sets():
    # H1: in check mode service_start_type changes nothing, so service_start must judge the service
    # by the start type the run would have set, not throw "disabled".
    set_type = MODULE_PS1.read_text(encoding="utf-8").split("Function Invoke-ServiceStartType {", 1)[1].split("\n}\n", 1)[0]
    check = set_type.split("if ($module.CheckMode) {", 1)[1].split("return $result", 1)[0]
    assert "$PendingStartType[$name] = $wanted" in check
    op = MODULE_PS1.read_text(encoding="utf-8").split("Function Invoke-ServiceOp {", 1)[1].split("\n}\n", 1)[0]
    disabled = op.index("throw ('the service {0} is disabled")
    planned = op.index("$startMode = $PendingStartType[$name]")
    assert op.index("$startMode = Get-ServiceStartMode -Name $name") < planned < disabled
    assert "if ($module.CheckMode -and $PendingStartType.ContainsKey($name)) {" in op[:planned]
    assert "if ($startMode -eq 'Disabled') {" in op[planned:disabled]
    # the recording of that run: both primitives would apply, the start follows the planned type
    result = load("wu_check_mode.json")
    step = result["steps"][0]
    assert step["action"] == "enable_windows_update_service" and step["status"] == "would_apply"
    start_type, start = step["primitives"]
    assert start_type["before"] == "wuauserv start type: Disabled" and start_type["status"] == "would_apply"
    assert start["op"] == "service_start" and start["status"] == "would_apply" and start["msg"] == "would start wuauserv"
    assert result["changed"] is True and "failed" not in result


def test_unchanged_recording_is_a_second_run():
    result = load("wu_unchanged.json")
    assert result["changed"] is False and result["backups"] == [] and "diff" not in result
    assert {s["status"] for s in result["steps"]} == {"unchanged"}


def test_failed_recording_reports_the_failure_and_the_steps_not_run():
    result = load("acl_failed.json")
    assert result["failed"] is True
    assert [s["status"] for s in result["steps"]] == ["failed", "not_run"]
    assert "unauthorized" in result["steps"][0]["msg"]


def test_a_failed_step_starts_again_the_services_it_stopped():
    # M1: purge stops HealthService; when the archive or the removal fails, the closing
    # service_start is not run, so the executor starts the service again and says so.
    text = MODULE_PS1.read_text(encoding="utf-8")
    loop = text.split("foreach ($step in $steps) {", 1)[1]
    assert "if ($outcome.op -eq 'service_stop' -and $outcome.status -eq 'applied') {" in loop
    assert "$stoppedHere.Add($outcome.target)" in loop
    failed = loop.split("elseif ($null -ne $stepFailed) {", 1)[1].split("\n    }\n", 1)[0]
    assert "$restarted = Start-StoppedService -Names $stoppedHere.ToArray()" in failed
    assert failed.index("Start-StoppedService") < failed.index("$failedStep = $action")
    assert "($restarted -join '; ')" in failed
    helper = text.split("Function Start-StoppedService {", 1)[1].split("\n}\n", 1)[0]
    # bounded, only when not running, and a failure to start is reported, not thrown
    assert "Start-ServiceBounded -Service $service" in helper and "-ne 'Running'" in helper
    assert "catch {" in helper and "throw" not in helper.split("#>", 1)[1]
    result = load("purge_archive_failed.json")
    step = result["steps"][0]
    assert [p["status"] for p in step["primitives"]] == ["applied", "failed", "not_run"]
    assert step["msg"].endswith("; started HealthService again after the failure")
    assert any(t.match("started HealthService again after the failure") for t in _templates())

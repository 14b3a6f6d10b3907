# -*- coding: utf-8 -*-
# Copyright: azure_hrw.doctor contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""win_hrw_registration cannot run here (no PowerShell): its source and its recorded results are checked.

The recordings in tests/unit/fixtures/windows_registration/*.json are results of the module as the
hrw_registration action receives them. Each must have every key RETURN documents with its type, agree
with itself (changed, statuses, backups, diff), and carry only messages the source can produce. The
source must keep the account key in-process: no child process gets it, every text that leaves the
module goes through the scrubber, and every removal is preceded by a reg.exe export.
"""

import json
import pathlib
import re
from urllib.parse import quote

import pytest
import yaml

from ansible_collections.azure_hrw.doctor.plugins.modules import win_hrw_registration as docs_module
from ansible_collections.azure_hrw.doctor.tests.unit.plugins.modules import module_docs
from ansible_collections.azure_hrw.doctor.tests.unit.plugins.modules import test_win_hrw_facts_source as facts_source

ROOT = pathlib.Path(__file__).resolve().parents[4]
MODULE_PS1 = ROOT / "plugins" / "modules" / "win_hrw_registration.ps1"
BACKUP_PSM1 = ROOT / "plugins" / "module_utils" / "HrwBackup.psm1"
RECORDED = ROOT / "tests" / "unit" / "fixtures" / "windows_registration"
RECORDINGS = sorted(p.name for p in RECORDED.glob("*.json"))
EXPECTED = {"present_added.json", "present_unchanged.json", "present_already_registered_refused.json",
            "reregistered_applied.json", "absent_removed.json", "absent_unchanged.json", "present_check_mode.json",
            "wrong_key_403.json", "reregistered_wrong_key_restored.json"}
# The key the recordings' runs were given (a made-up 64-byte base64 key, with the +, / and = that URL-encode).
KEY = "q1Zx+7Rk/0aB3cD4eF5gH6iJ7kL8mN9oP0qR1sT2uV3wX4yZ5a6b7c8d9e0f1g2h3i4j5k6l7m8n9o0p1q2r3s4t5u6v7w8x9y0z1A2B3C4D5E6F=="
KEY_FORMS = {KEY, quote(KEY, safe=""), quote(KEY, safe="").lower(), quote(KEY, safe="/")}
ACTIONS = {"deregister", "remove_registration_key", "restart_health_service", "register", "restore_registration_key"}
STATUSES = {"applied", "would_apply", "skipped", "failed"}
LAYOUTS = {"none", "empty_key", "root_value", "account_group", "account_group_user", "account_only"}
APPROVED_VERBS = facts_source.APPROVED_VERBS | {"Hide", "Exit", "Stop", "Remove", "Restart", "Restore"}
TYPES = {"bool": bool, "str": str, "list": list, "dict": dict}
NULLABLE = {"account_id", "group"}

parser = facts_source.parser  # the tree-sitter fixture


@pytest.fixture(scope="module")
def root(parser):
    return facts_source._parse(parser, MODULE_PS1)


def _source():
    return MODULE_PS1.read_text(encoding="utf-8")


def _function(name):
    return _source().split("Function %s {" % name, 1)[1].split("\n}\n", 1)[0]


def _spec(root):
    return facts_source._hash_to_dict(facts_source._assignment_hash(root, "$spec"))


def load(name):
    with open(str(RECORDED / name)) as f:
        return json.load(f)


# --------------------------------------------------------------------------- the source

def test_parses(root):
    assert not root.has_error


def test_options_match_documentation(root):
    documented = facts_source._normalise_options(module_docs.rendered("win_hrw_registration")["options"], "suboptions")
    spec = facts_source._normalise_options(_spec(root)["options"], "options")
    assert spec == documented


def test_the_key_is_no_log_and_check_mode_is_supported(root):
    spec = _spec(root)
    assert spec["options"]["key"]["no_log"] is True
    assert all("no_log" not in option for name, option in spec["options"].items() if name != "key")
    assert spec["supports_check_mode"] is True
    attributes = module_docs.rendered("win_hrw_registration")["attributes"]
    assert attributes["check_mode"]["support"] == "full" and attributes["diff_mode"]["support"] == "full"


def test_function_names_approved_ascii_and_strict_mode(root):
    for name in facts_source._functions(root):
        assert "-" in name and name.split("-", 1)[0] in APPROVED_VERBS, name
    source = MODULE_PS1.read_bytes().decode("ascii")
    assert "Set-StrictMode -Version 2.0" in source and "$ErrorActionPreference = 'Stop'" in source
    assert "Write-Host" not in source


def test_reuses_the_registry_reader():
    source = _source()
    assert "#AnsibleRequires -PowerShell ansible_collections.azure_hrw.doctor.plugins.module_utils.HrwReader" in source
    # the highest version folder: Get-HrwVersionFolder sorts by [version], the module takes the last
    body = _function("Find-HybridRegistration")
    assert "Get-HrwVersionFolder -Path $root" in body and "$versions[$versions.Count - 1]" in body
    assert "HybridRegistration\\HybridRegistration.psd1" in body
    reader = (ROOT / "plugins" / "module_utils" / "HrwReader.psm1").read_text(encoding="utf-8")
    assert "[Version]::TryParse" in reader and "Sort-Object -Property Version" in reader


def test_every_removal_is_backed_up_first():
    source = _source()
    # the only removals: the registry key tree, and the cmdlet's deregistration
    assert source.count(".DeleteSubKeyTree(") == 1
    for forbidden in ("Remove-Item", "Remove-ItemProperty", ".DeleteValue(", ".DeleteSubKey(", "Clear-Item"):
        assert forbidden not in source, forbidden
    for name, removal in (("Remove-RegistrationKey", ".DeleteSubKeyTree("),
                          ("Invoke-Deregistration", "Remove-HybridRunbookWorker @splat")):
        body = _function(name)
        assert "Export-RegistrationKey -Action" in body, name
        assert body.index("Export-RegistrationKey -Action") < body.index(removal), name
    export = _function("Export-RegistrationKey")
    # the export (HrwBackup.psm1, which throws when reg.exe fails) comes before the record
    assert export.index("Export-HrwRegistryKey -RegPath") < export.index("$backups.Add(")
    helper = BACKUP_PSM1.read_text(encoding="utf-8").split("Function Export-HrwRegistryKey {", 1)[1].split("\n}\n", 1)[0]
    assert "reg.exe" in helper and "/reg:64" in helper and "$LASTEXITCODE -ne 0" in helper
    assert helper.index("$LASTEXITCODE -ne 0") < helper.index("throw ('reg.exe export")


def test_every_change_is_behind_check_mode():
    source = _source()
    main = source.split("# --------------------------------------------------------------------------- run", 1)[1]
    check = main.index("if ($module.CheckMode) {")
    for change in ("Remove-RegistrationKey -Why", "Restart-HealthService\n", "Invoke-Registration", "Invoke-Deregistration"):
        assert main.index(change) > check, change
    # the check-mode branch ends the module before the first change
    assert "Exit-Module -Message ('check mode: would" in main[check:main.index("Remove-RegistrationKey -Why")]


def test_health_service_waits_are_bounded_and_it_never_reboots():
    source = _source().lower()
    assert "restart-computer" not in source and "shutdown" not in source and "start-sleep" not in source
    assert ".waitforstatus(" in source and "[timespan]::fromseconds($servicetimeoutsec)" in source
    assert re.search(r"^\$servicetimeoutsec = \d+$", source, re.M)


def _commands(root):
    for node in facts_source._walk(root):
        if node.type == "command":
            yield node


def test_the_key_is_never_given_to_a_child_process(root, parser):
    source = _source()
    assert "Start-Process" not in source and "Invoke-Expression" not in source and "[Diagnostics.Process]" not in source
    # read once, into $AccountKey; used only by the scrubber, the cmdlet splat and the empty check
    assert source.count("$module.Params['key']") == 1
    assert "$AccountKey = [string]$module.Params['key']" in source
    users = set()
    for name in re.findall(r"^Function ([\w-]+) \{", source, re.M):
        if "$AccountKey" in _function(name):
            users.add(name)
    assert users == {"New-CmdletArgument", "Assert-Input"}
    outside = re.sub(r"^Function [\w-]+ \{.*?^\}$", "", source, flags=re.M | re.S)
    assert [line for line in outside.splitlines() if "$AccountKey" in line] == [
        "$AccountKey = [string]$module.Params['key']", "        $AccountKey",
        "        [Uri]::EscapeDataString($AccountKey)", "        [Net.WebUtility]::UrlEncode($AccountKey)"]
    # the splat goes to the two cmdlets by name (in this process), nowhere else
    assert sorted(re.findall(r"^\s*(?:\$null = )?([\w-]+) @splat$", source, re.M)) == [
        "Add-HybridRunbookWorker", "Remove-HybridRunbookWorker"]
    assert source.count("@splat") == 2
    # no external program in the module; the only one is HrwBackup's reg.exe export, whose only
    # arguments are the key path and the file, which the module passes
    external = [facts_source._text(c) for c in _commands(root) if facts_source._text(c).startswith("&")]
    assert external == []
    backup_root = facts_source._parse(parser, BACKUP_PSM1)
    external = [facts_source._text(c) for c in _commands(backup_root) if facts_source._text(c).startswith("&")]
    assert external == ["& $reg export $RegPath $File /y /reg:64 2>&1", "& $reg import $File /reg:64 2>&1"]
    assert re.findall(r"Export-HrwRegistryKey [^\n]*", source) == [
        "Export-HrwRegistryKey -RegPath ('HKLM\\' + $RegistrationSubKey) -File $file"]
    assert re.findall(r"Import-HrwRegistryKey [^\n]*", source) == ["Import-HrwRegistryKey -File $file"]


def test_the_checker_catches_a_key_given_to_a_child_process(parser):
    bad = b"& $reg add HKLM\\X /d $AccountKey\n"
    commands = [facts_source._text(c) for c in _commands(parser.parse(bad).root_node)]
    assert commands and "$AccountKey" in commands[0]


def test_every_text_leaving_the_module_is_scrubbed():
    source = _source()
    hide = _function("Hide-Secret")
    assert "[regex]::Escape($form)" in hide and "IgnoreCase" in hide and "$Mask" in hide
    assert "$Mask = '********'" in source
    # results, diff, warnings and the failure message pass the scrubber in Exit-Module
    exit_body = _function("Exit-Module")
    assert "Hide-ResultSecret -Value $module.Result[$name]" in exit_body
    assert "Hide-Secret -Text $module.Diff[$name]" in exit_body
    assert "$module.Warn((Hide-Secret -Text $warning))" in exit_body
    assert "$module.FailJson((Hide-Secret -Text $Message))" in exit_body
    assert "Hide-Secret -Text $Message" in _function("Add-ActionResult") and "Hide-Secret -Text $Message" in _function("Stop-Run")
    assert "Hide-Secret -Text ($texts -join ' -> ')" in _function("Get-ErrorText")
    # outside Exit-Module, Warn is never called and FailJson only by the input checks, on scrubbed or fixed text
    without_exit = source.replace(exit_body, "")
    assert "$module.Warn(" not in without_exit
    assert "$module.ExitJson(" not in without_exit
    for call in re.findall(r"\$module\.FailJson\((.*)\)$", without_exit, re.M):
        assert "Hide-Secret" in call or "$AccountKey" not in call and "$text" not in call, call
    assert without_exit.count("$module.FailJson(") == _function("Assert-Input").count("$module.FailJson(") > 0


def test_no_message_template_or_recording_contains_the_key():
    assert all(form not in _source() for form in KEY_FORMS)
    for name in RECORDINGS:
        raw = (RECORDED / name).read_text(encoding="utf-8")
        for form in KEY_FORMS:
            assert form.lower() not in raw.lower(), (name, form)


# --------------------------------------------------------------------------- the recordings vs RETURN

def _return_doc():
    return yaml.safe_load(docs_module.RETURN)


def _check(value, spec, where):
    """Every documented key of ``spec`` (returned always, or always but for rejected options) with its type."""
    for key, entry in spec.items():
        if not entry.get("returned", "").startswith("always"):
            continue
        assert key in value, "%s.%s missing" % (where, key)
        item = value[key]
        if item is None:
            assert key in NULLABLE, "%s.%s is null" % (where, key)
            continue
        assert isinstance(item, TYPES[entry["type"]]), "%s.%s is %r, documented %s" % (where, key, item, entry["type"])
        if entry["type"] == "list" and "contains" in entry:
            for number, element in enumerate(item):
                _check(element, entry["contains"], "%s.%s[%d]" % (where, key, number))
        if entry["type"] == "dict" and "contains" in entry:
            _check(item, entry["contains"], "%s.%s" % (where, key))


def test_recordings_exist():
    assert set(RECORDINGS) == EXPECTED


@pytest.mark.parametrize("name", RECORDINGS)
def test_recording_has_the_documented_shape(name):
    result = load(name)
    doc = _return_doc()
    _check(result, doc, name)
    assert set(result) - {"invocation", "diff", "failed", "warnings"} == set(doc)
    state_keys = set(doc["state_before"]["contains"])
    for key in ("state_before", "state_after"):
        assert set(result[key]) == state_keys and result[key]["layout"] in LAYOUTS
        assert result[key]["registered"] == (result[key]["layout"] not in ("none", "empty_key"))


@pytest.mark.parametrize("name", RECORDINGS)
def test_recording_invocation_hides_the_key(name):
    args = load(name)["invocation"]["module_args"]
    assert args["key"] == "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"
    assert set(args) == set(module_docs.rendered("win_hrw_registration")["options"])


@pytest.mark.parametrize("name", RECORDINGS)
def test_recording_agrees_with_itself(name):
    result = load(name)
    check_mode = name == "present_check_mode.json"
    statuses = [a["status"] for a in result["actions"]]
    assert {a["action"] for a in result["actions"]} <= ACTIONS and set(statuses) <= STATUSES
    assert ("would_apply" in statuses) == check_mode and ("applied" not in statuses or not check_mode)
    assert result["changed"] == any(s in ("applied", "would_apply") for s in statuses)
    # a failed run ends with the failed action, or with the restore of the key it had removed
    restored = [a["action"] for a in result["actions"][-1:]] == ["restore_registration_key"]
    assert result.get("failed", False) == (statuses[-1:] == ["failed"] or restored or name == "present_already_registered_refused.json")
    assert result["diff"]["before"].startswith("HKLM:\\SOFTWARE\\Microsoft\\HybridRunbookWorker")
    assert (result["diff"]["before"] != result["diff"]["after"]) == (result["state_before"] != result["state_after"])
    # each backup belongs to an action that ran, in the backup_dir, named by the run's UTC stamp
    backup_dir = result["invocation"]["module_args"]["backup_dir"]
    ran = [a["action"] for a in result["actions"] if a["status"] != "would_apply"]
    for backup in result["backups"]:
        assert backup["action"] in ran and backup["path"] == "HKLM:\\SOFTWARE\\Microsoft\\HybridRunbookWorker"
        assert backup["backup"].startswith(backup_dir + "\\")
        assert re.search(r"\\HybridRunbookWorker-\d{8}T\d{6}Z(-\d+)?\.reg$", backup["backup"]), backup["backup"]
        assert re.match(r"^[0-9a-f]{64}$", backup["sha256"])
    # every key removal that was applied names its backup, and that backup is listed
    for action in result["actions"]:
        if action["action"] == "remove_registration_key" and action["status"] == "applied":
            assert any(b["backup"] in action["msg"] and b["action"] == "remove_registration_key" for b in result["backups"])
    if check_mode:
        assert result["backups"] == []


def _templates():
    """Every single-quoted literal of the source as a regex ({n} placeholders match any text)."""
    # a literal split over lines ('...' +<newline> '...') is one template
    literals = re.findall(r"'((?:[^']|'')*)'", re.sub(r"' \+\n\s*'", "", _source()))
    out = []
    for literal in literals:
        literal = literal.replace("''", "'")
        if "{0}" in literal:
            out.append(re.compile("^" + re.sub(r"\\\{\d\\\}", ".+", re.escape(literal)) + "$", re.S))
    return out


@pytest.mark.parametrize("name", RECORDINGS)
def test_recording_action_messages_come_from_the_source(name):
    templates = _templates()
    for action in load(name)["actions"]:
        assert any(t.match(action["msg"]) for t in templates), action["msg"]


# --------------------------------------------------------------------------- one behaviour per recording

def test_present_unchanged_is_a_second_run():
    result = load("present_unchanged.json")
    assert result["changed"] is False and result["actions"] == [] and result["backups"] == []
    assert result["state_before"] == result["state_after"] and result["state_after"]["registered"] is True
    assert result["state_after"]["group"] == result["invocation"]["module_args"]["group_name"]


def test_present_added_registers_once():
    result = load("present_added.json")
    assert [(a["action"], a["status"]) for a in result["actions"]] == [("register", "applied")]
    assert result["state_before"]["registered"] is False and result["state_after"]["registered"] is True
    assert result["state_after"]["account_id"] == result["invocation"]["module_args"]["account_id"]


def test_already_registered_elsewhere_is_refused_without_the_switch():
    result = load("present_already_registered_refused.json")
    args = result["invocation"]["module_args"]
    assert result["failed"] is True and result["changed"] is False and args["allow_destructive"] is False
    assert result["actions"] == [] and result["backups"] == []
    assert result["state_before"]["account_id"] != args["account_id"] and result["state_before"]["account_id"] in result["msg"]
    for words in ("Machine is already registered", "state: reregistered", "allow_destructive: true", "Nothing was changed"):
        assert words in result["msg"]


def test_reregistered_backs_up_before_it_removes_and_registers_last():
    result = load("reregistered_applied.json")
    assert [a["action"] for a in result["actions"]] == ["deregister", "remove_registration_key", "restart_health_service", "register"]
    assert result["actions"][0]["status"] == "skipped" and "ignored" in result["actions"][0]["msg"]
    assert [b["action"] for b in result["backups"]] == ["deregister", "remove_registration_key"]
    assert result["changed"] is True and result["state_after"]["registered"] is True


def test_absent_removed_and_absent_unchanged():
    removed = load("absent_removed.json")
    assert [(a["action"], a["status"]) for a in removed["actions"]] == [("deregister", "applied")]
    assert [b["action"] for b in removed["backups"]] == ["deregister"]
    assert removed["state_after"] == {"registered": False, "account_id": None, "group": None, "layout": "none"}
    unchanged = load("absent_unchanged.json")
    assert unchanged["changed"] is False and unchanged["actions"] == [] and unchanged["backups"] == []
    assert unchanged["state_before"]["registered"] is False


def test_check_mode_touches_nothing_and_says_what_it_would_leave():
    result = load("present_check_mode.json")
    args = result["invocation"]["module_args"]
    assert result["changed"] is True and result["backups"] == []
    assert {a["status"] for a in result["actions"]} == {"would_apply"}
    assert [a["action"] for a in result["actions"]] == ["remove_registration_key", "restart_health_service", "register"]
    assert result["state_after"]["account_id"] == args["account_id"] and result["state_after"]["group"] == args["group_name"]
    assert result["state_before"]["account_id"] != args["account_id"]


def test_wrong_key_surfaces_the_403_with_its_causes_and_changes_nothing():
    result = load("wrong_key_403.json")
    assert result["failed"] is True and result["changed"] is False and result["backups"] == []
    assert result["state_before"] == result["state_after"]
    msg = result["msg"]
    for words in ("403 Forbidden", "account key is wrong", "not linked to the Automation account", "15 minutes",
                  "Nothing was changed on this host."):
        assert words in msg, words
    forbidden = _function("Get-ForbiddenMessage")
    assert "not linked to the Automation account" in forbidden and "Get-ChangeSummary" in forbidden
    # a 403 ends the run in both cmdlets, before any fallback or retry
    for name in ("Invoke-Deregistration", "Invoke-Registration"):
        body = _function(name)
        assert body.index("Test-Forbidden") < body.index("Stop-Run -Message (Get-ForbiddenMessage")
    dereg = _function("Invoke-Deregistration")
    assert dereg.index("Stop-Run -Message (Get-ForbiddenMessage") < dereg.index("return 'failed'")


def test_a_failed_registration_restores_the_key_this_run_removed():
    # M3: reregistered (or allow_destructive) removes the key before Add-HybridRunbookWorker proves
    # the URL and key; when that fails, the export is imported again and HealthService restarted.
    remove = _function("Remove-RegistrationKey")
    assert remove.index(".DeleteSubKeyTree(") < remove.index("$run.RemovedKeyBackup = $file")
    restore = _function("Restore-RegistrationKey")
    assert "if ($null -eq $file -or $run.RestoreTried) {" in restore and "$run.RestoreTried = $true" in restore
    assert restore.index("Remove-RegistrationKey -Why") < restore.index("Import-HrwRegistryKey -File $file") < restore.index("Restart-HealthService")
    assert "Add-ActionResult -Action 'restore_registration_key' -Status 'failed'" in restore.split("catch {", 1)[1]
    assert "throw" not in restore.split("#>", 1)[1]
    # in Invoke-Registration, before the first message that ends the run (it names the restore)
    catch = _function("Invoke-Registration").split("catch {", 1)[1]
    assert catch.index("Restore-RegistrationKey") < catch.index("Stop-Run")
    assert "if (-not $again) {" in catch and "(Test-AlreadyRegistered -Text $text)" in catch.split("if (-not $again)", 1)[0]
    # any other failure of present/reregistered restores too; absent's fallback removal is kept
    main_catch = _source().split("\ncatch {\n", 1)[1]
    assert main_catch.index("if ($state -ne 'absent') {") < main_catch.index("Restore-RegistrationKey") < main_catch.index("Read-Registration")
    assert "the previous registration was restored from {1}" in _function("Get-ChangeSummary")
    helper = BACKUP_PSM1.read_text(encoding="utf-8").split("Function Import-HrwRegistryKey {", 1)[1].split("\n}\n", 1)[0]
    assert "/reg:64" in helper and helper.index("$LASTEXITCODE -ne 0") < helper.index("throw ('reg.exe import {0} failed (exit code")
    result = load("reregistered_wrong_key_restored.json")
    assert result["failed"] is True and result["state_after"] == result["state_before"]
    assert [(a["action"], a["status"]) for a in result["actions"]][-3:] == [
        ("register", "failed"), ("restart_health_service", "applied"), ("restore_registration_key", "applied")]
    backup = result["backups"][0]["backup"]
    assert "the previous registration was restored from %s" % backup in result["msg"]
    assert "403 Forbidden" in result["msg"] and backup in result["actions"][-1]["msg"]


def test_module_logging_is_off_for_the_cmdlets_that_take_the_key():
    # M4: Module Logging (event 4103) logs parameter bindings; the property is read per call, so it
    # must be $false on the cmdlets' module before either call, which both go through the import.
    body = _function("Import-HybridRegistration")
    assert body.index("Import-Module -Name $found.Path") < body.index("$owner = $commands[$name].Module")
    assert body.index("$owner.LogPipelineExecutionDetails = $false") < body.index("$run.HybridRegistration = @{")
    assert "foreach ($name in @('Add-HybridRunbookWorker', 'Remove-HybridRunbookWorker')) {" in body
    for name in ("Invoke-Deregistration", "Invoke-Registration"):
        fn = _function(name)
        assert fn.index("$hybrid = Import-HybridRegistration") < fn.index("@splat")
    notes = " ".join(module_docs.rendered("win_hrw_registration")["notes"])
    assert "Module Logging" in notes and "Residual risk" in notes
    readme = (ROOT / "roles" / "reregister" / "README.md").read_text(encoding="utf-8")
    assert "Module Logging" in readme.split("## The account key", 1)[1].split("\n## ", 1)[0]

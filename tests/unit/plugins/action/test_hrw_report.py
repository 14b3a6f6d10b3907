# -*- coding: utf-8 -*-
# Copyright: (c) azure_hrw.doctor contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``hrw_report`` action plugin: hostvars built from the recorded facts documents run
through the real catalog (tests/unit/fixtures/facts/), plus an unreachable host, a host
whose diagnosis failed and one that was never diagnosed; files on a temporary controller
directory; check mode; an unchanged second run; bad options."""

from __future__ import annotations

import json
import os
import stat
import xml.etree.ElementTree as ET

from unittest.mock import MagicMock

import pytest

from ansible.errors import AnsibleActionFail

from ansible_collections.azure_hrw.doctor.plugins.action.hrw_report import ActionModule
from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw import fleet_rules, report_readiness
from ansible_collections.azure_hrw.doctor.plugins.plugin_utils import _report
from ansible_collections.azure_hrw.doctor.tests.unit.plugins.action import action_harness
from ansible_collections.azure_hrw.doctor.tests.unit.plugins.module_utils.hrw import report_data

TEXT_FORMATS = ["table", "markdown", "json", "junit"]


def make_action(args, check_mode=False):
    task, connection = action_harness.mock_task_and_connection("azure_hrw.doctor.hrw_report", args, check_mode)
    plugin = ActionModule(task, connection, MagicMock(), loader=None, templar=None, shared_loader_obj=None)
    plugin._execute_module = MagicMock(side_effect=AssertionError("hrw_report must not run a module"))
    return plugin


def task_vars(results=None, repair=None):
    results = report_data.registered_results() if results is None else results
    hostvars = {}
    for name, result in results.items():
        hostvars[name] = {"inventory_hostname": name}
        if result is not None:
            hostvars[name]["hrw_diagnose_result"] = result
        if repair and name in repair:
            hostvars[name]["hrw_repair_result"] = repair[name]
    return {"hostvars": hostvars, "ansible_play_hosts_all": list(results), "inventory_hostname": "localhost"}


def run(args, tvars=None, check_mode=False, now="2026-11-25T21:00:00Z", monkeypatch=None):
    if monkeypatch is not None:
        monkeypatch.setattr(_report, "utc_now_iso", lambda: now)
    return make_action(args, check_mode).run(task_vars=task_vars() if tvars is None else tvars)


@pytest.fixture
def fixed_now(monkeypatch):
    holder = {"now": "2026-11-25T21:00:00Z"}
    monkeypatch.setattr(_report, "utc_now_iso", lambda: holder["now"])
    return holder


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def test_writes_every_format_with_every_host(tmp_path, fixed_now):
    dest = str(tmp_path / "report")
    result = make_action({"dest": dest, "formats": TEXT_FORMATS}).run(task_vars=task_vars())
    assert not result.get("failed"), result.get("msg")
    assert result["changed"] is True
    assert result["files"] == dict((f, os.path.join(dest, _report.FILE_NAMES[f])) for f in TEXT_FORMATS)
    names = sorted(report_data.registered_results())
    assert result["summary"]["by_status"] == {"diagnosed": 4, "unreachable": 1, "failed": 1, "not_run": 1}
    assert result["summary"]["hosts"] == len(names)

    report = json.loads(read(result["files"]["json"]))
    assert [h["name"] for h in report["hosts"]] == names
    assert report_data.json_errors(report) == []
    assert report["generated_at"] == "2026-11-25T21:00:00Z"
    statuses = dict((h["name"], h["status"]) for h in report["hosts"])
    assert statuses["down"] == "unreachable" and statuses["broken"] == "failed" and statuses["never"] == "not_run"
    assert statuses["win-agent-stopped"] == "diagnosed"  # fail_on failed it, but it has its findings
    reasons = dict((h["name"], h["reason"]) for h in report["hosts"])
    assert reasons["down"] == report_data.UNREACHABLE_MSG
    assert reasons["broken"] == report_data.FAILED_MSG
    assert "no registered result hrw_diagnose_result" in reasons["never"]
    # findings are the real catalog's
    win = [h for h in report["hosts"] if h["name"] == "win-agent-stopped"][0]
    assert win["findings"] == report_data.registered_results()["win-agent-stopped"]["findings"]

    junit = read(result["files"]["junit"])
    assert report_data.junit_errors(junit) == []
    # one suite per host, then the fleet suite of the cross-host rules (the recorded Windows
    # hosts run different agent versions, so there is always a fleet finding here)
    assert report["fleet_findings"]
    assert [s.get("name") for s in ET.fromstring(junit).findall("testsuite")] == names + ["fleet"]
    table = read(result["files"]["table"])
    markdown = read(result["files"]["markdown"])
    for name in names:
        assert any(line.startswith(name + " ") for line in table.splitlines()), name
        assert any(line.startswith("| %s |" % name.replace("_", "\\_")) for line in markdown.splitlines()), name
    assert table == result["table"]
    assert result["table_lines"] == table.rstrip("\n").split("\n")
    assert result["msg"] == "Wrote the report of 7 hosts (4 diagnosed, 1 unreachable, 1 failed, 1 not run) to %s" % dest


def test_directory_and_file_modes_and_no_temporary_files_left(tmp_path, fixed_now):
    dest = tmp_path / "a" / "b"
    result = make_action({"dest": str(dest), "formats": TEXT_FORMATS}).run(task_vars=task_vars())
    assert stat.S_IMODE(os.stat(dest).st_mode) == 0o755
    assert sorted(os.listdir(dest)) == sorted(_report.FILE_NAMES[f] for f in TEXT_FORMATS)
    for path in result["files"].values():
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o644


def test_a_second_run_with_only_a_new_timestamp_changes_nothing(tmp_path, fixed_now):
    dest = str(tmp_path)
    first = make_action({"dest": dest, "formats": TEXT_FORMATS}).run(task_vars=task_vars())
    assert first["changed"] is True
    before = dict((f, (read(p), os.stat(p).st_mtime_ns)) for f, p in first["files"].items())
    fixed_now["now"] = "2026-11-26T08:30:00Z"
    second = make_action({"dest": dest, "formats": TEXT_FORMATS}).run(task_vars=task_vars())
    assert second["changed"] is False
    assert second["msg"].startswith("Unchanged:")
    assert second["generated_at"] == "2026-11-26T08:30:00Z"
    after = dict((f, (read(p), os.stat(p).st_mtime_ns)) for f, p in second["files"].items())
    assert after == before  # not rewritten: they keep the first run's timestamp


def test_a_changed_diagnosis_rewrites_the_files(tmp_path, fixed_now):
    dest = str(tmp_path)
    make_action({"dest": dest, "formats": TEXT_FORMATS}).run(task_vars=task_vars())
    results = report_data.registered_results()
    results["never"] = report_data.diagnose_result("windows_ws2022_healthy.json")
    fixed_now["now"] = "2026-11-26T08:30:00Z"
    second = make_action({"dest": dest, "formats": TEXT_FORMATS}).run(task_vars=task_vars(results))
    assert second["changed"] is True
    report = json.loads(read(second["files"]["json"]))
    assert report["generated_at"] == "2026-11-26T08:30:00Z"
    assert [h["status"] for h in report["hosts"] if h["name"] == "never"] == ["diagnosed"]


def test_a_damaged_file_is_rewritten(tmp_path, fixed_now):
    dest = str(tmp_path)
    first = make_action({"dest": dest, "formats": ["json", "table"]}).run(task_vars=task_vars())
    with open(first["files"]["table"], "a") as f:
        f.write("edited by hand\n")
    second = make_action({"dest": dest, "formats": ["json", "table"]}).run(task_vars=task_vars())
    assert second["changed"] is True
    assert "edited by hand" not in read(first["files"]["table"])


def test_check_mode_writes_nothing_and_returns_the_would_be_paths(tmp_path, fixed_now):
    dest = tmp_path / "new"
    result = make_action({"dest": str(dest), "formats": TEXT_FORMATS}, check_mode=True).run(task_vars=task_vars())
    assert result["changed"] is True
    assert not dest.exists()
    assert result["files"]["json"] == str(dest / "hrw-report.json")
    assert result["msg"].startswith("Would write the report of 7 hosts")
    assert "win-agent-stopped" in result["table"]


def test_check_mode_on_an_up_to_date_report_is_unchanged_and_a_stale_one_is_changed(tmp_path, fixed_now):
    dest = str(tmp_path)
    make_action({"dest": dest, "formats": TEXT_FORMATS}).run(task_vars=task_vars())
    fixed_now["now"] = "2026-11-27T00:00:00Z"
    same = make_action({"dest": dest, "formats": TEXT_FORMATS}, check_mode=True).run(task_vars=task_vars())
    assert same["changed"] is False
    results = report_data.registered_results()
    del results["never"]
    before = read(os.path.join(dest, "hrw-report.json"))
    stale = make_action({"dest": dest, "formats": TEXT_FORMATS}, check_mode=True).run(task_vars=task_vars(results))
    assert stale["changed"] is True
    assert read(os.path.join(dest, "hrw-report.json")) == before


def test_hosts_option_and_a_host_outside_the_inventory(tmp_path, fixed_now):
    result = make_action({"dest": str(tmp_path), "formats": ["json"], "hosts": ["hrw-linux", "ghost", "hrw-linux"]}).run(
        task_vars=task_vars())
    report = json.loads(read(result["files"]["json"]))
    assert [(h["name"], h["status"]) for h in report["hosts"]] == [("ghost", "not_run"), ("hrw-linux", "diagnosed")]
    assert report["hosts"][0]["reason"] == "ghost is not a host of this inventory"


def test_result_var_and_repair_var(tmp_path, fixed_now):
    tvars = task_vars(repair={"hrw-linux": {"changed": True, "msg": "Repaired 1 finding\nmore", "summary": {"cleared": 1}}})
    for host in tvars["hostvars"].values():
        if "hrw_diagnose_result" in host:
            host["my_diag"] = host.pop("hrw_diagnose_result")
    result = make_action({"dest": str(tmp_path), "formats": ["json"], "result_var": "my_diag"}).run(task_vars=tvars)
    report = json.loads(read(result["files"]["json"]))
    assert report["totals"]["by_status"]["diagnosed"] == 4
    repair = dict((h["name"], h["repair"]) for h in report["hosts"])
    assert repair["hrw-linux"] == {"status": "ok", "changed": True, "msg": "Repaired 1 finding", "summary": {"cleared": 1}}
    assert repair["down"] is None
    assert report_data.json_errors(report) == []


def test_readiness_and_fleet_rules_are_called_with_the_diagnosed_hosts(tmp_path, fixed_now, monkeypatch):
    seen = {}

    def fake_fleet(facts_by_host):
        seen["fleet"] = sorted(facts_by_host)
        return [report_data.fleet_finding("Failed", hosts=["win-healthy", "hrw-linux"])]

    def fake_readiness(facts, findings):
        seen.setdefault("readiness", []).append((facts["platform"], len(findings)))
        return {"state": "Disconnected", "reason": "test", "evidence": {"n": len(findings)}}

    monkeypatch.setattr(fleet_rules, "evaluate_fleet", fake_fleet)
    monkeypatch.setattr(report_readiness, "readiness", fake_readiness)
    result = make_action({"dest": str(tmp_path), "formats": ["json", "junit"]}).run(task_vars=task_vars())
    assert seen["fleet"] == sorted(report_data.DIAGNOSED)
    assert len(seen["readiness"]) == 4
    assert result["fleet_findings"][0]["hosts"] == ["win-healthy", "hrw-linux"]
    report = json.loads(read(result["files"]["json"]))
    assert report["totals"]["readiness"] == {"Ready": 0, "Disconnected": 4, "Not configured": 0, "Unknown": 3}
    hosts = dict((h["name"], h) for h in report["hosts"])
    assert hosts["hrw-linux"]["worst"] == "Failed"  # the fleet finding names it
    junit = ET.fromstring(read(result["files"]["junit"]))
    assert [s.get("name") for s in junit.findall("testsuite")][-1] == "fleet"
    assert report_data.json_errors(report) == []


def test_a_broken_readiness_or_fleet_rule_is_a_warning_not_a_lost_report(tmp_path, fixed_now, monkeypatch):
    def boom(*args):
        raise RuntimeError("boom")

    monkeypatch.setattr(fleet_rules, "evaluate_fleet", boom)
    monkeypatch.setattr(report_readiness, "readiness", boom)
    result = make_action({"dest": str(tmp_path), "formats": ["json"]}).run(task_vars=task_vars())
    assert not result.get("failed")
    assert any("fleet rules could not be evaluated: RuntimeError: boom" in w for w in result["warnings"])
    assert any("readiness of hrw-linux could not be derived" in w for w in result["warnings"])
    assert result["fleet_findings"] == []
    assert result["summary"]["readiness"]["Unknown"] == 7


def test_html(tmp_path, fixed_now):
    result = make_action({"dest": str(tmp_path)}).run(task_vars=task_vars())
    path = result["files"]["html"]
    assert path == os.path.join(str(tmp_path), "hrw-report.html")
    with open(path) as f:
        page = f.read()
    assert page.startswith("<!DOCTYPE html>")
    for host in ("hrw-linux", "down"):
        assert 'data-host="%s"' % host in page
    assert sorted(set(result["files"]) - {"html"}) == sorted(TEXT_FORMATS)


@pytest.mark.parametrize("args, message", [
    ({"formats": ["json", "xml"]}, "formats must be a list of report formats out of table, markdown, json, junit, html, "
                                   "got the unknown format 'xml'"),
    ({"formats": []}, "formats must name at least one report format"),
    ({"result_var": "hrw-result"}, "result_var must be the name of a registered variable"),
    ({"repair_var": "1x"}, "repair_var must be the name of a registered variable"),
    ({"hosts": []}, "hosts must name at least one inventory host"),
    ({"hosts": ["a", " "]}, "hosts must be a list of inventory host names, got an empty name"),
    ({"dest": ""}, "dest must be a directory path on the controller"),
])
def test_bad_options_fail_naming_the_field(tmp_path, args, message):
    full = {"dest": str(tmp_path / "r")}
    full.update(args)
    with pytest.raises(AnsibleActionFail) as exc:
        make_action(full).run(task_vars=task_vars())
    assert message in str(exc.value)
    assert not (tmp_path / "r").exists()


def test_dest_that_is_a_file_fails(tmp_path):
    path = tmp_path / "file"
    path.write_text("x")
    with pytest.raises(AnsibleActionFail, match="dest must be a directory path on the controller, but .* is not a directory"):
        make_action({"dest": str(path)}).run(task_vars=task_vars())


def test_missing_dest_fails():
    with pytest.raises(AnsibleActionFail, match="dest"):
        make_action({}).run(task_vars=task_vars())


def test_hosts_default_needs_the_play_hosts(tmp_path):
    tvars = task_vars()
    del tvars["ansible_play_hosts_all"]
    with pytest.raises(AnsibleActionFail, match="hosts must be a list of inventory host names; it defaults to "
                                                "ansible_play_hosts_all"):
        make_action({"dest": str(tmp_path)}).run(task_vars=tvars)


def test_same_but_timestamp():
    report = {"generated_at": "2026-01-01T00:00:00Z", "x": 1}

    def render(r):
        return "report %s at %s\n" % (r["x"], r["generated_at"])

    assert _report.same_but_timestamp("report 1 at 2025-05-05T05:05:05Z\n", report, render)
    assert not _report.same_but_timestamp("report 2 at 2025-05-05T05:05:05Z\n", report, render)
    assert not _report.same_but_timestamp("report 1 at yesterday\n", report, render)


def test_undecodable_host_text_does_not_stop_the_report(tmp_path, fixed_now):
    # A lone surrogate (bytes a host reported that are not UTF-8) in a reason and in evidence.
    results = report_data.registered_results()
    results["broken"] = {"failed": True, "changed": False, "msg": "collector failed: bad byte \udc80 in log"}
    linux = results["hrw-linux"]
    linux["findings"][0]["evidence"]["odd"] = "line \udcff end"
    result = make_action({"dest": str(tmp_path)}).run(task_vars=task_vars(results))
    assert not result.get("failed"), result
    assert sorted(result["files"]) == sorted(TEXT_FORMATS + ["html"])
    report = json.loads(read(result["files"]["json"]))
    reasons = dict((h["name"], h["reason"]) for h in report["hosts"])
    assert reasons["broken"] == "collector failed: bad byte \ufffd in log"
    assert "\ufffd" in read(result["files"]["html"])

# -*- coding: utf-8 -*-
# Copyright: (c) azure_hrw.doctor contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The hrw_remediate module: argument handling, check mode, failure and the documented options."""

import json

import pytest

from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw import linux_repair
from ansible_collections.azure_hrw.doctor.plugins.modules import hrw_remediate
from ansible_collections.azure_hrw.doctor.tests.unit.plugins.modules import module_docs
from ansible_collections.azure_hrw.doctor.tests.unit.plugins.modules.test_hrw_facts import patch_module_args


@pytest.fixture
def calls(monkeypatch):
    seen = []

    def run_steps(steps, host=None, check_mode=False, backup_dir=None):
        seen.append({"steps": steps, "check_mode": check_mode, "backup_dir": backup_dir})
        # the real host, with Ansible's open_url as the only way to download (a user-named installer)
        assert isinstance(host, linux_repair.Host) and host.root == "/" and host.download is hrw_remediate._download
        status = "would_apply" if check_mode else "applied"
        if any(s["action"] == "reinstall_agent" for s in steps):
            status = "failed"
        results = [{"action": s["action"], "status": status, "changed": status != "failed", "msg": "m",
                    "backups": [], "diff": {"before": "a\n", "after": "b\n", "before_header": "h",
                                            "after_header": "h"}, "reboot_required": False} for s in steps]
        return {"changed": status != "failed", "backups": [], "steps": results}

    monkeypatch.setattr(hrw_remediate, "run_steps", run_steps)
    return seen


def _run(args, capsys):
    with patch_module_args(args):
        with pytest.raises(SystemExit) as exit_info:
            hrw_remediate.main()
    return exit_info.value.code, json.loads(capsys.readouterr().out)


def test_steps_and_default_backup_dir_reach_the_executor(calls, capsys):
    steps = [{"action": "fix_proxy_conf"}, {"action": "restart_agent", "params": {"workspace_id": "w"}}]
    code, result = _run({"steps": steps}, capsys)
    assert code == 0 and result["changed"] is True
    assert calls == [{"steps": [{"action": "fix_proxy_conf"}, {"action": "restart_agent", "params": {"workspace_id": "w"}}],
                      "check_mode": False, "backup_dir": "/var/opt/microsoft/hrw-doctor/backup"}]
    assert [s["status"] for s in result["steps"]] == ["applied", "applied"]
    assert "diff" not in result  # only with --diff


def test_check_mode_and_diff(calls, capsys):
    code, result = _run({"_ansible_check_mode": True, "_ansible_diff": True, "steps": [{"action": "fix_proxy_conf"}],
                         "backup_dir": "/srv/bk"}, capsys)
    assert code == 0
    assert calls[0]["check_mode"] is True and calls[0]["backup_dir"] == "/srv/bk"
    assert result["steps"][0]["status"] == "would_apply"
    assert result["diff"] == [{"before": "a\n", "after": "b\n", "before_header": "h", "after_header": "h"}]


@pytest.mark.parametrize("steps,expected", [
    ([{"action": "reregister"}], "steps[0].action 'reregister' is not a Linux repair action"),
    ([{"action": "fix_proxy_conf", "params": "x"}], "steps[0].params must be a dict"),
    ([{"action": "fix_proxy_conf", "param": {}}], "unknown key(s) param"),
])
def test_bad_steps_fail_before_anything_runs(calls, capsys, steps, expected):
    code, result = _run({"steps": steps}, capsys)
    assert code == 1 and result["failed"] is True
    assert expected in result["msg"]
    assert calls == [] and result["steps"] == [] and result["changed"] is False


def test_steps_are_required_and_typed(calls, capsys):
    code, result = _run({}, capsys)
    assert code == 1 and "steps" in result["msg"]
    code, result = _run({"steps": "restart_agent"}, capsys)
    assert code == 1 and "steps" in result["msg"]
    assert calls == []


def test_relative_backup_dir_is_refused(calls, capsys):
    code, result = _run({"steps": [{"action": "fix_proxy_conf"}], "backup_dir": "backup"}, capsys)
    assert code == 1 and "backup_dir must be an absolute path" in result["msg"]
    assert calls == []


def test_a_failed_step_fails_the_task_with_every_result(calls, capsys):
    code, result = _run({"steps": [{"action": "reinstall_agent", "params": {"installer": "/x.sh"}}]}, capsys)
    assert code == 1 and result["failed"] is True
    assert result["msg"] == "step reinstall_agent failed: m"
    assert result["steps"][0]["status"] == "failed"


def test_documented_options_match_the_argument_spec():
    doc = module_docs.rendered("hrw_remediate")
    assert sorted(doc["options"]) == ["backup_dir", "steps"]
    assert doc["options"]["backup_dir"]["default"] == linux_repair.DEFAULT_BACKUP_DIR
    assert doc["options"]["steps"]["type"] == "list" and doc["options"]["steps"]["elements"] == "dict"
    for name in linux_repair.ACTIONS:
        assert "V(%s)" % name in " ".join(doc["options"]["steps"]["description"])

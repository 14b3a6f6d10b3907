# -*- coding: utf-8 -*-
# Copyright: (c) azure_hrw.doctor contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The hrw_onboarding module: its own input checks, check mode and diff, failure, the key never
in the output, and the documented options."""

import base64
import json

import pytest

from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw import linux_repair
from ansible_collections.azure_hrw.doctor.plugins.modules import hrw_onboarding
from ansible_collections.azure_hrw.doctor.tests.unit.plugins.modules import module_docs
from ansible_collections.azure_hrw.doctor.tests.unit.plugins.modules.test_hrw_facts import patch_module_args

ACCOUNT = "9d6c1f0e-2b3a-4c5d-8e7f-0a1b2c3d4e5f"
URL = "https://we-agentservice-prod-1.azure-automation.net/accounts/" + ACCOUNT
WS = "5e1ab0c0-de00-4a1b-9c2d-3e4f5a6b7c8d"
KEY = base64.b64encode(bytes(range(64))).decode()
ARGS = {"state": "present", "url": URL, "account_id": ACCOUNT, "key": KEY, "group_name": "g1", "workspace_id": WS}


@pytest.fixture
def calls(monkeypatch):
    seen = []

    def run(params, host=None, check_mode=False, onboarding=None):
        seen.append(dict(params, check_mode=check_mode))
        result = {"changed": True, "state_before": {}, "state_after": {}, "actions": [], "backups": [],
                  "msg": "present: register", "warnings": ["w"]}
        error = "failed with key %s" % KEY if params["group_name"] == "boom" else None
        return result, {"before": "a\n", "after": "b\n"}, error

    monkeypatch.setattr(hrw_onboarding, "run", run)
    return seen


def _run(args, capsys):
    with patch_module_args(args):
        with pytest.raises(SystemExit) as exit_info:
            hrw_onboarding.main()
    out = capsys.readouterr().out
    return exit_info.value.code, json.loads(out), out


def test_normalised_values_and_the_default_backup_dir_reach_run(calls, capsys):
    code, result, out = _run(dict(ARGS, account_id=ACCOUNT.upper(), workspace_id=WS.upper()), capsys)
    assert code == 0 and result["changed"] is True and "diff" not in result
    assert calls[0]["account_id"] == ACCOUNT and calls[0]["workspace_id"] == WS and calls[0]["key"] == KEY
    assert calls[0]["backup_dir"] == linux_repair.DEFAULT_BACKUP_DIR and calls[0]["check_mode"] is False
    assert KEY not in out


def test_check_mode_and_diff(calls, capsys):
    code, result, dummy = _run(dict(ARGS, _ansible_check_mode=True, _ansible_diff=True), capsys)
    assert code == 0 and calls[0]["check_mode"] is True and result["diff"] == {"before": "a\n", "after": "b\n"}


@pytest.mark.parametrize("change, expected", [
    ({"account_id": "11111111-2222-4333-8444-555555555555"}, "account_id must be the account of url"),
    ({"url": "http://we-agentservice-prod-1.azure-automation.net/accounts/" + ACCOUNT}, "url must be"),
    ({"key": "not a key"}, "key must be the Automation account's primary or secondary access key"),
    ({"workspace_id": "12345"}, "workspace_id must be a Log Analytics workspace id"),
    ({"group_name": "a/b"}, "group_name must be a hybrid worker group name"),
    ({"group_name": None}, "state is present but all of the following are missing: group_name"),
    ({"backup_dir": "relative"}, "backup_dir must be an absolute path"),
])
def test_bad_input_fails_before_run(calls, capsys, change, expected):
    args = dict((k, v) for k, v in dict(ARGS, **change).items() if v is not None)
    code, result, out = _run(args, capsys)
    assert code == 1 and expected in result["msg"] and calls == []
    assert "not a key" not in out and KEY not in out


def test_a_failure_is_reported_with_the_result_and_no_key(calls, capsys):
    code, result, out = _run(dict(ARGS, group_name="boom"), capsys)
    assert code == 1 and result["failed"] is True and result["actions"] == []
    assert KEY not in out  # no_log masks the value in whatever Ansible prints


def test_documented_options_match_the_argument_spec():
    doc = module_docs.rendered("hrw_onboarding")
    assert sorted(doc["options"]) == ["account_id", "allow_destructive", "backup_dir", "group_name", "key", "state",
                                      "url", "workspace_id"]
    assert doc["options"]["backup_dir"]["default"] == linux_repair.DEFAULT_BACKUP_DIR
    assert doc["options"]["state"]["choices"] == ["present", "absent", "reregistered"]

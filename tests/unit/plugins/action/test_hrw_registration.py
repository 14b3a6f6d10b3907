# -*- coding: utf-8 -*-
# Copyright: (c) azure_hrw.doctor contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""hrw_registration's action plugin: every input checked before the host is touched, one host
module call per platform, and the key scrubbed from whatever comes back."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import json

import pytest

from ansible.errors import AnsibleActionFail

from ansible_collections.azure_hrw.doctor.plugins.action.hrw_registration import ActionModule
from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw.secrets import MASK, scrub
from ansible_collections.azure_hrw.doctor.tests.unit.plugins.action.action_harness import make_action

ACCOUNT = "9d6c1f0e-2b3a-4c5d-8e7f-0a1b2c3d4e5f"
WS = "5e1ab0c0-de00-4a1b-9c2d-3e4f5a6b7c8d"
URL = "https://%s.agentsvc.we.azure-automation.net/accounts/%s" % (ACCOUNT, ACCOUNT)
KEY = base64.b64encode(bytes(range(64))).decode("ascii")
GOOD = {"state": "present", "group_name": "hrw-group-1", "registration_url": URL, "account_key": KEY, "workspace_id": WS}


def plugin_for(args, answer=None, windows=False, check_mode=False):
    return make_action(args, answer if answer is not None else {"changed": False, "msg": "already registered"},
                       windows=windows, check_mode=check_mode, action_class=ActionModule,
                       action="azure_hrw.doctor.hrw_registration")


@pytest.mark.parametrize("change, expected", [
    ({"workspace_id": "12345"}, "workspace_id must be a Log Analytics workspace id, a GUID"),
    ({"workspace_id": None}, "workspace_id is required for state=present on a Linux host"),
    ({"registration_url": "http://we-agentservice-prod-1.azure-automation.net/accounts/%s" % ACCOUNT},
     "registration_url must be the Automation account's registration URL"),
    ({"registration_url": "https://example.com/accounts/%s" % ACCOUNT}, "the host must be an Automation host"),
    ({"group_name": "a/b"}, "group_name must be a hybrid worker group name"),
    ({"group_name": ""}, "group_name is required for state=present"),
    ({"account_key": "secret-but-not-base64!"}, "account_key must be the Automation account's primary or secondary access key"),
    ({"account_key": None, "registration_url": None}, "registration_url and account_key are required"),
    ({"state": "gone"}, "value of state must be one of: present, absent, reregistered"),
    ({"backup_dir": "relative/dir"}, "backup_dir must be an absolute path on the host"),
])
def test_each_bad_input_fails_before_the_host_is_touched(change, expected):
    args = dict(GOOD, **change)
    args = dict((k, v) for k, v in args.items() if v is not None)
    plugin, fake = plugin_for(args)
    with pytest.raises(AnsibleActionFail) as err:
        plugin.run(task_vars={})
    assert expected in str(err.value)
    assert fake.calls == []
    assert "secret-but-not-base64!" not in str(err.value) and KEY not in str(err.value)


def test_absent_needs_no_group_but_linux_needs_the_workspace():
    plugin, fake = plugin_for({"state": "absent", "registration_url": URL, "account_key": KEY, "workspace_id": WS})
    plugin.run(task_vars={})
    assert fake.calls[0]["module_args"] == {"state": "absent", "url": URL, "account_id": ACCOUNT, "key": KEY,
                                            "allow_destructive": False, "workspace_id": WS}


def test_linux_calls_hrw_onboarding_once_with_normalised_values():
    args = dict(GOOD, registration_url=URL.upper().replace("HTTPS", "https").replace("/ACCOUNTS/", "/accounts/"),
                workspace_id=WS.upper(), group_name=" hrw-group-1 ", backup_dir="/var/backups/hrw")
    plugin, fake = plugin_for(args)
    plugin.run(task_vars={})
    assert [c["module_name"] for c in fake.calls] == ["azure_hrw.doctor.hrw_onboarding"]
    assert fake.calls[0]["module_args"] == {"state": "present", "url": URL, "account_id": ACCOUNT, "key": KEY,
                                            "allow_destructive": False, "group_name": "hrw-group-1",
                                            "workspace_id": WS, "backup_dir": "/var/backups/hrw"}


def test_windows_calls_win_hrw_registration_and_needs_no_workspace():
    args = dict(GOOD)
    del args["workspace_id"]
    plugin, fake = plugin_for(args, windows=True)
    plugin.run(task_vars={})
    assert [c["module_name"] for c in fake.calls] == ["azure_hrw.doctor.win_hrw_registration"]
    assert "workspace_id" not in fake.calls[0]["module_args"]


def test_the_key_is_scrubbed_from_everything_the_host_returns():
    echoed = {"changed": False, "failed": True, "msg": "onboarding.py -k %s failed" % KEY,
              "stderr_lines": ["key=%s" % KEY.replace("+", "%2B").replace("/", "%2F").replace("=", "%3D")],
              "nested": {"list": [KEY, {"k": "x%sy" % KEY}]},
              "invocation": {"module_args": {"key": "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"}}}
    plugin, fake = plugin_for(dict(GOOD), answer=echoed)
    result = plugin.run(task_vars={})
    text = json.dumps(result)
    assert KEY not in text and "%2B" not in text and "invocation" not in result
    assert result["msg"] == "hrw_registration: onboarding.py -k %s failed" % MASK
    assert result["nested"] == {"list": [MASK, {"k": "x%sy" % MASK}]}


def test_scrub_leaves_other_values_alone():
    assert scrub({"a": 1, "b": None, "c": ["x"], "d": True}, KEY, None, "") == {"a": 1, "b": None, "c": ["x"], "d": True}


def test_the_digest_has_one_line_per_action_and_backup():
    answer = {"changed": True, "msg": "re-registered",
              "actions": [{"action": "deregister", "status": "applied", "msg": "removed"},
                          {"action": "register", "status": "applied", "msg": "registered in\n hrw-group-1"}],
              "backups": [{"action": "deregister", "path": "/home/nxautomation/state/worker.conf", "backup": "/b/worker.conf.1"}]}
    plugin, dummy = plugin_for(dict(GOOD, state="reregistered"), answer=answer)
    result = plugin.run(task_vars={})
    assert result["digest"] == ["deregister: applied - removed", "register: applied - registered in hrw-group-1",
                                "  backup of /home/nxautomation/state/worker.conf: /b/worker.conf.1"]

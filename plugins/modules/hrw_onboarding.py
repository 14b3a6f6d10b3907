#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) azure_hrw.doctor contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: hrw_onboarding
short_description: Register or deregister an agent-based (V1) Linux user Hybrid Runbook Worker with the agent's onboarding script
version_added: 0.6.0
author:
  - azure_hrw.doctor contributors (@azure-hrw)
description:
  - The Linux host module of M(azure_hrw.doctor.hrw_registration), which checks every input on the controller and
    then calls this module once. Use that action rather than this module directly.
  - Reads the user (DIY) worker registration from C(/home/nxautomation/state/worker.conf) and makes it what
    O(state) says. V(present) is C(changed=false) when that file already names the account of O(url) and
    O(group_name) and, when it records one (C([registration-metadata] workspace_id)), the workspace O(workspace_id);
    V(absent) is C(changed=false) when the file does not exist.
  - With V(present), a registration to another account, group or workspace is in the way (C(--register) would
    answer "an existing worker was found"), so it is deregistered and the worker registered again only with
    O(allow_destructive=true), else the module fails, naming the switch and what differs.
  - Registers and deregisters with the agent's own C(onboarding.py) (C(--register)/C(--deregister) with
    C(-w -k -g -e)), whose Python 3 part C(<automationworker>/3.x/scripts/onboarding3.py) is imported and its
    C(main()) run B(inside this module's process) with C(sys.argv) set there, so the key is not in any process's
    command line. The script's signing step (C(openssl dgst -hmac <key>) in a child shell) is replaced by the same
    HMAC-SHA256 computed in-process, and while the script runs no child process may start with the key in its
    arguments or environment (refused, and the run fails, if an agent version tries).
  - Before deregistering, the state files (C(worker.conf), C(worker_diy.crt), C(worker_diy.key)) are copied to
    O(backup_dir). When deregistration fails because the service does not know the worker (404, "Worker not
    found"), the local state is incomplete, or C(--register) answers "an existing worker was found", the documented
    fallback backs the state files up, renames them to C(*_old) and registers again; only with
    O(state=reregistered) or O(allow_destructive=true), else the module fails naming the switch. The fallback's
    other documented steps (C(onboard_agent.sh --purge) and re-onboarding the agent with the workspace key) are
    not done.
  - A registration that fails (for example 403 Forbidden) is undone on the host - the certificate, key and empty
    C(worker.conf) the script leaves behind are removed, files it overwrote are restored - so the host stays as it
    was; the 403 message gives the troubleshooting guide's causes (wrong key, workspace not linked to the account
    or unsupported region pair, clock skew).
  - The key never appears in the result, the diff or a message (every text is scrubbed of it and of its
    URL-encoded forms).
options:
  state:
    description:
      - V(present) - registered in O(group_name) of the account of O(url).
      - V(absent) - not registered.
      - V(reregistered) - deregistered (or, when that fails as above, the state files backed up and renamed to
        C(*_old)), then registered again. Always changes.
    type: str
    choices: [present, absent, reregistered]
    default: present
  url:
    description:
      - The Automation account's registration URL, C(https://<host>/accounts/<accountId>), checked on the controller.
    type: str
    required: true
  account_id:
    description:
      - The Automation account id of O(url) (a GUID); compared with C(account_id) in C(worker.conf).
    type: str
    required: true
  key:
    description:
      - The Automation account's access key. Held in this process only; never in a result or a message.
    type: str
    required: true
  group_name:
    description:
      - The hybrid worker group. Required with V(present) and V(reregistered).
    type: str
  workspace_id:
    description:
      - The Log Analytics workspace id the OMS agent reports to (C(onboarding.py -w)); its
        C(/var/opt/microsoft/omsagent/<id>/state) and C(run) must exist.
      - With V(present), compared with the C(workspace_id) that C(worker.conf) records, when it records one.
    type: str
    required: true
  allow_destructive:
    description:
      - Allow the fallback (back up, rename the state files to C(*_old)) with V(present) and V(absent), and a
        registration of another account, group or workspace to be replaced with V(present).
    type: bool
    default: false
  backup_dir:
    description:
      - Absolute directory for the backups (created mode 0700; copies created mode 0600). An existing directory
        keeps its mode; when group or others have any permission on it, the result has a warning.
    type: path
    default: /var/opt/microsoft/hrw-doctor/backup
attributes:
  check_mode:
    support: full
    details: Nothing is imported, run, copied or renamed; RV(state_after) and RV(actions) say what would be.
  diff_mode:
    support: full
    details: The registration (worker.conf path, account id, group, workspace id when recorded) before and after.
  platform:
    support: full
    platforms: posix
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
notes:
  - Needs root (C(become=true)) and Python 3 on the host; agents whose onboarding runs on Python 2 only are not
    supported.
  - The key reaches the host in Ansible's module payload (on stdin with pipelining, else in a file of the remote
    temporary directory that only the connecting user can read and that Ansible removes) and is then held in this
    process's memory only.
seealso:
  - module: azure_hrw.doctor.hrw_registration
"""

EXAMPLES = r"""
# Normally called by the hrw_registration action, which validates the inputs first:
- name: Register the worker
  azure_hrw.doctor.hrw_registration:
    state: present
    group_name: hrw-group-1
    registration_url: https://we-agentservice-prod-1.azure-automation.net/accounts/9d6c1f0e-2b3a-4c5d-8e7f-0a1b2c3d4e5f
    account_key: "{{ vault_automation_account_key }}"
    workspace_id: 5e1ab0c0-de00-4a1b-9c2d-3e4f5a6b7c8d
  become: true

- name: The host module itself (the same checks are repeated on the host)
  azure_hrw.doctor.hrw_onboarding:
    state: reregistered
    url: https://we-agentservice-prod-1.azure-automation.net/accounts/9d6c1f0e-2b3a-4c5d-8e7f-0a1b2c3d4e5f
    account_id: 9d6c1f0e-2b3a-4c5d-8e7f-0a1b2c3d4e5f
    key: "{{ vault_automation_account_key }}"
    group_name: hrw-group-1
    workspace_id: 5e1ab0c0-de00-4a1b-9c2d-3e4f5a6b7c8d
  become: true
"""

RETURN = r"""
changed:
  description: Whether the registration changed (in check mode - would change).
  returned: always
  type: bool
  sample: true
state_before:
  description: The registration found before.
  returned: always
  type: dict
  contains:
    registered:
      description: Whether C(/home/nxautomation/state/worker.conf) exists.
      type: bool
    account_id:
      description: Its C(account_id), or V(null).
      type: str
    group:
      description: Its C(hybrid_worker_group_name), or V(null).
      type: str
    layout:
      description: V(worker_conf) or V(none).
      type: str
  sample: {"registered": true, "account_id": "9d6c1f0e-2b3a-4c5d-8e7f-0a1b2c3d4e5f", "group": "hrw-group-1",
           "layout": "worker_conf"}
state_after:
  description: The registration after (in check mode - what it would be), same keys as RV(state_before).
  returned: always
  type: dict
  sample: {"registered": false, "account_id": null, "group": null, "layout": "none"}
actions:
  description: What was done (or would be done), in order.
  returned: always
  type: list
  elements: dict
  contains:
    action:
      description: V(deregister), V(backup_state) (back up and rename to C(*_old)) or V(register).
      type: str
    status:
      description: V(applied), V(would_apply) (check mode), V(skipped) or V(failed).
      type: str
    msg:
      description: What the step did or why not.
      type: str
  sample: [{"action": "register", "status": "applied",
            "msg": "onboarding.py --register: Registration successful! (group hrw-group-1, https://...)"}]
backups:
  description: Every file copied into O(backup_dir) before it was removed, renamed or overwritten.
  returned: always
  type: list
  elements: dict
  contains:
    action:
      description: The step that made the copy.
      type: str
    path:
      description: The file on the host.
      type: str
    backup:
      description: The copy, C(<backup_dir>/<path with _>.<UTC yyyymmddTHHMMSSZ>).
      type: str
    sha256:
      description: SHA-256 of the copy.
      type: str
  sample: [{"action": "deregister", "path": "/home/nxautomation/state/worker.conf",
            "backup": "/var/opt/microsoft/hrw-doctor/backup/home_nxautomation_state_worker.conf.20240501T120000Z",
            "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}]
msg:
  description: What happened in one line; on failure the reason and what was changed before it (or that nothing was).
  returned: always
  type: str
  sample: "present: register"
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw.linux_onboarding import run
from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw.linux_repair import DEFAULT_BACKUP_DIR
from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw.registration_input import (
    check_account_key,
    check_group_name,
    check_registration_url,
    check_workspace_id,
)

EMPTY = {"changed": False, "actions": [], "backups": []}


def _checked(module):
    """The parameters, normalised; fails naming the field (the controller checked them first)."""
    params = dict(module.params)
    try:
        url = check_registration_url(params["url"], field="url")
        if url["account_id"] != (params["account_id"] or "").strip().lower():
            raise ValueError("account_id must be the account of url (/accounts/%s), got %r"
                             % (url["account_id"], params["account_id"]))
        params.update(url=url["url"], account_id=url["account_id"],
                      key=check_account_key(params["key"], field="key"),
                      workspace_id=check_workspace_id(params["workspace_id"]))
        if params.get("group_name") not in (None, ""):
            params["group_name"] = check_group_name(params["group_name"])
    except ValueError as exc:
        module.fail_json(msg=str(exc), **EMPTY)
    if not params["backup_dir"].startswith("/"):
        module.fail_json(msg="backup_dir must be an absolute path on the host, got %r" % params["backup_dir"], **EMPTY)
    return params


def _run_module(host=None, onboarding=None):
    module = AnsibleModule(
        argument_spec=dict(
            state=dict(type="str", default="present", choices=["present", "absent", "reregistered"]),
            url=dict(type="str", required=True),
            account_id=dict(type="str", required=True),
            key=dict(type="str", required=True, no_log=True),
            group_name=dict(type="str"),
            workspace_id=dict(type="str", required=True),
            allow_destructive=dict(type="bool", default=False),
            backup_dir=dict(type="path", default=DEFAULT_BACKUP_DIR),
        ),
        required_if=[("state", "present", ("group_name",)), ("state", "reregistered", ("group_name",))],
        supports_check_mode=True,
    )
    params = _checked(module)
    result, diff, error = run(params, host=host, check_mode=module.check_mode, onboarding=onboarding)
    for warning in result.pop("warnings", []):
        module.warn(warning)
    if module._diff and diff:
        result["diff"] = diff
    if error:
        result.pop("msg", None)
        module.fail_json(msg=error, **result)
    module.exit_json(**result)


def main():
    _run_module()


if __name__ == "__main__":
    main()

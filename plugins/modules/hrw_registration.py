#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) azure_hrw.doctor contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# This file only documents the module: the implementation is the action plugin
# plugins/action/hrw_registration.py, which checks the inputs on the controller and calls
# hrw_onboarding (Linux) or win_hrw_registration (Windows) on the host.

from __future__ import annotations

DOCUMENTATION = r"""
---
module: hrw_registration
short_description: Register, deregister or re-register an agent-based Hybrid Runbook Worker
version_added: 0.1.0
author:
  - azure_hrw.doctor contributors (@azure-hrw)
description:
  - Makes the host's user (DIY) Hybrid Runbook Worker registration what O(state) says, idempotently.
  - V(present) registers the worker in O(group_name) of the Automation account of O(registration_url), and
    reports C(changed=false) when the host is already registered there (read from
    C(/home/nxautomation/state/worker.conf) on Linux, from C(HKLM:\SOFTWARE\Microsoft\HybridRunbookWorker) on Windows).
    On Linux the workspace that C(worker.conf) records, when it records one, must also be O(workspace_id); a worker
    of another workspace is registered again only with O(allow_destructive=true).
  - V(absent) deregisters it, and reports C(changed=false) when it is not registered.
  - V(reregistered) deregisters, cleans the stale state (backed up first) and registers again.
  - "Linux - runs the agent's own C(onboarding.py) (C(--register)/C(--deregister) with the workspace, key, group and
    endpoint) inside the module's Python process, so the key never appears in a process list. When deregistration
    fails (worker not found, \"an existing worker was found\"), the documented fallback backs up the state files,
    renames them to C(*_old) and registers again."
  - "Windows - imports C(HybridRegistration) from the highest C(AzureAutomation\\<version>) folder of the Microsoft
    Monitoring Agent and runs C(Add-HybridRunbookWorker) / C(Remove-HybridRunbookWorker). A host registered with
    another account or group (\"Machine is already registered\") is cleaned (the registration key exported, removed,
    HealthService restarted) only with O(state=reregistered) or O(allow_destructive=true)."
  - Every input is checked before the host is touched; the message names the field and the expected form.
options:
  state:
    description:
      - V(present) - registered in O(group_name) of the account.
      - V(absent) - not registered.
      - V(reregistered) - deregistered, stale state removed (after a backup), registered again. Always changes.
    type: str
    choices: [present, absent, reregistered]
    default: present
  group_name:
    description:
      - The hybrid worker group. Required for V(present) and V(reregistered).
      - "1 to 128 characters, none of C(< > * % & : \\ ? . + / #), no control characters."
    type: str
  registration_url:
    description:
      - The Automation account's registration URL (the account's B(Keys) page, I(URL)), in the account-specific
        form C(https://<accountId>.agentsvc.<region>.azure-automation.net/accounts/<accountId>) or the regional form
        C(https://<region>-agentservice-prod-1.azure-automation.net/accounts/<accountId>); C(.us), C(.cn) and C(.de)
        for the other clouds. Required.
    type: str
  account_key:
    description:
      - The Automation account's primary or secondary access key (88 base64 characters). Required.
      - Never shown - not in the result, the diff, a log or an error message.
    type: str
  workspace_id:
    description:
      - The Log Analytics workspace id (a GUID) the Linux worker belongs to; C(onboarding.py) needs it for both
        registering and deregistering. Required on Linux; on Windows only checked for its form.
    type: str
  allow_destructive:
    description:
      - Allow removing a registration that stands in the way (Windows "Machine is already registered", a failed
        deregistration's fallback) with O(state=present) or O(state=absent). What is removed is backed up first.
    type: bool
    default: false
  backup_dir:
    description:
      - Absolute directory on the host for the backups. Default C(/var/opt/microsoft/hrw-doctor/backup) on Linux,
        C(C:\ProgramData\azure_hrw.doctor\backup) on Windows.
    type: str
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
attributes:
  action:
    support: full
  async:
    support: none
  bypass_host_loop:
    support: none
  check_mode:
    support: full
    details: Nothing is registered, removed or written; RV(state_after) and RV(actions) say what would be done.
  diff_mode:
    support: full
    details: The registration (account, group, layout) before and after, never the key.
  platform:
    support: full
    platforms: [posix, windows]
notes:
  - Use C(become=true) on Linux.
  - The key travels to the host inside Ansible's module payload (over SSH/WinRM, on stdin with pipelining, else in a
    file of the remote temporary directory that only the connecting user can read and that Ansible removes). It is
    then held in the memory of the module's process only. On Linux the agent's C(onboarding.py) takes the key as a
    C(-k) argument; running it in-process keeps it out of C(/proc/*/cmdline).
seealso:
  - module: azure_hrw.doctor.hrw_repair
  - name: Deploy an agent-based Linux Hybrid Runbook Worker
    description: Microsoft's instructions this module automates.
    link: https://learn.microsoft.com/azure/automation/automation-linux-hrw-install
"""

EXAMPLES = r"""
- name: Register the worker in its group (no change when it already is)
  azure_hrw.doctor.hrw_registration:
    state: present
    group_name: hrw-group-1
    registration_url: https://9d6c1f0e-2b3a-4c5d-8e7f-0a1b2c3d4e5f.agentsvc.we.azure-automation.net/accounts/9d6c1f0e-2b3a-4c5d-8e7f-0a1b2c3d4e5f
    account_key: "{{ vault_automation_account_key }}"
    workspace_id: 5e1ab0c0-de00-4a1b-9c2d-3e4f5a6b7c8d
  become: true

- name: Re-register a broken worker (deregister, back up and clean the state, register)
  azure_hrw.doctor.hrw_registration:
    state: reregistered
    group_name: hrw-group-1
    registration_url: https://we-agentservice-prod-1.azure-automation.net/accounts/9d6c1f0e-2b3a-4c5d-8e7f-0a1b2c3d4e5f
    account_key: "{{ vault_automation_account_key }}"
    workspace_id: 5e1ab0c0-de00-4a1b-9c2d-3e4f5a6b7c8d
  become: true

- name: Remove the worker's registration
  azure_hrw.doctor.hrw_registration:
    state: absent
    registration_url: https://we-agentservice-prod-1.azure-automation.net/accounts/9d6c1f0e-2b3a-4c5d-8e7f-0a1b2c3d4e5f
    account_key: "{{ vault_automation_account_key }}"
    workspace_id: 5e1ab0c0-de00-4a1b-9c2d-3e4f5a6b7c8d
  become: true
"""

RETURN = r"""
changed:
  description: Whether the registration changed (in check mode - would change).
  returned: always
  type: bool
state_before:
  description: The registration found on the host before.
  returned: success
  type: dict
  contains:
    registered:
      description: Whether a user worker registration was found.
      type: bool
    account_id:
      description: The Automation account id of the registration.
      type: str
    group:
      description: The hybrid worker group.
      type: str
    layout:
      description:
        - Where the registration was read. Windows - V(none), V(empty_key), V(root_value), V(account_group),
          V(account_group_user), V(account_only). Linux - V(none) or V(worker_conf).
      type: str
state_after:
  description: The registration after (in check mode - what it would be), same keys as RV(state_before).
  returned: success
  type: dict
actions:
  description: What was done (or would be done), in order.
  returned: success
  type: list
  elements: dict
  contains:
    action:
      description:
        - The step, for example V(deregister), V(backup_state), V(remove_registration_key), V(restart_health_service),
          V(register).
      type: str
    status:
      description: V(applied), V(would_apply) (check mode), V(skipped) or V(failed).
      type: str
    msg:
      description: What the step did or why not.
      type: str
backups:
  description: What was backed up before it was removed or renamed.
  returned: success
  type: list
  elements: dict
  contains:
    action:
      description: The step that made the backup.
      type: str
    path:
      description: What was backed up.
      type: str
    backup:
      description: Where the copy is, on the host.
      type: str
    sha256:
      description: SHA-256 of the copy (files).
      type: str
digest:
  description: One readable line per action (action, status, message) and per backup, for the role's output.
  returned: success
  type: list
  elements: str
  sample: ["deregister: applied - removed the worker from the account", "register: applied - registered in hrw-group-1"]
msg:
  description: What happened, in one line. On failure the reason, for example the registration endpoint's 403 with
    its likely causes (a wrong key, or a workspace not linked to the account).
  returned: always
  type: str
"""

#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: azure_hrw.doctor contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# Documentation only: the module is win_hrw_registration.ps1 (PowerShell, Ansible.Basic).

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: win_hrw_registration
short_description: Register, deregister or re-register a Windows agent-based Hybrid Runbook Worker
version_added: 0.1.0
author:
  - azure_hrw.doctor contributors (@azure-hrw)
description:
  - The Windows back end of M(azure_hrw.doctor.hrw_registration), which validates the input on the
    controller and calls this module once. Use that action; this module trusts its input only as
    far as the checks it repeats (O(account_id) a GUID, O(url) https and of that account,
    O(backup_dir) absolute).
  - For the agent-based (V1) worker on the Microsoft Monitoring Agent. It uses the HybridRegistration
    module the AzureAutomation solution puts under the agent, from the highest
    C(AzureAutomation\<version>) folder (versions compared as versions, so 7.3.10 is above 7.3.9), and
    its cmdlets C(Add-HybridRunbookWorker -GroupName -Url -Key) and C(Remove-HybridRunbookWorker -Url -Key)
    (or the 2017 parameter names C(-EndPoint) and C(-Token), when that is what the installed version takes).
  - It reads the registration from C(HKLM:\SOFTWARE\Microsoft\HybridRunbookWorker) in all its layouts - a
    C(RunbookWorkerGroup) value on the key itself (older workers), C(<AccountId>\<GroupName>) subkeys
    (newer), with a C(User) subkey for user workers.
  - O(state=present) - registered to O(account_id) and O(group_name) already, nothing is done
    (V(changed=false)); an older-layout registration that does not record its account is compared by
    the group only. Not registered, it runs C(Add-HybridRunbookWorker). Registered to another account or
    group (C(Add-HybridRunbookWorker) would answer "Machine is already registered"), it fails naming the
    current registration, unless O(allow_destructive=true) - then it does what the troubleshooting guide
    says - export the key, remove it, restart C(HealthService), add again.
    The same happens when C(Add-HybridRunbookWorker) itself answers "Machine is already registered".
  - O(state=absent) - not registered, nothing is done. Registered, it exports the key and runs
    C(Remove-HybridRunbookWorker). When that fails and O(allow_destructive=true), it falls back to removing
    the key itself (then restarts C(HealthService)) and says the worker must also be deleted in the
    Automation account; without O(allow_destructive) it fails and removes nothing.
  - O(state=reregistered) - always registers again - C(Remove-HybridRunbookWorker) (a worker the service
    does not know is ignored; skipped when the machine is registered to another account, which this
    account's key cannot deregister), export and remove the key, restart C(HealthService), C(Add-HybridRunbookWorker).
  - A 403 Forbidden from either cmdlet fails the module at once with the known causes (a wrong or
    regenerated key; the agent's workspace not linked to the Automation account; a clock more than 15
    minutes off) and what was changed - for C(Remove-HybridRunbookWorker), the first call that uses the
    key, that is nothing.
  - The key goes to the cmdlets in this PowerShell process only - never as an argument of a child process
    (C(reg.exe) gets the key path and the backup file only), never in the result. It is replaced by
    C(********) (as are its URL-encoded forms) in every message, action, warning and diff text.
  - Before anything is removed, the key is exported with C(reg.exe export) to
    C(<backup_dir>\HybridRunbookWorker-<UTC yyyymmddTHHMMSSZ>.reg) and listed in RV(backups).
  - When the run removed the key (O(state=reregistered), or O(allow_destructive) over another registration)
    and the registration that follows fails (a 403 from a wrong key, or any other error), the export is
    imported again (C(reg.exe import)), C(HealthService) is restarted, and RV(actions) and RV(msg) say
    "the previous registration was restored from <file>" (V(restore_registration_key)).
options:
  state:
    description:
      - V(present) - registered to O(account_id) and O(group_name); V(absent) - not registered;
        V(reregistered) - deregistered, the stale registration removed, and registered again (changes every run).
    type: str
    choices: [present, absent, reregistered]
    default: present
  group_name:
    description:
      - The Hybrid Runbook Worker group. Required with O(state=present) and O(state=reregistered).
    type: str
  url:
    description:
      - The registration URL of the Automation account (its Keys page), C(https://...).
    type: str
    required: true
  key:
    description:
      - The Primary (or Secondary) access key of the Automation account. Never logged or returned.
    type: str
    required: true
  account_id:
    description:
      - The Automation account id (a GUID), which M(azure_hrw.doctor.hrw_registration) reads from O(url).
        The registration in the registry is compared with it.
    type: str
    required: true
  allow_destructive:
    description:
      - Allow removing the registration key when the machine is registered elsewhere (O(state=present)),
        and as the fallback when C(Remove-HybridRunbookWorker) fails (O(state=absent) and O(state=reregistered)).
        O(state=reregistered) always removes the key.
    type: bool
    default: false
  backup_dir:
    description:
      - The folder on the host that receives the registry exports. Created when missing, with access for
        SYSTEM and Administrators only; an existing folder is used as it is.
    type: path
    default: C:\ProgramData\azure_hrw.doctor\backup
attributes:
  check_mode:
    support: full
    description:
      - Nothing is touched (no export either); RV(actions) lists what would be done (C(status=would_apply))
        and RV(state_after) the registration it would leave. The HybridRegistration module and the
        C(HealthService) service are still looked up, so a host that cannot register fails in check mode too.
  diff_mode:
    support: full
    description: The registration (key, then one line per account and group) before and after.
  platform:
    support: full
    platforms: windows
    description: Windows Server 2012 R2 and later with Windows PowerShell 5.1 and the Microsoft Monitoring Agent.
notes:
  - Run it as an administrator (the default for WinRM and PSRP connections).
  - HybridRegistration's source is not public; the messages it is matched on ("already registered",
    403/Forbidden, not registered/404) come from the troubleshooting guide and may differ between versions.
  - After a deregistration, the worker's certificate stays valid for 45 minutes; a stale worker entry in the
    Automation account is deleted in the portal (Hybrid worker groups).
  - Restore a backup with C(reg import <file>), then C(Restart-Service HealthService).
  - PowerShell Module Logging (event 4103) would record the C(-Key) of the HybridRegistration cmdlets;
    the module turns C(LogPipelineExecutionDetails) off for that module before calling them. Residual
    risk - commands of other modules that HybridRegistration calls internally (its source is not public)
    are still logged when the policy covers them, and a transcript (C(Start-Transcript) or the
    transcription policy) is not affected by that switch; keep such logs readable by administrators only.
seealso:
  - module: azure_hrw.doctor.hrw_registration
  - module: azure_hrw.doctor.win_hrw_facts
"""

EXAMPLES = r"""
# Normally called by the azure_hrw.doctor.hrw_registration action, which validates the input first.
- name: Register the worker in group hrw-group-1
  azure_hrw.doctor.win_hrw_registration:
    state: present
    group_name: hrw-group-1
    url: https://1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f.agentsvc.we.azure-automation.net/accounts/1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f
    account_id: 1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f
    key: "{{ vault_automation_primary_key }}"

- name: Re-register a broken worker, showing what would be done first
  azure_hrw.doctor.win_hrw_registration:
    state: reregistered
    group_name: hrw-group-1
    url: "{{ automation_url }}"
    account_id: "{{ automation_account_id }}"
    key: "{{ vault_automation_primary_key }}"
  check_mode: true
  diff: true

- name: Deregister, falling back to removing the key when Remove-HybridRunbookWorker fails
  azure_hrw.doctor.win_hrw_registration:
    state: absent
    url: "{{ automation_url }}"
    account_id: "{{ automation_account_id }}"
    key: "{{ vault_automation_primary_key }}"
    allow_destructive: true
    backup_dir: D:\hrw-backup
"""

RETURN = r"""
changed:
  description: Whether the registration changed (in check mode - would change).
  returned: always
  type: bool
  sample: true
msg:
  description: What was done, or why the module failed (the account key replaced by C(********)).
  returned: always
  type: str
  sample: "present: register"
state_before:
  description: The registration as read before anything was done.
  returned: always (except when an option is rejected)
  type: dict
  contains:
    registered:
      description: Whether the registry holds a registration (an account, a group or both).
      returned: always
      type: bool
      sample: true
    account_id:
      description: The Automation account of the registration (the matching one, else the first); V(null)
        when not registered or when the older layout does not record it.
      returned: always
      type: str
      sample: 1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f
    group:
      description: The Hybrid Runbook Worker group of that registration, or V(null).
      returned: always
      type: str
      sample: hrw-group-1
    layout:
      description:
        - Where the registration was found - V(none) (no key), V(empty_key) (the key without a registration),
          V(root_value) (C(RunbookWorkerGroup) on the key, older workers), V(account_group)
          (C(<AccountId>\<GroupName>)), V(account_group_user) (the same with a C(User) subkey) or
          V(account_only) (an account subkey without a group).
      returned: always
      type: str
      sample: account_group
state_after:
  description:
    - The registration as read after the run, in the form of RV(state_before); in check mode the one the run
      would leave (what C(Add-HybridRunbookWorker) writes is predicted as V(account_group_user), the layout of
      a user worker registered by current versions).
  returned: always (except when an option is rejected)
  type: dict
  sample: {registered: true, account_id: 1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f, group: hrw-group-1, layout: account_group}
actions:
  description: What was done (or would be done), in order.
  returned: always (except when an option is rejected)
  type: list
  elements: dict
  contains:
    action:
      description:
        - V(deregister) (C(Remove-HybridRunbookWorker)), V(remove_registration_key) (export and remove
          C(HKLM:\SOFTWARE\Microsoft\HybridRunbookWorker)), V(restart_health_service), V(register)
          (C(Add-HybridRunbookWorker)) or V(restore_registration_key) (the key this run removed imported
          again after a failed V(register)).
      returned: always
      type: str
      sample: register
    status:
      description:
        - V(applied), V(would_apply) (check mode), V(skipped) (nothing to do, or a "not registered" answer
          ignored) or V(failed). A failed V(deregister) followed by V(remove_registration_key) is the
          O(allow_destructive) fallback; a failed V(register) followed by another V(register) is the
          "Machine is already registered" fix.
      returned: always
      type: str
      sample: applied
    msg:
      description: What it did, would do, or why it failed.
      returned: always
      type: str
      sample: Add-HybridRunbookWorker registered this machine in group hrw-group-1 with https://... (HybridRegistration 7.3.1417.0)
backups:
  description: Every registry export the run made, in order (none in check mode).
  returned: always (except when an option is rejected)
  type: list
  elements: dict
  contains:
    action:
      description: The action that made it (V(deregister) or V(remove_registration_key)).
      returned: always
      type: str
      sample: remove_registration_key
    path:
      description: The key exported.
      returned: always
      type: str
      sample: HKLM:\SOFTWARE\Microsoft\HybridRunbookWorker
    backup:
      description: The C(.reg) file.
      returned: always
      type: str
      sample: C:\ProgramData\azure_hrw.doctor\backup\HybridRunbookWorker-20261126T101500Z.reg
    sha256:
      description: SHA-256 of the file (lower-case hex).
      returned: always
      type: str
      sample: 3b7f5c0e9d1a2b4c6d8e0f1a3b5c7d9e1f2a4b6c8d0e2f4a6b8c0d2e4f6a8b0c
"""

#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: azure_hrw.doctor contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# Documentation only: the module is win_hrw_remediate.ps1 (PowerShell, Ansible.Basic).

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: win_hrw_remediate
short_description: Run the Windows repair steps of a Hybrid Runbook Worker
version_added: 0.1.0
author:
  - azure_hrw.doctor contributors (@azure-hrw)
description:
  - The Windows executor of M(azure_hrw.doctor.hrw_repair). It runs the steps the repair plan chose,
    in order; each step is one repair action as a list of primitives from a fixed set (start, stop or
    restart a service, set a start type, export then remove a registry key, archive then remove a
    folder, set or remove a registry value, grant an ACL). The plan, and so which primitives a
    repair action uses, is Python on the controller (C(plugins/module_utils/hrw/windows_repair.py)).
  - Every primitive reads the current state first and changes only what differs, so a second run
    reports V(changed=false) (except O(steps[].primitives) C(service_restart), which restarts a running
    service every time).
  - In check mode nothing is touched; primitives that would change report C(status=would_apply).
  - Before removing anything it backs it up to O(backup_dir) and reports where - a registry key
    (or the key of a registry value) is exported with C(reg.exe export) to
    C(<backup_dir>\<key name>-<UTC yyyymmddTHHMMSSZ>.reg), a folder is archived to
    C(<backup_dir>\<folder name>-<UTC stamp>.zip) (and removed only when the archive holds every
    file), and an ACL is saved as SDDL to C(<backup_dir>\<name>.acl-<UTC stamp>.sddl) before it
    changes. C(docs/repair-backups.md) says how to restore each.
  - After a primitive fails, its step fails, the step's later primitives and all later steps are
    not run (C(status=not_run)), and the module fails with the results of every step.
  - It never reboots. A step of the action V(enable_tls12) that changed something reports
    C(reboot_required=true) (SCHANNEL and .NET read those values when they start).
  - Use M(azure_hrw.doctor.hrw_repair); this module is its Windows back end and takes primitives,
    not findings.
options:
  steps:
    description:
      - The steps to run, in order.
    type: list
    elements: dict
    required: true
    suboptions:
      action:
        description:
          - The repair action the step carries out (V(enable_tls12), V(purge_health_service_state), ...).
            It names the step in the result and its backups; the primitives say what is done.
        type: str
        required: true
      primitives:
        description:
          - The primitives of the step, in order, each a dict with the key C(op). All of them are
            validated before anything runs; an unknown op or key, a missing key or a bad value fails
            the module naming the field (C(steps[i].primitives[j].<key>)).
          - C(op=service_start), C(op=service_stop), C(op=service_restart) with C(name) - the service
            by its service name; each waits at most O(service_timeout) seconds for the service to get
            there. A start of a disabled service fails. A restart of a stopped service starts it.
          - C(op=service_start_type) with C(name) and C(start_type) (V(automatic), V(manual) or V(disabled)).
          - C(op=registry_value_set) with C(path) (C(HKLM:\...), 64-bit view, created when missing),
            C(name), C(type) (V(dword) with C(value) from 0 to 4294967295, or V(string)) and C(value).
          - C(op=registry_value_remove) with C(path) and C(name) - exports the key first (once per key and run).
          - C(op=registry_key_export_remove) with C(path) - exports the key with its subkeys, then removes it.
          - C(op=folder_archive_remove) with C(path) - archives the folder to a .zip, checks the archive
            holds every file, then removes the folder. The path may not contain O(backup_dir).
          - C(op=acl_grant) with C(path), C(sid), C(rights) (V(FullControl), V(Modify), V(ReadAndExecute),
            V(Read) or V(Write)) and optionally C(inheritance) (V(none), the default, or V(container_object)
            - subfolders and files inherit) and C(remove_deny) (V(true) also removes the explicit Deny
            entries of that SID). Only the DACL is changed.
        type: list
        elements: dict
        required: true
  backup_dir:
    description:
      - The folder on the host that receives every backup. Created when missing, with access for
        SYSTEM and Administrators only (the exports hold the worker's registration); an existing
        folder is used as it is.
    type: path
    default: C:\ProgramData\azure_hrw.doctor\backup
  service_timeout:
    description:
      - Seconds to wait for a service to stop or start, per service operation. From 1 to 3600.
    type: int
    default: 120
attributes:
  check_mode:
    support: full
    description: Nothing is touched; C(status=would_apply) says what would change.
  diff_mode:
    support: full
    description: Every step that changes (or would change) something has C(diff) with the state before and after.
  platform:
    support: full
    platforms: windows
    description: Windows Server 2012 R2 and later with Windows PowerShell 5.1; no external modules.
notes:
  - Run it as an administrator (the default for WinRM and PSRP connections).
  - How to restore each kind of backup is in C(docs/repair-backups.md) of the collection.
  - C(remove_deny) removes only explicit Deny entries of the named SID; inherited ones and those of
    other identities (Everyone, Administrators) stay, and the diagnosis reports them.
seealso:
  - module: azure_hrw.doctor.win_hrw_facts
  - module: azure_hrw.doctor.hrw_repair
"""

EXAMPLES = r"""
- name: Purge the Health Service State cache (what hrw_repair sends for purge_health_service_state)
  azure_hrw.doctor.win_hrw_remediate:
    steps:
      - action: purge_health_service_state
        primitives:
          - {op: service_stop, name: HealthService}
          - {op: folder_archive_remove, path: 'C:\Program Files\Microsoft Monitoring Agent\Agent\Health Service State'}
          - {op: service_start, name: HealthService}

- name: Enable the Windows Update service and set AUOptions to 3, only showing what would change
  azure_hrw.doctor.win_hrw_remediate:
    steps:
      - action: enable_windows_update_service
        primitives:
          - {op: service_start_type, name: wuauserv, start_type: manual}
          - {op: service_start, name: wuauserv}
      - action: set_auoptions_3
        primitives:
          - {op: registry_value_set, path: 'HKLM:\SOFTWARE\Policies\Microsoft\Windows\WindowsUpdate\AU', name: AUOptions,
             type: dword, value: 3}
  check_mode: true
  diff: true

- name: Grant SYSTEM full control of MachineKeys, backups in a folder of your own
  azure_hrw.doctor.win_hrw_remediate:
    backup_dir: D:\hrw-backup
    steps:
      - action: grant_machine_keys_system
        primitives:
          - op: acl_grant
            path: C:\ProgramData\Microsoft\Crypto\RSA\MachineKeys
            sid: S-1-5-18
            rights: FullControl
            inheritance: container_object
            remove_deny: true
"""

RETURN = r"""
changed:
  description: Whether any step changed something (in check mode - would change).
  returned: always
  type: bool
  sample: true
reboot_required:
  description: Whether a step changed something that takes effect only after a reboot (V(enable_tls12)).
  returned: always
  type: bool
  sample: false
backups:
  description: Every backup the run made, in order (none in check mode).
  returned: always
  type: list
  elements: dict
  contains:
    action:
      description: The step's action.
      returned: always
      type: str
      sample: purge_health_service_state
    path:
      description: What was backed up (registry key, folder or the path whose ACL changed).
      returned: always
      type: str
      sample: C:\Program Files\Microsoft Monitoring Agent\Agent\Health Service State
    backup:
      description: The backup file.
      returned: always
      type: str
      sample: C:\ProgramData\azure_hrw.doctor\backup\Health_Service_State-20261125T200012Z.zip
    sha256:
      description: SHA-256 of the backup file (lower-case hex).
      returned: always
      type: str
      sample: 3b7f5c0e9d1a2b4c6d8e0f1a3b5c7d9e1f2a4b6c8d0e2f4a6b8c0d2e4f6a8b0c
steps:
  description: One result per step of O(steps), in order.
  returned: always
  type: list
  elements: dict
  contains:
    action:
      description: The step's action.
      returned: always
      type: str
      sample: enable_tls12
    status:
      description:
        - V(applied) (changed something), V(unchanged) (nothing to do), V(would_apply) (check mode,
          would change), V(failed) (a primitive failed) or V(not_run) (an earlier step failed).
      returned: always
      type: str
      sample: applied
    changed:
      description: Whether the step changed (in check mode - would change) something.
      returned: always
      type: bool
      sample: true
    msg:
      description: What the step did, would do, or why it failed.
      returned: always
      type: str
      sample: stopped HealthService; archived C:\...\Health Service State (412 files) to C:\...\backup\...zip and removed it
    primitives:
      description: One result per primitive of the step, in order.
      returned: always
      type: list
      elements: dict
      contains:
        op:
          description: The primitive's C(op).
          returned: always
          type: str
          sample: registry_value_set
        target:
          description: What it acts on (service name, C(HKLM:\key\value), folder or path).
          returned: always
          type: str
          sample: HKLM:\SOFTWARE\Policies\Microsoft\Windows\WindowsUpdate\AU\AUOptions
        status:
          description: V(applied), V(unchanged), V(would_apply), V(failed) or V(not_run), as for steps.
          returned: always
          type: str
          sample: applied
        changed:
          description: Whether it changed (in check mode - would change) something.
          returned: always
          type: bool
          sample: true
        msg:
          description: What it did or why it failed.
          returned: always
          type: str
          sample: set HKLM:\SOFTWARE\Policies\Microsoft\Windows\WindowsUpdate\AU\AUOptions to dword 3
        backup:
          description: The backup file it made, or V(null).
          returned: always
          type: str
          sample: null
        before:
          description: The state it read before (empty when it was not run or failed before reading).
          returned: always
          type: str
          sample: HKLM:\SOFTWARE\Policies\Microsoft\Windows\WindowsUpdate\AU\AUOptions = dword 4
        after:
          description: The state after (in check mode - the state it would leave).
          returned: always
          type: str
          sample: HKLM:\SOFTWARE\Policies\Microsoft\Windows\WindowsUpdate\AU\AUOptions = dword 3
    backups:
      description: The backups of this step (the same entries as the top-level RV(backups)).
      returned: always
      type: list
      elements: dict
    diff:
      description:
        - C({before, after, before_header, after_header}) of what the step changed (or would change),
          the before and after of its changing primitives one per line; V(null) when it changed nothing.
      returned: always
      type: dict
      sample: {before: "HealthService: Running\n", after: "HealthService: Running\n",
               before_header: "restart_health_service (before)", after_header: "restart_health_service (after)"}
    reboot_required:
      description: V(true) for an V(enable_tls12) step that changed (or would change) something.
      returned: always
      type: bool
      sample: false
msg:
  description: Why the module failed (a step failed); the step results say which primitive and why.
  returned: failure
  type: str
  sample: step grant_machine_keys_system failed; the steps after it were not run (see steps)
"""

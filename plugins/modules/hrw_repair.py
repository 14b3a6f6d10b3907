#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) azure_hrw.doctor contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# This file only documents the module: the implementation is the action plugin
# plugins/action/hrw_repair.py, which diagnoses, plans on the controller, runs the executor
# on the host and diagnoses again.

from __future__ import annotations

DOCUMENTATION = r"""
---
module: hrw_repair
short_description: Repair Azure Automation Hybrid Runbook Workers and verify the repair
version_added: 0.1.0
author:
  - azure_hrw.doctor contributors (@azure-hrw)
description:
  - Diagnoses the host as M(azure_hrw.doctor.hrw_diagnose) does, plans the repair on the controller
    (findings + requested actions + switches -> ordered steps, each naming the findings it fixes and why),
    runs the steps on the host in one call, then diagnoses again and says which findings the repair
    cleared and which remain.
  - "Linux steps run in the Python executor M(azure_hrw.doctor.hrw_remediate): V(restart_agent),
    V(restart_worker_manager), V(reinstall_agent), V(repair_prerequisites), V(fix_proxy_conf),
    V(preserve_update_log)."
  - "Windows steps are a fixed set of PowerShell primitives run by M(azure_hrw.doctor.win_hrw_remediate):
    V(start_health_service), V(restart_health_service), V(purge_health_service_state) (destructive),
    V(remove_hybrid_registration) (destructive), V(enable_windows_update_service), V(set_auoptions_3),
    V(remove_always_auto_reboot), V(enable_tls12), V(grant_machine_keys_system)."
  - Every step is idempotent; a second run reports C(changed=false). In check mode nothing changes and every
    step reports what it would do (V(would_apply)); with C(--diff) the steps return before/after.
  - Destructive steps run only when named in O(actions) and O(allow_destructive=true), and back up what they
    remove first (RV(backups)). The collection's docs/repair-backups.md says how to restore each backup.
  - An unknown action, an action of the other platform, a destructive action without O(allow_destructive), or
    an action without the option it needs fails the task before anything runs on the host.
options:
  actions:
    description:
      - What to repair. V(auto) runs the fix of every V(Failed) finding whose fix is an action and is not
        destructive.
      - Action names run the named fix where a finding of the host asks for it (V(Failed), V(PassedWithWarning),
        or the V(Information) evidence of a corrupt cache); a named action no finding asks for is reported as
        skipped ("nothing to fix"), so a healthy host is never restarted.
      - V(preserve_update_log) fixes no finding and runs whenever it is named.
      - V(reregister) is carried out by M(azure_hrw.doctor.hrw_registration), which takes the account key; naming
        it here fails with that hint.
    type: list
    elements: str
    default: [auto]
  allow_destructive:
    description:
      - Allow the destructive actions named in O(actions) (V(purge_health_service_state),
        V(remove_hybrid_registration)). They back up first and report where.
      - V(auto) never runs a destructive action, even with this switch.
    type: bool
    default: false
  backup_dir:
    description:
      - An absolute directory on the host for backups (created when needed).
      - Default C(/var/opt/microsoft/hrw-doctor/backup) on Linux, C(C:\ProgramData\azure_hrw.doctor\backup) on Windows.
    type: str
  verify:
    description:
      - Diagnose again after the steps changed something, and fail the task when a finding that a step ran for
        (applied, or found nothing to change) is still V(Failed) or V(PassedWithWarning), or when a finding that
        passed before no longer does.
      - Check mode never verifies (nothing changed).
    type: bool
    default: true
  installer:
    description:
      - The OMS Agent for Linux installer bundle for V(reinstall_agent) (the "specified class does not exist"
        scenario), as an absolute path on the host or an C(https) URL, which the host then downloads into
        O(backup_dir). Nothing is ever downloaded that was not named here.
      - Without it V(auto) skips V(reinstall_agent) and says why, and naming V(reinstall_agent) fails.
    type: str
extends_documentation_fragment:
  - azure_hrw.doctor.probe
  - azure_hrw.doctor.expectations
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
  - ansible.builtin.action_common_attributes.actiongroups
attributes:
  action:
    support: full
  async:
    support: none
  bypass_host_loop:
    support: none
  check_mode:
    support: full
    details: The executor runs in check mode and changes nothing; the steps report V(would_apply).
  diff_mode:
    support: full
    details: Each step that changes a file, registry value, owner, mode or service returns its before and after.
  platform:
    support: full
    platforms: [posix, windows]
  action_group:
    membership:
      - azure_hrw.doctor.hrw
notes:
  - Round trips per host - one collection before, one executor call when a step is planned, one collection
    after when something changed (and O(verify=true)).
  - Run it with C(become=true) on Linux; the steps change files and processes only root may change.
  - Use the playbook C(azure_hrw.doctor.repair) (role M(azure_hrw.doctor.repair)) to repair a fleet in waves
    (C(serial), C(max_fail_percentage)).
  - V(enable_tls12) needs a reboot to take effect; it reports RV(reboot_required) and never reboots.
  - V(restart_worker_manager) ends the worker manager and its workers, and with them any runbook job running on
    the worker (V(restart_agent) and the Windows service restarts likewise). They run only where a finding says the
    agent or the worker is broken (not running, the wrong user, another workspace); repair outside job windows, or
    leave them out by naming the actions you want.
seealso:
  - module: azure_hrw.doctor.hrw_diagnose
  - module: azure_hrw.doctor.hrw_remediate
  - module: azure_hrw.doctor.win_hrw_remediate
  - name: Troubleshoot agent-based Hybrid Runbook Worker issues
    description: Microsoft's troubleshooting guide the actions implement.
    link: https://learn.microsoft.com/azure/automation/troubleshoot/hybrid-runbook-worker
"""

EXAMPLES = r"""
- name: Fix every failed finding that has a non-destructive fix, and verify
  azure_hrw.doctor.hrw_repair:
  become: true

- name: Only restart the agent and repair the nxautomation prerequisites where findings ask for it
  azure_hrw.doctor.hrw_repair:
    actions: [restart_agent, repair_prerequisites]
  become: true

- name: Reinstall the agent from a bundle already copied to the host
  azure_hrw.doctor.hrw_repair:
    actions: [auto]
    installer: /tmp/omsagent-1.19.0-0.universal.x64.sh
  become: true

- name: Keep the update log before the next update run
  azure_hrw.doctor.hrw_repair:
    actions: [preserve_update_log]
    backup_dir: /var/backups/hrw
  become: true

- name: Purge a corrupt Health Service State cache on Windows (backed up first)
  azure_hrw.doctor.hrw_repair:
    actions: [purge_health_service_state]
    allow_destructive: true
  register: purge

- name: Say where the backup is
  ansible.builtin.debug:
    msg: "{{ purge.backups | map(attribute='backup') | list }}"
"""

RETURN = r"""
changed:
  description:
    - Whether a step changed (in check mode - would change) the host.
    - When the executor fails without reporting its steps (it crashed, or the connection was lost while it ran),
      whether a step ran is not known - V(true) outside check mode (it may have changed the host, as Ansible reports
      for commands whose effect it cannot tell), with every planned step V(unknown) and a message that names
      O(backup_dir) to look for backups it may have made.
  returned: always
  type: bool
steps:
  description: Every step of the plan, in execution order, then the skipped ones.
  returned: success
  type: list
  elements: dict
  contains:
    action:
      description: The action name.
      type: str
      sample: restart_agent
    fixes:
      description: The RuleIds of the findings this step fixes.
      type: list
      elements: str
      sample: [Linux.OMSAgentStatusCheck]
    why:
      description: The findings it fixes, with their result and message.
      type: str
    destructive:
      description: Whether the action removes something (after backing it up).
      type: bool
    reboot_required_after:
      description: Whether the action only takes effect after a reboot.
      type: bool
    status:
      description:
        - V(applied) (changed the host), V(unchanged) (already right), V(would_apply) (check mode),
          V(failed), V(not_run) (an earlier step failed), V(skipped) (see RV(steps[].reason)).
        - V(unknown) - the executor failed without reporting this step; it may or may not have run (its
          RV(steps[].changed) is V(true) outside check mode).
      type: str
      sample: applied
    reason:
      description: Why a step is skipped (destructive without the switch, an option missing, covered by another step, nothing to fix).
      type: str
    params:
      description: What the Linux executor got for the step.
      type: dict
    primitives:
      description: The Windows primitives of the step, as sent to the executor.
      type: list
      elements: dict
    primitive_results:
      description: What the Windows executor reported for each primitive.
      type: list
      elements: dict
    changed:
      description: Whether this step changed the host.
      type: bool
    msg:
      description: What the step did or why it did not.
      type: str
    backups:
      description: The backups this step made (same keys as RV(backups)).
      type: list
      elements: dict
    diff:
      description: Before and after of what the step changes, when diff mode is on.
      type: dict
    reboot_required:
      description: Whether this step changed something that needs a reboot.
      type: bool
backups:
  description: Every backup made on the host, to restore what a step changed or removed.
  returned: success
  type: list
  elements: dict
  contains:
    action:
      description: The step that made it.
      type: str
    path:
      description: What was backed up.
      type: str
    backup:
      description: Where the copy is, on the host.
      type: str
    sha256:
      description: The SHA-256 of the copy (files only).
      type: str
findings_before:
  description: The findings before the repair (as M(azure_hrw.doctor.hrw_diagnose) returns them).
  returned: success
  type: list
  elements: dict
findings_after:
  description: The findings after the repair; V(null) in check mode or with O(verify=false).
  returned: success
  type: list
  elements: dict
findings:
  description:
    - The findings of the host as the repair leaves it - RV(findings_after), or RV(findings_before) when the
      repair was not verified (check mode, nothing changed, O(verify=false)).
    - The same key as M(azure_hrw.doctor.hrw_diagnose)'s result, so M(azure_hrw.doctor.hrw_report) can report a
      repair run (the playbook C(azure_hrw.doctor.repair) does).
  returned: success
  type: list
  elements: dict
facts:
  description: The facts document of the last collection (after the steps when they were verified), as
    M(azure_hrw.doctor.hrw_diagnose) returns it.
  returned: success
  type: dict
verified:
  description: Whether the host was diagnosed after the steps (or nothing changed, so the diagnosis before holds).
  returned: success
  type: bool
cleared:
  description: RuleIds that were V(Failed) or V(PassedWithWarning) before and are neither after.
  returned: success
  type: list
  elements: str
remaining:
  description: RuleIds that are V(Failed) or V(PassedWithWarning) after the repair (before it, when not verified).
  returned: success
  type: list
  elements: str
regressed:
  description: RuleIds that passed before and not after (the task fails when there is one).
  returned: success
  type: list
  elements: str
manual:
  description: The findings still V(Failed) or V(PassedWithWarning) that no action fixes, with the manual step.
  returned: success
  type: list
  elements: dict
  sample: [{RuleId: Linux.ClockSkewCheck, CheckResult: Failed, manual: "Synchronise the clock (chrony or ntpd)."}]
reboot_required:
  description: Whether a step changed something that takes effect only after a reboot (never rebooted here).
  returned: success
  type: bool
summary:
  description: How many steps ended in each status, how many were planned, and how many RuleIds were cleared, remain or regressed.
  returned: success
  type: dict
  sample: {planned: 2, applied: 2, unchanged: 0, would_apply: 0, failed: 0, not_run: 0, unknown: 0, skipped: 1, cleared: 2,
           remaining: 1, regressed: 0}
digest:
  description:
    - One readable line per step (action, status, message) and per backup, then one per finding only a person can
      fix (its manual step), for the role's output.
  returned: success
  type: list
  elements: str
  sample: ["restart_agent: applied - service_control restart: omsagent is running, pid 4711"]
msg:
  description: One line - what ran, what it cleared, what remains.
  returned: always
  type: str
  sample: "applied repair_prerequisites, restart_agent; cleared Linux.SudoersCheck, Linux.OMSAgentStatusCheck"
"""

#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) azure_hrw.doctor contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: hrw_remediate
short_description: Run repair steps on an agent-based (V1) Linux Hybrid Runbook Worker
version_added: 0.5.0
author:
  - azure_hrw.doctor contributors (@azure-hrw)
description:
  - The host-side executor of M(azure_hrw.doctor.hrw_repair) on Linux. It runs the steps it is
    given, in order, and nothing else; M(azure_hrw.doctor.hrw_repair) plans them from the findings
    of the diagnosis. Use that action rather than this module directly.
  - Each action looks at the current state first and changes only what differs, so a second run
    reports C(unchanged). The two restarts (V(restart_agent), V(restart_worker_manager)) change
    something whenever they run; the planner runs them only when a finding they fix is not Passed.
  - Every file is copied into O(backup_dir) (name C(<path with _>.<UTC yyyymmddTHHMMSSZ>), created
    with mode 0600, a C(.2), C(.3) ... suffix rather than over an existing copy) before it is changed
    or removed; the result lists each copy with its sha256.
  - After a failed step the remaining steps are not run (status V(not_run)). A step that stops on
    any error (also an unexpected one) is V(failed) with the error and the backups it made so far.
  - The actions are V(restart_agent) (C(service_control restart), then the DSC consistency check
    C(PerformRequiredConfigurationChecks.py) as omsagent), V(restart_worker_manager) (end the worker
    manager and worker processes, whoever runs them, then the DSC consistency check, which starts the
    manager as nxautomation), V(reinstall_agent) (C(sh <bundle> --upgrade) with the bundle the user
    named; a URL is downloaded into O(backup_dir) first and nothing else is ever downloaded),
    V(repair_prerequisites) (groups omiusers and nxautomation, user nxautomation, the
    C(/etc/sudoers.d/omsagent) drop-in checked with C(visudo -c), the owners and modes of
    C(/home/nxautomation) and its C(run) and C(state), and read access of nxautomation to the
    runbook-signing keyring), V(fix_proxy_conf) (C(/etc/opt/microsoft/omsagent/proxy.conf)
    omsagent:omiusers 0640) and V(preserve_update_log) (copy C(omsupdatemgmt.log) into O(backup_dir)
    unless the newest copy there is identical).
options:
  steps:
    description:
      - The steps to run, in this order. Each is a dict with C(action) (one of V(restart_agent),
        V(restart_worker_manager), V(reinstall_agent), V(repair_prerequisites), V(fix_proxy_conf),
        V(preserve_update_log)) and optional C(params).
      - C(params) of V(restart_agent) is C({workspace_id}) (the workspace given to
        C(service_control), or none); V(reinstall_agent) needs C({installer}), the absolute path of
        the C(omsagent-*.universal.x64.sh) bundle on the host or an C(http(s)://) URL; the other
        actions take no parameters.
      - A malformed step (unknown action, params not a dict, unknown key) fails the task before any
        step runs.
    type: list
    elements: dict
    required: true
  backup_dir:
    description:
      - Directory on the host for the backups (and a downloaded installer). Created with mode 0700
        when needed. An existing directory keeps its mode; when group or others have any permission
        on it, the msg of the first step that writes there ends with a warning line.
    type: path
    default: /var/opt/microsoft/hrw-doctor/backup
attributes:
  check_mode:
    support: full
    description: Nothing changes; each step that would change something reports V(would_apply) with its diff.
  diff_mode:
    support: full
    description: Each step returns its C(diff) (files, owners and modes, processes before and after).
  platform:
    support: full
    platforms: posix
    description: Linux targets with the Log Analytics (OMS) agent; Windows hosts have their own executor.
notes:
  - Run it as root (C(become=true)). Targets need Python 3.8 or later; only the standard library is used.
  - To restore a backup, copy it back over the path the result names (C(cp -p <backup> <path>)), then
    set the owner and mode the diff shows as before.
seealso:
  - module: azure_hrw.doctor.hrw_diagnose
  - name: Troubleshoot agent-based Hybrid Runbook Worker issues
    description: Microsoft's troubleshooting guide whose remediations these actions implement.
    link: https://learn.microsoft.com/azure/automation/troubleshoot/hybrid-runbook-worker
"""

EXAMPLES = r"""
- name: Restart the agent and the worker manager
  azure_hrw.doctor.hrw_remediate:
    steps:
      - action: restart_agent
        params:
          workspace_id: 5e1ab0c0-de00-4a1b-9c2d-3e4f5a6b7c8d
      - action: restart_worker_manager
  become: true

- name: Show what repairing the prerequisites and proxy.conf would change
  azure_hrw.doctor.hrw_remediate:
    steps:
      - action: repair_prerequisites
      - action: fix_proxy_conf
  check_mode: true
  diff: true
  become: true

- name: Upgrade the agent from a bundle already on the host
  azure_hrw.doctor.hrw_remediate:
    steps:
      - action: reinstall_agent
        params:
          installer: /tmp/omsagent-1.14.23-0.universal.x64.sh
    backup_dir: /var/tmp/hrw-backup
  become: true
"""

RETURN = r"""
changed:
  description: Whether any step changed (or, in check mode, would change) the host.
  returned: always
  type: bool
  sample: true
backups:
  description: Every file copied into O(backup_dir) before it was changed or removed, over all steps.
  returned: always
  type: list
  elements: dict
  contains:
    action:
      description: The step that made the copy.
      type: str
      returned: always
      sample: fix_proxy_conf
    path:
      description: The file that was copied.
      type: str
      returned: always
      sample: /etc/opt/microsoft/omsagent/proxy.conf
    backup:
      description: The copy.
      type: str
      returned: always
      sample: /var/opt/microsoft/hrw-doctor/backup/etc_opt_microsoft_omsagent_proxy.conf.20260101T120000Z
    sha256:
      description: The sha256 of the copy (the same as the file's when it was copied).
      type: str
      returned: always
      sample: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
steps:
  description: One result per step, in the order given.
  returned: always
  type: list
  elements: dict
  contains:
    action:
      description: The action of the step.
      type: str
      returned: always
      sample: restart_agent
    status:
      description: V(applied), V(unchanged), V(would_apply) (check mode), V(failed) or V(not_run) (an earlier step failed).
      type: str
      returned: always
      sample: applied
    changed:
      description: Whether the step changed (would change) the host.
      type: bool
      returned: always
      sample: true
    msg:
      description: What the step did or would do, or why it failed.
      type: str
      returned: always
      sample: set /etc/opt/microsoft/omsagent/proxy.conf to omsagent:omiusers 0640 (was root:root 0600)
    backups:
      description: The backups this step made (same keys as RV(backups)).
      type: list
      elements: dict
      returned: always
    diff:
      description: C(before), C(after), C(before_header), C(after_header) of what changes, or V(null).
      type: dict
      returned: always
      sample: {"before": "root:root 0600\n", "after": "omsagent:omiusers 0640\n",
               "before_header": "/etc/opt/microsoft/omsagent/proxy.conf (owner:group mode)",
               "after_header": "/etc/opt/microsoft/omsagent/proxy.conf (owner:group mode)"}
    reboot_required:
      description: Always V(false) on Linux.
      type: bool
      returned: always
      sample: false
"""

import shutil

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.urls import open_url

from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw.linux_repair import (
    DEFAULT_BACKUP_DIR,
    Host,
    run_steps,
    validate_steps,
)


def _download(url, path):
    """Fetch the installer URL the user named (and nothing else) to ``path``."""
    with open(path, "wb") as handle:
        response = open_url(url, timeout=300)
        try:
            shutil.copyfileobj(response, handle)
        finally:
            response.close()


def _run_module(host=None):
    module = AnsibleModule(
        argument_spec=dict(
            steps=dict(type="list", elements="dict", required=True),
            backup_dir=dict(type="path", default=DEFAULT_BACKUP_DIR),
        ),
        supports_check_mode=True,
    )
    errors = validate_steps(module.params["steps"])
    if errors:
        module.fail_json(msg="; ".join(errors), changed=False, backups=[], steps=[])
    backup_dir = module.params["backup_dir"]
    if not backup_dir.startswith("/"):
        module.fail_json(msg="backup_dir must be an absolute path on the host, got %r" % backup_dir,
                         changed=False, backups=[], steps=[])
    result = run_steps(module.params["steps"], host=host or Host(download=_download), check_mode=module.check_mode,
                       backup_dir=backup_dir)
    diffs = [s["diff"] for s in result["steps"] if s["diff"]]
    if module._diff and diffs:
        result["diff"] = diffs
    failed = [s for s in result["steps"] if s["status"] == "failed"]
    if failed:
        module.fail_json(msg="step %s failed: %s" % (failed[0]["action"], failed[0]["msg"]), **result)
    module.exit_json(**result)


def main():
    _run_module()


if __name__ == "__main__":
    main()

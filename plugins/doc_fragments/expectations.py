# -*- coding: utf-8 -*-
# Copyright: azure_hrw.doctor contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    """What the user knows about the worker and its account, which the rules compare the host
    with: shared by hrw_diagnose and hrw_repair (which diagnoses before and after)."""

    DOCUMENTATION = r"""
options:
  expected_workspace_id:
    description:
      - The Log Analytics workspace id (a GUID) this worker must report to. A host whose agent
        reports to another workspace is a cause of error 403 on registration.
      - Checked for the GUID form before anything runs.
    type: str
  automation_account_id:
    description:
      - The Automation account's id (a GUID). With O(automation_account_region), the collector
        also derives and probes the account-specific endpoints
        (C(<accountId>.jrds.<region>.azure-automation.net) and the like).
      - Checked for the GUID form before anything runs.
    type: str
  automation_account_region:
    description:
      - The Automation account's region, for example V(westeurope) or V(eastus2).
      - With O(workspace_region), the rules check that the account and the workspace are a
        supported linked pair (another cause of error 403).
    type: str
  workspace_region:
    description:
      - The Log Analytics workspace's region, for example V(westeurope).
    type: str
  hybrid_worker_group:
    description:
      - The hybrid worker group this worker must belong to. On Windows the rules compare it with
        the registration under C(HKLM\SOFTWARE\Microsoft\HybridRunbookWorker) ("Machine is
        already registered" when the host is registered for another account or group).
      - "Checked before anything runs for the form of a group name: 1 to 128 characters, none
        of C(< > * % & : \\ ? . + / #) and no control characters."
    type: str
  run_as_certificate_thumbprint:
    description:
      - The thumbprint (40 hexadecimal digits, SHA-1) of the Run As certificate the runbooks of
        this worker use. The Windows collector looks it up in C(Cert:\LocalMachine\My) and the
        rules check it is there, with its private key, and not expired.
      - Spaces (and the invisible mark the Windows certificate dialog puts in front) are
        ignored; the value is checked and upper-cased before anything runs.
      - Linux hosts ignore it.
    type: str
"""

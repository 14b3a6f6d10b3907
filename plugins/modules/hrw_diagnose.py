#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) azure_hrw.doctor contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# This file only documents the module: the implementation is the action plugin
# plugins/action/hrw_diagnose.py, which runs the collector and evaluates the rules on the
# controller.

from __future__ import annotations

DOCUMENTATION = r"""
---
module: hrw_diagnose
short_description: Diagnose Azure Automation Hybrid Runbook Workers
version_added: 0.1.0
author:
  - azure_hrw.doctor contributors (@azure-hrw)
description:
  - Diagnoses an Azure Automation Hybrid Runbook Worker without changing the host.
  - Runs the read-only collector on the host once (M(azure_hrw.doctor.hrw_facts) on Linux,
    M(azure_hrw.doctor.win_hrw_facts) on hosts with a Windows shell), then evaluates the rule catalog on the controller and returns one finding per rule.
  - Findings carry the fields of Microsoft's offline troubleshooters (V(RuleId), V(RuleGroupId),
    V(CheckResult), V(CheckResultMessageId), ...) plus what was seen (RV(findings[].evidence)) and
    how to fix it (RV(findings[].remediation)).
  - Also returns the findings as the host fact C(hrw_diagnosis), so later plays, a fact cache
    or a report can use them.
  - The collector is chosen by the connection's shell, never guessed. For Windows hosts the
    endpoints to probe are derived on the controller from O(automation_account_region) and
    O(automation_account_id) and passed to the Windows collector.
options:
  rules:
    description:
      - Which rules to evaluate.
      - Entries are RuleIds (for example V(Linux.OMSAgentStatusCheck)) or RuleGroupIds
        (V(prerequisites), V(servicehealth), V(connectivity)), exact and case-sensitive.
      - An unknown entry fails the task before anything runs on the host; the message names the
        unknown entry and lists the valid RuleIds and RuleGroupIds.
      - Rules that do not apply to the host's platform are left out.
    type: dict
    default: {}
    suboptions:
      include:
        description:
          - RuleIds or RuleGroupIds to evaluate.
          - An empty list selects every rule.
        type: list
        elements: str
        default: []
      exclude:
        description:
          - RuleIds or RuleGroupIds to leave out, applied after O(rules.include).
        type: list
        elements: str
        default: []
  fail_on:
    description:
      - When the task fails because of what the diagnosis found.
      - V(never) never fails for findings; the task still fails when the host cannot be diagnosed.
      - V(failed) fails when at least one finding is V(Failed).
      - V(warning) fails when at least one finding is V(Failed) or V(PassedWithWarning).
      - A failed task still returns every finding; only that host fails and the others go on.
    type: str
    choices: [never, failed, warning]
    default: never
extends_documentation_fragment:
  - azure_hrw.doctor.probe
  - azure_hrw.doctor.expectations
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
  - ansible.builtin.action_common_attributes.facts
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
    details: Diagnose never changes the host, so it runs the same in check mode.
  diff_mode:
    support: none
  facts:
    support: full
  platform:
    support: full
    platforms: [posix, windows]
    details:
      - Linux hosts are diagnosed over SSH with the Python collector.
      - Hosts with a Windows shell (WinRM, PSRP, SSH with PowerShell) are diagnosed with the PowerShell collector (Windows PowerShell 5.1).
  action_group:
    membership:
      - azure_hrw.doctor.hrw
notes:
  - One module round trip per host. The collector gathers everything the rules need in one run
    and the rules run on the controller. Turn on SSH pipelining to keep it to one SSH command.
  - Hosts are diagnosed in parallel up to C(forks); inside one host the endpoint probes run
    concurrently, each bounded by O(probe_timeout).
  - The collector reads files only root can read (for example under C(/var/opt/microsoft)), so
    run the task with C(become=true) on Linux.
  - O(fail_on) only decides the task status; the findings are returned in every case. Use
    C(ignore_errors) or a C(block)/C(rescue) to continue with a failed host's result.
  - V(CheckResult) values are V(Passed), V(PassedWithWarning), V(Failed), V(Information) and V(Skipped).
seealso:
  - module: azure_hrw.doctor.hrw_facts
  - name: Troubleshoot agent-based Hybrid Runbook Worker issues
    description: Microsoft's troubleshooting guide the rules implement.
    link: https://learn.microsoft.com/azure/automation/troubleshoot/hybrid-runbook-worker
"""

EXAMPLES = r"""
- name: Diagnose the Hybrid Runbook Workers
  azure_hrw.doctor.hrw_diagnose:
  become: true
  register: hrw

- name: Show what needs attention
  ansible.builtin.debug:
    var: hrw.digest

- name: Only the connectivity checks, fail the host on any Failed finding
  azure_hrw.doctor.hrw_diagnose:
    rules:
      include:
        - connectivity
      exclude:
        - Linux.JRDSConnectivityCheck
    probe_timeout: 5
    fail_on: failed
  become: true

- name: Diagnose without sending any traffic to Azure
  azure_hrw.doctor.hrw_diagnose:
    probe_endpoints: false
  become: true

- name: Set shared options once for the modules of the collection (action group)
  module_defaults:
    group/azure_hrw.doctor.hrw:
      probe_timeout: 2
      probe_endpoints: true
  become: true
  block:
    - name: Diagnose
      azure_hrw.doctor.hrw_diagnose:
        fail_on: warning

- name: Diagnose a Windows worker (WinRM or PSRP) against what you know about its account
  azure_hrw.doctor.hrw_diagnose:
    expected_workspace_id: 5e1ab0c0-de00-4a1b-9c2d-3e4f5a6b7c8d
    automation_account_id: 9d6c1f0e-2b3a-4c5d-8e7f-0a1b2c3d4e5f
    automation_account_region: westeurope
    hybrid_worker_group: hrw-group-1
    run_as_certificate_thumbprint: 3F2A9C0D4B5E6F708192A3B4C5D6E7F8091A2B3C
    fail_on: failed

- name: Use the findings of the host fact in a later task
  ansible.builtin.debug:
    msg: "{{ ansible_facts.hrw_diagnosis.findings | selectattr('CheckResult', 'eq', 'Failed') | map(attribute='RuleId') | list }}"
"""

RETURN = r"""
msg:
  description:
    - One line with the counts per CheckResult, or why the task failed.
  returned: always
  type: str
  sample: "0 Failed, 0 PassedWithWarning, 0 Information, 2 Skipped, 8 Passed (10 rules)"
findings:
  description:
    - One finding per evaluated rule, in catalog order.
  returned: when the host was diagnosed
  type: list
  elements: dict
  contains:
    RuleId:
      description: Identifier of the rule; Microsoft's RuleId where the rule matches one of theirs.
      type: str
      sample: Linux.OMSAgentStatusCheck
    RuleGroupId:
      description: Identifier of the rule group.
      type: str
      sample: servicehealth
    RuleName:
      description: Short name of the rule.
      type: str
      sample: OMS agent running
    RuleGroupName:
      description: Name of the rule group.
      type: str
      sample: VM Service Health Checks
    RuleDescription:
      description: What the rule checks.
      type: str
    CheckResult:
      description: The outcome.
      type: str
      choices: [Passed, PassedWithWarning, Failed, Information, Skipped]
      sample: Failed
    CheckResultMessage:
      description: Readable explanation of the outcome.
      type: str
      sample: "The OMS agent is not running: no omsagent process was found."
    CheckResultMessageId:
      description: Stable identifier of the message, C(<RuleId>.<CheckResult>[.<Reason>]).
      type: str
      sample: Linux.HybridWorkerStatusCheck.Failed.NoManagerProcess
    CheckResultMessageArguments:
      description: The variable parts of the message, as strings.
      type: list
      elements: str
    evidence:
      description: What was seen on the host (paths, values, log lines, timings).
      type: dict
    remediation:
      description: How to fix it.
      type: dict
      contains:
        action:
          description: Id of the repair action that fixes the finding, or V(null).
          type: str
          sample: restart_agent
        manual:
          description: A documented manual step, or V(null).
          type: str
    scenario:
      description: The troubleshooting scenario the rule implements (seed document and section).
      type: str
      sample: hybrid-runbook-worker-troubleshoot.md#oms-agent-not-running
    platform:
      description: Platform the finding is about.
      type: str
      sample: linux
    worker_generation:
      description: Worker generation the finding is about (V(v1) agent-based, V(v2) extension-based, V(any)).
      type: str
      sample: v1
summary:
  description: Number of findings per CheckResult, and their total.
  returned: when the host was diagnosed
  type: dict
  contains:
    Passed:
      description: Number of Passed findings.
      type: int
    PassedWithWarning:
      description: Number of PassedWithWarning findings.
      type: int
    Failed:
      description: Number of Failed findings.
      type: int
    Information:
      description: Number of Information findings.
      type: int
    Skipped:
      description: Number of Skipped findings.
      type: int
    total:
      description: Number of findings.
      type: int
  sample: {Passed: 8, PassedWithWarning: 0, Failed: 0, Information: 0, Skipped: 2, total: 10}
digest:
  description:
    - One short readable line for every finding that is not V(Passed), worst first
      (Failed, PassedWithWarning, Information, Skipped).
  returned: when the host was diagnosed
  type: list
  elements: str
  sample:
    - "Failed            Linux.OMSAgentStatusCheck: The OMS agent is not running: no omsagent process was found."
facts:
  description:
    - The facts document the collector returned (schema 1), as the rules saw it.
  returned: when the host was diagnosed
  type: dict
ansible_facts:
  description: Facts set on the host.
  returned: when the host was diagnosed
  type: dict
  contains:
    hrw_diagnosis:
      description: The diagnosis, kept as a host fact.
      type: dict
      contains:
        summary:
          description: Same as RV(summary).
          type: dict
        findings:
          description: Same as RV(findings).
          type: list
          elements: dict
        facts_schema:
          description: Schema version of the facts document.
          type: int
          sample: 1
        collected_at:
          description: When the controller evaluated the rules, UTC ISO-8601 with a trailing C(Z).
          type: str
          sample: "2026-11-25T20:00:03Z"
"""

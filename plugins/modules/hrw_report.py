#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) azure_hrw.doctor contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# This file only documents the module: the implementation is the action plugin
# plugins/action/hrw_report.py (logic in plugins/plugin_utils/_report.py), which runs on
# the controller and reads every host's registered diagnosis from hostvars.

from __future__ import annotations

DOCUMENTATION = r"""
---
module: hrw_report
short_description: Write the fleet report of a Hybrid Runbook Worker diagnosis
version_added: 0.1.0
author:
  - azure_hrw.doctor contributors (@azure-hrw)
description:
  - Writes one report of every host's diagnosis to a directory on the controller, for people
    (a terminal table, Markdown, one self-contained HTML file) and for tools (JSON with a
    versioned schema, JUnit XML for CI systems and dashboards).
  - Reads the registered result of M(azure_hrw.doctor.hrw_diagnose) (O(result_var)) of every
    host in O(hosts) from C(hostvars), and the registered repair result (O(repair_var)) when
    there is one. Nothing runs on a managed host.
  - Every requested host appears in every format, never silently dropped. A host is
    V(diagnosed), V(unreachable) (its result says C(unreachable)), V(failed) (its result has
    no summary; its C(msg) is the reason) or V(not_run) (no registered result at all, for
    example a host that failed before the diagnosis).
  - Evaluates the cross-host (fleet) rules over the facts of every diagnosed host (cloned
    machines, one hybrid worker group spread over several workspaces or accounts, mixed
    versions inside a group, two hosts with the same machine name), and each host's
    readiness (V(Ready), V(Disconnected), V(Not configured) as Microsoft's
    update-agent-issues guide defines them, or V(Unknown)) from local evidence.
  - Run it once, on the controller, after the diagnosis (C(run_once=true),
    C(delegate_to=localhost)), in a play over the same hosts so that O(hosts) defaults to
    every host of the play, including the failed and unreachable ones.
options:
  dest:
    description:
      - The directory on the controller to write the report to; created (mode C(0755)) when
        missing.
      - The files are C(hrw-report.txt) (table), C(hrw-report.md) (markdown),
        C(hrw-report.json) (json), C(hrw-report.junit.xml) (junit) and C(hrw-report.html)
        (html).
      - A file is written only when its content changed other than the time the report was
        generated (C(generated_at)); otherwise it is left as it is and the task reports no
        change. Files are written through a temporary file and a rename, so a reader never
        sees a half-written report.
    type: path
    required: true
  formats:
    description:
      - The report formats to write.
      - V(table) is the terminal table (hosts x rule groups with the worst result per cell as
        C(OK), C(WARN), C(FAIL), C(INFO), C(SKIP) or C(-) for none; the readiness; why a host
        was not diagnosed or which rules failed; a totals line).
      - V(markdown) is the same table in GitHub pipe syntax.
      - V(json) is the report model, C(report_schema=1), documented by the JSON Schema
        C(docs/schemas/report-1.schema.json) of the collection.
      - V(junit) is JUnit XML, one test suite per host, one test case per host and rule,
        Failed as a failure, Skipped as skipped, PassedWithWarning as the test case's
        C(system-out) and a C(warning) property of the host's suite; a host that was not
        diagnosed is one test case C(diagnosis) with an error; fleet findings are a suite
        C(fleet).
      - V(html) is one self-contained HTML file (no external assets, works offline).
      - An unknown format fails the task before anything is written, naming the valid ones.
    type: list
    elements: str
    default: [table, markdown, json, junit, html]
  hosts:
    description:
      - The inventory host names to report on.
      - Defaults to C(ansible_play_hosts_all), every host of the play, including the hosts
        that failed or were unreachable.
      - A name that is not in the inventory is reported as V(not_run).
    type: list
    elements: str
  result_var:
    description:
      - The name of the variable the result of M(azure_hrw.doctor.hrw_diagnose) was
        registered as on each host (the P(azure_hrw.doctor.diagnose#role) role registers
        C(hrw_diagnose_result)).
    type: str
    default: hrw_diagnose_result
  repair_var:
    description:
      - The name of the variable a repair result was registered as; used for a host when it
        is defined there (its status, changed, message and summary go into the report).
    type: str
    default: hrw_repair_result
  title:
    description:
      - The title of the report.
    type: str
    default: Hybrid Runbook Worker fleet
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
    details: Use it with C(run_once=true); it reads every host's result from C(hostvars).
  check_mode:
    support: full
    details: In check mode the report is built and C(changed) says whether a file would change, but nothing is written.
  diff_mode:
    support: none
  platform:
    support: full
    platforms: posix
    details: Runs on the controller only.
notes:
  - The report contains what the hosts returned (evidence such as paths, log lines and
    configuration values) but never a secret; the diagnosis does not collect any.
  - The readiness is derived from what can be seen on the host. The Azure portal's
    "last seen" time cannot be read locally, so V(Ready) means the worker is installed,
    registered, running and can reach its endpoints.
  - A host's cells and worst result also count the fleet findings that name the host (a
    cloned machine is broken even when each clone passes on its own).
seealso:
  - module: azure_hrw.doctor.hrw_diagnose
  - name: Troubleshoot agent-based Hybrid Runbook Worker issues
    description: Microsoft's troubleshooting guide the rules implement.
    link: https://learn.microsoft.com/azure/automation/troubleshoot/hybrid-runbook-worker
"""

EXAMPLES = r"""
# In a play over the same hosts as the diagnosis (hosts: defaults to ansible_play_hosts_all,
# so the hosts that failed or were unreachable are in the report too).
- name: Diagnose the worker
  azure_hrw.doctor.hrw_diagnose:
  become: true
  register: hrw_diagnose_result

- name: Write the fleet report on the controller
  azure_hrw.doctor.hrw_report:
    dest: "{{ playbook_dir }}/hrw-report"
  run_once: true
  delegate_to: localhost
  register: hrw_report

- name: Show the table and where the HTML file is
  ansible.builtin.debug:
    msg: "{{ hrw_report.table_lines + ['HTML report: ' ~ hrw_report.files.html | default('not written')] }}"
  run_once: true

- name: Only JUnit and JSON for the CI system, for two named hosts
  azure_hrw.doctor.hrw_report:
    dest: /var/tmp/hrw-ci
    formats: [junit, json]
    hosts: [hrw-01, hrw-02]
    title: Nightly HRW check
  run_once: true
  delegate_to: localhost
"""

RETURN = r"""
msg:
  description: What was done, in one line.
  returned: always
  type: str
  sample: "Wrote the report of 3 hosts (2 diagnosed, 1 unreachable) to /tmp/hrw-report"
dest:
  description: The directory of the report (O(dest)).
  returned: success
  type: str
  sample: /tmp/hrw-report
files:
  description:
    - The path of each file of the report, by format (only the formats written; in check mode
      the paths the files would have).
  returned: success
  type: dict
  sample:
    table: /tmp/hrw-report/hrw-report.txt
    markdown: /tmp/hrw-report/hrw-report.md
    json: /tmp/hrw-report/hrw-report.json
    junit: /tmp/hrw-report/hrw-report.junit.xml
    html: /tmp/hrw-report/hrw-report.html
table:
  description: The terminal table (also when V(table) is not in O(formats)).
  returned: success
  type: str
table_lines:
  description: RV(table) as a list of lines, for C(ansible.builtin.debug).
  returned: success
  type: list
  elements: str
summary:
  description: The totals of the report (C(totals) of the JSON report).
  returned: success
  type: dict
  contains:
    hosts:
      description: The number of hosts in the report.
      type: int
      sample: 3
    by_status:
      description: Hosts per status (C(diagnosed), C(unreachable), C(failed), C(not_run)).
      type: dict
      sample: {diagnosed: 2, unreachable: 1, failed: 0, not_run: 0}
    by_result:
      description: Findings per CheckResult, over every host's findings and the fleet findings.
      type: dict
      sample: {Passed: 60, PassedWithWarning: 1, Failed: 4, Information: 2, Skipped: 3}
    hosts_by_worst:
      description: Diagnosed hosts per worst CheckResult.
      type: dict
      sample: {Passed: 1, PassedWithWarning: 0, Failed: 1, Information: 0, Skipped: 0}
    readiness:
      description: Hosts per readiness state.
      type: dict
      sample: {Ready: 1, Disconnected: 0, "Not configured": 0, Unknown: 2}
fleet_findings:
  description:
    - The findings of the cross-host rules, in the finding shape of
      M(azure_hrw.doctor.hrw_diagnose) plus C(hosts), the hosts each finding is about.
  returned: success
  type: list
  elements: dict
generated_at:
  description: When the report was built, UTC ISO-8601 with a trailing C(Z).
  returned: success
  type: str
  sample: "2026-11-25T20:00:00Z"
"""

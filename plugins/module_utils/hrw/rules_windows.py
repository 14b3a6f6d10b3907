# -*- coding: utf-8 -*-
# Copyright: (c) azure_hrw.doctor contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Windows V1 (Microsoft Monitoring Agent + Hybrid Runbook Worker) rules: prerequisites.

Pure functions ``check(facts, context) -> partial result`` over the Windows facts document
(docs/adr/0002-windows-facts.md), read through ``windows_facts.fact``. Stdlib only,
Python 3.8+, no I/O. The knowledge comes from Microsoft's Windows troubleshooter (UMW,
official-troubleshooters.md §1) with its bugs (§6) fixed, and from the seed scenarios.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

PLATFORM = "windows"
GENERATION = "v1"
SEED = "hybrid-runbook-worker-troubleshoot.md"
UM_SEED = "update-management-troubleshoot.md"
AGENT_SEED = "update-agent-issues.md"
OFFICIAL = "official-troubleshooters.md#1 "

RULES = ()

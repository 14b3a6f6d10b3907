# -*- coding: utf-8 -*-
# Copyright: (c) azure_hrw.doctor contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of ``azure_hrw.doctor.hrw_diagnose``.

collect (one module round trip) -> facts -> rules on the controller -> findings.
Diagnose never changes the host: the collector is read-only and runs in check mode too.
"""

from __future__ import annotations

from ansible.plugins.action import ActionBase

from ansible_collections.azure_hrw.doctor.plugins.plugin_utils._diagnose import (
    check_expectations,
    check_probe_timeout,
    check_rules_shape,
    collect_facts,
    diagnose,
    diagnose_argument_spec,
    digest,
    fail_on_decision,
    rule_selection,
    summary_line,
    utc_now_iso,
    validate_rule_selection,
)

_ACTION_NAME = "hrw_diagnose"


class ActionModule(ActionBase):

    TRANSFERS_FILES = False
    _supports_check_mode = True

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp  # tmp no longer has any effect
        if task_vars is None:
            task_vars = {}

        # Bad input fails before anything runs on the host (DESIGN §5).
        check_rules_shape(self._task.args)
        dummy, args = self.validate_argument_spec(argument_spec=diagnose_argument_spec())
        probe_timeout = check_probe_timeout(args["probe_timeout"])
        include, exclude = rule_selection(args["rules"])
        validate_rule_selection(include, exclude)
        expectations = check_expectations(args)

        facts, module_result, failure = collect_facts(
            self, task_vars, probe_timeout, args["probe_endpoints"], action_name=_ACTION_NAME,
            expectations=expectations)
        if failure is not None:
            result.update(failure)
            return result

        controller_utc = utc_now_iso()
        findings, summary = diagnose(facts, include, exclude, controller_utc=controller_utc,
                                     probe_endpoints=args["probe_endpoints"], expectations=expectations)

        # Keep what the module reported besides our document (e.g. interpreter discovery).
        ansible_facts = dict(module_result.get("ansible_facts") or {})
        ansible_facts.pop("hrw_facts", None)
        ansible_facts["hrw_diagnosis"] = {
            "summary": summary,
            "findings": findings,
            "facts_schema": facts.get("schema"),
            "collected_at": controller_utc,
        }

        result.update(
            changed=False,
            findings=findings,
            summary=summary,
            digest=digest(findings),
            facts=facts,
            ansible_facts=ansible_facts,
            msg=summary_line(summary),
        )
        for key in ("warnings", "deprecations"):
            if module_result.get(key):
                result[key] = list(module_result[key])

        failed, fail_msg = fail_on_decision(findings, args["fail_on"])
        if failed:
            result["failed"] = True
            result["msg"] = fail_msg
        return result

# -*- coding: utf-8 -*-
# Copyright: (c) azure_hrw.doctor contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Report test data: registered hrw_diagnose results built from the recorded facts documents
(tests/unit/fixtures/facts/) run through the real catalog, and helpers shared by the
report tests (model, text, JUnit, action plugin)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import json
import os

from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw import catalog

HERE = os.path.dirname(__file__)
FACTS = os.path.join(HERE, "..", "..", "..", "fixtures", "facts")
SCHEMAS = os.path.join(HERE, "..", "..", "..", "fixtures", "schemas")
JUNIT_XSD = os.path.join(SCHEMAS, "junit.xsd")
REPORT_SCHEMA = os.path.join(HERE, "..", "..", "..", "..", "..", "docs", "schemas", "report-1.schema.json")

# The recordings' own clock: the clock rule compares the host's time with this.
RECORDED_UTC = "2026-11-25T20:00:00Z"
GENERATED_AT = "2026-11-25T21:00:00Z"

# name -> fixture of the diagnosed hosts of the sample fleet
DIAGNOSED = {
    "hrw-linux": "linux_v1_healthy.json",
    "win-healthy": "windows_ws2019_healthy.json",
    "win-agent-stopped": "windows_fault_agent_stopped.json",
    "win-v2-stopped": "windows_fault_extension_v2_stopped.json",
}
UNREACHABLE_MSG = "Failed to connect to the host via ssh: ssh: connect to host 127.0.1.9 port 22: Connection refused"
FAILED_MSG = "hrw_diagnose: the collector azure_hrw.doctor.hrw_facts failed on this host, nothing was evaluated: boom"


def facts(fixture):
    with open(os.path.join(FACTS, fixture)) as f:
        return json.load(f)


def diagnose_result(fixture, fail=False):
    """What ``register:`` holds after hrw_diagnose on a host with the recorded ``fixture``."""
    document = facts(fixture)
    rules = catalog.select_rules(platform=document["platform"])
    findings = catalog.evaluate(document, rules, context={"controller_utc": RECORDED_UTC, "probe_endpoints": True})
    result = {"changed": False, "findings": findings, "summary": catalog.summarize(findings), "facts": document,
              "msg": "summary line", "digest": []}
    if fail:
        result.update(failed=True, msg="HRW diagnosis found 1 Failed (fail_on=failed): X")
    return result


def registered_results():
    """``{host: registered result or None}`` of the sample fleet: four diagnosed hosts (one that
    fail_on failed, which is still diagnosed), one unreachable, one whose diagnosis failed and
    one with no result at all."""
    out = dict((name, diagnose_result(fixture, fail=(name == "win-agent-stopped")))
               for name, fixture in DIAGNOSED.items())
    out["down"] = {"unreachable": True, "changed": False, "msg": UNREACHABLE_MSG + "\nsecond line"}
    out["broken"] = {"failed": True, "changed": False, "msg": FAILED_MSG}
    out["never"] = None
    return out


def host_results(results=None):
    """report_model input for ``registered_results()`` (as _report.gather builds it)."""
    out = []
    for name, result in sorted((results or registered_results()).items()):
        if result is None:
            out.append({"name": name, "status": "not_run", "reason": "no registered result", "facts": None,
                        "findings": [], "readiness": None, "repair": None})
        elif result.get("unreachable"):
            out.append({"name": name, "status": "unreachable", "reason": result["msg"].splitlines()[0],
                        "facts": None, "findings": [], "readiness": None, "repair": None})
        elif "summary" not in result:
            out.append({"name": name, "status": "failed", "reason": result["msg"], "facts": None, "findings": [],
                        "readiness": None, "repair": None})
        else:
            out.append({"name": name, "status": "diagnosed", "reason": None, "facts": result["facts"],
                        "findings": copy.deepcopy(result["findings"]),
                        "readiness": {"state": "Ready", "reason": "test", "evidence": {"x": 1}}, "repair": None})
    return out


def fleet_finding(check_result="Failed", hosts=("win-healthy", "win-agent-stopped"), rule_id="Fleet.ClonedMachineCheck",
                  group=("fleet", "Fleet Checks")):
    reason = "" if check_result != "Failed" else ".SameMachineGuid"
    return {"RuleId": rule_id, "RuleGroupId": group[0], "RuleName": "Cloned machines", "RuleGroupName": group[1],
            "RuleDescription": "No two hosts share a machine identity.", "CheckResult": check_result,
            "CheckResultMessage": "Hosts share the machine GUID <3f9b> & more",
            "CheckResultMessageId": "%s.%s%s" % (rule_id, check_result, reason),
            "CheckResultMessageArguments": [], "evidence": {"machine_guid": "3f9b", "hosts": list(hosts)},
            "remediation": {"action": None, "manual": "Re-create the machine identity (sysprep)."},
            "scenario": "update-management-troubleshoot.md", "platform": "any", "worker_generation": "any",
            "hosts": list(hosts)}


def load_report_schema():
    with open(REPORT_SCHEMA) as f:
        return json.load(f)


def json_errors(report):
    """Schema violations of ``report`` (list of messages); needs jsonschema."""
    import jsonschema
    validator = jsonschema.Draft202012Validator(load_report_schema())
    return ["%s at %s" % (e.message, "/".join(str(p) for p in e.absolute_path)) for e in validator.iter_errors(report)]


_XSD = []


def junit_errors(xml_text):
    """XSD violations of a JUnit document (list of messages); needs xmlschema."""
    if not _XSD:
        import xmlschema
        _XSD.append(xmlschema.XMLSchema(JUNIT_XSD))
    schema = _XSD[0]
    return [str(e.reason) + " at " + str(e.path) for e in schema.iter_errors(xml_text)]

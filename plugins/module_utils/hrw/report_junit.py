# -*- coding: utf-8 -*-
# Copyright: (c) azure_hrw.doctor contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet report as JUnit XML (pure, stdlib only, Python 3.8+).

One ``<testsuites>``; one ``<testsuite>`` per host (name = host); one ``<testcase>`` per
host x rule (classname ``<host>.<RuleGroupId>``, name = RuleId):

- Failed: ``<failure message="CheckResultMessage" type="CheckResultMessageId">`` with the
  message, evidence and remediation as text;
- Skipped: ``<skipped message="...">``;
- PassedWithWarning: ``<system-out>`` with the message, evidence and remediation, and a
  ``<property name="warning" value="RuleId: message">`` in the suite's ``<properties>``
  (the widely used Jenkins/Surefire schema, junit-10.xsd, allows properties on a suite, not
  on a test case);
- Information: ``<system-out>``; Passed: an empty test case.

A host that was not diagnosed (unreachable, failed, not run) has one test case
``diagnosis`` with an ``<error>`` carrying the reason. The fleet findings are a suite
``fleet`` (classname ``fleet.<RuleGroupId>``, the hosts in the text).

The XML is built with xml.etree, which escapes markup; characters XML 1.0 cannot carry at
all (control characters from host evidence, lone surrogates) are removed first so the file
always parses.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import re
import xml.etree.ElementTree as ET

# Not allowed anywhere in an XML 1.0 document, not even as character references.
_XML_INVALID = re.compile(u"[\u0000-\u0008\u000b\u000c\u000e-\u001f\ud800-\udfff\ufffe\uffff]")


def xml_text(value):
    """``value`` as a string XML 1.0 can carry (invalid characters removed)."""
    return _XML_INVALID.sub(u"", u"" if value is None else str(value))


def _details(finding, with_hosts=False):
    lines = [xml_text(finding.get("CheckResultMessage"))]
    lines.append("CheckResultMessageId: %s" % xml_text(finding.get("CheckResultMessageId")))
    if with_hosts:
        lines.append("Hosts: %s" % xml_text(", ".join(finding.get("hosts") or [])))
    evidence = finding.get("evidence") or {}
    if evidence:
        lines.append("Evidence:")
        lines.append(xml_text(json.dumps(evidence, indent=2, sort_keys=True, ensure_ascii=False, default=str)))
    remediation = finding.get("remediation") or {}
    if remediation.get("action"):
        lines.append("Repair action: %s" % xml_text(remediation["action"]))
    if remediation.get("manual"):
        lines.append("Manual step: %s" % xml_text(remediation["manual"]))
    if finding.get("scenario"):
        lines.append("Scenario: %s" % xml_text(finding["scenario"]))
    return "\n".join(lines)


def _testcase(suite, classname, finding, warnings, with_hosts=False):
    case = ET.SubElement(suite, "testcase", {
        "classname": xml_text(classname), "name": xml_text(finding.get("RuleId")), "time": "0"})
    result = finding.get("CheckResult")
    message = xml_text(finding.get("CheckResultMessage"))
    if result == "Failed":
        node = ET.SubElement(case, "failure", {"message": message, "type": xml_text(finding.get("CheckResultMessageId"))})
        node.text = _details(finding, with_hosts)
    elif result == "Skipped":
        node = ET.SubElement(case, "skipped", {"message": message})
    elif result == "PassedWithWarning":
        warnings.append("%s: %s" % (xml_text(finding.get("RuleId")), message))
        ET.SubElement(case, "system-out").text = _details(finding, with_hosts)
    elif result == "Information":
        ET.SubElement(case, "system-out").text = _details(finding, with_hosts)
    return result


def _suite(parent, name, timestamp, properties):
    suite = ET.SubElement(parent, "testsuite", {"name": xml_text(name), "timestamp": xml_text(timestamp),
                                                "time": "0"})
    props = ET.SubElement(suite, "properties")
    for key, value in properties:
        ET.SubElement(props, "property", {"name": xml_text(key), "value": xml_text(value)})
    return suite, props


def _count(suite, results, errors=0):
    suite.set("tests", str(len(results)))
    suite.set("failures", str(results.count("Failed")))
    suite.set("errors", str(errors))
    suite.set("skipped", str(results.count("Skipped")))


def _add_findings(suite, props, prefix, findings, totals, with_hosts=False):
    """One test case per finding (classname ``<prefix>.<RuleGroupId>``), the warnings as suite
    properties, and the suite's and the document's counts."""
    warnings = []
    results = [_testcase(suite, "%s.%s" % (prefix, f.get("RuleGroupId")), f, warnings, with_hosts=with_hosts)
               for f in findings]
    for warning in warnings:
        ET.SubElement(props, "property", {"name": "warning", "value": warning})
    _count(suite, results)
    totals["tests"] += len(results)
    totals["failures"] += results.count("Failed")


def render_junit(report):
    """The JUnit XML document (a str with the XML declaration)."""
    root = ET.Element("testsuites", {"name": xml_text(report["title"]), "time": "0"})
    totals = {"tests": 0, "failures": 0, "errors": 0}
    for host in report["hosts"]:
        properties = [("status", host["status"]), ("readiness", host["readiness"]["state"]),
                      ("readiness_reason", host["readiness"]["reason"])]
        if host.get("platform"):
            properties.append(("platform", host["platform"]))
        suite, props = _suite(root, host["name"], report["generated_at"], properties)
        suite.set("hostname", xml_text(host["name"]))
        if host["status"] != "diagnosed":
            case = ET.SubElement(suite, "testcase", {"classname": xml_text(host["name"]), "name": "diagnosis", "time": "0"})
            error = ET.SubElement(case, "error", {"message": xml_text(host["reason"]), "type": host["status"]})
            error.text = xml_text("The host was not diagnosed (%s): %s" % (host["status"], host["reason"]))
            _count(suite, ["Error"], errors=1)
            totals["tests"] += 1
            totals["errors"] += 1
            continue
        _add_findings(suite, props, host["name"], host["findings"], totals)

    if report["fleet_findings"]:
        suite, props = _suite(root, "fleet", report["generated_at"], [])
        _add_findings(suite, props, "fleet", report["fleet_findings"], totals, with_hosts=True)

    for key, value in totals.items():
        root.set(key, str(value))
    if hasattr(ET, "indent"):  # Python 3.9+: readable; the same document otherwise
        ET.indent(root)
    body = ET.tostring(root, encoding="unicode")
    return u'<?xml version="1.0" encoding="UTF-8"?>\n' + body + u"\n"

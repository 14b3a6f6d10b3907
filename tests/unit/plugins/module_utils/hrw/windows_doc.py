# -*- coding: utf-8 -*-
"""The healthy Windows facts document of the rule tests, and builders of ADR-shaped parts of it.

``healthy()`` is the recorded tests/unit/fixtures/facts/windows_ws2019_healthy.json: a Windows
Server 2019 agent-based (V1) Hybrid Runbook Worker with one workspace, no proxy, every endpoint
probed and working. That file is the one source: make_windows_faults.py writes it,
test_windows_recorded.py checks it equals the generator's output and test_windows_contract.py
checks its keys against docs/adr/0002-windows-facts.md. It is read and parsed on every call, so
each call returns a new document (nothing shared with other calls) that a test may mutate.
``context()`` is the rule context it was recorded with (windows_faults.yml), and
``windows_rules()`` the catalog's Windows rules that the recorded-document, action plugin and
playbook tests run over it.

Tests that depend on a value of the document read it from the document or set it themselves.
The builders below produce endpoint parts shaped as ADR 0002 says (``direct`` always when
probed, ``via_proxy`` only through the agent's proxy, everything null when not probed).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import json
import os

import pytest
import yaml

from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw import catalog

FIXTURES = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", "fixtures", "facts"))
RECORDED = "windows_ws2019_healthy.json"
MS_ISSUER = "CN=Microsoft Azure RSA TLS Issuing CA 03, O=Microsoft Corporation, C=US"
_TCP_ERRORS = {"refused": "No connection could be made because the target machine actively refused it",
               "timeout": "connect timed out", "proxy": None, "other": "network unreachable"}

# Documents that are not a healthy host's facts: no rule may pass or crash on them.
GARBAGE = [None, {}, [], {"schema": 1, "platform": "windows", "host": None, "endpoints": None, "events": None},
           {"schema": 1, "platform": "windows", "host": {"memory": {}, "cpu_count": "2"}, "endpoints": [None, 3]}]


def healthy():
    """The recorded healthy document, parsed afresh: a new object tree every call."""
    with open(os.path.join(FIXTURES, RECORDED)) as f:
        return json.load(f)


def context():
    """The rule context ``healthy()`` was recorded with (a new dict every call)."""
    with open(os.path.join(FIXTURES, "windows_faults.yml")) as f:
        spec = yaml.safe_load(f)
    [entry] = [e for e in spec["healthy"] if e["file"] == RECORDED]
    return dict(entry["context"])


def healthy_at(now):
    """``healthy()`` with the host clock (``host.utc_now``) at ``now``."""
    doc = healthy()
    doc["host"]["utc_now"] = now
    return doc


def run_rule(rule_id, doc, context):
    """The one finding of ``rule_id`` on ``doc``; every MessageId a test sees is one the rule
    declares (and docs/rules.md documents)."""
    rule = catalog.get_rule(rule_id)
    findings = catalog.evaluate(doc, [rule], context)
    assert len(findings) == 1
    assert findings[0]["CheckResultMessageId"] in rule.message_ids, findings[0]["CheckResultMessageId"]
    return findings[0]


def rule_runner(default_context):
    """``run(rule_id, doc, context=None)`` (the finding) and ``mid(...)`` (its MessageId) of a rule
    test module, with ``default_context`` when the test names no context."""
    def run(rule_id, doc, context=None):
        return run_rule(rule_id, doc, default_context if context is None else context)

    def mid(rule_id, doc, context=None):
        return run(rule_id, doc, context)["CheckResultMessageId"]

    return run, mid


def windows_rules():
    """The Windows rules of the catalog; fails (never skips) while the rule modules are empty."""
    rules = catalog.select_rules(platform="windows")
    if not rules:
        pytest.fail("no Windows rules in the catalog: rules_windows*.py are still empty "
                    "(this test needs the issue-4 rule branches merged)", pytrace=False)
    return rules


def service(name, display_name, status, start_type, pid=None, started=None, exists=True):
    """A Windows service as the collector reports it (agent.service, extension.service...)."""
    return {"name": name, "exists": exists, "display_name": display_name, "status": status,
            "start_type": start_type, "process_id": pid, "process_start_utc": started}


def probe(error_class=None, issuer=MS_ISSUER):
    """One probe result (ADR 0001): dns, tcp, tls, elapsed_ms, error_class; ``error_class`` None: it works."""
    dns_ok = error_class != "dns"
    tcp_ok = error_class in (None, "tls") if dns_ok else None
    return {
        "dns": {"ok": dns_ok, "addresses": ["20.50.1.2"] if dns_ok else [],
                "error": None if dns_ok else "No such host is known"},
        "tcp": {"ok": tcp_ok, "error": None if tcp_ok or tcp_ok is None else _TCP_ERRORS.get(error_class)},
        "tls": ({"ok": error_class is None, "error": None if error_class is None else
                 "The remote certificate is invalid according to the validation procedure",
                 "subject": "CN=*.azure-automation.net", "issuer": issuer, "not_after": "2027-06-01T00:00:00Z"}
                if tcp_ok else None),
        "elapsed_ms": 41,
        "error_class": error_class,
    }


def direct(entry, result):
    """``entry`` probed without an agent proxy: ``result`` is the direct attempt and the agent's path."""
    entry.update(copy.deepcopy(result))
    entry["direct"] = copy.deepcopy(result)
    entry["via_proxy"] = None
    return entry


def through_proxy(entry, result, direct_result, ok=True, status=200, error=None):
    """``entry`` probed through the agent's proxy (proxy.contoso.com:8080): ``result`` is the agent's
    path (top level and ``via_proxy`` with its proxy step), ``direct_result`` the direct attempt."""
    entry.update(copy.deepcopy(result))
    entry["via_proxy"] = dict(copy.deepcopy(result), proxy={"host": "proxy.contoso.com", "port": 8080, "ok": ok,
                                                            "status": status, "error": error})
    entry["direct"] = copy.deepcopy(direct_result)
    return entry


def not_probed(entry):
    """``entry`` as the collector leaves it when it does not probe (probe_endpoints false)."""
    entry.update(dict.fromkeys(("dns", "tcp", "tls", "elapsed_ms", "error_class", "direct", "via_proxy")))
    return entry


def endpoint(purpose, index, host, source, error_class=None, issuer=MS_ISSUER):
    """A probed endpoint entry without an agent proxy."""
    entry = {"purpose": purpose, "index": index, "host": host, "port": 443, "source": source}
    return direct(entry, probe(error_class, issuer))

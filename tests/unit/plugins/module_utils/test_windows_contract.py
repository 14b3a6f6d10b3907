# -*- coding: utf-8 -*-
# Copyright: (c) azure_hrw.doctor contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The contract between the Windows rules, the PowerShell collector and ADR 0002.

(a) The rules (plugins/module_utils/hrw/rules_windows*.py) read facts only through
    ``windows_facts.fact(facts, "literal.dotted.path")`` and list items through
    ``.get("key")``; both are read here from the AST (a non-literal path fails).
(b) The collector (plugins/modules/win_hrw_facts.ps1, plugins/module_utils/*.psm1) writes
    the document as hashtable literals; their keys are read with tree-sitter-powershell.
(c) Every component of every rule path and every ``.get`` key is written by the collector
    (or is an endpoint key of ADR 0001, which the controller derives), and every collector
    key is read by some rule or is in UNREAD_BY_RULES with its reason.
(d) Every key path of the recorded documents is in ADR 0002's document, and the reverse.

Until the rule and collector branches of issue 4 are merged, (a) and (b) find nothing: the
tests fail loudly on an empty side instead of passing vacuously.
"""

import ast
import glob
import json
import os
import re

import pytest
import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))
RULE_FILES = sorted(glob.glob(os.path.join(ROOT, "plugins", "module_utils", "hrw", "rules_windows*.py")))
COLLECTOR_FILES = sorted(glob.glob(os.path.join(ROOT, "plugins", "modules", "win_hrw_facts.ps1"))
                         + glob.glob(os.path.join(ROOT, "plugins", "module_utils", "*.psm1")))
ADR = os.path.join(ROOT, "docs", "adr", "0002-windows-facts.md")
FIXTURES = os.path.join(ROOT, "tests", "unit", "fixtures", "facts")

# List-item keys of ADR 0001 "endpoints" (the controller derives purpose..source and the
# collector adds the probe result; on Windows the same shape, ADR 0002 decision 1).
ENDPOINT_KEYS = frozenset((
    "purpose", "index", "host", "port", "source", "dns", "ok", "addresses", "error", "tcp", "tls", "subject",
    "issuer", "not_after", "elapsed_ms", "error_class", "direct", "via_proxy", "proxy", "status", "reason",
))

# ``.get`` keys in the rule modules that are not facts: the rule context (from the action
# plugin) and the partial results / findings the rules build.
NOT_FACT_KEYS = frozenset((
    "controller_utc", "probe_endpoints", "expected_workspace_id", "automation_account_id",
    "automation_account_region", "workspace_region", "hybrid_worker_group", "run_as_certificate_thumbprint",
    "CheckResult", "CheckResultMessageId", "CheckResultMessage", "CheckResultMessageArguments", "RuleId",
    "evidence", "remediation", "scenario", "action", "manual",
))

# Collector keys no rule reads, each with why it is written anyway.
UNREAD_BY_RULES = {
    "schema": "document metadata (ADR 0001), checked by the action plugin",
    "platform": "document metadata, selects the rule platform in the action plugin",
    "collector": "collector metadata (name, version, elapsed_ms)",
    "name": "collector and service names: evidence",
    "version": "collector version: metadata (agent.version is read through its full path)",
    "elapsed_ms": "timing: evidence and diagnostics of the collector itself",
    "hostname": "evidence and report headers",
    "fqdn": "evidence",
    "machine_guid": "read by the fleet report (issue 7: cloned images), not by a rule",
    "pretty_name": "evidence: the OS caption",
    "product_type": "evidence (workstation / server)",
    "id": "host.os.id is constant 'windows'; event ids are filtered by the collector",
    "display_name": "evidence: the service's display name in messages",
    "process_id": "evidence",
    "install_path": "evidence: where the agent is installed",
    "connection_status_text": "evidence next to connection_status",
    "cloud_type": "evidence: the agent's cloud (the endpoints come from the account region)",
    "path": "evidence: the folder or registry path a rule talks about",
    "file_count": "evidence next to size_bytes",
    "newest_write_utc": "evidence next to oldest_write_utc",
    "owner": "evidence: the folder owner (rights come from the ACEs)",
    "identity": "evidence: the account name of an ACE (rules use the SID)",
    "inherited": "evidence",
    "plugin_path": "evidence",
    "hybrid_registration_path": "evidence next to hybrid_registration_exists",
    "window_hours": "evidence: the event window the collector used",
    "subject": "evidence: certificate subject",
    "url": "evidence: IMDS URL / agent proxy URL",
    "source": "evidence: where a value was read from",
    "chassis_asset_tag": "evidence behind azure_vm.detected",
    "sys_vendor": "evidence behind azure_vm.detected",
    "product_name": "evidence behind azure_vm.detected",
    "errors": "non-fatal collector errors: shown with the findings",
    "where": "collector error: where",
    "automation_account": "the options, echoed",
    # hashtables that are not the document
    "options": "not a document key: the Ansible.Basic argument spec",
    "type": "not a document key: Ansible.Basic spec (ACE type is read as list item key 'type' by the ACL rule)",
    "default": "not a document key: Ansible.Basic spec",
    "elements": "not a document key: Ansible.Basic spec",
    "required": "not a document key: Ansible.Basic spec",
    "no_log": "not a document key: Ansible.Basic spec",
    "supports_check_mode": "not a document key: Ansible.Basic spec",
    "probe_timeout": "not a document key: module option",
    "run_as_certificate_thumbprint": "not a document key: module option (the document has run_as_certificate)",
    "LogName": "not a document key: Get-WinEvent -FilterHashtable",
    "ProviderName": "not a document key: Get-WinEvent -FilterHashtable",
    "StartTime": "not a document key: Get-WinEvent -FilterHashtable",
    "Id": "not a document key: Get-WinEvent -FilterHashtable",
    "Level": "not a document key: Get-WinEvent -FilterHashtable",
    "ErrorAction": "not a document key: splatted cmdlet parameters",
    "Auto": "collector-internal: service start-type name map",
    "Boot": "collector-internal: service start-type name map",
    "Disabled": "collector-internal: service start-type name map",
    "Manual": "collector-internal: service start-type name map",
    "System": "collector-internal: service start-type name map",
    "ElapsedMs": "collector-internal: probe job result object",
    "Endpoint": "collector-internal: parsed agent proxy object",
    "Endpoints": "collector-internal: endpoint section return object",
    "Errors": "collector-internal: endpoint section return object",
    "Failure": "collector-internal: probe function parameters",
    "Function": "collector-internal: runspace function table",
    "Handle": "collector-internal: running probe runspace",
    "Job": "collector-internal: running probe runspace",
    "Shell": "collector-internal: running probe runspace",
    "State": "collector-internal: running probe runspace",
    "Mapping": "collector-internal: parsed agent proxy object",
    "MaxEvents": "collector-internal: Get-WinEvent parameters",
    "Name": "collector-internal: splatted cmdlet parameters",
    "ProxyEndpoint": "collector-internal: state shared between sections",
    "Version": "collector-internal: splatted parameters",
    "ViaProxy": "collector-internal: probe job result object",
    "done": "collector-internal: probe progress state",
    "failure": "collector-internal: probe progress state",
    "stage": "collector-internal: probe progress state (becomes error_class)",
    "tls_seen": "collector-internal: probe progress state (what the TLS validation callback saw, for a timed-out probe)",
    "status_line": "collector-internal: parsed CONNECT reply (becomes via_proxy.proxy.status)",
    "certificate": "collector-internal: certificate seen by the TLS validation callback",
    "scheme": "collector-internal: parsed agent proxy URL",
    "userinfo": "collector-internal: parsed agent proxy URL",
    "unreadable_dirs": "collector-internal: folder walk result (becomes an errors entry)",
    "hrw_facts": "the ansible_facts key that carries the document",
    "max_events": "module option",
    "max_files": "module option",
    "addresses": "evidence: DNS answers of an endpoint probe",
    "connection_status": "evidence: the agent's own connection status per workspace (UNVERIFIED COM property)",
    "hybrid_runbook_worker_v2": "evidence: V2 registry key next to the extension service",
    "hybrid_worker": "evidence: V2 registry key next to the extension service",
    "ubr": "evidence: the OS update revision",
    "values": "evidence: registry values of a worker group (names are data, ADR 0002 decision 3)",
    "user_values": "evidence: registry values of a user worker (names are data)",
}


def _need(items, what):
    if not items:
        pytest.fail("%s: nothing found (this test needs the issue-4 rule and collector branches merged)" % what,
                    pytrace=False)
    return items


# --- (a) the rules ----------------------------------------------------------------------


def _is_fact_call(node):
    func = node.func
    return (isinstance(func, ast.Name) and func.id == "fact") or (isinstance(func, ast.Attribute) and func.attr == "fact")


def rule_reads(files=None):
    """``(paths, get_keys, problems)`` from the rule modules' AST."""
    paths, get_keys, problems = set(), set(), []
    for path in files or RULE_FILES:
        with open(path) as f:
            tree = ast.parse(f.read(), path)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            where = "%s:%d" % (os.path.relpath(path, ROOT), node.lineno)
            if _is_fact_call(node):
                arg = node.args[1] if len(node.args) > 1 else next(
                    (k.value for k in node.keywords if k.arg == "path"), None)
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    paths.add(arg.value)
                else:
                    problems.append("%s: fact() with a non-literal path" % where)
            elif isinstance(node.func, ast.Attribute) and node.func.attr == "get" and node.args:
                arg = node.args[0]
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    get_keys.add(arg.value)
    return paths, get_keys, problems


# --- (b) the collector ------------------------------------------------------------------


def _key_text(node, source):
    """The literal text of a hashtable key_expression, or None when it is not a literal."""
    text = source[node.start_byte:node.end_byte].decode("utf-8")
    if len(node.children) == 1 and node.children[0].type == "simple_name":
        return text
    literal = re.match(r"""^(?:'([^']*)'|"([^"$`]*)")$""", text)
    if literal:
        return literal.group(1) if literal.group(1) is not None else literal.group(2)
    return None


def collector_keys(files=None):
    """``(keys, dynamic)``: literal hashtable keys in the collector, and where keys are not literal."""
    import tree_sitter_powershell
    from tree_sitter import Language, Parser

    parser = Parser(Language(tree_sitter_powershell.language()))
    keys, dynamic = set(), []
    for path in files or COLLECTOR_FILES:
        with open(path, "rb") as f:
            source = f.read()
        stack = [parser.parse(source).root_node]
        while stack:
            node = stack.pop()
            if node.type == "key_expression":
                key = _key_text(node, source)
                if key is None:
                    dynamic.append("%s:%d" % (os.path.relpath(path, ROOT), node.start_point[0] + 1))
                else:
                    keys.add(key)
            stack.extend(node.children)
    return keys, dynamic


# --- the extractors themselves (no other branch needed) ----------------------------------


def test_rule_extractor_on_a_sample(tmp_path):
    sample = tmp_path / "rules_windows_sample.py"
    sample.write_text(
        "from x import windows_facts\n"
        "def check(facts, context):\n"
        "    a = windows_facts.fact(facts, 'agent.service.status')\n"
        "    b = fact(facts, path='host.os.build')\n"
        "    c = [w.get('workspace_id') for w in fact(facts, 'agent.workspaces')]\n"
        "    d = context.get('controller_utc')\n"
        "    e = fact(facts, 'a.' + 'b')\n")
    paths, get_keys, problems = rule_reads([str(sample)])
    assert paths == {"agent.service.status", "host.os.build", "agent.workspaces"}
    assert get_keys == {"workspace_id", "controller_utc"}
    assert len(problems) == 1 and "non-literal" in problems[0]


def test_collector_extractor_on_a_sample(tmp_path):
    sample = tmp_path / "sample.ps1"
    sample.write_text("$d = @{ schema = 1; 'platform' = 'windows'; host = [ordered]@{ \"utc_now\" = $now; $name = 1 } }\n")
    keys, dynamic = collector_keys([str(sample)])
    assert keys == {"schema", "platform", "host", "utc_now"}
    assert len(dynamic) == 1


# --- (a) + (b) + (c) ----------------------------------------------------------------------


def test_rules_read_facts_only_through_literal_paths():
    paths, dummy, problems = rule_reads()
    _need(paths, "fact() paths in rules_windows*.py")
    assert problems == []


def test_every_fact_the_rules_read_is_written_by_the_collector():
    paths, get_keys, dummy = rule_reads()
    keys, dummy = collector_keys()
    _need(paths, "fact() paths in rules_windows*.py")
    _need(keys, "hashtable keys in win_hrw_facts.ps1 / *.psm1")
    missing = sorted(set("%s (in %s)" % (part, path) for path in paths for part in path.split(".")
                         if part not in keys and part not in ENDPOINT_KEYS))
    assert missing == [], "rule paths the collector does not write"
    missing = sorted(k for k in get_keys - NOT_FACT_KEYS if k not in keys and k not in ENDPOINT_KEYS)
    assert missing == [], ".get keys the collector does not write"


def test_every_collector_key_is_read_by_a_rule_or_explained():
    paths, get_keys, dummy = rule_reads()
    keys, dummy = collector_keys()
    _need(keys, "hashtable keys in win_hrw_facts.ps1 / *.psm1")
    _need(paths, "fact() paths in rules_windows*.py")
    read = set(part for path in paths for part in path.split(".")) | get_keys
    unread = sorted(k for k in keys if k not in read and k not in UNREAD_BY_RULES)
    assert unread == [], "collector keys no rule reads: read them, or add them to UNREAD_BY_RULES with a reason"


def test_unread_allow_list_has_a_reason_per_key():
    for key, reason in UNREAD_BY_RULES.items():
        assert isinstance(reason, str) and reason.strip() and "\n" not in reason, key


# --- (d) the recorded documents and ADR 0002 ----------------------------------------------


def _paths(value, prefix=""):
    out = set()
    if isinstance(value, dict):
        for key, child in value.items():
            path = prefix + "." + key if prefix else key
            out.add(path)
            if key not in ("root_values", "values", "user_values"):  # registry value names: data
                out |= _paths(child, path)
    elif isinstance(value, list):
        for item in value:
            out |= _paths(item, prefix + "[]")
    return out


def adr_paths():
    with open(ADR) as f:
        text = f.read()
    block = re.search(r"```yaml\n(.*?)```", text, re.S).group(1)
    paths = _paths(yaml.safe_load(block))
    # top-level lists documented by a comment: ``errors: []  # [{where, error}]``
    for key, item_keys in re.findall(r"^(\w+): \[\]\s+# \[\{([^}]*)\}\]", block, re.M):
        paths |= set("%s[].%s" % (key, k.strip()) for k in item_keys.split(","))
    # the proxy step of an endpoint through the agent's proxy, documented by the comment of
    # ``via_proxy: null  # with an http agent proxy: {..., proxy: {host, port, ok, status, error}}``
    via = re.search(r"via_proxy: null\s+#[^\n]*proxy: \{([^}]*)\}", block)
    if via:
        paths.add("endpoints[].via_proxy.proxy")
        paths |= set("endpoints[].via_proxy.proxy.%s" % k.strip() for k in via.group(1).split(","))
    return paths


def _same_shape_as_the_entry(path):
    """ADR 0002 documents ``direct`` (and ``via_proxy``) of an endpoint as the entry's own
    probe result, "as on Linux": ``endpoints[].direct.dns.ok`` is read as ``endpoints[].dns.ok``."""
    for part in ("direct", "via_proxy"):
        prefix = "endpoints[].%s." % part
        if path.startswith(prefix) and not path.startswith(prefix + "proxy"):
            return "endpoints[]." + path[len(prefix):]
    return path


def test_every_key_path_of_the_recorded_documents_is_in_adr_0002():
    adr = adr_paths()
    seen = set()
    for path in sorted(glob.glob(os.path.join(FIXTURES, "windows_*.json"))):
        with open(path) as f:
            doc_paths = _paths(json.load(f))
        seen |= doc_paths | set(_same_shape_as_the_entry(p) for p in doc_paths)
        undocumented = sorted(p for p in doc_paths if p not in adr and _same_shape_as_the_entry(p) not in adr)
        assert undocumented == [], "%s has keys ADR 0002 does not document" % os.path.basename(path)
    assert "host.os.build" in seen and "endpoints[].tls.issuer" in seen  # the walk reached lists and depth
    assert sorted(adr - seen) == [], "ADR 0002 keys no recorded document has"

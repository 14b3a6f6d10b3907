# -*- coding: utf-8 -*-
# Copyright: (c) azure_hrw.doctor contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller-side helpers shared by the diagnose (and later repair) action plugins.

FOR INTERNAL COLLECTION USE ONLY. This module may change or go away at any time; do not
import it from outside the azure_hrw.doctor collection.

Everything here runs on the controller only: the option spec shared by the actions, the
collector dispatch (one module round trip per host), rule selection and evaluation, the
readable digest, and the ``fail_on`` decision.
"""

from __future__ import annotations

import datetime
import re

from ansible.errors import AnsibleActionFail

from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw import regions
from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw.registration_input import check_group_name
from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw.windows_endpoints import derive_windows_endpoints
from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw.catalog import (
    CHECK_RESULTS,
    UnknownRuleError,
    evaluate,
    select_rules,
    summarize,
)
from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw.finding import SEVERITY_ORDER, severity_rank  # noqa: F401 (re-exported)

# The facts document schemas this controller code understands (ADR 0001).
SUPPORTED_FACTS_SCHEMAS = (1,)

LINUX_COLLECTOR = "azure_hrw.doctor.hrw_facts"
WINDOWS_COLLECTOR = "azure_hrw.doctor.win_hrw_facts"

PROBE_TIMEOUT_MIN_EXCLUSIVE = 0.0
PROBE_TIMEOUT_MAX = 60.0

FAIL_ON_CHOICES = ("never", "failed", "warning")

# Report order, worst first: defined once in finding.py (the fleet report needs it on the pure side).
_DIGEST_WIDTH = max(len(name) for name in CHECK_RESULTS)


def collector_options_spec():
    """Options that go to the collector module (shared by diagnose and repair)."""
    return dict(
        probe_timeout=dict(type="float", default=3.0),
        probe_endpoints=dict(type="bool", default=True),
    )


def expectation_options_spec():
    """What the user knows about the worker and its account (rules compare the host to it;
    the account options also reach the collector, for the account-specific endpoints, and the
    Run As thumbprint reaches the Windows collector, which looks the certificate up)."""
    return dict(
        expected_workspace_id=dict(type="str"),
        automation_account_id=dict(type="str"),
        automation_account_region=dict(type="str"),
        workspace_region=dict(type="str"),
        hybrid_worker_group=dict(type="str"),
        run_as_certificate_thumbprint=dict(type="str"),
    )


_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")

# Hybrid worker group names: Microsoft Learn "Naming rules and restrictions for Azure resources",
# Microsoft.Automation (registration_input.check_group_name holds the rule).
_THUMBPRINT = re.compile(r"^[0-9A-F]{40}$")
# Copied from the Windows certificate dialog, a thumbprint often starts with an invisible
# LEFT-TO-RIGHT MARK and has spaces between the bytes.
_THUMBPRINT_NOISE = re.compile("[\\s:\u200e\u200f\ufeff]")


def check_hybrid_worker_group(value):
    """The group name, stripped of surrounding spaces; raises AnsibleActionFail naming the
    field and the form when it is not a valid hybrid worker group name."""
    try:
        return check_group_name(value, field="hybrid_worker_group")
    except ValueError as exc:
        raise AnsibleActionFail(str(exc)) from None


def check_thumbprint(value):
    """The thumbprint in upper case without spaces; raises AnsibleActionFail naming the field
    and the form when it is not 40 hexadecimal digits."""
    thumbprint = _THUMBPRINT_NOISE.sub("", value).upper()
    if not _THUMBPRINT.match(thumbprint):
        raise AnsibleActionFail(
            "run_as_certificate_thumbprint must be a certificate thumbprint: 40 hexadecimal digits "
            "(SHA-1, for example 3F2A9C0D4B5E6F708192A3B4C5D6E7F8091A2B3C; spaces are ignored), got %r" % (value,))
    return thumbprint


def check_expectations(args):
    """Validate the expectation options (format only); returns them normalised, without the
    ones not given. Raises AnsibleActionFail naming the field and the expected form."""
    given = {}
    for field in ("expected_workspace_id", "automation_account_id"):
        value = args.get(field)
        if value is None or value == "":
            continue
        if not _GUID.match(value.strip()):
            raise AnsibleActionFail(
                "%s must be a GUID such as 0f5ac2de-1234-4cde-9f00-5d6c7e8f9a0b, got %r" % (field, value))
        given[field] = value.strip().lower()
    for field in ("automation_account_region", "workspace_region"):
        value = args.get(field)
        if value is None or value == "":
            continue
        if not regions.is_known(value):
            raise AnsibleActionFail(
                "%s must be an Azure region name such as westeurope or 'West Europe' (case, spaces and "
                "dashes are ignored), got %r. Valid regions: %s" % (field, value, ", ".join(regions.REGIONS)))
        given[field] = regions.normalize(value)
    if args.get("hybrid_worker_group") not in (None, ""):
        given["hybrid_worker_group"] = check_hybrid_worker_group(args["hybrid_worker_group"])
    if args.get("run_as_certificate_thumbprint") not in (None, ""):
        given["run_as_certificate_thumbprint"] = check_thumbprint(args["run_as_certificate_thumbprint"])
    return given


def rules_option_spec():
    """The ``rules`` option: include / exclude lists of RuleIds or RuleGroupIds."""
    return dict(
        type="dict",
        default={},
        options=dict(
            include=dict(type="list", elements="str", default=[]),
            exclude=dict(type="list", elements="str", default=[]),
        ),
    )


def diagnose_argument_spec():
    """The argument spec of ``azure_hrw.doctor.hrw_diagnose``."""
    spec = dict(rules=rules_option_spec(), fail_on=dict(type="str", default="never", choices=list(FAIL_ON_CHOICES)))
    spec.update(collector_options_spec())
    spec.update(expectation_options_spec())
    return spec


def check_probe_timeout(value):
    """Range check that the argument spec cannot express; raises AnsibleActionFail."""
    if not PROBE_TIMEOUT_MIN_EXCLUSIVE < value <= PROBE_TIMEOUT_MAX:
        raise AnsibleActionFail(
            "probe_timeout must be a number of seconds greater than %g and at most %g, got %r"
            % (PROBE_TIMEOUT_MIN_EXCLUSIVE, PROBE_TIMEOUT_MAX, value)
        )
    return float(value)


def check_rules_shape(task_args):
    """Name the field when ``rules`` is not a mapping (core's dict converter does not)."""
    value = task_args.get("rules")
    if value is None or isinstance(value, (dict, str)):
        return
    raise AnsibleActionFail(
        "rules must be a mapping with the keys include and exclude, each a list of RuleIds or "
        "RuleGroupIds (e.g. rules: {include: [connectivity], exclude: [Linux.JRDSConnectivityCheck]}), "
        "got a %s" % type(value).__name__
    )


def rule_selection(rules_arg):
    """``rules`` option value -> (include list, exclude list)."""
    rules_arg = rules_arg or {}
    return list(rules_arg.get("include") or []), list(rules_arg.get("exclude") or [])


def validate_rule_selection(include, exclude):
    """Validate include/exclude against the whole catalog before anything runs on a host.

    Raises AnsibleActionFail whose message names every unknown entry and lists the valid
    RuleIds and RuleGroupIds. Returns the selected rules of every platform.
    """
    try:
        return select_rules(include=include, exclude=exclude)
    except UnknownRuleError as exc:
        raise AnsibleActionFail("rules: %s" % exc) from None


def utc_now_iso(now=None):
    """UTC ISO-8601 with a trailing ``Z`` (second precision), as the facts document uses."""
    if now is None:
        now = datetime.datetime.now(datetime.timezone.utc)
    elif now.tzinfo is not None:
        now = now.astimezone(datetime.timezone.utc)
    return now.strftime("%Y-%m-%dT%H:%M:%SZ")


def is_windows_connection(connection):
    """True when the connection's shell is a Windows shell (dispatch on it, never guess)."""
    shell = getattr(connection, "_shell", None)
    return bool(getattr(shell, "_IS_WINDOWS", False))


def collector_call(windows, probe_timeout, probe_endpoints, expectations=None):
    """``(module_name, module_args, endpoint_errors)`` of the one collector call.

    Linux (``hrw_facts``) gets the probe options and the account id/region, nothing else (it
    rejects unknown options). Windows (``win_hrw_facts``) also gets the endpoint list derived
    here (ADR 0002, decision 5) and the Run As thumbprint to look up; ``endpoint_errors`` are
    the endpoints that could not be derived on the controller (added to the facts document).
    """
    expectations = expectations or {}
    module_args = {"probe_timeout": probe_timeout, "probe_endpoints": probe_endpoints}
    for field in ("automation_account_id", "automation_account_region"):
        if expectations.get(field):
            module_args[field] = expectations[field]
    if not windows:
        return LINUX_COLLECTOR, module_args, []
    endpoints, endpoint_errors = derive_windows_endpoints(
        account_id=expectations.get("automation_account_id"),
        account_region=expectations.get("automation_account_region"))
    module_args["endpoints"] = endpoints
    if expectations.get("run_as_certificate_thumbprint"):
        module_args["run_as_certificate_thumbprint"] = expectations["run_as_certificate_thumbprint"]
    return WINDOWS_COLLECTOR, module_args, endpoint_errors


def _merge_endpoint_errors(facts, endpoint_errors):
    """Add the controller's derivation errors to the document's ``endpoint_errors`` (once)."""
    if not endpoint_errors:
        return
    present = facts.get("endpoint_errors")
    present = list(present) if isinstance(present, list) else []
    for error in endpoint_errors:
        if error not in present:
            present.append(dict(error))
    facts["endpoint_errors"] = present


def collect_facts(action, task_vars, probe_timeout, probe_endpoints, action_name="hrw_diagnose", expectations=None):
    """Run the collector once on the host (one round trip).

    Returns ``(facts, module_result, failure)``: ``failure`` is None on success, else a
    result dict to return as-is (the host fails; other hosts go on).
    """
    module_name, module_args, endpoint_errors = collector_call(
        is_windows_connection(action._connection), probe_timeout, probe_endpoints, expectations)
    module_result = action._execute_module(module_name=module_name, module_args=module_args, task_vars=task_vars)

    if module_result.get("unreachable"):
        return None, module_result, module_result
    if module_result.get("failed"):
        failure = dict(module_result)
        failure["changed"] = False
        failure["msg"] = "%s: the collector %s failed on this host, nothing was evaluated: %s" % (
            action_name, module_name, module_error_text(module_result))
        return None, module_result, failure

    facts = (module_result.get("ansible_facts") or {}).get("hrw_facts")
    problem = facts_problem(facts)
    if problem:
        return None, module_result, {
            "failed": True,
            "changed": False,
            "msg": "%s: the collector %s returned %s" % (action_name, module_name, problem),
        }
    _merge_endpoint_errors(facts, endpoint_errors)
    return facts, module_result, None


def module_error_text(module_result):
    """The best one-line reason a module failed: its msg, else the captured exception's
    message (core 2.19+ moves an unhandled exception there), else the last stderr line."""
    msg = module_result.get("msg")
    if msg:
        return str(msg)
    event = getattr(module_result.get("exception"), "event", None)
    if getattr(event, "msg", None):
        return str(event.msg)
    for key in ("module_stderr", "stderr", "module_stdout"):
        lines = [line for line in str(module_result.get(key) or "").splitlines() if line.strip()]
        if lines:
            return lines[-1].strip()
    if module_result.get("rc") is not None:
        return "exit code %s and no message" % module_result.get("rc")
    return "no message"


def facts_problem(facts):
    """None when ``facts`` looks like a facts document this code can evaluate, else why not."""
    if not isinstance(facts, dict):
        return "no facts document (ansible_facts.hrw_facts is missing or not a mapping)"
    schema = facts.get("schema")
    if schema not in SUPPORTED_FACTS_SCHEMAS:
        return ("a facts document with schema %r; this controller understands schema %s. "
                "Use the same collection version on the controller and for the collector."
                % (schema, ", ".join(str(s) for s in SUPPORTED_FACTS_SCHEMAS)))
    if facts.get("platform") not in ("linux", "windows"):
        return "a facts document with platform %r (expected linux or windows)" % (facts.get("platform"),)
    return None


def diagnose(facts, include, exclude, controller_utc=None, probe_endpoints=None, expectations=None):
    """Select the rules for the host's platform, evaluate them, and summarise.

    The rules get the context ``{'controller_utc': ..., 'probe_endpoints': ...}`` (the latter
    only when known), so they can tell "not probed on purpose" from "no probe result", plus
    the expectation options the user gave (``expected_workspace_id``, ``automation_account_id``,
    ``automation_account_region``, ``workspace_region``, ``hybrid_worker_group``,
    ``run_as_certificate_thumbprint``). Returns ``(findings, summary)``.
    """
    rules = select_rules(include=include, exclude=exclude, platform=facts.get("platform"))
    context = dict(expectations or {})
    context["controller_utc"] = controller_utc or utc_now_iso()
    if probe_endpoints is not None:
        context["probe_endpoints"] = bool(probe_endpoints)
    findings = evaluate(facts, rules, context=context)
    return findings, summarize(findings)


def worst_first(findings):
    """Findings sorted worst first; catalog order is kept within one CheckResult."""
    return sorted(findings, key=lambda f: severity_rank(f.get("CheckResult")))


def digest_line(finding):
    """``"Failed            Linux.OMSAgentStatusCheck: The OMS agent process is not running"``."""
    message = (finding.get("CheckResultMessage") or "").strip() or finding.get("CheckResultMessageId") or ""
    return "%s %s: %s" % (
        str(finding.get("CheckResult")).ljust(_DIGEST_WIDTH),
        finding.get("RuleId"),
        " ".join(message.split()),
    )


def _worth_a_line(finding):
    # A rule that does not apply to this host (e.g. a Government-cloud endpoint on a public
    # cloud agent) is counted in the summary but would only be noise in the digest.
    if finding.get("CheckResult") == "Passed":
        return False
    return not str(finding.get("CheckResultMessageId") or "").endswith(".Skipped.NotApplicable")


def digest(findings):
    """One short readable line for every finding that did not pass, worst first.

    Findings skipped as not applicable to the host are left out (the summary counts them).
    """
    return [digest_line(f) for f in worst_first(findings) if _worth_a_line(f)]


def summary_line(summary):
    """``"1 Failed, 2 PassedWithWarning, 20 Passed, 0 Information, 1 Skipped (24 rules)"``."""
    parts = ["%d %s" % (summary.get(name, 0), name) for name in SEVERITY_ORDER]
    return "%s (%d rules)" % (", ".join(parts), summary.get("total", 0))


def fail_on_decision(findings, fail_on):
    """Should the task fail? Returns ``(failed, msg)``; ``msg`` is None when it should not.

    ``never``: never. ``failed``: any Failed finding. ``warning``: any Failed or
    PassedWithWarning finding.
    """
    if fail_on not in FAIL_ON_CHOICES:
        raise ValueError("fail_on must be one of %s, got %r" % (", ".join(FAIL_ON_CHOICES), fail_on))
    if fail_on == "never":
        return False, None
    trigger = ("Failed",) if fail_on == "failed" else ("Failed", "PassedWithWarning")
    hits = [f for f in worst_first(findings) if f.get("CheckResult") in trigger]
    if not hits:
        return False, None
    counts = ", ".join(
        "%d %s" % (n, name) for name, n in
        ((name, sum(1 for f in hits if f.get("CheckResult") == name)) for name in trigger) if n
    )
    msg = "HRW diagnosis found %s (fail_on=%s): %s" % (
        counts, fail_on, ", ".join(str(f.get("RuleId")) for f in hits))
    return True, msg

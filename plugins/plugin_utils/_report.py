# -*- coding: utf-8 -*-
# Copyright: (c) azure_hrw.doctor contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller-side logic of the ``hrw_report`` action (fleet report, issue 7).

FOR INTERNAL COLLECTION USE ONLY. This module may change or go away at any time; do not
import it from outside the azure_hrw.doctor collection.

Option validation, gathering every requested host's registered diagnosis from
``hostvars``, the fleet rules and readiness, the report model, the renderers, and writing
the files on the controller (atomically, only when more than the timestamp changed).
"""

from __future__ import annotations

import json
import os
import re
import tempfile

from ansible.errors import AnsibleActionFail

from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw import (
    fleet_rules,
    report_html,
    report_junit,
    report_model,
    report_readiness,
    report_text,
)
from ansible_collections.azure_hrw.doctor.plugins.plugin_utils._diagnose import utc_now_iso

FORMATS = ("table", "markdown", "json", "junit", "html")
FILE_NAMES = {
    "table": "hrw-report.txt",
    "markdown": "hrw-report.md",
    "json": "hrw-report.json",
    "junit": "hrw-report.junit.xml",
    "html": "hrw-report.html",
}
DEFAULT_TITLE = "Hybrid Runbook Worker fleet"
DEFAULT_RESULT_VAR = "hrw_diagnose_result"
DEFAULT_REPAIR_VAR = "hrw_repair_result"
DIR_MODE = 0o755
FILE_MODE = 0o644

_VAR_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")


def report_argument_spec():
    """The argument spec of ``azure_hrw.doctor.hrw_report``."""
    return dict(
        dest=dict(type="path", required=True),
        formats=dict(type="list", elements="str", default=list(FORMATS)),
        hosts=dict(type="list", elements="str"),
        result_var=dict(type="str", default=DEFAULT_RESULT_VAR),
        repair_var=dict(type="str", default=DEFAULT_REPAIR_VAR),
        title=dict(type="str", default=DEFAULT_TITLE),
    )


def check_options(args, task_vars):
    """Validate what the argument spec cannot; returns the options normalised.

    Raises AnsibleActionFail naming the field and the expected form.
    """
    dest = args.get("dest")
    if not dest or not str(dest).strip():
        raise AnsibleActionFail("dest must be a directory path on the controller (created if missing), "
                                "for example /tmp/hrw-report, got %r" % (dest,))
    if os.path.exists(dest) and not os.path.isdir(dest):
        raise AnsibleActionFail("dest must be a directory path on the controller, but %s exists and is not "
                                "a directory" % dest)

    formats = []
    for entry in args.get("formats") or []:
        name = str(entry).strip().lower()
        if name not in FORMATS:
            raise AnsibleActionFail("formats must be a list of report formats out of %s, got the unknown "
                                    "format %r" % (", ".join(FORMATS), entry))
        if name not in formats:
            formats.append(name)
    if not formats:
        raise AnsibleActionFail("formats must name at least one report format out of %s (leave it out for "
                                "all of them), got an empty list" % ", ".join(FORMATS))

    for field in ("result_var", "repair_var"):
        value = args.get(field)
        if not isinstance(value, str) or not _VAR_NAME.match(value):
            raise AnsibleActionFail("%s must be the name of a registered variable (letters, digits and _, not "
                                    "starting with a digit, for example %s), got %r"
                                    % (field, report_argument_spec()[field]["default"], value))

    hosts = args.get("hosts")
    if hosts is None:
        hosts = task_vars.get("ansible_play_hosts_all")
        if hosts is None:
            raise AnsibleActionFail("hosts must be a list of inventory host names; it defaults to "
                                    "ansible_play_hosts_all, which is not defined here")
    names = []
    for host in hosts:
        name = str(host).strip()
        if not name:
            raise AnsibleActionFail("hosts must be a list of inventory host names, got an empty name in %r"
                                    % (list(hosts),))
        if name not in names:
            names.append(name)
    if not names:
        raise AnsibleActionFail("hosts must name at least one inventory host, got an empty list")

    title = args.get("title")
    title = DEFAULT_TITLE if title is None or not str(title).strip() else str(title).strip()
    return {"dest": dest, "formats": formats, "hosts": names, "result_var": args["result_var"],
            "repair_var": args["repair_var"], "title": title}


# A lone surrogate (undecodable bytes a host reported) cannot be written as UTF-8: it becomes
# U+FFFD, so one odd log line never stops the report.
_SURROGATE = re.compile(u"[\ud800-\udfff]")


def _text(value):
    return _SURROGATE.sub(u"\ufffd", str(value))


def plain(value):
    """A deep copy made of plain dict/list/str/int/float/bool/None (drops Ansible's lazy and
    tagged container types, so the report serialises as it is everywhere); strings are valid
    UTF-8 (see _text)."""
    if isinstance(value, dict) or (hasattr(value, "keys") and hasattr(value, "__getitem__")):
        return dict((_text(k), plain(value[k])) for k in value.keys())
    if isinstance(value, (list, tuple, set, frozenset)):
        return [plain(v) for v in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", "replace")
    return _text(value)


def _first_line(text):
    lines = [line.strip() for line in str(text or "").splitlines() if line.strip()]
    return lines[0] if lines else ""


def _host_vars(hostvars, name):
    if hostvars is None:
        return None
    try:
        if name not in hostvars:
            return None
        return hostvars[name]
    except Exception:  # an undefined host in a HostVars object
        return None


def _lookup(host_vars, var):
    if host_vars is None:
        return None
    try:
        return host_vars.get(var)
    except Exception:
        return None


def host_status(result, result_var):
    """``(status, reason)`` of one host's registered result (the value of ``result_var``)."""
    if result is None:
        return "not_run", ("no registered result %s: the diagnosis did not run on this host (it failed or was "
                           "skipped before, or is not in this play)" % result_var)
    if not isinstance(result, dict):
        return "failed", "%s is not a task result (a %s)" % (result_var, type(result).__name__)
    if result.get("unreachable"):
        return "unreachable", _first_line(result.get("msg")) or "unreachable (no message)"
    if result.get("skipped"):
        return "not_run", "the diagnosis task was skipped on this host%s" % (
            ": %s" % result["skip_reason"] if result.get("skip_reason") else "")
    if not isinstance(result.get("summary"), dict):
        return "failed", _first_line(result.get("msg")) or "the diagnosis failed without a message"
    return "diagnosed", None


def repair_summary(result):
    """The ``repair`` entry of a host: None when there is no repair result, else its status,
    changed, message and summary (issue 5's ``hrw_repair`` result)."""
    if not isinstance(result, dict) or result.get("skipped"):
        return None
    if result.get("unreachable"):
        status = "unreachable"
    elif result.get("failed"):
        status = "failed"
    else:
        status = "ok"
    summary = result.get("summary")
    return {"status": status, "changed": bool(result.get("changed")), "msg": _first_line(result.get("msg")) or None,
            "summary": summary if isinstance(summary, dict) else None}


def gather(hosts, hostvars, result_var, repair_var):
    """``(host_results, facts_by_host)``: one host result per name (report_model's input),
    and the facts document of every diagnosed host (the fleet rules' input)."""
    host_results = []
    facts_by_host = {}
    for name in hosts:
        host_vars = _host_vars(hostvars, name)
        result = _lookup(host_vars, result_var)
        result = plain(result) if result is not None else None
        status, reason = host_status(result, result_var)
        if host_vars is None:
            status, reason = "not_run", "%s is not a host of this inventory" % name
        entry = {"name": name, "status": status, "reason": reason, "facts": None, "findings": [],
                 "readiness": None, "repair": None}
        if status == "diagnosed":
            facts = result.get("facts") if isinstance(result.get("facts"), dict) else None
            entry["facts"] = facts
            entry["findings"] = [f for f in (result.get("findings") or []) if isinstance(f, dict)]
            if facts is not None:
                facts_by_host[name] = facts
        repair = _lookup(host_vars, repair_var)
        entry["repair"] = repair_summary(plain(repair)) if repair is not None else None
        host_results.append(entry)
    return host_results, facts_by_host


def add_readiness(host_results, warnings):
    """Set ``readiness`` of every diagnosed host (report_readiness.readiness)."""
    for entry in host_results:
        if entry["status"] != "diagnosed":
            continue
        try:
            entry["readiness"] = report_readiness.readiness(entry["facts"], entry["findings"])
        except Exception as e:  # one host's readiness must not cost the fleet its report
            warnings.append("hrw_report: the readiness of %s could not be derived: %s: %s"
                            % (entry["name"], type(e).__name__, e))
            entry["readiness"] = {"state": "Unknown", "reason": "The readiness could not be derived: %s" % e,
                                  "evidence": {}}


def fleet_findings(facts_by_host, warnings):
    """The fleet rules' findings (fleet_rules.evaluate_fleet); a broken rule set becomes a
    warning and no fleet findings rather than no report."""
    try:
        return [plain(f) for f in fleet_rules.evaluate_fleet(facts_by_host)]
    except Exception as e:
        warnings.append("hrw_report: the fleet rules could not be evaluated: %s: %s" % (type(e).__name__, e))
        return []


def collection_version():
    """The version of this collection (MANIFEST.json when installed, galaxy.yml in a checkout)."""
    root = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
    try:
        with open(os.path.join(root, "MANIFEST.json")) as f:
            return str(json.load(f)["collection_info"]["version"])
    except Exception:
        pass
    try:
        import yaml
        with open(os.path.join(root, "galaxy.yml")) as f:
            return str(yaml.safe_load(f)["version"])
    except Exception:
        return "unknown"


def renderers(formats, warnings):
    """``{format: callable(report) -> str}`` of the requested formats that are available."""
    table = {
        "table": report_text.render_table,
        "markdown": report_text.render_markdown,
        "json": render_json,
        "junit": report_junit.render_junit,
        "html": report_html.render_html,
    }
    return dict((name, table[name]) for name in formats)


def render_json(report):
    return json.dumps(report, indent=2, ensure_ascii=False) + "\n"


def build(options, task_vars, generated_at=None):
    """``(report, warnings)`` for the validated ``options``."""
    warnings = []
    host_results, facts_by_host = gather(options["hosts"], task_vars.get("hostvars"), options["result_var"],
                                         options["repair_var"])
    add_readiness(host_results, warnings)
    fleet = fleet_findings(facts_by_host, warnings)
    report = report_model.build_report(host_results, fleet, generated_at or utc_now_iso(), options["title"],
                                       collection_version())
    return report, warnings


def same_but_timestamp(old, report, render):
    """True when ``old`` (a file's text) is what ``render`` makes of ``report`` with some other
    ``generated_at``: tries each timestamp found in ``old`` as the report's."""
    if old == render(report):
        return True
    for stamp in list(dict.fromkeys(_TIMESTAMP.findall(old)))[:20]:
        if stamp != report["generated_at"] and old == render(dict(report, generated_at=stamp)):
            return True
    return False


def _read(path):
    try:
        with open(path, encoding="utf-8", newline="") as f:
            return f.read()
    except (OSError, UnicodeDecodeError):
        return None


def write_atomic(path, content, mode=FILE_MODE):
    """Write ``content`` to ``path`` through a temporary file in the same directory and a rename,
    so a reader never sees a half-written report."""
    directory = os.path.dirname(path)
    fd, tmp = tempfile.mkstemp(prefix=".%s." % os.path.basename(path), dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(content)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def plan_files(dest, report, render_by_format):
    """``[(format, path, content, needs_write)]`` in the order of the requested formats."""
    plan = []
    for name, render in render_by_format.items():
        path = os.path.join(dest, FILE_NAMES[name])
        content = render(report)
        old = _read(path) if os.path.isfile(path) else None
        plan.append((name, path, content, old is None or not same_but_timestamp(old, report, render)))
    return plan


def write_report(dest, plan, check_mode):
    """Create ``dest`` (0755) and write the files that need it, unless ``check_mode``.
    Returns whether anything changed (or would change)."""
    changed = not os.path.isdir(dest)
    if changed and not check_mode:
        try:
            os.makedirs(dest, mode=DIR_MODE)
            os.chmod(dest, DIR_MODE)  # makedirs' mode is filtered by the umask
        except OSError as e:
            raise AnsibleActionFail("dest: cannot create the directory %s: %s" % (dest, e)) from None
    for dummy, path, content, needs_write in plan:
        if not needs_write:
            continue
        changed = True
        if not check_mode:
            try:
                write_atomic(path, content)
            except OSError as e:
                raise AnsibleActionFail("dest: cannot write %s: %s" % (path, e)) from None
    return changed


def run_report(args, task_vars, check_mode, generated_at=None):
    """Everything the action does; returns the action's result (without ActionBase's keys)."""
    options = check_options(args, task_vars)
    report, warnings = build(options, task_vars, generated_at)
    render_by_format = renderers(options["formats"], warnings)
    plan = plan_files(options["dest"], report, render_by_format)
    changed = write_report(options["dest"], plan, check_mode)
    table = report_text.render_table(report)
    by_status = report["totals"]["by_status"]
    msg = "%s the report of %d hosts (%s) to %s" % (
        "Would write" if check_mode and changed else ("Wrote" if changed else "Unchanged:"),
        report["totals"]["hosts"],
        ", ".join("%d %s" % (n, s.replace("_", " ")) for s, n in by_status.items() if n),
        options["dest"])
    result = {
        "changed": changed,
        "msg": msg,
        "dest": options["dest"],
        "files": dict((name, path) for name, path, dummy, dummy2 in plan),
        "table": table,
        "table_lines": table.rstrip("\n").split("\n"),
        "summary": report["totals"],
        "fleet_findings": report["fleet_findings"],
        "generated_at": report["generated_at"],
    }
    if warnings:
        result["warnings"] = warnings
    return result

# -*- coding: utf-8 -*-
# Copyright: (c) azure_hrw.doctor contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Linux rules: users, groups, sudoers, gpg, home directory, python3, multihoming, worker package.

Pure rules over the facts document (DESIGN §2): stdlib only, Python 3.8 syntax, no I/O.
They read ``agent.workspace_id``/``agent.workspace_dirs``, ``worker.version`` and the
``accounts`` section (docs/adr/0001-facts-document.md). What the OMS installer and the
worker's onboarding code set up is in official-troubleshooters.md §4.2.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw.finding import (
    PREREQUISITES,
    SERVICEHEALTH,
    Rule,
    failed,
    information,
    passed,
    remediation,
    skipped,
    warning,
)
from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw.rules_linux import (
    GENERATION,
    OFFICIAL,
    PLATFORM,
    SEED,
    _depends_on_install,
)

INSTALLER = "official-troubleshooters.md#4.2 "

WORKER_VERSION_FILE = "/opt/microsoft/omsconfig/modules/nxOMSAutomationWorker/VERSION"
SUDOERS_DROPIN = "/etc/sudoers.d/omsagent"
DSC_CHECK_CMD = ("sudo su omsagent -c 'python /opt/microsoft/omsconfig/Scripts/"
                 "PerformRequiredConfigurationChecks.py'")
REPAIR = "repair_prerequisites"


def _dict(value):
    return value if isinstance(value, dict) else {}


def _accounts(facts):
    return _dict(facts).get("accounts")


def _section(facts, key):
    """``(value, skipped partial)``: the accounts sub-section, or why it is not there."""
    accounts = _accounts(facts)
    if not isinstance(accounts, dict):
        return None, skipped("FactsMissing",
                             "Not checked: the facts hold no accounts section (the collector "
                             "failed or is older).", evidence={"accounts": accounts})
    value = accounts.get(key)
    if value is None:
        return None, skipped("FactsMissing",
                             "Not checked: the collector could not read accounts.%s (see the "
                             "facts' errors)." % key, evidence={key: None})
    return value, None


def _prologue(facts, key):
    skip = _depends_on_install(facts)
    if skip:
        return None, skip
    return _section(facts, key)


# --------------------------------------------------------------------------- servicehealth

def check_multihoming(facts, context):
    skip = _depends_on_install(facts)
    if skip:
        return skip
    agent = _dict(_dict(facts).get("agent"))
    ws = (agent.get("workspace_id") or "").lower() or None
    dirs = agent.get("workspace_dirs")
    if not isinstance(dirs, list):
        return skipped("FactsMissing",
                       "Not checked: the collector could not list /var/opt/microsoft/omsagent.",
                       evidence={"workspace_dirs": dirs})
    dirs = sorted(str(d).lower() for d in dirs)
    evidence = {"workspace_id": ws, "workspace_dirs": dirs}
    manual_remove = ("Multihoming is not supported by the Hybrid Runbook Worker: remove the other "
                     "workspace(s) with sudo /opt/microsoft/omsagent/bin/omsadmin.sh -x <WorkspaceID>, "
                     "then restart the agent.")
    if not ws:
        return failed("NoWorkspace",
                      "The OMS agent has no WORKSPACE_ID in omsadmin.conf, so no workspace "
                      "directory can be its own (found: %s)." % (", ".join(dirs) or "none"),
                      arguments=dirs, evidence=evidence,
                      remediation=remediation(None, "Onboard the agent: sh onboard_agent.sh -w "
                                              "<WorkspaceID> -s <WorkspaceKey>."))
    others = [d for d in dirs if d != ws]
    evidence["other_workspaces"] = others
    if ws not in dirs:
        return failed("NoWorkspace",
                      "The agent's workspace %s has no directory under /var/opt/microsoft/omsagent "
                      "(found: %s): the agent is not onboarded to it." % (ws, ", ".join(dirs) or "none"),
                      arguments=[ws] + dirs, evidence=evidence,
                      remediation=remediation(None, "Re-onboard the agent to workspace %s: sh "
                                              "onboard_agent.sh -w %s -s <WorkspaceKey>." % (ws, ws)))
    if others:
        return failed(None,
                      "The agent is multihomed: besides its workspace %s, it has workspace "
                      "directories for %s. The Hybrid Runbook Worker supports one workspace only."
                      % (ws, ", ".join(others)),
                      arguments=others, evidence=evidence,
                      remediation=remediation(None, manual_remove))
    return passed("The agent has exactly one workspace, its own (%s)." % ws,
                  arguments=[ws], evidence=evidence)


def check_worker_package(facts, context):
    skip = _depends_on_install(facts)
    if skip:
        return skip
    worker = _dict(facts).get("worker")
    if not isinstance(worker, dict):
        return skipped("FactsMissing", "Not checked: the facts hold no worker section (the collector "
                       "failed to read it).", evidence={"worker": worker})
    version = worker.get("version")
    trees, skip = _section(facts, "worker_trees")
    if skip:
        return skip
    trees = _dict(trees)
    complete = [name for name in ("py3", "py2") if _dict(trees.get(name)).get("complete") is True]
    evidence = {"version_file": WORKER_VERSION_FILE, "version": version, "trees": trees,
                "complete_trees": complete}
    fix = remediation(None, "Enable the Azure Automation (or Update Management) solution for the "
                      "workspace and let omsconfig install nxOMSAutomationWorker; to force it now: "
                      "%s." % DSC_CHECK_CMD)
    if not version:
        return failed(None,
                      "The Hybrid Runbook Worker package is not installed: %s is missing or empty "
                      "(complete worker trees: %s)." % (WORKER_VERSION_FILE, ", ".join(complete) or "none"),
                      arguments=[WORKER_VERSION_FILE], evidence=evidence, remediation=fix)
    if not complete:
        missing = dict((name, sorted(f for f, ok in _dict(_dict(trees.get(name)).get("files")).items() if not ok))
                       for name in ("py3", "py2"))
        evidence["missing_files"] = missing
        return failed("Incomplete",
                      "nxOMSAutomationWorker %s is installed but neither worker tree is complete "
                      "(3.x/worker misses %s; worker misses %s)."
                      % (version, ", ".join(missing["py3"]) or "nothing", ", ".join(missing["py2"]) or "nothing"),
                      arguments=[version], evidence=evidence, remediation=fix)
    if "py3" not in complete:
        return warning("Python2Only",
                       "nxOMSAutomationWorker %s is installed with only the Python 2 worker tree; "
                       "the Python 3 tree (3.x/worker) is missing or incomplete, so the worker cannot "
                       "run where only python3 exists." % version,
                       arguments=[version], evidence=evidence, remediation=fix)
    return passed("nxOMSAutomationWorker %s is installed; complete worker tree(s): %s."
                  % (version, ", ".join("3.x/worker" if n == "py3" else "worker" for n in complete)),
                  arguments=[version] + complete, evidence=evidence)


# --------------------------------------------------------------------------- prerequisites

def check_automation_users(facts, context):
    users, skip = _prologue(facts, "users")
    if skip:
        return skip
    groups, skip = _section(facts, "groups")
    if skip:
        return skip
    evidence = {"users": users, "groups": groups}
    missing_users = [u for u in ("nxautomation", "omsagent") if not users.get(u)]
    missing_groups = [g for g in ("omiusers", "nxautomation", "omsagent") if not groups.get(g)]
    if missing_users or missing_groups:
        what = ["user " + u for u in missing_users] + ["group " + g for g in missing_groups]
        return failed("Missing",
                      "Missing %s: the OMS agent installer creates them (useradd -r -d "
                      "/home/nxautomation/run -g nxautomation nxautomation; usermod -a -G "
                      "omsagent,omiusers nxautomation)." % ", ".join(what),
                      arguments=what, evidence=evidence)
    problems = []
    nx = users["nxautomation"]
    if nx.get("gid") != groups["nxautomation"].get("gid"):
        problems.append("nxautomation's primary group is %s, not nxautomation"
                        % (nx.get("primary_group") or nx.get("gid")))
    for group in ("omsagent", "omiusers"):
        if "nxautomation" not in (groups[group].get("members") or []):
            problems.append("nxautomation is not a member of %s" % group)
    evidence["problems"] = problems
    if problems:
        return failed("Membership",
                      "The worker's user is not set up as the installer sets it: %s." % "; ".join(problems),
                      arguments=problems, evidence=evidence)
    if "omsagent" not in (groups["omiusers"].get("members") or []):
        return warning("OmsagentNotInOmiusers",
                       "Users and groups exist and nxautomation's memberships are right, but omsagent "
                       "is not a member of omiusers (the agent installer adds it).",
                       evidence=evidence)
    return passed("Users nxautomation (uid %s) and omsagent (uid %s) and groups omiusers, nxautomation "
                  "and omsagent exist; nxautomation's primary group is nxautomation and it is a member "
                  "of omsagent and omiusers." % (nx.get("uid"), users["omsagent"].get("uid")),
                  evidence=evidence)


def _unsafe(info):
    """Why sudo would ignore a sudoers file (owner not root, writable by group or others)."""
    if not info.get("exists") or info.get("mode") is None:
        return None
    mode = int(info["mode"], 8)
    if info.get("uid") not in (0, None):
        return "owned by %s, not root" % info.get("owner")
    if mode & 0o022:
        return "mode %s is writable by group or others" % info["mode"]
    return None


def check_sudoers(facts, context):
    sudo, skip = _prologue(facts, "sudoers")
    if skip:
        return skip
    sudo = _dict(sudo)
    if sudo.get("includedir") is None:
        return skipped("FactsMissing",
                       "Not checked: /etc/sudoers could not be read (the collector needs root).",
                       evidence={"sudoers": sudo})
    dropin = _dict(sudo.get("dropin"))
    evidence = {"dropin": dropin, "includedir": sudo.get("includedir"),
                "block_in_sudoers": sudo.get("block_in_sudoers"), "entries": sudo.get("entries"),
                "nxautomation_nopasswd_all": sudo.get("nxautomation_nopasswd_all"),
                "nxautomation_requiretty_exempt": sudo.get("nxautomation_requiretty_exempt"),
                "global_requiretty": sudo.get("global_requiretty")}
    if not dropin.get("exists") and not sudo.get("block_in_sudoers") and not sudo.get("nxautomation_nopasswd_all"):
        return failed("NotConfigured",
                      "No sudo configuration for the worker: neither %s nor the '# Begin sudo "
                      "configuration for omsagent' block in /etc/sudoers exists, so nxautomation "
                      "cannot run root jobs and omsagent cannot start the worker." % SUDOERS_DROPIN,
                      arguments=[SUDOERS_DROPIN], evidence=evidence)
    if dropin.get("exists") and not sudo.get("includedir") and not sudo.get("block_in_sudoers") \
            and not sudo.get("nxautomation_nopasswd_all"):
        return failed("NotIncluded",
                      "%s exists but /etc/sudoers has no '#includedir /etc/sudoers.d' line, so sudo "
                      "never reads it." % SUDOERS_DROPIN,
                      arguments=[SUDOERS_DROPIN], evidence=evidence,
                      # repair_prerequisites writes the drop-in only; /etc/sudoers is the admin's
                      remediation=remediation(None, "Add '#includedir /etc/sudoers.d' to /etc/sudoers with "
                                              "visudo, or copy the omsagent block into /etc/sudoers."))
    unsafe = _unsafe(dropin) if sudo.get("includedir") else None
    if unsafe:
        return failed("FileMode",
                      "sudo ignores %s: it is %s (the installer makes it root-owned, mode 0440)."
                      % (SUDOERS_DROPIN, unsafe), arguments=[SUDOERS_DROPIN, dropin.get("mode")],
                      evidence=evidence)
    if not sudo.get("nxautomation_nopasswd_all"):
        return failed("NoNopasswd",
                      "sudo has no 'nxautomation ALL=(ALL) NOPASSWD: ALL' entry, so runbooks that "
                      "need root (and Update Management runs) fail asking for a password.",
                      evidence=evidence)
    if sudo.get("global_requiretty") and not sudo.get("nxautomation_requiretty_exempt"):
        lines = ["%s: %s" % (r.get("file"), r.get("line")) for r in sudo.get("global_requiretty")]
        return failed("Requiretty",
                      "sudo requires a tty (%s) and nxautomation has no 'Defaults:nxautomation "
                      "!requiretty' exception, so the worker's sudo calls fail without a terminal."
                      % "; ".join(lines), arguments=lines, evidence=evidence)
    if dropin.get("exists") and sudo.get("includedir") and dropin.get("mode") != "0440":
        return warning("FileMode",
                       "The worker's sudo entries are in effect, but %s has mode %s instead of 0440."
                       % (SUDOERS_DROPIN, dropin.get("mode")),
                       arguments=[SUDOERS_DROPIN, dropin.get("mode")], evidence=evidence)
    if not sudo.get("nxautomation_requiretty_exempt"):
        return warning("NoRequirettyExemption",
                       "nxautomation has NOPASSWD sudo, but no 'Defaults:nxautomation !requiretty' "
                       "line; nothing requires a tty now, but a later 'Defaults requiretty' would "
                       "break the worker.", evidence=evidence)
    where = SUDOERS_DROPIN if dropin.get("exists") and sudo.get("includedir") else "the omsagent block of /etc/sudoers"
    return passed("sudo gives nxautomation NOPASSWD: ALL without a tty (%s)." % where,
                  arguments=[where], evidence=evidence)


def check_gpg(facts, context):
    gpg, skip = _prologue(facts, "gpg")
    if skip:
        return skip
    gpg = _dict(gpg)
    keyrings = [k for k in gpg.get("keyrings") or [] if isinstance(k, dict)]
    binaries = gpg.get("binaries") or []
    evidence = {"binaries": binaries, "keyrings": keyrings}
    if not keyrings:
        return information("NoWorkerConf",
                           "Nothing to check: no worker.conf was read, so no worker validates "
                           "runbook signatures.", evidence=evidence)
    enforcing = [k for k in keyrings if k.get("enforce_runbook_signature_validation") is not False]
    if not enforcing:
        return passed("Runbook signature validation is off for every worker (%s), so gpg and the "
                      "keyring are not needed." % ", ".join(
                          "%s: %s" % (k.get("worker"), k.get("enforce_setting")) for k in keyrings),
                      reason="ValidationDisabled", evidence=evidence)
    workers = sorted(set(k.get("worker") for k in enforcing))
    if not binaries:
        return failed("NoGpg",
                      "Runbook signature validation is on (%s worker) but gpg is not installed, so "
                      "every runbook is rejected." % ", ".join(workers),
                      arguments=workers, evidence=evidence,
                      remediation=remediation(None, "Install gnupg (apt-get install gnupg / yum "
                                              "install gnupg2), or turn validation off: python "
                                              "<AW>/scripts/require_runbook_signature.py --false."))
    for keyring in enforcing:
        info = _dict(keyring.get("file"))
        path = keyring.get("path")
        if info.get("exists") is False:
            return failed("KeyringMissing",
                          "Runbook signature validation is on for the %s worker but its keyring %s "
                          "does not exist." % (keyring.get("worker"), path),
                          arguments=[path], evidence=evidence)
        if keyring.get("nxautomation_can_read") is False:
            return failed("KeyringUnreadable",
                          "Runbook signature validation is on for the %s worker but nxautomation "
                          "cannot read its keyring %s (%s:%s, mode %s), so every signed runbook "
                          "fails validation." % (keyring.get("worker"), path, info.get("owner"),
                                                 info.get("group"), info.get("mode")),
                          arguments=[path, info.get("mode")], evidence=evidence,
                          remediation=remediation(REPAIR, "chgrp omiusers %s; chmod g+r %s (as omsutil "
                                                  "--initialize does)." % (path, path)))
        if keyring.get("nxautomation_can_read") is None:
            return skipped("FactsMissing",
                           "Not checked: whether nxautomation can read %s is unknown." % path,
                           arguments=[path], evidence=evidence)
    return passed("Runbook signature validation is on (%s worker); gpg is installed (%s) and "
                  "nxautomation can read the keyring(s) %s."
                  % (", ".join(workers), binaries[0], ", ".join(sorted(set(k.get("path") for k in enforcing)))),
                  arguments=[binaries[0]], evidence=evidence)


# (path key, expected owner, expected group, expected mode) as the onboarding code sets them
HOME_LAYOUT = (
    ("home", "omsagent", "omiusers", "0770"),
    ("run", "nxautomation", "omiusers", "0770"),
    ("state", "nxautomation", "omiusers", "0770"),
)


def check_nxautomation_home(facts, context):
    home, skip = _prologue(facts, "home")
    if skip:
        return skip
    home = _dict(home)
    user_conf = _dict(_dict(facts).get("worker")).get("user_worker_conf_path")
    evidence = {"home": home, "expected": [
        {"dir": k, "owner": o, "group": g, "mode": m} for k, o, g, m in HOME_LAYOUT],
        "user_worker_conf_path": user_conf}
    top = _dict(home.get("home"))
    if top.get("exists") is None:
        return skipped("FactsMissing", "Not checked: /home/nxautomation could not be examined.",
                       evidence=evidence)
    if top.get("exists") is False:
        if user_conf and user_conf.startswith("/home/nxautomation/"):
            return failed("NoHome",
                          "A user worker is configured (%s) but /home/nxautomation does not exist."
                          % user_conf, arguments=[user_conf], evidence=evidence)
        return information("NoUserWorker",
                           "/home/nxautomation does not exist: no user (DIY) worker is registered "
                           "here, so nothing to check.", evidence=evidence)
    problems = []
    for key, owner, group, mode in HOME_LAYOUT:
        info = _dict(home.get(key))
        path = info.get("path") or "/home/nxautomation/" + key
        if info.get("exists") is not True:
            if key != "home" and user_conf:
                problems.append("%s is missing" % path)
            continue
        if (info.get("owner"), info.get("group")) != (owner, group):
            problems.append("%s is owned by %s:%s, not %s:%s"
                            % (path, info.get("owner"), info.get("group"), owner, group))
        if info.get("mode") != mode:
            problems.append("%s has mode %s, not %s" % (path, info.get("mode"), mode))
    evidence["problems"] = problems
    if problems:
        return failed(None,
                      "/home/nxautomation is not as the worker's onboarding sets it: %s."
                      % "; ".join(problems), arguments=problems, evidence=evidence)
    return passed("/home/nxautomation (omsagent:omiusers) and its run and state directories "
                  "(nxautomation:omiusers) have the onboarding owners and mode 0770.",
                  evidence=evidence)


def check_python3(facts, context):
    py, skip = _prologue(facts, "python3")
    if skip:
        return skip
    py = _dict(py)
    evidence = {"python3": py}
    path = py.get("path") or "/usr/bin/python3"
    fix = remediation(None, "Install python3 (apt-get install python3 / yum install python3) so "
                      "that %s exists and is executable." % path)
    if py.get("exists") is False or (py.get("exists") and py.get("is_file") is False and py.get("link_target")):
        return failed("Missing",
                      "%s does not exist%s: the Python 3 worker (3.x/worker) cannot start."
                      % (path, " (dangling link to %s)" % py.get("link_target") if py.get("link_target") else ""),
                      arguments=[path], evidence=evidence, remediation=fix)
    if py.get("executable") is not True:
        return failed("NotExecutable",
                      "%s exists but is not an executable file: the Python 3 worker (3.x/worker) "
                      "cannot start." % path, arguments=[path], evidence=evidence, remediation=fix)
    return passed("%s is present and executable%s." % (
        path, " (-> %s)" % py.get("link_target") if py.get("link_target") else ""),
        arguments=[path], evidence=evidence)


# --------------------------------------------------------------------------- catalog

def _rule(group, rule_id, name, description, check, scenario, remediation_, message_ids):
    return Rule(rule_id, group[0], name, group[1], description, check, platform=PLATFORM,
                generation=GENERATION, scenario=scenario, remediation=remediation_,
                message_ids=tuple(rule_id + "." + m for m in message_ids))


_SKIPS = ("Skipped.AgentNotInstalled", "Skipped.FactsMissing")

RULES = [
    _rule(PREREQUISITES, "Linux.AutomationUsersCheck", "Worker users and groups",
          "Users nxautomation and omsagent and groups omiusers, nxautomation and omsagent exist, "
          "with nxautomation in the groups the installer puts it in.",
          check_automation_users, INSTALLER + "Prerequisites",
          remediation(REPAIR, "As root: groupadd -r nxautomation; useradd -r -d /home/nxautomation/run "
                      "-g nxautomation nxautomation; usermod -a -G omsagent,omiusers nxautomation."),
          ("Passed", "Failed.Missing", "Failed.Membership", "PassedWithWarning.OmsagentNotInOmiusers") + _SKIPS),
    _rule(PREREQUISITES, "Linux.SudoersCheck", "Worker sudoers entries",
          "sudo gives nxautomation NOPASSWD: ALL and does not require a tty for it "
          "(/etc/sudoers.d/omsagent, mode 0440 and included, or the omsagent block of /etc/sudoers).",
          check_sudoers, INSTALLER + "Prerequisites",
          remediation(REPAIR, "Write /etc/sudoers.d/omsagent (root:root, mode 0440) with "
                      "'nxautomation ALL=(ALL) NOPASSWD: ALL' and 'Defaults:nxautomation !requiretty', "
                      "make sure /etc/sudoers has '#includedir /etc/sudoers.d', and check with visudo -c."),
          ("Passed", "Failed.NotConfigured", "Failed.NotIncluded", "Failed.FileMode", "Failed.NoNopasswd",
           "Failed.Requiretty", "PassedWithWarning.FileMode", "PassedWithWarning.NoRequirettyExemption") + _SKIPS),
    _rule(PREREQUISITES, "Linux.GpgCheck", "gpg and runbook-signing keyring",
          "When runbook signature validation is on, gpg is installed and nxautomation can read the "
          "worker's gpg_public_keyring_path.",
          check_gpg, SEED + "#linux",
          remediation(None, "chgrp omiusers <keyring>; chmod g+r <keyring> (as omsutil --initialize "
                      "does), or turn validation off with require_runbook_signature.py --false."),
          ("Passed", "Passed.ValidationDisabled", "Information.NoWorkerConf", "Failed.NoGpg",
           "Failed.KeyringMissing", "Failed.KeyringUnreadable") + _SKIPS),
    _rule(PREREQUISITES, "Linux.NxautomationHomeCheck", "nxautomation home directory",
          "/home/nxautomation is omsagent:omiusers and its run and state directories are "
          "nxautomation:omiusers, all mode 0770, as the worker's onboarding creates them.",
          check_nxautomation_home, INSTALLER + "DIY (user) worker registration",
          remediation(REPAIR, "chown omsagent:omiusers /home/nxautomation; chown -R nxautomation:omiusers "
                      "/home/nxautomation/run /home/nxautomation/state; chmod 770 /home/nxautomation "
                      "/home/nxautomation/run /home/nxautomation/state."),
          ("Passed", "Failed", "Failed.NoHome", "Information.NoUserWorker") + _SKIPS),
    _rule(PREREQUISITES, "Linux.Python3Check", "python3 present",
          "/usr/bin/python3 exists and is executable (the 3.x worker runs on it).",
          check_python3, INSTALLER + "System worker",
          remediation(None, "Install python3 so that /usr/bin/python3 exists."),
          ("Passed", "Failed.Missing", "Failed.NotExecutable") + _SKIPS),
    _rule(SERVICEHEALTH, "Linux.MultiHomingCheck", "Single workspace",
          "The agent has a directory for its own workspace (WORKSPACE_ID) and for no other.",
          check_multihoming, OFFICIAL + "Linux.MultiHomingCheck",
          remediation(None, "sudo /opt/microsoft/omsagent/bin/omsadmin.sh -x <OtherWorkspaceID>"),
          ("Passed", "Failed", "Failed.NoWorkspace") + _SKIPS),
    _rule(SERVICEHEALTH, "Linux.HybridWorkerPackgeCheck", "Hybrid worker package",
          "nxOMSAutomationWorker is installed: VERSION and at least one complete worker tree "
          "(3.x/worker preferred, or worker) with main.py, hybridworker.py and configuration.py.",
          check_worker_package, OFFICIAL + "Linux.HybridWorkerPackgeCheck",
          remediation(None, "Enable the Azure Automation or Update Management solution, then %s." % DSC_CHECK_CMD),
          ("Passed", "Failed", "Failed.Incomplete", "PassedWithWarning.Python2Only") + _SKIPS),
]

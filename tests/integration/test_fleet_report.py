"""The fleet report of the diagnose playbook, over real SSH against a small lab of its own:
a healthy host, a faulty one, a cloned pair and a host that goes away mid-run.

The playbook tests/integration/playbooks/diagnose_host_lost_mid_run.yml pings every host
(all reachable), stops one with ``python -m tests.lab stop`` from a localhost play, then
imports azure_hrw.doctor.diagnose with the report written to a temporary directory. The lab
is this module's own (``lab_factory``): stopping a host of the shared session lab would
break the tests that run after this one.

Depends on issue 7 work merged from other branches; until then the tests say which:
- the ``azure_hrw.doctor.hrw_report`` action (plugins/action/hrw_report.py);
- docs/schemas/report-1.schema.json and the ``jsonschema`` package (requirements-dev.txt);
- the lab faults ``cloned_a`` and ``cloned_b`` (tests/lab/faults.py) for Fleet.ClonedMachineCheck.
"""
import glob
import json
import os
import re
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET

import pytest
import yaml

from tests.lab.faults import FAULTS

pytestmark = pytest.mark.lab

_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_PLAYBOOK = os.path.join(_ROOT, "tests", "integration", "playbooks", "diagnose_host_lost_mid_run.yml")
_SCHEMA = os.path.join(_ROOT, "docs", "schemas", "report-1.schema.json")

HEALTHY, FAULTY, LOST = "healthy", "agent_stopped", "updates_disabled"
CLONED = ("cloned_a", "cloned_b")
# ansible-playbook's exit code when a host was unreachable (and none failed)
RUN_FAILED_HOSTS = 2  # ansible-playbook's exit code when a host failed
# No host here has blackholed endpoints, so the timeout only bounds a slow CI machine's probes;
# 1 s was too short for five hosts probing at once on two busy cores.
_PROBE_TIMEOUT = 6.0


def _cloned_pair_missing():
    missing = [name for name in CLONED if name not in FAULTS]
    if missing:
        return ("the lab has no fault(s) %s: they come with the issue 7 fleet-rules branch (tests/lab/faults.py); "
                "merge it to test Fleet.ClonedMachineCheck end to end" % ", ".join(missing))
    return None


def _one(report_dir, pattern, what):
    found = glob.glob(os.path.join(report_dir, pattern))
    assert len(found) == 1, "expected one %s file (%s) in %s, found %s" % (what, pattern, report_dir, found)
    return found[0]


@pytest.fixture(scope="module")
def fleet(lab_factory, tmp_path_factory):
    """The lab, the playbook run (returncode, stdout) and the report directory."""
    hosts = [HEALTHY, FAULTY, LOST] + [name for name in CLONED if name in FAULTS]
    lab = lab_factory(hosts)
    report_dir = str(tmp_path_factory.mktemp("fleet") / "report")  # hrw_report creates it
    env = dict(os.environ)
    env.update({
        "ANSIBLE_COLLECTIONS_PATH": os.path.join(_ROOT, ".tmp", "collections"),
        "ANSIBLE_CONFIG": os.path.join(_ROOT, "ansible.cfg"),
        "ANSIBLE_NOCOLOR": "1",
    })
    proc = subprocess.run(
        [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), _PLAYBOOK, "-i", lab.inventory,
         "-e", "hrw_test_lab_state_dir=%s" % lab.state_dir, "-e", "hrw_test_stop_host=%s" % LOST,
         "-e", "hrw_test_repo_root=%s" % _ROOT, "-e", "hrw_report_dir=%s" % report_dir,
         "-e", "hrw_diagnose_probe_timeout=%s" % _PROBE_TIMEOUT],
        cwd=_ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
    return {"lab": lab, "proc": proc, "report_dir": report_dir, "output": proc.stdout[-6000:] + proc.stderr[-3000:]}


@pytest.fixture(scope="module")
def report(fleet):
    assert os.path.isdir(fleet["report_dir"]), "no report directory; the run:\n" + fleet["output"]
    with open(_one(fleet["report_dir"], "*.json", "JSON")) as handle:
        return json.load(handle)


def _recap(stdout):
    """host -> {ok: n, changed: n, unreachable: n, failed: n, ...} from PLAY RECAP."""
    recap = {}
    for match in re.finditer(r"^(\S+)\s+:\s+((?:\w+=\d+\s*)+)$", stdout, re.MULTILINE):
        recap[match.group(1)] = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", match.group(2))}
    return recap


def test_run_fails_the_lost_host_after_the_report_and_no_other_host(fleet):
    # The diagnose play keeps an unreachable host in the run (ignore_unreachable) so that the
    # report is written even when every host is lost; the last play fails it with the reason.
    proc, lab = fleet["proc"], fleet["lab"]
    assert proc.returncode == RUN_FAILED_HOSTS, fleet["output"]
    recap = _recap(proc.stdout)
    assert set(lab.hosts) <= set(recap), fleet["output"]
    assert recap[LOST]["failed"] == 1 and recap[LOST]["ignored"] == 1, recap[LOST]
    assert recap[LOST]["ok"] >= 1  # the ping, before it was stopped (and the role's argument check)
    tail = proc.stdout[proc.stdout.index("TASK [Fail a host that was unreachable"):]
    assert "fatal: [%s]" % LOST in tail and "Connection refused" in tail, tail
    for host in set(lab.hosts) - {LOST}:
        assert recap[host]["unreachable"] == 0 and recap[host]["failed"] == 0, (host, recap[host])
        assert recap[host]["changed"] == 0, (host, recap[host])  # diagnosis and report change no host
    assert recap["localhost"]["changed"] == 1  # the stop


def test_json_report_validates_against_its_schema(report):
    if not os.path.isfile(_SCHEMA):
        pytest.fail("%s is missing: it comes with the issue 7 report branch" % os.path.relpath(_SCHEMA, _ROOT))
    try:
        import jsonschema
    except ImportError:
        pytest.fail("jsonschema is not installed: the issue 7 report branch adds it to requirements-dev.txt")
    with open(_SCHEMA) as handle:
        schema = json.load(handle)
    jsonschema.Draft202012Validator.check_schema(schema)
    errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(report), key=str)
    assert not errors, "\n".join("%s: %s" % (list(e.absolute_path), e.message) for e in errors[:10])
    assert report["report_schema"] == 1


def test_every_host_is_in_the_report_with_its_status(fleet, report):
    hosts = {h["name"]: h for h in report["hosts"]}
    assert sorted(hosts) == sorted(fleet["lab"].hosts)
    lost = hosts[LOST]
    assert lost["status"] == "unreachable"
    assert "refused" in lost["reason"].lower(), lost["reason"]  # the lab host's sshd is gone
    assert lost["findings"] == [] and lost["worst"] is None
    for name in set(hosts) - {LOST}:
        assert hosts[name]["status"] == "diagnosed" and hosts[name]["reason"] is None, hosts[name]
    healthy_failed = [(f["RuleId"], f["CheckResultMessage"]) for f in hosts[HEALTHY]["findings"]
                      if f["CheckResult"] == "Failed"]
    assert hosts[HEALTHY]["worst"] != "Failed", healthy_failed
    failed = {f["RuleId"] for f in hosts[FAULTY]["findings"] if f["CheckResult"] == "Failed"}
    assert failed == set(FAULTS[FAULTY].expected_failed) and hosts[FAULTY]["worst"] == "Failed"
    assert report["totals"]["hosts"] == len(hosts)
    assert report["totals"]["by_status"]["unreachable"] == 1
    assert report["totals"]["by_status"]["diagnosed"] == len(hosts) - 1


def test_cloned_pair_is_a_failed_fleet_finding(report):
    missing = _cloned_pair_missing()
    if missing:
        pytest.fail(missing)
    cloned = [f for f in report["fleet_findings"] if f["RuleId"] == "Fleet.ClonedMachineCheck"]
    assert cloned, report["fleet_findings"]
    failed = [f for f in cloned if f["CheckResult"] == "Failed"]
    assert failed, cloned
    assert any(set(CLONED) <= set(f["hosts"]) for f in failed), failed
    for finding in failed:  # the healthy and faulty hosts have ids of their own
        assert not {HEALTHY, FAULTY, LOST} & set(finding["hosts"]), finding


def test_junit_has_a_testsuite_per_host_and_an_error_for_the_lost_one(fleet):
    root = ET.parse(_one(fleet["report_dir"], "*.xml", "JUnit")).getroot()
    assert root.tag == "testsuites"
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    assert set(fleet["lab"].hosts) <= set(suites), sorted(suites)
    assert suites[LOST].findall("testcase/error"), ET.tostring(suites[LOST], encoding="unicode")
    assert len(suites[HEALTHY].findall("testcase")) > 1
    assert suites[FAULTY].findall("testcase/failure")


def test_html_file_names_every_host(fleet):
    with open(_one(fleet["report_dir"], "*.html", "HTML"), encoding="utf-8") as handle:
        html = handle.read()
    for host in fleet["lab"].hosts:
        assert 'data-host="%s"' % host in html, host


def _printed(stdout):
    """The msg of the task that prints the report (this checkout's ansible.cfg: YAML results)."""
    task = stdout[stdout.index("TASK [Print the fleet table and where the report is]"):]
    task = task[:task.index("\nPLAY ")]  # the next play (the one failing hosts again) or the recap
    block = task[task.index("=>") + 2:]
    return yaml.safe_load(textwrap.dedent(block.strip("\n")))["msg"]


def test_playbook_prints_the_table_and_the_html_path_first(fleet):
    msg = _printed(fleet["proc"].stdout)
    assert isinstance(msg, str), msg  # one literal block, so the table's lines are never folded
    table, files = msg.split("Report files (open the HTML file in a browser):")
    rows = table.strip().splitlines()
    for host in fleet["lab"].hosts:
        # the host's matrix row starts with its name (fleet lines below the matrix name hosts too)
        [row] = [line for line in rows if line.split()[:1] == [host]]
        if host == LOST:
            assert "refused" in row.lower(), row  # the reason, on the host's row
    paths = [line.split() for line in files.strip().splitlines()]
    assert paths and paths[0][0] == "html", files
    html = _one(fleet["report_dir"], "*.html", "HTML")
    assert paths[0][1] == os.path.realpath(html)
    for fmt, path in paths:
        assert os.path.isabs(path) and os.path.isfile(path), (fmt, path)


def test_a_fleet_of_unreachable_hosts_still_gets_its_report(tmp_path):
    # Ansible ends a playbook when every host of a play is lost; the diagnose playbook keeps
    # them in the run until the report is written. Loopback addresses where nothing listens:
    # the connection is refused at once and nothing leaves the machine.
    inventory = tmp_path / "inventory.yml"
    inventory.write_text(yaml.safe_dump({"all": {"hosts": {
        "gone-1": {"ansible_host": "127.1.254.1"}, "gone-2": {"ansible_host": "127.1.254.2"}},
        "vars": {"ansible_user": "root", "ansible_ssh_common_args": "-o ConnectTimeout=2"}}}))
    report_dir = str(tmp_path / "report")
    env = dict(os.environ)
    env.update({"ANSIBLE_COLLECTIONS_PATH": os.path.join(_ROOT, ".tmp", "collections"),
                "ANSIBLE_CONFIG": os.path.join(_ROOT, "ansible.cfg"), "ANSIBLE_NOCOLOR": "1"})
    proc = subprocess.run(
        [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "azure_hrw.doctor.diagnose",
         "-i", str(inventory), "-e", "hrw_report_dir=%s" % report_dir],
        cwd=str(tmp_path), env=env, capture_output=True, text=True, timeout=120, check=False)
    output = proc.stdout[-4000:] + proc.stderr[-2000:]
    assert proc.returncode == RUN_FAILED_HOSTS, output
    with open(_one(report_dir, "*.json", "JSON")) as handle:
        hosts = dict((h["name"], h) for h in json.load(handle)["hosts"])
    assert sorted(hosts) == ["gone-1", "gone-2"], output
    for host in hosts.values():
        assert host["status"] == "unreachable" and host["reason"], host
    recap = _recap(proc.stdout)
    assert recap["gone-1"]["failed"] == 1 and recap["gone-2"]["failed"] == 1, output

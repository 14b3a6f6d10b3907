# -*- coding: utf-8 -*-
"""report_html.py: the self-contained HTML fleet report, read back with html.parser.

The report dict is built by hand (report_sample.py) in the shape of ADR 0003 decision 3;
tests/integration/test_report_html_browser.py opens the same page in headless Chromium.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import copy
import hashlib
import importlib.util
import json
import os
import re
from html.parser import HTMLParser

import pytest

from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw import report_html


def _load_sample():
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "report_sample.py")
    spec = importlib.util.spec_from_file_location("hrw_report_sample", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


sample = _load_sample()

_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


def _attr(keyword):
    """``data_host`` -> ``data-host``, ``class_`` -> ``class``."""
    return keyword.rstrip("_").replace("_", "-")


class Node:
    def __init__(self, tag, attrs, parent=None):
        self.tag = tag
        self.attrs = dict(attrs)
        self.parent = parent
        self.children = []
        self.texts = []  # direct text, in order

    def text(self):
        parts = list(self.texts)
        for child in self.children:
            parts.append(child.text())
        return "".join(parts)

    def iter(self):
        yield self
        for child in self.children:
            yield from child.iter()

    def find_all(self, tag=None, **attrs):
        """Descendants with that tag and attributes (value None: the attribute is present)."""
        found = []
        for node in self.iter():
            if node is self or (tag and node.tag != tag):
                continue
            if all((_attr(k) in node.attrs) if v is None else node.attrs.get(_attr(k)) == v for k, v in attrs.items()):
                found.append(node)
        return found

    def by_id(self, ident):
        matches = [n for n in self.iter() if n.attrs.get("id") == ident]
        assert len(matches) == 1, (ident, len(matches))
        return matches[0]

    def classes(self):
        return (self.attrs.get("class") or "").split()


class TreeBuilder(HTMLParser):
    """A small DOM: every start tag, attribute and text node, with strict nesting checks."""

    def __init__(self):
        HTMLParser.__init__(self, convert_charrefs=True)
        self.root = Node("#document", [])
        self.stack = [self.root]
        self.raw_text = {}  # script/style element -> raw content

    def handle_starttag(self, tag, attrs):
        node = Node(tag, attrs, self.stack[-1])
        self.stack[-1].children.append(node)
        if tag not in _VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag, attrs):
        self.stack[-1].children.append(Node(tag, attrs, self.stack[-1]))

    def handle_endtag(self, tag):
        assert self.stack[-1].tag == tag, "</%s> closes <%s>" % (tag, self.stack[-1].tag)
        self.stack.pop()

    def handle_data(self, data):
        self.stack[-1].texts.append(data)


def parse(text):
    builder = TreeBuilder()
    builder.feed(text)
    builder.close()
    assert builder.stack == [builder.root], "unclosed: %s" % [n.tag for n in builder.stack]
    return builder.root


@pytest.fixture(scope="module")
def report():
    return sample.sample_report()


@pytest.fixture(scope="module")
def page(report):
    return report_html.render_html(report)


@pytest.fixture(scope="module")
def doc(page):
    return parse(page)


def _rows(doc):
    return doc.find_all("tr", data_host=None)


def test_page_is_one_html5_document(page, doc):
    assert page.startswith("<!DOCTYPE html>\n")
    html = doc.find_all("html")
    assert len(html) == 1 and html[0].attrs["lang"] == "en"
    assert doc.find_all("meta", charset="utf-8")
    assert doc.find_all("title")[0].text() == "Hybrid Runbook Worker fleet <b>test</b>"
    assert doc.by_id("generated-at").text() == "2026-11-25T20:00:00Z"


def test_one_row_per_host_in_report_order_with_its_hooks(report, doc):
    rows = _rows(doc)
    assert [r.attrs["data-host"] for r in rows] == [h["name"] for h in report["hosts"]]
    expected = [
        (sample.HOSTILE, "diagnosed", "Skipped", "Not configured"),
        ("lnx-app01", "diagnosed", "Failed", "Disconnected"),
        ("lnx-db02", "diagnosed", "Passed", "Ready"),
        ("lnx-gone03", "unreachable", "none", "Unknown"),
        ("win-broken04", "failed", "none", "Unknown"),
        ("win-sql01", "diagnosed", "PassedWithWarning", "Ready"),
    ]
    assert [(r.attrs["data-host"], r.attrs["data-status"], r.attrs["data-worst"], r.attrs["data-readiness"])
            for r in rows] == expected
    assert [r.attrs["data-host-idx"] for r in rows] == [str(i) for i in range(len(rows))]
    # only the matrix rows carry data-host (the readiness table rows use data-host-idx only)
    assert all(r.parent.parent.attrs.get("id") == "matrix" for r in rows)


def test_group_cells_carry_the_worst_result_per_group(report, doc):
    group_ids = [g["id"] for g in report["groups"]]
    for row, host in zip(_rows(doc), report["hosts"]):
        cells = row.find_all("td", data_group=None)
        if host["status"] != "diagnosed":
            assert cells == []
            continue
        assert [c.attrs["data-group"] for c in cells] == group_ids
        assert [c.attrs["data-result"] for c in cells] == [host["cells"][g] or "none" for g in group_ids]
        for cell in cells:
            value = cell.attrs["data-result"]
            assert ("r-" + value if value != "none" else "r-none") in cell.classes()
            assert cell.text() == report_html.SHORT.get(value, "")
    app = _rows(doc)[1]
    assert {c.attrs["data-group"]: c.attrs["data-result"] for c in app.find_all("td", data_group=None)} == {
        "prerequisites": "Passed", "servicehealth": "PassedWithWarning", "connectivity": "Failed",
        "registration": "Passed", "permissions": "none", "machineSettings": "none"}
    worst = app.find_all("td", class_=None)
    assert [c for c in worst if "worst" in c.classes()][0].attrs["data-result"] == "Failed"


def test_every_result_has_its_colour_in_the_stylesheet(doc):
    css = doc.find_all("style")[0].text()
    for result, (background, colour) in report_html.COLOURS.items():
        rule = re.search(r"\.r-%s \{([^}]*)\}" % result, css)
        assert rule, result
        assert "background-color: %s" % background in rule.group(1)
        assert "color: %s" % colour in rule.group(1)
    assert len(set(bg for bg, fg in report_html.COLOURS.values())) == len(report_html.COLOURS)


def test_hosts_not_diagnosed_are_rows_with_their_reason(report, doc):
    rows = dict((r.attrs["data-host"], r) for r in _rows(doc))
    for name, status in (("lnx-gone03", "unreachable"), ("win-broken04", "failed")):
        reason_cells = [c for c in rows[name].find_all("td") if "reason" in c.classes()]
        assert len(reason_cells) == 1
        cell = reason_cells[0]
        assert cell.attrs["colspan"] == str(len(report["groups"]))
        host = [h for h in report["hosts"] if h["name"] == name][0]
        assert host["reason"] in cell.text()
        assert status in cell.text()
    # the reason is escaped: "<0x80070005>" is text, not a tag
    assert "Access is denied <0x80070005>" in rows["win-broken04"].text()
    assert not [n for n in rows["win-broken04"].iter() if n.tag.startswith("0x")]


def test_hostile_strings_are_text_never_markup(page, doc):
    # exactly the two scripts of the page: the JSON index and the code
    scripts = doc.find_all("script")
    assert [s.attrs.get("type") for s in scripts] == ["application/json", None]
    assert doc.find_all("img") == []
    assert not [n for n in doc.iter() if any(k.startswith("on") for k in n.attrs)]
    assert "<script>alert(1)</script>" not in page
    assert "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    # the host name and the evidence read back as the original strings
    assert _rows(doc)[0].attrs["data-host"] == sample.HOSTILE
    assert doc.by_id("host-0").find_all("summary")[0].text().startswith(sample.HOSTILE)
    evidence = [p.text() for p in doc.by_id("host-1").find_all("pre") if "evidence" in p.classes()]
    app = [h for h in sample.sample_report()["hosts"] if h["name"] == "lnx-app01"][0]
    warn = [f for f in app["findings"] if f["CheckResult"] == "PassedWithWarning"][0]
    assert report_html.pretty_json(warn["evidence"]) in evidence
    assert sample.HOSTILE_EVIDENCE in doc.by_id("host-1").text()


def test_embedded_json_cannot_end_its_script(page, doc):
    raw = page.split('<script type="application/json" id="hrw-report-data">', 1)[1].split("</script>", 1)[0]
    for forbidden in ("<", ">", "&", u"\u2028", u"\u2029"):
        assert forbidden not in raw
    data = json.loads(raw)
    assert data["hosts"][0]["name"] == sample.HOSTILE
    assert data["results"] == list(report_html.RESULTS)
    app_rules = dict((r["id"], r["result"]) for r in data["hosts"][1]["rules"])
    assert app_rules["Linux.AgentServiceConnectivityCheck"] == "Failed"
    # fleet findings count for the hosts they name (the rule filter finds them)
    assert app_rules["Fleet.ClonedMachineCheck"] == "Failed"
    assert "Fleet.ClonedMachineCheck" not in dict((r["id"], r) for r in data["hosts"][5]["rules"])


@pytest.mark.parametrize("value", [
    u"</script><script>alert(1)</script>", u"<!-- x", u"a\u2028b\u2029c", u"&amp; \"'", {"k": ["</SCRIPT>"]},
])
def test_json_for_script_escapes_and_round_trips(value):
    text = report_html.json_for_script({"v": value})
    assert not re.search(u"[<>&\u2028\u2029]", text)
    assert json.loads(text) == {"v": value}


def test_no_external_url_anywhere(page, doc):
    for node in doc.iter():
        for name in ("src", "href", "action", "srcset", "poster", "data"):
            if name in node.attrs:
                assert name == "href" and node.attrs[name].startswith("#"), (node.tag, name, node.attrs[name])
    assert doc.find_all("link") == [] and doc.find_all("iframe") == [] and doc.find_all("object") == []
    code = "".join(n.text() for n in doc.find_all("style") + doc.find_all("script"))
    assert not re.search(r"https?:|//[a-z]|url\(|@import", code, re.I)
    # documentation references are text (scenario), never links
    assert "update-management-troubleshoot.md#cloned-image" in doc.by_id("fleet").text()


def test_every_in_page_link_has_its_target(doc):
    ids = set(n.attrs["id"] for n in doc.iter() if "id" in n.attrs)
    targets = [n.attrs["href"][1:] for n in doc.find_all("a", href=None)]
    assert targets and set(targets) <= ids


def test_content_security_policy_pins_the_inline_style_and_script(doc):
    policy = doc.find_all("meta", http_equiv="Content-Security-Policy")[0].attrs["content"]

    def digest(text):
        return "'sha256-%s'" % base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")
    assert "default-src 'none'" in policy
    assert "style-src %s;" % digest(doc.find_all("style")[0].text()) in policy
    assert "script-src %s;" % digest(doc.find_all("script")[1].text()) in policy
    assert "unsafe-inline" not in policy
    # the page uses no style attribute (the policy would block it)
    assert not [n for n in doc.iter() if "style" in n.attrs]


def test_filters_and_sort_hooks(report, doc):
    assert doc.by_id("filter-host").attrs["type"] == "search"
    assert doc.by_id("filter-rule").attrs["list"] == "rule-ids"
    groups = [o.attrs["value"] for o in doc.by_id("filter-group").find_all("option")]
    assert groups == [""] + [g["id"] for g in report["groups"]]
    results = [o.attrs["value"] for o in doc.by_id("filter-result").find_all("option")]
    assert results == [""] + list(report_html.RESULTS) + ["not_diagnosed"]
    rule_ids = [o.attrs["value"] for o in doc.by_id("rule-ids").find_all("option")]
    assert "Fleet.ClonedMachineCheck" in rule_ids and "TlsVersionCheck" in rule_ids
    assert rule_ids == sorted(set(rule_ids))
    keys = [th.attrs["data-sort-key"] for th in doc.by_id("matrix").find_all("th", data_sort_key=None)]
    assert keys == ["host"] + ["group:%s" % g["id"] for g in report["groups"]] + ["readiness", "worst"]
    for ident in ("filter-clear", "filter-count", "legend", "help", "fleet", "readiness", "details", "totals"):
        doc.by_id(ident)
    help_text = doc.by_id("help").text()
    for word in ("Host", "Group", "Rule", "Result", "not Passed", "Not diagnosed", "last seen"):
        assert word in help_text


def test_details_per_host_list_findings_worst_first(report, doc):
    for idx, host in enumerate(report["hosts"]):
        details = doc.by_id("host-%d" % idx)
        assert details.tag == "details" and details.attrs["data-host-idx"] == str(idx)
        every = details.find_all("article", data_rule=None)
        fleet = [f for f in every if "host-fleet" in f.parent.classes()]
        findings = [f for f in every if f not in fleet]
        # the fleet findings that name the host (and are not Passed) are shown with it, apart
        named = [f["RuleId"] for f in report["fleet_findings"]
                 if host["name"] in f["hosts"] and f["CheckResult"] != "Passed"]
        assert [f.attrs["data-rule"] for f in fleet] == named
        results = [f.attrs["data-result"] for f in findings]
        assert sorted(results, key=report_html.RESULTS.index) == results
        shown = [f for f in findings if "passed" not in f.parent.classes()]
        assert all(f.attrs["data-result"] != "Passed" for f in shown)
        assert len(findings) == len(host["findings"])
        if host["reason"]:
            assert host["reason"] in details.text()
        assert host["readiness"]["reason"] in details.text()
    app = doc.by_id("host-1")
    first = app.find_all("article", data_rule=None)[0]
    assert first.attrs["data-rule"] == "Linux.AgentServiceConnectivityCheck"
    text = first.text()
    assert "Allow outbound TCP 443 to *.azure-automation.net" in text
    assert "update-agent-issues.md#network-requirements" in text
    assert "Linux.AgentServiceConnectivityCheck.Failed.Timeout" in text
    assert [c.text() for c in app.find_all("code") if "action" in c.classes()] == ["restart_health_service"]


def test_fleet_findings_link_their_hosts(doc):
    fleet = doc.by_id("fleet")
    articles = fleet.find_all("article", data_rule="Fleet.ClonedMachineCheck")
    assert len(articles) == 1 and articles[0].attrs["data-result"] == "Failed"
    links = [(a.attrs["href"], a.text()) for a in articles[0].find_all("a")]
    assert links == [("#host-1", "lnx-app01"), ("#host-2", "lnx-db02")]
    assert "Regenerate /etc/machine-id" in articles[0].text()


def test_readiness_table_has_every_host_with_its_reason(report, doc):
    rows = doc.by_id("readiness").find_all("tr", data_host_idx=None)
    assert [r.attrs["data-readiness"] for r in rows] == [h["readiness"]["state"] for h in report["hosts"]]
    for row, host in zip(rows, report["hosts"]):
        assert "data-host" not in row.attrs
        assert host["readiness"]["reason"] in row.text()


def test_totals_in_the_header(doc):
    totals = doc.by_id("totals")
    values = dict((li.attrs["data-total"], li.find_all("b")[0].text()) for li in totals.find_all("li"))
    assert values["hosts"] == "6"
    assert values["status-diagnosed"] == "4" and values["status-unreachable"] == "1" and values["status-failed"] == "1"
    assert values["worst-Failed"] == "1" and values["worst-Information"] == "0"
    assert values["readiness-Unknown"] == "2"
    assert "status-not_run" not in values


def test_a_fleet_without_hosts_or_groups_still_renders():
    page = report_html.render_html({"report_schema": 1, "hosts": [], "groups": [], "fleet_findings": []})
    doc = parse(page)
    assert _rows(doc) == []
    assert "No fleet finding" in doc.by_id("fleet").text()
    assert doc.find_all("title")[0].text() == "Hybrid Runbook Worker fleet"


def test_unknown_result_and_missing_keys_do_not_break_the_page(report):
    odd = copy.deepcopy(report)
    odd["hosts"][2]["cells"]["prerequisites"] = "Bogus\"><b>"
    odd["hosts"][2]["worst"] = "Bogus\"><b>"
    del odd["hosts"][3]["readiness"]
    odd["hosts"][4]["status"] = None
    doc = parse(report_html.render_html(odd))
    rows = _rows(doc)
    cell = rows[2].find_all("td", data_group="prerequisites")[0]
    assert cell.attrs["data-result"] == "Bogus\"><b>" and "r-unknown" in cell.classes()
    assert rows[3].attrs["data-readiness"] == "Unknown"
    assert rows[4].attrs["data-status"] == "not_run"
    assert doc.find_all("b", data_total=None) == []

"""Browser test: the HTML fleet report opened from file:// in headless Chromium.

Debian's chromium and chromium-driver (scripts/install-system-deps.sh) driven by Selenium
through an explicit Service path, so Selenium Manager never looks for or downloads a
driver. The page is the hand-built sample report of the unit test (report_sample.py).
Asserts the rows, the computed colours per result, that the filters hide exactly the right
rows, that sorting reorders them, and that the browser leaves no process behind; saves
tests/output/report-html.png for review.
"""
import importlib.util
import os
import shutil
import signal
import tempfile
import time

import pytest

from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw import report_html

webdriver = pytest.importorskip("selenium.webdriver")
from selenium.common.exceptions import NoAlertPresentException  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import Select  # noqa: E402

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
# The start flags that work on these offline machines (no background connections at all).
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync")

_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCREENSHOT = os.path.join(_ROOT, "tests", "output", "report-html.png")
_SAMPLE = os.path.join(_ROOT, "tests", "unit", "plugins", "module_utils", "hrw", "report_sample.py")

HOSTILE = "<script>alert(1)</script>"
ALL = [HOSTILE, "lnx-app01", "lnx-db02", "lnx-gone03", "win-broken04", "win-sql01"]


def _sample_report():
    spec = importlib.util.spec_from_file_location("hrw_report_sample", _SAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.HOSTILE == HOSTILE
    return module.sample_report()


def _rgb(hex_colour):
    value = hex_colour.lstrip("#")
    return "rgb(%d, %d, %d)" % tuple(int(value[i:i + 2], 16) for i in (0, 2, 4))


def _proc_table():
    """{pid: (ppid, state)} of every process, from /proc."""
    table = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry) as handle:
                stat = handle.read()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        table[int(entry)] = (int(fields[1]), fields[0])
    return table


def _descendants(pid):
    table = _proc_table()
    found, todo = set(), [pid]
    while todo:
        parent = todo.pop()
        for child, (ppid, _state) in table.items():
            if ppid == parent and child not in found:
                found.add(child)
                todo.append(child)
    return found


def _marked(marker):
    """Processes whose command line names ``marker`` (our temp dir): chromium's crash handlers
    double-fork away from the browser, but their --database is under XDG_CONFIG_HOME."""
    found = set()
    for pid in _proc_table():
        try:
            with open("/proc/%d/cmdline" % pid, "rb") as handle:
                if marker.encode() in handle.read():
                    found.add(pid)
        except OSError:
            continue
    return found


def _alive(pids):
    table = _proc_table()
    return sorted(p for p in pids if p in table and table[p][1] != "Z")  # a zombie has ended


def _start_browser(user_data_dir):
    for path in (CHROMIUM, CHROMEDRIVER):
        if not os.access(path, os.X_OK):
            pytest.fail("%s is missing: run scripts/install-system-deps.sh (Debian chromium, chromium-driver)" % path,
                        pytrace=False)
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument("--user-data-dir=%s" % user_data_dir)
    options.add_argument("--window-size=1400,1000")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    # XDG dirs in the temp dir: chromium writes nothing under $HOME, and its crash handlers
    # (which leave the process tree) carry the temp dir in their command line.
    env = dict(os.environ, XDG_CONFIG_HOME=user_data_dir, XDG_CACHE_HOME=user_data_dir)
    service = Service(executable_path=CHROMEDRIVER, env=env, log_output=os.path.join(user_data_dir, "chromedriver.log"))
    driver = webdriver.Chrome(service=service, options=options)
    return driver, service.process.pid


def _quit_and_check(driver, driver_pid, user_data_dir):
    """Quit; every process the driver started must be gone (ended by pid if not, and fail)."""
    pids = {driver_pid} | _descendants(driver_pid) | _marked(user_data_dir)
    assert len(pids) > 1, "no chromium process found under chromedriver %d" % driver_pid
    driver.quit()
    deadline = time.monotonic() + 10
    while _alive(pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    left = _alive(pids | _marked(user_data_dir))
    for pid in left:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    assert not left, "browser processes left behind: %s" % left
    return pids


@pytest.fixture(scope="module")
def page_url():
    directory = tempfile.mkdtemp(prefix="hrw-report-html-")
    path = os.path.join(directory, "report.html")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(report_html.render_html(_sample_report()))
    yield "file://" + path
    shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(scope="module")
def browser():
    user_data_dir = tempfile.mkdtemp(prefix="hrw-chromium-")
    saved = os.environ.get("SE_OFFLINE")
    os.environ["SE_OFFLINE"] = "true"  # belt and braces: Selenium Manager must not go online
    try:
        driver, driver_pid = _start_browser(user_data_dir)
        try:
            yield driver
        finally:
            _quit_and_check(driver, driver_pid, user_data_dir)
    finally:
        if saved is None:
            os.environ.pop("SE_OFFLINE", None)
        else:
            os.environ["SE_OFFLINE"] = saved
        shutil.rmtree(user_data_dir, ignore_errors=True)


@pytest.fixture
def page(browser, page_url):
    browser.get(page_url)
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("data-ready") == "1", "the page's script did not run"
    yield browser
    errors = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    assert not errors, errors  # a blocked style or script (CSP) or a script error shows here
    with pytest.raises(NoAlertPresentException):
        browser.switch_to.alert.text


def _computed(driver, element, name):
    """The computed style value, as the browser serialises it (``rgb(r, g, b)``)."""
    return driver.execute_script("return getComputedStyle(arguments[0]).getPropertyValue(arguments[1])", element, name)


def _rows(driver):
    return driver.find_elements(By.CSS_SELECTOR, "#matrix tbody tr[data-host]")


def _order(driver):
    return [row.get_attribute("data-host") for row in _rows(driver)]


def _visible(driver):
    return [row.get_attribute("data-host") for row in _rows(driver) if row.is_displayed()]


def _type(driver, ident, text):
    field = driver.find_element(By.ID, ident)
    field.send_keys(text)


def _choose(driver, ident, value):
    Select(driver.find_element(By.ID, ident)).select_by_value(value)


def _clear(driver):
    driver.find_element(By.ID, "filter-clear").click()
    assert _visible(driver) == ALL


def _count(driver):
    return driver.find_element(By.ID, "filter-count").text


def test_rows_and_their_colours_per_result(page):
    assert page.title == "Hybrid Runbook Worker fleet <b>test</b>"
    assert _order(page) == ALL
    assert _visible(page) == ALL
    assert _count(page) == "6 of 6 hosts shown"
    seen = set()
    for cell in page.find_elements(By.CSS_SELECTOR, "#matrix td[data-group][data-result], #matrix td.worst[data-result]"):
        result = cell.get_attribute("data-result")
        background = _computed(page, cell, "background-color")
        if result == "none":
            assert background == "rgb(255, 255, 255)"
            assert cell.text == ""
        else:
            assert background == _rgb(report_html.COLOURS[result][0]), result
            assert _computed(page, cell, "color") == _rgb(report_html.COLOURS[result][1]), result
            assert cell.text == report_html.SHORT[result]
        seen.add(result)
    assert seen == set(report_html.RESULTS) | {"none"}
    row = page.find_element(By.CSS_SELECTOR, 'tr[data-host="lnx-app01"]')
    assert (row.get_attribute("data-worst"), row.get_attribute("data-status"), row.get_attribute("data-readiness")) == (
        "Failed", "diagnosed", "Disconnected")
    cell = row.find_element(By.CSS_SELECTOR, 'td[data-group="connectivity"]')
    assert cell.get_attribute("data-result") == "Failed"
    assert _computed(page, cell, "background-color") == _rgb(report_html.COLOURS["Failed"][0])
    # hosts that were not diagnosed: a row with the reason across the group columns
    gone = page.find_element(By.CSS_SELECTOR, 'tr[data-host="lnx-gone03"]')
    assert gone.get_attribute("data-status") == "unreachable"
    assert "Connection timed out" in gone.find_element(By.CSS_SELECTOR, "td.reason").text
    # the hostile host name is shown as text
    assert page.find_element(By.CSS_SELECTOR, "#matrix tbody tr td.host a").text == HOSTILE


def test_host_filter_hides_exactly_the_other_rows(page):
    _type(page, "filter-host", "LNX")
    assert _visible(page) == ["lnx-app01", "lnx-db02", "lnx-gone03"]
    assert _count(page) == "3 of 6 hosts shown"
    # the details of hidden hosts are hidden too
    assert [page.find_element(By.ID, "host-%d" % i).is_displayed() for i in range(6)] == [
        False, True, True, True, False, False]
    _type(page, "filter-host", "-db")
    assert _visible(page) == ["lnx-db02"]
    _clear(page)
    _type(page, "filter-host", "script>")
    assert _visible(page) == [HOSTILE]


@pytest.mark.parametrize("result, hosts", [
    ("Failed", ["lnx-app01"]),
    ("PassedWithWarning", ["lnx-app01", "win-sql01"]),
    ("Information", ["win-sql01"]),
    ("Skipped", [HOSTILE, "win-sql01"]),
    ("Passed", [HOSTILE, "lnx-app01", "lnx-db02", "win-sql01"]),
    ("not_diagnosed", ["lnx-gone03", "win-broken04"]),
    ("", ALL),
])
def test_result_filter_hides_exactly_the_other_rows(page, result, hosts):
    _choose(page, "filter-result", result)
    assert _visible(page) == hosts
    assert _count(page) == "%d of 6 hosts shown" % len(hosts)


def test_group_filter_hides_the_other_columns_and_narrows_the_result_filter(page):
    _choose(page, "filter-group", "prerequisites")
    assert _visible(page) == ALL
    headers = page.find_elements(By.CSS_SELECTOR, "#matrix th[data-group]")
    assert [h.get_attribute("data-group") for h in headers if h.is_displayed()] == ["prerequisites"]
    cells = page.find_elements(By.CSS_SELECTOR, "#matrix td[data-group]")
    assert {c.get_attribute("data-group") for c in cells if c.is_displayed()} == {"prerequisites"}
    assert page.find_element(By.CSS_SELECTOR, 'tr[data-host="lnx-gone03"] td.reason').get_attribute("colspan") == "1"
    # app01 warns in servicehealth, win-sql01 in prerequisites: only the chosen group counts
    _choose(page, "filter-result", "PassedWithWarning")
    assert _visible(page) == ["win-sql01"]
    _choose(page, "filter-group", "")
    assert _visible(page) == ["lnx-app01", "win-sql01"]
    assert page.find_element(By.CSS_SELECTOR, 'tr[data-host="lnx-gone03"] td.reason').get_attribute("colspan") == "6"


def test_rule_filter_shows_hosts_where_that_rule_is_not_passed(page):
    _type(page, "filter-rule", "omsagentstatus")
    assert _visible(page) == [HOSTILE, "lnx-app01"]  # Skipped, PassedWithWarning; lnx-db02 passed it
    _choose(page, "filter-result", "Passed")
    assert _visible(page) == ["lnx-db02"]
    _clear(page)
    _type(page, "filter-rule", "Fleet.ClonedMachine")
    assert _visible(page) == ["lnx-app01", "lnx-db02"]


def _click_header(driver, key):
    driver.find_element(By.CSS_SELECTOR, '#matrix th[data-sort-key="%s"]' % key).click()
    return driver.find_element(By.CSS_SELECTOR, '#matrix th[data-sort-key="%s"]' % key).get_attribute("aria-sort")


def test_sorting_by_a_column_reorders_the_rows(page):
    assert _click_header(page, "worst") == "ascending"
    assert _order(page) == ["lnx-gone03", "win-broken04", "lnx-app01", "win-sql01", HOSTILE, "lnx-db02"]
    assert _click_header(page, "worst") == "descending"
    assert _order(page) == ["lnx-db02", HOSTILE, "win-sql01", "lnx-app01", "lnx-gone03", "win-broken04"]
    assert _click_header(page, "readiness") == "ascending"
    assert _order(page) == ["lnx-app01", HOSTILE, "lnx-gone03", "win-broken04", "lnx-db02", "win-sql01"]
    assert page.find_element(By.CSS_SELECTOR, '#matrix th[data-sort-key="worst"]').get_attribute("aria-sort") is None
    assert _click_header(page, "group:connectivity") == "ascending"
    assert _order(page) == ["lnx-gone03", "win-broken04", "lnx-app01", "win-sql01", "lnx-db02", HOSTILE]
    assert _click_header(page, "host") == "ascending"
    assert _order(page) == ALL
    assert _click_header(page, "host") == "descending"
    assert _order(page) == list(reversed(ALL))
    # a filter keeps working on the sorted rows
    _choose(page, "filter-result", "not_diagnosed")
    assert _visible(page) == ["win-broken04", "lnx-gone03"]


def test_host_link_opens_its_details(page):
    details = page.find_element(By.ID, "host-1")
    assert details.get_attribute("open") is None
    page.find_element(By.CSS_SELECTOR, 'tr[data-host="lnx-app01"] td.host a').click()
    assert details.get_attribute("open") == "true"
    text = details.text
    assert "Linux.AgentServiceConnectivityCheck" in text
    assert "Allow outbound TCP 443" in text
    assert "restart_health_service" in text
    assert "</script><!--" in text  # the hostile evidence, as text


def test_screenshot_for_review(page):
    page.find_element(By.CSS_SELECTOR, 'tr[data-host="lnx-app01"] td.host a').click()
    page.execute_script("window.scrollTo(0, 0)")
    height = page.execute_script("return document.documentElement.scrollHeight")
    page.set_window_size(1400, min(max(height, 1000), 6000))
    os.makedirs(os.path.dirname(SCREENSHOT), exist_ok=True)
    assert page.save_screenshot(SCREENSHOT)
    with open(SCREENSHOT, "rb") as handle:
        assert handle.read(8) == b"\x89PNG\r\n\x1a\n"
    page.set_window_size(1400, 1000)


def test_the_browser_quits_without_leaving_a_process(page_url):
    user_data_dir = tempfile.mkdtemp(prefix="hrw-chromium-")
    try:
        driver, driver_pid = _start_browser(user_data_dir)
        try:
            driver.get(page_url)
            assert len(_rows(driver)) == len(ALL)
        finally:
            pids = _quit_and_check(driver, driver_pid, user_data_dir)
        assert driver_pid in pids and not _alive(pids)
    finally:
        shutil.rmtree(user_data_dir, ignore_errors=True)

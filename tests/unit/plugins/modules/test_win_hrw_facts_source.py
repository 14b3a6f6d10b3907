# -*- coding: utf-8 -*-
# Copyright: azure_hrw.doctor contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""win_hrw_facts cannot run here (no PowerShell): its source is checked instead.

tree-sitter-powershell reads the .ps1 and its .psm1 module_utils; the tests protect the
contract: the options of the docs and of ``$spec`` agree, the module is read-only, check mode
is supported, and the document has the keys of ADR 0002.
"""

import pathlib
import re

import pytest
import tree_sitter_powershell
import yaml
from tree_sitter import Language, Parser

from ansible_collections.azure_hrw.doctor.tests.unit.plugins.modules import module_docs

ROOT = pathlib.Path(__file__).resolve().parents[4]
MODULE_PS1 = ROOT / "plugins" / "modules" / "win_hrw_facts.ps1"
MODULE_PY = ROOT / "plugins" / "modules" / "win_hrw_facts.py"
UTILS = ROOT / "plugins" / "module_utils"
ADR = ROOT / "docs" / "adr" / "0002-windows-facts.md"
REQUIRES = re.compile(r"^#AnsibleRequires -PowerShell ansible_collections\.azure_hrw\.doctor\.plugins\.module_utils\.(\w+)\s*$", re.M)

# Approved verbs (Get-Verb, Windows PowerShell 5.1) this collection may use.
APPROVED_VERBS = {
    "Add", "Assert", "Clear", "Close", "Compare", "Connect", "ConvertFrom", "ConvertTo", "Copy", "Debug",
    "Disconnect", "Enter", "Exit", "Export", "Find", "Format", "Get", "Group", "Import", "Invoke", "Join",
    "Limit", "Measure", "Merge", "New", "Open", "Out", "Read", "Receive", "Resolve", "Search", "Select",
    "Send", "Skip", "Split", "Test", "Trace", "Wait", "Watch", "Use",
}

# Cmdlets that change a host (or run arbitrary text), and .NET/COM methods that write.
WRITE_VERBS = re.compile(
    r"^(Set|Remove|Clear|Rename|Move|Copy|Restart|Start|Stop|Suspend|Resume|Register|Unregister|Install|"
    r"Uninstall|Enable|Disable|Reset|Write|Update|Grant|Revoke|Publish|Unpublish|Initialize|Mount|"
    r"Dismount|Save|Lock|Unlock|Protect|Unprotect|Import|Restore|Backup|Checkpoint|Complete|Edit)-",
    re.I)
ALLOWED_COMMANDS = {"set-strictmode", "import-module"}
WRITE_COMMANDS = {
    "new-item", "new-itemproperty", "new-service", "new-eventlog", "new-psdrive", "add-content", "out-file",
    "invoke-expression", "iex", "sc", "sc.exe", "reg", "reg.exe", "wevtutil", "wevtutil.exe", "icacls",
    "icacls.exe", "takeown", "takeown.exe", "net", "net.exe", "cmd", "cmd.exe", "powershell", "powershell.exe",
}
WRITE_METHODS = {
    "setvalue", "deletevalue", "deletesubkey", "deletesubkeytree", "createsubkey", "setaccesscontrol",
    "delete", "moveto", "copyto", "writealltext", "writeallbytes", "writealllines", "appendalltext",
    "setproxyinfo", "setproxyurl", "setproxycredentials", "addcloudworkspace", "removecloudworkspace",
    "reloadconfiguration", "stopservice", "startservice", "changestartmode", "kill", "add_certificate",
    "remove", "import", "clear",
}


@pytest.fixture(scope="module")
def parser():
    return Parser(Language(tree_sitter_powershell.language()))


def _walk(node):
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(current.children))


def _text(node):
    return node.text.decode("utf-8")


def _parse(parser, path):
    return parser.parse(path.read_bytes()).root_node


def _utils_of(path):
    return [UTILS / ("%s.psm1" % name) for name in REQUIRES.findall(path.read_text(encoding="utf-8"))]


@pytest.fixture(scope="module")
def sources(parser):
    paths = [MODULE_PS1] + _utils_of(MODULE_PS1)
    return dict((path, _parse(parser, path)) for path in paths)


def _key_name(node):
    """The literal name of a hash_entry's key_expression."""
    key = [c for c in node.children if c.type == "key_expression"][0]
    return _text(key).strip("'\"")


def _hash_entries(hash_literal):
    body = [c for c in hash_literal.children if c.type == "hash_literal_body"]
    return [c for c in body[0].children if c.type == "hash_entry"] if body else []


def _entry_value(entry):
    """The first hash literal or scalar of a hash_entry's value."""
    value = [c for c in entry.children if c.type == "pipeline"][0]
    for node in _walk(value):
        if node.type == "hash_literal_expression":
            return node
        if node.type in ("string_literal", "real_literal", "integer_literal", "variable"):
            return node
    return None


def _scalar(node):
    text = _text(node)
    if node.type == "string_literal":
        return text[1:-1]
    if node.type == "real_literal":
        return float(text)
    if node.type == "integer_literal":
        return int(text)
    if node.type == "variable":
        return {"$true": True, "$false": False, "$null": None}.get(text.lower(), text)
    raise AssertionError("not a scalar: %s" % text)


def _hash_to_dict(hash_literal):
    out = {}
    for entry in _hash_entries(hash_literal):
        value = _entry_value(entry)
        if value is None:
            out[_key_name(entry)] = None
        elif value.type == "hash_literal_expression":
            out[_key_name(entry)] = _hash_to_dict(value)
        else:
            out[_key_name(entry)] = _scalar(value)
    return out


def _assignment_hash(root, variable):
    """The hash literal assigned to ``$variable`` at the top of a script."""
    for node in _walk(root):
        if node.type == "assignment_expression" and _text(node.children[0]).lower() == variable.lower():
            for inner in _walk(node.children[-1]):
                if inner.type == "hash_literal_expression":
                    return inner
    raise AssertionError("no %s = @{...} found" % variable)


def _documentation():
    return module_docs.rendered("win_hrw_facts")


def _normalise_options(options, children):
    """Options (of DOCUMENTATION, children under "suboptions"; of $spec, under "options") in one comparable form."""
    out = {}
    for name, option in options.items():
        entry = {"type": option.get("type", "str")}
        for key in ("default", "required", "elements"):
            if key in option:
                entry[key] = option[key]
        if children in option:
            entry["options"] = _normalise_options(option[children], children)
        out[name] = entry
    return out


def _spec(sources):
    return _hash_to_dict(_assignment_hash(sources[MODULE_PS1], "$spec"))


def _adr_document():
    text = ADR.read_text(encoding="utf-8")
    block = text.split("## The document (Windows)", 1)[1].split("```yaml", 1)[1].split("```", 1)[0]
    return yaml.safe_load(block)


def _adr_keys(value, prefix=""):
    """Every key path of the ADR document (list items under ``[]``)."""
    keys = set()
    if isinstance(value, dict):
        for key, item in value.items():
            path = "%s.%s" % (prefix, key) if prefix else key
            keys.add((path, key))
            keys |= _adr_keys(item, path)
    elif isinstance(value, list):
        for item in value:
            keys |= _adr_keys(item, prefix + "[]")
    return keys


def _code_keys(sources):
    keys = set()
    for root in sources.values():
        for node in _walk(root):
            if node.type == "hash_entry":
                keys.add(_key_name(node))
    return keys


def test_module_utils_exist_and_parse(sources):
    assert len(sources) >= 3, "the module imports its reader and probe module_utils"
    for path, root in sources.items():
        assert path.exists()
        assert not root.has_error, path


def test_options_match_documentation(sources):
    documented = _normalise_options(_documentation()["options"], "suboptions")
    spec = _normalise_options(_spec(sources)["options"], "options")
    assert sorted(spec) == sorted(documented)
    for name in documented:
        assert spec[name] == documented[name], name


def test_supports_check_mode(sources):
    assert _spec(sources)["supports_check_mode"] is True
    assert _documentation()["attributes"]["check_mode"]["support"] == "full"


def test_option_values_are_validated_with_their_names(sources):
    text = MODULE_PS1.read_text(encoding="utf-8")
    assert "probe_timeout must be a number of seconds greater than 0 and at most" in text
    for name in ("window_hours", "max_events", "max_files"):
        assert re.search(r"\b%s = \d+" % name, text), name


def _commands(root):
    for node in _walk(root):
        if node.type == "command_name":
            yield _text(node)


def _methods(root):
    for node in _walk(root):
        if node.type == "member_name":
            yield _text(node)


def test_read_only(sources):
    for path, root in sources.items():
        for name in _commands(root):
            lowered = name.lower()
            if lowered in ALLOWED_COMMANDS:
                continue
            assert not WRITE_VERBS.match(name), "%s calls %s" % (path.name, name)
            assert lowered not in WRITE_COMMANDS, "%s calls %s" % (path.name, name)
        for name in _methods(root):
            assert name.lower() not in WRITE_METHODS, "%s calls .%s()" % (path.name, name)


def test_read_only_checker_catches_writes(parser):
    root = parser.parse(b"Set-ItemProperty -Path x -Name y -Value 1\n$key.SetValue('a', 1)\nRestart-Service HealthService\n").root_node
    assert [n for n in _commands(root) if WRITE_VERBS.match(n)] == ["Set-ItemProperty", "Restart-Service"]
    assert [m for m in _methods(root) if m.lower() in WRITE_METHODS] == ["SetValue"]


def test_registry_and_stores_are_opened_read_only():
    text = "\n".join(p.read_text(encoding="utf-8") for p in [MODULE_PS1] + _utils_of(MODULE_PS1))
    assert re.findall(r"\.OpenSubKey\(\$Path, \$false\)", text), "registry keys are opened without write access"
    assert "OpenSubKey(" not in text.replace(".OpenSubKey($Path, $false)", "")
    assert "OpenFlags]'ReadOnly" in text
    assert "winhttp show proxy" in text and not re.search(r"winhttp\s+(set|reset|import)", text, re.I)


def _functions(root):
    for node in _walk(root):
        if node.type == "function_statement":
            names = [c for c in node.children if c.type == "function_name"]
            yield _text(names[0])


def test_function_names_use_approved_verbs(sources):
    for path, root in sources.items():
        for name in _functions(root):
            assert "_" not in name, name
            verb = name.split("-", 1)[0]
            assert "-" in name and verb in APPROVED_VERBS, "%s: %s" % (path.name, name)


def test_module_utils_export_what_they_define_and_the_module_uses(sources):
    module_text = MODULE_PS1.read_text(encoding="utf-8")
    for path, root in sources.items():
        if path == MODULE_PS1:
            continue
        text = path.read_text(encoding="utf-8")
        exported = re.findall(r"^\s+'([A-Za-z]+-[A-Za-z]+)'\s*$", text.split("$exportMembers", 1)[1], re.M)
        defined = set(_functions(root))
        assert exported and set(exported) <= defined, path.name
        assert "Export-ModuleMember" in text
    used = set(re.findall(r"\b([A-Z][a-z]+-Hrw[A-Za-z]+)\b", module_text))
    exported_all = set()
    for path in sources:
        if path != MODULE_PS1:
            exported_all |= set(re.findall(r"'([A-Za-z]+-Hrw[A-Za-z]+)'", path.read_text(encoding="utf-8")))
    assert used and used <= exported_all, used - exported_all


def test_strict_mode_and_stop_on_errors():
    text = MODULE_PS1.read_text(encoding="utf-8")
    assert "Set-StrictMode -Version 2.0" in text
    assert "$ErrorActionPreference = 'Stop'" in text
    assert "#AnsibleRequires -CSharpUtil Ansible.Basic" in text
    for path in [MODULE_PS1] + _utils_of(MODULE_PS1):
        source = path.read_text(encoding="utf-8")
        assert "Write-Host" not in source, path.name
        assert "Set-StrictMode -Version 2.0" in source, path.name


def test_document_top_level_keys_are_the_adr_keys(sources):
    facts = _hash_to_dict(_assignment_hash(sources[MODULE_PS1], "$facts"))
    assert list(facts) == list(_adr_document())


def test_every_adr_key_is_written_by_the_collector(sources):
    written = _code_keys(sources)
    missing = sorted(path for path, key in _adr_keys(_adr_document()) if key not in written)
    assert missing == []


def test_no_async_callbacks_in_probes():
    # Scriptblock callbacks of the *Async .NET methods run without a runspace and crash the host.
    text = (UTILS / "HrwProbe.psm1").read_text(encoding="utf-8")
    assert not re.search(r"\.\w+Async\(", text)
    assert "AuthenticateAsClient(" in text
    assert "RunspaceFactory]::CreateRunspacePool(" in text


def test_proxy_connect_reply_is_read_within_the_probe_deadline(parser):
    # A socket timeout set once restarts with every byte: a proxy trickling its reply would keep
    # the probe past the deadline. The time left is set again before every read.
    root = _parse(parser, UTILS / "HrwProbe.psm1")
    body = [n for n in _walk(root) if n.type == "function_statement" and "Invoke-ProxyConnect" in _text(n).split("{", 1)[0]]
    assert len(body) == 1
    loop = [n for n in _walk(body[0]) if n.type == "while_statement"]
    assert len(loop) == 1
    text = _text(loop[0])
    assert text.index("Limit-ProbeSocket -Client $Client") < text.index(".ReadByte()")
    limit = [n for n in _walk(root) if n.type == "function_statement" and "Limit-ProbeSocket" in _text(n).split("{", 1)[0]]
    assert len(limit) == 1
    limit_text = _text(limit[0])
    assert "Get-RemainingMs" in limit_text and "TimeoutException" in limit_text and "ReceiveTimeout = $ms" in limit_text


def test_sources_are_ascii():
    # Windows PowerShell 5.1 reads a file without BOM in the ANSI code page.
    for path in [MODULE_PS1] + _utils_of(MODULE_PS1):
        path.read_bytes().decode("ascii")


def test_every_section_is_guarded():
    # One failed read costs its section (null + an errors entry), never the document.
    text = MODULE_PS1.read_text(encoding="utf-8")
    unguarded = ("schema", "platform", "collector", "endpoint_errors", "errors")
    for key in _adr_document():
        if key not in unguarded:
            assert "Invoke-Guarded -Where '%s' -Script" % key in text, key


def test_error_locations_name_document_sections():
    text = MODULE_PS1.read_text(encoding="utf-8")
    wheres = re.findall(r"-Where '([^']+)'", text)
    assert len(wheres) > 20
    top = set(_adr_document())
    assert [w for w in wheres if w.split(".")[0] not in top] == []


def test_probe_runspaces_need_no_cmdlet_but_strict_mode(parser):
    # The pool uses CreateDefault2 runspaces: a cmdlet to autoload would cost probe time.
    root = _parse(parser, UTILS / "HrwProbe.psm1")
    script = [n for n in _walk(root) if n.type == "assignment_expression"
              and _text(n.children[0]).lower() == "$script:probescript"]
    assert len(script) == 1
    defined = set(_functions(script[0]))
    assert set(_commands(script[0])) - defined == {"Set-StrictMode"}
    assert "CreateDefault2()" in _text(root)


def test_probe_runspaces_are_all_open_before_the_deadline_clock(parser):
    # RunspacePool.Open() opens one runspace; the others would be opened one at a time inside
    # BeginInvoke, after the clock started, and a slow host's probes would become timeouts.
    root = _parse(parser, UTILS / "HrwProbe.psm1")
    body = [n for n in _walk(root) if n.type == "function_statement" and "Invoke-HrwEndpointProbe" in _text(n).split("{", 1)[0]]
    assert len(body) == 1
    text = _text(body[0])
    try_at = text.index("try {")
    open_at = text.index("$pool.Open()")
    warm_at = text.index("Open-HrwProbePool -Pool $pool -Size $size")
    clock_at = text.index("$started = [DateTime]::UtcNow")
    first_job_at = text.index(".BeginInvoke()")
    # Open inside the try (a failed Open does not leak the pool), then the warm-up, then the clock.
    assert try_at < open_at < warm_at < clock_at < first_job_at
    warm = [n for n in _walk(root) if n.type == "function_statement" and "Open-HrwProbePool" in _text(n).split("{", 1)[0]]
    assert len(warm) == 1
    assert "CountdownEvent" in _text(warm[0]) and "$Gate.Wait($Ms)" in _text(warm[0])


def test_every_cim_query_is_bounded(parser):
    # A hung WMI must cost a bounded time (an `errors` entry + nulls), never hang the module.
    calls = 0
    for path in [MODULE_PS1] + _utils_of(MODULE_PS1):
        root = _parse(parser, path)
        for node in _walk(root):
            if node.type != "command":
                continue
            text = _text(node)
            name = text.split(None, 1)[0].lower()
            # Get-WmiObject / [wmi] / [wmiclass] have no operation timeout: not used at all.
            assert name not in ("get-wmiobject", "gwmi", "invoke-wmimethod"), path.name
            if name == "get-ciminstance":
                calls += 1
                assert re.search(r"-OperationTimeoutSec \$(script:)?CimTimeoutSec\b", text), text
        assert not re.search(r"\[wmi(class|searcher)?\]", path.read_text(encoding="utf-8"), re.I), path.name
    assert calls >= 4
    for path, constant in ((MODULE_PS1, "$CimTimeoutSec = "), (UTILS / "HrwReader.psm1", "$script:CimTimeoutSec = ")):
        value = int(re.search(re.escape(constant) + r"(\d+)", path.read_text(encoding="utf-8")).group(1))
        assert 0 < value <= 30, path.name


def test_event_messages_render_in_en_us_and_unrendered_ones_are_reported(parser):
    # An empty list built by matching message text must not silently mean "no such event".
    root = _parse(parser, UTILS / "HrwReader.psm1")
    functions = dict((n, f) for f in _walk(root) if f.type == "function_statement"
                     for n in _functions(f) if n in _text(f).split("{", 1)[0])
    read = _text(functions["Get-HrwEventRecord"])
    set_at = read.index("$thread.CurrentCulture = [Globalization.CultureInfo]::GetCultureInfo($script:MessageCulture)")
    assert set_at < read.index("Get-WinEvent -FilterHashtable") < read.index("finally {") < \
        read.index("$thread.CurrentCulture = $culture")
    assert "$script:MessageCulture = 'en-US'" in _text(root)
    text = _text(functions["Get-HrwEventText"])
    assert "$script:UnrenderedMessages[$log]" in text and "IsNullOrEmpty" in text
    module = MODULE_PS1.read_text(encoding="utf-8")
    report = module.index("$unrendered = Get-HrwUnrenderedMessage")
    assert report < module.index("errors = $errors.ToArray()")
    assert "could not be rendered" in module[report:]


def test_tls_chain_build_fetches_no_revocation_and_a_blocked_build_is_named():
    text = (UTILS / "HrwProbe.psm1").read_text(encoding="utf-8")
    assert "$checkRevocation = $false" in text
    assert "[System.Security.Authentication.SslProtocols]3072, $checkRevocation)" in text
    # Shared before the handshake, so a probe stopped at the deadline still tells what it saw.
    assert text.index("$Progress.tls_seen = $seen") < text.index("$ssl.AuthenticateAsClient(")
    assert "before the certificate was validated: most likely Windows building the certificate chain" in text


def test_message_scan_is_capped_independently_of_max_events():
    text = MODULE_PS1.read_text(encoding="utf-8")
    cap = int(re.search(r"^\$MaxMessageScan = (\d+)\s*$", text, re.M).group(1))
    assert 0 < cap <= 10000
    assert "[Math]::Min([long]$MaxEvents * $MessageScanFactor, [long]$MaxMessageScan)" in text
    assert "newest %d" % cap in " ".join(MODULE_PY.read_text(encoding="utf-8").split())


def test_collector_version_is_the_collection_version_as_on_linux():
    galaxy = yaml.safe_load((ROOT / "galaxy.yml").read_text(encoding="utf-8"))["version"]
    text = MODULE_PS1.read_text(encoding="utf-8")
    assert re.search(r"^\$CollectorVersion = '([^']+)'\s*$", text, re.M).group(1) == galaxy
    linux = (UTILS / "hrw" / "linux_facts.py").read_text(encoding="utf-8")
    assert re.search(r'^COLLECTOR_VERSION = "([^"]+)"\s*$', linux, re.M).group(1) == galaxy
    assert 'collector: {name: win_hrw_facts, version: "%s"' % galaxy in ADR.read_text(encoding="utf-8")

"""The PowerShell syntax gate (scripts/ps_syntax.py) flags broken files and passes good ones."""
import importlib.util
import os

import pytest

_SCRIPT = os.path.join(os.path.dirname(__file__), "..", "..", "..", "scripts", "ps_syntax.py")


@pytest.fixture(scope="module")
def gate():
    spec = importlib.util.spec_from_file_location("ps_syntax", _SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    from tree_sitter import Language, Parser
    import tree_sitter_powershell
    return module, Parser(Language(tree_sitter_powershell.language()))


@pytest.mark.parametrize("source", [
    b"function Get-Thing {\n  param([string]$Name)\n  try { Get-Item $Name } catch { $_ }\n}\n",
    b"$h = [ordered]@{ a = 1 }\n$s = @'\nhere\n'@\n",
])
def test_valid_powershell_passes(gate, source):
    module, parser = gate
    has_error, found = module._errors(parser, source)
    assert not has_error and found == []


@pytest.mark.parametrize("source, line", [
    (b"function Get-Thing {\n  Write-Output 'x'\n", 1),   # unclosed block
    (b"$a = 1\n$b = (1 + \n", 2),                          # unclosed parenthesis
    (b"Write-Output 'x'\n}\n", 2),                         # stray brace
])
def test_broken_powershell_is_reported_with_a_line(gate, source, line):
    module, parser = gate
    has_error, found = module._errors(parser, source)
    assert has_error
    assert found and min(f[0] for f in found) >= 1
    assert any(f[0] <= line + 1 for f in found)

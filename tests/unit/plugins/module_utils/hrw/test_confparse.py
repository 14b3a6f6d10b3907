# -*- coding: utf-8 -*-
# Copyright: azure_hrw.doctor contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw.confparse import parse_ini, parse_keyvalue


def test_keyvalue_basic_values_with_equals_and_comments():
    text = (
        "# a comment\n"
        "\n"
        "WORKSPACE_ID=abc\n"
        "DSC_ENDPOINT=https://h/Accounts/x/Nodes(AgentId='y')\n"
        "  SPACED = value with spaces  \n"
        "EMPTY=\n"
        "no delimiter here\n"
        "=novalue\n"
        "WORKSPACE_ID=def\n"
    )
    assert parse_keyvalue(text) == {
        "WORKSPACE_ID": "def",
        "DSC_ENDPOINT": "https://h/Accounts/x/Nodes(AgentId='y')",
        "SPACED": "value with spaces",
        "EMPTY": "",
    }


def test_keyvalue_quotes_only_when_asked():
    text = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nNAME=\'x y\'\nESC="a \\"q\\" b"\n'
    assert parse_keyvalue(text, unquote=True) == {
        "PRETTY_NAME": "Debian GNU/Linux 12 (bookworm)", "ID": "debian", "NAME": "x y", "ESC": 'a "q" b'}
    assert parse_keyvalue(text)["ID"] == "debian"
    assert parse_keyvalue(text)["PRETTY_NAME"] == '"Debian GNU/Linux 12 (bookworm)"'


def test_keyvalue_crlf_and_empty():
    assert parse_keyvalue("A=1\r\nB=2\r\n") == {"A": "1", "B": "2"}
    assert parse_keyvalue("") == {}


def test_ini_sections_comments_and_url_values():
    text = (
        "; comment\n"
        "# another\n"
        "[worker-required]\n"
        "jrds_base_uri = https://x.jrds.eus2.azure-automation.net:443/path?a=b\n"
        "account_id=1234\n"
        "colon_style: v\n"
        "\n"
        "[worker-optional]\n"
        "debug_traces = \n"
    )
    assert parse_ini(text) == {
        "worker-required": {
            "jrds_base_uri": "https://x.jrds.eus2.azure-automation.net:443/path?a=b",
            "account_id": "1234",
            "colon_style": "v",
        },
        "worker-optional": {"debug_traces": ""},
    }


def test_ini_tolerates_missing_section_duplicates_and_junk():
    text = (
        "orphan = 1\n"
        "[a]\n"
        "k = 1\n"
        "junk line without delimiter\n"
        "[ b ]\n"
        "x = 1\n"
        "[a]\n"
        "k = 2\n"
        "Mixed_Case = kept\n"
        "[empty]\n"
    )
    assert parse_ini(text) == {
        "DEFAULT": {"orphan": "1"},
        "a": {"k": "2", "Mixed_Case": "kept"},
        "b": {"x": "1"},
        "empty": {},
    }


def test_ini_continuation_lines():
    text = "[s]\nkey = first\n  second\n\tthird\nother = 1\n"
    assert parse_ini(text) == {"s": {"key": "first\nsecond\nthird", "other": "1"}}


def test_ini_empty():
    assert parse_ini("") == {}
    assert parse_ini("# only comments\n") == {}

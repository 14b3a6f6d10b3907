# -*- coding: utf-8 -*-
"""The azure_hrw.doctor.hresult filter: through FilterModule, through a real Templar, and its docs."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import subprocess
import sys

import pytest
import yaml

from ansible.errors import AnsibleFilterError

from ansible_collections.azure_hrw.doctor.plugins.filter import hresult as plugin
from ansible_collections.azure_hrw.doctor.plugins.module_utils.hrw import hresult


def test_filter_module_exposes_hresult():
    filters = plugin.FilterModule().filters()
    assert sorted(filters) == ["hresult"]
    assert filters["hresult"]("0x8024402c") == hresult.explain("0x8024402C")


@pytest.mark.parametrize("value", ["0x8024402C", "8024402c", -2145107924, 2149859372, "2149859372"])
def test_filter_normalises(value):
    assert plugin.FilterModule().filters()["hresult"](value)["code"] == "0x8024402C"


@pytest.mark.parametrize("bad", ["nope", None, 1.5, "0x123456789"])
def test_filter_bad_input_names_value_and_form(bad):
    with pytest.raises(AnsibleFilterError) as err:
        plugin.hresult(bad)
    text = str(err.value)
    assert "azure_hrw.doctor.hresult" in text and repr(bad) in text and "0x8024402C" in text


# A real Templar resolves the filter by its FQCN through Ansible's collection loader. The loader
# is installed in a child process so it cannot change how the other tests import the collection.
_TEMPLAR_SCRIPT = r"""
import json, sys
from ansible.plugins.loader import init_plugin_loader
init_plugin_loader([sys.argv[1]])
from ansible.template import Templar, trust_as_template
out = []
for expression, variables in json.loads(sys.argv[2]):
    try:
        out.append({"value": Templar(loader=None, variables=variables).template(trust_as_template(expression))})
    except Exception as exc:
        out.append({"error": type(exc).__name__, "text": str(exc),
                    "ansible_error": isinstance(exc, __import__("ansible.errors").errors.AnsibleError)})
print(json.dumps(out))
"""


def _template(*cases):
    # <collections>/ansible_collections/azure_hrw/doctor/plugins/filter/hresult.py
    collections = os.path.abspath(os.path.join(os.path.dirname(plugin.__file__), *([os.pardir] * 5)))
    result = subprocess.run([sys.executable, "-c", _TEMPLAR_SCRIPT, collections, json.dumps(cases)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, timeout=60,
                            check=False)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_through_templar_by_fqcn():
    got = _template(
        ["{{ code | azure_hrw.doctor.hresult }}", {"code": "0x8024002e"}],
        ["{{ (-2145107924 | azure_hrw.doctor.hresult).code }}", {}],
        ["{{ ('0x80072EFE' | azure_hrw.doctor.hresult).known }}", {}],
        ["{{ 'E_ACCESSDENIED' | azure_hrw.doctor.hresult }}", {}],
    )
    assert got[0]["value"] == hresult.explain("0x8024002E")
    assert got[0]["value"]["explanation"] == "Windows Update service is disabled."
    assert got[1]["value"] == "0x8024402C"
    assert got[2]["value"] is False
    assert got[3]["ansible_error"] is True
    assert "'E_ACCESSDENIED' is not an HRESULT" in got[3]["text"]


def test_documentation_is_valid_yaml_with_the_filter_doc_keys():
    doc = yaml.safe_load(plugin.DOCUMENTATION)
    assert doc["name"] == "hresult"
    assert doc["short_description"] and doc["description"] and doc["version_added"]
    assert doc["options"]["_input"]["required"] is True
    ret = yaml.safe_load(plugin.RETURN)
    assert sorted(ret["_value"]["contains"]) == ["action", "code", "explanation", "known", "source"]
    assert yaml.safe_load(plugin.EXAMPLES)

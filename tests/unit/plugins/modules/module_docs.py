# -*- coding: utf-8 -*-
"""A module's documentation as ansible-doc renders it: DOCUMENTATION with its doc fragments
(``extends_documentation_fragment``, e.g. azure_hrw.doctor.probe) merged by Ansible's own docs
loader, for the tests that compare the documented options with an argument spec.

Ansible's collection loader is installed in a child process so it cannot change how the other
tests import the collection.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import subprocess
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))
COLLECTIONS = os.path.join(ROOT, ".tmp", "collections")   # made by conftest.py

_SCRIPT = r"""
import json, sys
from ansible.plugins.loader import fragment_loader, init_plugin_loader
init_plugin_loader([sys.argv[1]])
from ansible.utils.plugin_docs import get_docstring
doc = get_docstring(sys.argv[2], fragment_loader, collection_name="azure_hrw.doctor", is_module=True)[0]
print(json.dumps(doc))
"""


def rendered(module):
    """The merged DOCUMENTATION (a dict) of plugins/modules/<module>.py."""
    path = os.path.join(ROOT, "plugins", "modules", module + ".py")
    result = subprocess.run([sys.executable, "-c", _SCRIPT, COLLECTIONS, path], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, universal_newlines=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)

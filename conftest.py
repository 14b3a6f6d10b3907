"""Make the checkout importable as ``ansible_collections.azure_hrw.doctor`` for pytest.

The repository root is the collection root (DESIGN §1), so tests import the collection the
way Ansible does: through a collections path whose ``ansible_collections/azure_hrw/doctor``
is this checkout (a symlink under ``.tmp/``, made on first use).
"""
import os
import sys

_ROOT = os.path.dirname(os.path.abspath(__file__))
_COLLECTIONS = os.path.join(_ROOT, ".tmp", "collections")
_LINK = os.path.join(_COLLECTIONS, "ansible_collections", "azure_hrw", "doctor")

if not os.path.islink(_LINK):
    os.makedirs(os.path.dirname(_LINK), exist_ok=True)
    os.symlink(_ROOT, _LINK)
if _COLLECTIONS not in sys.path:
    sys.path.insert(0, _COLLECTIONS)

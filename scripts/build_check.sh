#!/usr/bin/env bash
# `ansible-galaxy collection build` gives an installable artifact with no test output,
# virtualenvs or lab state in it.
set -euo pipefail
cd "$(dirname "$0")/.."
out=.tmp/build
rm -rf "$out" && mkdir -p "$out"
ansible-galaxy collection build --force --output-path "$out" . >/dev/null
artifact=$(ls "$out"/azure_hrw-doctor-*.tar.gz)
if tar -tzf "$artifact" | grep -E '(^|/)(\.venv|\.tmp|\.ansible|\.pytest_cache|tests/output|tests/lab|hrw-report|__pycache__)(/|$)'; then
  echo "FAIL: $artifact contains the entries above" >&2
  exit 1
fi
ANSIBLE_COLLECTIONS_PATH="$out/installed" ansible-galaxy collection install --force -p "$out/installed" "$artifact" >/dev/null
test -f "$out/installed/ansible_collections/azure_hrw/doctor/plugins/action/hrw_diagnose.py"
echo "ok   $artifact builds and installs ($(tar -tzf "$artifact" | wc -l) entries)"

#!/usr/bin/env bash
# `make demo`: bring up the lab (one healthy host, one host per fault), diagnose it with the
# collection's own playbook, and take the lab down again, whatever happens in between.
set -euo pipefail
cd "$(dirname "$0")/.."
state=.tmp/demo-lab
python -m tests.lab down --state-dir "$state" >/dev/null 2>&1 || true
trap 'python -m tests.lab down --state-dir "$state"' EXIT
python -m tests.lab up --state-dir "$state"
inventory=$(python -m tests.lab inventory --state-dir "$state")
echo
echo "== ansible-playbook azure_hrw.doctor.diagnose -i $inventory"
ansible-playbook azure_hrw.doctor.diagnose -i "$inventory"

#!/usr/bin/env bash
# Every module, filter and role renders its documentation with ansible-doc (a broken YAML block or a
# missing argument_specs entry fails here, before users see it).
set -euo pipefail
cd "$(dirname "$0")/.."
status=0
# check TYPE PATH: ansible-doc renders azure_hrw.doctor.<PATH's base name without .py> as a TYPE plugin.
check() {
  local kind=$1 name
  name=$(basename "$2" .py)
  [[ $name == __init__ ]] && return 0
  if ansible-doc -t "$kind" "azure_hrw.doctor.$name" >/dev/null; then printf 'ok   %-6s azure_hrw.doctor.%s\n' "$kind" "$name"
  else printf 'FAIL %-6s azure_hrw.doctor.%s\n' "$kind" "$name"; status=1; fi
}
for f in plugins/modules/*.py; do check module "$f"; done
for f in plugins/filter/*.py; do check filter "$f"; done
for d in roles/*/; do check role "$d"; done
exit $status

#!/usr/bin/env bash
# Every module, filter and role renders its documentation with ansible-doc (a broken YAML block or a
# missing argument_specs entry fails here, before users see it).
set -euo pipefail
cd "$(dirname "$0")/.."
status=0
for f in plugins/modules/*.py; do
  name=$(basename "$f" .py)
  [[ $name == __init__ ]] && continue
  if ansible-doc -t module "azure_hrw.doctor.$name" >/dev/null; then echo "ok   module azure_hrw.doctor.$name"
  else echo "FAIL module azure_hrw.doctor.$name"; status=1; fi
done
for f in plugins/filter/*.py; do
  name=$(basename "$f" .py)
  [[ $name == __init__ ]] && continue
  if ansible-doc -t filter "azure_hrw.doctor.$name" >/dev/null; then echo "ok   filter azure_hrw.doctor.$name"
  else echo "FAIL filter azure_hrw.doctor.$name"; status=1; fi
done
for d in roles/*/; do
  name=$(basename "$d")
  if ansible-doc -t role "azure_hrw.doctor.$name" >/dev/null; then echo "ok   role   azure_hrw.doctor.$name"
  else echo "FAIL role   azure_hrw.doctor.$name"; status=1; fi
done
exit $status

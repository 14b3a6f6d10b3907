#!/usr/bin/env bash
# `make demo`: bring up the lab (one healthy host, one host per fault), diagnose it with the
# collection's own playbook, show the fleet report (the table and the HTML file to open), and
# take the lab down again, whatever happens in between. The report stays in ./hrw-report.
set -euo pipefail
cd "$(dirname "$0")/.."
state=.tmp/demo-lab
report=hrw-report
log=.tmp/demo-diagnose.log
python -m tests.lab down --state-dir "$state" >/dev/null 2>&1 || true
trap 'python -m tests.lab down --state-dir "$state"' EXIT
python -m tests.lab up --state-dir "$state"
inventory=$(python -m tests.lab inventory --state-dir "$state")
echo
echo "== ansible-playbook azure_hrw.doctor.diagnose -i $inventory -e hrw_report_dir=$report"
rc=0
ansible-playbook azure_hrw.doctor.diagnose -i "$inventory" -e "hrw_report_dir=$report" | tee "$log" || rc=$?
# The playbook's last task prints the table and the report's files (ansible.cfg: YAML results,
# so its msg is one literal block); show it again here, after the per-host output.
block=$(sed -n '/^TASK \[Print the fleet table and where the report is\]/,/^PLAY RECAP/p' "$log" \
        | sed -n '/msg: |-/,/^PLAY RECAP/p' | sed '1d;$d' | sed 's/^        //')
echo
echo "== Fleet report"
if [[ -n $block ]]; then
  echo "$block"
  html=$(awk '$1 == "html" {print $2; exit}' <<<"$block")
  [[ -n $html ]] && echo && echo "Open the report in a browser: file://$html"
else
  echo "(no report: see the playbook output above)"
fi
exit "$rc"

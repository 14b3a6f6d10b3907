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
# Show the report's table again, after the per-host output, from the file hrw_report wrote
# (not scraped from Ansible's output, whose format depends on the callback).
echo
echo "== Fleet report"
if [[ -f $report/hrw-report.txt ]]; then
  cat "$report/hrw-report.txt"
  [[ -f $report/hrw-report.html ]] && echo && echo "Open the report in a browser: file://$(realpath "$report/hrw-report.html")"
else
  echo "(no report: see the playbook output above)"
fi
exit "$rc"

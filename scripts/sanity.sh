#!/usr/bin/env bash
# ansible-test sanity for the collection, offline, without Docker (lab-recipes §6).
# ansible-test needs the collection under ansible_collections/<ns>/<name>/, so it runs on a
# copy of the tracked and new files (never ignored ones such as .venv or .tmp).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dest="$root/.tmp/sanity/ansible_collections/azure_hrw/doctor"

# ansible-test bootstraps pip in its per-test virtualenvs by downloading get-pip.py; this
# machine reaches PyPI only, so stand in with ensurepip (the file name follows the pip
# version that ansible-test pins: 24.2 for ansible-core 2.19).
cache="$HOME/.ansible/test/cache"
mkdir -p "$cache"
cat > "$cache/get_pip_24_2.py" <<'PY'
import subprocess, sys
subprocess.check_call([sys.executable, "-m", "ensurepip", "--upgrade", "--default-pip"], stdout=subprocess.DEVNULL)
args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
subprocess.check_call([sys.executable, "-m", "pip", "install"] + args)
PY

rm -rf "$dest"
mkdir -p "$dest"
(cd "$root" && git ls-files -co --exclude-standard -z \
  | while IFS= read -r -d '' f; do [[ -e $f ]] && printf '%s\0' "$f"; done \
  | xargs -0 cp --parents -t "$dest")
cd "$dest"
# ansible-test expects en_US.UTF-8 (scripts/install-system-deps.sh generates it).
if locale -a 2>/dev/null | grep -qi '^en_US.utf8$'; then export LC_ALL=en_US.UTF-8; fi
git init -q . && git add -A >/dev/null  # ansible-test lists a collection's files through git

# validate-modules inspects PowerShell modules with pwsh, which this platform cannot install;
# run it on the Python modules only and everything else on the whole collection. A .py with
# a .ps1 sibling is that PowerShell module's documentation: validate-modules would inspect the
# .ps1 through it, so it is left out too.
shopt -s nullglob
ps_modules=(plugins/modules/*.ps1)
py_modules=()
for f in plugins/modules/*.py; do
  [[ -e ${f%.py}.ps1 ]] || py_modules+=("$f")
done
if ((${#ps_modules[@]})); then
  ansible-test sanity --local --python 3.11 --color no --skip-test validate-modules
  if ((${#py_modules[@]})); then
    ansible-test sanity --local --python 3.11 --color no --test validate-modules "${py_modules[@]}"
  fi
else
  ansible-test sanity --local --python 3.11 --color no
fi

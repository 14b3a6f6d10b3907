#!/usr/bin/env bash
# make ee-check: `ansible-builder create` on meta/execution-environment.yml (writes the build
# context; needs no container engine) must succeed, and ansible-builder's own introspection of
# this collection, which every EE that installs it runs, must find its Python and system needs.
set -euo pipefail
cd "$(dirname "$0")/.."
out=.tmp/ee
rm -rf "$out"
ansible-builder create -f meta/execution-environment.yml -c "$out" --output-filename Containerfile >/dev/null
test -s "$out/Containerfile"
deps=$(python "$out/_build/scripts/introspect.py" introspect .tmp/collections)
for want in 'pywinrm\[kerberos\]' 'pypsrp\[kerberos\]' 'krb5-devel' 'libkrb5-dev'; do
  if ! grep -q "$want.*from collection azure_hrw.doctor" <<<"$deps"; then
    echo "ee-check: ansible-builder's introspection of azure_hrw.doctor does not list $want:" >&2
    echo "$deps" >&2
    exit 1
  fi
done
echo "ee-check: build context in $out (Containerfile, _build/); introspection lists the collection's requirements"

#!/usr/bin/env bash
# Install the Debian packages the lab, the demo and the sanity tests need, only when one is
# missing (a second run costs nothing). Needs root, as the lab does.
set -euo pipefail

packages=(openssh-server openssh-client sudo iproute2 procps util-linux openssl git shellcheck locales ca-certificates faketime gnupg chromium chromium-driver)
missing=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done

if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "error: missing Debian packages: ${missing[*]}; run 'make' as root or apt-get install them first" >&2
    exit 1
  fi
  echo "installing Debian packages: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# ansible-test warns on every run, and skips shellcheck, without a UTF-8 locale.
if [[ $(id -u) -eq 0 ]] && ! locale -a 2>/dev/null | grep -qi '^en_US.utf8$'; then
  sed -i 's/^# *en_US.UTF-8 UTF-8/en_US.UTF-8 UTF-8/' /etc/locale.gen
  locale-gen >/dev/null
fi

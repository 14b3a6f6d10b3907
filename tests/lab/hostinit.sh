#!/usr/bin/env bash
# PID 1 of one lab host, run by lab.py inside new mount+UTS+PID namespaces
# (unshare --fork --kill-child --mount-proc --propagation private).
# Usage: hostinit.sh STATE_DIR HOST_NAME REPO_ROOT
set -euo pipefail
STATE=$1; NAME=$2; ROOT=$3
# The checkout (and so the state dir) may live under /tmp, /root or /home, which this host
# mounts over below: reach both through aliases under a private /run first. The sshd
# config lab.py writes names the aliased paths.
mount -t tmpfs -o mode=755 tmpfs /run
mkdir -p /run/sshd /run/hrw-lab/state /run/hrw-lab/repo
mount --bind "$STATE" /run/hrw-lab/state
mount --bind "$ROOT" /run/hrw-lab/repo
S=/run/hrw-lab/state; H=$S/hosts/$NAME
# Private /opt/microsoft, /var/opt/microsoft and /home (worker.conf is per host); the
# mountpoints exist in the root namespace (lab.py makes them). Own /root too: the machine's
# dotfiles (e.g. pyenv init) must not run in a host, and a killed host must not leave locks
# or files in the machine's /root.
mount --bind "$H/opt" /opt/microsoft
mount --bind "$H/varopt" /var/opt/microsoft
mount --bind "$H/home" /home
mount --bind "$H/root" /root
# Per-host /etc (users, hosts, resolv.conf, CA bundle, /etc/opt) over the machine's /etc.
mount -t overlay overlay -o "lowerdir=/etc,upperdir=$H/etc.up,workdir=$H/etc.wk" /etc
mount -t tmpfs -o mode=1777 tmpfs /tmp   # nothing a host writes there outlives it
hostname "$(cat /etc/hostname)"
cd /run/hrw-lab/repo
/usr/bin/python3 -m tests.lab.agent boot "$H"
cd /
# Hide every host's private dirs from this host (its own are already mounted).
mount -t tmpfs -o size=1m tmpfs "$S/hosts"
exec /usr/sbin/sshd -D -f "$S/ssh/sshd_$NAME.conf" -E "$S/logs/$NAME.sshd.log"

#!/bin/bash
# `meson install --destdir` lays out every file an installation needs, the
# man pages render without warnings, and the systemd units pass
# systemd-analyze verify (against the installed binary).
set -u
: "${MG_BUILD_ROOT:?}" "${MG_SOURCE_ROOT:?}"
T=$(mktemp -d /tmp/mugai-install.XXXXXX)
trap 'rm -rf "$T"' EXIT
FAILS=0
check() { local what=$1; shift; if "$@"; then echo "ok   - $what"; else echo "FAIL - $what"; FAILS=$((FAILS + 1)); fi; }

meson install -C "$MG_BUILD_ROOT" --destdir "$T/root" --no-rebuild --quiet >"$T/install.log" 2>&1 \
    || { cat "$T/install.log"; echo "FAIL - meson install"; exit 1; }
opt() { meson introspect "$MG_BUILD_ROOT" --buildoptions | python3 -c "import json,sys; print([o['value'] for o in json.load(sys.stdin) if o['name']=='$1'][0])"; }
prefix=$(opt prefix)
sysconf=$(opt sysconfdir); case $sysconf in /*) ;; *) sysconf=$prefix/$sysconf;; esac
mandir=$(opt mandir); case $mandir in /*) ;; *) mandir=$prefix/$mandir;; esac
R=$T/root

for f in "$prefix/bin/mugai" \
         "$sysconf/mugai/mugai.conf" \
         "$sysconf/logrotate.d/mugai" \
         "$prefix/lib/systemd/system/mugai.service" \
         "$prefix/lib/systemd/system/mugai-purge.service" \
         "$prefix/lib/systemd/system/mugai-purge.timer" \
         "$prefix/lib/tmpfiles.d/mugai.conf" \
         "$mandir/man1/mugai.1" \
         "$mandir/man5/mugai.conf.5" \
         "$prefix/share/locale/ja/LC_MESSAGES/mugai.mo" \
         "$prefix/share/doc/mugai/ops.md" \
         "$prefix/share/doc/mugai/postfix/README" \
         "$prefix/share/doc/mugai/squid/mugai-icap.conf" \
         "$prefix/share/doc/mugai/icap.md" \
         "$prefix/share/mugai/clamav"; do
    check "installed: $f" test -e "$R$f"
done
check "binary is executable" test -x "$R$prefix/bin/mugai"
check "own signature database has files" bash -c "ls '$R$prefix/share/mugai/clamav' | grep -q ."
check "installed example config loads" "$R$prefix/bin/mugai" serve -c "$R$sysconf/mugai/mugai.conf" --check-config

# The example config and mugai.conf(5) name the same keys.
python3 - "$R$sysconf/mugai/mugai.conf" "$R$mandir/man5/mugai.conf.5" <<'PY'
import re, sys
conf = open(sys.argv[1], encoding="utf-8").read()
man = open(sys.argv[2], encoding="utf-8").read()
sec, keys = None, []
for line in conf.splitlines():
    s = line.strip()
    if s.startswith("[") and s.endswith("]"):
        sec = s[1:-1]
    elif s and not s.startswith("#") and "=" in s:
        keys.append((sec, s.split("=", 1)[0].strip()))
missing = [f"[{s}] {k}" for s, k in keys
           if "\\fB%s\\fR" % k.replace("-", "\\-") not in man.split(".SS [%s]" % s, 1)[-1].split(".SS [", 1)[0]]
print("keys:", len(keys), "missing in man page:", missing)
sys.exit(1 if missing or len(keys) < 40 else 0)
PY
check "mugai.conf(5) lists every key of the example config" test $? -eq 0

for page in "$mandir/man1/mugai.1" "$mandir/man5/mugai.conf.5"; do
    check "$(basename "$page") renders without warnings" bash -c \
        "out=\$(groff -k -man -Tutf8 -ww -z '$R$page' 2>&1); [ -z \"\$out\" ] || { echo \"\$out\"; false; }"
done
for cmd in sanitize mail check version serve quarantine audit selftest; do
    check "mugai(1) documents $cmd" grep -q "^\.SS \"\?$cmd" "$R$mandir/man1/mugai.1"
done

# Unit hardening, as promised in doc/ops.md.
U=$R$prefix/lib/systemd/system/mugai.service
for kv in "User=mugai" "NoNewPrivileges=yes" "ProtectSystem=strict" "PrivateTmp=yes" \
          "CapabilityBoundingSet=" "ReadWritePaths=/var/lib/mugai/quarantine /var/spool/mugai /var/log/mugai"; do
    check "mugai.service has $kv" grep -qx "$kv" "$U"
done

# systemd-analyze verify checks the units' syntax and that ExecStart names an
# executable. The units name /usr/bin/mugai; verify copies that point at the
# installed binary (the only change), with the timer next to its service.
if command -v systemd-analyze >/dev/null; then
    mkdir -p "$T/units"
    for u in mugai.service mugai-purge.service mugai-purge.timer; do
        sed "s|/usr/bin/mugai|$R$prefix/bin/mugai|g" "$R$prefix/lib/systemd/system/$u" >"$T/units/$u"
    done
    (cd "$T/units" && SYSTEMD_LOG_LEVEL=notice systemd-analyze verify --man=no \
        mugai.service mugai-purge.service mugai-purge.timer) >"$T/verify.log" 2>&1
    rc=$?
    # Only warnings about this container's own missing pieces are tolerated;
    # anything naming our units fails.
    if grep -E "mugai(-purge)?\.(service|timer)" "$T/verify.log" >/dev/null || [ $rc -ne 0 ]; then
        cat "$T/verify.log"
        check "systemd-analyze verify" false
    else
        check "systemd-analyze verify" true
    fi
else
    echo "SKIP - systemd-analyze not installed"
fi

echo "$FAILS failures"
[ "$FAILS" -eq 0 ]

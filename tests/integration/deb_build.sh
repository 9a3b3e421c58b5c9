#!/bin/bash
# Builds the Debian package from a copy of the source tree with
# dpkg-buildpackage -us -uc -b, checks its contents (dpkg-deb -c), its
# control data (conffiles, maintainer scripts, dependencies), and runs the
# packaged binary's selftest. Slow (a full build): suite "package".
set -u
: "${MG_SOURCE_ROOT:?}"
command -v dpkg-buildpackage >/dev/null && command -v dh >/dev/null \
    || { echo "SKIP: dpkg-dev or debhelper not installed"; exit 77; }
T=$(mktemp -d /tmp/mugai-deb.XXXXXX)
FAILS=0
trap '[ "$FAILS" -eq 0 ] && rm -rf "$T" || echo "kept $T"' EXIT
check() { local what=$1; shift; if "$@"; then echo "ok   - $what"; else echo "FAIL - $what"; FAILS=$((FAILS + 1)); fi; }

S=$T/mugai-0.1.0
mkdir -p "$S"
# The tree as it is (tracked files and local changes), without build output.
tar -C "$MG_SOURCE_ROOT" --exclude='./build*' --exclude='./.git' --exclude='./obj-*' -cf - . | tar -C "$S" -xf -
(cd "$S" && DEB_BUILD_OPTIONS="nocheck parallel=2" dpkg-buildpackage -us -uc -b) >"$T/build.log" 2>&1
rc=$?
check "dpkg-buildpackage -us -uc -b" test $rc -eq 0
[ $rc -eq 0 ] || { tail -40 "$T/build.log"; exit 1; }
DEB=$(ls "$T"/mugai_0.1.0_*.deb | head -1)
check "a .deb was built" test -s "$DEB"

dpkg-deb -c "$DEB" | awk '{print $6}' | sed 's|^\./|/|' >"$T/contents"
for f in /usr/bin/mugai /etc/mugai/mugai.conf /etc/logrotate.d/mugai \
         /usr/lib/tmpfiles.d/mugai.conf \
         /usr/share/man/man1/mugai.1.gz /usr/share/man/man5/mugai.conf.5.gz \
         /usr/share/locale/ja/LC_MESSAGES/mugai.mo /usr/share/doc/mugai/copyright \
         /usr/share/doc/mugai/postfix/README /usr/share/doc/mugai/squid/mugai-icap.conf; do
    check "package has $f" grep -qx "$f" "$T/contents"
done
check "package has ops.md (maybe compressed)" grep -qE '^/usr/share/doc/mugai/ops\.md(\.gz)?$' "$T/contents"
UD=$(pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null || echo /lib/systemd/system)
for u in mugai.service mugai-purge.service mugai-purge.timer; do
    check "package has $UD/$u" grep -qx "$UD/$u" "$T/contents"
done
check "package has the own signature database" grep -q '^/usr/share/mugai/clamav/.' "$T/contents"
check "nothing under /usr/local" bash -c "! grep -q '^/usr/local' '$T/contents'"

mkdir -p "$T/ctl"
dpkg-deb -e "$DEB" "$T/ctl"
check "conffiles: mugai.conf" grep -qx /etc/mugai/mugai.conf "$T/ctl/conffiles"
check "conffiles: logrotate" grep -qx /etc/logrotate.d/mugai "$T/ctl/conffiles"
check "postinst creates the mugai user" grep -q 'adduser --system --group' "$T/ctl/postinst"
check "postinst runs tmpfiles" grep -q 'systemd-tmpfiles' "$T/ctl/postinst"
check "postinst enables the purge timer" grep -q 'mugai-purge.timer' "$T/ctl/postinst"
check "the relay is not started on install" bash -c "! grep -q 'deb-systemd-invoke start.*mugai.service' '$T/ctl/postinst'"
dpkg-deb -f "$DEB" Depends >"$T/depends"
check "depends on adduser" grep -q adduser "$T/depends"
check "depends on libclamav" grep -q libclamav "$T/depends"

# The packaged binary works (paths inside point at /usr; the own database
# is given from the extracted tree).
dpkg-deb -x "$DEB" "$T/x"
printf '[general]\nquarantine-dir = %s/q\n[clamav]\nown-db = %s/x/usr/share/mugai/clamav\n' "$T" "$T" >"$T/x.conf"
"$T/x/usr/bin/mugai" selftest -c "$T/x.conf" --json >"$T/selftest.json" 2>"$T/selftest.err"
check "packaged selftest: no NG row" bash -c "! grep -q '\"status\":\"ng\"' '$T/selftest.json' && [ \$(wc -l <'$T/selftest.json') -eq 12 ]"

echo "$FAILS failures"
[ "$FAILS" -eq 0 ]

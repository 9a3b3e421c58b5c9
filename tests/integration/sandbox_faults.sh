#!/usr/bin/env bash
# Fault tests of the CLI front end over the sandbox (issue 11):
#  1. the seccomp mode is shown by `mugai version` (workers started);
#  2. a job over [sandbox] timeout: the worker is killed, the file is a
#     temporary failure named on stderr (exit 2), its notice says so, and the
#     next file in the same run is sanitized by the replacement worker;
#  3. the spool disk is full (a 1 MiB tmpfs as tmpdir in a private mount
#     namespace): TEMPFAIL (exit 2), never a partial output; skipped with a
#     message where mounting is not permitted;
#  4. [clamav] mode = required without a signature database: refuses to
#     start (exit 2, the reason on stderr), writes nothing;
#  5. mode = off is announced loudly.
# The worker killed by SIGKILL mid-job, seccomp kills and poison inputs are
# proven in tests/unit/test_sandbox_pool.c with a test-only job runner.
set -uo pipefail
T=$(mktemp -d)
chmod 755 "$T"   # the workers' user must reach their scratch folders below tmpdir
trap '[ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
mkdir -p "$T/in"
printf '[general]\nquarantine-dir = %s/q\nlog-level = error\n' "$T" > "$T/base.conf"

# 1
"$MUGAI" version -c "$T/base.conf" > "$T/version.txt" 2>/dev/null || fail "mugai version failed"
grep -q '^  sandbox: seccomp (' "$T/version.txt" || fail "version does not show the seccomp mode: $(tail -n 1 "$T/version.txt")"

# 2: a big HTML page takes the converter longer than 1 ms.
python3 - "$T/in/big.html" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    f.write("<html><body>" + "<p>お知らせ <b>bold</b> text</p>\n" * 800000 + "</body></html>\n")
PY
printf 'plain text\n' > "$T/in/small.txt"
cp "$T/base.conf" "$T/timeout.conf"
printf '[sandbox]\ntimeout = 1s\nworkers = 1\n' >> "$T/timeout.conf"
"$MUGAI" sanitize -q -c "$T/timeout.conf" -o "$T/out1" -r "$T/r1.json" "$T/in/big.html" > /dev/null 2> "$T/err1"
rc=$?
[ $rc -eq 2 ] || fail "timeout: exit $rc, want 2"
grep -q 'big.html: the sandboxed check failed (sandbox worker timed out' "$T/err1" || fail "timeout: stderr: $(cat "$T/err1")"
[ -f "$T/out1/big.html.blocked.txt" ] || fail "timeout: no notice file"
[ ! -e "$T/out1/big.txt" ] || fail "timeout: an output was written"
python3 - "$T/r1.json" <<'PY' || fail "timeout: report"
import json, sys
root = json.load(open(sys.argv[1]))["jobs"][0]["report"]["root"]
assert root["verdict"] == "tempfail" and root["reason"] == "internal", root
PY
# The replacement worker serves the next job of the same run.
cp "$T/base.conf" "$T/timeout2.conf"
printf '[sandbox]\ntimeout = 30s\nworkers = 1\n' >> "$T/timeout2.conf"
"$MUGAI" sanitize -q -c "$T/timeout.conf" -o "$T/out2" "$T/in/big.html" "$T/in/small.txt" > /dev/null 2> "$T/err2"
[ -f "$T/out2/small.txt" ] && cmp -s "$T/out2/small.txt" "$T/in/small.txt" || fail "after a timeout the next file was not sanitized: $(cat "$T/err2")"

# 3
if unshare -m true 2>/dev/null; then
  head -c 3000000 /dev/zero | tr '\0' 'a' | fold -w 70 > "$T/in/large.txt"
  mkdir -p "$T/full"
  cat > "$T/full.sh" <<SH
set -e
mount -t tmpfs -o size=1m,mode=1777 tmpfs "$T/full"
cp "$T/base.conf" "$T/full.conf"
printf '[general]\ntmpdir = $T/full\nspool-threshold = 64K\n' >> "$T/full.conf"
sed -i '0,/^\[general\]/!{/^\[general\]/d}' "$T/full.conf"
set +e
"$MUGAI" sanitize -q -c "$T/full.conf" -o "$T/out3" -r "$T/r3.json" "$T/in/big.html" "$T/in/small.txt" > /dev/null 2> "$T/err3"
echo \$? > "$T/rc3"
SH
  if unshare -m bash "$T/full.sh" 2> "$T/mount.err"; then
    rc=$(cat "$T/rc3")
    [ "$rc" -eq 2 ] || fail "disk full: exit $rc, want 2; stderr: $(cat "$T/err3")"
    [ ! -e "$T/out3/big.txt" ] || fail "disk full: a partial output was written"
    [ -f "$T/out3/small.txt" ] || fail "disk full: the small file was not sanitized: $(cat "$T/err3")"
    python3 - "$T/r3.json" <<'PY' || fail "disk full: report"
import json, sys
jobs = {j["input"].rsplit("/", 1)[1]: j["report"]["root"] for j in json.load(open(sys.argv[1]))["jobs"]}
big = jobs["big.html"]
assert big["verdict"] == "tempfail" and big["reason"] in ("resources", "internal"), big
assert jobs["small.txt"]["verdict"] == "clean", jobs["small.txt"]
PY
  else
    echo "SKIP part 3 (spool disk full): cannot mount a tmpfs here: $(cat "$T/mount.err")"
  fi
else
  echo "SKIP part 3 (spool disk full): unshare -m is not permitted (needs root or user namespaces)"
fi

# 4
cp "$T/base.conf" "$T/req.conf"
printf '[clamav]\nmode = required\nsystem-db = %s/no-such-db\n' "$T" >> "$T/req.conf"
"$MUGAI" sanitize -q -c "$T/req.conf" -o "$T/out4" "$T/in/small.txt" > /dev/null 2> "$T/err4"
rc=$?
[ $rc -eq 2 ] || fail "clamav required: exit $rc, want 2"
grep -q 'clamav = required' "$T/err4" || fail "clamav required: stderr: $(cat "$T/err4")"
[ ! -e "$T/out4/small.txt" ] || fail "clamav required: something was written"

# 5
cp "$T/base.conf" "$T/off.conf"
printf '[general]\nlog-level = warn\n[sandbox]\nmode = off\n' >> "$T/off.conf"
"$MUGAI" sanitize -q -c "$T/off.conf" -o "$T/out5" "$T/in/small.txt" > /dev/null 2> "$T/err5" || true
grep -q 'mode = off: untrusted input is parsed INSIDE this process' "$T/err5" || fail "mode off is not announced: $(cat "$T/err5")"
echo "sandbox faults: all passed"

#!/usr/bin/env bash
# The test command: installs what the tests need, builds mugai twice (plain
# with -Werror, and with AddressSanitizer + UndefinedBehaviorSanitizer), runs
# every unit and integration test, and ends with "N passed, N failed".
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
jobs=$(nproc 2>/dev/null || echo 2)

bash scripts/install-deps.sh --tests || { echo "0 passed, 1 failed"; exit 1; }

passed=0; failed=0; skipped=0
count() { # count meson's testlog.json of build dir $1
  local log="$1/meson-logs/testlog.json"
  [ -f "$log" ] || { failed=$((failed + 1)); echo "no test log in $1" >&2; return; }
  read -r p f s < <(python3 - "$log" <<'PY'
import json, sys
p = f = s = 0
for line in open(sys.argv[1]):
    r = json.loads(line)["result"]
    if r in ("OK", "EXPECTEDFAIL"): p += 1
    elif r == "SKIP": s += 1
    else: f += 1
print(p, f, s)
PY
)
  passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
}

step() { echo "== $*" >&2; }

build() { # build dir, meson options...
  local dir=$1; shift
  if [ ! -f "$dir/build.ninja" ]; then
    meson setup "$dir" --werror "$@" >/dev/null || return 1
  fi
  ninja -C "$dir" -j "$jobs" >/dev/null || ninja -C "$dir" -j 1
}

step "build (plain, -Werror)"
if build build-test; then
  step "tests (plain)"
  meson test -C build-test --num-processes "$jobs" --print-errorlogs --suite unit --suite integration --suite fuzz-replay --suite package
  count build-test
else
  echo "build failed" >&2; failed=$((failed + 1))
fi

step "build (ASan+UBSan)"
if build build-asan -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug; then
  step "tests (ASan+UBSan)"
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    meson test -C build-asan --num-processes "$jobs" --print-errorlogs --suite unit --suite fuzz-replay
  count build-asan
else
  echo "ASan build failed" >&2; failed=$((failed + 1))
fi

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]

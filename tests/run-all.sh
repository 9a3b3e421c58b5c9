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

# valgrind memcheck over the engine's unit tests (plain build): zero errors
# and no definite leaks, one test each. The sandbox pool test is left out:
# seccomp-confined workers cannot run under valgrind's own system calls.
step "valgrind memcheck (engine unit tests)"
if command -v valgrind >/dev/null 2>&1 && [ -d build-test/tests ]; then
  for t in core engine quarantine sandbox_frame; do
    exe=build-test/tests/test_$t
    if [ ! -x "$exe" ]; then
      echo "valgrind: $exe missing" >&2; failed=$((failed + 1)); continue
    fi
    if (cd build-test/tests && MG_SOURCE_ROOT="$here" MG_BUILD_ROOT="$here/build-test" LC_ALL=C.UTF-8 \
        valgrind -q --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite \
        "./test_$t" >"../meson-logs/valgrind-$t.log" 2>&1); then
      passed=$((passed + 1))
    else
      echo "valgrind: test_$t has errors (build-test/meson-logs/valgrind-$t.log):" >&2
      tail -n 30 "build-test/meson-logs/valgrind-$t.log" >&2
      failed=$((failed + 1))
    fi
  done
else
  echo "valgrind or the plain build is missing" >&2; failed=$((failed + 1))
fi

# Short libFuzzer runs (clang): each harness counts as one test.
step "fuzz (libFuzzer, ${FUZZ_SECONDS:-20}s per harness)"
fuzz_out=$(bash tests/fuzz/run-short.sh)
frc=$?
echo "$fuzz_out" | tail -n 1 >&2
if [ $frc -eq 77 ]; then
  skipped=$((skipped + 1))
elif read -r fp _ ff _ < <(echo "$fuzz_out" | tail -n 1) && [[ "$fp" =~ ^[0-9]+$ && "$ff" =~ ^[0-9]+$ ]]; then
  passed=$((passed + fp)); failed=$((failed + ff))
  [ $frc -ne 0 ] && [ "$ff" -eq 0 ] && failed=$((failed + 1))
else
  failed=$((failed + 1))
fi

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]

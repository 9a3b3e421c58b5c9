#!/usr/bin/env bash
# Short libFuzzer run of every harness (fuzz/fuzz_*.c), for the test
# command: builds mugai with clang, -Dfuzzing=true and ASan+UBSan into
# build-fuzz/, then runs each harness for FUZZ_SECONDS (default 20) from a
# copy of its seed corpus (fuzz/corpus/<name>/; the seeds are not changed).
# Any crash, leak, sanitizer report or timeout fails that harness; the
# input that did it is kept in build-fuzz/fuzz-artifacts/ (turn it into a
# regression seed under fuzz/corpus/<name>/).
#
# Ends with "N passed, N failed" (one per harness). Exit 0 when all passed,
# 77 when clang or its libFuzzer runtime is absent (a dev box), 1 otherwise.
#
# Long run (documented in doc/sandbox.md), e.g. one harness for an hour on
# every core:  FUZZ_SECONDS=3600 FUZZ_ONLY=pdf FUZZ_JOBS=$(nproc) tests/fuzz/run-short.sh
set -uo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
cd "$here"
secs=${FUZZ_SECONDS:-20}
dir=${FUZZ_BUILD:-build-fuzz}
only=${FUZZ_ONLY:-}
fjobs=${FUZZ_JOBS:-1}

if ! command -v clang >/dev/null 2>&1; then
  echo "run-short: clang is not installed; skipping the fuzz runs (apt-get install clang libclang-rt-dev)" >&2
  exit 77
fi
probe=$(mktemp -d)
printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { (void)d; (void)n; return 0; }\n' > "$probe/p.c"
if ! clang -fsanitize=fuzzer,address "$probe/p.c" -o "$probe/p" 2>/dev/null; then
  rm -rf "$probe"
  echo "run-short: clang has no libFuzzer runtime; skipping (apt-get install libclang-rt-dev)" >&2
  exit 77
fi
rm -rf "$probe"

if [ ! -f "$dir/build.ninja" ]; then
  CC=clang CXX=clang++ meson setup "$dir" -Dfuzzing=true -Db_sanitize=address,undefined \
    -Db_lundef=false -Dbuildtype=debugoptimized -Dtests=disabled >/dev/null || {
    echo "run-short: meson setup failed" >&2; echo "0 passed, 1 failed"; exit 1; }
fi
if ! ninja -C "$dir" -j "$(nproc 2>/dev/null || echo 2)" >/dev/null; then
  echo "run-short: the fuzzing build failed" >&2; echo "0 passed, 1 failed"; exit 1
fi

mkdir -p "$dir/fuzz-artifacts"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0; failed=0
for exe in "$dir"/fuzz/fuzz_*; do
  [ -x "$exe" ] && [ -f "$exe" ] || continue
  name=${exe##*/fuzz_}
  [ -n "$only" ] && [ "$name" != "$only" ] && continue
  seeds="$here/fuzz/corpus/$name"
  mkdir -p "$work/$name"
  dict=()
  [ -f "$here/fuzz/$name.dict" ] && dict=(-dict="$here/fuzz/$name.dict")
  start=$(date +%s)
  # -timeout: one input taking longer is a hang (a bug); -rss_limit_mb: a
  # bounded engine never touches more; -jobs: parallel runs for long runs.
  # Allocations are judged like in a worker ([sandbox] memory = 4G, RLIMIT_AS):
  # up to 4 GiB may be asked for (libarchive callocs what a 7z header claims
  # and touches none of it), beyond that malloc returns NULL, which the
  # parsers must survive.
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:allocator_may_return_null=1:max_allocation_size_mb=4096 \
  UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    "$exe" -max_total_time="$secs" -timeout=25 -rss_limit_mb=2560 -malloc_limit_mb=4096 -print_final_stats=1 \
      -artifact_prefix="$dir/fuzz-artifacts/$name-" "${dict[@]}" \
      $([ "$fjobs" -gt 1 ] && echo "-jobs=$fjobs -workers=$fjobs") \
      "$work/$name" $([ -d "$seeds" ] && echo "$seeds") > "$work/$name.log" 2>&1
  rc=$?
  took=$(( $(date +%s) - start ))
  execs=$(grep -a -m1 'stat::number_of_executed_units' "$work/$name.log" | awk '{print $2}')
  if [ $rc -eq 0 ]; then
    passed=$((passed + 1))
    echo "fuzz $name: ok (${took}s, ${execs:-?} runs)" >&2
  else
    failed=$((failed + 1))
    echo "fuzz $name: FAILED (exit $rc after ${took}s); log tail:" >&2
    tail -n 40 "$work/$name.log" >&2
    ls "$dir/fuzz-artifacts/$name-"* 2>/dev/null | sed 's/^/  artifact: /' >&2
  fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]

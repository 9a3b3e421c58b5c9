#!/usr/bin/env bash
# The first README command: installs the build dependencies (Debian 12, as
# root), builds mugai, and runs it on its embedded defaults over the bundled
# demo samples (tests/fixtures/gen_demo.py), printing the summary and one
# notice. Output lands in build-demo/demo-out, the JSON report next to it.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
bash scripts/install-deps.sh
if [ ! -f build-demo/build.ninja ]; then
  meson setup build-demo -Dtests=disabled >/dev/null
fi
ninja -C build-demo >/dev/null
rm -rf build-demo/demo-in build-demo/demo-out
python3 tests/fixtures/gen_demo.py build-demo/demo-in
echo "== mugai sanitize build-demo/demo-in -o build-demo/demo-out"
set +e
build-demo/src/cli/mugai sanitize -o build-demo/demo-out -r build-demo/demo-report.json build-demo/demo-in
rc=$?
set -e
echo
echo "== files written"
(cd build-demo/demo-out && find . -type f | sort)
for f in build-demo/demo-out/*.blocked.txt; do
  [ -f "$f" ] || continue
  echo; echo "== $f"; cat "$f"; break
done
echo
echo "JSON report: build-demo/demo-report.json (exit status $rc: 1 means something was blocked, as expected here)"
[ "$rc" -le 1 ]

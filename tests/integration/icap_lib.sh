# Helpers for the ICAP integration scripts (sourced): lib.sh plus an
# [icap] configuration and the generated fixtures.
MG_TEST_KIND=icap
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# write_conf FILE key=value...: SMTP off, an [icap] section (other
# sections' keys as section.key=value).
write_conf() {
    local f=$1; shift
    {
        echo "[general]"
        echo "tmpdir = $T"
        echo "audit = $T/audit.log"
        echo "quarantine-dir = $T/quarantine"
        echo "log-level = info"
        echo "[smtp]"
        echo "listen ="
        echo "[icap]"
        for kv in "$@"; do echo "${kv%%=*} = ${kv#*=}"; done
    } >"$f"
}

FX=$T/fx
python3 "$MG_SOURCE_ROOT/tests/fixtures/gen_icap.py" "$FX"
CORPUS=$MG_SOURCE_ROOT/../shared/corpus

#!/bin/bash
# OOXML sanitizer, end to end over generated fixtures and the shared corpus:
# (c) each file gets the expected verdict and actions, (a) an independent
#     checker (tests/fixtures/check_ooxml.py) finds no active content left,
# (b) LibreOffice extracts the same text from the output as from the input.
# Each file goes through the unit-test binary's --rebuild driver (the
# sanitizer's code alone) and through `$MUGAI sanitize` (the whole engine);
# the two must agree.
set -u
SRC=${MG_SOURCE_ROOT:?}
BUILD=${MG_BUILD_ROOT:?}
DRIVER=$BUILD/tests/test_ooxml
CORPUS=$SRC/../shared/corpus/ooxml
W=$BUILD/ooxml-it
rm -rf "$W" && mkdir -p "$W/fx" "$W/out" "$W/lo/in" "$W/lo/out"
fail=0
err() { echo "FAIL: $*"; fail=1; }

python3 "$SRC/tests/fixtures/gen_ooxml.py" "$W/fx" || { echo "fixture generation failed"; exit 1; }

# name <TAB> path <TAB> verdict <TAB> actions (comma list) or blocked reason
{
    while IFS=$'\t' read -r name verdict what; do
        printf '%s\t%s\t%s\t%s\n' "$name" "$W/fx/$name" "$verdict" "$what"
    done < "$W/fx/expected.tsv"
    if [ -d "$CORPUS" ]; then
        while IFS=$'\t' read -r name verdict what; do
            printf '%s\t%s\t%s\t%s\n' "$name" "$CORPUS/$name" "$verdict" "$what"
        done <<'TSV'
ot_autostart-encrypt-standardpassword.xlsm	blocked	
ot_dde-test.docm	sanitized	dde-removed,renamed
ot_dde-test.docx	sanitized	dde-removed
ot_dde-test.xlsx	sanitized	dde-removed
ot_embedded-simple-2007.docx	sanitized	ole-removed
ot_embedded-simple-2007.pptx	sanitized	ole-removed
ot_embedded-simple-2007.xlsx	sanitized	ole-removed
ot_encrypted.docx	blocked	
ot_excel4_sample_macro.xlsm	sanitized	xlm-removed,renamed
ot_external_link.docx	sanitized	ole-removed
ot_external_link.pptx	sanitized	ole-removed
ot_external_link.xlsx	sanitized	external-removed,ole-removed
ot_harmless-clean.docx	clean	
ot_oleform-PR314.docm	sanitized	vba-removed,renamed
TSV
    else
        echo "note: $CORPUS missing, corpus part skipped"
    fi
} > "$W/cases.tsv"

outputs=()
while IFS=$'\t' read -r name path verdict what; do
    out="$W/out/$name"
    rep="$W/out/$name.report"
    timeout 60 "$DRIVER" --rebuild "$path" "$out" > "$rep" 2>&1
    rc=$?
    [ $rc -eq 0 ] || { err "$name: driver exit $rc"; cat "$rep"; continue; }
    read -r got reason _ < "$rep"
    [ "$got" = "$verdict" ] || { err "$name: verdict $got, expected $verdict"; cat "$rep"; continue; }
    if [ "$verdict" = blocked ]; then
        [ -z "$what" ] || [ "$reason" = "$what" ] || err "$name: reason $reason, expected $what"
        [ ! -e "$out" ] || err "$name: blocked but output written"
        continue
    fi
    IFS=, read -ra want <<< "$what"
    for a in "${want[@]}"; do
        tail -n +2 "$rep" | grep -q "^$a " || err "$name: action $a missing"
    done
    if [ "$verdict" = clean ]; then
        [ "$(wc -l < "$rep")" -eq 1 ] || err "$name: clean but actions reported"
    fi
    # The output name is the renamed one when the driver says so.
    newname=$(sed -n 's/^renamed //p' "$rep")
    outputs+=("$name|$path|$out|${newname:-$name}")
done < "$W/cases.tsv"

# (a) independent checker over every output
files=()
for o in "${outputs[@]}"; do IFS='|' read -r _ _ out _ <<< "$o"; files+=("$out"); done
python3 "$SRC/tests/fixtures/check_ooxml.py" "${files[@]}" || err "checker found active content"
echo "checked ${#files[@]} outputs, $(wc -l < "$W/cases.tsv") cases"

# End to end through `mugai sanitize` (type detection, policy, scans, the
# ooxml sanitizer, verification): same verdicts and actions as the driver,
# byte-identical rebuilt files, and a report with the actions.
mapfile -t inputs < <(cut -f2 "$W/cases.tsv")
LC_ALL=C.UTF-8 timeout 300 "$MUGAI" sanitize -q -o "$W/cli" -r "$W/cli.json" "${inputs[@]}" \
    > "$W/cli.log" 2>&1
rc=$?
[ $rc -le 1 ] || { err "mugai sanitize exit $rc"; cat "$W/cli.log"; }
python3 - "$W" <<'PY' || err "mugai sanitize disagrees with the sanitizer"
import json, os, sys, filecmp
w = sys.argv[1]
# Files whose CLI verdict differs from the driver's on purpose: none. (The
# engine once typed ot_external_link.docx by libmagic alone; it now checks
# for [Content_Types].xml when libmagic says octet-stream too.)
KNOWN = {}
cases = {}
for line in open(os.path.join(w, "cases.tsv")):
    name, path, verdict, what = line.rstrip("\n").split("\t")
    cases[path] = name
jobs = json.load(open(os.path.join(w, "cli.json")))["jobs"]
bad = 0
seen = set()
for j in jobs:
    name = cases.get(j["input"])
    if name is None:
        continue
    seen.add(name)
    root = j["report"]["root"]
    rep = open(os.path.join(w, "out", name + ".report")).read().splitlines()
    dverdict, dreason = rep[0].split(" ")[:2]
    dactions = sorted(l.split(" ", 1)[0] for l in rep[1:])
    cactions = sorted(a["action"] for a in root["actions"])
    if name in KNOWN:
        if (root["verdict"], root["reason"]) != KNOWN[name]:
            print("%s: known type-detection issue changed: %s %s (update KNOWN)" % (name, root["verdict"], root["reason"]))
            bad = 1
        continue
    if (root["verdict"], root["reason"]) != (dverdict, dreason) and not (
            dverdict == "blocked" and root["verdict"] == "blocked" and root["reason"] == "encrypted"):
        print("%s: cli %s/%s, sanitizer %s/%s" % (name, root["verdict"], root["reason"], dverdict, dreason))
        bad = 1
        continue
    if root["verdict"] == "blocked":
        continue
    if root["sanitizer"]["name"] != "ooxml":
        print("%s: handled by %s" % (name, root["sanitizer"]["name"]))
        bad = 1
    if cactions != dactions:
        print("%s: cli actions %s, sanitizer %s" % (name, cactions, dactions))
        bad = 1
    if root["verdict"] == "sanitized" and not filecmp.cmp(j["output"], os.path.join(w, "out", name), shallow=False):
        print("%s: cli output differs from the sanitizer's" % name)
        bad = 1
    if root["indicators"]["after"]:
        print("%s: indicators after sanitizing: %s" % (name, root["indicators"]["after"]))
        bad = 1
missing = set(cases.values()) - seen
if missing:
    print("not in the report: %s" % sorted(missing))
    bad = 1
print("mugai sanitize: %d jobs agree with the sanitizer" % len(seen))
sys.exit(bad)
PY
mapfile -t cli_out < <(find "$W/cli" -type f ! -name '*.blocked.txt')
[ ${#cli_out[@]} -gt 0 ] && { python3 "$SRC/tests/fixtures/check_ooxml.py" "${cli_out[@]}" ||
    err "checker found active content in mugai sanitize output"; }

# (b) LibreOffice text equality
if ! command -v soffice > /dev/null || ! command -v pdftotext > /dev/null; then
    echo "soffice/pdftotext not installed: text comparison skipped"
    [ $fail -eq 0 ] && exit 77
    exit 1
fi
for o in "${outputs[@]}"; do
    IFS='|' read -r name path out newname <<< "$o"
    stem=${name//./_}
    cp "$path" "$W/lo/in/orig_$stem.${name##*.}"
    cp "$out" "$W/lo/in/san_$stem.${newname##*.}"
done
lo() {  # filter, files...
    local filter=$1; shift
    [ $# -gt 0 ] || return 0
    timeout 600 soffice -env:UserInstallation="file://$W/lo/profile" --headless --norestore \
        --convert-to "$filter" --outdir "$W/lo/out" "$@" > "$W/lo/soffice.log" 2>&1 ||
        err "soffice --convert-to $filter failed"
}
shopt -s nullglob
lo txt:Text "$W"/lo/in/*.doc[xm] "$W"/lo/in/*.dot[xm]
# Every sheet to its own file (-1 = all sheets; 76 = UTF-8), so removing an
# XLM macro sheet does not shift which sheet is compared.
lo 'csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1' \
    "$W"/lo/in/*.xls[xm] "$W"/lo/in/*.xlt[xm]
lo pdf "$W"/lo/in/*.ppt[xm] "$W"/lo/in/*.pot[xm] "$W"/lo/in/*.pps[xm]
for f in "$W"/lo/out/*.pdf; do pdftotext -enc UTF-8 "$f" "${f%.pdf}.pdftxt"; done
compared=0
for f in "$W"/lo/out/orig_*; do
    case $f in *.pdf) continue ;; esac
    base=${f##*/orig_}
    s="$W/lo/out/san_$base"
    if [ ! -e "$s" ]; then
        # Only a removed macro sheet may be missing from the output.
        stem=${base%%-*}
        name=$(awk -F'\t' -v s="$stem" '{ n = $1; gsub(/\./, "_", n); if (n == s) print $1 }' "$W/cases.tsv")
        if [[ $base == *.csv ]] && grep -q '^xlm-removed xl/macrosheets/' "$W/out/$name.report" 2>/dev/null; then
            echo "note: sheet ${base#*-} of $name was an XLM macro sheet and is gone"
            continue
        fi
        err "no LibreOffice output for sanitized $base"
        continue
    fi
    if cmp -s "$f" "$s"; then
        compared=$((compared + 1))
    else
        err "text differs after sanitizing: ${f##*/orig_}"
        diff "$f" "$s" | head -10
    fi
done
[ $compared -gt 0 ] || err "LibreOffice produced nothing to compare"
echo "LibreOffice: $compared files with identical text"
exit $fail

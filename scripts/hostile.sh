#!/usr/bin/env bash
# Hostile but fair use of the chainplan binary, by class (issue 14). Each case must end as the
# contract says: exit 0, or exit 2 with exactly one `error:` line on standard error; never a
# panic (101), an abort (134), a hang (timeout) or a lost file. Prints a count per class.
#
#   scripts/hostile.sh [path/to/chainplan]    (default: target/release/chainplan)
set -u
BIN=${1:-target/release/chainplan}
BIN=$(realpath "$BIN")
export XDG_CONFIG_HOME=$(mktemp -d)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK" "$XDG_CONFIG_HOME"' EXIT
declare -A TRIED BAD
CLASS=""
PANICS=0 ABORTS=0 HANGS=0 LOST=0

class() { CLASS=$1; TRIED[$CLASS]=0; BAD[$CLASS]=0; }

# check STATUS STDERR-FILE WHAT: the contract for one run.
check() {
    local status=$1 err=$2 what=$3 ok=1
    TRIED[$CLASS]=$((TRIED[$CLASS] + 1))
    case $status in
        0) ;;
        2) [ "$(wc -l < "$err")" -eq 1 ] && head -c 7 "$err" | grep -q '^error: ' || ok=0 ;;
        101) PANICS=$((PANICS + 1)); ok=0 ;;
        134) ABORTS=$((ABORTS + 1)); ok=0 ;;
        124|137) HANGS=$((HANGS + 1)); ok=0 ;;
        *) ok=0 ;;
    esac
    grep -q -e 'panicked' -e 'RUST_BACKTRACE' "$err" && { PANICS=$((PANICS + 1)); ok=0; }
    if [ $ok = 0 ]; then
        BAD[$CLASS]=$((BAD[$CLASS] + 1))
        echo "FAIL [$CLASS] status $status: $what: $(head -c 300 "$err")"
    fi
}

# run ARGS...: one case, 30 s at most.
run() {
    timeout 30 "$BIN" "$@" > "$WORK/out" 2> "$WORK/err" < /dev/null
    check $? "$WORK/err" "$*"
}

# refuse ARGS...: a case that must be refused (exit 2, one line), not accepted.
refuse() {
    timeout 30 "$BIN" "$@" > "$WORK/out" 2> "$WORK/err" < /dev/null
    local status=$?
    [ $status = 0 ] && { echo "not refused" > "$WORK/err"; status=1; }
    check $status "$WORK/err" "$*"
}

# limited KIB ARGS...: one case under `ulimit -v KIB`.
limited() {
    local kib=$1; shift
    sh -c "ulimit -v $kib; exec timeout 30 \"\$@\"" sh "$BIN" "$@" > "$WORK/out" 2> "$WORK/err" < /dev/null
    check $? "$WORK/err" "ulimit -v $kib: $*"
}

MAX=18446744073709551615
HUGE=$(head -c 100000 /dev/zero | tr '\0' 7)
ESC=$'3\e[2J'

class usage
for args in "plan 3 4 --bogus" "plan 3 4 --jsn" "plan 3 4 5 --json --dot" "plan 3 4 5 --minimize speed" \
    "plan 3 4 5 --cost money" "plan 3 4 --algorithm" "bench 3 4 --reps x" "bench 3 4 --reps=" \
    "jacobian" "grad" "frobnicate" "" "plan --file" "jacobian 3 4 --seed sideways" \
    "calibrate --dtype" "grad x --at" "plan 3 4 --export-json" "bench 3 4 --dtype f16" \
    "plan --help" "--version" "bench -h"; do
    # shellcheck disable=SC2086
    run $args
done
run plan 3 4 "--$HUGE"
run plan 3 4 "--$ESC"

class limits
for args in "bench 10 20 30 --reps 1000000000000" "bench 10 20 30 --reps $MAX" "bench 10 20 30 --reps 0" \
    "bench 10 20 30 --warmup $MAX --reps 1" "bench 10 20 30 --warmup 100001" \
    "bench 10 20 30 --threads 0" "bench 10 20 30 --threads 1000000" \
    "calibrate --validation 1000000000000" "calibrate --validation $MAX" "calibrate --rounds 0" \
    "calibrate --rounds 1000" "calibrate --max-dim 100000" "calibrate --seconds-per-shape 1e300" \
    "calibrate --seconds-per-shape NaN" "calibrate --seconds-per-shape=-1" \
    "jacobian 3 4 --seed output --seed-size 99999999999999" "jacobian 3 4 --seed input --seed-size 0" \
    "plan 3 4 5 6 --max-memory 1" "plan 3 4 5 --max-memory 1e400GB" "plan 3 4 5 --max-intermediate $MAX$MAX" \
    "bench 100000 100000 100000" "bench 10 20 30 --max-memory 0"; do
    # shellcheck disable=SC2086
    refuse $args
done

class messages
refuse plan 3 "$HUGE"
refuse plan 3 "$ESC" 4
refuse plan 3 4 --algorithm "$ESC"
refuse jacobian 3 4 5 --tangent-costs "1,$(printf '9%.0s' {1..39})" --adjoint-costs 1,2
run grad 'x*y' --at x=1e300,y=1e300
run grad 'x^y' --at x=1e10,y=400
refuse grad x --at "$ESC"
refuse grad "$ESC"
run grad "$(head -c 1000 /dev/zero | tr '\0' '(')x"
refuse plan 3 4 --max-memory "$ESC"
refuse expr 'A*B' --op "A=3x4$ESC" --op B=4x5
refuse expr 'A*B' --op "A=3x4$HUGE" --op B=4x5
refuse expr 'A*B' --op A=99999999999999999999x4 --op B=4x5
refuse expr "A*B$ESC" --op A=3x4 --op B=4x5
refuse expr "$(head -c 5000 /dev/zero | tr '\0' '(')A" --op A=3x3
printf '\xef\xbb\xbf30 35 15 5 10 20 25\n' > "$WORK/bom.txt"
run plan --file "$WORK/bom.txt"
head -c 100000 /dev/urandom > "$WORK/random.bin"
run plan --file "$WORK/random.bin"
run plan 3 4 --profile "$WORK/random.bin" --cost time
python3 -c "print('['*100000)" > "$WORK/deep.json" 2>/dev/null && run plan 3 4 --profile "$WORK/deep.json" --cost time

class ambiguous
for args in "plan '' 3 4" "plan 3,,4,5" "plan ,3,4" "plan 3,4," "plan 3 4 5 --export-plan - --export-json -" \
    "plan 3 4 5 --json --export-json -" "plan 3 4 5 --dot --export-csv -" \
    "plan 3 4 5 --export-csv - --export-markdown -" "jacobian 3 4 5 --json --export-markdown -" \
    "expr A*B --op A=3x4 --op B=4x5 --dot --export-csv -" \
    "plan 3 4 5 --export-json $WORK/a --export-csv $WORK/a" \
    "plan 3 4 5 --export-plan $WORK/a --export-csv $WORK/../$(basename "$WORK")/a"; do
    eval "refuse $args"
done
refuse plan "" 3 4
refuse jacobian 3 "" 4
refuse bench 3 " " 4

class files
for flag in --export-json --export-markdown --export-csv --export-plan; do
    echo "old, good contents" > "$WORK/target"
    before=$(md5sum < "$WORK/target")
    sh -c 'trap "" XFSZ; ulimit -f 2; exec timeout 30 "$@"' sh "$BIN" plan --file data/random-200.txt \
        "$flag" "$WORK/target" > /dev/null 2> "$WORK/err"
    check $? "$WORK/err" "full target $flag"
    [ "$(md5sum < "$WORK/target")" = "$before" ] || { LOST=$((LOST + 1)); echo "LOST: $flag"; }
    { sh -c 'ulimit -f 2; exec timeout 30 "$@"' sh "$BIN" plan --file data/random-200.txt \
        "$flag" "$WORK/target" > /dev/null 2>&1; } 2> /dev/null
    TRIED[$CLASS]=$((TRIED[$CLASS] + 1))
    [ "$(md5sum < "$WORK/target")" = "$before" ] || { LOST=$((LOST + 1)); echo "LOST (killed): $flag"; }
done
rm -f "$WORK"/.target.*
for i in 1 2 3 4 5 6 7 8 9 10; do
    for dims in "30 35 15 5 10 20 25" "10 100 5 50 7 3 9 11 4 8 2 6" "5 6 7"; do
        # shellcheck disable=SC2086
        "$BIN" plan $dims --export-json "$WORK/race.json" > /dev/null &
    done
    wait
    TRIED[$CLASS]=$((TRIED[$CLASS] + 1))
    python3 -c "import json,sys; json.load(open(sys.argv[1]))" "$WORK/race.json" \
        || { LOST=$((LOST + 1)); echo "TORN: race $i"; }
done
touch "$WORK/afile"
run calibrate --profile "$WORK/afile/gemm.json"
run plan 3 4 --export-json "$WORK/no/such/dir/x.json"
run plan 3 4 --export-json "$WORK"

class memory
for args in "--version" "plan 30 35 15 5 10 20 25" "jacobian 784 512 10 --seed output" \
    "grad x*y --at x=1,y=2" "bench 30 40 50 --reps 1" "plan 3 0"; do
    # shellcheck disable=SC2086
    limited 150000 $args
    # shellcheck disable=SC2086
    OPENBLAS_NUM_THREADS=2 limited 150000 $args
done
head -c 16002 /dev/zero | tr '\0' ' ' | sed 's/ /7 /g' > "$WORK/dp.txt"
limited 1000000 plan --file "$WORK/dp.txt" --algorithm dp
limited 2000000 expr 'inv(A)*B' --op A=20000x20000:spd --op B=20000x3 --bench --reps 1
python3 -c "import sys; sys.stdout.write('7 3 ' * 5000000)" > "$WORK/long.txt"
limited 1500000 plan --file "$WORK/long.txt" --algorithm hu-shing --json
limited 2500000 plan --file "$WORK/long.txt" --algorithm hu-shing --json
W=$(printf '5 %.0s' {1..5001}); C=$(printf '3,%.0s' {1..5000}); C=${C%,}
# shellcheck disable=SC2086
limited 400000 jacobian $W --tangent-costs "$C" --adjoint-costs "$C"

echo
total=0 bad=0
for c in usage limits messages ambiguous files memory; do
    printf '%-10s %4d tried, %d outside the contract\n' "$c" "${TRIED[$c]}" "${BAD[$c]}"
    total=$((total + TRIED[$c])); bad=$((bad + BAD[$c]))
done
echo "total: $total tried; panics $PANICS, aborts $ABORTS, hangs $HANGS, lost or torn files $LOST, other failures $bad"
[ $((PANICS + ABORTS + HANGS + LOST + bad)) -eq 0 ]

#!/usr/bin/env bash
# Usage: scripts/test-totals.sh RESULTS_DIR
#
# Sums the <Counters> of every TRX file in RESULTS_DIR and prints, as its last line,
# "N passed, M failed" plus ", K skipped" when K > 0. Exits 1 when anything failed.
#
# RESULTS_DIR/exit-codes, when present, holds one "<project> <dotnet test exit code>" line per
# project. A project whose run crashed left no TRX (or a TRX with no failure in it), so its
# counters alone would report success: each such project counts as one failure.
set -euo pipefail

dir=${1:?usage: $0 RESULTS_DIR}
passed=0
failed=0
skipped=0

# Prints attribute $1 of the <Counters .../> element in $2 (0 when absent).
counter() {
    local value
    value=$(sed -n "s/.* $1=\"\([0-9]*\)\".*/\1/p" <<<"$2")
    echo "${value:-0}"
}

# Prints the failures recorded in TRX file $1 (failed, errored, timed out, aborted).
trx_failures() {
    local counters
    counters=$(grep -o '<Counters [^>]*>' "$1" || true)
    echo $(( $(counter failed "$counters") + $(counter error "$counters") \
        + $(counter timeout "$counters") + $(counter aborted "$counters") ))
}

shopt -s nullglob
for trx in "$dir"/*.trx; do
    counters=$(grep -o '<Counters [^>]*>' "$trx" || true)
    if [[ -z $counters ]]; then
        echo "$(basename "$trx"): no <Counters> element; counting the run as failed"
        failed=$((failed + 1))
        continue
    fi
    passed=$((passed + $(counter passed "$counters") + $(counter passedButRunAborted "$counters")))
    failed=$((failed + $(trx_failures "$trx")))
    # VSTest leaves notExecuted at 0 for xunit skips and only lowers "executed", so a skip is
    # whichever of the two is larger.
    not_run=$(( $(counter total "$counters") - $(counter executed "$counters") ))
    not_executed=$(counter notExecuted "$counters")
    skipped=$((skipped + (not_run > not_executed ? not_run : not_executed)))
done

if [[ -f $dir/exit-codes ]]; then
    while read -r project code; do
        [[ $code == 0 ]] && continue
        if [[ ! -f $dir/$project.trx ]]; then
            echo "$project: dotnet test exited with $code and wrote no TRX (build or test host failure); counted as 1 failed"
            failed=$((failed + 1))
        elif [[ $(trx_failures "$dir/$project.trx") == 0 ]]; then
            echo "$project: dotnet test exited with $code but its TRX records no failure (test host crash or aborted run?); counted as 1 failed"
            failed=$((failed + 1))
        fi
    done <"$dir/exit-codes"
fi

summary="$passed passed, $failed failed"
if ((skipped > 0)); then
    summary+=", $skipped skipped"
fi
echo "$summary"

((failed == 0))

#!/usr/bin/env bash
# Proof that the stack always comes back (issue 8, point 6): N cycles of a short broker-kill experiment (the
# chaos suite's leader kill with a small stream of orders) followed by `make down && make up`, each checked with
# `make status`. Prints one line per cycle and a summary; exit 1 if any cycle did not come back healthy.
# Usage: scripts/stack-cycles.sh [N=20]   (the stack must be up at the start)
set -uo pipefail
cd "$(dirname "$0")/.."
cycles=${1:-20}
healthy=0
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for i in $(seq 1 "$cycles"); do
  started=$(date +%s)
  QA_ALLURE_RESULTS="$work/results" QA_METRICS="$work/metrics.json" QA_SUITE=chaos QA_PROFILE=pr CHAOS_ORDERS=20 \
    .venv/bin/python -m chaos.suite >"$work/chaos.log" 2>&1
  chaos=$?
  .venv/bin/python -m system.stack down >/dev/null 2>&1
  if .venv/bin/python -m system.stack up >"$work/up.log" 2>&1 && .venv/bin/python -m system.stack status >/dev/null 2>&1; then
    healthy=$((healthy + 1))
    echo "cycle $i: experiment exit $chaos, stack healthy after down/up ($(( $(date +%s) - started )) s)"
  else
    echo "cycle $i: experiment exit $chaos, stack NOT healthy after down/up; end of the log:"
    tail -5 "$work/up.log"
    .venv/bin/python -m system.stack up >/dev/null 2>&1  # bring it back for the next cycle
  fi
done
echo "$healthy of $cycles cycles came back healthy"
[ "$healthy" -eq "$cycles" ]

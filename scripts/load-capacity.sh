#!/usr/bin/env bash
# The largest number of sessions this machine holds with a given mix (issue 12's capacity
# question): runs scripts/load.sh at rising session counts with --hold-p99 and stops at the first
# level that does not hold (a phone packet lost or unaccounted, a failed join or stream, or
# phone -> client p99 above the bound). Each level is a separate run of about 2 minutes (start,
# joins, --duration of load, leave); every run's output stays under the output directory.
#
#   scripts/load-capacity.sh                                   issue 12's mix: 10% up, 10% playing
#   scripts/load-capacity.sh --levels 50,100,150 --p99 20 -- --uplink 0.1 --play 0.1 --duration 60s
#
# Options before "--" are this script's; everything after it goes to every load.sh run (default:
# --uplink 0.1 --play 0.1 --duration 60s --quiet-below 0.5). Runs in load.sh's namespace.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$LKB_ROOT"

levels="50,75,100,125,150,200,300"
p99=20
out="load/target/capacity/$(date +%Y%m%d-%H%M%S)"
while [ $# -gt 0 ]; do
  case "$1" in
    --levels) levels="$2"; shift 2 ;;
    --p99) p99="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --) shift; break ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) die "unknown option $1 (load.sh options go after --)" ;;
  esac
done
mix=("$@")
if [ ${#mix[@]} -eq 0 ]; then mix=(--uplink 0.1 --play 0.1 --duration 60s --quiet-below 0.5); fi

mkdir -p "$out"
held=0
IFS=',' read -r -a counts <<< "$levels"
for n in "${counts[@]}"; do
  log "capacity: $n sessions (${mix[*]}), p99 bound $p99 ms"
  status=0
  scripts/load.sh --sessions "$n" --hold-p99 "$p99" --label "capacity-$n" --out "$out/$n" "${mix[@]}" \
    > "$out/$n.log" 2>&1 || status=$?
  grep -E "^\[load\] (phone->client ms|JoinRoom ms|drops|(NOT )?HELD)" "$out/$n.log" | sed 's/^/  /' || true
  if [ "$status" -eq 0 ]; then
    held=$n
  elif grep -q "HELD" "$out/$n.log"; then
    break
  else
    die "the run at $n sessions failed before its verdict: see $out/$n.log"
  fi
done
if [ "$held" -gt 0 ]; then
  log "capacity: the largest level that held is $held sessions (levels $levels, p99 <= $p99 ms); runs in $out"
else
  log "capacity: no level held (levels $levels, p99 <= $p99 ms); runs in $out"
fi

#!/usr/bin/env bash
# 20 runs of `l2c sample`, each sent SIGTERM at a random moment (0.8-4.5 s after start): every run must
# exit 143 with one line, no JVM crash banner, no hs_err file. Usage: benchmarks/reliability/signal-runs.sh PKG
set -uo pipefail
pkg=${1:?package folder}
l2c="$(cd "$(dirname "$0")/../.." && pwd)/l2c"
work=$(mktemp -d)
cd "$work" || exit 2
crashes=0
for i in $(seq 1 20); do
  delay=$(awk -v s="$RANDOM" 'BEGIN { srand(s); printf "%.2f", 0.8 + rand() * 3.7 }')
  "$l2c" sample "$pkg" -n 16 --quiet -o s.png > out.txt 2>&1 &
  p=$!
  sleep "$delay"; kill -TERM $p 2>/dev/null; wait $p; rc=$?
  crash=$(grep -c "fatal error\|SIGSEGV" out.txt)
  [ "$rc" = 134 ] && crash=1
  crashes=$((crashes + crash))
  echo "run $i: SIGTERM after ${delay}s -> exit $rc, crash banner: $crash; $(head -c 90 out.txt)"
done
echo "hs_err files: $(ls hs_err* 2>/dev/null | wc -l); runs with a crash: $crashes of 20; left in the folder: $(ls | tr '\n' ' ')"
cd / && rm -rf "$work"

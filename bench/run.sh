#!/bin/sh
# Runs every benchmark in bench/ (each bench/*.sh but this one) and shows
# its figures. `make bench` calls this. Benchmarks that need root say so.
top=$(cd "$(dirname "$0")/.." && pwd)
rc=0
for b in "$top"/bench/*.sh; do
	[ "$(basename "$b")" = run.sh ] && continue
	echo "# bench: $(basename "$b" .sh)"
	sh "$b" || rc=1
done
exit $rc

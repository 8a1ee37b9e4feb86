# Shared helpers for the integration tests: ok/not ok lines and the
# closing "N passed, N failed, N skipped" line that tests/run.sh adds up.
PASS=0 FAIL=0 SKIP=0

ok() { PASS=$((PASS + 1)); echo "ok - $1"; }
not_ok() { FAIL=$((FAIL + 1)); echo "not ok - $1"; [ -n "${2:-}" ] && printf '%s\n' "$2" | sed 's/^/    /'; }
skip() { SKIP=$((SKIP + 1)); echo "ok - $1 # skip ${2:-}"; }
check() { # name, then a command that must succeed
	name=$1; shift
	if "$@" >/dev/null 2>&1; then ok "$name"; else not_ok "$name"; fi
}
summary() { echo "$PASS passed, $FAIL failed, $SKIP skipped"; [ "$FAIL" -eq 0 ]; }

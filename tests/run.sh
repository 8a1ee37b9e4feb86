#!/bin/sh
# Runs every unit test program, then every integration test script, and
# prints the totals as the last line: "N passed, N failed, N skipped".
#
#   sh tests/run.sh [--unit-only] [--sanitized] BUILD_DIR [TEST...]
#
# TEST names a unit test (test_conf) or an integration script (crash) to
# run alone; without one, every test runs.
# Each program or script prints its own "N passed, N failed[, N skipped]"
# as its last such line; a program that crashes or prints no summary counts
# as one failure, so a broken test can never pass silently.
#
# After each program or script, a progress line: "# NAME: its tally (N s)".
# At the end, every failed and skipped test with its reason (the first
# lines of what it printed), then the totals, always the last line.
#
# The integration scripts test DANEROLL_BIN (./daneroll) and the live
# drivers in DANEROLL_BUILD (BUILD_DIR/tests). Those that fake a clock or
# a crash (DANEROLL_NOW, DANEROLL_TEST_BOOT, DANEROLL_TEST_CRASH_AT, which
# daneroll ignores) test DANEROLL_TEST_BIN, BUILD_DIR/daneroll-test, the
# test build that honours them. With --sanitized, BUILD_DIR is an ASan +
# UBSan build (make check-asan): the scripts test BUILD_DIR/daneroll (and
# BUILD_DIR/daneroll-test), and every sanitizer report (ASan, LeakSanitizer,
# UBSan, from any process of a test, children included) is written into
# BUILD_DIR/sanitizer/; a test after which a report is there fails, and the
# report is shown (and kept in BUILD_DIR/sanitizer/reported/).
#
# Every --json document a script reads is checked against its JSON Schema
# (docs/schema/) when the script ends, and kept in BUILD_DIR/json/SCRIPT/
# (testlib: json_keep); json_schema.sh fails if a test bypasses that.
unit_only=0 sanitized=0
while [ $# -gt 0 ]; do
	case $1 in
	--unit-only) unit_only=1; shift ;;
	--sanitized) sanitized=1; shift ;;
	*) break ;;
	esac
done
build=${1:-build}
[ $# -gt 0 ] && shift
only=" $* "
top=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "$build" && pwd) || exit 1
DANEROLL_BIN=$top/daneroll
[ "$sanitized" -eq 1 ] && DANEROLL_BIN=$build/daneroll
DANEROLL_TEST_BIN=$build/daneroll-test
# The --json documents the scripts read, each checked against its schema
# by the script (testlib's json_keep, summary) and kept here, per script.
DANEROLL_JSON_DIR=$build/json
rm -rf "$DANEROLL_JSON_DIR"
export DANEROLL_TOP="$top" DANEROLL_BIN DANEROLL_TEST_BIN DANEROLL_BUILD="$build" \
    DANEROLL_JSON_DIR

passed=0 failed=0 skipped=0
out=$(mktemp)
notes=$(mktemp)
trap 'rm -f "$out" "$notes"' EXIT

san=
if [ "$sanitized" -eq 1 ]; then
	san=$build/sanitizer
	rm -rf "$san"
	mkdir -p "$san/reported" || exit 1
	# Any report ends the process with 86 and goes to a file, one per
	# process (report.PID), whatever the test does with stderr. Programs
	# that are not sanitized (the hooks, the servers) ignore these.
	opts="log_path=$san/report:exitcode=86:print_stacktrace=1"
	export ASAN_OPTIONS="$opts:detect_leaks=1:check_initialization_order=1:strict_init_order=1:detect_stack_use_after_return=1:strict_string_checks=1"
	export UBSAN_OPTIONS="$opts:halt_on_error=1"
	# Reports name functions and lines only with a symbolizer.
	for sym in "$(command -v llvm-symbolizer)" /usr/lib/llvm-*/bin/llvm-symbolizer; do
		[ -x "$sym" ] && export ASAN_SYMBOLIZER_PATH="$sym" && break
	done
fi

# --sanitized on a plain build would pass without checking anything.
if [ -n "$san" ]; then
	for b in "$DANEROLL_BIN" "$DANEROLL_TEST_BIN"; do
		grep -q __asan_init "$b" 2>/dev/null && continue
		echo "not ok - $b is not built with AddressSanitizer"
		echo "FAILED   $b is not built with AddressSanitizer" >>"$notes"
		failed=$((failed + 1))
	done
fi

# san_check NAME: a sanitizer report left by test NAME fails it.
san_check() {
	[ -n "$san" ] || return 0
	set -- "$1" "$san"/report.*
	[ -e "$2" ] || return 0
	name=$1; shift
	echo "not ok - $name: sanitizer report ($# process(es))"
	echo "FAILED   $name: sanitizer report ($# process(es))" >>"$notes"
	for f in "$@"; do
		echo "  == $f"
		head -n 200 "$f" | sed 's/^/  /'
		mv "$f" "$san/reported/$name.${f##*/}"
	done
	failed=$((failed + 1))
}

# wanted NAME: true if NAME is to run.
wanted() { [ "$only" = "  " ] || case $only in *" $1 "*) true ;; *) false ;; esac; }

# note NAME: the failed and skipped cases in $out, for the list at the
# end: a failure with the first three lines that say why, a skip with its
# reason.
note() {
	awk -v n="$1" '
	/^not ok - / { sub(/^not ok - /, ""); print "FAILED   " n ": " $0; why = 3; next }
	why > 0 && /^    / { print "           " substr($0, 5); why--; next }
	{ why = 0 }
	/^ok - .* # skip/ { s = $0; sub(/^ok - /, "", s); sub(/ # skip */, ": ", s); print "SKIPPED  " n ": " s }
	' "$out" >>"$notes"
}

tally() { # name status start-time
	note "$1"
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$out" | tail -n 1)
	secs=$(($(date +%s) - $3))
	if [ -z "$line" ]; then
		echo "not ok - $1 (exit $2, no summary line)"
		echo "FAILED   $1: exit $2, no summary line: $(tail -n 1 "$out")" >>"$notes"
		echo "# $1: no summary line, exit $2 ($secs s)"
		failed=$((failed + 1))
		return
	fi
	p=$(echo "$line" | sed -E 's/^([0-9]+) passed.*/\1/')
	f=$(echo "$line" | sed -E 's/^[0-9]+ passed, ([0-9]+) failed.*/\1/')
	s=$(echo "$line" | sed -nE 's/.*, ([0-9]+) skipped.*/\1/p')
	passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + ${s:-0}))
	if [ "$2" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "not ok - $1 (exit $2 with no failed case)"
		echo "FAILED   $1: exit $2 with no failed case" >>"$notes"
		failed=$((failed + 1))
	fi
	echo "# $1: $p passed, $f failed, ${s:-0} skipped ($secs s)"
}

for t in "$build"/tests/test_*; do
	[ -x "$t" ] || continue
	name=$(basename "$t")
	wanted "$name" || continue
	echo "# unit: $name"
	t0=$(date +%s)
	"$t" >"$out" 2>&1
	rc=$?
	sed 's/^/  /' "$out" | grep -vE '^  [0-9]+ passed, [0-9]+ failed'
	tally "$name" "$rc" "$t0"
	san_check "$name"
done

if [ "$unit_only" -eq 0 ]; then
	for t in "$top"/tests/integration/*.sh; do
		[ -f "$t" ] || continue
		name=$(basename "$t" .sh)
		wanted "$name" || continue
		# Said once: the scripts that need the test build fail without it.
		if [ ! -x "$DANEROLL_TEST_BIN" ] && [ -z "${no_test_bin:-}" ]; then
			no_test_bin=1
			echo "not ok - $DANEROLL_TEST_BIN is missing (make check-bins)"
			failed=$((failed + 1))
		fi
		echo "# integration: $name"
		t0=$(date +%s)
		sh "$t" >"$out" 2>&1
		rc=$?
		sed 's/^/  /' "$out" | grep -vE '^  [0-9]+ passed, [0-9]+ failed'
		tally "$name" "$rc" "$t0"
		san_check "$name"
	done
fi
# A process that outlived its test (a background run) may report late.
san_check "late report"

if [ -s "$notes" ]; then
	echo "# failed and skipped:"
	sed 's/^/#   /' "$notes"
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]

#!/bin/sh
# Issue 19 item 5: no function in src/ over 100 lines (STYLE.md: one
# concern per function). tests/tools/long_functions.sh lists them; first
# it is tried on functions whose lengths are known, since a lister gone
# blind would pass everything. make lint checks the same.
#
#   sh tests/integration/long_functions.sh
set -u
. "$(dirname "$0")/testlib"
top=${DANEROLL_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
lister=$top/tests/tools/long_functions.sh
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT

# body N: a function body of N lines in all, name and braces included.
body() {
	printf '%s(void)\n{\n' "$1"
	i=3
	while [ "$i" -lt "$2" ]; do echo "	x++;"; i=$((i + 1)); done
	echo "}"
}
{
	echo "static int x;"
	echo "static void"
	echo "proto(void);"
	echo
	echo "static void"; body fits 100
	echo
	echo "void"; body too_long 101
	echo
	echo "static const struct { int a; } table[] = {"
	echo "	{ 1 },"
	echo "};"
} >"$t/probe.c"
out=$(sh "$lister" "$t/probe.c" 2>&1); rc=$?
if [ "$rc" -eq 1 ] && [ "$out" = "$t/probe.c:108: too_long: 101 lines" ]; then
	ok "the lister finds a 101-line function, not a 100-line one nor a prototype"
else
	not_ok "the lister finds a 101-line function, not a 100-line one nor a prototype" \
	    "exit $rc: $out"
fi
out=$(sh "$lister" -n 101 "$t/probe.c" 2>&1); rc=$?
if [ "$rc" -eq 0 ] && [ -z "$out" ]; then
	ok "the lister passes that file with -n 101"
else
	not_ok "the lister passes that file with -n 101" "exit $rc: $out"
fi
out=$(sh "$lister" "$t/missing.c" 2>&1); rc=$?
if [ "$rc" -eq 2 ]; then
	ok "the lister refuses a file it cannot read (exit 2)"
else
	not_ok "the lister refuses a file it cannot read (exit 2)" "exit $rc: $out"
fi

srcs=$(cd "$top" && ls src/*.c)
out=$(cd "$top" && sh "$lister" -n 100 $srcs 2>&1); rc=$?
if [ "$rc" -eq 0 ]; then
	ok "no function over 100 lines in src/ ($(echo "$srcs" | wc -l) files)"
else
	not_ok "no function over 100 lines in src/" "$out"
fi
summary

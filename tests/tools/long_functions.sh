#!/bin/sh
# Lists the functions longer than N lines in the C files given, one per
# line as "FILE:LINE: NAME: COUNT lines", and exits 1 when there is one
# (0 when none, 2 on a usage error). The style (STYLE.md, issue 19) keeps
# every function of src/ at 100 lines or fewer.
#
#   sh tests/tools/long_functions.sh [-n N] FILE...
#
# A function starts at a line "name(" at column 0 that follows its return
# type's line, and ends at the first "}" at column 0; its count runs from
# the name's line to that brace, both included. That is the layout of
# every function in src/ (one declaration per line, braces of a body at
# column 0), so no C parser is needed; a prototype (a head ending in ";")
# is no function.
max=100
if [ "${1:-}" = -n ]; then
	max=${2:-}
	shift 2 2>/dev/null || true
fi
case $max in '' | *[!0-9]*)
	echo "usage: long_functions.sh [-n N] FILE..." >&2; exit 2 ;;
esac
[ $# -gt 0 ] || { echo "usage: long_functions.sh [-n N] FILE..." >&2; exit 2; }
for f in "$@"; do
	[ -r "$f" ] || { echo "long_functions.sh: $f: cannot read" >&2; exit 2; }
done
awk -v max="$max" '
FNR == 1 { name = ""; prev = "" }
# A return type line: not blank, not a preprocessor line, not a comment,
# not the end of a statement or a body.
name == "" && /^[A-Za-z_][A-Za-z0-9_]*\(/ && prev ~ /^[A-Za-z_]/ && prev !~ /[;{}]$/ {
	name = $0; sub(/\(.*/, "", name); start = FNR; body = 0
}
# A prototype ends its head with ";" before any body.
name != "" && !body && /;[ \t]*$/ { name = "" }
name != "" && /^{/ { body = 1 }
name != "" && body && /^}/ {
	n = FNR - start + 1
	if (n > max) { printf "%s:%d: %s: %d lines\n", FILENAME, start, name, n; found = 1 }
	name = ""
}
{ prev = $0 }
END { exit found ? 1 : 0 }
' "$@"

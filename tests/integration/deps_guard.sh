#!/bin/sh
# The README promises that make demo and make check work on a fresh
# Debian 12 from what tests/deps.sh installs. This guard finds every
# external command the tests and the demo run (tests/tools/shcommands.py
# reads the scripts) and fails naming any that comes from no package
# tests/deps.sh installs for that target (or that one pulls in), and from
# no package of a minimal Debian (Essential or Priority required: what
# debootstrap --variant=minbase installs); git and make are the README's
# premise. A command missing from this machine fails too. Skipped where
# dpkg or python3 is missing (not Debian).
#
#   sh tests/integration/deps_guard.sh
set -u
. "$(dirname "$0")/testlib"
top=${DANEROLL_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
lister=$top/tests/tools/shcommands.py

if ! command -v dpkg-query >/dev/null 2>&1 || ! command -v python3 >/dev/null 2>&1; then
	skip "deps guard" "needs dpkg-query and python3 (Debian)"
	summary; exit
fi
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT

# Commands run by name that no package provides, each with its reason.
# exim.sh runs the Exim that deps.sh unpacks into /var/cache/daneroll-test
# (it rewrites Debian's exim_path, /usr/sbin/exim4, to that copy).
exempt="/usr/sbin/exim4"

# The lister itself, on a script whose answer is known: a guard whose
# lister went blind would pass everything.
cat >"$t/probe.sh" <<'PROBE'
#!/bin/sh
x=$(echo "1 + 2" | bc)
wrap() { name=$1; shift; timeout 5 "$@"; }
wrap "some name" xxd -p /dev/null
cat >"$t/conf" <<EOF
notacommand = $(hostname)
reload = /usr/sbin/postfix reload
EOF
case $x in nopattern) seq 3 ;; esac
for w in nolistword; do :; done
in_ns() { ip netns exec "$NS" "$@"; }
in_ns env A=1 kdig example # /usr/sbin/notthis, a comment
# /usr/sbin/notthis either
PROBE
got=$(python3 "$lister" "$t/probe.sh" | cut -d' ' -f1 | tr '\n' ' ')
want="/usr/sbin/postfix bc cat env hostname ip kdig seq timeout xxd "
[ "$got" = "$want" ] && ok "the command lister finds what a known script runs" ||
	not_ok "the command lister finds what a known script runs" "got:  $got
want: $want"

# Installed packages: name, essential, priority, what they depend on.
dpkg-query -W -f='${Package}\t${Essential}\t${Priority}\t${Pre-Depends}, ${Depends}\n' \
	>"$t/installed" 2>/dev/null

# allowed TARGET: the packages deps.sh TARGET installs, everything they
# depend on (installed, recursively), the minimal Debian and the premise.
allowed() {
	{ sh "$top/tests/deps.sh" --list "$1"; [ "$1" = world ] && echo acme.sh
	  printf 'git\nmake\n'; } | awk -F'\t' '
	FILENAME != "-" && NR == FNR {
		dep[$1] = $4
		if ($2 == "yes" || $3 == "required") want[$1] = 1
		next
	}
	{ want[$1] = 1 }
	END {
		do {
			more = 0
			for (p in want) {
				n = split(dep[p], d, /[,|]/)
				for (i = 1; i <= n; i++) {
					q = d[i]
					sub(/^ */, "", q); sub(/[ :(].*/, "", q)
					if (q != "" && (q in dep) && !(q in want)) { want[q] = 1; more = 1 }
				}
			}
		} while (more)
		for (p in want) print p
	}' "$t/installed" - | sort >"$t/allowed.$1"
}

# Every file of every installed package: "path<TAB>package" (dpkg-query -S
# per command would read the whole database each time).
awk 'FNR == 1 { p = FILENAME; sub(/.*\//, "", p); sub(/\.list$/, "", p); sub(/:.*/, "", p) }
	{ print $0 "\t" p }' /var/lib/dpkg/info/*.list >"$t/files"

# candidates COMMAND: the paths that may be it here, one a line.
candidates() {
	case $1 in
	/*) set -- "$1" ;;
	*) c=$1; set --
	   for d in /usr/local/sbin /usr/local/bin /usr/sbin /usr/bin /sbin /bin; do
		[ -x "$d/$c" ] && set -- "$@" "$d/$c"
	   done ;;
	esac
	for p in "$@"; do
		[ -e "$p" ] || continue
		r=$(readlink -f "$p")
		# /bin is /usr/bin on a merged /usr: dpkg knows one of them.
		printf '%s\n' "$p" "$r" "/usr${p#/usr}" "${p#/usr}" "/usr${r#/usr}" "${r#/usr}"
	done
}

# guard TARGET WHAT FILE...: every command the files run is allowed.
guard() {
	target=$1 what=$2
	shift 2
	allowed "$target"
	python3 "$lister" "$@" >"$t/commands" 2>"$t/lister.err" ||
		{ not_ok "$what: the command lister runs" "$(cat "$t/lister.err")"; return; }
	n=$(wc -l <"$t/commands")
	while read -r cmd where; do
		case " $exempt " in *" $cmd "*) continue ;; esac
		candidates "$cmd" | sed "s|^|$cmd	$where	|"
		echo "$cmd	$where	"
	done <"$t/commands" >"$t/candidates"
	# The first package that holds a candidate of each command.
	bad=$(awk -F'\t' -v target="$target" '
	FILENAME ~ /allowed/ { ok[$1] = 1; next }
	FILENAME ~ /files$/ { if (!($1 in pkg)) pkg[$1] = $2; next }
	!($1 in seen) { seen[$1] = 1; order[++n] = $1; where[$1] = $2 }
	$3 != "" && ($3 in pkg) && !($1 in found) { found[$1] = pkg[$3] }
	END {
		for (i = 1; i <= n; i++) {
			c = order[i]
			if (!(c in found))
				print c " (" where[c] "): not on this machine, from no package tests/deps.sh " target " installs"
			else if (!(found[c] in ok))
				print c " (" where[c] "): package " found[c] ", which tests/deps.sh " target " does not install and a minimal Debian lacks"
		}
	}' "$t/allowed.$target" "$t/files" "$t/candidates")
	if [ "$n" -lt 20 ]; then
		not_ok "$what: commands found" "only $n: the lister went blind?"
	elif [ -z "$bad" ]; then
		ok "$what: all $n external commands come from tests/deps.sh $target or a minimal Debian"
	else
		not_ok "$what: every external command is installed by tests/deps.sh $target" "$bad"
	fi
}

cd "$top" || exit 1
check_files=""
for f in tests/run.sh tests/deps.sh schema/embed.sh tests/world/*.sh \
    hooks/acme/* hooks/dns/* tests/integration/*; do
	# Scripts only: not the C and Python sources, not __pycache__/.
	[ -f "$f" ] || continue
	case $f in *.c|*.py|*.md|*/deps_guard.sh) continue ;; esac
	# Python without .py (hooks/dns/lexicon): not shell.
	head -n 1 "$f" | grep -q '^#!.*python' && continue
	check_files="$check_files $f"
done
# shellcheck disable=SC2086 # file names without blanks
guard world "make check" $check_files
# make demo: deps.sh demo, then make daneroll, then demo.sh and what it runs.
guard demo "make demo" tests/deps.sh schema/embed.sh tests/world/demo.sh \
	tests/world/up.sh tests/world/down.sh tests/world/lib.sh \
	tests/world/prober.sh hooks/acme/certbot

summary

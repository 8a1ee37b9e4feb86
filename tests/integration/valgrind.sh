#!/bin/sh
# The main commands under valgrind: no invalid access, no use of
# uninitialised memory and no leak (definite or possible) in any of them,
# with a configuration that puts a TSIG key, a deployed key and chain and
# hooks in play. DNS goes to 127.0.0.1#9 (nothing listens: refused at
# once), so no query leaves the machine. Skipped without valgrind.
#
#   sh tests/integration/valgrind.sh      (DANEROLL_BIN to test another build)
set -u
. "$(dirname "$0")/testlib"
bin=${DANEROLL_BIN:-./daneroll}

if ! command -v valgrind >/dev/null 2>&1; then
	skip "valgrind" "valgrind is not installed"
	summary; exit
fi
if grep -q __asan_init "$bin" 2>/dev/null; then
	# make check-asan tests build-asan/daneroll, which valgrind cannot
	# run; make check runs this against the plain ./daneroll.
	skip "valgrind" "$bin is built with AddressSanitizer (make check runs it)"
	summary; exit
fi
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
mkdir -p "$t/live" "$t/state" "$t/vg"

mini_host "$t"

n=0
# vg NAME EXPECTED_EXIT_CODES ARGS...: one command under valgrind; every
# process it leaves a log for (children that fail before execve too) must
# report no error.
vg() {
	name=$1 codes=$2; shift 2
	n=$((n + 1))
	rm -f "$t"/vg/*
	# The network child (privsep.h) is a fork that confines itself with
	# Landlock and seccomp, which valgrind cannot follow (unhandled
	# syscalls 444 and 317), and it _exits holding the parent's copies:
	# valgrind judges the parent; check-asan judges the child too.
	valgrind -q --child-silent-after-fork=yes \
		--leak-check=full --show-leak-kinds=definite,possible \
		--errors-for-leak-kinds=definite,possible --error-exitcode=97 \
		--log-file="$t/vg/$n.%p" "$bin" -c "$t/d.conf" "$@" \
		>"$t/out" 2>"$t/err"
	rc=$?
	case " $* " in *" --json "*) json_keep "$@" <"$t/out" >/dev/null ;; esac
	bad=$(cat "$t"/vg/* 2>/dev/null)
	case " $codes " in *" $rc "*) code_ok=1 ;; *) code_ok=0 ;; esac
	if [ $rc -ne 97 ] && [ -z "$bad" ] && [ $code_ok -eq 1 ]; then
		ok "valgrind clean: $name (exit $rc)"
	else
		not_ok "valgrind clean: $name" "exit $rc (want $codes)
$(printf '%s\n' "$bad" | head -n 40)
$(tail -n 5 "$t/out" "$t/err")"
	fi
}

vg "config check" 0 config check
vg "plan" 0 plan
vg "plan --json" 0 plan --json
vg "run -n" 0 run -n
vg "run (DNS unreachable)" 75 run
vg "status" 0 status
vg "status --json" 0 status --json
vg "records" 0 records mx1.example.org
vg "records --json" 0 records --json mx1.example.org
vg "roll" 0 roll mx1.example.org
vg "check (nothing answers)" "1 2 3" check
vg "check --json" "1 2 3" check --json
vg "unknown host" 64 status nosuch.example.org
vg "bad configuration" 78 --state-dir relative config check

summary

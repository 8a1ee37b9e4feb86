#!/bin/sh
# The test seams are not in the installed binary (docs/security.md):
# DANEROLL_NOW (the wall clock), DANEROLL_TEST_BOOT (the boot clock) and
# DANEROLL_TEST_CRASH_AT (SIGKILL at a side-effect point) are read by the
# test build, BUILD/daneroll-test, and by nothing daneroll or `make install`
# ship. Each case runs both binaries in the same environment: daneroll
# must ignore it, and daneroll-test must honour it, so that this test
# fails the day a seam comes back (or stops working in the tests that
# rely on it). No network: the resolver is a port where nothing listens.
set -u
. "$(dirname "$0")/testlib"
top=${DANEROLL_TOP:-.}
top=$(cd "$top" && pwd)
bin=${DANEROLL_BIN:-$top/daneroll}
tbin=${DANEROLL_TEST_BIN:-$top/build/daneroll-test}
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT

names="DANEROLL_NOW DANEROLL_TEST_BOOT DANEROLL_TEST_CRASH_AT"

# has_names FILE: the names of the seams FILE contains, one a line.
has_names() {
	for v in $names; do grep -aqF "$v" "$1" && echo "$v"; done
}

# 1. The names are in the test build and nowhere in daneroll.
[ "$(has_names "$tbin" | wc -l)" -eq 3 ] &&
	ok "daneroll-test contains the three variable names" ||
	not_ok "daneroll-test contains the three variable names" "$(has_names "$tbin")"
found=$(has_names "$bin")
[ -x "$bin" ] && [ -z "$found" ] && ok "$(basename "$bin") contains none of them" ||
	not_ok "$(basename "$bin") contains none of them" "$found"

# What `make install` installs, when ./daneroll is up to date (a test
# must not build it: `make check` would then link a build without its
# WERROR): daneroll, no daneroll-test, and no file but the man pages
# and docs/security.md (which say the seams are gone) holds the names.
if make -s -q -C "$top" daneroll >/dev/null 2>&1; then
	if make -s -C "$top" install DESTDIR="$t/root" PREFIX=/usr \
	    >"$t/install.log" 2>&1; then
		found=$(grep -rlaE 'DANEROLL_(NOW|TEST_BOOT|TEST_CRASH_AT)' \
		    --exclude='*.[0-9]' --exclude=security.md "$t/root")
		[ -x "$t/root/usr/sbin/daneroll" ] && [ -z "$found" ] &&
		    [ -z "$(find "$t/root" -name 'daneroll-test*')" ] &&
			ok "make install: daneroll, and no installed file holds the names" ||
			not_ok "make install: daneroll, and no installed file holds the names" \
			    "$found $(find "$t/root" -type f)"
	else
		not_ok "make install into a DESTDIR" "$(cat "$t/install.log")"
	fi
else
	skip "make install holds none of the names" "./daneroll is not up to date (make)"
fi

# 2. Behaviour, in the same environment for both. The clock 3000 days
# ahead: plan's first wait ends then, not now; a run is to be killed just
# before it writes the next key.
now=$(date +%s)
fut=$((now + 3000 * 86400))
seams() {
	DANEROLL_NOW=$fut DANEROLL_TEST_BOOT=seams-boot:1 \
	    DANEROLL_TEST_CRASH_AT=generate:before-write "$@"
}
# ttl_until OUTPUT: the end of plan's first TTL wait, in seconds.
ttl_until() {
	u=$(printf '%s\n' "$1" | sed -n 's/.*waiting past the TTL until \([0-9TZ:-]*\).*/\1/p' | head -n 1)
	[ -n "$u" ] && date -u -d "$u" +%s
}
# near WHEN BASE: WHEN is within the hour after BASE.
near() { [ -n "$1" ] && [ "$1" -ge "$2" ] && [ "$1" -le $(($2 + 3600)) ]; }

for b in real test; do
	mini_host "$t/$b"
done

out=$(seams "$bin" -c "$t/real/d.conf" plan 2>&1)
w=$(ttl_until "$out")
near "$w" "$now" && ok "daneroll ignores DANEROLL_NOW: plan waits until today's TTL end" ||
	not_ok "daneroll ignores DANEROLL_NOW: plan waits until today's TTL end" "$out"
out=$(seams "$tbin" -c "$t/test/d.conf" plan 2>&1)
w=$(ttl_until "$out")
near "$w" "$fut" && ok "daneroll-test honours DANEROLL_NOW: plan waits until the fake date" ||
	not_ok "daneroll-test honours DANEROLL_NOW: plan waits until the fake date" "$out"

# As in cli.sh: adopts, writes the next key, stops safe at the DNS (75).
out=$(seams "$bin" -c "$t/real/d.conf" run 2>&1); rc=$?
keys=$(ls "$t"/real/state/keys/mx1.example.org/*.key 2>/dev/null | wc -l)
[ "$rc" -eq 75 ] && [ "$keys" -eq 1 ] &&
	ok "daneroll ignores DANEROLL_TEST_CRASH_AT: the run writes the key, exits 75" ||
	not_ok "daneroll ignores DANEROLL_TEST_CRASH_AT: the run writes the key, exits 75" "rc=$rc keys=$keys $out"
out=$(seams "$tbin" -c "$t/test/d.conf" run 2>&1); rc=$?
keys=$(ls "$t"/test/state/keys/mx1.example.org/*.key 2>/dev/null | wc -l)
[ "$rc" -eq 137 ] && [ "$keys" -eq 0 ] &&
	echo "$out" | grep -q "killed at generate:before-write" &&
	ok "daneroll-test honours DANEROLL_TEST_CRASH_AT: killed before the key is written" ||
	not_ok "daneroll-test honours DANEROLL_TEST_CRASH_AT: killed before the key is written" "rc=$rc keys=$keys $out"

# DANEROLL_TEST_BOOT has no effect to see without DNS; a malformed one
# shows which binary reads it.
out=$(DANEROLL_TEST_BOOT=not-a-boot-clock "$bin" -c "$t/real/d.conf" config check 2>&1); rc=$?
[ "$rc" -eq 0 ] && ok "daneroll ignores DANEROLL_TEST_BOOT" ||
	not_ok "daneroll ignores DANEROLL_TEST_BOOT" "rc=$rc $out"
for v in DANEROLL_NOW DANEROLL_TEST_BOOT; do
	out=$(env "$v=not-a-clock" "$tbin" -c "$t/test/d.conf" config check 2>&1); rc=$?
	[ "$rc" -eq 64 ] && echo "$out" | grep -q "$v=not-a-clock" &&
		ok "daneroll-test refuses a malformed $v (64)" ||
		not_ok "daneroll-test refuses a malformed $v (64)" "rc=$rc $out"
done

summary

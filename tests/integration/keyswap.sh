#!/bin/sh
# Private-key substitution (issue 13): a state directory that another
# user can write lets that user rename keys/HOST (or keys/) away while a
# key is being generated and drop a key of their own under the expected
# name; the resumed run would then publish, certify and deploy it. Here
# an unprivileged process (nobody) tries exactly that, in a loop, while
# generations are cut short (crash point) and resumed: daneroll must
# refuse the state directory (73) before it writes anything, so the
# attacker's key never reaches the records. With a state directory of
# root's, the same loop changes nothing and the runs go on.
set -u
. "$(dirname "$0")/testlib"
# The test build (tests/tools/test_main.c): the loop fakes the clock and
# cuts generations short with DANEROLL_NOW and DANEROLL_TEST_CRASH_AT,
# which daneroll ignores.
bin=${DANEROLL_TEST_BIN:-./build/daneroll-test}
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")

if [ "$(id -u)" -ne 0 ] || ! id nobody >/dev/null 2>&1; then
	skip "key substitution race" "needs root and a nobody user"
	summary; exit
fi
t=$(mktemp -d)
apid=
trap ': > "$t/stop"; [ -z "$apid" ] || kill "$apid" 2>/dev/null; rm -rf "$t"' EXIT
chmod 755 "$t"
mini_host "$t"
NOW=$(date +%s)

# The attacker's key, its own file (nobody, 0600).
mkdir -p "$t/evil"; chown nobody "$t/evil"
su nobody -s /bin/sh -c "umask 077; openssl genpkey -algorithm EC \
	-pkeyopt ec_paramgen_curve:P-256 -out $t/evil/k.pem" 2>/dev/null
evil=$(spki_of_key "$t/evil/k.pem")
[ -n "$evil" ] || { not_ok "attacker key made"; summary; exit 1; }
cat > "$t/evil/attack.sh" <<ATTACK
#!/bin/sh
# Swap keys/ or keys/HOST for our own whenever root's is there.
s=$t/state
while [ ! -e $t/stop ]; do
	for d in \$s/keys \$s/keys/mx1.example.org; do
		[ "\$(stat -c %U "\$d" 2>/dev/null)" = root ] || continue
		mv "\$d" "\$d.root.\$(date +%s%N)" 2>/dev/null || continue
		mkdir -p \$s/keys/mx1.example.org 2>/dev/null
		cp $t/evil/k.pem \$s/keys/mx1.example.org/ecdsa-p256.$NOW.key 2>/dev/null
	done
done
ATTACK
chmod 755 "$t/evil/attack.sh"
su nobody -s /bin/sh -c "$t/evil/attack.sh" &
apid=$!

# 1. The state directory is nobody's: refused, every time, before
# anything is written in it, whatever the attacker does meanwhile.
refused=0 leaked=0 written=0 i=0
while [ $i -lt 8 ]; do
	i=$((i + 1))
	rm -rf "$t/state"; mkdir "$t/state"; chown nobody "$t/state"
	out=$(DANEROLL_NOW=$NOW DANEROLL_TEST_CRASH_AT=generate:before-write \
		"$bin" -c "$t/d.conf" run 2>&1); rc=$?
	echo "$out" | grep -q "$t/state: owned by uid $(id -u nobody)" &&
		[ $rc -eq 73 ] && refused=$((refused + 1))
	sleep 0.2
	DANEROLL_NOW=$NOW "$bin" -c "$t/d.conf" run >/dev/null 2>&1
	DANEROLL_NOW=$NOW "$bin" -c "$t/d.conf" records mx1.example.org 2>/dev/null |
		grep -q "$evil" && leaked=$((leaked + 1))
	# Files root made in nobody's directory (the database, keys/).
	[ -n "$(find "$t/state" -user root 2>/dev/null)" ] && written=$((written + 1))
done
[ $refused -eq 8 ] && ok "state directory owned by nobody: refused (73) naming it, 8 of 8 runs" ||
	not_ok "state directory owned by nobody: refused (73) naming it, 8 of 8 runs" "$refused refused; last: $out"
[ $leaked -eq 0 ] && ok "the attacker's key never reached the records (8 swaps tried)" ||
	not_ok "the attacker's key never reached the records" "in $leaked of 8 rounds"
[ $written -eq 0 ] && ok "nothing written in the refused directory" ||
	not_ok "nothing written in the refused directory" "$written rounds: $(find "$t/state" -user root)"

# 2. The state directory is root's, as it must be: the loop goes on and
# changes nothing; a generation cut short and resumed keeps our key.
rm -rf "$t/state"; mkdir -m 700 "$t/state"
DANEROLL_NOW=$NOW DANEROLL_TEST_CRASH_AT=generate:before-write \
	"$bin" -c "$t/d.conf" run >/dev/null 2>&1
sleep 0.2
DANEROLL_NOW=$NOW "$bin" -c "$t/d.conf" run >"$t/out" 2>&1
key=$t/state/keys/mx1.example.org/ecdsa-p256.$NOW.key
recs=$(DANEROLL_NOW=$NOW "$bin" -c "$t/d.conf" records mx1.example.org 2>&1)
if [ -f "$key" ] && [ "$(stat -c %U "$key")" = root ] &&
    echo "$recs" | grep -q "$(spki_of_key "$key")" && ! echo "$recs" | grep -q "$evil"; then
	ok "state directory of root's: the resumed generation keeps its own key"
else not_ok "state directory of root's: the resumed generation keeps its own key" "$(ls -lR "$t/state/keys" 2>&1) $recs $(cat "$t/out")"; fi

: > "$t/stop"
wait "$apid" 2>/dev/null
apid=
summary

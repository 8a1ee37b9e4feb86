#!/bin/sh
# Hostile names and paths: shell metacharacters, newlines and ".." in
# host names and paths, symlinks planted where daneroll writes or reads
# secrets, and escape sequences in a provider program's output. Each is
# refused or handled safely, and the test proves nothing unintended was
# executed (marker files never appear) or written (decoys unchanged).
#
# A decoy stands in for /etc/passwd: the real one is never a target.
# DNS is fake_auth_dns.py on loopback (see secrets.sh); needs root.
set -u
. "$(dirname "$0")/testlib"
# The rollovers fake the clock (the test build).
loopback_test "hostile names and paths" \
	"needs root (port 53 on 127.0.0.2) and python3"
mkdir -p "$t/live" "$t/state" "$t/rr" "$t/hooks" "$t/dumps" "$t/elsewhere"
printf 'root:x:0:0:root:/root:/bin/bash\n' > "$t/decoy"
chmod 644 "$t/decoy"
decoy_sum=$(sha256sum "$t/decoy" | cut -d' ' -f1)
decoy_ok() { [ "$(sha256sum "$t/decoy" | cut -d' ' -f1)" = "$decoy_sum" ] &&
	[ ! -L "$t/decoy" ] && [ "$(stat -c %a "$t/decoy")" = 644 ]; }
pwned() { ls "$t"/PWNED* /tmp/PWNED-daneroll* 2>/dev/null; }

local_ca "$t/ca"
cat > "$t/hooks/dump" <<HOOK
#!/bin/sh
n=\$(date +%s%N)-\$\$
printf '%s\n' "\$0" "\$@" > "$t/dumps/argv.\$1.\$n"
case "\$1" in
publish) shift 2; owner=\$1; shift 2
	exec "$top/tests/integration/rr_write" "$t/rr" "\$owner" "\$@" ;;
acme) exec "$top/hooks/acme/local-ca" "$t/ca/settings" ;;
noisy) printf 'first line\n\033]0;owned\007\033[2Jforged: line\r\nlast\n'; exit 1 ;;
esac
exit 0
HOOK
chmod 755 "$t/hooks/dump"
printf 'key "dr" { algorithm hmac-sha256; secret "c2VjcmV0LXNob3VsZC1uZXZlci1sZWFr"; };\n' > "$t/tsig.key"
chmod 600 "$t/tsig.key"

fake_dns 127.0.0.2 "hostile names and paths" 7

# conf HOSTNAME EXTRA_HOST_LINES: a one-host configuration in $t/d.conf.
conf() {
	{ conf_global; cat <<CONF; } > "$t/d.conf"
[publisher script]
type = exec
command = $t/hooks/dump publish

[publisher bind]
type = rfc2136
tsig_key_file = $t/tsig-link.key

[publisher noisy]
type = exec
command = $t/hooks/dump noisy

[host $1]
algorithms = ecdsa-p256
publisher = script
acme_hook = $t/hooks/dump acme
$2
CONF
}

# 1. Shell metacharacters and ".." in the configuration: refused (78)
# before anything runs.
for name in 'mx1.example.org;touch PWNED1' '$(touch PWNED2).example.org' \
    'mx1.example.org`touch PWNED3`' 'mx1.example.org|touch PWNED4' \
    'mx1.example.org&&touch PWNED5' "mx1.example.org'x" '../mx1.example.org' \
    'mx1.example.org/../../etc'; do
	conf "$name" "combined_file = $t/live/mx1-%a.pem"
	out=$(cd "$t" && "$bin" -c "$t/d.conf" run 2>&1); rc=$?
	if [ $rc -eq 78 ] && echo "$out" | grep -q "invalid host name" && [ -z "$(pwned)" ]; then
		ok "host name [$name] refused (78), nothing run"
	else not_ok "host name [$name] refused (78), nothing run" "rc=$rc $out $(pwned)"; fi
done
for p in "$t/live/../../etc/x.pem" "$t/live/.." "$t/live/mx1-%a.pem
x"; do
	conf mx1.example.org "combined_file = $p"
	out=$("$bin" -c "$t/d.conf" config check 2>&1); rc=$?
	[ $rc -eq 78 ] && ok "combined_file \"$(echo "$p" | head -n 1)...\" refused (78)" ||
		not_ok "combined_file \"$p\" refused (78)" "rc=$rc $out"
done

# 2. Commands are argument vectors, never shell lines: metacharacters in
# reload reach the program as literal words.
conf mx1.example.org "combined_file = $t/live/mx1-%a.pem
reload = $t/hooks/dump reload ;touch $t/PWNED-r1 \$(touch $t/PWNED-r2) |touch $t/PWNED-r3"
mini_deploy "$t"
now=$(date +%s)
"$bin" -c "$t/d.conf" run >"$t/out" 2>&1
"$bin" -c "$t/d.conf" roll mx1.example.org >>"$t/out" 2>&1
for s in 1 2 3 4 5 6; do DANEROLL_NOW=$((now + s * 400)) "$bin" -c "$t/d.conf" run >>"$t/out" 2>&1; done
r=$(ls "$t"/dumps/argv.reload.* 2>/dev/null | head -n 1)
if [ -n "$r" ] && grep -qx ';touch' "$r" && grep -qx '$(touch' "$r" && [ -z "$(pwned)" ]; then
	ok "reload: metacharacters passed as literal words, nothing run"
else not_ok "reload: metacharacters passed as literal words, nothing run" "$(cat "$r" 2>/dev/null) $(pwned) $(tail -n 15 "$t/out")"; fi

# 3. acme-hook: hostile domains from the ACME client's hand-over.
mkdir -p "$t/lineage"
cp "$t/k.pem" "$t/lineage/privkey.pem"; cp "$t/c.pem" "$t/lineage/fullchain.pem"
chmod 600 "$t/lineage/privkey.pem"
for d in 'mx1.example.org;touch PWNED-a1' '$(touch PWNED-a2)' '../../etc/passwd'; do
	out=$(cd "$t" && RENEWED_LINEAGE=$t/lineage RENEWED_DOMAINS="$d" "$bin" -c "$t/d.conf" acme-hook 2>&1); rc=$?
	if [ $rc -ne 0 ] && echo "$out" | grep -q "none of .* is a \[host\]" && [ -z "$(pwned)" ]; then
		ok "acme-hook: domain \"$d\" refused (exit $rc)"
	else not_ok "acme-hook: domain \"$d\" refused" "rc=$rc $out"; fi
done
out=$(cd "$t" && "$bin" -c "$t/d.conf" acme-hook deploy_cert 'mx1.example.org
;touch PWNED-a4' "$t/lineage/privkey.pem" "$t/c.pem" "$t/lineage/fullchain.pem" "$t/c.pem" 1 2>&1); rc=$?
[ $rc -ne 0 ] && [ -z "$(pwned)" ] && ok "acme-hook: dehydrated domain with a newline refused (exit $rc)" ||
	not_ok "acme-hook: dehydrated domain with a newline refused" "rc=$rc $out"

# 4. Symlinks planted where daneroll writes.
# 4a. The deployed combined file is a symlink to a root-only file (a key
# and its chain, as another service's would be), and the deployed files
# belong to an unprivileged user (owner = nobody, as Debian-exim would
# be): the deploy must not read through the link, so nothing of that file
# reaches a PATH.prev that user owns; the decoy is not written either.
rm -rf "$t/state" "$t/live"/*; mkdir -p "$t/state"
conf mx1.example.org "combined_file = $t/live/mx1-%a.pem
owner = nobody
reload = $t/hooks/dump reload"
{ echo "ROOT-ONLY-MARKER"; cat "$t/k.pem" "$t/c.pem"; } > "$t/root-only.pem"
chmod 600 "$t/root-only.pem"
ln -s "$t/root-only.pem" "$t/live/mx1-ecdsa-p256.pem"
ln -s "$t/decoy" "$t/live/mx1-ecdsa-p256.pem.prev"
"$bin" -c "$t/d.conf" run >"$t/out" 2>&1
"$bin" -c "$t/d.conf" roll mx1.example.org >>"$t/out" 2>&1
for s in 1 2 3 4 5 6; do DANEROLL_NOW=$((now + s * 400)) "$bin" -c "$t/d.conf" run >>"$t/out" 2>&1; done
decoy_ok && ok "combined_file.prev symlinked to a decoy passwd: decoy untouched" ||
	not_ok "combined_file.prev symlinked to a decoy passwd: decoy untouched" "$(cat "$t/decoy"; tail -n 10 "$t/out")"
leak=$(grep -rl ROOT-ONLY-MARKER "$t/live" "$t/state" 2>/dev/null)
if [ -z "$leak" ] && [ "$(stat -c %U:%a "$t/root-only.pem")" = root:600 ]; then
	ok "combined_file symlinked to a root-only file: nothing of it copied (owner nobody)"
else not_ok "combined_file symlinked to a root-only file: nothing of it copied (owner nobody)" "$leak $(ls -l "$t/live"; tail -n 10 "$t/out")"; fi
grep -q "$t/live/mx1-ecdsa-p256.pem: is a symbolic link daneroll did not make" "$t/out" &&
	ok "the planted link is named and left alone" ||
	not_ok "the planted link is named and left alone" "$(tail -n 10 "$t/out")"
# 4a'. live_link: an old version name that is a symbolic link to someone
# else's directory: pruning old sets must not delete through it.
rm -rf "$t/state" "$t/live"/* "$t/victim"; mkdir -p "$t/state" "$t/victim" "$t/live/mx1-ecdsa-p256.v3"
for f in privkey.pem cert.pem chain.pem fullchain.pem; do echo victim > "$t/victim/$f"; done
cp "$t/k.pem" "$t/live/mx1-ecdsa-p256.v3/privkey.pem"
cp "$t/c.pem" "$t/live/mx1-ecdsa-p256.v3/cert.pem"
cp "$t/c.pem" "$t/live/mx1-ecdsa-p256.v3/fullchain.pem"
: > "$t/live/mx1-ecdsa-p256.v3/chain.pem"
chmod 600 "$t/live/mx1-ecdsa-p256.v3/privkey.pem"
ln -s mx1-ecdsa-p256.v3 "$t/live/mx1-ecdsa-p256"
ln -s "$t/victim" "$t/live/mx1-ecdsa-p256.v1"
conf mx1.example.org "live_link = $t/live/mx1-%a
reload = $t/hooks/dump reload"
"$bin" -c "$t/d.conf" run >"$t/out" 2>&1
"$bin" -c "$t/d.conf" roll mx1.example.org >>"$t/out" 2>&1
for s in 1 2 3 4 5 6; do DANEROLL_NOW=$((now + s * 400)) "$bin" -c "$t/d.conf" run >>"$t/out" 2>&1; done
if [ "$(cat "$t"/victim/* | sort -u)" = victim ] && [ "$(ls "$t/victim" | wc -l)" -eq 4 ] &&
    [ "$(readlink "$t/live/mx1-ecdsa-p256")" = mx1-ecdsa-p256.v4 ]; then
	ok "live_link: a version name that is a symlink is not pruned through (the rollover deployed v4)"
else not_ok "live_link: a version name that is a symlink is not pruned through" "$(ls -l "$t/victim" "$t/live"; tail -n 10 "$t/out")"; fi
# 4b. The state database is a symlink to the decoy.
rm -rf "$t/state"; mkdir -p "$t/state"
ln -s "$t/decoy" "$t/state/daneroll.db"
out=$("$bin" -c "$t/d.conf" run 2>&1); rc=$?
decoy_ok && [ $rc -ne 0 ] && ok "daneroll.db symlinked to a decoy: refused (exit $rc), decoy untouched" ||
	not_ok "daneroll.db symlinked to a decoy: refused, decoy untouched" "rc=$rc $out"
# 4c. The staged-key directory of the host is a symlink elsewhere.
rm -rf "$t/state"; mkdir -p "$t/state/keys"
ln -s "$t/elsewhere" "$t/state/keys/mx1.example.org"
out=$(DANEROLL_NOW=$((now + 5000)) "$bin" -c "$t/d.conf" run 2>&1); rc=$?
n=$(ls "$t/elsewhere" | wc -l)
[ "$n" -eq 0 ] && ok "key directory symlinked elsewhere: no key written through it (exit $rc)" ||
	not_ok "key directory symlinked elsewhere: no key written through it" "rc=$rc files=$(ls "$t/elsewhere") $out"
# 4d. A secret file that is a symlink is refused, by name.
ln -sf "$t/tsig.key" "$t/tsig-link.key"
conf mx3.example.org "combined_file = $t/live/mx3-%a.pem
publisher = bind"
sed -i '/^publisher = script$/d' "$t/d.conf"
rm -rf "$t/state"
out=$("$bin" -c "$t/d.conf" run 2>&1)
echo "$out" | grep -q "$t/tsig-link.key: is a symbolic link" &&
	ok "TSIG key file that is a symlink refused, clearly" ||
	not_ok "TSIG key file that is a symlink refused, clearly" "$out"

# 5. A provider program's output cannot forge log lines or drive the
# operator's terminal: one line, no control characters.
conf mx4.example.org "combined_file = $t/live/mx4-%a.pem"
sed -i 's/^publisher = script$/publisher = noisy/' "$t/d.conf"
rm -rf "$t/state"
"$bin" -c "$t/d.conf" run >"$t/out" 2>&1
if grep -q "forged: line" "$t/out" && ! grep -q '^forged' "$t/out" &&
    ! LC_ALL=C grep -q "$(printf '\033')" "$t/out" && ! grep -q "$(printf '\r')" "$t/out"; then
	ok "exec publisher output logged on one line, control characters removed"
else not_ok "exec publisher output logged on one line, control characters removed" "$(cat -v "$t/out")"; fi

[ -z "$(pwned)" ] && ok "no marker file anywhere" || not_ok "no marker file anywhere" "$(pwned)"
decoy_ok && ok "decoy unchanged at the end" || not_ok "decoy unchanged at the end"
summary

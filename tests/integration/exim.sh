#!/bin/sh
# Integration: examples/exim.conf in a real Exim, inside a network namespace
# of its own (drexim, or $EXIM_NS; Exim listens on 192.0.2.25:25 only):
#
#   - Debian 12's Exim 4.96 (exim4-daemon-light, GnuTLS), unpacked by
#     tests/deps.sh world into /var/cache/daneroll-test/exim4 (Debian's
#     MTA packages conflict: Postfix stays installed), configured the
#     Debian way: Debian's split configuration (exim4-config's conf.d,
#     built by its update-exim4.conf) with the example's Debian section as
#     conf.d/main/000_localmacros; the example's other sections checked
#     with exim -bP;
#   - daneroll's files deployer (tests/integration/acme-driver.c) installs
#     combined files (key, leaf, intermediate from a small test CA) as the
#     example's [host] section says, its reload a SIGHUP;
#   - openssl s_client -starttls smtp watches the wire: both chains served
#     from the one list, chosen by the client's signature algorithms; a new
#     ECDSA key served after deploy + reload with RSA untouched; a failing
#     reload leaves the previous set served; rollback;
#   - daneroll check (live DANE) against Exim, with the TLSA records in
#     the signed zone of tests/integration/verifyworld (BIND + unbound).
#
# Exim's view of /etc is private (an overlay on /etc in the mount
# namespace that ip netns exec gives it, gone with its last process): it
# holds Debian's /etc/exim4 and a Debian-exim user, which the binary looks
# up at start. Debian-exim there has nobody's uid and nogroup's gid, so the
# host section's owner and group are nobody and nogroup here; nothing is
# added to the machine's users or to its /etc.
#
# Needs root; skips cleanly otherwise or when Exim or a program is missing
# (make check installs them). About 10 s.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/testlib"
top=${DANEROLL_TOP:-$(cd "$here/../.." && pwd)}
build=${DANEROLL_BUILD:-$top/build}
driver=$build/tests/acme-driver
DR=${DANEROLL_BIN:-$top/daneroll}
EXIM_DIR=${EXIM_DIR:-/var/cache/daneroll-test/exim4}
EXIM=$EXIM_DIR/usr/sbin/exim4
NS=${EXIM_NS:-drexim}
ADDR=192.0.2.25
HOST=mxe.dr.test
EXAMPLE=$top/examples/exim.conf
PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH
export PATH
# shellcheck disable=SC2034 # read by verifyworld
VW_TOP=$top VW_NS=$NS
VW_DIR=${EXIM_TEST_DIR:-/tmp/daneroll-exim}
. "$here/verifyworld"

if [ "$(id -u)" -ne 0 ]; then
	skip "Exim integration" "needs root (network namespace, mounts)"
	summary; exit 0
fi
missing=""
for c in ip openssl mount; do
	command -v "$c" >/dev/null 2>&1 || missing="$missing $c"
done
[ -x "$driver" ] || missing="$missing $driver (make check-build)"
[ -x "$EXIM" ] && [ -x "$EXIM_DIR/usr/sbin/update-exim4.conf" ] ||
	missing="$missing Exim 4.96 in $EXIM_DIR (sh tests/deps.sh world)"
if [ -z "$missing" ]; then
	libs=$(ldd "$EXIM" 2>&1 | awk '/not found/ { printf " %s", $1 }')
	[ -z "$libs" ] || missing=" Exim's libraries:$libs (sh tests/deps.sh world)"
fi
if [ -n "$missing" ]; then
	skip "Exim integration" "missing:$missing"
	summary; exit 0
fi

trap 'vw_down' EXIT
trap 'exit 130' INT TERM
t0=$(date +%s)
x=$VW_DIR
etc=$x/etc		# Exim's private /etc: upper and work of the overlay
view=$etc/upper

# in_view CMD...: CMD in the namespace, seeing Exim's private /etc. One at
# a time, and not while the daemon runs: two overlays must not share $etc.
# shellcheck disable=SC2016 # expanded by the sh -c that runs it
VIEW='mount -t overlay daneroll-exim -o "lowerdir=/etc,upperdir=$0/upper,workdir=$0/work" /etc && exec "$@"'
in_view() { ip netns exec "$NS" sh -c "$VIEW" "$etc" "$@"; }
nsx() { ip netns exec "$NS" "$@"; }

# What Exim serves on the wire now: SPKI digest of the leaf, or "none";
# the chain it sent in $x/wire.pem.
WIRE_DIR=$x
served_spki() { wire_spki "$ADDR" "$HOST" "$@"; }
RSA_ONLY="-sigalgs rsa_pss_rsae_sha256:rsa_pkcs1_sha256"
ECDSA_ONLY="-sigalgs ecdsa_secp256r1_sha256"

# ---- the namespace, the test CA, the keys ---------------------------------
vw_down
mkdir -p "$x/log" "$x/pids" "$x/keys" "$x/tls" "$x/state" \
    "$x/exim/spool" "$x/exim/log" "$view/exim4" "$etc/work" || exit 1
: >"$x/.vw"
chmod 755 "$x" "$x/tls" "$x/exim"
# Exim writes its spool and logs as Debian-exim (nobody's uid, see above).
chown nobody:nogroup "$x/exim/spool" "$x/exim/log"
if ip netns add "$NS" && nsx ip link set lo up &&
    nsx ip addr add "$ADDR/32" dev lo && nsx ip addr add 192.0.2.53/32 dev lo &&
    mkdir -p "/etc/netns/$NS" &&
    printf 'nameserver 127.0.0.1\noptions trust-ad edns0\n' >"/etc/netns/$NS/resolv.conf"
then
	ok "network namespace $NS with $ADDR (Exim) and 192.0.2.53 (BIND)"
else
	not_ok "network namespace $NS"
	summary; exit 1
fi

k=$x/keys
(
	cd "$k" || exit 1
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout root.key -out root.pem -subj "/CN=daneroll exim test root" \
	    -days 90 &&
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout int.key -out int.csr -subj "/CN=daneroll exim test intermediate" &&
	printf 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign\n' >int.ext &&
	openssl x509 -req -in int.csr -CA root.pem -CAkey root.key -set_serial 1 \
	    -days 90 -extfile int.ext -out int.pem
) >"$x/log/ca.log" 2>&1
# mkchain NAME rsa|ec: keys/NAME.key and keys/NAME.chain (leaf, intermediate)
serial=10
mkchain() {
	serial=$((serial + 1))
	(
		umask 077
		if [ "$2" = rsa ]; then
			openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
			    -out "$k/$1.key"
		else
			openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
			    -out "$k/$1.key"
		fi
	) 2>/dev/null &&
	openssl req -new -key "$k/$1.key" -subj "/CN=$HOST" \
	    -addext "subjectAltName=DNS:$HOST" -out "$k/$1.csr" 2>/dev/null &&
	openssl x509 -req -in "$k/$1.csr" -CA "$k/int.pem" -CAkey "$k/int.key" \
	    -set_serial "$serial" -days 90 -copy_extensions copy \
	    -out "$k/$1.leaf" 2>/dev/null &&
	cat "$k/$1.leaf" "$k/int.pem" >"$k/$1.chain"
}
if mkchain R rsa && mkchain A ec && mkchain B ec && mkchain C ec; then
	ok "test CA (root, intermediate) and chains: RSA R; ECDSA A, B, C"
else
	not_ok "test CA and chains" "$(tail -n 5 "$x/log/ca.log")"
	summary; exit 1
fi
R=$(spki_of_key "$k/R.key") A=$(spki_of_key "$k/A.key")
B=$(spki_of_key "$k/B.key") C=$(spki_of_key "$k/C.key")
label() { # spki -> which key it is
	case $1 in
	"$R") echo "R (RSA)" ;; "$A") echo "A" ;; "$B") echo "B" ;; "$C") echo "C" ;;
	*) echo "$1" ;;
	esac
}

# ---- Exim, the Debian way ---------------------------------------------------
# Exim's /etc: the machine's, plus the Debian-exim user and group, Debian's
# /etc/exim4 (conf.d as exim4-config ships it) and a resolver that is the
# namespace's own.
{ cat /etc/passwd; echo "Debian-exim:x:$(id -u nobody):$(id -g nobody):Exim (daneroll test):/nonexistent:/usr/sbin/nologin"; } >"$view/passwd"
{ cat /etc/group; echo "Debian-exim:x:$(id -g nobody):"; } >"$view/group"
cp "/etc/netns/$NS/resolv.conf" "$view/resolv.conf"
echo "$HOST" >"$view/mailname"
cp -R "$EXIM_DIR/etc/exim4/conf.d" "$view/exim4/"
cat >"$view/exim4/update-exim4.conf.conf" <<EOF
dc_eximconfig_configtype='internet'
dc_other_hostnames=''
dc_local_interfaces='$ADDR'
dc_readhost=''
dc_relay_domains=''
dc_minimaldns='false'
dc_relay_nets=''
dc_smarthost=''
CFILEMODE='644'
dc_use_split_config='true'
dc_hide_mailname=''
dc_mailname_in_oh='true'
dc_localdelivery='mail_spool'
EOF
# The example's Debian section, its paths moved here.
sed -n '/^# ---- inbound, Debian /,/^# ---- inbound, any other Exim/p' "$EXAMPLE" |
    sed "s|/etc/exim4/tls/mx2-|$x/tls/mx2-|g" >"$view/exim4/conf.d/main/000_localmacros"
# What a private instance needs: its spool, logs and PID file here, no
# reverse lookups (no DNS answers for them here).
cat >"$view/exim4/conf.d/main/00_daneroll_test" <<EOF
MAIN_HARDCODE_PRIMARY_HOSTNAME = $HOST
MAIN_HOST_LOOKUP =
SPOOLDIR = $x/exim/spool
log_file_path = $x/exim/log/%slog
pid_file_path = $x/exim/exim.pid
EOF
conf=$view/exim4/exim4.conf
in_view "$EXIM_DIR/usr/sbin/update-exim4.conf" -o /etc/exim4/exim4.conf \
    >"$x/log/update-exim4.conf.log" 2>&1
# Exim re-executes exim_path on SIGHUP: the unpacked binary, not Debian's
# /usr/sbin/exim4.
sed -i "s|^exim_path = /usr/sbin/exim4\$|exim_path = $EXIM|" "$conf" 2>/dev/null
if grep -q "^MAIN_TLS_CERTKEY = $x/tls/" "$conf" &&
    grep -qx "exim_path = $EXIM" "$conf"; then
	ok "update-exim4.conf: Debian's split configuration with the example's section as 000_localmacros"
else
	not_ok "update-exim4.conf built the configuration" \
	    "$(tail -n 5 "$x/log/update-exim4.conf.log")"
	summary; exit 1
fi

in_view "$EXIM" -bV >"$x/log/exim-bV.log" 2>&1
rc=$?
version=$(sed -n 's/^Exim version \([^ ]*\) .*/\1/p' "$x/log/exim-bV.log")
if [ "$rc" -eq 0 ] && grep -q '^Configuration file is /etc/exim4/exim4.conf$' "$x/log/exim-bV.log" &&
    grep -q '^Support for:.* GnuTLS .*DANE' "$x/log/exim-bV.log"; then
	ok "exim -bV: Exim $version with GnuTLS and DANE accepts the configuration"
else
	not_ok "exim -bV accepts the configuration" "exit $rc: $(tail -n 5 "$x/log/exim-bV.log")"
fi

# bP OPTION...: "name = value" lines as Exim reads the configuration.
bP() { in_view "$EXIM" -bP "$@" 2>&1; }
want="tls_certificate = $x/tls/mx2-ecdsa-p256.pem : $x/tls/mx2-rsa2048.pem
tls_privatekey = 
tls_require_ciphers = NORMAL:-VERS-TLS1.0:-VERS-TLS1.1
tls_advertise_hosts = *
dns_dnssec_ok = 1"
got=$(bP tls_certificate tls_privatekey tls_require_ciphers tls_advertise_hosts dns_dnssec_ok)
if [ "$got" = "$want" ]; then
	ok "exim -bP: the list ECDSA first, no tls_privatekey, the GnuTLS branch, STARTTLS for all, DNSSEC asked (Debian's own dns_dnssec_ok)"
else
	not_ok "exim -bP: the example's TLS settings" "got:
$got
wanted:
$want"
fi
if bP transport remote_smtp | grep -qx 'hosts_try_dane = \*'; then
	ok "exim -bP transport remote_smtp: hosts_try_dane = * (Exim 4.96's default, as the example says)"
else
	not_ok "hosts_try_dane = * by default" "$(bP transport remote_smtp | grep dane)"
fi

# The example's warnings: what Exim says to each mistake, as a daemon
# starts (Exim checks tls_require_ciphers only then; another port, 10 s at
# most should one start after all; its logs elsewhere: the panic log is
# checked at the end).
while IFS='|' read -r what edit says; do
	sed -e "$edit" -e "s#^log_file_path = .*#log_file_path = $x/exim/mistakes-%s#" \
	    "$conf" >"$view/exim4/mistake.conf"
	got=$(in_view timeout 10 "$EXIM" -C /etc/exim4/mistake.conf -oX 10025 -bdf 2>&1)
	case $got in
	*"$says"*) ok "a mistake the example warns of stops Exim: $what ($says)" ;;
	*) not_ok "a mistake the example warns of stops Exim: $what" "$got" ;;
	esac
done <<EOF
tls_certificate beside Debian's|1a tls_certificate = $x/tls/mx2-rsa2048.pem|"tls_certificate" option set for the second time
dns_dnssec_ok added to Debian's|1a dns_dnssec_ok = 1|"dns_dnssec_ok" option set for the second time
openssl_options with GnuTLS|1a openssl_options = +no_tlsv1|openssl_options is set but we're using GnuTLS
OpenSSL's cipher string with GnuTLS|s#^tls_require_ciphers = .*#tls_require_ciphers = DEFAULT:!aNULL:!eNULL#|tls_require_ciphers invalid
EOF
# The example's section for any other Exim, uncommented, says the same.
sed -n '/^# ---- inbound, any other Exim/,/^# Separate key files/p' "$EXAMPLE" |
    sed -n 's/^#   //p' | sed "s|/etc/exim4/tls/mx2-|$x/tls/mx2-|g" >"$view/exim4/plain.conf"
sed -n '/^\.ifdef _HAVE_GNUTLS/,/^\.endif/p' "$EXAMPLE" >>"$view/exim4/plain.conf"
got=$(in_view "$EXIM" -C /etc/exim4/plain.conf -bP tls_certificate tls_privatekey \
    tls_require_ciphers tls_advertise_hosts 2>&1)
if [ "$got" = "$(echo "$want" | sed '$d')" ]; then
	ok "the example's section for any other Exim means the same to Exim"
else
	not_ok "the example's section for any other Exim means the same" "$got"
fi

vw_spawn exim sh -c "$VIEW" "$etc" "$EXIM" -bdf
mainlog=$x/exim/log/mainlog
if vw_wait 20 grep -q "daemon started: pid=$(cat "$x/pids/exim")" "$mainlog" &&
    [ "$(grep -o 'listening for SMTP on .*' "$mainlog")" = "listening for SMTP on [$ADDR]:25" ]
then
	ok "Exim daemon runs (pid $(cat "$x/pids/exim")), listening for SMTP on [$ADDR]:25 only"
else
	not_ok "Exim daemon runs" "$(tail -n 5 "$x/log/exim.log" "$mainlog" 2>/dev/null)"
	summary; exit 1
fi

# ---- daneroll's deployer, with the example's [host] section -----------------
# The reload: SIGHUP, as systemctl reload exim4 sends it; then wait until
# the re-executed daemon listens again. Made to fail once while
# reload-fail exists.
cat >"$x/reload" <<EOF
#!/bin/sh
if [ -e "$x/reload-fail" ]; then
	rm -f "$x/reload-fail"
	echo "exim4: simulated reload failure" >&2
	exit 1
fi
n=\$(grep -c 'daemon started' "$mainlog")
kill -HUP "\$(cat "$x/pids/exim")" || exit 1
i=0
while [ \$i -lt 100 ]; do
	[ "\$(grep -c 'daemon started' "$mainlog")" -gt "\$n" ] && exit 0
	sleep 0.1
	i=\$((i + 1))
done
echo "exim4: no daemon after SIGHUP" >&2
exit 1
EOF
chmod 700 "$x/reload"
printf 'key "dr" { algorithm hmac-sha256; secret "%s"; };\n' \
    "$(openssl rand -base64 32)" >"$x/tsig.key"
chmod 600 "$x/tsig.key"
dconf=$x/daneroll.conf
{
	cat <<EOF
[global]
state_dir = $x/state
resolver = 127.0.0.1

[publisher bind]
type = rfc2136
server = 192.0.2.53
tsig_key_file = $x/tsig.key

EOF
	# Debian-exim is nobody/nogroup in Exim's view (see the top).
	sed -n '/^#   \[host /,/^#$/p' "$EXAMPLE" | sed -n 's/^#   //p' |
	    sed -e "s|^\[host .*|[host $HOST]|" \
		-e "s|/etc/exim4/tls/|$x/tls/|" \
		-e 's|^owner\( *\)= Debian-exim|owner\1= nobody|' \
		-e 's|^group\( *\)= Debian-exim|group\1= nogroup|' \
		-e "s|^reload .*|reload = $x/reload|"
	echo "publisher = bind"
} >"$dconf"
chmod 600 "$dconf"

deploy() { # NAME ALG KEY: acme-driver deploy of keys/KEY, log in $x/deploy-NAME.log
	"$driver" deploy "$dconf" "$HOST" "$2" "$k/$3.key" "$k/$3.chain" \
	    >"$x/deploy-$1.log" 2>&1
}
if deploy r rsa2048 R && deploy a ecdsa-p256 A; then
	ok "deploy of R (mx2-rsa2048.pem) and A (mx2-ecdsa-p256.pem), each with its reload"
else
	not_ok "deploy of R and A" "$(cat "$x/deploy-r.log" "$x/deploy-a.log")"
fi
st=$(stat -c '%U:%G %a' "$x/tls/mx2-rsa2048.pem" "$x/tls/mx2-ecdsa-p256.pem" | sort -u)
if [ "$st" = "nobody:nogroup 400" ] &&
    [ "$(head -n 1 "$x/tls/mx2-ecdsa-p256.pem")" = "-----BEGIN PRIVATE KEY-----" ] &&
    [ "$(grep -c 'BEGIN CERTIFICATE' "$x/tls/mx2-ecdsa-p256.pem")" = 2 ]; then
	ok "combined files as the example's section says: key, leaf, intermediate; owner Debian-exim (nobody here), mode 0400"
else
	not_ok "combined files: owner, mode, contents" "$st"
fi

expect_served "on the wire, a client that takes both (TLS 1.3): ECDSA A, the list's first" "$A"
expect_served "on the wire, TLS 1.2, a client that takes both: ECDSA A" "$A" -tls1_2
# shellcheck disable=SC2086
expect_served "on the wire, a client that takes only RSA: R, the list's second file" "$R" $RSA_ONLY
# shellcheck disable=SC2086
expect_served "on the wire, TLS 1.2, a client that takes only RSA: R" "$R" -tls1_2 $RSA_ONLY
for a in ecdsa rsa; do
	if [ $a = rsa ]; then s=$RSA_ONLY; else s=$ECDSA_ONLY; fi
	# shellcheck disable=SC2086
	served_spki $s -CAfile "$k/root.pem" >/dev/null
	n=$(grep -c 'BEGIN CERTIFICATE' "$x/wire.pem")
	if [ "$n" -eq 2 ] && grep -q 'Verify return code: 0 (ok)' "$x/wire.txt"; then
		ok "$a: leaf and intermediate served, verifying to the test root"
	else
		not_ok "$a: leaf and intermediate served" "$n certificates; $(grep 'Verify return' "$x/wire.txt")"
	fi
done
# tls_require_ciphers (GnuTLS branch): no TLS 1.1, whatever the client.
if [ "$(served_spki -tls1_1 -cipher DEFAULT@SECLEVEL=0)" = none ] &&
    grep -q 'alert protocol version' "$x/wire.txt"; then
	ok "TLS 1.1 refused (protocol version alert): the example's tls_require_ciphers counts"
else
	not_ok "TLS 1.1 refused" "$(grep -i 'protocol\|alert' "$x/wire.txt" | head -n 3)"
fi

# Exim reads the files as Debian-exim: owned by root, mode 0400, no TLS.
errs=$(grep -c 'TLS error.*Error while reading file' "$mainlog")
chown root:root "$x/tls/mx2-ecdsa-p256.pem" "$x/tls/mx2-rsa2048.pem"
"$x/reload" 2>>"$x/log/reload.log"
# shellcheck disable=SC2086
got=$(served_spki $ECDSA_ONLY)
chown nobody:nogroup "$x/tls/mx2-ecdsa-p256.pem" "$x/tls/mx2-rsa2048.pem"
"$x/reload" 2>>"$x/log/reload.log"
# shellcheck disable=SC2086
if [ "$got" = none ] &&
    [ "$(grep -c 'TLS error.*Error while reading file' "$mainlog")" -gt "$errs" ] &&
    [ "$(served_spki $ECDSA_ONLY)" = "$A" ]; then
	ok "owned by root (0400), the files are unreadable to Exim: no TLS ('Error while reading file'); owner Debian-exim again, A served"
else
	not_ok "the owner matters: root-owned files give no TLS" \
	    "served $(label "$got"); $(grep 'TLS error' "$mainlog" | tail -n 2)"
fi

# ---- roll the ECDSA slot ----------------------------------------------------
hups=$(grep -c 'SIGHUP received' "$mainlog")
if deploy b ecdsa-p256 B; then
	ok "deploy of B (a new ECDSA key) with its reload"
else
	not_ok "deploy of B" "$(cat "$x/deploy-b.log")"
fi
if [ "$(grep -c 'SIGHUP received' "$mainlog")" -eq $((hups + 1)) ]; then
	ok "the reload was a SIGHUP: Exim re-executed itself"
else
	not_ok "the reload was a SIGHUP" "$(tail -n 3 "$mainlog")"
fi
expect_served "on the wire after deploy + reload: B" "$B"
# shellcheck disable=SC2086
expect_served "on the wire after deploy + reload: B to an ECDSA-only client" "$B" $ECDSA_ONLY
# shellcheck disable=SC2086
expect_served "on the wire, RSA: R, untouched" "$R" $RSA_ONLY
if [ "$(spki_of_leaf "$x/tls/mx2-ecdsa-p256.pem.prev")" = "$A" ]; then
	ok "A kept as the previous set (.prev)"
else
	not_ok "A kept as the previous set (.prev)"
fi

# Deploy C with a reload that fails: B must be served again.
touch "$x/reload-fail"
deploy c ecdsa-p256 C
rc=$?
if [ "$rc" -eq 75 ] && grep -q 'previous set is restored and reloaded' "$x/deploy-c.log"; then
	ok "failing reload: deploy fails (75), previous set restored and reloaded"
else
	not_ok "failing reload: deploy fails, previous set restored" \
	    "exit $rc: $(cat "$x/deploy-c.log")"
fi
expect_served "on the wire after the failed reload: still B" "$B"
# shellcheck disable=SC2086
expect_served "on the wire after the failed reload, RSA: R" "$R" $RSA_ONLY

# ---- daneroll check: live DANE against Exim -------------------------------
# mxe.dr.test in verifyworld's signed dr.test publishes a current and a
# next key per algorithm, as daneroll does: R and a next RSA key, B and A
# (the previous set); mxf.dr.test, on the same address, R and C only.
tlsa() { echo "_25._tcp.$1 3600 TLSA 3 1 1 $2"; }
(umask 077 && openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
    -out "$k/Rnext.key" 2>/dev/null)
# shellcheck disable=SC2034 # read by verifyworld
VW_EXTRA_ZONE="mxe A $ADDR
$(tlsa mxe "$R")
$(tlsa mxe "$(spki_of_key "$k/Rnext.key")")
$(tlsa mxe "$A")
$(tlsa mxe "$B")
mxf A $ADDR
$(tlsa mxf "$R")
$(tlsa mxf "$C")"
missing=""
for c in named unbound dig python3; do
	command -v "$c" >/dev/null 2>&1 || missing="$missing $c"
done
[ -x "$DR" ] || missing="$missing $DR"
if [ -n "$missing" ]; then
	skip "daneroll check against Exim" "missing:$missing (sh tests/deps.sh world)"
elif ! { vw_make_certs && vw_make_dns && vw_make_unbound; } 2>>"$x/log/world.log"; then
	not_ok "signed zone: BIND and unbound" "$(tail -n 5 "$x/log/world.log" "$x"/log/*.log 2>/dev/null | tail -n 10)"
else
	ok "signed zone dr.test (BIND, inline signing) and unbound validating it"
	sed -n "/^\[host $HOST\]/,\$p" "$dconf" |
	    sed "s|^\[host .*|[host mxf.dr.test]|; s|/tls/mx2-|/tls/mxf-|" >"$x/mxf.conf"
	cat "$x/mxf.conf" >>"$dconf"
	nsx "$DR" -c "$dconf" check "$HOST" >"$x/check.out" 2>&1
	rc=$?
	if [ "$rc" -eq 0 ] && head -n 1 "$x/check.out" | grep -q '^DANE OK - 1 host, 2 of 2 endpoints'; then
		ok "daneroll check $HOST: DANE OK for RSA and ECDSA (exit 0)"
	else
		not_ok "daneroll check $HOST: DANE OK" "exit $rc: $(head -n 12 "$x/check.out")"
	fi
	nsx "$DR" -c "$dconf" check --json mxf.dr.test >"$x/check.json" 2>"$x/check.stderr"
	rc=$?
	json_keep check mxf.dr.test <"$x/check.json" >/dev/null
	if [ "$rc" -eq 2 ] && python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
r = {e["alg"]: e["result"] for e in d["hosts"][0]["endpoints"]}
assert r == {"rsa2048": "match", "ecdsa-p256": "mismatch"}, r
' "$x/check.json" 2>"$x/check.err"; then
		ok "daneroll check mxf.dr.test (no record for B): ECDSA mismatch, RSA match, CRITICAL (exit 2)"
	else
		not_ok "daneroll check finds Exim's B unpublished" "exit $rc: $(cat "$x/check.err") $(head -c 600 "$x/check.json") $(head -c 300 "$x/check.stderr")"
	fi
fi

# Rollback (as after a failed live check): A is served again.
if "$driver" rollback "$dconf" "$HOST" ecdsa-p256 >"$x/rollback.log" 2>&1; then
	ok "rollback restores the previous set and reloads"
else
	not_ok "rollback" "$(cat "$x/rollback.log")"
fi
expect_served "on the wire after rollback: A again" "$A"
# shellcheck disable=SC2086
expect_served "on the wire after rollback, RSA: R, untouched" "$R" $RSA_ONLY

if [ -s "$x/exim/log/paniclog" ]; then
	not_ok "Exim's panic log is empty" "$(tail -n 5 "$x/exim/log/paniclog")"
else
	ok "Exim's panic log is empty"
fi
el=$(($(date +%s) - t0))
if [ "$el" -lt 120 ]; then ok "whole run in $el s (< 120 s)"; else
	not_ok "whole run in $el s (< 120 s)"; fi
summary

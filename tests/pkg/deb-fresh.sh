#!/bin/sh
# The Debian package as a newcomer gets it: built with `make deb` on a
# brand-new Debian 12, checked by lintian, installed with apt, run, then
# removed (configuration and state kept) and purged (both gone).
#
#   sh tests/pkg/deb-fresh.sh            as root: all of it inside a fresh
#                                        minimal Debian 12 chroot, made by
#                                        FRESH_MACHINE (default
#                                        ../shared/tools/fresh-machine.sh
#                                        beside the checkout), from a clone
#                                        of HEAD: commit first
#   sh tests/pkg/deb-fresh.sh --inside   the same on this machine, which it
#                                        changes (installs build
#                                        dependencies, installs and purges
#                                        daneroll): what the first form runs
#                                        in the chroot
#
# Not part of make check (it needs root, a chroot and the network for
# apt). Ends with "N passed, N failed, N skipped"; exit 0 if none failed.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)

if [ "${1:-}" != --inside ]; then
	fresh=${FRESH_MACHINE:-$top/../shared/tools/fresh-machine.sh}
	if [ "$(id -u)" -ne 0 ]; then
		echo "deb-fresh: run as root: fresh-machine.sh makes a chroot" >&2
		exit 77
	fi
	if [ ! -f "$fresh" ]; then
		echo "deb-fresh: no $fresh: set FRESH_MACHINE" >&2
		exit 69
	fi
	[ -z "$(git -C "$top" status --porcelain --untracked-files=no)" ] ||
		echo "deb-fresh: uncommitted changes are not tested: the chroot gets a clone of HEAD" >&2
	exec bash "$fresh" "$top" sh tests/pkg/deb-fresh.sh --inside
fi

cd "$top" || exit 1
. tests/integration/testlib
export DEBIAN_FRONTEND=noninteractive
log=$(mktemp)
trap 'rm -f "$log"' EXIT
apt() { # apt-get ARGS..., quietly, its output in $log
	apt-get -o DPkg::Lock::Timeout=600 -y -q "$@" >"$log" 2>&1
}
since() { echo "$(($(date +%s) - $1)) s"; }

# ---- build ------------------------------------------------------------------
t0=$(date +%s)
if apt update && apt install --no-install-recommends build-essential dpkg-dev &&
    apt build-dep --no-install-recommends ./; then
	ok "build dependencies from debian/control ($(since "$t0"))"
else
	not_ok "build dependencies from debian/control" "$(tail -n 20 "$log")"
fi
t0=$(date +%s)
if make deb >"$log" 2>&1; then
	ok "make deb ($(since "$t0"))"
else
	not_ok "make deb" "$(tail -n 40 "$log")"
	summary
	exit 1
fi
deb=$(ls build-deb/daneroll_*.deb 2>/dev/null | head -n 1)
version=$(dpkg-parsechangelog -S Version)
[ "$deb" = "build-deb/daneroll_${version}_$(dpkg --print-architecture).deb" ] &&
	ok "make deb left $deb" || not_ok "make deb left the package in build-deb/" "found: '$deb'"

# ---- lintian ----------------------------------------------------------------
t0=$(date +%s)
if apt install --no-install-recommends lintian; then
	lintian --fail-on error,warning "$deb" >"$log" 2>&1
	rc=$?
	sed -e '/running with root privileges/d' -e 's/^/    lintian: /' "$log"
	n=$(grep -c '^[EW]: ' "$log")
	[ "$rc" -eq 0 ] && [ "$n" -eq 0 ] &&
		ok "lintian: no error or warning ($(since "$t0"))" ||
		not_ok "lintian: no error or warning" "exit $rc, $n E:/W: lines"
else
	not_ok "lintian installed" "$(tail -n 20 "$log")"
fi

# ---- install ------------------------------------------------------------------
if apt install --no-install-recommends "./$deb"; then ok "apt-get install ./$deb"
else not_ok "apt-get install ./$deb" "$(tail -n 20 "$log")"; fi

out=$(daneroll --version 2>&1)
[ "$out" = "daneroll $version" ] && [ "$(command -v daneroll)" = /usr/sbin/daneroll ] &&
	ok "daneroll --version: $out (/usr/sbin/daneroll)" ||
	not_ok "daneroll --version says daneroll $version" "$(command -v daneroll): $out"

conf=/etc/daneroll/daneroll.conf
# The sample's TSIG key is the operator's to make: until it exists, config
# check says so (78, naming the setting's line and the path).
key=$(sed -n 's/^tsig_key_file = //p' "$conf")
out=$(daneroll config check 2>&1)
rc=$?
[ "$rc" -eq 78 ] && printf '%s\n' "$out" | grep -qF "tsig_key_file $key does not exist" &&
	ok "daneroll config check: the sample's missing TSIG key is named (78)" ||
	not_ok "daneroll config check names the sample's missing TSIG key" "exit $rc: $out"
install -d -m 0700 "$(dirname "$key")"
printf 'key "daneroll-key" { algorithm hmac-sha256; secret "ZGViLWZyZXNoLXRlc3Qta2V5"; };\n' >"$key"
chmod 600 "$key"
for args in "-c $conf config check" "config check"; do
	# shellcheck disable=SC2086 # the words of args
	out=$(daneroll $args 2>&1)
	rc=$?
	if [ -x /usr/sbin/postfix ]; then
		[ "$rc" -eq 0 ] && [ "$out" = "$conf: ok (1 host, 1 publisher)" ] &&
			ok "daneroll $args: $out" ||
			not_ok "daneroll $args accepts the sample" "exit $rc: $out"
	else	# the sample's reload is Postfix's, not installed here
		[ "$rc" -eq 78 ] && [ "$(printf '%s\n' "$out" | grep -c 'error: ')" -eq 1 ] &&
		    printf '%s\n' "$out" | grep -qF "reload /usr/sbin/postfix does not exist" &&
			ok "daneroll $args: the sample, but for Postfix (not installed)" ||
			not_ok "daneroll $args accepts the sample but for Postfix" "exit $rc: $out"
	fi
done
rm -rf "$(dirname "$key")"	# the operator's, not the package's

# What is installed where, with which mode and owner.
bad=""
n=0
while read -r want path; do
	n=$((n + 1))
	got=$(stat -c '%a %U:%G' "$path" 2>&1)
	[ "$got" = "$want root:root" ] || bad="$bad
$path: $got, wanted $want root:root"
done <<EOF
755 /usr/sbin/daneroll
700 /etc/daneroll
644 /etc/daneroll/daneroll.conf
700 /var/lib/daneroll
755 /usr/libexec/daneroll/acme/certbot
755 /usr/libexec/daneroll/acme/lego
755 /usr/libexec/daneroll/acme/dehydrated
755 /usr/libexec/daneroll/acme/acme.sh
755 /usr/libexec/daneroll/acme/local-ca
755 /usr/libexec/daneroll/dns/nsupdate
755 /usr/libexec/daneroll/dns/desec
755 /usr/libexec/daneroll/dns/cloudflare
644 /usr/libexec/daneroll/dns/common.sh
644 /usr/share/man/man8/daneroll.8.gz
644 /usr/share/man/man5/daneroll.conf.5.gz
644 /lib/systemd/system/daneroll.service
644 /lib/systemd/system/daneroll.timer
644 /lib/systemd/system/daneroll@.service
644 /lib/systemd/system/daneroll@.timer
644 /lib/systemd/system/daneroll-check.service
644 /lib/systemd/system/daneroll-check.timer
644 /usr/share/doc/daneroll/README.Debian
644 /usr/share/doc/daneroll/copyright
644 /usr/share/doc/daneroll/README.md.gz
644 /usr/share/doc/daneroll/docs/operations.md.gz
644 /usr/share/doc/daneroll/examples/daneroll-bind.conf
644 /usr/share/doc/daneroll/examples/systemd/daneroll.service
644 /usr/share/doc/daneroll/examples/prometheus/daneroll-rules.yml
EOF
[ -z "$bad" ] && ok "$n installed paths with their modes" ||
	not_ok "installed paths with their modes" "$bad"

dpkg-query -W -f='${Conffiles}\n' daneroll | grep -q "^ $conf " &&
	ok "$conf is a conffile" || not_ok "$conf is a conffile"

out=$(grep -h '^ExecStart=' /lib/systemd/system/daneroll*.service)
[ "$(echo "$out" | grep -c '^ExecStart=/usr/sbin/daneroll ')" -eq 3 ] &&
	ok "the three services run /usr/sbin/daneroll" ||
	not_ok "the three services run /usr/sbin/daneroll" "$out"
out=$(find /etc/systemd -name 'daneroll*' 2>/dev/null)
[ -z "$out" ] && ok "no unit enabled" || not_ok "no unit enabled" "$out"

# Every installed text file (compressed or not) names installed paths only.
n=0
bad=""
for f in $(dpkg -L daneroll); do
	[ -f "$f" ] && [ ! -L "$f" ] || continue
	case $f in
	*.gz) zcat "$f" >"$log" ;;
	*) grep -Iq . "$f" || continue; cat "$f" >"$log" ;;
	esac
	n=$((n + 1))
	grep -q /usr/local "$log" && bad="$bad $f"
done
[ "$n" -ge 30 ] && [ -z "$bad" ] && ok "none of $n installed text files names /usr/local" ||
	not_ok "no installed text file names /usr/local ($n read)" "$bad"
zcat /usr/share/man/man8/daneroll.8.gz | grep -q '^\.It Pa /usr/libexec/daneroll/acme/' &&
	grep -q '^#   acme_hook = /usr/libexec/daneroll/acme/certbot ' /usr/libexec/daneroll/acme/certbot &&
	grep -q '^acme_hook = /usr/libexec/daneroll/acme/certbot$' $conf &&
	ok "man page, hook comment and sample name /usr/libexec/daneroll" ||
	not_ok "man page, hook comment and sample name /usr/libexec/daneroll"

# A DNS hook finds common.sh beside it: a bad call is its usage error.
out=$(/usr/libexec/daneroll/dns/nsupdate 2>&1)
rc=$?
[ "$rc" -eq 64 ] && echo "$out" | grep -q '^nsupdate: usage:' &&
	ok "the installed nsupdate hook runs (usage: exit 64)" ||
	not_ok "the installed nsupdate hook runs" "exit $rc: $out"

# State (roll writes the database; no network), an edited configuration
# and a secret of the operator's: remove keeps them all.
out=$(daneroll roll mx1.example.org 2>&1)
rc=$?
[ "$rc" -eq 0 ] && [ -f /var/lib/daneroll/daneroll.db ] &&
	ok "daneroll roll writes its state in /var/lib/daneroll" ||
	not_ok "daneroll roll writes its state in /var/lib/daneroll" "exit $rc: $out"
echo "# edited" >>$conf
(umask 077 && echo secret >/etc/daneroll/tsig.key)

# ---- remove, install again, purge -------------------------------------------
if apt remove daneroll; then ok "apt-get remove daneroll"
else not_ok "apt-get remove daneroll" "$(tail -n 20 "$log")"; fi
status=$(dpkg-query -W -f='${db:Status-Abbrev}' daneroll 2>&1)
[ "$status" = "rc " ] && [ ! -e /usr/sbin/daneroll ] && [ ! -e /usr/libexec/daneroll ] &&
    [ ! -e /lib/systemd/system/daneroll.service ] &&
	ok "remove: program, hooks and units gone (dpkg: rc)" ||
	not_ok "remove: program, hooks and units gone" "dpkg: '$status'; $(ls -d /usr/sbin/daneroll /usr/libexec/daneroll 2>&1)"
tail -n 1 $conf | grep -q '^# edited$' && [ -f /etc/daneroll/tsig.key ] &&
    [ -f /var/lib/daneroll/daneroll.db ] &&
	ok "remove: edited $conf, tsig.key and daneroll.db kept" ||
	not_ok "remove: configuration and state kept" "$(ls -la /etc/daneroll /var/lib/daneroll 2>&1)"

if apt install --no-install-recommends "./$deb" && tail -n 1 $conf | grep -q '^# edited$' &&
    daneroll status >/dev/null 2>&1; then
	ok "install again: the edited configuration and the state are used"
else
	not_ok "install again after remove" "$(tail -n 20 "$log")"
fi

if apt purge daneroll; then ok "apt-get purge daneroll"
else not_ok "apt-get purge daneroll" "$(tail -n 20 "$log")"; fi
left=$(ls -d /etc/daneroll /var/lib/daneroll /usr/sbin/daneroll \
    /usr/share/doc/daneroll /lib/systemd/system/daneroll.timer 2>/dev/null)
status=$(dpkg-query -W -f='${db:Status-Abbrev}' daneroll 2>/dev/null)
[ -z "$left" ] && { [ -z "$status" ] || [ "$status" = "un " ]; } &&
	ok "purge: /etc/daneroll and /var/lib/daneroll gone, package unknown to dpkg" ||
	not_ok "purge: everything gone" "left: $left; dpkg: '$status'"

summary

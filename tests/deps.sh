#!/bin/sh
# Installs the Debian packages a target needs, when they are missing.
#
#   sh tests/deps.sh build   compiler and libraries
#   sh tests/deps.sh demo    what make demo uses: the compiler, libraries and
#                            the servers of its world, nothing more
#   sh tests/deps.sh test    build + what the test suite runs against
#   sh tests/deps.sh world   test + the servers of the local test world
#   sh tests/deps.sh --list TARGET   the Debian packages of TARGET, one a
#                            line (tests/integration/deps_guard.sh reads them)
#
# Only root can install; anyone else is told what is missing. apt-get
# waits up to 10 minutes for a dpkg lock another apt holds (a fresh
# machine's unattended-upgrades, say) instead of failing at once.
#
# acme.sh (for tests/integration/acme.sh) is not in Debian 12: world takes
# Debian 13's package, an arch-all shell script that needs only curl, as
# a pinned .deb whose SHA-256 is checked before it is installed.
#
# Exim (for tests/integration/exim.sh) cannot be installed beside Postfix:
# Debian's MTA packages conflict. world unpacks Debian 12's Exim with
# dpkg -x into $exim_dir instead, installing nothing: exim4-daemon-light
# (the binary, built with GnuTLS) and exim4-config (Debian's split
# configuration, whose TLS file the test uses), pinned .debs whose SHA-256
# is checked. The binary's libraries are in world's packages. When the
# .debs cannot be had, world says so and goes on: exim.sh then skips.
set -u
what=${1:-build}

# make's own compiler and libraries; clang and LLVM for check-asan and fuzz.
lib_pkgs="build-essential pkg-config libssl-dev libcurl4-openssl-dev
libldns-dev libjansson-dev libsqlite3-dev libinih-dev libseccomp-dev"
build_pkgs="$lib_pkgs clang libclang-rt-14-dev llvm-14"
test_pkgs="$build_pkgs openssl sqlite3 ldnsutils bind9-dnsutils iproute2
procps util-linux time valgrind jq python3 python3-jsonschema"
# tests/world/demo.sh: up.sh's world (it always starts Knot and PowerDNS
# beside BIND), the prober (dig, openssl, posttls-finger) and certbot.
demo_pkgs="$lib_pkgs openssl sqlite3 bind9-dnsutils iproute2 procps bind9
bind9-utils knot unbound pdns-server pdns-backend-sqlite3 pebble certbot
postfix curl"
world_pkgs="$test_pkgs bind9 bind9-utils knot knot-dnsutils unbound
pdns-server pdns-backend-sqlite3 pebble certbot lego dehydrated postfix swaks
curl jq bsdutils mandoc systemd prometheus
python3 python3-lexicon
libc6 libcrypt1 libdb5.3 libgnutls-dane0 libgnutls30 libidn12 libidn2-0
libnsl2 libpcre2-8-0"

# acme.sh 3.1.1-1 from trixie's Packages index. Should the pool drop it,
# snapshot.debian.org keeps it by its SHA-1.
acmesh_deb=acme.sh_3.1.1-1_all.deb
acmesh_sha256=bf0c474cf11669ae96dfdfc182918b8ee4b57f41532e1debdd9d127e363b0503
acmesh_urls="http://deb.debian.org/debian/pool/main/a/acme.sh/$acmesh_deb
https://snapshot.debian.org/file/7043982040228fcb3f43e6323b06c7906411e09b"

# Exim 4.96-15+deb12u11 (bookworm-security; the main pool has it from the
# next point release on; snapshot.debian.org keeps it by its SHA-1). One
# line per .deb: file, SHA-256, SHA-1. exim.sh looks in $exim_dir; the
# file $exim_dir/.debs names what is unpacked there.
exim_dir=/var/cache/daneroll-test/exim4
exim_debs="exim4-daemon-light_4.96-15+deb12u11_amd64.deb 9c341869421c097ae7115bc2928412e8775d4f07330ba52a1a510706d9fe54b1 d3bb85f44cc1f10b56bd65b0c3eeaac9c7ec7816
exim4-config_4.96-15+deb12u11_all.deb 975a5a73a532418dcdc2e032db219bbf88eb959a1cd157495e84b734b567e9f0 abd449f8d2a6c9c01d0bca6fc1e4392dda5bfe1d"
exim_pools="http://deb.debian.org/debian-security/pool/updates/main/e/exim4
http://deb.debian.org/debian/pool/main/e/exim4"

list=0
if [ "$what" = --list ]; then
	list=1
	what=${2:-}
fi
case "$what" in
build) pkgs=$build_pkgs ;;
demo) pkgs=$demo_pkgs ;;
test) pkgs=$test_pkgs ;;
world) pkgs=$world_pkgs ;;
*) echo "usage: $0 [--list] build|demo|test|world" >&2; exit 64 ;;
esac
if [ "$list" = 1 ]; then
	# shellcheck disable=SC2086
	printf '%s\n' $pkgs
	exit 0
fi

installed() { # package
	dpkg-query -W -f='${Status}\n' "$1" 2>/dev/null | grep -q 'install ok installed'
}

missing=""
for p in $pkgs; do
	installed "$p" || missing="$missing $p"
done
need_acmesh=0 need_exim=0
if [ "$what" = world ] && ! installed acme.sh &&
    ! command -v acme.sh >/dev/null 2>&1; then
	need_acmesh=1
fi
exim_want=$(echo "$exim_debs" | cut -d' ' -f1)
if [ "$what" = world ] && [ "$(cat "$exim_dir/.debs" 2>/dev/null)" != "$exim_want" ]; then
	if [ "$(dpkg --print-architecture)" = amd64 ]; then
		need_exim=1
	else
		echo "daneroll: no pinned Exim for $(dpkg --print-architecture): tests/integration/exim.sh will skip" >&2
	fi
fi
[ -z "$missing" ] && [ "$need_acmesh" = 0 ] && [ "$need_exim" = 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	[ -n "$missing" ] &&
		echo "daneroll: missing Debian packages:$missing" >&2 &&
		echo "daneroll: run as root: apt-get install$missing" >&2
	[ "$need_acmesh" = 1 ] &&
		echo "daneroll: missing acme.sh: run as root: sh $0 world" >&2
	[ "$need_exim" = 1 ] &&
		echo "daneroll: missing Exim in $exim_dir: run as root: sh $0 world" >&2
	exit 69
fi
export DEBIAN_FRONTEND=noninteractive
if [ -n "$missing" ]; then
	echo "daneroll: installing:$missing"
	# Stale or absent package lists are the usual cause of a failed install.
	apt-get -o DPkg::Lock::Timeout=600 update -qq || exit 69
	# shellcheck disable=SC2086
	apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends \
	    $missing >/dev/null || exit 69
fi
[ "$need_acmesh" = 1 ] || [ "$need_exim" = 1 ] || exit 0

dir=$(mktemp -d) || exit 69
trap 'rm -rf "$dir"' EXIT
# World-readable, or apt's download sandbox (user _apt) complains.
chmod 755 "$dir"

# fetch FILE SHA256 URL...: FILE into $dir from the first URL that gives
# it with that SHA-256; a download with another digest is refused.
fetch() {
	f=$1 want=$2
	shift 2
	for url in "$@"; do
		rm -f "$dir/$f"
		curl -fsSL --retry 2 --max-time 120 -o "$dir/$f" "$url" || continue
		got=$(sha256sum "$dir/$f" | cut -d' ' -f1)
		[ "$got" = "$want" ] && chmod 644 "$dir/$f" && return 0
		echo "daneroll: $url: SHA-256 $got, wanted $want: refused" >&2
	done
	rm -f "$dir/$f"
	echo "daneroll: could not fetch a verified $f" >&2
	return 1
}

if [ "$need_acmesh" = 1 ]; then
	echo "daneroll: installing: acme.sh (Debian 13's $acmesh_deb)"
	# shellcheck disable=SC2086 # the URLs, one per word
	fetch "$acmesh_deb" "$acmesh_sha256" $acmesh_urls || exit 69
	apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends \
	    "$dir/$acmesh_deb" >/dev/null ||
		exit 69
fi

# Unpacked beside $exim_dir, then renamed into place: a run cut short
# leaves no half of it.
if [ "$need_exim" = 1 ]; then
	echo "daneroll: unpacking Exim into $exim_dir:" "$(echo "$exim_want" | tr '\n' ' ')"
	mkdir -p "$(dirname "$exim_dir")" || exit 69
	new=$exim_dir.new
	rm -rf "$new"
	ok=1
	while read -r f sha256 sha1; do
		urls=""
		for p in $exim_pools; do urls="$urls $p/$f"; done
		# shellcheck disable=SC2086 # the URLs, one per word
		if ! fetch "$f" "$sha256" $urls "https://snapshot.debian.org/file/$sha1" ||
		    ! dpkg -x "$dir/$f" "$new"; then
			ok=0
			break
		fi
	done <<EOF
$exim_debs
EOF
	if [ "$ok" = 1 ]; then
		# Setuid root as Debian ships it (the daemon re-executes itself
		# on SIGHUP as its Exim user, which exim.sh maps to nobody),
		# but a copy that Debian's security updates never reach:
		# executable by root and nobody's group only.
		chgrp "$(id -g nobody)" "$new/usr/sbin/exim4" &&
		    chmod 4750 "$new/usr/sbin/exim4" || exit 69
		echo "$exim_want" >"$new/.debs"
		rm -rf "$exim_dir"
		mv "$new" "$exim_dir" || exit 69
		lib=$(ldd "$exim_dir/usr/sbin/exim4" 2>&1 | grep 'not found')
		[ -z "$lib" ] || echo "daneroll: Exim lacks libraries: $lib" >&2
	else
		rm -rf "$new"
		echo "daneroll: no Exim: tests/integration/exim.sh will skip" >&2
	fi
fi
exit 0

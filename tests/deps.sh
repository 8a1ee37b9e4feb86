#!/bin/sh
# Installs the Debian packages a target needs, when they are missing.
#
#   sh tests/deps.sh build   compiler and libraries
#   sh tests/deps.sh test    build + what the test suite runs against
#   sh tests/deps.sh world   test + the servers of the local test world
#
# Only root can install; anyone else is told what is missing.
#
# acme.sh (for tests/integration/acme.sh) is not in Debian 12: world takes
# Debian 13's package, an arch-all shell script that needs only curl, as
# a pinned .deb whose SHA-256 is checked before it is installed.
set -u
what=${1:-build}

build_pkgs="build-essential pkg-config clang libclang-rt-14-dev llvm-14 libssl-dev
libcurl4-openssl-dev libldns-dev libjansson-dev libsqlite3-dev libinih-dev"
test_pkgs="$build_pkgs openssl sqlite3 ldnsutils bind9-dnsutils iproute2
procps util-linux time"
world_pkgs="$test_pkgs bind9 bind9-utils knot knot-dnsutils unbound
pdns-server pdns-backend-sqlite3 pebble certbot lego dehydrated postfix swaks
curl jq bsdutils mandoc
python3"

# acme.sh 3.1.1-1 from trixie's Packages index. Should the pool drop it,
# snapshot.debian.org keeps it by its SHA-1.
acmesh_deb=acme.sh_3.1.1-1_all.deb
acmesh_sha256=bf0c474cf11669ae96dfdfc182918b8ee4b57f41532e1debdd9d127e363b0503
acmesh_urls="http://deb.debian.org/debian/pool/main/a/acme.sh/$acmesh_deb
https://snapshot.debian.org/file/7043982040228fcb3f43e6323b06c7906411e09b"

case "$what" in
build) pkgs=$build_pkgs ;;
test) pkgs=$test_pkgs ;;
world) pkgs=$world_pkgs ;;
*) echo "usage: $0 build|test|world" >&2; exit 64 ;;
esac

installed() { # package
	dpkg-query -W -f='${Status}\n' "$1" 2>/dev/null | grep -q 'install ok installed'
}

missing=""
for p in $pkgs; do
	installed "$p" || missing="$missing $p"
done
need_acmesh=0
if [ "$what" = world ] && ! installed acme.sh &&
    ! command -v acme.sh >/dev/null 2>&1; then
	need_acmesh=1
fi
[ -z "$missing" ] && [ "$need_acmesh" = 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	[ -n "$missing" ] &&
		echo "daneroll: missing Debian packages:$missing" >&2 &&
		echo "daneroll: run as root: apt-get install$missing" >&2
	[ "$need_acmesh" = 1 ] &&
		echo "daneroll: missing acme.sh: run as root: sh $0 world" >&2
	exit 69
fi
export DEBIAN_FRONTEND=noninteractive
if [ -n "$missing" ]; then
	echo "daneroll: installing:$missing"
	# Stale or absent package lists are the usual cause of a failed install.
	apt-get update -qq || exit 69
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >/dev/null || exit 69
fi
[ "$need_acmesh" = 1 ] || exit 0

echo "daneroll: installing: acme.sh (Debian 13's $acmesh_deb)"
dir=$(mktemp -d) || exit 69
trap 'rm -rf "$dir"' EXIT
# World-readable, or apt's download sandbox (user _apt) complains.
chmod 755 "$dir"
got=""
for url in $acmesh_urls; do
	rm -f "$dir/$acmesh_deb"
	curl -fsSL --retry 2 --max-time 120 -o "$dir/$acmesh_deb" "$url" || continue
	got=$(sha256sum "$dir/$acmesh_deb" | cut -d' ' -f1)
	[ "$got" = "$acmesh_sha256" ] && break
	echo "daneroll: $url: SHA-256 $got, wanted $acmesh_sha256: refused" >&2
	got=""
done
if [ -z "$got" ]; then
	echo "daneroll: could not fetch a verified $acmesh_deb" >&2
	exit 69
fi
chmod 644 "$dir/$acmesh_deb"
apt-get install -y -qq --no-install-recommends "$dir/$acmesh_deb" >/dev/null ||
	exit 69

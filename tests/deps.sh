#!/bin/sh
# Installs the Debian packages a target needs, when they are missing.
#
#   sh tests/deps.sh build   compiler and libraries
#   sh tests/deps.sh test    build + what the test suite runs against
#   sh tests/deps.sh world   test + the servers of the local test world
#
# Only root can install; anyone else is told what is missing.
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

case "$what" in
build) pkgs=$build_pkgs ;;
test) pkgs=$test_pkgs ;;
world) pkgs=$world_pkgs ;;
*) echo "usage: $0 build|test|world" >&2; exit 64 ;;
esac

missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "daneroll: missing Debian packages:$missing" >&2
	echo "daneroll: run as root: apt-get install$missing" >&2
	exit 69
fi
echo "daneroll: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
# Stale or absent package lists are the usual cause of a failed install.
apt-get update -qq || exit 69
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null || exit 69

#!/bin/sh
# The documentation's examples, run: the man pages pass mandoc's linter;
# the example configuration of daneroll.conf(5) and every example
# configuration in examples/ pass `daneroll config check` (as written, and
# rewritten into a temporary directory where every file they name exists);
# the command examples of daneroll(8) that need no DNS, ACME or mail world
# run against a temporary state directory; --help and daneroll(8) name the
# same commands and options.
#
# Nothing here asks the machine's resolver: every configuration that is run
# is given `resolver = 127.0.0.1#9`, where nothing listens.
set -u
. "$(dirname "$0")/testlib"
top=${DANEROLL_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
bin=${DANEROLL_BIN:-$top/daneroll}
man8=$top/docs/daneroll.8
man5=$top/docs/daneroll.conf.5
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
umask 022	# a configuration must not be writable by group or others

if [ ! -x "$bin" ]; then
	not_ok "daneroll binary at $bin" "build it first: make"
	summary
	exit 1
fi

# ---- mandoc -T lint -------------------------------------------------------
if ! command -v mandoc >/dev/null 2>&1 && [ "$(id -u)" -eq 0 ]; then
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mandoc \
	    >/dev/null 2>&1
fi
for m in "$man8" "$man5"; do
	name="mandoc -T lint -W warning $(basename "$m")"
	if ! command -v mandoc >/dev/null 2>&1; then
		skip "$name" "mandoc not installed (apt-get install mandoc)"
		continue
	fi
	out=$(mandoc -T lint -W warning "$m" 2>&1); rc=$?
	if [ $rc -eq 0 ] && [ -z "$out" ]; then ok "$name"
	else not_ok "$name" "$out"; fi
done

# ---- helpers --------------------------------------------------------------

# The literal displays (.Bd -literal ... .Ed) after ".Sh EXAMPLES" of a man
# page, with the roff escapes \& and \e undone. Displays are separated by a
# line "--".
man_examples() {
	awk '
	/^\.Sh / { inex = ($2 == "EXAMPLES") ; next }
	inex && /^\.Bd -literal/ { lit = 1; if (n++) print "--"; next }
	inex && /^\.Ed/ { lit = 0; next }
	inex && lit { gsub(/\\&/, ""); gsub(/\\e/, "\\"); print }
	' "$1"
}

# Keys whose values are files or directories the configuration names.
path_keys='state_dir|key_dir|tsig_key_file|api_key_file|ca_file|combined_file|live_link|key_file|cert_file|chain_file|fullchain_file|issuer_cert|acme_hook|reload|command'

# rewrite IN OUT ROOT: every path-valued key moved under ROOT, the state
# under ROOT/state, and the resolver set to 127.0.0.1#9 (nothing listens
# there). Owners and groups stay as written.
rewrite() {
	awk -v root="$3" -v keys="^($path_keys)\$" '
	function global_lines() {
		print "state_dir = " root "/state"
		print "resolver = 127.0.0.1#9"
		print "lock_timeout = 1s"
	}
	BEGIN { done = 0 }
	/^[ \t]*\[global\][ \t]*$/ { print; global_lines(); done = 1; next }
	/^[ \t]*\[/ && !done { print "[global]"; global_lines(); print ""; done = 1 }
	{
		line = $0
		if (match(line, /^[ \t]*[a-z_]+[ \t]*=/)) {
			k = substr(line, RSTART, RLENGTH - 1)
			gsub(/[ \t]/, "", k)
			v = substr(line, RSTART + RLENGTH)
			sub(/^[ \t]*/, "", v)
			if (k == "state_dir" || k == "resolver" || k == "lock_timeout")
				next
			if (k ~ keys && v ~ /^\//) {
				print k " = " root v
				next
			}
		}
		print line
	}
	' "$1" > "$2"
}

# The values of one key in a configuration.
values_of() { # file key
	sed -n "s/^[ \\t]*$2[ \\t]*=[ \\t]*//p" "$1"
}

# A self-signed CA certificate at $1, made once and copied.
ca_cert() {
	if [ ! -f "$t/ca.pem" ]; then
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
		    -nodes -keyout "$t/ca.key" -out "$t/ca.pem" -days 30 \
		    -subj "/CN=docs test CA" 2>/dev/null
	fi
	cp "$t/ca.pem" "$1"
}

# Creates every file a rewritten configuration names, so that plan, status
# and records can read them: TSIG and API keys (0600), CA and issuer
# certificates. Deployed files are left absent (nothing deployed yet).
make_files() { # conf
	for f in $(values_of "$1" tsig_key_file); do
		mkdir -p "$(dirname "$f")"
		printf 'key "docs" { algorithm hmac-sha256; secret "ZG9jcy1leGFtcGxlLXRzaWctc2VjcmV0"; };\n' > "$f"
		chmod 600 "$f"
	done
	for f in $(values_of "$1" api_key_file); do
		mkdir -p "$(dirname "$f")"
		echo "docs-example-api-key" > "$f"
		chmod 600 "$f"
	done
	for f in $(values_of "$1" ca_file) $(values_of "$1" issuer_cert); do
		mkdir -p "$(dirname "$f")"
		case "$f" in
		*letsencrypt*|*isrg*|*ISRG*)
			# The real roots, where this machine has them.
			if [ -r /etc/ssl/certs/ISRG_Root_X1.pem ] &&
			    [ -r /etc/ssl/certs/ISRG_Root_X2.pem ]; then
				cat /etc/ssl/certs/ISRG_Root_X1.pem \
				    /etc/ssl/certs/ISRG_Root_X2.pem > "$f"
			else
				ca_cert "$f"
			fi ;;
		*) ca_cert "$f" ;;
		esac
	done
	for f in $(values_of "$1" combined_file) $(values_of "$1" live_link); do
		mkdir -p "$(dirname "$f")"
	done
	# The programs (the first word of each command): config check
	# refuses one that is missing or not executable.
	{ values_of "$1" acme_hook; values_of "$1" reload
	  values_of "$1" command; } | while read -r f _; do
		mkdir -p "$(dirname "$f")"
		printf '#!/bin/sh\nexit 0\n' > "$f"
		chmod 755 "$f"
	done
}

# Runs a configuration's read commands against its temporary state.
run_reads() { # label conf
	out=$("$bin" -c "$2" plan 2>&1); rc=$?
	[ $rc -eq 0 ] && ok "$1: plan" || not_ok "$1: plan (exit $rc)" "$out"
	# JSON on standard output; messages (the observer cannot reach the
	# test's resolver) go to standard error.
	out=$("$bin" -c "$2" plan --json 2>/dev/null); rc=$?
	printf '%s\n' "$out" | json_keep plan >/dev/null
	if [ $rc -eq 0 ] && printf '%s' "$out" | python3 -c \
	    'import json,sys; json.load(sys.stdin)' 2>/dev/null; then
		ok "$1: plan --json parses (its schema: at the end)"
	else not_ok "$1: plan --json parses (exit $rc)" "$out"; fi
	out=$("$bin" -c "$2" status 2>&1); rc=$?
	[ $rc -eq 0 ] && ok "$1: status" || not_ok "$1: status (exit $rc)" "$out"
	for h in $(sed -n 's/^[ \t]*\[host \([^]]*\)\].*/\1/p' "$2"); do
		out=$("$bin" -c "$2" records "$h" 2>&1); rc=$?
		[ $rc -eq 0 ] && ok "$1: records $h" ||
			not_ok "$1: records $h (exit $rc)" "$out"
	done
}

# config check of a file as written, then rewritten with its files made.
# As written, it names files of another machine (/etc/daneroll/tsig/...,
# /usr/local/libexec/daneroll/acme/...): the only errors allowed are the
# ones saying such a file does not exist here, each naming FILE:LINE.
check_conf() { # label file
	out=$("$bin" -c "$2" config check 2>&1); rc=$?
	other=$(printf '%s\n' "$out" | grep 'error: ' |
	    grep -v "error: $2:[0-9]*: .* does not exist\$")
	if [ $rc -eq 0 ] || { [ $rc -eq 78 ] && [ -z "$other" ]; }; then
		ok "$1: config check as written (exit $rc)"
	else not_ok "$1: config check as written (exit $rc)" "$out"; fi
	d=$t/$(echo "$1" | tr -c 'A-Za-z0-9.\n' _)
	mkdir -p "$d"
	rewrite "$2" "$d/daneroll.conf" "$d/root"
	make_files "$d/daneroll.conf"
	out=$("$bin" -c "$d/daneroll.conf" config check 2>&1); rc=$?
	[ $rc -eq 0 ] && ok "$1: config check in a temporary tree" ||
		not_ok "$1: config check in a temporary tree (exit $rc)" "$out"
	run_reads "$1" "$d/daneroll.conf"
}

# ---- daneroll.conf(5) EXAMPLES --------------------------------------------
man_examples "$man5" | awk '/^--$/ { exit } { print }' > "$t/conf5.conf"
if [ -s "$t/conf5.conf" ] && grep -q '^\[host ' "$t/conf5.conf"; then
	ok "daneroll.conf.5: EXAMPLES holds a configuration"
	check_conf "daneroll.conf.5 EXAMPLES" "$t/conf5.conf"
else
	not_ok "daneroll.conf.5: EXAMPLES holds a configuration"
fi

# ---- examples/*.conf --------------------------------------------------------
for f in "$top"/examples/*.conf; do
	case "$f" in */exim.conf) continue ;; esac	# Exim's, not ours
	check_conf "examples/$(basename "$f")" "$f"
done

# ---- daneroll(8) EXAMPLES ---------------------------------------------------
# The commands of the man page, run as written (with "-c" and the state of
# the daneroll.conf(5) example, which configures the same host); those that
# need DNS, an ACME server or an MTA are listed as skipped.
conf=$t/daneroll.conf.5_EXAMPLES/daneroll.conf
[ -f "$conf" ] || conf=$t/missing.conf
# Something deployed, so plan has a key to adopt, as on first contact.
for a in rsa2048 ecdsa-p256; do
	live=$(values_of "$conf" combined_file | sed "s/%a/$a/")
	[ -n "$live" ] || break
	case $a in
	rsa2048) kopt="-newkey rsa:2048" ;;
	*) kopt="-newkey ec -pkeyopt ec_paramgen_curve:P-256" ;;
	esac
	# shellcheck disable=SC2086
	openssl req -x509 $kopt -nodes -keyout "$t/k.pem" -out "$t/c.pem" \
	    -subj /CN=mx1.example.org -addext subjectAltName=DNS:mx1.example.org \
	    -days 90 2>/dev/null
	cat "$t/k.pem" "$t/c.pem" > "$live"
	chmod 600 "$live"
done
man_examples "$man8" | grep -v '^--$' > "$t/man8.cmds"
set -f	# the cron line's stars are not file names
while IFS= read -r line; do
	[ -n "$line" ] || continue
	# shellcheck disable=SC2086 # split the example into words, as sh does
	set -- $line
	if [ "$1" != daneroll ]; then
		skip "daneroll.8 example: $line" "needs cron or an ACME client"
		continue
	fi
	shift
	case "$*" in
	"config check"*|plan*|status*|records*|--help|--version|"roll "*)
		out=$("$bin" -c "$conf" "$@" 2>&1); rc=$?
		[ $rc -eq 0 ] && ok "daneroll.8 example: $line" ||
			not_ok "daneroll.8 example: $line (exit $rc)" "$out" ;;
	*)
		skip "daneroll.8 example: $line" "needs a DNS, ACME and mail world" ;;
	esac
done < "$t/man8.cmds"
set +f
[ -s "$t/man8.cmds" ] && ok "daneroll.8: EXAMPLES has commands" ||
	not_ok "daneroll.8: EXAMPLES has commands"

out=$("$bin" --help 2>&1); rc=$?
[ $rc -eq 0 ] && ok "daneroll --help exits 0" || not_ok "daneroll --help exits 0" "$out"
out=$("$bin" --version 2>&1); rc=$?
if [ $rc -eq 0 ] && echo "$out" | grep -q '^daneroll [0-9]'; then ok "daneroll --version"
else not_ok "daneroll --version" "$out"; fi

# ---- --help and daneroll(8) agree -------------------------------------------
help=$("$bin" --help 2>&1)
# Commands: the first word of each line of the "commands:" block.
cmds=$(printf '%s\n' "$help" | awk '/^commands:/ { c = 1; next }
	/^options:/ { c = 0 } c && /^  [a-z]/ { print $1 }')
for c in $cmds; do
	grep -q "^\.It Cm $c\( \|$\)" "$man8" && ok "daneroll.8 documents command $c" ||
		not_ok "daneroll.8 documents command $c"
done
for c in $(sed -n 's/^\.It Cm \([a-z-]*\).*/\1/p' "$man8"); do
	printf '%s\n' "$cmds" | grep -qx "$c" && ok "--help lists command $c" ||
		not_ok "--help lists command $c"
done
# Long options: every --name in --help is "Fl -name" in the page, and back.
for o in $(printf '%s\n' "$help" | grep -o -- '--[a-z][a-z-]*' | sort -u); do
	grep -q "Fl -${o#--}" "$man8" && ok "daneroll.8 documents $o" ||
		not_ok "daneroll.8 documents $o"
done
# (From the page's own option lists: .It and .Op lines, not the ACME
# clients' options that the acme-hook text quotes.)
for o in $(grep -E '^\.(It|Op) ' "$man8" | grep -o 'Fl -[a-z][a-z-]*' |
    sed 's/^Fl -/--/' | sort -u); do
	printf '%s\n' "$help" | grep -q -- "$o" && ok "--help lists $o" ||
		not_ok "--help lists $o"
done
# Short options.
for o in c n q v w V; do
	printf '%s\n' "$help" | grep -q -- "-$o" && in_help=1 || in_help=0
	grep -Eq "^\.(It|Op) Fl ${o}( |\$)|^\.Op Fl [a-z]*${o}[a-z]*\$" "$man8" &&
		in_man=1 || in_man=0
	if [ "$in_help" -eq "$in_man" ]; then ok "-$o: --help and daneroll.8 agree"
	else not_ok "-$o: --help ($in_help) and daneroll.8 ($in_man) disagree"; fi
done

# ---- examples/systemd -------------------------------------------------------
# The units as systemd reads them: they verify, each service is hardened
# to an exposure of at most 4.0, every timer that says Persistent= has the
# OnCalendar= that makes it mean something, a unit is not green for ever
# on a temporary failure that never ends (SuccessExitStatus=75 goes with
# daneroll's tempfail_limit), and every directory the shipped ACME hooks
# write by default is writable under ProtectSystem=strict (certbot failed
# with "Read-only file system" before).
units=$top/examples/systemd
if ! command -v systemd-analyze >/dev/null 2>&1; then
	skip "examples/systemd" "systemd-analyze not installed (apt-get install systemd)"
else
	for u in "$units"/*.service; do
		n=$(basename "$u")
		out=$(systemd-analyze verify --man=no "$u" 2>&1 |
		    grep -v -e "/usr/local/sbin/daneroll" -e "Failed to prepare filename" -e "Unit .* not found")
		[ -z "$out" ] && ok "systemd-analyze verify $n" ||
			not_ok "systemd-analyze verify $n" "$out"
		exp=$(systemd-analyze security --offline=yes "$u" 2>/dev/null |
		    sed -n 's/.*Overall exposure level for .*: \([0-9.]*\) .*/\1/p')
		if [ -n "$exp" ] && awk -v e="$exp" 'BEGIN { exit !(e <= 4.0) }'; then
			ok "$n: exposure $exp <= 4.0 (systemd-analyze security)"
		else not_ok "$n: exposure <= 4.0" "got '$exp'"; fi
	done
	for timer in "$units"/*.timer; do
		n=$(basename "$timer")
		if grep -q '^Persistent=true' "$timer" && ! grep -q '^OnCalendar=' "$timer"; then
			not_ok "$n: Persistent= without OnCalendar= does nothing"
		else ok "$n: Persistent= with OnCalendar="; fi
	done
	rw=$(sed -n 's/^ReadWritePaths=//p' "$units/daneroll.service" | tr ' ' '\n' | sed 's/^-//')
	covered() { # dir: under a ReadWritePaths entry or the StateDirectory
		case $1 in /var/lib/daneroll|/var/lib/daneroll/*) return 0 ;; esac
		for p in $rw; do
			case $1 in "$p"|"$p"/*) return 0 ;; esac
		done
		return 1
	}
	dirs=$(sed -n -e 's/^[A-Z_]*_\(DIR\|HOME\)=\(\/[^ \t#]*\).*/\2/p' \
	    -e 's/^DEHYDRATED_CONFIG=\(\/[^ \t#]*\)\/[^/]*$/\1/p' \
	    -e 's/.*webroot[-.a-z]* \(\/[^ "]*\).*/\1/p' -e 's/.*-w \(\/[^ "]*\).*/\1/p' \
	    "$top"/hooks/acme/certbot "$top"/hooks/acme/lego "$top"/hooks/acme/acme.sh \
	    "$top"/hooks/acme/dehydrated | sort -u)
	missing=""
	for d in $dirs; do covered "$d" || missing="$missing $d"; done
	if [ -n "$dirs" ] && [ -z "$missing" ]; then
		ok "daneroll.service lets the ACME hooks write: $(echo $dirs)"
	else not_ok "daneroll.service lets the ACME hooks write" "not writable:${missing:- (no directories found in hooks/acme)}"; fi
	# An optional ("-") path is skipped while it is missing, and /var is
	# read-only: certbot's work and log directories, which Debian's
	# package does not ship (certbot makes them on its first run), are
	# made by systemd (tests/pkg/units-nspawn.sh failed on them before).
	for u in daneroll.service daneroll@.service; do
		sd=" $(sed -n 's/^StateDirectory=//p' "$units/$u") "
		ld=" $(sed -n 's/^LogsDirectory=//p' "$units/$u") "
		case $sd$ld in
		*" letsencrypt "*" letsencrypt "*) ok "$u: systemd makes /var/lib/letsencrypt and /var/log/letsencrypt" ;;
		*) not_ok "$u: systemd makes /var/lib/letsencrypt and /var/log/letsencrypt" "StateDirectory=$sd LogsDirectory=$ld" ;;
		esac
	done
	# SQLite makes the -shm and -wal files beside a WAL database to read
	# it: check cannot read a state directory it may not write.
	if grep -q '^ReadWritePaths=.*/var/lib/daneroll\( \|$\)' "$units/daneroll-check.service" &&
	    ! grep -q '^ReadOnlyPaths=.*/var/lib/daneroll' "$units/daneroll-check.service"; then
		ok "daneroll-check.service may write beside the state database (SQLite WAL)"
	else not_ok "daneroll-check.service may write beside the state database (SQLite WAL)"; fi
fi

# ---- examples/prometheus -----------------------------------------------------
rules=$top/examples/prometheus/daneroll-rules.yml
if ! command -v promtool >/dev/null 2>&1; then
	skip "promtool check rules $(basename "$rules")" "promtool not installed (apt-get install prometheus)"
else
	out=$(promtool check rules "$rules" 2>&1); rc=$?
	[ $rc -eq 0 ] && ok "promtool check rules $(basename "$rules")" ||
		not_ok "promtool check rules $(basename "$rules")" "$out"
	# The rules on the runs fire when they should, and only then.
	for tf in "$top"/tests/data/prometheus/*.test.yml; do
		out=$(promtool test rules "$tf" 2>&1); rc=$?
		[ $rc -eq 0 ] && ok "promtool test rules $(basename "$tf")" ||
			not_ok "promtool test rules $(basename "$tf")" "$out"
	done
	# Every metric the rules use is one check --prometheus writes.
	missing=""
	for m in $(grep -o 'daneroll_[a-z_]*' "$rules" | sort -u); do
		grep -q "\"$m\"" "$top"/src/check*.c || missing="$missing $m"
	done
	[ -z "$missing" ] && ok "the rules use only metrics check writes" ||
		not_ok "the rules use only metrics check writes" "unknown:$missing"
fi

summary

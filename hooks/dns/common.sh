# Shared by the daneroll DNS hooks in this directory (sourced, not run).
# The exec protocol is in README.md: HOOK [OPTIONS] replace OWNER TTL [RECORD...]
#
# dr_check_args "$@"   validates verb, owner, TTL and records, or exits 64
# dr_secret FILE       refuses a secret file others may read (exit 1)
# dr_api M URL AUTH TOKENFILE [BODY]
#                      one HTTPS request with curl; the header "AUTH TOKEN"
#                      goes to curl as a config line on its stdin (printf is
#                      a shell builtin), never on a command line or in the
#                      environment. Sets dr_status (HTTP code) and dr_body
#                      (response); exits 75 when the network failed.

dr_fail() { # status message
	echo "${0##*/}: $2" >&2
	exit "$1"
}

dr_check_args() {
	if [ $# -lt 3 ] || [ "$1" != replace ]; then
		dr_fail 64 "usage: ${0##*/} [options] replace OWNER TTL [RECORD...]"
	fi
	case $2 in
	'' | *[!A-Za-z0-9._-]* | .* | *..* | *.) dr_fail 64 "bad owner name: $2" ;;
	esac
	case $3 in
	'' | *[!0-9]*) dr_fail 64 "bad TTL: $3" ;;
	esac
	shift 3
	for r in "$@"; do
		case $r in
		[0-3]' '[0-1]' '[0-2]' '?*) ;;
		*) dr_fail 64 "bad record: $r" ;;
		esac
		case ${r#??????} in
		*[!0-9a-fA-F]*) dr_fail 64 "bad record data: $r" ;;
		esac
	done
}

dr_secret() {
	if [ ! -f "$1" ] || [ ! -r "$1" ]; then
		dr_fail 1 "cannot read $1"
	fi
	[ -z "$(find "$1" -prune -perm /077)" ] ||
		dr_fail 1 "$1 may be read by group or others: chmod 600 $1"
}

dr_api() { # method url auth-scheme tokenfile [body]
	dr_m=$1 dr_url=$2 dr_auth=$3 dr_tf=$4 dr_data=${5-}
	dr_secret "$dr_tf"
	dr_token=
	IFS= read -r dr_token < "$dr_tf" || [ -n "$dr_token" ] ||
		dr_fail 1 "$dr_tf is empty"
	case $dr_token in
	'' | *[!A-Za-z0-9._~+/=-]*) dr_fail 1 "$dr_tf: not a plain API token" ;;
	esac
	dr_out=$(mktemp) || dr_fail 75 "mktemp failed"
	if [ -n "$dr_data" ]; then
		set -- -H 'Content-Type: application/json' --data-binary "$dr_data"
	else
		set --
	fi
	dr_status=$(printf 'header = "Authorization: %s %s"\n' "$dr_auth" \
		"$dr_token" | curl -sS -K - --max-time "${DR_TIMEOUT:-25}" \
		-X "$dr_m" -o "$dr_out" -w '%{http_code}' "$@" -- "$dr_url")
	dr_rc=$?
	dr_token=
	dr_body=$(cat "$dr_out")
	rm -f "$dr_out"
	case $dr_rc in
	0) ;;
	5 | 6 | 7 | 28 | 35 | 52 | 55 | 56)
		dr_fail 75 "$dr_m $dr_url: network error (curl exit $dr_rc)" ;;
	*) dr_fail 1 "$dr_m $dr_url: curl failed (exit $dr_rc)" ;;
	esac
}

# Exit status for an HTTP error: 75 for rate limits and server errors.
dr_http_fail() { # what
	case $dr_status in
	429 | 5??) st=75 ;;
	*) st=1 ;;
	esac
	dr_fail "$st" "$1: HTTP $dr_status: $(printf '%s' "$dr_body" | head -c 2000)"
}

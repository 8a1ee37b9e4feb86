/*
 * tsig - TSIG (RFC 8945) message signatures for DNS UPDATE.
 *
 * A struct tsig_key comes from a key file (tsig_keyfile.h); the secret
 * lives only there, is never put on a command line, in the environment
 * or in a message, and is wiped by tsig_key_free(). The names and
 * algorithms a key may have are decided here (tsig_name_to_wire,
 * tsig_alg_name), for signing and for the key-file reader alike.
 *
 * tsig_sign() and tsig_verify() work on DNS messages in wire format and
 * log nothing: the caller knows which server and which change it is
 * talking about and words the message. TSIG time is the real clock
 * (time(NULL)), never the test clock of util_now().
 */
#ifndef DANEROLL_TSIG_H
#define DANEROLL_TSIG_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "util.h"

#define TSIG_MAC_MAX	64	/* hmac-sha512 */
#define TSIG_FUDGE	300	/* seconds of clock skew accepted */

/* TSIG error codes (RFC 8945 section 3). */
#define TSIG_ERR_BADSIG		16
#define TSIG_ERR_BADKEY		17
#define TSIG_ERR_BADTIME	18
#define TSIG_ERR_BADTRUNC	22

struct tsig_key {
	char		 name[256];	/* lower case, trailing dot */
	const char	*alg;		/* "hmac-sha256" ... (static) */
	unsigned char	*secret;	/* decoded; wiped by tsig_key_free */
	size_t		 secret_len;
};

/* A name in wire format is at most this long (RFC 1035). */
#define TSIG_WIRE_NAME_MAX	255

/*
 * Presentation name s[0..n) (trailing dot optional) to lower-case wire
 * format in out (TSIG_WIRE_NAME_MAX bytes); returns the length, or -1 if
 * it is not a name of labels of letters, digits, '-' and '_'.
 */
int		 tsig_name_to_wire(const char *s, size_t n, unsigned char *out);
/* The algorithm s[0..n) names, case-insensitive: "hmac-sha256",
 * "hmac-sha384" or "hmac-sha512" (static), or NULL if none of them. */
const char	*tsig_alg_name(const char *s, size_t n);

/*
 * Appends a TSIG RR to the DNS message in msg (which must not carry one
 * yet) and bumps its ARCOUNT. reqmac is NULL for a request, the request's
 * MAC for a response. The MAC goes to mac (TSIG_MAC_MAX bytes); a response
 * to this message is verified against it. 0, or -1 if msg is not a DNS
 * message.
 */
int	 tsig_sign(const struct tsig_key *, struct buf *msg, time_t now,
	    const unsigned char *reqmac, size_t reqmac_len,
	    unsigned char *mac, size_t *mac_len);

enum tsig_status {
	TSIG_OK = 0,		/* signed by our key, MAC and time good */
	TSIG_UNSIGNED,		/* no TSIG RR */
	TSIG_MALFORMED,		/* not a parsable message / TSIG RR */
	TSIG_OTHER_KEY,		/* signed with another key name/algorithm */
	TSIG_BAD_MAC,		/* the MAC does not verify */
	TSIG_BAD_TIME,		/* verified, but signed outside the fudge */
	TSIG_ERROR		/* the server sent a TSIG error (info.error) */
};
const char	*tsig_status_str(enum tsig_status);

struct tsig_info {
	uint16_t	 error;		/* TSIG error field (TSIG_ERR_...) */
	int		 verified;	/* the MAC checked out (TSIG_ERROR too) */
	int64_t		 time_signed;	/* the signer's clock */
	int64_t		 server_time;	/* BADTIME other data, else -1 */
};

/*
 * Checks the TSIG of a response msg to a request whose MAC was reqmac.
 * A response with a TSIG error carries no usable MAC (BADSIG, BADKEY) or
 * a signed one (BADTIME): info says which.
 */
enum tsig_status tsig_verify(const struct tsig_key *, const unsigned char *msg,
		    size_t len, const unsigned char *reqmac, size_t reqmac_len,
		    time_t now, struct tsig_info *info);

/* "BADSIG", "BADKEY", "BADTIME", "BADTRUNC" or "error N" (static). */
const char	*tsig_error_str(uint16_t);

#endif

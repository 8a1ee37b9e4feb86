/*
 * dnsq - many DNS queries at once, each sent straight to one server
 * address (no recursion of our own, no caching, no search list).
 *
 * dnsq_run() drives every query of the array through one poll() loop over
 * non-blocking sockets: at most `inflight` queries on the wire at a time
 * (or a window that grows from there, as TCP's slow start does), a
 * timeout per try, up to `udp_tries` UDP sends, and a retry over TCP when
 * the UDP answer has the TC bit. Every query carries EDNS0 (1232 octets)
 * with the DO bit, a random ID, and RD, AD and CD only when asked for. An
 * answer is accepted only if its ID, QR bit and question match the query;
 * a UDP datagram that does not match is dropped and the wait goes on.
 *
 * A prebuilt message (dnsq_query_init_msg) is sent instead, octet for
 * octet, when the caller must build it: a TSIG-signed UPDATE or query,
 * whose signature covers every octet, ID included. dnsq then adds no
 * EDNS0, keeps the message's own ID (the caller makes it random) and
 * matches the answer against the message's question section - for an
 * UPDATE its zone section, which has the same layout (RFC 2136 2.3) -
 * with the same rules and the same UDP -> TCP fallback. A message that
 * does not parse or has not exactly one question fails with EINVAL.
 *
 * Bounds: an answer is at most 65,535 octets (the TCP length prefix), and
 * the whole TCP exchange - connect, query, answer - must be over within
 * `tcp_ms`, however the server paces its octets: a server trickling one
 * octet a second is cut off there (ETIME), never waited for octet by
 * octet as a per-read timeout would.
 *
 * Why poll() and not threads: a query is a few hundred octets and a wait;
 * one thread multiplexing sockets needs no locking, no thread limits and
 * no cancellation, and bounds the work by `inflight` alone.
 *
 * Ownership: the caller owns the array. dnsq_run() fills wire/wirelen (the
 * answer, malloc'd), err and tcp in each element; dnsq_free() frees the
 * answers. A prebuilt msg stays the caller's, and must live until
 * dnsq_run() returns. Nothing here logs: callers know what a failed query
 * means.
 */
#ifndef DANEROLL_DNSQ_H
#define DANEROLL_DNSQ_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct dnsq {
	/* Set by the caller. */
	struct sockaddr_storage	 addr;		/* server address and port */
	socklen_t		 addrlen;
	char			 qname[256];	/* presentation form */
	uint16_t		 qtype;		/* LDNS_RR_TYPE_* */
	int			 rd;		/* set the RD bit */
	int			 ad;		/* set AD: the resolver's verdict */
	int			 cd;		/* set CD: checking disabled */
	const uint8_t		*msg;		/* prebuilt query, or NULL */
	size_t			 msglen;
	/* Set by dnsq_run(). */
	uint8_t			*wire;		/* the answer, NULL on error */
	size_t			 wirelen;
	int			 err;		/* 0 or an errno value */
	int			 tcp;		/* answered over TCP */
};

struct dnsq_limits {
	int	inflight;	/* queries on the wire at once, >= 1 */
	int	try_ms;		/* wait for one UDP try */
	int	udp_tries;	/* UDP sends before ETIMEDOUT */
	int	tcp_ms;		/* whole TCP exchange */
	int	max_inflight;	/* 0: inflight is fixed; else the window
				 * grows by one per answer up to this, and
				 * falls back to inflight when a try times
				 * out (a resolver's socket buffer holds a
				 * burst of about 150 queries, not 600) */
};

/* 16 in flight, 1.5 s per UDP try, 3 tries, 5 s over TCP. */
extern const struct dnsq_limits dnsq_default_limits;

/* The window after one more answer (answered) or a try that timed out:
 * one more, up to max_inflight, or back to inflight. Pure. */
size_t		dnsq_window_after(size_t window, int answered,
		    const struct dnsq_limits *);

/*
 * Parses "192.0.2.1", "2001:db8::1", "fe80::1%eth0", "addr#port" (or
 * "[v6]:port") into a socket address; default_port when none is given.
 * 0, or -1 (not logged) if the text is not a numeric address (IPv4 as a
 * dotted quad only) or the port not 1-65535 in digits. Every address
 * daneroll reads - configuration, resolv.conf, command line - goes
 * through here.
 */
int	 dnsq_addr_parse(const char *text, int default_port,
	    struct sockaddr_storage *, socklen_t *);
/* "192.0.2.1", or "192.0.2.1#5353" when the port is not 53. */
void	 dnsq_addr_str(const struct sockaddr *, char *out, size_t outlen);

/*
 * Runs every query to completion (answer or error); never fails as a
 * whole. err is ETIMEDOUT when no try was answered, ETIME when an answer
 * over TCP had begun but was not complete within tcp_ms, EPROTO when a
 * TCP answer was malformed or did not match, EINVAL for a bad qname or
 * prebuilt message, or what the socket said (ECONNREFUSED, ENETUNREACH,
 * EADDRNOTAVAIL...).
 */
/* A question to the server at sa: name (too long: EINVAL from dnsq_run),
 * type, the RD bit; everything else cleared. */
void	 dnsq_query_init(struct dnsq *, const struct sockaddr_storage *sa,
	    socklen_t len, const char *name, uint16_t type, int rd);
/* The prebuilt message msg (msglen octets, the caller's) to the server at
 * sa; qname, qtype and the flags are unused and cleared. */
void	 dnsq_query_init_msg(struct dnsq *, const struct sockaddr_storage *sa,
	    socklen_t len, const uint8_t *msg, size_t msglen);
void	 dnsq_run(struct dnsq *, size_t n, const struct dnsq_limits *);
void	 dnsq_free(struct dnsq *, size_t n);
/* "timed out", "connection refused", "network unreachable"... */
const char *dnsq_strerror(int err);
/* ldns's name of a header rcode ("NOERROR", "NXDOMAIN", "NOTIMPL",
 * "NOTAUTH"), or "RCODE12" for one it has no name for. */
const char *dnsq_rcode_str(int rcode);

#endif

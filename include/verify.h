/*
 * verify - live DANE verification of SMTP servers: what a DANE-enabled
 * sender (RFC 7672) would see when it delivers to an MX host, address by
 * address and key algorithm by key algorithm.
 *
 * verify_lookup() finds, for one MX name, every A and AAAA record and the
 * TLSA RRset a sender would use: when the name is a secure alias (CNAME),
 * the RRset at _PORT._tcp.EXPANDED first, and when that is securely absent
 * or insecure, the one at _PORT._tcp.NAME (RFC 7672 2.2.2); the TLSA base
 * domain is the name where the RRset was found. In the alias case the
 * other name's RRset is looked up too, so that a disagreement can be shown.
 * Every datum keeps its DNSSEC status (include/resolve.h says how far the
 * resolver's AD bit is trusted).
 *
 * verify_run() makes the handshakes: for each endpoint (address, port,
 * algorithm, TLSA RRset to authenticate against), a non-blocking TCP
 * connect, SMTP up to STARTTLS (include/smtp.h), then TLS 1.2 or later with
 * SNI set to the TLSA base domain, OpenSSL's DANE verification against the
 * endpoint's records (usages 0 and 1 are ignored, as SMTP requires; DANE-EE
 * without name or expiry checks; DANE-TA with the base domain and the MX
 * name as reference identifiers), and the client's signature algorithms and
 * TLS 1.2 ciphers limited to one key algorithm, so that a server with RSA
 * and ECDSA chains must show the one asked for.
 *
 * Bounds: the SMTP dialogue is bounded by include/smtp.h; the server's
 * certificate chain by 100 KiB (VERIFY_CERT_LIST_MAX in verify.c; more
 * is a failed handshake, said so); and each endpoint by its deadlines:
 * connect_ms to connect, idle_ms without any event, total_ms in all, so
 * that a server trickling one byte a second is cut off at total_ms.
 *
 * Concurrency: one thread, one poll() loop, each endpoint a small state
 * machine (connect -> smtp -> tls -> done) with a total deadline and an
 * idle deadline, at most opts->parallel endpoints open at once and at
 * most opts->per_server to one address and port (include/opener.h), so a
 * check of many names on one MTA stays below its per-client limits
 * (Postfix: smtpd_client_connection_count_limit, 50) while names on other
 * servers go ahead. No threads means no locking around the logger,
 * OpenSSL error queues or ldns, and no fork means no process table to
 * clean up; a silent or trickling server costs one socket until its
 * deadline and delays no other endpoint.
 *
 * verify_dane is the engine's verifier (include/backend.h): it checks every
 * address of the host and its aliases against the RRset daneroll published
 * (want), and compares with what validated DNS serves.
 *
 * Ownership: verify_name and verify_endpoint results are freed with
 * verify_name_free() / verify_endpoint_clear(); an endpoint borrows its
 * tlsa set, which must outlive verify_run().
 */
#ifndef DANEROLL_VERIFY_H
#define DANEROLL_VERIFY_H

#include <time.h>
#include <openssl/x509.h>

#include "backend.h"
#include "conf.h"
#include "resolve.h"
#include "tlsa.h"
#include "util.h"

extern const struct backend_verifier verify_dane;

struct verify_opts {
	int	 connect_ms;	/* TCP connect: 10 s */
	int	 idle_ms;	/* no event this long: 20 s */
	int	 total_ms;	/* one endpoint, start to end: 45 s */
	int	 parallel;	/* endpoints open at once: 256 */
	int	 per_server;	/* of them to one address and port: 8 */
	int	 dns_timeout_secs; /* per DNS try: 5 s */
	char	 helo[256];	/* EHLO name: this host's name */
};
void		 verify_opts_init(struct verify_opts *);

/* What DNS says about one MX name. */
struct verify_name {
	char			*name;		/* as given, no trailing dot */
	int			 port;
	struct resolve_addrs	 addrs;
	char			*owner;		/* the owner a sender uses */
	char			*base;		/* TLSA base domain */
	struct resolve_tlsa	 tlsa;		/* at owner */
	char			*other_owner;	/* alias: the other candidate */
	struct resolve_tlsa	 other;		/* ...and its RRset */
	int			 has_other;
};
/* Fills vn; the statuses inside say what could be found. 0, or -1 only on
 * a bad argument. */
int		 verify_lookup(struct resolver *, const char *name, int port,
		    struct verify_name *vn);
/* The questions verify_lookup() will ask first for each name and port,
 * asked at once beforehand (resolve_prefetch): for checks of many names. */
void		 verify_prefetch(struct resolver *, const char *const *names,
		    const int *ports, size_t n);
void		 verify_name_free(struct verify_name *);

enum verify_status {
	VS_MATCH = 0,		/* the chain is authenticated by the RRset */
	VS_MISMATCH,		/* a chain came, the RRset does not match it */
	VS_NO_STARTTLS,		/* EHLO reply without STARTTLS */
	VS_HANDSHAKE,		/* TLS handshake failed */
	VS_SMTP_PERM,		/* 5xx, garbage, injected data: definite */
	VS_SMTP_TEMP,		/* 4xx, connection dropped */
	VS_UNREACHABLE,		/* connect failed */
	VS_TIMEOUT,		/* a deadline passed */
	VS_LOCAL,		/* our side failed (socket, OpenSSL) */
	VS_NOT_RUN
};
const char	*verify_status_str(enum verify_status);
/* OUT_OK for VS_MATCH; OUT_PERMFAIL for a definite answer the server gave
 * (mismatch, no STARTTLS, failed handshake, 5xx); else OUT_TEMPFAIL. */
enum outcome	 verify_status_outcome(enum verify_status);

/* Submissions (RFC 8314): TLS from the first byte. Every other port
 * speaks SMTP first and STARTTLS. */
#define VERIFY_PORT_SUBMISSIONS	465

struct verify_endpoint {
	/* in */
	char			 name[256];	/* the MX name */
	char			 base[256];	/* SNI, DANE-TA name */
	struct resolve_addr	 addr;
	int			 port;
	int			 implicit_tls;	/* port 465 (RFC 8314): TLS from
						 * the first byte, no STARTTLS */
	enum key_alg		 alg;
	const struct tlsa_set	*tlsa;		/* borrowed */
	/* out */
	enum verify_status	 status;
	char			 detail[256];
	char			 tls_version[16];
	char			 cipher[64];
	int			 usage, selector, mtype, depth; /* -1: none */
	time_t			 not_after;	/* leaf; 0 unknown */
	char			 spki[65];	/* leaf "3 1 1" data; "" */
	int			 leaf_alg;	/* enum key_alg, or -1 */
	STACK_OF(X509)		*chain;		/* as sent, leaf first */
	long			 elapsed_ms;
};
/* Sets the inputs and resets the results. */
void		 verify_endpoint_init(struct verify_endpoint *,
		    const char *name, const char *base,
		    const struct resolve_addr *, int port, enum key_alg,
		    const struct tlsa_set *);
void		 verify_endpoint_clear(struct verify_endpoint *);
/*
 * Runs every endpoint and fills its results. 0, or -1 (logged) when
 * nothing could be tried (no TLS context); per-endpoint failures are
 * results, not errors, and are not logged above debug level.
 */
int		 verify_run(struct verify_endpoint *, int n,
		    const struct verify_opts *);
/*
 * The verdict over endpoints, as the engine needs it: OUT_PERMFAIL if any
 * endpoint gave a definite failure, else OUT_TEMPFAIL if any could not be
 * checked (or there are none), else OUT_OK. A pure function.
 */
enum outcome	 verify_verdict(const struct verify_endpoint *, int n);

#endif

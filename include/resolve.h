/*
 * resolve - DNS lookups for the live check, through one validating
 * recursive resolver, with the DNSSEC status carried beside every answer.
 *
 * How validation is trusted: daneroll does not validate signatures itself.
 * It asks the resolver named by conf->resolver ("addr" or "addr#port"; by
 * default the nameservers of /etc/resolv.conf) with RD, AD and DO set, and
 * believes the AD bit of the reply. That is only as sound as the path to
 * the resolver: run a validating resolver (unbound, BIND) on the loopback
 * interface of the same host or network namespace, or reach it over a
 * network nobody else can write to. A resolver on another host across a
 * shared network could be impersonated, AD bit and all. (glibc's
 * "options trust-ad" does not apply: these queries do not go through
 * glibc.)
 *
 * The status of an answer:
 *   RESOLVE_SECURE    AD set: data or denial of existence validated
 *   RESOLVE_INSECURE  answered (data, NODATA or NXDOMAIN) without AD: the
 *                     zone is unsigned, or the resolver does not validate
 *   RESOLVE_BOGUS     SERVFAIL, but the same query with CD (checking
 *                     disabled) is answered: validation failed
 *   RESOLVE_FAIL      no usable answer at all (timeout, SERVFAIL with CD
 *                     too, REFUSED): nothing is known, try again later
 *
 * Bounds: each server gets two UDP tries of timeout_secs; after a
 * truncated answer the whole TCP exchange must be over within
 * timeout_secs too, however slowly the server sends (dnsq.h). An answer is
 * at most 65,535 octets; at most RESOLVE_ADDRS_MAX addresses per name are
 * taken (more is RESOLVE_FAIL: every address must be checked, and a name
 * with thousands would hold a check for hours).
 *
 * Results fill caller-owned structures; free them with the matching
 * *_free function. Lookup failures are not logged (they are findings the
 * caller reports once); resolve_open() logs why it could not start.
 */
#ifndef DANEROLL_RESOLVE_H
#define DANEROLL_RESOLVE_H

#include <stdint.h>
#include <time.h>

#include "tlsa.h"
#include "util.h"

enum resolve_sec {
	RESOLVE_SECURE = 0,
	RESOLVE_INSECURE,
	RESOLVE_BOGUS,
	RESOLVE_FAIL
};
const char	*resolve_sec_str(enum resolve_sec);
/* The weaker of two statuses: BOGUS, then FAIL, then INSECURE, SECURE. */
enum resolve_sec resolve_sec_worst(enum resolve_sec, enum resolve_sec);

struct resolver;

/*
 * spec: "192.0.2.53", "2001:db8::53", "127.0.0.1#5353", or NULL for
 * /etc/resolv.conf (its first RESOLVCONF_MAX nameservers, asked in turn;
 * 127.0.0.1 when it names none: resolvconf.h). timeout_secs per try (2
 * tries per server).
 * OUT_OK, or OUT_TEMPFAIL (logged) when no resolver can be set up.
 */
enum outcome	 resolve_open(const char *spec, int timeout_secs,
		    struct resolver **);
void		 resolve_close(struct resolver *);
/* The spec, "/etc/resolv.conf", or "127.0.0.1 (no nameserver in
 * /etc/resolv.conf)", for messages. */
const char	*resolve_name(const struct resolver *);
/* 1 if every nameserver used is a loopback address, else 0. */
int		 resolve_is_local(const struct resolver *);

/*
 * Asks the first nameserver all of these questions at once and keeps its
 * answers for the lookups below, which then wait about one round trip in
 * all instead of one each (a check of many hosts). Lookups of questions
 * not prefetched - CNAME targets, the CD query after a SERVFAIL, the
 * other nameservers after a failure - are asked one at a time as ever.
 */
struct resolve_question {
	const char	*name;		/* without the trailing dot */
	uint16_t	 type;		/* RESOLVE_Q_* */
};
#define RESOLVE_Q_A	1	/* the RR type numbers */
#define RESOLVE_Q_AAAA	28
#define RESOLVE_Q_TLSA	52
void		 resolve_prefetch(struct resolver *,
		    const struct resolve_question *, size_t n);

#define RESOLVE_ADDR_MAX	46	/* INET6_ADDRSTRLEN */
#define RESOLVE_ADDRS_MAX	32	/* A + AAAA records of one name */
#define RESOLVE_CHAIN_MAX	8	/* CNAMEs followed */

struct resolve_addr {
	int	 family;		/* AF_INET, AF_INET6 */
	char	 text[RESOLVE_ADDR_MAX];
};

/* The A and AAAA records of a name, after its CNAME chain. */
struct resolve_addrs {
	enum resolve_sec	 sec;		/* worst of both lookups */
	int			 nxdomain;
	char			*expanded;	/* last CNAME target, or NULL */
	struct resolve_addr	*addr;
	int			 naddr;
	int			 too_many;	/* over RESOLVE_ADDRS_MAX */
	char			 why[256];	/* RESOLVE_FAIL / BOGUS detail */
};
void		 resolve_addrs_free(struct resolve_addrs *);
/* name without the trailing dot. Returns a->sec. */
enum resolve_sec resolve_addrs(struct resolver *, const char *name,
		    struct resolve_addrs *a);

/* The TLSA RRset at an owner name ("_25._tcp.mx1.example.org"). */
struct resolve_tlsa {
	enum resolve_sec	 sec;
	int			 exists;	/* records found (any usage) */
	int			 nxdomain;
	char			*expanded;	/* the owner was a CNAME to this */
	struct tlsa_set		 set;
	int64_t			 ttl;		/* as the resolver served it */
	int64_t			 orig_ttl;	/* from the RRSIG; -1 unknown */
	time_t			 sig_expires;	/* earliest RRSIG; 0 unknown */
	int			 nsigs;
	char			 why[256];
};
void		 resolve_tlsa_free(struct resolve_tlsa *);
enum resolve_sec resolve_tlsa(struct resolver *, const char *owner,
		    struct resolve_tlsa *t);

#endif

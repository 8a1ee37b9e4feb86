/*
 * observe - the propagation observer: what does every authoritative
 * address of a zone serve at a TLSA owner name, right now?
 *
 * observe_dns.observe(conf, host, owner, want, report):
 *   1. finds the zone cut of owner (SOA query through conf->resolver, or
 *      the first answering nameserver of /etc/resolv.conf, 127.0.0.1 when
 *      it names none: resolvconf.h), the zone's NS
 *      RRset, its DNSKEY RRset (is the zone signed?) and the A and AAAA
 *      records of every NS name;
 *   2. adds host->extra_servers (hidden primaries, anycast unicast nodes);
 *   3. asks every address directly, all at once (see dnsq.h): TLSA at
 *      owner and SOA at the apex, RD=0, EDNS0 with DO; guessed
 *      addresses - those the NS answer's additional section gives
 *      (observe_glue), those the lookups gave the zone last time in this
 *      process, the extra servers - are asked beside the A and AAAA
 *      lookups of step 1, and their answers stand for the addresses the
 *      lookups then give, if the same;
 *   4. classifies each answer (observe_classify) and sums up
 *      (observe_summarize).
 * Returns OUT_OK with the report filled even when not every address
 * matches (the engine polls again); OUT_TEMPFAIL (logged) when the zone
 * cut, the NS RRset or an NS name's addresses cannot be learnt now;
 * OUT_PERMFAIL (logged) for a bad owner name or an owner in no zone.
 * want may be empty: a missing RRset is then the match, and the report
 * says what is served today (any_tlsa, served, served_ttl, neg_ttl).
 *
 * Bounds: a zone with more than 32 NS names or 64 addresses to ask is not
 * observed (OUT_TEMPFAIL, logged); every query is bounded by dnsq (an
 * answer over TCP must be complete within 5 s, see dnsq.h).
 *
 * The resolver is trusted for addresses only: signatures and answers are
 * judged at the authoritative servers themselves, never from an AD bit.
 *
 * Ownership: report is the caller's, freed with obs_report_free(); its
 * previous contents are not freed (pass a zeroed one). struct
 * observe_addr is the caller's; observe_addr_free() frees its served set.
 */
#ifndef DANEROLL_OBSERVE_H
#define DANEROLL_OBSERVE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "backend.h"

extern const struct backend_observer observe_dns;

/* What one address said, classified. */
struct observe_addr {
	struct obs_server	 sv;		/* address, NS name, result, serial */
	int			 v6;		/* an IPv6 address */
	int			 no_route;	/* ENETUNREACH / EADDRNOTAVAIL */
	int			 answered;	/* authoritative: served is meaningful */
	struct tlsa_set		 served;	/* the TLSA RRset it serves */
	int64_t			 ttl;		/* its TTL (smallest), if served */
	int64_t			 neg_ttl;	/* from its SOA, -1 if unknown */
	char			 note[160];	/* why, for the log */
};
void	observe_addr_free(struct observe_addr *);

/*
 * Classifies an answer (wire format) to "owner TLSA" against want (empty:
 * no RRset wanted). zone_signed: the zone has a DNSKEY RRset, so a
 * matching RRset must come with its RRSIG. Fills a->result, a->answered,
 * a->served, a->ttl and a->note; touches nothing else. Pure: no I/O, no
 * logging.
 */
enum obs_result observe_classify(const uint8_t *wire, size_t len,
		    const char *owner, const struct tlsa_set *want,
		    int zone_signed, struct observe_addr *a);

/*
 * Reads the SOA of an answer to "zone SOA" (answer section, else the
 * authority section): *serial, *neg_ttl = min(SOA TTL, SOA MINIMUM)
 * (RFC 2308 section 5) and *is_signed (an RRSIG covers the SOA). 0, or
 * -1 if the answer holds no SOA for zone (outputs untouched).
 */
int	observe_soa(const uint8_t *wire, size_t len, const char *zone,
	    uint32_t *serial, int64_t *neg_ttl, int *is_signed);

/*
 * The addresses an answer's additional section gives the names
 * ns[0..nns): its A and AAAA records owned by one of them (compared
 * without case), as port-53 socket addresses, each once, at most max, in
 * out and outlen. Returns how many. Pure.
 */
size_t	observe_glue(const uint8_t *wire, size_t len, const char *const *ns,
	    size_t nns, struct sockaddr_storage *out, socklen_t *outlen,
	    size_t max);
/*
 * Sums up n classified addresses into report (which must be zeroed):
 * servers, all_match (every address matches, except unreachable IPv6
 * addresses when ignore_unreachable_ipv6; never with n == 0), any_tlsa,
 * served and served_ttl (the RRset most authoritative answers carry; a
 * tie goes to a non-empty RRset, then to the longest TTL: the choice that
 * makes ageing wait longer), and neg_ttl (the largest seen, 0 if none).
 * Returns how many unreachable IPv6 addresses were excused. Pure.
 */
int	observe_summarize(const struct observe_addr *, size_t n,
	    int ignore_unreachable_ipv6, struct obs_report *report);

/*
 * doctor: the discovery of observe() alone - the zone of owner, the
 * resolver that answered, whether it shows a DNSKEY RRset at the apex,
 * and every authoritative address (extra servers included), none asked
 * yet. OUT_OK, or as observe() (logged). z is the caller's, zeroed
 * here; free it with observe_zone_free() whatever the outcome.
 */
struct observe_zone {
	char			 zone[258];
	char			 resolver[80];	/* "192.0.2.53", or "" */
	struct sockaddr_storage	 res;
	socklen_t		 reslen;	/* 0: no resolver */
	int			 dnskey_at_resolver;
	struct observe_addr	*addrs;		/* sv.addr, sv.ns, v6 */
	struct sockaddr_storage	*sas;		/* family 0: no address */
	socklen_t		*salens;
	size_t			 naddrs;
};
enum outcome	observe_discover(const struct conf *, const struct conf_host *,
		    const char *owner, struct observe_zone *z);
void		observe_zone_free(struct observe_zone *);

#endif

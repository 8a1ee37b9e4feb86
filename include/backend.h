/*
 * backend - the five interfaces through which the engine touches the world:
 * DNS publisher, propagation observer, ACME issuer, deployer and live
 * verifier. A real backend is a file that fills one of these structures;
 * tests hand the engine doubles instead. The engine never calls the world
 * any other way, so `run -n` and `plan` can be proven side-effect free by
 * giving them no backends at all. A DNS publisher also declares the keys
 * of its [publisher] section (struct conf_pubdef, conf.h), which conf
 * parses into its own config; docs/architecture.md says how to add one.
 *
 * Every function returns an outcome (OK / PENDING / TEMPFAIL / PERMFAIL),
 * logs why it failed once, and is idempotent: calling it again with the same
 * arguments after a crash converges on the same result.
 */
#ifndef DANEROLL_BACKEND_H
#define DANEROLL_BACKEND_H

#include <stdint.h>
#include <time.h>

#include "conf.h"
#include "tlsa.h"
#include "util.h"

/* One RRset change at one owner name: replace prev by want. */
struct publish_req {
	const char		*owner;		/* "_25._tcp.mx1.example.org" */
	int64_t			 ttl;
	const struct tlsa_set	*prev;		/* what we last published (may be empty) */
	const struct tlsa_set	*want;		/* empty: delete the RRset */
	/* Of want, one record for each chain served now
	 * (view_served_records): what a publisher that adds records one
	 * at a time must add first. */
	const struct tlsa_set	*served;
};

struct backend_publisher {
	const char		*type;		/* "rfc2136": type = in the
						 * [publisher] section */
	enum outcome		(*replace)(const struct conf *,
				    const struct conf_publisher *,
				    const struct publish_req *);
	/* config check: warnings about a section (NULL: none); 0, or -1
	 * if the section cannot work (each reason logged as FILE:LINE,
	 * conf naming the file). Reads files, changes nothing. */
	int			(*check)(const struct conf *,
				    const struct conf_publisher *);
	/*
	 * doctor: proves, without changing anything, that the publisher
	 * would accept our credentials for the zone holding owner (a
	 * TSIG-signed query, an authenticated API read, the program's
	 * presence). OUT_OK; else logged once naming the server and the
	 * key or file (never a secret). NULL: nothing can be proven.
	 */
	enum outcome		(*probe)(const struct conf *,
				    const struct conf_publisher *,
				    const char *owner);
	/*
	 * doctor: 0 if the secret file at path (the key flagged
	 * CONF_KEY_SECRET) holds a secret this backend can use, else -1,
	 * why logged once. NULL: owner and mode are all that is checked.
	 */
	int			(*secret_usable)(const char *path);
	/* The section's keys. Empty only in a test's double, which conf
	 * never sees. */
	struct conf_pubdef	 conf;
};

/* What one authoritative address serves for an owner name. */
enum obs_result {
	OBS_MATCH = 0,		/* serves exactly the wanted RRset, signed */
	OBS_STALE,		/* serves another RRset */
	OBS_MISSING,		/* NXDOMAIN/NODATA */
	OBS_UNSIGNED,		/* the zone is signed but no RRSIG came back */
	OBS_LAME,		/* answers, but not authoritatively */
	OBS_REFUSED,
	OBS_UNREACHABLE		/* timeout or network error */
};
const char	*obs_result_str(enum obs_result);

struct obs_server {
	char		 addr[64];	/* "192.0.2.1" or "2001:db8::1" */
	char		 ns[256];	/* the NS name it belongs to, or "extra" */
	enum obs_result	 result;
	uint32_t	 serial;	/* SOA serial seen, 0 if unknown */
};

struct obs_report {
	struct obs_server	*servers;	/* caller frees with obs_report_free */
	int			 nservers;
	int			 all_match;	/* every address: OBS_MATCH */
	int			 any_tlsa;	/* some address serves a TLSA RRset */
	int64_t			 neg_ttl;	/* SOA minimum / negative TTL */
	int64_t			 served_ttl;	/* TTL of the served RRset, if any */
	struct tlsa_set		 served;	/* what most addresses serve */
};
void	obs_report_free(struct obs_report *);

struct backend_observer {
	enum outcome	(*observe)(const struct conf *, const struct conf_host *,
			    const char *owner, const struct tlsa_set *want,
			    struct obs_report *);
};

/* Issues a certificate for the key behind csr_pem; leaves the chain (leaf
 * first, PEM) at chain_path. The engine checks the result. */
struct backend_issuer {
	enum outcome	(*issue)(const struct conf *, const struct conf_host *,
			    enum key_alg, const char *csr_path,
			    const char *chain_path);
};

/* Installs key + chain for one slot in one atomic step and reloads the
 * MTA; rollback puts the previous set back and reloads; forget deletes
 * the previous set (it holds a retired private key) and is idempotent. */
struct backend_deployer {
	enum outcome	(*deploy)(const struct conf *, const struct conf_host *,
			    enum key_alg, const char *key_path,
			    const char *chain_path);
	enum outcome	(*rollback)(const struct conf *,
			    const struct conf_host *, enum key_alg);
	enum outcome	(*forget)(const struct conf *,
			    const struct conf_host *, enum key_alg);
};

/* Live check of every address of a host for one algorithm against want:
 * OUT_OK only if every address presents a chain that want authenticates. */
struct backend_verifier {
	enum outcome	(*verify)(const struct conf *, const struct conf_host *,
			    enum key_alg, const struct tlsa_set *want);
	/*
	 * Before DNS changes: would the RRset `would` still authenticate
	 * every chain the host serves live for alg? OUT_OK: some address
	 * served a chain and every chain served matches; OUT_PERMFAIL: an
	 * address serves a chain it does not match (logged, naming it);
	 * OUT_TEMPFAIL: no chain could be learned (nothing is known). No
	 * comparison with DNS. NULL: this backend cannot tell.
	 */
	enum outcome	(*probe)(const struct conf *, const struct conf_host *,
			    enum key_alg, const struct tlsa_set *would);
};

struct backends {
	const struct backend_publisher	*const *publishers; /* NULL-terminated */
	const struct backend_observer	*observer;
	const struct backend_issuer	*issuer;
	const struct backend_deployer	*deployer;
	const struct backend_verifier	*verifier;
};

/* The publisher for a type ("pdns"), or NULL if be has none. */
const struct backend_publisher *backend_publisher_for(const struct backends *,
		    const char *type);
/* The backends compiled into this binary (NULL members: not available). */
const struct backends *backend_builtin(void);

#endif

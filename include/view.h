/*
 * view - everything the engine knows about one host at one instant: its
 * owner names with their RRset histories, its slots with their keys, what
 * the configured files deploy, and the TLSA RRset it should publish.
 *
 * view_load reads the store and the deployed certificates (reads only);
 * view_facts turns a slot of the view into the machine's facts, including
 * the deploy guard computed by ageing_safe_at over every owner's history.
 * A view owns everything it points to; view_free releases it.
 */
#ifndef DANEROLL_VIEW_H
#define DANEROLL_VIEW_H

#include <openssl/x509.h>

#include "conf.h"
#include "host_step.h"
#include "machine.h"
#include "store.h"
#include "tlsa.h"

struct view_owner {
	const char			*name;
	const struct conf_publisher	*publisher;
	int64_t				 id;
	struct store_rrset		*v;	/* versions, oldest first */
	int				 nv;
};

struct view_slot {
	enum key_alg		 alg;
	struct store_slot	 slot;
	int			 has_current, has_next;
	struct store_key	 current, next;
	int			 next_lost;	/* the next key's file is gone */
	char			*cert_path;	/* where the served chain lives */
	char			*key_path;	/* where the served key lives */
	int			 deployed_ok;	/* a chain is deployed */
	/* The served chain's file exists but cannot be read or parsed:
	 * what is served is unknown (never "none"); why, for the log. */
	int			 deployed_unknown;
	char			*deployed_error;
	char			 deployed_spki[65];
	time_t			 deployed_not_after;
	char			*deployed_sig;	/* stat signature of cert_path */
	int			 deployed_parsed; /* not from the cache */
	STACK_OF(X509)		*deployed_chain; /* view_deployed_chain() */
	STACK_OF(X509)		*staged;	/* chain issued for next */
	/* current+issuer: why no configured pin, nor a CA issuer_follow
	 * may publish, can vouch for the staged chain (pins_why_held), or
	 * NULL: it is held, a critical alert. */
	char			*hold;
};

struct view {
	const struct conf_host	*host;
	int64_t			 host_id;
	int			 forced;
	struct view_owner	*owners;
	int			 nowners;
	struct view_slot	 slots[KEY_ALG_COUNT];
	int			 nslots;
	struct tlsa_set		 pins;		/* current+issuer: 2 1 1 records,
						 * configured and followed */
	/* issuer_follow: the "2 1 1" of CAs no pin names whose chains are
	 * served or staged (in pins too; which CA of a chain: issuer_pin),
	 * and the subject of a staged chain's CA that no served chain has
	 * yet (a CA change under way; "" if none). */
	struct tlsa_set		 followed;
	char			 ca_change[256];
	struct tlsa_set		 want;		/* the RRset to publish */
	/* Seconds the wall clock ran ahead of the boot clock since an RRset
	 * was served everywhere; that time is dated by the boot clock. */
	int64_t			 clock_ahead;
};

/* 0 or -1 (logged). create: add missing host/slot/owner rows. */
int	 view_load(struct store *, const struct conf_host *, time_t now,
	    int create, struct view *);
void	 view_free(struct view *);
void	 view_facts(const struct view *, const struct view_slot *,
	    time_t now, struct slot_facts *);
/* host_step over every slot of the view, with the host's policy: slot i
 * of the step is v->slots[i]. */
void	 view_step(const struct view *, time_t now, struct host_step *);
/*
 * For each chain the host's files serve now, the first record of want
 * (canonical order) that authenticates it alone; two chains one record
 * covers (a shared issuer's "2 1 1") give it once. A publisher that can
 * only add one record at a time adds these first: the first record of an
 * RRset is the moment DANE clients start to insist on a match. Caller
 * frees.
 */
void	 view_served_records(struct view *, const struct tlsa_set *want,
	    struct tlsa_set *out);
/* The first slot whose served chain is unknown (deployed_unknown), or
 * NULL: nothing may change in DNS or the files of such a host. */
const struct view_slot *view_unknown_slot(const struct view *);
struct slot_policy view_policy(const struct conf_host *);
/* The deployed chain, parsed on first use (NULL if none). */
STACK_OF(X509)	*view_deployed_chain(struct view_slot *);
/*
 * May chain go live now? 1 if every owner name's recorded versions vouch
 * for it, or the ones that do not have aged out of every cache (the deploy
 * guard's arithmetic, for a chain already in hand: intake's renewal of the
 * current key, whose chain may come from another CA).
 */
int	 view_chain_safe(const struct view *, STACK_OF(X509) *chain,
	    time_t now);
/*
 * When did the "3 1 1" record of the key with this SPKI digest (hex) leave
 * every cache? 1 and *at (may be in the future) when every owner name's
 * newest version lacks it and is served by every address, the versions
 * that held it then ageing out at *at (the deploy guard's arithmetic); 0
 * while it is published, still served somewhere, or nothing is known.
 */
int	 view_record_gone_at(const struct view *, const char *spki, time_t *at);
/* The RRset a deployed next chain must match before PROMOTE: the wanted
 * RRset less the current key's record. Caller frees. */
void	 view_promote_set(const struct view *, const struct view_slot *,
	    struct tlsa_set *);
/*
 * An RRset version recorded more than VIEW_FUTURE_SLACK seconds after now:
 * the clock went back, or ran ahead when it was recorded. Ageing counts
 * from such a time, so the host waits until then - safe, but a stall to
 * the operator. Its time (0: none), its owner's index and the version.
 */
#define VIEW_FUTURE_SLACK	60
time_t	 view_future_rrset(const struct view *, time_t now, int *owner,
	    const struct store_rrset **);
/*
 * The time to re-date to now, or 0: an RRset version from the future (as
 * above), or a slot's retry later than any back-off could have set
 * (retry_max + VIEW_FUTURE_SLACK from now). Either way what it records
 * happened before this run, so ageing counted from now waits at least as
 * long as it must. Pure.
 */
time_t	 view_redate_at(const struct view *, time_t now);
/* The latest retry a back-off could have set from now. */
time_t	 view_retry_limit(const struct view *, time_t now);
/* The last version of an owner's RRset, or NULL. */
const struct store_rrset *view_last(const struct view_owner *);
/* The set of the last version daneroll knows was served (for prerequisites
 * and for `records`); empty if none. Caller frees. */
void	 view_last_set(const struct view_owner *, struct tlsa_set *);

#endif

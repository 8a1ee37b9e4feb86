/*
 * doctor_net - doctor's network half: what DNS says of an owner name's
 * zone and of its TLSA RRset. It gathers, it does not judge (doctor_judge.c
 * does, in the parent); `daneroll doctor` runs it in the unprivileged
 * network child (privsep.h), so no DNS answer is parsed where the keys
 * and secrets are.
 *
 * doctor_net_zone(conf, h, owner, memo, z) finds owner's zone (the
 * observer's discovery; a failure is logged and z->zone stays ""), and
 * the first time memo meets that zone asks every authoritative address
 * for its SOA and DNSKEY (RD clear) and the resolver for the SOA with AD
 * (z->examined). memo lives as long as one doctor run: a zone shared by
 * many hosts is asked about once. doctor_net_zone_free frees z.
 *
 * doctor_net_tlsa(conf, r, owner, t) looks up owner's TLSA RRset
 * through the configured resolver, opened on first use into r (once: if
 * it cannot be, every lookup is RESOLVE_FAIL, "no resolver can be
 * asked"). The caller frees t (resolve_tlsa_free) and, at the end of the
 * run, r (doctor_net_res_close).
 */
#ifndef DANEROLL_DOCTOR_NET_H
#define DANEROLL_DOCTOR_NET_H

#include <stdint.h>

#include "backend.h"
#include "conf.h"
#include "resolve.h"

/* One authoritative address's answers to "ZONE SOA" and "ZONE DNSKEY". */
struct doctor_net_server {
	char		 addr[64];	/* "192.0.2.1", "(no address)" */
	char		 ns[256];	/* its NS name, or "extra" */
	int		 no_address;	/* the NS name has no A or AAAA */
	int		 err;		/* errno of the SOA query, 0: answered */
	int		 rcode, aa, has_soa;
	uint32_t	 serial;
	int		 soa_signed;	/* an RRSIG over the SOA */
};

struct doctor_net_zone {
	char				 zone[258];	/* "": not found */
	int				 examined;
	int				 zone_signed;	/* some address
							 * serves DNSKEY */
	struct doctor_net_server	*servers;
	int				 nservers;
	char				 resolver[80];
	int				 res_err, res_rcode, res_ra, res_ad;
};

/* The zones one doctor run has examined. */
struct doctor_net_memo {
	char	**zones;
	int	  n;
};

/* The resolver one doctor run asks for TLSA RRsets. */
struct doctor_net_res {
	struct resolver	*res;
	int		 failed;	/* could not be opened */
};

enum outcome	doctor_net_zone(const struct conf *, const struct conf_host *,
		    const char *owner, struct doctor_net_memo *,
		    struct doctor_net_zone *);
void		doctor_net_zone_free(struct doctor_net_zone *);
void		doctor_net_memo_free(struct doctor_net_memo *);
enum resolve_sec doctor_net_tlsa(const struct conf *, struct doctor_net_res *,
		    const char *owner, struct resolve_tlsa *t);
void		doctor_net_res_close(struct doctor_net_res *);

/* Where doctor's network half runs: in the network child, or (NULL
 * functions) in this process. */
struct doctor_net_ops {
	enum outcome	(*zone)(const struct conf *, const struct conf_host *,
			    const char *owner, struct doctor_net_zone *);
	enum resolve_sec (*tlsa)(const struct conf *, const struct conf_host *,
			    const char *owner, struct resolve_tlsa *);
};

#endif

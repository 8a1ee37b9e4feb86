/*
 * check_net - what `check` learns from the network, and nothing else:
 * every host's MX names looked up through the validating resolver (their
 * first questions asked at once), then every handshake of every host in
 * one verify_run(). The state and the findings are check_gather's; this
 * half needs no secret and no file, so `check` runs it in the network
 * child (privsep.h).
 *
 * check_net_gather(conf, hosts, nhosts, opts, net) fills net: when no
 * resolver can be asked, no_resolver and nothing else; else names (each
 * host's owners in turn, hosts in order), the endpoints check_net_
 * endpoints() makes of them, run. 0, or -1 (logged) when the handshakes
 * could not run at all.
 *
 * Then check_net_match(hosts, nhosts, net): per endpoint, the records of
 * its own host's names' TLSA RRsets that the chain it served matches
 * alone (matched[i], each once; check's orphan rule): so the parent
 * needs no certificate, and decodes none.
 *
 * check_net_endpoints(hosts, nhosts, net) makes net->eps from net->names,
 * unrun, and each host's share (host_ep[i] .. host_ep[i + 1]); a pure
 * function of its inputs, so the parent rebuilds exactly the endpoints
 * the child ran and takes only their results from it.
 *
 * Ownership: net is the caller's, zeroed before; check_net_free() frees
 * what it holds. An endpoint borrows its name's TLSA set.
 */
#ifndef DANEROLL_CHECK_NET_H
#define DANEROLL_CHECK_NET_H

#include "verify.h"

struct check_net {
	int			 no_resolver;
	int			 resolver_local;	/* on a loopback address */
	char			 resolver[128];		/* its name, for the note */
	struct verify_name	*names;
	int			 nnames;
	struct verify_endpoint	*eps;
	int			 neps;
	int			*host_ep;		/* nhosts + 1 offsets */
	struct tlsa_set		*matched;		/* neps */
};

typedef int (*check_net_fn)(const struct conf *,
    const struct conf_host *const *hosts, int nhosts,
    const struct verify_opts *, struct check_net *);

int	check_net_gather(const struct conf *,
	    const struct conf_host *const *hosts, int nhosts,
	    const struct verify_opts *, struct check_net *);
void	check_net_endpoints(const struct conf_host *const *hosts, int nhosts,
	    struct check_net *);
void	check_net_match(const struct conf_host *const *hosts, int nhosts,
	    struct check_net *);
void	check_net_free(struct check_net *);

#endif

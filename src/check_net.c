/*
 * check_net - check's lookups and handshakes. See include/check_net.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_net.h"
#include "log.h"

/* Every host's first lookups at once: a check waits for the resolver
 * about once, not three times per name. */
static void
prefetch(struct resolver *res, const struct conf_host *const *hosts,
    int nhosts)
{
	const char **names;
	int *ports, i, j;
	size_t n = 0;

	for (i = 0; i < nhosts; i++)
		n += (size_t)hosts[i]->nowners;
	names = xcalloc(n + 1, sizeof(*names));
	ports = xcalloc(n + 1, sizeof(*ports));
	n = 0;
	for (i = 0; i < nhosts; i++)
		for (j = 0; j < hosts[i]->nowners; j++) {
			names[n] = hosts[i]->owners[j].mx;
			ports[n++] = hosts[i]->owners[j].port;
		}
	verify_prefetch(res, names, ports, n);
	free(names);
	free(ports);
}

void
check_net_endpoints(const struct conf_host *const *hosts, int nhosts,
    struct check_net *net)
{
	int i, j, k, a, at = 0;

	net->host_ep = xcalloc((size_t)nhosts + 1, sizeof(*net->host_ep));
	for (i = 0; i < nhosts; i++) {
		net->host_ep[i] = net->neps;
		for (j = 0; j < hosts[i]->nowners && at < net->nnames;
		    j++, at++) {
			struct verify_name *vn = &net->names[at];
			const struct tlsa_set *set = vn->tlsa.exists &&
			    (vn->tlsa.sec == RESOLVE_SECURE ||
			    vn->tlsa.sec == RESOLVE_INSECURE) ?
			    &vn->tlsa.set : NULL;

			for (k = 0; k < vn->addrs.naddr; k++)
				for (a = 0; a < KEY_ALG_COUNT; a++) {
					if (!(hosts[i]->algs & (1u << a)))
						continue;
					net->eps = xgrow(net->eps,
					    (size_t)net->neps,
					    sizeof(*net->eps));
					verify_endpoint_init(
					    &net->eps[net->neps++], vn->name,
					    vn->base, &vn->addrs.addr[k],
					    vn->port, (enum key_alg)a, set);
				}
		}
	}
	net->host_ep[nhosts] = net->neps;
}

/* The records of vn's RRset that ep's chain matches alone, added to out
 * once each. */
static void
match_name(const struct verify_endpoint *ep, const struct verify_name *vn,
    struct tlsa_set *out)
{
	size_t r;

	for (r = 0; r < vn->tlsa.set.n; r++) {
		const struct tlsa_rr *rr = &vn->tlsa.set.rr[r];
		struct tlsa_set one = { NULL, 0 };

		tlsa_set_add(&one, rr);
		if (!tlsa_set_has(out, rr) &&
		    tlsa_set_matches_chain(&one, ep->chain))
			tlsa_set_add(out, rr);
		tlsa_set_free(&one);
	}
}

void
check_net_match(const struct conf_host *const *hosts, int nhosts,
    struct check_net *net)
{
	int i, e, n, at = 0, end;

	net->matched = xcalloc((size_t)net->neps + 1, sizeof(*net->matched));
	for (i = 0; i < nhosts; i++, at = end) {
		end = at + hosts[i]->nowners;
		if (end > net->nnames)
			end = net->nnames;
		for (e = net->host_ep[i]; e < net->host_ep[i + 1]; e++)
			for (n = at; n < end && net->eps[e].chain != NULL; n++)
				match_name(&net->eps[e], &net->names[n],
				    &net->matched[e]);
	}
}

int
check_net_gather(const struct conf *conf,
    const struct conf_host *const *hosts, int nhosts,
    const struct verify_opts *opts, struct check_net *net)
{
	struct resolver *res = NULL;
	int i, j, rc = -1;

	if (resolve_open(conf->resolver, opts->dns_timeout_secs, &res) !=
	    OUT_OK) {
		net->no_resolver = 1;
		return 0;
	}
	net->resolver_local = resolve_is_local(res);
	snprintf(net->resolver, sizeof(net->resolver), "%s",
	    resolve_name(res));
	prefetch(res, hosts, nhosts);
	for (i = 0; i < nhosts; i++)
		net->nnames += hosts[i]->nowners;
	net->names = xcalloc((size_t)net->nnames + 1, sizeof(*net->names));
	net->nnames = 0;
	for (i = 0; i < nhosts; i++)
		for (j = 0; j < hosts[i]->nowners; j++)
			(void)verify_lookup(res, hosts[i]->owners[j].mx,
			    hosts[i]->owners[j].port,
			    &net->names[net->nnames++]);
	check_net_endpoints(hosts, nhosts, net);
	if (net->neps == 0 || verify_run(net->eps, net->neps, opts) == 0)
		rc = 0;
	check_net_match(hosts, nhosts, net);
	resolve_close(res);
	return rc;
}

void
check_net_free(struct check_net *net)
{
	int i;

	for (i = 0; i < net->neps; i++) {
		verify_endpoint_clear(&net->eps[i]);
		if (net->matched != NULL)
			tlsa_set_free(&net->matched[i]);
	}
	free(net->eps);
	free(net->matched);
	for (i = 0; i < net->nnames; i++)
		verify_name_free(&net->names[i]);
	free(net->names);
	free(net->host_ep);
	memset(net, 0, sizeof(*net));
}

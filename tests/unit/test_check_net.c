/*
 * Unit test: check_net_match, what each endpoint's served chain matches
 * of its own host's TLSA RRsets: what check's parent gets instead of the
 * chain. Two hosts, each with one name and one endpoint; the second's
 * RRset holds a record of the first host's chain, which must not count
 * for the first host.
 */
#include <stdio.h>
#include <string.h>

#include "cert.h"
#include "check_net.h"
#include "fakes.h"
#include "t.h"

/* "3 1 1 <the leaf's SPKI digest>" of the chain in path, into set. */
static STACK_OF(X509) *
chain_and_record(const char *path, struct tlsa_set *set)
{
	STACK_OF(X509) *chain = cert_load_chain(path);
	unsigned char d[32];
	struct tlsa_rr rr = { 3, 1, 1, d, 32 };

	if (T_CHECK(chain != NULL) &&
	    T_INT(cert_spki_sha256(sk_X509_value(chain, 0), d), 0))
		tlsa_set_add(set, &rr);
	return chain;
}

static void
test_match(void)
{
	static struct conf_host h[2];
	const struct conf_host *hs[2] = { &h[0], &h[1] };
	struct verify_name names[2];
	struct verify_endpoint eps[2];
	struct tlsa_set rec1 = { NULL, 0 }, rec2 = { NULL, 0 };
	struct check_net net;
	int host_ep[3] = { 0, 1, 2 };
	struct tlsa_rr other = { 3, 1, 1, (unsigned char *)"0123456789abcdef"
	    "0123456789abcdef", 32 };

	fake_reset(t_path("ca"));
	T_INT(fake_deploy_initial(t_path("mx1.pem"), "mx1.example.org",
	    KEY_ALG_ECDSA_P256, 90), 0);
	T_INT(fake_deploy_initial(t_path("mx2.pem"), "mx2.example.org",
	    KEY_ALG_ECDSA_P256, 90), 0);
	memset(names, 0, sizeof(names));
	memset(eps, 0, sizeof(eps));
	memset(&net, 0, sizeof(net));
	h[0].nowners = h[1].nowners = 1;
	eps[0].chain = chain_and_record(t_path("mx1.pem"), &rec1);
	eps[1].chain = chain_and_record(t_path("mx2.pem"), &rec2);
	/* mx1's RRset: a record of no chain; mx2's: mx1's record and its
	 * own. */
	tlsa_set_add(&names[0].tlsa.set, &other);
	tlsa_set_copy(&names[1].tlsa.set, &rec1);
	tlsa_set_add(&names[1].tlsa.set, &rec2.rr[0]);
	net.names = names;
	net.nnames = 2;
	net.eps = eps;
	net.neps = 2;
	net.host_ep = host_ep;
	check_net_match(hs, 2, &net);
	T_CHECK(net.matched != NULL);
	/* mx1's chain matches nothing of mx1's RRset: mx1's record in
	 * mx2's RRset is not mx1's to claim. */
	T_INT(net.matched[0].n, 0);
	/* mx2's chain matches its own record only. */
	T_CHECK(tlsa_set_equal(&net.matched[1], &rec2));
	/* An endpoint that served no chain matches nothing. */
	tlsa_set_free(&net.matched[0]);
	tlsa_set_free(&net.matched[1]);
	free(net.matched);
	sk_X509_pop_free(eps[1].chain, X509_free);
	eps[1].chain = NULL;
	check_net_match(hs, 2, &net);
	T_INT(net.matched[1].n, 0);
	tlsa_set_free(&net.matched[0]);
	tlsa_set_free(&net.matched[1]);
	free(net.matched);
	sk_X509_pop_free(eps[0].chain, X509_free);
	tlsa_set_free(&names[0].tlsa.set);
	tlsa_set_free(&names[1].tlsa.set);
	tlsa_set_free(&rec1);
	tlsa_set_free(&rec2);
}

static const struct t_case cases[] = {
	{ "each endpoint's chain against its own host's RRsets",
	    test_match },
};

T_MAIN(cases)

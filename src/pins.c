/*
 * pins - pinned CAs under current+issuer. See include/pins.h.
 */
#include "key.h"
#include "pins.h"

int
pins_load(const struct conf_host *h, struct tlsa_set *pins,
    STACK_OF(X509) *pool)
{
	int i, j;

	for (i = 0; i < h->nissuer_spki; i++) {
		struct tlsa_rr rr = { TLSA_USAGE_DANE_TA, TLSA_SEL_SPKI,
		    TLSA_MT_SHA256, h->issuer_spki[i], 32 };

		tlsa_set_add(pins, &rr);
	}
	for (i = 0; i < h->nissuer_files; i++) {
		STACK_OF(X509) *certs = cert_load_chain(h->issuer_files[i]);

		if (certs == NULL)
			return -1;
		for (j = 0; j < sk_X509_num(certs); j++) {
			X509 *x = sk_X509_value(certs, j);
			struct tlsa_rr rr;

			if (tlsa_from_cert(x, TLSA_USAGE_DANE_TA,
			    TLSA_SEL_SPKI, TLSA_MT_SHA256, &rr) != 0) {
				sk_X509_pop_free(certs, X509_free);
				return -1;
			}
			tlsa_set_add(pins, &rr);
			tlsa_rr_free(&rr);
			if (pool != NULL) {
				X509_up_ref(x);
				(void)sk_X509_push(pool, x);
			}
		}
		sk_X509_pop_free(certs, X509_free);
	}
	return 0;
}

/* 1 if chain already holds x (the same certificate). */
static int
chain_has(STACK_OF(X509) *chain, X509 *x)
{
	int i;

	for (i = 0; i < sk_X509_num(chain); i++)
		if (X509_cmp(sk_X509_value(chain, i), x) == 0)
			return 1;
	return 0;
}

int
pins_complete_chain(STACK_OF(X509) *chain, const struct tlsa_set *pins,
    STACK_OF(X509) *pool, int *added)
{
	int i;

	*added = 0;
	while (!tlsa_set_matches_chain(pins, chain)) {
		X509 *top = sk_X509_value(chain, sk_X509_num(chain) - 1);
		X509 *up = NULL;

		for (i = 0; i < sk_X509_num(pool) && up == NULL; i++) {
			X509 *x = sk_X509_value(pool, i);

			if (!chain_has(chain, x) && cert_issued_by(top, x))
				up = x;
		}
		if (up == NULL || sk_X509_num(chain) >= CERT_CHAIN_MAX)
			return 0;
		X509_up_ref(up);
		(void)sk_X509_push(chain, up);
		(*added)++;
	}
	return 1;
}

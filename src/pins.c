/*
 * pins - pinned CAs under current+issuer. See include/pins.h.
 */
#include <stdlib.h>

#include "cert.h"
#include "pins.h"
#include "util.h"

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

enum pins_verdict
pins_judge(STACK_OF(X509) *chain, const struct tlsa_set *pins,
    STACK_OF(X509) *pool, enum issuer_pin mode, int *added, X509 **ca)
{
	X509 *top;
	int n;

	*ca = sk_X509_value(chain, 0);
	if (pins_complete_chain(chain, pins, pool, added))
		return PINS_PINNED;
	if ((n = sk_X509_num(chain)) < 2)
		return PINS_NO_CA;
	if (mode == ISSUER_PIN_INTERMEDIATE) {
		*ca = sk_X509_value(chain, 1);
		return PINS_FOLLOW;
	}
	/* A top that is not self-signed means the root is not served:
	 * neither sent nor in an issuer_cert file (its certificates are
	 * all pins, and the chain would have matched one). */
	*ca = top = sk_X509_value(chain, n - 1);
	return cert_issued_by(top, top) ? PINS_FOLLOW : PINS_NO_ROOT;
}

char *
pins_why_held(const struct conf_host *h, enum pins_verdict v, X509 *ca)
{
	char subj[256], iss[256];

	X509_NAME_oneline(X509_get_subject_name(ca), subj, sizeof(subj));
	X509_NAME_oneline(X509_get_issuer_name(ca), iss, sizeof(iss));
	switch (v) {
	case PINS_PINNED:
		return NULL;
	case PINS_FOLLOW:
		if (h->issuer_follow)
			return NULL;
		return xasprintf("the chain comes from %s, which no "
		    "issuer_spki or issuer_cert pins, and issuer_follow = no: "
		    "a \"2 1 1\" record would not validate it; add that CA's "
		    "certificate (or its root's) with issuer_cert, or set "
		    "issuer_follow = yes; not deployed", subj);
	case PINS_NO_ROOT:
		return xasprintf("issuer_pin = root, but the chain does not "
		    "send its root %s (the issuer of %s) and no issuer_cert "
		    "file holds it: a \"2 1 1\" of the root validates only "
		    "when the server sends it; add the root's certificate with "
		    "issuer_cert; not deployed", iss, subj);
	case PINS_NO_CA:
		break;
	}
	return xasprintf("the chain sends no CA certificate, and no "
	    "issuer_cert file holds its issuer %s: a \"2 1 1\" record "
	    "cannot validate it; add that CA's certificate with issuer_cert; "
	    "not deployed", iss);
}

/*
 * Unit tests: tlsa (presentation format, sets, association data, offline
 * DANE matching). Digests are checked against fixed vectors computed once
 * with the openssl command line (tests/data/tlsa/README) and against the
 * command line at test time for freshly made certificates.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cert.h"
#include "key.h"
#include "log.h"
#include "t.h"
#include "t_openssl.h"
#include "tlsa.h"
#include "util.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/* Fixed vectors of tests/data/tlsa/fixed-{leaf,ca}.pem. */
#define LEAF_311 "8503201dc57545860c58f15ff2a8f5adac052d84c37802400d0d049ac72bd7c2"
#define LEAF_301 "644b531bb18d5ebfd9a15e68fca3750ac638963e4f3ee6de646be518ce5d6e9d"
#define LEAF_312 "68a1fa0a6b8d5fb8362294a747f03561c73c817b0c5b73b45adcd1ab298cdd0d" \
		 "bf8a4e8ee4cd4cbdf8667912097820c1c38d45d3751e9f4b5ef26b1a584c4710"
#define LEAF_302 "cd21b4d55307e9035d5dfd489f1faf16e7e049bf38d24523b3cb119a412836b6" \
		 "1dbe543a00c55a27a058e0c5f7e5acb134f41c25eafd3a956e1551544bad0a06"
#define LEAF_310 "3059301306072a8648ce3d020106082a8648ce3d030107034200" \
		 "04df73faab3d5b2fe10674b9ea0d64a530ac4da23f30f8ee15c80fe5a3dd191c40" \
		 "a3abfd8c5b4c57c4735a8b9ee0762173342bc1e8aa2087534b652e941617aa89"
#define CA_211   "f15fae469a85fcd549ebf9c165b4342e3110359ed3b1802b11e047a9fc4c05bc"
#define CA_201   "1f2d0a823106ce40c039b8de6c97203b2e890651e41400cd7d2c6361bce0bb60"
#define CA_212   "b16222d1a2159b9c5a3fe7812468c70c50c4e1caaafcaae02efeddd38249bdbe" \
		 "2653c48f096803173bab996dee1e25df99e8f89bb5638eb29e9d6bd06f253fba"
#define CA_202   "18b298fb55f5e31b1e8f93e175f71c896ae8022c6514b4a1029ae4849f243631" \
		 "397d598f5633e99b67cbd55b22042dc94ffd66d947873a064e8a8ec2f0828da5"

#define H32	"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"

static void
test_parse(void)
{
	static const struct {
		const char	*in;
		const char	*want;	/* formatted, or NULL: an error */
		const char	*needle;	/* in the error message */
	} rows[] = {
		/* Good. */
		{ "3 1 1 " LEAF_311, "3 1 1 " LEAF_311, NULL },
		{ "3 1 1 8503201DC57545860C58F15FF2A8F5ADAC052D84C37802400D0D0"
		    "49AC72BD7C2", "3 1 1 " LEAF_311, NULL },
		{ "  3\t1  1\t8503201d c5754586 0c58f15f f2a8f5ad ac052d84 "
		    "c3780240 0d0d049a c72bd7c2  \n", "3 1 1 " LEAF_311, NULL },
		{ "3 1 1 ( 8503201dc57545860c58f15ff2a8f5ad\n"
		    "         ac052d84c37802400d0d049ac72bd7c2 )",
		    "3 1 1 " LEAF_311, NULL },
		{ "(3 1 1 " LEAF_311 ")", "3 1 1 " LEAF_311, NULL },
		{ "2 0 1 " CA_201, "2 0 1 " CA_201, NULL },
		{ "3 1 2 " LEAF_312, "3 1 2 " LEAF_312, NULL },
		{ "3 0 0 abcd", "3 0 0 abcd", NULL },
		{ "003 001 01 " H32, "3 1 1 " H32, NULL },
		{ "0 0 1 " H32, "0 0 1 " H32, NULL },
		{ "255 255 255 00", "255 255 255 00", NULL },
		{ "3 1 1 " H32 "\r\n", "3 1 1 " H32, NULL },
		/* Bad: each says what is wrong and quotes the field. */
		{ "256 1 1 " H32, NULL, "TLSA usage \"256\" is not a number "
		    "from 0 to 255" },
		{ "x 1 1 " H32, NULL, "TLSA usage \"x\" is not a number" },
		{ "-1 1 1 " H32, NULL, "TLSA usage \"-1\" is not a number" },
		{ "1000 1 1 " H32, NULL, "TLSA usage \"1000\"" },
		{ "3 1a 1 " H32, NULL, "TLSA selector \"1a\" is not a number" },
		{ "3 1 999 " H32, NULL, "TLSA matching type \"999\" is not a "
		    "number" },
		{ "3 1 1 " LEAF_301 "ab", NULL, "TLSA matching type 1 (SHA-256)"
		    " needs 32 bytes of data, not 33" },
		{ "3 1 1 abcd", NULL, "needs 32 bytes of data, not 2" },
		{ "3 1 2 " LEAF_311, NULL, "TLSA matching type 2 (SHA-512) "
		    "needs 64 bytes of data, not 32" },
		{ "3 1 1", NULL, "no TLSA association data in \"3 1 1\"" },
		{ "3 1 1   ", NULL, "no TLSA association data" },
		{ "3 1 1 ( )", NULL, "no TLSA association data" },
		{ "3 0 0 abc", NULL, "odd number of hex digits (3)" },
		{ "3 1 1 " H32 " zz", NULL, "bad character 'z' in TLSA "
		    "association data \"zz\"" },
		{ "3 1 1 " H32 " extra", NULL, "bad character 'x' in TLSA "
		    "association data \"extra\"" },
		{ "3 1 1 " H32 " ; comment", NULL, "bad character ';'" },
		{ "3 1 1 0x" H32, NULL, "bad character 'x'" },
		{ "3 1 1 ( " H32, NULL, "unbalanced parentheses" },
		{ "3 1 1 " H32 " )", NULL, "unbalanced parentheses" },
		{ "3 1 1 ( " H32 " ) ( )", NULL, "unbalanced parentheses" },
		{ "3 1 1 ( " H32 " ) x", NULL, "trailing garbage \"x\" after "
		    "\")\"" },
		{ "", NULL, "missing TLSA usage" },
		{ "3", NULL, "missing TLSA selector" },
		{ "3 1", NULL, "missing TLSA matching type" },
	};
	struct tlsa_rr rr;
	char *s;
	size_t i;

	for (i = 0; i < NELEM(rows); i++) {
		t_log_reset();
		if (rows[i].want != NULL) {
			if (!T_INT(tlsa_parse(rows[i].in, &rr), 0)) {
				printf("    row %zu: %s\n", i, t_log_text());
				continue;
			}
			s = tlsa_format(&rr);
			T_STR(s, rows[i].want);
			free(s);
			tlsa_rr_free(&rr);
			continue;
		}
		T_INT(tlsa_parse(rows[i].in, &rr), -1);
		T_CHECK(rr.data == NULL && rr.len == 0);
		if (!T_CHECK(t_log_has(rows[i].needle)))
			printf("    row %zu want: %s\n    log: %s", i,
			    rows[i].needle, t_log_text());
	}
	t_log_reset();
	T_INT(tlsa_parse(NULL, &rr), -1);
	T_CHECK(t_log_has("no TLSA record"));
}

static void
test_round_trip(void)
{
	static const char *const rows[] = {
		"3 1 1 " LEAF_311, "2 1 1 " CA_211, "3 1 2 " LEAF_312,
		"3 0 0 " LEAF_310, "0 0 0 00", "255 255 255 ff",
	};
	unsigned char raw[300];
	struct tlsa_rr rr, back, copy;
	char *s, *s2;
	size_t i;

	for (i = 0; i < NELEM(rows); i++) {
		T_INT(tlsa_parse(rows[i], &rr), 0);
		s = tlsa_format(&rr);
		T_STR(s, rows[i]);
		T_INT(tlsa_parse(s, &back), 0);
		T_INT(tlsa_cmp(&rr, &back), 0);
		tlsa_rr_copy(&copy, &rr);
		tlsa_rr_free(&rr);
		s2 = tlsa_format(&copy);
		T_STR(s2, rows[i]);
		free(s);
		free(s2);
		tlsa_rr_free(&back);
		tlsa_rr_free(&copy);
	}
	/* Every byte value survives format and parse. */
	for (i = 0; i < sizeof(raw); i++)
		raw[i] = (unsigned char)(i * 7 + 3);
	rr.usage = 3;
	rr.selector = 0;
	rr.mtype = 0;
	rr.data = raw;
	rr.len = sizeof(raw);
	s = tlsa_format(&rr);
	T_INT(tlsa_parse(s, &back), 0);
	T_INT(tlsa_cmp(&rr, &back), 0);
	free(s);
	tlsa_rr_free(&back);
}

static void
test_cmp(void)
{
	static const struct {
		const char	*a, *b;
		int		 want;
	} rows[] = {
		{ "2 1 1 " H32, "3 1 1 " H32, -1 },
		{ "3 0 1 " H32, "3 1 1 " H32, -1 },
		{ "3 1 1 " H32, "3 1 2 " LEAF_312, -1 },
		{ "3 1 1 " LEAF_311, "3 1 1 " H32, 1 },
		{ "3 0 0 00", "3 0 0 0000", -1 },	/* a prefix sorts first */
		{ "3 0 0 01", "3 0 0 0000", 1 },
		{ "3 1 1 " H32, "3 1 1 " H32, 0 },
		{ "10 1 1 " H32, "9 1 1 " H32, 1 },	/* numbers, not text */
	};
	struct tlsa_rr a, b;
	size_t i;

	for (i = 0; i < NELEM(rows); i++) {
		T_INT(tlsa_parse(rows[i].a, &a), 0);
		T_INT(tlsa_parse(rows[i].b, &b), 0);
		if (!T_INT(tlsa_cmp(&a, &b), rows[i].want))
			printf("    row %zu\n", i);
		T_INT(tlsa_cmp(&b, &a), -rows[i].want);
		tlsa_rr_free(&a);
		tlsa_rr_free(&b);
	}
}

/* Adds each record text to set; 0 or -1. */
static int
set_of(struct tlsa_set *set, const char *const *texts)
{
	struct tlsa_rr rr;
	int i;

	for (i = 0; texts[i] != NULL; i++) {
		if (tlsa_parse(texts[i], &rr) == -1)
			return -1;
		tlsa_set_add(set, &rr);
		tlsa_rr_free(&rr);
	}
	return 0;
}

static void
test_set(void)
{
	const char *const in[] = { "3 1 1 " LEAF_311, "2 1 1 " CA_211,
	    "3 1 1 " H32, "3 1 1 " LEAF_311, "3 0 1 " LEAF_301,
	    "2 1 1 " CA_211, NULL };
	const char *const shuffled[] = { "3 0 1 " LEAF_301, "3 1 1 " H32,
	    "2 1 1 " CA_211, "3 1 1 " LEAF_311, NULL };
	const char *want = "2 1 1 " CA_211 "\n3 0 1 " LEAF_301 "\n"
	    "3 1 1 " H32 "\n3 1 1 " LEAF_311 "\n";
	struct tlsa_set a = { NULL, 0 }, b = { NULL, 0 }, c = { NULL, 0 };
	struct tlsa_rr rr, absent;
	char *s;

	T_INT(set_of(&a, in), 0);
	T_INT(a.n, 4);				/* duplicates dropped */
	s = tlsa_set_format(&a);
	T_STR(s, want);				/* canonical order */
	free(s);
	T_INT(set_of(&b, shuffled), 0);
	T_CHECK(tlsa_set_equal(&a, &b));

	T_INT(tlsa_parse("3 1 1 " LEAF_311, &rr), 0);
	T_INT(tlsa_parse("3 1 2 " LEAF_312, &absent), 0);
	T_CHECK(tlsa_set_has(&a, &rr));
	T_CHECK(!tlsa_set_has(&a, &absent));
	tlsa_set_del(&b, &absent);		/* absent: no change */
	T_INT(b.n, 4);
	tlsa_set_del(&b, &rr);
	T_INT(b.n, 3);
	T_CHECK(!tlsa_set_has(&b, &rr));
	T_CHECK(!tlsa_set_equal(&a, &b));
	tlsa_set_add(&b, &rr);
	T_CHECK(tlsa_set_equal(&a, &b));

	/* Deep copies: the original's storage can go. */
	tlsa_set_copy(&c, &a);
	tlsa_set_free(&a);
	T_INT(a.n, 0);
	T_CHECK(tlsa_set_equal(&c, &b));
	T_CHECK(c.rr != b.rr && c.rr[0].data != b.rr[0].data);
	/* Copying onto a used set replaces it; onto itself is a no-op. */
	T_INT(tlsa_set_parse("3 1 2 " LEAF_312 "\n", &a), 0);
	tlsa_set_copy(&a, &c);
	T_CHECK(tlsa_set_equal(&a, &c));
	tlsa_set_copy(&a, &a);
	T_CHECK(tlsa_set_equal(&a, &c));
	tlsa_set_del(&a, &rr);
	T_CHECK(tlsa_set_has(&c, &rr));

	/* An empty set formats as nothing and is equal to another. */
	tlsa_set_free(&a);
	tlsa_set_free(&b);
	s = tlsa_set_format(&a);
	T_STR(s, "");
	free(s);
	T_CHECK(tlsa_set_equal(&a, &b));
	T_CHECK(!tlsa_set_equal(&a, &c));
	tlsa_rr_free(&rr);
	tlsa_rr_free(&absent);
	tlsa_set_free(&c);
}

static void
test_set_parse(void)
{
	static const struct {
		const char	*in;
		const char	*needle;
	} bad[] = {
		{ "3 1 1 abcd\n", "TLSA records, line 1: TLSA matching type 1 "
		    "(SHA-256) needs 32 bytes" },
		{ "; ok\n\n3 1 1 " H32 "\n2 1 1 xyz\n", "TLSA records, line "
		    "4: bad character 'x'" },
		{ "3 1 1 " H32 " # trailing comment\n", "line 1: bad "
		    "character '#'" },
	};
	struct tlsa_set set = { NULL, 0 }, again = { NULL, 0 };
	char *messy = t_read(t_data("tlsa/set-messy.txt"));
	char *canon = t_read(t_data("tlsa/set-canonical.txt"));
	char *s;
	size_t i;

	if (!T_CHECK(messy != NULL && canon != NULL))
		goto done;
	T_INT(tlsa_set_parse(messy, &set), 0);
	T_INT(set.n, 5);
	s = tlsa_set_format(&set);
	T_STR(s, canon);
	T_INT(tlsa_set_parse(s, &again), 0);
	T_CHECK(tlsa_set_equal(&set, &again));
	free(s);

	/* A parse replaces what the set held; a failed one empties it. */
	T_INT(tlsa_set_parse("3 1 1 " H32 "\r\n", &again), 0);
	T_INT(again.n, 1);
	T_INT(tlsa_set_parse("", &again), 0);
	T_INT(again.n, 0);
	T_INT(tlsa_set_parse("\n  \n; nothing\n", &again), 0);
	T_INT(again.n, 0);
	T_INT(tlsa_set_parse("3 1 1 " H32, &again), 0);	/* no newline */
	T_INT(again.n, 1);
	for (i = 0; i < NELEM(bad); i++) {
		T_INT(tlsa_set_parse(messy, &again), 0);
		t_log_reset();
		T_INT(tlsa_set_parse(bad[i].in, &again), -1);
		T_INT(again.n, 0);
		if (!T_CHECK(t_log_has(bad[i].needle)))
			printf("    want: %s\n    log: %s", bad[i].needle,
			    t_log_text());
	}
done:
	tlsa_set_free(&set);
	tlsa_set_free(&again);
	free(messy);
	free(canon);
}

/* The first certificate of a PEM file, or NULL. */
static X509 *
first_cert(const char *path)
{
	STACK_OF(X509) *chain = cert_load_chain(path);
	X509 *x = NULL;

	if (chain != NULL)
		x = sk_X509_shift(chain);
	sk_X509_pop_free(chain, X509_free);
	return x;
}

static void
test_fixed_vectors(void)
{
	static const struct {
		const char	*file;
		uint8_t		 usage, selector, mtype;
		const char	*want;
	} rows[] = {
		{ "tlsa/fixed-leaf.pem", 3, 1, 1, "3 1 1 " LEAF_311 },
		{ "tlsa/fixed-leaf.pem", 3, 0, 1, "3 0 1 " LEAF_301 },
		{ "tlsa/fixed-leaf.pem", 3, 1, 2, "3 1 2 " LEAF_312 },
		{ "tlsa/fixed-leaf.pem", 3, 0, 2, "3 0 2 " LEAF_302 },
		{ "tlsa/fixed-leaf.pem", 3, 1, 0, "3 1 0 " LEAF_310 },
		{ "tlsa/fixed-ca.pem", 2, 1, 1, "2 1 1 " CA_211 },
		{ "tlsa/fixed-ca.pem", 2, 0, 1, "2 0 1 " CA_201 },
		{ "tlsa/fixed-ca.pem", 2, 1, 2, "2 1 2 " CA_212 },
		{ "tlsa/fixed-ca.pem", 2, 0, 2, "2 0 2 " CA_202 },
	};
	struct tlsa_rr rr;
	unsigned char d[32];
	char hex[65], *s;
	X509 *x;
	size_t i;

	for (i = 0; i < NELEM(rows); i++) {
		x = first_cert(t_data(rows[i].file));
		if (!T_CHECK(x != NULL))
			continue;
		T_INT(tlsa_from_cert(x, rows[i].usage, rows[i].selector,
		    rows[i].mtype, &rr), 0);
		s = tlsa_format(&rr);
		T_STR(s, rows[i].want);
		free(s);
		tlsa_rr_free(&rr);
		if (rows[i].selector == TLSA_SEL_SPKI) {
			/* The same from the certificate's public key. */
			T_INT(tlsa_from_pkey(X509_get0_pubkey(x),
			    rows[i].usage, rows[i].mtype, &rr), 0);
			s = tlsa_format(&rr);
			T_STR(s, rows[i].want);
			free(s);
			tlsa_rr_free(&rr);
		}
		if (rows[i].selector == 1 && rows[i].mtype == 1) {
			T_INT(cert_spki_sha256(x, d), 0);
			util_hex(d, sizeof(d), hex);
			T_STR(hex, rows[i].want + 6);
			T_INT(key_spki_hex(X509_get0_pubkey(x), hex), 0);
			T_STR(hex, rows[i].want + 6);
		}
		X509_free(x);
	}
	/* Parameters outside what can be computed. */
	x = first_cert(t_data("tlsa/fixed-leaf.pem"));
	t_log_reset();
	T_INT(tlsa_from_cert(x, 3, 2, 1, &rr), -1);
	T_INT(tlsa_from_cert(x, 3, 1, 3, &rr), -1);
	T_CHECK(t_log_has("cannot make TLSA 3 1 3 data"));
	T_INT(tlsa_from_cert(NULL, 3, 1, 1, &rr), -1);
	T_INT(tlsa_from_pkey(NULL, 3, 1, &rr), -1);
	X509_free(x);
}

static void
test_fixed_chain(void)
{
	static const struct {
		int		 with_ca;
		const char	*rrs[3];
		int		 want;
	} rows[] = {
		{ 0, { "3 1 1 " LEAF_311 }, 1 },
		{ 0, { "3 0 1 " LEAF_301 }, 1 },
		{ 0, { "3 1 2 " LEAF_312 }, 1 },
		{ 0, { "3 1 0 " LEAF_310 }, 1 },
		{ 1, { "2 1 1 " CA_211 }, 1 },
		{ 1, { "2 0 2 " CA_202 }, 1 },
		{ 0, { "2 1 1 " CA_211 }, 0 },		/* TA not sent */
		{ 1, { "3 1 1 " CA_211 }, 0 },		/* EE is the leaf */
		{ 1, { "2 1 1 " LEAF_311 }, 0 },	/* TA is above it */
		{ 1, { "1 1 1 " LEAF_311 }, 0 },	/* PKIX-EE ignored */
		{ 1, { "0 1 1 " CA_211 }, 0 },		/* PKIX-TA ignored */
		{ 1, { "3 1 1 " H32, "2 1 1 " CA_211 }, 1 },
		{ 1, { "3 1 1 " H32, "3 1 1 " LEAF_311 }, 1 },
		{ 1, { "3 1 1 " H32, "2 1 1 " H32 }, 0 },
		{ 1, { NULL }, 0 },
	};
	char *leaf = t_read(t_data("tlsa/fixed-leaf.pem"));
	char *ca = t_read(t_data("tlsa/fixed-ca.pem"));
	STACK_OF(X509) *only = NULL, *both = NULL;
	char *pem = NULL;
	size_t i;

	if (!T_CHECK(leaf != NULL && ca != NULL))
		goto done;
	pem = xasprintf("%s%s", leaf, ca);
	only = cert_chain_from_pem(leaf, strlen(leaf), "leaf");
	both = cert_chain_from_pem(pem, strlen(pem), "leaf+ca");
	if (!T_CHECK(only != NULL && both != NULL))
		goto done;
	for (i = 0; i < NELEM(rows); i++) {
		struct tlsa_set set = { NULL, 0 };
		const char *texts[4] = { NULL };
		int j;

		for (j = 0; j < 3 && rows[i].rrs[j] != NULL; j++)
			texts[j] = rows[i].rrs[j];
		T_INT(set_of(&set, texts), 0);
		if (!T_INT(tlsa_set_matches_chain(&set,
		    rows[i].with_ca ? both : only), rows[i].want))
			printf("    row %zu\n", i);
		tlsa_set_free(&set);
	}
	T_INT(tlsa_set_matches_chain(NULL, both), 0);
done:
	sk_X509_pop_free(only, X509_free);
	sk_X509_pop_free(both, X509_free);
	free(pem);
	free(leaf);
	free(ca);
}

/* Our association data for file against the openssl pipeline's. */
static void
cross_check(const char *name)
{
	static const struct {
		uint8_t		 selector, mtype;
		const char	*dgst;
	} rows[] = {
		{ 1, 1, "-sha256" }, { 0, 1, "-sha256" },
		{ 1, 2, "-sha512" }, { 0, 2, "-sha512" },
		{ 1, 0, NULL }, { 0, 0, NULL },
	};
	char *pem = xasprintf("%s.pem", t_path(name));
	char *certder = xasprintf("%s.cert.der", t_path(name));
	char *spkider = xasprintf("%s.spki.der", t_path(name));
	char want[129], *hex = NULL;
	unsigned char *der;
	struct tlsa_rr rr;
	size_t i, len;
	X509 *x = first_cert(pem);

	T_CHECK(x != NULL);
	T_INT(t_ossl_cert_der(pem, certder), 0);
	T_INT(t_ossl_cert_spki_der(pem, spkider), 0);
	for (i = 0; i < NELEM(rows); i++) {
		const char *file = rows[i].selector == 0 ? certder : spkider;

		if (!T_INT(tlsa_from_cert(x, 3, rows[i].selector,
		    rows[i].mtype, &rr), 0))
			continue;
		hex = xmalloc(2 * rr.len + 1);
		util_hex(rr.data, rr.len, hex);
		if (rows[i].dgst != NULL) {
			T_INT(t_ossl_digest(rows[i].dgst, file, want,
			    sizeof(want)), 0);
			if (!T_STR(hex, want))
				printf("    %s: 3 %u %u\n", name,
				    rows[i].selector, rows[i].mtype);
		} else {
			der = t_read_bin(file, &len);
			T_CHECK(der != NULL && len == rr.len &&
			    memcmp(der, rr.data, len) == 0);
			free(der);
		}
		free(hex);
		tlsa_rr_free(&rr);
	}
	X509_free(x);
	free(pem);
	free(certder);
	free(spkider);
}

static void
test_openssl_cross_check(void)
{
	T_INT(t_ossl_selfsigned("ec", "ec", "/CN=mx1.example.org",
	    "DNS:mx1.example.org", "30"), 0);
	T_INT(t_ossl_selfsigned("rsa", "rsa", "/CN=mx1.example.org",
	    "DNS:mx1.example.org", "30"), 0);
	cross_check("ec");
	cross_check("rsa");
	if (T_INT(t_ossl_chain(), 0)) {
		cross_check("leaf");
		cross_check("int");
		cross_check("ca");
	}
}

/* A record text "U S M hex" for the certificate in t_path(NAME.pem). */
static char *
rr_text(uint8_t usage, uint8_t selector, uint8_t mtype, const char *name)
{
	char *path = xasprintf("%s.pem", t_path(name)), *s = NULL;
	struct tlsa_rr rr;
	X509 *x = first_cert(path);

	if (x != NULL && tlsa_from_cert(x, usage, selector, mtype, &rr) == 0) {
		s = tlsa_format(&rr);
		tlsa_rr_free(&rr);
	}
	X509_free(x);
	free(path);
	return s != NULL ? s : xstrdup("invalid");
}

static void
test_matches_chain(void)
{
	static const struct {
		const char	*chain[4];
		struct { uint8_t u, s, m; const char *of; } rrs[2];
		int		 want;
	} rows[] = {
		/* current+next: 3 1 1 of the leaf, with and without others */
		{ { "leaf" }, { { 3, 1, 1, "leaf" } }, 1 },
		{ { "leaf", "int" }, { { 3, 1, 1, "leaf" } }, 1 },
		{ { "leaf" }, { { 3, 1, 1, "int" } }, 0 },
		{ { "leaf" }, { { 3, 1, 1, "int2" }, { 3, 1, 1, "leaf" } }, 1 },
		{ { "leaf" }, { { 3, 0, 1, "leaf" } }, 1 },
		/* current+issuer: 2 1 1 of a CA the server sends */
		{ { "leaf", "int" }, { { 2, 1, 1, "int" } }, 1 },
		{ { "leaf" }, { { 2, 1, 1, "int" } }, 0 },
		{ { "leaf", "int", "ca" }, { { 2, 1, 1, "ca" } }, 1 },
		{ { "leaf", "int" }, { { 2, 1, 1, "ca" } }, 0 },
		{ { "leaf", "int", "ca" }, { { 2, 1, 1, "int" } }, 1 },
		{ { "leaf", "int" }, { { 2, 0, 1, "int" } }, 1 },
		{ { "leaf", "int" }, { { 2, 1, 2, "int" } }, 1 },
		{ { "leaf", "int", "ca" }, { { 3, 1, 1, "int2" },
		    { 2, 1, 1, "ca" } }, 1 },
		/* the TA must have issued what is below it */
		{ { "leaf", "int2" }, { { 2, 1, 1, "int2" } }, 0 },
		{ { "leaf", "int2", "ca" }, { { 2, 1, 1, "ca" } }, 0 },
		{ { "leaf", "ca" }, { { 2, 1, 1, "ca" } }, 0 },
		{ { "leaf", "int", "int2" }, { { 2, 1, 1, "int2" } }, 0 },
		/* a TA given whole in the record need not be sent */
		{ { "leaf" }, { { 2, 1, 0, "int" } }, 1 },
		{ { "leaf" }, { { 2, 0, 0, "int" } }, 1 },
		{ { "leaf", "int" }, { { 2, 1, 0, "ca" } }, 1 },
		{ { "leaf", "int" }, { { 2, 0, 0, "ca" } }, 1 },
		{ { "leaf" }, { { 2, 1, 0, "int2" } }, 0 },
		{ { "leaf" }, { { 2, 0, 0, "int2" } }, 0 },
		{ { "leaf" }, { { 2, 1, 0, "ca" } }, 0 },
		{ { "leaf", "int2" }, { { 2, 1, 0, "ca" } }, 0 },
		{ { "leaf" }, { { 3, 1, 0, "int" } }, 0 },
		/* usage 2 never matches the leaf, usage 3 nothing else */
		{ { "leaf", "int" }, { { 2, 1, 1, "leaf" } }, 0 },
		{ { "leaf", "int", "ca" }, { { 3, 1, 1, "int" },
		    { 3, 1, 1, "ca" } }, 0 },
		/* digest agility (RFC 7671 9): SHA-512 hides SHA-256 */
		{ { "leaf" }, { { 3, 1, 1, "leaf" }, { 3, 1, 2, "int" } }, 0 },
		{ { "leaf" }, { { 3, 1, 2, "leaf" }, { 3, 1, 1, "int" } }, 1 },
		{ { "leaf" }, { { 3, 1, 1, "leaf" }, { 3, 0, 2, "int" } }, 1 },
		{ { "leaf", "int" }, { { 2, 1, 1, "int" },
		    { 2, 1, 2, "ca" } }, 0 },
		/* PKIX usages are ignored by SMTP clients */
		{ { "leaf", "int", "ca" }, { { 1, 1, 1, "leaf" },
		    { 0, 1, 1, "ca" } }, 0 },
	};
	size_t i;
	int j;

	if (!T_INT(t_ossl_chain(), 0))
		return;
	for (i = 0; i < NELEM(rows); i++) {
		const char *files[5] = { NULL };
		struct tlsa_set set = { NULL, 0 };
		STACK_OF(X509) *chain;
		char file[64];

		for (j = 0; j < 4 && rows[i].chain[j] != NULL; j++) {
			snprintf(file, sizeof(file), "%s.pem",
			    rows[i].chain[j]);
			files[j] = xstrdup(file);
		}
		chain = cert_load_chain(t_cat("match.pem", files));
		T_CHECK(chain != NULL);
		for (j = 0; j < 2 && rows[i].rrs[j].of != NULL; j++) {
			struct tlsa_rr rr;
			char *s = rr_text(rows[i].rrs[j].u, rows[i].rrs[j].s,
			    rows[i].rrs[j].m, rows[i].rrs[j].of);

			T_INT(tlsa_parse(s, &rr), 0);
			tlsa_set_add(&set, &rr);
			tlsa_rr_free(&rr);
			free(s);
		}
		if (!T_INT(tlsa_set_matches_chain(&set, chain), rows[i].want))
			printf("    row %zu\n", i);
		tlsa_set_free(&set);
		sk_X509_pop_free(chain, X509_free);
		for (j = 0; j < 4; j++)
			free((char *)files[j]);
	}
}

static const struct t_case cases[] = {
	{ "parse", test_parse },
	{ "format round trip", test_round_trip },
	{ "canonical order", test_cmp },
	{ "set operations", test_set },
	{ "set parse and format (golden)", test_set_parse },
	{ "fixed vectors", test_fixed_vectors },
	{ "fixed chain matching", test_fixed_chain },
	{ "openssl cross-check", test_openssl_cross_check },
	{ "chain matching", test_matches_chain },
};
T_MAIN(cases)

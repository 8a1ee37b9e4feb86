/*
 * Unit tests: tlsa_set_matches_chain() against OpenSSL's DANE verifier
 * (dane_judge.c), differentially, over chains and TLSA sets generated in
 * process.
 *
 * One small PKI is made with OpenSSL at start (keys are random, the cases
 * are not): two hierarchies, a forged intermediate, re-issued certificates
 * that keep a key, a non-CA issuer, a self-signed leaf. Every record a
 * table of targets gives (usages 2 and 3, selectors 0 and 1, matching types
 * 0, 1 and 2, plus records that match nothing) is tried alone against every
 * chain of the chain table (in order, short, broken, reordered, with
 * unrelated certificates); then a fixed-seed loop draws sets of two to four
 * records. The number of cases is fixed; the program prints it. Record
 * data is computed here with OpenSSL, never with tlsa_from_cert().
 *
 * The contract checked, case by case: daneroll's verdict equals the
 * judge's verdict on the in-order prefix of the chain (the leaf, then each
 * next certificate while it is a CA that issued the one before), and
 * daneroll never accepts what the judge rejects on the whole chain (one
 * exception, below). For a chain sent in issuing order the prefix is the
 * chain, so the verdicts are simply equal. The deliberate difference:
 * daneroll counts only what the server sent in issuing order (RFC 5246
 * 7.4.2; RFC 8446 4.4.2 keeps "SHOULD directly certify the one immediately
 * preceding it"), while OpenSSL builds a path from certificates sent in
 * any order. daneroll's matcher gates publishing and retiring, so it
 * answers for the strictest client. The test shows this difference occurs.
 *
 * The exception, counted: a non-CA issuer sent beside a 2 1 0 record of
 * its key (one_case() says why it is left).
 *
 * Last, the invariant prober of fakes.c, which judges through
 * dane_judge(), is shown to count a violation when a chain goes live that
 * no record of the served RRset matches, and none when one does.
 *
 * This is the regression test of two fixes to src/tlsa.c, which accepted:
 * - "3 1 1" (or 2 x 1) matches beside a "3 1 2" (2 x 2) record of the same
 *   usage and selector: clients use only the strongest digest present
 *   (RFC 7671 9), so OpenSSL (Postfix, Exim) rejected them;
 * - DANE-TA chains through an issuer that is no CA, or to a TA (sent, or
 *   whole in 2 0 0) that is no CA, or with a leaf not fit for a TLS server
 *   (key usage, EKU): DANE-TA is PKIX from the TA down (RFC 7671 5.2.2).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "dane_judge.h"
#include "fakes.h"
#include "t.h"
#include "tlsa.h"
#include "util.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/* The PKI; each name is also what a record or chain table refers to. */
enum cert_id {
	C_R,	/* root CA, self-signed */
	C_I,	/* intermediate CA, issued by R */
	C_L,	/* leaf, issued by I (EKU serverAuth) */
	C_R2,	/* another root (RSA) */
	C_I2,	/* intermediate issued by R2 */
	C_L2,	/* leaf issued by I2 */
	C_F,	/* forged: I's subject, another key, issued by R */
	C_IX,	/* I re-issued by R (same key and subject, new serial) */
	C_RX,	/* R re-issued (same key and subject, new serial) */
	C_D,	/* leaf issued directly by R */
	C_S,	/* self-signed leaf */
	C_N,	/* non-CA certificate (leaf profile) issued by R... */
	C_LN,	/* ...that issued this leaf */
	C_NCERTS
};

static const char *const cert_name[C_NCERTS] = {
	"R", "I", "L", "R2", "I2", "L2", "F", "IX", "RX", "D", "S", "N", "LN"
};

static X509	*certs[C_NCERTS];
static EVP_PKEY	*keys[C_NCERTS];

/* A record "matching nothing": random data of the right length. */
#define T_JUNK	(-1)

struct rspec {
	uint8_t		 u, s, m;
	int		 of;	/* enum cert_id, or T_JUNK */
};

/*
 * Chains as a server sends them, leaf first; -1 ends. bad_issuer: the
 * server sends, right above the leaf, the certificate whose key signed the
 * leaf, but that certificate is no CA (see one_case()).
 */
static const struct {
	const char	*what;
	int		 c[6];
	int		 bad_issuer;
} chains[] = {
	{ "full, in order",		{ C_L, C_I, C_R, -1 }, 0 },
	{ "no root",			{ C_L, C_I, -1 }, 0 },
	{ "leaf only",			{ C_L, -1 }, 0 },
	{ "reordered",			{ C_L, C_R, C_I, -1 }, 0 },
	{ "reordered, no root",		{ C_I, C_L, -1 }, 0 },
	{ "unrelated at the end",	{ C_L, C_I, C_R, C_R2, -1 }, 0 },
	{ "unrelated in the middle",	{ C_L, C_I, C_I2, C_R, -1 }, 0 },
	{ "unrelated after the leaf",	{ C_L, C_L2, C_I, C_R, -1 }, 0 },
	{ "forged intermediate",	{ C_L, C_F, C_R, -1 }, 0 },
	{ "forged, then the real",	{ C_L, C_F, C_I, C_R, -1 }, 0 },
	{ "intermediate missing",	{ C_L, C_R, -1 }, 0 },
	{ "wrong leaf",			{ C_L2, C_I, C_R, -1 }, 0 },
	{ "other hierarchy",		{ C_L2, C_I2, C_R2, -1 }, 0 },
	{ "re-issued intermediate",	{ C_L, C_IX, C_R, -1 }, 0 },
	{ "re-issued root",		{ C_L, C_I, C_RX, -1 }, 0 },
	{ "short, in order",		{ C_D, C_R, -1 }, 0 },
	{ "short, leaf only",		{ C_D, -1 }, 0 },
	{ "self-signed leaf",		{ C_S, -1 }, 0 },
	{ "non-CA issuer",		{ C_LN, C_N, C_R, -1 }, 1 },
	{ "duplicate intermediate",	{ C_L, C_I, C_I, C_R, -1 }, 0 },
	{ "root twice",			{ C_L, C_I, C_R, C_R, -1 }, 0 },
};

/* Deterministic draws for the multi-record sets (xorshift32). */
static uint32_t
rnd(uint32_t *st)
{
	*st ^= *st << 13;
	*st ^= *st >> 17;
	*st ^= *st << 5;
	return *st;
}

static EVP_PKEY *
ec_key(void)
{
	return EVP_EC_gen("P-256");
}

static void
add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;

	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	if (ext != NULL)
		X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
}

/*
 * Makes a certificate for key with subject CN cn, issued by issuer/ikey
 * (NULL: self-signed). ca: 1 a CA, 0 a server leaf.
 */
static X509 *
mk_cert(const char *cn, EVP_PKEY *key, X509 *issuer, EVP_PKEY *ikey, int ca,
    long serial)
{
	X509 *x = X509_new();
	X509_NAME *nm = X509_NAME_new();

	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
	X509_gmtime_adj(X509_getm_notBefore(x), -86400L);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400L * 30);
	X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_ASC,
	    (const unsigned char *)cn, -1, -1, 0);
	X509_set_subject_name(x, nm);
	X509_set_issuer_name(x, issuer != NULL ?
	    X509_get_subject_name(issuer) : nm);
	X509_set_pubkey(x, key);
	add_ext(x, issuer != NULL ? issuer : x, NID_subject_key_identifier,
	    "hash");
	add_ext(x, issuer != NULL ? issuer : x,
	    NID_authority_key_identifier, "keyid:always");
	if (ca) {
		add_ext(x, issuer, NID_basic_constraints, "critical,CA:TRUE");
		add_ext(x, issuer, NID_key_usage,
		    "critical,keyCertSign,cRLSign");
	} else {
		add_ext(x, issuer, NID_basic_constraints, "critical,CA:FALSE");
		add_ext(x, issuer, NID_key_usage,
		    "critical,digitalSignature");
		add_ext(x, issuer, NID_ext_key_usage, "serverAuth");
		add_ext(x, issuer, NID_subject_alt_name, "DNS:mx1.example.org");
	}
	X509_sign(x, ikey != NULL ? ikey : key, EVP_sha256());
	X509_NAME_free(nm);
	return x;
}

static void
pki_free(void)
{
	int i;

	for (i = 0; i < C_NCERTS; i++) {
		X509_free(certs[i]);
		EVP_PKEY_free(keys[i]);
	}
}

/* The PKI described atop, once; 0, or -1. */
static int
pki_make(void)
{
	static int done;
	int i;

	if (done)
		return 0;
	atexit(pki_free);
	for (i = 0; i < C_NCERTS; i++)
		if (i != C_IX && i != C_RX)
			keys[i] = i == C_R2 ? EVP_RSA_gen(2048) : ec_key();
	keys[C_IX] = keys[C_I];
	keys[C_RX] = keys[C_R];
	EVP_PKEY_up_ref(keys[C_I]);
	EVP_PKEY_up_ref(keys[C_R]);
	for (i = 0; i < C_NCERTS; i++)
		if (keys[i] == NULL)
			return -1;
	certs[C_R] = mk_cert("diff root", keys[C_R], NULL, NULL, 1, 1);
	certs[C_I] = mk_cert("diff intermediate", keys[C_I], certs[C_R],
	    keys[C_R], 1, 2);
	certs[C_L] = mk_cert("mx1.example.org", keys[C_L], certs[C_I],
	    keys[C_I], 0, 3);
	certs[C_R2] = mk_cert("diff other root", keys[C_R2], NULL, NULL, 1,
	    4);
	certs[C_I2] = mk_cert("diff other intermediate", keys[C_I2],
	    certs[C_R2], keys[C_R2], 1, 5);
	certs[C_L2] = mk_cert("mx1.example.org", keys[C_L2], certs[C_I2],
	    keys[C_I2], 0, 6);
	certs[C_F] = mk_cert("diff intermediate", keys[C_F], certs[C_R],
	    keys[C_R], 1, 7);
	certs[C_IX] = mk_cert("diff intermediate", keys[C_IX], certs[C_R],
	    keys[C_R], 1, 8);
	certs[C_RX] = mk_cert("diff root", keys[C_RX], NULL, NULL, 1, 9);
	certs[C_D] = mk_cert("mx1.example.org", keys[C_D], certs[C_R],
	    keys[C_R], 0, 10);
	certs[C_S] = mk_cert("mx1.example.org", keys[C_S], NULL, NULL, 0, 11);
	certs[C_N] = mk_cert("diff not a CA", keys[C_N], certs[C_R],
	    keys[C_R], 0, 12);
	certs[C_LN] = mk_cert("mx1.example.org", keys[C_LN], certs[C_N],
	    keys[C_N], 0, 13);
	for (i = 0; i < C_NCERTS; i++)
		if (certs[i] == NULL)
			return -1;
	done = 1;
	return 0;
}

/*
 * The record spec describes, its data computed here with OpenSSL alone
 * (never tlsa_from_cert: the data must not come from the code judged).
 */
static void
rr_make(const struct rspec *sp, uint32_t *st, struct tlsa_rr *rr)
{
	unsigned char *der = NULL, md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	size_t i, len;
	int n;

	rr->usage = sp->u;
	rr->selector = sp->s;
	rr->mtype = sp->m;
	if (sp->of == T_JUNK) {
		len = sp->m == 1 ? 32 : sp->m == 2 ? 64 : 48;
		rr->data = xmalloc(len);
		for (i = 0; i < len; i++)
			rr->data[i] = (unsigned char)rnd(st);
		rr->len = len;
		return;
	}
	n = sp->s == 0 ? i2d_X509(certs[sp->of], &der) :
	    i2d_X509_PUBKEY(X509_get_X509_PUBKEY(certs[sp->of]), &der);
	if (sp->m == 0) {
		rr->data = xmalloc((size_t)n);
		memcpy(rr->data, der, (size_t)n);
		rr->len = (size_t)n;
	} else {
		EVP_Digest(der, (size_t)n, md, &mdlen,
		    sp->m == 1 ? EVP_sha256() : EVP_sha512(), NULL);
		rr->data = xmalloc(mdlen);
		memcpy(rr->data, md, mdlen);
		rr->len = mdlen;
	}
	OPENSSL_free(der);
}

static void
set_make(const struct rspec *sp, size_t n, uint32_t *st, struct tlsa_set *set)
{
	struct tlsa_rr rr;
	size_t i;

	for (i = 0; i < n; i++) {
		rr_make(&sp[i], st, &rr);
		tlsa_set_add(set, &rr);
		free(rr.data);
	}
}

static STACK_OF(X509) *
chain_make(const int *c)
{
	STACK_OF(X509) *sk = sk_X509_new_null();
	int i;

	for (i = 0; i < 6 && c[i] >= 0; i++) {
		X509_up_ref(certs[c[i]]);
		sk_X509_push(sk, certs[c[i]]);
	}
	return sk;
}

/* Did CA issuer issue x? OpenSSL's own tests, then the signature. */
static int
issued(X509 *issuer, X509 *x)
{
	EVP_PKEY *pub = X509_get0_pubkey(issuer);

	return X509_check_issued(issuer, x) == X509_V_OK &&
	    X509_check_ca(issuer) != 0 && pub != NULL &&
	    X509_verify(x, pub) == 1;
}

/* The leaf, then each next certificate while it is a CA that issued the
 * one before: the part of a chain daneroll counts. */
static STACK_OF(X509) *
chain_prefix(STACK_OF(X509) *chain)
{
	STACK_OF(X509) *sk = sk_X509_new_null();
	int i;

	for (i = 0; i < sk_X509_num(chain); i++) {
		X509 *x = sk_X509_value(chain, i);

		if (i > 0 && !issued(x, sk_X509_value(chain, i - 1)))
			break;
		X509_up_ref(x);
		sk_X509_push(sk, x);
	}
	return sk;
}

static struct {
	int	cases, accepted, prefix_differs, bad_issuer, mismatches,
		judge_errors;
} tally;

static void
show_case(const char *what, const struct rspec *sp, size_t n, int chain,
    int mine, int judge, int judge_prefix)
{
	size_t i;

	if (tally.mismatches > 20)
		return;
	printf("    %s: chain \"%s\" (", what, chains[chain].what);
	for (i = 0; i < 6 && chains[chain].c[i] >= 0; i++)
		printf("%s%s", i ? " " : "", cert_name[chains[chain].c[i]]);
	printf("), records");
	for (i = 0; i < n; i++)
		printf(" [%u %u %u %s]", sp[i].u, sp[i].s, sp[i].m,
		    sp[i].of == T_JUNK ? "junk" : cert_name[sp[i].of]);
	printf(": daneroll %d, judge %d (%s), judge on the in-order prefix "
	    "%d\n", mine, judge, dane_judge_why(), judge_prefix);
}

/* One case: the set sp[0..n-1] against chain number ci. */
static void
one_case(const struct rspec *sp, size_t n, int ci, uint32_t *st)
{
	struct tlsa_set set = { NULL, 0 };
	STACK_OF(X509) *chain = chain_make(chains[ci].c);
	STACK_OF(X509) *prefix = chain_prefix(chain);
	int mine, judge, judge_prefix;

	set_make(sp, n, st, &set);
	mine = tlsa_set_matches_chain(&set, chain);
	judge_prefix = dane_judge(&set, prefix);
	judge = dane_judge(&set, chain);
	tally.cases++;
	if (judge < 0 || judge_prefix < 0) {
		tally.judge_errors++;
		show_case("judge failed", sp, n, ci, mine, judge,
		    judge_prefix);
	} else if (mine != judge_prefix) {
		tally.mismatches++;
		show_case("DISAGREE", sp, n, ci, mine, judge, judge_prefix);
	} else if (mine && !judge && chains[ci].bad_issuer) {
		/*
		 * Known, and left: with a 2 1 0 record of the key that signed
		 * the leaf, OpenSSL takes the non-CA certificate of that key
		 * the server also sent as the issuer, fails it ("invalid CA
		 * certificate") and does not fall back to the bare key;
		 * daneroll judges the prefix (the leaf, which that key
		 * signed) and accepts. daneroll never publishes 2 1 0, and a
		 * chain with a non-CA issuer fails PKIX anyway. Counted, and
		 * shown to stay confined to such chains.
		 */
		tally.bad_issuer++;
	} else if (mine && !judge) {
		tally.mismatches++;
		show_case("daneroll accepts what OpenSSL rejects", sp, n, ci,
		    mine, judge, judge_prefix);
	}
	tally.accepted += mine == 1;
	tally.prefix_differs += judge != judge_prefix;
	tlsa_set_free(&set);
	sk_X509_pop_free(chain, X509_free);
	sk_X509_pop_free(prefix, X509_free);
}

/*
 * The judge must be able to say no and yes where RFC 7671/7672 leave no
 * doubt, or agreeing with it proves nothing: a table of plain verdicts.
 */
static void
test_judge_fixed(void)
{
	static const struct {
		size_t		 n;
		struct rspec	 rr[2];
		int		 chain;		/* index into chains[] */
		int		 want;
	} rows[] = {
		{ 1, { { 3, 1, 1, C_L } }, 0, 1 },
		{ 1, { { 3, 1, 1, C_L } }, 11, 0 },	/* wrong leaf */
		{ 1, { { 3, 0, 2, C_L } }, 8, 1 },	/* EE: chain moot */
		{ 1, { { 3, 1, 1, C_I } }, 0, 0 },	/* EE is the leaf */
		{ 1, { { 2, 1, 1, C_R } }, 0, 1 },
		{ 1, { { 2, 1, 1, C_I } }, 1, 1 },
		{ 1, { { 2, 1, 1, C_R } }, 1, 0 },	/* TA not sent */
		{ 1, { { 2, 0, 0, C_R } }, 1, 1 },	/* ... but whole */
		{ 1, { { 2, 1, 0, C_R } }, 1, 1 },
		{ 1, { { 2, 1, 1, C_R } }, 8, 0 },	/* forged */
		{ 1, { { 2, 1, 1, C_R } }, 10, 0 },	/* gap */
		{ 1, { { 2, 1, 1, C_R } }, 12, 0 },	/* other hierarchy */
		{ 1, { { 2, 1, 1, C_R } }, 18, 0 },	/* issuer not a CA */
		{ 1, { { 2, 1, 1, C_I } }, 13, 1 },	/* same key */
		{ 1, { { 2, 0, 1, C_I } }, 13, 0 },	/* not same cert */
		{ 1, { { 2, 1, 1, C_R } }, 3, 1 },	/* any order */
		{ 2, { { 1, 1, 1, C_L }, { 0, 1, 1, C_R } }, 0, 0 }, /* PKIX */
		/* digest agility (RFC 7671 9): SHA-512 hides SHA-256 */
		{ 2, { { 3, 1, 1, C_L }, { 3, 1, 2, T_JUNK } }, 0, 0 },
		{ 2, { { 3, 1, 2, C_L }, { 3, 1, 1, T_JUNK } }, 0, 1 },
		{ 2, { { 3, 1, 1, C_L }, { 2, 1, 2, T_JUNK } }, 0, 1 },
		{ 2, { { 3, 1, 1, C_L }, { 3, 0, 2, T_JUNK } }, 0, 1 },
	};
	uint32_t st = 1;
	size_t i;

	if (!T_INT(pki_make(), 0))
		return;
	for (i = 0; i < NELEM(rows); i++) {
		struct tlsa_set set = { NULL, 0 };
		STACK_OF(X509) *chain = chain_make(chains[rows[i].chain].c);

		set_make(rows[i].rr, rows[i].n, &st, &set);
		if (!T_INT(dane_judge(&set, chain), rows[i].want))
			printf("    row %zu (%s)\n", i, dane_judge_why());
		tlsa_set_free(&set);
		sk_X509_pop_free(chain, X509_free);
	}
}

/* Every single record of every target, junk included, on every chain. */
static void
test_single_records(void)
{
	static const int targets[] = { C_R, C_I, C_L, C_R2, C_I2, C_L2, C_F,
	    C_IX, C_RX, C_D, C_S, C_N, C_LN, T_JUNK };
	uint32_t st = 0x5eed;
	size_t t, ci;
	int u, s, m;

	if (!T_INT(pki_make(), 0))
		return;
	memset(&tally, 0, sizeof(tally));
	for (t = 0; t < NELEM(targets); t++)
		for (u = 2; u <= 3; u++)
			for (s = 0; s <= 1; s++)
				for (m = 0; m <= 2; m++)
					for (ci = 0; ci < NELEM(chains);
					    ci++) {
						struct rspec sp = {
						    (uint8_t)u, (uint8_t)s,
						    (uint8_t)m, targets[t] };

						one_case(&sp, 1, (int)ci, &st);
					}
	printf("    %d single-record cases: %d accepted by daneroll, %d "
	    "where certificates out of order change OpenSSL's verdict "
	    "(%d of them a non-CA issuer sent)\n", tally.cases, tally.accepted,
	    tally.prefix_differs, tally.bad_issuer);
	T_INT(tally.cases, (int)(NELEM(targets) * 2 * 2 * 3 * NELEM(chains)));
	T_INT(tally.judge_errors, 0);
	T_INT(tally.mismatches, 0);
	/* Both verdicts occur, and the deliberate difference too. */
	T_CHECK(tally.accepted > 0 && tally.accepted < tally.cases);
	T_CHECK(tally.prefix_differs > 0);
}

/*
 * Sets of two to four records drawn from a fixed seed: mixed usages,
 * selectors and matching types (digest agility), junk, PKIX usages.
 */
static void
test_record_sets(void)
{
	static const int pool[] = { C_R, C_I, C_L, C_R2, C_I2, C_L2, C_F,
	    C_IX, C_D, C_S, C_LN, T_JUNK, T_JUNK, T_JUNK };
	enum { SEEDS = 3000 };
	uint32_t seed, st;
	struct rspec sp[4];
	size_t n, k;

	if (!T_INT(pki_make(), 0))
		return;
	memset(&tally, 0, sizeof(tally));
	for (seed = 1; seed <= SEEDS; seed++) {
		st = seed * 2654435761u;
		if (st == 0)
			st = 1;
		n = 2 + rnd(&st) % 3;
		for (k = 0; k < n; k++) {
			sp[k].u = rnd(&st) % 10 == 0 ? (uint8_t)(rnd(&st) % 2) :
			    (uint8_t)(2 + rnd(&st) % 2);
			sp[k].s = (uint8_t)(rnd(&st) % 2);
			sp[k].m = (uint8_t)(rnd(&st) % 3);
			sp[k].of = pool[rnd(&st) % NELEM(pool)];
		}
		one_case(sp, n, (int)(rnd(&st) % NELEM(chains)), &st);
	}
	printf("    %d record-set cases (seeds 1..%d): %d accepted by "
	    "daneroll, %d where certificates out of order change OpenSSL's "
	    "verdict (%d of them a non-CA issuer sent)\n", tally.cases,
	    SEEDS, tally.accepted, tally.prefix_differs, tally.bad_issuer);
	T_INT(tally.cases, SEEDS);
	T_INT(tally.judge_errors, 0);
	T_INT(tally.mismatches, 0);
	T_CHECK(tally.accepted > 0 && tally.accepted < tally.cases);
}

/*
 * The invariant prober in fakes.c judges through dane_judge(): a chain
 * put live that no record of the served RRset matches is a violation,
 * one that a record matches is none. Rows: the served set, the count.
 */
static void
test_prober_judges(void)
{
	static const struct {
		const char	*rr;	/* "CA": 2 1 1 of the fake CA */
		int		 violations;
	} rows[] = {
		{ "CA", 0 },
		{ "3 1 1 0000000000000000000000000000000000000000000000000000000"
		  "000000000", 1 },
		{ "2 1 1 1111111111111111111111111111111111111111111111111111111"
		  "111111111", 1 },
	};
	size_t i;

	for (i = 0; i < NELEM(rows); i++) {
		struct tlsa_set set = { NULL, 0 };
		struct tlsa_rr rr;
		struct publish_req req;
		char hex[65], *text;

		fake_reset(NULL);
		if (strcmp(rows[i].rr, "CA") == 0) {
			fake_ca_spki(hex);
			text = xasprintf("2 1 1 %s", hex);
		} else
			text = xstrdup(rows[i].rr);
		T_INT(tlsa_parse(text, &rr), 0);
		tlsa_set_add(&set, &rr);
		memset(&req, 0, sizeof(req));
		req.owner = "_25._tcp.mx1.example.org";
		req.ttl = 300;
		req.want = &set;
		T_INT(fake_backends.publishers[0]->replace(NULL, NULL, &req),
		    OUT_OK);
		T_INT(fake_deploy_initial(t_path("live.pem"),
		    "mx1.example.org", KEY_ALG_ECDSA_P256, 30), 0);
		if (!T_INT(fake.violations, rows[i].violations))
			printf("    row %zu\n", i);
		tlsa_rr_free(&rr);
		tlsa_set_free(&set);
		free(text);
	}
	fake_reset(NULL);
}

static const struct t_case cases[] = {
	{ "the judge's fixed verdicts", test_judge_fixed },
	{ "single records on every chain", test_single_records },
	{ "record sets from fixed seeds", test_record_sets },
	{ "the prober counts a chain no served record matches",
	  test_prober_judges },
};
T_MAIN(cases)

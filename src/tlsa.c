/*
 * tlsa - TLSA records (RFC 6698): association data computed from
 * certificates and keys, the presentation format ("3 1 1 ab12..."),
 * RRsets kept as sorted sets, and an offline check of whether a DANE SMTP
 * client (RFC 7671, RFC 7672) would accept a chain against a set.
 *
 * tlsa_parse() accepts any usage, selector and matching type from 0 to
 * 255 (a foreign record in a published RRset must still be readable) but
 * insists on 32 bytes for SHA-256 and 64 for SHA-512 data. Data is at
 * most TLSA_DATA_MAX bytes, what fits in the RDATA of one DNS record.
 *
 * Ownership: functions that fill a struct tlsa_rr (tlsa_from_cert,
 * tlsa_from_pkey, tlsa_parse, tlsa_rr_copy) overwrite it without freeing
 * what it held; functions that fill a struct tlsa_set (tlsa_set_copy,
 * tlsa_set_parse) replace its records, freeing the old ones, so the set
 * must be valid (zeroed, or used before). Strings returned are the
 * caller's, freed with free().
 */
#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "cert.h"
#include "log.h"
#include "tlsa.h"
#include "util.h"

/* What fits in one record's RDATA after usage, selector and mtype. */
#define TLSA_DATA_MAX	(65535 - 3)

/* Fills rr's data from DER input per mtype; 0, or -1 if mtype unknown. */
static int
digest_into(const unsigned char *der, size_t len, uint8_t mtype,
    struct tlsa_rr *rr)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	const EVP_MD *alg;

	switch (mtype) {
	case TLSA_MT_FULL:
		rr->data = xmalloc(len);
		memcpy(rr->data, der, len);
		rr->len = len;
		return 0;
	case TLSA_MT_SHA256:
		alg = EVP_sha256();
		break;
	case TLSA_MT_SHA512:
		alg = EVP_sha512();
		break;
	default:
		return -1;
	}
	if (EVP_Digest(der, len, md, &mdlen, alg, NULL) != 1) {
		ERR_clear_error();
		return -1;
	}
	rr->data = xmalloc(mdlen);
	memcpy(rr->data, md, mdlen);
	rr->len = mdlen;
	return 0;
}

/* rr as "usage selector mtype" over der, the DER of what selector
 * selects; len <= 0: there is none. 0, or -1 (rr stays empty). */
static int
rr_from_der(const unsigned char *der, int len, uint8_t usage,
    uint8_t selector, uint8_t mtype, struct tlsa_rr *rr)
{
	memset(rr, 0, sizeof(*rr));
	if (len <= 0 || digest_into(der, (size_t)len, mtype, rr) == -1)
		return -1;
	rr->usage = usage;
	rr->selector = selector;
	rr->mtype = mtype;
	return 0;
}

/* tlsa_from_cert() without logging, for matching. */
static int
from_cert(X509 *x, uint8_t usage, uint8_t selector, uint8_t mtype,
    struct tlsa_rr *rr)
{
	unsigned char *der = NULL;
	int len = -1, rc;

	if (x != NULL && selector == TLSA_SEL_CERT)
		len = i2d_X509(x, &der);
	else if (x != NULL && selector == TLSA_SEL_SPKI)
		len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &der);
	rc = rr_from_der(der, len, usage, selector, mtype, rr);
	ERR_clear_error();
	OPENSSL_free(der);
	return rc;
}

int
tlsa_from_cert(X509 *x, uint8_t usage, uint8_t selector, uint8_t mtype,
    struct tlsa_rr *rr)
{
	if (from_cert(x, usage, selector, mtype, rr) == -1) {
		log_err("cannot make TLSA %u %u %u data from a certificate",
		    usage, selector, mtype);
		return -1;
	}
	return 0;
}

int
tlsa_from_pkey(EVP_PKEY *pkey, uint8_t usage, uint8_t mtype,
    struct tlsa_rr *rr)
{
	unsigned char *der = NULL;
	int len = pkey != NULL ? i2d_PUBKEY(pkey, &der) : -1, rc;

	if ((rc = rr_from_der(der, len, usage, TLSA_SEL_SPKI, mtype, rr)) != 0)
		log_err("cannot make TLSA %u 1 %u data from a key", usage,
		    mtype);
	ERR_clear_error();
	OPENSSL_free(der);
	return rc;
}

static int
is_blank(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Parses a decimal field of len characters, 0..255; -1 if bad. */
static int
parse_u8(const char *s, size_t len)
{
	size_t i;
	int v = 0;

	if (len == 0 || len > 3)
		return -1;
	for (i = 0; i < len; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v <= 255 ? v : -1;
}

/* Zone-file parentheses only group: drops one balanced pair from text
 * (a copy of s). 0, or -1 with why in err. */
static int
drop_parens(char *text, const char *s, char *err, size_t errlen)
{
	char *open = strchr(text, '('), *close = strchr(text, ')'), *p;

	if (open == NULL && close == NULL)
		return 0;
	if (open == NULL || close == NULL || close < open ||
	    strchr(open + 1, '(') != NULL ||
	    strchr(close + 1, ')') != NULL) {
		snprintf(err, errlen, "unbalanced parentheses in "
		    "\"%.80s\"", s);
		return -1;
	}
	*open = ' ';
	*close = ' ';
	for (p = close + 1; *p != '\0'; p++)
		if (!is_blank((unsigned char)*p)) {
			snprintf(err, errlen, "trailing garbage "
			    "\"%.40s\" after \")\"", p);
			return -1;
		}
	return 0;
}

/* Usage, selector and matching type from *pp (then past them) into
 * fields. 0, or -1 with why in err (s quoted). */
static int
parse_fields(const char **pp, const char *s, int fields[3], char *err,
    size_t errlen)
{
	static const char *const what[3] = { "usage", "selector",
	    "matching type" };
	const char *p = *pp, *tok;
	size_t n;
	int f, v;

	for (f = 0; f < 3; f++) {
		while (is_blank((unsigned char)*p))
			p++;
		tok = p;
		while (*p != '\0' && !is_blank((unsigned char)*p))
			p++;
		n = (size_t)(p - tok);
		if (n == 0) {
			snprintf(err, errlen, "missing TLSA %s in \"%.80s\"",
			    what[f], s);
			return -1;
		}
		if ((v = parse_u8(tok, n)) < 0) {
			snprintf(err, errlen, "TLSA %s \"%.*s\" is not a "
			    "number from 0 to 255", what[f],
			    (int)(n > 40 ? 40 : n), tok);
			return -1;
		}
		fields[f] = v;
	}
	*pp = p;
	return 0;
}

/* The association data p (hex, blanks allowed between) into data (room
 * for strlen(p) / 2 bytes), *len bytes. 0, or -1 with why in err. */
static int
parse_hex(const char *p, const char *s, unsigned char *data, size_t *len,
    char *err, size_t errlen)
{
	const char *tok;
	size_t i, n, ndigits = 0;
	int v, hi = -1;

	for (i = 0; p[i] != '\0'; i++) {
		if (is_blank((unsigned char)p[i]))
			continue;
		if ((v = util_hexval((unsigned char)p[i])) < 0) {
			/* Quote the whole word the bad character is in. */
			tok = p + i;
			while (tok > p && !is_blank((unsigned char)tok[-1]))
				tok--;
			n = strcspn(tok, " \t\r\n");
			snprintf(err, errlen, "bad character '%c' in TLSA "
			    "association data \"%.*s\"", p[i],
			    (int)(n > 40 ? 40 : n), tok);
			return -1;
		}
		ndigits++;
		if (hi < 0) {
			hi = v;
			continue;
		}
		data[(*len)++] = (unsigned char)(hi << 4 | v);
		hi = -1;
	}
	if (ndigits == 0) {
		snprintf(err, errlen, "no TLSA association data in \"%.80s\"",
		    s);
		return -1;
	}
	if (hi >= 0) {
		snprintf(err, errlen, "TLSA association data has an odd "
		    "number of hex digits (%zu)", ndigits);
		return -1;
	}
	return 0;
}

/*
 * The parser behind tlsa_parse() and tlsa_set_parse(): on bad input it
 * writes why into err and returns -1, so each caller logs once with the
 * context it knows.
 */
static int
parse_rr(const char *s, struct tlsa_rr *rr, char *err, size_t errlen)
{
	char *text = NULL;
	unsigned char *data = NULL;
	size_t len = 0;
	const char *p;
	int fields[3], rc = -1;

	memset(rr, 0, sizeof(*rr));
	text = xstrdup(s);
	if (drop_parens(text, s, err, errlen) != 0)
		goto done;
	p = text;
	if (parse_fields(&p, s, fields, err, errlen) != 0)
		goto done;
	data = xmalloc(strlen(p) / 2 + 1);
	if (parse_hex(p, s, data, &len, err, errlen) != 0)
		goto done;
	if (len > TLSA_DATA_MAX) {
		snprintf(err, errlen, "TLSA association data of %zu bytes "
		    "is longer than a record can hold", len);
		goto done;
	}
	if ((fields[2] == TLSA_MT_SHA256 && len != 32) ||
	    (fields[2] == TLSA_MT_SHA512 && len != 64)) {
		snprintf(err, errlen, "TLSA matching type %d (%s) needs %d "
		    "bytes of data, not %zu", fields[2],
		    fields[2] == TLSA_MT_SHA256 ? "SHA-256" : "SHA-512",
		    fields[2] == TLSA_MT_SHA256 ? 32 : 64, len);
		goto done;
	}
	rr->usage = (uint8_t)fields[0];
	rr->selector = (uint8_t)fields[1];
	rr->mtype = (uint8_t)fields[2];
	rr->data = data;
	rr->len = len;
	data = NULL;
	rc = 0;
done:
	free(data);
	free(text);
	return rc;
}

int
tlsa_parse(const char *s, struct tlsa_rr *rr)
{
	char err[256];

	if (s == NULL) {
		memset(rr, 0, sizeof(*rr));
		log_err("no TLSA record");
		return -1;
	}
	if (parse_rr(s, rr, err, sizeof(err)) == -1) {
		log_err("%s", err);
		return -1;
	}
	return 0;
}

char *
tlsa_format(const struct tlsa_rr *rr)
{
	char *hex, *s;

	hex = xmalloc(2 * rr->len + 1);
	util_hex(rr->data, rr->len, hex);
	s = xasprintf("%u %u %u %s", rr->usage, rr->selector, rr->mtype, hex);
	free(hex);
	return s;
}

/* Canonical DNS order (RFC 4034 6.3): RDATA compared as octet strings. */
int
tlsa_cmp(const struct tlsa_rr *a, const struct tlsa_rr *b)
{
	size_t n = a->len < b->len ? a->len : b->len;
	int c;

	if (a->usage != b->usage)
		return a->usage < b->usage ? -1 : 1;
	if (a->selector != b->selector)
		return a->selector < b->selector ? -1 : 1;
	if (a->mtype != b->mtype)
		return a->mtype < b->mtype ? -1 : 1;
	if (n > 0 && (c = memcmp(a->data, b->data, n)) != 0)
		return c < 0 ? -1 : 1;
	if (a->len != b->len)
		return a->len < b->len ? -1 : 1;
	return 0;
}

void
tlsa_rr_free(struct tlsa_rr *rr)
{
	if (rr == NULL)
		return;
	free(rr->data);
	rr->data = NULL;
	rr->len = 0;
}

void
tlsa_rr_copy(struct tlsa_rr *dst, const struct tlsa_rr *src)
{
	dst->usage = src->usage;
	dst->selector = src->selector;
	dst->mtype = src->mtype;
	dst->len = src->len;
	dst->data = xmalloc(src->len);
	if (src->len > 0)
		memcpy(dst->data, src->data, src->len);
}

/* 1 if set holds rr, at *at; else 0, *at where it would go to keep the
 * order. */
static int
set_find(const struct tlsa_set *set, const struct tlsa_rr *rr, size_t *at)
{
	size_t lo = 0, hi = set->n, mid;
	int c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if ((c = tlsa_cmp(&set->rr[mid], rr)) == 0) {
			*at = mid;
			return 1;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*at = lo;
	return 0;
}

void
tlsa_set_add(struct tlsa_set *set, const struct tlsa_rr *rr)
{
	size_t at;

	if (set_find(set, rr, &at))
		return;
	set->rr = xrealloc(set->rr, (set->n + 1) * sizeof(*set->rr));
	memmove(&set->rr[at + 1], &set->rr[at],
	    (set->n - at) * sizeof(*set->rr));
	tlsa_rr_copy(&set->rr[at], rr);
	set->n++;
}

int
tlsa_set_has(const struct tlsa_set *set, const struct tlsa_rr *rr)
{
	size_t at;

	return set_find(set, rr, &at);
}

void
tlsa_set_del(struct tlsa_set *set, const struct tlsa_rr *rr)
{
	size_t at;

	if (!set_find(set, rr, &at))
		return;
	tlsa_rr_free(&set->rr[at]);
	memmove(&set->rr[at], &set->rr[at + 1],
	    (set->n - at - 1) * sizeof(*set->rr));
	set->n--;
}

int
tlsa_set_equal(const struct tlsa_set *a, const struct tlsa_set *b)
{
	size_t i;

	if (a->n != b->n)
		return 0;
	for (i = 0; i < a->n; i++)
		if (tlsa_cmp(&a->rr[i], &b->rr[i]) != 0)
			return 0;
	return 1;
}

void
tlsa_set_copy(struct tlsa_set *dst, const struct tlsa_set *src)
{
	struct tlsa_set copy = { NULL, 0 };
	size_t i;

	if (dst == src)
		return;
	if (src->n > 0) {
		copy.rr = xcalloc(src->n, sizeof(*copy.rr));
		for (i = 0; i < src->n; i++)
			tlsa_rr_copy(&copy.rr[i], &src->rr[i]);
		copy.n = src->n;
	}
	tlsa_set_free(dst);
	*dst = copy;
}

void
tlsa_set_free(struct tlsa_set *set)
{
	size_t i;

	if (set == NULL)
		return;
	for (i = 0; i < set->n; i++)
		tlsa_rr_free(&set->rr[i]);
	free(set->rr);
	set->rr = NULL;
	set->n = 0;
}

char *
tlsa_set_format(const struct tlsa_set *set)
{
	struct buf b = { NULL, 0, 0 };
	char *line;
	size_t i;

	for (i = 0; i < set->n; i++) {
		line = tlsa_format(&set->rr[i]);
		buf_puts(&b, line);
		buf_puts(&b, "\n");
		free(line);
	}
	return b.data != NULL ? b.data : xstrdup("");
}

/*
 * One record per line; blank lines and lines starting with ';' or '#'
 * are skipped. On error the set is left empty.
 */
int
tlsa_set_parse(const char *s, struct tlsa_set *set)
{
	struct tlsa_set parsed = { NULL, 0 };
	struct tlsa_rr rr = { 0, 0, 0, NULL, 0 };
	char err[256], *line = NULL;
	const char *cur, *eol, *text;
	int lineno = 0, rc = -1;

	tlsa_set_free(set);
	for (cur = s != NULL ? s : ""; *cur != '\0';
	    cur = *eol != '\0' ? eol + 1 : eol) {
		lineno++;
		if ((eol = strchr(cur, '\n')) == NULL)
			eol = cur + strlen(cur);
		free(line);
		line = xmalloc((size_t)(eol - cur) + 1);
		memcpy(line, cur, (size_t)(eol - cur));
		line[eol - cur] = '\0';
		text = line + strspn(line, " \t\r");
		if (*text == '\0' || *text == ';' || *text == '#')
			continue;
		if (parse_rr(text, &rr, err, sizeof(err)) == -1) {
			log_err("TLSA records, line %d: %s", lineno, err);
			goto done;
		}
		tlsa_set_add(&parsed, &rr);
		tlsa_rr_free(&rr);
	}
	*set = parsed;
	parsed.rr = NULL;
	parsed.n = 0;
	rc = 0;
done:
	free(line);
	tlsa_set_free(&parsed);
	return rc;
}

/* Does rr hold the association data of x (usage aside)? */
static int
rr_matches_cert(const struct tlsa_rr *rr, X509 *x)
{
	struct tlsa_rr mine;
	int ok;

	if (rr->selector > TLSA_SEL_SPKI || rr->mtype > TLSA_MT_SHA512)
		return 0;
	if (from_cert(x, rr->usage, rr->selector, rr->mtype, &mine) == -1)
		return 0;
	ok = tlsa_cmp(rr, &mine) == 0;
	tlsa_rr_free(&mine);
	return ok;
}

/*
 * Digest agility (RFC 7671 9): of the SHA-256 and SHA-512 records of one
 * usage and selector, a client uses only those of the strongest digest
 * present; Full(0) records always count. Is rr outranked so?
 */
static int
rr_outranked(const struct tlsa_set *set, const struct tlsa_rr *rr)
{
	const struct tlsa_rr *o;
	size_t i;

	if (rr->mtype != TLSA_MT_SHA256)
		return 0;
	for (i = 0; i < set->n; i++) {
		o = &set->rr[i];
		if (o->usage == rr->usage && o->selector == rr->selector &&
		    o->mtype == TLSA_MT_SHA512 && o->len == 64)
			return 1;
	}
	return 0;
}

/*
 * May a TLS client take x as a CA above a server certificate (basic
 * constraints, key usage, extended key usage: OpenSSL's "ssl_server"
 * purpose for a CA)? DANE-TA(2) is PKIX from the TA down (RFC 7671
 * 5.2.2), so every issuer up to and including the TA must be one.
 */
static int
ca_ok(X509 *x)
{
	int ok = X509_check_purpose(x, X509_PURPOSE_SSL_SERVER, 1) > 0;

	ERR_clear_error();
	return ok;
}

/* May x serve TLS as the leaf of a DANE-TA(2) chain (key usage, EKU)? */
static int
leaf_ok(X509 *x)
{
	int ok = X509_check_purpose(x, X509_PURPOSE_SSL_SERVER, 0) == 1;

	ERR_clear_error();
	return ok;
}

/*
 * A DANE-TA(2) record carrying the whole TA (2 0 0 or 2 1 0) works even
 * when the server does not send the TA (RFC 7671 5.2.2): did that TA sign
 * x?
 */
static int
full_ta_signed(const struct tlsa_rr *rr, X509 *x)
{
	const unsigned char *p = rr->data;
	EVP_PKEY *key = NULL;
	X509 *ta = NULL;
	int ok = 0;

	if (rr->mtype != TLSA_MT_FULL || rr->len == 0 || rr->len > LONG_MAX)
		goto done;
	if (rr->selector == TLSA_SEL_CERT) {
		ta = d2i_X509(NULL, &p, (long)rr->len);
		if (ta != NULL && p == rr->data + rr->len)
			ok = cert_issued_by(x, ta) && ca_ok(ta);
	} else if (rr->selector == TLSA_SEL_SPKI) {
		key = d2i_PUBKEY(NULL, &p, (long)rr->len);
		if (key != NULL && p == rr->data + rr->len)
			ok = X509_verify(x, key) == 1;
	}
done:
	ERR_clear_error();
	X509_free(ta);
	EVP_PKEY_free(key);
	return ok;
}

/*
 * DANE-EE(3) matches the leaf alone (RFC 7672 3.1.1: no name or expiry
 * checks). DANE-TA(2) matches a certificate the server sent above the
 * leaf, and then every certificate from the leaf up to it must have been
 * issued by the next, each issuer a CA and the leaf fit for a TLS server
 * (RFC 7671 5.2.2); a TA the server does not send counts only when the
 * record holds it whole (2 0 0, 2 1 0) and it signed the top of a
 * well-formed prefix of the chain. Of SHA-256 and SHA-512 records, only
 * the strongest of each usage and selector count (RFC 7671 9). The name
 * check that DANE-TA also needs (RFC 7672 3.2.2) is cert_covers_name()'s
 * job.
 */
int
tlsa_set_matches_chain(const struct tlsa_set *set, STACK_OF(X509) *chain)
{
	const struct tlsa_rr *rr;
	X509 *x;
	size_t i;
	int j, n;

	n = chain != NULL ? sk_X509_num(chain) : 0;
	if (set == NULL || n < 1)
		return 0;
	for (i = 0; i < set->n; i++) {
		rr = &set->rr[i];
		if (rr_outranked(set, rr))
			continue;
		if (rr->usage == TLSA_USAGE_DANE_EE &&
		    rr_matches_cert(rr, sk_X509_value(chain, 0)))
			return 1;
		if (rr->usage != TLSA_USAGE_DANE_TA ||
		    !leaf_ok(sk_X509_value(chain, 0)))
			continue;
		for (j = 0; j < n; j++) {
			x = sk_X509_value(chain, j);
			if (j > 0) {
				/* Nothing above a break in the chain counts. */
				if (!cert_issued_by(sk_X509_value(chain,
				    j - 1), x) || !ca_ok(x))
					break;
				if (rr_matches_cert(rr, x))
					return 1;
			}
			if (full_ta_signed(rr, x))
				return 1;
		}
	}
	return 0;
}

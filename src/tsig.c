/*
 * tsig - TSIG message signatures (RFC 8945). See include/tsig.h.
 *
 * Signing is done here with OpenSSL's HMAC rather than ldns's TSIG code:
 * ldns 1.8 cannot do hmac-sha384 (it knows the algorithm as
 * "hmac-shac384."), gives no TSIG error field to the caller and leaves
 * decoded key bytes in freed memory.
 *
 * The names and algorithms a key may have are this file's (the key-file
 * reader, tsig_keyfile.c, asks tsig_name_to_wire and tsig_alg_name), so
 * what loads is what can be signed with.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "tsig.h"
#include "util.h"

#define DNS_TYPE_TSIG		250
#define DNS_CLASS_ANY		255
#define DNS_HEADER_LEN		12

static const struct {
	const char	*name;
	const EVP_MD	*(*md)(void);
} tsig_algs[] = {
	{ "hmac-sha256", EVP_sha256 },
	{ "hmac-sha384", EVP_sha384 },
	{ "hmac-sha512", EVP_sha512 },
};

/* ---- names ---- */

int
tsig_name_to_wire(const char *s, size_t n, unsigned char *out)
{
	size_t i, start = 0, o = 0;

	if (n > 0 && s[n - 1] == '.')
		n--;
	if (n == 0 || n > 253)
		return -1;
	for (i = 0; i <= n; i++) {
		if (i < n && s[i] != '.') {
			if (!isalnum((unsigned char)s[i]) && s[i] != '-' &&
			    s[i] != '_')
				return -1;
			continue;
		}
		if (i - start == 0 || i - start > 63)
			return -1;
		out[o++] = (unsigned char)(i - start);
		for (; start < i; start++)
			out[o++] = (unsigned char)tolower((unsigned char)s[start]);
		start = i + 1;
	}
	out[o++] = 0;
	return (int)o;
}

const char *
tsig_alg_name(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < sizeof(tsig_algs) / sizeof(tsig_algs[0]); i++)
		if (strlen(tsig_algs[i].name) == n &&
		    strncasecmp(s, tsig_algs[i].name, n) == 0)
			return tsig_algs[i].name;
	return NULL;
}

/*
 * Reads a (possibly compressed) name at *pos of a message into out in
 * lower-case wire format; advances *pos past it. Returns the length of
 * out or -1 if malformed.
 */
static int
read_name(const unsigned char *m, size_t len, size_t *pos, unsigned char *out)
{
	size_t p = *pos, o = 0;
	int jumps = 0, jumped = 0;

	for (;;) {
		unsigned c;

		if (p >= len)
			return -1;
		c = m[p];
		if ((c & 0xc0) == 0xc0) {
			if (p + 1 >= len || ++jumps > 64)
				return -1;
			if (!jumped)
				*pos = p + 2;
			jumped = 1;
			p = ((c & 0x3f) << 8) | m[p + 1];
			continue;
		}
		if ((c & 0xc0) != 0)
			return -1;
		if (p + 1 + c > len || o + 1 + c > TSIG_WIRE_NAME_MAX)
			return -1;
		out[o++] = (unsigned char)c;
		if (c == 0)
			break;
		for (p++; c > 0; c--, p++)
			out[o++] = (unsigned char)tolower(m[p]);
	}
	if (!jumped)
		*pos = p + 1;
	return (int)o;
}

/* ---- signatures ---- */

static const EVP_MD *
key_md(const struct tsig_key *key)
{
	size_t i;

	for (i = 0; i < sizeof(tsig_algs) / sizeof(tsig_algs[0]); i++)
		if (key->alg != NULL && strcmp(key->alg, tsig_algs[i].name) == 0)
			return tsig_algs[i].md();
	return NULL;
}

static void
put16(struct buf *b, unsigned v)
{
	unsigned char c[2] = { (unsigned char)(v >> 8), (unsigned char)v };

	buf_add(b, c, 2);
}

static void
put48(struct buf *b, int64_t t)
{
	unsigned char c[6];
	int i;

	for (i = 5; i >= 0; i--, t >>= 8)
		c[i] = (unsigned char)(t & 0xff);
	buf_add(b, c, 6);
}

static unsigned
get16(const unsigned char *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

/* The TSIG variables of RFC 8945 4.3.3, after the message. */
static void
put_vars(struct buf *d, const unsigned char *kname, size_t kname_len,
    const unsigned char *aname, size_t aname_len, int64_t t, unsigned fudge,
    unsigned error, const unsigned char *other, size_t other_len)
{
	buf_add(d, kname, kname_len);
	put16(d, DNS_CLASS_ANY);
	buf_add(d, "\0\0\0\0", 4);	/* TTL */
	buf_add(d, aname, aname_len);
	put48(d, t);
	put16(d, fudge);
	put16(d, error);
	put16(d, (unsigned)other_len);
	if (other_len > 0)
		buf_add(d, other, other_len);
}

/* HMAC of data; 0 or -1. */
static int
hmac(const struct tsig_key *key, const struct buf *d, unsigned char *mac,
    size_t *mac_len)
{
	const EVP_MD *md = key_md(key);
	unsigned int n = 0;

	if (md == NULL || HMAC(md, key->secret, (int)key->secret_len,
	    (const unsigned char *)d->data, d->len, mac, &n) == NULL)
		return -1;
	*mac_len = n;
	return 0;
}

int
tsig_sign(const struct tsig_key *key, struct buf *msg, time_t now,
    const unsigned char *reqmac, size_t reqmac_len, unsigned char *mac,
    size_t *mac_len)
{
	unsigned char kname[TSIG_WIRE_NAME_MAX], aname[TSIG_WIRE_NAME_MAX];
	struct buf d = { 0 }, rdata = { 0 };
	unsigned char *h;
	unsigned arcount;
	int kn, an, ret = -1;

	if (msg->len < DNS_HEADER_LEN ||
	    (kn = tsig_name_to_wire(key->name, strlen(key->name), kname)) < 0 ||
	    (an = tsig_name_to_wire(key->alg, strlen(key->alg), aname)) < 0)
		goto out;
	if (reqmac != NULL) {
		put16(&d, (unsigned)reqmac_len);
		buf_add(&d, reqmac, reqmac_len);
	}
	buf_add(&d, msg->data, msg->len);
	put_vars(&d, kname, (size_t)kn, aname, (size_t)an, (int64_t)now,
	    TSIG_FUDGE, 0, NULL, 0);
	if (hmac(key, &d, mac, mac_len) != 0)
		goto out;
	buf_add(&rdata, aname, (size_t)an);
	put48(&rdata, (int64_t)now);
	put16(&rdata, TSIG_FUDGE);
	put16(&rdata, (unsigned)*mac_len);
	buf_add(&rdata, mac, *mac_len);
	buf_add(&rdata, msg->data, 2);		/* original ID */
	put16(&rdata, 0);			/* error */
	put16(&rdata, 0);			/* other len */
	buf_add(msg, kname, (size_t)kn);
	put16(msg, DNS_TYPE_TSIG);
	put16(msg, DNS_CLASS_ANY);
	buf_add(msg, "\0\0\0\0", 4);
	put16(msg, (unsigned)rdata.len);
	buf_add(msg, rdata.data, rdata.len);
	h = (unsigned char *)msg->data;
	arcount = get16(h + 10) + 1;
	h[10] = (unsigned char)(arcount >> 8);
	h[11] = (unsigned char)arcount;
	ret = 0;
out:
	buf_free(&d);
	buf_free(&rdata);
	return ret;
}

/* The parsed TSIG RR of a message. */
struct tsig_rr {
	size_t			 start;		/* offset of the RR */
	unsigned char		 kname[TSIG_WIRE_NAME_MAX];
	unsigned char		 aname[TSIG_WIRE_NAME_MAX];
	int			 kname_len, aname_len;
	int64_t			 time;
	unsigned		 fudge, error, orig_id;
	const unsigned char	*mac, *other;
	size_t			 mac_len, other_len;
};

/* Finds and parses the last RR if it is a TSIG; a tsig_status. */
static enum tsig_status
find_tsig(const unsigned char *m, size_t len, struct tsig_rr *t)
{
	unsigned char scratch[TSIG_WIRE_NAME_MAX];
	size_t pos = DNS_HEADER_LEN, rdend;
	unsigned qd, rrs, i, type, rdlen;

	if (len < DNS_HEADER_LEN)
		return TSIG_MALFORMED;
	qd = get16(m + 4);
	rrs = get16(m + 6) + get16(m + 8) + get16(m + 10);
	if (get16(m + 10) == 0)
		return TSIG_UNSIGNED;
	for (i = 0; i < qd; i++) {
		if (read_name(m, len, &pos, scratch) < 0 || pos + 4 > len)
			return TSIG_MALFORMED;
		pos += 4;
	}
	for (i = 0; i + 1 < rrs; i++) {
		if (read_name(m, len, &pos, scratch) < 0 || pos + 10 > len)
			return TSIG_MALFORMED;
		pos += 10 + get16(m + pos + 8);
		if (pos > len)
			return TSIG_MALFORMED;
	}
	t->start = pos;
	if ((t->kname_len = read_name(m, len, &pos, t->kname)) < 0 ||
	    pos + 10 > len)
		return TSIG_MALFORMED;
	type = get16(m + pos);
	rdlen = get16(m + pos + 8);
	pos += 10;
	if (type != DNS_TYPE_TSIG)
		return TSIG_UNSIGNED;
	rdend = pos + rdlen;
	if (rdend != len)
		return TSIG_MALFORMED;
	if ((t->aname_len = read_name(m, rdend, &pos, t->aname)) < 0 ||
	    pos + 10 > rdend)
		return TSIG_MALFORMED;
	t->time = (int64_t)get16(m + pos) << 32 |
	    (int64_t)get16(m + pos + 2) << 16 | get16(m + pos + 4);
	t->fudge = get16(m + pos + 6);
	t->mac_len = get16(m + pos + 8);
	pos += 10;
	if (pos + t->mac_len + 6 > rdend)
		return TSIG_MALFORMED;
	t->mac = m + pos;
	pos += t->mac_len;
	t->orig_id = get16(m + pos);
	t->error = get16(m + pos + 2);
	t->other_len = get16(m + pos + 4);
	pos += 6;
	if (pos + t->other_len != rdend)
		return TSIG_MALFORMED;
	t->other = m + pos;
	return TSIG_OK;
}

enum tsig_status
tsig_verify(const struct tsig_key *key, const unsigned char *msg, size_t len,
    const unsigned char *reqmac, size_t reqmac_len, time_t now,
    struct tsig_info *info)
{
	unsigned char kname[TSIG_WIRE_NAME_MAX], aname[TSIG_WIRE_NAME_MAX];
	unsigned char mac[EVP_MAX_MD_SIZE];
	struct tsig_rr t;
	struct buf d = { 0 };
	enum tsig_status st;
	size_t mac_len = 0;
	unsigned char hdr[DNS_HEADER_LEN];
	int kn, an, good = 0;

	memset(info, 0, sizeof(*info));
	info->server_time = -1;
	if ((st = find_tsig(msg, len, &t)) != TSIG_OK)
		goto out;
	info->error = (uint16_t)t.error;
	info->time_signed = t.time;
	if (t.error == TSIG_ERR_BADTIME && t.other_len == 6)
		info->server_time = (int64_t)get16(t.other) << 32 |
		    (int64_t)get16(t.other + 2) << 16 | get16(t.other + 4);
	kn = tsig_name_to_wire(key->name, strlen(key->name), kname);
	an = tsig_name_to_wire(key->alg, strlen(key->alg), aname);
	if (kn != t.kname_len || an != t.aname_len ||
	    memcmp(kname, t.kname, (size_t)kn) != 0 ||
	    memcmp(aname, t.aname, (size_t)an) != 0) {
		st = t.error != 0 ? TSIG_ERROR : TSIG_OTHER_KEY;
		goto out;
	}
	if (t.mac_len > 0) {
		if (reqmac != NULL) {
			put16(&d, (unsigned)reqmac_len);
			buf_add(&d, reqmac, reqmac_len);
		}
		/* The message as signed: original ID, ARCOUNT without TSIG */
		memcpy(hdr, msg, DNS_HEADER_LEN);
		hdr[0] = (unsigned char)(t.orig_id >> 8);
		hdr[1] = (unsigned char)t.orig_id;
		hdr[10] = (unsigned char)((get16(msg + 10) - 1) >> 8);
		hdr[11] = (unsigned char)((get16(msg + 10) - 1) & 0xff);
		buf_add(&d, hdr, DNS_HEADER_LEN);
		buf_add(&d, msg + DNS_HEADER_LEN, t.start - DNS_HEADER_LEN);
		put_vars(&d, t.kname, (size_t)t.kname_len, t.aname,
		    (size_t)t.aname_len, t.time, t.fudge, t.error, t.other,
		    t.other_len);
		good = hmac(key, &d, mac, &mac_len) == 0 &&
		    mac_len == t.mac_len &&
		    CRYPTO_memcmp(mac, t.mac, mac_len) == 0;
	}
	info->verified = good;
	if (t.error != 0)
		st = TSIG_ERROR;
	else if (!good)
		st = TSIG_BAD_MAC;
	else if (t.time > (int64_t)now + t.fudge ||
	    t.time < (int64_t)now - t.fudge)
		st = TSIG_BAD_TIME;
	else
		st = TSIG_OK;
out:
	buf_free(&d);
	return st;
}

const char *
tsig_status_str(enum tsig_status st)
{
	switch (st) {
	case TSIG_OK:		return "ok";
	case TSIG_UNSIGNED:	return "not signed";
	case TSIG_MALFORMED:	return "malformed TSIG";
	case TSIG_OTHER_KEY:	return "signed with another key";
	case TSIG_BAD_MAC:	return "signature does not verify";
	case TSIG_BAD_TIME:	return "signed at a time outside the fudge";
	case TSIG_ERROR:	return "TSIG error";
	}
	return "unknown";
}

const char *
tsig_error_str(uint16_t e)
{
	switch (e) {
	case TSIG_ERR_BADSIG:	return "BADSIG";
	case TSIG_ERR_BADKEY:	return "BADKEY";
	case TSIG_ERR_BADTIME:	return "BADTIME";
	case TSIG_ERR_BADTRUNC:	return "BADTRUNC";
	}
	return "unknown TSIG error";
}

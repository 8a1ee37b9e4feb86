/*
 * privsep_msg - frames between daneroll and its network child. See
 * include/privsep_msg.h for the format and the contract.
 */
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "privsep_msg.h"
#include "util.h"

/* A reader over one frame's body; bad sticks once anything is wrong. */
struct rd {
	const uint8_t	*p;
	size_t		 len, off;
	int		 bad;
};

void
pmsg_buf_free(struct pmsg_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

static void
put(struct pmsg_buf *b, const void *p, size_t n)
{
	while (b->len + n > b->cap) {
		b->cap = b->cap ? b->cap * 2 : 256;
		b->p = xrealloc(b->p, b->cap);
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

static void
put_u8(struct pmsg_buf *b, unsigned v)
{
	uint8_t o = (uint8_t)v;

	put(b, &o, 1);
}

static void
put_u16(struct pmsg_buf *b, unsigned v)
{
	put_u8(b, v >> 8);
	put_u8(b, v);
}

static void
put_u32(struct pmsg_buf *b, uint32_t v)
{
	put_u16(b, v >> 16);
	put_u16(b, v & 0xffff);
}

static void
put_i64(struct pmsg_buf *b, int64_t v)
{
	put_u32(b, (uint32_t)((uint64_t)v >> 32));
	put_u32(b, (uint32_t)v);
}

/* Longer strings are cut: a log line loses its end, not the frame. */
static void
put_str(struct pmsg_buf *b, const char *s)
{
	size_t n = s != NULL ? strlen(s) : 0;

	if (n > PMSG_MAX_STR)
		n = PMSG_MAX_STR;
	put_u16(b, (unsigned)n);
	put(b, s, n);
}

static void
put_set(struct pmsg_buf *b, const struct tlsa_set *s)
{
	size_t i, n = s != NULL ? s->n : 0;

	put_u16(b, (unsigned)n);
	for (i = 0; i < n; i++) {
		put_u8(b, s->rr[i].usage);
		put_u8(b, s->rr[i].selector);
		put_u8(b, s->rr[i].mtype);
		put_u16(b, (unsigned)s->rr[i].len);
		put(b, s->rr[i].data, s->rr[i].len);
	}
}

/* Starts a frame; end_frame() writes its length. */
static size_t
begin_frame(struct pmsg_buf *b, enum pmsg_kind k)
{
	size_t at = b->len;

	put_u32(b, 0);
	put_u8(b, k);
	return at;
}

static void
end_frame(struct pmsg_buf *b, size_t at)
{
	uint32_t n = (uint32_t)(b->len - at - 4);

	b->p[at] = (uint8_t)(n >> 24);
	b->p[at + 1] = (uint8_t)(n >> 16);
	b->p[at + 2] = (uint8_t)(n >> 8);
	b->p[at + 3] = (uint8_t)n;
}

void
pmsg_put_request(struct pmsg_buf *b, const struct pmsg_request *r)
{
	size_t at = begin_frame(b, r->kind);

	put_u32(b, r->host);
	if (r->kind == PM_OBSERVE)
		put_str(b, r->owner);
	else
		put_u8(b, r->alg);
	put_set(b, &r->set);
	end_frame(b, at);
}

void
pmsg_put_log(struct pmsg_buf *b, int level, int cause, const char *line)
{
	size_t at = begin_frame(b, PM_LOG);

	put_u8(b, (unsigned)level);
	put_u8(b, cause != 0);
	put_str(b, line);
	end_frame(b, at);
}

void
pmsg_put_result(struct pmsg_buf *b, enum outcome o,
    const struct obs_report *r)
{
	size_t at = begin_frame(b, PM_RESULT), i;

	put_u8(b, o);
	put_u8(b, r != NULL);
	if (r != NULL) {
		put_u32(b, (uint32_t)r->nservers);
		for (i = 0; i < (size_t)r->nservers; i++) {
			put_str(b, r->servers[i].addr);
			put_str(b, r->servers[i].ns);
			put_u8(b, r->servers[i].result);
			put_u32(b, r->servers[i].serial);
		}
		put_u8(b, r->all_match != 0);
		put_u8(b, r->any_tlsa != 0);
		put_i64(b, r->neg_ttl);
		put_i64(b, r->served_ttl);
		put_set(b, &r->served);
	}
	end_frame(b, at);
}

uint32_t
pmsg_frame_len(const uint8_t h[4])
{
	uint32_t n = (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 |
	    (uint32_t)h[2] << 8 | h[3];

	return n > PMSG_MAX_FRAME ? 0 : n;
}

static const uint8_t *
take(struct rd *r, size_t n)
{
	const uint8_t *p;

	if (r->bad || n > r->len - r->off) {
		r->bad = 1;
		return NULL;
	}
	p = r->p + r->off;
	r->off += n;
	return p;
}

static unsigned
get_u8(struct rd *r)
{
	const uint8_t *p = take(r, 1);

	return p != NULL ? p[0] : 0;
}

static unsigned
get_u16(struct rd *r)
{
	unsigned hi = get_u8(r);

	return hi << 8 | get_u8(r);
}

static uint32_t
get_u32(struct rd *r)
{
	uint32_t hi = get_u16(r);

	return hi << 16 | get_u16(r);
}

static int64_t
get_i64(struct rd *r)
{
	uint64_t hi = get_u32(r);

	return (int64_t)(hi << 32 | get_u32(r));
}

/* Into a buffer of size max (NUL included): a longer string, or one
 * with a NUL inside, is malformed. */
static void
get_str_into(struct rd *r, char *dst, size_t max)
{
	size_t n = get_u16(r);
	const uint8_t *p = take(r, n);

	if (p == NULL || n >= max || memchr(p, '\0', n) != NULL) {
		r->bad = 1;
		dst[0] = '\0';
		return;
	}
	memcpy(dst, p, n);
	dst[n] = '\0';
}

static char *
get_str(struct rd *r)
{
	char *s = xmalloc(PMSG_MAX_STR + 1);

	get_str_into(r, s, PMSG_MAX_STR + 1);
	if (r->bad) {
		free(s);
		return NULL;
	}
	return s;
}

static void
get_set(struct rd *r, struct tlsa_set *s)
{
	size_t n = get_u16(r), i;

	memset(s, 0, sizeof(*s));
	if (n > PMSG_MAX_RRS) {
		r->bad = 1;
		return;
	}
	for (i = 0; i < n && !r->bad; i++) {
		struct tlsa_rr rr;
		const uint8_t *p;

		rr.usage = (uint8_t)get_u8(r);
		rr.selector = (uint8_t)get_u8(r);
		rr.mtype = (uint8_t)get_u8(r);
		rr.len = get_u16(r);
		if ((p = take(r, rr.len)) == NULL || rr.len == 0) {
			r->bad = 1;
			break;
		}
		rr.data = (unsigned char *)p;	/* copied by tlsa_set_add */
		tlsa_set_add(s, &rr);
	}
}

/* An octet that must not exceed max (an enum's last value). */
static unsigned
get_enum(struct rd *r, unsigned max)
{
	unsigned v = get_u8(r);

	if (v > max)
		r->bad = 1;
	return v;
}

static int
get_bool(struct rd *r)
{
	return (int)get_enum(r, 1);
}

/* 0 if the whole body was read and nothing was wrong. */
static int
get_end(const struct rd *r)
{
	return r->bad || r->off != r->len ? -1 : 0;
}

int
pmsg_get_request(const uint8_t *p, size_t len, struct pmsg_request *q)
{
	struct rd r = { p, len, 0, 0 };

	memset(q, 0, sizeof(*q));
	q->kind = (enum pmsg_kind)get_u8(&r);
	if (q->kind != PM_OBSERVE && q->kind != PM_VERIFY &&
	    q->kind != PM_PROBE)
		return -1;
	q->host = get_u32(&r);
	if (q->kind == PM_OBSERVE)
		q->owner = get_str(&r);
	else
		q->alg = (enum key_alg)get_enum(&r, KEY_ALG_COUNT - 1);
	get_set(&r, &q->set);
	if (get_end(&r) != 0)
		pmsg_request_free(q);
	return get_end(&r);
}

static void
get_report(struct rd *r, struct obs_report *rep)
{
	uint32_t n = get_u32(r), i;

	if (n > PMSG_MAX_SERVERS) {
		r->bad = 1;
		return;
	}
	rep->servers = n ? xcalloc(n, sizeof(*rep->servers)) : NULL;
	rep->nservers = (int)n;
	for (i = 0; i < n && !r->bad; i++) {
		struct obs_server *s = &rep->servers[i];

		get_str_into(r, s->addr, sizeof(s->addr));
		get_str_into(r, s->ns, sizeof(s->ns));
		s->result = (enum obs_result)get_enum(r, OBS_UNREACHABLE);
		s->serial = get_u32(r);
	}
	rep->all_match = get_bool(r);
	rep->any_tlsa = get_bool(r);
	rep->neg_ttl = get_i64(r);
	rep->served_ttl = get_i64(r);
	get_set(r, &rep->served);
}

int
pmsg_get_reply(const uint8_t *p, size_t len, struct pmsg_reply *m)
{
	struct rd r = { p, len, 0, 0 };

	memset(m, 0, sizeof(*m));
	m->kind = (enum pmsg_kind)get_u8(&r);
	if (m->kind == PM_LOG) {
		m->level = (int)get_enum(&r, LOG_LVL_DEBUG);
		m->cause = get_bool(&r);
		m->line = get_str(&r);
	} else if (m->kind == PM_RESULT) {
		m->outcome = (enum outcome)get_enum(&r, OUT_PERMFAIL);
		if ((m->has_report = get_bool(&r)))
			get_report(&r, &m->report);
	} else
		return -1;
	if (get_end(&r) != 0)
		pmsg_reply_free(m);
	return get_end(&r);
}

void
pmsg_request_free(struct pmsg_request *q)
{
	free(q->owner);
	tlsa_set_free(&q->set);
	memset(q, 0, sizeof(*q));
}

void
pmsg_reply_free(struct pmsg_reply *m)
{
	free(m->line);
	obs_report_free(&m->report);
	memset(m, 0, sizeof(*m));
}

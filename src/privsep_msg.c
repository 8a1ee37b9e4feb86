/*
 * privsep_msg - frames between daneroll and its network child. See
 * include/privsep_msg.h for the format and the contract.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

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

/* A string that may be NULL. */
static void
put_opt(struct pmsg_buf *b, const char *s)
{
	put_u8(b, s != NULL);
	if (s != NULL)
		put_str(b, s);
}

static void
put_tlsa(struct pmsg_buf *b, const struct resolve_tlsa *t)
{
	put_u8(b, t->sec);
	put_u8(b, t->exists != 0);
	put_u8(b, t->nxdomain != 0);
	put_opt(b, t->expanded);
	put_set(b, &t->set);
	put_i64(b, t->ttl);
	put_i64(b, t->orig_ttl);
	put_i64(b, (int64_t)t->sig_expires);
	put_u32(b, (uint32_t)t->nsigs);
	put_str(b, t->why);
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

/* The requests about an owner name rather than an algorithm. */
static int
pmsg_has_owner(enum pmsg_kind k)
{
	return k == PM_OBSERVE || k == PM_DOC_ZONE || k == PM_DOC_TLSA;
}

void
pmsg_put_request(struct pmsg_buf *b, const struct pmsg_request *r)
{
	size_t at = begin_frame(b, r->kind);
	uint32_t i;

	if (r->kind == PM_CHECK) {
		put_u32(b, r->nhosts);
		for (i = 0; i < r->nhosts; i++)
			put_u32(b, r->hosts[i]);
		put_u32(b, (uint32_t)r->opts.connect_ms);
		put_u32(b, (uint32_t)r->opts.idle_ms);
		put_u32(b, (uint32_t)r->opts.total_ms);
		put_u32(b, (uint32_t)r->opts.parallel);
		put_u32(b, (uint32_t)r->opts.per_server);
		put_u32(b, (uint32_t)r->opts.dns_timeout_secs);
		put_str(b, r->opts.helo);
		end_frame(b, at);
		return;
	}
	put_u32(b, r->host);
	if (pmsg_has_owner(r->kind))
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

void
pmsg_put_net_head(struct pmsg_buf *b, const struct check_net *n)
{
	size_t at = begin_frame(b, PM_NET_HEAD);

	put_u8(b, n->no_resolver != 0);
	put_u8(b, n->resolver_local != 0);
	put_str(b, n->resolver);
	put_u32(b, (uint32_t)n->nnames);
	put_u32(b, (uint32_t)n->neps);
	end_frame(b, at);
}

void
pmsg_put_net_name(struct pmsg_buf *b, const struct verify_name *vn)
{
	size_t at = begin_frame(b, PM_NET_NAME);
	int i;

	put_opt(b, vn->name);
	put_u16(b, (unsigned)vn->port);
	put_u8(b, vn->addrs.sec);
	put_u8(b, vn->addrs.nxdomain != 0);
	put_opt(b, vn->addrs.expanded);
	put_u32(b, (uint32_t)vn->addrs.naddr);
	for (i = 0; i < vn->addrs.naddr; i++) {
		put_u8(b, vn->addrs.addr[i].family == AF_INET6);
		put_str(b, vn->addrs.addr[i].text);
	}
	put_u8(b, vn->addrs.too_many != 0);
	put_str(b, vn->addrs.why);
	put_opt(b, vn->owner);
	put_opt(b, vn->base);
	put_tlsa(b, &vn->tlsa);
	put_opt(b, vn->other_owner);
	put_tlsa(b, &vn->other);
	put_u8(b, vn->has_other != 0);
	end_frame(b, at);
}

void
pmsg_put_net_ep(struct pmsg_buf *b, const struct verify_endpoint *ep,
    const struct tlsa_set *matched)
{
	size_t at = begin_frame(b, PM_NET_EP);

	put_u8(b, ep->status);
	put_str(b, ep->detail);
	put_str(b, ep->tls_version);
	put_str(b, ep->cipher);
	put_u32(b, (uint32_t)ep->usage);
	put_u32(b, (uint32_t)ep->selector);
	put_u32(b, (uint32_t)ep->mtype);
	put_u32(b, (uint32_t)ep->depth);
	put_i64(b, (int64_t)ep->not_after);
	put_str(b, ep->spki);
	put_u32(b, (uint32_t)ep->leaf_alg);
	put_i64(b, ep->elapsed_ms);
	put_set(b, matched);
	end_frame(b, at);
}

void
pmsg_put_doc_zone(struct pmsg_buf *b, const struct doctor_net_zone *z)
{
	size_t at = begin_frame(b, PM_DOC_ZONE_ANS);
	int i, n = z->nservers > (int)PMSG_MAX_SERVERS ?
	    (int)PMSG_MAX_SERVERS : z->nservers;

	put_str(b, z->zone);
	put_u8(b, z->examined != 0);
	put_u8(b, z->zone_signed != 0);
	put_u32(b, (uint32_t)n);
	for (i = 0; i < n; i++) {
		const struct doctor_net_server *s = &z->servers[i];

		put_str(b, s->addr);
		put_str(b, s->ns);
		put_u8(b, s->no_address != 0);
		put_u32(b, (uint32_t)s->err);
		put_u16(b, (unsigned)s->rcode);
		put_u8(b, s->aa != 0);
		put_u8(b, s->has_soa != 0);
		put_u32(b, s->serial);
		put_u8(b, s->soa_signed != 0);
	}
	put_str(b, z->resolver);
	put_u32(b, (uint32_t)z->res_err);
	put_u16(b, (unsigned)z->res_rcode);
	put_u8(b, z->res_ra != 0);
	put_u8(b, z->res_ad != 0);
	end_frame(b, at);
}

void
pmsg_put_doc_tlsa(struct pmsg_buf *b, const struct resolve_tlsa *t)
{
	size_t at = begin_frame(b, PM_DOC_TLSA_ANS);

	put_tlsa(b, t);
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

/* A 32-bit integer between min and max. */
static int
get_int(struct rd *r, int min, int max)
{
	int32_t v = (int32_t)get_u32(r);

	if (v < min || v > max)
		r->bad = 1;
	return (int)v;
}

static char *
get_opt(struct rd *r)
{
	return get_bool(r) ? get_str(r) : NULL;
}

static void
get_tlsa(struct rd *r, struct resolve_tlsa *t)
{
	char why[sizeof(t->why)];

	t->sec = (enum resolve_sec)get_enum(r, RESOLVE_FAIL);
	t->exists = get_bool(r);
	t->nxdomain = get_bool(r);
	t->expanded = get_opt(r);
	get_set(r, &t->set);
	t->ttl = get_i64(r);
	t->orig_ttl = get_i64(r);
	t->sig_expires = (time_t)get_i64(r);
	t->nsigs = get_int(r, 0, INT32_MAX);
	get_str_into(r, why, sizeof(why));
	memcpy(t->why, why, sizeof(why));
}

static void
get_name(struct rd *r, struct verify_name *vn)
{
	struct resolve_addrs *a = &vn->addrs;
	uint32_t n, i;

	vn->name = get_opt(r);
	vn->port = (int)get_u16(r);
	a->sec = (enum resolve_sec)get_enum(r, RESOLVE_FAIL);
	a->nxdomain = get_bool(r);
	a->expanded = get_opt(r);
	if ((n = get_u32(r)) > RESOLVE_ADDRS_MAX) {
		r->bad = 1;
		return;
	}
	a->addr = n ? xcalloc(n, sizeof(*a->addr)) : NULL;
	for (i = 0; i < n && !r->bad; i++, a->naddr++) {
		a->addr[i].family = get_bool(r) ? AF_INET6 : AF_INET;
		get_str_into(r, a->addr[i].text, sizeof(a->addr[i].text));
	}
	a->too_many = get_bool(r);
	get_str_into(r, a->why, sizeof(a->why));
	vn->owner = get_opt(r);
	vn->base = get_opt(r);
	get_tlsa(r, &vn->tlsa);
	vn->other_owner = get_opt(r);
	get_tlsa(r, &vn->other);
	vn->has_other = get_bool(r);
}

static void
get_ep(struct rd *r, struct verify_endpoint *ep, struct tlsa_set *matched)
{
	ep->status = (enum verify_status)get_enum(r, VS_NOT_RUN);
	get_str_into(r, ep->detail, sizeof(ep->detail));
	get_str_into(r, ep->tls_version, sizeof(ep->tls_version));
	get_str_into(r, ep->cipher, sizeof(ep->cipher));
	ep->usage = get_int(r, -1, 255);
	ep->selector = get_int(r, -1, 255);
	ep->mtype = get_int(r, -1, 255);
	ep->depth = get_int(r, -1, 65535);
	ep->not_after = (time_t)get_i64(r);
	get_str_into(r, ep->spki, sizeof(ep->spki));
	ep->leaf_alg = get_int(r, -1, KEY_ALG_COUNT - 1);
	ep->elapsed_ms = (long)get_i64(r);
	get_set(r, matched);
}

static void
get_doc_zone(struct rd *r, struct doctor_net_zone *z)
{
	uint32_t n, i;

	get_str_into(r, z->zone, sizeof(z->zone));
	z->examined = get_bool(r);
	z->zone_signed = get_bool(r);
	if ((n = get_u32(r)) > PMSG_MAX_SERVERS) {
		r->bad = 1;
		return;
	}
	z->servers = xcalloc((size_t)n + 1, sizeof(*z->servers));
	for (i = 0; i < n && !r->bad; i++, z->nservers++) {
		struct doctor_net_server *s = &z->servers[i];

		get_str_into(r, s->addr, sizeof(s->addr));
		get_str_into(r, s->ns, sizeof(s->ns));
		s->no_address = get_bool(r);
		s->err = get_int(r, 0, 65535);
		s->rcode = (int)get_u16(r);
		s->aa = get_bool(r);
		s->has_soa = get_bool(r);
		s->serial = get_u32(r);
		s->soa_signed = get_bool(r);
	}
	get_str_into(r, z->resolver, sizeof(z->resolver));
	z->res_err = get_int(r, 0, 65535);
	z->res_rcode = (int)get_u16(r);
	z->res_ra = get_bool(r);
	z->res_ad = get_bool(r);
}

/* 0 if the whole body was read and nothing was wrong. */
static int
get_end(const struct rd *r)
{
	return r->bad || r->off != r->len ? -1 : 0;
}

static void
get_check(struct rd *r, struct pmsg_request *q)
{
	uint32_t i;

	if ((q->nhosts = get_u32(r)) > PMSG_MAX_HOSTS ||
	    (size_t)q->nhosts * 4 > r->len - r->off) {
		r->bad = 1;
		q->nhosts = 0;
		return;
	}
	q->hosts = xcalloc((size_t)q->nhosts + 1, sizeof(*q->hosts));
	for (i = 0; i < q->nhosts; i++)
		q->hosts[i] = get_u32(r);
	q->opts.connect_ms = get_int(r, 0, INT32_MAX);
	q->opts.idle_ms = get_int(r, 0, INT32_MAX);
	q->opts.total_ms = get_int(r, 0, INT32_MAX);
	q->opts.parallel = get_int(r, 1, 65536);
	q->opts.per_server = get_int(r, 1, 65536);
	q->opts.dns_timeout_secs = get_int(r, 0, 3600);
	get_str_into(r, q->opts.helo, sizeof(q->opts.helo));
}

int
pmsg_get_request(const uint8_t *p, size_t len, struct pmsg_request *q)
{
	struct rd r = { p, len, 0, 0 };

	memset(q, 0, sizeof(*q));
	q->kind = (enum pmsg_kind)get_u8(&r);
	if (q->kind == PM_CHECK) {
		get_check(&r, q);
		if (get_end(&r) != 0)
			pmsg_request_free(q);
		return get_end(&r);
	}
	if (!pmsg_has_owner(q->kind) && q->kind != PM_VERIFY &&
	    q->kind != PM_PROBE)
		return -1;
	q->host = get_u32(&r);
	if (pmsg_has_owner(q->kind))
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
	} else if (m->kind == PM_NET_HEAD) {
		m->net.no_resolver = get_bool(&r);
		m->net.resolver_local = get_bool(&r);
		get_str_into(&r, m->net.resolver, sizeof(m->net.resolver));
		m->net.nnames = get_int(&r, 0, INT32_MAX);
		m->net.neps = get_int(&r, 0, INT32_MAX);
	} else if (m->kind == PM_NET_NAME)
		get_name(&r, &m->name);
	else if (m->kind == PM_NET_EP)
		get_ep(&r, &m->ep, &m->ep_matched);
	else if (m->kind == PM_DOC_ZONE_ANS)
		get_doc_zone(&r, &m->dzone);
	else if (m->kind == PM_DOC_TLSA_ANS)
		get_tlsa(&r, &m->tlsa);
	else
		return -1;
	if (get_end(&r) != 0)
		pmsg_reply_free(m);
	return get_end(&r);
}

void
pmsg_request_free(struct pmsg_request *q)
{
	free(q->owner);
	free(q->hosts);
	tlsa_set_free(&q->set);
	memset(q, 0, sizeof(*q));
}

void
pmsg_reply_free(struct pmsg_reply *m)
{
	free(m->line);
	obs_report_free(&m->report);
	verify_name_free(&m->name);
	verify_endpoint_clear(&m->ep);
	tlsa_set_free(&m->ep_matched);
	doctor_net_zone_free(&m->dzone);
	resolve_tlsa_free(&m->tlsa);
	memset(m, 0, sizeof(*m));
}

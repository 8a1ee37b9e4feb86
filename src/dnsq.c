/*
 * dnsq - concurrent direct DNS queries over non-blocking UDP and TCP
 * sockets, one poll() loop. See include/dnsq.h for the contract.
 *
 * Each query moves through WAITING -> UDP [-> TCP_CONNECT -> TCP_WRITE ->
 * TCP_READ] -> DONE. A UDP socket is connect()ed, so the kernel reports
 * an ICMP port unreachable as ECONNREFUSED and a missing route as
 * ENETUNREACH at once, rather than letting the try run into its timeout:
 * a stopped server is told apart from a silent one.
 *
 * ldns builds the query (or parses the caller's prebuilt one for its ID
 * and question) and parses the answer for the match check; the answer
 * itself goes back to the caller as wire data, unparsed, so that what was
 * classified is exactly what came off the network - and, for a TSIG-signed
 * exchange, what the caller verifies.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <ldns/ldns.h>

#include "dnsq.h"
#include "util.h"

#define DNSQ_EDNS_SIZE	1232		/* the DNS flag day 2020 value */
#define DNSQ_MAX_MSG	65535

const struct dnsq_limits dnsq_default_limits = { 16, 1500, 3, 5000, 0 };

enum qphase {
	Q_WAITING = 0,
	Q_UDP,
	Q_TCP_CONNECT,
	Q_TCP_WRITE,
	Q_TCP_READ,
	Q_DONE
};

struct qstate {
	enum qphase	 phase;
	int		 fd;
	uint16_t	 id;
	ldns_rdf	*qname;		/* for the match check */
	uint16_t	 qtype;
	uint8_t		*msg;		/* 2-octet length + query */
	size_t		 msglen;	/* including the length prefix */
	int		 tries;
	int64_t		 deadline;	/* ms, monotonic */
	size_t		 off;		/* TCP: octets written or read */
	uint8_t		*rbuf;		/* TCP: 2-octet length + answer */
	size_t		 rlen;		/* TCP: total expected, 0 unknown */
};

static uint16_t
random_id(void)
{
	uint16_t id;

	if (getrandom(&id, sizeof(id), 0) != (ssize_t)sizeof(id)) {
		/* Only before the entropy pool is ready; still unpredictable
		 * enough against an off-path guess within one query. */
		id = (uint16_t)(util_mono_ms() ^ (getpid() << 3));
	}
	return id;
}

int
dnsq_addr_parse(const char *text, int default_port,
    struct sockaddr_storage *ss, socklen_t *len)
{
	char host[128], port[8];
	const char *p, *sep = NULL;
	struct addrinfo hints, *res = NULL;
	struct in_addr in4;
	size_t hl;
	int r = -1;

	if (text == NULL || *text == '\0')
		goto done;
	if (text[0] == '[') {
		/* "[2001:db8::1]" or "[2001:db8::1]:53" */
		if ((p = strchr(text, ']')) == NULL)
			goto done;
		hl = (size_t)(p - text - 1);
		text++;
		if (p[1] == ':')
			sep = p + 1;
		else if (p[1] != '\0')
			goto done;
	} else {
		sep = strchr(text, '#');
		hl = sep ? (size_t)(sep - text) : strlen(text);
	}
	if (hl == 0 || hl >= sizeof(host))
		goto done;
	memcpy(host, text, hl);
	host[hl] = '\0';
	/* Dotted quads only: getaddrinfo would also take inet_aton's
	 * "127.1" or "0x7f.1", which no one writes on purpose. */
	if (strchr(host, ':') == NULL && inet_pton(AF_INET, host, &in4) != 1)
		goto done;
	if (sep != NULL) {
		char *end;
		long v = strtol(sep + 1, &end, 10);

		if (!isdigit((unsigned char)sep[1]) || *end != '\0' ||
		    v < 1 || v > 65535)
			goto done;
		snprintf(port, sizeof(port), "%ld", v);
	} else
		snprintf(port, sizeof(port), "%d", default_port);
	memset(&hints, 0, sizeof(hints));
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	hints.ai_socktype = SOCK_DGRAM;
	if (getaddrinfo(host, port, &hints, &res) != 0 || res == NULL ||
	    res->ai_addrlen > sizeof(*ss))
		goto done;
	memset(ss, 0, sizeof(*ss));
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	r = 0;
done:
	if (res != NULL)
		freeaddrinfo(res);
	return r;
}

void
dnsq_addr_str(const struct sockaddr *sa, char *out, size_t outlen)
{
	char host[NI_MAXHOST], serv[NI_MAXSERV];
	socklen_t len = sa->sa_family == AF_INET6 ?
	    sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);

	if (getnameinfo(sa, len, host, sizeof(host), serv, sizeof(serv),
	    NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
		snprintf(out, outlen, "?");
		return;
	}
	if (strcmp(serv, "53") == 0)
		snprintf(out, outlen, "%s", host);
	else
		snprintf(out, outlen, "%s#%s", host, serv);
}

const char *
dnsq_strerror(int err)
{
	switch (err) {
	case 0:			return "answered";
	case ETIMEDOUT:		return "no answer (timed out)";
	case ECONNREFUSED:	return "connection refused (nothing listens)";
	case ENETUNREACH:	return "network unreachable from this host";
	case EADDRNOTAVAIL:	return "no source address for it on this host";
	case EHOSTUNREACH:	return "host unreachable";
	case ETIME:		return "answer over TCP not complete in time "
				    "(a stalled or trickling server)";
	case EPROTO:		return "malformed or mismatched answer";
	case EINVAL:		return "bad query name or message";
	case ECONNRESET:	return "connection reset";
	default:		return strerror(err);
	}
}

const char *
dnsq_rcode_str(int rcode)
{
	/* One slot per header rcode: two in one message never clash. */
	static char other[16][8];
	ldns_lookup_table *lt = ldns_lookup_by_id(ldns_rcodes, rcode);

	if (lt != NULL)
		return lt->name;
	if (rcode < 0 || rcode > 15)
		return "RCODE?";
	snprintf(other[rcode], sizeof(other[rcode]), "RCODE%d", rcode);
	return other[rcode];
}

/* Keeps wire (len octets) in TCP framing (length prefix) as st's query;
 * UDP sends from offset 2. */
static void
frame_query(struct qstate *st, const uint8_t *wire, size_t len)
{
	st->msg = xmalloc(len + 2);
	st->msg[0] = (uint8_t)(len >> 8);
	st->msg[1] = (uint8_t)len;
	memcpy(st->msg + 2, wire, len);
	st->msglen = len + 2;
}

/* The caller's message as it is: its ID and question are what the
 * answer must match. */
static int
take_msg(const struct dnsq *q, struct qstate *st)
{
	ldns_pkt *pkt = NULL;
	ldns_rr *qrr;
	int r = -1;

	if (q->msglen < LDNS_HEADER_SIZE || q->msglen > DNSQ_MAX_MSG ||
	    ldns_wire2pkt(&pkt, q->msg, q->msglen) != LDNS_STATUS_OK ||
	    ldns_rr_list_rr_count(ldns_pkt_question(pkt)) != 1)
		goto done;
	qrr = ldns_rr_list_rr(ldns_pkt_question(pkt), 0);
	if ((st->qname = ldns_rdf_clone(ldns_rr_owner(qrr))) == NULL)
		goto done;
	st->qtype = (uint16_t)ldns_rr_get_type(qrr);
	st->id = ldns_pkt_id(pkt);
	frame_query(st, q->msg, q->msglen);
	r = 0;
done:
	if (pkt != NULL)
		ldns_pkt_free(pkt);
	return r;
}

/* The query for qname/qtype, built here. */
static int
build_query(const struct dnsq *q, struct qstate *st)
{
	ldns_pkt *pkt = NULL;
	ldns_rdf *name = NULL;
	uint8_t *wire = NULL;
	size_t len = 0;
	int r = -1;

	if (q->msg != NULL)
		return take_msg(q, st);
	if ((name = ldns_dname_new_frm_str(q->qname)) == NULL)
		goto done;
	if ((st->qname = ldns_rdf_clone(name)) == NULL)
		goto done;
	st->qtype = q->qtype;
	pkt = ldns_pkt_query_new(name, (ldns_rr_type)q->qtype,
	    LDNS_RR_CLASS_IN, (uint16_t)((q->rd ? LDNS_RD : 0) |
	    (q->ad ? LDNS_AD : 0) | (q->cd ? LDNS_CD : 0)));
	name = NULL;	/* the packet owns it now */
	if (pkt == NULL)
		goto done;
	st->id = random_id();
	ldns_pkt_set_id(pkt, st->id);
	ldns_pkt_set_edns_udp_size(pkt, DNSQ_EDNS_SIZE);
	ldns_pkt_set_edns_do(pkt, 1);
	if (ldns_pkt2wire(&wire, pkt, &len) != LDNS_STATUS_OK ||
	    len > DNSQ_MAX_MSG)
		goto done;
	frame_query(st, wire, len);
	r = 0;
done:
	if (name != NULL)
		ldns_rdf_deep_free(name);
	if (pkt != NULL)
		ldns_pkt_free(pkt);
	free(wire);
	return r;
}

/* Is this the answer to our query (ID, QR, question)? */
static int
answer_matches(const struct qstate *st, const uint8_t *wire, size_t len)
{
	ldns_pkt *pkt = NULL;
	ldns_rr_list *qs;
	ldns_rr *qrr;
	int ok = 0;

	if (len < LDNS_HEADER_SIZE ||
	    ldns_wire2pkt(&pkt, wire, len) != LDNS_STATUS_OK)
		goto done;
	if (!ldns_pkt_qr(pkt) || ldns_pkt_id(pkt) != st->id)
		goto done;
	qs = ldns_pkt_question(pkt);
	if (ldns_rr_list_rr_count(qs) == 0) {
		/* Some servers drop the question from an error answer. */
		ok = ldns_pkt_get_rcode(pkt) != LDNS_RCODE_NOERROR;
		goto done;
	}
	qrr = ldns_rr_list_rr(qs, 0);
	ok = ldns_rr_list_rr_count(qs) == 1 &&
	    ldns_rr_get_type(qrr) == (ldns_rr_type)st->qtype &&
	    ldns_dname_compare(ldns_rr_owner(qrr), st->qname) == 0;
done:
	if (pkt != NULL)
		ldns_pkt_free(pkt);
	return ok;
}

static void
finish(struct dnsq *q, struct qstate *st, int err)
{
	if (st->fd != -1)
		(void)close(st->fd);
	st->fd = -1;
	st->phase = Q_DONE;
	q->err = err;
}

static void
accept_answer(struct dnsq *q, struct qstate *st, const uint8_t *wire,
    size_t len)
{
	q->wire = xmalloc(len ? len : 1);
	memcpy(q->wire, wire, len);
	q->wirelen = len;
	finish(q, st, 0);
}

static void
udp_send(struct dnsq *q, struct qstate *st, int64_t now,
    const struct dnsq_limits *lim)
{
	st->tries++;
	st->deadline = now + lim->try_ms;
	if (send(st->fd, st->msg + 2, st->msglen - 2, 0) < 0 &&
	    errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
		finish(q, st, errno);
}

static void
start(struct dnsq *q, struct qstate *st, int64_t now,
    const struct dnsq_limits *lim)
{
	if (build_query(q, st) != 0) {
		finish(q, st, EINVAL);
		return;
	}
	st->fd = socket(q->addr.ss_family, SOCK_DGRAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (st->fd == -1) {
		finish(q, st, errno);
		return;
	}
	if (connect(st->fd, (struct sockaddr *)&q->addr, q->addrlen) != 0) {
		finish(q, st, errno);
		return;
	}
	st->phase = Q_UDP;
	udp_send(q, st, now, lim);
}

static void
tcp_start(struct dnsq *q, struct qstate *st, int64_t now,
    const struct dnsq_limits *lim)
{
	(void)close(st->fd);
	st->fd = socket(q->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (st->fd == -1) {
		finish(q, st, errno);
		return;
	}
	st->deadline = now + lim->tcp_ms;
	st->off = 0;
	q->tcp = 1;
	if (connect(st->fd, (struct sockaddr *)&q->addr, q->addrlen) != 0) {
		if (errno != EINPROGRESS) {
			finish(q, st, errno);
			return;
		}
		st->phase = Q_TCP_CONNECT;
		return;
	}
	st->phase = Q_TCP_WRITE;
}

static void
udp_read(struct dnsq *q, struct qstate *st, uint8_t *buf, int64_t now,
    const struct dnsq_limits *lim)
{
	ssize_t n;

	/* Drain what is queued: a forged datagram must not hide ours. */
	for (;;) {
		n = recv(st->fd, buf, DNSQ_MAX_MSG, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				finish(q, st, errno);
			return;
		}
		if (!answer_matches(st, buf, (size_t)n))
			continue;
		if (buf[2] & 0x02) {		/* TC */
			tcp_start(q, st, now, lim);
			return;
		}
		accept_answer(q, st, buf, (size_t)n);
		return;
	}
}

static void
tcp_io(struct dnsq *q, struct qstate *st)
{
	ssize_t n;
	int soerr = 0;
	socklen_t sl = sizeof(soerr);

	if (st->phase == Q_TCP_CONNECT) {
		if (getsockopt(st->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0)
			soerr = errno;
		if (soerr != 0) {
			finish(q, st, soerr);
			return;
		}
		st->phase = Q_TCP_WRITE;
	}
	if (st->phase == Q_TCP_WRITE) {
		n = send(st->fd, st->msg + st->off, st->msglen - st->off,
		    MSG_NOSIGNAL);
		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR)
				finish(q, st, errno);
			return;
		}
		st->off += (size_t)n;
		if (st->off < st->msglen)
			return;
		st->phase = Q_TCP_READ;
		st->off = 0;
		st->rbuf = xmalloc(DNSQ_MAX_MSG + 2);
		return;
	}
	/* Q_TCP_READ: the length prefix, then the message. */
	n = recv(st->fd, st->rbuf + st->off, (st->rlen ? st->rlen : 2) -
	    st->off, 0);
	if (n < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			finish(q, st, errno);
		return;
	}
	if (n == 0) {
		finish(q, st, ECONNRESET);
		return;
	}
	st->off += (size_t)n;
	if (st->rlen == 0 && st->off == 2) {
		st->rlen = 2 + ((size_t)st->rbuf[0] << 8 | st->rbuf[1]);
		if (st->rlen == 2) {
			finish(q, st, EPROTO);
			return;
		}
	}
	if (st->rlen == 0 || st->off < st->rlen)
		return;
	if (!answer_matches(st, st->rbuf + 2, st->rlen - 2)) {
		finish(q, st, EPROTO);
		return;
	}
	accept_answer(q, st, st->rbuf + 2, st->rlen - 2);
}

size_t
dnsq_window_after(size_t window, int answered, const struct dnsq_limits *lim)
{
	size_t start = lim->inflight > 0 ? (size_t)lim->inflight : 1;

	if (!answered || lim->max_inflight <= lim->inflight)
		return start;
	return window < (size_t)lim->max_inflight ? window + 1 : window;
}

static void
on_timeout(struct dnsq *q, struct qstate *st, int64_t now,
    const struct dnsq_limits *lim)
{
	if (st->phase == Q_UDP && st->tries < lim->udp_tries)
		udp_send(q, st, now, lim);
	else if (st->phase == Q_TCP_READ && st->off > 0)
		finish(q, st, ETIME);	/* it began, and dragged on */
	else
		finish(q, st, ETIMEDOUT);
}

/* After a poll(): reads what is ready, times out what is due; the window
 * as these answers and losses leave it. */
static size_t
serve_polled(struct dnsq *qs, struct qstate *st, const struct pollfd *pfd,
    const size_t *idx, size_t np, uint8_t *buf,
    const struct dnsq_limits *lim, size_t window)
{
	int64_t now = util_mono_ms();
	size_t i;

	for (i = 0; i < np; i++) {
		size_t k = idx[i];

		if (pfd[i].revents == 0)
			continue;
		if (st[k].phase == Q_UDP)
			udp_read(&qs[k], &st[k], buf, now, lim);
		else
			tcp_io(&qs[k], &st[k]);
		if (st[k].phase == Q_DONE && qs[k].err == 0)
			window = dnsq_window_after(window, 1, lim);
	}
	for (i = 0; i < np; i++) {
		size_t k = idx[i];

		if (st[k].phase != Q_DONE && st[k].deadline <= now) {
			on_timeout(&qs[k], &st[k], now, lim);
			window = dnsq_window_after(window, 0, lim);
		}
	}
	return window;
}

void
dnsq_run(struct dnsq *qs, size_t n, const struct dnsq_limits *lim)
{
	struct qstate *st = NULL;
	struct pollfd *pfd = NULL;
	size_t *idx = NULL;
	uint8_t *buf = NULL;
	size_t i, next = 0, done = 0, window;

	if (lim == NULL)
		lim = &dnsq_default_limits;
	if (n == 0)
		goto cleanup;
	st = xcalloc(n, sizeof(*st));
	pfd = xcalloc(n, sizeof(*pfd));
	idx = xcalloc(n, sizeof(*idx));
	buf = xmalloc(DNSQ_MAX_MSG);
	for (i = 0; i < n; i++) {
		st[i].fd = -1;
		qs[i].wire = NULL;
		qs[i].wirelen = 0;
		qs[i].err = 0;
		qs[i].tcp = 0;
	}
	window = lim->inflight > 0 ? (size_t)lim->inflight : 1;
	while (done < n) {
		int64_t now = util_mono_ms(), wait = -1;
		size_t active = 0, np = 0;

		for (i = 0; i < next; i++)
			if (st[i].phase != Q_DONE)
				active++;
		while (active < window && next < n) {
			start(&qs[next], &st[next], now, lim);
			if (st[next].phase != Q_DONE)
				active++;
			next++;
		}
		for (i = 0; i < next; i++) {
			if (st[i].phase == Q_DONE)
				continue;
			pfd[np].fd = st[i].fd;
			pfd[np].events = (st[i].phase == Q_TCP_CONNECT ||
			    st[i].phase == Q_TCP_WRITE) ? POLLOUT : POLLIN;
			pfd[np].revents = 0;
			idx[np++] = i;
			if (wait < 0 || st[i].deadline - now < wait)
				wait = st[i].deadline - now;
		}
		if (np > 0) {
			if (wait < 0)
				wait = 0;
			if (poll(pfd, np, (int)wait) < 0 && errno != EINTR) {
				/* Only ENOMEM and the like: give up on what
				 * is in flight rather than spin. */
				int e = errno;

				for (i = 0; i < np; i++)
					finish(&qs[idx[i]], &st[idx[i]], e);
				continue;
			}
			window = serve_polled(qs, st, pfd, idx, np, buf, lim,
			    window);
		}
		done = 0;
		for (i = 0; i < next; i++)
			if (st[i].phase == Q_DONE)
				done++;
	}
cleanup:
	for (i = 0; st != NULL && i < n; i++) {
		if (st[i].fd != -1)
			(void)close(st[i].fd);
		if (st[i].qname != NULL)
			ldns_rdf_deep_free(st[i].qname);
		free(st[i].msg);
		free(st[i].rbuf);
	}
	free(st);
	free(pfd);
	free(idx);
	free(buf);
}

void
dnsq_free(struct dnsq *qs, size_t n)
{
	size_t i;

	for (i = 0; qs != NULL && i < n; i++) {
		free(qs[i].wire);
		qs[i].wire = NULL;
		qs[i].wirelen = 0;
	}
}

void
dnsq_query_init(struct dnsq *q, const struct sockaddr_storage *sa,
    socklen_t len, const char *name, uint16_t type, int rd)
{
	memset(q, 0, sizeof(*q));
	q->addr = *sa;
	q->addrlen = len;
	if (strlen(name) < sizeof(q->qname))
		memcpy(q->qname, name, strlen(name) + 1);
	else	/* too long: an invalid name, which dnsq_run reports as EINVAL */
		memcpy(q->qname, "..", 3);
	q->qtype = type;
	q->rd = rd;
}

void
dnsq_query_init_msg(struct dnsq *q, const struct sockaddr_storage *sa,
    socklen_t len, const uint8_t *msg, size_t msglen)
{
	memset(q, 0, sizeof(*q));
	q->addr = *sa;
	q->addrlen = len;
	q->msg = msg;
	q->msglen = msglen;
}

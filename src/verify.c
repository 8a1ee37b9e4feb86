/*
 * verify - DNS for an MX name as a DANE sender sees it, concurrent SMTP
 * STARTTLS + DANE handshakes, and the engine's verifier. See
 * include/verify.h.
 *
 * The TLS side leans on OpenSSL's DANE code rather than matching records
 * itself: SSL_dane_enable + SSL_dane_tlsa_add per record, SSL_VERIFY_PEER
 * with a callback that lets the handshake finish (so that a mismatching
 * chain is still seen, its expiry and key recorded), and the verdict taken
 * from SSL_get_verify_result() and SSL_get0_dane_tlsa() afterwards. The
 * contexts carry no trust store: without a usable TLSA record nothing
 * verifies, never a PKIX fallback.
 *
 * SIGPIPE is blocked while the loop runs (OpenSSL writes with write(2))
 * and a SIGPIPE raised meanwhile is consumed before the mask is restored.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "cert.h"
#include "key.h"
#include "log.h"
#include "opener.h"
#include "smtp.h"
#include "verify.h"

/*
 * The largest certificate chain (Certificate handshake message) accepted:
 * OpenSSL's default, set here so that the limit is ours and documented. A
 * server sending more is cut off as soon as the message header says so.
 */
#define VERIFY_CERT_LIST_MAX	(100 * 1024)

/* What the client offers per algorithm, so that the server must show
 * that algorithm's chain: TLS 1.3 picks the certificate by signature
 * algorithm, TLS 1.2 by the cipher's authentication too. */
static const struct {
	const char	*sigalgs;
	const char	*ciphers;
} alg_offer[KEY_ALG_COUNT] = {
	[KEY_ALG_RSA2048] = {
		"RSA-PSS+SHA256:RSA-PSS+SHA384:RSA-PSS+SHA512:"
		"rsa_pss_pss_sha256:rsa_pss_pss_sha384:rsa_pss_pss_sha512:"
		"RSA+SHA256:RSA+SHA384:RSA+SHA512",
		"aRSA:!aNULL:!eNULL"
	},
	[KEY_ALG_ECDSA_P256] = {
		"ECDSA+SHA256:ECDSA+SHA384:ECDSA+SHA512",
		"aECDSA:!aNULL:!eNULL"
	},
};

void
verify_opts_init(struct verify_opts *o)
{
	char host[256];

	memset(o, 0, sizeof(*o));
	o->connect_ms = 10000;
	o->idle_ms = 20000;
	o->total_ms = 45000;
	o->parallel = 256;
	o->per_server = 8;
	o->dns_timeout_secs = 5;
	if (gethostname(host, sizeof(host)) != 0)
		host[0] = '\0';
	host[sizeof(host) - 1] = '\0';
	if (!util_valid_hostname(host))
		snprintf(host, sizeof(host), "daneroll.invalid");
	snprintf(o->helo, sizeof(o->helo), "%s", host);
}

const char *
verify_status_str(enum verify_status s)
{
	switch (s) {
	case VS_MATCH:		return "match";
	case VS_MISMATCH:	return "mismatch";
	case VS_NO_STARTTLS:	return "no-starttls";
	case VS_HANDSHAKE:	return "handshake-failed";
	case VS_SMTP_PERM:	return "smtp-error";
	case VS_SMTP_TEMP:	return "smtp-tempfail";
	case VS_UNREACHABLE:	return "unreachable";
	case VS_TIMEOUT:	return "timeout";
	case VS_LOCAL:		return "local-error";
	case VS_NOT_RUN:	return "not-run";
	}
	return "unknown";
}

enum outcome
verify_status_outcome(enum verify_status s)
{
	switch (s) {
	case VS_MATCH:
		return OUT_OK;
	case VS_MISMATCH:
	case VS_NO_STARTTLS:
	case VS_HANDSHAKE:
	case VS_SMTP_PERM:
		return OUT_PERMFAIL;
	default:
		return OUT_TEMPFAIL;
	}
}

enum outcome
verify_verdict(const struct verify_endpoint *ep, int n)
{
	enum outcome o, worst = n > 0 ? OUT_OK : OUT_TEMPFAIL;
	int i;

	for (i = 0; i < n; i++) {
		o = verify_status_outcome(ep[i].status);
		if (o == OUT_PERMFAIL)
			return OUT_PERMFAIL;
		if (o == OUT_TEMPFAIL)
			worst = OUT_TEMPFAIL;
	}
	return worst;
}

/* ---------------------------------------------------------------- DNS */

/* The name in "_25._tcp.NAME"; caller frees. */
static char *
owner_of(const char *name, int port)
{
	return xasprintf("_%d._tcp.%s", port, name);
}

static char *
strip_dot(const char *name)
{
	char *s = xstrdup(name);
	size_t n = strlen(s);

	if (n > 1 && s[n - 1] == '.')
		s[n - 1] = '\0';
	return s;
}

int
verify_lookup(struct resolver *r, const char *name, int port,
    struct verify_name *vn)
{
	struct resolve_tlsa first;
	char *alias_owner = NULL;

	memset(vn, 0, sizeof(*vn));
	memset(&first, 0, sizeof(first));
	if (name == NULL || *name == '\0' || port < 1 || port > 65535)
		return -1;
	vn->name = strip_dot(name);
	vn->port = port;
	(void)resolve_addrs(r, vn->name, &vn->addrs);
	/*
	 * RFC 7672 2.2.2: a secure alias is tried at its expanded name first;
	 * the original name serves when that RRset is securely absent (or
	 * insecure). A failed or bogus lookup there stops the sender: it
	 * defers, so do we.
	 */
	if (vn->addrs.expanded != NULL && vn->addrs.sec == RESOLVE_SECURE) {
		alias_owner = owner_of(vn->addrs.expanded, port);
		(void)resolve_tlsa(r, alias_owner, &first);
		if (first.sec == RESOLVE_FAIL || first.sec == RESOLVE_BOGUS ||
		    (first.sec == RESOLVE_SECURE && first.exists)) {
			vn->owner = alias_owner;
			vn->base = xstrdup(vn->addrs.expanded);
			vn->tlsa = first;
			vn->other_owner = owner_of(vn->name, port);
			(void)resolve_tlsa(r, vn->other_owner, &vn->other);
			vn->has_other = 1;
			return 0;
		}
		vn->other_owner = alias_owner;
		vn->other = first;
		vn->has_other = 1;
	} else if (vn->addrs.expanded != NULL) {
		/* An insecure alias: senders do not use DANE here at all;
		 * still show what the expanded name has. */
		vn->other_owner = owner_of(vn->addrs.expanded, port);
		(void)resolve_tlsa(r, vn->other_owner, &vn->other);
		vn->has_other = 1;
	}
	vn->owner = owner_of(vn->name, port);
	vn->base = xstrdup(vn->name);
	(void)resolve_tlsa(r, vn->owner, &vn->tlsa);
	return 0;
}

void
verify_prefetch(struct resolver *r, const char *const *names,
    const int *ports, size_t n)
{
	struct resolve_question *q = xcalloc(3 * n + 1, sizeof(*q));
	char **owners = xcalloc(n + 1, sizeof(*owners));
	size_t i;

	for (i = 0; i < n; i++) {
		owners[i] = owner_of(names[i], ports[i]);
		q[3 * i] = (struct resolve_question){ names[i], RESOLVE_Q_A };
		q[3 * i + 1] = (struct resolve_question){ names[i],
		    RESOLVE_Q_AAAA };
		q[3 * i + 2] = (struct resolve_question){ owners[i],
		    RESOLVE_Q_TLSA };
	}
	resolve_prefetch(r, q, 3 * n);
	for (i = 0; i < n; i++)
		free(owners[i]);
	free(owners);
	free(q);
}

void
verify_name_free(struct verify_name *vn)
{
	free(vn->name);
	free(vn->owner);
	free(vn->base);
	free(vn->other_owner);
	resolve_addrs_free(&vn->addrs);
	resolve_tlsa_free(&vn->tlsa);
	resolve_tlsa_free(&vn->other);
	memset(vn, 0, sizeof(*vn));
}

/* ---------------------------------------------------------- endpoints */

void
verify_endpoint_init(struct verify_endpoint *ep, const char *name,
    const char *base, const struct resolve_addr *addr, int port,
    enum key_alg alg, const struct tlsa_set *tlsa)
{
	memset(ep, 0, sizeof(*ep));
	snprintf(ep->name, sizeof(ep->name), "%s", name);
	snprintf(ep->base, sizeof(ep->base), "%s", base != NULL ? base : name);
	ep->addr = *addr;
	ep->port = port;
	ep->implicit_tls = port == VERIFY_PORT_SUBMISSIONS;
	ep->alg = alg;
	ep->tlsa = tlsa;
	ep->status = VS_NOT_RUN;
	ep->usage = ep->selector = ep->mtype = ep->depth = -1;
	ep->leaf_alg = -1;
}

void
verify_endpoint_clear(struct verify_endpoint *ep)
{
	if (ep->chain != NULL)
		sk_X509_pop_free(ep->chain, X509_free);
	ep->chain = NULL;
	ep->status = VS_NOT_RUN;
	ep->detail[0] = ep->tls_version[0] = ep->cipher[0] = '\0';
	ep->spki[0] = '\0';
	ep->usage = ep->selector = ep->mtype = ep->depth = -1;
	ep->not_after = 0;
	ep->leaf_alg = -1;
	ep->elapsed_ms = 0;
}

enum conn_state {
	C_WAIT = 0,	/* not started */
	C_CONNECT,
	C_SMTP,
	C_TLS,
	C_DONE
};

static const char *
conn_state_str(enum conn_state s)
{
	switch (s) {
	case C_WAIT:	return "wait";
	case C_CONNECT:	return "connect";
	case C_SMTP:	return "smtp";
	case C_TLS:	return "tls";
	case C_DONE:	return "done";
	}
	return "unknown";
}

struct conn {
	struct verify_endpoint	*ep;
	enum conn_state		 st;
	int			 fd;
	SSL			*ssl;
	struct smtp_session	*smtp;
	short			 events;
	int			 no_usable;	/* no record OpenSSL can use */
	long long		 start, deadline, idle;
};

static void
set_state(struct conn *c, enum conn_state st)
{
	log_debug("%s [%s]:%d %s: %s -> %s", c->ep->name, c->ep->addr.text,
	    c->ep->port, key_alg_str(c->ep->alg), conn_state_str(c->st),
	    conn_state_str(st));
	c->st = st;
}

/* Ends an endpoint with a status and a detail (printf-style). */
static void finish(struct conn *, enum verify_status, const char *, ...)
    __attribute__((format(printf, 3, 4)));

static void
finish(struct conn *c, enum verify_status vs, const char *fmt, ...)
{
	va_list ap;

	if (fmt != NULL) {
		va_start(ap, fmt);
		vsnprintf(c->ep->detail, sizeof(c->ep->detail), fmt, ap);
		va_end(ap);
	}
	c->ep->status = vs;
	c->ep->elapsed_ms = (long)(util_mono_ms() - c->start);
	if (c->ssl != NULL) {
		SSL_free(c->ssl);
		c->ssl = NULL;
	}
	if (c->fd != -1) {
		close(c->fd);
		c->fd = -1;
	}
	free(c->smtp);
	c->smtp = NULL;
	c->events = 0;
	ERR_clear_error();
	set_state(c, C_DONE);
	log_info("%s [%s]:%d %s: %s%s%s", c->ep->name, c->ep->addr.text,
	    c->ep->port, key_alg_str(c->ep->alg), verify_status_str(vs),
	    c->ep->detail[0] != '\0' ? ": " : "", c->ep->detail);
}

/* The first OpenSSL error as text, or fallback. */
static const char *
ssl_error_text(char *buf, size_t len, const char *fallback)
{
	unsigned long e = ERR_peek_error();

	if (e == 0) {
		snprintf(buf, len, "%s", fallback);
		return buf;
	}
	ERR_error_string_n(e, buf, len);
	return buf;
}

/* Lets the handshake go on whatever the verdict: it is read afterwards,
 * with the chain in hand. */
static int
verify_cb(int ok, X509_STORE_CTX *ctx)
{
	(void)ok;
	(void)ctx;
	return 1;
}

static SSL_CTX *
make_ctx(enum key_alg alg)
{
	SSL_CTX *ctx = NULL, *ret = NULL;

	if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL ||
	    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
	    SSL_CTX_dane_enable(ctx) <= 0 ||
	    SSL_CTX_set1_sigalgs_list(ctx, alg_offer[alg].sigalgs) != 1 ||
	    SSL_CTX_set_cipher_list(ctx, alg_offer[alg].ciphers) != 1) {
		log_err("cannot set up a TLS client context for %s",
		    key_alg_str(alg));
		goto done;
	}
	SSL_CTX_set_max_cert_list(ctx, VERIFY_CERT_LIST_MAX);
	/* Every handshake a full one: a resumed session shows no chain. */
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, verify_cb);
	ret = ctx;
	ctx = NULL;
done:
	SSL_CTX_free(ctx);
	ERR_clear_error();
	return ret;
}

static void
start_conn(struct conn *c, const struct verify_opts *o)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	socklen_t sl;

	c->start = util_mono_ms();
	c->deadline = c->start + o->total_ms;
	c->idle = c->start + o->connect_ms;
	memset(&ss, 0, sizeof(ss));
	if (c->ep->addr.family == AF_INET &&
	    inet_pton(AF_INET, c->ep->addr.text, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)c->ep->port);
		sl = sizeof(*s4);
	} else if (c->ep->addr.family == AF_INET6 &&
	    inet_pton(AF_INET6, c->ep->addr.text, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)c->ep->port);
		sl = sizeof(*s6);
	} else {
		finish(c, VS_LOCAL, "not an address: %s", c->ep->addr.text);
		return;
	}
	c->fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (c->fd == -1) {
		finish(c, VS_LOCAL, "socket: %s", strerror(errno));
		return;
	}
	set_state(c, C_CONNECT);
	if (connect(c->fd, (struct sockaddr *)&ss, sl) == 0) {
		c->events = POLLOUT;	/* checked like a delayed connect */
		return;
	}
	if (errno != EINPROGRESS) {
		finish(c, VS_UNREACHABLE, "connect: %s", strerror(errno));
		return;
	}
	c->events = POLLOUT;
}

/* Sets up DANE on a new SSL for the endpoint; -1 (endpoint finished) on a
 * local failure. */
static int
setup_tls(struct conn *c, SSL_CTX *ctx)
{
	const struct tlsa_set *set = c->ep->tlsa;
	const struct tlsa_rr *rr;
	char err[256];
	size_t i;
	int usable = 0, r;

	if ((c->ssl = SSL_new(ctx)) == NULL ||
	    SSL_dane_enable(c->ssl, c->ep->base) <= 0 ||
	    SSL_set_tlsext_host_name(c->ssl, c->ep->base) != 1 ||
	    SSL_set_fd(c->ssl, c->fd) != 1) {
		finish(c, VS_LOCAL, "TLS set-up: %s",
		    ssl_error_text(err, sizeof(err), "failed"));
		return -1;
	}
	/* RFC 7672 3.1.1: DANE-EE(3) gets no name checks. DANE-TA(2) names:
	 * the TLSA base domain (set by SSL_dane_enable), and the MX name. */
	SSL_dane_set_flags(c->ssl, DANE_FLAG_NO_DANE_EE_NAMECHECKS);
	SSL_set_hostflags(c->ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
	if (strcasecmp(c->ep->name, c->ep->base) != 0)
		(void)SSL_add1_host(c->ssl, c->ep->name);
	for (i = 0; set != NULL && i < set->n; i++) {
		rr = &set->rr[i];
		/* RFC 7672 3.1.3: PKIX-TA(0) and PKIX-EE(1) are unusable. */
		if (rr->usage != TLSA_USAGE_DANE_TA &&
		    rr->usage != TLSA_USAGE_DANE_EE)
			continue;
		r = SSL_dane_tlsa_add(c->ssl, rr->usage, rr->selector,
		    rr->mtype, rr->data, rr->len);
		if (r > 0)
			usable++;
	}
	ERR_clear_error();
	c->no_usable = usable == 0;
	return 0;
}

/* Reads the verdict and the facts of a finished handshake. */
static void
judge(struct conn *c)
{
	struct verify_endpoint *ep = c->ep;
	STACK_OF(X509) *peer;
	X509 *leaf;
	EVP_PKEY *pk;
	unsigned char spki[32];
	uint8_t u, s, m;
	unsigned const char *data;
	size_t dlen;
	long vr;
	int depth, i, alg;
	char extra[96] = "";

	snprintf(ep->tls_version, sizeof(ep->tls_version), "%s",
	    SSL_get_version(c->ssl));
	snprintf(ep->cipher, sizeof(ep->cipher), "%s",
	    SSL_get_cipher_name(c->ssl));
	if ((peer = SSL_get_peer_cert_chain(c->ssl)) != NULL) {
		ep->chain = sk_X509_new_null();
		for (i = 0; i < sk_X509_num(peer); i++) {
			X509_up_ref(sk_X509_value(peer, i));
			(void)sk_X509_push(ep->chain, sk_X509_value(peer, i));
		}
	}
	if ((leaf = SSL_get0_peer_certificate(c->ssl)) != NULL) {
		ep->not_after = cert_not_after(leaf);
		if (ep->not_after == (time_t)-1)
			ep->not_after = 0;
		if (cert_spki_sha256(leaf, spki) == 0)
			util_hex(spki, sizeof(spki), ep->spki);
		if ((pk = X509_get0_pubkey(leaf)) != NULL)
			ep->leaf_alg = key_alg_of(pk);
	}
	alg = ep->leaf_alg;
	if (alg >= 0 && alg != (int)ep->alg)
		snprintf(extra, sizeof(extra), "; the server presented a %s "
		    "key when asked for %s", key_alg_str((enum key_alg)alg),
		    key_alg_str(ep->alg));
	vr = SSL_get_verify_result(c->ssl);
	depth = SSL_get0_dane_tlsa(c->ssl, &u, &s, &m, &data, &dlen);
	if (leaf == NULL) {
		finish(c, VS_HANDSHAKE, "no certificate from the server");
		return;
	}
	if (c->no_usable) {
		finish(c, VS_MISMATCH, "no usable TLSA record (usages 2 and "
		    "3 only)%s", extra);
		return;
	}
	if (vr != X509_V_OK || depth < 0 || extra[0] != '\0') {
		finish(c, VS_MISMATCH, "%s%s", vr != X509_V_OK ?
		    X509_verify_cert_error_string(vr) :
		    "no TLSA record matched", extra);
		return;
	}
	ep->usage = u;
	ep->selector = s;
	ep->mtype = m;
	ep->depth = depth;
	/* A polite end; best effort, never waited for. */
	(void)SSL_write(c->ssl, "QUIT\r\n", 6);
	(void)SSL_shutdown(c->ssl);
	finish(c, VS_MATCH, "%s %d %d %d at depth %d", ep->tls_version, u, s,
	    m, depth);
}

static void
step_tls(struct conn *c)
{
	char err[256];
	int r, e;

	ERR_clear_error();
	if ((r = SSL_connect(c->ssl)) == 1) {
		judge(c);
		return;
	}
	switch ((e = SSL_get_error(c->ssl, r))) {
	case SSL_ERROR_WANT_READ:
		c->events = POLLIN;
		return;
	case SSL_ERROR_WANT_WRITE:
		c->events = POLLOUT;
		return;
	default:
		if (ERR_GET_LIB(ERR_peek_error()) == ERR_LIB_SSL &&
		    ERR_GET_REASON(ERR_peek_error()) ==
		    SSL_R_EXCESSIVE_MESSAGE_SIZE) {
			finish(c, VS_HANDSHAKE, "a handshake message over the "
			    "limit: the certificate chain may be at most %d "
			    "bytes", VERIFY_CERT_LIST_MAX);
			return;
		}
		finish(c, VS_HANDSHAKE, "%s", e == SSL_ERROR_SYSCALL &&
		    ERR_peek_error() == 0 ? (errno != 0 ? strerror(errno) :
		    "connection closed during the handshake") :
		    ssl_error_text(err, sizeof(err), "TLS error"));
		return;
	}
}

static void
smtp_done(struct conn *c, SSL_CTX *ctx)
{
	struct smtp_session *s = c->smtp;
	enum verify_status vs;

	if (s->state == SMTP_ST_READY) {
		set_state(c, C_TLS);
		if (setup_tls(c, ctx) == 0)
			step_tls(c);
		return;
	}
	switch (s->error) {
	case SMTP_E_NO_STARTTLS:
		vs = VS_NO_STARTTLS;
		break;
	case SMTP_E_REJECTED:
	case SMTP_E_PROTOCOL:
	case SMTP_E_PIPELINED:
		vs = VS_SMTP_PERM;
		break;
	case SMTP_E_TIMEOUT:
		vs = VS_TIMEOUT;
		break;
	default:
		vs = VS_SMTP_TEMP;
		break;
	}
	finish(c, vs, "%s", s->detail);
}

static void
advance(struct conn *c, SSL_CTX *ctx, const struct verify_opts *o,
    short revents)
{
	int err = 0;
	socklen_t len = sizeof(err);
	enum smtp_state before;

	c->idle = util_mono_ms() + o->idle_ms;
	switch (c->st) {
	case C_CONNECT:
		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
			err = errno;
		if (err == 0 && (revents & (POLLERR | POLLHUP)) &&
		    !(revents & POLLOUT))
			err = ECONNREFUSED;
		if (err != 0) {
			finish(c, VS_UNREACHABLE, "connect: %s",
			    strerror(err));
			return;
		}
		if (c->ep->implicit_tls) {
			/* Submissions: the handshake starts at once. */
			set_state(c, C_TLS);
			if (setup_tls(c, ctx) == 0)
				step_tls(c);
			return;
		}
		c->smtp = xmalloc(sizeof(*c->smtp));
		smtp_init(c->smtp, c->fd, o->helo);
		set_state(c, C_SMTP);
		c->events = smtp_events(c->smtp);
		return;
	case C_SMTP:
		before = c->smtp->state;
		if (smtp_step(c->smtp) != before)
			log_debug("%s [%s]:%d %s: smtp %s -> %s", c->ep->name,
			    c->ep->addr.text, c->ep->port,
			    key_alg_str(c->ep->alg), smtp_state_str(before),
			    smtp_state_str(c->smtp->state));
		if ((c->events = smtp_events(c->smtp)) == 0)
			smtp_done(c, ctx);
		return;
	case C_TLS:
		step_tls(c);
		return;
	default:
		return;
	}
}

/* Ends an endpoint whose deadline passed. */
static void
time_out(struct conn *c, long long now, const struct verify_opts *o)
{
	const char *where = c->st == C_CONNECT ? "connecting" :
	    c->st == C_SMTP ? smtp_state_str(c->smtp->state) : "TLS handshake";

	if (now >= c->deadline)
		finish(c, VS_TIMEOUT, "%s: not done within the total time "
		    "limit of %d s (%lld ms)", where, o->total_ms / 1000,
		    now - c->start);
	else if (c->st == C_CONNECT)
		finish(c, VS_TIMEOUT, "no connection within the limit of %d s",
		    o->connect_ms / 1000);
	else
		finish(c, VS_TIMEOUT, "%s: nothing from the server for %d s, "
		    "the idle limit (%lld ms in all)", where, o->idle_ms / 1000,
		    now - c->start);
}

/* "addr#port": the server an endpoint opens a connection to. */
static char **
server_keys(const struct verify_endpoint *eps, int n)
{
	char **keys = xcalloc((size_t)(n > 0 ? n : 1), sizeof(*keys));
	int i;

	for (i = 0; i < n; i++)
		keys[i] = xasprintf("%s#%d", eps[i].addr.text, eps[i].port);
	return keys;
}

int
verify_run(struct verify_endpoint *eps, int n, const struct verify_opts *o)
{
	SSL_CTX *ctx[KEY_ALG_COUNT] = { NULL };
	struct conn *c = NULL;
	struct pollfd *pfd = NULL;
	struct opener *op = NULL;
	char **keys = NULL;
	int *live = NULL;
	sigset_t pipe_set, old_set;
	struct timespec zero = { 0, 0 };
	long long now, wake;
	int i, j, k, nlive = 0, done = 0, par, rc = -1, masked = 0;

	for (i = 0; i < KEY_ALG_COUNT; i++)
		if ((ctx[i] = make_ctx((enum key_alg)i)) == NULL)
			goto done;
	par = o->parallel > 0 ? o->parallel : 1;
	c = xcalloc((size_t)(n > 0 ? n : 1), sizeof(*c));
	pfd = xcalloc((size_t)par, sizeof(*pfd));
	live = xcalloc((size_t)par, sizeof(*live));
	for (i = 0; i < n; i++) {
		verify_endpoint_clear(&eps[i]);
		c[i].ep = &eps[i];
		c[i].fd = -1;
	}
	keys = server_keys(eps, n);
	op = opener_new((const char *const *)keys,  n,
	    o->per_server > 0 ? o->per_server : par);
	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	if (sigprocmask(SIG_BLOCK, &pipe_set, &old_set) == 0)
		masked = 1;
	while (done < n) {
		while (nlive < par && (i = opener_next(op)) >= 0) {
			start_conn(&c[i], o);
			if (c[i].st == C_DONE) {
				opener_done(op, i);
				done++;
			} else
				live[nlive++] = i;
		}
		if (nlive == 0)
			break;	/* cannot happen: a server with items waits */
		now = util_mono_ms();
		wake = now + 60000;
		for (k = 0; k < nlive; k++) {
			struct conn *cc = &c[live[k]];

			pfd[k].fd = cc->fd;
			pfd[k].events = cc->events;
			pfd[k].revents = 0;
			if (cc->deadline < wake)
				wake = cc->deadline;
			if (cc->idle < wake)
				wake = cc->idle;
		}
		if (poll(pfd, (nfds_t)nlive, wake > now ? (int)(wake - now) :
		    0) < 0 && errno != EINTR) {
			log_err("poll: %s", strerror(errno));
			goto done;
		}
		now = util_mono_ms();
		for (k = 0, j = 0; k < nlive; k++) {
			struct conn *cc = &c[live[k]];

			if (pfd[k].revents != 0 && now < cc->deadline)
				advance(cc, ctx[cc->ep->alg], o,
				    pfd[k].revents);
			else if (now >= cc->deadline || now >= cc->idle)
				time_out(cc, now, o);
			if (cc->st == C_DONE) {
				opener_done(op, live[k]);
				done++;
			} else
				live[j++] = live[k];
		}
		nlive = j;
	}
	rc = 0;
done:
	if (masked) {
		while (sigtimedwait(&pipe_set, NULL, &zero) > 0)
			;
		(void)sigprocmask(SIG_SETMASK, &old_set, NULL);
	}
	for (i = 0; c != NULL && i < n; i++)
		if (c[i].st != C_DONE && c[i].st != C_WAIT)
			finish(&c[i], VS_LOCAL, "stopped");
	for (i = 0; i < KEY_ALG_COUNT; i++)
		SSL_CTX_free(ctx[i]);
	for (i = 0; keys != NULL && i < n; i++)
		free(keys[i]);
	free(keys);
	opener_free(op);
	free(c);
	free(pfd);
	free(live);
	return rc;
}

/* ------------------------------------------------- the engine's verifier */

/* The endpoints of one name: every address, for alg, against set. */
static void
add_endpoints(const struct verify_name *vn, enum key_alg alg,
    const struct tlsa_set *set, struct verify_endpoint **eps, int *n)
{
	int i;

	for (i = 0; i < vn->addrs.naddr; i++) {
		*eps = xrealloc(*eps, (size_t)(*n + 1) * sizeof(**eps));
		verify_endpoint_init(&(*eps)[*n], vn->name, vn->base,
		    &vn->addrs.addr[i], vn->port, alg, set);
		(*n)++;
	}
}

/*
 * What validated DNS serves beside what daneroll published: a different
 * RRset is worth a warning; one that does not authenticate a chain that
 * want does means senders fail now, and nothing may go on (TEMPFAIL).
 */
static enum outcome
compare_dns(const struct conf_host *h, const char *alg,
    const struct verify_name *vn, const struct tlsa_set *want,
    const struct verify_endpoint *eps, int n)
{
	enum outcome o = OUT_OK;
	int i;

	if (vn->tlsa.sec != RESOLVE_SECURE) {
		log_msg(LOG_LVL_WARN, h->name, alg, "cannot confirm what "
		    "senders see at %s: TLSA lookup %s%s%s", vn->owner,
		    resolve_sec_str(vn->tlsa.sec), vn->tlsa.why[0] != '\0' ?
		    ": " : "", vn->tlsa.why);
		return OUT_OK;
	}
	/* want may be a subset of what is published (the engine verifies a
	 * new chain against the RRset that will remain after the old record
	 * retires): only records missing from DNS are worth a warning. */
	for (i = 0; (size_t)i < want->n; i++)
		if (!tlsa_set_has(&vn->tlsa.set, &want->rr[i]))
			break;
	if ((size_t)i < want->n)
		log_msg(LOG_LVL_WARN, h->name, alg, "DNS serves %zu TLSA "
		    "record(s) at %s, lacking some of the %zu expected",
		    vn->tlsa.set.n, vn->owner, want->n);
	for (i = 0; i < n; i++) {
		if (strcmp(eps[i].name, vn->name) != 0 ||
		    eps[i].port != vn->port || eps[i].status != VS_MATCH ||
		    tlsa_set_matches_chain(&vn->tlsa.set, eps[i].chain))
			continue;
		log_msg(LOG_LVL_ERR, h->name, alg, "the TLSA RRset DNS serves "
		    "at %s does not match the chain of [%s]:%d: senders "
		    "fail now", vn->owner, eps[i].addr.text, eps[i].port);
		o = OUT_TEMPFAIL;
	}
	return o;
}

/* Every address of the host and its aliases for alg, against set, run:
 * the caller frees *vn (nnames of them) and *eps. 0, or -1 (logged) when
 * nothing could be run; *dns is OUT_TEMPFAIL if a name had no address. */
static int
run_host(const struct conf *conf, const struct conf_host *h, enum key_alg alg,
    const struct tlsa_set *set, struct verify_opts *opts, enum log_level lvl,
    struct verify_name **vnp, struct verify_endpoint **epsp, int *neps,
    enum outcome *dns)
{
	const char *a = key_alg_str(alg);
	struct resolver *res = NULL;
	struct verify_name *vn;
	int nnames = h->nowners, i, rc = -1;

	*dns = OUT_OK;
	vn = *vnp = xcalloc((size_t)nnames, sizeof(*vn));
	if (resolve_open(conf->resolver, opts->dns_timeout_secs, &res) !=
	    OUT_OK)
		return -1;
	/* Every port of every name: each owner name is a sender's view. */
	for (i = 0; i < nnames; i++) {
		(void)verify_lookup(res, h->owners[i].mx, h->owners[i].port,
		    &vn[i]);
		if (vn[i].addrs.sec == RESOLVE_FAIL ||
		    vn[i].addrs.sec == RESOLVE_BOGUS ||
		    vn[i].addrs.naddr == 0) {
			log_msg(lvl, h->name, a, "no addresses for %s "
			    "to verify: %s", vn[i].name, vn[i].addrs.why[0] !=
			    '\0' ? vn[i].addrs.why : "no A or AAAA record");
			*dns = OUT_TEMPFAIL;
			continue;
		}
		add_endpoints(&vn[i], alg, set, epsp, neps);
	}
	if (*neps == 0 || verify_run(*epsp, *neps, opts) == 0)
		rc = 0;
	resolve_close(res);
	return rc;
}

static void
free_host(const struct conf_host *h, struct verify_name *vn,
    struct verify_endpoint *eps, int neps)
{
	int i;

	for (i = 0; i < neps; i++)
		verify_endpoint_clear(&eps[i]);
	for (i = 0; vn != NULL && i < h->nowners; i++)
		verify_name_free(&vn[i]);
	free(eps);
	free(vn);
}

static enum outcome
verify_host(const struct conf *conf, const struct conf_host *h,
    enum key_alg alg, const struct tlsa_set *want)
{
	struct verify_opts opts;
	struct verify_name *vn = NULL;
	struct verify_endpoint *eps = NULL;
	const char *a = key_alg_str(alg);
	enum outcome o = OUT_TEMPFAIL, dns = OUT_OK, v;
	int nnames = h->nowners, neps = 0, i, usable;

	verify_opts_init(&opts);
	/* Nothing a sender could use: no verdict, and above all no
	 * "mismatch" that would roll a good deployment back. */
	for (i = 0, usable = 0; want != NULL && (size_t)i < want->n; i++)
		usable += want->rr[i].usage == TLSA_USAGE_DANE_TA ||
		    want->rr[i].usage == TLSA_USAGE_DANE_EE;
	if (usable == 0) {
		log_msg(LOG_LVL_ERR, h->name, a, "nothing to verify against: "
		    "the published RRset has no DANE-TA or DANE-EE record");
		goto done;
	}
	if (run_host(conf, h, alg, want, &opts, LOG_LVL_ERR, &vn, &eps, &neps,
	    &dns) != 0)
		goto done;
	for (i = 0; i < neps; i++) {
		if (eps[i].status == VS_MATCH)
			continue;
		log_msg(verify_status_outcome(eps[i].status) == OUT_PERMFAIL ?
		    LOG_LVL_ERR : LOG_LVL_WARN, h->name, a, "%s [%s]:%d: %s: "
		    "%s", eps[i].name, eps[i].addr.text, eps[i].port,
		    verify_status_str(eps[i].status), eps[i].detail);
	}
	v = verify_verdict(eps, neps);
	if (v == OUT_PERMFAIL)
		o = OUT_PERMFAIL;
	else if (v == OUT_TEMPFAIL || dns != OUT_OK)
		o = OUT_TEMPFAIL;
	else
		o = OUT_OK;
	if (o == OUT_OK)
		for (i = 0; i < nnames; i++)
			if (compare_dns(h, a, &vn[i], want, eps, neps) !=
			    OUT_OK)
				o = OUT_TEMPFAIL;
	if (o == OUT_OK)
		log_msg(LOG_LVL_NOTICE, h->name, a, "verified: %d address%s "
		    "present a chain the published RRset authenticates",
		    neps, neps == 1 ? "" : "es");
done:
	free_host(h, vn, eps, neps);
	return o;
}

/*
 * The publish guard's live half: what each address serves now, judged
 * against the RRset about to be published. Only a chain that came and
 * fails it counts against (a handshake the server refuses for this
 * algorithm, or an address that is down, tells nothing of what senders
 * are shown); short deadlines, since this runs before every publish.
 */
static enum outcome
probe_host(const struct conf *conf, const struct conf_host *h,
    enum key_alg alg, const struct tlsa_set *would)
{
	struct verify_opts opts;
	struct verify_name *vn = NULL;
	struct verify_endpoint *eps = NULL;
	enum outcome o = OUT_TEMPFAIL, dns;
	int neps = 0, i, matched = 0, mismatched = 0;

	verify_opts_init(&opts);
	opts.connect_ms = 5000;
	opts.total_ms = 15000;
	/* No address is nothing learned, not an error of this run. */
	if (run_host(conf, h, alg, would, &opts, LOG_LVL_INFO, &vn, &eps,
	    &neps, &dns) != 0)
		goto done;
	for (i = 0; i < neps; i++) {
		if (eps[i].status == VS_MATCH)
			matched++;
		else if (eps[i].status == VS_MISMATCH) {
			mismatched++;
			log_msg(LOG_LVL_ERR, h->name, key_alg_str(alg), "%s "
			    "[%s]:%d serves a chain (leaf 3 1 1 %s) that the "
			    "RRset about to be published does not "
			    "authenticate", eps[i].name, eps[i].addr.text,
			    eps[i].port, eps[i].spki[0] ? eps[i].spki : "?");
		} else
			log_msg(LOG_LVL_INFO, h->name, key_alg_str(alg), "%s "
			    "[%s]:%d: %s: %s (nothing learned)", eps[i].name,
			    eps[i].addr.text, eps[i].port,
			    verify_status_str(eps[i].status), eps[i].detail);
	}
	o = mismatched ? OUT_PERMFAIL : matched ? OUT_OK : OUT_TEMPFAIL;
done:
	free_host(h, vn, eps, neps);
	return o;
}

const struct backend_verifier verify_dane = {
	verify_host, probe_host
};

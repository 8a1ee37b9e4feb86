/*
 * privsep - the unprivileged child that observes DNS and verifies live
 * SMTP/TLS, and the parent's side of its channel. See include/privsep.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check_net.h"
#include "doctor_net.h"
#include "log.h"
#include "privsep_msg.h"
#include "privsep.h"
#include "resolvconf.h"
#include "sandbox.h"
#include "util.h"

/* Longer than any observation or verification may take (their own
 * deadlines end them): past it the child is taken to be stuck. */
#define PRIVSEP_TIMEOUT_MS	(15 * 60 * 1000)
#define PRIVSEP_START_MS		(30 * 1000)
/* Log lines for one answer: more is a child flooding the log. */
#define PRIVSEP_MAX_LINES	10000

static struct {
	pid_t			 pid;
	int			 fd;
	int			 dead;
	int			 ready;		/* the child said it is */
	const struct conf	*conf;
	const struct backends	*real;
	struct backends		 be;
} pr = { -1, -1, 0, 0, NULL, NULL, { NULL, NULL, NULL, NULL, NULL } };

/* Reads n octets before deadline (a util_mono_ms time; 0: none):
 * 0, or -1 at end of file, on error or past the deadline. */
static int
read_all(int fd, uint8_t *p, size_t n, int64_t deadline)
{
	while (n > 0) {
		struct pollfd pfd = { fd, POLLIN, 0 };
		int64_t left = deadline ? deadline - util_mono_ms() : -1;
		ssize_t r;

		if (deadline && left <= 0)
			return -1;
		if (poll(&pfd, 1, left < 0 ? -1 : (int)left) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (pfd.revents == 0)
			continue;
		if ((r = read(fd, p, n)) < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

/* One frame's body, the caller's to free; NULL as read_all fails, or
 * for a length over the limit. */
static uint8_t *
read_frame(int fd, size_t *len, int64_t deadline)
{
	uint8_t hdr[4], *body;
	uint32_t n;

	if (read_all(fd, hdr, 4, deadline) != 0 ||
	    (n = pmsg_frame_len(hdr)) == 0)
		return NULL;
	body = xmalloc(n);
	if (read_all(fd, body, n, deadline) != 0) {
		free(body);
		return NULL;
	}
	*len = n;
	return body;
}

/* The child's side. */

static int child_fd = -1;

static void
send_frame_or_die(struct pmsg_buf *b)
{
	if (util_write_all(child_fd, b->p, b->len) != 0)
		_exit(1);	/* the parent is gone */
	pmsg_buf_free(b);
}

static void
forward_line(enum log_level lvl, int cause, const char *line)
{
	struct pmsg_buf b = { NULL, 0, 0 };

	pmsg_put_log(&b, (int)lvl, cause, line);
	send_frame_or_die(&b);
}

/* check's network half, streamed: its head, every name, every
 * endpoint's results, then the outcome. */
static void
serve_check(const struct pmsg_request *q)
{
	const struct conf_host **hs;
	struct check_net net;
	struct pmsg_buf b = { NULL, 0, 0 };
	enum outcome o;
	uint32_t i;
	int j;

	hs = xcalloc((size_t)q->nhosts + 1, sizeof(*hs));
	for (i = 0; i < q->nhosts; i++)
		hs[i] = &pr.conf->hosts[q->hosts[i]];
	memset(&net, 0, sizeof(net));
	o = check_net_gather(pr.conf, hs, (int)q->nhosts, &q->opts, &net) ==
	    0 ? OUT_OK : OUT_TEMPFAIL;
	pmsg_put_net_head(&b, &net);
	send_frame_or_die(&b);
	for (j = 0; j < net.nnames; j++) {
		pmsg_put_net_name(&b, &net.names[j]);
		send_frame_or_die(&b);
	}
	for (j = 0; j < net.neps; j++) {
		pmsg_put_net_ep(&b, &net.eps[j], net.matched != NULL ?
		    &net.matched[j] : NULL);
		send_frame_or_die(&b);
	}
	pmsg_put_result(&b, o, NULL);
	send_frame_or_die(&b);
	check_net_free(&net);
	free(hs);
}

/* doctor's network half; what it has asked before is remembered for
 * the child's life, which is one doctor run. */
static void
serve_doctor(const struct pmsg_request *q)
{
	static struct doctor_net_memo memo;
	static struct doctor_net_res res;
	const struct conf_host *h = &pr.conf->hosts[q->host];
	struct pmsg_buf b = { NULL, 0, 0 };
	enum outcome o = OUT_OK;

	if (q->kind == PM_DOC_ZONE) {
		struct doctor_net_zone z;

		o = doctor_net_zone(pr.conf, h, q->owner, &memo, &z);
		pmsg_put_doc_zone(&b, &z);
		doctor_net_zone_free(&z);
	} else {
		struct resolve_tlsa t;

		(void)doctor_net_tlsa(pr.conf, &res, q->owner, &t);
		pmsg_put_doc_tlsa(&b, &t);
		resolve_tlsa_free(&t);
	}
	send_frame_or_die(&b);
	pmsg_put_result(&b, o, NULL);
	send_frame_or_die(&b);
}

static void
serve(const struct pmsg_request *q)
{
	const struct conf_host *h = &pr.conf->hosts[q->host];
	struct obs_report rep;
	struct pmsg_buf b = { NULL, 0, 0 };
	enum outcome o = OUT_TEMPFAIL;

	memset(&rep, 0, sizeof(rep));
	if (q->kind == PM_OBSERVE && pr.real->observer != NULL)
		o = pr.real->observer->observe(pr.conf, h, q->owner, &q->set,
		    &rep);
	else if (q->kind == PM_VERIFY && pr.real->verifier != NULL)
		o = pr.real->verifier->verify(pr.conf, h, q->alg, &q->set);
	else if (q->kind == PM_PROBE && pr.real->verifier != NULL &&
	    pr.real->verifier->probe != NULL)
		o = pr.real->verifier->probe(pr.conf, h, q->alg, &q->set);
	pmsg_put_result(&b, o, q->kind == PM_OBSERVE ? &rep : NULL);
	obs_report_free(&rep);
	send_frame_or_die(&b);
}

/* Every host index of q is one of the configuration's. */
static int
hosts_known(const struct pmsg_request *q)
{
	uint32_t i;

	if (q->kind != PM_CHECK)
		return q->host < (uint32_t)pr.conf->nhosts;
	for (i = 0; i < q->nhosts; i++)
		if (q->hosts[i] >= (uint32_t)pr.conf->nhosts)
			return 0;
	return 1;
}

static void child_main(int) __attribute__((noreturn));

static void
child_main(int fd)
{
	struct pmsg_buf b = { NULL, 0, 0 };
	char why[256];
	int null;

	child_fd = fd;
	if ((null = open("/dev/null", O_RDWR | O_CLOEXEC)) < 0 ||
	    dup2(null, 0) < 0 || dup2(null, 1) < 0 ||
	    dup2(child_fd, 3) < 0 || close_range(4, ~0U, 0) != 0)
		_exit(1);
	child_fd = 3;
	/* A server that hangs up must not end the child (verify.c masks
	 * SIGPIPE too, but only around its own writes). */
	(void)signal(SIGPIPE, SIG_IGN);
	log_set_forward(forward_line);
	resolvconf_pin(RESOLVCONF_PATH);
	sandbox_preload();
	if (sandbox_enter(SANDBOX_USER, why, sizeof(why)) != 0) {
		log_err("network child: cannot enter its sandbox: %s", why);
		_exit(1);
	}
	if (why[0] != '\0')
		log_report(LOG_LVL_NOTICE, NULL, NULL, "network child: %s",
		    why);
	log_info("network child %ld: uid %ld, no_new_privs, Landlock ABI %d, "
	    "seccomp filter", (long)getpid(), (long)getuid(),
	    sandbox_landlock_abi());
	/* Ready: the parent reads nothing from the network before this. */
	pmsg_put_result(&b, OUT_OK, NULL);
	send_frame_or_die(&b);
	for (;;) {
		struct pmsg_request q;
		uint8_t *body;
		size_t len;

		if ((body = read_frame(child_fd, &len, 0)) == NULL)
			_exit(0);	/* the parent closed the channel */
		if (pmsg_get_request(body, len, &q) != 0 ||
		    !hosts_known(&q))
			_exit(1);
		free(body);
		if (q.kind == PM_CHECK)
			serve_check(&q);
		else if (q.kind == PM_DOC_ZONE || q.kind == PM_DOC_TLSA)
			serve_doctor(&q);
		else
			serve(&q);
		pmsg_request_free(&q);
	}
}

/* The parent's side. */

static void
kill_child(const char *why)
{
	if (!pr.dead)
		log_err("network child (pid %ld) %s; nothing more is observed or "
		    "verified in this run", (long)pr.pid, why);
	pr.dead = 1;
	if (pr.pid > 0)
		(void)kill(pr.pid, SIGKILL);
}

/* What a question other than PM_CHECK's takes besides log lines and
 * the result: nothing. */
static int
no_more(struct pmsg_reply *m, void *arg)
{
	(void)m;
	(void)arg;
	return -1;
}

/* The child's next result, its log lines logged here as they come, any
 * other frame handed to take (-1 from it: malformed); rep: the report a
 * PM_OBSERVE result must carry, else NULL. */
static enum outcome
answer(struct obs_report *rep, int64_t deadline,
    int (*take_frame)(struct pmsg_reply *, void *), void *arg)
{
	int lines = 0;

	for (;;) {
		struct pmsg_reply m;
		uint8_t *body;
		size_t len;
		int bad;
		enum outcome o;

		if ((body = read_frame(pr.fd, &len, deadline)) == NULL) {
			kill_child(util_mono_ms() >= deadline ? "did not "
			    "answer in time" : "exited");
			return OUT_TEMPFAIL;
		}
		bad = pmsg_get_reply(body, len, &m) != 0;
		free(body);
		if (!bad && m.kind != PM_LOG && m.kind != PM_RESULT) {
			bad = take_frame(&m, arg) != 0;
			pmsg_reply_free(&m);
			if (bad) {
				kill_child("sent a malformed message");
				return OUT_TEMPFAIL;
			}
			continue;
		}
		if (bad || (m.kind == PM_RESULT &&
		    m.has_report != (rep != NULL)) ||
		    (m.kind == PM_LOG && ++lines > PRIVSEP_MAX_LINES)) {
			if (!bad)
				pmsg_reply_free(&m);
			kill_child("sent a malformed message");
			return OUT_TEMPFAIL;
		}
		if (m.kind == PM_LOG) {
			if (m.cause)
				log_msg((enum log_level)m.level, NULL, NULL,
				    "%s", m.line);
			else
				log_report((enum log_level)m.level, NULL,
				    NULL, "%s", m.line);
			pmsg_reply_free(&m);
			continue;
		}
		o = m.outcome;
		if (rep != NULL) {
			*rep = m.report;
			memset(&m.report, 0, sizeof(m.report));
		}
		pmsg_reply_free(&m);
		return o;
	}
}

/* h's index in conf->hosts into *idx: 0, or -1 (logged) for a host
 * that is not the configuration's the child holds. */
static int
host_index(const struct conf *conf, const struct conf_host *h,
    uint32_t *idx)
{
	/* In integers: h - conf->hosts is undefined for a stray h. */
	uintptr_t off = (uintptr_t)h - (uintptr_t)conf->hosts;

	if (conf != pr.conf || off % sizeof(*h) != 0 ||
	    off / sizeof(*h) >= (size_t)conf->nhosts) {
		log_err("%s: not a host of the network child's configuration",
		    h->name);
		return -1;
	}
	*idx = (uint32_t)(off / sizeof(*h));
	return 0;
}

/* Sends q and takes the child's answer (see answer()). */
static enum outcome
exchange(const struct pmsg_request *q, struct obs_report *rep,
    int (*take_frame)(struct pmsg_reply *, void *), void *arg)
{
	struct pmsg_buf b = { NULL, 0, 0 };
	enum outcome o = OUT_TEMPFAIL;

	if (pr.dead) {
		log_err("the network child is gone: nothing observed or "
		    "verified");
		return OUT_TEMPFAIL;
	}
	/* The child confines itself while the parent goes on; its first
	 * word says it is done, or why it could not. */
	if (!pr.ready && answer(NULL, util_mono_ms() + PRIVSEP_START_MS,
	    no_more, NULL) != OUT_OK) {
		kill_child("could not start");
		return OUT_TEMPFAIL;
	}
	pr.ready = 1;
	pmsg_put_request(&b, q);
	if (util_write_all(pr.fd, b.p, b.len) != 0)
		kill_child("stopped reading");
	else
		o = answer(rep, util_mono_ms() + PRIVSEP_TIMEOUT_MS,
		    take_frame, arg);
	pmsg_buf_free(&b);
	return o;
}

/* The child's answer to q, about host h. */
static enum outcome
ask(const struct conf *conf, const struct conf_host *h,
    struct pmsg_request *q, struct obs_report *rep)
{
	if (host_index(conf, h, &q->host) != 0)
		return OUT_TEMPFAIL;
	return exchange(q, q->kind == PM_OBSERVE ? rep : NULL, no_more, NULL);
}

/* check's network half as it arrives: the head, then nnames names,
 * then (once the endpoints are rebuilt from the names) neps results. */
struct net_in {
	const struct conf_host *const	*hosts;
	int				 nhosts;
	struct check_net		*net;
	int				 want_names, want_eps;
	int				 head, eps_in;
};

static int
take_net(struct pmsg_reply *m, void *arg)
{
	struct net_in *in = arg;
	struct check_net *net = in->net;

	if (m->kind == PM_NET_HEAD && !in->head) {
		in->head = 1;
		net->no_resolver = m->net.no_resolver;
		net->resolver_local = m->net.resolver_local;
		memcpy(net->resolver, m->net.resolver, sizeof(net->resolver));
		in->want_names = m->net.nnames;
		in->want_eps = m->net.neps;
		net->names = xcalloc((size_t)in->want_names + 1,
		    sizeof(*net->names));
	} else if (m->kind == PM_NET_NAME && in->head &&
	    net->nnames < in->want_names) {
		net->names[net->nnames++] = m->name;
		memset(&m->name, 0, sizeof(m->name));
	} else if (m->kind == PM_NET_EP && net->host_ep != NULL &&
	    in->eps_in < net->neps) {
		struct verify_endpoint *ep = &net->eps[in->eps_in];

		ep->status = m->ep.status;
		memcpy(ep->detail, m->ep.detail, sizeof(ep->detail));
		memcpy(ep->tls_version, m->ep.tls_version,
		    sizeof(ep->tls_version));
		memcpy(ep->cipher, m->ep.cipher, sizeof(ep->cipher));
		ep->usage = m->ep.usage;
		ep->selector = m->ep.selector;
		ep->mtype = m->ep.mtype;
		ep->depth = m->ep.depth;
		ep->not_after = m->ep.not_after;
		memcpy(ep->spki, m->ep.spki, sizeof(ep->spki));
		ep->leaf_alg = m->ep.leaf_alg;
		ep->elapsed_ms = m->ep.elapsed_ms;
		/* What the chain matches, not the chain: no certificate is
		 * decoded here. */
		net->matched[in->eps_in++] = m->ep_matched;
		memset(&m->ep_matched, 0, sizeof(m->ep_matched));
	} else
		return -1;
	/* All names in: the endpoints they make, which must be the ones
	 * the child ran. */
	if (in->head && net->host_ep == NULL &&
	    net->nnames == in->want_names) {
		check_net_endpoints(in->hosts, in->nhosts, net);
		if (net->neps != in->want_eps)
			return -1;
		net->matched = xcalloc((size_t)net->neps + 1,
		    sizeof(*net->matched));
	}
	return 0;
}

int
privsep_check_net(const struct conf *conf,
    const struct conf_host *const *hosts, int nhosts,
    const struct verify_opts *opts, struct check_net *net)
{
	struct pmsg_request q;
	struct net_in in = { hosts, nhosts, net, 0, 0, 0, 0 };
	enum outcome o = OUT_TEMPFAIL;
	int i;

	memset(&q, 0, sizeof(q));
	q.kind = PM_CHECK;
	q.nhosts = (uint32_t)nhosts;
	q.hosts = xcalloc((size_t)nhosts + 1, sizeof(*q.hosts));
	q.opts = *opts;
	for (i = 0; i < nhosts; i++)
		if (host_index(conf, hosts[i], &q.hosts[i]) != 0)
			goto done;
	o = exchange(&q, NULL, take_net, &in);
	/* Everything announced came, or nothing is used. */
	if (o == OUT_OK && (!in.head || net->host_ep == NULL ||
	    in.eps_in != net->neps)) {
		kill_child("sent a malformed message");
		o = OUT_TEMPFAIL;
	}
done:
	free(q.hosts);
	if (o != OUT_OK) {
		check_net_free(net);
		log_err("check: the network child gathered nothing");
		return -1;
	}
	return 0;
}

/* The one answer frame of a PM_DOC_* question, into its place. */
struct doc_in {
	enum pmsg_kind		 want;
	struct doctor_net_zone	*zone;
	struct resolve_tlsa	*tlsa;
	int			 got;
};

static int
take_doc(struct pmsg_reply *m, void *arg)
{
	struct doc_in *in = arg;

	if (m->kind != in->want || in->got++)
		return -1;
	if (in->zone != NULL) {
		*in->zone = m->dzone;
		memset(&m->dzone, 0, sizeof(m->dzone));
	} else {
		*in->tlsa = m->tlsa;
		memset(&m->tlsa, 0, sizeof(m->tlsa));
	}
	return 0;
}

/* Asks kind about h's owner and takes its one answer frame into in:
 * the child's outcome once it came, else OUT_TEMPFAIL. */
static enum outcome
ask_doctor(const struct conf *conf, const struct conf_host *h,
    enum pmsg_kind kind, const char *owner, struct doc_in *in)
{
	struct pmsg_request q;
	enum outcome o;

	memset(&q, 0, sizeof(q));
	q.kind = kind;
	q.owner = (char *)owner;
	if (host_index(conf, h, &q.host) != 0)
		return OUT_TEMPFAIL;
	o = exchange(&q, NULL, take_doc, in);
	if (in->got == 1)
		return o;
	if (o == OUT_OK)	/* a result without its answer frame */
		kill_child("sent a malformed message");
	return OUT_TEMPFAIL;
}

enum outcome
privsep_doctor_zone(const struct conf *conf, const struct conf_host *h,
    const char *owner, struct doctor_net_zone *z)
{
	struct doc_in in = { PM_DOC_ZONE_ANS, z, NULL, 0 };
	enum outcome o;

	memset(z, 0, sizeof(*z));
	if ((o = ask_doctor(conf, h, PM_DOC_ZONE, owner, &in)) ==
	    OUT_TEMPFAIL && in.got)
		doctor_net_zone_free(z);
	return o;
}

enum resolve_sec
privsep_doctor_tlsa(const struct conf *conf, const struct conf_host *h,
    const char *owner, struct resolve_tlsa *t)
{
	struct doc_in in = { PM_DOC_TLSA_ANS, NULL, t, 0 };

	memset(t, 0, sizeof(*t));
	if (ask_doctor(conf, h, PM_DOC_TLSA, owner, &in) != OUT_OK) {
		if (in.got)
			resolve_tlsa_free(t);
		t->sec = RESOLVE_FAIL;
		snprintf(t->why, sizeof(t->why), "the network child "
		    "could not ask");
	}
	return t->sec;
}

static enum outcome
remote_observe(const struct conf *conf, const struct conf_host *h,
    const char *owner, const struct tlsa_set *want, struct obs_report *rep)
{
	struct pmsg_request q;

	memset(&q, 0, sizeof(q));
	q.kind = PM_OBSERVE;
	q.owner = (char *)owner;
	q.set = *want;
	return ask(conf, h, &q, rep);
}

static enum outcome
remote_check(enum pmsg_kind kind, const struct conf *conf,
    const struct conf_host *h, enum key_alg alg, const struct tlsa_set *set)
{
	struct pmsg_request q;

	memset(&q, 0, sizeof(q));
	q.kind = kind;
	q.alg = alg;
	if (set != NULL)
		q.set = *set;
	return ask(conf, h, &q, NULL);
}

static enum outcome
remote_verify(const struct conf *conf, const struct conf_host *h,
    enum key_alg alg, const struct tlsa_set *want)
{
	return remote_check(PM_VERIFY, conf, h, alg, want);
}

static enum outcome
remote_probe(const struct conf *conf, const struct conf_host *h,
    enum key_alg alg, const struct tlsa_set *would)
{
	return remote_check(PM_PROBE, conf, h, alg, would);
}

static const struct backend_observer remote_observer = { remote_observe };
static const struct backend_verifier remote_verifier = {
	remote_verify, remote_probe
};
static const struct backend_verifier remote_verifier_noprobe = {
	remote_verify, NULL
};

const struct backends *
privsep_start(const struct conf *conf, const struct backends *real)
{
	int sv[2];

	if (pr.pid > 0)
		return &pr.be;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
		log_err("network child: socketpair: %s", strerror(errno));
		return NULL;
	}
	pr.conf = conf;
	pr.real = real;
	pr.dead = 0;
	(void)fflush(NULL);
	if ((pr.pid = fork()) < 0) {
		log_err("network child: fork: %s", strerror(errno));
		(void)close(sv[0]);
		(void)close(sv[1]);
		return NULL;
	}
	if (pr.pid == 0) {
		(void)close(sv[0]);
		child_main(sv[1]);
	}
	(void)close(sv[1]);
	pr.fd = sv[0];
	pr.ready = 0;
	pr.be = *real;
	pr.be.observer = real->observer != NULL ? &remote_observer : NULL;
	pr.be.verifier = real->verifier == NULL ? NULL :
	    real->verifier->probe != NULL ? &remote_verifier :
	    &remote_verifier_noprobe;
	return &pr.be;
}

void
privsep_stop(void)
{
	if (pr.pid <= 0)
		return;
	(void)close(pr.fd);
	pr.fd = -1;
	/* A child never asked anything may still be confining itself: a
	 * run with nothing due does not wait for that. One that was is
	 * reading its channel, sees the end and exits. */
	if (!pr.ready)
		(void)kill(pr.pid, SIGKILL);
	while (waitpid(pr.pid, NULL, 0) < 0 && errno == EINTR)
		;
	pr.pid = -1;
}

int
privsep_alive(void)
{
	return !pr.dead;
}

/*
 * Unit test: a model-based safety test (issue 12, item 6). Seeded random
 * sequences run the engine over a simulated world and check the safety
 * invariant at every simulated instant: every chain the MTA serves is
 * matched by every TLSA RRset that any resolver may hold.
 *
 * The world, in milliseconds of real time:
 *   - DNS: each owner name has 2-4 authoritative servers. A published
 *     version reaches the primary at once and each secondary after its own
 *     lag (sometimes minutes); servers only move forward. The observer
 *     asks them one by one over an observation that takes its time (the
 *     engine reads util_now_ms() at its end, a fractional second: see
 *     fake_clock_ms); a server may be unreachable for a while.
 *   - Resolvers (the conservative bound over every resolver there may
 *     be): an answer a server gave at t reaches the resolver up to
 *     MODEL_DELAY_MS later (1000 by default: the design's "up to one
 *     second after the last address stopped serving it"), and a
 *     resolver keeps cache expiry in whole seconds, so a version served
 *     by some server until u may be held until
 *       (floor((u - 1 ms + delay) / 1 s) + TTL + 1) s.
 *     "No RRset" is never a DANE constraint.
 *   - The MTA serves what it loaded: the combined file, or PATH.stale
 *     while it keeps an older chain (a reload that did not take; a file
 *     that went bad under it). The check reads the chain from disk and
 *     judges with OpenSSL's DANE code (dane_judge.c), memoized per chain
 *     digest and RRset version.
 * Between two events the set of cacheable versions only shrinks and the
 * served chain stays the same, so checking at every event (a version
 * reaching a server, a deploy, a rollback, a file change, a publish, the
 * end of every engine run and time step) checks every instant.
 *
 * Faults: publishes refused, or applied with the answer lost; lagging and
 * unreachable servers; SIGKILL at a named crash point; wall-clock jumps
 * both ways (forward only with a boot clock, which is what guards them);
 * served files that become garbage, empty, truncated or unreadable (a
 * directory) while the MTA keeps its chain, and are repaired later; ACME
 * clients re-keying on their own, or reusing the current or next key
 * (acme-hook); CA changes; failed issues and deploys; reloads that do not
 * take; an MTA the live checks cannot reach; forced rolls and renewals
 * interleaved with timer runs (runs are serialized by the lock, so
 * concurrent runs interleave at run granularity).
 *
 * Crashes are true SIGKILLs: a crash sequence forks a child at a random
 * step that runs the sequence on until the engine reaches the chosen
 * crash point, where it kills itself. The world (this file's struct
 * world) is in shared memory, so the DNS and MTA the child changed stay
 * changed, and the parent resumes with what is on disk, as the next
 * timer run would.
 *
 * MODEL_SEQUENCES=N runs N sequences (default below), MODEL_SEED=S
 * replays one sequence with its steps printed, MODEL_BASE=S picks the
 * seeds, MODEL_JOBS=N runs in N processes (2), MODEL_DELAY_MS as above.
 */
#include <errno.h>
#include <ftw.h>
#include <signal.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/sha.h>
#include <openssl/x509.h>

#include "conf.h"
#include "dane_judge.h"
#include "engine.h"
#include "fakes.h"
#include "fsutil.h"
#include "intake.h"
#include "log.h"
#include "store.h"
#include "t.h"

#if defined(__SANITIZE_ADDRESS__)
#define MODEL_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MODEL_ASAN 1
#endif
#endif
#ifdef MODEL_ASAN
#include <sanitizer/lsan_interface.h>
#endif

#define T0		1800000000LL
#define DAY		86400LL
#define NEVER		(INT64_MAX / 4)
#define MAXSRV		4
#define MAXOWN		2
#define MAXVER		128
#define MAXRR		8
#define MAXFAIL		64
#define LOGSZ		24576
/* A run deploys, then may roll back: more reloads than this are a loop. */
#define MAX_RUN_RELOADS	4
/* About 25 s on two idle cores; ASan is some five times slower. */
#ifdef MODEL_ASAN
#define DEFAULT_SEQUENCES	120
#else
#define DEFAULT_SEQUENCES	600
#endif

static const char *const crash_points[] = {
	"generate:before-write", "generate:after-write",
	"publish:before-send", "publish:after-send",
	"issue:before-hook", "issue:after-hook", "deploy:before",
	"deploy:after", "rollback:before", "rollback:after", "promote:after",
};
#define NCRASH	(int)(sizeof(crash_points) / sizeof(crash_points[0]))

/* One TLSA record, flat (the world lives in shared memory). */
struct mrr {
	uint8_t		 usage, selector, mtype, len;
	unsigned char	 data[64];
};

struct mset {
	int		 n;
	struct mrr	 rr[MAXRR];
};

/* One RRset version: served by server k from arrive[k] on, until the
 * next version arrives there. */
struct mversion {
	struct mset	 set;
	int64_t		 ttl;
	int64_t		 arrive[MAXSRV];
};

struct mowner {
	char		 name[128];
	int		 nv;
	struct mversion	 v[MAXVER];
	int64_t		 neg_ttl;
};

/* A verdict of the judge: chain (by digest) against a version. */
struct memo {
	unsigned char	 fp[32];
	int		 valid, verdict;
};

struct world {
	uint64_t	 rng;
	int64_t		 now;		/* real time, ms */
	int64_t		 skew;		/* wall - real, s */
	int		 boot;		/* a boot clock is known */
	int		 delay;		/* in-flight bound, ms */
	int		 nsrv, down[MAXSRV];
	int		 nown;
	struct mowner	 own[MAXOWN];
	struct memo	 memo[MAXOWN][MAXVER];
	/* faults armed */
	int		 pub_fail, pub_lost, long_lag, issue_fail, deploy_fail;
	int		 reload_fail, mta_dark, garbage;
	int		 ca_gen;
	/* the last run */
	int		 busy;
	int		 reloads;	/* deploys and rollbacks it ran */
	int64_t		 wake_ms;	/* wall ms, as run --wait wakes; 0 none */
	/* progress */
	int		 step, nsteps, calm;
	int		 crash_at, crash_step, crashed, child_done;
	/* results */
	long long	 checks, runs, publishes, deploys, rollbacks, intakes;
	long long	 ca_changes, crashes, jumps, garbages;
	int		 violated, viol_step;
	char		 why[512];
	int		 verbose;
	size_t		 loglen;
	char		 log[LOGSZ];
};

/* The counters of struct tally, listed once: the parent adds them up. */
#define TALLY_COUNTERS(X) \
	X(sequences) X(checks) X(runs) X(publishes) X(deploys) X(rollbacks) \
	X(intakes) X(ca_changes) X(crashes) X(jumps) X(garbages) \
	X(violations) X(converged)
#define TALLY_FIELD(f)	long long f;

/* What one worker process found, in memory shared with the parent. */
struct tally {
	TALLY_COUNTERS(TALLY_FIELD)
	int		 nfail;
	uint64_t	 fail_seed[MAXFAIL];
	int		 fail_step[MAXFAIL];
	char		 fail_why[MAXFAIL][200];
};

static struct world	*W;
static struct conf	*conf;
static struct store	*st;
static struct engine	 eng;
static const struct conf_host *host;
static char		 dir[512];
static char		 base_dir[400];
static int		 local_ca_gen;
static int		 reset_once;

/* ---------------------------------------------------------------- */
/* Randomness: one stream per sequence, in the shared world. */

static uint64_t
splitmix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static uint64_t
rnd64(void)
{
	W->rng ^= W->rng >> 12;
	W->rng ^= W->rng << 25;
	W->rng ^= W->rng >> 27;
	return W->rng * 0x2545f4914f6cdd1dULL;
}

/* 0 .. n-1 */
static int64_t
rnd(int64_t n)
{
	return n <= 1 ? 0 : (int64_t)(rnd64() % (uint64_t)n);
}

static int
chance(int percent)
{
	return rnd(100) < percent;
}

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* One line of the sequence's story, kept for a replay or a failure. */
static void
say(const char *fmt, ...)
{
	va_list ap;
	int n;

	if (W->loglen + 200 >= LOGSZ)
		return;
	n = snprintf(W->log + W->loglen, LOGSZ - W->loglen, "  %2d %9.3fs ",
	    W->step, (double)(W->now - T0 * 1000) / 1000.0);
	if (n > 0)
		W->loglen += (size_t)n;
	va_start(ap, fmt);
	n = vsnprintf(W->log + W->loglen, LOGSZ - W->loglen - 1, fmt, ap);
	va_end(ap);
	if (n > 0)
		W->loglen += (size_t)n < LOGSZ - W->loglen - 1 ? (size_t)n :
		    LOGSZ - W->loglen - 2;
	W->log[W->loglen++] = '\n';
	W->log[W->loglen] = '\0';
}

/* ---------------------------------------------------------------- */
/* Clocks. */

static void
set_clock(void)
{
	fake_skew((time_t)W->skew);
	fake_clock_ms(W->now + W->skew * 1000);
}

static void	check(const char *where);

/* Real time moves on to `to`; every version reaching a server on the way
 * is an instant at which a resolver may fetch it. */
static void
advance(int64_t to)
{
	for (;;) {
		int64_t next = NEVER;
		int o, i, k;

		for (o = 0; o < W->nown; o++)
			for (i = 1; i < W->own[o].nv; i++)
				for (k = 0; k < W->nsrv; k++) {
					int64_t a = W->own[o].v[i].arrive[k];

					if (a > W->now && a <= to && a < next)
						next = a;
				}
		if (next == NEVER)
			break;
		W->now = next;
		set_clock();
		check("a version reached a server");
	}
	if (to > W->now)
		W->now = to;
	set_clock();
}

/* ---------------------------------------------------------------- */
/* DNS. */

static void
mset_from(struct mset *m, const struct tlsa_set *s)
{
	size_t i;

	memset(m, 0, sizeof(*m));
	for (i = 0; i < s->n && i < MAXRR; i++) {
		m->rr[i].usage = s->rr[i].usage;
		m->rr[i].selector = s->rr[i].selector;
		m->rr[i].mtype = s->rr[i].mtype;
		m->rr[i].len = (uint8_t)(s->rr[i].len < 64 ? s->rr[i].len : 64);
		memcpy(m->rr[i].data, s->rr[i].data, m->rr[i].len);
	}
	m->n = (int)(s->n < MAXRR ? s->n : MAXRR);
	if (s->n > MAXRR)
		abort();
}

static void
mset_to(const struct mset *m, struct tlsa_set *s)
{
	int i;

	memset(s, 0, sizeof(*s));
	for (i = 0; i < m->n; i++) {
		struct tlsa_rr rr;

		rr.usage = m->rr[i].usage;
		rr.selector = m->rr[i].selector;
		rr.mtype = m->rr[i].mtype;
		rr.data = (unsigned char *)m->rr[i].data;
		rr.len = m->rr[i].len;
		tlsa_set_add(s, &rr);
	}
}

static int
mrr_in(const struct mrr *r, const struct mset *m)
{
	int i;

	for (i = 0; i < m->n; i++)
		if (m->rr[i].usage == r->usage &&
		    m->rr[i].selector == r->selector &&
		    m->rr[i].mtype == r->mtype && m->rr[i].len == r->len &&
		    memcmp(m->rr[i].data, r->data, r->len) == 0)
			return 1;
	return 0;
}

static int
mset_equal(const struct mset *a, const struct mset *b)
{
	int i;

	if (a->n != b->n)
		return 0;
	for (i = 0; i < a->n; i++)
		if (!mrr_in(&a->rr[i], b))
			return 0;
	return 1;
}

static struct mowner *
owner_of(const char *name)
{
	int o;

	for (o = 0; o < W->nown; o++)
		if (strcmp(W->own[o].name, name) == 0)
			return &W->own[o];
	abort();
}

/* The version server k serves at t. */
static int
served_version(const struct mowner *o, int k, int64_t t)
{
	int i;

	for (i = o->nv - 1; i > 0; i--)
		if (o->v[i].arrive[k] <= t)
			return i;
	return 0;
}

/* May a resolver hold version i of o at t? */
static int
cacheable(const struct mowner *o, int i, int64_t t)
{
	const struct mversion *v = &o->v[i];
	int k;

	if (v->set.n == 0)
		return 0;	/* no RRset: no DANE */
	for (k = 0; k < W->nsrv; k++) {
		int64_t a = v->arrive[k];
		int64_t b = i + 1 < o->nv ? o->v[i + 1].arrive[k] : NEVER;
		int64_t last;

		if (a > t || b <= a)
			continue;	/* not yet there, or never served */
		if (b > t)
			return 1;	/* served now */
		last = (b - 1 + W->delay) / 1000;
		if (t < (last + v->ttl + 1) * 1000)
			return 1;
	}
	return 0;
}

static enum outcome
model_replace(const struct conf *c, const struct conf_publisher *p,
    const struct publish_req *r)
{
	struct mowner *o = owner_of(r->owner);
	struct mversion *v;
	int k, lost = 0;

	(void)c;
	(void)p;
	advance(W->now + rnd(300));
	if (W->pub_fail > 0) {
		W->pub_fail--;
		say("publish at %s refused", r->owner);
		log_msg(LOG_LVL_ERR, NULL, NULL, "model publisher: update of "
		    "%s refused", r->owner);
		return chance(80) ? OUT_TEMPFAIL : OUT_PERMFAIL;
	}
	if (o->nv == MAXVER) {
		say("too many versions: sequence ends");
		W->nsteps = W->step;
		return OUT_TEMPFAIL;
	}
	v = &o->v[o->nv];
	memset(v, 0, sizeof(*v));
	mset_from(&v->set, r->want);
	v->ttl = r->ttl;
	for (k = 0; k < W->nsrv; k++) {
		int64_t lag = k == 0 ? 0 : chance(30) ? 0 : rnd(4000);

		if (k > 0 && W->long_lag == k)
			lag = 30000 + rnd(600000);
		v->arrive[k] = W->now + lag;
		/* Servers only move forward. */
		if (v->arrive[k] < o->v[o->nv - 1].arrive[k])
			v->arrive[k] = o->v[o->nv - 1].arrive[k];
	}
	W->long_lag = 0;
	memset(&W->memo[o - W->own][o->nv], 0, sizeof(W->memo[0][0]));
	o->nv++;
	W->publishes++;
	if (W->pub_lost) {
		W->pub_lost = 0;
		lost = 1;
	}
	say("publish v%d at %s (%d records, ttl %lld)%s", o->nv - 1, o->name,
	    v->set.n, (long long)v->ttl, lost ? ": applied, answer lost" : "");
	check("publish");
	advance(W->now + rnd(200));
	if (lost) {
		log_msg(LOG_LVL_ERR, NULL, NULL, "model publisher: no answer "
		    "from the primary for %s", r->owner);
		return OUT_TEMPFAIL;
	}
	return OUT_OK;
}

static enum outcome
model_observe(const struct conf *c, const struct conf_host *h,
    const char *name, const struct tlsa_set *want, struct obs_report *rep)
{
	struct mowner *o = owner_of(name);
	struct mset w;
	int64_t start = W->now, dur;
	int k, first = -1;

	(void)c;
	(void)h;
	mset_from(&w, want);
	dur = chance(70) ? rnd(2500) : rnd(9000);
	memset(rep, 0, sizeof(*rep));
	rep->nservers = W->nsrv;
	rep->servers = xcalloc((size_t)W->nsrv, sizeof(*rep->servers));
	rep->all_match = 1;
	for (k = 0; k < W->nsrv; k++) {
		struct obs_server *sv = &rep->servers[k];
		const struct mversion *v;

		advance(start + (k + 1) * dur / (W->nsrv + 1));
		snprintf(sv->addr, sizeof(sv->addr), "192.0.2.%d", k + 1);
		snprintf(sv->ns, sizeof(sv->ns), "ns%d.example.", k + 1);
		if (W->down[k]) {
			sv->result = OBS_UNREACHABLE;
			rep->all_match = 0;
			continue;
		}
		v = &o->v[served_version(o, k, W->now)];
		if (first < 0)
			first = served_version(o, k, W->now);
		if (mset_equal(&v->set, &w))
			sv->result = OBS_MATCH;
		else
			sv->result = v->set.n == 0 ? OBS_MISSING : OBS_STALE;
		if (sv->result != OBS_MATCH)
			rep->all_match = 0;
		if (v->set.n > 0)
			rep->any_tlsa = 1;
	}
	if (first >= 0) {
		mset_to(&o->v[first].set, &rep->served);
		rep->served_ttl = o->v[first].set.n > 0 ? o->v[first].ttl : 0;
	}
	rep->neg_ttl = o->neg_ttl;
	advance(start + dur);
	return OUT_OK;
}

/* ---------------------------------------------------------------- */
/* The MTA and the check. */

static char *
live_path(void)
{
	return conf_path_for(host->files.combined_file, KEY_ALG_ECDSA_P256);
}

/* What the MTA serves: PATH.stale if it kept an older chain, else PATH.
 * *pem NULL: nothing (no file). Returns 1 if something is there. */
static int
mta_serves(char **pem, size_t *len)
{
	char *path = live_path(), stale[600];
	const char *from = path;

	snprintf(stale, sizeof(stale), "%s.stale", path);
	if (fs_exists(stale))
		from = stale;
	*pem = NULL;
	*len = 0;
	if (!fs_exists(from)) {
		free(path);
		return 0;
	}
	*pem = t_read_len(from, len);
	free(path);
	return 1;
}

static void
violation(const char *what)
{
	if (W->violated)
		return;
	W->violated = 1;
	W->viol_step = W->step;
	snprintf(W->why, sizeof(W->why), "%s", what);
	say("VIOLATION: %s", what);
}

/*
 * The judge's chain for the served PEM, parsed once per distinct file:
 * the MTA serves the same few chains (the live one, the stale one, the
 * one before a rollback) for many instants running. NULL when the PEM
 * holds no chain. The memo owns the chains.
 */
#define CHAIN_MEMO	8
static STACK_OF(X509) *
served_chain(const char *pem, size_t len, unsigned char fp[32])
{
	static struct {
		unsigned char	 fp[32];
		STACK_OF(X509)	*chain;
		int		 used;
	} memo[CHAIN_MEMO];
	static unsigned next;
	unsigned i;

	SHA256((const unsigned char *)pem, len, fp);
	for (i = 0; i < CHAIN_MEMO; i++)
		if (memo[i].used && memcmp(memo[i].fp, fp, 32) == 0)
			return memo[i].chain;
	i = next++ % CHAIN_MEMO;
	sk_X509_pop_free(memo[i].chain, X509_free);
	memo[i].chain = dane_judge_pem_chain(pem, len);
	memcpy(memo[i].fp, fp, 32);
	memo[i].used = 1;
	return memo[i].chain;
}

/* The invariant at this instant. */
static void
check(const char *where)
{
	unsigned char fp[32];
	STACK_OF(X509) *chain = NULL;
	char *pem = NULL, why[400];
	size_t len = 0;
	int o, i;

	W->checks++;
	if (!mta_serves(&pem, &len))
		return;		/* nothing served: no TLS, no DANE */
	if (pem == NULL || (chain = served_chain(pem, len, fp)) == NULL) {
		snprintf(why, sizeof(why), "%s: the MTA loaded a file that "
		    "holds no chain", where);
		violation(why);
		free(pem);
		return;
	}
	for (o = 0; o < W->nown; o++)
		for (i = 0; i < W->own[o].nv; i++) {
			struct memo *m = &W->memo[o][i];

			if (!cacheable(&W->own[o], i, W->now))
				continue;
			if (!m->valid || memcmp(m->fp, fp, 32) != 0) {
				struct tlsa_set s;

				mset_to(&W->own[o].v[i].set, &s);
				m->verdict = dane_judge(&s, chain);
				memcpy(m->fp, fp, 32);
				m->valid = 1;
				tlsa_set_free(&s);
			}
			if (m->verdict != 1) {
				snprintf(why, sizeof(why), "%s: the served "
				    "chain fails version %d of %s, which a "
				    "resolver may hold (%s)", where, i,
				    W->own[o].name, m->verdict == 0 ?
				    dane_judge_why() : "judge failed");
				violation(why);
			}
		}
	free(pem);
}

/* ---------------------------------------------------------------- */
/* The other backends: the fakes, with faults and time. */

static enum outcome
model_issue(const struct conf *c, const struct conf_host *h, enum key_alg alg,
    const char *csr, const char *out)
{
	advance(W->now + rnd(3000));
	if (W->issue_fail > 0) {
		W->issue_fail--;
		log_msg(LOG_LVL_ERR, NULL, NULL, "model issuer: failed");
		return OUT_TEMPFAIL;
	}
	return fake_backends.issuer->issue(c, h, alg, csr, out);
}

static void
unlink_stale(void)
{
	char *path = live_path(), stale[600];

	snprintf(stale, sizeof(stale), "%s.stale", path);
	(void)unlink(stale);
	free(path);
}

static enum outcome
model_deploy(const struct conf *c, const struct conf_host *h,
    enum key_alg alg, const char *key, const char *chain)
{
	enum outcome o;

	advance(W->now + rnd(500));
	if (W->deploy_fail > 0) {
		W->deploy_fail--;
		say("deploy fails");
		log_msg(LOG_LVL_ERR, NULL, NULL, "model deployer: failed");
		return OUT_TEMPFAIL;
	}
	/* fake.mta_stale: the fake keeps the chain before as PATH.stale;
	 * the reload takes unless a fault says otherwise. */
	o = fake_backends.deployer->deploy(c, h, alg, key, chain);
	W->reloads++;
	if (o == OUT_OK) {
		char *path = live_path();
		char *pem = t_read(path);

		/* The fake reports no failed rename (onto a directory):
		 * a real deployer would, and the MTA would not reload. */
		free(path);
		if (pem == NULL) {
			say("deploy fails: the file could not be replaced");
			check("deploy");
			return OUT_TEMPFAIL;
		}
		free(pem);
	}
	if (o == OUT_OK) {
		W->deploys++;
		if (W->reload_fail) {
			W->reload_fail = 0;
			say("deploy (the MTA's reload does not take)");
		} else {
			unlink_stale();
			W->garbage = 0;
			say("deploy");
		}
	}
	check("deploy");
	advance(W->now + rnd(300));
	return o;
}

static enum outcome
model_rollback(const struct conf *c, const struct conf_host *h,
    enum key_alg alg)
{
	enum outcome o;

	advance(W->now + rnd(300));
	W->reloads++;
	o = fake_backends.deployer->rollback(c, h, alg);
	if (o == OUT_OK) {
		W->rollbacks++;
		W->garbage = 0;
	}
	say("rollback: %s", outcome_str(o));
	check("rollback");
	return o;
}

static enum outcome
model_forget(const struct conf *c, const struct conf_host *h,
    enum key_alg alg)
{
	enum outcome o = fake_backends.deployer->forget(c, h, alg);

	say("forget the previous set: %s", outcome_str(o));
	check("forget");
	return o;
}

/* A handshake that takes up to ms: 1 if the MTA answers it. */
static int
mta_answers(int ms)
{
	advance(W->now + rnd(ms));
	return !W->mta_dark;
}

static enum outcome
model_verify(const struct conf *c, const struct conf_host *h,
    enum key_alg alg, const struct tlsa_set *want)
{
	return mta_answers(800) ?
	    fake_backends.verifier->verify(c, h, alg, want) : OUT_TEMPFAIL;
}

static enum outcome
model_probe(const struct conf *c, const struct conf_host *h,
    enum key_alg alg, const struct tlsa_set *would)
{
	return mta_answers(400) ?
	    fake_backends.verifier->probe(c, h, alg, would) : OUT_TEMPFAIL;
}

static const struct backend_publisher model_pub = {
	.type = "rfc2136",
	.replace = model_replace,
};
static const struct backend_publisher *const model_publishers[] = {
	&model_pub, NULL
};
static const struct backend_observer model_observer = { model_observe };
static const struct backend_issuer model_issuer = { model_issue };
static const struct backend_deployer model_deployer = {
	model_deploy, model_rollback, model_forget
};
static const struct backend_verifier model_verifier = {
	model_verify, model_probe
};
static const struct backends model_backends = {
	model_publishers, &model_observer, &model_issuer, &model_deployer,
	&model_verifier
};

/* ---------------------------------------------------------------- */
/* Files. */

static int
rm_one(const char *path, const struct stat *sb, int flag, struct FTW *f)
{
	(void)sb;
	(void)flag;
	(void)f;
	return remove(path) == 0 || errno == ENOENT ? 0 : -1;
}

static void
rm_tree(const char *path)
{
	(void)nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* The SHA-256 of a certificate's SPKI, with OpenSSL alone. */
static void
spki_digest(X509 *x, struct mrr *r, uint8_t usage)
{
	unsigned char *der = NULL;
	int n = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &der);

	r->usage = usage;
	r->selector = 1;
	r->mtype = 1;
	r->len = 32;
	SHA256(der, (size_t)(n > 0 ? n : 0), r->data);
	OPENSSL_free(der);
}

/* The served file goes bad under the MTA, which keeps its chain. */
static void
file_goes_bad(void)
{
	static const char *const bad[] = {
		"garbage\n", "", "-----BEGIN CERTIFICATE-----\nMIIB\n",
	};
	char *path = live_path(), stale[600], *pem;
	int kind = (int)rnd(4);

	snprintf(stale, sizeof(stale), "%s.stale", path);
	if (!fs_exists(path) || W->garbage) {
		free(path);
		return;
	}
	if (!fs_exists(stale) && (pem = t_read(path)) != NULL) {
		(void)fs_write_atomic(stale, pem, strlen(pem), 0600, (uid_t)-1,
		    (gid_t)-1);
		free(pem);
	}
	if (kind < 3)
		(void)fs_write_atomic(path, bad[kind], strlen(bad[kind]), 0600,
		    (uid_t)-1, (gid_t)-1);
	else if (unlink(path) != 0 || mkdir(path, 0700) != 0)
		abort();
	W->garbage = 1;
	W->garbages++;
	say("the served file becomes %s; the MTA keeps its chain",
	    kind == 0 ? "garbage" : kind == 1 ? "empty" : kind == 2 ?
	    "truncated" : "unreadable (a directory)");
	check("file gone bad");
	free(path);
}

/* Repaired: the file holds the chain the MTA kept, which reloads it. */
static void
file_repaired(void)
{
	char *path = live_path(), stale[600], *pem;

	snprintf(stale, sizeof(stale), "%s.stale", path);
	if (W->garbage && (pem = t_read(stale)) != NULL) {
		(void)rmdir(path);
		(void)fs_write_atomic(path, pem, strlen(pem), 0600, (uid_t)-1,
		    (gid_t)-1);
		free(pem);
		(void)unlink(stale);
		say("the served file is repaired");
	}
	W->garbage = 0;
	check("file repaired");
	free(path);
}

/* ---------------------------------------------------------------- */
/* A sequence. */

static int
host_id(int64_t *hid)
{
	return store_host_get(st, host->name, 0, 0, hid, NULL) == 1 ? 0 : -1;
}

static void
timer_run(const char *why)
{
	struct engine_result r;

	set_clock();
	W->runs++;
	W->reloads = 0;
	engine_host(&eng, host, &r);
	if (t_log_has("still busy after"))
		violation("a run ran out of steps: an action repeats");
	if (W->reloads > MAX_RUN_RELOADS) {
		char loop[120];

		/* Not the invariant, but what keeps it cheap: a run that
		 * repeats an action reloads the MTA dozens of times. */
		snprintf(loop, sizeof(loop), "one run reloaded the MTA %d "
		    "times: an action repeats without effect", W->reloads);
		violation(loop);
	}
	W->busy = r.busy;
	W->wake_ms = r.wake_ms;
	say("run (%s): %s%s, wake %+lldms", why, r.busy ? "busy" : "idle",
	    r.stuck ? ", stuck" : "", r.wake_ms ? (long long)(r.wake_ms -
	    (W->now + W->skew * 1000)) : 0LL);
	check("after a run");
}

/* certbot's deploy hook, as test_engine drives it. */
static void
acme_client(void)
{
	char lineage[600], *reuse = NULL;
	struct store_slot s = { 0 };
	struct store_key k = { 0 };
	struct intake_files f;
	int64_t hid;
	int how = (int)rnd(3);
	enum outcome o;

	snprintf(lineage, sizeof(lineage), "%s/lineage", dir);
	(void)mkdir(lineage, 0700);
	if (how > 0 && host_id(&hid) == 0 &&
	    store_slot_get(st, hid, KEY_ALG_ECDSA_P256, 0, 0, &s) == 1 &&
	    store_key_get(st, s.id, how == 1 ? "current" : "next", &k) == 1)
		reuse = k.path;
	if (how > 0 && reuse == NULL)
		how = 0;
	set_clock();
	if (fake_client_cert(lineage, host->name, KEY_ALG_ECDSA_P256,
	    reuse) != 0) {
		say("acme client: no certificate (key unreadable)");
		goto done;
	}
	setenv("RENEWED_LINEAGE", lineage, 1);
	setenv("RENEWED_DOMAINS", host->name, 1);
	if (intake_from_client(0, NULL, &f) == 0) {
		W->intakes++;
		o = intake_stage(conf, st, &model_backends, intake_host(conf,
		    f.domain), &f, fake_now());
		intake_files_free(&f);
		say("acme client renews %s: acme-hook %s", how == 0 ?
		    "with a fresh key" : how == 1 ? "the current key" :
		    "with the next key", outcome_str(o));
	}
	unsetenv("RENEWED_LINEAGE");
	unsetenv("RENEWED_DOMAINS");
done:
	store_key_free(&k);
	store_slot_free(&s);
	check("acme-hook");
}

static void
clock_jump(void)
{
	int64_t d = chance(50) ? 1 + rnd(120) : 1 + rnd(2 * DAY);

	/* A clock put right from behind jumps forward: only with a boot
	 * clock, as any forward jump (without one nothing can tell; found
	 * as false violations, seeds 0xac8e4515364a6540, 0x2737f7f137160c2d). */
	if (W->skew != 0 && (W->skew > 0 || W->boot) && chance(40)) {
		W->skew = 0;
		say("the wall clock is put right");
	} else if (W->boot && chance(50)) {
		W->skew += d;
		say("the wall clock jumps %llds forward", (long long)d);
	} else {
		W->skew -= d;
		say("the wall clock jumps %llds back", (long long)d);
	}
	W->jumps++;
	set_clock();
}

/* When the next timer run comes: at the wake-up time (as run --wait),
 * a moment later, or on a timer of its own. */
static int64_t
next_run_time(void)
{
	int64_t at = W->now + 1 + rnd(50);

	if (W->wake_ms != 0 && chance(75)) {
		int64_t w = W->wake_ms - W->skew * 1000;

		w += chance(50) ? rnd(30) : rnd(1000);
		if (w > at)
			at = w;
	} else if (chance(60))
		at = W->now + 1000 + rnd(300000);
	return at;
}

/* One random event. */
static void
event(void)
{
	int64_t hid;
	int e = (int)rnd(100);

	if (e < 45) {
		advance(next_run_time());
		timer_run("timer");
	} else if (e < 50) {
		if (host_id(&hid) == 0 && store_host_force(st, hid, 1) == 0)
			say("the operator forces a roll");
		timer_run("roll");
	} else if (e < 55) {
		acme_client();
	} else if (e < 58) {
		char cn[64];

		snprintf(cn, sizeof(cn), "model CA %d", ++W->ca_gen);
		fake_ca_change(cn);
		local_ca_gen = W->ca_gen;
		W->ca_changes++;
		say("the CA changes (%s)", cn);
	} else if (e < 61) {
		advance(W->now + (20 + rnd(50)) * DAY * 1000 + rnd(1000));
		say("days pass");
		check("days passed");
	} else if (e < 65) {
		W->pub_fail = 1 + (int)rnd(3);
		say("the next %d publishes are refused", W->pub_fail);
	} else if (e < 68) {
		W->pub_lost = 1;
		say("the next publish is applied, its answer lost");
	} else if (e < 72) {
		W->long_lag = 1 + (int)rnd(W->nsrv - 1);
		say("secondary %d will lag for minutes", W->long_lag);
	} else if (e < 76) {
		int k = (int)rnd(W->nsrv);

		W->down[k] = !W->down[k];
		say("server %d %s", k, W->down[k] ? "unreachable" :
		    "reachable again");
	} else if (e < 78) {
		W->issue_fail = 1 + (int)rnd(2);
		say("the next issues fail");
	} else if (e < 80) {
		W->deploy_fail = 1;
		say("the next deploy fails");
	} else if (e < 82) {
		W->reload_fail = 1;
		say("the MTA will not take the next reload");
	} else if (e < 85) {
		W->mta_dark = !W->mta_dark;
		say("the MTA is %s the live checks", W->mta_dark ?
		    "out of reach of" : "back in reach of");
	} else if (e < 90) {
		if (W->garbage)
			file_repaired();
		else
			file_goes_bad();
	} else if (e < 94) {
		clock_jump();
	} else {
		advance(W->now + rnd(3000 * (1 + rnd(40))));
		say("time passes");
		check("time passed");
	}
}

/* Faults end; the timer runs at every wake-up until nothing is busy. */
static int
calm(void)
{
	int i;

	W->pub_fail = W->pub_lost = W->long_lag = W->issue_fail = 0;
	W->deploy_fail = W->reload_fail = W->mta_dark = 0;
	memset(W->down, 0, sizeof(W->down));
	if (W->garbage)
		file_repaired();
	say("calm: faults end");
	for (i = 0; i < 40 && !W->violated; i++) {
		advance(W->wake_ms != 0 ? next_run_time() : W->now + 1000);
		timer_run("calm");
		if (!W->busy)
			return 1;
	}
	return 0;
}

static void
crash_hook(const char *point)
{
	if (W->crash_at >= 0 && strcmp(point, crash_points[W->crash_at]) == 0) {
		say("SIGKILL at %s", point);
		W->crashed = 1;
		W->crashes++;
		kill(getpid(), SIGKILL);
	}
}

/* The steps from W->step on; in a crash child, until the crash. */
static void
steps(void)
{
	while (W->step < W->nsteps && !W->violated) {
		W->step++;
		event();
		if (W->crash_step == W->step && W->crash_at >= 0 &&
		    eng.crash_point == NULL)
			return;		/* the parent forks here */
	}
}

/* Initial world: a served chain (or none) and what DNS serves. */
/*
 * Opens a new, empty store in DIR. The first in this process is made by
 * store_open() and its migrations; the others start as a copy of that
 * file, which is the same bytes and saves each sequence the migrations.
 */
static int
fresh_store(const char *state_dir)
{
	static char *template;
	static size_t template_len;
	char path[700];

	snprintf(path, sizeof(path), "%s/%s", state_dir, STORE_DB_NAME);
	if (template == NULL) {
		if (store_open(state_dir, 0, &st) != OUT_OK)
			return -1;
		store_close(st);
		if ((template = t_read_len(path, &template_len)) == NULL)
			return -1;
	} else if ((mkdir(state_dir, 0700) != 0 && errno != EEXIST) ||
	    fs_write_atomic(path, template, template_len, 0600, (uid_t)-1,
	    (gid_t)-1) != 0)
		return -1;
	return store_open(state_dir, 0, &st) == OUT_OK ? 0 : -1;
}

static int
setup_world(int seq)
{
	struct buf c = { 0 };
	char path[700], spki[65], *pem = NULL;
	unsigned char fp[32];
	const char *scheme;
	int alias = chance(30), ttl, margin, k;
	STACK_OF(X509) *chain = NULL;
	struct mversion *v0;

	/* One directory per worker, the same paths every sequence: the
	 * fakes remember every live path they were handed. */
	snprintf(dir, sizeof(dir), "%s/w%d", base_dir, seq);
	rm_tree(dir);
	if (mkdir(dir, 0700) != 0)
		return -1;
	snprintf(path, sizeof(path), "%s/live", dir);
	(void)mkdir(path, 0700);
	/* fake_reset() clears megabytes of the fakes' own DNS, which this
	 * test does not use: once per process is enough. */
	if (!reset_once++)
		fake_reset(dir);
	memset(&fake, 0, sizeof(fake));
	fake_ca_change(NULL);
	fake.no_probe = 1;	/* this test's check() replaces the prober */
	fake.mta_stale = 1;	/* the MTA serves PATH.stale if there is one */
	local_ca_gen = 0;
	W->now = T0 * 1000 + rnd(1000);
	W->boot = chance(80);
	fake_skew(0);
	fake_boot_clock(W->boot);
	set_clock();
	scheme = chance(70) ? "current+next" : "current+issuer";
	ttl = (int[]){ 2, 5, 10, 30, 60 }[rnd(5)];
	margin = chance(70) ? 0 : (int)rnd(6);
	W->nsrv = 2 + (int)rnd(MAXSRV - 1);
	fake_ca_spki(spki);
	buf_printf(&c, "[global]\nstate_dir = %s/state\nttl = %d\n"
	    "margin = %d\nretry_min = 30s\nretry_max = 10m\n\n"
	    "[publisher dns]\ntype = rfc2136\ntsig_key_file = %s/tsig.key\n\n"
	    "[host mx.example.org]\nscheme = %s\nalgorithms = ecdsa-p256\n"
	    "combined_file = %s/live/mx-%%a.pem\npublisher = dns\n"
	    "acme_hook = /bin/true\nreload = /bin/true\n", dir, ttl, margin,
	    dir, scheme, dir);
	if (alias)
		buf_puts(&c, "alias = mx.example.net\n");
	if (strcmp(scheme, "current+issuer") == 0)
		buf_printf(&c, "issuer_spki = %s\n", spki);
	snprintf(path, sizeof(path), "%s/daneroll.conf", dir);
	if (fs_write_atomic(path, c.data, c.len, 0600, (uid_t)-1,
	    (gid_t)-1) != 0 || (conf = conf_load(path)) == NULL) {
		buf_free(&c);
		return -1;
	}
	buf_free(&c);
	host = &conf->hosts[0];
	if (fresh_store(conf->state_dir) != 0)
		return -1;
	memset(&eng, 0, sizeof(eng));
	eng.conf = conf;
	eng.store = st;
	eng.be = &model_backends;

	/* DNS: one version, served everywhere for a day. */
	W->nown = 1 + alias;
	snprintf(W->own[0].name, sizeof(W->own[0].name), "%s", host->owner);
	if (alias)
		snprintf(W->own[1].name, sizeof(W->own[1].name), "%s",
		    host->aliases[0].owner);
	if (chance(85)) {
		char *p = live_path();

		fake_deploy_initial(p, host->name, KEY_ALG_ECDSA_P256, 90);
		pem = t_read(p);
		free(p);
		if (pem != NULL)
			chain = served_chain(pem, strlen(pem), fp);
	}
	for (k = 0; k < W->nown; k++) {
		int s;

		v0 = &W->own[k].v[0];
		W->own[k].nv = 1;
		W->own[k].neg_ttl = (int[]){ 1, 5, 30 }[rnd(3)];
		v0->ttl = chance(50) ? ttl : (int[]){ 1, 3, 300 }[rnd(3)];
		for (s = 0; s < MAXSRV; s++)
			v0->arrive[s] = -NEVER;
		if (chain != NULL && chance(70)) {
			spki_digest(sk_X509_value(chain, 0), &v0->set.rr[0], 3);
			v0->set.n = 1;
			if (sk_X509_num(chain) > 1 && chance(50)) {
				spki_digest(sk_X509_value(chain, 1),
				    &v0->set.rr[1], 2);
				v0->set.n = 2;
			}
		} else if (chain == NULL && chance(50)) {
			v0->set.n = 1;
			v0->set.rr[0].usage = 3;
			v0->set.rr[0].selector = 1;
			v0->set.rr[0].mtype = 1;
			v0->set.rr[0].len = 32;
			for (s = 0; s < 32; s++)
				v0->set.rr[0].data[s] = (unsigned char)rnd(256);
		}
	}
	say("%s, ttl %d, margin %d, %d servers, %s, %s, DNS %s, %s", scheme,
	    ttl, margin, W->nsrv, alias ? "an alias" : "no alias",
	    chain != NULL ? "a chain served" : "nothing served",
	    W->own[0].v[0].set.n > 0 ? "has TLSA" : "has no TLSA",
	    W->boot ? "a boot clock" : "no boot clock");
	free(pem);
	check("start");
	if (chance(10))
		file_goes_bad();
	return 0;
}

static void
teardown_world(void)
{
	store_close(st);
	conf_free(conf);
	st = NULL;
	conf = NULL;
	host = NULL;
	fake_ca_change(NULL);
	rm_tree(dir);
}

/* One sequence: 1 if it kept the invariant. */
static int
sequence(uint64_t seed, int worker_id, int *converged)
{
	t_log_reset();	/* the engine's lines: this sequence's only */
	memset(W, 0, offsetof(struct world, log));
	W->log[0] = '\0';
	W->rng = splitmix(seed) | 1;
	W->delay = getenv("MODEL_DELAY_MS") ? atoi(getenv("MODEL_DELAY_MS")) :
	    1000;
	W->nsteps = 10 + (int)rnd(30);
	W->crash_at = chance(30) ? (int)rnd(NCRASH) : -1;
	W->crash_step = 1 + (int)rnd(W->nsteps);
	if (setup_world(worker_id) != 0) {
		printf("    sequence %#llx: setup failed\n",
		    (unsigned long long)seed);
		teardown_world();
		return 0;
	}
	steps();
	if (W->step < W->nsteps && !W->violated) {
		/* A crash sequence: the child runs on until the crash. */
		pid_t pid;
		int status = 0;

		store_close(st);
		st = NULL;
		fflush(stdout);
		if ((pid = fork()) == 0) {
			if (store_open(conf->state_dir, 0, &st) != OUT_OK)
				_exit(3);
			eng.store = st;
			eng.crash_point = crash_hook;
			say("a run that will be killed at %s starts",
			    crash_points[W->crash_at]);
			steps();
			if (!W->violated)
				(void)calm();
			W->child_done = 1;
			_exit(0);
		}
		waitpid(pid, &status, 0);
		if (store_open(conf->state_dir, 0, &st) != OUT_OK)
			abort();
		eng.store = st;
		if (W->ca_gen != local_ca_gen) {
			char cn[64];

			snprintf(cn, sizeof(cn), "model CA %d'", W->ca_gen);
			fake_ca_change(cn);
			local_ca_gen = W->ca_gen;
		}
		if (!W->child_done) {
			if (!W->crashed)
				say("the child died (status %d)", status);
			steps();
		}
	}
	if (!W->child_done && !W->violated)
		*converged = calm();
	else
		*converged = W->child_done;
	teardown_world();
	return !W->violated;
}

/* ---------------------------------------------------------------- */
/* Driving. */

static uint64_t
seed_of(uint64_t base, long long i)
{
	return splitmix(base ^ (uint64_t)i * 0x9e3779b97f4a7c15ULL);
}

static void
worker(struct tally *t, uint64_t base, long long from, long long n,
    long long stride)
{
	long long i;

	for (i = from; i < n; i += stride) {
		uint64_t seed = seed_of(base, i);
		int conv = 0, ok = sequence(seed, (int)from, &conv);

		t->sequences++;
		t->checks += W->checks;
		t->runs += W->runs;
		t->publishes += W->publishes;
		t->deploys += W->deploys;
		t->rollbacks += W->rollbacks;
		t->intakes += W->intakes;
		t->ca_changes += W->ca_changes;
		t->crashes += W->crashes;
		t->jumps += W->jumps;
		t->garbages += W->garbages;
		t->converged += conv;
		if (!ok) {
			t->violations++;
			if (t->nfail < MAXFAIL) {
				t->fail_seed[t->nfail] = seed;
				t->fail_step[t->nfail] = W->viol_step;
				snprintf(t->fail_why[t->nfail],
				    sizeof(t->fail_why[0]), "%.190s", W->why);
				t->nfail++;
			}
		}
	}
}

static void *
shared(size_t n)
{
	void *p = mmap(NULL, n, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		abort();
	memset(p, 0, n);
	return p;
}

static void
pick_base_dir(void)
{
	struct stat sb;

	/* SQLite and atomic installs fsync: tmpfs makes that free. */
	if (stat("/dev/shm", &sb) == 0 && S_ISDIR(sb.st_mode) &&
	    access("/dev/shm", W_OK) == 0) {
		snprintf(base_dir, sizeof(base_dir), "/dev/shm/daneroll-model.%d",
		    (int)getpid());
		if (mkdir(base_dir, 0700) == 0)
			return;
	}
	snprintf(base_dir, sizeof(base_dir), "%s/model", t_tmpdir());
	(void)mkdir(base_dir, 0700);
}

/* Replays one sequence and prints its story. */
static int
replay(uint64_t seed, int upto)
{
	int conv = 0, ok;

	ok = sequence(seed, 0, &conv);
	printf("    sequence %#llx, %d steps%s:\n%s", (unsigned long long)seed,
	    upto, ok ? " (kept the invariant this time)" : "", W->log);
	return ok;
}

static void
test_ms_clock(void)
{
	/* Without the wrap (Makefile) the engine would see whole seconds,
	 * and no observation would end inside a second. */
	fake_clock_ms(T0 * 1000 + 381);
	T_INT(util_now_ms(), T0 * 1000 + 381);
	T_INT(util_now(), T0);
	fake_clock(T0 + 5);
	T_INT(util_now_ms(), (T0 + 5) * 1000);
}

/* The check must see what it is there to see: a chain put live that a
 * cacheable version fails, and the whole second a cache may add. */
static void
test_check_can_fail(void)
{
	char *p;

	W = shared(sizeof(*W));
	pick_base_dir();
	W->rng = 7;
	W->delay = 0;
	W->nsteps = 0;
	W->crash_at = -1;
	if (!T_CHECK(setup_world(0) == 0))
		return;
	/* DNS: a record of another key, served until now + 0.5 s, TTL 2. */
	W->violated = 0;
	W->nown = 1;
	W->nsrv = 1;
	W->own[0].nv = 2;
	memset(&W->own[0].v[0].set, 0, sizeof(W->own[0].v[0].set));
	W->own[0].v[0].set.n = 1;
	W->own[0].v[0].set.rr[0].usage = 3;
	W->own[0].v[0].set.rr[0].selector = 1;
	W->own[0].v[0].set.rr[0].mtype = 1;
	W->own[0].v[0].set.rr[0].len = 32;
	W->own[0].v[0].ttl = 2;
	W->own[0].v[1].set.n = 0;
	W->own[0].v[1].arrive[0] = W->now + 500;
	memset(W->memo, 0, sizeof(W->memo));
	p = live_path();
	(void)unlink(p);
	fake_deploy_initial(p, host->name, KEY_ALG_ECDSA_P256, 90);
	free(p);
	check("a test");
	T_CHECK(W->violated);		/* served now */
	/* Served until u = now + 0.5 s: a resolver holds it until
	 * floor(u - 1 ms) + 2 + 1 s, not until u + 2 s. */
	{
		int64_t u = W->own[0].v[1].arrive[0];
		int64_t end = ((u - 1) / 1000 + 3) * 1000;

		T_CHECK(cacheable(&W->own[0], 0, end - 1));
		T_CHECK(!cacheable(&W->own[0], 0, end));
		T_CHECK(end > u + 2000);
		W->delay = 1000;
		T_CHECK(cacheable(&W->own[0], 0, end));
		W->delay = 0;
	}
	teardown_world();
}

static void
test_model(void)
{
	const char *e;
	uint64_t base = (uint64_t)time(NULL);
	long long n = DEFAULT_SEQUENCES, j;
	int jobs = 2, i, best = -1, bestw = -1;
	struct tally *t, sum;
	double t0 = t_now_s();

	if ((e = getenv("MODEL_SEQUENCES")) != NULL)
		n = atoll(e);
	if ((e = getenv("MODEL_JOBS")) != NULL)
		jobs = atoi(e) > 0 ? atoi(e) : 1;
	if ((e = getenv("MODEL_BASE")) != NULL)
		base = strtoull(e, NULL, 0);
	if (W == NULL)
		W = shared(sizeof(*W));
	if (base_dir[0] == '\0')
		pick_base_dir();
	if ((e = getenv("MODEL_SEED")) != NULL) {
		T_CHECK(replay(strtoull(e, NULL, 0), 0));
		rm_tree(base_dir);
		return;
	}
	t = shared(sizeof(*t) * (size_t)jobs);
	fflush(stdout);
	for (i = 0; i < jobs; i++) {
		pid_t pid = jobs == 1 ? 0 : fork();

		if (pid == 0) {
			if (jobs > 1)
				W = shared(sizeof(*W));
			worker(&t[i], base, i, n, jobs);
			if (jobs == 1)
				break;
#ifdef MODEL_ASAN
			__lsan_do_leak_check();
#endif
			_exit(0);
		}
	}
	for (i = 0; jobs > 1 && i < jobs; i++) {
		int status;

		if (!T_CHECK(wait(&status) > 0 && WIFEXITED(status) &&
		    WEXITSTATUS(status) == 0))
			printf("    a worker died (status %d)\n", status);
	}
	memset(&sum, 0, sizeof(sum));
	for (i = 0; i < jobs; i++) {
#define TALLY_ADD(f)	sum.f += t[i].f;
		TALLY_COUNTERS(TALLY_ADD)
#undef TALLY_ADD
		for (j = 0; j < t[i].nfail; j++)
			if (best < 0 || t[i].fail_step[j] <
			    t[bestw].fail_step[best]) {
				best = (int)j;
				bestw = i;
			}
	}
	printf("model: %lld sequences, %lld instants checked, %lld violations "
	    "(seed %#llx)\n", sum.sequences, sum.checks, sum.violations,
	    (unsigned long long)base);
	printf("model: %.1f s, %d jobs, resolver delay %d ms: %lld runs, "
	    "%lld publishes, %lld deploys, %lld rollbacks, %lld acme-hooks, "
	    "%lld CA changes, %lld SIGKILLs, %lld clock jumps, %lld bad "
	    "files; %lld sequences idle at the end\n", t_now_s() - t0, jobs,
	    getenv("MODEL_DELAY_MS") ? atoi(getenv("MODEL_DELAY_MS")) : 1000,
	    sum.runs, sum.publishes, sum.deploys, sum.rollbacks, sum.intakes,
	    sum.ca_changes, sum.crashes, sum.jumps, sum.garbages,
	    sum.converged);
	T_INT(sum.sequences, n);
	if (!T_INT(sum.violations, 0)) {
		printf("    shortest failure: MODEL_SEED=%#llx (violated at step "
		    "%d: %s)\n", (unsigned long long)t[bestw].fail_seed[best],
		    t[bestw].fail_step[best], t[bestw].fail_why[best]);
		(void)replay(t[bestw].fail_seed[best],
		    t[bestw].fail_step[best]);
	}
	rm_tree(base_dir);
}

/*
 * Sequences the random search once found failing, replayed every run.
 * 0x92162b8aa2d91233: a wall-clock jump while a certificate waited on
 * its record's TTL; the boot clock's whole seconds re-dated "served
 * everywhere" up to 2 s early and the deploy came 0.4 s before a
 * resolver's copy of the old RRset expired (ageing_boot_dated).
 * 0xe4f4a250eef18767: a deploy over a key the ACME client had put in
 * place, a live check that failed, and a rollback that restored that
 * key: the machine restored it again 64 times a run, each a reload
 * (MAX_RUN_RELOADS).
 */
static void
test_regressions(void)
{
	static const uint64_t seeds[] = { 0x92162b8aa2d91233ULL,
	    0xe4f4a250eef18767ULL };
	size_t i;

	if (W == NULL)
		W = shared(sizeof(*W));
	if (base_dir[0] == '\0')
		pick_base_dir();
	for (i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
		int conv = 0;

		if (!T_CHECK(sequence(seeds[i], 0, &conv)))
			(void)replay(seeds[i], 0);
	}
}

static const struct t_case cases[] = {
	{ "the engine reads a wall clock below the second", test_ms_clock },
	{ "the check fails a chain a cacheable RRset fails, to the second",
	  test_check_can_fail },
	{ "sequences found failing once keep the invariant",
	  test_regressions },
	{ "randomized sequences keep the invariant at every instant",
	  test_model },
};
T_MAIN(cases)

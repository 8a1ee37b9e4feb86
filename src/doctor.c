/*
 * doctor - gathers the facts `daneroll doctor` judges (doctor_judge.c).
 * See include/doctor.h.
 *
 * Read-only by construction: files are stat(2)ed and read, never
 * opened for writing; the publisher is asked through its probe, which
 * sends no update and runs no program; hooks are looked at, not run;
 * the state database is opened read-only (an absent one is an empty
 * state in memory, as for `status`). What DNS says is gathered by
 * doctor_net.c, in the network child when the caller gives its ops (no
 * DNS answer is parsed here, where the keys and secrets are), and judged
 * here.
 *
 * What the modules log while doctor asks (a refused key file, a BADSIG
 * answer, a resolver that does not recurse) is caught by a log sink and
 * becomes the finding's text, so every failure is said once, on the
 * finding's line. Zones and publishers shared by several hosts are
 * examined once.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "backend.h"
#include "cert.h"
#include "deploy_files.h"
#include "doctor.h"
#include "doctor_net.h"
#include "exec.h"
#include "fsutil.h"
#include "key.h"
#include "log.h"
#include "resolve.h"
#include "store.h"
#include "view.h"

/* What the modules logged during one step. */
struct capture {
	struct buf	 lines[8];	/* the first ones at WARN or worse */
	enum log_level	 levels[8];
	int		 n;
	char		 last[1024];	/* the last line, any level */
	char		 last_bad[1024]; /* the last at WARN or worse */
};

struct doc {
	const struct conf	*conf;
	struct doctor_report	 rep;
	struct capture		 cap;
	char			**seen;		/* zones, publishers done */
	int			 nseen;
	const struct doctor_net_ops *net;	/* NULL: in this process */
	struct doctor_net_memo	 memo;		/* ...with these */
	struct doctor_net_res	 res;
};

static void
cap_sink(enum log_level lvl, const char *line, void *arg)
{
	struct capture *c = arg;

	snprintf(c->last, sizeof(c->last), "%s", line);
	if (lvl > LOG_LVL_WARN)
		return;
	snprintf(c->last_bad, sizeof(c->last_bad), "%s", line);
	if (c->n < (int)(sizeof(c->lines) / sizeof(c->lines[0]))) {
		buf_puts(&c->lines[c->n], line);
		c->levels[c->n++] = lvl;
	}
}

static void
cap_reset(struct capture *c)
{
	int i;

	for (i = 0; i < c->n; i++)
		buf_free(&c->lines[i]);
	c->n = 0;
	c->last[0] = c->last_bad[0] = '\0';
}

static int
was_seen(const struct doc *d, const char *key)
{
	int i;

	for (i = 0; i < d->nseen; i++)
		if (strcmp(d->seen[i], key) == 0)
			return 1;
	return 0;
}

/* 1 the first time key is asked about, then 0. */
static int
first_time(struct doc *d, const char *key)
{
	if (was_seen(d, key))
		return 0;
	d->seen = xrealloc(d->seen, (size_t)(d->nseen + 1) * sizeof(*d->seen));
	d->seen[d->nseen++] = xstrdup(key);
	return 1;
}

/* ------------------------------------------------------------ files */

/* stat(2) of a file into f; what it is and whose. */
static void
file_stat(struct doctor_file *f)
{
	struct stat st;

	f->euid = geteuid();
	if (stat(f->path, &st) == 0) {
		f->exists = 1;
		f->mode = st.st_mode;
		f->uid = st.st_uid;
	} else if (errno == ENOENT || errno == ENOTDIR) {
		f->exists = 0;
	} else {
		f->exists = -1;
		f->err = errno;
	}
}

/* fs_secure_path's reason, caught, into buf; NULL if it is trusted. */
static const char *
untrusted(struct doc *d, const char *path, int flags, char *buf,
    size_t len)
{
	cap_reset(&d->cap);
	if (fs_secure_path(path, flags) == 0)
		return NULL;
	snprintf(buf, len, "%s", d->cap.last_bad[0] != '\0' ?
	    d->cap.last_bad : "is not trusted");
	return buf;
}

static void
check_dir(struct doc *d, const char *label, const char *path)
{
	struct doctor_file f;
	char why[1024];

	memset(&f, 0, sizeof(f));
	f.kind = DOC_F_DIR;
	f.label = label;
	f.path = path;
	f.first_run = 1;
	file_stat(&f);
	if (f.exists == 1)
		f.untrusted = untrusted(d, path, FS_SP_DIR, why, sizeof(why));
	doctor_judge_file(&d->rep, "global", &f);
}

/* A program daneroll runs: there, runnable, writable by its owner only. */
static void
check_program(struct doc *d, const char *where, const char *label,
    const struct conf_cmd *cmd)
{
	struct doctor_file f;
	char at[1100], why[1024];

	if (cmd->argv == NULL)
		return;
	memset(&f, 0, sizeof(f));
	snprintf(at, sizeof(at), "%s:%d", d->conf->path, cmd->line);
	f.kind = DOC_F_PROGRAM;
	f.label = label;
	f.path = cmd->argv[0];
	f.set_at = at;
	file_stat(&f);
	if (f.exists == 1) {
		f.not_runnable = exec_program_problem(f.path);
		f.untrusted = untrusted(d, f.path, FS_SP_FILE | FS_SP_LINK,
		    why, sizeof(why));
	}
	doctor_judge_file(&d->rep, where, &f);
}

/* The programs a publisher's section names (its backend's CMD keys). */
static void
check_pub_programs(struct doc *d, const char *where,
    const struct conf_publisher *p)
{
	const struct conf_key *k;

	if (p->def == NULL || p->priv == NULL)
		return;
	for (k = p->def->keys; k->name != NULL; k++)
		if (k->kind == CONF_CMD)
			check_program(d, where, k->name, (const struct conf_cmd *)
			    (const void *)((const char *)p->priv + k->off));
}

/* A publisher's secret file, if its type has one: owner-only, and a
 * secret its backend can use. -1 if it failed (the probe would only say
 * it again). */
static int
check_secret(struct doc *d, const struct conf_publisher *p,
    const struct backend_publisher *pb)
{
	struct doctor_file f;
	const struct conf_key *k;
	char where[300], at[1100], why[1024], fix[300];
	size_t before;

	memset(&f, 0, sizeof(f));
	if ((k = conf_pub_secret(p, &f.path)) == NULL)
		return 0;
	snprintf(where, sizeof(where), "publisher %s", p->name);
	snprintf(at, sizeof(at), "%s:%d", d->conf->path, p->secret_line);
	f.kind = DOC_F_SECRET;
	f.label = k->name;
	f.set_at = at;
	if (f.path == NULL) {
		snprintf(fix, sizeof(fix), "set %s in the section", k->name);
		doctor_add(&d->rep, DOC_FAIL, DOC_CONFIG, where, fix,
		    "no %s: updates cannot be signed", k->name);
		return -1;
	}
	file_stat(&f);
	if (f.exists == 1 && (f.untrusted = untrusted(d, f.path, FS_SP_FILE,
	    why, sizeof(why))) == NULL && pb != NULL &&
	    pb->secret_usable != NULL && (f.mode & 077) == 0) {
		cap_reset(&d->cap);
		if (pb->secret_usable(f.path) != 0) {
			snprintf(why, sizeof(why), "%s", d->cap.last_bad);
			f.unusable = why;
		}
	}
	before = d->rep.n;
	doctor_judge_file(&d->rep, where, &f);
	return d->rep.f[before].sev == DOC_FAIL ? -1 : 0;
}

/* One file of a slot, labelled "<alg> <what>"; key_mode for a key only. */
static void
check_slot_file(struct doc *d, const struct conf_host *h,
    const struct view_slot *s, enum doctor_file_kind kind, const char *what,
    const char *path, mode_t key_mode)
{
	struct doctor_file f;
	char label[64];

	memset(&f, 0, sizeof(f));
	snprintf(label, sizeof(label), "%s %s", key_alg_str(s->alg), what);
	f.kind = kind;
	f.label = label;
	f.path = path;
	f.first_run = 1;
	f.key_mode = key_mode;
	file_stat(&f);
	doctor_judge_file(&d->rep, h->name, &f);
}

/* The files of one slot: its private key, and its chain beside it. */
static void
check_slot_files(struct doc *d, const struct conf_host *h,
    const struct view_slot *s)
{
	if (s->key_path == NULL)
		return;
	check_slot_file(d, h, s, DOC_F_KEY, "key", s->key_path,
	    h->files.key_mode);
	if (s->cert_path == NULL || strcmp(s->cert_path, s->key_path) == 0)
		return;
	check_slot_file(d, h, s, DOC_F_CERT, "chain", s->cert_path, 0);
}

/* deploy_files_check's warnings and errors, as findings. */
static void
check_layout(struct doc *d, const struct conf_host *h)
{
	int i, r;

	cap_reset(&d->cap);
	r = deploy_files_check(h);
	for (i = 0; i < d->cap.n; i++)
		doctor_add(&d->rep, d->cap.levels[i] == LOG_LVL_ERR ? DOC_FAIL :
		    DOC_WARN, DOC_CONFIG, h->name, "see daneroll.conf(5), "
		    "the file settings", "%s", d->cap.lines[i].data);
	if (r != 0 && d->cap.n == 0)
		doctor_add(&d->rep, DOC_FAIL, DOC_CONFIG, h->name, "see "
		    "daneroll.conf(5)", "the file layout cannot work");
}

/* ------------------------------------------------------------ DNS */

/* What doctor_net found of owner's zone, here or in the network child. */
static enum outcome
net_zone(struct doc *d, const struct conf_host *h, const char *owner,
    struct doctor_net_zone *z)
{
	if (d->net != NULL)
		return d->net->zone(d->conf, h, owner, z);
	return doctor_net_zone(d->conf, h, owner, &d->memo, z);
}

/* The zone of one owner: its servers, then the resolver's view of it. */
static void
check_zone(struct doc *d, const struct conf_host *h, const char *owner,
    char *zone, size_t zlen)
{
	struct doctor_net_zone z;
	char where[300];
	int i;

	cap_reset(&d->cap);
	if (net_zone(d, h, owner, &z) != OUT_OK || z.zone[0] == '\0') {
		doctor_add(&d->rep, DOC_FAIL, DOC_WORLD, h->name, "point "
		    "resolver = at a recursive, validating resolver that "
		    "resolves the zone", "%s: the zone and its servers cannot "
		    "be found: %s", owner, d->cap.last_bad[0] != '\0' ?
		    d->cap.last_bad : "no reason given");
		doctor_net_zone_free(&z);
		zone[0] = '\0';
		return;
	}
	snprintf(zone, zlen, "%s", z.zone);
	snprintf(where, sizeof(where), "zone %s", z.zone);
	/* Examined where it was first met (doctor_net's memo). */
	if (first_time(d, where) && z.examined) {
		for (i = 0; i < z.nservers; i++)
			doctor_judge_server(&d->rep, where, &z, &z.servers[i]);
		doctor_judge_resolver(&d->rep, where, &z);
	}
	doctor_net_zone_free(&z);
}

/* The publisher's read-only probe, once per publisher and zone. */
static void
check_publisher(struct doc *d, const struct conf_publisher *p,
    const char *owner, const char *zone)
{
	const struct backend_publisher *pb = backend_publisher_for(
	    backend_builtin(), p->type);
	struct doctor_publisher f;
	char where[300], key[600], bad[300];

	snprintf(where, sizeof(where), "publisher %s", p->name);
	snprintf(key, sizeof(key), "probe %s %s", p->name, zone[0] != '\0' ?
	    zone : owner);
	snprintf(bad, sizeof(bad), "unusable secret %s", p->name);
	if (first_time(d, where)) {
		check_pub_programs(d, where, p);
		if (check_secret(d, p, pb) != 0)
			(void)first_time(d, bad);
	}
	/* A secret that failed is said once: a probe would say it again. */
	if (was_seen(d, bad))
		return;
	if (!first_time(d, key))
		return;
	memset(&f, 0, sizeof(f));
	f.name = p->name;
	f.owner = owner;
	if (pb == NULL) {
		doctor_add(&d->rep, DOC_FAIL, DOC_CONFIG, where, "build "
		    "daneroll with this backend", "type %s: not in this build",
		    p->type);
		return;
	}
	f.probed = pb->probe != NULL;
	if (f.probed) {
		cap_reset(&d->cap);
		f.o = pb->probe(d->conf, p, owner);
		f.said = f.o == OUT_OK ? d->cap.last : d->cap.last_bad;
		/* The finding's "where" names the publisher already. */
		if (strncmp(f.said, where, strlen(where)) == 0 &&
		    strncmp(f.said + strlen(where), ": ", 2) == 0)
			f.said += strlen(where) + 2;
	}
	doctor_judge_publisher(&d->rep, where, &f);
}

/* ------------------------------------------------------------ chains */

/* The TLSA RRset at owner through the resolver, against chain. */
static void
chain_tlsa(struct doc *d, const struct conf_host *h, const char *owner,
    STACK_OF(X509) *chain, struct doctor_chain *c, char *why, size_t len)
{
	struct resolve_tlsa t;

	c->owner = owner;
	cap_reset(&d->cap);
	if (d->net != NULL)
		(void)d->net->tlsa(d->conf, h, owner, &t);
	else
		(void)doctor_net_tlsa(d->conf, &d->res, owner, &t);
	if (t.sec == RESOLVE_FAIL || t.sec == RESOLVE_BOGUS) {
		snprintf(why, len, "%s (%s)", resolve_sec_str(t.sec), t.why);
		c->tlsa_unknown = why;
	} else {
		c->tlsa_exists = t.exists;
		c->tlsa_matches = t.exists &&
		    tlsa_set_matches_chain(&t.set, chain);
	}
	resolve_tlsa_free(&t);
}

/* Does the served chain's leaf belong to the key served with it? */
static int
chain_key_matches(struct doc *d, struct view_slot *s, STACK_OF(X509) *chain,
    char *why, size_t len)
{
	EVP_PKEY *pkey;
	int r;

	cap_reset(&d->cap);
	if ((pkey = key_load_unchecked(s->key_path)) == NULL) {
		snprintf(why, len, "%s", d->cap.last_bad[0] != '\0' ?
		    d->cap.last_bad : "the private key cannot be read");
		return -1;
	}
	r = cert_matches_key(sk_X509_value(chain, 0), pkey);
	EVP_PKEY_free(pkey);
	return r;
}

/* One slot's served chain, against its key and every owner's RRset. */
static void
check_chain(struct doc *d, const struct view *v, struct view_slot *s)
{
	STACK_OF(X509) *chain = NULL;
	char why[1200], twhy[600];
	int i, km = -1;

	for (i = 0; i < v->nowners; i++) {
		struct doctor_chain c;

		memset(&c, 0, sizeof(c));
		c.alg = key_alg_str(s->alg);
		c.path = s->cert_path != NULL ? s->cert_path : "(no file)";
		c.owner = v->owners[i].name;
		c.key_matches = -1;
		if (s->deployed_unknown)
			c.unreadable = s->deployed_error;
		else if (s->deployed_ok) {
			cap_reset(&d->cap);
			if (chain == NULL &&
			    (chain = view_deployed_chain(s)) == NULL) {
				snprintf(why, sizeof(why), "%s",
				    d->cap.last_bad);
				c.unreadable = why;
			}
		}
		c.deployed = chain != NULL;
		if (chain != NULL && km == -1)
			km = chain_key_matches(d, s, chain, why, sizeof(why));
		if (chain != NULL && km < 0)
			c.unreadable = why;
		c.key_matches = km;
		if (chain != NULL && km == 1)
			chain_tlsa(d, v->host, c.owner, chain, &c, twhy,
			    sizeof(twhy));
		doctor_judge_chain(&d->rep, v->host->name, &c);
		if (c.unreadable != NULL || !c.deployed || km == 0)
			break;	/* the same for every owner */
	}
}

/* ------------------------------------------------------------ hosts */

static void
doctor_host(struct doc *d, struct store *st, const struct conf_host *h)
{
	struct view v;
	char zone[300];
	int i;

	check_program(d, h->name, "acme_hook", &h->acme_hook);
	check_program(d, h->name, "reload", &h->reload);
	check_layout(d, h);
	check_zone(d, h, h->owner, zone, sizeof(zone));
	if (h->publisher != NULL)
		check_publisher(d, h->publisher, h->owner, zone);
	for (i = 0; i < h->naliases; i++) {
		const struct conf_alias *a = &h->aliases[i];

		check_zone(d, h, a->owner, zone, sizeof(zone));
		check_publisher(d, a->publisher != NULL ? a->publisher :
		    h->publisher, a->owner, zone);
	}
	memset(&v, 0, sizeof(v));
	cap_reset(&d->cap);
	if (view_load(st, h, util_now(), 0, &v) != 0) {
		doctor_add(&d->rep, DOC_FAIL, DOC_DATA, h->name, "see the "
		    "message", "the host's state and files cannot be read: %s",
		    d->cap.last_bad);
		view_free(&v);
		return;
	}
	for (i = 0; i < v.nslots; i++) {
		check_slot_files(d, h, &v.slots[i]);
		check_chain(d, &v, &v.slots[i]);
	}
	view_free(&v);
}

int
doctor_main(const struct conf *conf, char **names, int n,
    const struct doctor_net_ops *net, FILE *out)
{
	const struct conf_host **hs;
	struct store *st = NULL;
	struct doc d;
	int i, nh, rc;

	if ((hs = conf_select_hosts(conf, names, n, &nh)) == NULL)
		return EX_USAGE;
	memset(&d, 0, sizeof(d));
	d.conf = conf;
	d.net = net;
	log_set_sink(cap_sink, &d.cap);
	check_dir(&d, "state_dir", conf->state_dir);
	check_dir(&d, "key_dir", conf->key_dir);
	cap_reset(&d.cap);
	if (store_open(conf->state_dir, 1, &st) != OUT_OK)
		doctor_add(&d.rep, DOC_FAIL, DOC_CONFIG, "global", "see the "
		    "message", "the state database cannot be read: %s",
		    d.cap.last_bad);
	for (i = 0; i < nh && st != NULL; i++)
		doctor_host(&d, st, hs[i]);
	log_set_sink(NULL, NULL);
	doctor_print(out, &d.rep);
	rc = doctor_exit(&d.rep);
	cap_reset(&d.cap);
	for (i = 0; i < d.nseen; i++)
		free(d.seen[i]);
	free(d.seen);
	doctor_net_memo_free(&d.memo);
	doctor_net_res_close(&d.res);
	store_close(st);
	doctor_report_free(&d.rep);
	free(hs);
	return rc;
}

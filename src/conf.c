/*
 * conf - reads and checks daneroll.conf. The contract is in include/conf.h.
 *
 * libinih splits "key = value" lines, but gives its handler no line number
 * and reports a section only with its first key. So conf_reader() hands
 * inih one whole line at a time, counts lines, opens sections itself and
 * rejects what inih would accept silently or split: lines over
 * CONF_MAX_LINE characters, control characters, malformed section headers,
 * lines without "=" (inih would also take "key: value"). Comments are whole
 * lines starting with "#" or ";". Inline comments and multi-line values are
 * off, so ";" and "#" are ordinary characters inside a value.
 *
 * Checking has two passes: each value as its line is read, then what needs
 * the whole file (defaults, [global] timings inherited by hosts, publisher
 * references, required keys, two hosts claiming one file or TLSA owner).
 * A [publisher] key that is not every type's (type, zone, timeout) is
 * kept as read: "type" may come after it, and only then is the backend
 * known that parses it (its table of struct conf_key, conf.h) and checks
 * the section (conf_pubdef.finish). A key some other backend declares is
 * "not valid for type T"; one no backend declares is unknown.
 * Every error is kept as "FILE:LINE: message" and logged, in line order,
 * once the file is read; conf_load() returns NULL if there was any. A
 * duplicate or misnamed section is still checked, so that its errors show
 * up too, but it is never referred to.
 *
 * Keys and defaults. D is a duration (90, 30s, 5m, 12h, 30d, 2w, "1d 12h");
 * P an absolute path without ".." components; ADDR an IPv4 or IPv6 address,
 * optionally "#PORT"; CMD words split on blanks, "double quotes" grouping,
 * no shell and no expansion, the first word an absolute path.
 *
 *   [global]                 optional, at most once
 *   state_dir        P         /var/lib/daneroll
 *   key_dir          P         STATE_DIR/keys
 *   resolver         ADDR      none: resolv.conf
 *   lock_timeout     D         30s
 *   ttl_advice_min   D         1800
 *   ttl_advice_max   D         3600
 *   timing keys      D         defaults for every host, see [host]
 *
 *   [publisher NAME]         NAME: letters, digits, ".", "_", "-"
 *   type             a backend's name (rfc2136 | pdns | exec), required
 *   zone             domain    any type; none: found from the SOA
 *   timeout          D         any type; 30s
 *   (the type's own keys: its backend's struct conf_pubdef, documented
 *   with struct publish_TYPE_conf in include/publish_TYPE.h)
 *
 *   [host NAME]              NAME: the MX host name
 *   publisher        NAME      required: a [publisher NAME] section
 *   port, ports      1-65535, one or more (blanks or commas); 25
 *   tlsa_owner       domain    _PORT._tcp.NAME; one port only
 *   alias            NAME [PUBLISHER], repeatable; owner _PORT._tcp.NAME
 *   scheme           current+next | current+issuer; current+next
 *   algorithms       rsa2048, ecdsa-p256 or both (blanks or commas); rsa2048
 *   key_file         P%        combined_file, live_link, or key_file with
 *   cert_file        P%        fullchain_file or cert_file, is required
 *   chain_file       P%
 *   fullchain_file   P%
 *   combined_file    P%
 *   live_link        P%
 *   owner, group     user and group names; none: unchanged
 *   key_mode         octal     0600; no group or other bits
 *   cert_mode        octal     0644; no group or other write bits
 *   acme_hook        CMD
 *   reload           CMD
 *   issuer_spki      64 hex digits, repeatable; current+issuer needs an
 *   issuer_cert      P, repeatable (not read here); issuer, current+next none
 *   issuer_follow    yes|no; yes: a chain from an unpinned CA is held while
 *                    that CA's "2 1 1" is published and ages (current+issuer)
 *   issuer_pin       intermediate | root; intermediate: which CA of a
 *                    followed chain that "2 1 1" names; root needs the root
 *                    served (sent, or appended from issuer_cert) and
 *                    issuer_follow = yes (current+issuer)
 *   extra_server     ADDR, repeatable
 *   ignore_unreachable_ipv6  yes|no; no
 *   ttl 3600, margin 60s, renew_before 30d, rotate_after 0 (off),
 *   retry_min 5m, retry_max 6h, expiry_alert 14d, hook_timeout 300s,
 *   tempfail_limit 1d
 *                    D         timing keys, override [global]
 *   keep_retired     0-100     0: retired keys are deleted once their
 *                              record has aged out of DNS; N keeps the
 *                              newest N (global too, like the timings)
 *
 * P%: "%a" stands for the algorithm ("rsa2048", "ecdsa-p256"), and is
 * required when two algorithms are configured; no other "%" is allowed.
 * Host, alias, owner and zone names are stored in lower case without a
 * trailing dot.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "backend.h"
#include "conf.h"
#include "dnsq.h"
#include "fsutil.h"
#include "log.h"
#include "util.h"

#define CONF_MAX_LINE	4096		/* characters, without the newline */
/*
 * A file larger than CONF_FILE_MAX is refused before it is parsed (a
 * 1,000-host configuration is about 300 KiB); after CONF_ERRORS_MAX
 * errors the rest are only counted. Together they bound the time and
 * memory a wrong file (a log, an image, /dev/zero behind a link) costs.
 */
#define CONF_FILE_MAX	(8 * 1024 * 1024)
#define CONF_ERRORS_MAX	100
#define TTL_MAX		2147483647	/* RFC 2181, section 8 */
#define BLANKS		" \t"

enum sect_kind {
	SECT_GLOBAL = 1,
	SECT_PUB = 2,
	SECT_HOST = 4
};

enum key_id {
	K_STATE_DIR, K_KEY_DIR, K_RESOLVER, K_LOCK_TIMEOUT,
	K_TTL_ADVICE_MIN, K_TTL_ADVICE_MAX,
	K_TTL, K_MARGIN, K_RENEW_BEFORE, K_ROTATE_AFTER, K_RETRY_MIN,
	K_RETRY_MAX, K_EXPIRY_ALERT, K_HOOK_TIMEOUT, K_TEMPFAIL_LIMIT,
	K_TYPE, K_ZONE, K_TIMEOUT,
	K_PUBLISHER, K_PORT, K_PORTS, K_TLSA_OWNER, K_ALIAS, K_SCHEME, K_ALGORITHMS,
	K_KEY_FILE, K_CERT_FILE, K_CHAIN_FILE, K_FULLCHAIN_FILE,
	K_COMBINED_FILE, K_LIVE_LINK, K_OWNER, K_GROUP, K_KEY_MODE,
	K_CERT_MODE, K_ACME_HOOK, K_RELOAD, K_ISSUER_SPKI, K_ISSUER_CERT,
	K_EXTRA_SERVER, K_IGNORE_UNREACHABLE_IPV6, K_ISSUER_FOLLOW,
	K_KEEP_RETIRED,
	K_ISSUER_PIN,
	K_COUNT
};

#define KF_REPEAT	0x01	/* may be given more than once */
#define KF_TIMING	0x02	/* off is within struct conf_timing */
#define KF_SLOT		0x04	/* a slot's file: "%a" expands */
#define KF_NONZERO	0x08	/* a duration that must not be 0 */
#define KF_TTL		0x10	/* a duration that must fit a DNS TTL */
#define KF_REQUIRED	0x20	/* "[S] lacks required key" */
#define KF_SECRET	0x40	/* key_mode: the file holds a private key */

/*
 * A key of a [publisher] section that its backend declares, kept as read
 * until the section's type is known (it may come last).
 */
struct pubkey {
	char		*name;
	char		*value;
	int		 line;
	int		 bad;		/* no value */
};

/* One section as met in the file, with what the second pass needs. */
struct sect {
	enum sect_kind	 kind;
	int		 idx;		/* in conf->publishers or conf->hosts */
	int		 line;
	int		 broken;	/* a duplicate, or a bad name */
	char		*label;		/* "host mx1.example.org" */
	int		 seen[K_COUNT];	/* line of the key's first use, or 0 */
	unsigned char	 bad[K_COUNT];	/* its value was rejected */
	char		*pubref;	/* host: the publisher key's value */
	char		**aliasref;	/* host: alias publishers, or NULL */
	int		 naliasref;
	struct pubkey	*pkeys;		/* publisher: its backend's keys */
	int		 npkeys;
};

/* An error, kept until the end so that they are logged in line order. */
struct conf_err {
	int		 line;		/* 0: about the whole file */
	int		 seq;
	char		*msg;
};

struct pctx {
	const char	*path;
	FILE		*fp;
	char		 line[CONF_MAX_LINE + 2];	/* read_line() */
	size_t		 nread;		/* bytes of the file read so far */
	int		 lineno;	/* of the line inih is working on */
	struct conf_err	*errs;
	int		 nerr;
	int		 nmore;		/* errors past CONF_ERRORS_MAX */
	struct conf	*conf;
	struct sect	*sects;
	int		 nsects;
	int		 cur;		/* index in sects, -1 before any */
	int		 skip;		/* keys under a rejected header */
	int		*index;		/* hash of host/publisher sections: i+1 */
	size_t		 indexcap;	/* a power of two, or 0 */
	int		 indexed;	/* sects[0..indexed) are in the index */
};

struct keydef;
typedef int	(*parse_fn)(struct pctx *, const struct keydef *, const char *,
		    void *);

struct keydef {
	const char	*name;
	unsigned	 sects;		/* SECT_* where the key is valid */
	int		 flags;		/* KF_* */
	size_t		 off;		/* field in its section's struct */
	parse_fn	 parse;
};

#define HOFF(f)		offsetof(struct conf_host, f)
#define POFF(f)		offsetof(struct conf_publisher, f)
#define TOFF(f)		offsetof(struct conf_timing, f)

static void	 conf_verror(struct pctx *, int, const char *, va_list)
		    __attribute__((format(printf, 3, 0)));
static void	 conf_error(struct pctx *, int, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
static int	 p_path(struct pctx *, const struct keydef *, const char *,
		    void *);
static int	 p_duration(struct pctx *, const struct keydef *, const char *,
		    void *);
static int	 p_duration_int(struct pctx *, const struct keydef *,
		    const char *, void *);
static int	 p_addr(struct pctx *, const struct keydef *, const char *,
		    void *);
static int	 p_bool(struct pctx *, const struct keydef *, const char *,
		    void *);
static int	 p_ports(struct pctx *, const struct keydef *, const char *,
		    void *);
static int	 p_count(struct pctx *, const struct keydef *, const char *,
		    void *);
static int	 p_mode(struct pctx *, const struct keydef *, const char *,
		    void *);
static int	 p_cmd(struct pctx *, const struct keydef *, const char *,
		    void *);
static int	 p_domain(struct pctx *, const struct keydef *, const char *,
		    void *);
static int	 p_user(struct pctx *, const struct keydef *, const char *,
		    void *);
static int	 p_word(struct pctx *, const struct keydef *, const char *,
		    void *);
static int	 p_url(struct pctx *, const struct keydef *, const char *,
		    void *);
static int	 p_scheme(struct pctx *, const struct keydef *, const char *,
		    void *);
static int	 p_issuer_pin(struct pctx *, const struct keydef *,
		    const char *, void *);
static int	 p_pubtype(struct pctx *, const struct keydef *, const char *,
		    void *);
static int	 p_algs(struct pctx *, const struct keydef *, const char *,
		    void *);
static int	 p_pubref(struct pctx *, const struct keydef *, const char *,
		    void *);
static int	 p_alias(struct pctx *, const struct keydef *, const char *,
		    void *);
static int	 p_spki(struct pctx *, const struct keydef *, const char *,
		    void *);
static int	 p_issuer_cert(struct pctx *, const struct keydef *,
		    const char *, void *);
static int	 p_extra_server(struct pctx *, const struct keydef *,
		    const char *, void *);

/*
 * Every key but a publisher backend's own (struct conf_pubdef). The
 * repeatable host keys (KF_REPEAT) get the whole struct conf_host as their
 * field, since they fill an array and its count; type gets the whole
 * struct conf_publisher, since it sets the backend too.
 */
static const struct keydef keys[K_COUNT] = {
	[K_STATE_DIR] = { "state_dir", SECT_GLOBAL, 0,
	    offsetof(struct conf, state_dir), p_path },
	[K_KEY_DIR] = { "key_dir", SECT_GLOBAL, 0,
	    offsetof(struct conf, key_dir), p_path },
	[K_RESOLVER] = { "resolver", SECT_GLOBAL, 0,
	    offsetof(struct conf, resolver), p_addr },
	[K_LOCK_TIMEOUT] = { "lock_timeout", SECT_GLOBAL, 0,
	    offsetof(struct conf, lock_timeout), p_duration },
	[K_TTL_ADVICE_MIN] = { "ttl_advice_min", SECT_GLOBAL,
	    KF_NONZERO | KF_TTL, offsetof(struct conf, ttl_advice_min),
	    p_duration_int },
	[K_TTL_ADVICE_MAX] = { "ttl_advice_max", SECT_GLOBAL,
	    KF_NONZERO | KF_TTL, offsetof(struct conf, ttl_advice_max),
	    p_duration_int },

	[K_TTL] = { "ttl", SECT_GLOBAL | SECT_HOST,
	    KF_TIMING | KF_NONZERO | KF_TTL, TOFF(ttl), p_duration },
	[K_MARGIN] = { "margin", SECT_GLOBAL | SECT_HOST,
	    KF_TIMING, TOFF(margin), p_duration },
	[K_RENEW_BEFORE] = { "renew_before", SECT_GLOBAL | SECT_HOST,
	    KF_TIMING | KF_NONZERO, TOFF(renew_before), p_duration },
	[K_ROTATE_AFTER] = { "rotate_after", SECT_GLOBAL | SECT_HOST,
	    KF_TIMING, TOFF(rotate_after), p_duration },
	[K_RETRY_MIN] = { "retry_min", SECT_GLOBAL | SECT_HOST,
	    KF_TIMING | KF_NONZERO, TOFF(retry_min), p_duration },
	[K_RETRY_MAX] = { "retry_max", SECT_GLOBAL | SECT_HOST,
	    KF_TIMING | KF_NONZERO, TOFF(retry_max), p_duration },
	[K_EXPIRY_ALERT] = { "expiry_alert", SECT_GLOBAL | SECT_HOST,
	    KF_TIMING, TOFF(expiry_alert), p_duration },
	[K_HOOK_TIMEOUT] = { "hook_timeout", SECT_GLOBAL | SECT_HOST,
	    KF_TIMING | KF_NONZERO, TOFF(hook_timeout), p_duration },
	[K_TEMPFAIL_LIMIT] = { "tempfail_limit", SECT_GLOBAL | SECT_HOST,
	    KF_TIMING | KF_NONZERO, TOFF(tempfail_limit), p_duration },

	[K_TYPE] = { "type", SECT_PUB, KF_REQUIRED, 0, p_pubtype },
	[K_ZONE] = { "zone", SECT_PUB, 0, POFF(zone), p_domain },
	[K_TIMEOUT] = { "timeout", SECT_PUB, KF_NONZERO, POFF(timeout),
	    p_duration },

	[K_PUBLISHER] = { "publisher", SECT_HOST, KF_REQUIRED,
	    HOFF(publisher), p_pubref },
	[K_PORT] = { "port", SECT_HOST, 0, HOFF(ports), p_ports },
	[K_PORTS] = { "ports", SECT_HOST, 0, HOFF(ports), p_ports },
	[K_TLSA_OWNER] = { "tlsa_owner", SECT_HOST, 0, HOFF(owner),
	    p_domain },
	[K_ALIAS] = { "alias", SECT_HOST, KF_REPEAT, 0, p_alias },
	[K_SCHEME] = { "scheme", SECT_HOST, 0, HOFF(scheme), p_scheme },
	[K_ALGORITHMS] = { "algorithms", SECT_HOST, 0, HOFF(algs),
	    p_algs },
	[K_KEY_FILE] = { "key_file", SECT_HOST, KF_SLOT,
	    HOFF(files.key_file), p_path },
	[K_CERT_FILE] = { "cert_file", SECT_HOST, KF_SLOT,
	    HOFF(files.cert_file), p_path },
	[K_CHAIN_FILE] = { "chain_file", SECT_HOST, KF_SLOT,
	    HOFF(files.chain_file), p_path },
	[K_FULLCHAIN_FILE] = { "fullchain_file", SECT_HOST, KF_SLOT,
	    HOFF(files.fullchain_file), p_path },
	[K_COMBINED_FILE] = { "combined_file", SECT_HOST, KF_SLOT,
	    HOFF(files.combined_file), p_path },
	[K_LIVE_LINK] = { "live_link", SECT_HOST, KF_SLOT,
	    HOFF(files.live_link), p_path },
	[K_OWNER] = { "owner", SECT_HOST, 0, HOFF(files.owner), p_user },
	[K_GROUP] = { "group", SECT_HOST, 0, HOFF(files.group), p_user },
	[K_KEY_MODE] = { "key_mode", SECT_HOST, KF_SECRET,
	    HOFF(files.key_mode), p_mode },
	[K_CERT_MODE] = { "cert_mode", SECT_HOST, 0,
	    HOFF(files.cert_mode), p_mode },
	[K_ACME_HOOK] = { "acme_hook", SECT_HOST, 0, HOFF(acme_hook),
	    p_cmd },
	[K_RELOAD] = { "reload", SECT_HOST, 0, HOFF(reload), p_cmd },
	[K_ISSUER_SPKI] = { "issuer_spki", SECT_HOST, KF_REPEAT, 0,
	    p_spki },
	[K_ISSUER_CERT] = { "issuer_cert", SECT_HOST, KF_REPEAT, 0,
	    p_issuer_cert },
	[K_EXTRA_SERVER] = { "extra_server", SECT_HOST, KF_REPEAT, 0,
	    p_extra_server },
	[K_IGNORE_UNREACHABLE_IPV6] = { "ignore_unreachable_ipv6", SECT_HOST,
	    0, HOFF(ignore_unreachable_ipv6), p_bool },
	[K_ISSUER_FOLLOW] = { "issuer_follow", SECT_HOST, 0,
	    HOFF(issuer_follow), p_bool },
	[K_KEEP_RETIRED] = { "keep_retired", SECT_GLOBAL | SECT_HOST,
	    KF_TIMING, TOFF(keep_retired), p_count },
	[K_ISSUER_PIN] = { "issuer_pin", SECT_HOST, 0,
	    HOFF(issuer_pin), p_issuer_pin },
};

static const char *alg_names[KEY_ALG_COUNT] = {
	[KEY_ALG_RSA2048] = "rsa2048",
	[KEY_ALG_ECDSA_P256] = "ecdsa-p256",
};

const char *
conf_scheme_str(enum conf_scheme s)
{
	switch (s) {
	case SCHEME_CURRENT_NEXT:	return "current+next";
	case SCHEME_CURRENT_ISSUER:	return "current+issuer";
	}
	return "unknown";
}

const char *
key_alg_str(enum key_alg a)
{
	if ((unsigned)a >= KEY_ALG_COUNT)
		return "unknown";
	return alg_names[a];
}

int
key_alg_parse(const char *s, enum key_alg *out)
{
	int i;

	for (i = 0; i < KEY_ALG_COUNT; i++) {
		if (strcmp(s, alg_names[i]) == 0) {
			*out = (enum key_alg)i;
			return 0;
		}
	}
	return -1;
}


char *
conf_path_for(const char *path, enum key_alg alg)
{
	struct buf b = { 0 };
	const char *p;

	if (path == NULL)
		return NULL;
	buf_puts(&b, "");
	for (p = path; *p != '\0'; p++) {
		if (p[0] == '%' && p[1] == 'a') {
			buf_puts(&b, key_alg_str(alg));
			p++;
		} else
			buf_add(&b, p, 1);
	}
	return b.data;
}

struct conf_host *
conf_host_find(const struct conf *c, const char *name)
{
	size_t n = strlen(name);
	int i;

	if (n > 0 && name[n - 1] == '.')
		n--;
	for (i = 0; i < c->nhosts; i++) {
		if (strncasecmp(c->hosts[i].name, name, n) == 0 &&
		    c->hosts[i].name[n] == '\0')
			return &c->hosts[i];
	}
	return NULL;
}

const struct conf_host **
conf_select_hosts(const struct conf *conf, char **names, int n, int *count)
{
	const struct conf_host **hs;
	int i;

	*count = n > 0 ? n : conf->nhosts;
	hs = xcalloc((size_t)*count, sizeof(*hs));
	for (i = 0; i < *count; i++) {
		hs[i] = n > 0 ? conf_host_find(conf, names[i]) :
		    &conf->hosts[i];
		if (hs[i] == NULL) {
			log_err("%s: no [host %s] in %s", names[i], names[i],
			    conf->path);
			free(hs);
			return NULL;
		}
	}
	return hs;
}

static void
cmd_free(struct conf_cmd *cmd)
{
	int i;

	for (i = 0; i < cmd->argc; i++)
		free(cmd->argv[i]);
	free(cmd->argv);
	cmd->argv = NULL;
	cmd->argc = 0;
}

static void
strv_free(char **v, int n)
{
	int i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static void
strv_add(char ***v, int *n, char *s)
{
	*v = xrealloc(*v, ((size_t)*n + 1) * sizeof(**v));
	(*v)[(*n)++] = s;
}

/* A backend's configuration with its defaults; freed by pubdef_free. */
static void *
pubdef_new(const struct conf_pubdef *def)
{
	void *priv = xcalloc(1, def->priv_size > 0 ? def->priv_size : 1);

	if (def->init != NULL)
		def->init(priv);
	return priv;
}

/* Frees what conf parsed into priv (see conf_kind), then priv. */
static void
pubdef_free(const struct conf_pubdef *def, void *priv)
{
	const struct conf_key *k;
	char *field;

	if (priv == NULL)
		return;
	for (k = def->keys; k->name != NULL; k++) {
		field = (char *)priv + k->off;
		if (k->kind == CONF_CMD)
			cmd_free((struct conf_cmd *)(void *)field);
		else if (k->kind != CONF_BOOL)
			free(*(char **)(void *)field);
	}
	free(priv);
}

static void
publisher_free(struct conf_publisher *p)
{
	free(p->name);
	free(p->zone);
	if (p->def != NULL)
		pubdef_free(p->def, p->priv);
}

static void
host_free(struct conf_host *h)
{
	int i;

	free(h->name);
	free(h->owner);
	for (i = 0; i < h->naliases; i++) {
		free(h->aliases[i].name);
		free(h->aliases[i].owner);
	}
	free(h->aliases);
	for (i = 0; i < h->nowners - 1 - h->naliases; i++)
		free(h->owner_names[i]);
	free(h->owner_names);
	free(h->owners);
	free(h->files.key_file);
	free(h->files.cert_file);
	free(h->files.chain_file);
	free(h->files.fullchain_file);
	free(h->files.combined_file);
	free(h->files.live_link);
	free(h->files.owner);
	free(h->files.group);
	cmd_free(&h->acme_hook);
	cmd_free(&h->reload);
	free(h->issuer_spki);
	strv_free(h->issuer_files, h->nissuer_files);
	strv_free(h->extra_servers, h->nextra_servers);
}

void
conf_free(struct conf *c)
{
	int i;

	if (c == NULL)
		return;
	for (i = 0; i < c->npublishers; i++)
		publisher_free(&c->publishers[i]);
	free(c->publishers);
	for (i = 0; i < c->nhosts; i++)
		host_free(&c->hosts[i]);
	free(c->hosts);
	free(c->path);
	free(c->state_dir);
	free(c->key_dir);
	free(c->resolver);
	free(c);
}

/* Why path is not acceptable, or NULL. slot: "%a" may appear. */
static const char *
path_problem(const char *path, int slot)
{
	const char *p, *end;

	if (path[0] != '/')
		return "is not an absolute path";
	if (strlen(path) >= PATH_MAX)
		return "is too long";
	for (p = path; *p != '\0'; p = end) {
		p += strspn(p, "/");
		end = p + strcspn(p, "/");
		if (end - p == 2 && p[0] == '.' && p[1] == '.')
			return "has a \"..\" component";
	}
	for (p = strchr(path, '%'); slot && p != NULL; p = strchr(p + 2, '%'))
		if (p[1] != 'a')
			return "has \"%\" not followed by \"a\"";
	return NULL;
}

/* path without "//", "/./" and a trailing "/"; caller frees. */
static char *
path_clean(const char *path)
{
	char *out = xmalloc(strlen(path) + 2), *o = out;
	const char *p, *end;

	for (p = path; *p != '\0'; p = end) {
		p += strspn(p, "/");
		end = p + strcspn(p, "/");
		if (end == p || (end - p == 1 && *p == '.'))
			continue;
		*o++ = '/';
		memcpy(o, p, (size_t)(end - p));
		o += end - p;
	}
	if (o == out)
		*o++ = '/';
	*o = '\0';
	return out;
}

/* 1 if path is dir or below it, comparing whole components. */
static int
path_inside(const char *path, const char *dir)
{
	char *p = path_clean(path), *d = path_clean(dir);
	size_t n = strlen(d);
	int in = strcmp(d, "/") == 0 || (strncmp(p, d, n) == 0 &&
	    (p[n] == '/' || p[n] == '\0'));

	free(p);
	free(d);
	return in;
}

/* "state directory" or "key directory" if a deployed file would go
 * there, else NULL: the MTA's user would be given a name among the
 * files daneroll trusts (a .prev it owns beside our keys, say). */
static const char *
inside_state(const struct conf *c, const char *path)
{
	if (c->state_dir != NULL && path_inside(path, c->state_dir))
		return "state directory";
	if (c->key_dir != NULL && path_inside(path, c->key_dir))
		return "key directory";
	return NULL;
}

static int	deploy_paths_outside(const struct conf *);

int
conf_set_state_dir(struct conf *c, const char *dir)
{
	const char *why;

	if ((why = path_problem(dir, 0)) != NULL) {
		log_err("state directory \"%s\" %s", dir, why);
		return -1;
	}
	free(c->state_dir);
	c->state_dir = xstrdup(dir);
	if (!c->key_dir_set) {
		free(c->key_dir);
		c->key_dir = xasprintf("%s/keys", dir);
	}
	return deploy_paths_outside(c);
}

static void
conf_verror(struct pctx *ctx, int line, const char *fmt, va_list ap)
{
	struct conf_err *e;

	if (ctx->nerr >= CONF_ERRORS_MAX) {
		ctx->nmore++;
		return;
	}
	ctx->errs = xrealloc(ctx->errs, ((size_t)ctx->nerr + 1) *
	    sizeof(*ctx->errs));
	e = &ctx->errs[ctx->nerr];
	e->line = line;
	e->seq = ctx->nerr++;
	if (vasprintf(&e->msg, fmt, ap) < 0)
		abort();
}

static void
conf_error(struct pctx *ctx, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	conf_verror(ctx, line, fmt, ap);
	va_end(ap);
}

static int
err_cmp(const void *a, const void *b)
{
	const struct conf_err *x = a, *y = b;

	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Logs the errors found, in line order, and forgets them. */
static void
errors_flush(struct pctx *ctx)
{
	struct conf_err *e;
	int i;

	if (ctx->nerr > 1)
		qsort(ctx->errs, (size_t)ctx->nerr, sizeof(*ctx->errs),
		    err_cmp);
	for (i = 0; i < ctx->nerr; i++) {
		e = &ctx->errs[i];
		if (e->line > 0)
			log_err("%s:%d: %s", ctx->path, e->line, e->msg);
		else
			log_err("%s: %s", ctx->path, e->msg);
		free(e->msg);
	}
	if (ctx->nmore > 0)
		log_err("%s: %d more error%s not shown (the first %d are)",
		    ctx->path, ctx->nmore, ctx->nmore == 1 ? "" : "s",
		    CONF_ERRORS_MAX);
	free(ctx->errs);
	ctx->errs = NULL;
}

static struct sect *
cur_sect(struct pctx *ctx)
{
	return &ctx->sects[ctx->cur];
}

static char *
copy_span(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

/* The next word of *sp delimited by seps, or NULL; advances *sp. */
static const char *
next_word(const char **sp, const char *seps, size_t *len)
{
	const char *s = *sp + strspn(*sp, seps);

	*len = strcspn(s, seps);
	*sp = s + *len;
	return *len > 0 ? s : NULL;
}

/* A DNS name in lower case without its trailing dot; NULL if invalid. */
static char *
domain_norm(const char *s)
{
	char *d = xstrdup(s), *p;
	size_t n = strlen(d);

	if (n > 1 && d[n - 1] == '.')
		d[n - 1] = '\0';
	for (p = d; *p != '\0'; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	if (!util_valid_hostname(d)) {
		free(d);
		return NULL;
	}
	return d;
}

/* Publisher names, server ids: letters, digits, ".", "_", "-". */
static int
valid_word(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && n <= 63 && s[0] != '.' && s[0] != '-' &&
	    strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789._-") == n;
}

static int
parse_port(const char *s)
{
	size_t n = strlen(s);
	long v;

	if (n == 0 || n > 5 || strspn(s, "0123456789") != n)
		return -1;
	v = strtol(s, NULL, 10);
	return v >= 1 && v <= 65535 ? (int)v : -1;
}

/* "addr" or "addr#port", addr an IPv4 or IPv6 address: what the modules
 * that use it will parse (dnsq_addr_parse), less the "[v6]:port" form
 * the configuration never documented. */
static int
valid_addr(const char *s)
{
	struct sockaddr_storage ss;
	socklen_t len;

	return s[0] != '[' && dnsq_addr_parse(s, 53, &ss, &len) == 0;
}

static int
p_path(struct pctx *ctx, const struct keydef *kd, const char *val,
    void *field)
{
	char **out = field;
	const char *why;

	if ((why = path_problem(val, kd->flags & KF_SLOT)) != NULL) {
		conf_error(ctx, ctx->lineno, "%s: \"%s\" %s", kd->name, val,
		    why);
		return -1;
	}
	free(*out);
	*out = xstrdup(val);
	return 0;
}

static int
check_duration(struct pctx *ctx, const struct keydef *kd, const char *val,
    int64_t *out)
{
	int64_t v;

	if ((v = util_parse_duration(val)) < 0) {
		conf_error(ctx, ctx->lineno, "%s: bad duration \"%s\"",
		    kd->name, val);
		return -1;
	}
	if ((kd->flags & KF_NONZERO) && v == 0) {
		conf_error(ctx, ctx->lineno, "%s: must not be 0", kd->name);
		return -1;
	}
	if ((kd->flags & KF_TTL) && v > TTL_MAX) {
		conf_error(ctx, ctx->lineno,
		    "%s: \"%s\" is more than %d seconds", kd->name, val,
		    TTL_MAX);
		return -1;
	}
	*out = v;
	return 0;
}

static int
p_duration(struct pctx *ctx, const struct keydef *kd, const char *val,
    void *field)
{
	return check_duration(ctx, kd, val, field);
}

static int
p_duration_int(struct pctx *ctx, const struct keydef *kd, const char *val,
    void *field)
{
	int64_t v;

	/* KF_TTL keeps the value within an int. */
	if (check_duration(ctx, kd, val, &v) == -1)
		return -1;
	*(int *)field = (int)v;
	return 0;
}

static int
p_addr(struct pctx *ctx, const struct keydef *kd, const char *val,
    void *field)
{
	char **out = field;

	if (!valid_addr(val)) {
		conf_error(ctx, ctx->lineno,
		    "%s: bad address \"%s\" (want ADDR or ADDR#PORT)",
		    kd->name, val);
		return -1;
	}
	free(*out);
	*out = xstrdup(val);
	return 0;
}

static int
p_bool(struct pctx *ctx, const struct keydef *kd, const char *val,
    void *field)
{
	if (strcmp(val, "yes") == 0)
		*(int *)field = 1;
	else if (strcmp(val, "no") == 0)
		*(int *)field = 0;
	else {
		conf_error(ctx, ctx->lineno,
		    "%s: expected \"yes\" or \"no\", not \"%s\"", kd->name,
		    val);
		return -1;
	}
	return 0;
}

/* One or more ports, blanks or commas between: the ports a host serves
 * with the same keys, each with its own TLSA owner names. */
static int
p_ports(struct pctx *ctx, const struct keydef *kd, const char *val,
    void *field)
{
	struct conf_ports *p = field, got = { { 0 }, 0 };
	const char *w, *s = val;
	char *word = NULL;
	size_t n;
	int i, port, rc = -1;

	while ((w = next_word(&s, " \t,", &n)) != NULL) {
		free(word);
		word = copy_span(w, n);
		if ((port = parse_port(word)) < 0) {
			conf_error(ctx, ctx->lineno, "%s: bad port \"%s\" "
			    "(1-65535)", kd->name, word);
			goto out;
		}
		for (i = 0; i < got.n; i++)
			if (got.v[i] == port) {
				conf_error(ctx, ctx->lineno, "%s: %d listed "
				    "twice", kd->name, port);
				goto out;
			}
		if (got.n == CONF_PORTS_MAX) {
			conf_error(ctx, ctx->lineno, "%s: more than %d ports",
			    kd->name, CONF_PORTS_MAX);
			goto out;
		}
		got.v[got.n++] = port;
	}
	if (got.n == 0) {
		conf_error(ctx, ctx->lineno, "%s: no port listed", kd->name);
		goto out;
	}
	*p = got;
	rc = 0;
out:
	free(word);
	return rc;
}

/* A small count (keep_retired): 0-100, into an int64_t like a timing. */
static int
p_count(struct pctx *ctx, const struct keydef *kd, const char *val,
    void *field)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(val, &end, 10);
	if (*val < '0' || *val > '9' || *end != '\0' || errno != 0 ||
	    v > 100) {
		conf_error(ctx, ctx->lineno, "%s: bad count \"%s\" (0-100)",
		    kd->name, val);
		return -1;
	}
	*(int64_t *)field = v;
	return 0;
}

static int
p_mode(struct pctx *ctx, const struct keydef *kd, const char *val,
    void *field)
{
	size_t n = strlen(val);
	unsigned long m = 0;

	if (n < 3 || n > 4 || strspn(val, "01234567") != n ||
	    (m = strtoul(val, NULL, 8)) > 0777) {
		conf_error(ctx, ctx->lineno,
		    "%s: bad mode \"%s\" (octal, such as 0600)", kd->name, val);
		return -1;
	}
	if ((m & 0400) == 0) {
		conf_error(ctx, ctx->lineno,
		    "%s: %04lo does not let the owner read the file",
		    kd->name, m);
		return -1;
	}
	if ((kd->flags & KF_SECRET) && (m & 077) != 0) {
		conf_error(ctx, ctx->lineno,
		    "%s: %04lo gives group or others access to the private key",
		    kd->name, m);
		return -1;
	}
	if (!(kd->flags & KF_SECRET) && (m & 022) != 0) {
		conf_error(ctx, ctx->lineno,
		    "%s: %04lo lets group or others replace the certificate",
		    kd->name, m);
		return -1;
	}
	*(mode_t *)field = (mode_t)m;
	return 0;
}

/* Splits s into words on blanks; "double quotes" group, nothing else. */
static const char *
split_cmd(const char *s, struct conf_cmd *cmd)
{
	struct buf word = { 0 };
	struct conf_cmd new = { NULL, 0, 0 };
	const char *why = NULL;
	int inword = 0, quoted = 0;

	for (;; s++) {
		if (*s == '\0' || (!quoted && (*s == ' ' || *s == '\t'))) {
			if (inword) {
				strv_add(&new.argv, &new.argc, xstrdup(
				    word.data != NULL ? word.data : ""));
				buf_free(&word);
				inword = 0;
			}
			if (*s == '\0')
				break;
			continue;
		}
		inword = 1;
		if (*s == '"')
			quoted = !quoted;
		else
			buf_add(&word, s, 1);
	}
	if (quoted) {
		why = "unterminated quote";
		goto out;
	}
	if (new.argc == 0) {
		why = "empty command";
		goto out;
	}
	strv_add(&new.argv, &new.argc, NULL);
	new.argc--;
	*cmd = new;
	new.argv = NULL;
	new.argc = 0;
out:
	cmd_free(&new);
	buf_free(&word);
	return why;
}

static int
p_cmd(struct pctx *ctx, const struct keydef *kd, const char *val,
    void *field)
{
	struct conf_cmd *out = field, cmd = { NULL, 0, 0 };
	const char *why;
	int rc = -1;

	if ((why = split_cmd(val, &cmd)) != NULL) {
		conf_error(ctx, ctx->lineno, "%s: %s", kd->name, why);
		goto out;
	}
	if ((why = path_problem(cmd.argv[0], 0)) != NULL) {
		conf_error(ctx, ctx->lineno, "%s: \"%s\" %s", kd->name,
		    cmd.argv[0], why);
		goto out;
	}
	cmd_free(out);
	*out = cmd;
	out->line = ctx->lineno;
	cmd.argv = NULL;
	cmd.argc = 0;
	rc = 0;
out:
	cmd_free(&cmd);
	return rc;
}

static int
p_domain(struct pctx *ctx, const struct keydef *kd, const char *val,
    void *field)
{
	char **out = field, *d;

	if ((d = domain_norm(val)) == NULL) {
		conf_error(ctx, ctx->lineno, "%s: invalid domain name \"%s\"",
		    kd->name, val);
		return -1;
	}
	free(*out);
	*out = d;
	return 0;
}

/* A user (group for key "group") that exists, or a number taken as an
 * id as it is. errno says why a lookup failed, if it did not just miss. */
static int
id_known(const char *key, const char *val)
{
	long id;

	return fs_id_by_name(val, strcmp(key, "group") == 0, &id) == 0;
}

static int
p_user(struct pctx *ctx, const struct keydef *kd, const char *val,
    void *field)
{
	char **out = field;
	size_t n = strlen(val);

	if (n > 32 || val[0] == '-' || strspn(val,
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789._-") != n) {
		conf_error(ctx, ctx->lineno, "%s: invalid name \"%s\"",
		    kd->name, val);
		return -1;
	}
	/* Looked up here, so that a typo is reported at its line. */
	if (!id_known(kd->name, val)) {
		conf_error(ctx, ctx->lineno, "%s: unknown %s \"%s\"%s%s",
		    kd->name, strcmp(kd->name, "group") == 0 ? "group" :
		    "user", val, errno != 0 ? ": " : "",
		    errno != 0 ? strerror(errno) : "");
		return -1;
	}
	free(*out);
	*out = xstrdup(val);
	return 0;
}

static int
p_word(struct pctx *ctx, const struct keydef *kd, const char *val,
    void *field)
{
	char **out = field;

	if (!valid_word(val)) {
		conf_error(ctx, ctx->lineno, "%s: invalid name \"%s\"",
		    kd->name, val);
		return -1;
	}
	free(*out);
	*out = xstrdup(val);
	return 0;
}

static int
p_url(struct pctx *ctx, const struct keydef *kd, const char *val,
    void *field)
{
	char **out = field;
	const char *host = NULL;

	if (strncmp(val, "https://", 8) == 0)
		host = val + 8;
	else if (strncmp(val, "http://", 7) == 0)
		host = val + 7;
	if (host == NULL || *host == '\0' || *host == '/' ||
	    strpbrk(val, " \t\"") != NULL) {
		conf_error(ctx, ctx->lineno,
		    "%s: \"%s\" is not an http:// or https:// URL", kd->name,
		    val);
		return -1;
	}
	free(*out);
	*out = xstrdup(val);
	return 0;
}

static int
p_scheme(struct pctx *ctx, const struct keydef *kd, const char *val,
    void *field)
{
	enum conf_scheme *out = field;

	if (strcmp(val, "current+next") == 0)
		*out = SCHEME_CURRENT_NEXT;
	else if (strcmp(val, "current+issuer") == 0)
		*out = SCHEME_CURRENT_ISSUER;
	else {
		conf_error(ctx, ctx->lineno, "%s: unknown scheme \"%s\" "
		    "(current+next or current+issuer)", kd->name, val);
		return -1;
	}
	return 0;
}

static int
p_issuer_pin(struct pctx *ctx, const struct keydef *kd, const char *val,
    void *field)
{
	enum issuer_pin *out = field;

	if (strcmp(val, "intermediate") == 0)
		*out = ISSUER_PIN_INTERMEDIATE;
	else if (strcmp(val, "root") == 0)
		*out = ISSUER_PIN_ROOT;
	else {
		conf_error(ctx, ctx->lineno, "%s: expected \"intermediate\" or "
		    "\"root\", not \"%s\"", kd->name, val);
		return -1;
	}
	return 0;
}

/* The publisher backends of this build: backend.c's registry. */
static const struct backend_publisher *const *
publishers(void)
{
	return backend_builtin()->publishers;
}

/* "rfc2136, pdns or exec": the types of this build, for messages. */
static char *
pubtype_names(void)
{
	const struct backend_publisher *const *bp = publishers();
	char *s = xstrdup(""), *t;
	int i;

	for (i = 0; bp[i] != NULL; i++) {
		t = xasprintf("%s%s%s", s, i == 0 ? "" : bp[i + 1] == NULL ?
		    " or " : ", ", bp[i]->type);
		free(s);
		s = t;
	}
	return s;
}

static const struct conf_key *
pubdef_key(const struct conf_pubdef *def, const char *name)
{
	const struct conf_key *k;

	for (k = def->keys; k->name != NULL; k++)
		if (strcmp(k->name, name) == 0)
			return k;
	return NULL;
}

/* The first backend declaring key name (*key set), or NULL. */
static const struct conf_pubdef *
pubdef_declaring(const char *name, const struct conf_key **key)
{
	const struct backend_publisher *const *bp;

	for (bp = publishers(); *bp != NULL; bp++)
		if ((*key = pubdef_key(&(*bp)->conf, name)) != NULL)
			return &(*bp)->conf;
	return NULL;
}

/* type = NAME: the publisher backend named, its keys and its type. */
static int
p_pubtype(struct pctx *ctx, const struct keydef *kd, const char *val,
    void *field)
{
	const struct backend_publisher *const *bp;
	struct conf_publisher *p = field;
	char *names;

	for (bp = publishers(); *bp != NULL; bp++) {
		if (strcmp((*bp)->type, val) == 0) {
			p->type = (*bp)->type;
			p->def = &(*bp)->conf;
			return 0;
		}
	}
	names = pubtype_names();
	conf_error(ctx, ctx->lineno, "%s: unknown publisher type \"%s\" (%s)",
	    kd->name, val, names);
	free(names);
	return -1;
}

static int
p_algs(struct pctx *ctx, const struct keydef *kd, const char *val,
    void *field)
{
	unsigned algs = 0;
	enum key_alg alg;
	const char *w, *s = val;
	char *name = NULL;
	size_t n;
	int rc = -1;

	while ((w = next_word(&s, " \t,", &n)) != NULL) {
		free(name);
		name = copy_span(w, n);
		if (key_alg_parse(name, &alg) == -1) {
			conf_error(ctx, ctx->lineno, "%s: unknown algorithm "
			    "\"%s\" (rsa2048 or ecdsa-p256)", kd->name, name);
			goto out;
		}
		if (algs & (1u << alg)) {
			conf_error(ctx, ctx->lineno, "%s: \"%s\" listed twice",
			    kd->name, name);
			goto out;
		}
		algs |= 1u << alg;
	}
	if (algs == 0) {
		conf_error(ctx, ctx->lineno, "%s: no algorithm listed",
		    kd->name);
		goto out;
	}
	*(unsigned *)field = algs;
	rc = 0;
out:
	free(name);
	return rc;
}

static int
p_pubref(struct pctx *ctx, const struct keydef *kd, const char *val,
    void *field)
{
	struct sect *s = cur_sect(ctx);

	(void)field;
	if (!valid_word(val)) {
		conf_error(ctx, ctx->lineno,
		    "%s: invalid publisher name \"%s\"", kd->name, val);
		return -1;
	}
	free(s->pubref);
	s->pubref = xstrdup(val);
	return 0;
}

static int
p_alias(struct pctx *ctx, const struct keydef *kd, const char *val,
    void *field)
{
	struct conf_host *h = field;
	struct sect *s = cur_sect(ctx);
	struct conf_alias *a;
	const char *w1, *w2, *rest = val;
	char *name = NULL, *pub = NULL, *dname = NULL;
	size_t n1, n2, n3;
	int rc = -1;

	w1 = next_word(&rest, BLANKS, &n1);
	w2 = next_word(&rest, BLANKS, &n2);
	if (w1 == NULL || next_word(&rest, BLANKS, &n3) != NULL) {
		conf_error(ctx, ctx->lineno,
		    "%s: expected \"NAME [PUBLISHER]\", not \"%s\"", kd->name,
		    val);
		goto out;
	}
	name = copy_span(w1, n1);
	if ((dname = domain_norm(name)) == NULL) {
		conf_error(ctx, ctx->lineno, "%s: invalid host name \"%s\"",
		    kd->name, name);
		goto out;
	}
	if (w2 != NULL) {
		pub = copy_span(w2, n2);
		if (!valid_word(pub)) {
			conf_error(ctx, ctx->lineno,
			    "%s: invalid publisher name \"%s\"", kd->name, pub);
			goto out;
		}
	}
	h->aliases = xrealloc(h->aliases,
	    ((size_t)h->naliases + 1) * sizeof(*h->aliases));
	a = &h->aliases[h->naliases++];
	memset(a, 0, sizeof(*a));
	a->name = dname;
	a->line = ctx->lineno;
	dname = NULL;
	strv_add(&s->aliasref, &s->naliasref, pub);
	pub = NULL;
	rc = 0;
out:
	free(name);
	free(dname);
	free(pub);
	return rc;
}

static int
p_spki(struct pctx *ctx, const struct keydef *kd, const char *val,
    void *field)
{
	struct conf_host *h = field;
	unsigned char d[32];

	if (strlen(val) != 64 || strspn(val, "0123456789abcdefABCDEF") != 64 ||
	    util_unhex(val, d, sizeof(d)) != 32) {
		conf_error(ctx, ctx->lineno,
		    "%s: expected 64 hex digits (SHA-256 of the CA's key), "
		    "not \"%s\"", kd->name, val);
		return -1;
	}
	h->issuer_spki = xrealloc(h->issuer_spki,
	    ((size_t)h->nissuer_spki + 1) * sizeof(*h->issuer_spki));
	memcpy(h->issuer_spki[h->nissuer_spki++], d, sizeof(d));
	return 0;
}

static int
p_issuer_cert(struct pctx *ctx, const struct keydef *kd, const char *val,
    void *field)
{
	struct conf_host *h = field;
	char *path = NULL;

	if (p_path(ctx, kd, val, &path) == -1)
		return -1;
	strv_add(&h->issuer_files, &h->nissuer_files, path);
	return 0;
}

static int
p_extra_server(struct pctx *ctx, const struct keydef *kd, const char *val,
    void *field)
{
	struct conf_host *h = field;
	char *addr = NULL;

	if (p_addr(ctx, kd, val, &addr) == -1)
		return -1;
	strv_add(&h->extra_servers, &h->nextra_servers, addr);
	return 0;
}

static struct sect *
sect_add(struct pctx *ctx, enum sect_kind kind, int idx, const char *label,
    int broken)
{
	struct sect *s;

	ctx->sects = xgrow(ctx->sects, (size_t)ctx->nsects,
	    sizeof(*ctx->sects));
	s = &ctx->sects[ctx->nsects];
	memset(s, 0, sizeof(*s));
	s->kind = kind;
	s->idx = idx;
	s->line = ctx->lineno;
	s->broken = broken;
	s->label = xstrdup(label);
	ctx->cur = ctx->nsects++;
	ctx->skip = 0;
	return s;
}

static const char *
sect_name(const struct pctx *ctx, const struct sect *s)
{
	return s->kind == SECT_HOST ? ctx->conf->hosts[s->idx].name :
	    ctx->conf->publishers[s->idx].name;
}

static size_t
sect_hash(enum sect_kind kind, const char *name)
{
	size_t h = 5381 + (size_t)kind;

	while (*name != '\0')
		h = h * 33 + (unsigned char)*name++;
	return h;
}

/* Adds sects[indexed..nsects) to the hash index, growing it as needed. */
static void
sect_index(struct pctx *ctx)
{
	size_t i, cap = ctx->indexcap;

	if ((size_t)ctx->nsects * 2 >= cap) {
		while ((size_t)ctx->nsects * 2 >= cap)
			cap = cap ? cap * 2 : 64;
		free(ctx->index);
		ctx->index = xcalloc(cap, sizeof(*ctx->index));
		ctx->indexcap = cap;
		ctx->indexed = 0;
	}
	for (; ctx->indexed < ctx->nsects; ctx->indexed++) {
		const struct sect *s = &ctx->sects[ctx->indexed];

		if (s->broken || s->kind == SECT_GLOBAL)
			continue;
		i = sect_hash(s->kind, sect_name(ctx, s)) & (cap - 1);
		while (ctx->index[i] != 0)
			i = (i + 1) & (cap - 1);
		ctx->index[i] = ctx->indexed + 1;
	}
}

/* The earlier section of this kind and name, or NULL. Hashed, so that a
 * configuration with thousands of hosts parses in linear time. */
static struct sect *
sect_find(struct pctx *ctx, enum sect_kind kind, const char *name)
{
	size_t i;
	int j;

	if (kind == SECT_GLOBAL) {
		for (j = 0; j < ctx->nsects; j++)
			if (ctx->sects[j].kind == SECT_GLOBAL &&
			    !ctx->sects[j].broken)
				return &ctx->sects[j];
		return NULL;
	}
	sect_index(ctx);
	for (i = sect_hash(kind, name) & (ctx->indexcap - 1);
	    ctx->index[i] != 0; i = (i + 1) & (ctx->indexcap - 1)) {
		struct sect *s = &ctx->sects[ctx->index[i] - 1];

		if (s->kind == kind && strcmp(sect_name(ctx, s), name) == 0)
			return s;
	}
	return NULL;
}

static void
host_add(struct pctx *ctx, const char *name, int broken)
{
	struct conf *c = ctx->conf;
	struct conf_host *h;
	char *label;

	c->hosts = xgrow(c->hosts, (size_t)c->nhosts, sizeof(*c->hosts));
	h = &c->hosts[c->nhosts];
	memset(h, 0, sizeof(*h));
	h->name = xstrdup(name);
	h->line = ctx->lineno;
	h->port = 25;
	h->ports.v[0] = 25;
	h->ports.n = 1;
	h->scheme = SCHEME_CURRENT_NEXT;
	h->files.key_mode = 0600;
	h->files.cert_mode = 0644;
	h->issuer_follow = 1;
	label = xasprintf("host %s", name);
	sect_add(ctx, SECT_HOST, c->nhosts++, label, broken);
	free(label);
}

static void
publisher_add(struct pctx *ctx, const char *name, int broken)
{
	struct conf *c = ctx->conf;
	struct conf_publisher *p;
	char *label;

	c->publishers = xrealloc(c->publishers,
	    ((size_t)c->npublishers + 1) * sizeof(*c->publishers));
	p = &c->publishers[c->npublishers];
	memset(p, 0, sizeof(*p));
	p->name = xstrdup(name);
	p->line = ctx->lineno;
	p->timeout = 30;
	label = xasprintf("publisher %s", name);
	sect_add(ctx, SECT_PUB, c->npublishers++, label, broken);
	free(label);
}

/*
 * Opens the section whose header starts at p ("[..."). Returns -1 if the
 * header is rejected; its keys are then skipped, as nothing is known
 * about where they belong.
 */
static int
section_open(struct pctx *ctx, const char *p)
{
	const char *end, *w, *rest;
	char *inner = NULL, *kind = NULL, *name = NULL, *dname = NULL;
	struct sect *prev;
	size_t n;
	int rc = -1;

	if ((end = strchr(p, ']')) == NULL) {
		conf_error(ctx, ctx->lineno, "section header lacks \"]\"");
		goto out;
	}
	if (end[1 + strspn(end + 1, BLANKS)] != '\0') {
		conf_error(ctx, ctx->lineno, "text after \"]\"");
		goto out;
	}
	inner = copy_span(p + 1, (size_t)(end - p - 1));
	rest = inner;
	if ((w = next_word(&rest, BLANKS, &n)) == NULL) {
		conf_error(ctx, ctx->lineno, "empty section header");
		goto out;
	}
	kind = copy_span(w, n);
	rest += strspn(rest, BLANKS);
	n = strlen(rest);
	while (n > 0 && (rest[n - 1] == ' ' || rest[n - 1] == '\t'))
		n--;
	name = copy_span(rest, n);

	if (strcmp(kind, "global") == 0) {
		if (*name != '\0') {
			conf_error(ctx, ctx->lineno, "[global] takes no name");
			goto out;
		}
		if ((prev = sect_find(ctx, SECT_GLOBAL, NULL)) != NULL)
			conf_error(ctx, ctx->lineno,
			    "duplicate [global], first at line %d", prev->line);
		sect_add(ctx, SECT_GLOBAL, 0, "global", prev != NULL);
	} else if (strcmp(kind, "host") == 0 ||
	    strcmp(kind, "publisher") == 0) {
		int host = kind[0] == 'h';

		if (*name == '\0') {
			conf_error(ctx, ctx->lineno, "[%s] needs a name", kind);
			goto out;
		}
		if (host && (dname = domain_norm(name)) == NULL) {
			conf_error(ctx, ctx->lineno, "invalid host name \"%s\"",
			    name);
			host_add(ctx, name, 1);
		} else if (!host && !valid_word(name)) {
			conf_error(ctx, ctx->lineno,
			    "invalid publisher name \"%s\"", name);
			publisher_add(ctx, name, 1);
		} else {
			prev = sect_find(ctx, host ? SECT_HOST : SECT_PUB,
			    host ? dname : name);
			if (prev != NULL)
				conf_error(ctx, ctx->lineno,
				    "duplicate [%s], first at line %d",
				    prev->label, prev->line);
			if (host)
				host_add(ctx, dname, prev != NULL);
			else
				publisher_add(ctx, name, prev != NULL);
		}
	} else {
		conf_error(ctx, ctx->lineno, "unknown section [%s%s%s]", kind,
		    *name != '\0' ? " " : "", name);
		goto out;
	}
	rc = 0;
out:
	if (rc == -1)
		ctx->skip = 1;
	free(inner);
	free(kind);
	free(name);
	free(dname);
	return rc;
}

/*
 * Checks one line (without its newline) and returns what inih gets for
 * it: the line itself, or "" when this function has dealt with it.
 */
static const char *
line_check(struct pctx *ctx, const char *line, size_t len, size_t max)
{
	const char *p = line + strspn(line, BLANKS), *sep;
	size_t i;

	if (len > max) {
		conf_error(ctx, ctx->lineno, "line longer than %zu characters",
		    max);
		goto reject;
	}
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)line[i];

		if ((c < 0x20 && c != '\t') || c == 0x7f) {
			conf_error(ctx, ctx->lineno,
			    "control character 0x%02x in line", c);
			goto reject;
		}
	}
	if (*p == '\0' || *p == '#' || *p == ';')
		return line;
	if (*p == '[')
		return section_open(ctx, p) == 0 ? line : "";
	sep = p + strcspn(p, "=:");
	if (*sep != '=' || sep == p) {
		conf_error(ctx, ctx->lineno, "expected \"key = value\"");
		return "";
	}
	return line;
reject:
	/* A lost header must not let its keys land in the section above. */
	if (*p == '[')
		ctx->skip = 1;
	return "";
}

/*
 * Reads one line into ctx->line: at most CONF_MAX_LINE + 1 characters are
 * kept, the rest of a longer line is read and dropped, so that a file
 * without newlines costs no memory. *len is the whole line's length,
 * *kept what ctx->line holds (NUL-terminated, no newline). -1 at the end
 * of the file, or when the file grew past CONF_FILE_MAX (an error).
 */
static int
read_line(struct pctx *ctx, size_t *len, size_t *kept)
{
	int ch, any = 0;

	*len = *kept = 0;
	while ((ch = getc_unlocked(ctx->fp)) != EOF) {
		any = 1;
		if (++ctx->nread > CONF_FILE_MAX) {
			conf_error(ctx, 0, "grew past the limit of %d bytes "
			    "while being read", CONF_FILE_MAX);
			return -1;
		}
		if (ch == '\n')
			break;
		if (*kept < sizeof(ctx->line) - 1)
			ctx->line[(*kept)++] = (char)ch;
		(*len)++;
	}
	ctx->line[*kept] = '\0';
	if (ferror(ctx->fp)) {
		conf_error(ctx, 0, "read error: %s", strerror(errno));
		return -1;
	}
	return any ? 0 : -1;
}

/* inih's fgets(3): whole lines only, counted. */
static char *
conf_reader(char *str, int num, void *arg)
{
	struct pctx *ctx = arg;
	const char *text;
	char *line;
	size_t len, kept;

	errno = 0;
	if (read_line(ctx, &len, &kept) == -1)
		return NULL;
	ctx->lineno++;
	line = ctx->line;
	if (len == kept && len > 0 && line[len - 1] == '\r')
		line[--len] = '\0';
	kept = len < kept ? len : kept;
	if (ctx->lineno == 1 && kept >= 3 &&
	    memcmp(line, "\xef\xbb\xbf", 3) == 0) {
		line += 3;
		len -= 3;
	}
	/* "\n" and NUL, plus the "\r" inih's documentation asks room for.
	 * A line over the limit is refused on its length alone, before its
	 * (partly kept) characters are looked at. */
	text = line_check(ctx, line, len, (size_t)num - 3);
	snprintf(str, (size_t)num, "%s\n", text);
	return str;
}

/* The line of s's backend key name, or 0. */
static int
pubkey_line(const struct sect *s, const char *name)
{
	int i;

	for (i = 0; i < s->npkeys; i++)
		if (strcmp(s->pkeys[i].name, name) == 0)
			return s->pkeys[i].line;
	return 0;
}

/*
 * A [publisher] key that is not one of every type's: kept for the backend
 * of the section's type, parsed when the section is finished. 0 if some
 * backend declares it, else -1 (nothing logged).
 */
static int
pubkey_keep(struct pctx *ctx, struct sect *s, const char *name,
    const char *value)
{
	const struct conf_key *k;
	struct pubkey *pk;
	int first;

	if (pubdef_declaring(name, &k) == NULL)
		return -1;
	if ((first = pubkey_line(s, name)) != 0) {
		conf_error(ctx, ctx->lineno,
		    "duplicate key \"%s\" in [%s], first at line %d", name,
		    s->label, first);
		return 0;
	}
	s->pkeys = xrealloc(s->pkeys, ((size_t)s->npkeys + 1) *
	    sizeof(*s->pkeys));
	pk = &s->pkeys[s->npkeys++];
	pk->name = xstrdup(name);
	pk->value = xstrdup(value);
	pk->line = ctx->lineno;
	pk->bad = *value == '\0';
	if (pk->bad)
		conf_error(ctx, ctx->lineno, "%s: no value", name);
	return 0;
}

static int
conf_handler(void *arg, const char *section, const char *name,
    const char *value)
{
	struct pctx *ctx = arg;
	const struct keydef *kd = NULL;
	struct sect *s;
	char *base;
	int k;

	(void)section;		/* ctx->cur, opened by section_open() */
	if (ctx->skip)
		return 1;
	if (ctx->cur < 0) {
		conf_error(ctx, ctx->lineno, "key \"%s\" before any section",
		    name);
		return 1;
	}
	s = cur_sect(ctx);
	for (k = 0; k < K_COUNT; k++) {
		if ((keys[k].sects & s->kind) &&
		    strcmp(keys[k].name, name) == 0) {
			kd = &keys[k];
			break;
		}
	}
	if (kd == NULL && (s->kind != SECT_PUB ||
	    pubkey_keep(ctx, s, name, value) == -1))
		conf_error(ctx, ctx->lineno, "unknown key \"%s\" in [%s]", name,
		    s->label);
	if (kd == NULL)
		return 1;
	if (s->seen[k] && !(kd->flags & KF_REPEAT)) {
		conf_error(ctx, ctx->lineno,
		    "duplicate key \"%s\" in [%s], first at line %d", name,
		    s->label, s->seen[k]);
		return 1;
	}
	if (s->seen[k] == 0)
		s->seen[k] = ctx->lineno;
	if (*value == '\0') {
		conf_error(ctx, ctx->lineno, "%s: no value", name);
		s->bad[k] = 1;
		return 1;
	}
	if (s->kind == SECT_GLOBAL)
		base = (kd->flags & KF_TIMING) ? (char *)&ctx->conf->timing :
		    (char *)ctx->conf;
	else if (s->kind == SECT_PUB)
		base = (char *)&ctx->conf->publishers[s->idx];
	else if (kd->flags & KF_TIMING)
		base = (char *)&ctx->conf->hosts[s->idx].timing;
	else
		base = (char *)&ctx->conf->hosts[s->idx];
	if (kd->parse(ctx, kd, value, base + kd->off) == -1)
		s->bad[k] = 1;
	return 1;
}

static int
any_bad(const struct sect *s)
{
	int k;

	for (k = 0; k < K_COUNT; k++)
		if (s->bad[k])
			return 1;
	return 0;
}

/* Keys missing from s that its kind requires. */
static void
check_required(struct pctx *ctx, const struct sect *s)
{
	int k;

	for (k = 0; k < K_COUNT; k++) {
		if (!(keys[k].sects & s->kind) ||
		    !(keys[k].flags & KF_REQUIRED) || s->seen[k])
			continue;
		conf_error(ctx, s->line, "[%s] lacks required key \"%s\"",
		    s->label, keys[k].name);
	}
}

static void
check_retry(struct pctx *ctx, const struct conf_timing *t, int line)
{
	char a[32], b[32];

	if (t->retry_min > t->retry_max)
		conf_error(ctx, line, "retry_min (%s) is longer than retry_max "
		    "(%s)", util_fmt_duration(t->retry_min, a, sizeof(a)),
		    util_fmt_duration(t->retry_max, b, sizeof(b)));
}

static void
finish_global(struct pctx *ctx, const struct sect *s)
{
	struct conf *c = ctx->conf;
	char a[32], b[32];

	if (c->state_dir == NULL)
		c->state_dir = xstrdup(CONF_DEFAULT_STATE_DIR);
	if (c->key_dir == NULL)
		c->key_dir = xasprintf("%s/keys", c->state_dir);
	else
		c->key_dir_set = 1;
	if (s == NULL || any_bad(s))
		return;
	if (c->ttl_advice_min > c->ttl_advice_max)
		conf_error(ctx, s->seen[K_TTL_ADVICE_MIN] ?
		    s->seen[K_TTL_ADVICE_MIN] : s->seen[K_TTL_ADVICE_MAX],
		    "ttl_advice_min (%s) is longer than ttl_advice_max (%s)",
		    util_fmt_duration(c->ttl_advice_min, a, sizeof(a)),
		    util_fmt_duration(c->ttl_advice_max, b, sizeof(b)));
	if (s->seen[K_RETRY_MIN] || s->seen[K_RETRY_MAX])
		check_retry(ctx, &c->timing, s->seen[K_RETRY_MIN] ?
		    s->seen[K_RETRY_MIN] : s->seen[K_RETRY_MAX]);
}

/* A [publisher] section being finished, for its backend's checks. */
struct conf_pubctx {
	struct pctx		*ctx;
	const struct sect	*s;
};

void
conf_pub_error(struct conf_pubctx *pc, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	conf_verror(pc->ctx, line > 0 ? line : pc->s->line, fmt, ap);
	va_end(ap);
}

int
conf_pub_line(const struct conf_pubctx *pc, const char *key)
{
	return pubkey_line(pc->s, key);
}

const struct conf_key *
conf_pub_secret(const struct conf_publisher *p, const char **path)
{
	const struct conf_key *k;

	*path = NULL;
	if (p->def == NULL || p->priv == NULL)
		return NULL;
	for (k = p->def->keys; k->name != NULL; k++) {
		if (k->flags & CONF_KEY_SECRET) {
			*path = *(char *const *)(const void *)
			    ((const char *)p->priv + k->off);
			return k;
		}
	}
	return NULL;
}

static const parse_fn kind_parse[] = {
	[CONF_PATH] = p_path,
	[CONF_ADDR] = p_addr,
	[CONF_URL] = p_url,
	[CONF_WORD] = p_word,
	[CONF_BOOL] = p_bool,
	[CONF_CMD] = p_cmd,
};

/*
 * Parses one backend key of p's section with the backend of its type; or
 * else, so that its value is still checked, with the first backend that
 * declares it, into a configuration thrown away, and then refuses it as
 * not valid for the type (if the type is known).
 */
static void
pubkey_take(struct pctx *ctx, const struct sect *s, struct conf_publisher *p,
    const struct pubkey *pk)
{
	const struct conf_pubdef *def = p->def;
	const struct conf_key *k = NULL;
	struct keydef kd;
	void *priv = p->priv;
	int lineno = ctx->lineno;

	if (priv == NULL || (k = pubdef_key(def, pk->name)) == NULL) {
		def = pubdef_declaring(pk->name, &k);
		priv = pubdef_new(def);
	} else if (k->flags & CONF_KEY_SECRET)
		p->secret_line = pk->line;
	memset(&kd, 0, sizeof(kd));
	kd.name = k->name;
	kd.sects = SECT_PUB;
	kd.off = k->off;
	kd.parse = kind_parse[k->kind];
	ctx->lineno = pk->line;
	if (!pk->bad)
		(void)kd.parse(ctx, &kd, pk->value, (char *)priv + k->off);
	ctx->lineno = lineno;
	if (priv == p->priv)
		return;
	pubdef_free(def, priv);
	if (p->priv != NULL)
		conf_error(ctx, pk->line,
		    "key \"%s\" is not valid for type %s in [%s]", pk->name,
		    p->type, s->label);
}

static void
finish_publisher(struct pctx *ctx, const struct sect *s)
{
	struct conf_publisher *p = &ctx->conf->publishers[s->idx];
	struct conf_pubctx pc = { ctx, s };
	const struct conf_key *k;
	int i;

	if (s->seen[K_TYPE] && !s->bad[K_TYPE])
		p->priv = pubdef_new(p->def);
	else {
		p->type = NULL;
		p->def = NULL;
	}
	for (i = 0; i < s->npkeys; i++)
		pubkey_take(ctx, s, p, &s->pkeys[i]);
	check_required(ctx, s);
	/* Nothing else can be judged without the type. */
	if (p->def == NULL)
		return;
	for (k = p->def->keys; k->name != NULL; k++)
		if ((k->flags & CONF_KEY_REQUIRED) &&
		    pubkey_line(s, k->name) == 0)
			conf_error(ctx, s->line,
			    "[%s] lacks required key \"%s\"", s->label,
			    k->name);
	if (p->def->finish != NULL)
		p->def->finish(&pc, p, p->priv);
}

/* A publisher given a zone changes names in it only: a TLSA owner outside
 * it (a typo in the host name, say) would fail only at the first update. */
static void
check_in_zone(struct pctx *ctx, const struct conf_publisher *p,
    const char *owner, int line)
{
	size_t no, nz;

	if (p == NULL || p->zone == NULL || owner == NULL)
		return;
	no = strlen(owner);
	nz = strlen(p->zone);
	if (strcmp(owner, p->zone) == 0 || (no > nz &&
	    owner[no - nz - 1] == '.' && strcmp(owner + no - nz, p->zone) == 0))
		return;
	conf_error(ctx, line, "TLSA owner %s is not in zone %s of publisher %s",
	    owner, p->zone, p->name);
}

static struct conf_publisher *
publisher_find(struct pctx *ctx, const char *name)
{
	struct sect *s = sect_find(ctx, SECT_PUB, name);

	return s != NULL ? &ctx->conf->publishers[s->idx] : NULL;
}

/*
 * Every owner name of a host, port by port: the host's name, then its
 * aliases, each with its publisher (an alias's, or the host's). The
 * first port's names are the host's and aliases' owner fields.
 */
static void
make_owners(struct conf_host *h, int line)
{
	int names = 1 + h->naliases, p, i, n = 0;

	h->nowners = h->ports.n * names;
	h->owners = xcalloc((size_t)h->nowners, sizeof(*h->owners));
	h->owner_names = xcalloc((size_t)h->nowners, sizeof(char *));
	for (p = 0; p < h->ports.n; p++)
		for (i = 0; i < names; i++) {
			struct conf_owner *o = &h->owners[p * names + i];
			const char *name = i == 0 ? h->name :
			    h->aliases[i - 1].name;

			o->port = h->ports.v[p];
			o->mx = name;
			o->publisher = i == 0 ||
			    h->aliases[i - 1].publisher == NULL ?
			    h->publisher : h->aliases[i - 1].publisher;
			o->line = i == 0 ? line : h->aliases[i - 1].line;
			if (p == 0)
				o->name = i == 0 ? h->owner :
				    h->aliases[i - 1].owner;
			else
				o->name = h->owner_names[n++] = xasprintf(
				    "_%d._tcp.%s", o->port, name);
		}
}

/* The host's port and TLSA owner names, and its aliases' owners and
 * publishers. */
static void
host_names(struct pctx *ctx, const struct sect *s, struct conf_host *h)
{
	struct conf_alias *a;
	int i;

	h->port = h->ports.v[0];
	if (s->seen[K_PORT] && s->seen[K_PORTS])
		conf_error(ctx, s->seen[K_PORTS], "ports: port is given "
		    "too, at line %d; give one of them", s->seen[K_PORT]);
	if (h->ports.n > 1 && s->seen[K_TLSA_OWNER])
		conf_error(ctx, s->seen[K_TLSA_OWNER], "tlsa_owner names one "
		    "owner name, but the host serves %d ports: leave it out "
		    "(each port's owner is _PORT._tcp.NAME)", h->ports.n);
	if (h->owner == NULL) {
		h->owner = xasprintf("_%d._tcp.%s", h->port, h->name);
		if (!s->broken && !util_valid_hostname(h->owner))
			conf_error(ctx, s->line,
			    "TLSA owner \"%s\" is not a valid name", h->owner);
	}
	for (i = 0; i < h->naliases; i++) {
		a = &h->aliases[i];
		a->owner = xasprintf("_%d._tcp.%s", h->port, a->name);
		if (!util_valid_hostname(a->owner))
			conf_error(ctx, a->line,
			    "TLSA owner \"%s\" is not a valid name", a->owner);
		if (s->aliasref[i] == NULL)
			continue;
		if ((a->publisher = publisher_find(ctx, s->aliasref[i])) ==
		    NULL)
			conf_error(ctx, a->line, "alias: unknown publisher "
			    "\"%s\"", s->aliasref[i]);
	}
}

/* The issuer keys: what scheme current+issuer needs, and refused with
 * any other scheme. */
static void
check_scheme_keys(struct pctx *ctx, const struct sect *s,
    const struct conf_host *h)
{
	const struct conf_files *f = &h->files;

	if (!s->bad[K_SCHEME] && h->scheme == SCHEME_CURRENT_ISSUER) {
		if (h->nissuer_spki == 0 && h->nissuer_files == 0 &&
		    !s->bad[K_ISSUER_SPKI] && !s->bad[K_ISSUER_CERT])
			conf_error(ctx, s->seen[K_SCHEME], "scheme "
			    "current+issuer needs issuer_spki or issuer_cert");
		if (f->fullchain_file == NULL && f->chain_file == NULL &&
		    f->combined_file == NULL && f->live_link == NULL &&
		    !s->bad[K_FULLCHAIN_FILE] && !s->bad[K_CHAIN_FILE] &&
		    !s->bad[K_COMBINED_FILE] && !s->bad[K_LIVE_LINK])
			conf_error(ctx, s->seen[K_SCHEME], "scheme "
			    "current+issuer needs the issuer certificate "
			    "served: set fullchain_file, chain_file, "
			    "combined_file or live_link");
		/* It chooses what following publishes: alone, it would
		 * read as a pin it is not. */
		if (s->seen[K_ISSUER_PIN] && !s->bad[K_ISSUER_PIN] &&
		    !s->bad[K_ISSUER_FOLLOW] && !h->issuer_follow)
			conf_error(ctx, s->seen[K_ISSUER_PIN], "issuer_pin "
			    "chooses the CA that issuer_follow publishes; it "
			    "does nothing with issuer_follow = no");
	} else if (!s->bad[K_SCHEME]) {
		if (s->seen[K_ISSUER_SPKI] && !s->bad[K_ISSUER_SPKI])
			conf_error(ctx, s->seen[K_ISSUER_SPKI], "issuer_spki "
			    "is only used with scheme current+issuer");
		if (s->seen[K_ISSUER_CERT] && !s->bad[K_ISSUER_CERT])
			conf_error(ctx, s->seen[K_ISSUER_CERT], "issuer_cert "
			    "is only used with scheme current+issuer");
		if (s->seen[K_ISSUER_FOLLOW] && !s->bad[K_ISSUER_FOLLOW])
			conf_error(ctx, s->seen[K_ISSUER_FOLLOW],
			    "issuer_follow is only used with scheme "
			    "current+issuer");
		if (s->seen[K_ISSUER_PIN] && !s->bad[K_ISSUER_PIN])
			conf_error(ctx, s->seen[K_ISSUER_PIN],
			    "issuer_pin is only used with scheme "
			    "current+issuer");
	}
}

/* With more than one algorithm, each slot's path needs "%a". */
static void
check_slot_paths(struct pctx *ctx, const struct sect *s,
    const struct conf_host *h)
{
	const char *path;
	int i, k, nalgs;

	for (nalgs = 0, i = 0; i < KEY_ALG_COUNT; i++)
		if (h->algs & (1u << i))
			nalgs++;
	for (k = 0; k < K_COUNT && nalgs > 1; k++) {
		if (!(keys[k].flags & KF_SLOT))
			continue;
		path = *(char *const *)((const char *)h + keys[k].off);
		if (path != NULL && strstr(path, "%a") == NULL)
			conf_error(ctx, s->seen[k], "%s: \"%s\" needs \"%%a\": "
			    "both algorithms would write it", keys[k].name,
			    path);
	}
}

static void
finish_host(struct pctx *ctx, const struct sect *s)
{
	struct conf *c = ctx->conf;
	struct conf_host *h = &c->hosts[s->idx];
	struct conf_files *f = &h->files;
	int i, k;

	/* Timings not set here come from [global]. */
	for (k = 0; k < K_COUNT; k++) {
		if ((keys[k].flags & KF_TIMING) && !s->seen[k])
			memcpy((char *)&h->timing + keys[k].off,
			    (char *)&c->timing + keys[k].off, sizeof(int64_t));
	}
	if ((s->seen[K_RETRY_MIN] || s->seen[K_RETRY_MAX]) &&
	    !s->bad[K_RETRY_MIN] && !s->bad[K_RETRY_MAX])
		check_retry(ctx, &h->timing, s->seen[K_RETRY_MIN] ?
		    s->seen[K_RETRY_MIN] : s->seen[K_RETRY_MAX]);
	if (h->algs == 0)
		h->algs = 1u << KEY_ALG_RSA2048;
	host_names(ctx, s, h);

	check_required(ctx, s);
	if (s->pubref != NULL &&
	    (h->publisher = publisher_find(ctx, s->pubref)) == NULL)
		conf_error(ctx, s->seen[K_PUBLISHER],
		    "publisher: unknown publisher \"%s\"", s->pubref);
	make_owners(h, s->seen[K_TLSA_OWNER] ? s->seen[K_TLSA_OWNER] :
	    s->line);
	for (i = 0; i < h->nowners; i++)
		check_in_zone(ctx, h->owners[i].publisher, h->owners[i].name,
		    h->owners[i].line);

	check_scheme_keys(ctx, s, h);
	if (f->combined_file == NULL && f->live_link == NULL &&
	    (f->key_file == NULL ||
	    (f->fullchain_file == NULL && f->cert_file == NULL)) &&
	    !s->bad[K_COMBINED_FILE] && !s->bad[K_KEY_FILE] &&
	    !s->bad[K_FULLCHAIN_FILE] && !s->bad[K_CERT_FILE] &&
	    !s->bad[K_LIVE_LINK])
		conf_error(ctx, s->line, "[%s] needs combined_file, live_link, "
		    "or key_file with fullchain_file or cert_file", s->label);
	check_slot_paths(ctx, s, h);
}

struct owner {
	const char	*name;
	int		 line;
	int		 order;
};

static int
owner_cmp(const void *a, const void *b)
{
	const struct owner *x = a, *y = b;
	int c = strcasecmp(x->name, y->name);

	return c != 0 ? c : x->order - y->order;
}

/* Two names whose TLSA RRsets would be managed twice. */
static void
check_owners(struct pctx *ctx)
{
	struct owner *v = NULL;
	struct conf_host *h;
	struct sect *s;
	int i, j, n = 0;

	for (i = 0; i < ctx->nsects; i++) {
		s = &ctx->sects[i];
		if (s->kind != SECT_HOST || s->broken)
			continue;
		h = &ctx->conf->hosts[s->idx];
		v = xrealloc(v, ((size_t)n + (size_t)h->nowners) *
		    sizeof(*v));
		for (j = 0; j < h->nowners; j++) {
			v[n].order = n;
			v[n].name = h->owners[j].name;
			v[n++].line = h->owners[j].line;
		}
	}
	if (n > 1)
		qsort(v, (size_t)n, sizeof(*v), owner_cmp);
	for (i = 1, j = 0; i < n; i++) {
		if (strcasecmp(v[i].name, v[j].name) != 0) {
			j = i;
			continue;
		}
		conf_error(ctx, v[i].line, "TLSA owner \"%s\" is also "
		    "managed at line %d", v[i].name, v[j].line);
	}
	free(v);
}

struct file {
	char		*path;
	const char	*key;
	const char	*host;
	int		 line;
	int		 order;
};

static int
file_cmp(const void *a, const void *b)
{
	const struct file *x = a, *y = b;
	int c = strcmp(x->path, y->path);

	return c != 0 ? c : x->order - y->order;
}

/* Two slots, of one host or two, that would write the same file. */
static void
check_files(struct pctx *ctx)
{
	struct file *v = NULL;
	struct conf_host *h;
	struct sect *s;
	const char *path;
	int i, j, k, a, n = 0;

	for (i = 0; i < ctx->nsects; i++) {
		s = &ctx->sects[i];
		if (s->kind != SECT_HOST || s->broken)
			continue;
		h = &ctx->conf->hosts[s->idx];
		for (k = 0; k < K_COUNT; k++) {
			if (!(keys[k].flags & KF_SLOT))
				continue;
			path = *(char **)((char *)h + keys[k].off);
			for (a = 0; path != NULL && a < KEY_ALG_COUNT; a++) {
				if (!(h->algs & (1u << a)))
					continue;
				v = xgrow(v, (size_t)n, sizeof(*v));
				v[n].order = n;
				v[n].path = conf_path_for(path,
				    (enum key_alg)a);
				v[n].key = keys[k].name;
				v[n].host = h->name;
				v[n++].line = s->seen[k];
				/* Without "%a", finish_host() has said it. */
				if (strstr(path, "%a") == NULL)
					break;
			}
		}
	}
	for (i = 0; i < n; i++) {
		const char *where = inside_state(ctx->conf, v[i].path);

		if (where != NULL)
			conf_error(ctx, v[i].line, "%s \"%s\" is inside the %s "
			    "%s: deployed files go where the MTA reads them, "
			    "never among daneroll's own", v[i].key, v[i].path,
			    where, strcmp(where, "key directory") == 0 ?
			    ctx->conf->key_dir : ctx->conf->state_dir);
	}
	/* Sorted, duplicates are neighbours: O(n log n) for big configs. */
	if (n > 1)
		qsort(v, (size_t)n, sizeof(*v), file_cmp);
	for (i = 1, j = 0; i < n; i++) {
		if (strcmp(v[i].path, v[j].path) != 0) {
			j = i;	/* the first, in file order, of a new run */
			continue;
		}
		conf_error(ctx, v[i].line, "%s \"%s\" is also the %s of "
		    "[host %s] at line %d", v[i].key, v[i].path, v[j].key,
		    v[j].host, v[j].line);
	}
	for (i = 0; i < n; i++)
		free(v[i].path);
	free(v);
}

/* After --state-dir: no deployed file of any host inside it. 0, or -1
 * logged naming the host section. */
static int
deploy_paths_outside(const struct conf *c)
{
	const struct conf_host *h;
	const char *path, *where;
	char *p;
	int i, k, a, rc = 0;

	for (i = 0; i < c->nhosts; i++) {
		h = &c->hosts[i];
		for (k = 0; k < K_COUNT; k++) {
			if (!(keys[k].flags & KF_SLOT))
				continue;
			path = *(char *const *)((const char *)h + keys[k].off);
			for (a = 0; path != NULL && a < KEY_ALG_COUNT; a++) {
				if (!(h->algs & (1u << a)))
					continue;
				p = conf_path_for(path, (enum key_alg)a);
				if ((where = inside_state(c, p)) != NULL) {
					log_err("%s:%d: [host %s] %s \"%s\" is "
					    "inside the %s", c->path, h->line,
					    h->name, keys[k].name, p, where);
					rc = -1;
				}
				free(p);
			}
		}
	}
	return rc;
}

/* The checks that need the whole file. */
static void
conf_finish(struct pctx *ctx)
{
	struct sect *global = sect_find(ctx, SECT_GLOBAL, NULL);
	int i;

	finish_global(ctx, global);
	for (i = 0; i < ctx->nsects; i++)
		if (ctx->sects[i].kind == SECT_PUB)
			finish_publisher(ctx, &ctx->sects[i]);
	for (i = 0; i < ctx->nsects; i++)
		if (ctx->sects[i].kind == SECT_HOST)
			finish_host(ctx, &ctx->sects[i]);
	check_owners(ctx);
	check_files(ctx);
	if (ctx->conf->nhosts == 0)
		conf_error(ctx, 0, "no [host] section");
}

/*
 * The file names commands run as root: refuse one that someone else could
 * have written. Returns -1 if it is not a file at all.
 */
static int
check_file(struct pctx *ctx)
{
	struct stat st;

	if (fstat(fileno(ctx->fp), &st) == -1) {
		conf_error(ctx, 0, "%s", strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		conf_error(ctx, 0, "not a regular file");
		return -1;
	}
	if (st.st_size > CONF_FILE_MAX) {
		conf_error(ctx, 0, "%lld bytes, more than the limit of %d "
		    "bytes for a configuration file", (long long)st.st_size,
		    CONF_FILE_MAX);
		return -1;
	}
	if (st.st_uid != 0 && st.st_uid != geteuid())
		conf_error(ctx, 0, "owned by uid %lu, not by root or uid %lu",
		    (unsigned long)st.st_uid, (unsigned long)geteuid());
	if (st.st_mode & 022)
		conf_error(ctx, 0, "writable by group or others (mode %04o)",
		    (unsigned)(st.st_mode & 07777));
	return 0;
}

static struct conf *
conf_new(const char *path)
{
	struct conf *c = xcalloc(1, sizeof(*c));

	c->path = xstrdup(path);
	c->lock_timeout = 30;
	c->ttl_advice_min = 1800;
	c->ttl_advice_max = 3600;
	c->timing.ttl = 3600;
	c->timing.margin = 60;
	c->timing.renew_before = 30 * 86400;
	c->timing.rotate_after = 0;
	c->timing.retry_min = 5 * 60;
	c->timing.retry_max = 6 * 3600;
	c->timing.expiry_alert = 14 * 86400;
	c->timing.hook_timeout = 300;
	c->timing.tempfail_limit = 86400;
	return c;
}

static void
pubkeys_free(struct sect *s)
{
	int i;

	for (i = 0; i < s->npkeys; i++) {
		free(s->pkeys[i].name);
		free(s->pkeys[i].value);
	}
	free(s->pkeys);
}

static void
sects_free(struct pctx *ctx)
{
	struct sect *s;
	int i;

	for (i = 0; i < ctx->nsects; i++) {
		s = &ctx->sects[i];
		free(s->label);
		free(s->pubref);
		strv_free(s->aliasref, s->naliasref);
		pubkeys_free(s);
	}
	free(ctx->sects);
	free(ctx->index);
}

struct conf *
conf_load(const char *path)
{
	static char comment_prefixes[] = "#;";
	struct pctx ctx;
	struct conf *conf = NULL;
	int rc, max_line, multiline, inline_comments, no_value, stop, bom;
	int fd = -1;
	char *comments;

	memset(&ctx, 0, sizeof(ctx));
	ctx.path = path;
	ctx.cur = -1;
	ctx.conf = conf_new(path);
	/* Root runs what it names: every directory above it must be as
	 * closed as the file, which check_file() checks (root's links,
	 * /etc/alternatives say, are followed and their targets checked). */
	if (fs_secure_path(path, FS_SP_PARENT | FS_SP_LINK | FS_SP_MISSING) !=
	    0)
		goto out;
	/* O_NONBLOCK: a FIFO at the path must not hang the run before
	 * check_file() refuses it. */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) ==
	    -1 || (ctx.fp = fdopen(fd, "re")) == NULL) {
		conf_error(&ctx, 0, "%s", strerror(errno));
		if (fd != -1)
			(void)close(fd);
		goto out;
	}
	if (check_file(&ctx) == -1)
		goto out;

	/* inih's settings are globals of the library: set, then restore. */
	max_line = ini_max_line;
	multiline = ini_allow_multiline;
	inline_comments = ini_allow_inline_comments;
	no_value = ini_allow_no_value;
	stop = ini_stop_on_first_error;
	bom = ini_allow_bom;
	comments = ini_start_comment_prefixes;
	ini_max_line = CONF_MAX_LINE + 3;
	ini_allow_multiline = 0;
	ini_allow_inline_comments = 0;
	ini_allow_no_value = 0;
	ini_stop_on_first_error = 0;
	ini_allow_bom = 0;		/* conf_reader() strips it */
	ini_start_comment_prefixes = comment_prefixes;
	rc = ini_parse_stream(conf_reader, &ctx, conf_handler, &ctx);
	ini_max_line = max_line;
	ini_allow_multiline = multiline;
	ini_allow_inline_comments = inline_comments;
	ini_allow_no_value = no_value;
	ini_stop_on_first_error = stop;
	ini_allow_bom = bom;
	ini_start_comment_prefixes = comments;

	/* conf_reader() passes inih only lines it accepts. */
	if (rc > 0)
		conf_error(&ctx, rc, "syntax error");
	else if (rc < 0)
		conf_error(&ctx, 0, "parser failed (%d)", rc);
	conf_finish(&ctx);
	if (ctx.nerr == 0) {
		conf = ctx.conf;
		ctx.conf = NULL;
	}
out:
	errors_flush(&ctx);
	if (ctx.fp != NULL)
		fclose(ctx.fp);
	sects_free(&ctx);
	conf_free(ctx.conf);
	return conf;
}

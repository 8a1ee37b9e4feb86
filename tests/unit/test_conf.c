/*
 * Unit tests: conf. Good files under tests/data/conf/good/ and the example
 * configuration are loaded and their values checked; every file under
 * tests/data/conf/bad/ lists the errors it must produce as comment lines
 *
 *	# error: LINE: message		logged as "FILE:LINE: message"
 *	# error: message		logged as "FILE: message"
 *
 * and must produce exactly those, in line order, and load as NULL. Data
 * files are copied into the test's private directory first (mode 0600), so
 * that the checkout's umask never trips the file permission check.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend.h"
#include "conf.h"
#include "log.h"
#include "publish_exec.h"
#include "publish_pdns.h"
#include "publish_rfc2136.h"
#include "t.h"
#include "util.h"

/* A publisher's own keys, as its backend declares them. */
#define EXEC(p)		((const struct publish_exec_conf *)(p)->priv)
#define PDNS(p)		((const struct publish_pdns_conf *)(p)->priv)
#define RFC2136(p)	((const struct publish_rfc2136_conf *)(p)->priv)

#define ALG(a)	(1u << (a))

static const char *
top(void)
{
	const char *t = getenv("DANEROLL_TOP");

	return t != NULL && *t != '\0' ? t : ".";
}

/* Copies top()/rel into the test directory; its path goes to copy. */
static int
copy_data(const char *rel, char *copy, size_t copylen)
{
	char *src = xasprintf("%s/%s", top(), rel), *text;
	const char *base = strrchr(rel, '/') != NULL ? strrchr(rel, '/') + 1 :
	    rel;
	int rc = -1;

	if ((text = t_read(src)) == NULL) {
		printf("    cannot read %s\n", src);
		goto out;
	}
	snprintf(copy, copylen, "%s", t_write(base, text));
	rc = 0;
out:
	free(text);
	free(src);
	return rc;
}

static struct conf *
load_data(const char *rel)
{
	char path[512];
	struct conf *c;

	if (!T_CHECK(copy_data(rel, path, sizeof(path)) == 0))
		return NULL;
	c = conf_load(path);
	if (!T_CHECK(c != NULL))
		printf("    %s did not load:\n%s", rel, t_log_text());
	return c;
}

/* Loads a file that must load without a word, with nhosts hosts and
 * npublishers publishers; NULL (a failed check) if it does not load. */
static struct conf *
load_good(const char *rel, int nhosts, int npublishers)
{
	struct conf *c = load_data(rel);

	if (c == NULL)
		return NULL;
	T_STR(t_log_text(), "");
	T_INT(c->nhosts, nhosts);
	T_INT(c->npublishers, npublishers);
	return c;
}

/* True if want is one whole line of the captured log. */
static int
log_has_line(const char *want)
{
	const char *text = t_log_text(), *p;
	size_t n = strlen(want);

	for (p = text; (p = strstr(p, want)) != NULL; p++)
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return 1;
	return 0;
}

static int
log_lines(void)
{
	const char *p;
	int n = 0;

	for (p = t_log_text(); *p != '\0'; p++)
		if (*p == '\n')
			n++;
	return n;
}

/* True if the "PATH:LINE:" numbers in the log never go down. */
static int
log_in_line_order(const char *path)
{
	const char *p = t_log_text();
	size_t n = strlen(path);
	long prev = 0, line;

	for (; *p != '\0'; p = strchr(p, '\n') + 1) {
		line = 0;
		if (strncmp(p, path, n) == 0 && p[n] == ':' &&
		    isdigit((unsigned char)p[n + 1]))
			line = strtol(p + n + 1, NULL, 10);
		if (line < prev)
			return 0;
		prev = line;
	}
	return 1;
}

/* Loads text as a file named name; the log holds what it said. */
static struct conf *
load_text(const char *name, const char *text)
{
	t_log_reset();
	return conf_load(t_write(name, text));
}

static void
write_bytes(const char *path, const char *data, size_t len)
{
	FILE *f = fopen(path, "w");

	if (f == NULL || fwrite(data, 1, len, f) != len)
		abort();
	fclose(f);
	(void)chmod(path, 0600);
}

static int
check_bad(const char *name)
{
	char rel[512], path[512], want[1024], *text = NULL, *line, *save;
	struct conf *c = NULL;
	int nwant = 0, ok = 0;

	snprintf(rel, sizeof(rel), "tests/data/conf/bad/%s", name);
	if (copy_data(rel, path, sizeof(path)) == -1 ||
	    (text = t_read(path)) == NULL)
		goto out;
	t_log_reset();
	c = conf_load(path);
	ok = c == NULL;
	/* Each "# error: " line of the file is a whole line of the log. */
	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "# error: ", 9) != 0)
			continue;
		line += 9;
		snprintf(want, sizeof(want), "%s:%s%s", path,
		    isdigit((unsigned char)*line) ? "" : " ", line);
		nwant++;
		if (!log_has_line(want)) {
			printf("    %s: not logged: %s\n", name, want);
			ok = 0;
		}
	}
	if (nwant == 0)
		ok = 0;
	if (log_lines() != nwant) {
		printf("    %s: %d lines logged, %d expected\n", name,
		    log_lines(), nwant);
		ok = 0;
	}
	if (!log_in_line_order(path)) {
		printf("    %s: errors not in line order\n", name);
		ok = 0;
	}
	if (!ok)
		printf("    %s: log:\n%s", name, t_log_text());
out:
	free(text);
	conf_free(c);
	return ok;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
test_bad_files(void)
{
	char *dir = xasprintf("%s/tests/data/conf/bad", top()), **names = NULL;
	struct dirent *de;
	DIR *d;
	size_t len;
	int i, n = 0, passed = 0;

	if (!T_CHECK((d = opendir(dir)) != NULL)) {
		free(dir);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (len < 6 || strcmp(de->d_name + len - 5, ".conf") != 0)
			continue;
		names = xrealloc(names, (size_t)(n + 1) * sizeof(*names));
		names[n++] = xstrdup(de->d_name);
	}
	closedir(d);
	if (n > 1)
		qsort(names, (size_t)n, sizeof(*names), name_cmp);
	for (i = 0; i < n; i++) {
		if (T_CHECK(check_bad(names[i])))
			passed++;
		free(names[i]);
	}
	printf("    %d of %d bad configurations rejected as expected\n",
	    passed, n);
	T_CHECK(n >= 25);
	free(names);
	free(dir);
}

/* The timings of a file that sets none. */
static const struct conf_timing default_timing = {
	.ttl = 3600, .margin = 60, .renew_before = 30 * 86400,
	.rotate_after = 0, .retry_min = 300, .retry_max = 6 * 3600,
	.expiry_alert = 14 * 86400, .hook_timeout = 300, .keep_retired = 0,
};

/* Every timing in t is want's (tempfail_limit aside: test_conf does not
 * set it). */
static void
check_timing(const struct conf_timing *t, const struct conf_timing *want)
{
	T_INT(t->ttl, want->ttl);
	T_INT(t->margin, want->margin);
	T_INT(t->renew_before, want->renew_before);
	T_INT(t->rotate_after, want->rotate_after);
	T_INT(t->retry_min, want->retry_min);
	T_INT(t->retry_max, want->retry_max);
	T_INT(t->expiry_alert, want->expiry_alert);
	T_INT(t->hook_timeout, want->hook_timeout);
	T_INT(t->keep_retired, want->keep_retired);
}

static void
test_minimal(void)
{
	struct conf *c = load_good("tests/data/conf/good/minimal.conf", 1, 1);
	struct conf_publisher *p;
	struct conf_host *h;

	if (c == NULL)
		return;
	T_STR(c->state_dir, "/var/lib/daneroll");
	T_STR(c->key_dir, "/var/lib/daneroll/keys");
	T_INT(c->key_dir_set, 0);
	T_CHECK(c->resolver == NULL);
	T_INT(c->lock_timeout, 30);
	T_INT(c->ttl_advice_min, 1800);
	T_INT(c->ttl_advice_max, 3600);
	check_timing(&c->timing, &default_timing);

	p = &c->publishers[0];
	T_STR(p->name, "dns");
	T_STR(p->type, "exec");
	T_INT(p->line, 7);
	T_CHECK(p->def == &publish_exec.conf && p->priv != NULL);
	T_INT(EXEC(p)->command.argc, 1);
	T_STR(EXEC(p)->command.argv[0], "/usr/local/bin/publish");
	T_CHECK(EXEC(p)->command.argv[1] == NULL);
	T_INT(p->timeout, 30);
	T_CHECK(p->zone == NULL);

	h = &c->hosts[0];
	T_STR(h->name, "mx.example.org");
	T_INT(h->line, 3);
	T_INT(h->port, 25);
	T_STR(h->owner, "_25._tcp.mx.example.org");
	T_INT(h->naliases, 0);
	T_INT(h->scheme, SCHEME_CURRENT_NEXT);
	T_INT(h->algs, ALG(KEY_ALG_RSA2048));
	T_STR(h->files.combined_file, "/etc/postfix/tls/mx.pem");
	T_CHECK(h->files.key_file == NULL && h->files.live_link == NULL);
	T_CHECK(h->files.owner == NULL && h->files.group == NULL);
	T_INT(h->files.key_mode, 0600);
	T_INT(h->files.cert_mode, 0644);
	T_CHECK(h->publisher == p);
	T_CHECK(h->acme_hook.argv == NULL && h->reload.argc == 0);
	check_timing(&h->timing, &default_timing);
	T_INT(h->nissuer_spki + h->nissuer_files + h->nextra_servers, 0);
	T_INT(h->issuer_follow, 1);
	T_INT(h->issuer_pin, ISSUER_PIN_INTERMEDIATE);
	T_INT(h->ignore_unreachable_ipv6, 0);
	conf_free(c);
}

static void
test_full(void)
{
	static const struct conf_timing global = { .ttl = 7200,
	    .margin = 120, .renew_before = 20 * 86400,
	    .rotate_after = 90 * 86400, .retry_min = 60, .retry_max = 3600,
	    .expiry_alert = 7 * 86400, .hook_timeout = 600 };
	struct conf *c = load_good("tests/data/conf/good/full.conf", 2, 3);
	struct conf_timing mx2;
	struct conf_publisher *p;
	struct conf_host *h;
	char hex[65];

	if (c == NULL)
		return;
	T_STR(c->state_dir, "/srv/daneroll");
	T_STR(c->key_dir, "/srv/daneroll-keys");
	T_INT(c->key_dir_set, 1);
	T_STR(c->resolver, "2001:db8::1#5353");
	T_INT(c->lock_timeout, 120);
	T_INT(c->ttl_advice_min, 900);
	T_INT(c->ttl_advice_max, 7200);
	check_timing(&c->timing, &global);

	p = &c->publishers[0];
	T_STR(p->name, "bind");
	T_STR(p->type, "rfc2136");
	T_CHECK(p->def == &publish_rfc2136.conf);
	T_STR(RFC2136(p)->server, "192.0.2.53#5300");
	T_STR(RFC2136(p)->tsig_key_file, "/etc/daneroll/tsig.key");
	T_STR(p->zone, "example.org");
	T_INT(p->timeout, 45);
	p = &c->publishers[1];
	T_STR(p->name, "pdns");
	T_STR(p->type, "pdns");
	T_STR(PDNS(p)->api_url, "https://ns.example.net:8081");
	T_STR(PDNS(p)->api_key_file, "/etc/daneroll/pdns.key");
	T_STR(PDNS(p)->server_id, "ns1.example.net");
	T_STR(PDNS(p)->ca_file, "/etc/daneroll/pdns-ca.pem");
	T_INT(PDNS(p)->tls_verify, 0);
	T_STR(p->zone, "example.net");
	T_INT(p->timeout, 30);
	p = &c->publishers[2];
	T_STR(p->name, "script");
	T_STR(p->type, "exec");
	T_INT(p->timeout, 60);
	if (T_INT(EXEC(p)->command.argc, 6)) {
		T_STR(EXEC(p)->command.argv[0], "/usr/local/bin/dns-publish");
		T_STR(EXEC(p)->command.argv[1], "--zone");
		T_STR(EXEC(p)->command.argv[2], "example com");
		T_STR(EXEC(p)->command.argv[3], "");
		T_STR(EXEC(p)->command.argv[4], "-v;x");
		T_STR(EXEC(p)->command.argv[5], "#y");
		T_CHECK(EXEC(p)->command.argv[6] == NULL);
	}

	h = &c->hosts[0];
	T_STR(h->name, "mx1.example.org");
	T_STR(h->owner, "_25._tcp.mx1.example.org");
	T_CHECK(h->publisher == &c->publishers[0]);
	if (T_INT(h->naliases, 2)) {
		T_STR(h->aliases[0].name, "mx1.example.net");
		T_STR(h->aliases[0].owner, "_25._tcp.mx1.example.net");
		T_CHECK(h->aliases[0].publisher == &c->publishers[1]);
		T_INT(h->aliases[0].line, 45);
		T_STR(h->aliases[1].name, "smtp.example.org");
		T_CHECK(h->aliases[1].publisher == NULL);
	}
	T_INT(h->scheme, SCHEME_CURRENT_NEXT);
	T_INT(h->algs, ALG(KEY_ALG_RSA2048) | ALG(KEY_ALG_ECDSA_P256));
	T_STR(h->files.key_file, "/etc/ssl/private/mx1-%a.key");
	T_STR(h->files.cert_file, "/etc/ssl/certs/mx1-%a.crt");
	T_STR(h->files.chain_file, "/etc/ssl/certs/mx1-%a.chain");
	T_STR(h->files.fullchain_file, "/etc/ssl/certs/mx1-%a.fullchain");
	T_CHECK(h->files.combined_file == NULL);
	T_STR(h->files.live_link, "/etc/ssl/live/mx1-%a");
	T_STR(h->files.owner, "root");
	T_STR(h->files.group, "ssl-cert");
	T_INT(h->files.key_mode, 0400);
	T_INT(h->files.cert_mode, 0644);
	if (T_INT(h->acme_hook.argc, 3)) {
		T_STR(h->acme_hook.argv[0],
		    "/usr/local/libexec/daneroll/acme/certbot");
		T_STR(h->acme_hook.argv[1],
		    "--server=https://acme.example/dir");
		T_STR(h->acme_hook.argv[2], "--quiet");
	}
	if (T_INT(h->reload.argc, 2)) {
		T_STR(h->reload.argv[0], "/usr/sbin/postfix");
		T_STR(h->reload.argv[1], "reload");
		T_CHECK(h->reload.argv[2] == NULL);
	}
	if (T_INT(h->nextra_servers, 2)) {
		T_STR(h->extra_servers[0], "192.0.2.54");
		T_STR(h->extra_servers[1], "2001:db8::54#53");
	}
	T_INT(h->ignore_unreachable_ipv6, 1);
	check_timing(&h->timing, &(struct conf_timing){ .ttl = 1800,
	    .margin = 30, .renew_before = 25 * 86400, .rotate_after = 0,
	    .retry_min = 120, .retry_max = 7200, .expiry_alert = 10 * 86400,
	    .hook_timeout = 900 });

	h = &c->hosts[1];
	T_STR(h->name, "mx2.example.org");
	T_INT(h->port, 465);
	T_STR(h->owner, "_465._tcp.submit.example.org");
	T_CHECK(h->publisher == &c->publishers[2]);
	T_INT(h->scheme, SCHEME_CURRENT_ISSUER);
	T_INT(h->algs, ALG(KEY_ALG_ECDSA_P256));
	T_STR(h->files.combined_file, "/etc/postfix/tls/mx2.pem");
	if (T_INT(h->nissuer_spki, 2)) {
		util_hex(h->issuer_spki[0], 32, hex);
		T_STR(hex, "0b9fa5a59eed715c26c1020c711b4f6e"
		    "c42d58b0015e14337a39dad301c5afc3");
		util_hex(h->issuer_spki[1], 32, hex);
		T_STR(hex, "762195c225586ee6c0237456e2107dc5"
		    "4f1efc21f61a792ebd515913cce68332");
	}
	if (T_INT(h->nissuer_files, 2)) {
		T_STR(h->issuer_files[0], "/etc/daneroll/ca/root-x1.pem");
		T_STR(h->issuer_files[1], "/etc/daneroll/ca/root-x2.pem");
	}
	T_INT(h->issuer_pin, ISSUER_PIN_ROOT);
	/* ttl set here, the rest from [global]. */
	mx2 = global;
	mx2.ttl = 600;
	check_timing(&h->timing, &mx2);
	T_INT(h->nextra_servers, 0);
	T_INT(h->ignore_unreachable_ipv6, 0);
	conf_free(c);
}

static void
test_aliases(void)
{
	struct conf *c = load_good("tests/data/conf/good/aliases.conf", 2, 3);
	struct conf_host *h;

	if (c == NULL)
		return;
	h = &c->hosts[0];
	T_STR(h->owner, "_587._tcp.mx.example.org");
	T_CHECK(h->publisher == &c->publishers[0]);
	if (T_INT(h->naliases, 3)) {
		T_STR(h->aliases[0].name, "mail.example.com");
		T_STR(h->aliases[0].owner, "_587._tcp.mail.example.com");
		T_CHECK(h->aliases[0].publisher == &c->publishers[1]);
		T_STR(h->aliases[1].name, "mx.example.net");
		T_STR(h->aliases[1].owner, "_587._tcp.mx.example.net");
		T_CHECK(h->aliases[1].publisher == NULL);
		T_STR(h->aliases[2].name, "smtp.example.info");
		T_CHECK(h->aliases[2].publisher == &c->publishers[2]);
		T_INT(h->aliases[2].line, 8);
	}
	h = &c->hosts[1];
	T_CHECK(h->publisher == &c->publishers[1]);
	if (T_INT(h->naliases, 1)) {
		T_STR(h->aliases[0].owner, "_25._tcp.mx2.example.com");
		T_CHECK(h->aliases[0].publisher == &c->publishers[0]);
	}
	T_STR(h->files.key_file, "/etc/postfix/tls/mx2.key");
	T_STR(h->files.fullchain_file, "/etc/postfix/tls/mx2.pem");
	T_STR(PDNS(&c->publishers[1])->server_id, "localhost");
	T_INT(PDNS(&c->publishers[1])->tls_verify, 1);
	if (T_INT(EXEC(&c->publishers[2])->command.argc, 2)) {
		T_STR(EXEC(&c->publishers[2])->command.argv[0],
		    "/usr/local/bin/my publisher");
		T_STR(EXEC(&c->publishers[2])->command.argv[1], "add");
	}
	conf_free(c);
}

/* Several ports: one owner name per port and name, port by port, the
 * first port's names first; each with its name's publisher. */
static void
test_ports(void)
{
	struct conf *c = load_good("tests/data/conf/good/ports.conf", 2, 2);
	static const char *const want[] = {
		"_25._tcp.mx.example.org", "_25._tcp.mail.example.com",
		"_465._tcp.mx.example.org", "_465._tcp.mail.example.com",
		"_587._tcp.mx.example.org", "_587._tcp.mail.example.com",
	};
	struct conf_host *h;
	int i;

	if (c == NULL)
		return;
	h = &c->hosts[0];
	T_INT(h->ports.n, 3);
	T_INT(h->port, 25);
	T_STR(h->owner, "_25._tcp.mx.example.org");
	if (T_INT(h->nowners, 6))
		for (i = 0; i < 6; i++) {
			T_STR(h->owners[i].name, want[i]);
			T_INT(h->owners[i].port, i < 2 ? 25 : i < 4 ? 465 : 587);
			T_STR(h->owners[i].mx, i % 2 == 0 ? "mx.example.org" :
			    "mail.example.com");
			T_CHECK(h->owners[i].publisher == &c->publishers[i % 2]);
		}
	h = &c->hosts[1];
	T_INT(h->ports.n, 1);
	if (T_INT(h->nowners, 1))
		T_STR(h->owners[0].name, "_587._tcp.mx2.example.org");
	conf_free(c);
}

static void
test_alg_paths(void)
{
	struct conf *c = load_good("tests/data/conf/good/alg-paths.conf", 2,
	    1);
	struct conf_host *h;
	char *p;

	if (c == NULL)
		return;
	h = conf_host_find(c, "mx1.example.org");
	if (!T_CHECK(h != NULL))
		goto out;
	T_INT(h->algs, ALG(KEY_ALG_RSA2048) | ALG(KEY_ALG_ECDSA_P256));
	p = conf_path_for(h->files.fullchain_file, KEY_ALG_RSA2048);
	T_STR(p, "/etc/postfix/tls/rsa2048/mx1-rsa2048.pem");
	free(p);
	p = conf_path_for(h->files.key_file, KEY_ALG_ECDSA_P256);
	T_STR(p, "/etc/postfix/tls/ecdsa-p256/mx1.key");
	free(p);
	p = conf_path_for(h->files.live_link, KEY_ALG_ECDSA_P256);
	T_STR(p, "/etc/postfix/tls/live-ecdsa-p256");
	free(p);
	T_CHECK(conf_path_for(h->files.combined_file, KEY_ALG_RSA2048) == NULL);
	h = conf_host_find(c, "mx2.example.org");
	if (!T_CHECK(h != NULL))
		goto out;
	T_INT(h->algs, ALG(KEY_ALG_ECDSA_P256));
	p = conf_path_for(h->files.combined_file, KEY_ALG_ECDSA_P256);
	T_STR(p, "/etc/postfix/tls/mx2-ecdsa-p256.pem");
	free(p);
out:
	conf_free(c);
}

static void
test_example(void)
{
	struct conf *c = load_good("examples/daneroll.conf", 2, 2);
	struct conf_host *h;

	if (c == NULL)
		return;
	T_STR(c->publishers[0].type, "rfc2136");
	T_STR(c->publishers[1].type, "pdns");
	if ((h = conf_host_find(c, "mx1.example.org")) != NULL) {
		T_INT(h->scheme, SCHEME_CURRENT_NEXT);
		T_INT(h->algs, ALG(KEY_ALG_RSA2048) | ALG(KEY_ALG_ECDSA_P256));
		T_STR(h->reload.argv[0], "/usr/sbin/postfix");
		if (T_INT(h->naliases, 1))
			T_CHECK(h->aliases[0].publisher == &c->publishers[1]);
	} else
		T_CHECK(!"mx1.example.org missing");
	if ((h = conf_host_find(c, "mx2.example.org")) != NULL) {
		T_INT(h->scheme, SCHEME_CURRENT_ISSUER);
		T_INT(h->nissuer_files, 1);
	} else
		T_CHECK(!"mx2.example.org missing");
	conf_free(c);
}

static void
test_names(void)
{
	enum key_alg a;

	T_STR(key_alg_str(KEY_ALG_RSA2048), "rsa2048");
	T_STR(key_alg_str(KEY_ALG_ECDSA_P256), "ecdsa-p256");
	T_STR(conf_scheme_str(SCHEME_CURRENT_NEXT), "current+next");
	T_STR(conf_scheme_str(SCHEME_CURRENT_ISSUER), "current+issuer");
	T_INT(key_alg_parse("ecdsa-p256", &a), 0);
	T_INT(a, KEY_ALG_ECDSA_P256);
	T_INT(key_alg_parse("rsa2048", &a), 0);
	T_INT(a, KEY_ALG_RSA2048);
	T_INT(key_alg_parse("RSA2048", &a), -1);
	T_INT(key_alg_parse("", &a), -1);
}

static void
test_path_for(void)
{
	static const struct {
		const char	*in;
		enum key_alg	 alg;
		const char	*want;
	} rows[] = {
		{ "/a/%a/b-%a.pem", KEY_ALG_RSA2048,
		    "/a/rsa2048/b-rsa2048.pem" },
		{ "/a/b.pem", KEY_ALG_ECDSA_P256, "/a/b.pem" },
		{ "/a/%a", KEY_ALG_ECDSA_P256, "/a/ecdsa-p256" },
		{ "%a%a", KEY_ALG_RSA2048, "rsa2048rsa2048" },
		{ "", KEY_ALG_RSA2048, "" },
	};
	size_t i;
	char *p;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		p = conf_path_for(rows[i].in, rows[i].alg);
		T_STR(p, rows[i].want);
		free(p);
	}
	T_CHECK(conf_path_for(NULL, KEY_ALG_RSA2048) == NULL);
}

static const char minimal[] =
    "[host mx.example.org]\n"
    "publisher = dns\n"
    "combined_file = /etc/postfix/tls/mx.pem\n"
    "[publisher dns]\n"
    "type = exec\n"
    "command = /usr/local/bin/publish\n";

static void
test_host_find(void)
{
	struct conf *c = load_text("find.conf", minimal);

	if (!T_CHECK(c != NULL))
		return;
	T_CHECK(conf_host_find(c, "mx.example.org") == &c->hosts[0]);
	T_CHECK(conf_host_find(c, "MX.Example.ORG.") == &c->hosts[0]);
	T_CHECK(conf_host_find(c, "mx.example") == NULL);
	T_CHECK(conf_host_find(c, "mx.example.org.uk") == NULL);
	T_CHECK(conf_host_find(c, "") == NULL);
	conf_free(c);
}

static void
test_state_dir(void)
{
	struct conf *c = load_text("state.conf", minimal);
	char *text;

	if (!T_CHECK(c != NULL))
		return;
	T_INT(conf_set_state_dir(c, "/tmp/dr"), 0);
	T_STR(c->state_dir, "/tmp/dr");
	T_STR(c->key_dir, "/tmp/dr/keys");
	T_INT(conf_set_state_dir(c, "relative/dir"), -1);
	T_CHECK(t_log_has("state directory \"relative/dir\" is not an "
	    "absolute path"));
	T_STR(c->state_dir, "/tmp/dr");
	conf_free(c);

	/* A key_dir from the file stays where it was put. */
	text = xasprintf("[global]\nkey_dir = /srv/keys\n%s", minimal);
	c = load_text("state2.conf", text);
	free(text);
	if (!T_CHECK(c != NULL))
		return;
	T_INT(conf_set_state_dir(c, "/tmp/dr"), 0);
	T_STR(c->key_dir, "/srv/keys");
	conf_free(c);
}

static void
test_long_line(void)
{
	struct buf b = { 0 };
	char want[600];
	struct conf *c;
	char *fill;

	/* 4096 characters is the most a line may have. */
	fill = xmalloc(5001);
	memset(fill, 'x', 5000);
	fill[5000] = '\0';
	buf_printf(&b, "%s#%.*s\n", minimal, 4095, fill);
	c = load_text("long-ok.conf", b.data);
	T_CHECK(c != NULL);
	T_STR(t_log_text(), "");
	conf_free(c);
	buf_free(&b);

	/*
	 * One more is an error, not a split line; a long header loses its
	 * keys, and the lines after it are still checked.
	 */
	buf_printf(&b, "%scommand = /bin/%.*s\n[host %.*s]\nport = 1\n"
	    "[host mx.example.org]\nport = 0\n", minimal, 4096 - 14, fill,
	    5000, fill);
	c = load_text("long.conf", b.data);
	T_CHECK(c == NULL);
	snprintf(want, sizeof(want), "%s:7: line longer than 4096 characters",
	    t_path("long.conf"));
	T_CHECK(log_has_line(want));
	snprintf(want, sizeof(want), "%s:8: line longer than 4096 characters",
	    t_path("long.conf"));
	T_CHECK(log_has_line(want));
	snprintf(want, sizeof(want), "%s:10: duplicate [host mx.example.org], "
	    "first at line 1", t_path("long.conf"));
	T_CHECK(log_has_line(want));
	snprintf(want, sizeof(want), "%s:11: port: bad port \"0\" (1-65535)",
	    t_path("long.conf"));
	T_CHECK(log_has_line(want));
	/* The duplicate lacks its own publisher and files: two more. */
	T_INT(log_lines(), 6);
	conf_free(c);
	buf_free(&b);
	free(fill);
}

/* keep_retired: a count, inherited from [global] like the timings. */
static void
test_keep_retired(void)
{
	static const char *const bad[] = { "-1", "101", "2x", "1d", "+1" };
	struct buf b = { 0 };
	char want[600];
	struct conf *c;
	size_t i;

	buf_printf(&b, "[global]\nkeep_retired = 3\n%s"
	    "[host mx2.example.org]\npublisher = dns\n"
	    "combined_file = /etc/postfix/tls/mx2.pem\nkeep_retired = 0\n",
	    minimal);
	c = load_text("keep.conf", b.data);
	if (T_CHECK(c != NULL)) {
		T_INT(c->hosts[0].timing.keep_retired, 3);
		T_INT(c->hosts[1].timing.keep_retired, 0);
	}
	conf_free(c);
	buf_free(&b);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		buf_printf(&b, "[global]\nkeep_retired = %s\n%s", bad[i],
		    minimal);
		c = load_text("keep-bad.conf", b.data);
		T_CHECK(c == NULL);
		snprintf(want, sizeof(want), "%s:2: keep_retired: bad count "
		    "\"%s\" (0-100)", t_path("keep-bad.conf"), bad[i]);
		if (!T_CHECK(log_has_line(want)))
			printf("    want: %s\n    log: %s\n", want,
			    t_log_text());
		conf_free(c);
		buf_free(&b);
	}
}

static void
test_control_chars(void)
{
	static const char nul[] = "[host mx.example.org]\npublisher = d\0ns\n";
	char want[600];
	struct conf *c;

	c = load_text("ctl.conf", "[host mx.example.org]\nport = 2\0015\n");
	T_CHECK(c == NULL);
	snprintf(want, sizeof(want), "%s:2: control character 0x01 in line",
	    t_path("ctl.conf"));
	T_CHECK(log_has_line(want));

	t_log_reset();
	write_bytes(t_path("nul.conf"), nul, sizeof(nul) - 1);
	c = conf_load(t_path("nul.conf"));
	T_CHECK(c == NULL);
	snprintf(want, sizeof(want), "%s:2: control character 0x00 in line",
	    t_path("nul.conf"));
	T_CHECK(log_has_line(want));
}

static void
test_crlf_bom(void)
{
	struct conf *c;

	c = load_text("crlf.conf", "\xef\xbb\xbf[host mx.example.org]\r\n"
	    "publisher = dns\r\nport = 26\r\n"
	    "combined_file = /etc/postfix/tls/mx.pem\r\n"
	    "[publisher dns]\r\ntype = exec\r\n"
	    "command = /usr/local/bin/publish\r\n");
	if (!T_CHECK(c != NULL)) {
		printf("%s", t_log_text());
		return;
	}
	T_STR(c->hosts[0].name, "mx.example.org");
	T_INT(c->hosts[0].port, 26);
	T_STR(c->hosts[0].files.combined_file, "/etc/postfix/tls/mx.pem");
	T_STR(EXEC(&c->publishers[0])->command.argv[0],
	    "/usr/local/bin/publish");
	conf_free(c);
}

static void
test_file_checks(void)
{
	char want[600];
	const char *path;
	struct conf *c;

	t_log_reset();
	path = t_path("absent.conf");
	T_CHECK(conf_load(path) == NULL);
	snprintf(want, sizeof(want), "%s: No such file or directory", path);
	T_CHECK(log_has_line(want));
	T_INT(log_lines(), 1);

	t_log_reset();
	T_CHECK(conf_load(t_tmpdir()) == NULL);
	snprintf(want, sizeof(want), "%s: not a regular file", t_tmpdir());
	T_CHECK(log_has_line(want));

	/* It names commands run as root: no one else may write it. */
	path = t_write("mode.conf", minimal);
	T_INT(chmod(path, 0664), 0);
	t_log_reset();
	T_CHECK(conf_load(path) == NULL);
	snprintf(want, sizeof(want), "%s: writable by group or others "
	    "(mode 0664)", path);
	T_CHECK(log_has_line(want));
	T_INT(chmod(path, 0644), 0);
	t_log_reset();
	c = conf_load(path);
	T_CHECK(c != NULL);
	conf_free(c);

	if (geteuid() == 0) {
		T_INT(chown(path, 1234, 0), 0);
		t_log_reset();
		T_CHECK(conf_load(path) == NULL);
		snprintf(want, sizeof(want), "%s: owned by uid 1234, not by "
		    "root or uid 0", path);
		T_CHECK(log_has_line(want));
	}

	/* Nor replace it: a world-writable directory without the sticky
	 * bit above it is refused; with the sticky bit (/tmp) it is not. */
	T_INT(mkdir(t_path("open"), 0755), 0);
	path = t_write("open/d.conf", minimal);
	T_INT(chmod(path, 0644), 0);
	T_INT(chmod(t_path("open"), 0777), 0);
	t_log_reset();
	T_CHECK(conf_load(path) == NULL);
	T_CHECK(t_log_has("open has mode 0777: anyone can write in it"));
	T_INT(chmod(t_path("open"), 01777), 0);
	c = conf_load(path);
	T_CHECK(c != NULL);
	conf_free(c);
}

/*
 * Files that are not configurations at all: a FIFO (must not hang), a
 * device that never ends, a file over the size limit, one enormous line
 * without a newline, and a file of nothing but errors (only the first
 * 100 are kept and shown, the rest counted).
 */
static void
test_file_bounds(void)
{
	char want[600];
	const char *path;
	struct buf b = { 0 };
	char *blob;
	int i;

	path = t_path("fifo.conf");
	T_INT(mkfifo(path, 0600), 0);
	t_log_reset();
	T_CHECK(conf_load(path) == NULL);
	snprintf(want, sizeof(want), "%s: not a regular file", path);
	T_CHECK(log_has_line(want));

	t_log_reset();
	T_CHECK(conf_load("/dev/zero") == NULL);
	T_CHECK(log_has_line("/dev/zero: not a regular file"));

	/* Over 8 MiB: refused on its size, before a line is read. */
	path = t_path("huge.conf");
	blob = xmalloc(8 * 1024 * 1024 + 1);
	memset(blob, '#', 8 * 1024 * 1024 + 1);
	write_bytes(path, blob, 8 * 1024 * 1024 + 1);
	t_log_reset();
	T_CHECK(conf_load(path) == NULL);
	snprintf(want, sizeof(want), "%s: 8388609 bytes, more than the limit "
	    "of 8388608 bytes for a configuration file", path);
	T_CHECK(log_has_line(want));
	T_INT(log_lines(), 1);

	/* 8 MiB on one line: one error, the line never held whole. */
	path = t_path("oneline.conf");
	write_bytes(path, blob, 8 * 1024 * 1024);
	t_log_reset();
	T_CHECK(conf_load(path) == NULL);
	snprintf(want, sizeof(want), "%s:1: line longer than 4096 characters",
	    path);
	T_CHECK(log_has_line(want));
	free(blob);

	/* 1,000 bad lines: 100 errors shown, and a count of the rest. */
	for (i = 0; i < 1000; i++)
		buf_puts(&b, "not a key value line\n");
	path = t_write("errors.conf", b.data);
	t_log_reset();
	T_CHECK(conf_load(path) == NULL);
	snprintf(want, sizeof(want), "%s:100: expected \"key = value\"",
	    path);
	T_CHECK(log_has_line(want));
	snprintf(want, sizeof(want), "%s:101: expected \"key = value\"",
	    path);
	T_CHECK(!log_has_line(want));
	snprintf(want, sizeof(want), "%s: 901 more errors not shown (the "
	    "first 100 are)", path);
	T_CHECK(log_has_line(want));
	T_INT(log_lines(), 101);
	buf_free(&b);
}

static void
test_no_side_effects(void)
{
	char *text, *state = xstrdup(t_path("state-not-made"));
	struct conf *c;
	struct stat st;

	text = xasprintf("[global]\nstate_dir = %s\n"
	    "[host mx.example.org]\npublisher = dns\n"
	    "scheme = current+issuer\n"
	    "issuer_cert = %s/no-such-ca.pem\n"
	    "key_file = %s-live/k.pem\nfullchain_file = %s-live/c.pem\n"
	    "[publisher dns]\ntype = rfc2136\n"
	    "tsig_key_file = %s/no-such-tsig.key\n", state, state, state,
	    state, state);
	c = load_text("quiet.conf", text);
	T_CHECK(c != NULL);
	T_CHECK(stat(state, &st) == -1 && errno == ENOENT);
	if (c != NULL)
		T_STR(c->key_dir, t_path("state-not-made/keys"));
	conf_free(c);
	free(text);
	free(state);
}

static void
test_inih_settings_restored(void)
{
	int max_line = ini_max_line, multiline = ini_allow_multiline;
	int inline_comments = ini_allow_inline_comments;
	struct conf *c = load_text("restore.conf", minimal);

	T_CHECK(c != NULL);
	T_INT(ini_max_line, max_line);
	T_INT(ini_allow_multiline, multiline);
	T_INT(ini_allow_inline_comments, inline_comments);
	conf_free(c);
}

/*
 * The publisher backends' own keys, from the registry (so that a new
 * backend is covered without a line here): a value of each kind its
 * parser takes, and sections built of them.
 */
static const char *
sample_value(enum conf_kind kind)
{
	switch (kind) {
	case CONF_PATH:	return "/etc/daneroll/sample";
	case CONF_ADDR:	return "192.0.2.1#5300";
	case CONF_URL:	return "https://192.0.2.1:8081";
	case CONF_WORD:	return "sample";
	case CONF_BOOL:	return "yes";
	case CONF_CMD:	return "/usr/local/bin/sample --flag";
	}
	return "";
}

static int
declares(const struct conf_pubdef *def, const char *key)
{
	const struct conf_key *k;

	for (k = def->keys; k->name != NULL; k++)
		if (strcmp(k->name, key) == 0)
			return 1;
	return 0;
}

/* A file whose [publisher p] is of bp's type: its required keys (all
 * of them if all), then extra; type first, or last if type_last. *line
 * is the line extra starts on. */
static char *
pub_text(const struct backend_publisher *bp, int all, int type_last,
    const char *extra, int *line)
{
	const struct conf_key *k;
	struct buf b = { 0 };

	buf_puts(&b, "[host mx.example.org]\npublisher = p\n"
	    "combined_file = /etc/postfix/tls/mx.pem\n[publisher p]\n");
	*line = 5;
	if (!type_last) {
		buf_printf(&b, "type = %s\n", bp->type);
		++*line;
	}
	for (k = bp->conf.keys; k->name != NULL; k++) {
		if (!all && !(k->flags & CONF_KEY_REQUIRED))
			continue;
		buf_printf(&b, "%s = %s\n", k->name, sample_value(k->kind));
		++*line;
	}
	buf_puts(&b, extra);
	if (type_last)
		buf_printf(&b, "type = %s\n", bp->type);
	return b.data;
}

/* Every key of every backend, in the section of every other backend
 * that does not declare it: refused, naming it, the type and its line. */
static void
test_backend_keys_elsewhere(void)
{
	const struct backend_publisher *const *a, *const *b;
	const struct conf_key *k;
	struct conf *c;
	char *extra, *text, *want;
	int line, n = 0;

	for (a = backend_builtin()->publishers; *a != NULL; a++) {
		for (k = (*a)->conf.keys; k->name != NULL; k++) {
			for (b = backend_builtin()->publishers; *b != NULL;
			    b++) {
				if (declares(&(*b)->conf, k->name))
					continue;
				extra = xasprintf("%s = %s\n", k->name,
				    sample_value(k->kind));
				text = pub_text(*b, 0, 0, extra,
				    &line);
				c = load_text("elsewhere.conf", text);
				want = xasprintf("%s:%d: key \"%s\" is not "
				    "valid for type %s in [publisher p]",
				    t_path("elsewhere.conf"), line, k->name,
				    (*b)->type);
				if (!T_CHECK(c == NULL && log_has_line(want) &&
				    log_lines() == 1))
					printf("    want %s\n    log: %s", want,
					    t_log_text());
				conf_free(c);
				free(want);
				free(text);
				free(extra);
				n++;
			}
		}
	}
	printf("    %d keys refused in another backend's section\n", n);
	T_CHECK(n >= 10);
}

/* Every key of each backend set, type first and type last: parsed into
 * the backend's own config, which conf_free() frees (the ASan build of
 * the suite finds a leak). */
static void
test_backend_keys_own(void)
{
	const struct backend_publisher *const *a;
	const struct conf_key *k;
	const struct conf_publisher *p;
	const char *field;
	struct conf *c;
	char *text;
	int line, last;

	for (a = backend_builtin()->publishers; *a != NULL; a++) {
		for (last = 0; last < 2; last++) {
			text = pub_text(*a, 1, last, "", &line);
			c = load_text("own.conf", text);
			free(text);
			if (!T_CHECK(c != NULL && c->npublishers == 1)) {
				printf("    %s: %s", (*a)->type,
				    t_log_text());
				conf_free(c);
				continue;
			}
			p = &c->publishers[0];
			T_CHECK(p->def == &(*a)->conf && p->priv != NULL);
			T_STR(p->type, (*a)->type);
			for (k = (*a)->conf.keys; k->name != NULL; k++) {
				field = (const char *)p->priv + k->off;
				if (k->kind == CONF_BOOL)
					T_INT(*(const int *)(const void *)
					    field, 1);
				else if (k->kind == CONF_CMD)
					T_INT(((const struct conf_cmd *)
					    (const void *)field)->argc, 2);
				else if (!T_CHECK(*(char *const *)
				    (const void *)field != NULL))
					printf("    %s: %s unset\n",
					    (*a)->type, k->name);
			}
			conf_free(c);
		}
	}
}

static const struct t_case cases[] = {
	{ "bad configurations (tests/data/conf/bad)", test_bad_files },
	{ "minimal: defaults", test_minimal },
	{ "full: every key, both schemes", test_full },
	{ "ports: one owner name per port and name", test_ports },
	{ "aliases in other publishers", test_aliases },
	{ "%a paths", test_alg_paths },
	{ "examples/daneroll.conf", test_example },
	{ "name strings", test_names },
	{ "a backend's keys refused in another's section",
	    test_backend_keys_elsewhere },
	{ "a backend's keys in its own config, freed with it",
	    test_backend_keys_own },
	{ "conf_path_for", test_path_for },
	{ "conf_host_find", test_host_find },
	{ "conf_set_state_dir", test_state_dir },
	{ "FIFO, device, huge file, endless line, error flood", test_file_bounds },
	{ "long lines", test_long_line },
	{ "keep_retired", test_keep_retired },
	{ "control characters", test_control_chars },
	{ "CRLF and BOM", test_crlf_bom },
	{ "file checks", test_file_checks },
	{ "no side effects", test_no_side_effects },
	{ "inih settings restored", test_inih_settings_restored },
};
T_MAIN(cases)

/*
 * doctor_judge - the pure part of `daneroll doctor`: facts in, findings
 * out, and the exit status they make. No I/O but doctor_print's. See
 * include/doctor.h.
 *
 * Every failure says what to do about it: the fix names the file, the
 * setting (FILE:LINE) or the server, so that the operator can act on the
 * line alone. Nothing here ever sees a secret: facts carry paths, names
 * and the backends' own messages, which never quote one.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>

#include "doctor.h"
#include "dnsq.h"
#include "util.h"

const char *
doctor_sev_str(enum doctor_sev s)
{
	return s == DOC_OK ? "ok" : s == DOC_WARN ? "warn" : "fail";
}

void
doctor_add(struct doctor_report *r, enum doctor_sev sev,
    enum doctor_area area, const char *where, const char *fix,
    const char *fmt, ...)
{
	struct doctor_finding *f;
	va_list ap;
	char what[2048];

	if (r->n == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 16;
		r->f = xrealloc(r->f, r->cap * sizeof(*r->f));
	}
	va_start(ap, fmt);
	(void)vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	f = &r->f[r->n++];
	f->sev = sev;
	f->area = area;
	f->where = xstrdup(where != NULL ? where : "global");
	f->what = xstrdup(what);
	f->fix = fix != NULL ? xstrdup(fix) : NULL;
}

void
doctor_report_free(struct doctor_report *r)
{
	size_t i;

	for (i = 0; i < r->n; i++) {
		free(r->f[i].where);
		free(r->f[i].what);
		free(r->f[i].fix);
	}
	free(r->f);
	memset(r, 0, sizeof(*r));
}

void
doctor_print(FILE *out, const struct doctor_report *r)
{
	size_t i, n[3] = { 0, 0, 0 };

	for (i = 0; i < r->n; i++) {
		const struct doctor_finding *f = &r->f[i];

		n[f->sev]++;
		fprintf(out, "%-4s  %s  %s", doctor_sev_str(f->sev), f->where,
		    f->what);
		if (f->sev != DOC_OK && f->fix != NULL)
			fprintf(out, "; fix: %s", f->fix);
		fputc('\n', out);
	}
	fprintf(out, "doctor: %zu ok, %zu warning%s, %zu failure%s\n", n[0],
	    n[1], n[1] == 1 ? "" : "s", n[2], n[2] == 1 ? "" : "s");
}

int
doctor_exit(const struct doctor_report *r)
{
	static const int code[] = { EX_CONFIG, EX_UNAVAILABLE, EX_DATAERR };
	int failed[3] = { 0, 0, 0 };
	size_t i;

	for (i = 0; i < r->n; i++)
		if (r->f[i].sev == DOC_FAIL)
			failed[r->f[i].area] = 1;
	for (i = 0; i < 3; i++)
		if (failed[i])
			return code[i];
	return EX_OK;
}

/* ------------------------------------------------------------ files */

/* What a missing file means, and what makes it. */
static void
judge_missing(struct doctor_report *r, const char *where,
    const struct doctor_file *d, const char *at)
{
	char fix[1200];

	if (d->first_run) {
		doctor_add(r, DOC_OK, DOC_CONFIG, where, NULL, "%s %s: not "
		    "there yet; the first run makes it", d->label, d->path);
		return;
	}
	switch (d->kind) {
	case DOC_F_SECRET:
		snprintf(fix, sizeof(fix), "create it (tsig-keygen NAME > %s, "
		    "or the API key alone), chmod 600 %s; or correct the "
		    "setting%s", d->path, d->path, at);
		break;
	case DOC_F_PROGRAM:
		snprintf(fix, sizeof(fix), "install the program, or correct "
		    "the setting%s", at);
		break;
	default:
		snprintf(fix, sizeof(fix), "create it, or correct the "
		    "setting%s", at);
		break;
	}
	doctor_add(r, DOC_FAIL, DOC_CONFIG, where, fix, "%s %s does not "
	    "exist", d->label, d->path);
}

/* The mode bits group and others may have on a kind of file. */
static mode_t
others_may(const struct doctor_file *d)
{
	switch (d->kind) {
	case DOC_F_SECRET:	return 0;
	/* The MTA's group may read a key when key_mode says so. */
	case DOC_F_KEY:		return d->key_mode & 040;
	case DOC_F_CERT:	return 077;
	/* Read and run, never write: a writer could swap what runs. */
	case DOC_F_PROGRAM:	return 055;
	case DOC_F_DIR:		return 055;
	}
	return 0;
}

static const char *
kind_noun(enum doctor_file_kind k)
{
	switch (k) {
	case DOC_F_SECRET:	return "secret";
	case DOC_F_KEY:		return "private key";
	case DOC_F_CERT:	return "certificate";
	case DOC_F_PROGRAM:	return "program";
	case DOC_F_DIR:		return "directory";
	}
	return "file";
}

/* Mode and owner: the file is there and of the right type. */
static int
judge_mode(struct doctor_report *r, const char *where,
    const struct doctor_file *d)
{
	mode_t perm = d->mode & 07777, extra = perm & 077 & ~others_may(d);
	char fix[1200];

	if (extra != 0) {
		mode_t want = perm & ~extra;

		snprintf(fix, sizeof(fix), "chmod %04o %s", (unsigned)want,
		    d->path);
		doctor_add(r, DOC_FAIL, DOC_CONFIG, where, fix, "%s %s: mode "
		    "%04o %s by others (a %s)", d->label, d->path,
		    (unsigned)perm, (extra & 022) != 0 ? "writable" :
		    "readable", kind_noun(d->kind));
		return -1;
	}
	if (d->kind != DOC_F_CERT && d->uid != 0 && d->uid != d->euid) {
		snprintf(fix, sizeof(fix), "chown root %s", d->path);
		doctor_add(r, DOC_FAIL, DOC_CONFIG, where, fix, "%s %s: owned "
		    "by uid %u, neither root nor daneroll's user", d->label,
		    d->path, (unsigned)d->uid);
		return -1;
	}
	return 0;
}

void
doctor_judge_file(struct doctor_report *r, const char *where,
    const struct doctor_file *d)
{
	char at[600], fix[1200];
	int dir = d->kind == DOC_F_DIR;

	at[0] = '\0';
	if (d->set_at != NULL)
		snprintf(at, sizeof(at), " (set at %s)", d->set_at);
	if (d->exists == 0) {
		judge_missing(r, where, d, at);
		return;
	}
	if (d->exists < 0) {
		snprintf(fix, sizeof(fix), "check the permissions of the "
		    "directories above %s", d->path);
		doctor_add(r, DOC_FAIL, DOC_CONFIG, where, fix, "%s %s cannot "
		    "be examined: %s", d->label, d->path, strerror(d->err));
		return;
	}
	if (dir ? !S_ISDIR(d->mode) : !S_ISREG(d->mode)) {
		snprintf(fix, sizeof(fix), "make it a %s, or correct the "
		    "setting%s", dir ? "directory" : "regular file", at);
		doctor_add(r, DOC_FAIL, DOC_CONFIG, where, fix, "%s %s is not "
		    "a %s", d->label, d->path, dir ? "directory" :
		    "regular file");
		return;
	}
	if (judge_mode(r, where, d) != 0)
		return;
	if (d->untrusted != NULL) {
		doctor_add(r, DOC_FAIL, DOC_CONFIG, where, "make every "
		    "directory above it root's and writable by no one else",
		    "%s %s", d->label, d->untrusted);
		return;
	}
	if (d->kind == DOC_F_PROGRAM && d->not_runnable != NULL) {
		snprintf(fix, sizeof(fix), "chmod 0755 %s", d->path);
		doctor_add(r, DOC_FAIL, DOC_CONFIG, where, fix, "%s %s %s",
		    d->label, d->path, d->not_runnable);
		return;
	}
	if (d->unusable != NULL) {
		snprintf(fix, sizeof(fix), "rewrite %s in a format daneroll "
		    "reads (daneroll.conf(5)), or correct the setting%s",
		    d->path, at);
		doctor_add(r, DOC_FAIL, DOC_CONFIG, where, fix, "%s %s cannot "
		    "be used: %s", d->label, d->path, d->unusable);
		return;
	}
	doctor_add(r, DOC_OK, DOC_CONFIG, where, NULL, "%s %s: mode %04o, "
	    "present%s", d->label, d->path, (unsigned)(d->mode & 07777),
	    d->kind == DOC_F_PROGRAM ? " and executable" : "");
}

/* ------------------------------------------------------------ DNS */

void
doctor_judge_resolver(struct doctor_report *r, const char *where,
    const struct doctor_net_zone *z)
{
	char fix[1024];

	if (z->res_err != 0) {
		snprintf(fix, sizeof(fix), "start a validating resolver at %s, "
		    "or set resolver = in [global]", z->resolver);
		doctor_add(r, DOC_FAIL, DOC_WORLD, where, fix, "resolver %s: "
		    "no answer for %s SOA: %s", z->resolver, z->zone,
		    dnsq_strerror(z->res_err));
		return;
	}
	if (!z->res_ra) {
		snprintf(fix, sizeof(fix), "point resolver = at a recursive, "
		    "validating resolver (unbound), not at %s", z->resolver);
		doctor_add(r, DOC_FAIL, DOC_WORLD, where, fix, "resolver %s "
		    "does not recurse (RA clear in its answer for %s)",
		    z->resolver, z->zone);
		return;
	}
	if (z->res_rcode == 2 && z->zone_signed == 1) {
		snprintf(fix, sizeof(fix), "check the DS of %s at its parent "
		    "and the resolver's trust anchor (unbound: "
		    "val-log-level: 2 says why)", z->zone);
		doctor_add(r, DOC_FAIL, DOC_WORLD, where, fix, "resolver %s "
		    "answers SERVFAIL for the signed zone %s: validation "
		    "fails (bogus)", z->resolver, z->zone);
		return;
	}
	if (z->res_rcode != 0) {
		doctor_add(r, DOC_FAIL, DOC_WORLD, where, "check the zone at "
		    "its servers and the resolver's log", "resolver %s answers "
		    "%s for %s SOA", z->resolver, dnsq_rcode_str(z->res_rcode),
		    z->zone);
		return;
	}
	if (z->res_ad) {
		doctor_add(r, DOC_OK, DOC_WORLD, where, NULL, "resolver %s "
		    "recurses and validates %s (AD set)", z->resolver, z->zone);
		return;
	}
	if (z->zone_signed == 0) {
		snprintf(fix, sizeof(fix), "sign %s (BIND: dnssec-policy; "
		    "Knot: dnssec-signing; PowerDNS: pdnsutil secure-zone) and "
		    "publish its DS at the parent", z->zone);
		doctor_add(r, DOC_FAIL, DOC_WORLD, where, fix, "zone %s is not "
		    "signed (no DNSKEY at its servers): senders ignore TLSA "
		    "records in an unsigned zone", z->zone);
		return;
	}
	snprintf(fix, sizeof(fix), "enable DNSSEC validation in the resolver "
	    "at %s (unbound: a trust anchor, module-config: \"validator "
	    "iterator\")", z->resolver);
	doctor_add(r, DOC_FAIL, DOC_WORLD, where, fix, "resolver %s does not "
	    "validate: no AD bit for %s, whose servers serve a DNSKEY RRset",
	    z->resolver, z->zone);
}

void
doctor_judge_server(struct doctor_report *r, const char *where,
    const struct doctor_net_zone *z, const struct doctor_net_server *d)
{
	char fix[1024];

	if (d->no_address) {
		snprintf(fix, sizeof(fix), "give %s an A or AAAA record, or "
		    "remove it from the NS RRset of %s", d->ns, z->zone);
		doctor_add(r, DOC_FAIL, DOC_WORLD, where, fix, "zone %s: NS %s "
		    "has no address", z->zone, d->ns);
		return;
	}
	if (d->err != 0) {
		snprintf(fix, sizeof(fix), "start or reach the nameserver at %s "
		    "(a firewall? no route?); daneroll waits for every address",
		    d->addr);
		doctor_add(r, DOC_FAIL, DOC_WORLD, where, fix, "zone %s: %s (%s) "
		    "does not answer: %s", z->zone, d->addr, d->ns,
		    dnsq_strerror(d->err));
		return;
	}
	if (d->rcode != 0 || !d->aa || !d->has_soa) {
		snprintf(fix, sizeof(fix), "configure %s as a primary or "
		    "secondary of %s, or remove %s from its NS RRset", d->addr,
		    z->zone, d->ns);
		doctor_add(r, DOC_FAIL, DOC_WORLD, where, fix, "zone %s: %s (%s) "
		    "answers %s%s, not the zone's SOA with authority",
		    z->zone, d->addr, d->ns, dnsq_rcode_str(d->rcode), d->aa ?
		    "" : " without the AA bit");
		return;
	}
	if (z->zone_signed == 1 && !d->soa_signed) {
		snprintf(fix, sizeof(fix), "have %s transfer the signed zone "
		    "(inline-signing on the primary)", d->addr);
		doctor_add(r, DOC_FAIL, DOC_WORLD, where, fix, "zone %s: %s (%s) "
		    "serves the zone without signatures", z->zone, d->addr,
		    d->ns);
		return;
	}
	doctor_add(r, DOC_OK, DOC_WORLD, where, NULL, "zone %s: %s (%s) "
	    "answers with authority, serial %u%s", z->zone, d->addr, d->ns,
	    (unsigned)d->serial, d->soa_signed ? ", signed" : "");
}

void
doctor_judge_publisher(struct doctor_report *r, const char *where,
    const struct doctor_publisher *d)
{
	const char *said = d->said != NULL && d->said[0] != '\0' ? d->said :
	    "no reason given";

	if (!d->probed) {
		doctor_add(r, DOC_WARN, DOC_WORLD, where, "the first run's "
		    "update shows whether it is accepted", "publisher %s: this "
		    "backend cannot be probed without changing %s", d->name,
		    d->owner);
		return;
	}
	if (d->o == OUT_OK) {
		doctor_add(r, DOC_OK, DOC_WORLD, where, NULL, "%s", said);
		return;
	}
	doctor_add(r, DOC_FAIL, DOC_WORLD, where, d->o == OUT_TEMPFAIL ?
	    "reach the server (is it running? the address and port right?)" :
	    "correct what the message names: the key the server knows (its "
	    "name and secret), the publisher's settings, or a library to "
	    "install", "%s", said);
}

void
doctor_judge_chain(struct doctor_report *r, const char *where,
    const struct doctor_chain *d)
{
	char fix[1200];

	if (d->unreadable != NULL) {
		snprintf(fix, sizeof(fix), "make %s readable, holding PEM "
		    "certificates (and the key); nothing changes until it is",
		    d->path);
		doctor_add(r, DOC_FAIL, DOC_DATA, where, fix, "%s: served chain "
		    "unknown: %s", d->alg, d->unreadable);
		return;
	}
	if (!d->deployed) {
		doctor_add(r, DOC_OK, DOC_DATA, where, NULL, "%s: no chain at %s "
		    "yet; the first run makes a key and requests its "
		    "certificate", d->alg, d->path);
		return;
	}
	if (d->key_matches == 0) {
		snprintf(fix, sizeof(fix), "put the key of the certificate "
		    "beside it in %s (or its certificate beside the key)",
		    d->path);
		doctor_add(r, DOC_FAIL, DOC_DATA, where, fix, "%s: the "
		    "certificate in %s is not for the private key served with "
		    "it: the MTA cannot use the pair", d->alg, d->path);
		return;
	}
	if (d->tlsa_unknown != NULL) {
		doctor_add(r, DOC_WARN, DOC_DATA, where, "see the resolver's "
		    "finding", "%s: the TLSA RRset at %s is not known: %s",
		    d->alg, d->owner, d->tlsa_unknown);
		return;
	}
	if (!d->tlsa_exists) {
		doctor_add(r, DOC_OK, DOC_DATA, where, NULL, "%s: %s serves a "
		    "chain and no TLSA RRset is at %s yet: the first run "
		    "publishes its record before changing anything", d->alg,
		    d->path, d->owner);
		return;
	}
	if (!d->tlsa_matches) {
		snprintf(fix, sizeof(fix), "publish a record for the served "
		    "key at %s (daneroll run adopts it), or serve a chain the "
		    "RRset names", d->owner);
		doctor_add(r, DOC_FAIL, DOC_DATA, where, fix, "%s: the chain in "
		    "%s matches no record of the TLSA RRset at %s: DANE "
		    "senders fail now", d->alg, d->path, d->owner);
		return;
	}
	doctor_add(r, DOC_OK, DOC_DATA, where, NULL, "%s: the chain in %s is "
	    "its key's and matches the TLSA RRset at %s", d->alg, d->path,
	    d->owner);
}

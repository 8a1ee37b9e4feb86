/* Unit tests: doctor_judge (facts -> findings, their exit status), as
 * tables: each row the facts, the severity and the words the finding and
 * its fix must carry. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>

#include "doctor.h"
#include "t.h"

/* The one finding a judge made: its severity and words. */
static void
expect(const struct doctor_report *r, const char *row, enum doctor_sev sev,
    enum doctor_area area, const char *what, const char *fix)
{
	const struct doctor_finding *f = r->n == 1 ? &r->f[0] : NULL;

	if (!T_INT(r->n, 1) || f == NULL) {
		fprintf(stderr, "    row: %s\n", row);
		return;
	}
	if (!T_STR(doctor_sev_str(f->sev), doctor_sev_str(sev)) ||
	    !T_INT(f->area, area) ||
	    !T_CHECK(what == NULL || strstr(f->what, what) != NULL) ||
	    !T_CHECK(fix == NULL || (f->fix != NULL &&
	    strstr(f->fix, fix) != NULL)))
		fprintf(stderr, "    row: %s\n    what: %s\n    fix: %s\n", row,
		    f->what, f->fix ? f->fix : "(none)");
}

static void
test_files(void)
{
	static const struct {
		const char		*row;
		enum doctor_file_kind	 kind;
		int			 exists, first_run;
		mode_t			 mode, key_mode;
		unsigned		 uid;
		const char		*not_runnable, *untrusted, *unusable;
		enum doctor_sev		 sev;
		const char		*what, *fix;
	} rows[] = {
		{ "secret 0600", DOC_F_SECRET, 1, 0, S_IFREG | 0600, 0, 0,
		    NULL, NULL, NULL, DOC_OK, "mode 0600, present", NULL },
		{ "secret 0400", DOC_F_SECRET, 1, 0, S_IFREG | 0400, 0, 0,
		    NULL, NULL, NULL, DOC_OK, "mode 0400", NULL },
		{ "secret 0644", DOC_F_SECRET, 1, 0, S_IFREG | 0644, 0, 0,
		    NULL, NULL, NULL, DOC_FAIL, "mode 0644 readable by others",
		    "chmod 0600 /x/f" },
		{ "secret 0640", DOC_F_SECRET, 1, 0, S_IFREG | 0640, 0, 0,
		    NULL, NULL, NULL, DOC_FAIL, "readable by others",
		    "chmod 0600" },
		{ "secret 0602", DOC_F_SECRET, 1, 0, S_IFREG | 0602, 0, 0,
		    NULL, NULL, NULL, DOC_FAIL, "writable by others",
		    "chmod 0600" },
		{ "secret missing", DOC_F_SECRET, 0, 0, 0, 0, 0, NULL, NULL,
		    NULL, DOC_FAIL, "/x/f does not exist", "conf:7" },
		{ "secret a directory", DOC_F_SECRET, 1, 0, S_IFDIR | 0700, 0,
		    0, NULL, NULL, NULL, DOC_FAIL, "not a regular file", NULL },
		{ "secret someone else's", DOC_F_SECRET, 1, 0, S_IFREG | 0600,
		    0, 1000, NULL, NULL, NULL, DOC_FAIL, "owned by uid 1000",
		    "chown root /x/f" },
		{ "secret unparsable", DOC_F_SECRET, 1, 0, S_IFREG | 0600, 0, 0,
		    NULL, NULL, "f:1: no secret", DOC_FAIL, "f:1: no secret",
		    "conf:7" },
		{ "secret below an open directory", DOC_F_SECRET, 1, 0,
		    S_IFREG | 0600, 0, 0, NULL, "/x: writable by others",
		    NULL, DOC_FAIL, "writable by others", "root's" },
		{ "key 0600", DOC_F_KEY, 1, 1, S_IFREG | 0600, 0600, 0, NULL,
		    NULL, NULL, DOC_OK, "mode 0600", NULL },
		{ "key 0640 allowed by key_mode", DOC_F_KEY, 1, 1,
		    S_IFREG | 0640, 0640, 0, NULL, NULL, NULL, DOC_OK, NULL,
		    NULL },
		{ "key 0640, key_mode 0600", DOC_F_KEY, 1, 1, S_IFREG | 0640,
		    0600, 0, NULL, NULL, NULL, DOC_FAIL, "mode 0640",
		    "chmod 0600" },
		{ "key 0644, key_mode 0644", DOC_F_KEY, 1, 1, S_IFREG | 0644,
		    0644, 0, NULL, NULL, NULL, DOC_FAIL, "readable by others",
		    "chmod 0640" },
		{ "key not deployed yet", DOC_F_KEY, 0, 1, 0, 0600, 0, NULL,
		    NULL, NULL, DOC_OK, "first run makes it", NULL },
		{ "cert 0644", DOC_F_CERT, 1, 1, S_IFREG | 0644, 0, 1000, NULL,
		    NULL, NULL, DOC_OK, NULL, NULL },
		{ "hook 0755", DOC_F_PROGRAM, 1, 0, S_IFREG | 0755, 0, 0, NULL,
		    NULL, NULL, DOC_OK, "executable", NULL },
		{ "hook 0775", DOC_F_PROGRAM, 1, 0, S_IFREG | 0775, 0, 0, NULL,
		    NULL, NULL, DOC_FAIL, "writable by others", "chmod 0755" },
		{ "hook 0757", DOC_F_PROGRAM, 1, 0, S_IFREG | 0757, 0, 0, NULL,
		    NULL, NULL, DOC_FAIL, "writable by others", "chmod 0755" },
		{ "hook not executable", DOC_F_PROGRAM, 1, 0, S_IFREG | 0644, 0,
		    0, "is not executable (chmod +x)", NULL, NULL, DOC_FAIL,
		    "is not executable", "chmod 0755 /x/f" },
		{ "hook missing", DOC_F_PROGRAM, 0, 0, 0, 0, 0, NULL, NULL,
		    NULL, DOC_FAIL, "does not exist", "install the program" },
		{ "state dir not there", DOC_F_DIR, 0, 1, 0, 0, 0, NULL, NULL,
		    NULL, DOC_OK, "first run", NULL },
		{ "state dir 0700", DOC_F_DIR, 1, 1, S_IFDIR | 0700, 0, 0,
		    NULL, NULL, NULL, DOC_OK, NULL, NULL },
		{ "state dir 0777", DOC_F_DIR, 1, 1, S_IFDIR | 0777, 0, 0,
		    NULL, NULL, NULL, DOC_FAIL, "writable by others",
		    "chmod 0755" },
		{ "state dir a file", DOC_F_DIR, 1, 1, S_IFREG | 0600, 0, 0,
		    NULL, NULL, NULL, DOC_FAIL, "not a directory", NULL },
	};
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct doctor_report r = { 0 };
		struct doctor_file f;

		memset(&f, 0, sizeof(f));
		f.kind = rows[i].kind;
		f.label = "label";
		f.path = "/x/f";
		f.set_at = "conf:7";
		f.first_run = rows[i].first_run;
		f.exists = rows[i].exists;
		f.mode = rows[i].mode;
		f.key_mode = rows[i].key_mode;
		f.uid = rows[i].uid;
		f.euid = 0;
		f.not_runnable = rows[i].not_runnable;
		f.untrusted = rows[i].untrusted;
		f.unusable = rows[i].unusable;
		doctor_judge_file(&r, "h", &f);
		expect(&r, rows[i].row, rows[i].sev, DOC_CONFIG, rows[i].what,
		    rows[i].fix);
		doctor_report_free(&r);
	}
}

static void
test_file_unknown(void)
{
	struct doctor_report r = { 0 };
	struct doctor_file f;

	memset(&f, 0, sizeof(f));
	f.kind = DOC_F_SECRET;
	f.label = "tsig_key_file";
	f.path = "/x/f";
	f.exists = -1;
	f.err = EACCES;
	doctor_judge_file(&r, "h", &f);
	expect(&r, "unknown", DOC_FAIL, DOC_CONFIG, "cannot be examined",
	    "directories above /x/f");
	doctor_report_free(&r);
}

static void
test_resolver(void)
{
	static const struct {
		const char	*row;
		int		 err, rcode, ra, ad, zone_signed;
		enum doctor_sev	 sev;
		const char	*what, *fix;
	} rows[] = {
		{ "validates", 0, 0, 1, 1, 1, DOC_OK, "recurses and validates",
		    NULL },
		{ "silent", ETIMEDOUT, 0, 0, 0, 1, DOC_FAIL, "no answer",
		    "resolver =" },
		{ "an authoritative server", 0, 0, 0, 0, 1, DOC_FAIL,
		    "does not recurse", "recursive, validating" },
		{ "no AD, zone signed", 0, 0, 1, 0, 1, DOC_FAIL,
		    "does not validate", "trust anchor" },
		{ "no AD, zone unsigned", 0, 0, 1, 0, 0, DOC_FAIL,
		    "zone z. is not signed", "sign z." },
		{ "bogus", 0, 2, 1, 0, 1, DOC_FAIL, "bogus", "DS of z." },
		{ "SERVFAIL, unsigned", 0, 2, 1, 0, 0, DOC_FAIL,
		    "answers SERVFAIL", NULL },
		{ "REFUSED", 0, 5, 1, 0, 1, DOC_FAIL, "answers REFUSED", NULL },
	};
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct doctor_report r = { 0 };
		struct doctor_net_zone z;

		memset(&z, 0, sizeof(z));
		strcpy(z.zone, "z.");
		strcpy(z.resolver, "192.0.2.53");
		z.res_err = rows[i].err;
		z.res_rcode = rows[i].rcode;
		z.res_ra = rows[i].ra;
		z.res_ad = rows[i].ad;
		z.zone_signed = rows[i].zone_signed;
		doctor_judge_resolver(&r, "zone z.", &z);
		expect(&r, rows[i].row, rows[i].sev, DOC_WORLD, rows[i].what,
		    rows[i].fix);
		/* Every fault of the resolver names it. */
		if (rows[i].sev != DOC_OK && rows[i].zone_signed)
			T_CHECK(strstr(r.f[0].what, "192.0.2.53") != NULL);
		doctor_report_free(&r);
	}
}

static void
test_servers(void)
{
	static const struct {
		const char	*row;
		int		 no_address, err, rcode, aa, has_soa;
		int		 soa_signed, zone_signed;
		enum doctor_sev	 sev;
		const char	*what, *fix;
	} rows[] = {
		{ "signed answer", 0, 0, 0, 1, 1, 1, 1, DOC_OK,
		    "2001:db8::2 (ns2.z.) answers with authority, serial 7, "
		    "signed", NULL },
		{ "unsigned zone", 0, 0, 0, 1, 1, 0, 0, DOC_OK, "serial 7",
		    NULL },
		{ "unreachable", 0, ETIMEDOUT, 0, 0, 0, 0, 1, DOC_FAIL,
		    "2001:db8::2 (ns2.z.) does not answer: no answer (timed "
		    "out)",
		    "nameserver at 2001:db8::2" },
		{ "refused", 0, ECONNREFUSED, 0, 0, 0, 0, 1, DOC_FAIL,
		    "does not answer", NULL },
		{ "lame", 0, 0, 0, 0, 1, 0, 1, DOC_FAIL, "without the AA bit",
		    "secondary of z." },
		{ "REFUSED", 0, 0, 5, 0, 0, 0, 1, DOC_FAIL, "answers REFUSED",
		    NULL },
		{ "unsigned copy of a signed zone", 0, 0, 0, 1, 1, 0, 1,
		    DOC_FAIL, "without signatures", "inline-signing" },
		{ "NS without address", 1, 0, 0, 0, 0, 0, 1, DOC_FAIL,
		    "has no address", "A or AAAA" },
	};
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct doctor_report r = { 0 };
		struct doctor_net_zone z;
		struct doctor_net_server d;

		memset(&z, 0, sizeof(z));
		memset(&d, 0, sizeof(d));
		strcpy(z.zone, "z.");
		z.zone_signed = rows[i].zone_signed;
		strcpy(d.addr, "2001:db8::2");
		strcpy(d.ns, "ns2.z.");
		d.no_address = rows[i].no_address;
		d.err = rows[i].err;
		d.rcode = rows[i].rcode;
		d.aa = rows[i].aa;
		d.has_soa = rows[i].has_soa;
		d.serial = 7;
		d.soa_signed = rows[i].soa_signed;
		doctor_judge_server(&r, "zone z.", &z, &d);
		expect(&r, rows[i].row, rows[i].sev, DOC_WORLD, rows[i].what,
		    rows[i].fix);
		doctor_report_free(&r);
	}
}

static void
test_publisher(void)
{
	static const struct {
		const char	*row;
		int		 probed;
		enum outcome	 o;
		const char	*said;
		enum doctor_sev	 sev;
		const char	*what, *fix;
	} rows[] = {
		{ "accepted", 1, OUT_OK, "192.0.2.1 accepts key k.", DOC_OK,
		    "accepts key k.", NULL },
		{ "BADSIG", 1, OUT_PERMFAIL, "server 192.0.2.1, key k.: "
		    "BADSIG", DOC_FAIL, "server 192.0.2.1, key k.", "secret" },
		{ "no answer", 1, OUT_TEMPFAIL, "no answer", DOC_FAIL,
		    "no answer", "reach the server" },
		{ "failed, silent", 1, OUT_PERMFAIL, "", DOC_FAIL,
		    "no reason given", NULL },
		{ "no probe", 0, OUT_OK, NULL, DOC_WARN, "cannot be probed",
		    "first run" },
	};
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct doctor_report r = { 0 };
		struct doctor_publisher d = { "bind", "_25._tcp.mx.z",
		    rows[i].probed, rows[i].o, rows[i].said };

		doctor_judge_publisher(&r, "publisher bind", &d);
		expect(&r, rows[i].row, rows[i].sev, DOC_WORLD, rows[i].what,
		    rows[i].fix);
		doctor_report_free(&r);
	}
}

static void
test_chain(void)
{
	static const struct {
		const char	*row;
		int		 deployed;
		const char	*unreadable;
		int		 key_matches;
		const char	*tlsa_unknown;
		int		 exists, matches;
		enum doctor_sev	 sev;
		const char	*what, *fix;
	} rows[] = {
		{ "matches", 1, NULL, 1, NULL, 1, 1, DOC_OK, "matches the "
		    "TLSA RRset at _25._tcp.mx.z", NULL },
		{ "nothing yet", 0, NULL, -1, NULL, 0, 0, DOC_OK,
		    "no chain at /c", NULL },
		{ "no RRset yet", 1, NULL, 1, NULL, 0, 0, DOC_OK,
		    "first run publishes", NULL },
		{ "mismatch", 1, NULL, 1, NULL, 1, 0, DOC_FAIL, "matches no "
		    "record", "daneroll run adopts it" },
		{ "wrong key", 1, NULL, 0, NULL, 1, 1, DOC_FAIL, "not for the "
		    "private key", "/c" },
		{ "unreadable", 0, "/c: Permission denied", -1, NULL, 0, 0,
		    DOC_FAIL, "Permission denied", "readable" },
		{ "RRset unknown", 1, NULL, 1, "bogus", 0, 0, DOC_WARN,
		    "not known: bogus", NULL },
	};
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct doctor_report r = { 0 };
		struct doctor_chain d = { "rsa2048", "/c", rows[i].deployed,
		    rows[i].unreadable, rows[i].key_matches, "_25._tcp.mx.z",
		    rows[i].tlsa_unknown, rows[i].exists, rows[i].matches };

		doctor_judge_chain(&r, "mx.z", &d);
		expect(&r, rows[i].row, rows[i].sev, DOC_DATA, rows[i].what,
		    rows[i].fix);
		doctor_report_free(&r);
	}
}

/* Findings of these severities and areas exit so. */
static void
test_exit(void)
{
	static const struct {
		const char	*findings;	/* "o"k "w"arn, "C" "W" "D" fail */
		int		 code;
	} rows[] = {
		{ "", EX_OK },
		{ "ooo", EX_OK },
		{ "ow", EX_OK },
		{ "oD", EX_DATAERR },
		{ "oWD", EX_UNAVAILABLE },
		{ "DWC", EX_CONFIG },
		{ "wC", EX_CONFIG },
	};
	size_t i, j;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct doctor_report r = { 0 };

		for (j = 0; rows[i].findings[j] != '\0'; j++) {
			char c = rows[i].findings[j];

			doctor_add(&r, c == 'o' ? DOC_OK : c == 'w' ? DOC_WARN :
			    DOC_FAIL, c == 'C' ? DOC_CONFIG : c == 'D' ?
			    DOC_DATA : DOC_WORLD, "h", "fix", "x");
		}
		if (!T_INT(doctor_exit(&r), rows[i].code))
			fprintf(stderr, "    findings: \"%s\"\n",
			    rows[i].findings);
		doctor_report_free(&r);
	}
}

static void
test_print(void)
{
	struct doctor_report r = { 0 };
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	doctor_add(&r, DOC_OK, DOC_CONFIG, "global", "never shown", "fine");
	doctor_add(&r, DOC_FAIL, DOC_CONFIG, "mx1.example.org",
	    "chmod 0600 /etc/daneroll/tsig.key", "tsig_key_file %s: mode 0644",
	    "/etc/daneroll/tsig.key");
	doctor_add(&r, DOC_WARN, DOC_WORLD, NULL, "later", "%d", 42);
	doctor_print(f, &r);
	fclose(f);
	T_STR(text, "ok    global  fine\n"
	    "fail  mx1.example.org  tsig_key_file /etc/daneroll/tsig.key: "
	    "mode 0644; fix: chmod 0600 /etc/daneroll/tsig.key\n"
	    "warn  global  42; fix: later\n"
	    "doctor: 1 ok, 1 warning, 1 failure\n");
	free(text);
	doctor_report_free(&r);
}

static const struct t_case cases[] = {
	{ "files", test_files },
	{ "file_unknown", test_file_unknown },
	{ "resolver", test_resolver },
	{ "servers", test_servers },
	{ "publisher", test_publisher },
	{ "chain", test_chain },
	{ "exit", test_exit },
	{ "print", test_print },
};

T_MAIN(cases)

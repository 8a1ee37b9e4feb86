/*
 * Unit tests: the live check's lookups (resolve.c through verify_lookup)
 * with questions prefetched (resolve_prefetch), against a small validating
 * resolver forked on 127.0.0.1. The resolver is stopped after the
 * prefetch: what the lookups then find can only have come from the kept
 * answers, and what was not prefetched must fail as it would have.
 * And which resolvers are asked at all (resolvconf.c), as a table of
 * resolv.conf files and resolver settings.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <ldns/ldns.h>

#include "dnsq.h"
#include "resolvconf.h"
#include "resolve.h"
#include "t.h"
#include "util.h"
#include "verify.h"

#define MX	"mx.example.test"
#define H1	"0101010101010101010101010101010101010101010101010101010101010101"

/* The answer of a validating resolver: A 192.0.2.7, no AAAA, one TLSA
 * record; RA and AD set, as for a signed zone. */
static uint8_t *
answer(const uint8_t *q, size_t qlen, size_t *len)
{
	ldns_pkt *qp = NULL, *rp;
	const ldns_rr *question;
	ldns_rr *rr = NULL;
	uint8_t *wire = NULL;
	char *owner, text[300];

	if (ldns_wire2pkt(&qp, q, qlen) != LDNS_STATUS_OK)
		return NULL;
	question = ldns_rr_list_rr(ldns_pkt_question(qp), 0);
	owner = ldns_rdf2str(ldns_rr_owner(question));
	rp = ldns_pkt_query_new(ldns_rdf_clone(ldns_rr_owner(question)),
	    ldns_rr_get_type(question), LDNS_RR_CLASS_IN, 0);
	ldns_pkt_set_id(rp, ldns_pkt_id(qp));
	ldns_pkt_set_qr(rp, 1);
	ldns_pkt_set_ra(rp, 1);
	ldns_pkt_set_ad(rp, 1);
	text[0] = '\0';
	if (ldns_rr_get_type(question) == LDNS_RR_TYPE_A)
		snprintf(text, sizeof(text), "%s 300 IN A 192.0.2.7", owner);
	else if (ldns_rr_get_type(question) == LDNS_RR_TYPE_TLSA)
		snprintf(text, sizeof(text), "%s 300 IN TLSA 3 1 1 " H1,
		    owner);
	if (text[0] != '\0' &&
	    ldns_rr_new_frm_str(&rr, text, 0, NULL, NULL) == LDNS_STATUS_OK)
		ldns_pkt_push_rr(rp, LDNS_SECTION_ANSWER, rr);
	(void)ldns_pkt2wire(&wire, rp, len);
	free(owner);
	ldns_pkt_free(rp);
	ldns_pkt_free(qp);
	return wire;
}

/* Forks the resolver on a free UDP port of 127.0.0.1: its pid, or -1. */
static pid_t
resolver_start(int *port)
{
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	pid_t pid;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0 ||
	    getsockname(fd, (struct sockaddr *)&sin, &sl) != 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	*port = ntohs(sin.sin_port);
	if ((pid = fork()) == 0) {
		uint8_t buf[65536];

		for (;;) {
			struct sockaddr_storage from;
			socklen_t fl = sizeof(from);
			ssize_t n = recvfrom(fd, buf, sizeof(buf), 0,
			    (struct sockaddr *)&from, &fl);
			uint8_t *w;
			size_t wl = 0;

			if (n <= 0 || (w = answer(buf, (size_t)n, &wl)) ==
			    NULL)
				continue;
			(void)sendto(fd, w, wl, 0, (struct sockaddr *)&from,
			    fl);
			free(w);
		}
	}
	close(fd);
	return pid;
}

/* A resolver (resolve.c) asking a fresh fake one, *pid; NULL (checked,
 * the fake stopped) if either cannot start. */
static struct resolver *
started(pid_t *pid)
{
	struct resolver *r = NULL;
	char spec[64];
	int port = 0;

	*pid = resolver_start(&port);
	snprintf(spec, sizeof(spec), "127.0.0.1#%d", port);
	if (!T_CHECK(*pid > 0) ||
	    !T_CHECK(resolve_open(spec, 1, &r) == OUT_OK)) {
		t_kill(pid);
		return NULL;
	}
	return r;
}

/* Looks name up (port 25) and checks how secure its addresses and its
 * TLSA records came back; the answer goes to *keep (the caller frees it)
 * if keep is not NULL. */
static void
looked_up(struct resolver *r, const char *name, enum resolve_sec addrs,
    enum resolve_sec tlsa, struct verify_name *keep)
{
	struct verify_name vn;

	T_INT(verify_lookup(r, name, 25, &vn), 0);
	T_INT(vn.addrs.sec, addrs);
	T_INT(vn.tlsa.sec, tlsa);
	if (keep != NULL)
		*keep = vn;
	else
		verify_name_free(&vn);
}

/* A name, its case and trailing dot as a configuration may write them. */
static void
test_prefetched_lookups(void)
{
	static const char *const names[] = { MX, "MX.Example.Test." };
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const char *asked = MX;
		const int port25 = 25;
		struct verify_name vn;
		struct resolver *r;
		pid_t pid;

		if ((r = started(&pid)) == NULL)
			return;
		verify_prefetch(r, &asked, &port25, 1);
		t_kill(&pid);	/* from here on, only what was kept */
		looked_up(r, names[i], RESOLVE_SECURE, RESOLVE_SECURE, &vn);
		T_INT(vn.addrs.naddr, 1);
		if (vn.addrs.naddr == 1)
			T_STR(vn.addrs.addr[0].text, "192.0.2.7");
		T_INT(vn.tlsa.exists, 1);
		T_INT(vn.tlsa.set.n, 1);
		verify_name_free(&vn);
		/* Not prefetched: asked, and the server is gone. */
		looked_up(r, "other.example.test", RESOLVE_FAIL, RESOLVE_FAIL,
		    NULL);
		resolve_close(r);
	}
}

/* The control: without the prefetch, the same lookups against the stopped
 * server fail, so the test above did not pass by asking it. */
static void
test_stopped_resolver_fails(void)
{
	struct resolver *r;
	pid_t pid;

	if ((r = started(&pid)) == NULL)
		return;
	/* While it runs. */
	looked_up(r, MX, RESOLVE_SECURE, RESOLVE_SECURE, NULL);
	t_kill(&pid);
	looked_up(r, MX, RESOLVE_FAIL, RESOLVE_FAIL, NULL);
	resolve_close(r);
}

/* A prefetch that ran out of descriptors here learnt nothing of the
 * resolver: what it could not ask is asked again by the lookups, which
 * then succeed (kept as errors, they failed). */
static void
test_prefetch_out_of_descriptors(void)
{
	const char *asked = MX;
	const int port25 = 25;
	struct resolver *r;
	struct rlimit old, one;
	pid_t pid;
	int lowest;

	if ((r = started(&pid)) == NULL)
		return;
	lowest = dup(0);
	if (!T_CHECK(lowest >= 0) ||
	    !T_CHECK(getrlimit(RLIMIT_NOFILE, &old) == 0)) {
		t_kill(&pid);
		resolve_close(r);
		return;
	}
	close(lowest);
	one = old;
	one.rlim_cur = (rlim_t)lowest + 1;	/* one socket at a time */
	T_CHECK(setrlimit(RLIMIT_NOFILE, &one) == 0);
	verify_prefetch(r, &asked, &port25, 1);
	T_CHECK(setrlimit(RLIMIT_NOFILE, &old) == 0);
	looked_up(r, MX, RESOLVE_SECURE, RESOLVE_SECURE, NULL);
	t_kill(&pid);
	resolve_close(r);
}

/*
 * Which resolvers are asked: the resolver setting, else resolv.conf's
 * first three numeric nameservers, else 127.0.0.1; as rows, each a case.
 * file NULL: no file at all. want: the addresses as dnsq_addr_str writes
 * them, ", " between; NULL: the setting is refused.
 */
static const struct row {
	const char	*name;
	const char	*setting;
	const char	*file;
	const char	*want;
	int		 fallback;
} rows[] = {
	{ "resolvconf: one nameserver", NULL, "nameserver 192.0.2.53\n",
	  "192.0.2.53", 0 },
	{ "resolvconf: comments, search and options passed over", NULL,
	  "# written by hand\n; and by a tool\n"
	  "#nameserver 192.0.2.1\n;nameserver 192.0.2.2\n"
	  "search example.test\noptions trust-ad edns0\n"
	  "nameserver 192.0.2.53 # the local unbound\n", "192.0.2.53", 0 },
	{ "resolvconf: IPv6 and IPv4, in their order", NULL,
	  "nameserver 2001:db8::53\n\tnameserver  192.0.2.53\n",
	  "2001:db8::53, 192.0.2.53", 0 },
	{ "resolvconf: a scoped address", NULL, "nameserver fe80::1%lo\n",
	  "fe80::1%lo", 0 },
	/* the libc's three (MAXNS); the fourth is never asked */
	{ "resolvconf: three at most", NULL,
	  "nameserver 192.0.2.1\nnameserver 192.0.2.2\n"
	  "nameserver 192.0.2.3\nnameserver 192.0.2.4\n",
	  "192.0.2.1, 192.0.2.2, 192.0.2.3", 0 },
	/* what is not a numeric address, or has a port, is skipped */
	{ "resolvconf: names, ports and bad addresses skipped", NULL,
	  "nameserver ns.example.test\nnameserver 192.0.2.1#5353\n"
	  "nameserver [2001:db8::1]:53\nnameserver 192.0.2.300\n"
	  "nameserver\nnameserver 192.0.2.9\n", "192.0.2.9", 0 },
	/* nothing usable, no file: the local host, as the libc */
	{ "resolvconf: no nameserver line", NULL, "search example.test\n",
	  "127.0.0.1", 1 },
	{ "resolvconf: an empty file", NULL, "", "127.0.0.1", 1 },
	{ "resolvconf: no file", NULL, NULL, "127.0.0.1", 1 },
	/* the setting wins, and may carry a port */
	{ "resolvconf: the setting wins", "192.0.2.54",
	  "nameserver 192.0.2.53\n", "192.0.2.54", 0 },
	{ "resolvconf: a setting with a port", "2001:db8::1#5353", NULL,
	  "2001:db8::1#5353", 0 },
	{ "resolvconf: a setting as [address]:port", "[2001:db8::1]:5353",
	  NULL, "2001:db8::1#5353", 0 },
	{ "resolvconf: a name as the setting, refused",
	  "resolver.example.test", NULL, NULL, 0 },
	{ "resolvconf: port 0 in the setting, refused", "192.0.2.1#0",
	  "nameserver 192.0.2.53\n", NULL, 0 },
};

static void
run_row(const void *v)
{
	const struct row *row = v;
	struct resolvconf rc;
	const char *path = row->file != NULL ?
	    t_write("resolv.conf", row->file) : t_path("absent");
	char got[256], one[80];
	size_t o = 0;
	int k;

	if (!T_INT(resolvconf_load(row->setting, path, &rc),
	    row->want != NULL ? 0 : -1) || row->want == NULL)
		return;
	got[0] = '\0';
	for (k = 0; k < rc.n && k < RESOLVCONF_MAX; k++) {
		dnsq_addr_str((struct sockaddr *)&rc.addr[k], one, sizeof(one));
		o += (size_t)snprintf(got + o, sizeof(got) - o, "%s%s",
		    k ? ", " : "", one);
	}
	T_STR(got, row->want);
	T_INT(rc.fallback, row->fallback);
}

static const struct t_case cases[] = {
	{ "prefetched lookups are answered from what was kept",
	  test_prefetched_lookups },
	{ "without the prefetch a stopped resolver fails the lookups",
	  test_stopped_resolver_fails },
	{ "what a prefetch could not ask for want of descriptors is asked "
	  "again", test_prefetch_out_of_descriptors },
};

T_MAIN_TABLE(rows, run_row, cases)

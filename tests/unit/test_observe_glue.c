/*
 * Unit tests: the observer's guess from glue (observe.c). observe_glue()
 * as a table; then observe() itself, in a private network namespace (root
 * only, skipped otherwise): a fake resolver on 127.0.0.1:53 whose NS
 * answer carries the rows' additional addresses and which answers A and
 * AAAA only after GUESS_DELAY_MS, and authoritative servers on
 * 127.0.0.2-4:53 (.4 serves another record: stale glue). Every answer
 * and question is written, one letter each, to a shared pipe: 'R' for an
 * address answer, '2'-'4' for a TLSA question to that server. Questions
 * before the first 'R' were guesses.
 */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <ldns/ldns.h>

#include "conf.h"
#include "dnsq.h"
#include "fakes.h"
#include "observe.h"
#include "t.h"
#include "tlsa.h"

#define OWNER	"_25._tcp.mx1.example."
#define H1	"0101010101010101010101010101010101010101010101010101010101010101"
#define H2	"0202020202020202020202020202020202020202020202020202020202020202"
#define SOA	"example. 300 IN SOA ns1.example. hostmaster.example. 7 30 5 " \
		"600 300"
#define GUESS_DELAY_MS	200

/* An answer to q (wire) with the records of answer, authority and
 * additional, the header bits given; NULL if q does not parse. */
static uint8_t *
respond(const uint8_t *q, size_t qlen, int ra, int aa,
    const char *const *sec[3], size_t *len)
{
	static const ldns_pkt_section where[3] = { LDNS_SECTION_ANSWER,
	    LDNS_SECTION_AUTHORITY, LDNS_SECTION_ADDITIONAL };
	ldns_pkt *qp = NULL, *rp;
	uint8_t *wire = NULL;
	int s, i;

	if (ldns_wire2pkt(&qp, q, qlen) != LDNS_STATUS_OK)
		return NULL;
	rp = ldns_pkt_query_new(ldns_rdf_clone(ldns_rr_owner(
	    ldns_rr_list_rr(ldns_pkt_question(qp), 0))), ldns_rr_get_type(
	    ldns_rr_list_rr(ldns_pkt_question(qp), 0)), LDNS_RR_CLASS_IN, 0);
	ldns_pkt_set_id(rp, ldns_pkt_id(qp));
	ldns_pkt_set_qr(rp, 1);
	ldns_pkt_set_ra(rp, ra);
	ldns_pkt_set_aa(rp, aa);
	for (s = 0; s < 3; s++)
		for (i = 0; sec[s] != NULL && sec[s][i] != NULL; i++) {
			ldns_rr *rr = NULL;

			if (ldns_rr_new_frm_str(&rr, sec[s][i], 0, NULL,
			    NULL) == LDNS_STATUS_OK)
				ldns_pkt_push_rr(rp, where[s], rr);
		}
	(void)ldns_pkt2wire(&wire, rp, len);
	ldns_pkt_free(rp);
	ldns_pkt_free(qp);
	return wire;
}

/* The question of q: its type, and its name into name. */
static int
question(const uint8_t *q, size_t qlen, char *name, size_t size)
{
	ldns_pkt *p = NULL;
	const ldns_rr *rr;
	char *s;
	int type;

	if (ldns_wire2pkt(&p, q, qlen) != LDNS_STATUS_OK)
		return -1;
	rr = ldns_rr_list_rr(ldns_pkt_question(p), 0);
	s = ldns_rdf2str(ldns_rr_owner(rr));
	snprintf(name, size, "%s", s != NULL ? s : "");
	type = ldns_rr_get_type(rr);
	free(s);
	ldns_pkt_free(p);
	return type;
}

/* The resolver's answer: the zone example., NS ns1 and ns2 with glue as
 * given, ns1 at .2 and ns2 at .3, nothing else. *addr: an A or AAAA. */
static uint8_t *
resolver_answer(const uint8_t *q, size_t qlen, const char *const *glue,
    int *addr, size_t *len)
{
	static const char *const soa[] = { SOA, NULL };
	static const char *const ns[] = { "example. 300 IN NS ns1.example.",
	    "example. 300 IN NS ns2.example.", NULL };
	static const char *const a1[] = { "ns1.example. 300 IN A 127.0.0.2",
	    NULL };
	static const char *const a2[] = { "ns2.example. 300 IN A 127.0.0.3",
	    NULL };
	const char *const *sec[3] = { NULL, soa, NULL };
	char name[300];
	int type = question(q, qlen, name, sizeof(name));

	*addr = type == LDNS_RR_TYPE_A || type == LDNS_RR_TYPE_AAAA;
	if (type == LDNS_RR_TYPE_SOA && strcmp(name, "example.") == 0)
		sec[0] = soa, sec[1] = NULL;
	else if (type == LDNS_RR_TYPE_NS && strcmp(name, "example.") == 0)
		sec[0] = ns, sec[1] = NULL, sec[2] = glue;
	else if (type == LDNS_RR_TYPE_A && strcmp(name, "ns1.example.") == 0)
		sec[0] = a1, sec[1] = NULL;
	else if (type == LDNS_RR_TYPE_A && strcmp(name, "ns2.example.") == 0)
		sec[0] = a2, sec[1] = NULL;
	return respond(q, qlen, 1, 0, sec, len);
}

/* An authoritative server's answer; stale: the other record. */
static uint8_t *
auth_answer(const uint8_t *q, size_t qlen, int stale, int *tlsa,
    size_t *len)
{
	static const char *const soa[] = { SOA, NULL };
	static const char *const t1[] = { OWNER " 300 IN TLSA 3 1 1 " H1,
	    NULL };
	static const char *const t2[] = { OWNER " 300 IN TLSA 3 1 1 " H2,
	    NULL };
	const char *const *sec[3] = { NULL, NULL, NULL };
	char name[300];
	int type = question(q, qlen, name, sizeof(name));

	*tlsa = type == LDNS_RR_TYPE_TLSA;
	if (*tlsa)
		sec[0] = stale ? t2 : t1;
	else if (type == LDNS_RR_TYPE_SOA)
		sec[0] = soa;
	return respond(q, qlen, 0, 1, sec, len);
}

static int
bind53(const char *ip)
{
	struct sockaddr_in sin;
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(53);
	(void)inet_pton(AF_INET, ip, &sin.sin_addr);
	if (fd >= 0 && bind(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/* Serves fds[0] (the resolver) or fds[1..3] (.2-.4; .3 silent if
 * silent3) until killed, each event written to out. */
static void
serve(const int *fds, int nfds, int resolver, const char *const *glue,
    int silent3, int out)
{
	uint8_t buf[4096];

	for (;;) {
		struct pollfd p[3];
		int i;

		for (i = 0; i < nfds; i++)
			p[i] = (struct pollfd){ fds[i], POLLIN, 0 };
		if (poll(p, (nfds_t)nfds, -1) < 0)
			continue;
		for (i = 0; i < nfds; i++) {
			struct sockaddr_storage from;
			socklen_t fl = sizeof(from);
			ssize_t n;
			uint8_t *w;
			size_t wl = 0;
			int flag = 0;
			char ev = resolver ? 'R' : (char)('2' + i);

			if (!(p[i].revents & POLLIN) || (n = recvfrom(fds[i],
			    buf, sizeof(buf), 0, (struct sockaddr *)&from,
			    &fl)) <= 0)
				continue;
			w = resolver ? resolver_answer(buf, (size_t)n, glue,
			    &flag, &wl) : auth_answer(buf, (size_t)n, i == 2,
			    &flag, &wl);
			if (!resolver && i == 1 && silent3) {
				free(w);	/* asked, and never answers */
				w = NULL;
			}
			if (resolver && flag)
				usleep(GUESS_DELAY_MS * 1000);
			if (flag && write(out, &ev, 1) != 1)
				_exit(1);
			if (w != NULL)
				(void)sendto(fds[i], w, wl, 0,
				    (struct sockaddr *)&from, fl);
			free(w);
		}
	}
}

/* What observe() did in the namespace, sent back to the test. */
struct glue_result {
	int	ok;		/* the world came up; else why */
	char	why[80];
	int	outcome, nservers, all_match;
	char	addrs[2][64];
	char	events[64];	/* the pipe's letters, in order */
};

/* The new namespace's loopback up (127/8 is then local): 0 or -1. */
static int
lo_up(void)
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM, 0), rc = -1;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	if (fd >= 0 && ioctl(fd, SIOCGIFFLAGS, &ifr) == 0) {
		ifr.ifr_flags |= IFF_UP;
		rc = ioctl(fd, SIOCSIFFLAGS, &ifr) == 0 ? 0 : -1;
	}
	if (fd >= 0)
		close(fd);
	return rc;
}

struct glue_row {
	const char	*name;
	const char	*glue[3];	/* the NS answer's additional */
	const char	*guessed;	/* TLSA questions before any 'R' */
	const char	*after;		/* and after, as a sorted string */
	int		 silent3;	/* .3 never answers */
	int		 twice;		/* the events of a second observe() */
	char		*extra;		/* the host's extra server */
};

/* In the namespace: the servers, then observe() as the row says. */
static void
observe_in_netns(const struct glue_row *row, struct glue_result *res)
{
	static const char *const ips[] = { "127.0.0.1", "127.0.0.2",
	    "127.0.0.3", "127.0.0.4" };
	int fds[4], ev[2], i;
	pid_t srv[2] = { 0, 0 };
	struct conf conf;
	struct conf_host host;
	struct obs_report rep;
	struct tlsa_set want = { 0 };
	ssize_t n;

	memset(res, 0, sizeof(*res));
	if (unshare(CLONE_NEWNET) != 0 || lo_up() != 0 || pipe(ev) != 0) {
		snprintf(res->why, sizeof(res->why), "a network namespace "
		    "with lo up: %s", strerror(errno));
		return;
	}
	for (i = 0; i < 4; i++)
		if ((fds[i] = bind53(ips[i])) < 0) {
			snprintf(res->why, sizeof(res->why), "%s:53: %s",
			    ips[i], strerror(errno));
			return;
		}
	if ((srv[0] = fork()) == 0)
		serve(fds, 1, 1, row->glue, 0, ev[1]);
	if ((srv[1] = fork()) == 0)
		serve(fds + 1, 3, 0, NULL, row->silent3, ev[1]);
	close(ev[1]);
	memset(&conf, 0, sizeof(conf));
	memset(&host, 0, sizeof(host));
	memset(&rep, 0, sizeof(rep));
	conf.resolver = "127.0.0.1";
	host.name = "mx1.example";
	host.extra_servers = (char **)&row->extra;
	host.nextra_servers = row->extra != NULL;
	fake_tlsa_set("3 1 1 " H1 "\n", &want);
	res->ok = 1;
	if (row->twice) {	/* the first one's events are not counted */
		(void)observe_dns.observe(&conf, &host, OWNER, &want, &rep);
		obs_report_free(&rep);
		memset(&rep, 0, sizeof(rep));
		(void)fcntl(ev[0], F_SETFL, O_NONBLOCK);
		while (read(ev[0], res->events, sizeof(res->events)) > 0)
			;
		(void)fcntl(ev[0], F_SETFL, 0);
	}
	res->outcome = observe_dns.observe(&conf, &host, OWNER, &want, &rep);
	res->nservers = (int)rep.nservers;
	res->all_match = rep.all_match;
	for (i = 0; i < 2 && i < res->nservers; i++)
		snprintf(res->addrs[i], sizeof(res->addrs[i]), "%s",
		    rep.servers[i].addr);
	t_kill(&srv[0]);
	t_kill(&srv[1]);
	n = read(ev[0], res->events, sizeof(res->events) - 1);
	res->events[n > 0 ? n : 0] = '\0';
	obs_report_free(&rep);
	tlsa_set_free(&want);
}


static const struct glue_row glue_rows[] = {
	{ "glue for both NS names: both guessed, none asked again",
	  { "ns1.example. 300 IN A 127.0.0.2",
	    "ns2.example. 300 IN A 127.0.0.3" }, "23", "", 0, 0, NULL },
	{ "glue for one: the other asked after the lookups",
	  { "ns1.example. 300 IN A 127.0.0.2" }, "2", "3", 0, 0, NULL },
	{ "stale glue: .4 asked but left out, .3 asked after the lookups",
	  { "ns1.example. 300 IN A 127.0.0.2",
	    "NS2.Example. 300 IN A 127.0.0.4" }, "24", "3", 0, 0, NULL },
	{ "glue for a name not in the NS RRset is not a guess",
	  { "ns9.example. 300 IN A 127.0.0.4" }, "", "23", 0, 0, NULL },
	{ "no glue: every address asked after the lookups", { NULL }, "",
	  "23", 0, 0, NULL },
	/* dnsq's 3 tries of 1.5 s, all during the lookups' round: the
	 * silence is the guess's answer, not waited for again. */
	{ "a silent guessed address is not asked again",
	  { "ns1.example. 300 IN A 127.0.0.2",
	    "ns2.example. 300 IN A 127.0.0.3" }, "23", "33", 1, 0, NULL },
	{ "no glue, the zone observed before: its addresses are guessed",
	  { NULL }, "23", "", 0, 1, NULL },
	{ "stale glue: what is remembered is what the lookups gave",
	  { "ns1.example. 300 IN A 127.0.0.4" }, "234", "", 0, 1, NULL },
	{ "an extra server is guessed, and counts", { NULL }, "4", "23", 0,
	  0, "127.0.0.4" },
};

static int
by_char(const void *a, const void *b)
{
	return *(const char *)a - *(const char *)b;
}

/* The TLSA questions of events, before the first 'R' (before = 1) or
 * after the last one, as a sorted string. */
static void
questions(const char *events, int before, char *out, size_t size)
{
	const char *first = strchr(events, 'R'), *last = strrchr(events, 'R');
	const char *from = before ? events : last != NULL ? last + 1 : "";
	const char *to = before ? (first != NULL ? first : events +
	    strlen(events)) : from + strlen(from);
	size_t n = (size_t)(to - from) < size - 1 ? (size_t)(to - from) :
	    size - 1;

	memcpy(out, from, n);
	out[n] = '\0';
	qsort(out, n, 1, by_char);
}

static void
run_glue_row(const void *arg)
{
	const struct glue_row *row = arg;
	struct glue_result res;
	char got[64];
	int p[2], status = 0;
	pid_t pid;

	if (geteuid() != 0) {
		printf("    skipped: a network namespace needs root\n");
		return;
	}
	if (!T_CHECK(pipe(p) == 0))
		return;
	if ((pid = fork()) == 0) {
		close(p[0]);
		observe_in_netns(row, &res);
		_exit(write(p[1], &res, sizeof(res)) == sizeof(res) ? 0 : 1);
	}
	close(p[1]);
	memset(&res, 0, sizeof(res));
	T_INT(read(p[0], &res, sizeof(res)), sizeof(res));
	close(p[0]);
	(void)waitpid(pid, &status, 0);
	if (!T_CHECK(res.ok)) {
		printf("    %s\n", res.why);
		return;
	}
	T_INT(res.outcome, OUT_OK);
	/* Which addresses count is the lookups' word alone, and the extra
	 * server's (.4 serves the other record). */
	T_INT(res.nservers, row->extra != NULL ? 3 : 2);
	T_STR(res.addrs[0], "127.0.0.2");
	T_STR(res.addrs[1], "127.0.0.3");
	T_INT(res.all_match, !row->silent3 && row->extra == NULL);
	questions(res.events, 1, got, sizeof(got));
	if (!T_STR(got, row->guessed))
		printf("    events %s\n", res.events);
	questions(res.events, 0, got, sizeof(got));
	T_STR(got, row->after);
}

/* observe_glue() alone. */
static void
test_glue_table(void)
{
	static const char *const ns[] = { "ns1.example.", "ns2.example" };
	static const struct {
		const char	*add[4];
		size_t		 max, want;
		const char	*first;
	} rows[] = {
		{ { "ns1.example. 1 IN A 192.0.2.1",
		    "ns2.example. 1 IN AAAA 2001:db8::2" }, 8, 2, "192.0.2.1" },
		{ { "NS1.EXAMPLE. 1 IN A 192.0.2.1" }, 8, 1, "192.0.2.1" },
		{ { "ns1.example. 1 IN A 192.0.2.1",
		    "ns2.example. 1 IN A 192.0.2.1" }, 8, 1, "192.0.2.1" },
		{ { "ns3.example. 1 IN A 192.0.2.3",
		    "ns1.example. 1 IN TXT \"192.0.2.1\"" }, 8, 0, NULL },
		{ { "ns1.example. 1 IN A 192.0.2.1",
		    "ns2.example. 1 IN A 192.0.2.2" }, 1, 1, "192.0.2.1" },
	};
	size_t i;

	for (i = 0; i < T_NELEM(rows); i++) {
		const char *const *sec[3] = { NULL, NULL, rows[i].add };
		uint8_t q[] = { 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0,
		    7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0, 0, 2, 0, 1 };
		struct sockaddr_storage out[8];
		socklen_t outlen[8];
		size_t len = 0, n;
		uint8_t *w = respond(q, sizeof(q), 1, 0, sec, &len);
		char text[64];

		n = observe_glue(w, len, ns, 2, out, outlen, rows[i].max);
		if (!T_INT(n, rows[i].want))
			printf("    row %zu\n", i);
		if (n > 0 && rows[i].first != NULL) {
			dnsq_addr_str((struct sockaddr *)&out[0], text,
			    sizeof(text));
			T_STR(text, rows[i].first);
		}
		free(w);
	}
	T_INT(observe_glue((const uint8_t *)"xx", 2, ns, 2, NULL, NULL, 8),
	    0);
}

static const struct t_case cases[] = {
	{ "observe_glue: the additional section's addresses of NS names",
	  test_glue_table },
};

T_MAIN_TABLE(glue_rows, run_glue_row, cases)

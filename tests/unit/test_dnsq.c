/*
 * Unit tests: how many queries dnsq_run() puts on the wire at once. A fake
 * server forked on 127.0.0.1 gathers the queries that arrive until none
 * has come for QUIET_MS, answers them all, and writes each such batch's
 * size to a pipe: the batches are the window, round trip by round trip.
 * Then the window's rule itself (dnsq_window_after) as a table.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <ldns/ldns.h>

#include "dnsq.h"
#include "t.h"

#define QUIET_MS	100	/* a batch ends when nothing came for this */
#define MAX_BATCHES	16

/* The query itself with QR set: same ID and question, so dnsq takes it. */
static void
answer_batch(int fd, uint8_t (*q)[512], const size_t *len,
    struct sockaddr_storage *from, const socklen_t *fl, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		q[i][2] |= 0x80;
		(void)sendto(fd, q[i], len[i], 0, (struct sockaddr *)&from[i],
		    fl[i]);
	}
}

/* Serves fd until killed; each batch's size goes to out as an int. */
static void
serve_batches(int fd, int out)
{
	static uint8_t q[1024][512];
	static size_t len[1024];
	static struct sockaddr_storage from[1024];
	static socklen_t fl[1024];

	for (;;) {
		struct pollfd p = { fd, POLLIN, 0 };
		int n = 0;

		/* The first query of a batch may be long in coming. */
		while (n < 1024 && poll(&p, 1, n == 0 ? -1 : QUIET_MS) > 0) {
			ssize_t r;

			fl[n] = sizeof(from[n]);
			r = recvfrom(fd, q[n], sizeof(q[n]), 0,
			    (struct sockaddr *)&from[n], &fl[n]);
			if (r > 12)
				len[n++] = (size_t)r;
		}
		if (write(out, &n, sizeof(n)) != sizeof(n))
			_exit(1);
		answer_batch(fd, q, len, from, fl, n);
	}
}

/* Forks the server; its pid and address, the pipe's read end in *in. */
static pid_t
server_start(struct sockaddr_storage *ss, socklen_t *sl, int *in)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	int fd = socket(AF_INET, SOCK_DGRAM, 0), pfd[2];
	int buf = 1 << 20;
	pid_t pid;

	memset(ss, 0, sizeof(*ss));
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	*sl = sizeof(*sin);
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	if (fd < 0 || bind(fd, (struct sockaddr *)sin, *sl) != 0 ||
	    getsockname(fd, (struct sockaddr *)sin, sl) != 0 ||
	    pipe(pfd) != 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if ((pid = fork()) == 0) {
		close(pfd[0]);
		serve_batches(fd, pfd[1]);
	}
	close(fd);
	close(pfd[1]);
	*in = pfd[0];
	return pid;
}

struct batch_row {
	const char	*name;
	int		 inflight, max_inflight;
	size_t		 n;		/* queries */
	int		 want[MAX_BATCHES];	/* batch sizes, 0-ended */
};

static const struct batch_row batch_rows[] = {
	{ "a fixed window: batches of inflight", 4, 0, 12, { 4, 4, 4 } },
	{ "max_inflight at inflight: still fixed", 4, 4, 12, { 4, 4, 4 } },
	{ "slow start: the window doubles each round trip", 4, 16, 40,
	  { 4, 8, 16, 12 } },
	{ "the window stops at max_inflight", 4, 6, 20, { 4, 6, 6, 4 } },
};

static void
run_batch_row(const void *arg)
{
	const struct batch_row *row = arg;
	struct dnsq_limits lim = { row->inflight, 5000, 1, 5000,
	    row->max_inflight };
	struct sockaddr_storage ss;
	socklen_t sl;
	struct dnsq *q = calloc(row->n, sizeof(*q));
	int in = -1, got, i, answered = 0;
	pid_t pid = server_start(&ss, &sl, &in);
	size_t k;

	if (!T_CHECK(pid > 0) || !T_CHECK(q != NULL)) {
		free(q);
		return;
	}
	for (k = 0; k < row->n; k++) {
		char name[64];

		snprintf(name, sizeof(name), "q%zu.example.test.", k);
		dnsq_query_init(&q[k], &ss, sl, name, LDNS_RR_TYPE_A, 1);
	}
	dnsq_run(q, row->n, &lim);
	for (k = 0; k < row->n; k++)
		answered += q[k].err == 0 && q[k].wire != NULL;
	T_INT(answered, row->n);
	for (i = 0; row->want[i] != 0; i++) {
		if (!T_CHECK(read(in, &got, sizeof(got)) == sizeof(got)))
			break;
		T_INT(got, row->want[i]);
	}
	t_kill(&pid);
	close(in);
	dnsq_free(q, row->n);
	free(q);
}

/* The rule alone: one more per answer up to the cap, back on a loss. */
static void
test_window_rule(void)
{
	static const struct {
		int	 inflight, max_inflight;
		size_t	 window;
		int	 answered;
		size_t	 want;
	} rows[] = {
		{ 128, 512, 128, 1, 129 },	/* grows */
		{ 128, 512, 511, 1, 512 },	/* to the cap */
		{ 128, 512, 512, 1, 512 },	/* not past it */
		{ 128, 512, 400, 0, 128 },	/* a lost try: back */
		{ 16, 0, 16, 1, 16 },		/* no cap: fixed */
		{ 0, 0, 1, 1, 1 },		/* at least one */
	};
	size_t i;

	for (i = 0; i < T_NELEM(rows); i++) {
		struct dnsq_limits lim = { rows[i].inflight, 1000, 1, 1000,
		    rows[i].max_inflight };

		T_INT(dnsq_window_after(rows[i].window, rows[i].answered,
		    &lim), rows[i].want);
	}
}

static const struct t_case cases[] = {
	{ "the window's rule", test_window_rule },
};

T_MAIN_TABLE(batch_rows, run_batch_row, cases)

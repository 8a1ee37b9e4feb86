/*
 * Unit test: verify_run() opens at most opts.per_server connections to
 * one address and port at a time, while endpoints on other servers go
 * ahead. Two local TCP servers in a child process count the connections
 * open to each at once, and how many the first had accepted when the
 * second accepted its last; each greets with 554 after HOLD_MS and
 * closes, so every endpoint ends as smtp-error without TLS.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "t.h"
#include "tlsa.h"
#include "util.h"
#include "verify.h"

#define HOLD_MS		100
#define MAXCONN		64

struct server {
	int		 lfd;
	int		 port;
	const char	*addr;
	int		 open, most, accepted;
};

static int
listen_on(struct server *s)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	if (inet_pton(AF_INET, s->addr, &sa.sin_addr) != 1 ||
	    (s->lfd = socket(AF_INET, SOCK_STREAM, 0)) < 0 ||
	    bind(s->lfd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    listen(s->lfd, 128) != 0 ||
	    getsockname(s->lfd, (struct sockaddr *)&sa, &len) != 0)
		return -1;
	s->port = ntohs(sa.sin_port);
	return 0;
}

/* The child: serves until `total` connections were answered, then writes
 * to out each server's most connections open at once, and how many the
 * first had accepted when the last one accepted its last. */
static void
serve(struct server *srv, int nsrv, int total, int out)
{
	struct pollfd pfd[2 + MAXCONN];
	struct { int fd, srv; int64_t at; } c[MAXCONN];
	int nc = 0, done = 0, i, k, first_then = 0;

	signal(SIGPIPE, SIG_IGN);
	while (done < total) {
		int64_t now = util_mono_ms();

		for (i = 0; i < nc; i++)
			if (now >= c[i].at + HOLD_MS) {
				(void)write(c[i].fd, "554 5.7.1 no\r\n", 14);
				close(c[i].fd);
				srv[c[i].srv].open--;
				c[i--] = c[--nc];
				done++;
			}
		for (k = 0; k < nsrv; k++) {
			pfd[k].fd = srv[k].lfd;
			pfd[k].events = POLLIN;
		}
		if (poll(pfd, (nfds_t)nsrv, 5) < 0 && errno != EINTR)
			_exit(2);
		for (k = 0; k < nsrv; k++) {
			int fd;

			if (!(pfd[k].revents & POLLIN) || nc == MAXCONN ||
			    (fd = accept(srv[k].lfd, NULL, NULL)) < 0)
				continue;
			c[nc].fd = fd;
			c[nc].srv = k;
			c[nc++].at = util_mono_ms();
			if (++srv[k].open > srv[k].most)
				srv[k].most = srv[k].open;
			srv[k].accepted++;
			if (k == nsrv - 1)
				first_then = srv[0].accepted;
		}
	}
	for (k = 0; k < nsrv; k++)
		(void)write(out, &srv[k].most, sizeof(int));
	(void)write(out, &first_then, sizeof(int));
	_exit(0);
}

/*
 * n1 endpoints on one server, n2 on another, per_server as given: the
 * most connections each server saw open at once (most[0], most[1]), and
 * how many the first had accepted when the second accepted its last
 * (most[2]).
 */
static void
run(int n1, int n2, int per_server, int most[3])
{
	struct server srv[2] = {
		{ -1, 0, "127.0.0.1", 0, 0, 0 }, { -1, 0, "127.0.0.2", 0, 0, 0 },
	};
	struct verify_endpoint *eps = calloc((size_t)(n1 + n2), sizeof(*eps));
	struct tlsa_set none = { 0 };
	struct verify_opts o;
	int fds[2] = { -1, -1 }, i;
	pid_t pid = -1;

	most[0] = most[1] = most[2] = -1;
	if (!T_CHECK(eps != NULL && listen_on(&srv[0]) == 0 &&
	    listen_on(&srv[1]) == 0 && pipe(fds) == 0))
		goto done;
	if ((pid = fork()) == 0) {
		close(fds[0]);
		serve(srv, 2, n1 + n2, fds[1]);
	}
	close(fds[1]);
	fds[1] = -1;
	for (i = 0; i < n1 + n2; i++) {
		struct resolve_addr a = { AF_INET, "" };
		int k = i < n1 ? 0 : 1;

		snprintf(a.text, sizeof(a.text), "%s", srv[k].addr);
		verify_endpoint_init(&eps[i], "mx.example.org",
		    "mx.example.org", &a, srv[k].port, KEY_ALG_ECDSA_P256,
		    &none);
	}
	verify_opts_init(&o);
	o.per_server = per_server;
	T_INT(verify_run(eps, n1 + n2, &o), 0);
	for (i = 0; i < n1 + n2; i++)
		if (!T_INT(eps[i].status, VS_SMTP_PERM))
			printf("    endpoint %d: %s\n", i, eps[i].detail);
	if (!T_CHECK(read(fds[0], most, 3 * sizeof(int)) ==
	    (ssize_t)(3 * sizeof(int))))
		most[0] = most[1] = most[2] = -1;
done:
	t_kill(&pid);
	for (i = 0; eps != NULL && i < n1 + n2; i++)
		verify_endpoint_clear(&eps[i]);
	free(eps);
	for (i = 0; i < 2; i++)
		if (srv[i].lfd >= 0)
			close(srv[i].lfd);
	if (fds[0] >= 0)
		close(fds[0]);
}

/*
 * Rows: n1 endpoints on one server, n2 on another, per_server; the most
 * each server must have seen open at once, and at most how many the first
 * had accepted when the second accepted its last (0: not checked).
 */
static const struct row {
	const char	*name;
	int		 n1, n2, per_server;
	int		 most0, most1, first_then;
} rows[] = {
	/* 8 at a time to the first server; the second's four at once, not
	 * queued behind the first server's. */
	{ "at most per_server connections to one server", 20, 4, 8,
	  8, 4, 8 },
	/* Without the cap (per_server = parallel), all 20 open at once:
	 * the row above can fail. */
	{ "without the cap, all at once", 20, 4, 256, 20, 4, 0 },
};

static void
run_row(const void *v)
{
	const struct row *r = v;
	int most[3];

	run(r->n1, r->n2, r->per_server, most);
	T_INT(most[0], r->most0);
	T_INT(most[1], r->most1);
	if (r->first_then > 0 &&
	    !T_CHECK(most[2] >= 1 && most[2] <= r->first_then))
		printf("    the first server had accepted %d when the second "
		    "accepted its last\n", most[2]);
}

/* Only rows: T_MAIN_TABLE wants a list of cases besides. */
int
main(int argc, char **argv)
{
	return t_run_table(rows, sizeof(rows[0]), T_NELEM(rows), run_row,
	    NULL, 0, argc, argv);
}

/*
 * tcpfwd - a test helper: a TCP forwarder that adds latency, or a silent
 * server. The kernel here has no netem qdisc, so latency is added in user
 * space: every chunk read from one side is written to the other side
 * delay milliseconds later (each direction, so a round trip costs 2 x
 * delay).
 *
 *   tcpfwd [-d delay_ms] -t TARGET LISTEN...   forward each LISTEN to TARGET
 *   tcpfwd -s LISTEN...                        accept, read, never answer
 *
 * Addresses are "192.0.2.1:25" or "[2001:db8::1]:25". One process, one
 * poll loop; runs until killed. Built by the scripts that use it (cc
 * tests/tools/tcpfwd.c); not part of daneroll.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAXL	256	/* listeners */
#define MAXC	512	/* connection pairs */
#define CHUNK	16384

struct chunk {
	struct chunk	*next;
	long long	 due;
	size_t		 len, off;
	char		 data[];
};

struct side {
	int		 fd;
	struct chunk	*head, *tail;	/* to be written to fd */
	int		 eof;		/* the other side read EOF */
	int		 rdone;		/* this side read EOF */
};

struct pair {
	int		 used, connecting;
	struct side	 s[2];		/* 0: client, 1: target */
};

static struct pair	pairs[MAXC];
static int		lfd[MAXL], nl;
static struct sockaddr_storage target;
static socklen_t	target_len;
static int		delay_ms, silent;

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
parse_addr(const char *s, struct sockaddr_storage *ss, socklen_t *len)
{
	char host[64];
	const char *colon;
	struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
	int port;

	memset(ss, 0, sizeof(*ss));
	if (s[0] == '[') {
		const char *e = strchr(s, ']');

		if (e == NULL || e[1] != ':' || (size_t)(e - s - 1) >= sizeof(host))
			return -1;
		memcpy(host, s + 1, (size_t)(e - s - 1));
		host[e - s - 1] = '\0';
		colon = e + 1;
	} else {
		if ((colon = strrchr(s, ':')) == NULL ||
		    (size_t)(colon - s) >= sizeof(host))
			return -1;
		memcpy(host, s, (size_t)(colon - s));
		host[colon - s] = '\0';
	}
	port = atoi(colon + 1);
	if (inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons((unsigned short)port);
		*len = sizeof(*a4);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((unsigned short)port);
		*len = sizeof(*a6);
		return 0;
	}
	return -1;
}

static void
close_pair(struct pair *p)
{
	struct chunk *c, *n;
	int i;

	for (i = 0; i < 2; i++) {
		if (p->s[i].fd != -1)
			close(p->s[i].fd);
		for (c = p->s[i].head; c != NULL; c = n) {
			n = c->next;
			free(c);
		}
	}
	memset(p, 0, sizeof(*p));
	p->s[0].fd = p->s[1].fd = -1;
}

static void
accept_one(int l)
{
	struct pair *p = NULL;
	int c, t, i;

	if ((c = accept4(l, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) == -1)
		return;
	for (i = 0; i < MAXC; i++)
		if (!pairs[i].used) {
			p = &pairs[i];
			break;
		}
	if (p == NULL) {
		close(c);
		return;
	}
	p->used = 1;
	p->s[0].fd = c;
	p->s[1].fd = -1;
	if (silent)
		return;
	t = socket(target.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (t == -1) {
		close_pair(p);
		return;
	}
	p->s[1].fd = t;
	if (connect(t, (struct sockaddr *)&target, target_len) == -1 &&
	    errno != EINPROGRESS) {
		close_pair(p);
		return;
	}
	p->connecting = 1;
}

/* Reads from side i of p into the queue of the other side. */
static void
read_side(struct pair *p, int i)
{
	struct side *to = &p->s[!i];
	struct chunk *c;
	char buf[CHUNK];
	ssize_t n;

	n = read(p->s[i].fd, buf, sizeof(buf));
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (silent) {
		if (n <= 0)
			close_pair(p);
		return;
	}
	if (n <= 0) {
		to->eof = 1;	/* shut down the other side once drained */
		p->s[i].rdone = 1;
		if (n < 0 || (p->s[0].rdone && p->s[1].rdone &&
		    p->s[0].head == NULL && p->s[1].head == NULL))
			close_pair(p);
		return;
	}
	c = malloc(sizeof(*c) + (size_t)n);
	if (c == NULL)
		return;
	c->next = NULL;
	c->due = now_ms() + delay_ms;
	c->len = (size_t)n;
	c->off = 0;
	memcpy(c->data, buf, (size_t)n);
	if (to->tail != NULL)
		to->tail->next = c;
	else
		to->head = c;
	to->tail = c;
}

static void
write_side(struct pair *p, int i, long long now)
{
	struct side *s = &p->s[i];
	struct chunk *c;
	ssize_t n;

	while ((c = s->head) != NULL && c->due <= now) {
		n = send(s->fd, c->data + c->off, c->len - c->off,
		    MSG_NOSIGNAL);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n < 0) {
			close_pair(p);
			return;
		}
		c->off += (size_t)n;
		if (c->off < c->len)
			return;
		s->head = c->next;
		if (s->head == NULL)
			s->tail = NULL;
		free(c);
	}
	if (s->head == NULL && s->eof) {
		shutdown(s->fd, SHUT_WR);
		if (p->s[0].rdone && p->s[1].rdone && p->s[!i].head == NULL)
			close_pair(p);
	}
}

int
main(int argc, char **argv)
{
	static struct pollfd pfd[MAXL + 2 * MAXC];
	static int who[MAXL + 2 * MAXC];
	struct sockaddr_storage ss;
	socklen_t sl;
	long long now, wake;
	int ch, i, j, k, one = 1;

	signal(SIGPIPE, SIG_IGN);
	while ((ch = getopt(argc, argv, "d:st:")) != -1) {
		switch (ch) {
		case 'd': delay_ms = atoi(optarg); break;
		case 's': silent = 1; break;
		case 't':
			if (parse_addr(optarg, &target, &target_len) != 0) {
				fprintf(stderr, "tcpfwd: bad target %s\n", optarg);
				return 64;
			}
			break;
		default:
			fprintf(stderr, "usage: tcpfwd [-d ms] -t target "
			    "listen... | tcpfwd -s listen...\n");
			return 64;
		}
	}
	if ((!silent && target_len == 0) || optind >= argc) {
		fprintf(stderr, "tcpfwd: nothing to do\n");
		return 64;
	}
	for (i = optind; i < argc && nl < MAXL; i++) {
		if (parse_addr(argv[i], &ss, &sl) != 0) {
			fprintf(stderr, "tcpfwd: bad address %s\n", argv[i]);
			return 64;
		}
		lfd[nl] = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, 0);
		setsockopt(lfd[nl], SOL_SOCKET, SO_REUSEADDR, &one,
		    sizeof(one));
		if (lfd[nl] == -1 || bind(lfd[nl], (struct sockaddr *)&ss,
		    sl) == -1 || listen(lfd[nl], 128) == -1) {
			fprintf(stderr, "tcpfwd: %s: %s\n", argv[i],
			    strerror(errno));
			return 71;
		}
		nl++;
	}
	for (i = 0; i < MAXC; i++)
		pairs[i].s[0].fd = pairs[i].s[1].fd = -1;
	for (;;) {
		now = now_ms();
		wake = now + 1000;
		k = 0;
		for (i = 0; i < nl; i++) {
			pfd[k].fd = lfd[i];
			pfd[k].events = POLLIN;
			who[k++] = -1;
		}
		for (i = 0; i < MAXC; i++) {
			if (!pairs[i].used)
				continue;
			for (j = 0; j < 2; j++) {
				struct side *s = &pairs[i].s[j];

				if (s->fd == -1)
					continue;
				pfd[k].fd = s->fd;
				pfd[k].events = 0;
				if (j == 1 && pairs[i].connecting)
					pfd[k].events = POLLOUT;
				else if (!pairs[i].connecting && !s->rdone)
					pfd[k].events = POLLIN;
				if (s->head != NULL) {
					if (s->head->due <= now)
						pfd[k].events |= POLLOUT;
					else if (s->head->due < wake)
						wake = s->head->due;
				}
				who[k++] = i * 2 + j;
			}
		}
		if (poll(pfd, (nfds_t)k, (int)(wake - now)) < 0 &&
		    errno != EINTR)
			return 71;
		now = now_ms();
		for (i = 0; i < k; i++) {
			struct pair *p;
			int side;

			if (who[i] == -1) {
				if (pfd[i].revents & POLLIN)
					accept_one(pfd[i].fd);
				continue;
			}
			p = &pairs[who[i] / 2];
			side = who[i] % 2;
			if (!p->used || p->s[side].fd != pfd[i].fd)
				continue;
			if (side == 1 && p->connecting) {
				int err = 0;
				socklen_t el = sizeof(err);

				if (pfd[i].revents == 0)
					continue;
				getsockopt(pfd[i].fd, SOL_SOCKET, SO_ERROR,
				    &err, &el);
				if (err != 0) {
					close_pair(p);
					continue;
				}
				p->connecting = 0;
				continue;
			}
			if ((pfd[i].revents & (POLLIN | POLLHUP | POLLERR)) &&
			    !p->s[side].rdone)
				read_side(p, side);
			if (p->used && p->s[side].fd != -1)
				write_side(p, side, now);
		}
		/* Chunks that came due without a poll event. */
		for (i = 0; i < MAXC; i++)
			for (j = 0; j < 2 && pairs[i].used; j++)
				if (pairs[i].s[j].fd != -1 &&
				    !pairs[i].connecting)
					write_side(&pairs[i], j, now);
	}
}

/*
 * Unit tests: smtp. The reply parser as a table of replies (good,
 * multi-line, bad codes, oversized, garbage) plus a random-input run; the
 * session against a scripted server in a child process over a socketpair:
 * normal, multi-line greeting, no STARTTLS, refusals, data injected after
 * STARTTLS, endless and trickling greetings cut off by the bounds.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "smtp.h"
#include "t.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

static void
test_parse_table(void)
{
	static const struct {
		const char	*in;
		enum smtp_parse	 want;
		int		 code, nlines;
		unsigned	 ext;
		int		 used;		/* -1: the whole input */
		const char	*text;		/* first line, or why (BAD) */
	} rows[] = {
		{ "220 mx.example.org ESMTP\r\n", SMTP_PARSE_OK, 220, 1, 0, -1,
		    "mx.example.org ESMTP" },
		{ "220\r\n", SMTP_PARSE_OK, 220, 1, 0, -1, "" },
		{ "220 bare LF\n", SMTP_PARSE_OK, 220, 1, 0, -1, "bare LF" },
		{ "220-mx.example.org\r\n220-second\r\n220 third\r\n",
		    SMTP_PARSE_OK, 220, 3, 0, -1, "mx.example.org" },
		{ "250-mx\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n"
		    "250-starttls\r\n250 8BITMIME\r\n", SMTP_PARSE_OK, 250, 5,
		    SMTP_EXT_STARTTLS | SMTP_EXT_PIPELINING, -1, "mx" },
		{ "250-mx\r\n250 STARTTLSX\r\n", SMTP_PARSE_OK, 250, 2, 0, -1,
		    "mx" },
		{ "250-mx\r\n250 STARTTLS now\r\n", SMTP_PARSE_OK, 250, 2,
		    SMTP_EXT_STARTTLS, -1, "mx" },
		/* The greeting line itself is not an extension. */
		{ "250 STARTTLS\r\n", SMTP_PARSE_OK, 250, 1, 0, -1, "STARTTLS" },
		{ "250-mx\r\n250-8BITMIME\r\n250 SIZE\r\n", SMTP_PARSE_OK, 250,
		    3, 0, -1, "mx" },
		{ "220 one\r\n250 next\r\n", SMTP_PARSE_OK, 220, 1, 0, 9, "one" },
		{ "554 5.7.1 go away\r\n", SMTP_PARSE_OK, 554, 1, 0, -1,
		    "5.7.1 go away" },
		{ "421-busy\r\n421 try later\r\n", SMTP_PARSE_OK, 421, 2, 0, -1,
		    "busy" },
		{ "220 tab\there\r\n", SMTP_PARSE_OK, 220, 1, 0, -1,
		    "tab?here" },
		/* Incomplete: read more. */
		{ "", SMTP_PARSE_MORE, 0, 0, 0, 0, NULL },
		{ "2", SMTP_PARSE_MORE, 0, 0, 0, 0, NULL },
		{ "22", SMTP_PARSE_MORE, 0, 0, 0, 0, NULL },
		{ "220", SMTP_PARSE_MORE, 0, 0, 0, 0, NULL },
		{ "220 partial", SMTP_PARSE_MORE, 0, 0, 0, 0, NULL },
		{ "220-a\r\n", SMTP_PARSE_MORE, 0, 0, 0, 0, NULL },
		{ "220-a\r\n22", SMTP_PARSE_MORE, 0, 0, 0, 0, NULL },
		{ "220 a\r", SMTP_PARSE_MORE, 0, 0, 0, 0, NULL },
		/* Bad. */
		{ "220-a\r\n250 b\r\n", SMTP_PARSE_BAD, 0, 0, 0, 0,
		    "code changes" },
		{ "220-a\r\n25", SMTP_PARSE_MORE, 0, 0, 0, 0, NULL },
		{ "220-a\r\n250", SMTP_PARSE_BAD, 0, 0, 0, 0, "not an SMTP" },
		{ "600 x\r\n", SMTP_PARSE_BAD, 0, 0, 0, 0, "reply code" },
		{ "199 x\r\n", SMTP_PARSE_BAD, 0, 0, 0, 0, "reply code" },
		{ "260 x\r\n", SMTP_PARSE_BAD, 0, 0, 0, 0, "reply code" },
		{ "2a0 x\r\n", SMTP_PARSE_BAD, 0, 0, 0, 0, "reply code" },
		{ "220x\r\n", SMTP_PARSE_BAD, 0, 0, 0, 0, "separator" },
		{ "22\r\n", SMTP_PARSE_BAD, 0, 0, 0, 0, "reply code" },
		{ "\r\n", SMTP_PARSE_BAD, 0, 0, 0, 0, "reply code" },
		{ " 220 x\r\n", SMTP_PARSE_BAD, 0, 0, 0, 0, "reply code" },
		{ "HTTP/1.1 400 Bad Request\r\n", SMTP_PARSE_BAD, 0, 0, 0, 0,
		    "reply code" },
		/* Garbage is refused before its line ends. */
		{ "HTTP", SMTP_PARSE_BAD, 0, 0, 0, 0, "not an SMTP" },
		{ "\x16\x03\x01\x02", SMTP_PARSE_BAD, 0, 0, 0, 0,
		    "not an SMTP" },
		{ "220!", SMTP_PARSE_BAD, 0, 0, 0, 0, "not an SMTP" },
	};
	struct smtp_reply r;
	const char *why;
	size_t r_i, used, len;
	enum smtp_parse got;

	for (r_i = 0; r_i < NELEM(rows); r_i++) {
		len = strlen(rows[r_i].in);
		why = NULL;
		used = 12345;
		memset(&r, 0, sizeof(r));
		got = smtp_reply_parse(rows[r_i].in, len, &used, &r, &why);
		if (!T_INT(got, rows[r_i].want)) {
			printf("    row %zu: \"%s\" (%s)\n", r_i, rows[r_i].in,
			    why != NULL ? why : "");
			continue;
		}
		if (got == SMTP_PARSE_OK) {
			T_INT(r.code, rows[r_i].code);
			T_INT(r.nlines, rows[r_i].nlines);
			T_INT(r.ext, rows[r_i].ext);
			T_INT(used, rows[r_i].used < 0 ? (int)len :
			    rows[r_i].used);
			T_STR(r.text, rows[r_i].text);
		} else if (got == SMTP_PARSE_BAD) {
			if (!T_CHECK(why != NULL &&
			    strstr(why, rows[r_i].text) != NULL))
				printf("    row %zu: why \"%s\"\n", r_i,
				    why != NULL ? why : "(null)");
		}
	}
}

/* A NUL inside a line, which strlen-based rows cannot carry. */
static void
test_parse_nul(void)
{
	static const char in[] = "220 a\0b\r\n";
	struct smtp_reply r;
	const char *why = NULL;
	size_t used;

	T_INT(smtp_reply_parse(in, sizeof(in) - 1, &used, &r, &why),
	    SMTP_PARSE_BAD);
	T_CHECK(why != NULL && strstr(why, "NUL") != NULL);
	T_INT(smtp_reply_parse("22\0", 3, &used, &r, &why), SMTP_PARSE_BAD);
}

static void
test_parse_bounds(void)
{
	struct smtp_reply r;
	const char *why = NULL;
	size_t used, len, i;
	char *big = malloc(SMTP_REPLY_MAX + SMTP_LINE_MAX + 16);

	/* A line of SMTP_LINE_MAX bytes without its end: too long. */
	memcpy(big, "220 ", 4);
	memset(big + 4, 'x', SMTP_LINE_MAX);
	T_INT(smtp_reply_parse(big, SMTP_LINE_MAX, &used, &r, &why),
	    SMTP_PARSE_BAD);
	T_CHECK(why != NULL && strstr(why, "line longer than 4096 bytes") != NULL);
	/* One byte less, still waiting for its end: more. */
	T_INT(smtp_reply_parse(big, SMTP_LINE_MAX - 1, &used, &r, &why),
	    SMTP_PARSE_MORE);
	/* The longest line allowed, CRLF included, parses. */
	memcpy(big + SMTP_LINE_MAX - 2, "\r\n", 2);
	T_INT(smtp_reply_parse(big, SMTP_LINE_MAX, &used, &r, &why),
	    SMTP_PARSE_OK);
	T_INT(used, SMTP_LINE_MAX);
	T_INT(strlen(r.text), SMTP_TEXT_MAX - 1);

	/* SMTP_REPLY_LINES + 1 lines. */
	for (i = 0, len = 0; i <= SMTP_REPLY_LINES; i++) {
		memcpy(big + len, "220-x\r\n", 7);
		len += 7;
	}
	T_INT(smtp_reply_parse(big, len, &used, &r, &why), SMTP_PARSE_BAD);
	T_CHECK(why != NULL && strstr(why, "more than 128 lines") != NULL);
	/* Exactly SMTP_REPLY_LINES is fine. */
	memcpy(big + (SMTP_REPLY_LINES - 1) * 7, "220 x\r\n", 7);
	T_INT(smtp_reply_parse(big, SMTP_REPLY_LINES * 7, &used, &r, &why),
	    SMTP_PARSE_OK);
	T_INT(r.nlines, SMTP_REPLY_LINES);

	/* A reply that fills the whole buffer without ending. */
	for (len = 0; len + 100 < SMTP_REPLY_MAX; len += 100) {
		memcpy(big + len, "220-", 4);
		memset(big + len + 4, 'y', 94);
		memcpy(big + len + 98, "\r\n", 2);
	}
	memset(big + len, 'z', SMTP_REPLY_MAX - len);
	memcpy(big + len, "220-", 4);
	T_INT(smtp_reply_parse(big, SMTP_REPLY_MAX, &used, &r, &why),
	    SMTP_PARSE_BAD);
	free(big);
}

/*
 * Random input never crashes the parser, and what it says is coherent:
 * OK consumes at least one line and no more than given, MORE and BAD
 * consume nothing. (The fuzz target in tests/fuzz/ does the same
 * under libFuzzer.)
 */
static void
test_parse_random(void)
{
	static const char alphabet[] = "2345-0 \r\nSTARTLS\x00\xff";
	unsigned long long x = 0x9e3779b97f4a7c15ULL;
	char buf[600];
	struct smtp_reply r;
	const char *why;
	size_t used, len, i;
	int iter, bad = 0;
	enum smtp_parse p;

	for (iter = 0; iter < 200000; iter++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		len = (size_t)(x % sizeof(buf));
		for (i = 0; i < len; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			buf[i] = (x & 1) ? alphabet[(x >> 1) %
			    (sizeof(alphabet) - 1)] : (char)(x >> 8);
		}
		used = 0;
		why = NULL;
		p = smtp_reply_parse(buf, len, &used, &r, &why);
		if ((p == SMTP_PARSE_OK && (used < 4 || used > len ||
		    buf[used - 1] != '\n' || r.code < 200 || r.code > 559)) ||
		    (p == SMTP_PARSE_BAD && why == NULL))
			bad++;
	}
	T_INT(bad, 0);
}

/* ---------------------------------------------------------- sessions */

/*
 * The scripted server, in a child: "<TEXT" reads a line and exits 3 if
 * it does not start with TEXT; ">TEXT" writes TEXT; "~MS" sleeps;
 * "*TEXT" writes TEXT forever; "/TEXT" writes TEXT a byte every 50 ms,
 * forever; "." closes the connection. At the end it waits for the client
 * to close.
 */
static void
serve(int fd, const char *const *script)
{
	char line[1024];
	size_t n;
	const char *p;
	char c;

	signal(SIGPIPE, SIG_DFL);
	for (; *script != NULL; script++) {
		p = *script + 1;
		switch (**script) {
		case '<':
			for (n = 0; n < sizeof(line) - 1; n++) {
				if (read(fd, &c, 1) != 1)
					_exit(2);
				line[n] = c;
				if (c == '\n')
					break;
			}
			line[n] = '\0';
			if (strncmp(line, p, strlen(p)) != 0)
				_exit(3);
			break;
		case '>':
			if (write(fd, p, strlen(p)) < 0)
				_exit(2);
			break;
		case '~':
			usleep((useconds_t)atoi(p) * 1000);
			break;
		case '*':
			for (;;)
				if (write(fd, p, strlen(p)) < 0)
					_exit(0);
			break;
		case '.':
			_exit(0);
		case '/':
			for (;;)
				for (n = 0; p[n] != '\0'; n++) {
					if (write(fd, p + n, 1) < 0)
						_exit(0);
					usleep(50000);
				}
			break;
		}
	}
	while (read(fd, &c, 1) > 0)
		;
	_exit(0);
}

static long long
ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Drives the session to READY or FAILED as a caller's poll loop does; the
 * whole conversation must be over within timeout_ms (a server trickling
 * one byte a second is cut off there).
 */
static enum smtp_state
run(struct smtp_session *s, int timeout_ms)
{
	long long deadline = ms_now() + timeout_ms, left;
	struct pollfd pfd;
	int n;

	while ((pfd.events = smtp_events(s)) != 0) {
		if ((left = deadline - ms_now()) <= 0) {
			smtp_fail(s, SMTP_E_TIMEOUT, "no STARTTLS within the "
			    "time allowed");
			break;
		}
		pfd.fd = s->fd;
		pfd.revents = 0;
		n = poll(&pfd, 1, (int)left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			smtp_fail(s, SMTP_E_IO, strerror(errno));
			break;
		}
		if (n > 0)
			(void)smtp_step(s);
	}
	return s->state;
}

/* Runs a session against script; returns its final state. */
static enum smtp_state
session(const char *const *script, int timeout_ms, struct smtp_session *s,
    long long *elapsed)
{
	int sv[2] = { -1, -1 };
	pid_t pid;
	long long t0;
	enum smtp_state st = SMTP_ST_FAILED;

	if (!T_CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0))
		return st;
	if ((pid = fork()) == 0) {
		close(sv[0]);
		serve(sv[1], script);
	}
	close(sv[1]);
	(void)fcntl(sv[0], F_SETFL, fcntl(sv[0], F_GETFL) | O_NONBLOCK);
	smtp_init(s, sv[0], "client.example.org");
	t0 = ms_now();
	st = run(s, timeout_ms);
	if (elapsed != NULL)
		*elapsed = ms_now() - t0;
	close(sv[0]);
	t_kill(&pid);
	return st;
}

static const char *const s_good[] = {
	">220 mx.example.org ESMTP\r\n", "<EHLO client.example.org\r",
	">250-mx.example.org\r\n250-PIPELINING\r\n250-STARTTLS\r\n"
	    "250 8BITMIME\r\n", "<STARTTLS\r", ">220 2.0.0 Ready\r\n", NULL
};
static const char *const s_multi[] = {
	">220-mx.example.org ESMTP\r\n", "~30", ">220-no UCE\r\n",
	">220 welcome\r\n", "<EHLO", ">250-mx\r\n250 STARTTLS\r\n",
	"<STARTTLS", ">220 go ahead\r\n", NULL
};
static const char *const s_early[] = {	/* replies before commands */
	">220 mx\r\n250-mx\r\n250 STARTTLS\r\n", "<EHLO", "<STARTTLS",
	">220 go\r\n", NULL
};
static const char *const s_nostarttls[] = {
	">220 mx\r\n", "<EHLO", ">250-mx\r\n250-PIPELINING\r\n250 SIZE\r\n",
	NULL
};
static const char *const s_554[] = { ">554 5.7.1 no service\r\n", NULL };
static const char *const s_421[] = { ">421 4.3.2 busy\r\n", NULL };
static const char *const s_ehlo5[] = {
	">220 mx\r\n", "<EHLO", ">502 5.5.2 what\r\n", NULL
};
static const char *const s_454[] = {
	">220 mx\r\n", "<EHLO", ">250-mx\r\n250 STARTTLS\r\n", "<STARTTLS",
	">454 4.7.0 TLS not available\r\n", NULL
};
static const char *const s_inject[] = {
	">220 mx\r\n", "<EHLO", ">250-mx\r\n250 STARTTLS\r\n", "<STARTTLS",
	">220 go\r\nRSET\r\n", NULL
};
static const char *const s_garbage[] = { ">HTTP/1.0 200 OK\r\n", NULL };
static const char *const s_endless[] = { "*220-spam spam spam\r\n", NULL };
static const char *const s_trickle[] = { "/220-slow\r\n", NULL };
static const char *const s_silent[] = { "~5000", NULL };
static const char *const s_close[] = { ">220 mx\r\n", "<EHLO", ".", NULL };
static const char *const s_longline[] = { "*220-xxxxxxxxxxxxxxxxxxxx", NULL };
static const char *const s_ehlo_endless[] = { ">220 mx\r\n", "<EHLO",
    ">250-mx\r\n", "*250-X-SPAM spam spam\r\n", NULL };
static const char *const s_ehlo_longline[] = { ">220 mx\r\n", "<EHLO",
    ">250-mx\r\n", "*250-STARTTLS", NULL };

static void
test_sessions(void)
{
	static const struct {
		const char		*name;
		const char *const	*script;
		int			 timeout_ms;
		enum smtp_state		 state;
		enum smtp_error		 error;
		const char		*detail;	/* substring */
		long long		 max_ms;
	} rows[] = {
		{ "good", s_good, 3000, SMTP_ST_READY, SMTP_E_NONE, "", 2000 },
		{ "multi-line greeting", s_multi, 3000, SMTP_ST_READY,
		    SMTP_E_NONE, "", 2000 },
		{ "replies before commands", s_early, 3000, SMTP_ST_READY,
		    SMTP_E_NONE, "", 2000 },
		{ "no STARTTLS", s_nostarttls, 3000, SMTP_ST_FAILED,
		    SMTP_E_NO_STARTTLS, "STARTTLS not offered", 2000 },
		{ "554 greeting", s_554, 3000, SMTP_ST_FAILED, SMTP_E_REJECTED,
		    "greeting: 554 5.7.1 no service", 2000 },
		{ "421 greeting", s_421, 3000, SMTP_ST_FAILED, SMTP_E_TEMPFAIL,
		    "421", 2000 },
		{ "EHLO refused", s_ehlo5, 3000, SMTP_ST_FAILED,
		    SMTP_E_REJECTED, "EHLO: 502", 2000 },
		{ "STARTTLS 454", s_454, 3000, SMTP_ST_FAILED, SMTP_E_TEMPFAIL,
		    "STARTTLS: 454", 2000 },
		{ "data injected after STARTTLS", s_inject, 3000,
		    SMTP_ST_FAILED, SMTP_E_PIPELINED, "after its reply", 2000 },
		{ "garbage", s_garbage, 3000, SMTP_ST_FAILED, SMTP_E_PROTOCOL,
		    "reply code", 2000 },
		{ "endless greeting", s_endless, 5000, SMTP_ST_FAILED,
		    SMTP_E_PROTOCOL, "greeting: more than 128 lines", 2000 },
		{ "endless line", s_longline, 5000, SMTP_ST_FAILED,
		    SMTP_E_PROTOCOL, "greeting: a reply line longer than 4096",
		    2000 },
		{ "endless EHLO reply", s_ehlo_endless, 5000, SMTP_ST_FAILED,
		    SMTP_E_PROTOCOL, "EHLO reply: more than 128 lines", 2000 },
		{ "endless EHLO line", s_ehlo_longline, 5000, SMTP_ST_FAILED,
		    SMTP_E_PROTOCOL, "EHLO reply: a reply line longer than",
		    2000 },
		{ "trickling greeting", s_trickle, 700, SMTP_ST_FAILED,
		    SMTP_E_TIMEOUT, "time allowed", 1500 },
		{ "silent server", s_silent, 500, SMTP_ST_FAILED,
		    SMTP_E_TIMEOUT, "", 1500 },
		{ "closed after EHLO", s_close, 3000, SMTP_ST_FAILED,
		    SMTP_E_CLOSED, "closed", 2000 },
	};
	struct smtp_session *s = malloc(sizeof(*s));
	long long el = 0;
	size_t i;

	for (i = 0; i < NELEM(rows); i++) {
		session(rows[i].script, rows[i].timeout_ms, s, &el);
		if (!T_STR(smtp_state_str(s->state),
		    smtp_state_str(rows[i].state)) ||
		    !T_INT(s->error, rows[i].error) ||
		    !T_CHECK(strstr(s->detail, rows[i].detail) != NULL) ||
		    !T_CHECK(el <= rows[i].max_ms))
			printf("    %s: %s error %d \"%s\" %lld ms\n",
			    rows[i].name, smtp_state_str(s->state),
			    (int)s->error, s->detail, el);
	}
	/* The good session kept what it saw. */
	session(s_multi, 3000, s, NULL);
	T_INT(s->banner.code, 220);
	T_INT(s->banner.nlines, 3);
	T_STR(s->banner.text, "mx.example.org ESMTP");
	T_CHECK(s->last.code == 220);
	free(s);
}

static void
test_names(void)
{
	T_STR(smtp_state_str(SMTP_ST_STARTTLS_REPLY), "starttls-reply");
	T_STR(smtp_state_str((enum smtp_state)99), "unknown");
}

static const struct t_case cases[] = {
	{ "reply parser: table", test_parse_table },
	{ "reply parser: NUL bytes", test_parse_nul },
	{ "reply parser: line, line count and size bounds",
	    test_parse_bounds },
	{ "reply parser: random input", test_parse_random },
	{ "sessions against scripted servers", test_sessions },
	{ "state names", test_names },
};

T_MAIN(cases)

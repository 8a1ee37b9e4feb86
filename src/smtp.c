/*
 * smtp - SMTP up to STARTTLS: a pure reply parser and a non-blocking
 * client state machine. See include/smtp.h.
 *
 * The parser is re-run over the whole buffered reply after every read; a
 * reply is at most SMTP_REPLY_MAX bytes, so a server trickling bytes costs
 * little, and the caller's deadline ends it. Bytes that arrive before the
 * client's next command stay buffered and are read as the next reply, as a
 * real client would; only bytes after the 220 to STARTTLS are refused,
 * because a client that kept them would treat plaintext injected by a
 * man in the middle as part of the TLS session (the CVE-2011-0411 class).
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "smtp.h"

/* A limit's value inside a message: the reader is told what was cut. */
#define STR_(x)		#x
#define STR(x)		STR_(x)

const char *
smtp_state_str(enum smtp_state s)
{
	switch (s) {
	case SMTP_ST_BANNER:		return "banner";
	case SMTP_ST_EHLO_SEND:		return "ehlo-send";
	case SMTP_ST_EHLO_REPLY:	return "ehlo-reply";
	case SMTP_ST_STARTTLS_SEND:	return "starttls-send";
	case SMTP_ST_STARTTLS_REPLY:	return "starttls-reply";
	case SMTP_ST_READY:		return "ready";
	case SMTP_ST_FAILED:		return "failed";
	}
	return "unknown";
}

/* Is the start of a line (no newline yet) still a possible reply line? */
static int
prefix_ok(const char *p, size_t n, int code, int first)
{
	size_t i;

	if (memchr(p, '\0', n) != NULL)
		return 0;
	for (i = 0; i < n && i < 3; i++) {
		if (p[i] < '0' || p[i] > '9')
			return 0;
		if ((i == 0 && (p[i] < '2' || p[i] > '5')) ||
		    (i == 1 && p[i] > '5'))
			return 0;
	}
	if (!first && n >= 3 &&
	    (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0') != code)
		return 0;
	if (n >= 4 && p[3] != ' ' && p[3] != '-' && p[3] != '\r')
		return 0;
	return 1;
}

/* Does the text of an EHLO line start with the keyword kw? */
static int
is_keyword(const char *text, size_t len, const char *kw)
{
	size_t k = strlen(kw);

	if (len < k || strncasecmp(text, kw, k) != 0)
		return 0;
	return len == k || text[k] == ' ';
}

enum smtp_parse
smtp_reply_parse(const char *buf, size_t len, size_t *used,
    struct smtp_reply *r, const char **why)
{
	struct smtp_reply out;
	const char *line, *nl, *text, *reason = NULL;
	size_t off = 0, avail, scan, linelen, textlen, i, k;
	int code = 0, c, last = 0;

	memset(&out, 0, sizeof(out));
	while (!last) {
		line = buf + off;
		avail = len - off;
		scan = avail < SMTP_LINE_MAX ? avail : SMTP_LINE_MAX;
		if ((nl = memchr(line, '\n', scan)) == NULL) {
			if (avail >= SMTP_LINE_MAX)
				reason = "a reply line longer than "
				    STR(SMTP_LINE_MAX) " bytes";
			else if (len >= SMTP_REPLY_MAX)
				reason = "a reply longer than "
				    STR(SMTP_REPLY_MAX) " bytes";
			else if (!prefix_ok(line, avail, code, out.nlines == 0))
				reason = "not an SMTP reply line";
			if (reason != NULL)
				goto bad;
			return SMTP_PARSE_MORE;
		}
		linelen = (size_t)(nl - line);
		if (linelen > 0 && line[linelen - 1] == '\r')
			linelen--;
		if (memchr(line, '\0', linelen) != NULL) {
			reason = "NUL byte in reply";
			goto bad;
		}
		if (linelen < 3 || line[0] < '2' || line[0] > '5' ||
		    line[1] < '0' || line[1] > '5' ||
		    line[2] < '0' || line[2] > '9') {
			reason = "no valid reply code";
			goto bad;
		}
		c = (line[0] - '0') * 100 + (line[1] - '0') * 10 +
		    (line[2] - '0');
		if (out.nlines == 0)
			code = c;
		else if (c != code) {
			reason = "reply code changes within a reply";
			goto bad;
		}
		if (linelen == 3 || line[3] == ' ')
			last = 1;
		else if (line[3] != '-') {
			reason = "bad separator after the reply code";
			goto bad;
		}
		text = linelen > 4 ? line + 4 : line + linelen;
		textlen = linelen > 4 ? linelen - 4 : 0;
		if (out.nlines == 0) {
			for (i = 0, k = 0; i < textlen &&
			    k < sizeof(out.text) - 1; i++, k++)
				out.text[k] = text[i] >= 0x20 && text[i] < 0x7f ?
				    text[i] : '?';
			out.text[k] = '\0';
		} else if (is_keyword(text, textlen, "STARTTLS"))
			out.ext |= SMTP_EXT_STARTTLS;
		else if (is_keyword(text, textlen, "PIPELINING"))
			out.ext |= SMTP_EXT_PIPELINING;
		if (++out.nlines > SMTP_REPLY_LINES) {
			reason = "more than " STR(SMTP_REPLY_LINES)
			    " lines in one reply";
			goto bad;
		}
		off = (size_t)(nl - buf) + 1;
		if (off > SMTP_REPLY_MAX) {
			reason = "a reply longer than " STR(SMTP_REPLY_MAX)
			    " bytes";
			goto bad;
		}
	}
	out.code = code;
	*r = out;
	*used = off;
	return SMTP_PARSE_OK;
bad:
	if (why != NULL)
		*why = reason;
	return SMTP_PARSE_BAD;
}

void
smtp_init(struct smtp_session *s, int fd, const char *helo)
{
	memset(s, 0, sizeof(*s));
	s->fd = fd;
	s->state = SMTP_ST_BANNER;
	snprintf(s->helo, sizeof(s->helo), "%s", helo);
}

short
smtp_events(const struct smtp_session *s)
{
	switch (s->state) {
	case SMTP_ST_BANNER:
	case SMTP_ST_EHLO_REPLY:
	case SMTP_ST_STARTTLS_REPLY:
		return POLLIN;
	case SMTP_ST_EHLO_SEND:
	case SMTP_ST_STARTTLS_SEND:
		return POLLOUT;
	default:
		return 0;
	}
}

void
smtp_fail(struct smtp_session *s, enum smtp_error e, const char *detail)
{
	s->state = SMTP_ST_FAILED;
	s->error = e;
	snprintf(s->detail, sizeof(s->detail), "%s", detail);
}

/* Fails with "WHAT: CODE TEXT" for an unwanted reply. */
static void
fail_reply(struct smtp_session *s, const char *what)
{
	const struct smtp_reply *r = &s->last;
	enum smtp_error e;

	if (r->code >= 400 && r->code < 500)
		e = SMTP_E_TEMPFAIL;
	else if (r->code >= 500)
		e = SMTP_E_REJECTED;
	else
		e = SMTP_E_PROTOCOL;
	s->state = SMTP_ST_FAILED;
	s->error = e;
	snprintf(s->detail, sizeof(s->detail), "%s: %d %s", what, r->code,
	    r->text);
}

static void
queue_command(struct smtp_session *s, const char *cmd, enum smtp_state next)
{
	int n;

	n = snprintf(s->out, sizeof(s->out), "%s\r\n", cmd);
	s->outlen = n > 0 && (size_t)n < sizeof(s->out) ? (size_t)n : 0;
	s->outoff = 0;
	s->state = next;
}

/* Acts on the reply in s->last; rest: bytes buffered after it. */
static void
on_reply(struct smtp_session *s, size_t rest)
{
	char cmd[sizeof(s->helo) + 8];

	switch (s->state) {
	case SMTP_ST_BANNER:
		s->banner = s->last;
		if (s->last.code != 220) {
			fail_reply(s, "greeting");
			return;
		}
		snprintf(cmd, sizeof(cmd), "EHLO %s", s->helo);
		queue_command(s, cmd, SMTP_ST_EHLO_SEND);
		return;
	case SMTP_ST_EHLO_REPLY:
		if (s->last.code != 250) {
			fail_reply(s, "EHLO");
			return;
		}
		if (!(s->last.ext & SMTP_EXT_STARTTLS)) {
			smtp_fail(s, SMTP_E_NO_STARTTLS,
			    "STARTTLS not offered in the EHLO reply");
			return;
		}
		queue_command(s, "STARTTLS", SMTP_ST_STARTTLS_SEND);
		return;
	case SMTP_ST_STARTTLS_REPLY:
		if (s->last.code != 220) {
			fail_reply(s, "STARTTLS");
			return;
		}
		if (rest > 0) {
			smtp_fail(s, SMTP_E_PIPELINED, "the server sent data "
			    "after its reply to STARTTLS");
			return;
		}
		s->state = SMTP_ST_READY;
		return;
	default:
		return;
	}
}

/* What the session waits for, in a message. */
static const char *
awaited(const struct smtp_session *s)
{
	switch (s->state) {
	case SMTP_ST_BANNER:		return "greeting";
	case SMTP_ST_EHLO_REPLY:	return "EHLO reply";
	case SMTP_ST_STARTTLS_REPLY:	return "STARTTLS reply";
	default:			return "reply";
	}
}

/* Parses every whole reply buffered while a reply is awaited; eof: the
 * server has closed its side. */
static void
parse_buffered(struct smtp_session *s, int eof)
{
	struct smtp_reply r;
	const char *why = NULL;
	char detail[sizeof(s->detail)];
	size_t used;

	while (smtp_events(s) == POLLIN) {
		switch (smtp_reply_parse(s->in, s->inlen, &used, &r, &why)) {
		case SMTP_PARSE_MORE:
			if (eof)
				smtp_fail(s, SMTP_E_CLOSED, s->inlen > 0 ?
				    "connection closed within a reply" :
				    "connection closed by the server");
			return;
		case SMTP_PARSE_BAD:
			snprintf(detail, sizeof(detail), "%s: %s", awaited(s),
			    why);
			smtp_fail(s, SMTP_E_PROTOCOL, detail);
			return;
		case SMTP_PARSE_OK:
			s->last = r;
			memmove(s->in, s->in + used, s->inlen - used);
			s->inlen -= used;
			on_reply(s, s->inlen);
			break;
		}
	}
}

static void
do_write(struct smtp_session *s)
{
	ssize_t n;

	while (s->outoff < s->outlen) {
		n = send(s->fd, s->out + s->outoff, s->outlen - s->outoff,
		    MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			smtp_fail(s, SMTP_E_IO, strerror(errno));
			return;
		}
		s->outoff += (size_t)n;
	}
	s->state = s->state == SMTP_ST_EHLO_SEND ? SMTP_ST_EHLO_REPLY :
	    SMTP_ST_STARTTLS_REPLY;
	/* A reply that came early (before the command) is already here:
	 * poll would not wake up for it. */
	if (s->inlen > 0)
		parse_buffered(s, 0);
}

/* Reads what is there, then parses every whole reply buffered. */
static void
do_read(struct smtp_session *s)
{
	ssize_t n;
	int eof = 0;

	for (;;) {
		if (s->inlen == sizeof(s->in))
			break;	/* full: the parser says why */
		n = read(s->fd, s->in + s->inlen, sizeof(s->in) - s->inlen);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n < 0) {
			smtp_fail(s, SMTP_E_IO, strerror(errno));
			return;
		}
		if (n == 0) {
			eof = 1;
			break;
		}
		s->inlen += (size_t)n;
		s->total += (size_t)n;
		if (s->total > SMTP_SESSION_MAX) {
			smtp_fail(s, SMTP_E_PROTOCOL, "the server sent more "
			    "than " STR(SMTP_SESSION_MAX) " bytes before TLS");
			return;
		}
	}
	parse_buffered(s, eof);
}

enum smtp_state
smtp_step(struct smtp_session *s)
{
	switch (smtp_events(s)) {
	case POLLIN:
		do_read(s);
		break;
	case POLLOUT:
		do_write(s);
		break;
	default:
		break;
	}
	return s->state;
}

/*
 * smtp - the client side of an SMTP conversation up to STARTTLS, as a
 * non-blocking state machine over a connected socket:
 *
 *   banner (220, multi-line allowed) -> EHLO -> extension list must name
 *   STARTTLS -> STARTTLS -> 220 -> ready for the TLS handshake
 *
 * smtp_reply_parse() is a pure function: it reads one reply from a buffer
 * and never touches the network, so it can be tested as a table and
 * fuzzed. Everything the server sends is bounded: SMTP_LINE_MAX bytes per
 * line, SMTP_REPLY_LINES lines and SMTP_REPLY_MAX bytes per reply,
 * SMTP_SESSION_MAX bytes for the whole conversation. A server that breaks a
 * bound fails the session at once; time is bounded by the caller, who
 * drives smtp_step() from its poll loop and owns the deadlines.
 *
 * A session holds no heap memory and does not own its socket: the caller
 * closes fd. Failures are not logged here; the session keeps an error code
 * and a one-line detail for the caller to report once.
 */
#ifndef DANEROLL_SMTP_H
#define DANEROLL_SMTP_H

#include <stddef.h>

#define SMTP_LINE_MAX		4096	/* bytes in one reply line, CRLF too */
#define SMTP_REPLY_LINES	128	/* lines in one reply */
#define SMTP_REPLY_MAX		16384	/* bytes in one reply */
#define SMTP_SESSION_MAX	65536	/* bytes read in the whole session */
#define SMTP_TEXT_MAX		160	/* first line kept for messages */

/* Extension keywords smtp_reply_parse() recognises in an EHLO reply. */
#define SMTP_EXT_STARTTLS	0x01
#define SMTP_EXT_PIPELINING	0x02

struct smtp_reply {
	int		 code;			/* 200..559 */
	int		 nlines;
	unsigned	 ext;			/* SMTP_EXT_* of lines 2..n */
	char		 text[SMTP_TEXT_MAX];	/* first line after the code,
						 * printable ASCII only */
};

enum smtp_parse {
	SMTP_PARSE_OK = 0,	/* one whole reply; *used bytes consumed */
	SMTP_PARSE_MORE,	/* a valid beginning: read more */
	SMTP_PARSE_BAD		/* not an SMTP reply, or over a bound */
};

/*
 * Parses the reply at the start of buf[0..len). Lines end in CRLF (a bare
 * LF is accepted); each is three digits (first 2-5, second 0-5), then '-'
 * (more lines follow), ' ' or the end of the line, and every line carries
 * the same code. NUL bytes are refused. On SMTP_PARSE_BAD, *why (if not
 * NULL) points at a static description. r is filled on SMTP_PARSE_OK.
 */
enum smtp_parse	 smtp_reply_parse(const char *buf, size_t len, size_t *used,
		    struct smtp_reply *r, const char **why);

enum smtp_state {
	SMTP_ST_BANNER = 0,	/* waiting for the greeting */
	SMTP_ST_EHLO_SEND,
	SMTP_ST_EHLO_REPLY,
	SMTP_ST_STARTTLS_SEND,
	SMTP_ST_STARTTLS_REPLY,
	SMTP_ST_READY,		/* 220 to STARTTLS: hand fd to TLS */
	SMTP_ST_FAILED
};
const char	*smtp_state_str(enum smtp_state);

enum smtp_error {
	SMTP_E_NONE = 0,
	SMTP_E_IO,		/* read/write error, connection reset */
	SMTP_E_CLOSED,		/* the server closed the connection */
	SMTP_E_PROTOCOL,	/* not an SMTP reply, or over a bound */
	SMTP_E_TEMPFAIL,	/* a 4xx reply (banner, EHLO or STARTTLS) */
	SMTP_E_REJECTED,	/* a 5xx reply */
	SMTP_E_NO_STARTTLS,	/* EHLO reply without STARTTLS */
	SMTP_E_PIPELINED,	/* bytes after the 220 to STARTTLS */
	SMTP_E_TIMEOUT		/* set by the caller */
};

struct smtp_session {
	enum smtp_state	 state;
	enum smtp_error	 error;
	int		 fd;
	char		 helo[256];
	char		 in[SMTP_REPLY_MAX];
	size_t		 inlen;
	size_t		 total;		/* bytes read so far */
	char		 out[300];
	size_t		 outlen, outoff;
	struct smtp_reply banner;	/* the greeting */
	struct smtp_reply last;		/* the latest reply */
	char		 detail[256];	/* why it failed, one line */
};

/* Starts a session on a connected (ideally non-blocking) socket; helo is
 * the name sent with EHLO (truncated to 255 bytes). */
void		 smtp_init(struct smtp_session *, int fd, const char *helo);
/* POLLIN or POLLOUT for the next step; 0 once READY or FAILED. */
short		 smtp_events(const struct smtp_session *);
/*
 * Does what the socket allows now (reads until EAGAIN, or writes) and
 * returns the new state. Call it when poll() reports smtp_events(). Never
 * blocks on a non-blocking socket.
 */
enum smtp_state	 smtp_step(struct smtp_session *);
/* Marks the session failed with err and a detail (the caller's timeout). */
void		 smtp_fail(struct smtp_session *, enum smtp_error,
		    const char *detail);

#endif

/*
 * fuzz_smtp_session - libFuzzer target for the SMTP client state machine
 * up to STARTTLS (smtp_init/smtp_step): the input is everything the
 * server sends, already waiting on a socketpair whose server side then
 * closes; what the client writes is read and dropped.
 *
 * Checks: the session ends (READY or FAILED) within a bounded number of
 * steps; a failure carries an error code and a printable one-line
 * detail; READY only after a server that named STARTTLS; never more than
 * SMTP_SESSION_MAX bytes read.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fuzz.h"
#include "smtp.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static struct smtp_session s;
	char sink[4096];
	int sv[2], steps = 0;
	size_t off = 0, i;
	ssize_t n;

	if (len > 65536 || socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
		return 0;
	(void)fcntl(sv[0], F_SETFL, O_NONBLOCK);
	(void)fcntl(sv[1], F_SETFL, O_NONBLOCK);
	while (off < len && (n = write(sv[1], data + off, len - off)) > 0)
		off += (size_t)n;
	if (off < len)
		goto out;	/* the socket buffer is smaller: not a case */
	(void)shutdown(sv[1], SHUT_WR);
	smtp_init(&s, sv[0], "client.example.org");
	while (smtp_events(&s) != 0) {
		if (++steps > 100000)
			abort();	/* a session that never ends */
		(void)smtp_step(&s);
		while (read(sv[1], sink, sizeof(sink)) > 0)
			;
	}
	if (s.state != SMTP_ST_READY && s.state != SMTP_ST_FAILED)
		abort();
	if (s.total > SMTP_SESSION_MAX)
		abort();
	if (s.state == SMTP_ST_FAILED) {
		if (s.error == SMTP_E_NONE ||
		    memchr(s.detail, '\0', sizeof(s.detail)) == NULL)
			abort();
		for (i = 0; s.detail[i] != '\0'; i++)
			if (s.detail[i] == '\n' || s.detail[i] == '\r')
				abort();
	}
	if (s.state == SMTP_ST_READY &&
	    memmem(data, len, "STARTTLS", 8) == NULL &&
	    memmem(data, len, "starttls", 8) == NULL) {
		/* Mixed case is allowed: look harder before calling it. */
		for (i = 0; i + 8 <= len; i++)
			if (strncasecmp((const char *)data + i, "STARTTLS", 8) == 0)
				break;
		if (i + 8 > len)
			abort();
	}
out:
	close(sv[0]);
	close(sv[1]);
	return 0;
}

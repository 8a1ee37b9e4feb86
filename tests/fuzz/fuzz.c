/*
 * fuzz.c - see fuzz.h. One temp file per process, rewritten in place for
 * every input; unlinked by an atexit handler.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"
#include "log.h"

static char	 path[64];
static int	 fd = -1;
static const char *secret;

static void
cleanup(void)
{
	if (fd != -1)
		unlink(path);
}

void
fuzz_quiet(void)
{
	log_init(-2, 0);
}

static void
secret_sink(enum log_level lvl, const char *line, void *arg)
{
	(void)lvl;
	(void)arg;
	if (strstr(line, secret) != NULL)
		abort();
}

void
fuzz_never_logs(const char *s)
{
	fuzz_quiet();
	secret = s;
	log_set_sink(secret_sink, NULL);
}

const char *
fuzz_file(const uint8_t *data, size_t len)
{
	size_t off = 0;
	ssize_t n;

	if (fd == -1) {
		mode_t old = umask(077);

		snprintf(path, sizeof(path), "/tmp/daneroll-fuzz.XXXXXX");
		fd = mkstemp(path);
		umask(old);
		if (fd == -1)
			abort();
		atexit(cleanup);
	}
	if (ftruncate(fd, 0) != 0)
		abort();
	while (off < len) {
		if ((n = pwrite(fd, data + off, len - off, (off_t)off)) <= 0)
			abort();
		off += (size_t)n;
	}
	return path;
}

char *
fuzz_str(const uint8_t *data, size_t len)
{
	char *s = malloc(len + 1);

	if (s == NULL)
		abort();
	memcpy(s, data, len);
	s[len] = '\0';
	return s;
}

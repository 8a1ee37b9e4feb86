/*
 * lock - one flock(2)ed file per TLSA owner name under STATE_DIR/locks.
 * See include/lock.h.
 *
 * Names are canonicalised (lower case, no trailing dot) so that
 * "MX.example.org." and "mx.example.org" are the same lock, then sorted
 * and deduplicated: flock conflicts between two descriptors of one file
 * even within a process, and a global order means two runs with
 * overlapping sets cannot deadlock. A name becomes a file name only after
 * it has been checked to be [A-Za-z0-9._-] without "..", so it cannot
 * leave the locks directory.
 *
 * The holder writes its pid into the file, only so that a waiter can say
 * who it waited for. Lock files are never removed: unlinking a lock file
 * races with a process that has just opened it.
 *
 * lock_acquire gives the caller a lock_set, freed by lock_release (which
 * also releases the locks; so does process exit, even by SIGKILL).
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "fsutil.h"
#include "lock.h"
#include "log.h"
#include "util.h"

#define LOCK_POLL_MS	50

struct lock_set {
	int	 n;
	int	*fds;
	char	**names;
};

/* True if s is printable ASCII, so that it can be quoted in a message. */
static int
printable(const char *s)
{
	for (; *s != '\0'; s++)
		if (*s < 0x20 || *s > 0x7e)
			return 0;
	return 1;
}

/* The canonical lock file name for a DNS owner name, or NULL (logged). */
static char *
lock_name(const char *name)
{
	char *s = NULL, *p;
	size_t len;

	if (name == NULL || !printable(name)) {
		log_err("lock: invalid name (control or non-ASCII "
		    "characters)");
		goto out;
	}
	len = strlen(name);
	if (len > 0 && name[len - 1] == '.')
		len--;
	s = xasprintf("%.*s", (int)len, name);
	for (p = s; *p != '\0'; p++) {
		if (!isalnum((unsigned char)*p) && *p != '.' && *p != '_' &&
		    *p != '-')
			break;
		*p = (char)tolower((unsigned char)*p);
	}
	if (len == 0 || len > 253 || *p != '\0' || s[0] == '.' ||
	    strstr(s, "..") != NULL) {
		log_err("lock: invalid name \"%s\": a DNS name of letters, "
		    "digits, '.', '_' and '-' without empty labels is needed",
		    name);
		free(s);
		s = NULL;
	}
out:
	return s;
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The pid a holder wrote into fd, or 0 if none is there (yet). */
static long
holder_pid(int fd)
{
	char buf[32];
	ssize_t n;
	char *end;
	long pid;

	n = pread(fd, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	pid = strtol(buf, &end, 10);
	if (end == buf || (*end != '\n' && *end != '\0') || pid <= 0)
		return 0;
	return pid;
}

/*
 * Takes an exclusive flock on fd, retrying until deadline_ms.
 * OUT_OK, OUT_TEMPFAIL when the deadline passed, OUT_PERMFAIL on error.
 */
static enum outcome
lock_wait(int fd, const char *path, int64_t deadline_ms)
{
	for (;;) {
		struct timespec ts;
		int64_t left;

		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			return OUT_OK;
		if (errno == EINTR)
			continue;
		if (errno != EWOULDBLOCK) {
			log_err("%s: flock: %s", path, strerror(errno));
			return OUT_PERMFAIL;
		}
		left = deadline_ms - util_mono_ms();
		if (left <= 0)
			return OUT_TEMPFAIL;
		if (left > LOCK_POLL_MS)
			left = LOCK_POLL_MS;
		ts.tv_sec = 0;
		ts.tv_nsec = (long)left * 1000000;
		(void)nanosleep(&ts, NULL);
	}
}

enum outcome
lock_acquire(const char *state_dir, const char *const *names, int nnames,
    int64_t timeout_secs, struct lock_set **out)
{
	struct lock_set *set = NULL;
	char *dir = NULL, *path = NULL, **sorted = NULL, pidbuf[32], dur[32];
	int64_t deadline;
	enum outcome ret = OUT_PERMFAIL, r;
	int i, n = 0, fd = -1, len;

	*out = NULL;
	if (nnames < 0 || (nnames > 0 && names == NULL)) {
		log_err("lock: no names given");
		goto out;
	}
	sorted = xcalloc((size_t)nnames + 1, sizeof(*sorted));
	for (i = 0; i < nnames; i++)
		if ((sorted[i] = lock_name(names[i])) == NULL)
			goto out;
	qsort(sorted, (size_t)nnames, sizeof(*sorted), cmp_names);
	for (i = 0; i < nnames; i++) {
		if (n > 0 && strcmp(sorted[n - 1], sorted[i]) == 0) {
			free(sorted[i]);
			sorted[i] = NULL;
			continue;
		}
		sorted[n] = sorted[i];
		if (n != i)
			sorted[i] = NULL;
		n++;
	}

	dir = xasprintf("%s/locks", state_dir);
	/* Usually there already: one stat instead of a mkdir per level. */
	if (!fs_exists(dir) && fs_mkdirs(dir, 0700) < 0)
		goto out;
	if (timeout_secs <= 0)
		deadline = util_mono_ms();	/* one try */
	else if (timeout_secs > INT64_MAX / 2000)
		deadline = INT64_MAX;
	else
		deadline = util_mono_ms() + timeout_secs * 1000;

	set = xcalloc(1, sizeof(*set));
	set->fds = xcalloc((size_t)n + 1, sizeof(*set->fds));
	set->names = sorted;
	sorted = NULL;
	for (i = 0; i < n; i++) {
		free(path);
		path = xasprintf("%s/%s", dir, set->names[i]);
		fd = open(path, O_CREAT | O_RDWR | O_CLOEXEC | O_NOFOLLOW |
		    O_NOCTTY, 0600);
		if (fd < 0) {
			log_err("%s: %s", path, strerror(errno));
			goto out;
		}
		if ((r = lock_wait(fd, path, deadline)) != OUT_OK) {
			if (r == OUT_TEMPFAIL) {
				long pid = holder_pid(fd);

				if (pid > 0)
					snprintf(pidbuf, sizeof(pidbuf),
					    "pid %ld", pid);
				else
					snprintf(pidbuf, sizeof(pidbuf),
					    "a process");
				log_err("%s is locked by %s (another daneroll "
				    "run); gave up after %s", set->names[i],
				    pidbuf, util_fmt_duration(timeout_secs > 0 ?
				    timeout_secs : 0, dur, sizeof(dur)));
			}
			ret = r;
			goto out;
		}
		set->fds[set->n++] = fd;
		fd = -1;
		/* Only for the messages of those who wait for us. */
		len = snprintf(pidbuf, sizeof(pidbuf), "%ld\n",
		    (long)getpid());
		if (ftruncate(set->fds[i], 0) < 0 ||
		    pwrite(set->fds[i], pidbuf, (size_t)len, 0) != len)
			log_debug("%s: cannot record our pid: %s", path,
			    strerror(errno));
	}
	*out = set;
	set = NULL;
	ret = OUT_OK;
out:
	if (fd >= 0)
		(void)close(fd);
	lock_release(set);
	if (sorted != NULL) {
		for (i = 0; i < nnames; i++)
			free(sorted[i]);
		free(sorted);
	}
	free(path);
	free(dir);
	return ret;
}

void
lock_release(struct lock_set *set)
{
	int i;

	if (set == NULL)
		return;
	for (i = 0; i < set->n; i++) {
		/* Leave no stale pid behind for the next waiter to quote;
		 * a pid left there only makes a waiter's message stale. */
		if (ftruncate(set->fds[i], 0) == -1)
			log_info("lock: %s: ftruncate: %s", set->names != NULL &&
			    set->names[i] != NULL ? set->names[i] : "?",
			    strerror(errno));
		(void)close(set->fds[i]);
	}
	for (i = 0; set->names != NULL && set->names[i] != NULL; i++)
		free(set->names[i]);
	free(set->names);
	free(set->fds);
	free(set);
}

/* Unit tests: lock (flock per owner name, across processes). */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lock.h"
#include "t.h"
#include "util.h"

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A fresh state directory per case. */
static const char *
state_dir(const char *name)
{
	const char *p = t_path(name);

	(void)mkdir(p, 0700);
	return p;
}

/*
 * Forks a child that takes names and holds them for hold_ms (or until
 * killed when hold_ms < 0). Returns its pid once it holds the lock, or -1.
 * Children leave with _exit: exit() would run the harness's clean-up.
 */
static pid_t
hold_in_child(const char *dir, const char *const *names, int n, int hold_ms)
{
	struct lock_set *set = NULL;
	int p[2];
	char c = 0;
	pid_t pid;

	if (pipe(p) < 0)
		return -1;
	fflush(stdout);
	if ((pid = fork()) == 0) {
		close(p[0]);
		if (lock_acquire(dir, names, n, 5, &set) != OUT_OK)
			_exit(1);
		(void)write(p[1], "L", 1);
		if (hold_ms < 0)
			for (;;)
				pause();
		usleep((useconds_t)hold_ms * 1000);
		lock_release(set);
		_exit(0);
	}
	close(p[1]);
	if (pid < 0 || read(p[0], &c, 1) != 1 || c != 'L') {
		close(p[0]);
		return -1;
	}
	close(p[0]);
	return pid;
}

/* Waits for pid at most secs; kills it after that. Returns exit status. */
static int
reap(pid_t pid, double secs)
{
	double t0 = now_s();
	int st = 0;

	for (;;) {
		pid_t r = waitpid(pid, &st, WNOHANG);

		if (r == pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : 128 +
			    WTERMSIG(st);
		if (r < 0)
			return -1;
		if (now_s() - t0 > secs) {
			t_kill(&pid);
			return -2;
		}
		usleep(10000);
	}
}

static void
test_wait_and_timeout(void)
{
	const char *dir = state_dir("s1");
	const char *names[] = { "mx1.example.org" };
	struct lock_set *set = NULL;
	char want[160];
	double t0;
	pid_t child;

	child = hold_in_child(dir, names, 1, 2000);
	T_CHECK(child > 0);
	t0 = now_s();
	T_INT(lock_acquire(dir, names, 1, 1, &set), OUT_TEMPFAIL);
	T_CHECK(set == NULL);
	T_CHECK(now_s() - t0 >= 0.9 && now_s() - t0 < 1.8);
	snprintf(want, sizeof(want), "mx1.example.org is locked by pid %ld "
	    "(another daneroll run); gave up after 1s", (long)child);
	T_CHECK(t_log_has(want));

	/* With a longer wait it gets the lock once the child lets go. */
	t_log_reset();
	T_INT(lock_acquire(dir, names, 1, 5, &set), OUT_OK);
	T_CHECK(set != NULL);
	T_CHECK(now_s() - t0 >= 1.5 && now_s() - t0 < 4);
	T_INT(reap(child, 5), 0);
	lock_release(set);
}

static void
test_killed_holder(void)
{
	const char *dir = state_dir("s2");
	const char *names[] = { "mx2.example.org", "mx1.example.org" };
	struct lock_set *set = NULL;
	double t0;
	pid_t child;

	child = hold_in_child(dir, names, 2, -1);
	T_CHECK(child > 0);
	T_INT(lock_acquire(dir, names, 2, 0, &set), OUT_TEMPFAIL);
	T_CHECK(kill(child, SIGKILL) == 0);
	T_INT(reap(child, 5), 128 + SIGKILL);
	t0 = now_s();
	T_INT(lock_acquire(dir, names, 2, 0, &set), OUT_OK);
	T_CHECK(now_s() - t0 < 0.5);
	lock_release(set);
}

/* {a,b} against {b,a}, many times: sorted order means no deadlock. */
static void
test_no_deadlock(void)
{
	const char *dir = state_dir("s3");
	static const char *const ab[] = { "a.example", "b.example" };
	static const char *const ba[] = { "b.example", "a.example" };
	const char *const *sets[2] = { ab, ba };
	pid_t kids[2];
	int k;

	fflush(stdout);
	for (k = 0; k < 2; k++) {
		if ((kids[k] = fork()) == 0) {
			struct lock_set *set;
			int i;

			for (i = 0; i < 300; i++) {
				if (lock_acquire(dir, sets[k], 2, 3, &set) !=
				    OUT_OK)
					_exit(1);
				usleep(200);
				lock_release(set);
			}
			_exit(0);
		}
		T_CHECK(kids[k] > 0);
	}
	T_INT(reap(kids[0], 30), 0);
	T_INT(reap(kids[1], 30), 0);
}

static void
test_bad_names(void)
{
	static const char *const bad[] = {
		"a/b", "..", "../etc", "", ".", ".hidden", "a..b", "a b",
		"x;rm -rf", "mx\n.example.org", "\xc3\xa9vil.example",
		"/etc/passwd",
	};
	const char *dir = state_dir("s4");
	struct lock_set *set = NULL;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *names[2] = { "ok.example.org", bad[i] };

		t_log_reset();
		if (!T_INT(lock_acquire(dir, names, 2, 0, &set), OUT_PERMFAIL))
			printf("    name: %s\n", bad[i]);
		T_CHECK(set == NULL);
		T_CHECK(t_log_has("lock: invalid name"));
	}
	/* Refused before anything was created. */
	T_CHECK(access(t_path("s4/locks"), F_OK) != 0);
	T_CHECK(access(t_path("etc"), F_OK) != 0);
}

/* Case and a trailing dot do not make two locks (which would conflict). */
static void
test_canonical_names(void)
{
	const char *dir = state_dir("s5");
	const char *names[] = { "MX1.Example.ORG.", "b.example",
	    "mx1.example.org", "b.example" };
	struct lock_set *set = NULL;
	struct stat st;
	char want[32], *got;
	int n = 0;
	DIR *d;
	struct dirent *e;

	T_INT(lock_acquire(dir, names, 4, 0, &set), OUT_OK);
	T_CHECK(stat(t_path("s5/locks"), &st) == 0 &&
	    (st.st_mode & 07777) == 0700);
	T_CHECK(stat(t_path("s5/locks/mx1.example.org"), &st) == 0 &&
	    (st.st_mode & 07777) == 0600);
	snprintf(want, sizeof(want), "%ld\n", (long)getpid());
	T_STR(got = t_read(t_path("s5/locks/mx1.example.org")), want);
	free(got);
	if ((d = opendir(t_path("s5/locks"))) != NULL) {
		while ((e = readdir(d)) != NULL)
			if (e->d_name[0] != '.')
				n++;
		closedir(d);
	}
	T_INT(n, 2);
	lock_release(set);
	/* No stale pid left to be quoted by the next waiter. */
	T_STR(got = t_read(t_path("s5/locks/mx1.example.org")), "");
	free(got);
	lock_release(NULL);
}

static const struct t_case cases[] = {
	{ "held by another process: timeout, then wait", test_wait_and_timeout },
	{ "SIGKILLed holder leaves no lock", test_killed_holder },
	{ "overlapping sets do not deadlock", test_no_deadlock },
	{ "bad names refused", test_bad_names },
	{ "names canonicalised and deduplicated", test_canonical_names },
};
T_MAIN(cases)

/*
 * daneroll-test - daneroll with its test seams open, for the test suite
 * only: `make check-bins` builds it as BUILD/daneroll-test; `make` and
 * `make install` never build or install it, and daneroll itself reads none
 * of these variables (tests/integration/seams.sh proves both).
 *
 *   DANEROLL_NOW=SECONDS          the wall clock: seconds since the epoch.
 *                                 The boot clock is then unknown, unless
 *   DANEROLL_TEST_BOOT=ID:SECONDS gives one ("off": none is known).
 *   DANEROLL_TEST_CRASH_AT=POINT  run kills itself with SIGKILL at that
 *                                 side-effect point ("deploy:after" ...),
 *                                 so that a test can prove the next run
 *                                 resumes and converges.
 *
 * Each is read once, before the command runs; a malformed value is a
 * usage error (64), so that a test's typo cannot run on the real clock.
 * Then it is daneroll: cmd_main(), the same entry as src/main.c.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "cmd.h"
#include "log.h"
#include "util.h"

static time_t		 wall;
static struct boot_clock boot;
static const char	*crash_at;

static time_t
fake_wall(void)
{
	return wall;
}

static void
fake_boot(struct boot_clock *b)
{
	*b = boot;
}

static void
crash_point(const char *point)
{
	if (strcmp(crash_at, point) == 0) {
		log_warn("test: killed at %s (DANEROLL_TEST_CRASH_AT)", point);
		(void)kill(getpid(), SIGKILL);
	}
}

/* Installs the seams the environment asks for; -1 if a value is bad. */
static int
seams_from_env(void)
{
	const char *v;
	char *end;
	long long n;
	int len = 0;

	if ((v = getenv("DANEROLL_NOW")) != NULL && *v != '\0') {
		n = strtoll(v, &end, 10);
		if (*end != '\0' || n <= 0) {
			fprintf(stderr, "daneroll-test: DANEROLL_NOW=%s: not "
			    "seconds since the epoch\n", v);
			return -1;
		}
		wall = (time_t)n;
		util_set_clock(fake_wall);
	}
	if ((v = getenv("DANEROLL_TEST_BOOT")) != NULL && *v != '\0') {
		if (strcmp(v, "off") != 0) {
			if (sscanf(v, "%39[^:]:%lld%n", boot.id, &n,
			    &len) != 2 || v[len] != '\0' || n < 0) {
				fprintf(stderr, "daneroll-test: "
				    "DANEROLL_TEST_BOOT=%s: not ID:SECONDS "
				    "or off\n", v);
				return -1;
			}
			boot.secs = n;
			boot.known = 1;
		}
		util_set_boot_clock(fake_boot);
	}
	if ((v = getenv("DANEROLL_TEST_CRASH_AT")) != NULL && *v != '\0') {
		crash_at = v;
		cmd_set_crash_point(crash_point);
	}
	return 0;
}

int
main(int argc, char **argv)
{
	if (seams_from_env() != 0)
		return EX_USAGE;
	return cmd_main(argc, argv);
}

/*
 * sandbox - privileges dropped, Landlock and a seccomp filter. See
 * include/sandbox.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <linux/landlock.h>
#include <openssl/ssl.h>
#include <seccomp.h>

#include "sandbox.h"

/* Landlock's file rights by ABI; older headers lack the newer ones. */
#define LL_FS_ABI1	((1ULL << 13) - 1)	/* EXECUTE .. MAKE_SYM */
#define LL_FS_REFER	(1ULL << 13)		/* ABI 2 */
#define LL_FS_TRUNCATE	(1ULL << 14)		/* ABI 3 */
#define LL_FS_IOCTL_DEV	(1ULL << 15)		/* ABI 5 */
#define LL_SCOPE_ABSTRACT_UNIX	(1ULL << 0)	/* ABI 6 */
#define LL_SCOPE_SIGNAL		(1ULL << 1)	/* ABI 6 */

/* struct landlock_ruleset_attr as of ABI 6; shorter for older kernels. */
struct ll_attr {
	uint64_t	fs, net, scoped;
};

void
sandbox_preload(void)
{
	SSL_CTX *ctx;

	/* OpenSSL reads its configuration and loads its providers on
	 * first use; the time zone is read on first localtime(). */
	(void)OPENSSL_init_ssl(OPENSSL_INIT_LOAD_CONFIG |
	    OPENSSL_INIT_LOAD_SSL_STRINGS | OPENSSL_INIT_LOAD_CRYPTO_STRINGS,
	    NULL);
	if ((ctx = SSL_CTX_new(TLS_client_method())) != NULL)
		SSL_CTX_free(ctx);
	tzset();
}

static int landlock_errno;	/* why the ABI is 0 */

/* Asked once: inside the sandbox the question itself is filtered. */
int
sandbox_landlock_abi(void)
{
	static int abi = -1;
	long v;

	if (abi < 0) {
		v = syscall(SYS_landlock_create_ruleset, NULL, 0,
		    LANDLOCK_CREATE_RULESET_VERSION);
		landlock_errno = v > 0 ? 0 : errno;
		abi = v > 0 ? (int)v : 0;
	}
	return abi;
}

static int
drop_user(const char *user, char *why, size_t len)
{
	struct passwd *pw;

	if (geteuid() != 0)
		return 0;	/* nothing to give up: already unprivileged */
	if ((pw = getpwnam(user)) == NULL || pw->pw_uid == 0) {
		snprintf(why, len, "no unprivileged user \"%s\"", user);
		return -1;
	}
	if (setgroups(0, NULL) != 0 ||
	    setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) != 0 ||
	    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) != 0) {
		snprintf(why, len, "cannot become %s: %s", user,
		    strerror(errno));
		return -1;
	}
	if (setuid(0) == 0) {
		snprintf(why, len, "could regain root after becoming %s",
		    user);
		return -1;
	}
	return 0;
}

/* No file opened, made, removed or run by path at all. */
static int
confine_files(char *why, size_t len)
{
	struct ll_attr a = { LL_FS_ABI1, 0, 0 };
	size_t size = sizeof(uint64_t);
	int abi = sandbox_landlock_abi(), fd = -1, rc = 0;

	if (abi == 0) {
		/* seccomp and the uid still hold; the caller says so.
		 * EPERM: a filter above this process (systemd's
		 * SystemCallFilter=) refused the question. */
		snprintf(why, len, "no Landlock (%s): files are kept from it "
		    "by its uid and seccomp only", strerror(landlock_errno));
		return 0;
	}
	if (abi >= 2)
		a.fs |= LL_FS_REFER;
	if (abi >= 3)
		a.fs |= LL_FS_TRUNCATE;
	if (abi >= 5)
		a.fs |= LL_FS_IOCTL_DEV;
	if (abi >= 4)
		size = 2 * sizeof(uint64_t);
	if (abi >= 6) {
		a.scoped = LL_SCOPE_ABSTRACT_UNIX | LL_SCOPE_SIGNAL;
		size = sizeof(a);
	}
	/* Every right handled and no rule: nothing is allowed. */
	if ((fd = (int)syscall(SYS_landlock_create_ruleset, &a, size, 0)) < 0 ||
	    syscall(SYS_landlock_restrict_self, fd, 0) != 0) {
		snprintf(why, len, "Landlock (ABI %d): %s", abi,
		    strerror(errno));
		rc = -1;
	}
	if (fd >= 0)
		(void)close(fd);
	return rc;
}

/* What a DNS and SMTP/TLS client over IPv4 and IPv6 calls, and no more. */
static const int allowed[] = {
	SCMP_SYS(read), SCMP_SYS(readv), SCMP_SYS(pread64), SCMP_SYS(write),
	SCMP_SYS(writev), SCMP_SYS(close), SCMP_SYS(lseek), SCMP_SYS(fstat),
	SCMP_SYS(newfstatat), SCMP_SYS(statx), SCMP_SYS(fcntl),
	SCMP_SYS(ioctl),
	SCMP_SYS(brk), SCMP_SYS(mmap), SCMP_SYS(munmap), SCMP_SYS(mremap),
	SCMP_SYS(mprotect), SCMP_SYS(madvise),
	SCMP_SYS(connect), SCMP_SYS(bind), SCMP_SYS(sendto),
	SCMP_SYS(recvfrom), SCMP_SYS(sendmsg), SCMP_SYS(recvmsg),
	SCMP_SYS(sendmmsg), SCMP_SYS(recvmmsg), SCMP_SYS(setsockopt),
	SCMP_SYS(getsockopt), SCMP_SYS(getsockname), SCMP_SYS(getpeername),
	SCMP_SYS(shutdown),
	SCMP_SYS(poll), SCMP_SYS(ppoll), SCMP_SYS(select),
	SCMP_SYS(pselect6), SCMP_SYS(epoll_create1), SCMP_SYS(epoll_ctl),
	SCMP_SYS(epoll_wait), SCMP_SYS(epoll_pwait),
	SCMP_SYS(clock_gettime), SCMP_SYS(clock_getres),
	SCMP_SYS(gettimeofday), SCMP_SYS(time), SCMP_SYS(nanosleep),
	SCMP_SYS(clock_nanosleep), SCMP_SYS(getrandom),
	SCMP_SYS(getpid), SCMP_SYS(gettid), SCMP_SYS(getppid),
	SCMP_SYS(getuid), SCMP_SYS(geteuid), SCMP_SYS(getgid),
	SCMP_SYS(getegid), SCMP_SYS(getresuid), SCMP_SYS(getresgid),
	SCMP_SYS(uname), SCMP_SYS(sysinfo),
	SCMP_SYS(rt_sigaction), SCMP_SYS(rt_sigprocmask),
	SCMP_SYS(rt_sigreturn), SCMP_SYS(sigaltstack),
	SCMP_SYS(rt_sigtimedwait), SCMP_SYS(rt_sigpending),
	SCMP_SYS(futex), SCMP_SYS(set_robust_list), SCMP_SYS(rseq),
	SCMP_SYS(sched_yield), SCMP_SYS(restart_syscall),
	SCMP_SYS(exit), SCMP_SYS(exit_group),
};

/* Argument i equals v (mask 0), or has none of mask's bits (v 0). The
 * SCMP_A* macros leave a field out, which clang's warnings refuse. */
static struct scmp_arg_cmp
arg(unsigned i, uint64_t mask, uint64_t v)
{
	struct scmp_arg_cmp c = { i, mask ? SCMP_CMP_MASKED_EQ : SCMP_CMP_EQ,
	    mask ? mask : v, 0 };

	return c;
}

static int
filter_syscalls(char *why, size_t len)
{
	const uint64_t wr = O_WRONLY | O_RDWR | O_CREAT | O_TRUNC | O_APPEND;
	scmp_filter_ctx f;
	size_t i;
	int rc = -1;

	if ((f = seccomp_init(SCMP_ACT_ERRNO(EPERM))) == NULL) {
		snprintf(why, len, "seccomp: cannot start a filter");
		return -1;
	}
	for (i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
		if ((rc = seccomp_rule_add(f, SCMP_ACT_ALLOW, allowed[i],
		    0)) != 0)
			goto done;
	/* Reading an open file or opening one to read (Landlock decides
	 * which); sockets of the Internet only; a signal only to itself
	 * (abort); resource limits read, never set. */
	if ((rc = seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(openat), 1,
	    arg(2, wr, 0))) != 0 ||
	    (rc = seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(open), 1,
	    arg(1, wr, 0))) != 0 ||
	    (rc = seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1,
	    arg(0, 0, AF_INET))) != 0 ||
	    (rc = seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1,
	    arg(0, 0, AF_INET6))) != 0 ||
	    (rc = seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 1,
	    arg(0, 0, (uint64_t)getpid()))) != 0 ||
	    (rc = seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(prlimit64), 1,
	    arg(2, 0, 0))) != 0)
		goto done;
	/* glibc falls back from these to the calls filtered above. */
	if ((rc = seccomp_rule_add(f, SCMP_ACT_ERRNO(ENOSYS),
	    SCMP_SYS(openat2), 0)) != 0 ||
	    (rc = seccomp_rule_add(f, SCMP_ACT_ERRNO(ENOSYS),
	    SCMP_SYS(clone3), 0)) != 0)
		goto done;
	rc = seccomp_load(f);
done:
	if (rc != 0)
		snprintf(why, len, "seccomp: %s", strerror(-rc));
	seccomp_release(f);
	return rc != 0 ? -1 : 0;
}

int
sandbox_enter(const char *user, char *why, size_t len)
{
	why[0] = '\0';
	if (drop_user(user, why, len) != 0)
		return -1;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
	    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
		snprintf(why, len, "prctl: %s", strerror(errno));
		return -1;
	}
	if (confine_files(why, len) != 0)
		return -1;
	return filter_syscalls(why, len);
}

/*
 * sandbox - confines the calling process for good, before it parses
 * anything from the network:
 *
 *   1. as root: supplementary groups dropped, gid and uid set to user's
 *      (all three ids, so there is no way back);
 *   2. no_new_privs and not dumpable;
 *   3. Landlock (when the kernel has it): no file may be opened, created,
 *      removed or executed by path at all; from Landlock ABI 6 on, no
 *      signal to a process outside the sandbox and no abstract UNIX
 *      socket outside it;
 *   4. a seccomp filter (libseccomp) that allows the system calls a DNS
 *      and SMTP/TLS client needs, and fails every other with EPERM: no
 *      execve, fork, ptrace, open for writing, file system change, socket
 *      other than IPv4/IPv6, signal to another process or privilege
 *      change.
 *
 * Call it after everything that needs a file has run: OpenSSL's
 * configuration and the time zone (sandbox_preload()), the resolver
 * configuration (resolvconf_pin()). Returns 0, or -1 with why filled; the
 * process must
 * then not go on (it may be partly confined). 0 with why filled: confined
 * without Landlock, which the kernel lacks or a filter above refused.
 *
 * sandbox_landlock_abi() is the kernel's Landlock ABI, 0 without one.
 */
#ifndef DANEROLL_SANDBOX_H
#define DANEROLL_SANDBOX_H

#include <stddef.h>

#define SANDBOX_USER	"nobody"

void	sandbox_preload(void);
int	sandbox_enter(const char *user, char *why, size_t len);
int	sandbox_landlock_abi(void);

#endif

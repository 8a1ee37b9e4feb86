/*
 * resolvconf - which recursive resolvers daneroll asks: one reader and
 * one fallback for every module that needs a resolver (observe.c,
 * resolve.c, publish_rfc2136.c).
 *
 * resolvconf_load(setting, path, rc) fills rc with at least one address:
 *
 *   - setting (conf's [global] resolver, passed by the caller) when it is
 *     not NULL: that one address, in any form dnsq_addr_parse() reads
 *     ("192.0.2.53", "2001:db8::53", "addr#port", "[v6]:port"); -1 when
 *     it is not a numeric address, not logged (the caller names the
 *     setting and the host it was reading for);
 *   - else the "nameserver" lines of path (RESOLVCONF_PATH in production,
 *     a test file in the tests), read as the libc reads them: the first
 *     RESOLVCONF_MAX numeric IPv4 or IPv6 addresses (a scope such as
 *     "fe80::1%eth0" allowed), port 53; a line starting with '#' or ';',
 *     other keywords and words after the address are ignored; a
 *     nameserver that is not a numeric address, or carries a port the
 *     libc would not read ("#5353", "[...]:53"), is skipped;
 *   - the fallback: when path cannot be read or names no usable
 *     nameserver, 127.0.0.1#53, as the libc does (resolv.conf(5): "the
 *     name server on the local machine"), with rc->fallback set for a
 *     caller that wants to say so. Never an error: a host with no
 *     resolv.conf and a local resolver is a working host.
 *
 * resolvconf_pin(path) reads path now, and every later resolvconf_load
 * of that path without a setting answers from what was read: the network
 * child (privsep.h) pins it before its sandbox forbids opening any file, so a
 * file it may no longer read is never taken for a missing one.
 *
 * Ownership: rc is the caller's, filled in place; nothing is allocated
 * and nothing is logged.
 */
#ifndef DANEROLL_RESOLVCONF_H
#define DANEROLL_RESOLVCONF_H

#include <sys/socket.h>

#define RESOLVCONF_PATH	"/etc/resolv.conf"
#define RESOLVCONF_MAX	3	/* nameservers used, as the libc (MAXNS) */

struct resolvconf {
	struct sockaddr_storage	 addr[RESOLVCONF_MAX];
	socklen_t		 len[RESOLVCONF_MAX];
	int			 n;		/* 1..RESOLVCONF_MAX after 0 */
	int			 fallback;	/* 127.0.0.1: none configured */
};

/* 0 with rc filled (n >= 1), or -1 if setting is not an address. */
int	resolvconf_load(const char *setting, const char *path,
	    struct resolvconf *rc);
void	resolvconf_pin(const char *path);

#endif

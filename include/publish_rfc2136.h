/*
 * publish_rfc2136 - the DNS publisher that speaks RFC 2136 dynamic update
 * with TSIG (BIND, Knot DNS, PowerDNS with dnsupdate, ...).
 *
 * replace() sends ONE UPDATE message per RRset change, carrying every
 * delete and add of that change, guarded by a prerequisite that the
 * RRset is exactly what req->prev says (RFC 2136 2.4.2 "RRset exists,
 * value dependent", or 2.4.3 "RRset does not exist" when prev is empty).
 * It deletes the records of prev not in want, adds those of want not in
 * prev, and deletes and adds again those in both, so the RRset ends up
 * exactly want with req->ttl whatever TTL it had (a delete and add of the
 * same record in one message is no change at all when the TTL is equal).
 *
 * When the prerequisite fails (YXRRSET / NXRRSET) it reads the RRset back
 * from the server that answered, TSIG-signed: if the server already holds
 * want, an earlier run's update went through and the result is OUT_OK (so
 * a crash between sending and recording converges); anything else is
 * "concurrent edit at OWNER: server has X, expected Y" and OUT_PERMFAIL -
 * stop safe, nothing changed, a human or the next plan looks again.
 *
 * Where it sends: the publisher's server ("addr" or "addr#port"), else
 * every address of the zone's SOA MNAME. The zone: the publisher's zone,
 * else the zone cut found by SOA queries walking up from the owner,
 * through conf->resolver, else /etc/resolv.conf, else 127.0.0.1
 * (resolvconf.h). The key: tsig_key_file (see tsig.h), read on every call
 * so a rotated key needs no restart.
 *
 * Transport: dnsq (dnsq.h), each message prebuilt and TSIG-signed here:
 * UDP, TCP when the answer is truncated, an answer taken only if its ID,
 * QR bit and question (an UPDATE's zone section) match; each try lasts
 * timeout/3 (at least 1 s) over UDP, as long again over TCP, and up to 3
 * tries go round the server's addresses, each signed afresh. A lost
 * answer to an UPDATE is safe to retry: the prerequisite turns a repeat
 * into the idempotent case above.
 *
 * Outcomes: NOERROR -> OUT_OK; SERVFAIL, timeouts, BADTIME, responses
 * whose TSIG does not verify -> OUT_TEMPFAIL; FORMERR, NOTAUTH, REFUSED,
 * NOTZONE, NOTIMP, BADSIG, BADKEY, concurrent edits, configuration errors
 * -> OUT_PERMFAIL. Each is logged once, naming the owner, zone, server
 * address and key name - never the secret.
 */
#ifndef DANEROLL_PUBLISH_RFC2136_H
#define DANEROLL_PUBLISH_RFC2136_H

#include "backend.h"

/* [publisher NAME] type = rfc2136: its keys (conf.h), in its priv. */
struct publish_rfc2136_conf {
	char	*server;	/* server ADDR; NULL: the SOA MNAME */
	char	*tsig_key_file;	/* tsig_key_file P: tsig-keygen or Knot */
};

extern const struct backend_publisher publish_rfc2136;

#endif

/*
 * privsep_msg - the messages between daneroll and its unprivileged network
 * child (privsep.h). Pure: bytes in, structures out, and back.
 *
 * A frame is a 4-octet big-endian length, then that many octets: a kind
 * octet and its fields. Integers are big-endian; a string is a 2-octet
 * length and octets without NUL; a TLSA set is a 2-octet count, then per
 * record usage, selector, matching type and 2-octet length + data.
 *
 *   parent -> child    PM_OBSERVE  host index, owner, want
 *                      PM_VERIFY   host index, algorithm, want
 *                      PM_PROBE    host index, algorithm, would
 *                      PM_CHECK    host indices, verify_opts
 *                      PM_DOC_ZONE host index, owner (doctor_net.h)
 *                      PM_DOC_TLSA host index, owner
 *   child -> parent    PM_LOG      level, cause, line (any number)
 *                      PM_NET_HEAD resolver facts, name and endpoint
 *                                  counts      (PM_CHECK: once, first)
 *                      PM_NET_NAME a struct verify_name (PM_CHECK)
 *                      PM_NET_EP   an endpoint's results and the
 *                                  records its chain matches (PM_CHECK)
 *                      PM_DOC_ZONE_ANS  a struct doctor_net_zone, once
 *                      PM_DOC_TLSA_ANS  a struct resolve_tlsa, once
 *                      PM_RESULT   outcome [, report for PM_OBSERVE]
 *
 * The parent decodes what a process that parsed hostile input wrote, so
 * pmsg_get_*() check every length, range and count against the limits
 * below and reject trailing octets: -1, and nothing to free. On success
 * the caller frees with pmsg_request_free() / pmsg_reply_free().
 */
#ifndef DANEROLL_PRIVSEP_MSG_H
#define DANEROLL_PRIVSEP_MSG_H

#include <stddef.h>
#include <stdint.h>

#include "backend.h"
#include "check_net.h"
#include "doctor_net.h"

#define PMSG_MAX_FRAME	(4u << 20)	/* octets after the length */
#define PMSG_MAX_STR	4096		/* a log line, an owner name */
#define PMSG_MAX_RRS	8192		/* records in one TLSA set (a 64 KiB
					 * DNS message holds fewer) */
#define PMSG_MAX_SERVERS 4096		/* addresses in one report */
#define PMSG_MAX_HOSTS	(1u << 20)	/* hosts in one PM_CHECK */

enum pmsg_kind {
	PM_OBSERVE = 1,
	PM_VERIFY,
	PM_PROBE,
	PM_LOG,
	PM_RESULT,
	PM_CHECK,
	PM_NET_HEAD,
	PM_NET_NAME,
	PM_NET_EP,
	PM_DOC_ZONE,
	PM_DOC_TLSA,
	PM_DOC_ZONE_ANS,
	PM_DOC_TLSA_ANS
};

struct pmsg_request {
	enum pmsg_kind	 kind;		/* a request's kind */
	uint32_t	 host;		/* index into conf->hosts */
	enum key_alg	 alg;		/* PM_VERIFY, PM_PROBE */
	char		*owner;		/* PM_OBSERVE, PM_DOC_* */
	struct tlsa_set	 set;		/* want, or would */
	uint32_t	*hosts;		/* PM_CHECK: indices */
	uint32_t	 nhosts;
	struct verify_opts opts;	/* PM_CHECK */
};

struct pmsg_reply {
	enum pmsg_kind	 kind;		/* PM_LOG or PM_RESULT */
	int		 level;		/* PM_LOG: enum log_level */
	int		 cause;		/* PM_LOG: may be why a step failed */
	char		*line;		/* PM_LOG */
	enum outcome	 outcome;	/* PM_RESULT */
	int		 has_report;	/* PM_RESULT of a PM_OBSERVE */
	struct obs_report report;
	struct check_net net;		/* PM_NET_HEAD: no_resolver,
					 * resolver_local, resolver, nnames,
					 * neps; nothing allocated */
	struct verify_name name;	/* PM_NET_NAME */
	struct verify_endpoint ep;	/* PM_NET_EP: the results only, */
	struct tlsa_set	 ep_matched;	/* ...and check_net's matched */
	struct doctor_net_zone dzone;	/* PM_DOC_ZONE_ANS */
	struct resolve_tlsa tlsa;	/* PM_DOC_TLSA_ANS */
};

/* A growing output buffer; frames are appended whole. */
struct pmsg_buf {
	uint8_t	*p;
	size_t	 len, cap;
};
void	pmsg_buf_free(struct pmsg_buf *);

void	pmsg_put_request(struct pmsg_buf *, const struct pmsg_request *);
void	pmsg_put_log(struct pmsg_buf *, int level, int cause,
	    const char *line);
/* report: NULL but for the answer to PM_OBSERVE. */
void	pmsg_put_result(struct pmsg_buf *, enum outcome,
	    const struct obs_report *report);
void	pmsg_put_net_head(struct pmsg_buf *, const struct check_net *);
void	pmsg_put_net_name(struct pmsg_buf *, const struct verify_name *);
void	pmsg_put_net_ep(struct pmsg_buf *, const struct verify_endpoint *,
	    const struct tlsa_set *matched);
void	pmsg_put_doc_zone(struct pmsg_buf *, const struct doctor_net_zone *);
void	pmsg_put_doc_tlsa(struct pmsg_buf *, const struct resolve_tlsa *);

/* The length a frame header announces; 0 if over PMSG_MAX_FRAME. */
uint32_t pmsg_frame_len(const uint8_t hdr[4]);

/* One frame's body (after its length): 0, or -1 if malformed. */
int	pmsg_get_request(const uint8_t *, size_t, struct pmsg_request *);
int	pmsg_get_reply(const uint8_t *, size_t, struct pmsg_reply *);
void	pmsg_request_free(struct pmsg_request *);
void	pmsg_reply_free(struct pmsg_reply *);

#endif

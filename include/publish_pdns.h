/*
 * publish_pdns - the PowerDNS Authoritative HTTP API publisher.
 *
 * publish_pdns.replace(conf, pub, req) makes the TLSA RRset at req->owner
 * exactly req->want with one PATCH of the zone's rrsets: changetype
 * REPLACE with the full RRset, or DELETE when want is empty. That is
 * idempotent: sending it again after a crash converges on the same zone.
 * The zone is pub->zone, or else the longest zone of the server's listing
 * (GET .../zones) that holds the owner.
 *
 * The section's own keys are struct publish_pdns_conf, pub->priv. The
 * API key is read from api_key_file (fs_read_secret: owner and mode
 * checked), sent only as the X-API-Key request header, never logged, and
 * wiped from every buffer that held it. TLS peer and host name
 * verification is on unless tls_verify = no (warned about on every use;
 * the configuration needs ca_file or insecure = yes for it); ca_file
 * replaces the system trust store. Proxy variables of the environment
 * are ignored: a proxy is used only when proxy names one. Redirects are
 * not followed. Connect time is bounded by min(timeout, 10 s), the whole
 * exchange by pub->timeout; answers beyond 1 MiB are refused.
 *
 * Outcomes: OUT_OK on 2xx. OUT_PERMFAIL: 401/403 ("API key rejected"),
 * 404 ("zone/server not found"), 422 and other 4xx (the server's "error"
 * text quoted), TLS verification failure, unreadable key, bad URL.
 * OUT_TEMPFAIL: 5xx, connection failures and timeouts. Each is logged
 * once, naming the publisher.
 *
 * The pdns_* helpers below are the pure parts, exported for the tests.
 * Strings they return are the caller's, freed with free().
 */
#ifndef DANEROLL_PUBLISH_PDNS_H
#define DANEROLL_PUBLISH_PDNS_H

#include <stddef.h>
#include <stdint.h>

#include "backend.h"

#define PDNS_MAX_RESPONSE	(1024 * 1024)

/* [publisher NAME] type = pdns: its keys (conf.h), in its priv. */
struct publish_pdns_conf {
	char	*api_url;	/* api_url URL, required: "https://host:8081" */
	char	*api_key_file;	/* api_key_file P, required */
	char	*server_id;	/* server_id NAME: "localhost" */
	char	*ca_file;	/* ca_file P; NULL: the system trust store */
	int	 tls_verify;	/* tls_verify yes|no: yes; "no" needs ca_file
				 * or insecure = yes */
	int	 insecure;	/* insecure yes|no: tls_verify = no is meant */
	char	*proxy;		/* proxy URL; NULL: none, whatever the
				 * environment says */
};

extern const struct backend_publisher publish_pdns;

/* 1 if the URL's host is this machine (localhost, 127.0.0.0/8, ::1). */
int		 pdns_url_loopback(const char *url);
/* The PATCH body for one RRset change. NULL if owner is unusable. */
char		*pdns_body(const char *owner, int64_t ttl,
		    const struct tlsa_set *want);
/* A zone name as the API's zone id: lower case, absolute, with
 * characters other than [a-z0-9._-] escaped as =XX. */
char		*pdns_zone_id(const char *zone);
/*
 * From a GET .../zones answer, the id of the longest zone holding owner.
 * 0 and *id set; 1 if no zone holds it; -1 if the JSON is not a zone
 * listing.
 */
int		 pdns_pick_zone(const char *json, size_t len, const char *owner,
		    char **id);
/*
 * The outcome of an HTTP answer; logs what went wrong (what names the
 * request), quoting the server's "error" text with any occurrence of
 * secret masked.
 */
enum outcome	 pdns_judge(long status, const char *body, size_t len,
		    const char *what, const char *secret);

#endif

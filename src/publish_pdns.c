/*
 * publish_pdns - TLSA RRsets through the PowerDNS Authoritative HTTP API
 * (libcurl + jansson). See include/publish_pdns.h for the contract.
 *
 * One replace() call is at most two requests: the zone listing when no
 * zone is configured, then the PATCH. Each request gets a fresh curl
 * handle, so no connection, header or TLS state outlives the call; the
 * header list that carried the key is wiped before it is freed. The
 * server's answers are untrusted text: they are parsed with a size cap,
 * and quoted in the log only as printable ASCII, cut short, with the API
 * key masked should a server ever echo it.
 */
#include <arpa/inet.h>
#include <netinet/in.h>

#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "backend.h"
#include "conf.h"
#include "curl_lazy.h"
#include "fsutil.h"
#include "log.h"
#include "publish_pdns.h"
#include "tlsa.h"
#include "util.h"

#define PDNS_KEY_MAX		4096
#define PDNS_CONNECT_MAX	10	/* seconds */
#define PDNS_ERRTEXT_MAX	300

#ifndef DANEROLL_VERSION
#define DANEROLL_VERSION	"dev"
#endif

/* Lower case, absolute; NULL unless LDH/underscore labels. */
static char *
canon_name(const char *name)
{
	size_t i, len;
	char *s;

	if (name == NULL || (len = strlen(name)) == 0 || len > 253 ||
	    name[0] == '.')
		return NULL;
	s = xmalloc(len + 2);
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];

		if (!(isalnum(c) || c == '-' || c == '_' || c == '.') ||
		    (c == '.' && name[i + 1] == '.')) {
			free(s);
			return NULL;
		}
		s[i] = (char)tolower(c);
	}
	if (s[len - 1] != '.')
		s[len++] = '.';
	s[len] = '\0';
	return s;
}

/* Is name (canonical) at or below zone (canonical)? */
static int
in_zone(const char *name, const char *zone)
{
	size_t n = strlen(name), z = strlen(zone);

	if (strcmp(zone, ".") == 0)
		return 1;
	return n == z ? strcmp(name, zone) == 0 :
	    n > z && name[n - z - 1] == '.' && strcmp(name + n - z, zone) == 0;
}

char *
pdns_body(const char *owner, int64_t ttl, const struct tlsa_set *want)
{
	json_t *root = NULL, *rrset, *records;
	char *name = NULL, *out = NULL;
	size_t i;

	if ((name = canon_name(owner)) == NULL)
		goto done;
	if (want->n == 0) {
		rrset = json_pack("{s:s, s:s, s:s}", "name", name, "type",
		    "TLSA", "changetype", "DELETE");
	} else {
		records = json_array();
		for (i = 0; i < want->n; i++) {
			char *c = tlsa_format(&want->rr[i]);

			json_array_append_new(records, json_pack("{s:s, s:b}",
			    "content", c, "disabled", 0));
			free(c);
		}
		rrset = json_pack("{s:s, s:s, s:I, s:s, s:o}", "name", name,
		    "type", "TLSA", "ttl", (json_int_t)ttl, "changetype",
		    "REPLACE", "records", records);
	}
	if (rrset == NULL)
		goto done;
	root = json_pack("{s:[o]}", "rrsets", rrset);
	if (root != NULL)
		out = json_dumps(root, JSON_COMPACT | JSON_SORT_KEYS);
done:
	json_decref(root);
	free(name);
	return out;
}

char *
pdns_zone_id(const char *zone)
{
	struct buf b = { 0 };
	const char *p;

	if (zone == NULL || *zone == '\0')
		return NULL;
	for (p = zone; *p != '\0'; p++) {
		unsigned char c = (unsigned char)tolower((unsigned char)*p);

		if (isalnum(c) || c == '.' || c == '-' || c == '_')
			buf_add(&b, &c, 1);
		else
			buf_printf(&b, "=%02X", c);
	}
	if (b.data[b.len - 1] != '.')
		buf_puts(&b, ".");
	return b.data;
}

/* A zone id safe to put in a URL path as it is. */
static int
id_ok(const char *id)
{
	const char *p;

	for (p = id; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && strchr("._-=", *p) == NULL)
			return 0;
	return p != id;
}

int
pdns_pick_zone(const char *json, size_t len, const char *owner, char **id)
{
	json_t *root = NULL, *z;
	json_error_t jerr;
	char *name = NULL, *best = NULL;
	size_t i, bestlen = 0;
	int r = -1;

	if ((name = canon_name(owner)) == NULL)
		goto done;
	root = json_loadb(json, len, 0, &jerr);
	if (!json_is_array(root))
		goto done;
	json_array_foreach(root, i, z) {
		const char *zn = json_string_value(json_object_get(z, "name"));
		const char *zid = json_string_value(json_object_get(z, "id"));
		char *cz;

		if (zn == NULL)
			goto done;
		if ((cz = canon_name(zn)) == NULL)
			continue;	/* a name we could not hold anyway */
		if (in_zone(name, cz) && strlen(cz) > bestlen) {
			free(best);
			best = zid != NULL && id_ok(zid) ? xstrdup(zid) :
			    pdns_zone_id(cz);
			bestlen = strlen(cz);
		}
		free(cz);
	}
	r = best != NULL ? 0 : 1;
	if (r == 0) {
		*id = best;
		best = NULL;
	}
done:
	json_decref(root);
	free(name);
	free(best);
	return r;
}

/* The server's explanation: its "error" field, or the body's first line;
 * masked, printable, cut short. */
static void
error_text(const char *body, size_t len, const char *secret, char *out,
    size_t outlen)
{
	json_t *root = NULL;
	json_error_t jerr;
	const char *s = NULL;
	struct buf b = { 0 };
	size_t i, n, o = 0, sl = secret != NULL ? strlen(secret) : 0;

	out[0] = '\0';
	if (body == NULL || len == 0)
		return;
	root = json_loadb(body, len, 0, &jerr);
	if (json_is_object(root))
		s = json_string_value(json_object_get(root, "error"));
	if (s != NULL) {
		buf_puts(&b, s);
	} else {
		/* body need not be a C string: stay within len. */
		for (n = 0; n < len && body[n] != '\r' && body[n] != '\n'; n++)
			;
		buf_add(&b, body, n);
	}
	json_decref(root);
	if (b.data == NULL)
		return;
	for (i = 0; i < b.len && o + 1 < outlen; i++) {
		unsigned char c = (unsigned char)b.data[i];

		if (sl > 0 && i + sl <= b.len &&
		    memcmp(b.data + i, secret, sl) == 0) {
			const char *mask = "[API key]";

			while (*mask != '\0' && o + 1 < outlen)
				out[o++] = *mask++;
			i += sl - 1;
			continue;
		}
		out[o++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	if (i < b.len && outlen > 4) {
		memcpy(out + outlen - 4, "...", 3);
		o = outlen - 1;
	}
	out[o] = '\0';
	OPENSSL_cleanse(b.data, b.len);
	buf_free(&b);
}

enum outcome
pdns_judge(long status, const char *body, size_t len, const char *what,
    const char *secret)
{
	char text[PDNS_ERRTEXT_MAX];
	const char *sep;

	if (status >= 200 && status < 300)
		return OUT_OK;
	error_text(body, len, secret, text, sizeof(text));
	sep = text[0] != '\0' ? ": " : "";
	if (status == 401 || status == 403) {
		log_err("%s: API key rejected (HTTP %ld)%s%s", what, status,
		    sep, text);
		return OUT_PERMFAIL;
	}
	if (status == 404) {
		log_err("%s: zone/server not found (HTTP 404)%s%s", what, sep,
		    text);
		return OUT_PERMFAIL;
	}
	if (status == 422) {
		log_err("%s: change rejected (HTTP 422)%s%s", what, sep, text);
		return OUT_PERMFAIL;
	}
	if (status >= 500 && status < 600) {
		log_err("%s: server error (HTTP %ld)%s%s; will retry", what,
		    status, sep, text);
		return OUT_TEMPFAIL;
	}
	if (status >= 300 && status < 400) {
		log_err("%s: redirected (HTTP %ld), not followed: check "
		    "api_url", what, status);
		return OUT_PERMFAIL;
	}
	if (status >= 400 && status < 500) {
		log_err("%s: request refused (HTTP %ld)%s%s", what, status,
		    sep, text);
		return OUT_PERMFAIL;
	}
	log_err("%s: unexpected HTTP status %ld%s%s", what, status, sep, text);
	return OUT_TEMPFAIL;
}

/* --------------------------------------------------------------- HTTP */

struct pdns_resp {
	struct buf	 body;
	int		 too_big;
};

static size_t
on_data(char *p, size_t size, size_t n, void *arg)
{
	struct pdns_resp *r = arg;
	size_t len = size * n;

	if (r->body.len + len > PDNS_MAX_RESPONSE) {
		r->too_big = 1;
		return 0;	/* curl stops with CURLE_WRITE_ERROR */
	}
	buf_add(&r->body, p, len);
	return len;
}

/* Frees a header list after wiping what it held (the key among it). */
static void
slist_wipe_free(const struct curl_fns *cu, struct curl_slist *l)
{
	struct curl_slist *p;

	for (p = l; p != NULL; p = p->next)
		if (p->data != NULL)
			OPENSSL_cleanse(p->data, strlen(p->data));
	cu->slist_free_all(l);
}

/* Appends to a header list; curl copies the string. 0 or -1. */
static int
add_header(const struct curl_fns *cu, struct curl_slist **l, const char *h)
{
	struct curl_slist *n = cu->slist_append(*l, h);

	if (n == NULL)
		return -1;
	*l = n;
	return 0;
}

/* Is the failure one that a retry cannot mend? */
static int
curl_permanent(CURLcode c)
{
	switch (c) {
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CRL_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
		return 1;
	default:
		return 0;
	}
}

/*
 * One request. *status is the HTTP status (0 if none came); resp gets the
 * body. A transport failure is logged here and returned; an HTTP status
 * is left to pdns_judge.
 */
static enum outcome
http_request(const struct curl_fns *cu, const struct conf_publisher *p,
    const char *key, const char *method, const char *url,
    const char *payload, const char *what, long *status,
    struct pdns_resp *resp)
{
	const struct publish_pdns_conf *pc = p->priv;
	CURL *curl = NULL;
	struct curl_slist *hdrs = NULL;
	char errbuf[CURL_ERROR_SIZE];
	char *hdr = NULL;
	size_t hdrlen = strlen(key) + 16;
	int64_t timeout = p->timeout > 0 ? p->timeout : 30;
	CURLcode c;
	enum outcome r = OUT_TEMPFAIL;

	*status = 0;
	errbuf[0] = '\0';
	if ((curl = cu->easy_init()) == NULL) {
		log_err("%s: cannot initialise libcurl", what);
		goto done;
	}
	hdr = xmalloc(hdrlen);
	snprintf(hdr, hdrlen, "X-API-Key: %s", key);
	if (add_header(cu, &hdrs, hdr) != 0 ||
	    add_header(cu, &hdrs, "Accept: application/json") != 0 ||
	    (payload != NULL &&
	    add_header(cu, &hdrs, "Content-Type: application/json") != 0)) {
		log_err("%s: out of memory building the request", what);
		goto done;
	}
	(void)cu->easy_setopt(curl, CURLOPT_URL, url);
#if LIBCURL_VERSION_NUM >= 0x075500
	(void)cu->easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
#endif
	(void)cu->easy_setopt(curl, CURLOPT_HTTPHEADER, hdrs);
	(void)cu->easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
	if (payload != NULL) {
		(void)cu->easy_setopt(curl, CURLOPT_POSTFIELDS, payload);
		(void)cu->easy_setopt(curl, CURLOPT_POSTFIELDSIZE,
		    (long)strlen(payload));
	}
	(void)cu->easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_data);
	(void)cu->easy_setopt(curl, CURLOPT_WRITEDATA, resp);
	(void)cu->easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
	(void)cu->easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	(void)cu->easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
	(void)cu->easy_setopt(curl, CURLOPT_USERAGENT,
	    "daneroll/" DANEROLL_VERSION);
	(void)cu->easy_setopt(curl, CURLOPT_CONNECTTIMEOUT,
	    (long)(timeout < PDNS_CONNECT_MAX ? timeout : PDNS_CONNECT_MAX));
	(void)cu->easy_setopt(curl, CURLOPT_TIMEOUT, (long)timeout);
	(void)cu->easy_setopt(curl, CURLOPT_SSL_VERIFYPEER,
	    pc->tls_verify ? 1L : 0L);
	(void)cu->easy_setopt(curl, CURLOPT_SSL_VERIFYHOST,
	    pc->tls_verify ? 2L : 0L);
	if (pc->ca_file != NULL)
		(void)cu->easy_setopt(curl, CURLOPT_CAINFO, pc->ca_file);
	/* "" : no proxy, whatever http_proxy or https_proxy say; the API
	 * key goes through a proxy only if the configuration names one. */
	(void)cu->easy_setopt(curl, CURLOPT_PROXY, pc->proxy != NULL ?
	    pc->proxy : "");
	c = cu->easy_perform(curl);
	if (c != CURLE_OK) {
		if (resp->too_big)
			log_err("%s: answer larger than %d KiB, refused%s",
			    what, PDNS_MAX_RESPONSE / 1024,
			    payload == NULL ? " (a long zone listing? set "
			    "zone = in the publisher section)" : "");
		else
			log_err("%s: %s%s%s%s", what, cu->easy_strerror(c),
			    errbuf[0] != '\0' ? ": " : "", errbuf,
			    c == CURLE_PEER_FAILED_VERIFICATION ? " (ca_file "
			    "names the CA to trust)" : "");
		r = resp->too_big || curl_permanent(c) ? OUT_PERMFAIL :
		    OUT_TEMPFAIL;
		goto done;
	}
	(void)cu->easy_getinfo(curl, CURLINFO_RESPONSE_CODE, status);
	r = OUT_OK;
done:
	if (curl != NULL)
		cu->easy_cleanup(curl);
	slist_wipe_free(cu, hdrs);
	if (hdr != NULL) {
		OPENSSL_cleanse(hdr, hdrlen);
		free(hdr);
	}
	return r;
}

/* The API key from its file, trimmed; NULL (logged) if unusable. The
 * caller wipes and frees it; *cap is the size to wipe. */
static char *
read_key(const struct conf_publisher *p, size_t *cap)
{
	const struct publish_pdns_conf *pc = p->priv;
	size_t len = 0, i;
	char *key = fs_read_secret(pc->api_key_file, PDNS_KEY_MAX, &len);

	*cap = len + 1;
	if (key == NULL)
		return NULL;
	while (len > 0 && isspace((unsigned char)key[len - 1]))
		key[--len] = '\0';
	for (i = 0; i < len; i++)
		if (!isgraph((unsigned char)key[i]))
			break;
	if (len == 0 || i < len) {
		log_err("publisher %s: %s holds no usable API key (one line "
		    "of printable characters)", p->name, pc->api_key_file);
		OPENSSL_cleanse(key, *cap);
		free(key);
		return NULL;
	}
	return key;
}

/* api_url without a user:password@ part, for messages. */
static char *
url_for_log(const char *url)
{
	const char *s = strstr(url, "://"), *at, *slash;

	if (s == NULL)
		return xstrdup(url);
	s += 3;
	at = strchr(s, '@');
	slash = strchr(s, '/');
	if (at == NULL || (slash != NULL && at > slash))
		return xstrdup(url);
	return xasprintf("%.*s%s", (int)(s - url), url, at + 1);
}

/* Is the API reached in clear text over the network (not loopback)? */
static int
cleartext_remote(const char *url)
{
	return strncmp(url, "http://", 7) == 0 && !pdns_url_loopback(url);
}

int
pdns_url_loopback(const char *url)
{
	const char *h = strstr(url, "://"), *end;
	char host[256];
	struct in_addr a4;
	struct in6_addr a6;
	size_t n;

	if (h == NULL)
		return 0;
	h += 3;
	/* user:password@ would come before the host. */
	end = h + strcspn(h, "/?#");
	if (memchr(h, '@', (size_t)(end - h)) != NULL)
		h = (const char *)memchr(h, '@', (size_t)(end - h)) + 1;
	if (*h == '[') {
		h++;
		n = strcspn(h, "]");
	} else
		n = strcspn(h, ":/?#");
	if (n == 0 || n >= sizeof(host))
		return 0;
	memcpy(host, h, n);
	host[n] = '\0';
	if (strcasecmp(host, "localhost") == 0)
		return 1;
	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	return inet_pton(AF_INET6, host, &a6) == 1 &&
	    IN6_IS_ADDR_LOOPBACK(&a6);
}

/* config check: what a run would warn about, said before it runs; an
 * API key file it could not use is an error. */
static int
pdns_check(const struct conf *conf, const struct conf_publisher *p)
{
	const struct publish_pdns_conf *pc = p->priv;
	int r = 0;

	if (pc->api_url != NULL && cleartext_remote(pc->api_url))
		log_warn("publisher %s: api_url %s is plain HTTP to a host "
		    "that is not this one: the API key would cross the "
		    "network in clear text; use https://", p->name,
		    pc->api_url);
	if (!pc->tls_verify)
		log_warn("publisher %s: tls_verify = no: the API's "
		    "certificate is not checked%s", p->name, pc->insecure ?
		    " (insecure = yes)" : "");
	if (pc->api_key_file != NULL && fs_missing(pc->api_key_file)) {
		log_err("%s:%d: publisher %s: api_key_file %s does not exist",
		    conf->path, p->secret_line, p->name, pc->api_key_file);
		r = -1;
	} else if (pc->api_key_file != NULL &&
	    fs_check_secret(pc->api_key_file) != 0) {
		log_err("%s:%d: publisher %s: api_key_file %s cannot be used "
		    "(why: above)", conf->path, p->secret_line, p->name,
		    pc->api_key_file);
		r = -1;
	}
	return r;
}

/* One call's session with the API: what every request needs. */
struct api {
	char	*key;		/* the API key; wiped by api_close */
	size_t	 keycap;
	char	*base;		/* api_url without a trailing '/' */
	char	*shown;		/* base without user:password@ */
	char	*sid;		/* server_id, URL-escaped */
	CURL	*esc;
	const struct curl_fns *cu;	/* NULL until libcurl is set up */
};

static void
api_close(struct api *a)
{
	if (a->key != NULL) {
		OPENSSL_cleanse(a->key, a->keycap);
		free(a->key);
	}
	if (a->sid != NULL)
		a->cu->free(a->sid);
	if (a->esc != NULL)
		a->cu->easy_cleanup(a->esc);
	free(a->base);
	free(a->shown);
	if (a->cu != NULL)
		a->cu->global_cleanup();
}

/* libcurl, the key and the URLs; api_close() however it went. */
static enum outcome
api_open(const struct conf_publisher *p, struct api *a)
{
	const struct publish_pdns_conf *pc = p->priv;
	const char *why;

	memset(a, 0, sizeof(*a));
	if ((a->cu = curl_lazy(&why)) == NULL) {
		log_err("publisher %s: cannot load %s, which the PowerDNS API "
		    "needs: %s (install libcurl4)", p->name, CURL_LAZY_LIBRARY,
		    why);
		return OUT_PERMFAIL;
	}
	if (a->cu->global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		a->cu = NULL;	/* nothing for api_close to clean up */
		log_err("publisher %s: cannot initialise libcurl", p->name);
		return OUT_TEMPFAIL;
	}
	if (pc == NULL || pc->api_url == NULL || pc->api_key_file == NULL) {
		log_err("publisher %s: api_url and api_key_file are needed",
		    p->name);
		return OUT_PERMFAIL;
	}
	a->base = xstrdup(pc->api_url);
	while (*a->base != '\0' && a->base[strlen(a->base) - 1] == '/')
		a->base[strlen(a->base) - 1] = '\0';
	a->shown = url_for_log(a->base);
	if (!pc->tls_verify)
		log_warn("publisher %s: TLS verification is off (tls_verify = "
		    "no): anyone on the path to %s can read the API key",
		    p->name, a->shown);
	else if (cleartext_remote(a->base))
		log_warn("publisher %s: %s is plain HTTP: the API key crosses "
		    "the network in clear text", p->name, a->shown);
	if ((a->key = read_key(p, &a->keycap)) == NULL)
		return OUT_PERMFAIL;
	if ((a->esc = a->cu->easy_init()) == NULL ||
	    (a->sid = a->cu->easy_escape(a->esc, pc->server_id != NULL ?
	    pc->server_id : "localhost", 0)) == NULL) {
		log_err("publisher %s: cannot initialise libcurl", p->name);
		return OUT_TEMPFAIL;
	}
	return OUT_OK;
}

/* One request, judged: OUT_OK with the body in resp (the caller frees). */
static enum outcome
api_call(const struct conf_publisher *p, const struct api *a,
    const char *method, const char *path, const char *body,
    struct pdns_resp *resp)
{
	char *url = xasprintf("%s/api/v1/servers/%s%s", a->base, a->sid, path);
	char *what = xasprintf("publisher %s: %s %s/api/v1/servers/%s%s",
	    p->name, method, a->shown, a->sid, path);
	long status;
	enum outcome r;

	buf_free(&resp->body);
	memset(resp, 0, sizeof(*resp));
	if ((r = http_request(a->cu, p, a->key, method, url, body, what,
	    &status, resp)) == OUT_OK)
		r = pdns_judge(status, resp->body.data, resp->body.len, what,
		    a->key);
	free(url);
	free(what);
	return r;
}

/* The API's id of the zone holding owner (canonical): the configured
 * zone, or the closest in the server's listing. *zid: caller frees. */
static enum outcome
api_zone(const struct conf_publisher *p, const struct api *a,
    const char *owner, char **zid)
{
	struct pdns_resp resp;
	char *zname;
	enum outcome r;
	int pick;

	*zid = NULL;
	memset(&resp, 0, sizeof(resp));
	if (p->zone != NULL) {
		zname = canon_name(p->zone);
		if (zname == NULL || !in_zone(owner, zname)) {
			log_err("publisher %s: %s is not in zone %s", p->name,
			    owner, p->zone);
			free(zname);
			return OUT_PERMFAIL;
		}
		*zid = pdns_zone_id(zname);
		free(zname);
		return OUT_OK;
	}
	if ((r = api_call(p, a, "GET", "/zones", NULL, &resp)) != OUT_OK)
		goto done;
	pick = pdns_pick_zone(resp.body.data, resp.body.len, owner, zid);
	r = pick == 0 ? OUT_OK : OUT_PERMFAIL;
	if (pick < 0)
		log_err("publisher %s: GET %s/api/v1/servers/%s/zones: not a "
		    "zone listing", p->name, a->shown, a->sid);
	else if (pick > 0)
		log_err("publisher %s: no zone on server %s holds %s",
		    p->name, a->shown, owner);
done:
	buf_free(&resp.body);
	return r;
}

/* api_open(), then the zone of owner, canonical in *name, its id in *zid
 * (the caller frees both, and calls api_close() however it went). */
static enum outcome
api_open_zone(const struct conf_publisher *p, struct api *a,
    const char *owner, char **name, char **zid)
{
	enum outcome r;

	if ((r = api_open(p, a)) != OUT_OK)
		return r;
	if ((*name = canon_name(owner)) == NULL) {
		log_err("publisher %s: %s: not a name the API can hold",
		    p->name, owner);
		return OUT_PERMFAIL;
	}
	return api_zone(p, a, *name, zid);
}

static enum outcome
pdns_replace(const struct conf *conf, const struct conf_publisher *p,
    const struct publish_req *req)
{
	struct pdns_resp resp;
	struct api a;
	char *zid = NULL, *owner = NULL, *body = NULL, *path = NULL;
	enum outcome r;

	(void)conf;
	memset(&resp, 0, sizeof(resp));
	if ((r = api_open_zone(p, &a, req->owner, &owner, &zid)) != OUT_OK)
		goto done;
	r = OUT_PERMFAIL;
	if ((body = pdns_body(owner, req->ttl, req->want)) == NULL) {
		log_err("publisher %s: cannot build the request for %s",
		    p->name, owner);
		goto done;
	}
	path = xasprintf("/zones/%s", zid);
	if ((r = api_call(p, &a, "PATCH", path, body, &resp)) != OUT_OK)
		goto done;
	if (req->want->n == 0)
		log_info("publisher %s: deleted the TLSA RRset at %s in zone "
		    "%s", p->name, owner, zid);
	else
		log_info("publisher %s: replaced the TLSA RRset at %s in zone "
		    "%s (%zu record%s)", p->name, owner, zid, req->want->n,
		    req->want->n == 1 ? "" : "s");
done:
	api_close(&a);
	buf_free(&resp.body);
	free(zid);
	free(owner);
	free(body);
	free(path);
	return r;
}

/* doctor: an authenticated GET of the zone holding owner; reads only. */
static enum outcome
pdns_probe(const struct conf *conf, const struct conf_publisher *p,
    const char *owner)
{
	const struct publish_pdns_conf *pc = p->priv;
	struct pdns_resp resp;
	struct api a;
	char *zid = NULL, *name = NULL, *path = NULL;
	enum outcome r;

	(void)conf;
	memset(&resp, 0, sizeof(resp));
	if ((r = api_open_zone(p, &a, owner, &name, &zid)) != OUT_OK)
		goto done;
	path = xasprintf("/zones/%s?rrsets=false", zid);
	if ((r = api_call(p, &a, "GET", path, NULL, &resp)) == OUT_OK)
		log_info("publisher %s: %s accepts the key of %s for zone %s",
		    p->name, a.shown, pc->api_key_file, zid);
done:
	api_close(&a);
	buf_free(&resp.body);
	free(zid);
	free(name);
	free(path);
	return r;
}

static void
pdns_conf_init(void *priv)
{
	struct publish_pdns_conf *pc = priv;

	pc->server_id = xstrdup("localhost");
	pc->tls_verify = 1;
}

/* Without verification anyone on the path reads the API key: only when
 * the operator says so, or names the CA to trust instead. */
static void
pdns_conf_finish(struct conf_pubctx *cx, const struct conf_publisher *p,
    void *priv)
{
	const struct publish_pdns_conf *pc = priv;
	int line = conf_pub_line(cx, "tls_verify");

	if (!pc->tls_verify && pc->ca_file == NULL && !pc->insecure &&
	    line != 0)
		conf_pub_error(cx, line, "tls_verify = no in [publisher %s] "
		    "lets anyone on the path to %s read the API key: set "
		    "ca_file to the API's CA instead, or insecure = yes to "
		    "accept that", p->name, pc->api_url != NULL ? pc->api_url :
		    "the API");
}

#define PDNS_KEY(name, kind, flags) \
	CONF_KEY(struct publish_pdns_conf, name, kind, flags)

static const struct conf_key pdns_keys[] = {
	PDNS_KEY(api_url, CONF_URL, CONF_KEY_REQUIRED),
	PDNS_KEY(api_key_file, CONF_PATH, CONF_KEY_REQUIRED | CONF_KEY_SECRET),
	PDNS_KEY(server_id, CONF_WORD, 0),
	PDNS_KEY(ca_file, CONF_PATH, 0),
	PDNS_KEY(tls_verify, CONF_BOOL, 0),
	PDNS_KEY(insecure, CONF_BOOL, 0),
	PDNS_KEY(proxy, CONF_URL, 0),
	CONF_KEYS_END
};

const struct backend_publisher publish_pdns = {
	"pdns", pdns_replace, pdns_check, pdns_probe, NULL,
	{ pdns_keys, sizeof(struct publish_pdns_conf), pdns_conf_init,
	    pdns_conf_finish }
};

/*
 * Unit tests: the PowerDNS API publisher. The request body, zone ids and
 * zone picking as data; HTTP statuses as a table; then whole replace()
 * calls through libcurl against a scripted HTTP server forked on
 * 127.0.0.1, which records every request it gets. The API key must reach
 * the server in the X-API-Key header and never the log.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <jansson.h>
#include <openssl/ssl.h>

#include "backend.h"
#include "conf.h"
#include "fakes.h"
#include "publish_pdns.h"
#include "t.h"
#include "t_openssl.h"
#include "tlsa.h"
#include "util.h"

#define KEY	"s3cr3t-Api-Key-never-logged-4711"
#define H1	"0101010101010101010101010101010101010101010101010101010101010101"
#define H2	"0202020202020202020202020202020202020202020202020202020202020202"

/* REPLACE with every record, or DELETE; names absolute and lower case. */
static void
test_body(void)
{
	struct tlsa_set two = { 0 }, none = { 0 };
	char *b;

	fake_tlsa_set("3 1 1 " H2 "\n3 1 1 " H1 "\n", &two);
	b = pdns_body("_25._tcp.MX1.example.org", 3600, &two);
	T_STR(b, "{\"rrsets\":[{\"changetype\":\"REPLACE\","
	    "\"name\":\"_25._tcp.mx1.example.org.\",\"records\":["
	    "{\"content\":\"3 1 1 " H1 "\",\"disabled\":false},"
	    "{\"content\":\"3 1 1 " H2 "\",\"disabled\":false}],"
	    "\"ttl\":3600,\"type\":\"TLSA\"}]}");
	free(b);
	b = pdns_body("_25._tcp.mx1.example.org.", 3600, &none);
	T_STR(b, "{\"rrsets\":[{\"changetype\":\"DELETE\","
	    "\"name\":\"_25._tcp.mx1.example.org.\",\"type\":\"TLSA\"}]}");
	free(b);
	/* Nothing that could smuggle JSON or a second name. */
	T_CHECK(pdns_body("a\".example.org", 60, &two) == NULL);
	T_CHECK(pdns_body("a..example.org", 60, &two) == NULL);
	T_CHECK(pdns_body("", 60, &two) == NULL);
	tlsa_set_free(&two);
}

static void
test_zone_id(void)
{
	static const struct {
		const char *in, *out;
	} rows[] = {
		{ "example.org", "example.org." },
		{ "Example.ORG.", "example.org." },
		{ "0/25.2.0.192.in-addr.arpa.", "0=2F25.2.0.192.in-addr.arpa." },
		{ "_under-score.example.", "_under-score.example." },
	};
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char *id = pdns_zone_id(rows[i].in);

		T_STR(id, rows[i].out);
		free(id);
	}
}

static void
test_pick_zone(void)
{
	static const char listing[] =
	    "[{\"id\":\"example.org.\",\"name\":\"example.org.\","
	    "\"kind\":\"Native\"},"
	    "{\"id\":\"mx1.example.org.\",\"name\":\"mx1.example.org.\"},"
	    "{\"id\":\"ample.org.\",\"name\":\"ample.org.\"},"
	    "{\"id\":\"org.example.\",\"name\":\"org.example.\"}]";
	static const struct {
		const char	*json, *owner;
		int		 r;
		const char	*id;
	} rows[] = {
		{ listing, "_25._tcp.mx1.example.org", 0, "mx1.example.org." },
		{ listing, "_25._tcp.mx2.example.org.", 0, "example.org." },
		{ listing, "_25._tcp.MX2.EXAMPLE.ORG", 0, "example.org." },
		/* a label boundary, not a string suffix */
		{ listing, "_25._tcp.mx.xample.org.", 1, NULL },
		{ listing, "_25._tcp.mx.example.net.", 1, NULL },
		{ "[]", "_25._tcp.mx.example.org.", 1, NULL },
		{ "{\"error\":\"x\"}", "_25._tcp.mx.example.org.", -1, NULL },
		{ "not json", "_25._tcp.mx.example.org.", -1, NULL },
		{ "[{\"id\":\"x.\"}]", "_25._tcp.mx.example.org.", -1, NULL },
	};
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char *id = NULL;

		if (!T_INT(pdns_pick_zone(rows[i].json, strlen(rows[i].json),
		    rows[i].owner, &id), rows[i].r))
			printf("    row %zu\n", i);
		T_STR(id, rows[i].id);
		free(id);
	}
}

/* Every HTTP status class, and the text shown for it. */
static void
test_judge_table(void)
{
	static const struct {
		long		 status;
		const char	*body;
		enum outcome	 want;
		const char	*msg;
	} rows[] = {
		{ 204, "", OUT_OK, NULL },
		{ 200, "[]", OUT_OK, NULL },
		{ 401, "{\"error\":\"Unauthorized\"}", OUT_PERMFAIL,
		  "API key rejected (HTTP 401): Unauthorized" },
		{ 403, "", OUT_PERMFAIL, "API key rejected (HTTP 403)" },
		{ 404, "{\"error\":\"Could not find domain 'x.'\"}",
		  OUT_PERMFAIL, "zone/server not found (HTTP 404): Could not "
		  "find domain 'x.'" },
		{ 422, "{\"error\":\"RRset a. IN TLSA: Name is out of zone\"}",
		  OUT_PERMFAIL, "change rejected (HTTP 422): RRset a. IN TLSA: "
		  "Name is out of zone" },
		{ 400, "{\"error\":\"bad\"}", OUT_PERMFAIL,
		  "request refused (HTTP 400): bad" },
		{ 500, "Internal Server Error\r\nmore", OUT_TEMPFAIL,
		  "server error (HTTP 500): Internal Server Error; will retry" },
		{ 503, "", OUT_TEMPFAIL, "server error (HTTP 503); will retry" },
		{ 301, "", OUT_PERMFAIL, "redirected (HTTP 301), not followed" },
		/* A server echoing the key gets it masked, and control
		 * characters cannot forge log lines. */
		{ 422, "{\"error\":\"bad key " KEY "\\nerror: forged\"}",
		  OUT_PERMFAIL, "bad key [API key]?error: forged" },
	};
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		t_log_reset();
		if (!T_INT(pdns_judge(rows[i].status, rows[i].body,
		    strlen(rows[i].body), "publisher p", KEY), rows[i].want))
			printf("    row %zu\n", i);
		if (rows[i].msg != NULL && !T_CHECK(t_log_has(rows[i].msg)))
			printf("    row %zu log: %s\n", i, t_log_text());
		if (rows[i].msg == NULL)
			T_STR(t_log_text(), "");
		T_CHECK(strstr(t_log_text(), KEY) == NULL);
	}
}

/* A long error text is cut, and says so. */
static void
test_judge_long_text(void)
{
	char body[2000];

	memset(body, 'x', sizeof(body) - 1);
	body[sizeof(body) - 1] = '\0';
	T_INT(pdns_judge(422, body, strlen(body), "publisher p", KEY),
	    OUT_PERMFAIL);
	T_CHECK(t_log_has("xxx..."));
	T_CHECK(strlen(t_log_text()) < 400);
}

/* The body is (pointer, length), not a C string: nothing past len is
 * read (found by fuzz_pdns; ASan sees the exact-size buffer). */
static void
test_judge_unterminated(void)
{
	static const char text[] = "Bad Gateway from upstream";
	char *body = xmalloc(sizeof(text) - 1);

	memcpy(body, text, sizeof(text) - 1);
	T_INT(pdns_judge(502, body, sizeof(text) - 1, "publisher p", KEY),
	    OUT_TEMPFAIL);
	T_CHECK(t_log_has("server error (HTTP 502): Bad Gateway from upstream;"));
	T_INT(pdns_judge(502, body, 3, "publisher p", KEY), OUT_TEMPFAIL);
	T_CHECK(t_log_has("(HTTP 502): Bad; will retry"));
	free(body);
}

/* ------------------------------------------ a scripted HTTP server */

struct reply {
	int		 status;	/* 0: accept and never answer */
	const char	*body;
	size_t		 big;		/* > 0: a body of this many 'x' */
};

/* The replies most calls get: a success, and silence. */
static const struct reply ok204[] = { { 204, "", 0 } };
static const struct reply hang[] = { { 0, "", 0 } };

struct http_srv {
	pid_t	pid;
	int	port;
};

static ssize_t
io_read(int c, SSL *ssl, void *buf, size_t len)
{
	if (ssl == NULL)
		return recv(c, buf, len, 0);
	return SSL_read(ssl, buf, (int)len);
}

static void
io_write(int c, SSL *ssl, const void *buf, size_t len)
{
	if (ssl == NULL)
		(void)send(c, buf, len, MSG_NOSIGNAL);
	else
		(void)SSL_write(ssl, buf, (int)len);
}

/* Serves n connections in turn (over TLS when ctx is set), one scripted
 * reply each, appending every request to logpath. */
static void
srv_serve(int lfd, const struct reply *rs, size_t n, const char *logpath,
    SSL_CTX *ctx)
{
	size_t i;

	for (i = 0; i < n; i++) {
		struct buf req = { 0 }, out = { 0 };
		char chunk[4096], *hdr_end, *cl;
		size_t want = 0;
		ssize_t got;
		FILE *f;
		SSL *ssl = NULL;
		int c = accept(lfd, NULL, NULL);

		if (c < 0)
			_exit(1);
		if (ctx != NULL) {
			ssl = SSL_new(ctx);
			SSL_set_fd(ssl, c);
			if (SSL_accept(ssl) != 1) {
				SSL_free(ssl);
				close(c);
				continue;	/* the client refused us */
			}
		}
		/* Headers, then Content-Length octets of body. */
		while ((got = io_read(c, ssl, chunk, sizeof(chunk))) > 0) {
			buf_add(&req, chunk, (size_t)got);
			if ((hdr_end = strstr(req.data, "\r\n\r\n")) == NULL)
				continue;
			cl = strcasestr(req.data, "Content-Length:");
			want = (size_t)(hdr_end - req.data) + 4 +
			    (cl != NULL && cl < hdr_end ?
			    strtoul(cl + 15, NULL, 10) : 0);
			if (req.len >= want)
				break;
		}
		if ((f = fopen(logpath, "a")) != NULL) {
			fprintf(f, "%s\n=====\n", req.data ? req.data : "");
			fclose(f);
		}
		buf_free(&req);
		if (rs[i].status == 0) {
			sleep(30);
			_exit(0);
		}
		if (rs[i].big > 0) {
			char *big = malloc(rs[i].big);

			memset(big, 'x', rs[i].big);
			buf_printf(&out, "HTTP/1.1 %d X\r\nContent-Length: %zu"
			    "\r\nConnection: close\r\n\r\n", rs[i].status,
			    rs[i].big);
			buf_add(&out, big, rs[i].big);
			free(big);
		} else
			buf_printf(&out, "HTTP/1.1 %d X\r\nContent-Type: "
			    "application/json\r\nContent-Length: %zu\r\n"
			    "Connection: close\r\n\r\n%s", rs[i].status,
			    strlen(rs[i].body), rs[i].body);
		io_write(c, ssl, out.data, out.len);
		buf_free(&out);
		if (ssl != NULL) {
			SSL_shutdown(ssl);
			SSL_free(ssl);
		}
		close(c);
	}
	_exit(0);
}

/* tls: serve HTTPS with t_path("tls.pem") and its key. */
static void
srv_start_tls(struct http_srv *s, const struct reply *rs, size_t n, int tls)
{
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);
	SSL_CTX *ctx = NULL;
	int lfd = socket(AF_INET, SOCK_STREAM, 0);
	char key[512];

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) != 0 ||
	    listen(lfd, 8) != 0 ||
	    getsockname(lfd, (struct sockaddr *)&sin, &sl) != 0)
		abort();
	s->port = ntohs(sin.sin_port);
	(void)unlink(t_path("requests"));
	if (tls) {
		snprintf(key, sizeof(key), "%s.key", t_path("tls"));
		if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL ||
		    SSL_CTX_use_certificate_chain_file(ctx,
		    t_path("tls.pem")) != 1 ||
		    SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM)
		    != 1)
			abort();
	}
	if ((s->pid = fork()) == 0)
		srv_serve(lfd, rs, n, t_path("requests"), ctx);
	close(lfd);
	SSL_CTX_free(ctx);
}

/* The pdns keys of the section call_start() makes. */
static struct publish_pdns_conf pc;

/*
 * One replace() call and its world: the scripted server, the publisher
 * section pointing at it (its pdns keys in pc) and the request.
 */
struct call {
	struct http_srv		 s;
	struct conf_publisher	 p;
	struct publish_req	 req;
	struct tlsa_set		 want, prev;
	char			 url[64];
};

/* A request to make owner's RRset the one text describes, from none;
 * the caller frees c->want. */
static void
call_init(struct call *c, const char *owner, int64_t ttl, const char *text)
{
	memset(c, 0, sizeof(*c));
	fake_tlsa_set(text, &c->want);
	c->req.owner = owner;
	c->req.ttl = ttl;
	c->req.prev = &c->prev;
	c->req.want = &c->want;
}

/* A server with n scripted replies (HTTPS with t_path("tls.pem") if tls)
 * and a publisher section pointing at it; key file mode 0600. */
static void
call_start(struct call *c, const struct reply *rs, size_t n, int tls,
    const char *zone)
{
	srv_start_tls(&c->s, rs, n, tls);
	memset(&c->p, 0, sizeof(c->p));
	memset(&pc, 0, sizeof(pc));
	c->p.priv = &pc;
	snprintf(c->url, sizeof(c->url), "%s://127.0.0.1:%d/",
	    tls ? "https" : "http", c->s.port);
	c->p.name = "pdns";
	c->p.type = "pdns";
	pc.api_url = c->url;
	pc.api_key_file = (char *)t_write("api-key", KEY "\n");
	pc.tls_verify = 1;
	c->p.zone = (char *)zone;
	c->p.timeout = 5;
}

/* The call, with only its own lines in the log. */
static enum outcome
call_replace(struct call *c)
{
	t_log_reset();
	return publish_pdns.replace(NULL, &c->p, &c->req);
}

/* Stops the server: the requests it got, or NULL; the caller frees. */
static char *
call_seen(struct call *c)
{
	t_kill(&c->s.pid);
	return t_read(t_path("requests"));
}

/* Whole calls: statuses, discovery, the key on the wire only. */
static void
test_replace_table(void)
{
	static const struct {
		const char	*name;
		const char	*zone;		/* NULL: discover */
		const char	*want;
		struct reply	 r[2];
		size_t		 nr;
		enum outcome	 out;
		const char	*msg;		/* in the log */
		const char	*req;		/* in the request(s) */
	} rows[] = {
		{ "replace", "example.org", "3 1 1 " H1 "\n3 1 1 " H2 "\n",
		  { { 204, "", 0 } }, 1, OUT_OK, NULL,
		  "PATCH /api/v1/servers/localhost/zones/example.org. "
		  "HTTP/1.1" },
		{ "delete", "example.org", "", { { 204, "", 0 } }, 1, OUT_OK,
		  NULL, "\"changetype\":\"DELETE\"" },
		{ "zone found by listing", NULL, "3 1 1 " H1 "\n",
		  { { 200, "[{\"id\":\"example.org.\",\"name\":\"example.org."
		  "\"},{\"id\":\"mx1.example.org.\",\"name\":\"mx1.example."
		  "org.\"}]", 0 }, { 204, "", 0 } }, 2, OUT_OK, NULL,
		  "PATCH /api/v1/servers/localhost/zones/mx1.example.org. " },
		{ "no zone holds the owner", NULL, "3 1 1 " H1 "\n",
		  { { 200, "[{\"id\":\"example.net.\",\"name\":\"example.net."
		  "\"}]", 0 } }, 1, OUT_PERMFAIL, "no zone on server", "GET "
		  "/api/v1/servers/localhost/zones HTTP/1.1" },
		{ "401", "example.org", "3 1 1 " H1 "\n",
		  { { 401, "{\"error\":\"Unauthorized\"}", 0 } }, 1,
		  OUT_PERMFAIL, "API key rejected", "X-API-Key: " KEY "\r\n" },
		{ "404", "example.org", "3 1 1 " H1 "\n",
		  { { 404, "{\"error\":\"Could not find domain "
		  "'example.org.'\"}", 0 } }, 1, OUT_PERMFAIL,
		  "zone/server not found (HTTP 404): Could not find domain",
		  NULL },
		{ "422", "example.org", "3 1 1 " H1 "\n",
		  { { 422, "{\"error\":\"RRset _25._tcp.mx1.example.org. IN "
		  "TLSA: Conflicts with pre-existing RRset\"}", 0 } }, 1,
		  OUT_PERMFAIL, "Conflicts with pre-existing RRset", NULL },
		{ "500", "example.org", "3 1 1 " H1 "\n",
		  { { 500, "{\"error\":\"backend down\"}", 0 } }, 1,
		  OUT_TEMPFAIL, "server error (HTTP 500): backend down", NULL },
		{ "answer over 1 MiB", "example.org", "3 1 1 " H1 "\n",
		  { { 422, NULL, 2 * 1024 * 1024 } }, 1, OUT_PERMFAIL,
		  "answer larger than 1024 KiB", NULL },
		{ "owner outside the configured zone", "example.net",
		  "3 1 1 " H1 "\n", { { 204, "", 0 } }, 0, OUT_PERMFAIL,
		  "is not in zone example.net", NULL },
	};
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct call c;
		char *seen;
		enum outcome o;

		call_init(&c, "_25._tcp.mx1.example.org", 3600, rows[i].want);
		call_start(&c, rows[i].r, rows[i].nr, 0, rows[i].zone);
		o = call_replace(&c);
		if (!T_INT(o, rows[i].out))
			printf("    row %zu (%s): %s", i, rows[i].name,
			    t_log_text());
		if (rows[i].msg != NULL && !T_CHECK(t_log_has(rows[i].msg)))
			printf("    row %zu (%s): %s", i, rows[i].name,
			    t_log_text());
		T_CHECK(strstr(t_log_text(), KEY) == NULL);
		seen = call_seen(&c);
		if (rows[i].nr > 0) {
			T_CHECK(seen != NULL && strstr(seen, "X-API-Key: "
			    KEY "\r\n") != NULL);
			T_CHECK(seen != NULL && strstr(seen, "User-Agent: "
			    "daneroll/") != NULL);
		}
		if (rows[i].req != NULL && !T_CHECK(seen != NULL &&
		    strstr(seen, rows[i].req) != NULL))
			printf("    row %zu (%s): requests:\n%s\n", i,
			    rows[i].name, seen ? seen : "(none)");
		free(seen);
		tlsa_set_free(&c.want);
	}
}

/* The PATCH body on the wire is the JSON pdns_body makes. */
static void
test_replace_body_on_wire(void)
{
	struct call c;
	char *seen, *body, *want_body;

	call_init(&c, "_25._tcp.mx1.example.org.", 1800, "3 1 1 " H1 "\n");
	call_start(&c, ok204, 1, 0, "example.org.");
	T_INT(call_replace(&c), OUT_OK);
	seen = call_seen(&c);
	T_CHECK(seen != NULL && strstr(seen, "Content-Type: application/json")
	    != NULL);
	body = seen != NULL ? strstr(seen, "\r\n\r\n") : NULL;
	want_body = pdns_body(c.req.owner, 1800, &c.want);
	T_CHECK(body != NULL && strncmp(body + 4, want_body,
	    strlen(want_body)) == 0);
	T_CHECK(strstr(want_body, "\"ttl\":1800") != NULL);
	free(want_body);
	free(seen);
	tlsa_set_free(&c.want);
}

/* Transport failures: refused, timed out; a key file anyone can read. */
static void
test_replace_failures(void)
{
	struct call c;
	struct timespec t0, t1;
	char *seen;

	call_init(&c, "_25._tcp.mx1.example.org", 3600, "3 1 1 " H1 "\n");

	/* Connection refused: the server is gone. */
	call_start(&c, hang, 0, 0, "example.org");
	t_kill(&c.s.pid);
	T_INT(call_replace(&c), OUT_TEMPFAIL);
	T_CHECK(t_log_has("Couldn't connect") ||
	    t_log_has("Could not connect"));

	/* No answer within the timeout. */
	call_start(&c, hang, 1, 0, "example.org");
	c.p.timeout = 1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	T_INT(call_replace(&c), OUT_TEMPFAIL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	T_CHECK(t_log_has("Timeout"));
	T_CHECK(t1.tv_sec - t0.tv_sec < 4);
	t_kill(&c.s.pid);

	/* A world-readable key file is refused before any request. */
	call_start(&c, hang, 1, 0, "example.org");
	T_CHECK(chmod(pc.api_key_file, 0644) == 0);
	T_INT(call_replace(&c), OUT_PERMFAIL);
	T_CHECK(t_log_has("api-key"));
	T_CHECK((seen = call_seen(&c)) == NULL);
	free(seen);

	/* An empty key file. */
	t_write("empty-key", "\n");
	pc.api_key_file = (char *)t_path("empty-key");
	T_INT(call_replace(&c), OUT_PERMFAIL);
	T_CHECK(t_log_has("holds no usable API key"));

	/* tls_verify = no is said out loud. */
	pc.api_key_file = (char *)t_write("api-key", KEY "\n");
	pc.tls_verify = 0;
	pc.api_url = "https://127.0.0.1:1/";
	T_INT(call_replace(&c), OUT_TEMPFAIL);
	T_CHECK(t_log_has("TLS verification is off"));
	T_CHECK(strstr(t_log_text(), KEY) == NULL);
	tlsa_set_free(&c.want);
}

/* HTTPS: verification on by default, ca_file trusted, tls_verify = no. */
static void
test_replace_tls(void)
{
	struct call c;
	char *seen;

	if (!T_INT(t_ossl_selfsigned("tls", "ec", "/CN=localhost",
	    "IP:127.0.0.1,DNS:localhost", "2"), 0))
		return;
	call_init(&c, "_25._tcp.mx1.example.org", 3600, "3 1 1 " H1 "\n");

	/* A certificate nobody vouches for: refused, and no retry. */
	call_start(&c, ok204, 1, 1, "example.org");
	T_INT(call_replace(&c), OUT_PERMFAIL);
	T_CHECK(t_log_has("certificate"));
	seen = call_seen(&c);
	T_CHECK(seen == NULL);		/* not a byte of the request sent */
	free(seen);

	/* The same server, its certificate given as ca_file. */
	call_start(&c, ok204, 1, 1, "example.org");
	pc.ca_file = (char *)t_path("tls.pem");
	if (!T_INT(call_replace(&c), OUT_OK))
		printf("    %s", t_log_text());
	T_CHECK(!t_log_has("warning"));
	seen = call_seen(&c);
	T_CHECK(seen != NULL && strstr(seen, "X-API-Key: " KEY) != NULL);
	free(seen);

	/* tls_verify = no: works, with a warning every time. */
	call_start(&c, ok204, 1, 1, "example.org");
	pc.tls_verify = 0;
	T_INT(call_replace(&c), OUT_OK);
	T_CHECK(t_log_has("TLS verification is off"));
	T_CHECK(strstr(t_log_text(), KEY) == NULL);
	t_kill(&c.s.pid);
	tlsa_set_free(&c.want);
}

/*
 * http_proxy in the environment is not followed (the API key would cross
 * a proxy nobody configured); proxy = is. The "proxy" is the test server:
 * it records what reaches it. The API's address is TEST-NET, unreachable
 * directly, so a direct attempt just times out.
 */
static void
test_env_proxy_ignored(void)
{
	static const char *const vars[] = { "http_proxy", "HTTP_PROXY",
	    "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY" };
	struct call c;
	char *seen;
	size_t i;

	call_init(&c, "_25._tcp.mx1.example.org", 3600, "3 1 1 " H1 "\n");
	call_start(&c, ok204, 1, 0, "example.org");
	pc.api_url = "http://192.0.2.1:8081/";
	c.p.timeout = 1;
	for (i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
		T_INT(setenv(vars[i], c.url, 1), 0);
	(void)unsetenv("no_proxy");
	(void)unsetenv("NO_PROXY");
	T_INT(call_replace(&c), OUT_TEMPFAIL);
	seen = call_seen(&c);
	if (!T_CHECK(seen == NULL || strstr(seen, KEY) == NULL))
		printf("    the proxy of the environment saw:\n%s\n", seen);
	free(seen);

	/* proxy = names one: then it is used. */
	call_start(&c, ok204, 1, 0, "example.org");
	pc.proxy = c.url;
	pc.api_url = "http://192.0.2.1:8081/";
	T_INT(call_replace(&c), OUT_OK);
	seen = call_seen(&c);
	T_CHECK(seen != NULL && strstr(seen, "192.0.2.1:8081") != NULL);
	free(seen);
	for (i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
		(void)unsetenv(vars[i]);
	tlsa_set_free(&c.want);
}

/* Which API URLs are this machine (config check warns for the others). */
static void
test_url_loopback(void)
{
	static const struct {
		const char	*url;
		int		 loop;
	} rows[] = {
		{ "http://127.0.0.1:8081", 1 },
		{ "http://127.1.2.3/", 1 },
		{ "http://localhost:8081/api", 1 },
		{ "http://LOCALHOST", 1 },
		{ "http://[::1]:8081/", 1 },
		{ "http://user:pw@127.0.0.1:8081/", 1 },
		{ "http://127.evil.example:8081/", 0 },
		{ "http://localhost.evil.example/", 0 },
		{ "http://192.0.2.1:8081", 0 },
		{ "http://[2001:db8::1]:8081", 0 },
		{ "http://127.0.0.1@evil.example/", 0 },
		{ "http://", 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		if (!T_INT(pdns_url_loopback(rows[i].url), rows[i].loop))
			printf("    %s\n", rows[i].url);
}

static const struct t_case cases[] = {
	{ "body: REPLACE and DELETE", test_body },
	{ "zone ids", test_zone_id },
	{ "zone picked by longest suffix", test_pick_zone },
	{ "HTTP statuses as a table", test_judge_table },
	{ "long error text cut", test_judge_long_text },
	{ "body read within its length", test_judge_unterminated },
	{ "replace over HTTP: statuses, discovery, key", test_replace_table },
	{ "replace over HTTP: body on the wire", test_replace_body_on_wire },
	{ "replace: transport and key file failures", test_replace_failures },
	{ "replace over HTTPS: verify, ca_file, tls_verify = no",
	  test_replace_tls },
	{ "http_proxy of the environment ignored, proxy = used",
	  test_env_proxy_ignored },
	{ "loopback API URLs", test_url_loopback },
};

T_MAIN(cases)

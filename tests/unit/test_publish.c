/*
 * Unit tests: DNS publishers. TSIG key files (good and bad, as a table),
 * TSIG signatures (cross-checked with ldns's own verifier), the RFC 2136
 * publisher against a scripted fake server on 127.0.0.1 (the UPDATE it
 * sends, and its decision for every answer), and the exec publisher's
 * argument vector, environment and exit-status mapping.
 */
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <ldns/ldns.h>

#include "backend.h"
#include "conf.h"
#include "log.h"
#include "publish_exec.h"
#include "publish_rfc2136.h"
#include "t.h"
#include "tlsa.h"
#include "tsig.h"
#include "tsig_keyfile.h"
#include "util.h"

/* Base64 of "secret-that-must-never-leak!!" (29 bytes). */
#define SECRET		"c2VjcmV0LXRoYXQtbXVzdC1uZXZlci1sZWFrISE="
#define SECRET_LEN	29
/* 48 and 64 random-looking bytes for hmac-sha384/512. */
#define SECRET48	"q83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJq83v"
#define SECRET64	"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4v" \
			"MDEyMzQ1Njc4OTo7PD0+Pw=="

/* ---- key files ---- */

static void
test_tsig_key_files(void)
{
	static const struct {
		const char	*text;
		const char	*name, *alg;	/* NULL: must fail */
		size_t		 len;
		const char	*err;		/* ":LINE: message" */
	} rows[] = {
		/* tsig-keygen */
		{ "key \"dr-key\" {\n\talgorithm hmac-sha256;\n\tsecret \""
		  SECRET "\";\n};\n", "dr-key.", "hmac-sha256", SECRET_LEN,
		  NULL },
		{ "key \"DR.Example.\" {\n\talgorithm hmac-sha384;\n\tsecret \""
		  SECRET48 "\";\n};\n", "dr.example.", "hmac-sha384", 48,
		  NULL },
		/* comments, unquoted name and values, one line */
		{ "# made by hand\n// for daneroll\n/* two\n lines */\n"
		  "key dr-key { algorithm HMAC-SHA512.; secret " SECRET64
		  "; };\n", "dr-key.", "hmac-sha512", 64, NULL },
		/* keymgr -t, comment line with the secret included */
		{ "# hmac-sha256:k1:" SECRET "\nkey:\n  - id: k1\n"
		  "    algorithm: hmac-sha256\n    secret: " SECRET "\n",
		  "k1.", "hmac-sha256", SECRET_LEN, NULL },
		{ "key:\n- id: \"k_2.example\"\n  secret: '" SECRET "'\n"
		  "  algorithm: hmac-sha512   # comment\n\n",
		  "k_2.example.", "hmac-sha512", SECRET_LEN, NULL },
		/* knsupdate -k */
		{ "hmac-sha384:k3:" SECRET48 "\n", "k3.", "hmac-sha384", 48,
		  NULL },
		{ "\n# comment\nhmac-sha256:k3.example.:" SECRET "\n", "k3.example.",
		  "hmac-sha256", SECRET_LEN, NULL },

		{ "", NULL, NULL, 0, ":1: no key in the file" },
		{ "key \"k\" {\n\talgorithm hmac-sha256;\n};\n", NULL, NULL, 0,
		  ":4: no secret" },
		{ "key \"k\" {\n\tsecret \"" SECRET "\";\n};\n", NULL, NULL, 0,
		  ":4: no algorithm" },
		{ "key \"k\" {\n\talgorithm hmac-md5;\n\tsecret \"" SECRET
		  "\";\n};\n", NULL, NULL, 0, ":2: unsupported algorithm" },
		{ "key \"k\" {\n\talgorithm hmac-sha256;\n\tfoo bar;\n};\n",
		  NULL, NULL, 0, ":3: expected algorithm, secret or '}'" },
		{ "key \"k\" {\n\talgorithm hmac-sha256;\n\tsecret \"" SECRET
		  "\";\n}\n", NULL, NULL, 0, ":5: expected ';' after '}'" },
		{ "key \"k\" {\n\talgorithm hmac-sha256\n\tsecret \"" SECRET
		  "\";\n};\n", NULL, NULL, 0, ":3: expected ';'" },
		{ "key \"k\" {\n\talgorithm hmac-sha256;\n\tsecret \"" SECRET
		  "\n\";\n};\n", NULL, NULL, 0, ":3: unterminated string" },
		{ "key \"k\" {\n\talgorithm hmac-sha256;\n\tsecret \"" SECRET
		  "\";\n\tsecret \"" SECRET "\";\n};\n", NULL, NULL, 0,
		  ":4: secret given twice" },
		{ "key \"k\" { algorithm hmac-sha256; secret \"" SECRET "\"; };\n"
		  "key \"l\" { algorithm hmac-sha256; secret \"" SECRET "\"; };\n",
		  NULL, NULL, 0, ":2: more than one key in the file" },
		{ "key \"k\" {\n\talgorithm hmac-sha256;\n\tsecret \"c2Vj*mV0\";"
		  "\n};\n", NULL, NULL, 0, ":3: secret is not valid base64" },
		{ "key \"k\" {\n\talgorithm hmac-sha256;\n\tsecret \"c2VjcmV0\";"
		  "\n};\n", NULL, NULL, 0, ":3: secret too short (6 bytes" },
		{ "key \"bad name\" {\n\talgorithm hmac-sha256;\n\tsecret \""
		  SECRET "\";\n};\n", NULL, NULL, 0, ":1: invalid key name" },
		{ "/* open\nkey \"k\" {};", NULL, NULL, 0,
		  ":1: unterminated comment" },
		{ "key:\n  - id: a\n    algorithm: hmac-sha256\n    secret: "
		  SECRET "\n  - id: b\n", NULL, NULL, 0,
		  ":5: more than one key in the file" },
		{ "key:\n  - id: a\n    storage: /x\n", NULL, NULL, 0,
		  ":3: unknown field" },
		{ "key:\n  - id: a\n    algorithm: hmac-sha256\n    secret: "
		  SECRET "\nacl:\n", NULL, NULL, 0, ":5: unexpected section" },
		{ "key:\n    algorithm: hmac-sha256\n", NULL, NULL, 0,
		  ":2: expected '- id: NAME'" },
		{ "key:\n  - id: a\n    algorithm: hmac-sha256\n", NULL, NULL,
		  0, ":3: no secret" },
		{ "hmac-sha256:" SECRET "\n", NULL, NULL, 0,
		  ":1: not a TSIG key" },
		{ SECRET "\n", NULL, NULL, 0, ":1: not a TSIG key" },
		{ "hmac-sha256:k:" SECRET "\nhmac-sha256:l:" SECRET "\n", NULL,
		  NULL, 0, ":2: more than one line" },
		{ "hmac-sha1:k:" SECRET "\n", NULL, NULL, 0,
		  ":1: unsupported algorithm" },
	};
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct tsig_key key;
		char name[32], want[128];
		const char *path;
		int r;

		snprintf(name, sizeof(name), "key%zu", i);
		path = t_write(name, rows[i].text);
		t_log_reset();
		r = tsig_key_load(path, &key);
		if (!T_INT(r, rows[i].name != NULL ? 0 : -1)) {
			printf("    row %zu: %s\n", i, t_log_text());
			continue;
		}
		if (rows[i].name != NULL) {
			T_STR(key.name, rows[i].name);
			T_STR(key.alg, rows[i].alg);
			T_INT(key.secret_len, rows[i].len);
		} else {
			snprintf(want, sizeof(want), "%s%s", path, rows[i].err);
			if (!T_CHECK(t_log_has(want)))
				printf("    row %zu: want \"%s\", log: %s\n", i,
				    want, t_log_text());
			T_CHECK(key.secret == NULL);
		}
		/* Never the secret, encoded, in any message. */
		T_CHECK(strstr(t_log_text(), SECRET) == NULL);
		T_CHECK(strstr(t_log_text(), "c2VjcmV0") == NULL);
		tsig_key_free(&key);
		T_CHECK(key.secret == NULL && key.secret_len == 0);
	}
}

/* A key file that group or others may read is refused, and not parsed. */
static void
test_tsig_key_mode(void)
{
	static const mode_t modes[] = { 0640, 0604, 0660, 0620 };
	struct tsig_key key;
	const char *path;
	size_t i;

	path = t_write("mode.key", "key \"k\" { algorithm hmac-sha256; "
	    "secret \"" SECRET "\"; };\n");
	T_INT(tsig_key_load(path, &key), 0);
	tsig_key_free(&key);
	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		t_log_reset();
		T_INT(chmod(path, modes[i]), 0);
		T_INT(tsig_key_load(path, &key), -1);
		T_CHECK(t_log_has("by group or others; chmod 600"));
		T_CHECK(strstr(t_log_text(), SECRET) == NULL);
	}
	t_log_reset();
	T_INT(tsig_key_load(t_path("absent.key"), &key), -1);
	T_CHECK(t_log_has("absent.key"));
}

/* ---- signatures ---- */

static int
load_key(const char *text, struct tsig_key *key)
{
	return tsig_key_load(t_write("sig.key", text), key);
}

/* A small query for name as wire. */
static void
make_query(const char *name, struct buf *out)
{
	ldns_pkt *q = NULL;
	uint8_t *wire = NULL;
	size_t len = 0;

	T_INT(ldns_pkt_query_new_frm_str(&q, name, LDNS_RR_TYPE_TLSA,
	    LDNS_RR_CLASS_IN, 0), LDNS_STATUS_OK);
	ldns_pkt_set_id(q, 0x1234);
	T_INT(ldns_pkt2wire(&wire, q, &len), LDNS_STATUS_OK);
	buf_add(out, wire, len);
	free(wire);
	ldns_pkt_free(q);
}

/* ldns, an independent implementation, accepts our request signature. */
static void
test_tsig_sign_ldns(void)
{
	static const char *algs[] = { "hmac-sha256", "hmac-sha512" };
	static const char *secrets[] = { SECRET, SECRET64 };
	size_t i;

	for (i = 0; i < 2; i++) {
		struct tsig_key key;
		struct buf msg = { 0 };
		unsigned char mac[TSIG_MAC_MAX];
		char text[256];
		size_t mac_len = 0;
		ldns_pkt *p = NULL;

		snprintf(text, sizeof(text), "%s:dr-key:%s\n", algs[i],
		    secrets[i]);
		T_INT(load_key(text, &key), 0);
		make_query("_25._tcp.mx1.example.org.", &msg);
		T_INT(tsig_sign(&key, &msg, time(NULL), NULL, 0, mac,
		    &mac_len), 0);
		T_INT(mac_len, i == 0 ? 32 : 64);
		T_INT(ldns_wire2pkt(&p, (uint8_t *)msg.data, msg.len),
		    LDNS_STATUS_OK);
		T_CHECK(p != NULL && ldns_pkt_tsig(p) != NULL);
		if (p != NULL)
			T_CHECK(ldns_pkt_tsig_verify(p, (uint8_t *)msg.data,
			    msg.len, "dr-key.", secrets[i], NULL));
		/* ...and not with another secret. */
		if (p != NULL)
			T_CHECK(!ldns_pkt_tsig_verify(p, (uint8_t *)msg.data,
			    msg.len, "dr-key.", SECRET48, NULL));
		if (p != NULL)
			ldns_pkt_free(p);
		buf_free(&msg);
		tsig_key_free(&key);
	}
}

/* Responses: what tsig_verify says about each kind of damage. */
static void
test_tsig_verify(void)
{
	static const struct {
		const char		*verifier;	/* key file text */
		int			 flip;		/* byte to damage, -1 */
		int			 skew;		/* seconds */
		int			 other_reqmac;
		int			 unsigned_msg;
		int			 truncate;
		enum tsig_status	 want;
	} rows[] = {
		{ "hmac-sha256:dr-key:" SECRET, -1, 0, 0, 0, 0, TSIG_OK },
		{ "hmac-sha256:DR-KEY.:" SECRET, -1, 0, 0, 0, 0, TSIG_OK },
		{ "hmac-sha256:dr-key:" SECRET, 20, 0, 0, 0, 0, TSIG_BAD_MAC },
		{ "hmac-sha256:dr-key:" SECRET, -1, 0, 1, 0, 0, TSIG_BAD_MAC },
		{ "hmac-sha256:dr-key:" SECRET48, -1, 0, 0, 0, 0,
		  TSIG_BAD_MAC },
		{ "hmac-sha256:other:" SECRET, -1, 0, 0, 0, 0,
		  TSIG_OTHER_KEY },
		{ "hmac-sha512:dr-key:" SECRET, -1, 0, 0, 0, 0,
		  TSIG_OTHER_KEY },
		{ "hmac-sha256:dr-key:" SECRET, -1, 301, 0, 0, 0,
		  TSIG_BAD_TIME },
		{ "hmac-sha256:dr-key:" SECRET, -1, -301, 0, 0, 0,
		  TSIG_BAD_TIME },
		{ "hmac-sha256:dr-key:" SECRET, -1, 299, 0, 0, 0, TSIG_OK },
		{ "hmac-sha256:dr-key:" SECRET, -1, 0, 0, 1, 0,
		  TSIG_UNSIGNED },
		{ "hmac-sha256:dr-key:" SECRET, -1, 0, 0, 0, 1,
		  TSIG_MALFORMED },
	};
	unsigned char reqmac[32], other[32];
	size_t i;

	memset(reqmac, 0x5a, sizeof(reqmac));
	memset(other, 0xa5, sizeof(other));
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct tsig_key signer, verifier;
		struct tsig_info info;
		struct buf msg = { 0 };
		unsigned char mac[TSIG_MAC_MAX];
		size_t mac_len;
		time_t now = time(NULL);
		enum tsig_status st;

		T_INT(load_key("hmac-sha256:dr-key:" SECRET "\n", &signer), 0);
		T_INT(load_key(rows[i].verifier, &verifier), 0);
		make_query("_25._tcp.mx1.example.org.", &msg);
		msg.data[2] |= (char)0x80;	/* a response */
		if (!rows[i].unsigned_msg)
			T_INT(tsig_sign(&signer, &msg, now + rows[i].skew,
			    reqmac, sizeof(reqmac), mac, &mac_len), 0);
		if (rows[i].flip >= 0)
			msg.data[rows[i].flip] ^= 1;
		if (rows[i].truncate)
			msg.len -= 3;
		st = tsig_verify(&verifier, (unsigned char *)msg.data, msg.len,
		    rows[i].other_reqmac ? other : reqmac, sizeof(reqmac), now,
		    &info);
		if (!T_STR(tsig_status_str(st), tsig_status_str(rows[i].want)))
			printf("    row %zu\n", i);
		T_INT(info.error, 0);
		buf_free(&msg);
		tsig_key_free(&signer);
		tsig_key_free(&verifier);
	}
}

/* ---- RFC 2136 against a scripted server ---- */

/* "3 1 1 NNNN..." with 32 bytes of n. */
static void
rec(int n, struct tlsa_rr *rr)
{
	rr->usage = 3;
	rr->selector = 1;
	rr->mtype = 1;
	rr->len = 32;
	rr->data = xmalloc(32);
	memset(rr->data, n, 32);
}

/* Records 1..9 from a string of digits ("12" = records 1 and 2). */
static void
set_of(const char *ids, struct tlsa_set *set)
{
	for (; ids != NULL && *ids != '\0'; ids++) {
		struct tlsa_rr rr;

		rec(*ids - '0', &rr);
		tlsa_set_add(set, &rr);
		tlsa_rr_free(&rr);
	}
}

#define OWNER	"_25._tcp.mx1.example.org"

struct reply {
	int		 rcode;
	int		 sign;		/* 0 no TSIG, 1 signed, 2 wrong MAC */
	const char	*answer;	/* read-back: record ids, or NULL */
	int		 how;		/* 0 answer; 1 read but do not answer;
					 * 2 answer after forgeries: with
					 * another ID, another zone section;
					 * 3 TC over UDP, answer over TCP */
};

/* Sends m with the bits in mask of octet at flipped: a forger's ID (at
 * 1) or zone ("dxample.org.": at 13), or the TC bit (at 2, 0x02). */
static void
send_changed(int fd, struct buf *m, size_t at, int mask,
    const struct sockaddr_storage *to, socklen_t tolen)
{
	if (m->len <= at)
		return;
	m->data[at] ^= (char)mask;
	(void)sendto(fd, m->data, m->len, 0, (const struct sockaddr *)to,
	    tolen);
	m->data[at] ^= (char)mask;
}

/* Answers one TCP connection on tfd with a, if its query is the very
 * message q (qlen octets) that came over UDP: signed once, sent twice. */
static void
tcp_answer(int tfd, const unsigned char *q, size_t qlen, const struct buf *a)
{
	unsigned char lb[2], *got = xmalloc(65535);
	size_t n = 0;
	int c = accept(tfd, NULL, NULL);

	if (c >= 0 && recv(c, lb, 2, MSG_WAITALL) == 2) {
		n = (size_t)lb[0] << 8 | lb[1];
		if (n == qlen && recv(c, got, n, MSG_WAITALL) == (ssize_t)n &&
		    memcmp(got, q, n) == 0) {
			lb[0] = (unsigned char)(a->len >> 8);
			lb[1] = (unsigned char)a->len;
			(void)send(c, lb, 2, 0);
			(void)send(c, a->data, a->len, 0);
		}
	}
	if (c >= 0)
		close(c);
	free(got);
}

/*
 * Forks a server on 127.0.0.1 (UDP, and TCP on the same port) that
 * answers each datagram with the next reply and writes each request to
 * t_path("reqN"). Returns its pid.
 */
static pid_t
fake_start(const struct reply *rp, int n, const char *keyfile, int *port)
{
	struct sockaddr_in sin;
	socklen_t slen = sizeof(sin);
	pid_t pid;
	int fd, tfd, i;

	/* The kernel picks the UDP port; TCP takes the same number, which
	 * an earlier connection of this test may still hold: pick again. */
	for (i = 0;; i++) {
		fd = socket(AF_INET, SOCK_DGRAM, 0);
		tfd = socket(AF_INET, SOCK_STREAM, 0);
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		slen = sizeof(sin);
		if (fd < 0 || tfd < 0 || setsockopt(tfd, SOL_SOCKET,
		    SO_REUSEADDR, &(int){ 1 }, sizeof(int)) != 0 ||
		    bind(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0 ||
		    getsockname(fd, (struct sockaddr *)&sin, &slen) != 0)
			abort();
		if (bind(tfd, (struct sockaddr *)&sin, sizeof(sin)) == 0 &&
		    listen(tfd, 4) == 0)
			break;
		if (errno != EADDRINUSE || i == 50)
			abort();
		close(fd);
		close(tfd);
	}
	*port = ntohs(sin.sin_port);
	if ((pid = fork()) != 0) {
		close(fd);
		close(tfd);
		return pid;
	}
	alarm(20);
	for (i = 0; i < n; i++) {
		struct sockaddr_storage from;
		socklen_t flen = sizeof(from);
		unsigned char m[65535], mac[TSIG_MAC_MAX];
		const unsigned char *reqmac;
		struct tsig_key key;
		struct buf out = { 0 };
		ldns_pkt *q = NULL, *r = NULL;
		uint8_t *wire = NULL;
		size_t wlen = 0, mlen, rmlen;
		ssize_t got;
		char name[16];
		FILE *f;

		if ((got = recvfrom(fd, m, sizeof(m), 0,
		    (struct sockaddr *)&from, &flen)) < 0)
			_exit(1);
		snprintf(name, sizeof(name), "req%d", i);
		if ((f = fopen(t_path(name), "w")) != NULL) {
			fwrite(m, 1, (size_t)got, f);
			fclose(f);
		}
		if (rp[i].how == 1)
			continue;
		if (ldns_wire2pkt(&q, m, (size_t)got) != LDNS_STATUS_OK ||
		    ldns_pkt_tsig(q) == NULL || tsig_key_load(keyfile,
		    &key) != 0)
			_exit(1);
		r = ldns_pkt_new();
		ldns_pkt_set_id(r, ldns_pkt_id(q));
		ldns_pkt_set_qr(r, true);
		ldns_pkt_set_aa(r, true);
		ldns_pkt_set_opcode(r, ldns_pkt_get_opcode(q));
		ldns_pkt_set_rcode(r, (uint8_t)rp[i].rcode);
		ldns_pkt_push_rr(r, LDNS_SECTION_QUESTION, ldns_rr_clone(
		    ldns_rr_list_rr(ldns_pkt_question(q), 0)));
		for (const char *id = rp[i].answer; id && *id; id++) {
			char s[200], hex[65];
			ldns_rr *rr = NULL;
			int k;

			for (k = 0; k < 64; k += 2) {
				hex[k] = '0';
				hex[k + 1] = *id;
			}
			hex[64] = '\0';
			snprintf(s, sizeof(s), OWNER ". 300 IN TLSA 3 1 1 %s",
			    hex);
			if (ldns_rr_new_frm_str(&rr, s, 0, NULL, NULL) ==
			    LDNS_STATUS_OK)
				ldns_pkt_push_rr(r, LDNS_SECTION_ANSWER, rr);
		}
		if (ldns_pkt2wire(&wire, r, &wlen) != LDNS_STATUS_OK)
			_exit(1);
		buf_add(&out, wire, wlen);
		reqmac = ldns_rdf_data(ldns_rr_rdf(ldns_pkt_tsig(q), 3)) + 2;
		rmlen = ldns_rdf_size(ldns_rr_rdf(ldns_pkt_tsig(q), 3)) - 2;
		if (rp[i].sign == 2)
			reqmac = (const unsigned char *)"not the request MAC "
			    "at all, no..";
		if (rp[i].sign != 0)
			(void)tsig_sign(&key, &out, time(NULL), reqmac, rmlen,
			    mac, &mlen);
		if (rp[i].how == 2) {
			send_changed(fd, &out, 1, 0x01, &from, flen);
			send_changed(fd, &out, 13, 0x01, &from, flen);
		}
		if (rp[i].how == 3) {
			send_changed(fd, &out, 2, 0x02, &from, flen);
			tcp_answer(tfd, m, (size_t)got, &out);
		} else
			(void)sendto(fd, out.data, out.len, 0,
			    (struct sockaddr *)&from, flen);
		buf_free(&out);
		free(wire);
		ldns_pkt_free(q);
		ldns_pkt_free(r);
		tsig_key_free(&key);
	}
	_exit(0);
}

/* A section of an UPDATE as "CLASS TTL id,..." ("NONE 0 -" for no rdata). */
static void
section_str(const ldns_rr_list *l, char *out, size_t outlen)
{
	size_t i, o = 0;

	out[0] = '\0';
	for (i = 0; i < ldns_rr_list_rr_count(l); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(l, i);
		int cls = ldns_rr_get_class(rr);
		char id = '-';

		if (ldns_rr_rd_count(rr) == 4)
			id = (char)('0' + ldns_rdf_data(ldns_rr_rdf(rr, 3))[0]);
		o += (size_t)snprintf(out + o, outlen - o, "%s%s %u %c",
		    i ? "," : "", cls == LDNS_RR_CLASS_IN ? "IN" :
		    cls == LDNS_RR_CLASS_NONE ? "NONE" : "ANY",
		    (unsigned)ldns_rr_ttl(rr), id);
		if (o >= outlen)
			break;
	}
}

/* Runs the publisher against the fake; returns the outcome. */
static enum outcome
fake_publish(const struct reply *rp, int n, const char *prev,
    const char *want, int64_t ttl, const char *server)
{
	struct conf conf;
	struct conf_publisher pub;
	struct publish_rfc2136_conf rc = { 0 };
	struct tlsa_set ps = { 0 }, ws = { 0 };
	struct publish_req req;
	const char *keyfile = t_write("fake.key",
	    "key \"dr-key\" { algorithm hmac-sha256; secret \"" SECRET "\"; };\n");
	char srv[64];
	enum outcome o;
	pid_t pid;
	int port;

	memset(&conf, 0, sizeof(conf));
	memset(&pub, 0, sizeof(pub));
	pid = fake_start(rp, n, keyfile, &port);
	snprintf(srv, sizeof(srv), "127.0.0.1#%d", port);
	pub.name = "fake";
	pub.type = "rfc2136";
	pub.priv = &rc;
	rc.server = server != NULL ? (char *)server : srv;
	pub.zone = "example.org";
	rc.tsig_key_file = (char *)keyfile;
	pub.timeout = 3;
	set_of(prev, &ps);
	set_of(want, &ws);
	req.owner = OWNER;
	req.ttl = ttl;
	req.prev = &ps;
	req.want = &ws;
	o = publish_rfc2136.replace(&conf, &pub, &req);
	t_kill(&pid);
	tlsa_set_free(&ps);
	tlsa_set_free(&ws);
	return o;
}

/* The UPDATE message: zone, prerequisites, deletes and adds. */
static void
test_rfc2136_message(void)
{
	static const struct {
		const char	*prev, *want;
		int64_t		 ttl;
		const char	*prereq, *update;
	} rows[] = {
		{ "", "1", 3600, "NONE 0 -", "IN 3600 1" },
		{ "", "12", 1800, "NONE 0 -", "IN 1800 1,IN 1800 2" },
		{ "12", "23", 3600, "IN 0 1,IN 0 2",
		  "NONE 0 1,NONE 0 2,IN 3600 2,IN 3600 3" },
		{ "12", "", 3600, "IN 0 1,IN 0 2", "NONE 0 1,NONE 0 2" },
		{ "1", "1", 600, "IN 0 1", "NONE 0 1,IN 600 1" },
		{ "", "", 3600, "NONE 0 -", "" },
	};
	static const struct reply ok = { LDNS_RCODE_NOERROR, 1, NULL, 0 };
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		ldns_pkt *p = NULL;
		char *m;
		char got[512];
		size_t len;

		t_log_reset();
		if (!T_INT(fake_publish(&ok, 1, rows[i].prev, rows[i].want,
		    rows[i].ttl, NULL), OUT_OK))
			printf("    row %zu: %s\n", i, t_log_text());
		m = t_read(t_path("req0"));
		len = 0;
		if (m != NULL) {
			struct stat st;

			if (stat(t_path("req0"), &st) == 0)
				len = (size_t)st.st_size;
		}
		if (!T_CHECK(m != NULL && ldns_wire2pkt(&p, (uint8_t *)m,
		    len) == LDNS_STATUS_OK)) {
			free(m);
			continue;
		}
		T_INT(ldns_pkt_get_opcode(p), LDNS_PACKET_UPDATE);
		T_CHECK(!ldns_pkt_rd(p));
		T_CHECK(ldns_pkt_tsig(p) != NULL);
		T_INT(ldns_rr_list_rr_count(ldns_pkt_question(p)), 1);
		T_INT(ldns_rr_get_type(ldns_rr_list_rr(ldns_pkt_question(p),
		    0)), LDNS_RR_TYPE_SOA);
		section_str(ldns_pkt_answer(p), got, sizeof(got));
		if (!T_STR(got, rows[i].prereq))
			printf("    row %zu (prerequisites)\n", i);
		section_str(ldns_pkt_authority(p), got, sizeof(got));
		if (!T_STR(got, rows[i].update))
			printf("    row %zu (update)\n", i);
		T_CHECK(strstr(t_log_text(), SECRET) == NULL);
		ldns_pkt_free(p);
		free(m);
	}
}

/* What the publisher decides on each answer. */
static void
test_rfc2136_answers(void)
{
	static const struct {
		struct reply	 r[2];
		int		 n;
		const char	*prev, *want;
		enum outcome	 want_o;
		const char	*msg;
	} rows[] = {
		{ { { LDNS_RCODE_NOERROR, 1, NULL, 0 } }, 1, "1", "12", OUT_OK,
		  NULL },
		{ { { LDNS_RCODE_NOERROR, 0, NULL, 0 } }, 1, "1", "12",
		  OUT_TEMPFAIL, "the answer (NOERROR) is not TSIG-signed; "
		  "ignored" },
		{ { { LDNS_RCODE_NOERROR, 2, NULL, 0 } }, 1, "1", "12",
		  OUT_TEMPFAIL, "failed TSIG verification with key dr-key." },
		{ { { LDNS_RCODE_SERVFAIL, 1, NULL, 0 } }, 1, "1", "12",
		  OUT_TEMPFAIL, "server failure (SERVFAIL); will retry" },
		{ { { LDNS_RCODE_SERVFAIL, 0, NULL, 0 } }, 1, "1", "12",
		  OUT_TEMPFAIL, "(SERVFAIL) (the answer was not TSIG-signed)" },
		{ { { LDNS_RCODE_FORMERR, 1, NULL, 0 } }, 1, "1", "12",
		  OUT_PERMFAIL, "malformed (FORMERR)" },
		{ { { LDNS_RCODE_NOTAUTH, 1, NULL, 0 } }, 1, "1", "12",
		  OUT_PERMFAIL, "not authoritative for the zone (NOTAUTH)" },
		{ { { LDNS_RCODE_REFUSED, 1, NULL, 0 } }, 1, "1", "12",
		  OUT_PERMFAIL, "refused the update (REFUSED): key dr-key." },
		{ { { LDNS_RCODE_NOTZONE, 1, NULL, 0 } }, 1, "1", "12",
		  OUT_PERMFAIL, "outside the zone (NOTZONE)" },
		{ { { LDNS_RCODE_NOTIMPL, 1, NULL, 0 } }, 1, "1", "12",
		  OUT_PERMFAIL, "does not implement UPDATE (NOTIMP)" },
		/* prerequisite failed, the server already has want */
		{ { { LDNS_RCODE_NXRRSET, 1, NULL, 0 },
		    { LDNS_RCODE_NOERROR, 1, "21", 0 } }, 2, "1", "12", OUT_OK,
		  NULL },
		{ { { LDNS_RCODE_YXRRSET, 1, NULL, 0 },
		    { LDNS_RCODE_NOERROR, 1, "1", 0 } }, 2, "", "1", OUT_OK,
		  NULL },
		{ { { LDNS_RCODE_NXRRSET, 1, NULL, 0 },
		    { LDNS_RCODE_NXDOMAIN, 1, NULL, 0 } }, 2, "1", "", OUT_OK,
		  NULL },
		/* ...or something else: stop */
		{ { { LDNS_RCODE_NXRRSET, 1, NULL, 0 },
		    { LDNS_RCODE_NOERROR, 1, "13", 0 } }, 2, "1", "12",
		  OUT_PERMFAIL, "concurrent edit at " OWNER ": server has 3 1 1 "
		  "0101" },
		{ { { LDNS_RCODE_YXRRSET, 1, NULL, 0 },
		    { LDNS_RCODE_NOERROR, 1, "3", 0 } }, 2, "", "1",
		  OUT_PERMFAIL, "expected no TLSA records" },
		{ { { LDNS_RCODE_NXRRSET, 1, NULL, 0 },
		    { LDNS_RCODE_NOERROR, 0, "12", 0 } }, 2, "1", "12",
		  OUT_TEMPFAIL, "read-back: the answer (NOERROR) is not "
		  "TSIG-signed" },
		{ { { LDNS_RCODE_NXRRSET, 1, NULL, 0 },
		    { LDNS_RCODE_SERVFAIL, 1, NULL, 0 } }, 2, "1", "12",
		  OUT_TEMPFAIL, "the read-back got SERVFAIL" },
		/* forged answers (another ID, another zone) are dropped */
		{ { { LDNS_RCODE_NOERROR, 1, NULL, 2 } }, 1, "1", "12",
		  OUT_OK, "0 deleted, 1 added" },
		{ { { LDNS_RCODE_NXRRSET, 1, NULL, 2 },
		    { LDNS_RCODE_NOERROR, 1, "21", 2 } }, 2, "1", "12",
		  OUT_OK, "already serves the wanted RRset" },
		/* TC: the same signed message again over TCP, its answer
		 * verified (update and read-back) */
		{ { { LDNS_RCODE_NOERROR, 1, NULL, 3 } }, 1, "1", "12", OUT_OK,
		  "the answer from 127.0.0.1#" },
		{ { { LDNS_RCODE_NXRRSET, 1, NULL, 3 },
		    { LDNS_RCODE_NOERROR, 1, "21", 3 } }, 2, "1", "12", OUT_OK,
		  "was truncated; asking again over TCP" },
		{ { { LDNS_RCODE_NOERROR, 2, NULL, 3 } }, 1, "1", "12",
		  OUT_TEMPFAIL, "failed TSIG verification with key dr-key." },
		/* a lost answer: tried again, the prerequisite sorts it out */
		{ { { LDNS_RCODE_NOERROR, 1, NULL, 1 },
		    { LDNS_RCODE_NOERROR, 1, NULL, 0 } }, 2, "1", "12", OUT_OK,
		  "(try 1 of 3)" },
	};
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		enum outcome o;

		t_log_reset();
		o = fake_publish(rows[i].r, rows[i].n, rows[i].prev,
		    rows[i].want, 3600, NULL);
		if (!T_STR(outcome_str(o), outcome_str(rows[i].want_o)))
			printf("    row %zu: %s\n", i, t_log_text());
		if (rows[i].msg != NULL && !T_CHECK(t_log_has(rows[i].msg)))
			printf("    row %zu: want \"%s\", log: %s\n", i,
			    rows[i].msg, t_log_text());
		if (rows[i].want_o != OUT_OK && !rows[i].msg)
			T_CHECK(t_log_has("127.0.0.1#"));
		T_CHECK(strstr(t_log_text(), SECRET) == NULL);
	}
}

/* Failures before anything is sent. */
static void
test_rfc2136_config(void)
{
	struct conf conf;
	struct conf_publisher pub;
	struct publish_rfc2136_conf rc = { 0 };
	struct tlsa_set none = { 0 }, one = { 0 };
	struct publish_req req = { OWNER, 3600, &none, &one, NULL };
	const char *key = t_write("cfg.key", "hmac-sha256:k:" SECRET "\n");
	enum outcome o;

	set_of("1", &one);
	memset(&conf, 0, sizeof(conf));
	memset(&pub, 0, sizeof(pub));
	pub.name = "cfg";
	pub.type = "rfc2136";
	pub.priv = &rc;
	pub.zone = "example.org";
	rc.server = "127.0.0.1#1";
	pub.timeout = 3;

	t_log_reset();
	T_INT(publish_rfc2136.replace(&conf, &pub, &req), OUT_PERMFAIL);
	T_CHECK(t_log_has("publisher cfg: no tsig_key_file"));

	rc.tsig_key_file = (char *)key;
	(void)chmod(key, 0644);
	t_log_reset();
	T_INT(publish_rfc2136.replace(&conf, &pub, &req), OUT_PERMFAIL);
	T_CHECK(t_log_has("by group or others"));
	(void)chmod(key, 0600);

	pub.zone = "other.org";
	t_log_reset();
	T_INT(publish_rfc2136.replace(&conf, &pub, &req), OUT_PERMFAIL);
	T_CHECK(t_log_has("the owner is not in the zone"));
	pub.zone = "example.org";

	rc.server = "not-an-address";
	t_log_reset();
	T_INT(publish_rfc2136.replace(&conf, &pub, &req), OUT_PERMFAIL);
	T_CHECK(t_log_has("server \"not-an-address\" is not an address"));

	/* Nothing listens: refused at once, three tries, retry later. */
	rc.server = "127.0.0.1#1";
	t_log_reset();
	o = publish_rfc2136.replace(&conf, &pub, &req);
	T_INT(o, OUT_TEMPFAIL);
	T_CHECK(t_log_has("no answer in 3 tries"));
	T_CHECK(t_log_has("connection refused (nothing listens)"));
	T_CHECK(strstr(t_log_text(), SECRET) == NULL);
	tlsa_set_free(&one);
}

/* ---- exec ---- */

/* A script that records its arguments and environment, then exits. */
static const char *
script(const char *name, const char *tail)
{
	char *text = xasprintf("#!/bin/sh\n"
	    "for a in \"$@\"; do printf '%%s\\n' \"$a\"; done > '%s'\n"
	    "/usr/bin/env | sort > '%s'\n%s\n",
	    t_path("argv.out"), t_path("env.out"), tail);
	const char *path = t_write(name, text);

	free(text);
	(void)chmod(path, 0700);
	return path;
}

static void
test_exec(void)
{
	static const struct {
		const char	*tail;		/* end of the script */
		const char	*want;		/* record ids */
		int		 timeout;
		enum outcome	 want_o;
		const char	*argv;		/* after COMMAND -z example.org */
		const char	*msg;
	} rows[] = {
		{ "exit 0", "12", 10, OUT_OK, "replace\n" OWNER "\n1800\n"
		  "3 1 1 0101010101010101010101010101010101010101010101010101"
		  "010101010101\n3 1 1 020202020202020202020202020202020202020"
		  "2020202020202020202020202\n", NULL },
		{ "exit 0", "", 10, OUT_OK, "replace\n" OWNER "\n1800\n", NULL },
		{ "echo 'rate limited, retry after 60s' >&2; exit 75", "1", 10,
		  OUT_TEMPFAIL, NULL, "replace " OWNER " failed (exit 75: "
		  "temporary failure; will retry): rate limited, retry after "
		  "60s" },
		{ "echo 'HTTP 401'; echo 'bad token'; exit 1", "1", 10,
		  OUT_PERMFAIL, NULL, "failed (exit 1: failed; retried after a "
		  "back-off, but it needs you): HTTP 401 | bad token" },
		{ "exit 2", "1", 10, OUT_PERMFAIL, NULL, "(no output)" },
		{ "exec sleep 30", "1", 1, OUT_TEMPFAIL, NULL,
		  "(timed out; will retry)" },
		{ "kill -9 $$", "1", 10, OUT_TEMPFAIL, NULL,
		  "(killed by a signal; will retry)" },
	};
	struct conf conf;
	struct conf_publisher pub;
	struct publish_exec_conf ec = { 0 };
	size_t i;

	memset(&conf, 0, sizeof(conf));
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char *argv[] = { (char *)script("hook", rows[i].tail), "-z",
		    "example.org", NULL };
		struct tlsa_set none = { 0 }, want = { 0 };
		struct publish_req req = { OWNER, 1800, &none, &want, NULL };
		enum outcome o;
		char *got, *wantargv;

		memset(&pub, 0, sizeof(pub));
		pub.name = "hook";
		pub.type = "exec";
		pub.priv = &ec;
		ec.command.argv = argv;
		ec.command.argc = 3;
		pub.timeout = rows[i].timeout;
		set_of(rows[i].want, &want);
		(void)unlink(t_path("argv.out"));
		t_log_reset();
		o = publish_exec.replace(&conf, &pub, &req);
		if (!T_STR(outcome_str(o), outcome_str(rows[i].want_o)))
			printf("    row %zu: %s\n", i, t_log_text());
		if (rows[i].argv != NULL) {
			got = t_read(t_path("argv.out"));
			wantargv = xasprintf("-z\nexample.org\n%s",
			    rows[i].argv);
			T_STR(got, wantargv);
			free(got);
			free(wantargv);
		}
		if (rows[i].msg != NULL && !T_CHECK(t_log_has(rows[i].msg)))
			printf("    row %zu: want \"%s\", log: %s\n", i,
			    rows[i].msg, t_log_text());
		if (rows[i].want_o == OUT_OK)
			T_STR(log_last_error(), "");
		tlsa_set_free(&want);
	}
}

#define ONES	"0101010101010101010101010101010101010101010101010101010101010101"
#define THREES	"0303030303030303030303030303030303030303030303030303030303030303"

/* The child sees a fixed environment: none of ours, no secrets. */
static void
test_exec_env(void)
{
	static const char *allowed[] = { "PATH=", "LANG=", "PWD=", "SHLVL=", "_=",
	    "DANEROLL_PUBLISHER=", "DANEROLL_ZONE=", "DANEROLL_SERVED=" };
	char *argv[] = { (char *)script("envhook", "exit 0"), NULL };
	struct conf conf;
	struct conf_publisher pub;
	struct publish_exec_conf ec = { 0 };
	struct tlsa_set none = { 0 }, want = { 0 }, served = { 0 };
	struct publish_req req = { OWNER, 3600, &none, &want, &served };
	char *env, *line, *save = NULL;

	setenv("DANEROLL_TEST_TOKEN", SECRET, 1);
	memset(&conf, 0, sizeof(conf));
	memset(&pub, 0, sizeof(pub));
	pub.name = "envhook";
	pub.type = "exec";
	pub.priv = &ec;
	pub.zone = "example.org";
	ec.command.argv = argv;
	ec.command.argc = 1;
	pub.timeout = 10;
	set_of("123", &want);
	set_of("13", &served);
	T_INT(publish_exec.replace(&conf, &pub, &req), OUT_OK);
	env = t_read(t_path("env.out"));
	T_CHECK(env != NULL);
	if (env != NULL) {
		T_CHECK(strstr(env, SECRET) == NULL);
		T_CHECK(strstr(env, "DANEROLL_TEST_TOKEN") == NULL);
		T_CHECK(strstr(env, "DANEROLL_PUBLISHER=envhook\n") != NULL);
		T_CHECK(strstr(env, "DANEROLL_ZONE=example.org\n") != NULL);
		/* The chains served now: records 1 and 3, comma-separated. */
		T_CHECK(strstr(env, "DANEROLL_SERVED=3 1 1 " ONES "," "3 1 1 "
		    THREES "\n") != NULL);
		for (line = strtok_r(env, "\n", &save); line != NULL;
		    line = strtok_r(NULL, "\n", &save)) {
			size_t k;
			int known = 0;

			for (k = 0; k < sizeof(allowed) / sizeof(allowed[0]);
			    k++)
				known |= strncmp(line, allowed[k],
				    strlen(allowed[k])) == 0;
			if (!T_CHECK(known))
				printf("    unexpected: %s\n", line);
		}
	}
	free(env);
	unsetenv("DANEROLL_TEST_TOKEN");
	tlsa_set_free(&want);
	tlsa_set_free(&served);

	/* No command, a missing program: need a human. */
	ec.command.argv = NULL;
	ec.command.argc = 0;
	t_log_reset();
	T_INT(publish_exec.replace(&conf, &pub, &req), OUT_PERMFAIL);
	T_CHECK(t_log_has("publisher envhook: no command configured"));
	argv[0] = "/nonexistent/dns-hook";
	ec.command.argv = argv;
	ec.command.argc = 1;
	t_log_reset();
	T_INT(publish_exec.replace(&conf, &pub, &req), OUT_PERMFAIL);
	T_CHECK(t_log_has("cannot run /nonexistent/dns-hook"));
}

static const struct t_case cases[] = {
	{ "tsig_key_files", test_tsig_key_files },
	{ "tsig_key_mode", test_tsig_key_mode },
	{ "tsig_sign_ldns", test_tsig_sign_ldns },
	{ "tsig_verify", test_tsig_verify },
	{ "rfc2136_message", test_rfc2136_message },
	{ "rfc2136_answers", test_rfc2136_answers },
	{ "rfc2136_config", test_rfc2136_config },
	{ "exec", test_exec },
	{ "exec_env", test_exec_env },
};

T_MAIN(cases)

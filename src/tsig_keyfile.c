/*
 * tsig_keyfile - TSIG key files read into a struct tsig_key. See
 * include/tsig_keyfile.h.
 *
 * The key file is parsed in place: tokens are spans of the buffer that
 * fs_read_secret returned, so wiping that one buffer wipes every copy of
 * the encoded secret; the decoded secret is allocated once, at its final
 * size, and wiped by tsig_key_free. The key name and the algorithm are
 * checked by tsig.c's own rules (tsig_name_to_wire, tsig_alg_name), so a
 * key that loads is one tsig_sign can use.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "fsutil.h"
#include "log.h"
#include "tsig.h"
#include "tsig_keyfile.h"
#include "util.h"

#define TSIG_FILE_MAX		65536
#define TSIG_SECRET_MIN		16	/* bytes; tsig-keygen makes 32+ */

/* A span of the key file and the line it starts on. */
struct span {
	const char	*s;
	size_t		 n;
	int		 line;
};

/* What a key file said, as spans of the file buffer. */
struct keyfile {
	const char	*path;
	struct span	 name, alg, secret;
};

/* Logs "PATH:LINE: message" - never with a value from the file. */
static void
kf_error(const struct keyfile *kf, int line, const char *msg)
{
	log_err("%s:%d: %s", kf->path, line, msg);
}

static int
span_eq(const struct span *sp, const char *word)
{
	size_t n = strlen(word);

	return sp->n == n && strncasecmp(sp->s, word, n) == 0;
}

/* Sets *slot to sp unless already set (then logs and returns -1). */
static int
kf_set(const struct keyfile *kf, struct span *slot, const struct span *sp,
    const char *what)
{
	char msg[80];

	if (slot->s != NULL) {
		snprintf(msg, sizeof(msg), "%s given twice", what);
		kf_error(kf, sp->line, msg);
		return -1;
	}
	if (sp->n == 0) {
		snprintf(msg, sizeof(msg), "empty %s", what);
		kf_error(kf, sp->line, msg);
		return -1;
	}
	*slot = *sp;
	return 0;
}

/* Strict base64: A-Z a-z 0-9 + /, '=' padding only at the end. */
static int
b64_valid(const struct span *sp)
{
	size_t i, pad = 0;

	if (sp->n == 0 || sp->n % 4 != 0)
		return 0;
	for (i = 0; i < sp->n; i++) {
		int c = (unsigned char)sp->s[i];

		if (c == '=') {
			if (i < sp->n - 2)
				return 0;
			pad++;
		} else if (pad > 0 || !(isalnum(c) || c == '+' || c == '/'))
			return 0;
	}
	return 1;
}

/* Decodes the secret into key->secret (exact size); 0 or -1 (logged). */
static int
decode_secret(const struct keyfile *kf, struct tsig_key *key)
{
	const struct span *sp = &kf->secret;
	unsigned char *tmp = NULL;
	char msg[96];
	size_t pad = 0, n;
	int ret = -1, dec;

	if (!b64_valid(sp)) {
		kf_error(kf, sp->line, "secret is not valid base64");
		goto out;
	}
	if (sp->s[sp->n - 1] == '=')
		pad++;
	if (sp->s[sp->n - 2] == '=')
		pad++;
	tmp = xmalloc(sp->n / 4 * 3 + 1);
	dec = EVP_DecodeBlock(tmp, (const unsigned char *)sp->s, (int)sp->n);
	if (dec < 0 || (size_t)dec < pad) {
		kf_error(kf, sp->line, "secret is not valid base64");
		goto out;
	}
	n = (size_t)dec - pad;
	if (n < TSIG_SECRET_MIN) {
		snprintf(msg, sizeof(msg), "secret too short (%zu bytes; at "
		    "least %d)", n, TSIG_SECRET_MIN);
		kf_error(kf, sp->line, msg);
		goto out;
	}
	key->secret = xmalloc(n);
	memcpy(key->secret, tmp, n);
	key->secret_len = n;
	ret = 0;
out:
	if (tmp != NULL) {
		OPENSSL_cleanse(tmp, sp->n / 4 * 3 + 1);
		free(tmp);
	}
	return ret;
}

/* Checks the three fields and fills key; 0 or -1 (logged). */
static int
kf_finish(const struct keyfile *kf, int last_line, struct tsig_key *key)
{
	unsigned char wire[TSIG_WIRE_NAME_MAX];
	struct span alg = kf->alg;
	size_t i;
	int n;

	if (kf->name.s == NULL || kf->alg.s == NULL || kf->secret.s == NULL) {
		kf_error(kf, last_line, kf->name.s == NULL ? "no key name" :
		    kf->alg.s == NULL ? "no algorithm" : "no secret");
		return -1;
	}
	if ((n = tsig_name_to_wire(kf->name.s, kf->name.n, wire)) < 0) {
		kf_error(kf, kf->name.line, "invalid key name (letters, "
		    "digits, '-', '_' in dot-separated labels)");
		return -1;
	}
	if (alg.n > 0 && alg.s[alg.n - 1] == '.')
		alg.n--;
	if ((key->alg = tsig_alg_name(alg.s, alg.n)) == NULL) {
		kf_error(kf, kf->alg.line, "unsupported algorithm (use "
		    "hmac-sha256, hmac-sha384 or hmac-sha512)");
		return -1;
	}
	if (decode_secret(kf, key) != 0)
		return -1;
	snprintf(key->name, sizeof(key->name), "%.*s%s", (int)kf->name.n,
	    kf->name.s, kf->name.s[kf->name.n - 1] == '.' ? "" : ".");
	for (i = 0; key->name[i] != '\0'; i++)
		key->name[i] = (char)tolower((unsigned char)key->name[i]);
	return 0;
}

/* ---- BIND: key "NAME" { algorithm A; secret "S"; }; ---- */

enum tok { T_EOF, T_WORD, T_STRING, T_LBRACE, T_RBRACE, T_SEMI, T_BAD };

struct lex {
	const struct keyfile	*kf;
	const char		*p, *end;
	int			 line;
};

/* The next token; T_BAD has been logged. */
static enum tok
lex_next(struct lex *lx, struct span *sp)
{
	const char *p = lx->p;

	for (;;) {
		while (p < lx->end && isspace((unsigned char)*p)) {
			if (*p == '\n')
				lx->line++;
			p++;
		}
		if (p < lx->end && (*p == '#' || (*p == '/' &&
		    p + 1 < lx->end && p[1] == '/'))) {
			while (p < lx->end && *p != '\n')
				p++;
			continue;
		}
		if (p + 1 < lx->end && p[0] == '/' && p[1] == '*') {
			int start = lx->line;

			for (p += 2; p + 1 < lx->end &&
			    !(p[0] == '*' && p[1] == '/'); p++)
				if (*p == '\n')
					lx->line++;
			if (p + 1 >= lx->end) {
				kf_error(lx->kf, start, "unterminated comment");
				return T_BAD;
			}
			p += 2;
			continue;
		}
		break;
	}
	sp->line = lx->line;
	sp->s = p;
	sp->n = 0;
	if (p >= lx->end) {
		lx->p = p;
		return T_EOF;
	}
	if (*p == '{' || *p == '}' || *p == ';') {
		lx->p = p + 1;
		sp->n = 1;
		return *p == '{' ? T_LBRACE : *p == '}' ? T_RBRACE : T_SEMI;
	}
	if (*p == '"') {
		for (sp->s = ++p; p < lx->end && *p != '"'; p++)
			if (*p == '\n' || *p == '\\') {
				kf_error(lx->kf, sp->line, *p == '\n' ?
				    "unterminated string" :
				    "backslash in a string");
				return T_BAD;
			}
		if (p >= lx->end) {
			kf_error(lx->kf, sp->line, "unterminated string");
			return T_BAD;
		}
		sp->n = (size_t)(p - sp->s);
		lx->p = p + 1;
		return T_STRING;
	}
	while (p < lx->end && !isspace((unsigned char)*p) && *p != '{' &&
	    *p != '}' && *p != ';' && *p != '"' && *p != '#')
		p++;
	sp->n = (size_t)(p - sp->s);
	lx->p = p;
	return T_WORD;
}

/* Expects tok; logs what was wanted otherwise. */
static int
lex_expect(struct lex *lx, enum tok want, struct span *sp, const char *what)
{
	enum tok t = lex_next(lx, sp);
	char msg[80];

	if (t == T_BAD)
		return -1;
	if (t != want && !(want == T_WORD && t == T_STRING)) {
		snprintf(msg, sizeof(msg), "expected %s", what);
		kf_error(lx->kf, sp->line, msg);
		return -1;
	}
	return 0;
}

static int
parse_bind(struct keyfile *kf, const char *text, size_t len, int *last_line)
{
	struct lex lx = { kf, text, text + len, 1 };
	struct span sp, val;
	enum tok t;

	if (lex_expect(&lx, T_WORD, &sp, "a key statement") != 0)
		return -1;
	if (!span_eq(&sp, "key")) {
		kf_error(kf, sp.line, "expected a key statement");
		return -1;
	}
	if (lex_expect(&lx, T_WORD, &val, "the key name") != 0 ||
	    kf_set(kf, &kf->name, &val, "key name") != 0 ||
	    lex_expect(&lx, T_LBRACE, &sp, "'{' after the key name") != 0)
		return -1;
	for (;;) {
		struct span *slot;

		if ((t = lex_next(&lx, &sp)) == T_BAD)
			return -1;
		if (t == T_RBRACE)
			break;
		if (t == T_WORD && span_eq(&sp, "algorithm"))
			slot = &kf->alg;
		else if (t == T_WORD && span_eq(&sp, "secret"))
			slot = &kf->secret;
		else {
			kf_error(kf, sp.line, t == T_EOF ? "missing '}'" :
			    "expected algorithm, secret or '}'");
			return -1;
		}
		if (lex_expect(&lx, T_WORD, &val, slot == &kf->alg ?
		    "the algorithm" : "the secret") != 0 ||
		    kf_set(kf, slot, &val, slot == &kf->alg ? "algorithm" :
		    "secret") != 0 ||
		    lex_expect(&lx, T_SEMI, &sp, "';'") != 0)
			return -1;
	}
	if (lex_expect(&lx, T_SEMI, &sp, "';' after '}'") != 0)
		return -1;
	if ((t = lex_next(&lx, &sp)) == T_BAD)
		return -1;
	if (t != T_EOF) {
		kf_error(kf, sp.line, t == T_WORD && span_eq(&sp, "key") ?
		    "more than one key in the file" :
		    "unexpected text after the key statement");
		return -1;
	}
	*last_line = sp.line;
	return 0;
}

/* ---- line-based formats: Knot YAML and ALG:NAME:SECRET ---- */

struct line {
	const char	*s;	/* without indentation and comment */
	size_t		 n;
	size_t		 indent;
	int		 no;
};

/* The next line with content; 0 at the end. */
static int
next_line(const char **p, const char *end, int *lineno, struct line *ln)
{
	while (*p < end) {
		const char *s = *p, *e = memchr(s, '\n', (size_t)(end - s));
		const char *c;

		if (e == NULL)
			e = end;
		*p = e < end ? e + 1 : end;
		ln->no = ++*lineno;
		for (ln->indent = 0; s < e && (*s == ' ' || *s == '\t'); s++)
			ln->indent++;
		/* '#' starts a comment at the line start or after a blank */
		for (c = s; c < e; c++)
			if (*c == '#' && (c == s || isspace((unsigned char)c[-1])))
				break;
		while (c > s && isspace((unsigned char)c[-1]))
			c--;
		if (c == s)
			continue;
		ln->s = s;
		ln->n = (size_t)(c - s);
		return 1;
	}
	return 0;
}

/* Splits "field: value" (value unquoted); 0 or -1 (logged). */
static int
yaml_pair(const struct keyfile *kf, const struct line *ln, const char *s,
    struct span *field, struct span *val)
{
	const char *end = ln->s + ln->n, *colon = memchr(s, ':',
	    (size_t)(end - s));

	if (colon == NULL || colon == s) {
		kf_error(kf, ln->no, "expected 'field: value'");
		return -1;
	}
	field->s = s;
	field->n = (size_t)(colon - s);
	field->line = ln->no;
	for (s = colon + 1; s < end && isspace((unsigned char)*s); s++)
		;
	val->s = s;
	val->n = (size_t)(end - s);
	val->line = ln->no;
	if (val->n >= 2 && (s[0] == '"' || s[0] == '\'') &&
	    s[val->n - 1] == s[0]) {
		val->s++;
		val->n -= 2;
	}
	return 0;
}

static int
parse_knot(struct keyfile *kf, const char *text, size_t len, int *last_line)
{
	const char *p = text, *end = text + len;
	struct line ln;
	int lineno = 0, items = 0;

	if (!next_line(&p, end, &lineno, &ln))
		return -1;
	/* The caller saw "key:" on this first line. */
	if (ln.indent != 0 || ln.n != 4) {
		kf_error(kf, ln.no, "expected 'key:' alone on its line");
		return -1;
	}
	while (next_line(&p, end, &lineno, &ln)) {
		struct span field, val, *slot;
		const char *s = ln.s;

		int item = ln.n >= 1 && s[0] == '-' && (ln.n == 1 ||
		    isspace((unsigned char)s[1]));

		/* YAML lets the list start in column 0, under "key:". */
		if (ln.indent == 0 && !item) {
			kf_error(kf, ln.no, "unexpected section (only 'key:' "
			    "may be in a key file)");
			return -1;
		}
		if (item) {
			if (++items > 1) {
				kf_error(kf, ln.no, "more than one key in "
				    "the file");
				return -1;
			}
			for (s++; s < ln.s + ln.n &&
			    isspace((unsigned char)*s); s++)
				;
			if (s == ln.s + ln.n)
				continue;
		} else if (items == 0) {
			kf_error(kf, ln.no, "expected '- id: NAME'");
			return -1;
		}
		if (yaml_pair(kf, &ln, s, &field, &val) != 0)
			return -1;
		if (span_eq(&field, "id"))
			slot = &kf->name;
		else if (span_eq(&field, "algorithm"))
			slot = &kf->alg;
		else if (span_eq(&field, "secret"))
			slot = &kf->secret;
		else {
			kf_error(kf, ln.no, "unknown field (expected id, "
			    "algorithm or secret)");
			return -1;
		}
		if (kf_set(kf, slot, &val, slot == &kf->name ? "id" :
		    slot == &kf->alg ? "algorithm" : "secret") != 0)
			return -1;
	}
	*last_line = lineno;
	return 0;
}

static int
parse_simple(struct keyfile *kf, const char *text, size_t len,
    int *last_line)
{
	const char *p = text, *end = text + len, *c1, *c2, *le;
	struct line ln;
	struct span sp;
	int lineno = 0;

	if (!next_line(&p, end, &lineno, &ln))
		return -1;
	le = ln.s + ln.n;
	c1 = memchr(ln.s, ':', ln.n);
	c2 = c1 != NULL ? memchr(c1 + 1, ':', (size_t)(le - c1 - 1)) : NULL;
	if (c1 == NULL || c2 == NULL || memchr(c2 + 1, ':',
	    (size_t)(le - c2 - 1)) != NULL) {
		kf_error(kf, ln.no, "not a TSIG key (expected a BIND key "
		    "statement, a Knot 'key:' list or ALGORITHM:NAME:SECRET)");
		return -1;
	}
	sp.line = ln.no;
	sp.s = ln.s;
	sp.n = (size_t)(c1 - ln.s);
	if (kf_set(kf, &kf->alg, &sp, "algorithm") != 0)
		return -1;
	sp.s = c1 + 1;
	sp.n = (size_t)(c2 - c1 - 1);
	if (kf_set(kf, &kf->name, &sp, "key name") != 0)
		return -1;
	sp.s = c2 + 1;
	sp.n = (size_t)(le - c2 - 1);
	if (kf_set(kf, &kf->secret, &sp, "secret") != 0)
		return -1;
	if (next_line(&p, end, &lineno, &ln)) {
		kf_error(kf, ln.no, "more than one line in an "
		    "ALGORITHM:NAME:SECRET key file");
		return -1;
	}
	*last_line = lineno;
	return 0;
}

/* Which format: by the first line with content. */
static int
parse_any(struct keyfile *kf, const char *text, size_t len, int *last_line)
{
	const char *p = text, *end = text + len;
	struct line ln;
	int lineno = 0;

	if (memchr(text, '\0', len) != NULL) {
		kf_error(kf, 1, "binary data in a key file");
		return -1;
	}
	/* Skip // comments too: BIND files may begin with them. */
	do {
		if (!next_line(&p, end, &lineno, &ln)) {
			kf_error(kf, lineno > 0 ? lineno : 1, "no key in "
			    "the file");
			return -1;
		}
	} while (ln.n >= 2 && ln.s[0] == '/' && ln.s[1] == '/');
	if (ln.n >= 4 && strncmp(ln.s, "key:", 4) == 0)
		return parse_knot(kf, text, len, last_line);
	if ((ln.n > 3 && strncasecmp(ln.s, "key", 3) == 0 &&
	    (isspace((unsigned char)ln.s[3]) || ln.s[3] == '"' ||
	    ln.s[3] == '{')) || (ln.n >= 2 && ln.s[0] == '/' &&
	    ln.s[1] == '*'))
		return parse_bind(kf, text, len, last_line);
	return parse_simple(kf, text, len, last_line);
}

int
tsig_key_load(const char *path, struct tsig_key *key)
{
	struct keyfile kf;
	char *text = NULL;
	size_t len = 0;
	int ret = -1, last_line = 1;

	memset(key, 0, sizeof(*key));
	memset(&kf, 0, sizeof(kf));
	kf.path = path;
	if ((text = fs_read_secret(path, TSIG_FILE_MAX, &len)) == NULL)
		goto out;
	if (parse_any(&kf, text, len, &last_line) != 0 ||
	    kf_finish(&kf, last_line, key) != 0)
		goto out;
	ret = 0;
out:
	if (text != NULL) {
		OPENSSL_cleanse(text, len);
		free(text);
	}
	if (ret != 0)
		tsig_key_free(key);
	return ret;
}

void
tsig_key_free(struct tsig_key *key)
{
	if (key->secret != NULL) {
		OPENSSL_cleanse(key->secret, key->secret_len);
		free(key->secret);
	}
	memset(key, 0, sizeof(*key));
}

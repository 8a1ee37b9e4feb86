/*
 * Unit test: opener, the order in which connections open under a limit
 * per server. Each row is a list of keys, a limit, and a script of steps:
 * "n" takes the next item (the expected one, or -1), "d<i>" ends item i.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "opener.h"
#include "t.h"

struct row {
	const char	*what;
	const char	*keys[8];
	int		 per_key;
	const char	*script;	/* "n0 n1 n-1 d0 n2 ..." */
};

static const struct row rows[] = {
	{ "distinct servers start in index order",
	    { "a", "b", "c", "d" }, 1, "n0 n1 n2 n3 n-1" },
	{ "one busy server holds only its own items",
	    { "a", "a", "a", "b" }, 1, "n0 n3 n-1 d0 n1 n-1 d1 n2 n-1" },
	{ "a limit of two per server",
	    { "x", "x", "x", "x" }, 2, "n0 n1 n-1 d1 n2 n-1 d0 d2 n3 n-1" },
	{ "servers take turns",
	    { "a", "a", "b", "b" }, 2, "n0 n2 n1 n3 n-1" },
	{ "an item ended twice frees one place",
	    { "a", "a", "a" }, 1, "n0 d0 d0 n1 n-1" },
	{ "no items", { NULL }, 3, "n-1" },
};

static void
run_row(const struct row *r)
{
	struct opener *o;
	char *script = strdup(r->script), *tok, *save = NULL;
	int n = 0;

	while (n < 8 && r->keys[n] != NULL)
		n++;
	o = opener_new(r->keys, n, r->per_key);
	for (tok = strtok_r(script, " ", &save); tok != NULL;
	    tok = strtok_r(NULL, " ", &save)) {
		int v = atoi(tok + 1);

		if (tok[0] == 'd') {
			opener_done(o, v);
			continue;
		}
		if (!T_INT(opener_next(o), v))
			printf("    %s: at %s\n", r->what, tok);
	}
	opener_free(o);
	free(script);
}

static void
test_rows(void)
{
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		run_row(&rows[i]);
}

/* Many items on one server cost no more than a pass each. */
static void
test_many(void)
{
	enum { N = 20000 };
	static const char *keys[N];
	struct opener *o;
	int i, started = 0, item;

	for (i = 0; i < N; i++)
		keys[i] = i % 2 ? "one" : "two";
	o = opener_new(keys, N, 8);
	while ((item = opener_next(o)) >= 0) {
		started++;
		opener_done(o, item);
	}
	T_INT(started, N);
	opener_free(o);
}

static const struct t_case cases[] = {
	{ "opener rows", test_rows },
	{ "opener with 20,000 items on two servers", test_many },
};
T_MAIN(cases)

/*
 * opener - items started at most per_key at once per key, keys in turn.
 * See opener.h for the contract.
 *
 * Items are grouped by key once (a sort, n log n); each group keeps a
 * list of its waiting items, and a ring of groups that may start one
 * more holds each group at most once. So opener_next() and opener_done()
 * cost O(1), however many items share a key.
 */
#include <stdlib.h>
#include <string.h>

#include "opener.h"
#include "util.h"

struct opener {
	int	 n, ngroups, per_key;
	int	*group;		/* item -> its group */
	int	*link;		/* item -> next waiting item of its group */
	int	*head;		/* group -> first waiting item, or -1 */
	int	*open;		/* group -> items started and not done */
	int	*ring;		/* groups that may start one more */
	char	*in_ring;	/* group -> in ring */
	int	 first, len;	/* of the ring */
};

struct keyed {
	const char	*key;
	int		 item;
};

static int
by_key(const void *a, const void *b)
{
	const struct keyed *x = a, *y = b;
	int c = strcmp(x->key, y->key);

	return c != 0 ? c : (x->item > y->item) - (x->item < y->item);
}

static void
ring_push(struct opener *o, int g)
{
	if (o->in_ring[g] || o->head[g] == -1 || o->open[g] >= o->per_key)
		return;
	o->ring[(o->first + o->len) % o->ngroups] = g;
	o->len++;
	o->in_ring[g] = 1;
}

struct opener *
opener_new(const char *const *keys, int n, int per_key)
{
	struct opener *o = xcalloc(1, sizeof(*o));
	struct keyed *k = xcalloc((size_t)(n > 0 ? n : 1), sizeof(*k));
	int *last, i, g;

	o->n = n;
	o->per_key = per_key > 0 ? per_key : 1;
	o->group = xcalloc((size_t)(n > 0 ? n : 1), sizeof(int));
	o->link = xcalloc((size_t)(n > 0 ? n : 1), sizeof(int));
	for (i = 0; i < n; i++) {
		k[i].key = keys[i];
		k[i].item = i;
	}
	qsort(k, (size_t)n, sizeof(*k), by_key);
	for (i = 0; i < n; i++) {
		if (i > 0 && strcmp(k[i].key, k[i - 1].key) != 0)
			o->ngroups++;
		o->group[k[i].item] = o->ngroups;
	}
	o->ngroups += n > 0;
	g = o->ngroups > 0 ? o->ngroups : 1;
	o->head = xcalloc((size_t)g, sizeof(int));
	o->open = xcalloc((size_t)g, sizeof(int));
	o->ring = xcalloc((size_t)g, sizeof(int));
	o->in_ring = xcalloc((size_t)g, 1);
	last = xcalloc((size_t)g, sizeof(int));
	for (g = 0; g < o->ngroups; g++)
		o->head[g] = last[g] = -1;
	/* Waiting lists in item order; groups enter the ring in the order
	 * of their first item. */
	for (i = 0; i < n; i++) {
		g = o->group[i];
		o->link[i] = -1;
		if (last[g] == -1)
			o->head[g] = i;
		else
			o->link[last[g]] = i;
		last[g] = i;
	}
	for (i = 0; i < n; i++)
		if (o->head[o->group[i]] == i)
			ring_push(o, o->group[i]);
	free(last);
	free(k);
	return o;
}

int
opener_next(struct opener *o)
{
	int g, item;

	if (o->len == 0)
		return -1;
	g = o->ring[o->first];
	o->first = (o->first + 1) % o->ngroups;
	o->len--;
	o->in_ring[g] = 0;
	item = o->head[g];
	o->head[g] = o->link[item];
	o->open[g]++;
	ring_push(o, g);
	return item;
}

void
opener_done(struct opener *o, int item)
{
	int g;

	if (item < 0 || item >= o->n)
		return;
	g = o->group[item];
	if (o->open[g] > 0)
		o->open[g]--;
	ring_push(o, g);
}

void
opener_free(struct opener *o)
{
	if (o == NULL)
		return;
	free(o->group);
	free(o->link);
	free(o->head);
	free(o->open);
	free(o->ring);
	free(o->in_ring);
	free(o);
}

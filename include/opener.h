/*
 * opener - the order in which many connections are opened when no more
 * than a few may be open to one server at once.
 *
 * opener_new() takes n items, each with a key (the server: its address and
 * port), and a limit per key. opener_next() returns an item that may start
 * now, or -1 when every item has started or every key with items left is at
 * its limit; opener_done() says an item ended, which frees its key's place.
 * Items of one key start in their index order, and keys take turns in the
 * order of their first item, so n items over n servers start in index
 * order and nothing waits behind one busy server.
 *
 * Pure: no I/O, no clock. Ownership: the opener copies what it needs of
 * keys; opener_free() frees it. opener_new() never fails (xmalloc).
 */
#ifndef DANEROLL_OPENER_H
#define DANEROLL_OPENER_H

struct opener;

struct opener	*opener_new(const char *const *keys, int n, int per_key);
int		 opener_next(struct opener *);
void		 opener_done(struct opener *, int item);
void		 opener_free(struct opener *);

#endif

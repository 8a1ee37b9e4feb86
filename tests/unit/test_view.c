/*
 * test_view - the pure parts of the host view: times recorded ahead of
 * the clock (what `run` logs and `check` reports as clock-skew).
 */
#include <string.h>

#include "t.h"
#include "view.h"

#define NOW	((time_t)1800000000)

static void
test_future_rrset(void)
{
	struct store_rrset v1[2], v2[1];
	struct view_owner owners[2];
	struct view v;
	const struct store_rrset *r = NULL;
	int o = -1;

	memset(&v, 0, sizeof(v));
	memset(v1, 0, sizeof(v1));
	memset(v2, 0, sizeof(v2));
	memset(owners, 0, sizeof(owners));
	owners[0].name = "_25._tcp.mx1.example.org";
	owners[0].v = v1;
	owners[0].nv = 2;
	owners[1].name = "_25._tcp.mx.example.net";
	owners[1].v = v2;
	owners[1].nv = 1;
	v.owners = owners;
	v.nowners = 2;
	v1[0].version = 1;
	v1[0].published_at = NOW - 86400;
	v1[0].propagated_at = NOW - 86000;
	v1[1].version = 2;
	v1[1].published_at = NOW - 10;
	v2[0].version = 1;
	v2[0].propagated_at = NOW + VIEW_FUTURE_SLACK;	/* within slack */
	T_INT(view_future_rrset(&v, NOW, &o, &r), 0);

	/* The clock went back a day: the second owner's propagation. */
	v2[0].propagated_at = NOW + 86400;
	T_INT(view_future_rrset(&v, NOW, &o, &r), NOW + 86400);
	T_INT(o, 1);
	T_CHECK(r == &v2[0]);

	/* Published ahead counts as well as propagated ahead. */
	v1[1].published_at = NOW + VIEW_FUTURE_SLACK + 1;
	T_INT(view_future_rrset(&v, NOW, &o, &r), NOW + VIEW_FUTURE_SLACK + 1);
	T_INT(o, 0);
	T_INT(r->version, 2);
}

static const struct t_case cases[] = {
	{ "future_rrset", test_future_rrset },
};

T_MAIN(cases)

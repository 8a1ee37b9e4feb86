/*
 * check_rows - what the parts of the monitor share and nobody else needs:
 * the host rows of a report (check.c) that the rules (check_rules.c) and
 * the formats (check_format.c) fill in and list.
 */
#ifndef DANEROLL_CHECK_ROWS_H
#define DANEROLL_CHECK_ROWS_H

#include <time.h>

#include "check.h"

/* Every host row's status from all the findings (hosts + findings log
 * hosts, not hosts x findings). */
void	 check_update_status(struct check_report *);
/* The status of the row just added, from the findings since first:
 * check_update_status for one host, while the rest of the fleet is
 * judged. */
void	 check_row_status(struct check_report *, struct check_host *row,
	    int first);

/*
 * Items of a report (endpoints, findings) by host row, for the outputs
 * that list each host's: row r's are item[start[r]] to
 * item[start[r + 1] - 1], in the order given. Free with
 * check_row_items_free.
 */
struct check_row_items {
	int	*start;
	int	*item;
};
/* Each row's endpoints, in report order. */
void	 check_row_endpoints(const struct check_report *,
	    struct check_row_items *);
/* Each row's findings, in the order of order (indexes into findings). */
void	 check_row_findings(const struct check_report *, const int *order,
	    struct check_row_items *);
void	 check_row_items_free(struct check_row_items *);

/* "2026-12-07" (UTC), or "?". Returns buf. */
const char *check_fmt_date(time_t, char *buf, size_t len);

#endif

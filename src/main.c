/*
 * daneroll - keeps DANE TLSA records and SMTP certificates in step through
 * key and certificate rollovers. See daneroll(8).
 */
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "cmd.h"
#include "log.h"

int
main(int argc, char **argv)
{
	struct cli cli;
	int rc;

	if ((rc = cmd_parse(argc, argv, &cli)) != 0)
		rc = rc < 0 ? EX_USAGE : EX_OK;
	else
		rc = cmd_dispatch(&cli);
	/* check is a Nagios plugin: every exit is 0-3 with a status line. */
	if (rc > 3 && cli.command != NULL && strcmp(cli.command, "check") == 0) {
		printf("DANE UNKNOWN - %s: %s\n", rc == EX_USAGE ?
		    "usage error" : "configuration error", *log_last_error() ?
		    log_last_error() : "see daneroll check --help");
		rc = 3;
	}
	return rc;
}

/*
 * daneroll - keeps DANE TLSA records and SMTP certificates in step through
 * key and certificate rollovers. See daneroll(8).
 */
#include "cmd.h"

int
main(int argc, char **argv)
{
	return cmd_main(argc, argv);
}

/* daneroll - placeholder until the command line lands. */
#include <stdio.h>

int
main(void)
{
	puts("daneroll " DANEROLL_VERSION);
	return 0;
}

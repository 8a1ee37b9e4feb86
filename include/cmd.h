/*
 * cmd - the commands of daneroll(8). main() returns cmd_main(), which
 * parses the options into a struct cli and calls cmd_dispatch(); both
 * return a sysexits(3) code, and only main decides the exit status.
 */
#ifndef DANEROLL_CMD_H
#define DANEROLL_CMD_H

struct cli {
	const char	*conf_path;
	const char	*state_dir;	/* overrides the configuration */
	int		 verbosity;
	int		 use_syslog;
	int		 json;
	int		 dry_run;	/* run -n */
	int		 wait;		/* run --wait */
	int		 resume;	/* roll --resume */
	const char	*prometheus;	/* check --prometheus FILE */
	const char	*algorithm;	/* adopt-next --algorithm ALG */
	int		 warn_days;	/* check -w DAYS; -1: not given */
	int		 crit_days;	/* check -c DAYS; -1: not given */
	const char	*command;	/* "run", "plan", "config" ... */
	char		**args;		/* the rest: host names, "check" */
	int		 nargs;
};

/* Parses argv; returns -1 after printing usage (EX_USAGE), 1 after
 * printing help or version (EX_OK), 0 to go on. */
int	cmd_parse(int argc, char **argv, struct cli *);
int	cmd_dispatch(const struct cli *);
/* cmd_parse, then cmd_dispatch: the whole of main. */
int	cmd_main(int argc, char **argv);

/*
 * Test seam: run gives fn to struct engine as its crash_point, called
 * with each named side-effect point ("deploy:after" ...). daneroll never
 * sets it; the test build's main (tests/tools/test_main.c) does, from
 * DANEROLL_TEST_CRASH_AT. NULL: none.
 */
void	cmd_set_crash_point(void (*fn)(const char *point));

#endif

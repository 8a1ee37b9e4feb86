/*
 * steady_setup - builds a state directory with N hosts in steady state
 * (standby: current deployed, next published and aged), through the engine
 * and the test doubles of tests/unit/fakes.c, for bench/run.sh to time
 * `daneroll run` on. Prints the fake time at which the state is steady;
 * the benchmark runs the test build (BUILD/daneroll-test) with
 * DANEROLL_NOW set to it.
 *
 *   steady_setup DIR N
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "conf.h"
#include "engine.h"
#include "fakes.h"
#include "log.h"
#include "store.h"

int
main(int argc, char **argv)
{
	struct conf *conf = NULL;
	struct store *st = NULL;
	struct engine e = { 0 };
	char path[4096];
	FILE *f;
	time_t t0 = 1800000000, now;
	int i, n, rc = 1;

	if (argc != 3 || (n = atoi(argv[2])) < 1) {
		fprintf(stderr, "usage: steady_setup DIR N\n");
		return 64;
	}
	log_init(-1, 0);
	snprintf(path, sizeof(path), "%s/live", argv[1]);
	mkdir(argv[1], 0700);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/tsig.key", argv[1]);
	if ((f = fopen(path, "w")) == NULL)
		return 1;
	fclose(f);
	snprintf(path, sizeof(path), "%s/bench.conf", argv[1]);
	if ((f = fopen(path, "w")) == NULL)
		return 1;
	fprintf(f, "[global]\nstate_dir = %s/state\nttl = 60\nmargin = 10\n\n"
	    "[publisher dns]\ntype = rfc2136\ntsig_key_file = %s/tsig.key\n",
	    argv[1], argv[1]);
	for (i = 0; i < n; i++)
		fprintf(f, "\n[host mx%d.bench.example]\nalgorithms = ecdsa-p256\n"
		    "combined_file = %s/live/mx%d-%%a.pem\npublisher = dns\n"
		    "acme_hook = /bin/true\nreload = /bin/true\n", i, argv[1], i);
	fclose(f);
	chmod(path, 0600);

	fake_reset(argv[1]);
	fake.no_probe = 1;
	fake_clock(t0);
	if ((conf = conf_load(path)) == NULL ||
	    store_open(conf->state_dir, 0, &st) != OUT_OK)
		goto done;
	e.conf = conf;
	e.store = st;
	e.be = &fake_backends;
	for (i = 0; i < n; i++) {
		char *p = conf_path_for(conf->hosts[i].files.combined_file,
		    KEY_ALG_ECDSA_P256);

		fake_deploy_initial(p, conf->hosts[i].name, KEY_ALG_ECDSA_P256,
		    90);
		free(p);
	}
	/* Two passes: publish and observe, then past the TTL to standby. */
	for (now = t0; now < t0 + 3600; now += 600) {
		fake_clock(now);
		for (i = 0; i < n; i++) {
			struct engine_result r;

			engine_host(&e, &conf->hosts[i], &r);
		}
	}
	printf("%lld\n", (long long)now);
	rc = 0;
done:
	store_close(st);
	conf_free(conf);
	return rc;
}

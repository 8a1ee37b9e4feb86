/*
 * acme-driver - runs one daneroll backend call from the command line, for
 * tests/integration/acme.sh (built by make check-build as BUILD/tests/acme-driver):
 *
 *   acme-driver csr      CONF HOST ALG KEY OUT     daneroll's CSR for KEY
 *   acme-driver issue    CONF HOST ALG CSR OUT     issue_hook.issue
 *   acme-driver deploy   CONF HOST ALG KEY CHAIN   deploy_files.deploy
 *   acme-driver rollback CONF HOST ALG             deploy_files.rollback
 *
 * Exit status: 0 OUT_OK, 75 OUT_TEMPFAIL, 1 OUT_PERMFAIL, 64 usage or
 * configuration error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cert.h"
#include "conf.h"
#include "deploy_files.h"
#include "fsutil.h"
#include "issue_hook.h"
#include "key.h"
#include "log.h"
#include "util.h"

static int
csr(const struct conf_host *h, const char *key_path, const char *out)
{
	const char **names = xcalloc((size_t)h->naliases + 1, sizeof(*names));
	EVP_PKEY *key;
	char *pem = NULL;
	int i, rc = 1;

	names[0] = h->name;
	for (i = 0; i < h->naliases; i++)
		names[i + 1] = h->aliases[i].name;
	if ((key = key_load(key_path)) != NULL &&
	    (pem = csr_make_pem(key, names, h->naliases + 1)) != NULL &&
	    fs_write_atomic(out, pem, strlen(pem), 0644, (uid_t)-1,
	    (gid_t)-1) == 0)
		rc = 0;
	free(pem);
	free(names);
	EVP_PKEY_free(key);
	return rc;
}

int
main(int argc, char **argv)
{
	struct conf *conf = NULL;
	struct conf_host *h;
	enum key_alg alg;
	enum outcome o = OUT_PERMFAIL;
	int rc = 64;

	log_init(1, 0);
	if (argc < 5 || (conf = conf_load(argv[2])) == NULL ||
	    (h = conf_host_find(conf, argv[3])) == NULL ||
	    key_alg_parse(argv[4], &alg) != 0) {
		fprintf(stderr, "usage: acme-driver csr|issue|deploy|rollback "
		    "CONF HOST ALG [FILE FILE]\n");
		goto done;
	}
	if (strcmp(argv[1], "csr") == 0 && argc == 7) {
		rc = csr(h, argv[5], argv[6]);
		goto done;
	} else if (strcmp(argv[1], "issue") == 0 && argc == 7)
		o = issue_hook.issue(conf, h, alg, argv[5], argv[6]);
	else if (strcmp(argv[1], "deploy") == 0 && argc == 7)
		o = deploy_files.deploy(conf, h, alg, argv[5], argv[6]);
	else if (strcmp(argv[1], "rollback") == 0 && argc == 5)
		o = deploy_files.rollback(conf, h, alg);
	else
		goto done;
	rc = o == OUT_OK ? 0 : o == OUT_TEMPFAIL ? 75 : 1;
done:
	conf_free(conf);
	return rc;
}

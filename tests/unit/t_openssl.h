/*
 * t_openssl - the openssl command line as an independent oracle for the
 * key and tlsa unit tests: runs it with an argument vector (fork/execvp,
 * never a shell), makes a CA -> intermediate -> leaf chain, and computes
 * DER encodings and digests with it.
 *
 * Header-only, with static functions, because the Makefile links each test
 * program from its one test_*.c file plus t.o and fakes.o. Every file is
 * made under t_tmpdir(); the chain is made once per test program:
 *
 *   ca.pem    root, EC P-256, CN=daneroll test root
 *   int.pem   issued by ca, EC P-256, CN=daneroll test intermediate
 *   int2.pem  issued by ca, same subject as int.pem but another key
 *   leaf.pem  issued by int, RSA-2048, CN and SAN mx1.example.org
 *   (each with its NAME.key, unencrypted, mode 0600)
 */
#ifndef DANEROLL_T_OPENSSL_H
#define DANEROLL_T_OPENSSL_H

#include <sys/stat.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "t.h"
#include "util.h"

#define T_OSSL_FN	static __attribute__((unused))

static const char t_ossl_conf_text[] =
    "[req]\n"
    "distinguished_name = dn\n"
    "prompt = no\n"
    "[dn]\n"
    "[ca_ext]\n"
    "basicConstraints = critical,CA:TRUE\n"
    "keyUsage = critical,keyCertSign,cRLSign\n"
    "subjectKeyIdentifier = hash\n"
    "[leaf_ext]\n"
    "basicConstraints = critical,CA:FALSE\n"
    "keyUsage = critical,digitalSignature,keyEncipherment\n"
    "extendedKeyUsage = serverAuth\n"
    "subjectAltName = DNS:mx1.example.org\n";

/* A private openssl.cnf, so the system's configuration plays no part. */
T_OSSL_FN const char *
t_ossl_conf(void)
{
	static char path[512];

	if (path[0] == '\0')
		snprintf(path, sizeof(path), "%s",
		    t_write("openssl.cnf", t_ossl_conf_text));
	return path;
}

/*
 * Runs argv (argv[0] looked up in PATH) with stdout into out (or
 * /dev/null) and stderr into t_path("cli.err"); returns the exit status,
 * or -1. A failure prints the command and its stderr.
 */
T_OSSL_FN int
t_run_cmd(const char *const *argv, const char *out)
{
	char errpath[512];
	const char *conf = t_ossl_conf();
	pid_t pid;
	int st, fd, i, rc;

	snprintf(errpath, sizeof(errpath), "%s", t_path("cli.err"));
	fflush(stdout);
	if ((pid = fork()) == -1)
		return -1;
	if (pid == 0) {
		fd = open(out != NULL ? out : "/dev/null",
		    O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd == -1 || dup2(fd, 1) == -1)
			_exit(126);
		fd = open(errpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd == -1 || dup2(fd, 2) == -1)
			_exit(126);
		fd = open("/dev/null", O_RDONLY);
		if (fd == -1 || dup2(fd, 0) == -1)
			_exit(126);
		setenv("OPENSSL_CONF", conf, 1);
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	while (waitpid(pid, &st, 0) == -1)
		;
	rc = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	if (rc != 0) {
		char *err = t_read(errpath);

		printf("    command failed (%d):", rc);
		for (i = 0; argv[i] != NULL; i++)
			printf(" %s", argv[i]);
		printf("\n    %s\n", err != NULL ? err : "");
		free(err);
	}
	return rc;
}

/* Reads a whole (binary) file; caller frees; NULL if absent. */
T_OSSL_FN unsigned char *
t_read_bin(const char *path, size_t *lenp)
{
	return (unsigned char *)t_read_len(path, lenp);
}

/* "openssl dgst -sha256 -r": the hex digest of file into hex; 0 or -1. */
T_OSSL_FN int
t_ossl_digest(const char *alg, const char *file, char *hex, size_t hexlen)
{
	char *out = xasprintf("%s.dgst", file), *text = NULL;
	const char *argv[] = { "openssl", "dgst", alg, "-r", "-out", out,
	    file, NULL };
	size_t n;
	int rc = -1;

	if (t_run_cmd(argv, NULL) == 0 && (text = t_read(out)) != NULL) {
		n = strcspn(text, " \n");
		if (n > 0 && n < hexlen) {
			memcpy(hex, text, n);
			hex[n] = '\0';
			rc = 0;
		}
	}
	free(text);
	free(out);
	return rc;
}

/* The DER certificate (selector 0) of a PEM file, into der. */
T_OSSL_FN int
t_ossl_cert_der(const char *pem, const char *der)
{
	const char *argv[] = { "openssl", "x509", "-in", pem, "-outform",
	    "DER", "-out", der, NULL };

	return t_run_cmd(argv, NULL);
}

/* The DER SubjectPublicKeyInfo (selector 1) of a PEM certificate. */
T_OSSL_FN int
t_ossl_cert_spki_der(const char *pem, const char *der)
{
	char *pub = xasprintf("%s.pub.pem", der);
	const char *a1[] = { "openssl", "x509", "-in", pem, "-pubkey",
	    "-noout", "-out", pub, NULL };
	const char *a2[] = { "openssl", "pkey", "-pubin", "-in", pub,
	    "-outform", "DER", "-out", der, NULL };
	int rc = -1;

	if (t_run_cmd(a1, NULL) == 0)
		rc = t_run_cmd(a2, NULL);
	free(pub);
	return rc;
}

/*
 * The start of an "openssl req" argument vector into argv: what (-x509 or
 * -new) with a fresh unencrypted key of alg ("ec"|"rsa") into key, the
 * certificate or request into out, for subject subj. The count written.
 */
T_OSSL_FN int
t_ossl_req_argv(const char **argv, const char *what, const char *alg,
    const char *key, const char *out, const char *subj)
{
	int n = 0;

	argv[n++] = "openssl";
	argv[n++] = "req";
	argv[n++] = what;
	argv[n++] = "-config";
	argv[n++] = t_ossl_conf();
	argv[n++] = "-newkey";
	if (strcmp(alg, "ec") == 0) {
		argv[n++] = "ec";
		argv[n++] = "-pkeyopt";
		argv[n++] = "ec_paramgen_curve:P-256";
	} else
		argv[n++] = "rsa:2048";
	argv[n++] = "-nodes";
	argv[n++] = "-keyout";
	argv[n++] = key;
	argv[n++] = "-out";
	argv[n++] = out;
	argv[n++] = "-subj";
	argv[n++] = subj;
	return n;
}

/* A self-signed certificate NAME.pem with key NAME.key; alg "ec"|"rsa". */
T_OSSL_FN int
t_ossl_selfsigned(const char *name, const char *alg, const char *subj,
    const char *san, const char *days)
{
	char key[512], crt[512], ext[512];
	const char *argv[24];
	int n;

	snprintf(key, sizeof(key), "%s.key", t_path(name));
	snprintf(crt, sizeof(crt), "%s.pem", t_path(name));
	n = t_ossl_req_argv(argv, "-x509", alg, key, crt, subj);
	if (san != NULL) {
		snprintf(ext, sizeof(ext), "subjectAltName=%s", san);
		argv[n++] = "-addext";
		argv[n++] = ext;
	}
	argv[n++] = "-days";
	argv[n++] = days;
	argv[n] = NULL;
	return t_run_cmd(argv, NULL);
}

/* NAME.pem issued by ISSUER.pem/.key, with a fresh key; ext a section. */
T_OSSL_FN int
t_ossl_issue(const char *name, const char *alg, const char *subj,
    const char *issuer, const char *ext, const char *serial)
{
	char key[512], csr[512], crt[512], ca[512], cakey[512];
	const char *r2[] = { "openssl", "x509", "-req", "-in", csr, "-CA", ca,
	    "-CAkey", cakey, "-set_serial", serial, "-days", "30",
	    "-extfile", t_ossl_conf(), "-extensions", ext, "-out", crt, NULL };
	const char *argv[24];

	snprintf(key, sizeof(key), "%s.key", t_path(name));
	snprintf(csr, sizeof(csr), "%s.csr", t_path(name));
	snprintf(crt, sizeof(crt), "%s.pem", t_path(name));
	snprintf(ca, sizeof(ca), "%s.pem", t_path(issuer));
	snprintf(cakey, sizeof(cakey), "%s.key", t_path(issuer));
	argv[t_ossl_req_argv(argv, "-new", alg, key, csr, subj)] = NULL;
	if (t_run_cmd(argv, NULL) != 0)
		return -1;
	return t_run_cmd(r2, NULL);
}

/* Makes the chain described at the top once; 0, or -1 (printed). */
T_OSSL_FN int
t_ossl_chain(void)
{
	static int done = 0;
	const char *root[] = { "openssl", "req", "-x509", "-config",
	    t_ossl_conf(), "-newkey", "ec", "-pkeyopt",
	    "ec_paramgen_curve:P-256", "-nodes", "-keyout", t_path("ca.key"),
	    "-out", t_path("ca.pem"), "-subj", "/CN=daneroll test root",
	    "-days", "30", "-extensions", "ca_ext", NULL };

	if (done != 0)
		return done > 0 ? 0 : -1;
	done = -1;
	if (t_run_cmd(root, NULL) != 0 ||
	    t_ossl_issue("int", "ec", "/CN=daneroll test intermediate", "ca",
	    "ca_ext", "2") != 0 ||
	    t_ossl_issue("int2", "ec", "/CN=daneroll test intermediate",
	    "ca", "ca_ext", "3") != 0 ||
	    t_ossl_issue("leaf", "rsa", "/CN=mx1.example.org", "int",
	    "leaf_ext", "4") != 0)
		return -1;
	done = 1;
	return 0;
}

/* Concatenates t_path(names[i]) into t_path(out); returns its path. */
T_OSSL_FN const char *
t_cat(const char *out, const char *const *names)
{
	struct buf b = { NULL, 0, 0 };
	char *s;
	const char *path;
	int i;

	for (i = 0; names[i] != NULL; i++) {
		if ((s = t_read(t_path(names[i]))) == NULL)
			continue;
		buf_puts(&b, s);
		free(s);
	}
	path = t_write(out, b.data != NULL ? b.data : "");
	buf_free(&b);
	return path;
}

/* tests/data/NAME in the source tree (DANEROLL_TOP, else the cwd). */
T_OSSL_FN const char *
t_data(const char *name)
{
	static char path[1024];
	const char *top = getenv("DANEROLL_TOP");

	snprintf(path, sizeof(path), "%s/tests/data/%s",
	    top != NULL && *top != '\0' ? top : ".", name);
	return path;
}

#endif

/*
 * key - private keys, certificates, chains and CSRs, on OpenSSL 3 APIs.
 *
 * key_generate() makes an RSA-2048 or ECDSA P-256 (named curve) key in
 * memory; key_write_new() writes it once as unencrypted PKCS#8 PEM,
 * atomically, never over an existing file; key_load() reads a key back
 * after checking that the file is a regular file of the effective user,
 * opened under its own name (O_NOFOLLOW), that group and others can
 * neither read nor write, in directories no one else can change
 * (fs_secure_path); key_load_linked() also follows root's symbolic links
 * (an ACME client's live/ directory) and then checks the file it names;
 * key_load_unchecked() skips these checks, for keys deployed with a
 * group-readable mode or another owner.
 *
 * Certificates come as PEM chains, leaf first. A chain holds at most
 * CERT_CHAIN_MAX certificates and comes from at most CERT_PEM_MAX bytes
 * of PEM (the same limit applies to key files); PRIVATE KEY blocks are
 * skipped, so a combined key + chain file reads as its chain; any other
 * PEM block is an error.
 *
 * Ownership: every EVP_PKEY, X509, STACK_OF(X509) and string returned is
 * the caller's. Buffers that held private key material are wiped with
 * OPENSSL_cleanse before they are freed. Each failure is logged once,
 * here, naming the file (or the name the caller gave) and the problem.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "fsutil.h"
#include "key.h"
#include "log.h"
#include "util.h"
#include "x509cache.h"

/* The text of the last OpenSSL error, and an empty error queue. */
static const char *
ossl_reason(void)
{
	unsigned long e = ERR_peek_last_error();
	const char *r = e != 0 ? ERR_reason_error_string(e) : NULL;

	ERR_clear_error();
	return r != NULL ? r : "unknown OpenSSL error";
}

/* Copies a memory BIO's contents into a NUL-terminated string. */
static char *
bio_to_string(BIO *bio)
{
	char *data = NULL, *s;
	long n = BIO_get_mem_data(bio, &data);

	if (n < 0)
		n = 0;
	s = xmalloc((size_t)n + 1);
	if (n > 0)
		memcpy(s, data, (size_t)n);
	s[n] = '\0';
	return s;
}

/*
 * Reads a whole regular file of at most max bytes into a NUL-terminated
 * buffer (caller wipes if secret, and frees). With secret set, refuses a
 * symbolic link (O_NOFOLLOW), a file not owned by the effective user and
 * a file that group or others may read or write. NULL if refused, logged.
 */
static char *
slurp(const char *path, size_t max, int secret, size_t *lenp)
{
	struct stat st;
	char *data = NULL, *ret = NULL;
	size_t cap = 0, n = 0;
	ssize_t r;
	int fd = -1;

	/* O_NONBLOCK: a FIFO planted at the path must not hang the run. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK |
	    (secret ? O_NOFOLLOW : 0));
	if (fd == -1) {
		if (secret && errno == ELOOP)
			log_err("%s: is a symbolic link; a private key is read "
			    "only under its own name", path);
		else
			log_err("%s: %s", path, strerror(errno));
		goto done;
	}
	if (fstat(fd, &st) == -1) {
		log_err("%s: fstat: %s", path, strerror(errno));
		goto done;
	}
	if (!S_ISREG(st.st_mode)) {
		log_err("%s: not a regular file", path);
		goto done;
	}
	/* Someone else's key in our place is a substituted key. */
	if (secret && st.st_uid != geteuid()) {
		log_err("%s: private key file owned by uid %ld, not by uid %ld "
		    "that daneroll runs as; refusing it", path,
		    (long)st.st_uid, (long)geteuid());
		goto done;
	}
	if (secret && (st.st_mode &
	    (S_IRGRP | S_IWGRP | S_IROTH | S_IWOTH)) != 0) {
		log_err("%s: private key file has mode %04o, which lets group "
		    "or others read or write it; refusing it (chmod 600)",
		    path, (unsigned)(st.st_mode & 07777));
		goto done;
	}
	if ((unsigned long long)st.st_size > (unsigned long long)max) {
		log_err("%s: %lld bytes, more than the limit of %zu bytes", path,
		    (long long)st.st_size, max);
		goto done;
	}
	/* One byte more than expected tells a file that grew meanwhile. */
	cap = (size_t)st.st_size + 1;
	data = xmalloc(cap + 1);
	while (n < cap) {
		r = read(fd, data + n, cap - n);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			log_err("%s: read: %s", path, strerror(errno));
			goto done;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	if (n == cap) {
		log_err("%s: file changed while being read", path);
		goto done;
	}
	data[n] = '\0';
	*lenp = n;
	ret = data;
	data = NULL;
done:
	if (data != NULL) {
		OPENSSL_cleanse(data, cap + 1);
		free(data);
	}
	if (fd != -1)
		close(fd);
	return ret;
}

EVP_PKEY *
key_generate(enum key_alg alg)
{
	EVP_PKEY *pkey = NULL;

	switch (alg) {
	case KEY_ALG_RSA2048:
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
		break;
	case KEY_ALG_ECDSA_P256:
		/* OpenSSL 3 encodes EC keys with the named curve by default. */
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
		break;
	default:
		log_err("key generation: unknown algorithm %d", (int)alg);
		return NULL;
	}
	if (pkey == NULL)
		log_err("key generation failed: %s", ossl_reason());
	return pkey;
}

/* Writes all of buf to fd; 0 or -1 with errno set. */
static int
write_all(int fd, const char *buf, size_t len)
{
	ssize_t r;

	while (len > 0) {
		r = write(fd, buf, len);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			return -1;
		buf += r;
		len -= (size_t)r;
	}
	return 0;
}

/* The directory of path, to fsync once the key is linked there. */
static char *
parent_dir(const char *path)
{
	char *dir = xstrdup(path), *slash;

	if ((slash = strrchr(dir, '/')) == NULL) {
		free(dir);
		dir = xstrdup(".");
	} else if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	return dir;
}

/* pkey as PKCS#8 PEM in *mem (*pem, *pemlen point into it); the caller
 * wipes and frees it. 0 or -1. */
static int
encode_pem(const char *path, EVP_PKEY *pkey, BIO **mem, char **pem,
    long *pemlen)
{
	if ((*mem = BIO_new(BIO_s_mem())) == NULL ||
	    PEM_write_bio_PKCS8PrivateKey(*mem, pkey, NULL, NULL, 0, NULL,
	    NULL) != 1) {
		log_err("%s: cannot encode the private key: %s", path,
		    ossl_reason());
		return -1;
	}
	*pemlen = BIO_get_mem_data(*mem, pem);
	if (*pemlen <= 0 || *pem == NULL) {
		log_err("%s: cannot encode the private key", path);
		return -1;
	}
	return 0;
}

/* A temporary name beside path, random so no one can foresee it. */
static char *
temp_name(const char *path)
{
	unsigned char rnd[8];
	char suffix[sizeof(rnd) * 2 + 1];

	if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
		log_err("%s: no randomness for a temporary name: %s", path,
		    ossl_reason());
		return NULL;
	}
	util_hex(rnd, sizeof(rnd), suffix);
	return xasprintf("%s.tmp-%s", path, suffix);
}

/* The new temporary file *fd (tmp): owner, mode, the PEM, fsync, close
 * (*fd is then -1). 0 or -1. */
static int
fill_temp(const char *tmp, int *fd, const char *pem, long pemlen,
    mode_t mode, uid_t uid, gid_t gid)
{
	if ((uid != (uid_t)-1 || gid != (gid_t)-1) &&
	    fchown(*fd, uid, gid) == -1) {
		log_err("%s: fchown %ld:%ld: %s", tmp, (long)uid, (long)gid,
		    strerror(errno));
		return -1;
	}
	if (fchmod(*fd, mode & 07777) == -1) {
		log_err("%s: fchmod %04o: %s", tmp, (unsigned)(mode & 07777),
		    strerror(errno));
		return -1;
	}
	if (write_all(*fd, pem, (size_t)pemlen) == -1) {
		log_err("%s: write: %s", tmp, strerror(errno));
		return -1;
	}
	if (fsync(*fd) == -1) {
		log_err("%s: fsync: %s", tmp, strerror(errno));
		return -1;
	}
	if (close(*fd) == -1) {
		*fd = -1;
		log_err("%s: close: %s", tmp, strerror(errno));
		return -1;
	}
	*fd = -1;
	return 0;
}

int
key_write_new(const char *path, EVP_PKEY *pkey, mode_t mode, uid_t uid,
    gid_t gid)
{
	char *dir = NULL, *tmp = NULL, *pem = NULL;
	BIO *mem = NULL;
	long pemlen = 0;
	mode_t oldmask;
	int fd = -1, dfd = -1, rc = -1, tmp_made = 0, linked = 0;

	if (pkey == NULL) {
		log_err("%s: no key to write", path);
		goto done;
	}
	dir = parent_dir(path);
	/* The PEM is made before any file exists, so it can't be half done. */
	if (encode_pem(path, pkey, &mem, &pem, &pemlen) != 0)
		goto done;
	if ((tmp = temp_name(path)) == NULL)
		goto done;
	oldmask = umask(077);
	fd = open(tmp, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW,
	    0600);
	(void)umask(oldmask);
	if (fd == -1) {
		log_err("%s: cannot create a temporary file %s: %s", path,
		    tmp, strerror(errno));
		goto done;
	}
	tmp_made = 1;
	if (fill_temp(tmp, &fd, pem, pemlen, mode, uid, gid) != 0)
		goto done;
	/* link(), unlike rename(), fails when path exists: never overwrite. */
	if (link(tmp, path) == -1) {
		if (errno == EEXIST)
			log_err("%s: already exists; a key is never "
			    "overwritten", path);
		else
			log_err("%s: link: %s", path, strerror(errno));
		goto done;
	}
	linked = 1;
	if (unlink(tmp) == -1) {
		log_err("%s: unlink: %s", tmp, strerror(errno));
		goto done;
	}
	tmp_made = 0;
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1 ||
	    fsync(dfd) == -1) {
		log_err("%s: fsync of the directory: %s", dir,
		    strerror(errno));
		goto done;
	}
	rc = 0;
done:
	if (fd != -1)
		close(fd);
	if (dfd != -1)
		close(dfd);
	/* All or nothing: a failed call leaves no file behind. */
	if (rc != 0 && linked)
		(void)unlink(path);
	if (tmp_made)
		(void)unlink(tmp);
	if (pem != NULL && pemlen > 0)
		OPENSSL_cleanse(pem, (size_t)pemlen);
	BIO_free(mem);
	free(tmp);
	free(dir);
	return rc;
}

/* Never prompt for a pass phrase: daneroll keys are not encrypted. */
static int
no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

static EVP_PKEY *
load_key(const char *path, int check_mode)
{
	EVP_PKEY *pkey = NULL;
	BIO *bio = NULL;
	char *data = NULL;
	size_t len = 0;

	/* Every directory above it too: no one else may swap it (the
	 * file itself is checked by its descriptor, in slurp). */
	if (check_mode && fs_secure_path(path, FS_SP_PARENT) != 0)
		goto done;
	if ((data = slurp(path, CERT_PEM_MAX, check_mode, &len)) == NULL)
		goto done;
	if ((bio = BIO_new_mem_buf(data, (int)len)) == NULL) {
		log_err("%s: %s", path, ossl_reason());
		goto done;
	}
	pkey = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL);
	if (pkey == NULL) {
		if (strstr(data, "ENCRYPTED") != NULL)
			log_err("%s: not a PEM private key daneroll can use: "
			    "it is encrypted", path);
		else
			log_err("%s: not a PEM private key", path);
		ERR_clear_error();
	}
done:
	BIO_free(bio);
	if (data != NULL) {
		OPENSSL_cleanse(data, len);
		free(data);
	}
	return pkey;
}

EVP_PKEY *
key_load(const char *path)
{
	return load_key(path, 1);
}

EVP_PKEY *
key_load_unchecked(const char *path)
{
	return load_key(path, 0);
}

EVP_PKEY *
key_load_linked(const char *path)
{
	EVP_PKEY *pkey = NULL;
	char *real = NULL;

	/* Root's links checked on the way; then the file by its own name. */
	if (fs_secure_path(path, FS_SP_FILE | FS_SP_LINK) != 0)
		return NULL;
	if ((real = realpath(path, NULL)) == NULL) {
		log_err("%s: %s", path, strerror(errno));
		return NULL;
	}
	pkey = load_key(real, 1);
	free(real);
	return pkey;
}

/*
 * RSA keys of other sizes, other curves and other key types are -1: they
 * are valid keys, but not ones daneroll generates or rolls.
 */
int
key_alg_of(EVP_PKEY *pkey)
{
	char group[80];

	if (pkey == NULL)
		return -1;
	if (EVP_PKEY_is_a(pkey, "RSA"))
		return EVP_PKEY_get_bits(pkey) == 2048 ? KEY_ALG_RSA2048 : -1;
	if (EVP_PKEY_is_a(pkey, "EC")) {
		if (EVP_PKEY_get_utf8_string_param(pkey,
		    OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
		    NULL) != 1) {
			ERR_clear_error();
			return -1;
		}
		if (OBJ_txt2nid(group) == NID_X9_62_prime256v1 ||
		    EC_curve_nist2nid(group) == NID_X9_62_prime256v1)
			return KEY_ALG_ECDSA_P256;
		ERR_clear_error();
	}
	return -1;
}

int
key_spki_sha256(EVP_PKEY *pkey, unsigned char out[32])
{
	unsigned char *der = NULL;
	int len, rc = -1;

	if (pkey == NULL || (len = i2d_PUBKEY(pkey, &der)) <= 0) {
		log_err("cannot encode a public key: %s", ossl_reason());
		goto done;
	}
	if (EVP_Digest(der, (size_t)len, out, NULL, EVP_sha256(), NULL) != 1) {
		log_err("SHA-256 failed: %s", ossl_reason());
		goto done;
	}
	rc = 0;
done:
	OPENSSL_free(der);
	return rc;
}

int
key_spki_hex(EVP_PKEY *pkey, char out[65])
{
	unsigned char d[32];

	if (key_spki_sha256(pkey, d) == -1)
		return -1;
	util_hex(d, sizeof(d), out);
	return 0;
}

int
cert_spki_sha256(X509 *x, unsigned char out[32])
{
	unsigned char *der = NULL;
	int len, rc = -1;

	/* The SPKI as encoded in the certificate, as a DANE client sees it. */
	if (x == NULL ||
	    (len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &der)) <= 0) {
		log_err("cannot encode a certificate's public key: %s",
		    ossl_reason());
		goto done;
	}
	if (EVP_Digest(der, (size_t)len, out, NULL, EVP_sha256(), NULL) != 1) {
		log_err("SHA-256 failed: %s", ossl_reason());
		goto done;
	}
	rc = 0;
done:
	OPENSSL_free(der);
	return rc;
}

STACK_OF(X509) *
cert_chain_from_pem(const char *pem, size_t len, const char *name)
{
	STACK_OF(X509) *chain = NULL, *ret = NULL;
	BIO *bio = NULL;
	X509 *x = NULL;
	char *type = NULL, *header = NULL;
	unsigned char *der = NULL;
	const unsigned char *p;
	long derlen = 0;
	int block = 0;
	unsigned long e;

	if (name == NULL)
		name = "certificate chain";
	if (pem == NULL || len == 0) {
		log_err("%s: empty, no certificate", name);
		goto done;
	}
	if (len > CERT_PEM_MAX) {
		log_err("%s: %zu bytes of PEM, more than the limit of %zu",
		    name, len, (size_t)CERT_PEM_MAX);
		goto done;
	}
	if ((bio = BIO_new_mem_buf(pem, (int)len)) == NULL ||
	    (chain = sk_X509_new_null()) == NULL) {
		log_err("%s: %s", name, ossl_reason());
		goto done;
	}
	ERR_clear_error();
	while (PEM_read_bio(bio, &type, &header, &der, &derlen) == 1) {
		block++;
		if (strcmp(type, PEM_STRING_X509) == 0 ||
		    strcmp(type, PEM_STRING_X509_OLD) == 0) {
			if (sk_X509_num(chain) >= CERT_CHAIN_MAX) {
				log_err("%s: more than %d certificates",
				    name, CERT_CHAIN_MAX);
				goto done;
			}
			p = der;
			x = x509cache_d2i(&p, derlen);
			if (x == NULL || p != der + derlen) {
				log_err("%s: PEM block %d is not a valid "
				    "certificate%s", name, block,
				    x == NULL ? "" : " (trailing data)");
				ERR_clear_error();
				goto done;
			}
			if (sk_X509_push(chain, x) == 0) {
				log_err("%s: %s", name, ossl_reason());
				goto done;
			}
			x = NULL;
		} else if (strstr(type, "PRIVATE KEY") == NULL) {
			log_err("%s: PEM block %d is a \"%s\", not a "
			    "certificate", name, block, type);
			goto done;
		}
		OPENSSL_free(type);
		OPENSSL_free(header);
		OPENSSL_clear_free(der, derlen > 0 ? (size_t)derlen : 0);
		type = header = NULL;
		der = NULL;
	}
	/* The loop ends at the first read that finds no further block. */
	e = ERR_peek_last_error();
	if (e != 0 && !(ERR_GET_LIB(e) == ERR_LIB_PEM &&
	    ERR_GET_REASON(e) == PEM_R_NO_START_LINE)) {
		log_err("%s: bad PEM after block %d: %s", name, block,
		    ossl_reason());
		goto done;
	}
	ERR_clear_error();
	if (sk_X509_num(chain) == 0) {
		log_err("%s: no PEM certificate found", name);
		goto done;
	}
	ret = chain;
	chain = NULL;
done:
	ERR_clear_error();
	X509_free(x);
	OPENSSL_free(type);
	OPENSSL_free(header);
	OPENSSL_clear_free(der, derlen > 0 ? (size_t)derlen : 0);
	BIO_free(bio);
	sk_X509_pop_free(chain, X509_free);
	return ret;
}

STACK_OF(X509) *
cert_load_chain(const char *path)
{
	STACK_OF(X509) *chain = NULL;
	char *data = NULL;
	size_t len = 0;

	if ((data = slurp(path, CERT_PEM_MAX, 0, &len)) == NULL)
		goto done;
	chain = cert_chain_from_pem(data, len, path);
done:
	/* A combined file also holds the private key. */
	if (data != NULL) {
		OPENSSL_cleanse(data, len);
		free(data);
	}
	return chain;
}

char *
cert_chain_to_pem(STACK_OF(X509) *chain)
{
	BIO *bio = NULL;
	char *ret = NULL;
	int i;

	if ((bio = BIO_new(BIO_s_mem())) == NULL) {
		log_err("certificate chain: %s", ossl_reason());
		goto done;
	}
	for (i = 0; i < sk_X509_num(chain); i++) {
		if (PEM_write_bio_X509(bio, sk_X509_value(chain, i)) != 1) {
			log_err("certificate chain: cannot write PEM: %s",
			    ossl_reason());
			goto done;
		}
	}
	ret = bio_to_string(bio);
done:
	BIO_free(bio);
	return ret;
}

int
cert_matches_key(X509 *x, EVP_PKEY *pkey)
{
	EVP_PKEY *pub;

	if (x == NULL || pkey == NULL || (pub = X509_get0_pubkey(x)) == NULL) {
		ERR_clear_error();
		return 0;
	}
	if (EVP_PKEY_eq(pub, pkey) == 1)
		return 1;
	ERR_clear_error();
	return 0;
}

static time_t
asn1_time_to_time(const ASN1_TIME *t)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1) {
		log_err("certificate has an unreadable validity time");
		ERR_clear_error();
		return (time_t)-1;
	}
	return timegm(&tm);
}

time_t
cert_not_after(X509 *x)
{
	return asn1_time_to_time(x != NULL ? X509_get0_notAfter(x) : NULL);
}

time_t
cert_not_before(X509 *x)
{
	return asn1_time_to_time(x != NULL ? X509_get0_notBefore(x) : NULL);
}

static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

static int
same_name(const char *a, size_t alen, const char *b, size_t blen)
{
	size_t i;

	if (alen != blen)
		return 0;
	for (i = 0; i < alen; i++)
		if (lower((unsigned char)a[i]) != lower((unsigned char)b[i]))
			return 0;
	return 1;
}

/*
 * Does a certificate name (pattern) cover host? Case-insensitive, one
 * trailing dot ignored on either side. A wildcard is honoured only as the
 * whole leftmost label ("*.example.org"), matches exactly one label, and
 * only when at least two labels follow it.
 */
static int
name_covers(const char *pat, size_t plen, const char *host, size_t hlen)
{
	const char *dot;

	if (memchr(pat, '\0', plen) != NULL)
		return 0;
	if (plen > 1 && pat[plen - 1] == '.')
		plen--;
	if (hlen > 1 && host[hlen - 1] == '.')
		hlen--;
	if (plen == 0 || hlen == 0)
		return 0;
	if (plen > 2 && pat[0] == '*' && pat[1] == '.') {
		pat += 2;
		plen -= 2;
		if (memchr(pat, '*', plen) != NULL ||
		    memchr(pat, '.', plen) == NULL)
			return 0;
		if ((dot = memchr(host, '.', hlen)) == NULL || dot == host)
			return 0;
		hlen -= (size_t)(dot + 1 - host);
		host = dot + 1;
		return same_name(pat, plen, host, hlen);
	}
	if (memchr(pat, '*', plen) != NULL)
		return 0;
	return same_name(pat, plen, host, hlen);
}

int
cert_covers_name(X509 *x, const char *host)
{
	GENERAL_NAMES *gens = NULL;
	const GENERAL_NAME *gen;
	const X509_NAME *subj;
	const ASN1_STRING *s;
	unsigned char *utf8 = NULL;
	size_t hlen;
	int i, n, len, crit = -1, ndns = 0, ok = 0;

	if (x == NULL || host == NULL || *host == '\0' ||
	    strchr(host, '*') != NULL)
		goto done;
	hlen = strlen(host);
	gens = X509_get_ext_d2i(x, NID_subject_alt_name, &crit, NULL);
	/* A SAN that is duplicated or unreadable must not fall back to CN. */
	if (gens == NULL && crit != -1)
		goto done;
	n = gens != NULL ? sk_GENERAL_NAME_num(gens) : 0;
	for (i = 0; i < n && !ok; i++) {
		gen = sk_GENERAL_NAME_value(gens, i);
		if (gen->type != GEN_DNS)
			continue;
		ndns++;
		s = gen->d.dNSName;
		ok = name_covers((const char *)ASN1_STRING_get0_data(s),
		    (size_t)ASN1_STRING_length(s), host, hlen);
	}
	/* RFC 6125 6.4.4: the CN counts only when no DNS name is present. */
	if (ok || ndns > 0)
		goto done;
	subj = X509_get_subject_name(x);
	i = -1;
	while (!ok && (i = X509_NAME_get_index_by_NID(subj, NID_commonName,
	    i)) >= 0) {
		s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subj, i));
		if ((len = ASN1_STRING_to_UTF8(&utf8, s)) < 0)
			continue;
		ok = name_covers((const char *)utf8, (size_t)len, host, hlen);
		OPENSSL_free(utf8);
		utf8 = NULL;
	}
done:
	ERR_clear_error();
	GENERAL_NAMES_free(gens);
	return ok;
}

int
cert_issued_by(X509 *x, X509 *issuer)
{
	EVP_PKEY *pub;
	int ok = 0;

	if (x == NULL || issuer == NULL)
		return 0;
	if (X509_NAME_cmp(X509_get_issuer_name(x),
	    X509_get_subject_name(issuer)) != 0)
		return 0;
	if (x509cache_verified(x, issuer))
		return 1;
	if ((pub = X509_get0_pubkey(issuer)) != NULL &&
	    X509_verify(x, pub) == 1) {
		x509cache_note_verified(x, issuer);
		ok = 1;
	}
	ERR_clear_error();
	return ok;
}

int
cert_chain_well_formed(STACK_OF(X509) *chain, const char *name)
{
	X509 *x, *next;
	char sub[256], iss[256];
	int i, n;

	if (name == NULL)
		name = "certificate chain";
	if ((n = chain != NULL ? sk_X509_num(chain) : 0) == 0) {
		log_err("%s: empty certificate chain", name);
		return 0;
	}
	for (i = 0; i + 1 < n; i++) {
		x = sk_X509_value(chain, i);
		next = sk_X509_value(chain, i + 1);
		if (cert_issued_by(x, next))
			continue;
		X509_NAME_oneline(X509_get_subject_name(x), sub, sizeof(sub));
		X509_NAME_oneline(X509_get_subject_name(next), iss,
		    sizeof(iss));
		if (X509_NAME_cmp(X509_get_issuer_name(x),
		    X509_get_subject_name(next)) != 0)
			log_err("%s: certificate %d (%s) was not issued by "
			    "certificate %d (%s): issuer name differs",
			    name, i + 1, sub, i + 2, iss);
		else
			log_err("%s: certificate %d (%s) was not issued by "
			    "certificate %d (%s): signature does not verify",
			    name, i + 1, sub, i + 2, iss);
		ERR_clear_error();
		return 0;
	}
	return 1;
}

/* The subjectAltName extension listing names as dNSNames. */
static X509_EXTENSION *
san_extension(const char *const *names, int nnames, int critical)
{
	GENERAL_NAMES *gens = NULL;
	GENERAL_NAME *gen = NULL;
	ASN1_IA5STRING *ia5 = NULL;
	X509_EXTENSION *ext = NULL;
	int i;

	if ((gens = GENERAL_NAMES_new()) == NULL)
		goto done;
	for (i = 0; i < nnames; i++) {
		if ((gen = GENERAL_NAME_new()) == NULL ||
		    (ia5 = ASN1_IA5STRING_new()) == NULL ||
		    ASN1_STRING_set(ia5, names[i], -1) != 1)
			goto done;
		GENERAL_NAME_set0_value(gen, GEN_DNS, ia5);
		ia5 = NULL;
		if (sk_GENERAL_NAME_push(gens, gen) == 0)
			goto done;
		gen = NULL;
	}
	ext = X509V3_EXT_i2d(NID_subject_alt_name, critical, gens);
done:
	ASN1_IA5STRING_free(ia5);
	GENERAL_NAME_free(gen);
	GENERAL_NAMES_free(gens);
	return ext;
}

/*
 * A CN holds at most 64 characters (RFC 5280 ub-common-name): a longer
 * first name leaves the subject empty, and the names are then carried by
 * a critical subjectAltName alone, as RFC 5280 asks.
 */
char *
csr_make_pem(EVP_PKEY *pkey, const char *const *names, int nnames)
{
	X509_REQ *req = NULL;
	X509_NAME *subj = NULL;
	STACK_OF(X509_EXTENSION) *exts = NULL;
	X509_EXTENSION *ext = NULL;
	BIO *bio = NULL;
	char *ret = NULL;
	size_t len;
	int i, use_cn;

	if (pkey == NULL || names == NULL || nnames < 1) {
		log_err("CSR: no key or no names");
		goto done;
	}
	for (i = 0; i < nnames; i++) {
		const char *host = names[i];

		if (host != NULL && host[0] == '*' && host[1] == '.')
			host += 2;
		len = host != NULL ? strlen(host) : 0;
		if (!util_valid_hostname(host) || host[len - 1] == '.') {
			log_err("CSR: \"%s\" is not a host name",
			    names[i] != NULL ? names[i] : "(null)");
			goto done;
		}
	}
	use_cn = strlen(names[0]) <= 64;
	if ((req = X509_REQ_new()) == NULL ||
	    X509_REQ_set_version(req, 0) != 1 ||
	    (subj = X509_NAME_new()) == NULL ||
	    (use_cn && X509_NAME_add_entry_by_NID(subj, NID_commonName,
	    MBSTRING_ASC, (const unsigned char *)names[0], -1, -1, 0) != 1) ||
	    X509_REQ_set_subject_name(req, subj) != 1 ||
	    X509_REQ_set_pubkey(req, pkey) != 1 ||
	    (ext = san_extension(names, nnames, !use_cn)) == NULL ||
	    (exts = sk_X509_EXTENSION_new_null()) == NULL ||
	    sk_X509_EXTENSION_push(exts, ext) == 0) {
		log_err("CSR for %s: %s", names[0], ossl_reason());
		goto done;
	}
	ext = NULL;
	if (X509_REQ_add_extensions(req, exts) != 1 ||
	    X509_REQ_sign(req, pkey, EVP_sha256()) <= 0) {
		log_err("CSR for %s: cannot sign: %s", names[0],
		    ossl_reason());
		goto done;
	}
	if ((bio = BIO_new(BIO_s_mem())) == NULL ||
	    PEM_write_bio_X509_REQ(bio, req) != 1) {
		log_err("CSR for %s: cannot write PEM: %s", names[0],
		    ossl_reason());
		goto done;
	}
	ret = bio_to_string(bio);
done:
	BIO_free(bio);
	X509_EXTENSION_free(ext);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	X509_NAME_free(subj);
	X509_REQ_free(req);
	return ret;
}

/*
 * pem_io - PEM files read whole, SPKI digests and OpenSSL's error text,
 * for key.c and cert.c. See include/pem_io.h.
 *
 * A file is read through one descriptor: the checks of a private key
 * (owner, mode, a regular file) are made on what was opened, not on a
 * name someone could swap in between. The buffer is allocated one byte
 * larger than the file, so a file that grows while it is read is caught.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include "log.h"
#include "pem_io.h"
#include "util.h"

const char *
pem_io_reason(void)
{
	unsigned long e = ERR_peek_last_error();
	const char *r = e != 0 ? ERR_reason_error_string(e) : NULL;

	ERR_clear_error();
	return r != NULL ? r : "unknown OpenSSL error";
}

char *
pem_io_read(const char *path, size_t max, int secret, size_t *lenp)
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

int
pem_io_spki_sha256(unsigned char *der, int len, const char *what,
    unsigned char out[32])
{
	int rc = -1;

	if (len <= 0)
		log_err("cannot encode %s: %s", what, pem_io_reason());
	else if (EVP_Digest(der, (size_t)len, out, NULL, EVP_sha256(),
	    NULL) != 1)
		log_err("SHA-256 failed: %s", pem_io_reason());
	else
		rc = 0;
	OPENSSL_free(der);
	return rc;
}

/*
 * pem_io - what reading keys (key.c) and certificates (cert.c) share: a
 * PEM file read whole under a size limit (and, for a private key, the
 * owner and mode checks), the SHA-256 of an encoded public key, and the
 * text of OpenSSL's last error for their messages.
 *
 * pem_io_read() logs once, naming the file; the buffer it returns is the
 * caller's, to wipe (OPENSSL_cleanse) when it may hold a key, and free.
 */
#ifndef DANEROLL_PEM_IO_H
#define DANEROLL_PEM_IO_H

#include <stddef.h>

/* Bytes of PEM read from one file or given as one text: a key, a chain. */
#define PEM_IO_MAX	(1024 * 1024)

/*
 * Reads a whole regular file of at most max bytes into a NUL-terminated
 * buffer, its length in *lenp. With secret set, refuses a symbolic link
 * (O_NOFOLLOW), a file not owned by the effective user and a file that
 * group or others may read or write. NULL if refused, logged.
 */
char		*pem_io_read(const char *path, size_t max, int secret,
		    size_t *lenp);
/* The text of the last OpenSSL error (static), and an empty error
 * queue. */
const char	*pem_io_reason(void);
/*
 * The SHA-256 of der, len bytes of an encoded SubjectPublicKeyInfo from
 * an i2d call (len <= 0: that call failed, logged as "cannot encode
 * <what>"); frees der (OPENSSL_free). 0, or -1 (logged).
 */
int		 pem_io_spki_sha256(unsigned char *der, int len,
		    const char *what, unsigned char out[32]);

#endif

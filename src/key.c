/*
 * key - private keys, on OpenSSL 3 APIs.
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
 * group-readable mode or another owner. A key file holds at most
 * PEM_IO_MAX bytes, the limit of a certificate chain's PEM too.
 *
 * Ownership: every EVP_PKEY returned is the caller's. Buffers that held
 * private key material are wiped with OPENSSL_cleanse before they are
 * freed. Each failure is logged once, here, naming the file and the
 * problem.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/decoder.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "fsutil.h"
#include "key.h"
#include "log.h"
#include "pem_io.h"
#include "util.h"

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
		log_err("key generation failed: %s", pem_io_reason());
	return pkey;
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
		    pem_io_reason());
		return -1;
	}
	*pemlen = BIO_get_mem_data(*mem, pem);
	if (*pemlen <= 0 || *pem == NULL) {
		log_err("%s: cannot encode the private key", path);
		return -1;
	}
	return 0;
}

int
key_write_new(const char *path, EVP_PKEY *pkey, mode_t mode, uid_t uid,
    gid_t gid)
{
	BIO *mem = NULL;
	char *pem = NULL;
	long pemlen = 0;
	int rc = -1;

	if (pkey == NULL) {
		log_err("%s: no key to write", path);
		return -1;
	}
	/* The PEM is made before any file exists, so it can't be half done;
	 * fs_write_new never overwrites, and leaves nothing on failure. */
	if (encode_pem(path, pkey, &mem, &pem, &pemlen) == 0)
		rc = fs_write_new(path, pem, (size_t)pemlen, mode & 07777, uid,
		    gid);
	if (pem != NULL && pemlen > 0)
		OPENSSL_cleanse(pem, (size_t)pemlen);
	BIO_free(mem);
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

/*
 * The key type a PEM private key names, read without a provider: from its
 * label, or from a PKCS#8 key's algorithm. NULL when it is neither RSA
 * nor EC: the caller then lets OpenSSL try every decoder.
 */
static const char *
pem_key_type(const char *label, const unsigned char *der, long len,
    const char **structure)
{
	PKCS8_PRIV_KEY_INFO *p8;
	const ASN1_OBJECT *alg = NULL;
	const char *type = NULL;

	*structure = "type-specific";
	if (strcmp(label, PEM_STRING_ECPRIVATEKEY) == 0)
		return "EC";
	if (strcmp(label, PEM_STRING_RSA) == 0)
		return "RSA";
	if (strcmp(label, PEM_STRING_PKCS8INF) != 0)
		return NULL;
	*structure = "PrivateKeyInfo";
	/* Freeing a PKCS8_PRIV_KEY_INFO clears its key octets. */
	if ((p8 = d2i_PKCS8_PRIV_KEY_INFO(NULL, &der, len)) == NULL)
		return NULL;
	if (PKCS8_pkey_get0(&alg, NULL, NULL, NULL, p8) == 1) {
		if (OBJ_obj2nid(alg) == NID_X9_62_id_ecPublicKey)
			type = "EC";
		else if (OBJ_obj2nid(alg) == NID_rsaEncryption)
			type = "RSA";
	}
	PKCS8_PRIV_KEY_INFO_free(p8);
	return type;
}

/*
 * Decodes the first PEM block of data when it is an RSA or EC private key
 * (the keys daneroll makes, and ACME clients' PKCS#8 and traditional
 * ones). OpenSSL 3.0's generic PEM_read_bio_PrivateKey sets up every
 * decoder of every provider for each key, about 0.4 ms; naming the type
 * and structure costs a quarter of that. NULL, with nothing logged, for
 * anything else: the caller then decodes the generic way.
 */
static EVP_PKEY *
decode_typed(const char *data, size_t len)
{
	OSSL_DECODER_CTX *dctx = NULL;
	EVP_PKEY *pkey = NULL;
	BIO *bio = NULL;
	char *label = NULL, *header = NULL;
	unsigned char *der = NULL;
	const unsigned char *p;
	const char *type, *structure;
	long derlen = 0;
	size_t left;

	if ((bio = BIO_new_mem_buf(data, (int)len)) == NULL ||
	    PEM_read_bio(bio, &label, &header, &der, &derlen) != 1 ||
	    header[0] != '\0' ||
	    (type = pem_key_type(label, der, derlen, &structure)) == NULL)
		goto done;
	if ((dctx = OSSL_DECODER_CTX_new_for_pkey(&pkey, "DER", structure,
	    type, EVP_PKEY_KEYPAIR, NULL, NULL)) == NULL)
		goto done;
	p = der;
	left = (size_t)derlen;
	if (OSSL_DECODER_from_data(dctx, &p, &left) != 1 || left != 0) {
		EVP_PKEY_free(pkey);
		pkey = NULL;
	}
done:
	ERR_clear_error();
	OSSL_DECODER_CTX_free(dctx);
	if (der != NULL)
		OPENSSL_clear_free(der, (size_t)derlen);
	OPENSSL_free(label);
	OPENSSL_free(header);
	BIO_free(bio);
	return pkey;
}

static EVP_PKEY *
load_key(const char *path, int check_mode)
{
	EVP_PKEY *pkey = NULL;
	BIO *bio = NULL;
	char *data = NULL;
	size_t len = 0;

	/* Every directory above it too: no one else may swap it (the
	 * file itself is checked by its descriptor, in pem_io_read). */
	if (check_mode && fs_secure_path(path, FS_SP_PARENT) != 0)
		goto done;
	if ((data = pem_io_read(path, PEM_IO_MAX, check_mode, &len)) == NULL)
		goto done;
	if ((pkey = decode_typed(data, len)) != NULL)
		goto done;
	if ((bio = BIO_new_mem_buf(data, (int)len)) == NULL) {
		log_err("%s: %s", path, pem_io_reason());
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
	int len = -1;

	if (pkey != NULL)
		len = i2d_PUBKEY(pkey, &der);
	return pem_io_spki_sha256(der, len, "a public key", out);
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

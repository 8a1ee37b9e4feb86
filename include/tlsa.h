/*
 * tlsa - TLSA records: association data from certificates and keys,
 * presentation format, RRsets as sets, and offline matching of a chain.
 *
 * A struct tlsa_rr owns its data (freed by tlsa_rr_free); a struct tlsa_set
 * owns its records (freed by tlsa_set_free). Sets are kept sorted in
 * canonical order (usage, selector, mtype, data) without duplicates, so two
 * sets compare equal exactly when they hold the same records.
 *
 * Functions that fill a struct tlsa_rr (tlsa_from_*, tlsa_parse,
 * tlsa_rr_copy) overwrite it without freeing what it held, and leave it
 * empty (data NULL) on failure. tlsa_set_copy and tlsa_set_parse replace
 * the records of dst/set, freeing the old ones: pass a zeroed or used set.
 */
#ifndef DANEROLL_TLSA_H
#define DANEROLL_TLSA_H

#include <stddef.h>
#include <stdint.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#define TLSA_USAGE_DANE_TA	2
#define TLSA_USAGE_DANE_EE	3
#define TLSA_SEL_CERT		0
#define TLSA_SEL_SPKI		1
#define TLSA_MT_FULL		0
#define TLSA_MT_SHA256		1
#define TLSA_MT_SHA512		2

struct tlsa_rr {
	uint8_t		 usage, selector, mtype;
	unsigned char	*data;
	size_t		 len;
};

struct tlsa_set {
	struct tlsa_rr	*rr;
	size_t		 n;
};

/* Association data for a certificate; 0 or -1 (bad parameters). */
int	 tlsa_from_cert(X509 *, uint8_t usage, uint8_t selector,
	    uint8_t mtype, struct tlsa_rr *);
/* Selector 1 (SPKI) data for a public or private key. */
int	 tlsa_from_pkey(EVP_PKEY *, uint8_t usage, uint8_t mtype,
	    struct tlsa_rr *);
/* "3 1 1 ab12..." (hex may contain blanks, may be in parentheses as in
 * zone files); logs what is wrong and returns -1 on bad input. */
int	 tlsa_parse(const char *, struct tlsa_rr *);
/* "3 1 1 ab12..." lower-case hex; caller frees. */
char	*tlsa_format(const struct tlsa_rr *);
int	 tlsa_cmp(const struct tlsa_rr *, const struct tlsa_rr *);
void	 tlsa_rr_free(struct tlsa_rr *);
/* Deep copy into dst. */
void	 tlsa_rr_copy(struct tlsa_rr *dst, const struct tlsa_rr *src);

/* Adds a copy of rr unless present; keeps canonical order. */
void	 tlsa_set_add(struct tlsa_set *, const struct tlsa_rr *);
int	 tlsa_set_has(const struct tlsa_set *, const struct tlsa_rr *);
/* Removes rr if present. */
void	 tlsa_set_del(struct tlsa_set *, const struct tlsa_rr *);
int	 tlsa_set_equal(const struct tlsa_set *, const struct tlsa_set *);
void	 tlsa_set_copy(struct tlsa_set *dst, const struct tlsa_set *src);
void	 tlsa_set_free(struct tlsa_set *);
/* Records one per line ("3 1 1 ..."), canonical order; caller frees. */
char	*tlsa_set_format(const struct tlsa_set *);
/* Parses tlsa_set_format() output back (blank lines and lines starting
 * with ';' or '#' skipped); -1 on bad input (logged with the line number),
 * leaving the set empty. */
int	 tlsa_set_parse(const char *, struct tlsa_set *);

/*
 * Would a DANE client (RFC 7671/7672 semantics for SMTP) accept this chain
 * as sent by the server (leaf first) against this set? Usage 3 matches the
 * leaf; usage 2 matches a certificate in the chain above the leaf (which
 * must then have issued the chain below it, through CA certificates only,
 * to a leaf fit for a TLS server), or, for a record holding the
 * whole TA (2 0 0, 2 1 0), a TA that signed the top of such a chain even
 * if not sent. Usages 0 and 1 are ignored, as SMTP clients do. Of the
 * SHA-256 and SHA-512 records of one usage and selector, only those of
 * the strongest digest present count (RFC 7671 9). Names and expiry are
 * not checked here. Returns 1 if some record matches, else 0.
 */
int	 tlsa_set_matches_chain(const struct tlsa_set *, STACK_OF(X509) *);

#endif

/*
 * fakes - test doubles for the five backends, over an in-memory DNS world
 * with a resolver-cache model, and an independent invariant prober.
 *
 * The prober knows nothing of the engine: it watches what the fake DNS
 * served and when, and what chain the fake deployer put live, and counts a
 * violation whenever a live chain fails to match an RRset that a validating
 * resolver may still hold in its cache (served until `until`, cached for
 * its TTL after that), or whenever DNS starts serving an RRset that the
 * live chain does not match. It judges with OpenSSL's DANE verifier
 * (dane_judge.h), never with daneroll's tlsa_set_matches_chain().
 */
#ifndef DANEROLL_FAKES_H
#define DANEROLL_FAKES_H

#include "backend.h"

struct fake_world {
	int		 lag;		/* observe calls before a change shows */
	enum outcome	 publish_outcome;	/* forced result, OUT_OK normally */
	enum outcome	 issue_outcome;
	enum outcome	 deploy_outcome;
	int		 issue_wrong_key;	/* hook returns another key's cert */
	int		 issue_leaf_only;	/* the CA sends no CA certificate;
						   deploy appends what the
						   issuer_cert files complete,
						   as the real deployer does */
	int		 send_root;		/* chains also send the root
						   above the issuing CA
						   (fake_ca_change_under) */
	int		 verify_fails;		/* live check sees a mismatch */
	int		 verify_fail_once;	/* mismatches this many times first
						 * (an MTA still reloading) */
	int		 mta_stale;		/* deploy installs, the server
						 * keeps presenting the old chain */
	int		 no_probe;		/* benchmarks: O(n^2) probe off */
	int		 observe_secs;		/* each observation takes this
						 * long; a change shows at its
						 * end */
	int		 neg_ttl;		/* the zone's SOA negative TTL
						 * (0: 5 s) */
	int		 publishes, deploys, issues, rollbacks, verifies;
	int		 forgets;	/* previous sets deleted */
	int		 probes;	/* live looks before a publish */
	int		 violations;
	char		 last_violation[512];
};

extern struct fake_world fake;
extern const struct backends fake_backends;

/* Resets the world; ca_dir gets the fake CA's key and certificate. */
void	fake_reset(const char *ca_dir);
/* Writes a combined key+chain file issued by the fake CA for host. */
int	fake_deploy_initial(const char *combined_path, const char *host,
	    enum key_alg, int days);
/* An ACME client's renewal in dir: privkey.pem (0600, a fresh key, or
 * the key in reuse_key if not NULL) and fullchain.pem from the fake CA. */
int	fake_client_cert(const char *dir, const char *host, enum key_alg,
	    const char *reuse_key);
/* What the fake DNS serves at owner now (empty set if nothing). */
void	fake_served(const char *owner, struct tlsa_set *);
/* Writes the fake CA's certificate (PEM) to path, for issuer_cert. */
int	fake_ca_write(const char *path);
/* Hex SHA-256 of the fake CA's SPKI, for issuer_spki. */
void	fake_ca_spki(char out[65]);
/* From now on a new CA named cn issues (NULL: the first CA again). */
void	fake_ca_change(const char *cn);
/* From now on an intermediate int_cn issues, under a new root root_cn
 * (NULL: under the current root, or a new one if there is none). The
 * chain sends leaf + intermediate, and the root with fake.send_root;
 * fake_ca_spki() is then the intermediate's. */
void	fake_ca_change_under(const char *root_cn, const char *int_cn);
/* The root above the issuing CA: its certificate to path (for
 * issuer_cert; -1 if there is none), its SPKI hex ("" if none). */
int	fake_root_write(const char *path);
void	fake_root_spki(char out[65]);
/* PEM text of one certificate; caller frees. */
char	*fake_cert_pem(X509 *);
/* The TLSA set text describes (tlsa_set_parse); aborts if it is not one. */
void	fake_tlsa_set(const char *text, struct tlsa_set *);
/* Sets the clock seen by util_now() (util_set_clock). */
void	fake_clock(time_t);
time_t	fake_now(void);
/*
 * A wall clock below the second: util_now() returns ms / 1000 and
 * util_now_ms() ms itself, as long as no fake_clock() moved the clock to
 * another second since. Only in a test linked with
 * -Wl,--wrap=util_now_ms (see the Makefile: test_model); elsewhere
 * util_now_ms() stays whole seconds. fake_now_ms() is what util_now_ms()
 * returns.
 */
void	fake_clock_ms(int64_t ms);
int64_t	fake_now_ms(void);
/* The wall clock runs this far ahead of real time, which the prober
 * keeps (0: none); fake_clock() still sets the wall clock. */
void	fake_skew(time_t ahead);
/* A boot clock (util_set_boot_clock) that stands still: boot id at secs;
 * id NULL: none is known. util_set_boot_clock(NULL) ends it. */
void	fake_boot_fixed(const char *id, int64_t secs);
/* On: a boot clock (util_set_boot_clock) that keeps real time, set with
 * every fake_clock(). Off (after fake_reset): none is known. */
void	fake_boot_clock(int on);

#endif

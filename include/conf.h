/*
 * conf - the configuration file: one human-edited INI file.
 *
 *   [global]                 settings for every host (timings may be
 *                            overridden per host)
 *   [publisher NAME]         a DNS publisher (rfc2136, pdns, exec)
 *   [host MX.NAME]           one MX host, one section each
 *
 * conf_load() parses and validates the whole file. On any error it logs
 * "FILE:LINE: message" (every error found, not only the first) and returns
 * NULL; the caller exits EX_CONFIG. Unknown sections and keys are errors.
 * conf_load() has no side effects: it reads the file and nothing else (key,
 * certificate and secret files are checked later by the modules using them).
 *
 * The returned struct conf and everything it points to is owned by the
 * caller and freed with conf_free().
 */
#ifndef DANEROLL_CONF_H
#define DANEROLL_CONF_H

#include <stdint.h>
#include <sys/types.h>

#define CONF_DEFAULT_PATH	DANEROLL_SYSCONFDIR "/daneroll/daneroll.conf"
#define CONF_DEFAULT_STATE_DIR	"/var/lib/daneroll"

enum conf_scheme {
	SCHEME_CURRENT_NEXT = 0,	/* "current+next": 3 1 1 + 3 1 1 */
	SCHEME_CURRENT_ISSUER		/* "current+issuer": 3 1 1 + 2 1 1 */
};

/* current+issuer: the CA of a followed chain its "2 1 1" names. */
enum issuer_pin {
	ISSUER_PIN_INTERMEDIATE = 0,	/* "intermediate": the leaf's issuer */
	ISSUER_PIN_ROOT			/* "root": the top of the chain */
};

/* Key algorithms; a host's slots are one per configured algorithm. */
enum key_alg {
	KEY_ALG_RSA2048 = 0,		/* "rsa2048" */
	KEY_ALG_ECDSA_P256,		/* "ecdsa-p256" */
	KEY_ALG_COUNT
};

enum publisher_type {
	PUB_RFC2136 = 0,		/* "rfc2136" */
	PUB_PDNS,			/* "pdns" */
	PUB_EXEC			/* "exec" */
};

/* argv-style command: words split on blanks, "double quotes" group. */
struct conf_cmd {
	char	**argv;			/* NULL-terminated; NULL if unset */
	int	  argc;
	int	  line;			/* where it is set, for messages */
};

struct conf_publisher {
	char			*name;
	enum publisher_type	 type;
	int			 line;		/* where the section starts */
	/* rfc2136 */
	char			*server;	/* "addr" or "addr#port"; NULL: SOA MNAME */
	char			*tsig_key_file;	/* tsig-keygen or Knot format */
	char			*zone;		/* NULL: found from the SOA */
	/* pdns */
	char			*api_url;	/* "https://host:8081" */
	char			*api_key_file;
	char			*server_id;	/* default "localhost" */
	char			*ca_file;	/* NULL: system trust store */
	int			 tls_verify;	/* default 1 */
	int			 insecure;	/* tls_verify = no is meant */
	char			*proxy;		/* NULL: none, whatever the
						 * environment says */
	/* exec */
	struct conf_cmd		 command;
	/* all */
	int64_t			 timeout;	/* seconds, default 30 */
	int			 secret_line;	/* where tsig_key_file or
						 * api_key_file is set */
};

/* A further name the same server answers to as an MX target. */
struct conf_alias {
	char			*name;		/* MX target name */
	char			*owner;		/* "_PORT._tcp.NAME" */
	struct conf_publisher	*publisher;	/* NULL: the host's publisher */
	int			 line;
};

/* Where one slot's files go; "%a" in a path is replaced by the algorithm. */
struct conf_files {
	char	*key_file;		/* private key */
	char	*cert_file;		/* leaf only */
	char	*chain_file;		/* intermediates only */
	char	*fullchain_file;	/* leaf + intermediates */
	char	*combined_file;		/* key + leaf + intermediates, one file */
	char	*live_link;		/* symlink to a versioned directory */
	char	*owner;			/* user name; NULL: unchanged (root) */
	char	*group;			/* group name; NULL: unchanged */
	mode_t	 key_mode;		/* default 0600 */
	mode_t	 cert_mode;		/* default 0644 */
};

/* Timings, in seconds, and the key retention they govern. */
struct conf_timing {
	int64_t	ttl;			/* TTL of published TLSA records: 3600 */
	int64_t	margin;			/* added to every TTL wait: 60 */
	int64_t	renew_before;		/* renew when expiry is this close: 30d */
	int64_t	rotate_after;		/* roll a key this old: 0 (off) */
	int64_t	retry_min;		/* first back-off after a failure: 5m */
	int64_t	retry_max;		/* back-off ceiling: 6h */
	int64_t	expiry_alert;		/* alert when expiry is this close: 14d */
	int64_t	hook_timeout;		/* ACME hook, reload: 300s */
	int64_t	tempfail_limit;		/* temporary failures this long
					 * need the operator (exit 69): 1d */
	/* Not a time, but inherited the same way: retired keys kept on
	 * disk after their record aged out, newest first (forensics): 0. */
	int64_t	keep_retired;
};

/* The ports one host serves with the same keys (25, 465, 587). */
#define CONF_PORTS_MAX	8
struct conf_ports {
	int			 v[CONF_PORTS_MAX];
	int			 n;
};

/*
 * One TLSA owner name of a host: "_PORT._tcp.NAME" for each port and each
 * of the host's names, all kept in step with the same RRset. owners[0] is
 * the host's own name at its first port (conf_host.owner).
 */
struct conf_owner {
	const char		*name;		/* points into the host */
	const char		*mx;		/* the MX name it is for */
	struct conf_publisher	*publisher;
	int			 port;
	int			 line;
};

struct conf_host {
	char			*name;		/* MX host name, as in the MX RR */
	int			 line;
	int			 port;		/* the first of ports: default 25 */
	struct conf_ports	 ports;		/* port = 25 465 587 */
	char			*owner;		/* TLSA owner, "_25._tcp.NAME" */
	struct conf_alias	*aliases;
	int			 naliases;
	/* Every owner name: ports x (name, aliases), port by port. */
	struct conf_owner	*owners;
	char			**owner_names;	/* the other ports' names */
	int			 nowners;
	enum conf_scheme	 scheme;
	unsigned		 algs;		/* bit set of 1 << enum key_alg */
	struct conf_files	 files;
	struct conf_publisher	*publisher;
	struct conf_cmd		 acme_hook;	/* issues a chain for a CSR */
	struct conf_cmd		 reload;	/* e.g. /usr/sbin/postfix reload */
	struct conf_timing	 timing;
	/* current+issuer: pinned CA keys, as SPKI SHA-256 digests (32 bytes) */
	unsigned char		(*issuer_spki)[32];
	int			 nissuer_spki;
	char			**issuer_files;	/* the PEM files they came from */
	int			 nissuer_files;
	/* A chain from another CA: publish that CA's record, age it, then
	 * deploy (1, the default), or refuse to deploy it (0). */
	int			 issuer_follow;
	/* Which CA of a followed chain is published: the intermediate (the
	 * default) or the root, which the served chain must then send. */
	enum issuer_pin		 issuer_pin;
	/* propagation */
	char			**extra_servers; /* "addr" or "addr#port" */
	int			 nextra_servers;
	int			 ignore_unreachable_ipv6;
};

struct conf {
	char			*path;
	char			*state_dir;	/* --state-dir overrides */
	char			*key_dir;	/* staged keys: STATE_DIR/keys */
	int			 key_dir_set;	/* key_dir was in the file */
	char			*resolver;	/* "addr" or "addr#port"; NULL: resolv.conf */
	int64_t			 lock_timeout;	/* default 30s */
	int			 ttl_advice_min, ttl_advice_max; /* 1800, 3600 */
	struct conf_timing	 timing;	/* defaults for hosts */
	struct conf_publisher	*publishers;
	int			 npublishers;
	struct conf_host	*hosts;
	int			 nhosts;
};

struct conf	*conf_load(const char *path);
void		 conf_free(struct conf *);
/*
 * Replaces state_dir (for --state-dir); key_dir follows it unless the file
 * set key_dir. Returns -1 (logged) if dir is not an absolute path.
 */
int		 conf_set_state_dir(struct conf *, const char *dir);
/* The host section named name (any case, trailing dot ignored), or NULL. */
struct conf_host *conf_host_find(const struct conf *, const char *name);
/*
 * The hosts named (n > 0) or all of them, in an array of *count the
 * caller frees; NULL after logging "NAME: no [host NAME] in FILE" for an
 * unknown name (the wording of every command).
 */
const struct conf_host **conf_select_hosts(const struct conf *,
		    char **names, int n, int *count);

const char	*conf_scheme_str(enum conf_scheme);
const char	*key_alg_str(enum key_alg);
/* 0 and *alg set if the name is known, else -1 (nothing logged). */
int		 key_alg_parse(const char *, enum key_alg *);
const char	*publisher_type_str(enum publisher_type);
/* Expands "%a" in a configured path for alg; caller frees. NULL stays NULL. */
char		*conf_path_for(const char *path, enum key_alg);

#endif

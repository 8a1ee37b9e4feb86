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

#include <stddef.h>
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

/* argv-style command: words split on blanks, "double quotes" group. */
struct conf_cmd {
	char	**argv;			/* NULL-terminated; NULL if unset */
	int	  argc;
	int	  line;			/* where it is set, for messages */
};

/*
 * A [publisher NAME] section: what every type shares, and priv, the
 * configuration of its type's backend (struct publish_pdns_conf ...,
 * declared in that backend's header; NULL until the type is known).
 */
struct conf_publisher {
	char			*name;
	const char		*type;		/* its backend's: "rfc2136";
						 * NULL until known */
	const struct conf_pubdef *def;		/* its type's keys */
	int			 line;		/* where the section starts */
	char			*zone;		/* NULL: found from the SOA */
	int64_t			 timeout;	/* seconds, default 30 */
	int			 secret_line;	/* where the key flagged
						 * CONF_KEY_SECRET is set */
	void			*priv;		/* def->priv_size bytes */
};

/*
 * What a publisher backend tells conf about its own keys (backend.h's
 * struct backend_publisher holds one, beside the type's name). conf
 * parses each value of a [publisher] section of that type as its kind
 * says, into the field at off of priv (priv_size bytes, zeroed, then given
 * to init), and frees those fields with the section: a backend declares,
 * conf parses. A key another backend declares is refused as "not valid
 * for type"; one no backend declares is an unknown key.
 */
enum conf_kind {
	CONF_PATH,		/* char *: P, an absolute path */
	CONF_ADDR,		/* char *: ADDR, "addr" or "addr#port" */
	CONF_URL,		/* char *: http:// or https:// URL */
	CONF_WORD,		/* char *: letters, digits, ".", "_", "-" */
	CONF_BOOL,		/* int: yes | no */
	CONF_CMD		/* struct conf_cmd: CMD */
};

#define CONF_KEY_REQUIRED	0x01	/* "[S] lacks required key" */
#define CONF_KEY_SECRET		0x02	/* names a secret file: secret_line */

struct conf_key {
	const char	*name;
	enum conf_kind	 kind;
	int		 flags;		/* CONF_KEY_* */
	size_t		 off;		/* of the field in priv */
};
/* A row of a key table: key NAME is the field NAME of struct T. */
#define CONF_KEY(T, name, kind, flags) \
	{ #name, kind, flags, offsetof(T, name) }
#define CONF_KEYS_END	{ NULL, CONF_PATH, 0, 0 }

struct conf_pubctx;			/* a section being checked */

struct conf_pubdef {
	const struct conf_key	*keys;		/* ends with a NULL name */
	size_t			 priv_size;
	/* Defaults, before any key is parsed; NULL: all zero. */
	void			(*init)(void *priv);
	/*
	 * Checks across keys once the section is read (a value that did
	 * not parse has left its field as init made it), each problem
	 * reported with conf_pub_error(). NULL: none.
	 */
	void			(*finish)(struct conf_pubctx *,
				    const struct conf_publisher *, void *priv);
};

/* Reports a problem of the section being finished, at line (0: the
 * section's first line), as "FILE:LINE: message" among the others. */
void		 conf_pub_error(struct conf_pubctx *, int line,
		    const char *fmt, ...)
		    __attribute__((format(printf, 3, 4)));
/* The line where the section set key (one of its type's keys), or 0. */
int		 conf_pub_line(const struct conf_pubctx *, const char *key);
/* The key of p's type flagged CONF_KEY_SECRET, or NULL; *path its value
 * (NULL if the section does not set it). */
const struct conf_key *conf_pub_secret(const struct conf_publisher *p,
		    const char **path);

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
/* Expands "%a" in a configured path for alg; caller frees. NULL stays NULL. */
char		*conf_path_for(const char *path, enum key_alg);

#endif

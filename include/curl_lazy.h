/*
 * curl_lazy - libcurl, loaded when an HTTP API publisher first needs it.
 *
 * Linked, libcurl brings 29 shared libraries of its own (GnuTLS,
 * Kerberos, LDAP, SSH, RTMP...) into every daneroll process: `daneroll
 * --version` took 18 ms with them, 9 ms without (perf stat -r 30, this
 * VM), a cost paid by each run, status and hook call, while only the
 * PowerDNS publisher speaks HTTP. So libcurl.so.4 is opened with dlopen
 * on first use; its headers still give the types and constants, checked
 * at build time.
 *
 * curl_lazy(&why) returns the functions, loading them once; NULL if
 * libcurl cannot be loaded, with *why the loader's reason (a static
 * string) for the caller to log.
 */
#ifndef DANEROLL_CURL_LAZY_H
#define DANEROLL_CURL_LAZY_H

#include <curl/curl.h>

#define CURL_LAZY_LIBRARY	"libcurl.so.4"

struct curl_fns {
	CURLcode	 (*global_init)(long);
	void		 (*global_cleanup)(void);
	CURL		*(*easy_init)(void);
	CURLcode	 (*easy_setopt)(CURL *, CURLoption, ...);
	CURLcode	 (*easy_perform)(CURL *);
	CURLcode	 (*easy_getinfo)(CURL *, CURLINFO, ...);
	void		 (*easy_cleanup)(CURL *);
	const char	*(*easy_strerror)(CURLcode);
	char		*(*easy_escape)(CURL *, const char *, int);
	void		 (*free)(void *);
	struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
	void		 (*slist_free_all)(struct curl_slist *);
};

const struct curl_fns *curl_lazy(const char **why);

#endif

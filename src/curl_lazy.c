/*
 * curl_lazy - libcurl through dlopen, on first use (curl_lazy.h says why).
 */
#include <dlfcn.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "curl_lazy.h"

/* Each function's name and where its address goes. */
#define FN(name, field)	{ name, offsetof(struct curl_fns, field) }
static const struct {
	const char	*name;
	size_t		 at;
} fn_names[] = {
	FN("curl_global_init", global_init),
	FN("curl_global_cleanup", global_cleanup),
	FN("curl_easy_init", easy_init),
	FN("curl_easy_setopt", easy_setopt),
	FN("curl_easy_perform", easy_perform),
	FN("curl_easy_getinfo", easy_getinfo),
	FN("curl_easy_cleanup", easy_cleanup),
	FN("curl_easy_strerror", easy_strerror),
	FN("curl_easy_escape", easy_escape),
	FN("curl_free", free),
	FN("curl_slist_append", slist_append),
	FN("curl_slist_free_all", slist_free_all),
};
#undef FN

const struct curl_fns *
curl_lazy(const char **why)
{
	static struct curl_fns fns;
	static char err[512];
	static int state;	/* 0 not tried, 1 loaded, -1 failed */
	const char *e;
	void *lib;
	size_t i;

	*why = err;
	if (state != 0)
		return state > 0 ? &fns : NULL;
	state = -1;
	if ((lib = dlopen(CURL_LAZY_LIBRARY, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		e = dlerror();
		snprintf(err, sizeof(err), "%s", e != NULL ? e : "dlopen failed");
		return NULL;
	}
	for (i = 0; i < sizeof(fn_names) / sizeof(fn_names[0]); i++) {
		void *f = dlsym(lib, fn_names[i].name);

		if (f == NULL) {
			e = dlerror();
			snprintf(err, sizeof(err), "%s", e != NULL ? e :
			    fn_names[i].name);
			return NULL;	/* lib stays loaded: harmless */
		}
		/* POSIX: a dlsym() result is the function's address. */
		memcpy((char *)&fns + fn_names[i].at, &f, sizeof(f));
	}
	state = 1;
	return &fns;
}

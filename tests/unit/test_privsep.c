/*
 * Unit test: privsep, the sandboxed child that reads the network. The
 * backends handed to privsep_start() here are fakes, and they run inside
 * the real child, in its real sandbox: so "escape" tries, from where
 * production observes DNS, what a compromised parser would try (read a
 * private key, write a file, exec, fork, signal the parent, open a UNIX
 * socket) and reports each result; the parent must see every one denied,
 * and the network still usable.
 *
 * Run as root (CI, make check), the child must also have become nobody.
 * As another user, the rows that rest on the uid alone are skipped.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check_net.h"
#include "doctor_net.h"
#include "log.h"
#include "privsep.h"
#include "sandbox.h"
#include "t.h"

static struct conf_host hosts[2];
static struct conf conf;
static uid_t nobody_uid;	/* looked up before: the child reads no file */

/* One attempt from inside the child, named; OBS_MATCH: it was refused,
 * OBS_STALE: it worked. */
static void
tried(struct obs_report *rep, const char *what, int worked)
{
	struct obs_server *s;

	rep->servers = realloc(rep->servers, (size_t)(rep->nservers + 1) *
	    sizeof(*rep->servers));
	s = &rep->servers[rep->nservers++];
	memset(s, 0, sizeof(*s));
	snprintf(s->addr, sizeof(s->addr), "%s", what);
	s->result = worked ? OBS_STALE : OBS_MATCH;
}

static int
opens(const char *path, int flags)
{
	int fd = open(path, flags, 0600);

	if (fd < 0)
		return 0;
	(void)close(fd);
	return 1;
}

/* owner: "escape KEY DIR PORT" */
static void
escape(const char *owner, struct obs_report *rep)
{
	char key[512], dir[512], path[600];
	int port = 0, fd, ok;
	struct sockaddr_in sin;
	pid_t p;

	if (sscanf(owner, "escape %511s %511s %d", key, dir, &port) != 3)
		return;
	tried(rep, "read-key", opens(key, O_RDONLY));
	tried(rep, "read-passwd", opens("/etc/passwd", O_RDONLY));
	snprintf(path, sizeof(path), "%s/written", dir);
	tried(rep, "create", opens(path, O_WRONLY | O_CREAT));
	tried(rep, "write-key", opens(key, O_WRONLY));
	tried(rep, "unlink", unlink(key) == 0);
	tried(rep, "exec", execl("/bin/true", "true", (char *)NULL) == 0);
	if ((p = fork()) == 0)
		_exit(0);
	tried(rep, "fork", p > 0);
	tried(rep, "signal-parent", kill(getppid(), 0) == 0);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	tried(rep, "unix-socket", fd >= 0);
	if (fd >= 0)
		(void)close(fd);
	tried(rep, "setuid-root", setuid(0) == 0);
	/* What it must still do: an Internet socket, a connection. */
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	ok = fd >= 0 && connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0;
	tried(rep, "connect", ok);
	if (fd >= 0)
		(void)close(fd);
	tried(rep, "uid-nobody", getuid() == nobody_uid);
}

static enum outcome
fake_observe(const struct conf *c, const struct conf_host *h,
    const char *owner, const struct tlsa_set *want, struct obs_report *rep)
{
	(void)c;
	if (strncmp(owner, "escape ", 7) == 0) {
		escape(owner, rep);
		return OUT_OK;
	}
	if (strcmp(owner, "crash") == 0)
		abort();
	if (strcmp(owner, "sigpipe") == 0) {
		/* What a server hanging up mid-write raises. */
		(void)raise(SIGPIPE);
		return OUT_OK;
	}
	if (strcmp(owner, "flood") == 0) {
		int i;

		for (i = 0; i <= 10000; i++)
			log_report(LOG_LVL_DEBUG, NULL, NULL, "line %d", i);
		return OUT_OK;
	}
	if (strcmp(owner, "garbage") == 0) {
		/* A frame of an unknown kind, written past the encoder. */
		(void)write(3, "\0\0\0\2\x09\x09", 6);
		return OUT_OK;
	}
	log_msg(LOG_LVL_WARN, h->name, "ecdsa-p256", "saw %zu wanted", want->n);
	tried(rep, owner, 1);
	rep->served_ttl = 3600;
	tlsa_set_copy(&rep->served, want);
	return OUT_PENDING;
}

static enum outcome
fake_verify(const struct conf *c, const struct conf_host *h,
    enum key_alg alg, const struct tlsa_set *want)
{
	(void)c;
	log_msg(LOG_LVL_ERR, h->name, key_alg_str(alg), "mismatch at "
	    "[192.0.2.1]:25");
	return want->n == 2 ? OUT_PERMFAIL : OUT_OK;
}

static const struct backend_observer observer = { fake_observe };
static const struct backend_verifier verifier = { fake_verify, NULL };
static const struct backends fake = { NULL, &observer, NULL, NULL,
    &verifier };

static const struct backends *
start(void)
{
	const struct backends *be;

	hosts[0].name = "mx1.example.org";
	hosts[1].name = "mx2.example.org";
	conf.hosts = hosts;
	conf.nhosts = 2;
	be = privsep_start(&conf, &fake);
	T_CHECK(be != NULL);
	return be;
}

static struct tlsa_set
one_record(void)
{
	struct tlsa_set s = { NULL, 0 };
	struct tlsa_rr rr = { 3, 1, 1, (unsigned char *)"0123456789abcdef"
	    "0123456789abcdef", 32 };

	tlsa_set_add(&s, &rr);
	return s;
}

static void
test_round_trip(void)
{
	const struct backends *be = start();
	struct tlsa_set want = one_record();
	struct obs_report rep;
	unsigned errs = log_error_count();

	memset(&rep, 0, sizeof(rep));
	T_INT(be->observer->observe(&conf, &hosts[1], "_25._tcp.mx2", &want,
	    &rep), OUT_PENDING);
	T_INT(rep.nservers, 1);
	if (rep.nservers == 1)
		T_STR(rep.servers[0].addr, "_25._tcp.mx2");
	T_CHECK(tlsa_set_equal(&rep.served, &want));
	T_INT(rep.served_ttl, 3600);
	T_CHECK(t_log_has("mx2.example.org/ecdsa-p256: saw 1 wanted"));
	T_STR(log_last_error(), "mx2.example.org/ecdsa-p256: saw 1 wanted");
	obs_report_free(&rep);
	/* The child's errors are the parent's: a run that said one fails. */
	T_INT(be->verifier->verify(&conf, &hosts[0], KEY_ALG_RSA2048, &want),
	    OUT_OK);
	T_INT(log_error_count(), errs + 1);
	T_CHECK(t_log_has("mx1.example.org/rsa2048: mismatch at"));
	T_CHECK(be->verifier->probe == NULL);
	T_INT(be->observer->observe(&conf, &hosts[0], "sigpipe", &want, &rep),
	    OUT_OK);
	obs_report_free(&rep);
	/* A host that is not the configuration's is not asked about. */
	{
		struct conf_host stray = hosts[0];

		T_INT(be->verifier->verify(&conf, &stray, KEY_ALG_RSA2048,
		    &want), OUT_TEMPFAIL);
		T_CHECK(t_log_has("not a host of the network child's"));
	}
	tlsa_set_free(&want);
	privsep_stop();
}

static void
test_confined(void)
{
	const struct backends *be;
	struct tlsa_set none = { NULL, 0 };
	struct obs_report rep;
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);
	char owner[1200], *key;
	int lfd, i, root = geteuid() == 0, ll = sandbox_landlock_abi() > 0;
	static const char *const denied[] = { "read-key", "create",
	    "write-key", "unlink", "exec", "fork", "signal-parent",
	    "unix-socket", "setuid-root" };

	key = strdup(t_write("key.pem", "-----BEGIN PRIVATE KEY-----\n"));
	/* Only the key's mode (0600) and the sandbox keep nobody out. */
	T_INT(chmod(t_tmpdir(), 0755), 0);
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	T_INT(bind(lfd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	T_INT(listen(lfd, 4), 0);
	T_INT(getsockname(lfd, (struct sockaddr *)&sin, &sl), 0);
	snprintf(owner, sizeof(owner), "escape %s %s %d", key, t_tmpdir(),
	    ntohs(sin.sin_port));
	nobody_uid = getpwnam(SANDBOX_USER)->pw_uid;
	be = start();
	memset(&rep, 0, sizeof(rep));
	T_INT(be->observer->observe(&conf, &hosts[0], owner, &none, &rep),
	    OUT_OK);
	T_INT(rep.nservers, 12);
	for (i = 0; i < rep.nservers; i++) {
		const char *w = rep.servers[i].addr;
		int worked = rep.servers[i].result == OBS_STALE;
		size_t j;

		for (j = 0; j < T_NELEM(denied); j++)
			if (strcmp(w, denied[j]) == 0 && !T_INT(worked, 0))
				printf("    the child could: %s\n", w);
		if (strcmp(w, "read-passwd") == 0 && ll && !T_INT(worked, 0))
			printf("    Landlock let the child read /etc/passwd\n");
		if (strcmp(w, "connect") == 0 && !T_INT(worked, 1))
			printf("    the child could not connect\n");
		if (strcmp(w, "uid-nobody") == 0 && root && !T_INT(worked, 1))
			printf("    the child is not nobody\n");
	}
	T_CHECK(access(key, F_OK) == 0);
	T_CHECK(access(t_path("written"), F_OK) != 0);
	obs_report_free(&rep);
	privsep_stop();
	(void)close(lfd);
	free(key);
}

/* A child that crashes, writes a frame of its own or floods the log:
 * killed, nothing
 * reported, and nothing known afterwards either: it is not restarted
 * from a parent that may hold secrets by now. */
static void
test_child_fails(void)
{
	static const struct { const char *owner, *log; } ways[] = {
		{ "crash", "exited; nothing more is observed" },
		{ "garbage", "sent a malformed message" },
		{ "flood", "sent a malformed message" },
	};
	struct tlsa_set none = { NULL, 0 };
	size_t i;

	for (i = 0; i < T_NELEM(ways); i++) {
		const struct backends *be = start();
		struct obs_report rep;

		memset(&rep, 0, sizeof(rep));
		t_log_reset();
		T_INT(be->observer->observe(&conf, &hosts[0], ways[i].owner,
		    &none, &rep), OUT_TEMPFAIL);
		T_CHECK(t_log_has(ways[i].log));
		T_INT(rep.nservers, 0);
		T_INT(be->observer->observe(&conf, &hosts[0], "x", &none,
		    &rep), OUT_TEMPFAIL);
		T_CHECK(t_log_has("the network child is gone"));
		privsep_stop();
	}
}

/* check's network half in the child is what it is in this process:
 * names looked up (here against a resolver that refuses every query,
 * so each fails the same way), endpoints made of them. */
static void
test_check_net(void)
{
	static struct conf_owner own[2] = {
		{ "_25._tcp.mx1.example.org", "mx1.example.org", NULL, 25, 0 },
		{ "_465._tcp.mx2.example.org", "mx2.example.org", NULL, 465,
		    0 },
	};
	const struct conf_host *hs[2] = { &hosts[0], &hosts[1] };
	struct verify_opts o;
	struct check_net in_child, here;
	int i;

	conf.resolver = "127.0.0.1#1";
	for (i = 0; i < 2; i++) {
		hosts[i].owners = &own[i];
		hosts[i].nowners = 1;
		hosts[i].algs = 3;
	}
	verify_opts_init(&o);
	o.dns_timeout_secs = 1;
	memset(&in_child, 0, sizeof(in_child));
	memset(&here, 0, sizeof(here));
	(void)start();
	T_INT(privsep_check_net(&conf, hs, 2, &o, &in_child), 0);
	T_INT(check_net_gather(&conf, hs, 2, &o, &here), 0);
	T_INT(in_child.no_resolver, here.no_resolver);
	T_STR(in_child.resolver, here.resolver);
	T_INT(in_child.nnames, 2);
	T_INT(here.nnames, 2);
	for (i = 0; i < 2 && i < in_child.nnames; i++) {
		T_STR(in_child.names[i].name, here.names[i].name);
		T_INT(in_child.names[i].port, here.names[i].port);
		T_INT(in_child.names[i].addrs.sec, here.names[i].addrs.sec);
		T_STR(in_child.names[i].addrs.why, here.names[i].addrs.why);
		T_INT(in_child.names[i].tlsa.sec, here.names[i].tlsa.sec);
	}
	T_INT(in_child.neps, here.neps);
	T_CHECK(in_child.host_ep != NULL);
	/* A host from elsewhere is not asked about. */
	{
		struct conf_host stray = hosts[0];
		const struct conf_host *bad[1] = { &stray };
		struct check_net none;

		memset(&none, 0, sizeof(none));
		T_INT(privsep_check_net(&conf, bad, 1, &o, &none), -1);
		T_CHECK(t_log_has("not a host of the network child's"));
		T_INT(none.nnames, 0);
	}
	check_net_free(&in_child);
	check_net_free(&here);
	conf.resolver = NULL;
	for (i = 0; i < 2; i++) {
		hosts[i].owners = NULL;
		hosts[i].nowners = 0;
	}
	privsep_stop();
}

/* doctor's lookups in the child are what they are here (against a
 * resolver nothing listens at), and a stray host is not asked about. */
static void
test_doctor_net(void)
{
	struct doctor_net_memo memo = { NULL, 0 };
	struct doctor_net_res res = { NULL, 0 };
	struct doctor_net_zone zc, zh;
	struct resolve_tlsa tc, th;
	struct conf_host stray = hosts[0];
	const char *owner = "_25._tcp.mx1.example.org";

	conf.resolver = "127.0.0.1#1";
	(void)start();
	t_log_reset();
	T_INT(privsep_doctor_zone(&conf, &hosts[0], owner, &zc),
	    doctor_net_zone(&conf, &hosts[0], owner, &memo, &zh));
	T_STR(zc.zone, zh.zone);
	T_STR(zc.zone, "");
	T_INT(zc.nservers, zh.nservers);
	T_INT(privsep_doctor_tlsa(&conf, &hosts[0], owner, &tc),
	    doctor_net_tlsa(&conf, &res, owner, &th));
	T_INT(tc.sec, RESOLVE_FAIL);
	T_STR(tc.why, th.why);
	T_INT(privsep_alive(), 1);
	resolve_tlsa_free(&tc);
	T_INT(privsep_doctor_tlsa(&conf, &stray, owner, &tc), RESOLVE_FAIL);
	T_CHECK(t_log_has("not a host of the network child's"));
	T_INT(privsep_doctor_zone(&conf, &stray, owner, &zc), OUT_TEMPFAIL);
	T_INT(privsep_alive(), 1);
	doctor_net_zone_free(&zc);
	doctor_net_zone_free(&zh);
	resolve_tlsa_free(&tc);
	resolve_tlsa_free(&th);
	doctor_net_memo_free(&memo);
	doctor_net_res_close(&res);
	conf.resolver = NULL;
	privsep_stop();
}

static const struct t_case cases[] = {
	{ "answers and log lines cross to the parent", test_round_trip },
	{ "the child reads no key, writes no file, execs nothing, still "
	    "connects", test_confined },
	{ "a child that dies or sends garbage leaves nothing known",
	    test_child_fails },
	{ "check's lookups in the child are what they are here",
	    test_check_net },
	{ "doctor's lookups in the child are what they are here",
	    test_doctor_net },
};

T_MAIN(cases)

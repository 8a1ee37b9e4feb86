/* Unit tests: fsutil (atomic installs, secret checks, bounded reads). */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "t.h"
#include "util.h"

static int
mode_of(const char *path)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return -1;
	return (int)(st.st_mode & 07777);
}

/* What a write leaves, done or failed: path holding want, and no
 * temporary file in dir. */
static void
check_left(const char *path, const char *want, const char *dir)
{
	char *got = t_read(path);

	T_STR(got, want);
	free(got);
	T_INT(t_dir_count(dir, 1), 0);
}

/* An atomic write of data to path fails, and says msg. */
static void
write_fails(const char *path, const char *data, size_t len, const char *msg)
{
	t_log_reset();
	T_INT(fs_write_atomic(path, data, len, 0644, (uid_t)-1, (gid_t)-1),
	    -1);
	T_CHECK(t_log_has(msg));
}

static const char *
make_dir(const char *name, mode_t mode)
{
	const char *p = t_path(name);

	(void)mkdir(p, 0700);
	(void)chmod(p, mode);
	return p;
}

static void
test_atomic_replace(void)
{
	const char *dir = make_dir("atomic", 0755);
	char path[512];
	struct stat st;

	snprintf(path, sizeof(path), "%s/cert.pem", dir);
	T_INT(fs_write_atomic(path, "first\n", 6, 0644, (uid_t)-1,
	    (gid_t)-1), 0);
	check_left(path, "first\n", dir);
	T_INT(mode_of(path), 0644);

	T_INT(fs_write_atomic(path, "second\n", 7, 0640, 1234, 4321), 0);
	check_left(path, "second\n", dir);
	T_INT(mode_of(path), 0640);
	T_CHECK(stat(path, &st) == 0 && st.st_uid == 1234 &&
	    st.st_gid == 4321);

	/* Mode is exactly as asked, whatever the umask. */
	{
		mode_t old = umask(0077);

		T_INT(fs_write_atomic(path, "", 0, 0604, (uid_t)-1, (gid_t)-1),
		    0);
		umask(old);
	}
	T_INT(mode_of(path), 0604);
	T_CHECK(stat(path, &st) == 0 && st.st_size == 0);
	T_INT(t_dir_count(dir, 1), 0);
}

static void
test_write_new(void)
{
	const char *dir = make_dir("new", 0755);
	char path[512];

	snprintf(path, sizeof(path), "%s/key.pem", dir);
	T_INT(fs_write_new(path, "secret-1", 8, 0600, (uid_t)-1, (gid_t)-1),
	    0);
	T_INT(mode_of(path), 0600);
	t_log_reset();
	errno = 0;
	T_INT(fs_write_new(path, "secret-2", 8, 0600, (uid_t)-1, (gid_t)-1),
	    -1);
	T_INT(errno, EEXIST);
	T_CHECK(t_log_has("key.pem: already exists; never overwritten"));
	check_left(path, "secret-1", dir);

	/* A dangling symlink is a name too: never write through it. */
	snprintf(path, sizeof(path), "%s/dangling", dir);
	T_INT(symlink("nowhere", path), 0);
	T_INT(fs_write_new(path, "x", 1, 0600, (uid_t)-1, (gid_t)-1), -1);
	T_CHECK(!fs_exists(t_path("new/nowhere")));
}

/*
 * A secret file that fails the checks, as rows (each a case): its mode,
 * and the words the refusal must say.
 */
static const struct secret_row {
	const char	*name;
	mode_t		 mode;
	const char	*msg;
} secret_rows[] = {
	{ "secret 0644: others may read", 0644,
	  "mode 0644 is readable by group or others; chmod 600 " },
	{ "secret 0640: the group may read", 0640,
	  "mode 0640 is readable by group or others; chmod 600 " },
	{ "secret 0604: others may read, not the group", 0604,
	  "mode 0604 is readable by group" },
	{ "secret 0620: the group may write", 0620,
	  "mode 0620 is accessible by group" },
	{ "secret 0601: others may execute", 0601,
	  "mode 0601 is accessible by group" },
};

static void
run_secret_row(const void *v)
{
	const struct secret_row *row = v;
	char name[32];
	const char *p;
	size_t len = 99;

	snprintf(name, sizeof(name), "s%04o", (unsigned)row->mode);
	p = t_write(name, "tsig-secret\n");
	T_INT(chmod(p, row->mode), 0);
	t_log_reset();
	T_CHECK(fs_read_secret(p, 4096, &len) == NULL);
	T_CHECK(t_log_has(row->msg));
	T_CHECK(t_log_has(p));
	T_INT(fs_check_secret(p), -1);
	/* The contents never appear in a message. */
	T_CHECK(!t_log_has("tsig-secret"));
}

static void
test_secret_kinds(void)
{
	const char *real = t_write("real-secret", "k");
	const char *link = t_path("link-secret");
	const char *dir = make_dir("dir-secret", 0700);
	const char *other = t_write("other-secret", "k");
	const char *open_dir = make_dir("open", 01777);
	char path[512], *got;
	size_t len = 0;

	T_INT(symlink(real, link), 0);
	t_log_reset();
	T_CHECK(fs_read_secret(link, 4096, NULL) == NULL);
	T_CHECK(t_log_has("is a symbolic link"));

	t_log_reset();
	T_CHECK(fs_read_secret(dir, 4096, NULL) == NULL);
	T_CHECK(t_log_has("not a regular file"));

	T_INT(chown(other, 1234, 0), 0);
	t_log_reset();
	T_INT(fs_check_secret(other), -1);
	T_CHECK(t_log_has("owned by uid 1234"));

	/* World-writable directory: fine with the sticky bit, not without. */
	snprintf(path, sizeof(path), "%s/key", open_dir);
	T_INT(fs_write_atomic(path, "k2", 2, 0600, (uid_t)-1, (gid_t)-1), 0);
	T_INT(fs_check_secret(path), 0);
	T_INT(chmod(open_dir, 0777), 0);
	t_log_reset();
	T_INT(fs_check_secret(path), -1);
	T_CHECK(t_log_has("mode 0777: anyone can write in it"));

	/* And the good case. */
	t_log_reset();
	T_INT(fs_check_secret(real), 0);
	got = fs_read_secret(real, 4096, &len);
	T_STR(got, "k");
	T_INT(len, 1);
	free(got);
	T_STR(t_log_text(), "");
}

/* fs_read_at on a path, its directory opened as a deploy opens it. */
static char *
read_at(const char *path, size_t maxlen, size_t *lenp, int *absent)
{
	const char *base = strrchr(path, '/');
	int dfd = fs_open_dir_of(path);
	char *got;

	*absent = 0;
	if (dfd < 0)
		return NULL;
	got = fs_read_at(dfd, base != NULL ? base + 1 : path, path, maxlen,
	    lenp, absent);
	(void)close(dfd);
	return got;
}

static void
test_read_limit(void)
{
	const char *p = t_write("sized", "0123456789");
	size_t len = 0;
	int absent = -1;
	char *got;

	got = read_at(p, 10, &len, &absent);
	T_STR(got, "0123456789");
	T_INT(len, 10);
	T_INT(absent, 0);
	free(got);

	t_log_reset();
	T_CHECK(read_at(p, 9, &len, &absent) == NULL);
	T_INT(absent, 0);
	T_CHECK(t_log_has("limit of 9 bytes"));
	t_log_reset();
	T_CHECK(fs_read_secret(p, 9, &len) == NULL);
	T_CHECK(t_log_has("limit of 9 bytes"));

	/* Not a regular file: refused at once, a device that never ends
	 * as well as a FIFO nobody writes to (which must not hang us). */
	t_log_reset();
	T_CHECK(read_at("/dev/zero", 100, &len, &absent) == NULL);
	T_CHECK(t_log_has("/dev/zero: not a regular file"));
	T_CHECK(mkfifo(t_path("fifo"), 0600) == 0);
	t_log_reset();
	T_CHECK(read_at(t_path("fifo"), 100, &len, &absent) == NULL);
	T_CHECK(t_log_has("fifo: not a regular file"));
	T_INT(absent, 0);
	t_log_reset();
	T_CHECK(fs_read_secret(t_path("fifo"), 100, &len) == NULL);
	T_CHECK(t_log_has("fifo: not a regular file"));

	got = read_at(t_write("empty", ""), 10, &len, &absent);
	T_STR(got, "");
	T_INT(len, 0);
	free(got);

	/* Absent is no error: a deploy then writes the file. */
	t_log_reset();
	T_CHECK(read_at(t_path("absent"), 10, &len, &absent) == NULL);
	T_INT(absent, 1);
	T_STR(t_log_text(), "");
}

static void
test_symlink_swap(void)
{
	const char *dir = make_dir("versions", 0755);
	char link[512], buf[64];
	ssize_t n;

	snprintf(link, sizeof(link), "%s/current", dir);
	T_INT(fs_symlink_atomic("v1", link), 0);
	n = readlink(link, buf, sizeof(buf) - 1);
	T_INT(n, 2);
	buf[n > 0 ? n : 0] = '\0';
	T_STR(buf, "v1");
	T_INT(fs_symlink_atomic("v2", link), 0);
	n = readlink(link, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	T_STR(buf, "v2");
	T_INT(t_dir_count(dir, 1), 0);

	/* Never over a real directory; no temp link is left behind. */
	snprintf(link, sizeof(link), "%s/sub", dir);
	T_INT(mkdir(link, 0700), 0);
	snprintf(link, sizeof(link), "%s/sub/f", dir);
	T_INT(fs_write_atomic(link, "x", 1, 0600, (uid_t)-1, (gid_t)-1), 0);
	snprintf(link, sizeof(link), "%s/sub", dir);
	T_INT(fs_symlink_atomic("v3", link), -1);
	T_CHECK(mode_of(link) >= 0 && mode_of(t_path("versions/sub/f")) ==
	    0600);
	T_INT(t_dir_count(dir, 1), 0);
}

static void
test_mkdirs(void)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/m1/m2//m3/", t_tmpdir());
	T_INT(fs_mkdirs(path, 0700), 0);
	T_INT(mode_of(t_path("m1/m2/m3")), 0700);
	T_INT(fs_mkdirs(path, 0700), 0);	/* again: nothing to do */
	snprintf(path, sizeof(path), "%s/m1/m2/m3", t_tmpdir());
	T_INT(fs_mkdirs(path, 0700), 0);

	t_write("plainfile", "x");
	snprintf(path, sizeof(path), "%s/plainfile/sub", t_tmpdir());
	t_log_reset();
	T_INT(fs_mkdirs(path, 0700), -1);
	T_CHECK(t_log_has("plainfile: exists and is not a directory"));
	T_CHECK(access(path, F_OK) != 0);
	snprintf(path, sizeof(path), "%s/plainfile", t_tmpdir());
	t_log_reset();
	T_INT(fs_mkdirs(path, 0700), -1);
	T_CHECK(t_log_has("plainfile: exists and is not a directory"));
	t_log_reset();
	T_INT(fs_mkdirs("", 0700), -1);
	T_CHECK(t_log_has("empty path"));
}

/* A key directory must be real, ours and closed to others: a planted
 * symlink would have keys written wherever it points (hostile.sh). */
static void
test_private_dir(void)
{
	T_INT(fs_mkdirs(t_path("kd/real"), 0700), 0);
	T_INT(fs_check_private_dir(t_path("kd/real")), 0);
	T_INT(fs_mkdirs(t_path("kd/elsewhere"), 0700), 0);
	T_INT(symlink(t_path("kd/elsewhere"), t_path("kd/link")), 0);
	t_log_reset();
	T_INT(fs_check_private_dir(t_path("kd/link")), -1);
	T_CHECK(t_log_has("kd/link: is a symbolic link"));
	T_INT(chmod(t_path("kd/real"), 0770), 0);
	t_log_reset();
	T_INT(fs_check_private_dir(t_path("kd/real")), -1);
	T_CHECK(t_log_has("mode 0770: its group can write in it"));
	T_INT(chmod(t_path("kd/real"), 0755), 0);
	T_INT(fs_check_private_dir(t_path("kd/real")), 0);
	t_write("kd/file", "x");
	t_log_reset();
	T_INT(fs_check_private_dir(t_path("kd/file")), -1);
	T_CHECK(t_log_has("kd/file: not a directory"));
	T_INT(fs_check_private_dir(t_path("kd/absent")), -1);
}

/* A failure at each stage leaves the old file and no temp file behind. */
static void
test_failure_keeps_old(void)
{
	const char *dir = make_dir("fail", 0755);
	char path[512], big[16384];
	struct rlimit old, small;

	snprintf(path, sizeof(path), "%s/main.cf", dir);
	T_INT(fs_write_atomic(path, "old\n", 4, 0644, (uid_t)-1, (gid_t)-1),
	    0);
	memset(big, 'x', sizeof(big));

	/*
	 * The write itself fails halfway, as root too: the file size limit
	 * stops it at 4 KiB (SIGXFSZ ignored, so write gets EFBIG).
	 */
	T_INT(getrlimit(RLIMIT_FSIZE, &old), 0);
	small = old;
	small.rlim_cur = 4096;
	signal(SIGXFSZ, SIG_IGN);
	T_INT(setrlimit(RLIMIT_FSIZE, &small), 0);
	write_fails(path, big, sizeof(big), "main.cf: write: File too large");
	T_INT(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, SIG_DFL);
	check_left(path, "old\n", dir);

	/* The rename fails (a non-empty directory is in the way). */
	snprintf(path, sizeof(path), "%s/blocked", dir);
	T_INT(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/blocked/keep", dir);
	T_INT(fs_write_atomic(path, "k", 1, 0600, (uid_t)-1, (gid_t)-1), 0);
	snprintf(path, sizeof(path), "%s/blocked", dir);
	write_fails(path, "new", 3, "rename");
	check_left(t_path("fail/blocked/keep"), "k", dir);

	/* The temp file cannot even be made: parent is a plain file. */
	snprintf(path, sizeof(path), "%s/main.cf/x", dir);
	write_fails(path, "new", 3, "Not a directory");
	check_left(t_path("fail/main.cf"), "old\n", dir);

	/* An unknown owner is refused before anything is created. */
	{
		uid_t u;
		gid_t g;

		T_INT(fs_lookup_owner("root", "root", &u, &g), 0);
		T_CHECK(u == 0 && g == 0);
		T_INT(fs_lookup_owner(NULL, "0", &u, &g), 0);
		T_CHECK(u == (uid_t)-1 && g == 0);
		t_log_reset();
		T_INT(fs_lookup_owner("no-such-user-daneroll", NULL, &u, &g),
		    -1);
		T_CHECK(t_log_has("unknown user no-such-user-daneroll"));
	}
}

/*
 * A real full disk: a 64 KiB tmpfs in a private mount namespace (the tests
 * run as root). The message names the path and says the disk is full.
 */
static void
test_disk_full(void)
{
	const char *mnt = make_dir("small", 0755);
	char path[512], filler[512], chunk[4096];
	int fd, mounted = 0;
	ssize_t n;

	if (!T_CHECK(unshare(CLONE_NEWNS) == 0) ||
	    !T_CHECK(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0) ||
	    !T_CHECK(mount("tmpfs", mnt, "tmpfs", 0, "size=64k") == 0)) {
		printf("    (needs root with CAP_SYS_ADMIN: %s)\n",
		    strerror(errno));
		return;
	}
	mounted = 1;
	snprintf(path, sizeof(path), "%s/fullchain.pem", mnt);
	T_INT(fs_write_atomic(path, "old chain\n", 10, 0644, (uid_t)-1,
	    (gid_t)-1), 0);
	snprintf(filler, sizeof(filler), "%s/filler", mnt);
	fd = open(filler, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	T_CHECK(fd >= 0);
	memset(chunk, 'f', sizeof(chunk));
	do
		n = write(fd, chunk, sizeof(chunk));
	while (n > 0);
	T_INT(errno, ENOSPC);
	close(fd);

	write_fails(path, chunk, sizeof(chunk),
	    "fullchain.pem: write: no space left on device; ");
	T_CHECK(t_log_has("fullchain.pem was not changed"));
	check_left(path, "old chain\n", mnt);
	if (mounted)
		T_INT(umount2(mnt, MNT_DETACH), 0);
}

static void
test_exists(void)
{
	T_CHECK(fs_exists(t_write("here", "x")));
	T_CHECK(!fs_exists(t_path("not-here")));
}

/*
 * fs_secure_path, as a table over one tree made below t_tmpdir() (itself
 * under a root-owned sticky /tmp: the case every test fixture is in).
 * Each row: a path below the tree, flags, 0 or -1, and for -1 the words
 * the refusal must contain.
 */
static void
test_secure_path(void)
{
	static const struct {
		const char	*path;
		int		 flags;
		int		 rc;
		const char	*msg;
	} rows[] = {
		{ "sp/ok", FS_SP_DIR, 0, NULL },
		{ "sp/ok/file", FS_SP_FILE, 0, NULL },
		{ "sp/ok/file", FS_SP_DIR, -1, "not a directory" },
		{ "sp/ok", FS_SP_FILE, -1, "not a regular file" },
		{ "sp/ok/absent", FS_SP_DIR, -1, "No such file" },
		{ "sp/ok/absent/deeper", FS_SP_DIR | FS_SP_MISSING, 0, NULL },
		{ "sp/gw", FS_SP_DIR, -1, "mode 0770: its group can write" },
		{ "sp/gw/file", FS_SP_FILE, -1, "has mode 0770" },
		{ "sp/ww/file", FS_SP_FILE, -1, "has mode 0777: anyone can" },
		{ "sp/sticky/sub", FS_SP_DIR, 0, NULL },
		{ "sp/sticky", FS_SP_DIR, -1, "not as itself" },
		{ "sp/sticky-nobody/sub", FS_SP_DIR, -1, "owned by uid 65534" },
		{ "sp/nobody/file", FS_SP_FILE, -1, "owned by uid 65534" },
		{ "sp/ok/nobodyfile", FS_SP_FILE, -1, "owned by uid 65534" },
		{ "sp/gwfile", FS_SP_FILE, -1, "mode 0664: its group can write" },
		{ "sp/link-ok/file", FS_SP_FILE, 0, NULL },
		{ "sp/rel-ok/file", FS_SP_FILE, 0, NULL },
		{ "sp/link-ok", FS_SP_DIR, -1, "is a symbolic link" },
		{ "sp/link-ok", FS_SP_DIR | FS_SP_LINK, 0, NULL },
		{ "sp/link-gw/file", FS_SP_FILE, -1, "has mode 0770" },
		{ "sp/link-nobody/file", FS_SP_FILE, -1,
		  "symbolic link owned by uid 65534" },
		{ "sp/loop/file", FS_SP_FILE, -1, "too many levels" },
		{ "sp/./ok//file", FS_SP_FILE, 0, NULL },
		{ "sp/ok/nobodyfile", FS_SP_PARENT, 0, NULL },
		{ "sp/gwfile", FS_SP_PARENT, 0, NULL },
		{ "sp/link-ok", FS_SP_PARENT, 0, NULL },
		{ "sp/nobody/file", FS_SP_PARENT, -1, "owned by uid 65534" },
		{ "sp/link-gw/file", FS_SP_PARENT, -1, "mode 0770" },
		{ "sp/gw/absent", FS_SP_PARENT | FS_SP_MISSING, -1, "0770" },
	};
	size_t i;

	if (geteuid() != 0) {
		printf("# skipped: fs_secure_path owners need root\n");
		return;
	}
	T_INT(fs_mkdirs(t_path("sp/ok"), 0755), 0);
	t_write("sp/ok/file", "x");
	t_write("sp/ok/nobodyfile", "x");
	T_INT(chown(t_path("sp/ok/nobodyfile"), 65534, 65534), 0);
	t_write("sp/gwfile", "x");
	T_INT(chmod(t_path("sp/gwfile"), 0664), 0);
	T_INT(fs_mkdirs(t_path("sp/gw"), 0755), 0);
	T_INT(chmod(t_path("sp/gw"), 0770), 0);
	t_write("sp/gw/file", "x");
	T_INT(fs_mkdirs(t_path("sp/ww"), 0755), 0);
	T_INT(chmod(t_path("sp/ww"), 0777), 0);
	t_write("sp/ww/file", "x");
	T_INT(fs_mkdirs(t_path("sp/sticky/sub"), 0700), 0);
	T_INT(chmod(t_path("sp/sticky"), 01777), 0);
	T_INT(fs_mkdirs(t_path("sp/sticky-nobody/sub"), 0700), 0);
	T_INT(chmod(t_path("sp/sticky-nobody"), 01777), 0);
	T_INT(chown(t_path("sp/sticky-nobody"), 65534, 65534), 0);
	T_INT(fs_mkdirs(t_path("sp/nobody"), 0755), 0);
	t_write("sp/nobody/file", "x");
	T_INT(chown(t_path("sp/nobody"), 65534, 65534), 0);
	T_INT(symlink(t_path("sp/ok"), t_path("sp/link-ok")), 0);
	T_INT(symlink("ok", t_path("sp/rel-ok")), 0);
	T_INT(symlink("../sp/gw", t_path("sp/link-gw")), 0);
	T_INT(symlink(t_path("sp/ok"), t_path("sp/link-nobody")), 0);
	T_INT(lchown(t_path("sp/link-nobody"), 65534, 65534), 0);
	T_INT(symlink("loop", t_path("sp/loop")), 0);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		t_log_reset();
		if (!T_INT(fs_secure_path(t_path(rows[i].path), rows[i].flags),
		    rows[i].rc))
			printf("# row %zu: %s\n", i, rows[i].path);
		if (rows[i].msg != NULL && !T_CHECK(t_log_has(rows[i].msg)))
			printf("# row %zu: %s: %s\n", i, rows[i].path,
			    t_log_text());
	}
	/* The refusal names the path asked about. */
	t_log_reset();
	T_INT(fs_secure_path(t_path("sp/nobody/file"), FS_SP_FILE), -1);
	T_CHECK(t_log_has(t_path("sp/nobody/file")));
	/* Relative to the working directory. */
	{
		char *cwd = getcwd(NULL, 0);

		T_INT(chdir(t_path("sp")), 0);
		T_INT(fs_secure_path("ok/file", FS_SP_FILE), 0);
		T_INT(fs_secure_path("gw/file", FS_SP_FILE), -1);
		T_INT(chdir(cwd), 0);
		free(cwd);
	}
	/*
	 * A root-owned system link such as Debian's /var/run -> /run: it is
	 * followed, and its target judged as any directory. /run is 0755 on
	 * a booted system, but a tmpfs mounted without mode= (a chroot, a
	 * container) is 1777: then the target is refused, naming /run.
	 */
	{
		struct stat st, tg;

		if (lstat("/var/run", &st) == 0 && S_ISLNK(st.st_mode) &&
		    st.st_uid == 0 && stat("/var/run", &tg) == 0) {
			int open_to_others = (tg.st_mode & 022) != 0 ||
			    (tg.st_uid != 0 && tg.st_uid != geteuid());

			t_log_reset();
			T_INT(fs_secure_path("/var/run", FS_SP_DIR |
			    FS_SP_LINK), open_to_others ? -1 : 0);
			if (open_to_others)
				T_CHECK(strstr(t_log_text(), "/run") != NULL);
		}
	}
}

static const struct t_case cases[] = {
	{ "atomic write replaces, mode and owner as asked", test_atomic_replace },
	{ "write_new never replaces", test_write_new },
	{ "secret: symlink, directory, owner, open dir", test_secret_kinds },
	{ "read size limit", test_read_limit },
	{ "symlink swap", test_symlink_swap },
	{ "mkdirs", test_mkdirs },
	{ "private key directory: real, ours, closed", test_private_dir },
	{ "failure mid-way keeps the old file", test_failure_keeps_old },
	{ "disk full keeps the old file", test_disk_full },
	{ "exists", test_exists },
	{ "secure path: every component from /", test_secure_path },
};
T_MAIN_TABLE(secret_rows, run_secret_row, cases)

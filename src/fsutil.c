/*
 * fsutil - atomic file installs and secret file checks.
 *
 * fs_write_atomic / fs_write_new write a temp file ".NAME.XXXXXX" beside
 * the target (same directory, so the final rename or link cannot cross a
 * file system), give it its owner and mode before any data goes in, fsync
 * it, then rename it over the target (or link it, which never replaces),
 * and fsync the directory so the new name survives a crash. On any failure
 * the temp file is removed and the old target is left as it was.
 *
 * fs_read_secret opens with O_NOFOLLOW and checks the opened descriptor
 * (fstat), so what is checked is what is read. Buffers returned by the
 * fs_read_ functions belong to the caller; on a failure a partly read
 * secret is wiped before it is freed.
 *
 * Every failure is logged once here, naming the path; callers only look at
 * the return value.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "fsutil.h"
#include "log.h"
#include "util.h"

char *
fs_dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	return xasprintf("%.*s", (int)(slash - path), path);
}

const char *
fs_base_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash != NULL ? slash + 1 : path;
}

/* "DIR/.BASE." : the prefix of a temp name beside path; caller frees. */
static char *
temp_prefix(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		return xasprintf(".%s.", path);
	return xasprintf("%.*s/.%s.", (int)(slash - path), path, slash + 1);
}

/* Logs a failed write-side operation; a full disk gets a plain message. */
static void
log_write_error(const char *path, const char *what, int err)
{
	if (err == ENOSPC)
		log_err("%s: %s: no space left on device; %s was not changed",
		    path, what, path);
	else if (err == EDQUOT)
		log_err("%s: %s: disk quota exceeded; %s was not changed",
		    path, what, path);
	else
		log_err("%s: %s: %s", path, what, strerror(err));
}

int
fs_fsync_dir_of(const char *path)
{
	char *dir = fs_dir_of(path);
	int fd = -1, rc = -1;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		log_err("%s: open directory: %s", dir, strerror(errno));
		goto out;
	}
	/* Some file systems cannot fsync a directory; nothing to do then. */
	if (fsync(fd) < 0 && errno != EINVAL && errno != EROFS) {
		log_err("%s: fsync directory: %s", dir, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (fd >= 0)
		(void)close(fd);
	free(dir);
	return rc;
}

/*
 * Puts the finished temp name tmp in place as path: renames it over path
 * (replace) or links it to path and drops the temp name (!replace, never
 * overwriting); then fsyncs the directory so the new name lasts (a new
 * file whose name may not last is removed again: all or nothing). 0, or
 * -1 logged with errno set; either way tmp is no longer the caller's to
 * remove.
 */
static int
put_in_place(const char *tmp, const char *path, int replace)
{
	int err;

	if ((replace ? rename(tmp, path) : link(tmp, path)) < 0) {
		err = errno;
		if (!replace && err == EEXIST)
			log_err("%s: already exists; never overwritten", path);
		else
			log_err("%s: %s from %s: %s", path, replace ?
			    "rename" : "link", tmp, strerror(err));
		(void)unlink(tmp);
		errno = err;
		return -1;
	}
	/* !replace: path now names the file; the temp name goes. */
	if (!replace && unlink(tmp) < 0)
		log_warn("%s: cannot remove: %s", tmp, strerror(errno));
	if (fs_fsync_dir_of(path) == 0)
		return 0;
	err = errno;
	if (!replace)
		(void)unlink(path);
	errno = err;
	return -1;
}

/*
 * Writes data to a fresh temp file beside path, then renames it over path
 * (replace) or links it to path (!replace, never overwriting).
 */
static int
install_file(const char *path, const void *data, size_t len, mode_t mode,
    uid_t uid, gid_t gid, int replace)
{
	char *prefix = temp_prefix(path), *tmp = NULL;
	int fd = -1, rc = -1, err = 0, tmp_exists = 0;

	tmp = xasprintf("%sXXXXXX", prefix);
	/* mkostemp creates it 0600: never more open than asked, meanwhile. */
	if ((fd = mkostemp(tmp, O_CLOEXEC)) < 0) {
		err = errno;
		log_write_error(path, "create temp file", err);
		goto out;
	}
	tmp_exists = 1;
	if ((uid != (uid_t)-1 || gid != (gid_t)-1) &&
	    fchown(fd, uid, gid) < 0) {
		err = errno;
		log_err("%s: chown %ld:%ld: %s", path, (long)(int)uid,
		    (long)(int)gid, strerror(err));
		goto out;
	}
	/* After fchown, which may clear set-id bits; before any data. */
	if (fchmod(fd, mode) < 0) {
		err = errno;
		log_err("%s: chmod %04o: %s", path, (unsigned)mode,
		    strerror(err));
		goto out;
	}
	if (util_write_all(fd, data, len) < 0) {
		err = errno;
		log_write_error(path, "write", err);
		goto out;
	}
	if (fsync(fd) < 0) {
		err = errno;
		log_write_error(path, "fsync", err);
		goto out;
	}
	/* close can report a delayed write error (NFS): check it. */
	if (close(fd) < 0) {
		fd = -1;
		err = errno;
		log_write_error(path, "close", err);
		goto out;
	}
	fd = -1;
	tmp_exists = 0;		/* put_in_place's to remove now */
	if (put_in_place(tmp, path, replace) != 0) {
		err = errno;
		goto out;
	}
	rc = 0;
out:
	if (fd >= 0)
		(void)close(fd);
	if (tmp_exists)
		(void)unlink(tmp);
	free(tmp);
	free(prefix);
	if (rc < 0 && err != 0)
		errno = err;
	return rc;
}

int
fs_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
    uid_t uid, gid_t gid)
{
	return install_file(path, data, len, mode, uid, gid, 1);
}

int
fs_write_new(const char *path, const void *data, size_t len, mode_t mode,
    uid_t uid, gid_t gid)
{
	struct stat st;

	/* Cheap early answer; the link in install_file is the real guard. */
	if (lstat(path, &st) == 0) {
		log_err("%s: already exists; never overwritten", path);
		errno = EEXIST;
		return -1;
	}
	return install_file(path, data, len, mode, uid, gid, 0);
}

/* A new symbolic link to target beside path, under a random temp name
 * (the caller's to free), or NULL logged with errno set. */
static char *
temp_symlink(const char *target, const char *path)
{
	static const char chars[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	char *prefix = temp_prefix(path), *tmp = NULL;
	unsigned char rnd[6];
	int tries, made = 0, err = EEXIST;
	size_t i;

	for (tries = 0; tries < 100 && !made; tries++) {
		char suffix[sizeof(rnd) + 1];

		if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd)) {
			err = errno;
			log_err("%s: getrandom: %s", path, strerror(err));
			goto out;
		}
		for (i = 0; i < sizeof(rnd); i++)
			suffix[i] = chars[rnd[i] % (sizeof(chars) - 1)];
		suffix[sizeof(rnd)] = '\0';
		free(tmp);
		tmp = xasprintf("%s%s", prefix, suffix);
		if (symlink(target, tmp) == 0)
			made = 1;
		else if (errno != EEXIST) {
			err = errno;
			log_err("%s: symlink: %s", tmp, strerror(err));
			goto out;
		}
	}
	if (!made)
		log_err("%s: no free temp name for the symlink", path);
out:
	free(prefix);
	if (!made) {
		free(tmp);
		tmp = NULL;
		errno = err;
	}
	return tmp;
}

int
fs_symlink_atomic(const char *target, const char *path)
{
	char *tmp;
	int rc, err;

	if ((tmp = temp_symlink(target, path)) == NULL)
		return -1;
	rc = put_in_place(tmp, path, 1);
	err = errno;
	free(tmp);
	errno = err;
	return rc;
}

int
fs_mkdirs(const char *path, mode_t mode)
{
	char *p = xstrdup(path), *s;
	struct stat st;
	int rc = -1;

	if (*p == '\0') {
		log_err("mkdir: empty path");
		errno = ENOENT;
		goto out;
	}
	/* Each prefix ending before a '/', then the whole path. */
	for (s = p + 1; ; s++) {
		int last = (*s == '\0');

		if (*s != '/' && !last)
			continue;
		*s = '\0';
		if (mkdir(p, mode) < 0) {
			if (errno != EEXIST) {
				log_err("%s: mkdir: %s", p, strerror(errno));
				goto out;
			}
			if (stat(p, &st) < 0 || !S_ISDIR(st.st_mode)) {
				log_err("%s: exists and is not a directory",
				    p);
				errno = ENOTDIR;
				goto out;
			}
		}
		if (last)
			break;
		*s = '/';
		while (s[1] == '/')
			s++;
		if (s[1] == '\0')
			break;
	}
	rc = 0;
out:
	free(p);
	return rc;
}

/*
 * Reads all of fd (at most maxlen bytes) into a NUL-terminated buffer.
 * Secret contents are never left in freed memory: growing copies and
 * wipes, and a failure wipes what was read.
 */
static char *
read_fd(int fd, const char *path, const struct stat *st, size_t maxlen,
    size_t *lenp, int secret)
{
	char *data = NULL, *ret = NULL;
	size_t cap, len = 0;

	if (S_ISREG(st->st_mode) && (uintmax_t)st->st_size > maxlen) {
		log_err("%s: file is %jd bytes, larger than the limit of %zu "
		    "bytes", path, (intmax_t)st->st_size, maxlen);
		goto out;
	}
	cap = S_ISREG(st->st_mode) ? (size_t)st->st_size : 4096;
	if (cap > maxlen)
		cap = maxlen;
	data = xmalloc(cap + 1);
	for (;;) {
		char probe, *bigger;
		size_t ncap;
		ssize_t n;
		int full = len == cap;

		/* Full: one octet more tells whether there is more. */
		if (full)
			n = read(fd, &probe, 1);
		else
			n = read(fd, data + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			log_err("%s: read: %s", path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		if (!full) {
			len += (size_t)n;
			continue;
		}
		/* There is more: may there be? */
		if (len >= maxlen) {
			log_err("%s: file is larger than the limit of %zu "
			    "bytes", path, maxlen);
			goto out;
		}
		ncap = cap < maxlen / 2 ? cap * 2 + 1 : maxlen;
		bigger = xmalloc(ncap + 1);
		memcpy(bigger, data, len);
		explicit_bzero(data, cap + 1);
		free(data);
		data = bigger;
		cap = ncap;
		data[len++] = probe;
	}
	data[len] = '\0';
	if (lenp != NULL)
		*lenp = len;
	ret = data;
	data = NULL;
out:
	if (data != NULL) {
		if (secret)
			explicit_bzero(data, cap + 1);
		free(data);
	}
	return ret;
}

/* The user name of uid for a message, or "" if it has none. */
static const char *
user_name(uid_t uid)
{
	struct passwd *pw = getpwuid(uid);

	return pw != NULL ? pw->pw_name : "";
}

/*
 * One component of a path, found by lstat: 0 if it is owned by root or
 * the effective user and no one else can write in it, else -1 (logged,
 * naming the component). A world-writable directory is allowed only as
 * an ancestor, owned by root, with the sticky bit (/tmp): there no one
 * can rename or remove what root or we own.
 */
static int
component_ok(const char *path, const char *comp, const struct stat *st,
    int last)
{
	uid_t euid = geteuid();
	unsigned mode = (unsigned)(st->st_mode & 07777);

	int same = strcmp(path, comp) == 0;

	if (same)
		comp = "";
	if (st->st_uid != 0 && st->st_uid != euid) {
		log_err("%s: %s%sowned by uid %ld%s%s%s, not by root or uid "
		    "%ld: that user could replace it", path, comp,
		    same ? "" : " is ",
		    (long)st->st_uid, *user_name(st->st_uid) ? " (" : "",
		    user_name(st->st_uid), *user_name(st->st_uid) ? ")" : "",
		    (long)euid);
		return -1;
	}
	if (!last && !S_ISDIR(st->st_mode)) {
		log_err("%s: %s%snot a directory", path, comp,
		    same ? "" : " is ");
		return -1;
	}
	if ((mode & (S_IWGRP | S_IWOTH)) == 0)
		return 0;
	if (!last && st->st_uid == 0 && (mode & S_ISVTX) &&
	    (mode & S_IWOTH) && S_ISDIR(st->st_mode))
		return 0;
	log_err("%s: %s%smode %04o: %s can write in it%s; chmod go-w %s",
	    path, comp, same ? "" : " has ", mode, (mode & S_IWOTH) ? "anyone" : "its group",
	    (mode & S_ISVTX) && !last ? " (a sticky directory is allowed "
	    "only if root owns it)" : (mode & S_ISVTX) ? " (a sticky "
	    "directory is allowed above it, not as itself)" : "",
	    same ? path : comp);
	return -1;
}

/* path made absolute from the working directory; NULL (logged) if that
 * cannot be read. */
static char *
absolute_path(const char *path)
{
	char *cwd, *abs;

	if (*path == '/')
		return xstrdup(path);
	if ((cwd = getcwd(NULL, 0)) == NULL) {
		log_err("%s: getcwd: %s", path, strerror(errno));
		return NULL;
	}
	abs = xasprintf("%s/%s", cwd, path);
	free(cwd);
	return abs;
}

/* Takes the first component off rest (leading slashes skipped): the
 * component, or NULL when none is left; *last: nothing follows it. */
static char *
pop_component(char *rest, int *last)
{
	char *s = rest, *next, *comp;

	while (*s == '/')
		s++;
	if (*s == '\0')
		return NULL;
	next = strchr(s, '/');
	comp = next ? xasprintf("%.*s", (int)(next - s), s) : xstrdup(s);
	memmove(rest, next ? next : s + strlen(s),
	    strlen(next ? next : s + strlen(s)) + 1);
	for (s = rest; *s == '/'; s++)
		;
	*last = *s == '\0';
	return comp;
}

/* After lstat(done) failed: 1 if the flags accept a missing name there,
 * 0 (logged) otherwise. Past a checked directory we may not search, no
 * open can reach anything either (EACCES). */
static int
missing_ok(const char *path, const char *done, int flags, int last)
{
	if ((errno == ENOENT || errno == EACCES) &&
	    ((flags & FS_SP_MISSING) || (last && (flags & FS_SP_PARENT))))
		return 1;
	if (strcmp(path, done) == 0)
		log_err("%s: %s", path, strerror(errno));
	else
		log_err("%s: %s: %s", path, done, strerror(errno));
	return 0;
}

/*
 * The symbolic link *done (st): only root's are followed, at most 32 on
 * a path, and the last name only with FS_SP_LINK. Its target goes before
 * *rest, and *done goes back to where the target starts from. 0 or -1
 * (logged).
 */
static int
follow_link(const char *path, int flags, int last, const struct stat *st,
    char **done, char **rest, int *links)
{
	char target[PATH_MAX], *s;
	ssize_t n;

	if (last && !(flags & FS_SP_LINK)) {
		log_err("%s: is a symbolic link; it must be "
		    "named directly", path);
		return -1;
	}
	if (st->st_uid != 0) {
		log_err("%s: %s is a symbolic link owned by "
		    "uid %ld; only root's links are followed",
		    path, *done, (long)st->st_uid);
		return -1;
	}
	if (++*links > 32 || (n = readlink(*done, target,
	    sizeof(target) - 1)) < 0) {
		log_err("%s: %s: %s", path, *done, *links > 32 ?
		    "too many levels of symbolic links" :
		    strerror(errno));
		return -1;
	}
	target[n] = '\0';
	s = xasprintf("%s/%s", target, *rest);
	free(*rest);
	*rest = s;
	/* A relative link goes on from its directory. */
	s = target[0] == '/' ? xstrdup("/") : fs_dir_of(*done);
	free(*done);
	*done = s;
	return 0;
}

int
fs_secure_path(const char *path, int flags)
{
	char *rest = NULL, *done = NULL, *comp = NULL;
	struct stat st;
	int links = 0, rc = -1, last = 0;

	if (*path == '\0') {
		log_err("empty path");
		return -1;
	}
	if ((rest = absolute_path(path)) == NULL)
		goto out;
	done = xstrdup("/");
	if (lstat("/", &st) < 0 || component_ok(path, "/", &st, 0) != 0)
		goto out;
	memset(&st, 0, sizeof(st));
	st.st_mode = S_IFDIR;
	/* done: the checked, symlink-free prefix; rest: what is left. */
	for (;;) {
		char *cand;

		free(comp);
		if ((comp = pop_component(rest, &last)) == NULL)
			break;
		if (strcmp(comp, ".") == 0)
			continue;
		if (strcmp(comp, "..") == 0) {
			char *up = fs_dir_of(done);

			free(done);
			done = up;
			continue;
		}
		cand = strcmp(done, "/") == 0 ? xasprintf("/%s", comp) :
		    xasprintf("%s/%s", done, comp);
		free(done);
		done = cand;
		if (lstat(done, &st) < 0) {
			if (missing_ok(path, done, flags, last))
				rc = 0;
			goto out;
		}
		/* FS_SP_PARENT: the caller looks at the final name itself
		 * (except that root's link there is followed with LINK). */
		if (last && (flags & FS_SP_PARENT) &&
		    !(S_ISLNK(st.st_mode) && (flags & FS_SP_LINK))) {
			rc = 0;
			goto out;
		}
		if (S_ISLNK(st.st_mode)) {
			if (follow_link(path, flags, last, &st, &done, &rest,
			    &links) != 0)
				goto out;
			continue;
		}
		if (component_ok(path, done, &st, last) != 0)
			goto out;
	}
	if ((flags & FS_SP_DIR) && !S_ISDIR(st.st_mode)) {
		log_err("%s: not a directory", path);
		goto out;
	}
	if ((flags & FS_SP_FILE) && !S_ISREG(st.st_mode)) {
		log_err("%s: not a regular file", path);
		goto out;
	}
	rc = 0;
out:
	free(rest);
	free(done);
	free(comp);
	return rc;
}

int
fs_check_private_dir(const char *path)
{
	/* Not only the last component: keys/HOST renamed away inside a
	 * state directory someone else can write is a substituted key. */
	return fs_secure_path(path, FS_SP_DIR);
}

/* read_fd for an opened descriptor that must be a regular file. */
static char *
read_regular(int fd, const char *path, size_t maxlen, size_t *lenp)
{
	struct stat st;

	if (fstat(fd, &st) < 0) {
		log_err("%s: fstat: %s", path, strerror(errno));
		return NULL;
	}
	if (S_ISDIR(st.st_mode)) {
		log_err("%s: is a directory", path);
		return NULL;
	}
	/* A device or FIFO has no end daneroll could wait for. */
	if (!S_ISREG(st.st_mode)) {
		log_err("%s: not a regular file", path);
		return NULL;
	}
	return read_fd(fd, path, &st, maxlen, lenp, 1);
}

int
fs_open_dir_of(const char *path)
{
	char *dir = fs_dir_of(path);
	int fd;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		log_err("%s: open directory: %s", dir, strerror(errno));
	free(dir);
	return fd;
}

char *
fs_read_at(int dfd, const char *name, const char *shown, size_t maxlen,
    size_t *lenp, int *absent)
{
	char *ret = NULL;
	int fd = -1;

	*absent = 0;
	/* O_NONBLOCK: a FIFO planted here must not hang the run. */
	fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY |
	    O_NONBLOCK);
	if (fd < 0) {
		if (errno == ENOENT)
			*absent = 1;
		else if (errno == ELOOP)
			log_err("%s: is a symbolic link daneroll did not make: "
			    "it is neither read nor replaced (remove it, or "
			    "name the real file in the configuration)", shown);
		else
			log_err("%s: %s", shown, strerror(errno));
		goto out;
	}
	ret = read_regular(fd, shown, maxlen, lenp);
out:
	if (fd >= 0)
		(void)close(fd);
	return ret;
}

/*
 * Opens a secret file and checks the descriptor: a regular file, owned by
 * root or the effective user, no access for group or others, below
 * directories that only root or we can change. Returns the fd or -1.
 */
static int
open_secret(const char *path, struct stat *st)
{
	int fd = -1, ret = -1;
	uid_t euid = geteuid();
	unsigned mode;

	/* O_NONBLOCK: a FIFO planted here must not hang us before fstat. */
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY |
	    O_NONBLOCK);
	if (fd < 0) {
		if (errno == ELOOP)
			log_err("%s: is a symbolic link; a secret file must "
			    "be read directly", path);
		else
			log_err("%s: %s", path, strerror(errno));
		goto out;
	}
	if (fstat(fd, st) < 0) {
		log_err("%s: fstat: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st->st_mode)) {
		log_err("%s: not a regular file", path);
		goto out;
	}
	if (st->st_uid != 0 && st->st_uid != euid) {
		log_err("%s: owned by uid %ld, not by root or uid %ld; chown "
		    "%ld %s", path, (long)st->st_uid, (long)euid, (long)euid,
		    path);
		goto out;
	}
	mode = (unsigned)(st->st_mode & 07777);
	if (mode & 077) {
		log_err("%s: mode %04o is %s by group or others; chmod 600 %s",
		    path, mode, (mode & 044) ? "readable" : "accessible",
		    path);
		goto out;
	}
	/* Every directory above it, from /: no one else may swap it. */
	if (fs_secure_path(path, FS_SP_PARENT) != 0)
		goto out;
	ret = fd;
	fd = -1;
out:
	if (fd >= 0)
		(void)close(fd);
	return ret;
}

char *
fs_read_secret(const char *path, size_t maxlen, size_t *lenp)
{
	struct stat st;
	char *ret = NULL;
	int fd = -1;

	if ((fd = open_secret(path, &st)) < 0)
		goto out;
	ret = read_fd(fd, path, &st, maxlen, lenp, 1);
out:
	if (fd >= 0)
		(void)close(fd);
	return ret;
}

int
fs_check_secret(const char *path)
{
	struct stat st;
	int fd;

	if ((fd = open_secret(path, &st)) < 0)
		return -1;
	(void)close(fd);
	return 0;
}

/* A purely numeric name is taken as an id, as chown(1) does. */
static int
numeric_id(const char *s, long *id)
{
	char *end;

	if (*s < '0' || *s > '9')
		return 0;
	errno = 0;
	*id = strtol(s, &end, 10);
	return errno == 0 && *end == '\0' && *id >= 0 && *id < INT_MAX;
}

int
fs_id_by_name(const char *name, int group, long *id)
{
	struct passwd pw, *pwp = NULL;
	struct group gr, *grp = NULL;
	size_t bufsz = 16384;
	char *buf = xmalloc(bufsz);
	int e;

	while ((e = group ? getgrnam_r(name, &gr, buf, bufsz, &grp) :
	    getpwnam_r(name, &pw, buf, bufsz, &pwp)) == ERANGE &&
	    bufsz < 1024 * 1024) {
		bufsz *= 2;
		buf = xrealloc(buf, bufsz);
	}
	free(buf);
	if (pwp != NULL)
		*id = (long)pwp->pw_uid;
	else if (grp != NULL)
		*id = (long)grp->gr_gid;
	else if (!numeric_id(name, id)) {
		errno = e;
		return -1;
	}
	return 0;
}

/* fs_id_by_name, logged when it fails. */
static int
lookup_id(const char *name, int group, long *id)
{
	if (fs_id_by_name(name, group, id) == 0)
		return 0;
	log_err("unknown %s %s%s%s", group ? "group" : "user", name,
	    errno ? ": " : "", errno ? strerror(errno) : "");
	return -1;
}

int
fs_lookup_owner(const char *user, const char *group, uid_t *uidp,
    gid_t *gidp)
{
	long id;

	if (uidp != NULL)
		*uidp = (uid_t)-1;
	if (gidp != NULL)
		*gidp = (gid_t)-1;
	if (user != NULL) {
		if (lookup_id(user, 0, &id) != 0)
			return -1;
		if (uidp != NULL)
			*uidp = (uid_t)id;
	}
	if (group != NULL) {
		if (lookup_id(group, 1, &id) != 0)
			return -1;
		if (gidp != NULL)
			*gidp = (gid_t)id;
	}
	return 0;
}

int
fs_missing(const char *path)
{
	struct stat st;

	return lstat(path, &st) != 0 && errno == ENOENT;
}

int
fs_exists(const char *path)
{
	struct stat st;

	/* lstat: a dangling symlink is still a name that exists. */
	return lstat(path, &st) == 0;
}

/*
 * fsutil - file system operations with the durability and secrecy rules
 * daneroll lives by: atomic installs (temp file in the target directory,
 * fchmod/fchown, write, fsync, rename, fsync of the directory), secret files
 * checked for owner and mode before use.
 *
 * Every failure is logged once naming the path and the reason; functions
 * return 0 or -1.
 */
#ifndef DANEROLL_FSUTIL_H
#define DANEROLL_FSUTIL_H

#include <stddef.h>
#include <sys/types.h>

/*
 * Atomically replaces (or creates) path with data. uid/gid -1: unchanged.
 * The mode is set exactly (umask does not apply). A symlink at path is
 * itself replaced, not followed.
 */
int	 fs_write_atomic(const char *path, const void *data, size_t len,
	    mode_t mode, uid_t uid, gid_t gid);
/* Like fs_write_atomic but fails (errno EEXIST) if path exists, and
 * leaves no file behind on any failure (a private key's write). */
int	 fs_write_new(const char *path, const void *data, size_t len,
	    mode_t mode, uid_t uid, gid_t gid);
/* Atomically points symlink path at target (temp link + rename). */
int	 fs_symlink_atomic(const char *target, const char *path);
int	 fs_fsync_dir_of(const char *path);
/* The directory part of path ("." for a bare name); caller frees. */
char	*fs_dir_of(const char *path);
/* The last component of path: a pointer into it (path if no '/'). */
const char *fs_base_of(const char *path);
/* mkdir -p with mode (less the umask) for the directories it creates. */
int	 fs_mkdirs(const char *path, mode_t mode);
/*
 * Trust of a path, checked component by component from "/" (relative
 * paths from the working directory): every directory on the way and the
 * final name must be owned by root or the effective user and writable by
 * no one else, so that no one else can swap any of them. The exceptions:
 * a world-writable directory owned by root with the sticky bit (/tmp) is
 * allowed above the final name, never as it; a symbolic link owned by
 * root is followed (/var/run -> /run) and its target checked the same
 * way, but as the final name only with FS_SP_LINK. Flags:
 *   FS_SP_DIR      the final name must be a directory
 *   FS_SP_FILE     the final name must be a regular file
 *   FS_SP_MISSING  names from the first missing one on may not exist yet
 *                  (checked up to there; so may names below a checked
 *                  directory we may not search, which no open can
 *                  reach either)
 *   FS_SP_LINK     the final name may be root's symbolic link
 *   FS_SP_PARENT   the directories only: the final name is the
 *                  caller's to check (on the descriptor it opens, or
 *                  with lstat); with FS_SP_LINK root's link there is
 *                  still followed and the directories of its target
 *                  checked
 * Returns 0, or -1 logged as "PATH: COMPONENT reason". Nothing is read
 * or written; a check followed by an open is sound because no one else
 * can change the checked directories meanwhile.
 */
#define FS_SP_DIR	0x01
#define FS_SP_FILE	0x02
#define FS_SP_MISSING	0x04
#define FS_SP_LINK	0x08
#define FS_SP_PARENT	0x10
int	 fs_secure_path(const char *path, int flags);
/*
 * For a directory daneroll makes itself to hold private keys: 0 if path
 * is a directory, not a symbolic link, and it and every directory above
 * it pass fs_secure_path; else -1 (logged). A planted symlink would have
 * keys written wherever it points; a directory above that someone else
 * can write lets them rename ours away and put theirs in its place.
 */
int	 fs_check_private_dir(const char *path);
/* A descriptor of the directory part of path (O_DIRECTORY), or -1
 * logged; the caller closes it. */
int	 fs_open_dir_of(const char *path);
/*
 * Reads the regular file name in the directory dfd without following a
 * symbolic link (shown names it in messages): what a deploy reads there
 * is what it or the MTA's administrator put, never what a link planted
 * there points at. NULL with *absent 1 if there is no such name; NULL
 * with *absent 0 (logged) if it is a symbolic link, not a regular file,
 * unreadable or larger than maxlen. The buffer is the caller's (wipe it
 * if it may hold a key); a failure wipes what was read.
 */
char	*fs_read_at(int dfd, const char *name, const char *shown,
	    size_t maxlen, size_t *lenp, int *absent);
/*
 * Reads a secret file: refuses it unless it is a regular file owned by
 * root or by the effective user and neither group- nor world-readable or
 * writable, and its directory not world-writable. The caller wipes the
 * buffer with OPENSSL_cleanse before freeing it.
 */
char	*fs_read_secret(const char *path, size_t maxlen, size_t *lenp);
/* 0 if the file passes the checks of fs_read_secret, else -1 (logged). */
int	 fs_check_secret(const char *path);
/* A user's (group: a group's) id by name, or a plain number that names
 * none (as chown(1) takes it): 0; else -1, errno 0 for no such name or
 * the lookup's error. Nothing logged. */
int	 fs_id_by_name(const char *name, int group, long *id);
/*
 * Resolves a user / group name (or a numeric id, as chown(1) takes);
 * (uid_t)-1 for NULL; -1 return (logged) if unknown.
 */
int	 fs_lookup_owner(const char *user, const char *group, uid_t *,
	    gid_t *);
/* 1 if the name exists (lstat: a dangling symlink counts), else 0. */
int	 fs_exists(const char *path);
/* 1 only if path is certainly not there (ENOENT), not merely unreadable. */
int	 fs_missing(const char *path);

#endif

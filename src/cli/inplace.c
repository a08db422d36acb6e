/* inplace.c -- --in-place: each FILE is filtered into a temporary file in
 * its directory, which then replaces it (fsync, rename), keeping mode,
 * owner and extended attributes (ACLs, SELinux label); on any failure the
 * original stays as it was.  What rename cannot do safely is refused: other
 * hard links (unless --break-links), FIFOs and devices.  The temporary
 * file is flock'ed while it lives, so the next run can tell one left by a
 * killed run (no lock) from one being written, and removes it.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <sysexits.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/run.h"
#include "io/io.h"

/* Opens path, which must be a regular file, for reading; fills *st.
 * Anything else is refused before it is opened where possible (opening a
 * device can act on it: a tape rewinds), and the open does not block (on a
 * FIFO it would wait for a writer forever); fstat then settles it, in case
 * the name was swapped in between.  Returns the fd, or -1 after printing
 * why. */
static int open_regular(const char *path, struct stat *st)
{
    if (stat(path, st) == 0 && !S_ISREG(st->st_mode)) {
        errmsg("%s: not a regular file", path);
        return -1;
    }
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) {
        errmsg("%s: %s", path, strerror(errno));
        return -1;
    }
    if (fstat(fd, st) < 0 || !S_ISREG(st->st_mode)) {
        errmsg("%s: not a regular file", path);
        close(fd);
        return -1;
    }
    /* A regular file: reads never block, but the reader expects a
     * blocking fd like every other input. */
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0) {
        errmsg("%s: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

/* The names of fd's extended attributes, each NUL-terminated, in a malloc'd
 * buffer *names of *len bytes (NULL and 0 when there are none, also when
 * the file system has none).  Returns 0, or -1 with errno set. */
static int list_xattrs(int fd, char **names, size_t *len)
{
    *names = NULL;
    *len = 0;
    for (;;) {
        ssize_t n = flistxattr(fd, NULL, 0);
        if (n <= 0)
            return n == 0 || errno == ENOTSUP ? 0 : -1;
        char *buf = malloc((size_t)n);
        if (buf == NULL)
            return -1;
        ssize_t got = flistxattr(fd, buf, (size_t)n);
        if (got >= 0) {
            *names = buf;
            *len = (size_t)got;
            return 0;
        }
        free(buf);
        if (errno != ERANGE) /* ERANGE: one was added in between; again */
            return -1;
    }
}

/* fd's value of the extended attribute name, in a malloc'd *val of *vlen
 * bytes.  Returns 0, or -1 with errno set (ENODATA: fd has no such
 * attribute). */
static int get_xattr(int fd, const char *name, char **val, size_t *vlen)
{
    for (;;) {
        ssize_t n = fgetxattr(fd, name, NULL, 0);
        if (n < 0)
            return -1;
        char *buf = malloc(n > 0 ? (size_t)n : 1);
        if (buf == NULL)
            return -1;
        ssize_t got = fgetxattr(fd, name, buf, (size_t)n);
        if (got >= 0) {
            *val = buf;
            *vlen = (size_t)got;
            return 0;
        }
        free(buf);
        if (errno != ERANGE) /* ERANGE: it grew in between; again */
            return -1;
    }
}

static bool name_listed(const char *names, size_t len, const char *name)
{
    for (size_t k = 0; k < len; k += strlen(names + k) + 1)
        if (strcmp(names + k, name) == 0)
            return true;
    return false;
}

/* An attribute name for a message: names are metadata, not log text, but
 * printed only when they cannot disturb the one-line message. */
static const char *shown_name(const char *name)
{
    for (const char *c = name; *c; c++)
        if (*c < 0x20 || *c > 0x7e)
            return "(unprintable name)";
    return name;
}

/* Makes the extended attributes of tfd those of fd: POSIX ACLs
 * (system.posix_acl_*), SELinux labels (security.selinux), user.* and
 * whatever else the caller may read.  Ones that tfd got on creation but the
 * original lacks (an ACL inherited from the directory's default ACL) are
 * removed, so the new file grants no more than the old one did; values tfd
 * already has are not written again (relabelling can need privileges that
 * keeping a label does not).  Call after fchown and fchmod: fchmod rewrites
 * the ACL mask and fchown drops security.capability.  Returns EX_OK, or
 * the exit status after printing why (tfd then has some of them). */
static int copy_xattrs(int fd, int tfd, const char *path)
{
    char *src = NULL, *dst = NULL, *val = NULL, *old = NULL;
    size_t slen, dlen, vlen, olen;
    int rc = EX_OK;
    int e;
    if (list_xattrs(fd, &src, &slen) < 0) {
        e = errno;
        errmsg("%s: cannot read extended attributes: %s", path, strerror(e));
        rc = e == ENOMEM ? EX_SOFTWARE : EX_CANTCREAT;
        goto cleanup;
    }
    if (list_xattrs(tfd, &dst, &dlen) < 0) {
        e = errno;
        errmsg("%s: cannot read extended attributes of the temporary file: %s", path, strerror(e));
        rc = e == ENOMEM ? EX_SOFTWARE : EX_CANTCREAT;
        goto cleanup;
    }
    for (size_t k = 0; k < dlen; k += strlen(dst + k) + 1) {
        const char *name = dst + k;
        if (!name_listed(src, slen, name) && fremovexattr(tfd, name) < 0 && errno != ENODATA) {
            errmsg("%s: cannot remove extended attribute %s from the temporary file: %s", path,
                   shown_name(name), strerror(errno));
            rc = EX_CANTCREAT;
            goto cleanup;
        }
    }
    for (size_t k = 0; k < slen; k += strlen(src + k) + 1) {
        const char *name = src + k;
        if (get_xattr(fd, name, &val, &vlen) < 0) {
            e = errno;
            if (e == ENODATA) /* removed since the listing */
                continue;
            errmsg("%s: cannot read extended attribute %s: %s", path, shown_name(name),
                   strerror(e));
            rc = e == ENOMEM ? EX_SOFTWARE : EX_CANTCREAT;
            goto cleanup;
        }
        bool same =
            get_xattr(tfd, name, &old, &olen) == 0 && olen == vlen && memcmp(old, val, vlen) == 0;
        free(old);
        old = NULL;
        if (!same && fsetxattr(tfd, name, val, vlen, 0) < 0) {
            errmsg("%s: cannot keep extended attribute %s: %s", path, shown_name(name),
                   strerror(errno));
            rc = EX_CANTCREAT;
            goto cleanup;
        }
        free(val);
        val = NULL;
    }
cleanup:
    free(val);
    free(src);
    free(dst);
    return rc;
}

/* The temporary file of FILE is ".FILE.logscrub.XXXXXX" in FILE's
 * directory, the X's as mkostemp(3) fills them in. */
#define TEMP_SUFFIX ".logscrub."
#define TEMP_RANDOM 6

/* True when name is the name of a temporary file of the file base. */
static bool is_temp_of(const char *name, const char *base)
{
    size_t blen = strlen(base), slen = strlen(TEMP_SUFFIX);
    if (name[0] != '.' || strncmp(name + 1, base, blen) != 0 ||
        strncmp(name + 1 + blen, TEMP_SUFFIX, slen) != 0)
        return false;
    const char *x = name + 1 + blen + slen;
    for (int k = 0; k < TEMP_RANDOM; k++)
        if (!(x[k] >= 'a' && x[k] <= 'z') && !(x[k] >= 'A' && x[k] <= 'Z') &&
            !(x[k] >= '0' && x[k] <= '9'))
            return false;
    return x[TEMP_RANDOM] == '\0';
}

/* Removes the temporary files of base in dir that a run killed while
 * rewriting it left behind.  A writer holds an flock(2) on its temporary
 * file for as long as the file has that name (make_temp), and the kernel
 * drops the lock when the writer dies however it dies; so a temporary file
 * that can be locked has no writer any more.  It is removed while locked,
 * and only if the name still is that file, so a writer that creates one
 * meanwhile is never robbed of its file unnoticed (make_temp checks).
 * Best effort: what cannot be opened, locked or removed is left alone; a
 * symbolic link, FIFO or anything else not a regular file is never
 * touched.  This function can't fail. */
static void remove_stale_temps(const char *dir, const char *base)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return;
    int dfd = dirfd(d);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (!is_temp_of(e->d_name, base))
            continue;
        int fd = openat(dfd, e->d_name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
        if (fd < 0)
            continue;
        struct stat a, b;
        if (fstat(fd, &a) == 0 && S_ISREG(a.st_mode) && flock(fd, LOCK_EX | LOCK_NB) == 0 &&
            fstatat(dfd, e->d_name, &b, AT_SYMLINK_NOFOLLOW) == 0 && a.st_dev == b.st_dev &&
            a.st_ino == b.st_ino)
            unlinkat(dfd, e->d_name, 0);
        close(fd); /* drops the lock */
    }
    closedir(d);
}

/* Creates the temporary file tmp (a template ending in XXXXXX, rewritten
 * with the name chosen) and locks it for the rest of its life under that
 * name, so that remove_stale_temps in another run leaves it alone.  That
 * run may have removed it in the moment between creating and locking: then
 * the file has no name left, and another one is made.  On a file system
 * without flock the file stays unlocked (and no run can lock, so none
 * removes it).  Returns the fd, or -1 with errno set (nothing left
 * behind). */
static int make_temp(char *tmp)
{
    size_t xs = strlen(tmp) - TEMP_RANDOM;
    for (int tries = 0; tries < 100; tries++) {
        memset(tmp + xs, 'X', TEMP_RANDOM);
        int tfd = mkostemp(tmp, O_CLOEXEC);
        if (tfd < 0)
            return -1;
        int r;
        do /* through signals: their flags are looked at once writing starts */
            r = flock(tfd, LOCK_EX);
        while (r < 0 && errno == EINTR);
        if (r < 0) /* no locks on this file system: no run can remove it either */
            return tfd;
        struct stat st;
        if (fstat(tfd, &st) < 0) {
            int e = errno;
            unlink(tmp);
            close(tfd);
            errno = e;
            return -1;
        }
        if (st.st_nlink > 0)
            return tfd;
        close(tfd); /* removed as stale before we locked it: another name */
    }
    errno = EEXIST;
    return -1;
}

/* Rewrites one file through a temporary file in the same directory.  On any
 * failure the temporary file is removed and the original is untouched. */
static int in_place_one(struct run *run, const char *path)
{
    struct stat st;
    int fd = open_regular(path, &st);
    if (fd < 0)
        return EX_NOINPUT;
    unsigned char magic[2];
    /* rename(2) replaces one name only: the other names would go on
     * holding the unscrubbed file, which is worse than failing. */
    if (st.st_nlink > 1 && !run->opt->break_links) {
        errmsg("%s: has %ju hard links; --in-place would leave the raw copy under the other "
               "names (use --break-links to replace only this name)",
               path, (uintmax_t)st.st_nlink);
        close(fd);
        return EX_CANTCREAT;
    }
    bool gz = pread(fd, magic, 2, 0) == 2 && magic[0] == 0x1f && magic[1] == 0x8b;

    char *dcopy = strdup(path), *bcopy = strdup(path);
    char tmp[PATH_MAX];
    bool tmp_made = false;
    int tfd = -1, lfd = -1, rc = EX_OK;
    if (dcopy == NULL || bcopy == NULL) {
        errmsg("out of memory");
        rc = EX_SOFTWARE;
        goto cleanup;
    }
    const char *dir = dirname(dcopy), *base = basename(bcopy);
    if ((size_t)snprintf(tmp, sizeof tmp, "%s/.%s" TEMP_SUFFIX "XXXXXX", dir, base) >= sizeof tmp) {
        errmsg("%s: path too long", path);
        rc = EX_CANTCREAT;
        goto cleanup;
    }
    remove_stale_temps(dir, base);
    tfd = make_temp(tmp);
    if (tfd < 0) {
        errmsg("%s: cannot create temporary file: %s", path, strerror(errno));
        rc = EX_CANTCREAT;
        goto cleanup;
    }
    tmp_made = true;
    run->out = writer_new(tfd, gz || run->opt->gzip);
    if (run->out == NULL) {
        errmsg("out of memory");
        rc = EX_SOFTWARE;
        goto cleanup;
    }
    run->out_fd = tfd;
    run->need_nl = false;
    run->rc = EX_OK;
    bool ok = filter(run, fd, path);
    if (ok && got_term) {
        errmsg("%s: interrupted; file left unchanged", path);
        rc = EX_TEMPFAIL;
        goto cleanup;
    }
    if (!ok) {
        rc = run->rc == -EPIPE ? EX_IOERR : run->rc;
        goto cleanup;
    }
    if (writer_finish(run->out) < 0) {
        errmsg("%s: cannot write temporary file: %s", path, strerror(writer_errno(run->out)));
        rc = EX_IOERR;
        goto cleanup;
    }
    /* Owner first: chown(2) may clear the set-id bits that fchmod sets. */
    if (((st.st_uid != geteuid() || st.st_gid != getegid()) &&
         fchown(tfd, st.st_uid, st.st_gid) < 0) ||
        fchmod(tfd, st.st_mode & 07777) < 0) {
        errmsg("%s: cannot keep mode or owner: %s", path, strerror(errno));
        rc = EX_CANTCREAT;
        goto cleanup;
    }
    rc = copy_xattrs(fd, tfd, path);
    if (rc != EX_OK)
        goto cleanup;
    /* The lock must outlive the close, which reports late write errors:
     * without it another run could take the finished file for a stale one
     * and remove it before the rename.  lfd shares tfd's lock. */
    lfd = fcntl(tfd, F_DUPFD_CLOEXEC, 0);
    if (lfd < 0) {
        errmsg("%s: %s", path, strerror(errno));
        rc = EX_CANTCREAT;
        goto cleanup;
    }
    int closed = fsync(tfd);
    if (closed == 0) {
        closed = close(tfd); /* the fd is gone even when this fails */
        tfd = -1;
    }
    if (closed < 0) {
        errmsg("%s: cannot write temporary file: %s", path, strerror(errno));
        rc = EX_IOERR;
        goto cleanup;
    }
    if (rename(tmp, path) < 0) {
        errmsg("%s: cannot replace: %s", path, strerror(errno));
        rc = EX_CANTCREAT;
        goto cleanup;
    }
    tmp_made = false;
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd); /* the rename is durable; failure here loses nothing */
        close(dfd);
    }
cleanup:
    if (tmp_made)
        unlink(tmp); /* while still locked: no other run removes it first */
    if (tfd >= 0)
        close(tfd);
    if (lfd >= 0)
        close(lfd);
    if (run->out)
        run->bytes_out += writer_bytes(run->out);
    writer_free(run->out);
    run->out = NULL;
    close(fd);
    free(dcopy);
    free(bcopy);
    return rc;
}

int run_in_place(struct run *run, char **files, int nfiles)
{
    for (int k = 0; k < nfiles; k++) {
        /* Rewrite what a symbolic link points to: replacing the link itself
         * would leave the raw target behind. */
        char *real = realpath(files[k], NULL);
        if (real == NULL) {
            errmsg("%s: %s", files[k], strerror(errno));
            return EX_NOINPUT;
        }
        int rc = in_place_one(run, real);
        free(real);
        if (rc != EX_OK)
            return rc;
    }
    return EX_OK;
}
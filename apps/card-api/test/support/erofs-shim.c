/*
 * LD_PRELOAD shim: makes DATA_DIR behave as if its file system had just been remounted read-only (what ext4's
 * errors=remount-ro does to a running service), on demand, for one process.
 *
 * Linux refuses `mount -o remount,ro` while files are open for writing, so a running SQLite store cannot be put on a
 * read-only mount. After a real remount-ro the process keeps its descriptors, but every write, fsync, truncation,
 * file creation or removal, and access(W_OK), on that file system fails with EROFS; reads still work. This shim does
 * the same for files under EROFS_DIR while the file EROFS_TRIGGER exists, and passes everything through otherwise,
 * so the test can turn the fault on and off while the process runs.
 *
 *   EROFS_DIR      absolute, real path (no symlinks) of the directory to fail; paths given to open/unlink/access are
 *                  compared as given (the service uses absolute paths), descriptors through /proc/self/fd.
 *   EROFS_TRIGGER  while this file exists, calls on EROFS_DIR fail with EROFS.
 *
 * The first refusal of each call on each file is written to stderr ("erofs-shim: refused pwrite64 on ..."), which shows that
 * the fault reached the store's own writes. Writes to mmap'd memory (SQLite's -shm wal-index) cannot be intercepted,
 * as they are not on a real read-only remount either (the page cache keeps them).
 *
 * Built by apps/card-api/test/read-only-data-dir.e2e-spec.ts: cc -shared -fPIC -O2 -o erofs-shim.so erofs-shim.c -ldl -lpthread
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

/* Whether the fault is on now: the trigger file exists (asked with a raw syscall, not through our own access()). */
static int fault_on(void) {
  const char *trigger = getenv("EROFS_TRIGGER");
  return trigger != NULL && syscall(SYS_faccessat, AT_FDCWD, trigger, F_OK, 0) == 0;
}

static int under_dir(const char *path) {
  const char *dir = getenv("EROFS_DIR");
  if (dir == NULL || path == NULL) return 0;
  size_t n = strlen(dir);
  return strncmp(path, dir, n) == 0 && (path[n] == '/' || path[n] == '\0');
}

static int fd_under_dir(int fd) {
  char link[64], target[PATH_MAX];
  snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  ssize_t len = readlink(link, target, sizeof target - 1);
  if (len <= 0) return 0;
  target[len] = '\0';
  return under_dir(target);
}

/* Reports the first refusal of each call on each file (a few dozen at most), then fails the call with EROFS. */
static int refuse(const char *call, const char *what) {
  static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER; /* libuv's threads write too */
  static char reported[64][PATH_MAX / 16];
  static int count;
  char entry[sizeof reported[0]];
  snprintf(entry, sizeof entry, "%s %s", call, what);
  pthread_mutex_lock(&lock);
  int seen = 0;
  for (int i = 0; i < count && !seen; i++) seen = strcmp(reported[i], entry) == 0;
  if (!seen && count < 64) {
    strcpy(reported[count++], entry);
    fprintf(stderr, "erofs-shim: refused %s on %s (EROFS)\n", call, what);
  }
  pthread_mutex_unlock(&lock);
  errno = EROFS;
  return -1;
}

static const char *fd_name(int fd) {
  static __thread char target[PATH_MAX];
  char link[64];
  snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  ssize_t len = readlink(link, target, sizeof target - 1);
  target[len > 0 ? len : 0] = '\0';
  return target;
}

#define REAL(name) static __typeof__(name) *real; if (!real) real = (__typeof__(name) *)dlsym(RTLD_NEXT, #name)

/* Calls on a descriptor: fail while the fault is on and the descriptor is a file under EROFS_DIR. */
#define FD_CALL(ret, name, params, fd, args)                                                   \
  ret name params {                                                                            \
    REAL(name);                                                                                \
    if (fault_on() && fd_under_dir(fd)) return (ret)refuse(#name, fd_name(fd));                \
    return real args;                                                                          \
  }

FD_CALL(ssize_t, write, (int fd, const void *buf, size_t n), fd, (fd, buf, n))
FD_CALL(ssize_t, writev, (int fd, const struct iovec *iov, int cnt), fd, (fd, iov, cnt))
FD_CALL(ssize_t, pwrite, (int fd, const void *buf, size_t n, off_t off), fd, (fd, buf, n, off))
FD_CALL(ssize_t, pwrite64, (int fd, const void *buf, size_t n, off64_t off), fd, (fd, buf, n, off))
FD_CALL(ssize_t, pwritev, (int fd, const struct iovec *iov, int cnt, off_t off), fd, (fd, iov, cnt, off))
FD_CALL(ssize_t, pwritev64, (int fd, const struct iovec *iov, int cnt, off64_t off), fd, (fd, iov, cnt, off))
FD_CALL(int, fsync, (int fd), fd, (fd))
FD_CALL(int, fdatasync, (int fd), fd, (fd))
FD_CALL(int, ftruncate, (int fd, off_t len), fd, (fd, len))
FD_CALL(int, ftruncate64, (int fd, off64_t len), fd, (fd, len))

/* Calls on a path: fail while the fault is on, the path is under EROFS_DIR and the call would change something. */
#define PATH_CALL(name, params, path, changes, args)                                           \
  int name params {                                                                            \
    REAL(name);                                                                                \
    if ((changes) && fault_on() && under_dir(path)) return refuse(#name, path);                \
    return real args;                                                                          \
  }

#define WRITES(flags) (((flags) & (O_WRONLY | O_RDWR | O_CREAT | O_TRUNC)) != 0)

/* open's mode argument is only there with O_CREAT/O_TMPFILE; reading it regardless is what glibc itself does. */
#define OPEN_CALL(name, params, path, flags, args)                                             \
  int name params {                                                                            \
    REAL(name);                                                                                \
    va_list ap;                                                                                \
    va_start(ap, flags);                                                                       \
    mode_t mode = va_arg(ap, mode_t);                                                          \
    va_end(ap);                                                                                \
    if (WRITES(flags) && fault_on() && under_dir(path)) return refuse(#name, path);            \
    return real args;                                                                          \
  }

OPEN_CALL(open, (const char *path, int flags, ...), path, flags, (path, flags, mode))
OPEN_CALL(open64, (const char *path, int flags, ...), path, flags, (path, flags, mode))
OPEN_CALL(openat, (int dirfd, const char *path, int flags, ...), path, flags, (dirfd, path, flags, mode))
OPEN_CALL(openat64, (int dirfd, const char *path, int flags, ...), path, flags, (dirfd, path, flags, mode))
PATH_CALL(unlink, (const char *path), path, 1, (path))
PATH_CALL(mkdir, (const char *path, mode_t mode), path, 1, (path, mode))
PATH_CALL(rename, (const char *from, const char *to), from, 1, (from, to))
PATH_CALL(access, (const char *path, int how), path, (how & W_OK), (path, how))

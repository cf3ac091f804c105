/*
 * File checks of the open family, made by the calls themselves (no libc
 * path handling in between), for tests/notify_fs_test.ts and the
 * `parallel-open` benchmark. Modes:
 *
 *   fs_notify cases <dir>
 *     each open of the list below, one line "<name> <ok|ERRNO-NAME>": relative
 *     to the cwd and to a dirfd, through /proc/self and /proc/thread-self, a
 *     path that is not UTF-8, a bad pointer, openat2, creat, O_PATH. <dir>
 *     holds `a` and `secret`; `<dir>/../outside` is a file outside it.
 *
 *   fs_notify threads <file> <T> <N>
 *     T threads at once, each N openat(<file>) + close; prints
 *     "threads T opens N failed F" (F: opens that did not return a descriptor).
 *
 *   fs_notify loop <file> <N>
 *     N openat(<file>) + close in this thread (a benchmark's workload).
 *
 *   fs_notify deny-many <prefix> <T>
 *     T threads at once, thread i opening <prefix><i> twice, then the
 *     process exits at once (so the last refusals come just before the end);
 *     prints "deny-many T refused R" (R: opens that failed with EACCES).
 *
 *   fs_notify kill <file> <rounds> <T>
 *     each round forks a child whose T threads loop in openat(<file>) and
 *     SIGKILLs it once every thread has opened the file at least twice:
 *     calls waiting for their answer die with it. Prints "rounds R bad B".
 */
#include "tracee_common.h"
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdatomic.h>

static const char *errname(int e) {
  switch (e) {
    case EACCES: return "EACCES";
    case EPERM: return "EPERM";
    case ENOENT: return "ENOENT";
    case EFAULT: return "EFAULT";
    case ENOTDIR: return "ENOTDIR";
    case EBADF: return "EBADF";
    case ELOOP: return "ELOOP";
    case ENAMETOOLONG: return "ENAMETOOLONG";
    case EINVAL: return "EINVAL";
    default: return "E?";
  }
}

static void report(const char *name, long fd) {
  if (fd >= 0) {
    printf("%s ok\n", name);
    close((int)fd);
  } else {
    printf("%s %s\n", name, errname(errno));
  }
}

static long openat_(int dirfd, const char *path, int flags) {
  return syscall(SYS_openat, dirfd, path, flags, 0644);
}

/* open(2) and creat(2) themselves where the architecture has them (x86_64); aarch64 has only
 * openat, which its libc uses for both, so there the same outcome comes from openat. */
static long open_(const char *path, int flags) {
#ifdef SYS_open
  return syscall(SYS_open, path, flags);
#else
  return openat_(AT_FDCWD, path, flags);
#endif
}

static long creat_(const char *path, int mode) {
#ifdef SYS_creat
  return syscall(SYS_creat, path, mode);
#else
  return syscall(SYS_openat, AT_FDCWD, path, O_CREAT | O_WRONLY | O_TRUNC, mode);
#endif
}

static int cases(const char *dir) {
  char path[4096];
  if (chdir(dir) != 0) return 2;
  int dirfd = open(dir, O_DIRECTORY | O_RDONLY);
  if (dirfd < 0) return 2;
  report("cwd-relative", openat_(AT_FDCWD, "a", O_RDONLY));
  report("cwd-relative-denied", openat_(AT_FDCWD, "secret", O_RDONLY));
  report("cwd-dotdot-outside", openat_(AT_FDCWD, "../outside", O_RDONLY));
  report("dirfd-relative", openat_(dirfd, "a", O_RDONLY));
  report("dirfd-denied", openat_(dirfd, "secret", O_RDONLY));
  report("bad-dirfd", openat_(999, "a", O_RDONLY));
  snprintf(path, sizeof path, "/proc/self/fd/%d/a", dirfd);
  report("proc-self-fd", openat_(AT_FDCWD, path, O_RDONLY));
  snprintf(path, sizeof path, "/proc/self/fd/%d/secret", dirfd);
  report("proc-self-fd-denied", openat_(AT_FDCWD, path, O_RDONLY));
  report("proc-self-cwd-denied", openat_(AT_FDCWD, "/proc/self/cwd/../outside", O_RDONLY));
  snprintf(path, sizeof path, "/proc/thread-self/root%s/a", dir);
  report("proc-thread-self-root", openat_(AT_FDCWD, path, O_RDONLY));
  report("proc-self-status", openat_(AT_FDCWD, "/proc/self/status", O_RDONLY));
  snprintf(path, sizeof path, "%s/\xff\xfe", dir);
  report("not-utf8", openat_(AT_FDCWD, path, O_RDONLY));
  report("bad-pointer", openat_(AT_FDCWD, (const char *)8, O_RDONLY));
  report("missing", openat_(AT_FDCWD, "nothing-here", O_RDONLY));
  snprintf(path, sizeof path, "%s/a", dir);
  report("open-absolute", open_(path, O_RDONLY));
  report("open-outside", open_("../outside", O_RDONLY));
  struct open_how how = {.flags = O_RDONLY};
  report("openat2", syscall(SYS_openat2, dirfd, "a", &how, sizeof how));
  report("openat2-denied", syscall(SYS_openat2, dirfd, "secret", &how, sizeof how));
  report("openat2-bad-how", syscall(SYS_openat2, dirfd, "a", (void *)8, sizeof how));
  report("o-path-denied-name", openat_(AT_FDCWD, "secret", O_PATH));
  report("creat-in-read-list", creat_("new", 0644));
  return 0;
}

static const char *target;
static long per_thread;
static atomic_long failed_opens;
static int opened_twice;

static void *opener(void *arg) {
  (void)arg;
  long bad = 0;
  for (long i = 0; i < per_thread; i++) {
    long fd = openat_(AT_FDCWD, target, O_RDONLY);
    if (fd < 0) bad++;
    else close((int)fd);
  }
  atomic_fetch_add(&failed_opens, bad);
  return NULL;
}

static const char *prefix;
static atomic_long refused;

static void *deny_one(void *arg) {
  char path[4096];
  snprintf(path, sizeof path, "%s%ld", prefix, (long)arg);
  for (int n = 0; n < 2; n++) {
    long fd = openat_(AT_FDCWD, path, O_RDONLY);
    if (fd >= 0) close((int)fd);
    else if (errno == EACCES) atomic_fetch_add(&refused, 1);
  }
  return NULL;
}

static void *forever(void *arg) {
  (void)arg;
  for (int n = 0;; n++) {
    long fd = openat_(AT_FDCWD, target, O_RDONLY);
    if (fd >= 0) close((int)fd);
    if (n == 1) __atomic_add_fetch(&opened_twice, 1, __ATOMIC_SEQ_CST);
  }
  return NULL;
}

int main(int argc, char **argv) {
  if (argc >= 3 && strcmp(argv[1], "cases") == 0) return cases(argv[2]);
  if (argc >= 5 && strcmp(argv[1], "threads") == 0) {
    target = argv[2];
    int threads = atoi(argv[3]);
    per_thread = atol(argv[4]);
    pthread_t t[256];
    if (threads > 256) return 2;
    for (int i = 0; i < threads; i++) {
      if (pthread_create(&t[i], NULL, opener, NULL) != 0) return 120;
    }
    for (int i = 0; i < threads; i++) pthread_join(t[i], NULL);
    long failed = atomic_load(&failed_opens);
    printf("threads %d opens %ld failed %ld\n", threads, per_thread, failed);
    return failed ? 1 : 0;
  }
  if (argc >= 4 && strcmp(argv[1], "deny-many") == 0) {
    prefix = argv[2];
    int threads = atoi(argv[3]);
    pthread_t t[256];
    if (threads > 256) return 2;
    for (long i = 0; i < threads; i++) {
      if (pthread_create(&t[i], NULL, deny_one, (void *)i) != 0) return 120;
    }
    for (int i = 0; i < threads; i++) pthread_join(t[i], NULL);
    printf("deny-many %d refused %ld\n", threads, atomic_load(&refused));
    return 0;
  }
  if (argc >= 4 && strcmp(argv[1], "loop") == 0) {
    target = argv[2];
    per_thread = atol(argv[3]);
    opener(NULL);
    return atomic_load(&failed_opens) ? 1 : 0;
  }
  if (argc >= 5 && strcmp(argv[1], "kill") == 0) {
    target = argv[2];
    int rounds = atoi(argv[3]), threads = atoi(argv[4]), bad = 0;
    for (int i = 0; i < rounds; i++) {
      int ready[2];
      pid_t pid = fork_with_ready_pipe(ready);
      if (pid == 0) {
        for (int j = 0; j < threads; j++) start_thread(forever, NULL);
        while (__atomic_load_n(&opened_twice, __ATOMIC_SEQ_CST) < threads) {
          long fd = openat_(AT_FDCWD, target, O_RDONLY);
          if (fd >= 0) close((int)fd);
        }
        signal_ready(ready[1], 122);
        forever(NULL);
      }
      if (!await_ready(ready[0])) fprintf(stderr, "round %d: child not ready\n", i);
      close(ready[0]);
      kill(pid, SIGKILL);
      bad += round_failed(i, pid, KILLED);
    }
    printf("rounds %d bad %d\n", rounds, bad);
    return bad ? 1 : 0;
  }
  fprintf(stderr, "usage: fs_notify cases <dir> | threads <file> <T> <N> | loop <file> <N> | deny-many <prefix> <T> | kill <file> <rounds> <T>\n");
  return 2;
}

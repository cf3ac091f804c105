/*
 * Calls whose --trace lines tests/trace_test.ts checks exactly. Each mode
 * prints, on stdout, what its calls returned natively, so the test can
 * compare the trace with the truth.
 *
 *   files <existing> <missing>   openat both, read 4 bytes, close
 *   net <port>                   socket; connect to 127.0.0.7:80 (the test
 *                                denies it), then to 127.0.0.1:<port>
 *   threads <path> <n>           two threads at once: one opens <path> n
 *                                times (and closes it), the other opens
 *                                <path>.missing n times
 *   exit <code>                  exit_group(<code>) (never returns)
 *   killed                       kill(getpid(), SIGKILL) (never returns)
 *   exec <path>                  execve of a missing file, then of <path>
 *   stderr <n>                   n lines on stderr, each with an openat
 *                                between (the trace shares stderr)
 */
#include "tracee_common.h"
#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>

static long rc(long r) { return r < 0 ? -errno : r; }

static pthread_barrier_t start;
static const char *thread_path;
static int rounds;

static void *opener(void *missing) {
  char path[4096];
  snprintf(path, sizeof path, "%s%s", thread_path, missing ? ".missing" : "");
  pthread_barrier_wait(&start);
  for (int i = 0; i < rounds; i++) {
    int fd = openat(AT_FDCWD, path, O_RDONLY);
    if (!missing && fd < 0) exit(2);
    if (missing && (fd >= 0 || errno != ENOENT)) exit(3);
    if (fd >= 0) close(fd);
  }
  return NULL;
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IONBF, 0);
  if (argc < 2) return 64;
  const char *mode = argv[1];
  if (!strcmp(mode, "files") && argc == 4) {
    long a = rc(openat(AT_FDCWD, argv[2], O_RDONLY | O_CLOEXEC));
    long b = rc(openat(AT_FDCWD, argv[3], O_RDONLY));
    char buf[4];
    long r = rc(read((int)a, buf, sizeof buf));
    long c = rc(close((int)a));
    printf("openat %ld\nopenat %ld\nread %ld\nclose %ld\n", a, b, r, c);
    return 0;
  }
  if (!strcmp(mode, "net") && argc == 3) {
    long s = rc(socket(AF_INET, SOCK_STREAM, 0));
    struct sockaddr_in denied = sin4("127.0.0.7", 80);
    long d = rc(connect((int)s, (struct sockaddr *)&denied, sizeof denied));
    struct sockaddr_in allowed = sin4("127.0.0.1", atoi(argv[2]));
    long ok = rc(connect((int)s, (struct sockaddr *)&allowed, sizeof allowed));
    printf("socket %ld\nconnect %ld\nconnect %ld\n", s, d, ok);
    return 0;
  }
  if (!strcmp(mode, "threads") && argc == 4) {
    thread_path = argv[2];
    rounds = atoi(argv[3]);
    pthread_barrier_init(&start, NULL, 2);
    pthread_t t;
    pthread_create(&t, NULL, opener, (void *)1);
    opener(NULL);
    pthread_join(t, NULL);
    return 0;
  }
  if (!strcmp(mode, "exit") && argc == 3) {
    syscall(SYS_exit_group, atoi(argv[2]));
    return 70;
  }
  if (!strcmp(mode, "killed")) {
    syscall(SYS_kill, getpid(), SIGKILL);
    return 70;
  }
  if (!strcmp(mode, "exec") && argc == 3) {
    char *args[] = {argv[2], NULL};
    char *env[] = {NULL};
    printf("execve %ld\n", rc(execve("/nonexistent/trace-probe", args, env)));
    execve(argv[2], args, env);
    return 70;
  }
  if (!strcmp(mode, "stderr") && argc == 3) {
    int n = atoi(argv[2]);
    for (int i = 0; i < n; i++) {
      dprintf(2, "command line %d of %d: %s\n", i, n, "the command's own stderr, whole");
      close(openat(AT_FDCWD, "/dev/null", O_RDONLY));
    }
    return 0;
  }
  return 64;
}

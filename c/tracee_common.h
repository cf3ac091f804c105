/* What the C tracees (the quirks, the teardown fixtures, the probes, the
 * benchmarks' workloads) share: threads that loop in a traced call, rounds
 * of forked children whose end the parent checks, a ready pipe between a
 * fixture and its first process, socket addresses, a monotonic clock. Each
 * program stays one quirk; the scaffolding around it lives here, so the
 * lines the tests parse are written in one place. Everything is static
 * inline: a program pays only for what it calls. Include it first: it
 * defines _GNU_SOURCE. */
#ifndef TRACEE_COMMON_H
#define TRACEE_COMMON_H
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Threads started by start_spinners that have begun, and their getppid calls so far. */
static int spin_started, spin_calls;

/* Loops in getppid forever: traced by the tests' configs, every call is a seccomp stop. */
static inline void *spin(void *arg) {
  (void)arg;
  __atomic_add_fetch(&spin_started, 1, __ATOMIC_SEQ_CST);
  for (;;) {
    syscall(SYS_getppid);
    __atomic_add_fetch(&spin_calls, 1, __ATOMIC_RELAXED);
  }
  return NULL;
}

/* Starts a thread running fn; a process that cannot is no test: exit 120. */
static inline void start_thread(void *(*fn)(void *), void *arg) {
  pthread_t t;
  if (pthread_create(&t, NULL, fn, arg) != 0) {
    perror("pthread_create");
    _exit(120);
  }
}

/* Starts n threads that spin(). */
static inline void start_spinners(int n) {
  for (int i = 0; i < n; i++) start_thread(spin, NULL);
}

/* Loops in getppid itself until `started` threads began and made `calls` calls in all. */
static inline void await_spinners(int started, int calls) {
  while (__atomic_load_n(&spin_started, __ATOMIC_SEQ_CST) < started ||
         __atomic_load_n(&spin_calls, __ATOMIC_RELAXED) < calls)
    syscall(SYS_getppid);
}

/* fork(), or exit 1 with the reason when the kernel refuses. */
static inline pid_t fork_or_die(void) {
  pid_t pid = fork();
  if (pid < 0) {
    perror("fork");
    exit(1);
  }
  return pid;
}

/* What a round's child must end with: exit code want (0..255), or KILLED by SIGKILL. */
#define KILLED (-1)

/*
 * Reaps round `round`'s child and checks it ended as `want` says; returns 1
 * (after a line on stderr) when it did not, 0 when it did.
 */
static inline int round_failed(int round, pid_t pid, int want) {
  int status = 0;
  int ok = waitpid(pid, &status, 0) == pid &&
           (want == KILLED ? WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL
                           : WIFEXITED(status) && WEXITSTATUS(status) == want);
  if (ok) return 0;
  if (want == KILLED) fprintf(stderr, "round %d: status %#x, expected SIGKILL\n", round, status);
  else fprintf(stderr, "round %d: status %#x, expected exit %d\n", round, status, want);
  return 1;
}

/*
 * The rounds of a quirk whose child exits with the code it reads from *code:
 * round i sets *code to i % 50 + 1 and forks a child that runs run(threads)
 * (never returning) and must exit with it. Prints "rounds N bad B" (flushed,
 * as the root goes on to do the quirk itself) and returns B.
 */
static inline int exit_code_rounds(int rounds, int threads, int *code, void (*run)(int)) {
  int bad = 0;
  for (int i = 0; i < rounds; i++) {
    *code = i % 50 + 1;
    pid_t pid = fork_or_die();
    if (pid == 0) run(threads);
    bad += round_failed(i, pid, *code);
  }
  printf("rounds %d bad %d\n", rounds, bad);
  fflush(stdout);
  return bad;
}

/*
 * Forks with a pipe between the two sides: returns 0 in the child, which
 * keeps ready[1] to write on (signal_ready), and the child's pid in the
 * parent, which keeps ready[0] to read from (await_ready). Exits 1 when the
 * pipe or the fork cannot be made.
 */
static inline pid_t fork_with_ready_pipe(int ready[2]) {
  if (pipe(ready) != 0) {
    perror("pipe");
    exit(1);
  }
  pid_t pid = fork_or_die();
  close(ready[pid == 0 ? 0 : 1]);
  return pid;
}

/* The child side: one byte on the ready pipe, or _exit(code) when it cannot be written. */
static inline void signal_ready(int fd, int code) {
  if (write(fd, "r", 1) != 1) _exit(code);
}

/* The parent side: 1 once the child's byte arrived, 0 when the pipe ended without it. */
static inline int await_ready(int fd) {
  char c;
  return read(fd, &c, 1) == 1;
}

/* Appends this process's pid to `path` (one a line), or _exit(1). */
static inline void record_pid(const char *path) {
  FILE *f = fopen(path, "a");
  if (!f) _exit(1);
  fprintf(f, "%d\n", getpid());
  fclose(f);
}

/* The state letter of /proc/<pid>/stat (R, S, T, t, Z...), or 0 when it cannot be read. */
static inline char proc_state(pid_t pid) {
  char path[64], buf[512];
  snprintf(path, sizeof path, "/proc/%d/stat", pid);
  FILE *f = fopen(path, "r");
  if (!f) return 0;
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = 0;
  char *p = strrchr(buf, ')');
  return p && p[1] && p[2] ? p[2] : 0;
}

/* CLOCK_MONOTONIC in nanoseconds, for the programs that time themselves. */
static inline long long now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* The same in milliseconds. */
static inline double now_ms(void) { return now_ns() / 1e6; }

/* An IPv4 address and port, the rest zero. */
static inline struct sockaddr_in sin4(const char *ip, int port) {
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
  inet_pton(AF_INET, ip, &a.sin_addr);
  return a;
}

/* An IPv6 address and port, the rest (flow info, scope) zero. */
static inline struct sockaddr_in6 sin6(const char *ip, int port) {
  struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_port = htons(port)};
  inet_pton(AF_INET6, ip, &a.sin6_addr);
  return a;
}

#endif

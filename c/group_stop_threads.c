/*
 * Quirk: group-stop of a multi-threaded process, parked with PTRACE_LISTEN.
 *
 * THREADS threads loop (in getppid: traced with the test's config, so they
 * sit in seccomp stops too) while the main thread writes its pid to a file
 * and stops the whole process with SIGSTOP. Every thread reports a
 * group-stop; a supervisor that restarts them (rather than PTRACE_LISTEN)
 * lets the process run on, and "resumed" appears without any SIGCONT. The
 * test sends SIGCONT from outside; then every thread must run again: the
 * main thread waits for each thread's counter to move, and prints
 * "resumed".
 *
 * usage: group_stop_threads <pid file> [threads=8]
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MAX 64
static long counters[MAX];

static void *spin(void *arg) {
  long *n = arg;
  for (;;) {
    syscall(SYS_getppid);
    __atomic_add_fetch(n, 1, __ATOMIC_RELAXED);
  }
  return NULL;
}

int main(int argc, char **argv) {
  if (argc < 2) return fprintf(stderr, "usage: group_stop_threads <pid file> [threads]\n"), 2;
  int threads = argc > 2 ? atoi(argv[2]) : 8;
  if (threads > MAX) threads = MAX;
  for (int i = 0; i < threads; i++) {
    pthread_t t;
    if (pthread_create(&t, NULL, spin, &counters[i]) != 0) return perror("pthread_create"), 1;
  }
  for (int i = 0; i < threads; i++)
    while (__atomic_load_n(&counters[i], __ATOMIC_RELAXED) == 0) syscall(SYS_getppid);
  FILE *f = fopen(argv[1], "w");
  if (!f) return perror(argv[1]), 1;
  fprintf(f, "%d\n", getpid());
  fclose(f);
  kill(getpid(), SIGSTOP);
  long seen[MAX];
  for (int i = 0; i < threads; i++) seen[i] = __atomic_load_n(&counters[i], __ATOMIC_RELAXED);
  for (int i = 0; i < threads; i++)
    while (__atomic_load_n(&counters[i], __ATOMIC_RELAXED) == seen[i]) syscall(SYS_getppid);
  printf("resumed %d threads\n", threads);
  fflush(stdout);
  return 0;
}

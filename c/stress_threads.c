/*
 * Stress fixture: N threads alive at once.
 *
 * Starts N threads (small stacks) that all wait on one barrier with the main
 * thread, so all N are alive together; then joins them. Exits 0 when every
 * thread got through.
 *
 * With "hold", a forked child starts the N threads on a barrier that never
 * opens, and the parent prints "threads N alive" and exits 0 once all N
 * are waiting: a process of N + 1 threads is left for jail's teardown.
 *
 * usage: stress_threads [n=200] [hold]
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static pthread_barrier_t barrier;
static int started[2];

static void *wait_forever(void *arg) {
  (void)arg;
  if (write(started[1], "s", 1) != 1) _exit(1);
  pthread_barrier_wait(&barrier);
  return NULL;
}

static void *wait_all(void *arg) {
  (void)arg;
  pthread_barrier_wait(&barrier);
  return (void *)1;
}

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 200;
  pthread_t *t = calloc(n, sizeof *t);
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, 64 * 1024);
  if (argc > 2 && strcmp(argv[2], "hold") == 0) {
    if (pipe(started) != 0) return perror("pipe"), 1;
    pid_t pid = fork();
    if (pid < 0) return perror("fork"), 1;
    if (pid == 0) {
      pthread_barrier_init(&barrier, NULL, n + 2); /* never complete */
      for (int i = 0; i < n; i++)
        if (pthread_create(&t[i], &attr, wait_forever, NULL) != 0) _exit(1);
      pthread_barrier_wait(&barrier);
      _exit(1);
    }
    char c;
    for (int i = 0; i < n; i++)
      if (read(started[0], &c, 1) != 1) return perror("read"), 1;
    printf("threads %d alive\n", n);
    return 0;
  }
  pthread_barrier_init(&barrier, NULL, n + 1);
  for (int i = 0; i < n; i++)
    if (pthread_create(&t[i], &attr, wait_all, NULL) != 0) return perror("pthread_create"), 1;
  pthread_barrier_wait(&barrier);
  int ok = 0;
  for (int i = 0; i < n; i++) {
    void *r;
    if (pthread_join(t[i], &r) == 0 && r == (void *)1) ok++;
  }
  printf("threads %d ok %d\n", n, ok);
  return ok == n ? 0 : 1;
}

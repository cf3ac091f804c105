/*
 * The per-stop cost benchmark: getppid, N times (default 100000), through
 * syscall(2) so libc cannot cache it. Prints the last result and the time the
 * loop took, so the figure excludes process start-up:
 *
 *   getppid=<value> calls=<n> ns=<elapsed>
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 100000;
  struct timespec a, b;
  long r = 0;
  clock_gettime(CLOCK_MONOTONIC, &a);
  for (long i = 0; i < n; i++) r = syscall(SYS_getppid);
  clock_gettime(CLOCK_MONOTONIC, &b);
  long long ns = (b.tv_sec - a.tv_sec) * 1000000000LL + (b.tv_nsec - a.tv_nsec);
  printf("getppid=%ld calls=%ld ns=%lld\n", r, n, ns);
  return 0;
}

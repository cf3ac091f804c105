// Workload for benchmarks: N getppid() calls (argv[1], default 100000).
// Prints the average result on stdout, and on stderr the loop's own time,
// measured inside the process (`bench_loop_ns <ns>`): start-up and teardown
// of whatever runs it (a tracer, jail) are not in that figure.
#include "tracee_common.h"
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 100000;
  long sum = 0;
  long long t0 = now_ns();
  for (long i = 0; i < n; i++) sum += syscall(SYS_getppid);
  long long t1 = now_ns();
  printf("%ld\n", sum / (n ? n : 1));
  fprintf(stderr, "bench_loop_ns %lld\n", t1 - t0);
  return 0;
}

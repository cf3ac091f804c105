// Workload for benchmarks: N getppid() calls (argv[1], default 100000).
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 100000;
  long sum = 0;
  for (long i = 0; i < n; i++) sum += syscall(SYS_getppid);
  printf("%ld\n", sum / (n ? n : 1));
  return 0;
}

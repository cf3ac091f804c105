/*
 * Teardown fixture: a stopped process.
 *
 * A forked child records its pid and stops itself with SIGSTOP; nothing will
 * ever send it SIGCONT. The first process returns once the pid is written and
 * then /proc shows the child stopped (state T, or t under a tracer), so when `stopped_child <file>` returns, the child
 * is recorded and stopped. Only SIGKILL ends it.
 *
 * usage: stopped_child <pid file>
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char state(pid_t pid) {
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

int main(int argc, char **argv) {
  if (argc < 2) return fprintf(stderr, "usage: stopped_child <pid file>\n"), 2;
  int ready[2];
  if (pipe(ready) != 0) return perror("pipe"), 1;
  pid_t child = fork();
  if (child < 0) return perror("fork"), 1;
  if (child == 0) {
    close(ready[0]);
    FILE *f = fopen(argv[1], "a");
    if (!f) _exit(1);
    fprintf(f, "%d\n", getpid());
    fclose(f);
    if (write(ready[1], "r", 1) != 1) _exit(1);
    close(ready[1]);
    raise(SIGSTOP);
    for (;;) pause();
  }
  close(ready[1]);
  char c;
  if (read(ready[0], &c, 1) != 1) return fprintf(stderr, "child did not start\n"), 1;
  for (int i = 0; i < 100000; i++) { /* at most ~10 s */
    char s = state(child);
    if (s == 'T' || s == 't') return 0;
    usleep(100);
  }
  fprintf(stderr, "child %d never stopped\n", child);
  return 1;
}

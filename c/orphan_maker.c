/*
 * Teardown fixture: orphans that die while jail still runs, both ways round.
 *
 * Two grandchildren, each under its own intermediate child:
 *  - "late": the intermediate exits first; the grandchild, once reparented,
 *    records its new parent (jail, the subreaper, not init) and exits;
 *  - "early": the grandchild exits first while the intermediate is alive
 *    and never reaps it; then the intermediate exits, and the zombie is
 *    reparented.
 * Either way only jail can reap the grandchild promptly. The pid file gets
 * "jail <root's parent pid>", "late <pid> <parent after reparenting>" and
 * "early <pid>"; then the root prints "orphans ready" and waits for a line
 * on stdin before exiting 0, so the test can watch the zombies disappear
 * while jail still runs.
 *
 * usage: orphan_maker <pid file>
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *path;

static void record(const char *fmt, int a, int b) {
  FILE *f = fopen(path, "a");
  if (!f) _exit(1);
  fprintf(f, fmt, a, b);
  fclose(f);
}

/* Makes one orphan; returns once the intermediate has exited and the orphan recorded itself. */
static void orphan(int early) {
  int done[2], go[2];
  if (pipe(done) != 0 || pipe(go) != 0) exit(1);
  pid_t mid = fork();
  if (mid < 0) exit(1);
  if (mid == 0) {
    pid_t self = getpid(); /* in here `mid` is 0: the grandchild waits for this pid to go */
    close(done[0]);
    pid_t g = fork();
    if (g < 0) _exit(1);
    if (g == 0) {
      close(go[1]);
      if (early) {
        record("early %d\n", getpid(), 0);
        _exit(0); /* done[1] closes: the root reads EOF */
      }
      char c;
      if (read(go[0], &c, 1) < 0) _exit(1); /* EOF: the intermediate is exiting */
      /* EOF comes when the intermediate closes its descriptors, which is before the kernel
         reparents its children: wait until that happened too. */
      for (int i = 0; getppid() == self; i++) {
        if (i > 100000) _exit(1);
        usleep(100);
      }
      record("late %d %d\n", getpid(), getppid());
      _exit(0);
    }
    close(go[0]);
    close(done[1]);
    if (early) waitid(P_PID, g, NULL, WEXITED | WNOWAIT); /* dead, but left a zombie */
    _exit(0); /* closes go[1]: releases a "late" grandchild */
  }
  close(done[1]);
  close(go[0]);
  close(go[1]);
  char c;
  if (read(done[0], &c, 1) != 0) exit(1); /* EOF once the grandchild is gone */
  close(done[0]);
  waitpid(mid, NULL, 0);
}

int main(int argc, char **argv) {
  if (argc < 2) return fprintf(stderr, "usage: orphan_maker <pid file>\n"), 2;
  path = argv[1];
  record("jail %d\n", getppid(), 0);
  orphan(0);
  orphan(1);
  printf("orphans ready\n");
  fflush(stdout);
  char line[16];
  if (!fgets(line, sizeof line, stdin)) return 3;
  return 0;
}

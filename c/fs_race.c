/*
 * Races the supervisor's path check. Given a directory holding a/f
 * ("allowed") and b/f ("denied"), a sibling thread keeps changing what the
 * main thread's next open names, while the main thread opens it 10,000
 * times and counts what it got:
 *
 *   fs_race path <dir>     the thread flips one byte of the path buffer: a/f <-> b/f
 *   fs_race symlink <dir>  the thread swaps a/link (-> f) and a/other (-> ../b/f)
 *                          with renameat2(RENAME_EXCHANGE)
 *
 * Output: "opens N allowed A denied D refused R". A jail that holds has D == 0.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define OPENS 10000

static char path[4096];
static size_t flip_at;
static atomic_int done;
static char link_path[4096], other_path[4096];

static void *flip_byte(void *arg) {
  (void)arg;
  volatile char *p = path;
  while (!atomic_load_explicit(&done, memory_order_relaxed)) {
    p[flip_at] = 'b';
    for (volatile int i = 0; i < 50; i++) {}
    p[flip_at] = 'a';
    for (volatile int i = 0; i < 50; i++) {}
  }
  return NULL;
}

static void *swap_links(void *arg) {
  (void)arg;
  while (!atomic_load_explicit(&done, memory_order_relaxed)) {
    syscall(SYS_renameat2, AT_FDCWD, link_path, AT_FDCWD, other_path, 2 /* RENAME_EXCHANGE */);
  }
  return NULL;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: fs_race path|symlink <dir>\n");
    return 2;
  }
  const char *dir = argv[2];
  int symlink_mode = strcmp(argv[1], "symlink") == 0;
  char read_path[4096];
  if (symlink_mode) {
    snprintf(link_path, sizeof link_path, "%s/a/link", dir);
    snprintf(other_path, sizeof other_path, "%s/a/other", dir);
    unlink(link_path);
    unlink(other_path);
    if (symlink("f", link_path) != 0 || symlink("../b/f", other_path) != 0) {
      perror("symlink");
      return 2;
    }
    snprintf(read_path, sizeof read_path, "%s", link_path);
  } else {
    snprintf(path, sizeof path, "%s/a/f", dir);
    flip_at = strlen(path) - 3;
  }
  pthread_t t;
  pthread_create(&t, NULL, symlink_mode ? swap_links : flip_byte, NULL);
  long allowed = 0, denied = 0, refused = 0;
  char buf[64];
  for (int i = 0; i < OPENS; i++) {
    int fd = open(symlink_mode ? read_path : path, O_RDONLY);
    if (fd < 0) {
      refused++;
      continue;
    }
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    buf[n > 0 ? n : 0] = 0;
    if (strncmp(buf, "denied", 6) == 0) denied++;
    else allowed++;
  }
  atomic_store(&done, 1);
  pthread_join(t, NULL);
  printf("opens %d allowed %ld denied %ld refused %ld\n", OPENS, allowed, denied, refused);
  return 0;
}

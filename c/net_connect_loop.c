/*
 * Connects N times to one address, a new TCP socket each time, and says how
 * each attempt ended: for timing the connect path against native.
 *
 *   net_connect_loop ADDR PORT N
 *
 * With PORT 0 and a loopback ADDR it first listens on ADDR itself (a thread
 * accepts and closes), so loopback connects succeed without another process.
 * Prints "ok <n>", "errno_<e> <n>" for each failure errno, and "elapsed_ms".
 */
#define _GNU_SOURCE
#include "tracee_common.h"
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static long errs[256];

static void *acceptor(void *arg) {
  int listener = *(int *)arg;
  for (;;) {
    int c = accept(listener, NULL, NULL);
    if (c >= 0) close(c);
  }
  return NULL;
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: net_connect_loop ADDR PORT N\n");
    return 2;
  }
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(atoi(argv[2]))};
  if (inet_pton(AF_INET, argv[1], &addr.sin_addr) != 1) {
    fprintf(stderr, "net_connect_loop: bad address %s\n", argv[1]);
    return 2;
  }
  long n = atol(argv[3]);
  static int listener;
  if (addr.sin_port == 0) {
    listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    socklen_t len = sizeof addr;
    if (bind(listener, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(listener, 4096) != 0 ||
        getsockname(listener, (struct sockaddr *)&addr, &len) != 0) {
      perror("net_connect_loop: listen");
      return 1;
    }
    pthread_t t;
    pthread_create(&t, NULL, acceptor, &listener);
  }
  struct linger hard = {1, 0}; /* RST on close: no TIME_WAIT pile-up */
  long ok = 0;
  double start = now_ms();
  for (long i = 0; i < n; i++) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      errs[errno < 256 ? errno : 255]++;
      continue;
    }
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) == 0) ok++;
    else errs[errno < 256 ? errno : 255]++;
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
    close(fd);
  }
  double elapsed = now_ms() - start;
  printf("ok %ld\n", ok);
  for (int e = 0; e < 256; e++)
    if (errs[e]) printf("errno_%d %ld\n", e, errs[e]);
  printf("elapsed_ms %.1f\n", elapsed);
  return 0;
}

/*
 * Check-to-use race on a sockaddr: a thread flips one shared
 * struct sockaddr_in between GOOD and BAD (same port) while the main thread
 * connects or sends through it N times. A supervisor that checks the address
 * in memory and then lets the kernel read it again loses the race sometimes.
 *
 *   net_race tcp GOOD BAD PORT N
 *       N blocking connects, a new socket each; after each success,
 *       getpeername says where it landed.
 *   net_race udp GOOD BAD PORT N
 *       N sendto calls on one unconnected UDP socket (the receiving server
 *       counts what reached BAD).
 *   net_race tcp-shutdown GOOD BAD PORT N
 *       like tcp, plus a thread calling shutdown(SHUT_RDWR) on the socket
 *       being connected: on a socket still in SYN_SENT that puts the socket
 *       back to unconnected, so a connect that the kernel treats as "already
 *       in progress" would start over from the address in memory. GOOD should
 *       be an address that never answers (a black-holed route).
 *
 * Prints "attempts", "ok", "bad" (landed on BAD), "errno_<n>" counts and
 * "elapsed_ms".
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static struct sockaddr_in shared_addr;
static uint32_t good, bad;
static atomic_int stop;
static atomic_int current_fd = -1;
static long errs[256];

static void *flipper(void *arg) {
  (void)arg;
  volatile uint32_t *ip = &shared_addr.sin_addr.s_addr;
  while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
    *ip = good;
    *ip = bad;
  }
  return NULL;
}

static void *shutter(void *arg) {
  (void)arg;
  while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
    int fd = atomic_load_explicit(&current_fd, memory_order_relaxed);
    if (fd >= 0) shutdown(fd, SHUT_RDWR);
  }
  return NULL;
}

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void count_errno(int e) { errs[e >= 0 && e < 256 ? e : 255]++; }

int main(int argc, char **argv) {
  if (argc != 6) {
    fprintf(stderr, "usage: net_race tcp|udp|tcp-shutdown GOOD BAD PORT N\n");
    return 2;
  }
  const char *mode = argv[1];
  int tcp = strncmp(mode, "tcp", 3) == 0;
  int shut = strcmp(mode, "tcp-shutdown") == 0;
  struct in_addr g, b;
  if (inet_pton(AF_INET, argv[2], &g) != 1 || inet_pton(AF_INET, argv[3], &b) != 1) {
    fprintf(stderr, "net_race: bad address\n");
    return 2;
  }
  good = g.s_addr;
  bad = b.s_addr;
  int port = atoi(argv[4]);
  long n = atol(argv[5]);
  shared_addr.sin_family = AF_INET;
  shared_addr.sin_port = htons(port);
  shared_addr.sin_addr.s_addr = good;

  pthread_t flip, shutt;
  pthread_create(&flip, NULL, flipper, NULL);
  if (shut) pthread_create(&shutt, NULL, shutter, NULL);

  long ok = 0, landed_bad = 0;
  double start = now_ms();
  if (tcp) {
    struct linger hard = {1, 0}; /* close with RST: no TIME_WAIT pile-up over 10k connects */
    struct timeval limit = {1, 0};
    for (long i = 0; i < n; i++) {
      int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      if (fd < 0) {
        count_errno(errno);
        continue;
      }
      setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);
      atomic_store(&current_fd, fd);
      int rc = connect(fd, (struct sockaddr *)&shared_addr, sizeof shared_addr);
      atomic_store(&current_fd, -1);
      if (rc == 0) {
        struct sockaddr_in peer;
        socklen_t len = sizeof peer;
        if (getpeername(fd, (struct sockaddr *)&peer, &len) == 0) {
          if (peer.sin_addr.s_addr == bad) landed_bad++;
          else ok++;
        } else {
          count_errno(errno);
        }
      } else {
        count_errno(errno);
      }
      setsockopt(fd, SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
      close(fd);
    }
  } else {
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    for (long i = 0; i < n; i++) {
      if (sendto(fd, "x", 1, 0, (struct sockaddr *)&shared_addr, sizeof shared_addr) == 1) ok++;
      else count_errno(errno);
    }
    close(fd);
  }
  double elapsed = now_ms() - start;
  atomic_store(&stop, 1);
  pthread_join(flip, NULL);
  if (shut) pthread_join(shutt, NULL);

  printf("attempts %ld\nok %ld\n", n, ok);
  if (tcp) printf("bad %ld\n", landed_bad);
  for (int e = 0; e < 256; e++)
    if (errs[e]) printf("errno_%d %ld\n", e, errs[e]);
  printf("elapsed_ms %.1f\n", elapsed);
  return 0;
}

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
 *   net_race fastopen GOOD BAD PORT N
 *       N sockets connected to GOOD, each then sent to with
 *       sendmsg(MSG_FASTOPEN) and a NULL msg_name, while one thread flips
 *       that msg_name between NULL and BAD and another disconnects the socket
 *       (connect AF_UNSPEC; on every other try before sendmsg starts): a
 *       supervisor that leaves a "connected" socket's sendmsg to the kernel
 *       lets it connect to BAD and send there.
 *
 *   net_race fdswap GOOD BAD PORT N
 *       N sendmsg calls with msg_name flipping between NULL and BAD on a
 *       descriptor number that the same thread keeps switching (dup2)
 *       between a TCP socket connected to GOOD and an unconnected UDP one: a
 *       supervisor that checks "connected stream socket, no name" and then
 *       lets the kernel look the number up again sends datagrams to BAD
 *       (the receiving server counts them).
 *
 * Every mode waits for its threads to be flipping before it starts, so a
 * thread scheduled late on a busy machine cannot make a control find nothing.
 *
 * Prints "attempts", "ok", "bad" (landed on BAD), "errno_<n>" counts and
 * "elapsed_ms".
 */
#define _GNU_SOURCE
#include "tracee_common.h"
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static struct sockaddr_in shared_addr;
static struct sockaddr_in bad_sa;
static struct msghdr shared_msg;
static uint32_t good, bad;
static atomic_int stop;
static atomic_int current_fd = -1;
static long errs[256];
static atomic_long flips;
static atomic_long disconnects;
/* How long the disconnecting thread waits after it sees a new socket (µs): spread over the
 * time a supervisor takes to look at the call, so some disconnects land after its look. */
static atomic_int delay_us;
static int swap_fd = -1, swap_tcp = -1, swap_udp = -1;

/* One thread cycles (TCP, NULL) -> (UDP, NULL) -> (UDP, BAD) -> (TCP, BAD): a check that
 * sees the first state and a kernel that then sees the third is what the race needs, and one
 * thread keeps both moving even when a busy machine runs it alone. */
static void *swapper(void *arg) {
  (void)arg;
  void *volatile *name = &shared_msg.msg_name;
  while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
    *name = NULL;
    dup2(swap_udp, swap_fd);
    *name = &bad_sa;
    dup2(swap_tcp, swap_fd);
    atomic_fetch_add_explicit(&flips, 1, memory_order_relaxed);
  }
  return NULL;
}
static atomic_long generation;

/* Flips what the raced call reads between its two values, each held about as long as the
 * other: the destination address, or with `names` (non-NULL) sendmsg's msg_name. */
static void *flipper(void *names) {
  volatile uint32_t *ip = &shared_addr.sin_addr.s_addr;
  void *volatile *name = &shared_msg.msg_name;
  while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
    if (names) *name = NULL;
    else *ip = good;
    atomic_fetch_add_explicit(&flips, 1, memory_order_relaxed);
    if (names) *name = &bad_sa;
    else *ip = bad;
    atomic_fetch_add_explicit(&flips, 1, memory_order_relaxed);
  }
  return NULL;
}

static void *disconnecter(void *arg) {
  (void)arg;
  struct sockaddr unspec = {.sa_family = AF_UNSPEC};
  long last = 0;
  while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
    long g = atomic_load(&generation);
    if (g != last) {
      double until = now_ms() + atomic_load(&delay_us) / 1000.0;
      while (now_ms() < until) {
      }
      last = g;
    }
    int fd = atomic_load_explicit(&current_fd, memory_order_relaxed);
    if (fd >= 0) {
      connect(fd, &unspec, sizeof unspec);
      atomic_fetch_add_explicit(&disconnects, 1, memory_order_relaxed);
    }
  }
  return NULL;
}

/* Returns once the flipping threads have run: a control must race, not wait for them. */
static void wait_for_flips(void) {
  while (atomic_load_explicit(&flips, memory_order_relaxed) < 1000) sched_yield();
}

static void *shutter(void *arg) {
  (void)arg;
  while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
    int fd = atomic_load_explicit(&current_fd, memory_order_relaxed);
    if (fd >= 0) shutdown(fd, SHUT_RDWR);
  }
  return NULL;
}

static void count_errno(int e) { errs[e >= 0 && e < 256 ? e : 255]++; }

int main(int argc, char **argv) {
  if (argc != 6) {
    fprintf(stderr, "usage: net_race tcp|udp|tcp-shutdown|fastopen GOOD BAD PORT N\n");
    return 2;
  }
  const char *mode = argv[1];
  int fastopen = strcmp(mode, "fastopen") == 0;
  int fdswap = strcmp(mode, "fdswap") == 0;
  int tcp = strncmp(mode, "tcp", 3) == 0 || fastopen;
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

  bad_sa = shared_addr;
  bad_sa.sin_addr.s_addr = bad;
  static char payload[] = "x";
  static struct iovec iov = {payload, 1};
  shared_msg = (struct msghdr){.msg_namelen = sizeof bad_sa, .msg_iov = &iov, .msg_iovlen = 1};

  pthread_t flip, shutt;
  if (fdswap) {
    /* The TCP peer is our own listener on GOOD, port 0: it holds the connection open. */
    struct sockaddr_in to = shared_addr;
    to.sin_port = 0;
    socklen_t len = sizeof to;
    int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (bind(listener, (struct sockaddr *)&to, sizeof to) != 0 || listen(listener, 1) != 0 ||
        getsockname(listener, (struct sockaddr *)&to, &len) != 0) {
      perror("net_race: listener");
      return 1;
    }
    swap_tcp = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    swap_udp = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (connect(swap_tcp, (struct sockaddr *)&to, sizeof to) != 0 ||
        accept4(listener, NULL, NULL, SOCK_CLOEXEC) < 0) {
      perror("net_race: connect");
      return 1;
    }
    swap_fd = dup(swap_tcp);
    pthread_create(&shutt, NULL, swapper, NULL);
  }
  if (!fdswap) pthread_create(&flip, NULL, flipper, fastopen ? &shared_msg : NULL);
  if (shut) pthread_create(&shutt, NULL, shutter, NULL);
  if (fastopen) pthread_create(&shutt, NULL, disconnecter, NULL);
  wait_for_flips();

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
      int rc;
      if (fastopen) {
        struct sockaddr_in to = shared_addr;
        to.sin_addr.s_addr = good;
        if (connect(fd, (struct sockaddr *)&to, sizeof to) != 0) {
          count_errno(errno);
          close(fd);
          continue;
        }
        long seen = atomic_load(&disconnects);
        atomic_store(&delay_us, i % 2 == 0 ? 0 : (int)((i * 37) % 400));
        atomic_store(&current_fd, fd);
        atomic_fetch_add(&generation, 1);
        /* Every other try: already disconnected when sendmsg starts (what the unjailed kernel
         * alone cannot stop); the others race the disconnect against the call itself. */
        if (i % 2 == 0)
          while (atomic_load(&disconnects) == seen) sched_yield();
        rc = sendmsg(fd, &shared_msg, MSG_FASTOPEN | MSG_NOSIGNAL) < 0 ? -1 : 0;
        atomic_store(&current_fd, -1);
      } else {
        atomic_store(&current_fd, fd);
        rc = connect(fd, (struct sockaddr *)&shared_addr, sizeof shared_addr);
        atomic_store(&current_fd, -1);
      }
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
  } else if (fdswap) {
    for (long i = 0; i < n; i++) {
      if (sendmsg(swap_fd, &shared_msg, MSG_NOSIGNAL | MSG_DONTWAIT) >= 0) ok++;
      else count_errno(errno);
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
  if (!fdswap) pthread_join(flip, NULL);
  if (shut || fastopen || fdswap) pthread_join(shutt, NULL);

  printf("attempts %ld\nok %ld\n", n, ok);
  if (tcp) printf("bad %ld\n", landed_bad);
  for (int e = 0; e < 256; e++)
    if (errs[e]) printf("errno_%d %ld\n", e, errs[e]);
  printf("elapsed_ms %.1f\n", elapsed);
  return 0;
}

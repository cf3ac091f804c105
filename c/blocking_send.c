/*
 * A sendto jail performs for the tree, and that must wait as the tracee's
 * own would: the caller waits in a ppoll of its own and sends again
 * (src/supervisor/wait.ts), and must never see EINTR from anything of jail's
 * (the loop's thread has an alarm of its own, src/run/inline.ts).
 *
 *   blocking_send PATH
 *
 * Fills the queue of the unix datagram socket bound at PATH (by a reader
 * outside the jail) with MSG_DONTWAIT sends until EAGAIN, prints "full", then
 * makes one blocking sendto(PATH) and prints "sent <bytes> after <ms>" or
 * "sendto errno_<e>".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

int main(int argc, char **argv) {
  if (argc != 2) return 2;
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  strncpy(addr.sun_path, argv[1], sizeof addr.sun_path - 1);
  int tx = socket(AF_UNIX, SOCK_DGRAM, 0);
  if (tx < 0) return 3;
  char msg[64] = "x";
  while (sendto(tx, msg, sizeof msg, MSG_DONTWAIT, (struct sockaddr *)&addr, sizeof addr) >= 0) {
  }
  if (errno != EAGAIN) {
    printf("fill errno_%d\n", errno);
    return 4;
  }
  printf("full\n");
  fflush(stdout);
  double start = now_ms();
  ssize_t n = sendto(tx, msg, sizeof msg, 0, (struct sockaddr *)&addr, sizeof addr);
  if (n < 0) printf("sendto errno_%d\n", errno);
  else printf("sent %zd after %.0f\n", n, now_ms() - start);
  return 0;
}

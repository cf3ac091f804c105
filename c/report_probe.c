/*
 * A fixed sequence of supervised calls and process events, for the golden
 * tests of --trace, --log and --summary (tests/report_test.ts). Run with a
 * config that has getppid: { return: 7 } and with --deny-net=127.0.0.7; no
 * packet leaves loopback.
 *
 * Every call is made with all six argument registers set, or is a network
 * call whose arguments the reports decode, so the expected output does not
 * depend on leftover register contents.
 */
#include "tracee_common.h"
#include <errno.h>
#include <sys/socket.h>

static int err(long rc) { return rc < 0 ? errno : 0; }

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  printf("getppid %ld\n", syscall(SYS_getppid, 1, 2, 3, 4, 5, 6));

  int udp = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in any = sin4("0.0.0.0", 0);
  printf("bind %d\n", err(bind(udp, (struct sockaddr *)&any, sizeof any)));
  struct sockaddr_in discard = sin4("127.0.0.1", 9);
  printf("connect %d\n", err(connect(udp, (struct sockaddr *)&discard, sizeof discard)));

  int tcp = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in denied = sin4("127.0.0.7", 80);
  printf("connect %d\n", err(connect(tcp, (struct sockaddr *)&denied, sizeof denied)));
  struct sockaddr_in dns = sin4("127.0.0.7", 53);
  printf("sendto %d\n", err(sendto(udp, "x", 1, 0, (struct sockaddr *)&dns, sizeof dns)));

  pid_t child = fork();
  if (child == 0) {
    execl("/bin/true", "true", "two words", (char *)NULL);
    _exit(127);
  }
  int status;
  waitpid(child, &status, 0);
  child = fork();
  if (child == 0) {
    raise(SIGKILL);
    _exit(0);
  }
  waitpid(child, &status, 0);
  return 3;
}

/* Other routes around the filter and the tracer: io_uring, the i386 and x32
 * syscall ABIs, clone3 and clone with CLONE_UNTRACED, ptrace of a sibling,
 * open_by_handle_at, the session keyring jail shares, userfaultfd, bpf.
 * Usage: adv_misc <token> */
#include "adv_common.h"
#include <linux/bpf.h>
#include <linux/io_uring.h>
#include <linux/keyctl.h>
#include <linux/sched.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/ptrace.h>

#define X32_SYSCALL_BIT 0x40000000
#define I386_GETPID 20

/* What a process outside the supervisor's view would do: reach far. */
static void reach(const char *route) {
  char buf[128];
  int n = payload(buf, sizeof buf, route);
  int s = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in a = sin4(FAR4, FAR_PORT);
  sendto(s, buf, n, 0, (struct sockaddr *)&a, sizeof a);
  close(s);
}

/* Runs fn in a child; reports how the child ended when it did not print. */
static void isolated(const char *route, void (*fn)(void)) {
  pid_t c = fork();
  if (c == 0) {
    fn();
    _exit(0);
  }
  int st;
  waitpid(c, &st, 0);
  if (WIFSIGNALED(st)) out("blocked %s killed by signal %d", route, WTERMSIG(st));
}

static void uring(void) {
  struct io_uring_params p = {0};
  int fd = syscall(SYS_io_uring_setup, 4, &p);
  if (fd < 0) {
    blocked("io-uring-setup");
    return;
  }
  out("escaped io-uring-setup fd %d", fd);
  size_t sq_sz = p.sq_off.array + p.sq_entries * sizeof(unsigned);
  char *sq = mmap(NULL, sq_sz, PROT_READ | PROT_WRITE, MAP_SHARED, fd, IORING_OFF_SQ_RING);
  struct io_uring_sqe *sqes = mmap(NULL, p.sq_entries * sizeof *sqes, PROT_READ | PROT_WRITE,
                                   MAP_SHARED, fd, IORING_OFF_SQES);
  size_t cq_sz = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
  char *cq = mmap(NULL, cq_sz, PROT_READ | PROT_WRITE, MAP_SHARED, fd, IORING_OFF_CQ_RING);
  if (sq == MAP_FAILED || sqes == MAP_FAILED || cq == MAP_FAILED) return;
  int s = socket(AF_INET, SOCK_DGRAM, 0);
  static struct sockaddr_in a;
  a = sin4(FAR4, FAR_PORT);
  static char buf[128];
  int n = payload(buf, sizeof buf, "io-uring-sendmsg");
  static struct iovec iov;
  iov = (struct iovec){buf, n};
  static struct msghdr m;
  m = (struct msghdr){.msg_name = &a, .msg_namelen = sizeof a, .msg_iov = &iov, .msg_iovlen = 1};
  struct io_uring_sqe *e = &sqes[0];
  memset(e, 0, sizeof *e);
  e->opcode = IORING_OP_SENDMSG;
  e->fd = s;
  e->addr = (unsigned long)&m;
  unsigned *tail = (unsigned *)(sq + p.sq_off.tail);
  unsigned *array = (unsigned *)(sq + p.sq_off.array);
  array[*tail & *(unsigned *)(sq + p.sq_off.ring_mask)] = 0;
  __atomic_store_n(tail, *tail + 1, __ATOMIC_RELEASE);
  long rc = syscall(SYS_io_uring_enter, fd, 1, 1, IORING_ENTER_GETEVENTS, NULL, 0);
  struct io_uring_cqe *cqe = (void *)(cq + p.cq_off.cqes);
  out("%s io-uring-sendmsg enter=%ld res=%d", rc >= 0 && cqe->res > 0 ? "escaped" : "blocked", rc,
      cqe->res);
}

#if defined(__x86_64__)
static void int80(void) {
  long r;
  __asm__ volatile("int $0x80" : "=a"(r) : "a"(I386_GETPID) : "memory");
  out("%s int80-i386-getpid returned %ld", r > 0 ? "escaped" : "blocked", r);
}
#endif

static void x32(void) {
  long r = syscall(X32_SYSCALL_BIT | __NR_getpid);
  if (r > 0) out("escaped x32-getpid returned %ld", r);
  else blocked("x32-getpid");
}

/* After a clone that returned c: the child reaches far, the parent reports the clone. */
static void untraced(const char *route, long c) {
  if (c == 0) {
    reach(route);
    _exit(0);
  }
  if (c < 0) {
    blocked(route);
    return;
  }
  out("sent %s child %ld", route, c);
  waitpid(c, NULL, 0);
}

static void clone3_untraced(void) {
  struct clone_args args = {.flags = CLONE_UNTRACED, .exit_signal = SIGCHLD};
  untraced("clone3-untraced", syscall(SYS_clone3, &args, sizeof args));
}

static void clone_untraced(void) {
  untraced("clone-untraced", syscall(SYS_clone, CLONE_UNTRACED | SIGCHLD, 0, 0, 0, 0));
}

static void sibling_ptrace(void) {
  int p[2];
  (void)!pipe(p);
  pid_t b = fork();
  if (b == 0) {
    char x;
    close(p[1]);
    (void)!read(p[0], &x, 1); /* until the test ends it */
    _exit(0);
  }
  pid_t a = fork();
  if (a == 0) {
    if (ptrace(PTRACE_SEIZE, b, 0, 0) == 0) out("escaped ptrace-sibling seized pid %d", b);
    else blocked("ptrace-sibling");
    _exit(0);
  }
  waitpid(a, NULL, 0);
  close(p[1]);
  waitpid(b, NULL, 0);
  close(p[0]);
}

static void handles(void) {
  struct {
    struct file_handle h;
    unsigned char b[128];
  } fh = {.h.handle_bytes = 128};
  int mount_id;
  if (name_to_handle_at(AT_FDCWD, "/etc/hostname", &fh.h, &mount_id, 0) < 0) {
    blocked("name-to-handle-at");
    return;
  }
  int root = open("/", O_RDONLY | O_DIRECTORY);
  int fd = open_by_handle_at(root, &fh.h, O_RDONLY);
  if (fd >= 0) out("info open-by-handle-at opened a file by handle (skips path rules)");
  else blocked("open-by-handle-at");
}

static const char *token = "adv";

/* A key the tree adds to its session keyring: when that keyring is jail's
 * caller's, the key outlives the run (the test looks for it in /proc/keys).
 * It expires by itself a minute later. */
static void keyring(void) {
  long id = syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0);
  long k = syscall(SYS_add_key, "user", token, "x", 1, KEY_SPEC_SESSION_KEYRING);
  if (k >= 0) {
    syscall(SYS_keyctl, KEYCTL_SET_TIMEOUT, k, 60);
    out("info keyctl-session-keyring %ld: added key %ld", id, k);
  } else {
    blocked("keyctl-session-keyring");
  }
  /* The user keyring (@u) is reachable whatever the session keyring is. */
  char desc[128];
  snprintf(desc, sizeof desc, "%s-user", token);
  k = syscall(SYS_add_key, "user", desc, "x", 1, KEY_SPEC_USER_KEYRING);
  if (k >= 0) {
    syscall(SYS_keyctl, KEYCTL_SET_TIMEOUT, k, 60);
    out("info keyctl-user-keyring added key %ld", k);
  } else {
    blocked("keyctl-user-keyring");
  }
}

static void uffd(void) {
  int fd = syscall(SYS_userfaultfd, O_CLOEXEC);
  if (fd >= 0) out("info userfaultfd available (widens address races)");
  else blocked("userfaultfd");
}

static void bpf_load(void) {
  struct bpf_insn prog[] = {
      {.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 1},
      {.code = BPF_JMP | BPF_EXIT},
  };
  union bpf_attr attr = {0};
  attr.prog_type = BPF_PROG_TYPE_CGROUP_SOCK_ADDR;
  attr.expected_attach_type = BPF_CGROUP_INET4_CONNECT;
  attr.insns = (unsigned long)prog;
  attr.insn_cnt = 2;
  attr.license = (unsigned long)"GPL";
  long fd = syscall(SYS_bpf, BPF_PROG_LOAD, &attr, sizeof attr);
  /* Such a program, attached to a cgroup, rewrites connect() addresses after
   * any check: loading it is the step that matters (nothing is attached). */
  if (fd >= 0) out("escaped bpf-cgroup-connect-prog loaded (could rewrite connect addresses)");
  else blocked("bpf-cgroup-connect-prog");
}

/* The capabilities the tree runs with (a root tree keeps them unless jail drops them). */
static void caps(void) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  while (f && fgets(line, sizeof line, f)) {
    if (!strncmp(line, "CapEff:", 7) || !strncmp(line, "CapBnd:", 7)) {
      line[strcspn(line, "\n")] = 0;
      out("info caps %s", line);
    }
  }
  if (f) fclose(f);
}

int main(int argc, char **argv) {
  if (argc > 1) token = argv[1];
  caps();
  isolated("io-uring", uring);
#if defined(__x86_64__)
  /* aarch64 has no such instruction: its 32-bit ABI (AArch32) needs a 32-bit executable. */
  isolated("int80-i386-getpid", int80);
#endif
  isolated("x32-getpid", x32);
  isolated("clone3-untraced", clone3_untraced);
  isolated("clone-untraced", clone_untraced);
  isolated("ptrace-sibling", sibling_ptrace);
  isolated("open-by-handle-at", handles);
  isolated("keyctl", keyring);
  isolated("userfaultfd", uffd);
  isolated("bpf", bpf_load);
  out("done");
  return 0;
}

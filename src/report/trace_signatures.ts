/**
 * `--trace` signatures, as data: the kind of each argument of the calls
 * whose arguments are decoded (`trace_args.ts` has one decoder per kind).
 *
 * @module
 */

/** How one argument is shown. */
export type ArgKind =
  | "int" // C int, signed decimal
  | "long" // signed 64-bit decimal
  | "ulong" // unsigned 64-bit decimal (sizes, counts)
  | "hex" // raw, 0x...
  | "ptr" // NULL or 0x...
  | "fd" // descriptor (signed int)
  | "dirfd" // AT_FDCWD or a descriptor
  | "path" // a NUL-terminated path, shown whole
  | "string" // a NUL-terminated string, cut after 32 bytes
  | "oflags" // open(2) flags
  | "mode" // permission bits in octal
  | "omode" // open's mode: shown only when the flags create a file
  | "domain" // AF_*
  | "socktype" // SOCK_* with SOCK_CLOEXEC|SOCK_NONBLOCK
  | "protocol" // IPPROTO_* for inet sockets
  | "signal" // SIG*
  | "sockaddr" // a decoded destination (network calls)
  | "msghdr" // {msg_name=...}
  | "mmsghdr" // [{msg_name=...}, ...]
  | "msgflags" // MSG_*
  | "atflags" // AT_* of the *at calls
  | "unlinkflags" // AT_REMOVEDIR
  | "amode" // F_OK or R_OK|W_OK|X_OK
  | "whence" // SEEK_*
  | "level" // SOL_* of socket options
  | "sockopt"; // SO_*, TCP_* by the level before it

/**
 * Signatures of the calls whose arguments are decoded. A call missing here
 * shows its six argument registers in hex.
 */
export const SIGNATURES: Readonly<Record<string, readonly ArgKind[]>> = {
  read: ["fd", "ptr", "ulong"],
  write: ["fd", "ptr", "ulong"],
  pread64: ["fd", "ptr", "ulong", "long"],
  pwrite64: ["fd", "ptr", "ulong", "long"],
  readv: ["fd", "ptr", "int"],
  writev: ["fd", "ptr", "int"],
  close: ["fd"],
  open: ["path", "oflags", "omode"],
  openat: ["dirfd", "path", "oflags", "omode"],
  openat2: ["dirfd", "path", "ptr", "ulong"],
  creat: ["path", "mode"],
  stat: ["path", "ptr"],
  lstat: ["path", "ptr"],
  fstat: ["fd", "ptr"],
  newfstatat: ["dirfd", "path", "ptr", "atflags"],
  statx: ["dirfd", "path", "atflags", "hex", "ptr"],
  access: ["path", "amode"],
  faccessat: ["dirfd", "path", "amode"],
  faccessat2: ["dirfd", "path", "amode", "atflags"],
  mkdir: ["path", "mode"],
  mkdirat: ["dirfd", "path", "mode"],
  rmdir: ["path"],
  unlink: ["path"],
  unlinkat: ["dirfd", "path", "unlinkflags"],
  rename: ["path", "path"],
  renameat: ["dirfd", "path", "dirfd", "path"],
  renameat2: ["dirfd", "path", "dirfd", "path", "hex"],
  link: ["path", "path"],
  linkat: ["dirfd", "path", "dirfd", "path", "atflags"],
  symlink: ["path", "path"],
  symlinkat: ["path", "dirfd", "path"],
  readlink: ["path", "ptr", "ulong"],
  readlinkat: ["dirfd", "path", "ptr", "ulong"],
  chmod: ["path", "mode"],
  fchmod: ["fd", "mode"],
  fchmodat: ["dirfd", "path", "mode"],
  chown: ["path", "int", "int"],
  lchown: ["path", "int", "int"],
  fchownat: ["dirfd", "path", "int", "int", "atflags"],
  chdir: ["path"],
  fchdir: ["fd"],
  chroot: ["path"],
  truncate: ["path", "long"],
  ftruncate: ["fd", "long"],
  getcwd: ["ptr", "ulong"],
  lseek: ["fd", "long", "whence"],
  dup: ["fd"],
  dup2: ["fd", "fd"],
  dup3: ["fd", "fd", "oflags"],
  pipe: ["ptr"],
  pipe2: ["ptr", "oflags"],
  execve: ["path", "ptr", "ptr"],
  execveat: ["dirfd", "path", "ptr", "ptr", "atflags"],
  socket: ["domain", "socktype", "protocol"],
  socketpair: ["domain", "socktype", "protocol", "ptr"],
  connect: ["fd", "sockaddr", "int"],
  bind: ["fd", "sockaddr", "int"],
  listen: ["fd", "int"],
  accept: ["fd", "ptr", "ptr"],
  accept4: ["fd", "ptr", "ptr", "socktype"],
  sendto: ["fd", "ptr", "ulong", "msgflags", "sockaddr", "int"],
  recvfrom: ["fd", "ptr", "ulong", "msgflags", "ptr", "ptr"],
  sendmsg: ["fd", "msghdr", "msgflags"],
  sendmmsg: ["fd", "mmsghdr", "int", "msgflags"],
  recvmsg: ["fd", "ptr", "msgflags"],
  shutdown: ["fd", "int"],
  getsockname: ["fd", "ptr", "ptr"],
  getpeername: ["fd", "ptr", "ptr"],
  setsockopt: ["fd", "level", "sockopt", "ptr", "int"],
  getsockopt: ["fd", "level", "sockopt", "ptr", "ptr"],
  kill: ["int", "signal"],
  tkill: ["int", "signal"],
  tgkill: ["int", "int", "signal"],
  rt_sigqueueinfo: ["int", "signal", "ptr"],
  rt_sigaction: ["signal", "ptr", "ptr", "ulong"],
  pidfd_send_signal: ["fd", "signal", "ptr", "hex"],
  getpid: [],
  getppid: [],
  gettid: [],
  getuid: [],
  geteuid: [],
  getgid: [],
  getegid: [],
  getpgrp: [],
  setsid: [],
  fork: [],
  vfork: [],
  sched_yield: [],
  exit: ["int"],
  exit_group: ["int"],
  wait4: ["int", "ptr", "hex", "ptr"],
  clone: ["hex", "ptr", "ptr", "ptr", "hex"],
  ioctl: ["fd", "hex", "hex"],
  fcntl: ["fd", "int", "hex"],
  nanosleep: ["ptr", "ptr"],
  getrandom: ["ptr", "ulong", "hex"],
  uname: ["ptr"],
  brk: ["ptr"],
  munmap: ["ptr", "ulong"],
  mmap: ["ptr", "ulong", "hex", "hex", "fd", "hex"],
  mprotect: ["ptr", "ulong", "hex"],
  unshare: ["hex"],
  setns: ["fd", "hex"],
  prlimit64: ["int", "int", "ptr", "ptr"],
  setpriority: ["int", "int", "int"],
};

/** Calls whose result is an address, shown in hex like strace. */
export const ADDRESS_RESULTS: ReadonlySet<string> = new Set(["mmap", "mremap", "brk", "shmat"]);

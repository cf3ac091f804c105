/**
 * ioctl(2) requests jail refuses or inspects, or makes itself
 * (asm-generic/ioctls.h, linux/sockios.h).
 *
 * @module
 */

/** ioctl requests (asm-generic/ioctls.h, linux/sockios.h). */
export const IOCTL = {
  /** TIOCGPGRP: the terminal's foreground process group (tcgetpgrp). */
  TIOCGPGRP: 0x540f,
  /** TIOCSPGRP: set the terminal's foreground process group (tcsetpgrp). */
  TIOCSPGRP: 0x5410,
  /** TIOCSTI: push a byte into the terminal's input. */
  TIOCSTI: 0x5412,
  /** TIOCLINUX: the Linux console's subcommands (selection paste among them). */
  TIOCLINUX: 0x541c,
  /** FIOSETOWN: the owner that SIGIO/SIGURG go to. */
  FIOSETOWN: 0x8901,
  /** SIOCSPGRP: the same, for sockets. */
  SIOCSPGRP: 0x8902,
} as const;

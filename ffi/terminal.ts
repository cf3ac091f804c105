/**
 * The controlling terminal's foreground process group: tcgetpgrp and
 * tcsetpgrp, the latter with SIGTTOU blocked on the calling thread, since
 * jail hands the terminal over and takes it back while its own group is in
 * the background (where the kernel would stop it with SIGTTOU instead).
 *
 * @module
 */

import { sys, type SysResult } from "./libc.ts";
import { setThreadSignalMask, signalSet } from "./signal_mask.ts";
import { IOCTL } from "../kernel/ioctl.ts";
import { KERNEL_SIGSET_BYTES, SIG, SIGNALS } from "../kernel/signals.ts";

/**
 * The foreground process group of the terminal on `fd`; `-errno` when `fd`
 * is not this process's controlling terminal (ENOTTY), or not a terminal.
 */
export function foregroundGroup(fd: number): SysResult {
  const group = new Int32Array(1);
  const rc = sys("ioctl", fd, IOCTL.TIOCGPGRP, group);
  return rc < 0 ? rc : group[0];
}

/**
 * tcsetpgrp(3) (the ioctl it makes) with SIGTTOU blocked for the call (the
 * kernel then lets a background group set the foreground); 0 or `-errno`.
 */
export function setForegroundGroup(fd: number, pgrp: number): SysResult {
  const old = new Uint8Array(KERNEL_SIGSET_BYTES);
  setThreadSignalMask(SIG.BLOCK, signalSet([SIGNALS.SIGTTOU]), old);
  try {
    return sys("ioctl", fd, IOCTL.TIOCSPGRP, new Int32Array([pgrp]));
  } finally {
    setThreadSignalMask(SIG.SETMASK, old, null);
  }
}

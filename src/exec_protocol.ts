/**
 * What jail and its exec stage say to each other: the descriptors, the ready
 * message, the request and the failure report. Apart from the exec stage's
 * code, so that the CLI's and the supervisor's threads, which only speak the
 * protocol, do not load it at start.
 *
 * @module
 */

import type { LandlockSpec } from "./fs/landlock.ts";

/** Environment marker that turns a compiled jail binary into its exec stage. */
export const EXEC_STAGE_ENV = "JAIL_EXEC_STAGE";
/** Descriptor on which the exec stage reads its {@linkcode ExecRequest}. */
export const REQUEST_FD = 3;
/** Descriptor (close-on-exec) on which the exec stage reports a failure; EOF means exec happened. */
export const STATUS_FD = 4;

/** The byte that opens the exec stage's ready message. */
export const READY = 0x52;
/**
 * Length of the ready message the exec stage writes once it runs, before it
 * reads its request: {@linkcode READY}, then the number of its seccomp
 * listener descriptor (int32, little-endian; -1 when it has none).
 */
export const READY_LENGTH = 5;

/** What the supervisor asks the exec stage to do. */
export interface ExecRequest {
  /** Command name or path, searched in PATH like a shell. */
  file: string;
  /** argv, argv[0] included. */
  argv: string[];
  /** The command's environment, `KEY=value`. */
  env: string[];
  /** Packed seccomp program, base64. */
  filter: string;
  /** Landlock rules of the file policy, installed after NO_NEW_PRIVS, before the filter. */
  landlock?: LandlockSpec;
  /** Capability numbers the command keeps; every other one is dropped (as root). */
  capabilities: number[];
}

/** Why the exec stage could not become the command. */
export interface ExecFailure {
  /** Which step failed. */
  step: "exec" | "no_new_privs" | "landlock" | "seccomp" | "request" | "capabilities";
  /** errno of the failure (0 for a malformed request). */
  errno: number;
}

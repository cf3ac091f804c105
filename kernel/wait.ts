/**
 * waitpid(2) options (linux/wait.h). The wait status itself is decoded in
 * `src/supervisor/stop.ts`.
 *
 * @module
 */

/** waitpid options (linux/wait.h). */
export const WAIT = {
  /** WNOHANG: return 0 at once when no child has changed state. */
  WNOHANG: 1,
  /** WUNTRACED: report stopped children too. */
  WUNTRACED: 2,
  /** __WALL: wait for every child, clone children (threads) included. */
  WALL: 0x40000000,
} as const;

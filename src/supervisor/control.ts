/**
 * The control block the caller's thread shares with the supervisor's: a
 * command word, then the live pid slots (see `PidSlots` in registry.ts).
 *
 * @module
 */

/** Index of the command word in the control block. */
export const CONTROL_COMMAND = 0;
/** Command: kill the whole tree now. */
export const COMMAND_KILL = 1;

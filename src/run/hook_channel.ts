/**
 * Layout of the shared buffer on which the owner's thread answers function
 * rules for the supervisor's thread: a state word, the answer's byte length,
 * then the answer as JSON. A module of its own, with no imports, so that the
 * owner does not load the supervisor thread's modules to learn three numbers.
 *
 * @module
 */

/** Index of the state word: 0 while waiting, 1 once answered. */
export const HOOK_STATE = 0;
/** Index of the answer's byte length. */
export const HOOK_LENGTH = 1;
/** Bytes of JSON the channel holds. */
export const HOOK_BYTES = 64 * 1024;

/**
 * Auxiliary vector entry types, as `/proc/<pid>/auxv` lists them
 * (linux/auxvec.h).
 *
 * @module
 */

/** `AT_NULL`: the entry that ends the vector. */
export const AT_NULL = 0n;
/** `AT_EXECFN`: a pointer to the path handed to execve. */
export const AT_EXECFN = 31n;

/** The shared constructors, and the errnos dynptr_success.c compares with. */
export * from './common.ts';
export const ERANGE_ = -34;

/**
 * Expected destination bytes of the string-copy tests (test/copy_from_user.test.ts,
 * test/probe_read_helpers.test.ts): a destination filled with FILL before the copy, as hex.
 */

/** The byte a destination holds before a copy: what the copy did not write stays it. */
export const FILL = 0xee;

export const enc = (t: string): Uint8Array => new TextEncoder().encode(t);

export const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** `head` (as text), then `zeros` zero bytes, then FILL up to `len` bytes, as hex. */
export function want(head: string, zeros: number, len = 16): string {
  const b = new Uint8Array(len).fill(FILL);
  b.set(enc(head));
  b.fill(0, enc(head).length, enc(head).length + zeros);
  return hex(b);
}

// The types of murmurhash3js-revisited (it ships none): the parts canon.ts uses.
declare module 'murmurhash3js-revisited' {
  interface Murmur {
    /** Whether each call first checks that its input holds bytes only (default true). */
    inputValidation: boolean;
    readonly x86: {
      /** MurmurHash3 x86_128 of `bytes`, as 32 hex digits. */
      hash128(bytes: Uint8Array, seed?: number): string;
    };
  }
  const murmur: Murmur;
  export default murmur;
}

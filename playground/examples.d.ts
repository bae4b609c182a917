/** examples/*.json, put into the bundle by scripts/build-playground.ts. */
declare module 'kernsim-examples' {
  export const EXAMPLES: readonly { readonly file: string; readonly doc: unknown }[];
}

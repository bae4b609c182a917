export * from './page.ts';
export * from './mapping.ts';
export { BTree, diffAgainst } from './btree.ts';
export { SparseMap } from './sparse.ts';

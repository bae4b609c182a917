export * from './page.ts';
export * from './mapping.ts';
export { BTree } from './btree.ts';

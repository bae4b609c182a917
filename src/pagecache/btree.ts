/**
 * sorted-btree's B+ tree: a sorted map whose `clone()` costs O(1) and shares every node, each copy then
 * copying only the nodes on the paths it changes. The page cache's interval maps (page.ts) and the
 * world's table of paths (model/world/tables.ts) are such trees, so that a change costs the logarithm of
 * their size, never a copy of them.
 */
import sortedBtree from 'sorted-btree';
import diffModule from 'sorted-btree/extended/diffAgainst.js';

// A CommonJS package whose class is `exports.default`: Node's ESM loader gives the exports object as
// the default import, bundlers that honour `__esModule` (vite, so vitest) give the class itself.
type BTreeClass = typeof sortedBtree.default;
const loaded = sortedBtree as unknown as BTreeClass & { readonly default?: BTreeClass };
export const BTree: BTreeClass = typeof loaded.default === 'function' ? loaded.default : loaded;
export type BTree<K, V> = InstanceType<typeof sortedBtree.default<K, V>>;

type DiffAgainst = typeof diffModule.default;
const loadedDiff = diffModule as unknown as DiffAgainst & { readonly default?: DiffAgainst };
/**
 * sorted-btree's `diffAgainst(a, b, onlyA, onlyB, different)`: the keys whose entries differ between
 * two trees, skipping the nodes they share (O(changes · log n) for a tree and its changed clone).
 */
export const diffAgainst: DiffAgainst = typeof loadedDiff.default === 'function' ? loadedDiff.default : loadedDiff;

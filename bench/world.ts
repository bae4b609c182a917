/** The worlds the benchmarks and profiling targets measure. */
import { cache, content, createWorld, files, kfuncsOf, SLEEPABLE, transact, type Content, type World } from '../src/index.ts';

/**
 * A world with one file at `/f` whose first `cachedBytes` are in the page cache, and a sleepable FILE
 * dynptr `d` over it (no page read yet).
 */
export function fileWorld(c: Content, size: number | bigint, cachedBytes: number | bigint = size): World {
  return transact(createWorld(), SLEEPABLE, (k) => {
    files.createInode(k, { path: '/f', content: c, size });
    cache.populateRange(k, '/f', 0, cachedBytes);
    kfuncsOf(k).bpf_dynptr_from_file(files.openFile(k, '/f'), 0, 'd');
  }).world;
}

/** The usual one: 256000 bytes, all cached. */
export const warmWorld = (): World => fileWorld(content.pattern(1), 256000);

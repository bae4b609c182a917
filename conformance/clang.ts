/**
 * Which clang compiles an object. Debian bookworm's `clang` (14) writes no BTF type tags, and the
 * kernel finds a map value's kptr fields only by them (`__kptr` is `btf_type_tag("kptr")`: kernel/bpf/
 * btf.c `btf_find_kptr`), so an object with kptr fields needs a newer clang; setup.sh installs
 * `clang-19` for it. Every other object keeps `clang`, whose instruction numbering the verifier
 * cases' messages were compared with.
 */
import { spawnSync } from 'node:child_process';
import type { BpfObject } from '../src/index.ts';

/** Whether `obj` declares a kptr field (its C needs BTF type tags). */
export function needsTypeTags(obj: BpfObject): boolean {
  return obj.maps.some((m) => (m.kptrs ?? []).length > 0);
}

let found: string | null | undefined;

/** The first clang here that writes BTF type tags (15 and later), or null when there is none. */
export function typeTagClang(): string | null {
  if (found !== undefined) return found;
  found = null;
  for (const v of [19, 18, 17, 16, 15]) {
    if (spawnSync(`clang-${v}`, ['--version'], { stdio: 'ignore' }).status === 0) {
      found = `clang-${v}`;
      break;
    }
  }
  return found;
}

/** The compiler for `obj`: `clang`, or for an object with kptr fields a clang writing type tags (null: none here). */
export function clangFor(obj: BpfObject): string | null {
  return needsTypeTags(obj) ? typeTagClang() : 'clang';
}

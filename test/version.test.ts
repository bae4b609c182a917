/**
 * Kernel versions: which values are versions, and their order (model/kernel/version.ts), against the
 * versions' own numbers.
 */
import { describe, expect, test } from 'vitest';
import { ArgumentError, KERNEL_VERSIONS, versionAtLeast, type KernelVersion } from '../src/index.ts';
import { isKernelVersion } from '../src/model/kernel/version.ts';

const versions = Object.keys(KERNEL_VERSIONS) as KernelVersion[];
/** `major.minor` as a number to compare: 6.18 < 6.19 < 7.0 < 7.2. */
const rank = (v: string): number => {
  const [major, minor] = v.split('.').map(Number) as [number, number];
  return major * 1000 + minor;
};

describe('kernel versions', () => {
  test('versionAtLeast orders every pair as their numbers do', () => {
    expect(versions.length).toBeGreaterThan(2);
    for (const a of versions) for (const b of versions) expect(versionAtLeast(a, b)).toBe(rank(a) >= rank(b));
  });

  test('only the modelled versions are versions: not other text, other types, or names an object inherits', () => {
    for (const v of versions) expect(isKernelVersion(v)).toBe(true);
    for (const v of ['6.17', '7.1', '6.18 ', '', 'constructor', 'toString', '__proto__', 'hasOwnProperty', 6.18, 7, null, undefined, {}, ['6.18']]) {
      expect(isKernelVersion(v)).toBe(false);
      expect(() => versionAtLeast(v as KernelVersion, '6.18')).toThrow(ArgumentError);
      expect(() => versionAtLeast('6.18', v as KernelVersion)).toThrow(ArgumentError);
    }
  });
});

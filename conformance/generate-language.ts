/**
 * Generated programs of the language on the kernel: the property suite's generator
 * (properties/language.ts, the safe programs with some misaligned variable offsets) as conformance
 * cases. The kernel's bytes of `<id>_res` (the stack array, the map value and the variables at the
 * end), its return value and its verdict are compared with the model's.
 */
import fc from 'fast-check';
import { buildLanguage, genLangArb } from '../properties/language.ts';
import type { ConfCase } from './cases/lib.ts';
import { languageFileCase } from './cases/language.ts';
import type { FileCase } from './cases/file.ts';
import type { BpfObject } from '../src/index.ts';

/** `count` generated language cases from `seed` (deterministic). */
export function generatedLanguageCases(count: number, seed: number): ConfCase[] {
  return fc.sample(genLangArb({ misaligned: true }), { numRuns: count, seed }).map((g, i): ConfCase => ({
    id: `gl${i}`, rule: 'language: generated programs', note: `${g.ops.length} ops over ${g.size} bytes`,
    object: buildLanguage(`gl${i}`, g), calls: [], generated: true,
  }));
}

/** `count` generated language cases from `seed` on the guest (`fgln*`, cases/language.ts `languageFileCase`). */
export function generatedLanguageFileCases(count: number, seed: number, refused: (o: BpfObject) => boolean): FileCase[] {
  return generatedLanguageCases(count, seed).flatMap((c, i) => languageFileCase(c, `fgln${i}`, refused) ?? []);
}

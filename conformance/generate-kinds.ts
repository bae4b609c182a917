import type { ConfCase } from './cases/lib.ts';
export function generatedKindCases(_n: number, _seed: number): ConfCase[] { return []; }

/** Constant scalars (the part of `adjust_scalar_min_max_vals` and `is_branch_taken` the model keeps). */

export function aluConst(fn: string, a: bigint, b: bigint): bigint | undefined {
  const U = (x: bigint): bigint => BigInt.asUintN(64, x);
  switch (fn) {
    case 'add': return U(a + b);
    case 'sub': return U(a - b);
    case 'and': return U(a) & U(b);
    case 'or': return U(a) | U(b);
    case 'rsh': return U(a) >> (b & 63n);
    case 'lsh': return U(a << (b & 63n));
    default: return undefined;
  }
}

export function cmpConst(cmp: string, a: bigint, b: bigint): boolean {
  const U = (x: bigint): bigint => BigInt.asUintN(64, x);
  const S = (x: bigint): bigint => BigInt.asIntN(64, x);
  switch (cmp) {
    case '==': return U(a) === U(b);
    case '!=': return U(a) !== U(b);
    case '<': return U(a) < U(b);
    case '<=': return U(a) <= U(b);
    case '>': return U(a) > U(b);
    case '>=': return U(a) >= U(b);
    case 's<': return S(a) < S(b);
    case 's>': return S(a) > S(b);
    default: return false;
  }
}


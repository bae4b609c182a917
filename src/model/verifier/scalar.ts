/**
 * Scalars as the verifier tracks them (kernel/bpf/tnum.c; verifier.c `adjust_scalar_min_max_vals`,
 * `reg_bounds_sync`, `is_branch_taken`, `reg_set_min_max`): a tnum (the bits known and their
 * values) and unsigned and signed 64-bit bounds, each narrowing the others. The 32-bit subregister
 * bounds the kernel also keeps are not modelled (the program language has 64-bit ALU only).
 */

export const U64_MAX = (1n << 64n) - 1n;
export const S64_MIN = -(1n << 63n);
export const S64_MAX = (1n << 63n) - 1n;

const U = (x: bigint): bigint => BigInt.asUintN(64, x);
const S = (x: bigint): bigint => BigInt.asIntN(64, x);

export interface Scalar {
  readonly t: 'scalar';
  readonly umin: bigint;
  readonly umax: bigint;
  readonly smin: bigint;
  readonly smax: bigint;
  /** tnum: `tv` the known bits' values, `tm` the unknown bits. */
  readonly tv: bigint;
  readonly tm: bigint;
}

export function known(v: bigint): Scalar {
  const u = U(v);
  return { t: 'scalar', umin: u, umax: u, smin: S(u), smax: S(u), tv: u, tm: 0n };
}

export const UNKNOWN: Scalar = { t: 'scalar', umin: 0n, umax: U64_MAX, smin: S64_MIN, smax: S64_MAX, tv: 0n, tm: U64_MAX };

/** An unknown value within `[lo, hi]` (unsigned). */
export function range(lo: bigint, hi: bigint): Scalar {
  return sync({ ...UNKNOWN, umin: lo, umax: hi });
}

/**
 * A scalar global read into a register: the 4-byte load of a `__u32` zero-extends ([0, 2^32 - 1]); an
 * `int` is sign-extended to 64 bits by the C conversion ([-2^31, 2^31 - 1]); a `__u64` is any value.
 * (The verifier's bounds after `BPF_LDX` of the size, and after the shifts or `movsx` that extend it.)
 */
export function globalScalar(kind: 'int' | 'u32' | 'u64'): Scalar {
  if (kind === 'u32') return range(0n, 0xffff_ffffn);
  if (kind === 'int') return sync({ ...UNKNOWN, smin: -(1n << 31n), smax: (1n << 31n) - 1n });
  return UNKNOWN;
}

export function isConst(s: Scalar): boolean {
  return s.tm === 0n;
}

export function constOf(s: Scalar): bigint | undefined {
  return s.tm === 0n ? s.tv : undefined;
}

/** The tnum of a range `[lo, hi]`: the common high bits are known (`tnum_range`). */
function tnumRange(lo: bigint, hi: bigint): [bigint, bigint] {
  const chi = lo ^ hi;
  if (chi === 0n) return [lo, 0n];
  let bits = 0n;
  while (chi >> bits !== 0n) bits += 1n;
  if (bits > 63n) return [0n, U64_MAX];
  const delta = (1n << bits) - 1n;
  return [lo & ~delta & U64_MAX, delta];
}

/** `reg_bounds_sync`: make the tnum and the four bounds agree; null when they contradict (an impossible state). */
export function syncOrNull(s: Scalar): Scalar | null {
  let { umin, umax, smin, smax, tv, tm } = s;
  // Bounds from the tnum.
  const tmin = tv;
  const tmax = U(tv | tm);
  if (tmin > umin) umin = tmin;
  if (tmax < umax) umax = tmax;
  // Signed from the tnum: the sign bit known or not.
  const signKnown = (tm >> 63n) === 0n;
  if (signKnown) {
    if (S(tmin) > smin) smin = S(tmin);
    if (S(tmax) < smax) smax = S(tmax);
  }
  // Unsigned and signed bounds from each other when the range does not cross the sign boundary.
  if (S(umin) <= S(umax) && (umin >> 63n) === (umax >> 63n)) {
    if (S(umin) > smin) smin = S(umin);
    if (S(umax) < smax) smax = S(umax);
  }
  if (smin >= 0n || smax < 0n) {
    if (U(smin) > umin) umin = U(smin);
    if (U(smax) < umax) umax = U(smax);
  }
  if (umin > umax || smin > smax) return null;
  // Tnum from the bounds.
  const [rv, rm] = tnumRange(umin, umax);
  const nv = (tv | rv) & ~(tm & rm) & U64_MAX;
  const nm = tm & rm;
  if (((tv ^ rv) & ~tm & ~rm & U64_MAX) !== 0n) return null;
  return { t: 'scalar', umin, umax, smin, smax, tv: nv & ~nm & U64_MAX, tm: nm };
}

export function sync(s: Scalar): Scalar {
  return syncOrNull(s) ?? UNKNOWN;
}

function addOverflows(a: bigint, b: bigint): boolean {
  return a + b > U64_MAX;
}

/** `adjust_scalar_min_max_vals` for the 64-bit ALU operations. */
export function aluScalar(fn: string, a: Scalar, b: Scalar): Scalar {
  const ca = constOf(a);
  const cb = constOf(b);
  // BPF_MOD keeps a range even for two constants (scalar_min_max_umod below), so no folding for it.
  if (ca !== undefined && cb !== undefined && fn !== 'mod') {
    const v = aluConst(fn, ca, cb);
    if (v !== undefined) return known(v);
  }
  switch (fn) {
    case 'add': {
      // tnum_add
      const sm = a.tm + b.tm;
      const sv = a.tv + b.tv;
      const sigma = sm + sv;
      const chi = sigma ^ sv;
      const mu = U(chi | a.tm | b.tm);
      const tv = U(sv) & ~mu & U64_MAX;
      const umin = addOverflows(a.umin, b.umin) || addOverflows(a.umax, b.umax) ? 0n : a.umin + b.umin;
      const umax = addOverflows(a.umin, b.umin) || addOverflows(a.umax, b.umax) ? U64_MAX : a.umax + b.umax;
      const smin = a.smin + b.smin < S64_MIN || a.smax + b.smax > S64_MAX ? S64_MIN : a.smin + b.smin;
      const smax = a.smin + b.smin < S64_MIN || a.smax + b.smax > S64_MAX ? S64_MAX : a.smax + b.smax;
      return sync({ t: 'scalar', umin, umax, smin, smax, tv, tm: mu });
    }
    case 'sub': {
      const dv = a.tv - b.tv;
      const alpha = dv + a.tm;
      const beta = dv - b.tm;
      const mu = U((alpha ^ beta) | a.tm | b.tm);
      const tv = U(dv) & ~mu & U64_MAX;
      const under = a.umin < b.umax;
      const umin = under ? 0n : a.umin - b.umax;
      const umax = under ? U64_MAX : a.umax - b.umin;
      const sover = a.smin - b.smax < S64_MIN || a.smax - b.smin > S64_MAX;
      return sync({ t: 'scalar', umin, umax, smin: sover ? S64_MIN : a.smin - b.smax, smax: sover ? S64_MAX : a.smax - b.smin, tv, tm: mu });
    }
    case 'and': {
      const alpha = a.tv | a.tm;
      const beta = b.tv | b.tm;
      const v = a.tv & b.tv;
      const tm = alpha & beta & ~v & U64_MAX;
      // The result is at most either operand's maximum.
      const umax = a.umax < b.umax ? a.umax : b.umax;
      return sync({ ...UNKNOWN, umin: v, umax, tv: v, tm });
    }
    case 'or': {
      const v = a.tv | b.tv;
      const tm = (a.tm | b.tm) & ~v & U64_MAX;
      const umin = a.umin > b.umin ? a.umin : b.umin;
      return sync({ ...UNKNOWN, umin, tv: v, tm });
    }
    case 'xor': {
      const v = a.tv ^ b.tv;
      const tm = a.tm | b.tm;
      return sync({ ...UNKNOWN, tv: v & ~tm & U64_MAX, tm });
    }
    case 'lsh': {
      if (cb === undefined || cb > 63n) return UNKNOWN;
      const overflow = (a.umax << cb) > U64_MAX;
      return sync({ ...UNKNOWN, umin: overflow ? 0n : a.umin << cb, umax: overflow ? U64_MAX : a.umax << cb, tv: U(a.tv << cb), tm: U(a.tm << cb) });
    }
    case 'rsh': {
      if (cb === undefined || cb > 63n) return UNKNOWN;
      return sync({ ...UNKNOWN, umin: a.umin >> cb, umax: a.umax >> cb, tv: a.tv >> cb, tm: a.tm >> cb });
    }
    case 'arsh': {
      if (cb === undefined || cb > 63n) return UNKNOWN;
      return sync({ ...UNKNOWN, smin: a.smin >> cb, smax: a.smax >> cb, tv: U(S(a.tv) >> cb), tm: U(S(a.tm) >> cb) });
    }
    case 'mul': {
      const umax = a.umax * b.umax;
      return umax > U64_MAX ? UNKNOWN : range(a.umin * b.umin, umax);
    }
    // 7.x (`divModBounds`; 6.x marks every DIV and MOD result unknown, see the walker): only a
    // constant divisor gives a range (`is_safe_to_compute_dst_reg_range`). DIV: by 0 → 0, else
    // [umin / c, umax / c] (scalar_min_max_udiv). MOD: by 0 → unchanged (x % 0 = x); a dividend
    // already below c unchanged; else [0, min(umax, c - 1)] (scalar_min_max_umod): a constant
    // dividend of c or more gives that range, not the remainder.
    case 'div':
      if (cb === undefined) return UNKNOWN;
      return cb === 0n ? known(0n) : range(a.umin / cb, a.umax / cb);
    case 'mod':
      if (cb === undefined) return UNKNOWN;
      if (cb === 0n || a.umax <= cb - 1n) return a;
      return range(0n, a.umax < cb - 1n ? a.umax : cb - 1n);
    default:
      return UNKNOWN;
  }
}

/** Constant folding (BPF semantics: division by zero gives 0, modulo by zero the dividend). */
export function aluConst(fn: string, a: bigint, b: bigint): bigint | undefined {
  switch (fn) {
    case 'add': return U(a + b);
    case 'sub': return U(a - b);
    case 'and': return U(a) & U(b);
    case 'or': return U(a) | U(b);
    case 'xor': return U(a) ^ U(b);
    case 'rsh': return U(a) >> (b & 63n);
    case 'lsh': return U(a << (b & 63n));
    case 'arsh': return U(S(a) >> (b & 63n));
    case 'mul': return U(a * b);
    case 'div': return U(b) === 0n ? 0n : U(a) / U(b);
    case 'mod': return U(b) === 0n ? U(a) : U(a) % U(b);
    default: return undefined;
  }
}

export function cmpConst(cmp: string, a: bigint, b: bigint): boolean {
  switch (cmp) {
    case '==': return U(a) === U(b);
    case '!=': return U(a) !== U(b);
    case '<': return U(a) < U(b);
    case '<=': return U(a) <= U(b);
    case '>': return U(a) > U(b);
    case '>=': return U(a) >= U(b);
    case 's<': return S(a) < S(b);
    case 's<=': return S(a) <= S(b);
    case 's>': return S(a) > S(b);
    case 's>=': return S(a) >= S(b);
    default: return false;
  }
}

const NEGATE: Record<string, string> = { '==': '!=', '!=': '==', '<': '>=', '<=': '>', '>': '<=', '>=': '<', 's<': 's>=', 's<=': 's>', 's>': 's<=', 's>=': 's<' };
const FLIP: Record<string, string> = { '==': '==', '!=': '!=', '<': '>', '<=': '>=', '>': '<', '>=': '<=', 's<': 's>', 's<=': 's>=', 's>': 's<', 's>=': 's<=' };

/**
 * `reg_set_min_max`: the two operands' states when `a cmp b` holds (`taken`) or does not; null when
 * that outcome is impossible (`is_branch_taken` knows the answer).
 */
export function refine(cmp: string, a: Scalar, b: Scalar, taken: boolean): [Scalar, Scalar] | null {
  const c = taken ? cmp : NEGATE[cmp] ?? cmp;
  const ca = constOf(a);
  const cb = constOf(b);
  if (ca !== undefined && cb !== undefined) return cmpConst(c, ca, cb) ? [a, b] : null;
  let x: Scalar = a;
  let y: Scalar = b;
  const both = (nx: Scalar, ny: Scalar): [Scalar, Scalar] | null => {
    const sx = syncOrNull(nx);
    const sy = syncOrNull(ny);
    return sx === null || sy === null ? null : [sx, sy];
  };
  const max = (p: bigint, q: bigint): bigint => (p > q ? p : q);
  const min = (p: bigint, q: bigint): bigint => (p < q ? p : q);
  switch (c) {
    case '==': {
      const umin = max(x.umin, y.umin);
      const umax = min(x.umax, y.umax);
      const smin = max(x.smin, y.smin);
      const smax = min(x.smax, y.smax);
      if (((x.tv ^ y.tv) & ~x.tm & ~y.tm & U64_MAX) !== 0n) return null;
      const tv = x.tv | y.tv;
      const tm = x.tm & y.tm;
      const v: Scalar = { t: 'scalar', umin, umax, smin, smax, tv: tv & ~tm & U64_MAX, tm };
      return both(v, v);
    }
    case '!=': {
      // Only a constant on one side excludes a value: at a bound, the bound moves.
      if (cb !== undefined) {
        if (x.umin === cb) x = { ...x, umin: x.umin + 1n };
        else if (x.umax === cb) x = { ...x, umax: x.umax - 1n };
        if (S(cb) === x.smin) x = { ...x, smin: x.smin + 1n };
        else if (S(cb) === x.smax) x = { ...x, smax: x.smax - 1n };
      }
      if (ca !== undefined) {
        if (y.umin === ca) y = { ...y, umin: y.umin + 1n };
        else if (y.umax === ca) y = { ...y, umax: y.umax - 1n };
      }
      return both(x, y);
    }
    case '<':
      if (y.umax === 0n) return null;
      return both({ ...x, umax: min(x.umax, y.umax - 1n) }, { ...y, umin: max(y.umin, x.umin + 1n) });
    case '<=':
      return both({ ...x, umax: min(x.umax, y.umax) }, { ...y, umin: max(y.umin, x.umin) });
    case 's<':
      if (y.smax === S64_MIN) return null;
      return both({ ...x, smax: min(x.smax, y.smax - 1n) }, { ...y, smin: max(y.smin, x.smin + 1n) });
    case 's<=':
      return both({ ...x, smax: min(x.smax, y.smax) }, { ...y, smin: max(y.smin, x.smin) });
    default: {
      const r = refine(FLIP[c] ?? c, b, a, true);
      return r === null ? null : [r[1], r[0]];
    }
  }
}

export function scalarEquals(a: Scalar, b: Scalar): boolean {
  return a.umin === b.umin && a.umax === b.umax && a.smin === b.smin && a.smax === b.smax && a.tv === b.tv && a.tm === b.tm;
}

/** `range_within`/`tnum_in`: every value `b` may hold, `a` may hold too (for pruning). */
export function scalarWithin(a: Scalar, b: Scalar): boolean {
  return a.umin <= b.umin && a.umax >= b.umax && a.smin <= b.smin && a.smax >= b.smax && (b.tv & ~a.tm & U64_MAX) === (a.tv & ~a.tm & U64_MAX) && (b.tm & ~a.tm & U64_MAX) === 0n;
}

/** The tnum as the kernel prints it (`tnum_strn`): `(0x0; 0x10)`, or a known value as one number (`tnumText`). */
export function tnumStr(s: Scalar): string {
  return tnumText(s.tv, s.tm);
}

/**
 * `tnum_strn` (kernel/bpf/log.c) of a tnum: a known value as a decimal (0 to U16_MAX unsigned, or
 * S16_MIN to S16_MAX signed), else in hex; an unknown one as `(value; mask)`.
 */
export function tnumText(value: bigint, mask: bigint): string {
  if (mask !== 0n) return `(0x${value.toString(16)}; 0x${mask.toString(16)})`;
  const signed = BigInt.asIntN(64, value);
  if (value <= 0xffffn) return value.toString();
  if (signed >= -0x8000n && signed <= 0x7fffn) return signed.toString();
  return `0x${value.toString(16)}`;
}

/** `tnum_add(a, tnum_const(k))`: the tnum of a value plus a constant. */
export function tnumAddConst(value: bigint, mask: bigint, k: bigint): { value: bigint; mask: bigint } {
  const sv = BigInt.asUintN(64, value + BigInt.asUintN(64, k));
  const mu = (BigInt.asUintN(64, mask + sv) ^ sv) | mask;
  return { value: sv & ~mu & U64_MAX, mask: mu };
}

/** The constant a pointer's variable part (`var_off`, null when none) adds, or null when it is not constant. */
export function varConst(v: Scalar | null): bigint | null {
  if (v === null) return 0n;
  return isConst(v) ? (constOf(v) ?? 0n) : null;
}

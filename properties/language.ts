/**
 * Generated programs of the language: straight-line code and loops (bounded `for`, `bpf_loop` with a
 * callback, open-coded iterators) over four scalar variables, a stack array, a map value and a LOCAL
 * dynptr over it — ALU operations of every kind, loads and stores of 1, 2, 4 and 8 bytes at constant
 * and masked variable offsets, signed loads, memset. The safe ones stay in bounds (masks keep
 * variable offsets inside and aligned, the map value is NULL-checked); `unsafe` adds what the
 * verifier exists to refuse: offsets past the end, masks too wide, a missing NULL check, a store into
 * the dynptr's stack slot before it is used. Used by P9 (properties/language.test.ts) and by the host
 * conformance tier (conformance/generate-language.ts), which runs the same programs on the kernel.
 *
 * Every byte read was written first (the locals are initialized), divisors are non-zero constants and
 * shifts are below 64: C would otherwise be undefined, and clang free to fold it.
 */
import fc from 'fast-check';
import { program as P, type AluFn, type BpfObject, type MemSize, type Op } from '../src/index.ts';

const { r, imm, NULL, call, mov, alu, ld, st, goto, when, label, ret, addr, local, memset, cb, dynptr } = P;

export const VARS = ['x0', 'x1', 'x2', 'x3'] as const;
type Var = (typeof VARS)[number];
type Where = 'stack' | 'map';

export type GOp =
  | { k: 'set'; d: Var; v: bigint }
  | { k: 'alu'; fn: AluFn; d: Var; src: Var | bigint }
  | { k: 'st'; where: Where; size: MemSize; off: number; src: Var | bigint }
  | { k: 'ld'; where: Where; size: MemSize; off: number; d: Var; signed: boolean }
  | { k: 'stv'; where: Where; size: MemSize; idx: Var; mask: number | null; src: Var }
  | { k: 'ldv'; where: Where; size: MemSize; idx: Var; mask: number | null; d: Var }
  | { k: 'memset'; off: number; len: number; val: number }
  | { k: 'loop'; n: number; body: GOp[] }
  /** `bpf_loop(n, cb, &cbacc, 0)`: the callback adds its index to a stack u64; the count into a variable. */
  | { k: 'bpf_loop'; n: number; d: Var }
  /** `bpf_for(i, 0, n)`: the iterator's values summed into `acc`. */
  | { k: 'iter'; n: number }
  /** A LOCAL dynptr over the map value: read `len` bytes at `off` into the array. */
  | { k: 'dyn_read'; off: number; len: number; d: Var }
  /** A slice of the dynptr, read through (NULL-checked unless `check` is false). */
  | { k: 'dyn_slice'; off: number; len: number; at: number; d: Var; check: boolean }
  /** A byte store into the dynptr's stack slot (it destroys the dynptr), then a use of it. */
  | { k: 'dyn_clobber'; d: Var }
  /**
   * `bpf_task_from_pid` of the running task's tgid (`self`) or of a pid no task has (`nobody`):
   * `d` = 1 when a task came back, 0 for NULL. The pointer may go through a stack slot (`spill`);
   * safe: NULL-checked (`check`) and released (`release`); unsafe: either may be missing.
   */
  | { k: 'task'; who: 'self' | 'nobody'; d: Var; spill: boolean; check: boolean; release: boolean };

export interface GenLang {
  /** Bytes of the stack array and of the map value. */
  readonly size: number;
  readonly init: readonly number[];
  readonly ops: readonly GOp[];
  readonly ret: Var;
  /** The map value is NULL-checked before the program uses it. */
  readonly nullCheck: boolean;
}

export interface GenOptions {
  /** Add what the verifier refuses (see the module comment). */
  readonly unsafe?: boolean;
  /** Let some variable offsets be misaligned (the verifier refuses a misaligned stack access). */
  readonly misaligned?: boolean;
}

const SIZES: readonly MemSize[] = [1, 2, 4, 8];
/** A pid no task has, on the model or on a kernel (above PID_MAX_LIMIT, 4M on 64-bit). */
const NO_PID = 0x7fff_ffff;
const varArb = fc.constantFrom(...VARS);
const immArb: fc.Arbitrary<bigint> = fc.oneof(
  { weight: 3, arbitrary: fc.bigInt(-300n, 300n) },
  { weight: 2, arbitrary: fc.constantFrom(0n, 1n, -1n, 0x7fn, 0x80n, 0xffn, 0x7fffn, 0x8000n, 0xffffn, 0x7fff_ffffn, -0x8000_0000n) },
  { weight: 1, arbitrary: fc.bigInt(-(1n << 31n), (1n << 31n) - 1n) },
);

function opArb(size: number, depth: number, o: GenOptions): fc.Arbitrary<GOp> {
  const sizeArb = fc.constantFrom(...SIZES);
  const where = fc.constantFrom<Where>('stack', 'stack', 'map');
  // Constant offsets: aligned and inside; unsafe: also up to 8 bytes past the end.
  const fixed = sizeArb.chain((sz) => fc.record({ size: fc.constant(sz), off: fc.integer({ min: 0, max: (size - sz) / sz + (o.unsafe === true ? 8 / sz : 0) }).map((i) => i * sz) }));
  // A mask keeping `idx & mask` + size inside the array (a power of two minus one, mostly with the low
  // bits cleared so the offset stays aligned); unsafe: a mask too wide, or none.
  const masks = [1, 3, 7, 15, 31, 63];
  const masked = sizeArb.chain((sz) => fc.record({
    size: fc.constant(sz),
    mask: fc.tuple(fc.constantFrom(...masks.filter((m) => m + sz <= size || o.unsafe === true)), fc.integer({ min: 0, max: 9 }), fc.integer({ min: 0, max: 19 })).map(([m, k, u]): number | null => {
      if (o.unsafe === true && u === 0) return null;
      return o.misaligned === true && k === 0 ? m : m & ~(sz - 1);
    }),
  }));
  const options: fc.WeightedArbitrary<GOp>[] = [
    { weight: 2, arbitrary: fc.record({ k: fc.constant('set' as const), d: varArb, v: immArb }) },
    // Never `x op= x`: clang folds x ^ x and x - x to 0 (and x + x to a shift), so the kernel would
    // verify another program than the model (found at KERNSIM_SEED=2026: gl80's x ^= x).
    { weight: 4, arbitrary: fc.record({ k: fc.constant('alu' as const), fn: fc.constantFrom<AluFn>('add', 'sub', 'and', 'or', 'xor', 'mul'), d: varArb, src: fc.oneof(varArb, immArb) })
      .map((g) => (g.src === g.d ? { ...g, src: VARS[(VARS.indexOf(g.d) + 1) % VARS.length] as Var } : g)) },
    { weight: 2, arbitrary: fc.record({ k: fc.constant('alu' as const), fn: fc.constantFrom<AluFn>('lsh', 'rsh', 'arsh'), d: varArb, src: fc.bigInt(0n, 63n) }) },
    { weight: 1, arbitrary: fc.record({ k: fc.constant('alu' as const), fn: fc.constantFrom<AluFn>('div', 'mod'), d: varArb, src: fc.bigInt(1n, 255n) }) },
    { weight: 3, arbitrary: fc.tuple(fixed, where, fc.oneof(varArb, immArb)).map(([f, w, src]): GOp => ({ k: 'st', where: w, size: f.size, off: f.off, src })) },
    { weight: 3, arbitrary: fc.tuple(fixed, where, varArb, fc.boolean()).map(([f, w, d, signed]): GOp => ({ k: 'ld', where: w, size: f.size, off: f.off, d, signed })) },
    { weight: 2, arbitrary: fc.tuple(masked, where, varArb, varArb).map(([m, w, idx, src]): GOp => ({ k: 'stv', where: w, size: m.size, mask: m.mask, idx, src })) },
    { weight: 2, arbitrary: fc.tuple(masked, where, varArb, varArb).map(([m, w, idx, d]): GOp => ({ k: 'ldv', where: w, size: m.size, mask: m.mask, idx, d })) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: size - 1 }).chain((off) => fc.record({ k: fc.constant('memset' as const), off: fc.constant(off), len: fc.integer({ min: 1, max: size - off }), val: fc.integer({ min: 0, max: 255 }) })) },
    { weight: 1, arbitrary: fc.record({ k: fc.constant('dyn_read' as const), off: fc.integer({ min: 0, max: size + 4 }), len: fc.integer({ min: 0, max: size }), d: varArb }) },
    { weight: 1, arbitrary: fc.record({ k: fc.constant('dyn_slice' as const), off: fc.integer({ min: 0, max: size + 4 }), len: fc.integer({ min: 1, max: 8 }), at: fc.integer({ min: 0, max: 7 }), d: varArb, check: o.unsafe === true ? fc.boolean() : fc.constant(true) })
      .map((g) => (o.unsafe === true ? g : { ...g, at: Math.min(g.at, g.len - 1) })) },
  ];
  const unsafeBool = o.unsafe === true ? fc.oneof({ weight: 4, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }) : fc.constant(true);
  options.push({ weight: 1, arbitrary: fc.record({ k: fc.constant('task' as const), who: fc.constantFrom<'self' | 'nobody'>('self', 'self', 'nobody'), d: varArb, spill: fc.boolean(), check: unsafeBool, release: unsafeBool }) });
  if (o.unsafe === true) options.push({ weight: 1, arbitrary: fc.record({ k: fc.constant('dyn_clobber' as const), d: varArb }) });
  if (depth === 0) {
    options.push(
      { weight: 2, arbitrary: fc.record({ k: fc.constant('loop' as const), n: fc.integer({ min: 1, max: 6 }), body: fc.array(opArb(size, 1, o), { minLength: 1, maxLength: 4 }) }) },
      { weight: 1, arbitrary: fc.record({ k: fc.constant('bpf_loop' as const), n: fc.integer({ min: 0, max: 12 }), d: varArb }) },
      { weight: 1, arbitrary: fc.record({ k: fc.constant('iter' as const), n: fc.integer({ min: 0, max: 12 }) }) },
    );
  }
  return fc.oneof(...options);
}

export function genLangArb(o: GenOptions = {}): fc.Arbitrary<GenLang> {
  // The programs of each array size, made once: making `opArb`'s tree again for each generated
  // program cost a quarter of the generation (arbitraries hold no state: the values are the same).
  const bySize = new Map([16, 32, 64].map((size): [number, fc.Arbitrary<GenLang>] => [size, fc.record({
    size: fc.constant(size),
    init: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: size, maxLength: size }),
    ops: fc.array(opArb(size, 0, o), { minLength: 2, maxLength: 14 }).map((ops) => unfoldable(ops, new Set(VARS)).ops),
    ret: varArb,
    nullCheck: o.unsafe === true ? fc.boolean() : fc.constant(true),
  })]));
  return fc.constantFrom(16, 32, 32, 64).chain((size) => bySize.get(size) as fc.Arbitrary<GenLang>);
}

/**
 * The ops with a load into the dividend before each DIV or MOD whose dividend clang may know at
 * compile time (`maybeConst`: set from immediates only, in some iteration): clang folds such a
 * division (x = 15; x /= 51 is x = 0 in the object), and the kernel would verify another program
 * than the model's value. 6.x's verifier knows nothing of a DIV's result (`divModBounds`), so the
 * difference shows (found at KERNSIM_SEED=2026: gl78). A loop body is read twice, its second pass
 * starting from what may be constant at the end of the first.
 */
function unfoldable(ops: readonly GOp[], entry: ReadonlySet<Var>): { ops: GOp[]; maybeConst: Set<Var> } {
  const m = new Set(entry);
  const out: GOp[] = [];
  for (const op of ops) {
    switch (op.k) {
      case 'set': m.add(op.d); out.push(op); break;
      case 'alu':
        if ((op.fn === 'div' || op.fn === 'mod') && m.has(op.d)) {
          out.push({ k: 'ld', where: 'stack', size: 8, off: 0, d: op.d, signed: false });
          m.delete(op.d);
        }
        if (typeof op.src !== 'bigint' && !m.has(op.src)) m.delete(op.d);
        out.push(op);
        break;
      case 'ld': case 'ldv': case 'dyn_read': case 'dyn_slice': case 'bpf_loop': case 'dyn_clobber': case 'task':
        m.delete(op.d);
        out.push(op);
        break;
      case 'loop': {
        const first = unfoldable(op.body, m);
        const second = unfoldable(op.body, new Set([...m, ...first.maybeConst]));
        for (const v of [...first.maybeConst, ...second.maybeConst]) m.add(v);
        for (const v of VARS) if (!first.maybeConst.has(v) && !second.maybeConst.has(v)) m.delete(v);
        out.push({ ...op, body: second.ops });
        break;
      }
      default: out.push(op);
    }
  }
  return { ops: out, maybeConst: m };
}

const src = (v: Var | bigint): P.Arg => (typeof v === 'bigint' ? imm(v) : r(v));

/**
 * The program value, `SEC("syscall")` program `id` in object `id`: `a` the stack array, `v` the map
 * value, `d` a LOCAL dynptr over it; it copies its array, the map value and its variables into the
 * global `<id>_res` and returns one variable. Loops accumulate into `acc` (iterators) and `cbacc`
 * (callbacks), never used as an offset: the kernel tracks precision and does not converge on a loop
 * whose carried scalar is later an offset; the model widens every such scalar (verifier/README.md).
 */
export function buildLanguage(id: string, g: GenLang): BpfObject {
  const res = `${id}_res`;
  const m = `${id}_m`;
  const body: Op[] = [];
  let n = 0;
  let dyn = false;
  const base = (w: Where): P.Arg => (w === 'stack' ? addr('a') : r('v'));
  const needDyn = (): void => {
    if (dyn) return;
    dyn = true;
    body.push(call('bpf_dynptr_from_mem', [r('v'), imm(g.size), imm(0), dynptr('d')]));
  };
  const emit = (op: GOp): void => {
    switch (op.k) {
      case 'set': body.push(mov(op.d, imm(op.v))); break;
      case 'alu': body.push(alu(op.fn, op.d, src(op.src))); break;
      case 'st': body.push(st(op.size, base(op.where), op.off, src(op.src))); break;
      case 'ld': body.push({ op: 'ld', dst: op.d, size: op.size, base: base(op.where), off: op.off, ...(op.signed ? { signed: true } : {}) }); break;
      case 'stv':
      case 'ldv': {
        n += 1;
        const o = `o${n}`;
        const p = `p${n}`;
        body.push(mov(o, r(op.idx)), ...(op.mask === null ? [] : [alu('and', o, imm(op.mask))]), mov(p, base(op.where)), alu('add', p, r(o)));
        body.push(op.k === 'stv' ? st(op.size, r(p), 0, r(op.src)) : ld(op.d, op.size, r(p), 0));
        break;
      }
      case 'memset': body.push(memset(addr('a', op.off), op.val, op.len)); break;
      case 'loop': {
        n += 1;
        const me = n;
        const i = `i${me}`;
        body.push(mov(i, imm(0)), label(`top${me}`), goto(`end${me}`, when(i, '>=', imm(op.n))));
        for (const b of op.body) emit(b);
        body.push(alu('add', i, imm(1)), goto(`top${me}`), label(`end${me}`));
        break;
      }
      case 'bpf_loop':
        body.push(call('bpf_loop', [imm(op.n), cb(`${id}_cb`), addr('cbacc'), imm(0)], op.d));
        break;
      case 'iter': {
        n += 1;
        const me = n;
        body.push(call('bpf_iter_num_new', [addr('it'), imm(0), imm(op.n)]), label(`it${me}`), call('bpf_iter_num_next', [addr('it')], `q${me}`),
          goto(`itend${me}`, when(`q${me}`, '==', NULL)), ld(`w${me}`, 4, r(`q${me}`), 0), alu('add', 'acc', r(`w${me}`)), goto(`it${me}`),
          label(`itend${me}`), call('bpf_iter_num_destroy', [addr('it')]));
        break;
      }
      case 'dyn_read':
        needDyn();
        body.push(call('bpf_dynptr_read', [addr('a'), imm(op.len), dynptr('d'), imm(op.off), imm(0)], op.d));
        break;
      case 'dyn_slice': {
        needDyn();
        n += 1;
        const s = `s${n}`;
        body.push(call('bpf_dynptr_data', [dynptr('d'), imm(op.off), imm(op.len)], s));
        if (op.check) body.push(goto(`sk${n}`, when(s, '==', NULL)));
        body.push(ld(op.d, 1, r(s), op.at), label(`sk${n}`));
        break;
      }
      case 'dyn_clobber':
        needDyn();
        body.push(st(1, dynptr('d'), 0, imm(0)), call('bpf_dynptr_size', [dynptr('d')], op.d));
        break;
      case 'task': {
        n += 1;
        const t = `t${n}`;
        if (op.who === 'self') body.push(call('bpf_get_current_pid_tgid', [], `g${n}`), alu('rsh', `g${n}`, imm(32)), call('bpf_task_from_pid', [r(`g${n}`)], t));
        else body.push(call('bpf_task_from_pid', [imm(NO_PID)], t));
        // Through the stack slot: the filled copy holds the same reference (and the same NULL check).
        const u = op.spill ? `u${n}` : t;
        if (op.spill) body.push(st(8, addr('tslot'), 0, r(t)), ld(u, 8, addr('tslot'), 0));
        body.push(mov(op.d, imm(0)));
        if (op.check) body.push(goto(`tn${n}`, when(u, '==', NULL)));
        body.push(mov(op.d, imm(1)));
        if (op.release) body.push(call('bpf_task_release', [r(u)]));
        body.push(label(`tn${n}`));
        break;
      }
    }
  };
  body.push(...VARS.map((v, i) => mov(v, imm(BigInt(i * 7 + 1)))), mov('acc', imm(0)));
  body.push(call('bpf_map_lookup_elem', [P.map(m), addr('key')], 'v'));
  if (g.nullCheck) body.push(goto('out', when('v', '==', NULL)));
  for (const op of g.ops) emit(op);
  // The copies out are 8-byte loads and stores (clang expands a memcpy from a map value of unknown
  // alignment byte by byte, and with the rest of a long function it can run out of stack).
  for (let o = 0; o < g.size; o += 8) body.push(ld(`c${o}`, 8, addr('a'), o), st(8, addr(res), o, r(`c${o}`)), ld(`m${o}`, 8, r('v'), o), st(8, addr(res), 64 + o, r(`m${o}`)));
  VARS.forEach((v, i) => body.push(st(8, addr(res), 128 + 8 * i, r(v))));
  body.push(st(8, addr(res), 160, r('acc')), ld('cba', 8, addr('cbacc'), 0), st(8, addr(res), 168, r('cba')));
  body.push(ret(r(g.ret)), label('out'), ret(imm(0)));
  const usesCb = g.ops.some((op) => op.k === 'bpf_loop');
  const spills = (ops: readonly GOp[]): boolean => ops.some((op) => (op.k === 'task' && op.spill) || (op.k === 'loop' && spills(op.body)));
  return {
    name: id,
    maps: [{ name: m, type: 'array', maxEntries: 1, valueSize: g.size, taskWorkFields: 0 }],
    globals: [{ name: `${id}_rets`, kind: 'u64s', size: 8 }, { name: res, kind: 'bytes', size: 176 }],
    programs: [{
      name: id, section: 'syscall', body,
      locals: [local('key', 'u32', 'zero'), local('a', { bytes: g.size }, g.init), local('it', 'iter_num'), local('d', 'dynptr'), local('cbacc', 'u64', 'zero'), ...(spills(g.ops) ? [local('tslot', 'u64')] : [])],
    }],
    subprogs: usesCb ? [{
      name: `${id}_cb`, isStatic: true, params: [{ name: 'index', type: 'u32' }, { name: 'ctx', type: 'ptr' }],
      body: [ld('t', 8, r('ctx'), 0), alu('add', 't', r('index')), st(8, r('ctx'), 0, r('t')), ret(imm(0))],
    }] : [],
  };
}

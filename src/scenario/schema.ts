/**
 * The scenario file format, as a JSON Schema (draft 2020-12 subset). This object is the one source:
 * the validator reads it, and `npm run docs` writes it to schema/scenario.schema.json for editors.
 */
const int = { type: 'integer' } as const;
const nonNeg = { type: 'integer', minimum: 0 } as const;
/** An integer, or a string holding one (decimal, 0x…, or negative) for values past 2^53. */
const bigInt = { oneOf: [int, { type: 'string', pattern: '^-?(0x[0-9a-fA-F]+|[0-9]+)$' }] } as const;
const name = { type: 'string', minLength: 1 } as const;

const arg = {
  oneOf: [
    { type: 'object', required: ['r'], additionalProperties: false, properties: { r: name } },
    { type: 'object', required: ['imm'], additionalProperties: false, properties: { imm: bigInt } },
    { type: 'object', required: ['null'], additionalProperties: false, properties: { null: { const: true } } },
    { type: 'object', required: ['dynptr'], additionalProperties: false, properties: { dynptr: name } },
    { type: 'object', required: ['buf'], additionalProperties: false, properties: { buf: name } },
    { type: 'object', required: ['global'], additionalProperties: false, properties: { global: name } },
    { type: 'object', required: ['map'], additionalProperties: false, properties: { map: name } },
    { type: 'object', required: ['tw'], additionalProperties: false, properties: { tw: name } },
    { type: 'object', required: ['cb'], additionalProperties: false, properties: { cb: name } },
    { type: 'object', required: ['ctx'], additionalProperties: false, properties: { ctx: { const: 'file' } } },
  ],
} as const;

const cond = {
  type: 'object', required: ['r', 'cmp', 'v'], additionalProperties: false,
  properties: { r: name, cmp: { enum: ['==', '!=', '<', '<=', '>', '>=', 's<', 's>'] }, v: { $ref: '#/$defs/arg' } },
} as const;

const op = {
  oneOf: [
    { type: 'object', required: ['op', 'fn', 'args'], additionalProperties: false, properties: { op: { const: 'call' }, fn: name, args: { type: 'array', items: { $ref: '#/$defs/arg' } }, dst: name } },
    { type: 'object', required: ['op', 'dst', 'src'], additionalProperties: false, properties: { op: { const: 'mov' }, dst: name, src: { $ref: '#/$defs/arg' } } },
    { type: 'object', required: ['op', 'fn', 'dst', 'src'], additionalProperties: false, properties: { op: { const: 'alu' }, fn: { enum: ['add', 'sub', 'and', 'or', 'rsh', 'lsh'] }, dst: name, src: { $ref: '#/$defs/arg' } } },
    { type: 'object', required: ['op', 'global', 'src'], additionalProperties: false, properties: { op: { const: 'store' }, global: name, src: { $ref: '#/$defs/arg' } } },
    { type: 'object', required: ['op', 'dst', 'a', 'aoff', 'b', 'boff', 'len'], additionalProperties: false, properties: { op: { const: 'memcmp' }, dst: name, a: { $ref: '#/$defs/arg' }, aoff: { $ref: '#/$defs/arg' }, b: { $ref: '#/$defs/arg' }, boff: { $ref: '#/$defs/arg' }, len: { $ref: '#/$defs/arg' } } },
    { type: 'object', required: ['op', 'name'], additionalProperties: false, properties: { op: { const: 'label' }, name } },
    { type: 'object', required: ['op', 'to'], additionalProperties: false, properties: { op: { const: 'goto' }, to: name, if: { $ref: '#/$defs/cond' } } },
    { type: 'object', required: ['op', 'src'], additionalProperties: false, properties: { op: { const: 'ret' }, src: { $ref: '#/$defs/arg' } } },
  ],
} as const;

const twaMode = { enum: ['TWA_NONE', 'TWA_RESUME', 'TWA_SIGNAL'] } as const;

const syscall = {
  oneOf: [
    { type: 'object', required: ['sys', 'path', 'fd'], additionalProperties: false, properties: { sys: { const: 'open' }, path: name, fd: name } },
    { type: 'object', required: ['sys', 'fd', 'offset', 'len'], additionalProperties: false, properties: { sys: { const: 'read' }, fd: name, offset: nonNeg, len: nonNeg, into: name } },
    { type: 'object', required: ['sys', 'fd'], additionalProperties: false, properties: { sys: { const: 'close' }, fd: name } },
    { type: 'object', required: ['sys', 'fd'], additionalProperties: false, properties: { sys: { const: 'fadvise_dontneed' }, fd: name } },
    { type: 'object', required: ['sys', 'ticks'], additionalProperties: false, properties: { sys: { const: 'sleep' }, ticks: nonNeg } },
    { type: 'object', required: ['sys', 'global', 'value'], additionalProperties: false, properties: { sys: { const: 'set_global' }, global: name, value: { oneOf: [bigInt, { const: 'pid' }] } } },
    { type: 'object', required: ['sys', 'map', 'key'], additionalProperties: false, properties: { sys: { const: 'map_update' }, map: name, key: nonNeg } },
    { type: 'object', required: ['sys', 'map', 'key'], additionalProperties: false, properties: { sys: { const: 'map_delete' }, map: name, key: nonNeg } },
    { type: 'object', required: ['sys', 'map'], additionalProperties: false, properties: { sys: { const: 'map_close' }, map: name } },
    { type: 'object', required: ['sys', 'label', 'mode'], additionalProperties: false, properties: { sys: { const: 'task_work_add' }, label: name, mode: twaMode, then: { type: 'object', required: ['label', 'mode'], additionalProperties: false, properties: { label: name, mode: twaMode } } } },
    { type: 'object', required: ['sys', 'prog'], additionalProperties: false, properties: { sys: { const: 'prog_test_run' }, prog: name } },
    { type: 'object', required: ['sys', 'map'], additionalProperties: false, properties: { sys: { const: 'ringbuf_consume' }, map: name, into: name } },
    { type: 'object', required: ['sys', 'addr', 'text'], additionalProperties: false, properties: { sys: { const: 'user_write' }, addr: bigInt, text: { type: 'string' } } },
    { type: 'object', required: ['sys'], additionalProperties: false, properties: { sys: { const: 'exit' } } },
  ],
} as const;

const pageRange = { type: 'array', items: nonNeg, minItems: 2, maxItems: 2 } as const;

export const SCENARIO_SCHEMA = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://kernsim.dev/schema/scenario.schema.json',
  title: 'kernsim scenario',
  description: 'Files and their cache state, BPF objects (programs as data), tasks, a schedule, and the expected outcomes.',
  type: 'object',
  required: ['name', 'files', 'objects', 'tasks'],
  additionalProperties: false,
  properties: {
    $schema: { type: 'string' },
    name,
    description: { type: 'string' },
    version: { enum: ['6.18', '6.19', '7.0', '7.2'] },
    unverified: { type: 'boolean', description: 'Load without the verifier, to watch what it prevents.' },
    files: {
      type: 'array',
      items: {
        type: 'object', required: ['path'], additionalProperties: false,
        properties: {
          path: { type: 'string', pattern: '^/' },
          size: nonNeg,
          content: {
            oneOf: [
              { type: 'object', required: ['pattern'], additionalProperties: false, properties: { pattern: nonNeg } },
              { type: 'object', required: ['random'], additionalProperties: false, properties: { random: { type: 'string' } } },
              { type: 'object', required: ['text'], additionalProperties: false, properties: { text: { type: 'string' } } },
              { type: 'object', required: ['zero'], additionalProperties: false, properties: { zero: { const: true } } },
            ],
          },
          cache: { oneOf: [{ enum: ['warm', 'cold'] }, { type: 'array', items: pageRange }] },
          ioLatency: nonNeg,
          secretmem: { type: 'boolean' },
          ioErrors: { type: 'array', items: { type: 'object', required: ['offset'], additionalProperties: false, properties: { offset: nonNeg, times: { type: 'integer', minimum: 1 } } } },
        },
      },
    },
    objects: {
      type: 'array',
      items: {
        type: 'object', required: ['name', 'programs'], additionalProperties: false,
        properties: {
          name,
          maps: { type: 'array', items: { type: 'object', required: ['name', 'type', 'maxEntries'], additionalProperties: false, properties: { name, type: { enum: ['array', 'hash', 'lru_hash', 'percpu_array', 'percpu_hash', 'ringbuf'] }, maxEntries: { type: 'integer', minimum: 1 }, valueSize: nonNeg, taskWorkFields: nonNeg, keySize: nonNeg, flags: nonNeg } } },
          globals: { type: 'array', items: { oneOf: [
            { type: 'object', required: ['name', 'kind'], additionalProperties: false, properties: { name, kind: { const: 'int' }, init: bigInt } },
            { type: 'object', required: ['name', 'kind', 'size'], additionalProperties: false, properties: { name, kind: { const: 'bytes' }, size: nonNeg } },
          ] } },
          programs: { type: 'array', items: { type: 'object', required: ['name', 'section', 'body'], additionalProperties: false, properties: { name, section: name, body: { type: 'array', items: { $ref: '#/$defs/op' } } } } },
          subprogs: { type: 'array', items: { type: 'object', required: ['name', 'body'], additionalProperties: false, properties: { name, isStatic: { type: 'boolean' }, body: { type: 'array', items: { $ref: '#/$defs/op' } } } } },
        },
      },
    },
    tasks: {
      type: 'array',
      items: { type: 'object', required: ['comm', 'script'], additionalProperties: false, properties: { comm: name, exe: { type: 'string', pattern: '^/' }, script: { type: 'array', items: { $ref: '#/$defs/syscall' } } } },
    },
    schedule: {
      type: 'object', additionalProperties: false,
      properties: { seed: { oneOf: [int, { type: 'string' }] }, choices: { type: 'array', items: nonNeg } },
    },
    expect: {
      type: 'object', additionalProperties: false,
      properties: {
        globals: { type: 'object', additionalProperties: { oneOf: [bigInt, { type: 'string', pattern: '^-E[A-Z0-9]+$' }] } },
        calls: { type: 'array', items: { type: 'object', required: ['fn', 'ret'], additionalProperties: false, properties: { fn: name, nth: nonNeg, ret: { oneOf: [int, { type: 'string' }] } } } },
        results: { type: 'array', items: { type: 'object', required: ['task', 'syscall', 'ret'], additionalProperties: false, properties: { task: nonNeg, syscall: nonNeg, ret: { oneOf: [int, { type: 'string' }] } } } },
        refs: { const: 'baseline' },
        verifier: { type: 'array', items: { type: 'object', required: ['program', 'ok'], additionalProperties: false, properties: { program: name, ok: { type: 'boolean' }, message: { type: 'string' } } } },
        pages: { type: 'object', additionalProperties: { type: 'object', additionalProperties: { type: 'string' } } },
        runs: { type: 'array', items: { type: 'object', required: ['program', 'times'], additionalProperties: false, properties: { program: name, times: nonNeg } } },
      },
    },
  },
  $defs: { arg, cond, op, syscall },
} as const;

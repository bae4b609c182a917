import { ArgumentError } from '../../kernel/errors.ts';
import { defineKfunc } from '../../kfunc/kfunc.ts';
import { dynptrAt, fileStateOf, setNull } from '../core.ts';
import { releaseReader } from './freader.ts';

/** `bpf_dynptr_file_discard` (kernel/bpf/helpers.c): release a FILE dynptr's reader and state. */
export const bpf_dynptr_file_discard = defineKfunc({
  name: 'bpf_dynptr_file_discard',
  mirrors: 'kernel/bpf/helpers.c: bpf_dynptr_file_discard; lib/buildid.c: freader_cleanup',
  kind: 'kfunc',
  since: '6.19',
  summary: 'Release the FILE dynptr (KF_RELEASE pairing for bpf_dynptr_from_file).',
  args: [{ name: 'dynptr', type: 'dynptr', dynptrKind: 'file' }],
  ret: 'int',
  flags: ['KF_RELEASE'],
  checks: ['dynptr null (a failed from_file) → 0'],
  effects: [
    'a non-sleepable reader drops the folio it holds (a sleepable one holds none); the state is freed (clones share it and become unusable)',
    'dynptr is set null; returns 0',
  ],
  confidence: 'H (source)',
  impl(k, dynptr) {
    const d = dynptrAt(k, dynptr, 'dynptr');
    if (d.kind === 'null') return 0;
    if (d.kind !== 'file') {
      throw new ArgumentError('dynptr', dynptr, 'a FILE dynptr (the verifier refuses others: "Expected a dynptr of type file")');
    }
    const st = fileStateOf(k, d, 'dynptr');
    releaseReader(k, st);
    k.t.own('fileStates').set(st.id, st.with({ folio: null, freed: true }));
    setNull(k, dynptr);
    return 0;
  },
});

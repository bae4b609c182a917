import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { renderC } from '../src/index.ts';
import { directReaderObject, fileReaderObject } from '../examples/file_reader.ts';

// Golden files, reviewed by hand once; regenerate on purpose only.
const golden = (name: string): string => readFileSync(new URL(`./golden/${name}`, import.meta.url), 'utf8');

describe('rendering programs as BPF C', () => {
  test('the seed object matches its golden file', () => {
    expect(renderC(fileReaderObject())).toBe(golden('file_reader.bpf.c'));
  });
  test('the direct-reader object matches its golden file', () => {
    expect(renderC(directReaderObject('lsm/file_open'))).toBe(golden('file_reader_direct.bpf.c'));
  });
  test('sections, externs and the callback signature are as libbpf expects', () => {
    const c = renderC(fileReaderObject());
    expect(c).toContain('SEC("lsm/file_open")\nint BPF_PROG(on_open_validate_file_read, struct file *file)');
    expect(c).toContain('extern int bpf_dynptr_from_file(struct file *file, __u32 flags, struct bpf_dynptr *ptr__uninit) __ksym;');
    expect(c).toContain('static int task_work_callback(struct bpf_map *map, void *key, void *value)');
    expect(c).toContain('} arrmap SEC(".maps");');
    expect(c).not.toContain('extern long bpf_map_lookup_elem'); // helpers come from bpf_helpers.h
  });
});

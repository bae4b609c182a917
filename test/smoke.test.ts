import { expect, test } from 'vitest';
import { Session, content } from '../src/index.ts';
test('smoke', () => {
  const s = new Session();
  s.createFile({ path: '/f', content: content.zero(), size: 10 });
  expect(s.bpf_dynptr_from_file(s.open('/f'), 0, 'd')).toBe(0);
});

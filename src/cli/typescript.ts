/**
 * TypeScript scenario files (`kernsim run x.scenario.ts`). The CLI runs compiled JavaScript, and Node
 * 20 cannot import `.ts` by itself, so the first such file registers tsx's loader, which the checkout
 * has as a development dependency (a project that installed kernsim: `npm install --save-dev tsx`).
 * Loaded only when a `.ts` file is named: JSON and `.mjs` scenarios never pay for it.
 */
import { ScenarioError } from '../scenario/run.ts';

let registered = false;

/** Make `import()` of a `.ts`/`.mts`/`.cts` file work, or refuse `file` with what to do instead. */
export async function ensureTypeScriptLoader(file: string): Promise<void> {
  if (registered || !/\.[mc]?ts$/.test(file)) return;
  let api: { register: () => unknown };
  try {
    api = (await import('tsx/esm/api')) as { register: () => unknown };
  } catch {
    throw new ScenarioError(file, [{
      path: '/',
      expected: 'a JSON or .mjs scenario: a TypeScript scenario needs tsx beside kernsim (npm install --save-dev tsx)',
    }]);
  }
  api.register();
  registered = true;
}

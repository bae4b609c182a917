/**
 * A Stryker ignorer (plugin kind `Ignore`) for kernsim: no mutants in text that only documents or
 * describes the model, never decides what it does.
 *
 * - the documentation fields of a kfunc definition (`defineKfunc({ mirrors, summary, checks, effects,
 *   confidence })`): rendered by `npm run docs` and `kernsim explain`, never read by a rule;
 * - the arguments of a thrown model error (`new ArgumentError(…)`, `new UseAfterFreeError(…)`, …): the
 *   message text; whether and where the error is thrown is still mutated;
 * - `formatEvent` (src/model/trace.ts): the human-readable line of a trace event (the events
 *   themselves, which properties read, are still mutated).
 */
import { declareValuePlugin, PluginKind } from '@stryker-mutator/api/plugin';

const DOC_FIELDS = new Set(['mirrors', 'summary', 'checks', 'effects', 'confidence']);
const ERRORS = /^(?:[A-Z][A-Za-z]*Error)$/;

function isDefineKfuncArg(path) {
  const obj = path.parentPath;
  const call = obj?.parentPath;
  return obj?.isObjectExpression() && call?.isCallExpression() && call.node.callee.type === 'Identifier' && call.node.callee.name === 'defineKfunc';
}

export const strykerPlugins = [
  declareValuePlugin(PluginKind.Ignore, 'kernsim-presentation', {
    shouldIgnore(path) {
      if (path.isObjectProperty() && path.node.key.type === 'Identifier' && DOC_FIELDS.has(path.node.key.name) && isDefineKfuncArg(path)) {
        return 'kfunc documentation field (docs and explain only)';
      }
      if (path.isNewExpression() && path.node.callee.type === 'Identifier' && ERRORS.test(path.node.callee.name)) {
        return 'error message text';
      }
      if (path.isFunctionDeclaration() && path.node.id?.name === 'formatEvent') {
        return 'trace formatting for people';
      }
      return undefined;
    },
  }),
];

/**
 * A Stryker ignorer (plugin kind `Ignore`) for kernsim: no mutants in text that only documents or
 * describes the model, never decides what it does.
 *
 * - the documentation fields of a kfunc definition (`defineKfunc({ mirrors, summary, checks, effects,
 *   confidence })`): rendered by `npm run docs` and `kernsim explain`, never read by a rule;
 * - the arguments of a thrown model error (`new ArgumentError(…)`, `new UseAfterFreeError(…)`, …): the
 *   message text; whether and where the error is thrown is still mutated;
 * - the model's error classes (src/model/kernel/errors.ts): their `name` and the message their constructor
 *   passes to `super(…)`, and `show`, which formats a value for that message;
 * - `registersRead` (src/model/program/program.ts): only render.ts, which tools/stryker/stryker.config.mjs leaves unmutated, uses it;
 * - `formatTrace` and `compactRanges` (src/model/world/trace.ts): the trace as text for people;
 * - `formatEvent` (src/model/world/trace.ts): the human-readable line of a trace event (the events
 *   themselves, which properties read, are still mutated);
 * - the trace: the calls `emit(k, {…})` that append an event, and the `why` argument of
 *   `move(k, ctx, to, why)` and `ctxPut(k, ctx, why)` (src/task_work/bpf_task_work.ts), which only
 *   label events (the state changes themselves are still mutated);
 * - the names that only flow into error messages: the `argument` string of the lookup and guard
 *   helpers (`dynptrAt(k, slot, 'p')`, `liveFile(k, id, 'file')`, …), and in a kfunc definition its
 *   `kind` ('kfunc' or 'helper') and the `name` of each argument.
 */
import { declareValuePlugin, PluginKind } from '@stryker-mutator/api/plugin';

const DOC_FIELDS = new Set(['mirrors', 'summary', 'checks', 'effects', 'confidence']);
const ERRORS = /^(?:[A-Z][A-Za-z]*Error)$/;

function isDefineKfuncArg(path) {
  const obj = path.parentPath;
  const call = obj?.parentPath;
  return obj?.isObjectExpression() && call?.isCallExpression() && call.node.callee.type === 'Identifier' && call.node.callee.name === 'defineKfunc';
}

const WHY_ARG = new Map([['move', 3], ['ctxPut', 2]]);
/** Helpers whose last parameter is the argument name used in their error messages. */
const ARGUMENT_NAME_LAST = new Set([
  'dynptrAt', 'uninitSlot', 'fileStateOf', 'dynptrSize', 'requireCapacity', 'optionalCapacity', 'checkSlotName',
  'liveFile', 'inodeOf', 'inodeByPath', 'toByte', 'mapOf', 'mapByName', 'twSlot', 'taskOf', 'fileFetch',
]);

/** Inside `class X extends …Error` (the model's error classes, src/model/errors.ts). */
function isInErrorClass(path) {
  const cls = path.findParent((p) => p.isClassDeclaration());
  const sup = cls?.node.superClass;
  return sup?.type === 'Identifier' && (sup.name === 'Error' || ERRORS.test(sup.name));
}

/** The module that defines the error classes (it declares `class KernsimError extends Error`). */
function isErrorsModule(path) {
  const program = path.findParent((p) => p.isProgram());
  return program?.node.body.some((n) => (n.type === 'ExportNamedDeclaration' ? n.declaration : n)?.type === 'ClassDeclaration'
    && (n.type === 'ExportNamedDeclaration' ? n.declaration : n).id?.name === 'KernsimError') ?? false;
}

const calleeName = (call) => (call.node.callee.type === 'Identifier' ? call.node.callee.name : undefined);

function isArgSpecName(path) {
  // { name: '…', type: … } inside the `args: [ … ]` of a defineKfunc({ … }) call.
  const spec = path.parentPath;
  const arr = spec?.parentPath;
  const prop = arr?.parentPath;
  return spec?.isObjectExpression() && arr?.isArrayExpression() && prop?.isObjectProperty() && prop.node.key.type === 'Identifier'
    && prop.node.key.name === 'args' && isDefineKfuncArg(prop);
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
      if (path.isCallExpression() && calleeName(path) === 'emit') {
        return 'trace event';
      }
      if (path.isExpressionStatement() && path.node.expression.type === 'CallExpression' && path.node.expression.callee.type === 'Identifier'
        && path.node.expression.callee.name === 'emit') {
        return 'trace event';
      }
      const call = path.parentPath;
      if (call?.isCallExpression() && WHY_ARG.get(calleeName(call)) === call.node.arguments.indexOf(path.node)) {
        return 'trace event explanation text';
      }
      if ((path.isStringLiteral() || path.isTemplateLiteral()) && call?.isCallExpression() && ARGUMENT_NAME_LAST.has(calleeName(call))
        && call.node.arguments.length > 1 && call.node.arguments.at(-1) === path.node) {
        return 'argument name for an error message';
      }
      if (path.isObjectProperty() && path.node.key.type === 'Identifier' && path.node.key.name === 'kind' && isDefineKfuncArg(path)) {
        return 'kfunc documentation field (kfunc or helper)';
      }
      if (path.isObjectProperty() && path.node.key.type === 'Identifier' && path.node.key.name === 'name' && isArgSpecName(path)) {
        return 'kfunc argument name (documentation and error messages)';
      }
      if (path.isVariableDeclarator() && path.node.id.type === 'Identifier' && ['CHECKS', 'EFFECTS', 'MIRRORS'].includes(path.node.id.name)) {
        return 'kfunc documentation text shared by several definitions';
      }
      if (path.isFunctionDeclaration() && ['formatEvent', 'formatTrace', 'compactRanges'].includes(path.node.id?.name)) {
        return 'trace formatting for people';
      }
      if (path.isFunctionDeclaration() && path.node.id?.name === 'registersRead') {
        return 'only render.ts (BPF C text for people, not mutated) reads it';
      }
      if (isInErrorClass(path)) {
        // The message (the `super(…)` text and `show`, which only builds it) and the `name` of an
        // error class: what the error says, not whether or where it is thrown.
        if (path.isCallExpression() && path.node.callee.type === 'Super') return 'error message text';
        if (path.isClassProperty() && path.node.key.type === 'Identifier' && path.node.key.name === 'name') return 'error class name (message text)';
      }
      if (path.isFunctionDeclaration() && path.node.id?.name === 'show' && path.parentPath?.isProgram() && isErrorsModule(path)) {
        return 'error message text (formats a value for a message)';
      }
      return undefined;
    },
  }),
];

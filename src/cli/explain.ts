/**
 * `kernsim explain KFUNC`: the rule as the model states it, generated from the kfunc table (the same
 * definitions the model runs), never typed twice: the kfunc's page (src/docs/kfunc_page.ts, also the
 * source of docs/kfuncs/*.md), as plain text for a terminal.
 */
import type { AnyKfunc } from '../model/kfunc/kfunc.ts';
import { kfuncMarkdown } from '../docs/kfunc_page.ts';

/** The explanation of one kfunc as Markdown (the docs page). */
export function explainMarkdown(def: AnyKfunc): string {
  return kfuncMarkdown(def);
}

/** The same, as plain text for a terminal. */
export function explainText(def: AnyKfunc): string {
  return explainMarkdown(def).replace(/^```\w*\n/gm, '').replace(/^# /gm, '').replace(/^## /gm, '').replace(/`/g, '');
}

/**
 * The command line's help texts and exit codes, apart from the commands: `bin/kernsim.mjs` answers
 * `kernsim --help` and `kernsim COMMAND --help` from this module alone, without loading the model, so
 * the answer comes about as fast as Node starts (bench/: "kernsim --help"). The budget defaults are
 * written out here for that reason; test/cli.test.ts checks them against `DEFAULT_BUDGETS`.
 */

/** Exit codes (documented in --help and the README). */
export const EXIT = { pass: 0, mismatch: 1, badInput: 2, internal: 3 } as const;

const EXIT_TEXT = `Exit status:
  0  every scenario ran and met its expectations
  1  a scenario ran and an expectation did not hold (a mismatch)
  2  bad input: a scenario file or an argument was refused (each problem printed with its place),
     or a run went past a budget
  3  an internal error of kernsim (please report it with the scenario)`;

const TS_NOTE = `A .ts/.js scenario is a module: it is code, and kernsim runs it with your rights (as node would).
Run only scenario modules you trust; JSON scenarios are data and are only validated.`;

const BUDGET_TEXT = `  --budget NAME=N[,NAME=N]  raise or lower a limit of the run (defaults: steps=1000000,
                          time=1000000000000 ticks, ops=1000000 per program run, bytes=268435456)`;

export const HELP: Readonly<Record<string, string>> = {
  main: `kernsim: a deterministic model of Linux BPF file dynptrs, page cache and task_work

Usage: kernsim <command> [options]

Commands:
  run FILE...            run scenarios and compare with their expectations
  trace FILE             print a scenario's full event trace (--timeline out.svg|out.html draws it,
                         --perfetto out.json exports it for ui.perfetto.dev)
  explain KFUNC          the rule for a kfunc, from the model's own tables
  render FILE --c        a scenario's programs as BPF C
  replay --seed N --path P [--property NAME]   re-run a failing property case and show its trace

Run 'kernsim <command> --help' for a command's options.

${TS_NOTE}

${EXIT_TEXT}`,
  run: `Usage: kernsim run FILE... [--json] [--seed N] [--budget NAME=N,...]

Run each scenario (JSON, or a TypeScript module whose default export is a scenario), compare the
outcome with its "expect" section, and print a verdict per scenario. A file that cannot be run is
reported as 'kernsim: FILE: …' lines and the next file runs.
  --json     one JSON document with every check, for machines
  --seed N   run under a seeded schedule instead of the scenario's own
${BUDGET_TEXT}

${TS_NOTE}

${EXIT_TEXT}`,
  trace: `Usage: kernsim trace FILE [--seed N] [--budget NAME=N,...] [--timeline out.svg|out.html] [--perfetto out.json]

Print the scenario's event trace: every syscall, program, kfunc call and return value, I/O, sleep,
irq_work and task_work step.
  --timeline F   also draw it: SVG (F ends in .svg), or an HTML page around the SVG (.html); other
                 formats (PNG, …) are refused: open the HTML in a browser to take a screenshot
  --perfetto F   also write it as Chrome/Perfetto trace-event JSON (ui.perfetto.dev, chrome://tracing):
                 a track per task, one for I/O and one for irq_work; kfunc calls are slices whose
                 args hold the arguments and the return value
${BUDGET_TEXT}

${TS_NOTE}

${EXIT_TEXT}`,
  explain: `Usage: kernsim explain KFUNC

Arguments, checks in the kernel's order with their errnos, effects, the kernel function it mirrors,
and the program types and versions that may call it. 'kernsim explain --list' lists the kfuncs.`,
  render: `Usage: kernsim render FILE --c

Print the scenario's BPF objects as C source (SEC names, __ksym externs, maps, globals).

${TS_NOTE}`,
  replay: `Usage: kernsim replay --seed N --path P [--property NAME]

Re-run the property suite with fast-check's seed and path (as printed by a failure), for the
properties whose name matches NAME (a vitest -t pattern); the failure report includes the shrunk
program as C and its trace. Needs kernsim's source checkout (its properties/ folder). Exit status 2
when an argument is refused or no property matches NAME.`,
};

/**
 * Print a command's help (the main help for an unknown one): to stdout and 0 when asked for; to
 * stderr, after a `kernsim: COMMAND: reason` line, and 2 when the usage was wrong.
 */
export function usage(cmd: string, wrong: boolean, reason = ''): number {
  if (wrong && reason !== '') console.error(`kernsim: ${cmd === 'main' ? 'kernsim' : cmd}: ${reason}\n`);
  (wrong ? console.error : console.log)(HELP[cmd] ?? HELP.main);
  return wrong ? EXIT.badInput : EXIT.pass;
}

/**
 * The exit code when `argv` asks only for help (`kernsim`, `kernsim --help`, `kernsim help`,
 * `kernsim run --help`, …), after printing it; null when it asks for anything else.
 */
export function quickHelp(argv: readonly string[]): number | null {
  const [cmd, ...rest] = argv;
  if (cmd === undefined) return usage('main', true, 'expected a command');
  if (rest.length === 0 && (cmd === '--help' || cmd === '-h' || cmd === 'help')) return usage('main', false);
  if (rest.length === 1 && (rest[0] === '--help' || rest[0] === '-h') && Object.hasOwn(HELP, cmd) && cmd !== 'main') return usage(cmd, false);
  return null;
}

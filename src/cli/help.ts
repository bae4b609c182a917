/**
 * The command line's help texts, apart from the commands: `bin/kernsim.mjs` answers `kernsim --help`
 * and `kernsim COMMAND --help` from this module alone, without loading the model, so the answer comes
 * about as fast as Node starts (bench/: "kernsim --help").
 */
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

Run 'kernsim <command> --help' for a command's options.`,
  run: `Usage: kernsim run FILE... [--json] [--seed N]

Run each scenario (JSON, or a TypeScript module whose default export is a scenario), compare the
outcome with its "expect" section, and print a verdict per scenario. Exits 1 on any mismatch.
  --json     one JSON document with every check, for machines
  --seed N   run under a seeded schedule instead of the scenario's own`,
  trace: `Usage: kernsim trace FILE [--seed N] [--timeline out.svg|out.html] [--perfetto out.json]

Print the scenario's event trace: every syscall, program, kfunc call and return value, I/O, sleep,
irq_work and task_work step.
  --timeline F   also draw it: SVG (F ends in .svg), or an HTML page around the SVG (.html); other
                 formats (PNG, …) are refused: open the HTML in a browser to take a screenshot
  --perfetto F   also write it as Chrome/Perfetto trace-event JSON (ui.perfetto.dev, chrome://tracing):
                 a track per task, one for I/O and one for irq_work; kfunc calls are slices whose
                 args hold the arguments and the return value`,
  explain: `Usage: kernsim explain KFUNC

Arguments, checks in the kernel's order with their errnos, effects, the kernel function it mirrors,
and the program types and versions that may call it. 'kernsim explain --list' lists the kfuncs.`,
  render: `Usage: kernsim render FILE --c

Print the scenario's BPF objects as C source (SEC names, __ksym externs, maps, globals).`,
  replay: `Usage: kernsim replay --seed N --path P [--property NAME]

Re-run the property suite with fast-check's seed and path (as printed by a failure), for one
property if NAME is given; the failure report includes the shrunk program as C and its trace.`,
};

/** Print a command's help (the main help for an unknown one): to stdout and 0 when asked for, to stderr and 2 when the usage was wrong. */
export function usage(cmd: string, wrong: boolean): number {
  (wrong ? console.error : console.log)(HELP[cmd] ?? HELP.main);
  return wrong ? 2 : 0;
}

/**
 * The exit code when `argv` asks only for help (`kernsim`, `kernsim --help`, `kernsim help`,
 * `kernsim run --help`, …), after printing it; null when it asks for anything else.
 */
export function quickHelp(argv: readonly string[]): number | null {
  const [cmd, ...rest] = argv;
  if (cmd === undefined) return usage('main', true);
  if (rest.length === 0 && (cmd === '--help' || cmd === '-h' || cmd === 'help')) return usage('main', false);
  if (rest.length === 1 && (rest[0] === '--help' || rest[0] === '-h') && Object.hasOwn(HELP, cmd) && cmd !== 'main') return usage(cmd, false);
  return null;
}

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
  explore FILE...        every schedule of each scenario: each expectation Always, Sometimes or
                         Never, with the schedules counted and a witness (choices, trace) per side
  explain KFUNC          the rule for a kfunc, from the model's own tables
  render FILE --c        a scenario's programs as BPF C
  replay --seed N --path P [--property NAME]   re-run a failing property case and show its trace
  replay FILE --choices LIST                   replay a schedule (a witness of explore): its trace

Run 'kernsim <command> --help' for a command's options.

${TS_NOTE}

${EXIT_TEXT}`,
  run: `Usage: kernsim run FILE... [--json] [--seed N | --choices LIST] [--budget NAME=N,...]

Run each scenario (JSON, or a TypeScript module whose default export is a scenario), compare the
outcome with its "expect" section, and print a verdict per scenario. A file that cannot be run is
reported as 'kernsim: FILE: …' lines and the next file runs. A scenario that states the class of an
expectation ("class": "always" | "sometimes" | "never") is checked by exploring every schedule
(kernsim explore), unless --seed or --choices gives one schedule; a class that a bound leaves
unconfirmed exits 2.
  --json          one JSON document with every check, for machines
  --seed N        run under a seeded schedule instead of the scenario's own
  --choices LIST  run under this list of scheduler choices (a witness of kernsim explore: 0,2,1)
${BUDGET_TEXT}

${TS_NOTE}

${EXIT_TEXT}`,
  trace: `Usage: kernsim trace FILE [--seed N | --choices LIST] [--budget NAME=N,...] [--timeline out.svg|out.html] [--perfetto out.json]

Print the scenario's event trace: every syscall, program, kfunc call and return value, I/O, sleep,
irq_work and task_work step. --choices LIST replays a list of scheduler choices (a witness of
kernsim explore); --seed N a seeded schedule.
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
  explore: `Usage: kernsim explore FILE... [--json] [--brief] [--timeline DIR] [--no-reduction] [--compare]
                        [--any-order] [--max-states N] [--max-transitions N] [--max-depth N]
                        [--time-limit S] [--sample N] [--seed S] [--budget NAME=N,...]

Explore every schedule of each scenario (depth-first over the scheduler's choices; equal states
explored once; a partial-order reduction skips orders of independent steps) and print, for the
run's completion and each expectation, its class over the schedules: Always, Sometimes or Never,
with the schedules in which it holds and fails, the values it took, and a witness per side: the
list of choices that replays it (kernsim trace FILE --choices LIST) and its trace. A scenario that
states classes ("class": "sometimes", …) is checked against them, like a litmus test. "smp": true in
a scenario adds the races of a machine of several CPUs (the irq_work of bpf_task_work stopping
between its steps, a callback interrupted as it starts). Then the state space: states, transitions
(steps carried out), schedules, final states, depth, time.
  --json             one JSON document per scenario (witness traces included unless --brief)
  --brief            witnesses as choice lists only
  --timeline DIR     write each witness's timeline to DIR/NAME.W1.html, …
  --no-reduction     explore without the partial-order reduction
  --compare          explore both ways and print the reduction's factor
  --any-order        let the page reads of one request complete in any order (default: in order,
                     as the folios of one bio do; every other order is explored)
  --max-states N     stop after N distinct states (default 200000)
  --max-transitions N  stop after N steps (default 2000000)
  --max-depth N      cut schedules longer than N steps (default 10000)
  --time-limit S     stop after S seconds of wall time (default 300)
  --sample N         past a bound, also run N random schedules (default 1000; 0: none)
  --seed S           the seed of those samples (default 1)
${BUDGET_TEXT}
Past a bound the classes are only what was seen: a Sometimes is certain, an Always or a Never is
marked '?' and a stated class left unconfirmed exits 2.

${TS_NOTE}

${EXIT_TEXT}`,
  replay: `Usage: kernsim replay --seed N --path P [--property NAME]
       kernsim replay FILE --choices LIST   (the same as kernsim trace FILE --choices LIST)

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

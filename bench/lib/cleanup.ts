/**
 * Teardown steps registered as resources are created, run in reverse order exactly once:
 * at the end of the benchmark, on an error, or on Ctrl-C / SIGTERM. A failing step is reported
 * and the remaining steps still run.
 */
export class Cleanup {
  private readonly steps: Array<{ what: string; fn: () => Promise<unknown> }> = [];
  private running: Promise<void> | undefined;

  constructor(private readonly report: (msg: string) => void) {}

  add(what: string, fn: () => Promise<unknown>): void {
    this.steps.push({ what, fn });
  }

  run(): Promise<void> {
    this.running ??= (async () => {
      for (const step of this.steps.reverse()) {
        try {
          await step.fn();
        } catch (err) {
          this.report(`cleanup: could not ${step.what}: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
    })();
    return this.running;
  }
}

/**
 * Ctrl-C / SIGTERM for a benchmark: the first signal aborts the returned signal (the measurement
 * stops where it is and the normal path cleans up); a second one runs `cleanup` at once and exits 130.
 */
export function interruptOnSignals(cleanup: Cleanup, report: (msg: string) => void): AbortSignal {
  const interrupted = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted.signal.aborted) {
      report(`${signal} again: cleaning up now`);
      void cleanup.run().finally(() => process.exit(130));
      return;
    }
    report(`${signal}: stopping, then cleaning up (again to force)`);
    interrupted.abort(new Error(`interrupted by ${signal}`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return interrupted.signal;
}

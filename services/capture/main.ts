/**
 * Entry of `provstream run` (bin/provstream.js comes here directly for `run`, skipping the CLI's
 * other modules: the wrapper's start-up time is the command's delay). Everything after `run` is
 * the wrapper's options and the command.
 */
import { runCommand } from './run.js';

export function main(args: readonly string[]): Promise<never> {
  return runCommand(args, process.env, process.cwd());
}

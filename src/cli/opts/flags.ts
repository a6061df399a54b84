/** Commander helpers for docker-style flags. */
import { Option, type Command } from 'commander';

/** Repeatable flag: `-e A -e B` -> ["A", "B"]. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return previous ? [...previous, value] : [value];
}

/** Adds a repeatable string flag. */
export function listOption(cmd: Command, flags: string, description: string): Command {
  return cmd.addOption(new Option(flags, description).argParser(collect));
}

/** Adds a boolean flag and its hidden `--no-` form (so `--flag=false` can be rewritten to it). */
export function boolOption(cmd: Command, flags: string, description: string): Command {
  cmd.option(flags, description);
  const long = /--([a-z0-9-]+)/.exec(flags)?.[1];
  if (long) cmd.addOption(new Option(`--no-${long}`).hideHelp());
  return cmd;
}

/**
 * The commander plumbing: a Command subclass that accepts docker's `--flag=false` for boolean flags,
 * docker-style usage errors, and the CLI's error type. No command logic here.
 */
import { Command, CommanderError, type HelpContext, type Option, type OptionValues } from 'commander';

/** An error that ends the CLI with a given status; message printed as-is to stderr when not empty. */
export class CliError extends Error {
  readonly status: number;
  constructor(status: number, message = '') {
    super(message);
    this.status = status;
  }
}

const passThrough = new WeakSet<Command>();

export class BerthCommand extends Command {
  /**
   * A subcommand's options, kept aside until the command is parsed or a help shows it: most of a
   * start-up went into registering the options of ~150 commands of which one runs (bench/README.md,
   * issue 16). Commander reads a command's options only in those two places.
   */
  private pending: Option[] | undefined;

  override createCommand(name?: string): BerthCommand {
    const cmd = new BerthCommand(name);
    cmd.pending = [];
    return cmd;
  }

  override addOption(option: Option): this {
    if (this.pending) this.pending.push(option);
    else super.addOption(option);
    return this;
  }

  /** Registers the options kept aside, in their order. */
  private flushOptions(): void {
    const pending = this.pending;
    if (!pending) return;
    this.pending = undefined;
    for (const o of pending) super.addOption(o);
  }

  override helpInformation(context?: HelpContext): string {
    this.flushOptions();
    // the list of subcommands says which take options
    for (const c of this.commands) if (c instanceof BerthCommand) c.flushOptions();
    return super.helpInformation(context);
  }

  override opts<T extends OptionValues>(): T {
    this.flushOptions();
    return super.opts<T>();
  }

  /** Marks the command as taking `[OPTIONS] ARG [ARGS...]` where options end at the first operand. */
  positionalEnd(): this {
    passThrough.add(this);
    this.passThroughOptions();
    return this;
  }

  override parseOptions(argv: string[]): { operands: string[]; unknown: string[] } {
    this.flushOptions();
    return super.parseOptions(normalizeBoolArgs(this, argv));
  }

  /** Commander reports parse errors here: turn them into docker's messages, knowing the command. */
  override error(message: string, opts?: { code?: string; exitCode?: number }): never {
    throw fromCommanderError(new CommanderError(opts?.exitCode ?? 1, opts?.code ?? 'commander.error', message), this);
  }
}

/** `--rm=false` -> `--no-rm`, `--rm=true` -> `--rm` for boolean flags, up to the first operand. */
export function normalizeBoolArgs(cmd: Command, argv: readonly string[]): string[] {
  const out: string[] = [];
  const byLong = new Map(cmd.options.filter((o) => o.long).map((o) => [o.long as string, o]));
  const byShort = new Map(cmd.options.filter((o) => o.short).map((o) => [o.short as string, o]));
  const stopAtOperand = passThrough.has(cmd);
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--') break;
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = eq < 0 ? a : a.slice(0, eq);
      const opt = byLong.get(name);
      if (opt && eq >= 0 && !opt.required && !opt.optional) {
        const v = a.slice(eq + 1).toLowerCase();
        if (v === 'false' || v === '0' || v === 'f') {
          if (byLong.has(`--no-${name.slice(2)}`)) out.push(`--no-${name.slice(2)}`);
        } else out.push(name);
        continue;
      }
      out.push(a);
      if (opt && eq < 0 && opt.required && i + 1 < argv.length) out.push(argv[++i] as string);
      continue;
    }
    if (a.startsWith('-') && a.length > 1) {
      out.push(a);
      const last = byShort.get(`-${a[a.length - 1]}`);
      const onlyFlags = [...a.slice(1, -1)].every((c) => {
        const o = byShort.get(`-${c}`);
        return o !== undefined && !o.required && !o.optional;
      });
      if (last && last.required && onlyFlags && i + 1 < argv.length) out.push(argv[++i] as string);
      continue;
    }
    if (stopAtOperand) break;
    out.push(a);
  }
  for (; i < argv.length; i++) out.push(argv[i] as string);
  return out;
}

/** "berth container ls" for a command. */
export function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/** Usage line as docker prints it: `berth run [OPTIONS] IMAGE [COMMAND] [ARG...]`. */
export function usageLine(cmd: Command): string {
  return `${commandPath(cmd)} ${cmd.usage()}`;
}

/** Docker's "requires at least N argument(s)" usage error (exit 1). */
export function argsError(cmd: Command, what: string): CliError {
  const path = commandPath(cmd);
  return new CliError(1, `berth: '${path}' ${what}\n\nUsage:  ${usageLine(cmd)}\n\nSee '${path} --help' for more information`);
}

/** Checks the operand count as docker's cli.RequiresMinArgs / ExactArgs / NoArgs do. */
export function checkArgs(cmd: Command, args: readonly string[], min: number, max = Infinity): void {
  const n = args.length;
  const plural = (k: number) => (k === 1 ? 'argument' : 'arguments');
  if (min === 0 && max === 0 && n > 0) throw argsError(cmd, 'accepts no arguments');
  if (min === max && n !== min) throw argsError(cmd, `requires exactly ${min} ${plural(min)}`);
  if (n < min) throw argsError(cmd, `requires at least ${min} ${plural(min)}`);
  if (n > max) throw argsError(cmd, `requires at most ${max} ${plural(max)}`);
}

/** Maps commander's own parse errors to docker's texts and exit codes (flag errors: 125). */
export function fromCommanderError(err: CommanderError, cmd: Command | undefined): CliError {
  if (err.code === 'commander.helpDisplayed' || err.code === 'commander.help' || err.code === 'commander.version') {
    return new CliError(0);
  }
  const path = cmd ? commandPath(cmd) : 'berth';
  const usage = cmd ? `\n\nUsage:  ${usageLine(cmd)}\n\nRun '${path} --help' for more information` : '';
  const quoted = /'([^']+)'/.exec(err.message)?.[1] ?? '';
  let msg: string;
  switch (err.code) {
    case 'commander.unknownOption':
      msg = quoted.startsWith('--') ? `unknown flag: ${quoted}` : `unknown shorthand flag: '${quoted.slice(1, 2)}' in ${quoted}`;
      break;
    case 'commander.optionMissingArgument': {
      const flag = /'([^']+)'/.exec(err.message)?.[1] ?? '';
      const long = /--[a-z0-9-]+/.exec(flag)?.[0] ?? flag;
      msg = `flag needs an argument: ${long}`;
      break;
    }
    case 'commander.invalidArgument':
      msg = err.message.replace(/^error: /, '');
      break;
    case 'commander.unknownCommand':
      return new CliError(1, `berth: unknown command: berth ${quoted}\n\nRun 'berth --help' for more information`);
    default:
      msg = err.message.replace(/^error: /, '');
  }
  return new CliError(125, `${msg}${usage}`);
}

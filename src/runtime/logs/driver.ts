/**
 * Log drivers as clients see them (HostConfig.LogConfig): Berth stores what conmon writes, but reports
 * and validates drivers as dockerd does. `json-file` (dockerd's default) and `local` are kept in the log
 * file and can be read back; `none` keeps nothing (conmon runs with its `none` driver) and
 * `docker logs` answers dockerd's 501. A container's LogConfig is merged with the daemon's default
 * (daemon.json `log-driver` / `log-opts`) as dockerd's mergeAndVerifyLogConfig does. Pure.
 */
import { BerthError, invalidArgument } from '../../core/errors.js';
import type { LogConfig } from '../../api/types.js';
import { parseLogOptions, parseSize, type LogOptions } from './rotate.js';

export const DEFAULT_LOG_DRIVER = 'json-file';
/** the drivers Berth has: /info lists them as its log plugins */
export const LOG_DRIVERS = ['json-file', 'local', 'none'] as const;

/** dockerd's ErrReadLogsNotSupported */
export const LOGS_NOT_READABLE = 'configured logging driver does not support reading';

export interface ResolvedLogConfig { Type: string; Config: Record<string, string> }

const LOCAL_KEYS = ['max-file', 'max-size', 'compress'];

/** The checks of dockerd's logger.ValidateLogOpts for the drivers Berth has; throws InvalidArgument. */
export function validateLogConfig(type: string, config: Record<string, string>): void {
  if (type === 'none') return;
  const mode = config.mode ?? '';
  if (!['', 'blocking', 'non-blocking'].includes(mode)) throw invalidArgument(`logger: logging mode not supported: ${mode}`);
  if (config['max-buffer-size'] !== undefined) {
    if (mode !== 'non-blocking') throw invalidArgument(`logger: max-buffer-size option is only supported with 'mode=non-blocking'`);
    parseSize(config['max-buffer-size']);
  }
  if (!(LOG_DRIVERS as readonly string[]).includes(type)) throw invalidArgument(`logger: no log driver named '${type}' is registered`);
  const own = Object.fromEntries(Object.entries(config).filter(([k]) => k !== 'mode' && k !== 'max-buffer-size'));
  if (type === 'json-file') {
    parseLogOptions(own);
    return;
  }
  for (const k of Object.keys(own)) if (!LOCAL_KEYS.includes(k)) throw invalidArgument(`unknown log opt '${k}' for log driver local`);
}

/**
 * A container's LogConfig at create: an empty Type takes the daemon's driver, and a container using the
 * daemon's driver inherits the daemon's options it does not set itself.
 */
export function mergeLogConfig(requested: LogConfig | undefined | null, daemon: ResolvedLogConfig): ResolvedLogConfig {
  if (requested !== undefined && requested !== null && (typeof requested !== 'object' || Array.isArray(requested))) throw invalidArgument('invalid LogConfig: want an object');
  const type = requested?.Type || daemon.Type;
  if (typeof type !== 'string') throw invalidArgument('invalid LogConfig.Type: want a string');
  const config: Record<string, string> = {};
  for (const [k, v] of Object.entries(requested?.Config ?? {})) {
    if (typeof v !== 'string') throw invalidArgument(`invalid log opt '${k}': want a string`);
    config[k] = v;
  }
  if (type === daemon.Type) for (const [k, v] of Object.entries(daemon.Config)) if (!(k in config)) config[k] = v;
  validateLogConfig(type, config);
  return { Type: type, Config: config };
}

/** daemon.json `log-driver` and `log-opts`, checked as dockerd checks them at start. */
export function daemonLogConfig(driver: unknown, opts: unknown): ResolvedLogConfig {
  if (driver !== undefined && typeof driver !== 'string') throw invalidArgument(`invalid value for log-driver: ${JSON.stringify(driver)}`);
  if (opts !== undefined && (typeof opts !== 'object' || opts === null || Array.isArray(opts))) throw invalidArgument(`invalid value for log-opts: ${JSON.stringify(opts)}`);
  const type = driver || DEFAULT_LOG_DRIVER;
  const config = { ...(opts as Record<string, string> | undefined) };
  try {
    validateLogConfig(type, config);
  } catch (e) {
    throw new BerthError('InvalidArgument', `failed to set log opts: ${(e as Error).message}`);
  }
  return { Type: type, Config: config };
}

/** Whether `docker logs` can read this container's logs. */
export function logsReadable(lc: LogConfig | undefined): boolean {
  return (lc?.Type ?? DEFAULT_LOG_DRIVER) !== 'none';
}

/** Rotation options of a container's log (json-file and local take max-size / max-file). */
export function rotationOf(lc: LogConfig | undefined): LogOptions {
  if (!lc?.Config || (lc.Type ?? DEFAULT_LOG_DRIVER) === 'none') return { maxSize: -1, maxFile: 1 };
  const { 'max-size': maxSize, 'max-file': maxFile } = lc.Config;
  // Docker's local driver defaults: 20m, 5 files
  if (lc.Type === 'local') return parseLogOptions({ 'max-size': maxSize ?? '20m', 'max-file': maxFile ?? '5' });
  return parseLogOptions({ ...(maxSize !== undefined ? { 'max-size': maxSize } : {}), ...(maxFile !== undefined ? { 'max-file': maxFile } : {}) });
}

/**
 * Container logs: conmon's k8s-file lines (parse), reading with tail/since/until/follow across rotated
 * files (readLogs), Docker's stream framing (frameStream/Demuxer) and rotation (LogRotator).
 */
export { parseLogLine, formatLogLine, parseTimestamp, formatTimestamp, unixToNs } from './line.js';
export type { LogLine, LogStream } from './line.js';
export { readLogs } from './reader.js';
export type { ReadLogsOptions, LogChunk } from './reader.js';
export { frameStream, Demuxer, demux } from './frame.js';
export type { Frame, StreamType } from './frame.js';
export { LogRotator, parseSize, parseLogOptions, planRotation, listLogFiles } from './rotate.js';
export type { LogOptions, RotationPlan } from './rotate.js';
export { mergeLogConfig, daemonLogConfig, validateLogConfig, logsReadable, rotationOf, DEFAULT_LOG_DRIVER, LOG_DRIVERS, LOGS_NOT_READABLE } from './driver.js';
export type { ResolvedLogConfig } from './driver.js';

/** The typed Docker Engine API client (used by the CLI and compose). */
export { BerthClient, type ClientOptions, type EventsOptions, type EventStream } from './client.js';
export { ContainersApi, type AttachOptions, type ListOptions, type LogsOptions, type LogsStream, type PendingWait, type StopOptions, type WaitCondition } from './containers.js';
export { ExecApi, type ExecStartOptions } from './exec.js';
export { NetworksApi, trimId, type NetworkInspectOptions } from './networks.js';
export { VolumesApi } from './volumes.js';
export { ImagesApi, ProgressError, progressMessages, type ImportOptions } from './images.js';
export { ConnectionError, DaemonError, describeError, errorFromResponse, kindForStatus } from './errors.js';
export { encodeFilters, parseFilters, type Filters } from './filters.js';
export { API_VERSION, DEFAULT_HOST, resolveHost, socketPathOf } from './host.js';
export * from './stream.js';
export { Transport, encodeQuery, readAll, type HijackedStream, type Query, type RequestOptions } from './transport.js';

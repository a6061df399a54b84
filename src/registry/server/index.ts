/**
 * Berth's registry server: an OCI distribution API server (pull, push, content discovery, content
 * management) with content-addressed storage on disk, optional htpasswd Basic auth and TLS.
 */
export { RegistryServer, parseAddr, type RegistryServerOptions } from './registryserver.js';
export { Registry, type RegistryOptions, type BlobInfo, type PushedManifest } from './registry.js';
export type { GcOptions, GcResult } from './gc.js';
export { RegistryError, type ErrorEntry, type RegistryErrorCode } from './errors.js';
export type { RequestHandler } from './handler.js';
export { serveCommand, gcCommand, type ServeCommandOptions, type GcCommandOptions } from './cli.js';

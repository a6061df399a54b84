/** Berth's embedded DNS server for user-defined networks (Docker's 127.0.0.11 resolver, on the gateways). */
export { DnsServer, RESPONSE_TTL, parseUpstream } from './server.js';
export type { DnsServerOptions } from './server.js';
export type { DnsAnswer, DnsResolver } from './types.js';

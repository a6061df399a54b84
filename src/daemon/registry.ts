/** What the daemon loads on its first pull, push or login (see registryClient in images.ts). */
export { decodeAuthHeader } from '../registry/client/auth.js';
export { login } from '../registry/login.js';
export { Progress } from '../registry/progress.js';
export { pull, pullAllTags } from '../registry/pull.js';
export { push } from '../registry/push.js';
export { inspectDistribution } from '../registry/inspect.js';
export { searchRegistry } from '../registry/search.js';

export { ImageStore, type ImageUser, type ImportOptions, type RemoveOptions, type SummaryOptions, type UsedBy } from './store.js';
export { ImageService, type RegistryAccess, type ImageServiceDeps, type ResolvedImage } from './service.js';
export type { ImageRecord } from './record.js';
export { chainIDs, shortId } from './record.js';
export type { ImageFilters } from './filters.js';
export { applyChanges } from './changes.js';

export * from './personal-data-vault';
export * from './blob-store';
export { Privacy1764230700000 } from './migrations/1764230700000-privacy';
export * from './schema';

export * from './cluster.js';
export * from './document.js';
export * from './placement.js';
export * from './problems.js';
export * from './quantities.js';
export * from './version.js';
export { ownedSetting, OWNED_SETTINGS } from './owned-settings.js';

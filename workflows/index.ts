// The workflow bundle entry: every workflow Lifeboat runs is exported here.
export { storageCheck } from './storage-check.js';

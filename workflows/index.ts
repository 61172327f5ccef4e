// The workflow bundle entry: every workflow Lifeboat runs is exported here.
export { etcdBackup } from './etcd-backup.js';
export { retention } from './retention.js';
export { storageCheck } from './storage-check.js';
export { etcdRestore } from './etcd-restore.js';
export { resourceBackup } from './resource-backup.js';
export { acmBackup } from './acm-backup.js';
export { resourceRestore } from './resource-restore.js';
export { acmRestore } from './acm-restore.js';

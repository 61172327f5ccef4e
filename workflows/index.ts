// The workflow bundle entry: every workflow Lifeboat runs is exported here.
export { etcdBackup } from './etcd-backup.js';
export { storageCheck } from './storage-check.js';

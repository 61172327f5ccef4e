/** What an empty `restore:` section of a cluster parses to (core/config/schema.ts). */
export const RESTORE_DEFAULTS = {
  requireApproval: false,
  approvalTimeout: '1h',
  bumpRevision: true,
  image: 'registry.k8s.io/etcd:3.6.14',
  verify: 'store-checksum',
  jobDeadline: '30m',
  backoffLimit: 2,
};

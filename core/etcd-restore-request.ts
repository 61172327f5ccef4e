/** What an etcd restore is asked to do: the etcdRestore workflow's input, read by its planning activity too. */
export interface EtcdRestoreRequest {
  cluster: string;
  /** `latest` (newest complete backup of any policy of the cluster) or a backup name; ignored with `from`. */
  backup: string;
  /** A snapshot Lifeboat did not make: an object in a configured location (e.g. a raw `etcdctl snapshot save`). */
  from?: { location: string; key: string };
  /** Ask for approval even when the cluster's config does not. */
  requireApproval?: boolean;
  /** Who asked (shown in the UI and the result). */
  requestedBy?: string;
}

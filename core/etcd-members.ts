import type { V1Container, V1StatefulSet } from '@kubernetes/client-node';
import { RESTORE_REPLICAS_ANNOTATION, rememberedCount } from './kube-metadata.js';

/**
 * What a restore must know about an etcd StatefulSet, read from its spec the way its own pods read it: each member's
 * name and peer URL, where the data directory lives on which volume claim, and how many members there are.
 * Pure, so every StatefulSet shape we meet gets a unit test.
 */
export interface EtcdMember {
  /** The member (and Pod) name, e.g. etcd-0. */
  name: string;
  peerUrl: string;
  /** The PersistentVolumeClaim the StatefulSet gives this member: <template>-<statefulset>-<ordinal>. */
  claim: string;
}

export interface EtcdMemberLayout {
  namespace: string;
  statefulSet: string;
  members: EtcdMember[];
  /** The volumeClaimTemplate holding the data, and where the etcd container mounts it. */
  claimTemplate: string;
  mountPath: string;
  /** The --data-dir inside the container: under mountPath. */
  dataDir: string;
  /** Labels the StatefulSet selects its Pods (and their claims) by. */
  selector: Record<string, string>;
}

export type LayoutResult = { ok: true; layout: EtcdMemberLayout } | { ok: false; error: string };

/** `--flag=value` or `--flag value` among a container's command and args; the last one wins, as in etcd. */
export function flagValue(argv: readonly string[], flag: string): string | undefined {
  let found: string | undefined;
  argv.forEach((arg, i) => {
    if (arg.startsWith(`${flag}=`)) found = arg.slice(flag.length + 1);
    else if (arg === flag && i + 1 < argv.length) found = argv[i + 1];
  });
  return found;
}

function etcdContainer(sts: V1StatefulSet): V1Container | undefined {
  const containers = sts.spec?.template.spec?.containers ?? [];
  return (
    containers.find((c) => [...(c.command ?? []), ...(c.args ?? [])].some((a) => /(^|\/)etcd$/.test(a))) ??
    containers.find((c) => c.name === 'etcd')
  );
}

/** $(VAR) as the kubelet expands it, for the variables that name the Pod (and nothing else the pod cannot know). */
function expandForPod(text: string, container: V1Container, podName: string): string | undefined {
  let unresolved = false;
  const expanded = text.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (whole, variable: string) => {
    const env = container.env?.find((e) => e.name === variable);
    if (env?.value !== undefined) return env.value;
    if (env?.valueFrom?.fieldRef?.fieldPath === 'metadata.name') return podName;
    unresolved = true;
    return whole;
  });
  return unresolved ? undefined : expanded;
}

function envValue(container: V1Container, name: string): string | undefined {
  return container.env?.find((e) => e.name === name)?.value;
}

/**
 * Members in ordinal order. Peer URLs come from --initial-cluster when it lists every member, else from
 * --initial-advertise-peer-urls with the Pod's name filled in (the usual `$(POD_NAME).<peer service>` form).
 */
export function etcdMemberLayout(sts: V1StatefulSet, replicas: number): LayoutResult {
  const namespace = sts.metadata?.namespace ?? '';
  const name = sts.metadata?.name ?? '';
  const where = `StatefulSet ${namespace}/${name}`;
  if (replicas < 1) {
    return {
      ok: false,
      error: `${where} has 0 replicas and no member count a restore remembered (${RESTORE_REPLICAS_ANNOTATION}): scale it to its member count first`,
    };
  }
  const container = etcdContainer(sts);
  if (!container) return { ok: false, error: `${where} has no etcd container (none runs etcd or is named "etcd")` };
  const argv = [...(container.command ?? []), ...(container.args ?? [])];

  const dataDir = flagValue(argv, '--data-dir') ?? envValue(container, 'ETCD_DATA_DIR');
  if (!dataDir) return { ok: false, error: `${where}: the etcd container sets no --data-dir (or ETCD_DATA_DIR)` };
  const templates = new Set((sts.spec?.volumeClaimTemplates ?? []).map((t) => t.metadata?.name ?? ''));
  const mount = (container.volumeMounts ?? [])
    .filter((m) => templates.has(m.name) && (dataDir === m.mountPath || dataDir.startsWith(`${m.mountPath}/`)))
    .sort((a, b) => b.mountPath.length - a.mountPath.length)[0];
  if (!mount) {
    return {
      ok: false,
      error: `${where}: the data directory ${dataDir} is not on a volumeClaimTemplate volume, so there is no volume to restore into`,
    };
  }

  const podNames = Array.from({ length: replicas }, (_, i) => `${name}-${i}`);
  const initialCluster = new Map(
    (flagValue(argv, '--initial-cluster') ?? envValue(container, 'ETCD_INITIAL_CLUSTER') ?? '')
      .split(',')
      .filter((entry) => entry.includes('='))
      .map((entry) => [entry.slice(0, entry.indexOf('=')), entry.slice(entry.indexOf('=') + 1)] as const),
  );
  const advertised =
    flagValue(argv, '--initial-advertise-peer-urls') ?? envValue(container, 'ETCD_INITIAL_ADVERTISE_PEER_URLS');
  const members: EtcdMember[] = [];
  for (const pod of podNames) {
    const peerUrl =
      initialCluster.get(pod) ?? (advertised ? expandForPod(advertised.split(',')[0]!, container, pod) : undefined);
    if (!peerUrl) {
      return {
        ok: false,
        error: `${where}: cannot tell member ${pod}'s peer URL (neither --initial-cluster lists it nor does --initial-advertise-peer-urls resolve for it)`,
      };
    }
    members.push({ name: pod, peerUrl, claim: `${mount.name}-${name}-${pod.slice(name.length + 1)}` });
  }
  return {
    ok: true,
    layout: {
      namespace,
      statefulSet: name,
      members,
      claimTemplate: mount.name,
      mountPath: mount.mountPath,
      dataDir,
      selector: sts.spec?.selector.matchLabels ?? {},
    },
  };
}

/**
 * How many members the cluster has: the replica count, unless a restore holds the StatefulSet at 0, in which case
 * the count it left in its annotation (a restore that was aborted, or is resuming, must bring all members back).
 */
export function memberCount(sts: V1StatefulSet): number {
  const held = rememberedCount(sts.metadata?.annotations, RESTORE_REPLICAS_ANNOTATION);
  return held !== undefined && held > 0 ? held : (sts.spec?.replicas ?? 1);
}

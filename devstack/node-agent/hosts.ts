import { existsSync, readFileSync, writeFileSync } from 'node:fs';

export const CLUSTER_DOMAIN = 'cluster.local';

/** The names a real cluster's DNS gives a Pod with spec.hostname and spec.subdomain (a StatefulSet member). */
export function podHostNames(pod: { namespace: string; hostname?: string; subdomain?: string }): string[] {
  if (!pod.hostname || !pod.subdomain) return [];
  const service = `${pod.hostname}.${pod.subdomain}.${pod.namespace}.svc`;
  return [`${service}.${CLUSTER_DOMAIN}`, service, pod.hostname];
}

/**
 * The node's hosts file, bind-mounted onto every container's /etc/hosts. It is rewritten in place (same inode), never
 * replaced: a bind mount pins the inode, so a rename would leave running containers with the old content.
 */
export class HostsFile {
  private readonly base: string;
  private readonly entries = new Map<string, { ip: string; names: string[] }>();

  constructor(
    readonly path: string,
    hostHostsFile = '/etc/hosts',
  ) {
    let host = '127.0.0.1 localhost\n';
    try {
      host = readFileSync(hostHostsFile, 'utf8');
    } catch {
      // No hosts file on the host: localhost is all a container needs from it.
    }
    this.base = host.endsWith('\n') ? host : `${host}\n`;
    // An existing file is left as it is until the Pods are known again: adopted containers keep resolving meanwhile.
    if (!existsSync(path)) this.write();
  }

  set(key: string, ip: string, names: string[]): void {
    const current = this.entries.get(key);
    if (current && current.ip === ip && current.names.join(' ') === names.join(' ')) return;
    this.entries.set(key, { ip, names });
    this.write();
  }

  delete(key: string): void {
    if (this.entries.delete(key)) this.write();
  }

  /** Writes the current entries: after the agent learned its Pods again, stale ones from a previous run go. */
  write(): void {
    const lines = [...this.entries.values()]
      .filter((e) => e.names.length > 0)
      .map((e) => `${e.ip}\t${e.names.join(' ')}`)
      .sort();
    // Truncate-and-write keeps the inode; one write call keeps the window with a partial file short.
    writeFileSync(this.path, `${this.base}# Pods (lifeboat node agent)\n${lines.join('\n')}\n`);
  }
}

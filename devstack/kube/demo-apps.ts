import { KubernetesObjectApi, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { createIfMissing } from './create.js';

/**
 * A few application objects for the example config's resource policies to find on first start: `demo/apps` selects
 * `app.kubernetes.io/part-of in (shop,billing)` in `shop` and `team-*` (not `team-sandbox`, not `lifeboat.dev/scratch`),
 * `hub/everything` objects labelled `cluster.open-cluster-management.io/backup`. Each namespace also holds an object
 * the policy leaves out, so a first backup shows the filters at work. Idempotent: a restarted stack keeps its objects.
 */
export async function seedDemoApps(admin: KubeConfig): Promise<void> {
  const api = KubernetesObjectApi.makeApiClient(admin);
  const shop = { 'app.kubernetes.io/part-of': 'shop' };
  const billing = { 'app.kubernetes.io/part-of': 'billing' };
  const objects: Manifest[] = [
    namespace('shop'),
    namespace('team-payments'),
    namespace('team-sandbox'),
    namespace('open-cluster-management-backup'),
    configMap('shop', 'storefront-settings', shop, { theme: 'dark', currency: 'EUR' }),
    secret('shop', 'storefront-db', shop, { password: 'not-a-real-password' }),
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { namespace: 'shop', name: 'storefront', labels: shop },
      spec: {
        // No replicas: the objects are what a resource backup keeps, and the demo node has better things to run.
        replicas: 0,
        selector: { matchLabels: { app: 'storefront' } },
        template: {
          metadata: { labels: { app: 'storefront', ...shop } },
          spec: { containers: [{ name: 'web', image: 'registry.example/storefront:1.4.2' }] },
        },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { namespace: 'shop', name: 'storefront', labels: shop },
      spec: { selector: { app: 'storefront' }, ports: [{ port: 80, targetPort: 8080 }] },
    },
    configMap('shop', 'scratch-notes', { ...shop, 'lifeboat.dev/scratch': 'true' }, { note: 'left out by !scratch' }),
    configMap('team-payments', 'invoice-rules', billing, { dueDays: '30' }),
    configMap('team-payments', 'unlabelled', {}, { note: 'left out by the label selector' }),
    configMap('team-sandbox', 'experiment', billing, { note: 'left out by excludedNamespaces' }),
    configMap(
      'open-cluster-management-backup',
      'hub-settings',
      { 'cluster.open-cluster-management.io/backup': '' },
      { region: 'eu-1' },
    ),
  ];
  for (const object of objects) await createIfMissing(api, object);
}

/** An object as written here: the client's type has no room for spec or data. */
type Manifest = KubernetesObject & Record<string, unknown>;

function namespace(name: string): Manifest {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name } };
}

function configMap(ns: string, name: string, labels: Record<string, string>, data: Record<string, string>): Manifest {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { namespace: ns, name, labels }, data };
}

function secret(
  ns: string,
  name: string,
  labels: Record<string, string>,
  stringData: Record<string, string>,
): Manifest {
  return { apiVersion: 'v1', kind: 'Secret', metadata: { namespace: ns, name, labels }, stringData };
}

import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { inClusterConnection, kubeconfigCredentials, KubeconfigError } from '../../core/kubeconfig.js';

const b64 = (text: string) => Buffer.from(text).toString('base64');

function kubeconfig(
  overrides: { cluster?: object; user?: object; currentContext?: string | null; extra?: object } = {},
) {
  const doc: Record<string, unknown> = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: 'local',
        cluster: { server: 'https://127.0.0.1:6443/', 'certificate-authority': 'ca.pem', ...overrides.cluster },
      },
      { name: 'other', cluster: { server: 'https://10.0.0.1:6443', 'insecure-skip-tls-verify': true } },
    ],
    users: [
      { name: 'admin', user: { 'client-certificate': 'admin.pem', 'client-key': 'admin-key.pem', ...overrides.user } },
      { name: 'robot', user: { token: 'sekret' } },
    ],
    contexts: [
      { name: 'local', context: { cluster: 'local', user: 'admin' } },
      { name: 'robot', context: { cluster: 'other', user: 'robot', namespace: 'ops' } },
      { name: 'dangling', context: { cluster: 'gone', user: 'admin' } },
      { name: 'nobody', context: { cluster: 'local', user: 'ghost' } },
    ],
    ...overrides.extra,
  };
  if (overrides.currentContext !== null) doc['current-context'] = overrides.currentContext ?? 'local';
  return stringify(doc);
}

describe('kubeconfigCredentials', () => {
  it('reads the current context: server without trailing slash, files as written, TLS verified', () => {
    expect(kubeconfigCredentials(kubeconfig())).toEqual({
      kind: 'static',
      context: 'local',
      cluster: 'local',
      user: 'admin',
      connection: {
        server: 'https://127.0.0.1:6443',
        ca: { file: 'ca.pem' },
        cert: { file: 'admin.pem' },
        key: { file: 'admin-key.pem' },
        insecureSkipTlsVerify: false,
      },
    });
  });

  it('takes a named context over the current one, with an inline token and insecure-skip-tls-verify', () => {
    const credentials = kubeconfigCredentials(kubeconfig(), 'robot');
    expect(credentials).toMatchObject({ kind: 'static', context: 'robot', user: 'robot' });
    expect(credentials.kind === 'static' && credentials.connection).toEqual({
      server: 'https://10.0.0.1:6443',
      token: { data: 'sekret' },
      insecureSkipTlsVerify: true,
    });
  });

  it('decodes the -data fields, which win over the file fields', () => {
    const credentials = kubeconfigCredentials(
      kubeconfig({
        cluster: { 'certificate-authority-data': b64('CA PEM'), 'tls-server-name': 'kubernetes' },
        user: { 'client-certificate-data': b64('CERT PEM'), 'client-key-data': `${b64('KEY PEM')}\n` },
      }),
    );
    expect(credentials.kind === 'static' && credentials.connection).toMatchObject({
      ca: { data: 'CA PEM' },
      cert: { data: 'CERT PEM' },
      key: { data: 'KEY PEM' },
      tlsServerName: 'kubernetes',
    });
  });

  it('reads a tokenFile as a file token (re-read by the transport)', () => {
    const credentials = kubeconfigCredentials(
      kubeconfig({ user: { 'client-certificate': null, 'client-key': null, tokenFile: '/run/token' } }),
    );
    expect(credentials.kind === 'static' && credentials.connection.token).toEqual({ file: '/run/token' });
  });

  it('accepts JSON, which is YAML', () => {
    const json = JSON.stringify({
      'current-context': 'c',
      contexts: [{ name: 'c', context: { cluster: 'k', user: 'u' } }],
      clusters: [{ name: 'k', cluster: { server: 'http://127.0.0.1:8080' } }],
      users: [{ name: 'u', user: {} }],
    });
    expect(kubeconfigCredentials(json)).toMatchObject({
      kind: 'static',
      connection: { server: 'http://127.0.0.1:8080' },
    });
  });

  it.each([
    ['an exec plugin', { user: { exec: { command: 'aws', apiVersion: 'client.authentication.k8s.io/v1' } } }, 'exec'],
    ['an auth-provider', { user: { 'auth-provider': { name: 'oidc' } } }, 'auth-provider'],
    ['basic auth', { user: { username: 'u', password: 'p' } }, 'username, password'],
    ['impersonation', { user: { as: 'someone' } }, 'as'],
    ['a proxy', { cluster: { 'proxy-url': 'http://proxy:3128' } }, 'proxy-url'],
  ])('leaves %s to the client library', (_what, overrides, why) => {
    expect(kubeconfigCredentials(kubeconfig(overrides))).toEqual({ kind: 'library', why: `uses ${why}` });
  });

  it('leaves a non-http server URL to the client library', () => {
    expect(kubeconfigCredentials(kubeconfig({ cluster: { server: 'unix:///run/kube.sock' } }))).toMatchObject({
      kind: 'library',
    });
  });

  it.each([
    ['not YAML', 'clusters: [', undefined, /not valid YAML/],
    ['not a mapping', '- a\n- b\n', undefined, /empty or not a mapping/],
    ['no current context', kubeconfig({ currentContext: null }), undefined, /no current-context; set one/],
    ['an unknown context', kubeconfig(), 'staging', /no context entry named "staging"/],
    ['a context naming a missing cluster', kubeconfig(), 'dangling', /no cluster entry named "gone"/],
    ['a context naming a missing user', kubeconfig(), 'nobody', /no user entry named "ghost"/],
    [
      'a cluster without a server',
      kubeconfig({ cluster: { server: '' } }),
      undefined,
      /clusters\[local\] has no server URL/,
    ],
    ['a certificate without its key', kubeconfig({ user: { 'client-key': null } }), undefined, /without its key/],
    [
      'data that is not base64',
      kubeconfig({ cluster: { 'certificate-authority-data': '%%%' } }),
      undefined,
      /certificate-authority-data is not base64/,
    ],
    [
      'a field of the wrong type',
      kubeconfig({ user: { token: 42, 'client-certificate': null, 'client-key': null } }),
      undefined,
      /users\[admin\]\.token must be a string/,
    ],
  ])('refuses %s, saying what to fix', (_what, source, context, message) => {
    expect(() => kubeconfigCredentials(source, context)).toThrow(KubeconfigError);
    expect(() => kubeconfigCredentials(source, context)).toThrow(message);
  });
});

describe('inClusterConnection', () => {
  it('uses the mounted CA and token', () => {
    expect(inClusterConnection('10.96.0.1', '443')).toEqual({
      server: 'https://10.96.0.1:443',
      ca: { file: '/var/run/secrets/kubernetes.io/serviceaccount/ca.crt' },
      token: { file: '/var/run/secrets/kubernetes.io/serviceaccount/token' },
      insecureSkipTlsVerify: false,
    });
  });

  it('brackets an IPv6 service address', () => {
    expect(inClusterConnection('fd00::1', '443').server).toBe('https://[fd00::1]:443');
  });
});

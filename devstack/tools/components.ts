/**
 * The real servers the local stack runs, each pinned by its own Go wrapper module (devstack/tools/<name>/go.mod+go.sum).
 * Bumping a version means editing the wrapper's go.mod, running `go mod tidy` there, and updating `version` here.
 */
export interface BinarySpec {
  /** File name of the built binary. */
  name: string;
  /** Go package path of its main package. */
  pkg: string;
  ldflags: string[];
  /** Arguments that make the binary print its version and exit 0; used to detect a broken cached binary. */
  versionArgs: string[];
}

export interface ComponentSpec {
  name: string;
  version: string;
  binaries: BinarySpec[];
}

const stripped = ['-s', '-w'];

const KUBERNETES_VERSION = 'v1.36.3';
// What Kubernetes' own build (hack/lib/version.sh) stamps, so /version and --version tell the truth.
const kubernetesVersionFlags = ['k8s.io/component-base/version', 'k8s.io/client-go/pkg/version'].flatMap((pkg) =>
  [
    `${pkg}.gitVersion=${KUBERNETES_VERSION}`,
    `${pkg}.gitMajor=1`,
    `${pkg}.gitMinor=36`,
    `${pkg}.gitTreeState=clean`,
    `${pkg}.buildDate=2026-07-23T00:00:00Z`,
  ].flatMap((flag) => ['-X', flag]),
);
const kubernetesBinary = (name: string) => ({
  name,
  pkg: `k8s.io/kubernetes/cmd/${name}`,
  ldflags: [...stripped, ...kubernetesVersionFlags],
  versionArgs: ['--version'],
});

export const components: ComponentSpec[] = [
  {
    name: 'etcd',
    version: '3.6.14',
    binaries: [
      {
        name: 'etcd',
        pkg: 'go.etcd.io/etcd/server/v3',
        ldflags: [...stripped, '-X', 'go.etcd.io/etcd/api/v3/version.GitSHA=fc04cf70'],
        versionArgs: ['--version'],
      },
      {
        name: 'etcdctl',
        pkg: 'go.etcd.io/etcd/etcdctl/v3',
        ldflags: [...stripped, '-X', 'go.etcd.io/etcd/api/v3/version.GitSHA=fc04cf70'],
        versionArgs: ['version'],
      },
      {
        name: 'etcdutl',
        pkg: 'go.etcd.io/etcd/etcdutl/v3',
        ldflags: [...stripped, '-X', 'go.etcd.io/etcd/api/v3/version.GitSHA=fc04cf70'],
        versionArgs: ['version'],
      },
    ],
  },
  {
    name: 'versitygw',
    version: '1.7.0',
    binaries: [
      {
        name: 'versitygw',
        pkg: 'github.com/versity/versitygw/cmd/versitygw',
        ldflags: [...stripped, '-X', 'main.Version=v1.7.0', '-X', 'main.Build=8a3dbcf97d99'],
        versionArgs: ['--version'],
      },
    ],
  },
  {
    name: 'temporal',
    version: '1.8.2',
    binaries: [
      {
        name: 'temporal',
        pkg: 'github.com/temporalio/cli/cmd/temporal',
        ldflags: [...stripped, '-X', 'github.com/temporalio/cli/internal/temporalcli.Version=1.8.2'],
        versionArgs: ['--version'],
      },
    ],
  },
  {
    name: 'minio',
    version: '2026-02-12-7aac2a2c5b7c',
    binaries: [{ name: 'minio', pkg: 'github.com/minio/minio', ldflags: stripped, versionArgs: ['--version'] }],
  },
  {
    name: 'age',
    version: '1.3.2',
    binaries: ['age', 'age-keygen'].map((name) => ({
      name,
      pkg: `filippo.io/age/cmd/${name}`,
      ldflags: [...stripped, '-X', 'main.Version=v1.3.2'],
      versionArgs: ['--version'],
    })),
  },
  {
    name: 'kubernetes',
    version: KUBERNETES_VERSION.slice(1),
    binaries: ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler'].map(kubernetesBinary),
  },
  {
    // Stock Velero for the resource-backup compatibility tests (issue 13); not started by the dev or test stack.
    name: 'velero',
    version: '1.18.3',
    binaries: [
      {
        name: 'velero',
        pkg: 'github.com/vmware-tanzu/velero/cmd/velero',
        ldflags: [
          ...stripped,
          '-X',
          'github.com/vmware-tanzu/velero/pkg/buildinfo.Version=v1.18.3',
          '-X',
          'github.com/vmware-tanzu/velero/pkg/buildinfo.GitTreeState=clean',
        ],
        versionArgs: ['version', '--client-only'],
      },
      {
        // The AWS object-store plugin v1.14.3 (velero.io/aws), built against the Velero above. It has no version
        // command: --help exits 0 without starting the plugin server.
        name: 'velero-plugin-for-aws',
        pkg: 'github.com/vmware-tanzu/velero-plugin-for-aws/velero-plugin-for-aws',
        ldflags: stripped,
        versionArgs: ['--help'],
      },
    ],
  },
];

export type ToolName =
  | 'etcd'
  | 'etcdctl'
  | 'etcdutl'
  | 'versitygw'
  | 'temporal'
  | 'minio'
  | 'kube-apiserver'
  | 'kube-controller-manager'
  | 'kube-scheduler'
  | 'age'
  | 'age-keygen'
  | 'velero'
  | 'velero-plugin-for-aws';

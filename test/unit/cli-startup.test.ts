import { describe, expect, it } from 'vitest';
import { staticPackages } from '../../build/static-imports.js';
import { KIND_CHOICES } from '../../client/commands/backups/kind-choices.js';
import { BackupKinds } from '../../core/layout.js';

// `lifeboat --help` registers every command; what a command needs loads when it runs (issue 16: a CLI that starts
// like one). These hold the split between client/commands/*.ts (what a command is) and *-run.ts (what it does).
describe('what the CLI loads before it runs a command', () => {
  it('--version loads no package', () => {
    expect([...staticPackages('client/cli.ts')]).toEqual([]);
  });

  it('registering every command (--help) loads commander and no other package', () => {
    expect([...staticPackages('client/main.ts')]).toEqual(['commander']);
  });

  it.each(['client/commands/schedules-run.ts', 'client/commands/restore/status-run.ts'])(
    '%s, a command that only talks to Temporal, loads neither the Kubernetes nor the S3 client nor the config parser',
    (module) => {
      const packages = [...staticPackages(module)];
      expect(packages).toContain('@temporalio/client');
      for (const heavy of ['@kubernetes/client-node', '@aws-sdk/client-s3', 'yaml', 'zod'])
        expect(packages).not.toContain(heavy);
    },
  );

  it('lifeboat job ..., run by every etcd member in its Job at once, loads neither the Kubernetes nor the Temporal client', () => {
    const packages = [...staticPackages('client/commands/job-run.ts')];
    for (const heavy of ['@kubernetes/client-node', '@temporalio/client']) expect(packages).not.toContain(heavy);
  });

  it('backups --kind offers every backup kind (spelled out so that help loads no core module)', () => {
    expect(KIND_CHOICES).toEqual(Object.values(BackupKinds));
  });
});

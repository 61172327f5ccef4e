import type { BackupKind } from '../../../core/layout.js';

/**
 * The kinds `backups --kind` takes; left out, all of them. Spelled out rather than Object.values(BackupKinds), which
 * would load core/layout for `lifeboat --help` (test/unit/cli-startup.test.ts holds the two equal).
 */
export const KIND_CHOICES: readonly BackupKind[] = ['etcd', 'resources'];

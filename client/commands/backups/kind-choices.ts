import { BackupKinds } from '../../../core/layout.js';

/** The kinds `backups --kind` takes; left out, all of them. */
export const KIND_CHOICES = Object.values(BackupKinds);

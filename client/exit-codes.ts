/** Exit codes scripts can rely on. */
export const ExitCode = {
  Ok: 0,
  /** The operation ran and failed (a backup failed, a storage check failed, Temporal unreachable). */
  Failed: 1,
  /** Bad input: unknown option, invalid config file, unknown name. Nothing was changed. */
  BadInput: 2,
  /**
   * A resource backup ended Completed with errors (Velero's PartiallyFailed): the backup exists and can be restored,
   * but some items or resources are not in it; `lifeboat backups results NAME` lists them. Completed with warnings
   * only is 0. Apart from 1 so a script can keep the backup and still alert on it. A resource restore (`restore
   * resources --follow`) that ended with failed items exits 3 too: the rest is restored, the failed items are listed.
   */
  CompletedWithErrors: 3,
} as const;

/** An error the CLI prints as-is (no stack) and exits with its code. */
export class CliError extends Error {
  override name = 'CliError';
  constructor(
    message: string,
    readonly exitCode: number = ExitCode.Failed,
  ) {
    super(message);
  }
}

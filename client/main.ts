import { Command, CommanderError } from 'commander';
import { ConfigFileError } from '../runtime/config-file.js';
import { TemporalSettingsError } from '../runtime/temporal-connection.js';
import { CliError, ExitCode } from './exit-codes.js';

/**
 * The commands, loaded on demand: `lifeboat job ...` runs inside restore and snapshot Jobs, one per etcd member at
 * once, so it does not load the Kubernetes and Temporal clients the user-facing commands need.
 */
export async function buildProgram(argv: string[] = []): Promise<Command> {
  const program = new Command('lifeboat')
    .description(
      'Backup and disaster recovery for Kubernetes control planes, on Temporal.\n' +
        'Connects to Temporal with TEMPORAL_ADDRESS (default 127.0.0.1:7233), TEMPORAL_NAMESPACE, TEMPORAL_API_KEY\n' +
        'and TEMPORAL_TLS_* variables.',
    )
    .version('0.1.0')
    .showHelpAfterError()
    .exitOverride();
  const job = import('./commands/job.js');
  if (argv[0] !== 'job') {
    const [setup, apply, check, backup, backups, schedules, retention, restore] = await Promise.all([
      import('./commands/setup.js'),
      import('./commands/apply.js'),
      import('./commands/check.js'),
      import('./commands/backup.js'),
      import('./commands/backups.js'),
      import('./commands/schedules.js'),
      import('./commands/retention.js'),
      import('./commands/restore/index.js'),
    ]);
    setup.registerSetup(program);
    apply.registerApply(program);
    check.registerCheck(program);
    backup.registerBackup(program);
    backups.registerBackups(program);
    schedules.registerSchedules(program);
    retention.registerRetention(program);
    restore.registerRestore(program);
  }
  (await job).registerJob(program);
  program.addHelpText(
    'after',
    '\nExit codes: 0 ok, 1 the operation failed, 2 bad input (nothing was changed), 3 a resource backup completed\n' +
      'with errors (it exists; lifeboat backups results NAME says what it lacks).',
  );
  return program;
}

export async function run(argv: string[]): Promise<number> {
  try {
    await (await buildProgram(argv)).parseAsync(argv, { from: 'user' });
    return ExitCode.Ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version land here with exit code 0; usage errors were already printed by commander.
      return err.exitCode === 0 ? ExitCode.Ok : ExitCode.BadInput;
    }
    if (err instanceof ConfigFileError || err instanceof TemporalSettingsError) {
      console.error(`error: ${err.message}`);
      return ExitCode.BadInput;
    }
    if (err instanceof CliError) {
      console.error(`error: ${err.message}`);
      return err.exitCode;
    }
    console.error(`error: ${err instanceof Error ? err.message : String(err)}`);
    return ExitCode.Failed;
  }
}

import { Command, CommanderError } from 'commander';
import { registerApply } from './commands/apply.js';
import { registerBackup } from './commands/backup.js';
import { registerBackups } from './commands/backups.js';
import { registerCheck } from './commands/check.js';
import { registerJob } from './commands/job.js';
import { registerRetention } from './commands/retention.js';
import { registerRestore } from './commands/restore/index.js';
import { registerSchedules } from './commands/schedules.js';
import { registerSetup } from './commands/setup.js';
import { CliError, ExitCode } from './exit-codes.js';
import { VERSION } from './version.js';

/**
 * Every command, as help shows it. Registering one loads only commander: what a command needs (the Temporal,
 * Kubernetes and S3 clients, the config parser) its action imports when it runs (client/commands/*-run.ts), so
 * `lifeboat --help` starts in milliseconds and `lifeboat job ...`, run in restore and snapshot Jobs by every etcd
 * member at once, loads neither the Kubernetes nor the Temporal client.
 */
export function buildProgram(): Command {
  const program = new Command('lifeboat')
    .description(
      'Backup and disaster recovery for Kubernetes control planes, on Temporal.\n' +
        'Connects to Temporal with TEMPORAL_ADDRESS (default 127.0.0.1:7233), TEMPORAL_NAMESPACE, TEMPORAL_API_KEY\n' +
        'and TEMPORAL_TLS_* variables.',
    )
    .version(VERSION)
    .showHelpAfterError()
    .exitOverride();
  registerSetup(program);
  registerApply(program);
  registerCheck(program);
  registerBackup(program);
  registerBackups(program);
  registerSchedules(program);
  registerRetention(program);
  registerRestore(program);
  registerJob(program);
  program.addHelpText(
    'after',
    '\nExit codes: 0 ok, 1 the operation failed, 2 bad input (nothing was changed), 3 a resource backup completed\n' +
      'with errors (it exists; lifeboat backups results NAME says what it lacks).',
  );
  return program;
}

/**
 * A config file that cannot be read or is not valid (runtime/config-file.ts), Temporal settings that do not work
 * (runtime/temporal-connection.ts): bad input. Known by name, so `--help` loads neither module.
 */
const BAD_INPUT_ERRORS = new Set(['ConfigFileError', 'TemporalSettingsError']);

export async function run(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv, { from: 'user' });
    return ExitCode.Ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version land here with exit code 0; usage errors were already printed by commander.
      return err.exitCode === 0 ? ExitCode.Ok : ExitCode.BadInput;
    }
    if (err instanceof Error && BAD_INPUT_ERRORS.has(err.name)) {
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

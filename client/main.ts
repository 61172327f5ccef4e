import { Command, CommanderError } from 'commander';
import { ConfigFileError } from '../runtime/config-file.js';
import { TemporalSettingsError } from '../runtime/temporal-connection.js';
import { registerApply } from './commands/apply.js';
import { registerBackup } from './commands/backup.js';
import { registerBackups } from './commands/backups.js';
import { registerRestore } from './commands/restore.js';
import { registerRetention } from './commands/retention.js';
import { registerSchedules } from './commands/schedules.js';
import { registerCheck } from './commands/check.js';
import { registerJob } from './commands/job.js';
import { registerSetup } from './commands/setup.js';
import { CliError, ExitCode } from './exit-codes.js';

export function buildProgram(): Command {
  const program = new Command('lifeboat')
    .description(
      'Backup and disaster recovery for Kubernetes control planes, on Temporal.\n' +
        'Connects to Temporal with TEMPORAL_ADDRESS (default 127.0.0.1:7233), TEMPORAL_NAMESPACE, TEMPORAL_API_KEY\n' +
        'and TEMPORAL_TLS_* variables.',
    )
    .version('0.1.0')
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
  program.addHelpText('after', '\nExit codes: 0 ok, 1 the operation failed, 2 bad input (nothing was changed).');
  return program;
}

export async function run(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv, { from: 'user' });
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

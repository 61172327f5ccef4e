import { afterEach, describe, expect, it, vi } from 'vitest';
import { ExitCode } from '../../client/exit-codes.js';
import { run } from '../../client/main.js';

// client/main.ts tells a bad config file and bad Temporal settings by their errors' names (so --help loads neither
// module): these hold the names and the exit code together. Each loads its command's -run.ts, hence the timeouts.
describe('the exit code of what the commands throw', () => {
  afterEach(() => vi.restoreAllMocks());

  it('a config file that cannot be read is bad input, said in one line', async () => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    expect(await run(['apply', '-f', '/nonexistent/lifeboat.yaml'])).toBe(ExitCode.BadInput);
    expect(errors).toHaveBeenCalledWith(expect.stringMatching(/^error: Cannot read config file \/nonexistent/));
  }, 30_000);

  it('Temporal TLS settings naming a file that is not there are bad input, before any connection', async () => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    vi.stubEnv('TEMPORAL_TLS_CLIENT_CERT_PATH', '/nonexistent/client.pem');
    try {
      expect(await run(['schedules'])).toBe(ExitCode.BadInput);
    } finally {
      vi.unstubAllEnvs();
    }
    expect(errors).toHaveBeenCalledWith(expect.stringMatching(/^error: TEMPORAL_TLS_CLIENT_CERT_PATH=/));
  }, 30_000);
});

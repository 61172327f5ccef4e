import { userInfo } from 'node:os';

/** Who runs the command: recorded as a restore's `requestedBy` and as the operator of an update. */
export function osUser(): string {
  if (process.env.USER) return process.env.USER;
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}

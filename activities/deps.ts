import type { LifeboatConfig } from '../core/config/schema.js';

/** Everything activities need from the outside world, injected so tests can point them at their own servers. */
export interface ActivityDeps {
  config: LifeboatConfig;
  /** Looks up a secret by the environment variable name the config references; never passed through Temporal. */
  readSecretEnv: (name: string) => string | undefined;
}

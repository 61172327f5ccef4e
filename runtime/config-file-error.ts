/** lifeboat.yaml cannot be read or is not valid. Apart from config-file.ts so the CLI can catch it without its parser. */
export class ConfigFileError extends Error {
  override name = 'ConfigFileError';
}

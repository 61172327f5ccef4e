/** One problem found in a config document (its own module: the parser and the reference checks both report them). */
export interface ConfigIssue {
  /** Dotted path into the document, e.g. `etcdBackups[0].keep`; empty for the document itself. */
  path: string;
  message: string;
}

/** The sources the service bundle is built from (repository-relative). */
export const BUNDLE_INPUTS: string[];
/**
 * undefined when `bundle` is up to date; 'not built' when there is none; otherwise the path
 * (relative to `root`, the repository) of a source newer than it.
 */
export function builtSourcesStale(bundle: string, root?: string): string | undefined;

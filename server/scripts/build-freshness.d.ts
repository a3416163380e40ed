/** What the service bundle is built from (repository-relative). */
export const BUNDLE_INPUTS: string[];
/**
 * undefined when `built` (a file, or a folder: its oldest file counts) is at least as new as every
 * file under `inputs`; 'not built' when there is nothing built; otherwise the path (relative to
 * `root`, the repository) of an input newer than it.
 */
export function staleInput(built: string, inputs: string[], root?: string): string | undefined;
/** `staleInput` for the service bundle. */
export function builtSourcesStale(bundle: string, root?: string): string | undefined;

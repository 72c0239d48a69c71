/** Problems found in a connector definition, with the path they are at. */

export interface DefinitionIssue {
  /** Where, such as `token.url` or `fields[2].pattern`; `(root)` for the definition itself. */
  path: string;
  /** What is wrong and how to fix it. */
  message: string;
  /** Errors make a definition invalid; warnings are reported and accepted. */
  severity: 'error' | 'warning';
}

export type PathSegment = string | number;

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** `['fields', 2, 'key']` → `fields[2].key`; keys that are not identifiers are quoted: `headers["X-Api-Key"]`. */
export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (IDENTIFIER.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out === '' ? '(root)' : out;
}

export const error = (path: readonly PathSegment[], message: string): DefinitionIssue => ({
  path: formatPath(path),
  message,
  severity: 'error',
});

export const warning = (path: readonly PathSegment[], message: string): DefinitionIssue => ({
  path: formatPath(path),
  message,
  severity: 'warning',
});

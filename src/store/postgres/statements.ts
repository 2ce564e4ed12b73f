import { createHash } from 'node:crypto';

// Kept apart from postgres.ts so that `Prepared` can register statements without loading `pg`.

/** SQL text → name of the prepared statement it runs as (see `preparePostgresStatement`). */
const statementNames = new Map<string, string>();

/**
 * Makes every later run of this exact SQL text a named prepared statement on each pooled
 * connection: parsed and planned once per connection instead of per query (PostgreSQL moves to a
 * generic plan after five runs). `Prepared` registers its hot queries here. The name is a hash of
 * the text, so two texts never share a name and registering twice is harmless.
 */
export function preparePostgresStatement(text: string): void {
  if (!statementNames.has(text)) {
    statementNames.set(text, 'sl_' + createHash('sha256').update(text).digest('hex').slice(0, 24));
  }
}

/** The prepared statement's name for this SQL text, if it was registered. */
export function statementNameOf(text: string): string | undefined {
  return statementNames.get(text);
}

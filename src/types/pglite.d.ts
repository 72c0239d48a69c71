/**
 * The part of PGlite the embedded store uses. Declared here as well as shipped by the package so that the type check
 * does not depend on the package: it is loaded only by processes that open the embedded store.
 */
declare module '@electric-sql/pglite' {
  export interface Results<T> {
    rows: T[];
  }
  export class PGlite {
    /** Opens (and on first use initialises) the database in `dataDir`; resolves once it answers. */
    static create(dataDir: string): Promise<PGlite>;
    /** One statement, with parameters (extended protocol). */
    query<T>(sql: string, params?: unknown[]): Promise<Results<T>>;
    /** Statements separated by `;`, without parameters (simple protocol): one result per statement. */
    exec(sql: string): Promise<Results<unknown>[]>;
    close(): Promise<void>;
  }
}

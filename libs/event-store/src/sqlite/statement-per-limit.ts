/** How many limits a StatementPerLimit keeps prepared; the oldest goes first beyond it. */
const KEPT_LIMITS = 16;

/**
 * One query whose LIMIT varies, prepared once per limit with the limit written into its text.
 *
 * SQLite lets the value bound to `LIMIT ?` guide its plan, so a statement with `LIMIT ?` is prepared again at every
 * run: 11 µs for a page of the log that finds nothing against 3.3 µs with the limit in the text, 13.9 against 5.3 for
 * a page of one event (docs/performance.md, "3. Reads"). That is what a live subscription pays at every wake-up. The
 * read store writes its limits into its SQL for the same reason (sqlite-query.ts `limitClause`). The limits asked for
 * are few (a subscription's page, the default page of readAll, a lag cap), and a limit used once costs only the
 * prepare it costs today.
 */
export class StatementPerLimit<S> {
  private readonly prepared = new Map<number, S>();

  constructor(private readonly prepareWithLimit: (limit: string) => S) {}

  /** The statement for `limit`, a whole number (a negative one means no limit, as in SQLite). */
  for(limit: number): S {
    let statement = this.prepared.get(limit);
    if (statement === undefined) {
      if (!Number.isSafeInteger(limit)) throw new RangeError(`A limit must be a whole number; got ${limit}`);
      statement = this.prepareWithLimit(String(limit));
      if (this.prepared.size >= KEPT_LIMITS) this.prepared.delete(this.prepared.keys().next().value!);
      this.prepared.set(limit, statement);
    }
    return statement;
  }
}

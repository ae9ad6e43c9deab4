/**
 * What a report reads: the documents as the caller streams them from the read store. A report goes through a
 * source exactly once, in order, and keeps only what its result needs, so an async cursor can be passed as is.
 */
export type ReportSource<T> = Iterable<T> | AsyncIterable<T>;

function isAsyncIterable<T>(source: ReportSource<T>): source is AsyncIterable<T> {
  return typeof (source as Partial<AsyncIterable<T>>)[Symbol.asyncIterator] === 'function';
}

/** Calls `visit` for every item of the source, in order; a plain iterable is walked without awaiting each item. */
export async function forEachOf<T>(source: ReportSource<T>, visit: (item: T) => void): Promise<void> {
  if (isAsyncIterable(source)) {
    for await (const item of source) visit(item);
  } else {
    for (const item of source) visit(item);
  }
}

/** The caller's If-Match named a revision the aggregate has moved past. */
export class RevisionMismatchError extends Error {
  readonly code = 'PRECONDITION_FAILED';
  constructor(
    readonly streamId: string,
    readonly expectedRevision: bigint,
    readonly currentRevision: bigint | null,
  ) {
    super(
      currentRevision === null
        ? `If-Match expected revision ${expectedRevision}, but nothing exists yet`
        : `If-Match expected revision ${expectedRevision}, but it is now at revision ${currentRevision}`,
    );
    this.name = 'RevisionMismatchError';
  }
}

/** Optimistic concurrency kept losing: other writers changed the aggregate on every retry. */
export class ConcurrentModificationError extends Error {
  readonly code = 'CONCURRENT_MODIFICATION';
  constructor(readonly streamId: string, readonly attempts: number) {
    super(`The resource changed while this command ran (${attempts} attempts); retry the request`);
    this.name = 'ConcurrentModificationError';
  }
}

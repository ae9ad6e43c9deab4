/** A stored answer to an earlier request with the same Idempotency-Key, to be sent again as it was. */
export class ReplayedResponse {
  constructor(readonly statusCode: number, readonly body: unknown) {}
}

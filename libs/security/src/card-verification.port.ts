/**
 * Checks a card's CVV2 (the three digits printed on the back).
 *
 * The embedded default computes it with the Visa CVV algorithm under a card verification key held by this
 * service (see {@link VisaCvvCardVerification}); an issuer would bind this port to its HSM instead, so the
 * key never leaves the hardware. Implementations must answer `false` for a wrong CVV2 — never throw for one —
 * and must not reveal, through timing or errors, how close a guess was.
 */
export interface CardVerification {
  verifyCvv2(input: { cardNumber: string; expiryYymm: string; cvv: string }): Promise<boolean>;
}

/** DI token for {@link CardVerification}. */
export const CARD_VERIFICATION = Symbol('CARD_VERIFICATION');

/** Stream names: one aggregate per stream (ARCHITECTURE.md, Events). */
export const cardStream = (cardId: string): string => `card-${cardId}`;
export const customerStream = (customerId: string): string => `customer-${customerId}`;
/**
 * Who holds a card number: `CardNumberClaimed { cardId }` keyed by the number's fingerprint. Deliberately not
 * `card-…`: projections read every `card-<id>` stream as a card.
 */
export const cardNumberClaimStream = (panFingerprint: string): string => `pan-claim-${panFingerprint}`;

/** Stream names: one aggregate per stream (ARCHITECTURE.md, Events). */
export const cardStream = (cardId: string): string => `card-${cardId}`;
export const customerStream = (customerId: string): string => `customer-${customerId}`;

/** Stream names: one aggregate per stream (ARCHITECTURE.md, Events). */
export const cardStream = (cardId: string): string => `card-${cardId}`;
export const customerStream = (customerId: string): string => `customer-${customerId}`;
/**
 * Who holds a card number: `CardNumberClaimed { cardId }` keyed by the number's fingerprint. Deliberately not
 * `card-…`: projections read every `card-<id>` stream as a card.
 */
export const cardNumberClaimStream = (panFingerprint: string): string => `pan-claim-${panFingerprint}`;
/**
 * Who holds an id document: `IdNumberClaimed { customerId }` / `IdNumberReleased`, keyed by the lookup hash
 * (PII_LOOKUP_KEY) of `<idType>:<idNumber>`, so the name reveals nothing without the key.
 */
export const idNumberRegistryStream = (idDocumentHash: string): string => `id-registry-${idDocumentHash}`;
/**
 * The SIM cards counted against one id number, whatever the document type (real-name rule): `SimCardCounted` /
 * `SimCardReleased`, keyed by the lookup hash of the id number.
 */
export const simQuotaStream = (idNumberHash: string): string => `sim-quota-${idNumberHash}`;
/**
 * One notice to a customer: NotificationRequested, then NotificationSent / NotificationFailed / NotificationAbandoned.
 * The id is derived from the event that caused it, the template and the channel (docs/notifications.md).
 */
export const notificationStream = (notificationId: string): string => `notification-${notificationId}`;
/** One phone number's life after import: reservations, assignment, quarantine, withdrawal (docs/numbers.md). */
export const numberStream = (msisdn: string): string => `number-${msisdn}`;
/** The numbers imported into one block (first 7 digits), as batch events: `NumbersImported`. */
export const numberBlockStream = (block: string): string => `number-block-${block}`;
/** The reservations one customer holds, counted against NUMBER_MAX_RESERVATIONS_PER_CUSTOMER. */
export const numberHoldsStream = (customerId: string): string => `number-holds-${customerId}`;
/** One customer service case: opened, assigned, commented, resolved, surveyed (docs/cases.md). */
export const caseStream = (caseId: string): string => `case-${caseId}`;
/**
 * The cases routed to one team's agents, in order (`CaseRoutedToAgent`): where round-robin carries on. Not `case-…`:
 * projections read every `case-<id>` stream as a case.
 */
export const caseRoutingStream = (team: string): string => `routing-team-${team}`;
/**
 * A customer service agent's availability during the day (`AgentAvailabilityChanged`); the routing file lists who
 * the agents are. Not `case-…`: projections read every `case-<id>` stream as a case.
 */
export const agentStream = (agentId: string): string => `agent-${agentId}`;

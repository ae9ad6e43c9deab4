import { ROLES, type Role } from '@cards/security';

/** Who may call an endpoint: anyone (no token needed), or a caller holding one of these roles. */
export type Access = 'public' | readonly Role[];

export interface EndpointPermission {
  /** `METHOD /path` with Fastify's route pattern (`/v1/cards/:cardId`); a trailing `*` matches any suffix. */
  readonly route: string;
  readonly method: string;
  readonly path: string;
  /** What the endpoint does, for docs/security.md. */
  readonly does: string;
  readonly access: Access;
  /** Why the roles are what they are, where the role descriptions alone do not say. */
  readonly why?: string;
}

function endpoint(route: string, does: string, access: Access, why?: string): EndpointPermission {
  const [method, path] = route.split(' ');
  // Kept in ROLES order, so that "the first of the caller's roles the endpoint allows" is the same for everyone.
  const ordered = access === 'public' ? access : ROLES.filter((role) => access.includes(role));
  return { route, method, path, does, access: ordered, ...(why !== undefined && { why }) };
}

/**
 * THE permission table: every endpoint of card-api and card-projector, and the roles that may call it. A route
 * missing from it is refused to everyone (403), and a test checks that every route the apps register is here.
 * docs/security.md is generated from it (npm run docs:security).
 */
export const PERMISSIONS: readonly EndpointPermission[] = [
  endpoint('GET /health', 'Liveness', 'public', 'probes carry no token'),
  endpoint('GET /health/ready', 'Readiness: both stores answer', 'public', 'probes carry no token'),
  endpoint('GET /docs*', 'The OpenAPI document and Swagger UI', 'public', 'the API\'s shape is no secret; its data is'),

  endpoint('POST /v1/customers', 'Register a customer', ['issuer']),
  endpoint(
    'POST /v1/customers/lookup',
    'Find customers by exact phone, id number or e-mail (read model: masked, matched by keyed hash)',
    ['issuer', 'agent'],
    'a caller gives their phone or id number, not their customer id; the answer is masked, the value travels in the body, not the URL',
  ),
  endpoint('GET /v1/customers/:customerId', 'One customer, from its stream (personal data)', ['issuer', 'agent', 'auditor']),
  endpoint(
    'PATCH /v1/customers/:customerId/contact',
    'Change a customer\'s phone, e-mail, address, channels or locale',
    ['issuer', 'agent'],
    'customers call the service desk to change them; the answer shows them masked',
  ),
  endpoint(
    'POST /v1/customers/:customerId/identity-verifications',
    'The customer proves who they are again (same methods as a card); a pending phone number then takes effect',
    ['issuer', 'agent'],
  ),
  endpoint(
    'POST /v1/customers/:customerId/identity-corrections',
    'Ask for a customer\'s name or id number to be corrected: a review, with a documented reason',
    ['issuer', 'agent'],
    'name and id number change only through a review decided by someone else (POST /v1/reviews/{id}/decision)',
  ),
  endpoint(
    'GET /v1/customers/:customerId/cards',
    'A customer\'s cards, from the read model',
    ['agent', 'analyst'],
    'an agent on a call knows the customer, not the card id; the list holds no personal data',
  ),

  endpoint('POST /v1/cards', 'Issue a card', ['issuer']),
  endpoint('GET /v1/cards', 'Search cards (read model)', ['analyst']),
  endpoint('GET /v1/cards/:cardId', 'One card, from its stream', ['issuer', 'agent', 'auditor']),
  endpoint('POST /v1/cards/:cardId/identity-verifications', 'Verify the customer\'s identity', ['issuer']),
  endpoint('POST /v1/cards/:cardId/link', 'Link the card to an account', ['issuer']),
  endpoint('POST /v1/cards/:cardId/activate', 'Activate the card', ['issuer']),
  endpoint('POST /v1/cards/:cardId/disputes', 'Open a dispute', ['issuer', 'agent']),
  endpoint(
    'POST /v1/cards/:cardId/disputes/:disputeId/resolution',
    'Resolve a dispute',
    ['issuer'],
    'the agent who takes the complaint does not also decide it',
  ),
  endpoint('POST /v1/cards/:cardId/suspend', 'Suspend the card', ['issuer']),
  endpoint('POST /v1/cards/:cardId/reinstate', 'Reinstate the card', ['issuer']),
  endpoint('POST /v1/cards/:cardId/cancel', 'Cancel the card', ['issuer']),

  endpoint('GET /v1/reviews', 'Identity reviews waiting for a person (OPEN by default), oldest first', ['agent']),
  endpoint('POST /v1/reviews/:reviewId/contact-attempts', 'Record a call or message to the customer about a review', ['agent']),
  endpoint(
    'POST /v1/reviews/:reviewId/decision',
    'Approve or reject an identity review',
    ['agent'],
    'the deciding agent must not be the one who asked for the review (403 REVIEWER_MUST_DIFFER)',
  ),
  endpoint('POST /v1/cases', 'Open a customer service case (classified and routed by the configured rules)', ['supervisor', 'agent']),
  endpoint('GET /v1/cases', 'Cases from the read model: mine (assignee=me), a team\'s, by status, category or escalation', ['supervisor', 'agent'], 'the list holds ids, codes and times, never the texts people wrote'),
  endpoint('GET /v1/cases/workload', 'Open, queued, escalated and overdue cases per team and agent', ['supervisor']),
  endpoint(
    'GET /v1/cases/:caseId',
    'One case from its stream (texts decrypted), with its card\'s relevant recent events',
    ['supervisor', 'agent'],
    'the texts may hold personal data: a read of a customer\'s case is recorded in their access log',
  ),
  endpoint(
    'POST /v1/cases/:caseId/assignment',
    'Assign a case: an agent takes one nobody holds; a supervisor assigns or reassigns any',
    ['supervisor', 'agent'],
    'reassigning, or assigning to someone else or another team, is for supervisors (403 otherwise)',
  ),
  endpoint('POST /v1/cases/:caseId/comments', 'Comment on a case', ['supervisor', 'agent']),
  endpoint('POST /v1/cases/:caseId/status', 'Move a case to IN_PROGRESS, WAITING_CUSTOMER or CLOSED', ['supervisor', 'agent']),
  endpoint('POST /v1/cases/:caseId/resolution', 'Resolve a case', ['supervisor', 'agent']),
  endpoint('POST /v1/cases/:caseId/reopen', 'Reopen a resolved case (within CASE_REOPEN_DAYS)', ['supervisor', 'agent']),
  endpoint('POST /v1/cases/:caseId/category', 'Correct a case\'s category (the rule that proposed it is kept)', ['supervisor', 'agent']),
  endpoint('POST /v1/cases/:caseId/survey', 'Record the customer\'s satisfaction survey answer (once, after the resolution)', ['supervisor', 'agent']),
  endpoint('GET /v1/cases/agents/:agentId/availability', 'Whether new cases are routed to an agent (`me` for oneself), and their teams', ['supervisor', 'agent']),
  endpoint(
    'POST /v1/cases/agents/:agentId/availability',
    'Mark an agent available or away for new cases',
    ['supervisor', 'agent'],
    'an agent marks only their own (`me`); a supervisor anyone of the routing file',
  ),
  endpoint('GET /v1/case-surveys/:token', 'A survey link\'s case: its number, whether its survey can be answered', 'public', 'the customer has no account: the signed, expiring link of the resolution e-mail is the credential, for that one case'),
  endpoint('POST /v1/case-surveys/:token', 'The customer answers the satisfaction survey through the link of the resolution e-mail (once)', 'public', 'the signed, expiring link is the credential, for that one case\'s survey only'),
  endpoint('GET /v1/reports/activations', 'Report: activations per day, week, channel, product or branch', ['analyst']),
  endpoint('GET /v1/reports/funnel', 'Report: the activation funnel', ['analyst']),
  endpoint('GET /v1/reports/stage-durations', 'Report: time spent in each stage', ['analyst']),
  endpoint('GET /v1/reports/bottlenecks', 'Report: the slowest steps and the biggest drop-offs', ['analyst']),
  endpoint('GET /v1/reports/stuck', 'Report: cards waiting too long', ['analyst']),
  endpoint('GET /v1/reports/verification-failures', 'Report: failed identity verifications', ['analyst']),
  endpoint('GET /v1/reports/reviews', 'Report: identity reviews, how they ended and how long they wait', ['analyst']),
  endpoint('GET /v1/reports/disputes', 'Report: disputes by reason and outcome', ['analyst']),
  endpoint(
    'GET /v1/reports/cases',
    'Report: customer service cases by category, channel and team; response and resolution times; breaches; satisfaction; recurring problems next to the funnel step they hurt',
    ['analyst'],
    'counts, codes and durations only: no case text, no customer',
  ),
  endpoint('GET /v1/reports/notifications', 'Report: notices sent, failed and abandoned, and delivery latency, per channel and template', ['analyst']),

  endpoint('GET /v1/notification-templates', 'The notification templates: events, kind, channels, languages, placeholders', ['agent', 'analyst', 'admin']),
  endpoint('GET /v1/notification-templates/:templateId/preview', 'A notification template rendered with sample (masked) values; SMS segments', ['agent', 'analyst', 'admin']),

  endpoint('POST /v1/numbers/imports', 'Import phone numbers into the SIM number inventory (CSV or JSON Lines)', ['admin']),
  endpoint('GET /v1/numbers/suggestions', 'A random sample of available phone numbers for a new SIM card (read model)', ['issuer', 'agent']),
  endpoint('GET /v1/numbers/search', 'Search available phone numbers by pattern, excluded digits or birthday (read model)', ['issuer', 'agent']),
  endpoint(
    'POST /v1/numbers/:msisdn/reservations',
    'Hold a phone number for a customer until they decide (or it expires)',
    ['issuer', 'agent'],
    'a number is chosen with the customer at the counter or on the phone; issuing the SIM card stays with issuers',
  ),
  endpoint('DELETE /v1/numbers/:msisdn/reservations/:reservationId', 'Release a held phone number early', ['issuer', 'agent']),
  endpoint('POST /v1/numbers/:msisdn/withdrawal', 'Take a phone number out of circulation for good (available or quarantined only)', ['admin']),
  endpoint('GET /v1/reports/number-inventory', 'Report: phone numbers by state and tier, expired reservations, time to assignment', ['analyst']),

  endpoint('GET /v1/projections', 'State and lag of each projection', ['analyst', 'auditor', 'admin']),
  endpoint('POST /v1/projections/:name/rebuild', 'Rebuild a projection from position zero', ['admin']),
  endpoint('POST /v1/imports', 'Import card histories (JSON Lines)', ['admin']),
  endpoint('GET /v1/audit/cards/:cardId/events', 'A card\'s events exactly as stored, with full metadata and hashes', ['auditor']),
  endpoint('GET /v1/audit/cards/:cardId/state', 'A card\'s state replayed to a revision or an instant, with the events that made it', ['auditor']),
  endpoint('GET /v1/audit/cards/:cardId/verification', 'Verify a card\'s hash chain against the latest signed checkpoint', ['auditor']),
  endpoint('GET /v1/audit/customers/:customerId/events', 'A customer\'s events exactly as stored (personal data encrypted as stored)', ['auditor']),
  endpoint('GET /v1/audit/customers/:customerId/state', 'A customer\'s state replayed to a revision or an instant (personal data masked)', ['auditor']),
  endpoint('GET /v1/audit/customers/:customerId/verification', 'Verify a customer\'s hash chain against the latest signed checkpoint', ['auditor']),
  endpoint('GET /v1/access-log', 'Reads of personal data in clear across customers: filter by customer, reader, role, time', ['auditor', 'admin']),
  endpoint('GET /v1/customers/:customerId/access-log', 'Who read this customer\'s personal data in clear, and why', ['auditor', 'admin']),
  endpoint(
    'DELETE /v1/customers/:customerId/personal-data',
    'Erase a customer\'s personal data (destroys their data key)',
    ['admin'],
  ),
  endpoint('POST /v1/admin/pii/master-key-rotations', 'Rotate the PII master key: rewrap every data key under an older key', ['admin']),
  endpoint('GET /v1/admin/pii/master-key-rotations/:rotationId', 'One master key rotation: state and progress', ['admin']),
  endpoint(
    'GET /v1/audit/export',
    'Export events with their hashes and the signed checkpoints covering them (JSON Lines or CSV), to verify independently',
    ['auditor'],
    'every event as stored is business data (personal data stays encrypted): auditors only; they verify it with docs/verify_audit_export.py',
  ),
  endpoint('GET /v1/audit/public-key', 'The Ed25519 public key audit checkpoints are signed with (and former ones)', 'public', 'a public key is no secret: anyone holding an export must be able to check its checkpoints'),
  endpoint('POST /v1/audit/checkpoints', 'Sign an audit checkpoint now over what was written since the last one', ['auditor', 'admin'], 'it vouches for what is stored and changes no business data'),
  endpoint('POST /v1/audit/verifications', 'Verify the whole event store: every hash chain, checkpoint signature and signed head (a job)', ['auditor', 'admin'], 'reads the whole log and records only that it ran'),
  endpoint('GET /v1/audit/verifications/:verificationId', 'One full verification: progress, result and problems', ['auditor', 'admin']),
];

/** The table's row for a request's method and route pattern (HEAD is treated as GET), if there is one. */
export function permissionFor(
  method: string,
  routePath: string,
  table: readonly EndpointPermission[] = PERMISSIONS,
): EndpointPermission | undefined {
  const verb = method === 'HEAD' ? 'GET' : method;
  return (
    table.find((p) => p.method === verb && p.path === routePath) ??
    table.find((p) => p.method === verb && p.path.endsWith('*') && routePath.startsWith(p.path.slice(0, -1)))
  );
}

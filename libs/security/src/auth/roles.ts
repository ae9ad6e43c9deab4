/**
 * The roles a caller's token may carry, in the order the service prefers them when one request could be made
 * under several (the event metadata names the first that the endpoint allows).
 */
export const ROLES = ['issuer', 'supervisor', 'agent', 'analyst', 'auditor', 'admin'] as const;

export type Role = (typeof ROLES)[number];

/** What each role is for, in the words of the people who hold it. Shown in docs/security.md. */
export const ROLE_DESCRIPTIONS: Readonly<Record<Role, string>> = {
  issuer: 'the card issuer\'s back office: card and customer commands, reads of one card or customer',
  supervisor: 'customer service supervisors: everything an agent does with cases, and reassigning them; sees the teams\' workload and escalated cases',
  agent: 'customer service: finds a customer by exact phone or id number, reads one customer or card (and the customer\'s cards), changes contact details, opens disputes',
  analyst: 'lists and reports from the read models, which hold no personal data in clear',
  auditor: 'read-only: one card or customer, the access log of personal data, and the state of the projections',
  admin: 'operations: imports, projection rebuilds, erasure, master key rotation, the access log; no business data',
};

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

/** The known roles among `names`, each once, in ROLES order. Unknown names are dropped. */
export function knownRoles(names: Iterable<string>): Role[] {
  const given = new Set(names);
  return ROLES.filter((role) => given.has(role));
}

import type { Principal, Role, TokenRejectedError } from '@cards/security';
import { AccessDeniedError, AuthenticationRequiredError } from './auth-errors';
import { permissionFor, PERMISSIONS, type EndpointPermission } from './permissions';

/** What the request's Authorization header proved. */
export type Authentication =
  | { readonly kind: 'anonymous' }
  | { readonly kind: 'malformed-header' }
  | { readonly kind: 'rejected'; readonly error: TokenRejectedError }
  | { readonly kind: 'authenticated'; readonly principal: Principal };

/** The caller of a request the table allowed, and the role it acts in (the actor in event metadata). */
export interface Caller {
  readonly principal: Principal;
  /** The first of the caller's roles, in ROLES order, that the endpoint allows. */
  readonly role: Role;
}

export type AccessDecision = { readonly kind: 'public' } | { readonly kind: 'granted'; readonly caller: Caller };

/**
 * Decides a request from the permission table: a public route lets anyone through; any other needs a valid
 * token (401 otherwise) whose roles the route allows (403 otherwise). A route missing from the table is refused
 * to every role (deny by default).
 */
export function decideAccess(
  method: string,
  routePath: string,
  authentication: Authentication,
  table: readonly EndpointPermission[] = PERMISSIONS,
): AccessDecision {
  const permission = permissionFor(method, routePath, table);
  if (permission?.access === 'public') return { kind: 'public' };
  if (authentication.kind === 'anonymous') throw AuthenticationRequiredError.missingToken();
  if (authentication.kind === 'malformed-header') throw AuthenticationRequiredError.badHeader();
  if (authentication.kind === 'rejected') throw AuthenticationRequiredError.rejected(authentication.error);
  const { principal } = authentication;
  const route = `${method === 'HEAD' ? 'GET' : method} ${routePath}`;
  const allowed = permission?.access ?? [];
  const role = principal.roles.find((r) => allowed.includes(r));
  if (role === undefined) throw new AccessDeniedError(route, allowed, principal.roles);
  return { kind: 'granted', caller: { principal, role } };
}

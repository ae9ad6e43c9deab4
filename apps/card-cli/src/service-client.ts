import type { TokenSource } from './service-token';

/** Talks to a running card-api: the CLI is one more client, so there is only ever one writer per store. */
export class ServiceUnreachableError extends Error {
  constructor(readonly url: string, cause: unknown) {
    super(`Cannot reach card-api at ${url} (${(cause as Error).message}). Is it running? Start it with: npm start`);
    this.name = 'ServiceUnreachableError';
  }
}

const HINTS: Record<number, string> = {
  401: ' (card-cli sends the token from --token or CARD_API_TOKEN, else signs one with the secret in AUTH_JWT_SECRET or DATA_DIR: is it this service\'s?)',
  403: ' (the token lacks the role this command needs: admin for operations, auditor for audit commands)',
};

export class ServiceError extends Error {
  constructor(readonly status: number, readonly problem: { detail?: string; code?: string } | null) {
    super(`card-api answered ${status}${problem?.code ? ` ${problem.code}` : ''}: ${problem?.detail ?? 'no details'}${HINTS[status] ?? ''}`);
    this.name = 'ServiceError';
  }
}

/** Calls card-api, with `Authorization: Bearer` from `token` when given. */
export async function callService<T>(baseUrl: string, path: string, init: RequestInit = {}, token?: TokenSource): Promise<T> {
  const url = new URL(path, baseUrl).toString();
  const headers = new Headers(init.headers);
  if (token) headers.set('authorization', `Bearer ${await token()}`);
  let response: Response;
  try {
    response = await fetch(url, { ...init, headers });
  } catch (error) {
    throw new ServiceUnreachableError(baseUrl, (error as { cause?: unknown }).cause ?? error);
  }
  const text = await response.text();
  const body = text ? (JSON.parse(text) as unknown) : null;
  if (!response.ok) throw new ServiceError(response.status, body as { detail?: string; code?: string } | null);
  return body as T;
}

export const DEFAULT_SERVICE_URL = process.env.CARD_API_URL ?? `http://localhost:${process.env.PORT ?? '3000'}`;

import { Injectable, UnsupportedMediaTypeException, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { InvalidRequestError } from '@cards/platform';

/** JSON Lines, under both names in use. */
export const IMPORT_CONTENT_TYPES = ['application/x-ndjson', 'application/jsonl'] as const;

/** An import body may be far larger than a command's (64 KiB): a file, or a chunk of one. Larger is a 413. */
export const IMPORT_BODY_LIMIT_BYTES = 20 * 1024 * 1024;

/**
 * Registers the JSON Lines body parser on the Fastify instance: the body arrives as one string, split into lines
 * by the import. The other routes still take JSON only: no DTO accepts a string body.
 */
@Injectable()
export class ImportBodyParser implements OnModuleInit {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    if (fastify.hasContentTypeParser(IMPORT_CONTENT_TYPES[0])) return;
    fastify.addContentTypeParser(
      [...IMPORT_CONTENT_TYPES],
      { parseAs: 'string', bodyLimit: IMPORT_BODY_LIMIT_BYTES },
      (_request, body, done) => done(null, body),
    );
  }
}

/** The lines of an import request's body; refuses anything but a non-empty JSON Lines body. */
export function importLinesOf(request: FastifyRequest): string[] {
  const mediaType = String(request.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (!(IMPORT_CONTENT_TYPES as readonly string[]).includes(mediaType)) {
    throw new UnsupportedMediaTypeException(`Send the file as ${IMPORT_CONTENT_TYPES.join(' or ')} (JSON Lines: one JSON object per line)`);
  }
  const body = request.body;
  if (typeof body !== 'string' || body === '') {
    throw new InvalidRequestError([{ field: 'body', reason: 'is empty: send the lines of the file, one JSON object per line' }]);
  }
  return body.split(/\r?\n/);
}

/** `X-Import-First-Line`: the number of the body's first line in the whole file (default 1). */
export function firstLineNumberOf(request: FastifyRequest): number {
  const given = request.headers['x-import-first-line'];
  const value = Array.isArray(given) ? given[0] : given;
  if (value === undefined) return 1;
  if (!/^\d{1,9}$/.test(value.trim()) || Number(value) < 1) {
    throw new InvalidRequestError([{ field: 'X-Import-First-Line', reason: 'must be a whole number from 1 (the file\'s line number of the body\'s first line)' }]);
  }
  return Number(value);
}

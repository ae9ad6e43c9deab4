/**
 * The reference of the HTTP rows: a bare NestJS + Fastify app with card-api's global ValidationPipe
 * (apps/card-api/src/http/validation.ts) and two endpoints that do no work. POST /bare validates the body of
 * POST /v1/customers (RegisterCustomerRequest) and answers what a registration answers; GET /bare/:id checks the
 * UUID as GET /v1/cards/{id} does and answers a constant card of the same shape. No auth, no logging, no store.
 * Run from the benchmark's private build: `PORT=… node bare-app.js`.
 */
import { Body, Controller, Get, HttpCode, Module, Param, Post } from '@nestjs/common';
import { APP_PIPE, NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { RegisterCustomerRequest } from '../apps/card-api/src/customers/register-customer/register-customer.request';
import { requestValidationPipe, uuidParam } from '../apps/card-api/src/http/validation';

const CARD = {
  customerId: '8f0c2b1e-5d5e-4a4f-9f43-7c1f0e9a7b21',
  status: 'ACTIVE',
  product: 'DEBIT',
  accountId: 'ACC-6222020000123456',
  panBin: '411111',
  panLast4: '1111',
  expiry: '12/29',
  issueChannel: 'BRANCH',
  branchId: 'BJ-001',
  failedActivationAttempts: 0,
  attemptsLeft: 3,
  revision: 3,
  allowedCommands: ['SuspendCard', 'CancelCard', 'OpenDispute'],
  timestamps: { issuedAt: '2026-11-23T09:00:00.000Z', identityVerifiedAt: '2026-11-23T09:01:00.000Z', linkedAt: '2026-11-23T09:02:00.000Z', activatedAt: '2026-11-23T09:05:00.000Z' },
  notifications: { notifiedAt: null, items: [] },
};

@Controller('bare')
class BareController {
  @Post()
  @HttpCode(201)
  post(@Body() body: RegisterCustomerRequest): { customerId: string; revision: number; position: string } {
    return { customerId: '8f0c2b1e-5d5e-4a4f-9f43-7c1f0e9a7b21', revision: 0, position: String(body.name.length) };
  }

  @Get(':id')
  get(@Param('id', uuidParam('id')) id: string): typeof CARD & { cardId: string } {
    return { cardId: id, ...CARD };
  }
}

@Module({ controllers: [BareController], providers: [{ provide: APP_PIPE, useFactory: requestValidationPipe }] })
class BareModule {}

async function main(): Promise<void> {
  const app = await NestFactory.create<NestFastifyApplication>(BareModule, new FastifyAdapter(), { logger: false });
  await app.listen(Number(process.env.PORT ?? 3999), process.env.HOST ?? '127.0.0.1');
  process.stdout.write(`bare app listening on ${await app.getUrl()}\n`);
  const close = () => void app.close().then(() => process.exit(0));
  process.on('SIGTERM', close);
  process.on('SIGINT', close);
}

void main();

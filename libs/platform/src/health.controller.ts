import { Controller, Get, HttpCode, Inject, ServiceUnavailableException } from '@nestjs/common';
import { ApiOkResponse, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { EVENT_STORE, type EventStore } from '@cards/event-store';
import { READ_STORE, type ReadStore } from '@cards/read-store';

type Check = { status: 'up' | 'down'; kind: string; error?: string };

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    @Inject(EVENT_STORE) private readonly eventStore: EventStore,
    @Inject(READ_STORE) private readonly readStore: ReadStore,
  ) {}

  /** Liveness: the process answers. */
  @Get()
  @ApiOkResponse({ schema: { example: { status: 'ok' } } })
  live(): { status: string } {
    return { status: 'ok' };
  }

  /** Readiness: both stores answer. */
  @Get('ready')
  @HttpCode(200)
  @ApiOkResponse({
    schema: { example: { status: 'ready', checks: { eventStore: { status: 'up', kind: 'sqlite' }, readStore: { status: 'up', kind: 'sqlite' } } } },
  })
  @ApiServiceUnavailableResponse({ description: 'A store does not answer' })
  async ready(): Promise<{ status: string; checks: Record<string, Check> }> {
    const [eventStore, readStore] = await Promise.all([check(this.eventStore), check(this.readStore)]);
    const down = [eventStore, readStore].filter((c) => c.status === 'down');
    if (down.length > 0) {
      throw new ServiceUnavailableException(down.map((c) => `${c.kind}: ${c.error}`).join('; '));
    }
    return { status: 'ready', checks: { eventStore, readStore } };
  }
}

async function check(store: { kind: string; ping(): Promise<void> }): Promise<Check> {
  try {
    await store.ping();
    return { status: 'up', kind: store.kind };
  } catch (error) {
    return { status: 'down', kind: store.kind, error: (error as Error).message };
  }
}

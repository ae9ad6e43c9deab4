import { Controller, Get, HttpCode, Inject, ServiceUnavailableException } from '@nestjs/common';
import { ApiOkResponse, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { EVENT_STORE, type EventStore } from '@cards/event-store';

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(@Inject(EVENT_STORE) private readonly eventStore: EventStore) {}

  /** Liveness: the process answers. */
  @Get()
  @ApiOkResponse({ schema: { example: { status: 'ok' } } })
  live(): { status: string } {
    return { status: 'ok' };
  }

  /** Readiness: the stores answer. */
  @Get('ready')
  @HttpCode(200)
  @ApiOkResponse({ schema: { example: { status: 'ready', checks: { eventStore: { status: 'up', kind: 'sqlite' } } } } })
  @ApiServiceUnavailableResponse({ description: 'A store does not answer' })
  async ready(): Promise<{ status: string; checks: Record<string, { status: string; kind: string }> }> {
    try {
      await this.eventStore.ping();
    } catch (error) {
      throw new ServiceUnavailableException(`The event store (${this.eventStore.kind}) does not answer: ${(error as Error).message}`);
    }
    return { status: 'ready', checks: { eventStore: { status: 'up', kind: this.eventStore.kind } } };
  }
}

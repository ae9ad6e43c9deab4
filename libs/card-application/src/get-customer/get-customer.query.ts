import { IQueryHandler, Query, QueryHandler } from '@nestjs/cqrs';
import { customerDecider, DomainError, type CustomerState } from '@cards/domain';
import { AggregateRunner } from '../shared/aggregate-runner';
import { customerStream } from '../shared/streams';

export interface CustomerView {
  readonly customer: Extract<CustomerState, { exists: true }>;
  readonly revision: bigint;
}

export class GetCustomerQuery extends Query<CustomerView> {
  constructor(readonly customerId: string) {
    super();
  }
}

@QueryHandler(GetCustomerQuery)
export class GetCustomerHandler implements IQueryHandler<GetCustomerQuery, CustomerView> {
  constructor(private readonly runner: AggregateRunner) {}

  async execute({ customerId }: GetCustomerQuery): Promise<CustomerView> {
    const { state, revision } = await this.runner.load(customerStream(customerId), customerDecider);
    if (!state.exists || revision === null) {
      throw new DomainError('not_found', 'CUSTOMER_NOT_FOUND', `No customer with id ${customerId}`, { customerId });
    }
    return { customer: state, revision };
  }
}

import { ValidationFailed } from '../shared/domain-error';
import { customerDecider } from './customer.decider';
import type { CustomerCommand, CustomerEvent } from './customer.types';

// Commands are built from JSON bodies: a field the types call an object or a string may be null or anything else.
// Each must be refused as a ValidationFailed naming the field, never read into (a TypeError, which the API answered 500).
const NOW = '2025-06-01T09:00:00.000Z';
const registered: CustomerEvent = {
  type: 'CustomerRegistered',
  data: {
    customerId: 'c-1',
    name: '张三',
    idType: 'CN_RESIDENT_ID',
    idNumber: '11010519491231002X',
    phone: '+8613800138000',
    preferredChannels: ['SMS'],
    locale: 'zh-CN',
    timeZone: 'Asia/Shanghai',
    registeredAt: NOW,
  },
};
const state = customerDecider.evolve(customerDecider.initialState, registered);

function refusal(command: Record<string, unknown>, given = state): ValidationFailed {
  try {
    customerDecider.decide(command as unknown as CustomerCommand, given);
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationFailed);
    return error as ValidationFailed;
  }
  throw new Error(`expected ${JSON.stringify(command)} to be refused`);
}

describe('customerDecider: arguments of the wrong type are refused, naming the field', () => {
  it.each([null, 'Beijing', 42, ['line1']])('ChangeContactDetails with address %p', (address) => {
    expect(refusal({ type: 'ChangeContactDetails', address, now: NOW }).violations).toEqual([{ field: 'address', reason: expect.stringMatching(/must be an object/) }]);
  });

  it.each([null, 'Beijing'])('RegisterCustomer with address %p', (address) => {
    const { violations } = refusal(
      { type: 'RegisterCustomer', customerId: 'c-2', name: '李四', idType: 'PASSPORT', idNumber: 'E12345678', phone: '13800138000', address, now: NOW },
      customerDecider.initialState,
    );
    expect(violations).toEqual([{ field: 'address', reason: expect.stringMatching(/must be an object/) }]);
  });

  it.each([null, 42, {}])('EraseCustomerPersonalData with reason %p', (reason) => {
    expect(refusal({ type: 'EraseCustomerPersonalData', reason, now: NOW }).violations).toEqual([{ field: 'reason', reason: expect.any(String) }]);
  });
});

import { describeDataKeyStoreContract } from './data-key-store.contract';
import { InMemoryDataKeyStore } from './in-memory-data-key-store';

// The fake the unit tests use must keep the same promises as the real stores.
describeDataKeyStoreContract('in memory', async () => new InMemoryDataKeyStore());

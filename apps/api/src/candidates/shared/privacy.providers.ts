import { join } from 'node:path';
import { type Provider } from '@nestjs/common';
import { FEEDWERK_CONFIG, type FeedwerkConfig } from '@feedwerk/platform';
import { BLOB_STORE, LocalBlobStore, PersonalDataVault } from '@feedwerk/privacy';
import { DataSource } from 'typeorm';

/** The vault (keys in PostgreSQL, optionally wrapped by PRIVACY_MASTER_KEY) and the CV blob store. */
export const privacyProviders: Provider[] = [
  {
    provide: PersonalDataVault,
    useFactory: (db: DataSource, config: FeedwerkConfig) =>
      new PersonalDataVault(
        db,
        config.PRIVACY_MASTER_KEY ? Buffer.from(config.PRIVACY_MASTER_KEY, 'base64') : null,
      ),
    inject: [DataSource, FEEDWERK_CONFIG],
  },
  {
    provide: BLOB_STORE,
    useFactory: (config: FeedwerkConfig) =>
      new LocalBlobStore(config.BLOB_DIR ?? join(config.DATA_DIR, 'blobs')),
    inject: [FEEDWERK_CONFIG],
  },
];

import 'reflect-metadata';
import { runMain, startApp } from '@feedwerk/platform';
import { AdminModule } from './admin.module';

// Kafka: republishing history for analytics backfill publishes to it.
runMain('admin', () => startApp({ app: 'admin', requires: ['postgres', 'kafka'] }, AdminModule));

import 'reflect-metadata';
import { runMain, startApp } from '@feedwerk/platform';
import { RelayModule } from './relay.module';

runMain('relay', () => startApp({ app: 'relay', requires: ['postgres', 'kafka'] }, RelayModule));

import 'reflect-metadata';
import { runMain, startApp } from '@feedwerk/platform';
import { ApiModule } from './api.module';

runMain('api', () => startApp({ app: 'api', requires: ['postgres'] }, ApiModule));

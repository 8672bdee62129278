import 'reflect-metadata';
import { runMain, startApp } from '@feedwerk/platform';
import { ProjectorModule } from './projector.module';

runMain('projector', () => startApp({ app: 'projector', requires: ['postgres', 'kafka'] }, ProjectorModule));

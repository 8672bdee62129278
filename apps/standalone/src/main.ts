import 'reflect-metadata';
import { runMain, startApp } from '@feedwerk/platform';
import { StandaloneModule } from './standalone.module';

runMain('standalone', () => startApp({ app: 'standalone', requires: [] }, StandaloneModule));

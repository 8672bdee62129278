import 'reflect-metadata';
import { runMain, startApp } from '@feedwerk/platform';
import { TickerModule } from './ticker.module';

runMain('ticker', () => startApp({ app: 'ticker', requires: ['postgres', 'kafka'] }, TickerModule));

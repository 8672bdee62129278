import { TICKER_TITLE } from '@feedwerk/contracts';
import { STRINGS } from './i18n';

it('titles the box as the server-rendered snapshot does, in both languages', () => {
  expect(STRINGS.de.title).toBe(TICKER_TITLE.de);
  expect(STRINGS.en.title).toBe(TICKER_TITLE.en);
});

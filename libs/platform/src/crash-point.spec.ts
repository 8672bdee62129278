import { crashPointsFrom } from './crash-point';

describe('crash points', () => {
  const recorder = () => {
    const signals: string[] = [];
    return { signals, signal: (name: string) => signals.push(name) };
  };

  it('do nothing when CRASH_AT is unset', () => {
    const { signals, signal } = recorder();
    const crash = crashPointsFrom({}, signal);
    crash('relay.afterSend');
    crash('api.afterAppend');
    expect(signals).toEqual([]);
  });

  it('kill at the named point only, on the Nth hit', () => {
    const { signals, signal } = recorder();
    const crash = crashPointsFrom({ CRASH_AT: 'relay.afterSend', CRASH_AT_COUNT: '3' }, signal);
    crash('projector.afterApply');
    crash('relay.afterSend');
    crash('relay.afterSend');
    expect(signals).toEqual([]);
    crash('relay.afterSend');
    expect(signals).toEqual(['SIGKILL']);
    crash('relay.afterSend');
    expect(signals).toEqual(['SIGKILL']);
  });

  it('stop instead of kill when CRASH_ACTION=stop', () => {
    const { signals, signal } = recorder();
    crashPointsFrom({ CRASH_AT: 'api.inAppendTx', CRASH_ACTION: 'stop' }, signal)('api.inAppendTx');
    expect(signals).toEqual(['SIGSTOP']);
  });

  it('refuse an unknown point or count, so a typo cannot make a fault run pass without a crash', () => {
    expect(() => crashPointsFrom({ CRASH_AT: 'relay.aftersend' })).toThrow(/relay\.aftersend/);
    expect(() => crashPointsFrom({ CRASH_AT: 'relay.afterSend', CRASH_AT_COUNT: '0' })).toThrow(
      /CRASH_AT_COUNT/,
    );
  });
});
